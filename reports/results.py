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

import re
from collections.abc import Iterable, Sequence
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer, Table

from procedures.metrology.uncertainty import uncertainty_text
from procedures.records import ItemResult, MeasurementResult, Verdict, VerificationRecord
from reports.layout import (
    CONTENT_WIDTH,
    EMPTY,
    FRAME_WIDTH,
    GRID_WIDTH,
    en,
    esc,
    fit_widths,
    grid_style,
    head_cell,
    heading,
    num,
    p,
    table_style,
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

_NUMBER = re.compile(r"^[+-]?\d+(?:\.(\d+))?$")
_CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


# --------------------------------------------------------------------------------------------------
# rounding for print


def printed_decimals(rounded: str) -> int | None:
    """Decimals of a recorded rounded value ("+0.4" → 1, "120" → 0); None when it is not a number
    ("符合", "—")."""
    m = _NUMBER.match(rounded.strip())
    if not m:
        return None
    return len(m.group(1) or "")


def reading_text(value: float, decimals: int | None) -> str:
    """A reading or a mean as printed beside a rounded value with ``decimals`` decimals: fixed to
    ``decimals`` + 1 places (an integer count stays an integer); without a rounded value, four
    significant digits at most."""
    if decimals is None:
        return num(float(f"{value:.4g}"))
    if decimals == 0 and float(value).is_integer():
        return str(int(value))
    text = f"{value:.{decimals + 1}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def check_word(verdict: Verdict) -> str:
    """符合/不符合 for a checklist point or item (待定 and — for the other verdicts)."""
    return {Verdict.PASS: "符合", Verdict.FAIL: "不符合", Verdict.UNDETERMINED: "待定"}.get(verdict, EMPTY)


def _records_merged(text: str) -> str:
    """"record 1: X; record 2: X" → "records 1, 2: X" (the OCMF check's message per signed record)."""
    parts = text.split("; ")
    m = [re.match(r"^record (\d+): (.*)$", x) for x in parts]
    if len(parts) < 2 or not all(m) or len({x.group(2) for x in m if x}) != 1:
        return text
    numbers = ", ".join(x.group(1) for x in m if x)
    return f"records {numbers}: {m[0].group(2) if m[0] else ''}"


def zh_first(text: str) -> str:
    """Engine wording "English (中文)" turned Chinese first, "中文 (English)", segment by segment
    (segments separated by "; " or "；"); text already Chinese first is left as it is."""
    text = _records_merged(text)
    parts = re.split(r"(; |；)", text)
    out = []
    for part in parts:
        m = re.match(r"^(?P<en>[^()（）]*?)\s*\((?P<zh>[^()]*)\)$", part)
        if m and _CJK.search(m.group("zh")) and not _CJK.search(m.group("en")) and m.group("en").strip():
            out.append(f"{m.group('zh')} ({m.group('en').strip()})")
        else:
            out.append(part)
    return "".join(out)


# --------------------------------------------------------------------------------------------------
# layouts


def layout_of(item: ItemResult, result: MeasurementResult | None = None) -> str:
    """The layout a row (or, without ``result``, an item) prints with: the row's own, else the
    item's; for records made before layouts were frozen, worked out from the results (the
    reconciliation is the annex, 重复性 a limit, rows printing 符合/不符合 or a verdict a checklist)."""
    if result is not None and result.layout:
        return result.layout
    if item.layout:
        return item.layout
    if item.key == "reconciliation":
        return "annex"
    rows = [result] if result is not None else list(item.results)
    if rows and all(r.name == "重复性" for r in rows):
        return "limit"
    if all(r.rounded in ("符合", "不符合", "合格", "不合格") for r in rows):
        return "check"
    return "error_of_mean" if any(len(r.values) > 1 for r in rows) else "error"


def _unit_suffix(unit: str) -> str:
    return f" {unit}" if unit else ""


def _limit_value(r: MeasurementResult) -> str:
    """The MPE or limit with the decimals of the rounded value when that loses nothing (±0.30 %
    beside +0.40 %), else as it is."""
    assert r.mpe is not None
    d = printed_decimals(r.rounded)
    limit = abs(r.mpe)
    if d is not None and round(limit, d) == limit:
        return f"{limit:.{d}f}"
    return num(limit)


def _mpe_text(r: MeasurementResult) -> str:
    if r.mpe is None:
        return EMPTY
    return f"±{_limit_value(r)}{_unit_suffix(r.unit)}"


def _limit_text(r: MeasurementResult, sign: str = "≤") -> str:
    if r.mpe is None:
        return EMPTY
    return f"{sign} {_limit_value(r)}{_unit_suffix(r.unit)}"


def requirement_text(item: ItemResult, r: MeasurementResult) -> str:
    """What a row is judged against, as printed: ±MPE, "≤ limit", or — for a checklist point."""
    layout = layout_of(item, r)
    if layout in ("check", "conditions"):
        return EMPTY
    if layout in ("limit", "at_least"):
        return _limit_text(r, "≥" if layout == "at_least" else "≤")
    return _mpe_text(r)


def result_text(item: ItemResult, r: MeasurementResult) -> str:
    """A row's result as printed: 符合/不符合 for a checklist point, else the rounded value with its
    unit (a condition confirmed rather than measured prints its word)."""
    layout = layout_of(item, r)
    if layout == "check":
        return check_word(r.verdict)
    if printed_decimals(r.rounded) is None:
        return r.rounded or EMPTY
    return r.rounded + _unit_suffix(r.unit)


def _test_point(r: MeasurementResult, uniform_name: bool) -> str:
    if uniform_name:
        return r.label or r.name
    return f"{r.name} {r.label}".strip()


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
    uniform = len({r.name for r in results}) == 1
    rows: list[list[Any]] = [[head_cell("检查内容", "Checked"), head_cell("结果", "Result")]]
    for r in results:
        point = _test_point(r, uniform)
        if _POSITION_ONLY.fullmatch(point):  # a bench check names only its position: say what was checked
            point = f"{r.name}（{point}）"
        rows.append([p(esc(point), st.cell), p(check_word(r.verdict), st.cell_center)])
    return _table(rows, [150, 30])


_POSITION_ONLY = re.compile(r"表位 \d+(?: \([^)]*\))?")
"""A checklist row labelled by its bench position alone ("表位 1", "表位 1 (SIMWM0001)")."""


def _conditions_table(item: ItemResult, results: Sequence[MeasurementResult]) -> Table:
    st = styles()
    rows: list[list[Any]] = [[head_cell("检定条件", "Condition"), head_cell("实测", "Found"),
                              head_cell("结论", "Verdict")]]
    for r in results:
        rows.append([p(esc(_test_point(r, False)), st.cell), p(esc(result_text(item, r)), st.cell_center),
                     p(check_word(r.verdict), st.cell_center)])
    return _table(rows, [110, 40, 30])


def _error_table(item: ItemResult, results: Sequence[MeasurementResult], averaged: bool) -> Table:
    st = styles()
    head_unit, uniform_unit = _unit_head(results)
    uniform_name = len({r.name for r in results}) == 1
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
        suffix = "" if uniform_unit else _unit_suffix(r.unit)
        d = printed_decimals(r.rounded)
        mean = reading_text(r.mean, d) + suffix if r.mean is not None else EMPTY
        u = uncertainty_text(r.uncertainty) + suffix if r.uncertainty is not None else EMPTY
        rows.append([
            p(esc(_test_point(r, uniform_name)), st.cell),
            p(esc(_readings(r, d)), st.cell_center),
            *([p(esc(mean), st.cell_center)] if with_mean else []),
            p(esc((r.rounded or EMPTY) + (suffix if d is not None else "")), st.cell_center),
            *([p(esc(u), st.cell_center)] if with_u else []),
            p(esc(_mpe_text(r)), st.cell_center),
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
        suffix = "" if uniform_unit else _unit_suffix(r.unit)
        d = printed_decimals(r.rounded)
        rows.append([
            p(esc(_test_point(r, uniform_name)), st.cell),
            p(esc(_readings(r, d)), st.cell_center),
            p(esc((r.rounded or EMPTY) + (suffix if d is not None else "")), st.cell_center),
            p(esc(_limit_text(r, sign)), st.cell_center),
            p(r.verdict.zh, st.cell_center),
        ])
    return _table(rows, [50, 50, 28, 30, 18])


def _groups(item: ItemResult) -> list[tuple[str, list[MeasurementResult]]]:
    """The item's rows in runs of the same layout (an item may hold rows of another kind, e.g. the
    repeatability rows of an MMQ item), in their order."""
    out: list[tuple[str, list[MeasurementResult]]] = []
    for r in item.results:
        layout = layout_of(item, r)
        if out and out[-1][0] == layout:
            out[-1][1].append(r)
        else:
            out.append((layout, [r]))
    return out


def results_tables(item: ItemResult) -> list[Flowable]:
    """The tables of one legal item, a table per run of rows sharing a layout."""
    out: list[Flowable] = []
    for layout, rows in _groups(item):
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


def _item_verdict(item: ItemResult) -> str:
    if item.verdict == Verdict.NOT_APPLICABLE:
        return "不适用"
    return check_word(item.verdict) if layout_of(item) in ("check", "conditions") else item.verdict.zh


def _item_header(index: int, item: ItemResult) -> Table:
    st = styles()
    name = f"{index}. {esc(item.name)}" + (f"　{en('(' + esc(item.name_en) + ')', 7.5)}" if item.name_en else "")
    clause = f"条款 {en('Clause', 6.5)} {esc(item.clause.strip()) or EMPTY}"
    verdict = f"结论 {en('Verdict', 6.5)} {_item_verdict(item)}"
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


def legal_items(record: VerificationRecord) -> list[ItemResult]:
    """The items printed in the results, in the regulation's order (annex items left out)."""
    return [i for i in record.items if layout_of(i) != "annex"]


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
        elif _note_in_results(item) and item.note:  # why the item was not done, once
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
                         p(EMPTY, st.cell_center), p(EMPTY, st.cell_center), p(_item_verdict(item), st.cell_center)])
        for r in bad:
            check = layout_of(item, r) == "check"
            rows.append([p(esc(item.name), st.cell), p(esc(_test_point(r, uniform_name)), st.cell),
                         p(esc(result_text(item, r)), st.cell_center), p(esc(requirement_text(item, r)), st.cell_center),
                         p(check_word(r.verdict) if check else r.verdict.zh, st.cell_center)])
    table = _table(rows, [34, 56, 28, 30, 22])
    return [KeepTogether([heading("不合格项目", "Nonconforming items"), intro, Spacer(1, 2 * mm), table])]


# --------------------------------------------------------------------------------------------------
# the annex (附页)


def _segments(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"；", text or "") if s.strip()]


