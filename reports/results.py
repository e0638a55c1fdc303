"""The results of a verification as the inner pages print them: one block per legal item laid out
by its regulation's ``layout`` (:data:`procedures.records.LAYOUTS`, declared in the item's data
table and frozen into the record), the failing items of a notice, and the 附页 (annex) that carries
what is not a legal result.

Printing rules (issue 12; docs/certificates.md "Inner pages"):

* a checklist item (``check``) prints each point with 符合/不符合 and nothing else — never a score,
  a mean or an MPE; its own verdict reads 符合/不符合 too;
* an error item prints the test point, each reading, their mean only where the regulation averages
  (``error_of_mean``), the rounded error exactly as recorded (at the regulation's rounding interval),
  U when the record holds one, the MPE and the verdict. Readings and mean are printed with one digit
  more than the rounded error (enough to follow the 修约, never the 6–7 digits of a float);
* a limit item (``limit``: 重复性, 压力损失, 潜动 …) prints the value against "≤ limit", never "±"
  (``at_least``: 起动, "≥ limit");
* U (k=2) has at most two significant digits, rounded up
  (:func:`procedures.metrology.uncertainty.uncertainty_text`);
* the 条款 column prints the record's clause (the edition's clause number) or "—";
* notes, flags, signed meter values (OCMF) and annex items (电能读数核对) are printed once, on the
  附页, Chinese first, without a verdict — never in the results table.

A block is kept together with its heading (a heading never stands alone at the foot of a page).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer, Table

from procedures.metrology.uncertainty import uncertainty_text
from procedures.records import ItemResult, MeasurementResult, Verdict, VerificationRecord
from reports.layout import (
    CONTENT_WIDTH,
    FRAME_WIDTH,
    GRID_WIDTH,
    en,
    esc,
    fit_widths,
    grid_style,
    head_cell,
    heading,
    p,
    table_style,
)
from reports.result_text import (
    ANNEX,
    EMPTY,
    annex_notes,
    check_word,
    item_verdict_text,
    layout_groups,
    layout_of,
    legal_items,
    limit_text,
    mpe_text,
    note_in_results,
    num,
    point_text,
    printed_decimals,
    reading_text,
    requirement_text,
    result_text,
    signed_line,
    signed_printed,
    test_point,
    tolerance_text,
    unit_suffix,
    zh_first,
)
from reports.typography import RULE, styles

__all__ = [
    "annex_block",
    "check_word",
    "failing_block",
    "has_annex",
    "item_blocks",
    "layout_of",
    "printed_decimals",
    "reading_text",
    "zh_first",
]

def _readings(r: MeasurementResult, decimals: int | None) -> str:
    return ", ".join(reading_text(v, decimals) for v in r.values) or EMPTY


def _table(rows: list[list[Any]], widths: Sequence[float]) -> Table:
    table = Table(rows, colWidths=fit_widths(rows, widths, CONTENT_WIDTH), repeatRows=1)
    table.setStyle(table_style(grid_style()))
    return table


def _unit_head(results: Sequence[MeasurementResult]) -> tuple[str, bool]:
    """'/%' when every row has the same unit (then cells carry none), else ''."""
    units = {r.unit for r in results}
    if len(units) == 1:
        unit = next(iter(units))
        return (f"/{unit}" if unit else ""), True
    return "", False


def _check_table(item: ItemResult, results: Sequence[MeasurementResult]) -> Table:
    st = styles()
    rows: list[list[Any]] = [[head_cell("检查内容", "Checked"), head_cell("结果", "Result")]]
    for r in results:
        point = point_text("check", r, results)  # a bench check names only its position: says what was checked
        rows.append([p(esc(point), st.cell), p(check_word(r.verdict), st.cell_center)])
    return _table(rows, [150, 30])


def _conditions_table(item: ItemResult, results: Sequence[MeasurementResult]) -> Table:
    st = styles()
    rows: list[list[Any]] = [[head_cell("检定条件", "Condition"), head_cell("实测", "Found"),
                              head_cell("结论", "Verdict")]]
    for r in results:
        rows.append([p(esc(point_text("conditions", r, results)), st.cell), p(esc(result_text(item, r)), st.cell_center),
                     p(check_word(r.verdict), st.cell_center)])
    return _table(rows, [110, 40, 30])


def _error_table(item: ItemResult, results: Sequence[MeasurementResult], averaged: bool) -> Table:
    st = styles()
    head_unit, uniform_unit = _unit_head(results)
    with_mean = averaged and any(len(r.values) > 1 for r in results)
    with_u = any(r.uncertainty is not None for r in results)
    head = [
        head_cell("检定点", "Test point"),
        head_cell(f"测量值{head_unit}", "Readings"),
        *([head_cell(f"平均值{head_unit}", "Mean")] if with_mean else []),
        head_cell(f"化整值{head_unit}", "Rounded"),
        *([head_cell(f"U (k=2){head_unit}", "Uncertainty")] if with_u else []),
        head_cell("最大允许误差", "MPE"),
        head_cell("结论", "Verdict"),
    ]
    rows: list[list[Any]] = [head]
    for r in results:
        suffix = "" if uniform_unit else unit_suffix(r.unit)
        d = printed_decimals(r.rounded)
        mean = reading_text(r.mean, d) + suffix if r.mean is not None else EMPTY
        u = uncertainty_text(r.uncertainty) + suffix if r.uncertainty is not None else EMPTY
        rows.append([
            p(esc(point_text("error", r, results)), st.cell),
            p(esc(_readings(r, d)), st.cell_center),
            *([p(esc(mean), st.cell_center)] if with_mean else []),
            p(esc((r.rounded or EMPTY) + (suffix if d is not None else "")), st.cell_center),
            *([p(esc(u), st.cell_center)] if with_u else []),
            p(esc(mpe_text(r)), st.cell_center),
            p(r.verdict.zh, st.cell_center),
        ])
    widths = [44, 40, *([22] if with_mean else []), 22, *([20] if with_u else []), 26, 18]
    return _table(rows, widths)


def _limit_table(item: ItemResult, results: Sequence[MeasurementResult], sign: str = "≤") -> Table:
    st = styles()
    head_unit, uniform_unit = _unit_head(results)
    uniform_name = len({r.name for r in results}) == 1
    name = results[0].name if uniform_name and results else "结果"
    rows: list[list[Any]] = [[
        head_cell("检定点", "Test point"),
        head_cell(f"测量值{head_unit}", "Readings"),
        head_cell(f"{esc(name)}{head_unit}", "Result"),
        head_cell("要求", "Requirement"),
        head_cell("结论", "Verdict"),
    ]]
    for r in results:
        suffix = "" if uniform_unit else unit_suffix(r.unit)
        d = printed_decimals(r.rounded)
        rows.append([
            p(esc(point_text("limit", r, results)), st.cell),
            p(esc(_readings(r, d)), st.cell_center),
            p(esc((r.rounded or EMPTY) + (suffix if d is not None else "")), st.cell_center),
            p(esc(limit_text(r, sign)), st.cell_center),
            p(r.verdict.zh, st.cell_center),
        ])
    return _table(rows, [50, 50, 28, 30, 18])


def results_tables(item: ItemResult) -> list[Flowable]:
    """The tables of one legal item, a table per run of rows sharing a layout."""
    out: list[Flowable] = []
    for layout, rows in layout_groups(item):
        if out:
            out.append(Spacer(1, 1.5 * mm))
        if layout == "check":
            out.append(_check_table(item, rows))
        elif layout == "conditions":
            out.append(_conditions_table(item, rows))
        elif layout in ("limit", "at_least"):
            out.append(_limit_table(item, rows, "≥" if layout == "at_least" else "≤"))
        else:
            out.append(_error_table(item, rows, averaged=layout == "error_of_mean"))
    return out


def _item_header(index: int, item: ItemResult) -> Table:
    st = styles()
    name = f"{index}. {esc(item.name)}" + (f"　{en('(' + esc(item.name_en) + ')', 7.5)}" if item.name_en else "")
    clause = f"条款 {en('Clause', 6.5)} {esc(item.clause.strip()) or EMPTY}"
    verdict = f"结论 {en('Verdict', 6.5)} {item_verdict_text(item)}"
    table = Table([[p(name, st.body), p(clause, st.cell), p(verdict, st.cell)]],
                  colWidths=[CONTENT_WIDTH - 70 * mm, 34 * mm, 36 * mm])
    table.setStyle(table_style([
        ("LINEABOVE", (0, 0), (-1, 0), FRAME_WIDTH, RULE),
        ("LINEBELOW", (0, 0), (-1, 0), GRID_WIDTH, RULE),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]))
    return table


def item_blocks(record: VerificationRecord) -> list[list[Flowable]]:
    """One block per legal item: its heading, its tables and the space after them, for the caller
    to keep together (:class:`~reportlab.platypus.KeepTogether`; a block longer than a page splits,
    its table header repeated)."""
    blocks: list[list[Flowable]] = []
    for index, item in enumerate(legal_items(record), start=1):
        parts: list[Flowable] = [_item_header(index, item)]
        tables = results_tables(item)
        if tables:
            parts += [Spacer(1, 2 * mm), *tables]
        elif note_in_results(item) and item.note:  # why the item was not done, once
            parts += [Spacer(1, 1 * mm), p(esc(zh_first(item.note)), styles().note)]
        blocks.append([*parts, Spacer(1, 5 * mm if tables else 3 * mm)])
    return blocks


# --------------------------------------------------------------------------------------------------
# the notice's failing items


def failing_block(record: VerificationRecord, inspection: bool, regulation: str) -> list[Flowable]:
    """不合格项目: the failing items named in a sentence with their clauses, then each failing row
    with its result and requirement (JJF 1069 notice habit; the same on a 不合格 in-service
    inspection). Only legal items: an annex item has no verdict and is never named here."""
    st = styles()
    failing = record.failing_items
    names = "、".join(f"{esc(i.name)}（条款 {esc(i.clause)}）" if i.clause.strip() else esc(i.name) for i in failing)
    found = "经使用中检查" if inspection else "经检定"
    intro = p(f"{found}，该计量器具不符合 {esc(regulation)} 的要求，不合格项目为：{names}。", st.body)
    rows: list[list[Any]] = [[head_cell("检定项目", "Item"), head_cell("检定点", "Test point"),
                              head_cell("结果", "Result"), head_cell("要求", "Requirement"),
                              head_cell("结论", "Verdict")]]
    for item in failing:
        bad = [r for r in item.results if r.verdict in (Verdict.FAIL, Verdict.UNDETERMINED)]
        uniform_name = len({r.name for r in item.results}) <= 1
        if not bad:
            rows.append([p(esc(item.name), st.cell), p(esc(zh_first(item.note)) or EMPTY, st.cell),
                         p(EMPTY, st.cell_center), p(EMPTY, st.cell_center), p(item_verdict_text(item), st.cell_center)])
        for r in bad:
            check = layout_of(item, r) == "check"
            rows.append([p(esc(item.name), st.cell), p(esc(test_point(r, uniform_name)), st.cell),
                         p(esc(result_text(item, r)), st.cell_center), p(esc(requirement_text(item, r)), st.cell_center),
                         p(check_word(r.verdict) if check else r.verdict.zh, st.cell_center)])
    table = _table(rows, [34, 56, 28, 30, 22])
    return [KeepTogether([heading("不合格项目", "Nonconforming items"), intro, Spacer(1, 2 * mm), table])]


# --------------------------------------------------------------------------------------------------
# the annex (附页)


def has_annex(record: VerificationRecord) -> bool:
    """Whether the document carries a 附页: annex items, signed meter values, flags or notes."""
    return bool(record.signed_meter_values or any(layout_of(i) == "annex" for i in record.items)
                or annex_notes(record, ()))


def _annex_table(item: ItemResult) -> Table:
    """An annex item's rows: the readings compared and their difference with its tolerance — the
    figures only, no verdict; a difference beyond its tolerance is remarked (the record's flag on
    that row is then not repeated under 说明)."""
    st = styles()
    head_unit, uniform_unit = _unit_head(item.results)
    rows: list[list[Any]] = [[head_cell("来源", "Source"), head_cell(f"示值, 标准{head_unit}", "Stated, standard"),
                              head_cell(f"差值{head_unit}", "Difference"), head_cell(f"允许差{head_unit}", "Tolerance"),
                              head_cell("备注", "Remark")]]
    for r in item.results:
        suffix = "" if uniform_unit else unit_suffix(r.unit)
        d = printed_decimals(r.rounded)
        values = ", ".join(f"{v:.{d}f}" if d is not None else num(v) for v in r.values) or EMPTY
        tol = tolerance_text(r)
        beyond = r.mpe is not None and r.mean is not None and abs(r.mean) > abs(r.mpe)
        remark = f"超出允许差 {en('(beyond the tolerance)', 6.5)}" if beyond else ""
        rows.append([p(esc(point_text(ANNEX, r, item.results)), st.cell), p(esc(values + suffix), st.cell_center),
                     p(esc((r.rounded or EMPTY) + suffix), st.cell_center), p(esc(tol + suffix), st.cell_center),
                     p(remark, st.cell_center)])
    return _table(rows, [46, 40, 28, 28, 38])


def annex_block(record: VerificationRecord) -> list[Flowable]:
    """附页 (annex): what the record holds beyond its legal results — signed meter values (OCMF),
    the annex items (电能读数核对) with their figures, then flags and notes, each once, Chinese first
    with English beside it; no verdicts. Empty when there is nothing to add."""
    if not has_annex(record):
        return []
    st = styles()
    out: list[Flowable] = [
        heading("附页", "Annex"),
        p(f"本页内容不属于检定结果，不改变检定结论。{en('Not part of the verification results; it does not change the conclusion.', 7)}",
          st.note),
        Spacer(1, 2 * mm),
    ]
    printed: list[str] = []
    sv = record.signed_meter_values
    if sv:
        line = signed_line(sv)
        printed += signed_printed(sv)
        out.append(p(f"签名电能数据 {en('Signed meter values (OCMF)', 7)}：{esc(line)}", st.body))
        for n in sv.get("notes") or ():
            out.append(p(f"签名电能数据备注 {en('Note', 7)}：{esc(zh_first(n))}", st.body))
        out.append(Spacer(1, 2 * mm))
    for item in record.items:
        if layout_of(item) != "annex" or not item.results:
            continue
        title = p(f"{esc(item.name)}　{en('(' + esc(item.name_en) + ')', 7.5)}", st.body)
        out.append(KeepTogether([title, Spacer(1, 1 * mm), _annex_table(item)]))
        out.append(Spacer(1, 2 * mm))
    notes = annex_notes(record, printed)
    if notes:
        lines = [p(f"{k}. {esc(n)}", st.note) for k, n in enumerate(notes, start=1)]
        out.append(KeepTogether([p(f"说明 {en('Notes and flags', 7)}", st.body), *lines]))
    return out