def _signed_line(sv: dict[str, Any]) -> str:
    zh = {"valid": "有效 (valid)", "invalid": "无效 (invalid)", "absent": "无 (none)"}.get(sv["status"], sv["status"])
    span = ""
    if sv.get("start_wh") is not None and sv.get("stop_wh") is not None:
        span = f"；起始 {sv['start_wh'] / 1000:.3f} kWh，结束 {sv['stop_wh'] / 1000:.3f} kWh"
    serial = f"；电能表 {sv['meter_serial']}" if sv.get("meter_serial") else ""
    reason = f"；{zh_first(sv['reason'])}" if sv.get("reason") else ""
    return f"{zh}{span}{serial}{reason}"


def _note_in_results(item: ItemResult) -> bool:
    """An item not done (不适用, no results) says why under its heading in the results, not on the annex."""
    return item.verdict == Verdict.NOT_APPLICABLE and not item.results and layout_of(item) != "annex"


_POSITION_NOTE = re.compile(r"表位 (\d+)\s*[:：]")
"""A note about one bench position ("表位 4: 无脉冲 (no pulses)")."""


def _annex_notes(record: VerificationRecord, printed: Iterable[str]) -> list[str]:
    """Flags and item notes, each sentence once, Chinese first; a sentence already printed on the
    annex (e.g. the OCMF reason inside a flag) or contained in one printed is left out."""
    seen = [s for s in printed if s]
    out: list[str] = []
    shown = [r.label for i in record.items if layout_of(i) == "annex" for r in i.results if r.label]
    sources = [*(("", f) for f in record.flags),
               *((i.name, i.note) for i in record.items if i.note and not _note_in_results(i))]
    position = record.station.get("position") if record.station else None
    for name, raw in sources:
        fresh: list[str] = []
        for seg in _segments(raw):
            other = _POSITION_NOTE.match(seg)
            if other and position is not None and int(other.group(1)) != int(position):
                continue  # a bench-wide note about another position: that instrument's document says it
            if any(seg.startswith(label) for label in shown):  # a row of an annex table: shown there
                continue
            if not any(seg in s or s in seg for s in [*seen, *fresh]):
                fresh.append(seg)
        if not fresh:
            continue
        seen.extend(fresh)
        if name:
            out.append(f"{name}：{zh_first('；'.join(fresh))}")
        else:
            out.extend(zh_first(seg) for seg in fresh)
    return out


def has_annex(record: VerificationRecord) -> bool:
    """Whether the document carries a 附页: annex items, signed meter values, flags or notes."""
    return bool(record.signed_meter_values or any(layout_of(i) == "annex" for i in record.items)
                or _annex_notes(record, ()))


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
        suffix = "" if uniform_unit else _unit_suffix(r.unit)
        d = printed_decimals(r.rounded)
        values = ", ".join(f"{v:.{d}f}" if d is not None else num(v) for v in r.values) or EMPTY
        tol = f"±{abs(r.mpe):.{d}f}" if (r.mpe is not None and d is not None) else (
            f"±{num(abs(r.mpe))}" if r.mpe is not None else EMPTY)
        beyond = r.mpe is not None and r.mean is not None and abs(r.mean) > abs(r.mpe)
        remark = f"超出允许差 {en('(beyond the tolerance)', 6.5)}" if beyond else ""
        rows.append([p(esc(zh_first(r.label or r.name)), st.cell), p(esc(values + suffix), st.cell_center),
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
        line = _signed_line(sv)
        printed += [sv.get("reason", ""), *_segments((sv.get("notes") and "；".join(sv["notes"])) or "")]
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
    notes = _annex_notes(record, printed)
    if notes:
        lines = [p(f"{k}. {esc(n)}", st.note) for k, n in enumerate(notes, start=1)]
        out.append(KeepTogether([p(f"说明 {en('Notes and flags', 7)}", st.body), *lines]))
    return out
