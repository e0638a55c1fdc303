"""Results as the certificate says them, in plain text: one formatter for the printed inner pages
(:mod:`reports.results`), the GUI's results page and the console's results table, so that a
technician sees on screen exactly what will be printed — the same 修约 (the recorded rounded value
and its decimals), the same MPE format (±0.30 % beside +0.40 %, "≤ limit" for a limit item), the
same item verdicts (符合/不符合 for a checklist, 不适用 for an item not done, no verdict at all for an
annex item such as 电能读数核对) and the same flags and notes, each once and Chinese first.

No reportlab here: this module is text only, importable by ``gui`` and ``bench`` (import-linter:
gui > bench > reports).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from procedures.records import ItemResult, MeasurementResult, Verdict, VerificationRecord

__all__ = [
    "ANNEX",
    "EMPTY",
    "ResultRow",
    "annex_lines",
    "annex_notes",
    "check_word",
    "has_annex_items",
    "item_verdict_text",
    "layout_groups",
    "layout_of",
    "legal_items",
    "live_row",
    "mpe_text",
    "note_in_results",
    "num",
    "point_text",
    "printed_decimals",
    "reading_text",
    "record_flags",
    "record_notes",
    "requirement_text",
    "result_line",
    "result_rows",
    "result_text",
    "row_of",
    "signed_line",
    "test_point",
    "tolerance_text",
    "worst_point_text",
    "zh_first",
]

EMPTY = "—"
"""Printed for a value the record does not hold (never leave a field silently blank)."""

ANNEX = "annex"
"""The verdict key of a row without a verdict (an annex item's figures: 电能读数核对)."""

_NUMBER = re.compile(r"^[+-]?\d+(?:\.(\d+))?$")
_CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")
_POSITION_NOTE = re.compile(r"表位 (\d+)\s*[:：]")
"""A note about one bench position ("表位 4: 无脉冲 (no pulses)")."""


def num(value: float) -> str:
    """A measured value as plain decimal text: 6 significant digits at most, shortest form, no exponent."""
    text = repr(float(f"{value:.6g}"))
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    return "0" if text in ("-0.0", "0.0") and value == 0 else text


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
# layouts and cells


def layout_of(item: ItemResult, result: MeasurementResult | None = None) -> str:
    """The layout a row (or, without ``result``, an item) prints with: the row's own, else the
    item's; for records made before layouts were frozen, worked out from the results (the
    reconciliation is the annex, 重复性 a limit, rows printing 符合/不符合 or a verdict a checklist)."""
    if result is not None and result.layout:
        return result.layout
    if item.layout:
        return item.layout
    if item.key == "reconciliation":
        return ANNEX
    rows = [result] if result is not None else list(item.results)
    if rows and all(r.name == "重复性" for r in rows):
        return "limit"
    if all(r.rounded in ("符合", "不符合", "合格", "不合格") for r in rows):
        return "check"
    return "error_of_mean" if any(len(r.values) > 1 for r in rows) else "error"


def unit_suffix(unit: str) -> str:
    """" %" for a unit, "" without one."""
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


def mpe_text(r: MeasurementResult, unit: bool = True) -> str:
    """"±0.30 %" (the MPE with the rounded value's decimals), — without an MPE."""
    if r.mpe is None:
        return EMPTY
    return f"±{_limit_value(r)}{unit_suffix(r.unit) if unit else ''}"


def tolerance_text(r: MeasurementResult) -> str:
    """An annex row's tolerance (允许差) as the annex prints it: ±, with the rounded value's decimals."""
    d = printed_decimals(r.rounded)
    if r.mpe is None:
        return EMPTY
    return f"±{abs(r.mpe):.{d}f}" if d is not None else f"±{num(abs(r.mpe))}"


def limit_text(r: MeasurementResult, sign: str = "≤", unit: bool = True) -> str:
    """"≤ 0.05 %" (a one-sided limit as printed), — without one."""
    if r.mpe is None:
        return EMPTY
    return f"{sign} {_limit_value(r)}{unit_suffix(r.unit) if unit else ''}"


def requirement_text(item: ItemResult, r: MeasurementResult) -> str:
    """What a row is judged against, as printed: ±MPE, "≤ limit", or — for a checklist point."""
    layout = layout_of(item, r)
    if layout in ("check", "conditions"):
        return EMPTY
    if layout in ("limit", "at_least"):
        return limit_text(r, "≥" if layout == "at_least" else "≤")
    return mpe_text(r)


def result_text(item: ItemResult, r: MeasurementResult) -> str:
    """A row's result as printed: 符合/不符合 for a checklist point, else the rounded value with its
    unit (a condition confirmed rather than measured prints its word)."""
    layout = layout_of(item, r)
    if layout == "check":
        return check_word(r.verdict)
    if printed_decimals(r.rounded) is None:
        return r.rounded or EMPTY
    return r.rounded + unit_suffix(r.unit)


def test_point(r: MeasurementResult, uniform_name: bool) -> str:
    """A row's test point as printed: its label when every row of the table has the same name,
    else name and label."""
    if uniform_name:
        return r.label or r.name
    return f"{r.name} {r.label}".strip()


_POSITION_ONLY = re.compile(r"表位 \d+(?: \([^)]*\))?")
"""A checklist row labelled by its bench position alone ("表位 1", "表位 1 (SIMWM0001)")."""


def point_text(layout: str, r: MeasurementResult, rows: Sequence[MeasurementResult]) -> str:
    """A row's test point as its table prints it (``rows``: the table's rows, see
    :func:`layout_groups`): the label alone when every row has the same name, else name and label; a
    condition always names itself; a bench checklist row named only by its position says what was
    checked; an annex row its source, Chinese first."""
    if layout == ANNEX:
        return zh_first(r.label or r.name)
    if layout == "conditions":
        return test_point(r, False)
    point = test_point(r, len({x.name for x in rows}) == 1)
    if layout == "check" and _POSITION_ONLY.fullmatch(point):
        point = f"{r.name}（{point}）"
    return point


def layout_groups(item: ItemResult) -> list[tuple[str, list[MeasurementResult]]]:
    """The item's rows in runs of the same layout (an item may hold rows of another kind, e.g. the
    repeatability rows of an MMQ item), in their order: one printed table each."""
    out: list[tuple[str, list[MeasurementResult]]] = []
    for r in item.results:
        layout = layout_of(item, r)
        if out and out[-1][0] == layout:
            out[-1][1].append(r)
        else:
            out.append((layout, [r]))
    return out


def row_verdict_text(item: ItemResult, r: MeasurementResult) -> str:
    """A row's verdict as printed: 符合/不符合 for a checklist or condition, none (—) for an annex
    row, else 合格/不合格/待定."""
    layout = layout_of(item, r)
    if layout == ANNEX:
        return EMPTY
    return check_word(r.verdict) if layout in ("check", "conditions") else r.verdict.zh


def item_verdict_text(item: ItemResult) -> str:
    """An item's verdict as its heading prints it (不适用 for an item not done; — for an annex item,
    which has no verdict)."""
    if layout_of(item) == ANNEX:
        return EMPTY
    if item.verdict == Verdict.NOT_APPLICABLE:
        return "不适用"
    return check_word(item.verdict) if layout_of(item) in ("check", "conditions") else item.verdict.zh


def legal_items(record: VerificationRecord) -> list[ItemResult]:
    """The items printed in the results, in the regulation's order (annex items left out)."""
    return [i for i in record.items if layout_of(i) != ANNEX]


def has_annex_items(record: VerificationRecord) -> bool:
    """Whether the record holds an annex item with figures (电能读数核对)."""
    return any(layout_of(i) == ANNEX and i.results for i in record.items)


def note_in_results(item: ItemResult) -> bool:
    """An item not done (不适用, no results) says why under its heading in the results, not on the annex."""
    return item.verdict == Verdict.NOT_APPLICABLE and not item.results and layout_of(item) != ANNEX


# --------------------------------------------------------------------------------------------------
# rows for a screen or a terminal


@dataclass(frozen=True)
class ResultRow:
    """One row of the results as the certificate says it: the item (Chinese and English), the test
    point, the bench position, the result with its unit, the requirement, the verdict as printed and
    its key (pass | fail | undetermined | n/a, or ``annex`` for a row without a verdict), and
    whether the row is an item heading without results (``note``: why it was not done)."""

    item: str
    item_en: str
    point: str
    position: int | None
    result: str
    requirement: str
    verdict: str
    verdict_key: str
    note: str = ""


def result_rows(record: VerificationRecord) -> list[ResultRow]:
    """Every row of the record as the document prints it: the legal items first, in their order
    (an item without results as one row with its verdict word and why), then the annex items'
    rows (figures and tolerance, no verdict)."""
    out: list[ResultRow] = []
    for item in [*legal_items(record), *(i for i in record.items if layout_of(i) == ANNEX)]:
        annex = layout_of(item) == ANNEX
        if not item.results:
            if annex:
                continue
            out.append(ResultRow(item.name, item.name_en, "", None, EMPTY, EMPTY, item_verdict_text(item),
                                 item.verdict.value, zh_first(item.note) if note_in_results(item) else ""))
            continue
        for layout, rows in layout_groups(item):
            out.extend(row_of(item, r, point_text(layout, r, rows)) for r in rows)
    return out


def row_of(item: ItemResult, r: MeasurementResult, point: str | None = None) -> ResultRow:
    """One result row of ``item`` as printed, its test point as its table prints it (``point``;
    None: the row alone in its table — a live result during the run, inside an item of its own)."""
    layout = layout_of(item, r)
    if point is None:
        point = point_text(layout, r, [r])
    requirement = requirement_text(item, r)
    if layout == ANNEX:  # an annex row's tolerance (允许差), as the annex prints it
        requirement = tolerance_text(r) + (unit_suffix(r.unit) if r.mpe is not None else "")
    return ResultRow(item.name, item.name_en, zh_first(point), r.position,
                     result_text(item, r), requirement, row_verdict_text(item, r),
                     ANNEX if layout == ANNEX else r.verdict.value)


def live_row(r: MeasurementResult, item_key: str = "") -> ResultRow:
    """A result as it arrives during the run (no item around it yet), worded as the document will
    print it."""
    item = ItemResult(key=item_key, name=r.name, name_en="", clause="", verdict=r.verdict, results=(r,),
                      layout=r.layout)
    return row_of(item, r)


def result_line(r: MeasurementResult, item_key: str = "", verdict: bool = True) -> str:
    """One result on one line, as printed: "工作误差 Imax (32 A): +0.4 % (±2.0 %)  合格" (an annex
    row without a verdict; ``verdict`` False leaves the word to the caller, e.g. to translate it)."""
    row = live_row(r, item_key)
    requirement = f" ({row.requirement})" if row.requirement != EMPTY else ""
    word = f"  {row.verdict}" if verdict and row.verdict_key != ANNEX and row.verdict != row.result else ""
    return f"{r.name} {r.label}: {row.result}{requirement}{word}".replace("  :", ":")


def worst_point_text(record: VerificationRecord) -> str:
    """The error nearest its MPE (the bench's "worst point"), as printed: "Ib 0.5L: +0.4 % (±1.0 %)";
    "" when the record holds no judged error."""
    judged = [(i, r) for i in legal_items(record) for r in i.results
              if r.mpe and r.mean is not None and layout_of(i, r) in ("error", "error_of_mean")]
    if not judged:
        return ""
    item, worst = max(judged, key=lambda ir: abs(ir[1].mean or 0.0) / abs(float(ir[1].mpe or 1)))
    return f"{worst.label}: {result_text(item, worst)} ({mpe_text(worst)})"


# --------------------------------------------------------------------------------------------------
# flags and notes (the annex's 说明)


def _segments(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"；", text or "") if s.strip()]


def signed_line(sv: dict[str, Any]) -> str:
    """The signed meter values (OCMF) as the annex prints them: status, span, meter, reason."""
    zh = {"valid": "有效 (valid)", "invalid": "无效 (invalid)", "absent": "无 (none)"}.get(sv["status"], sv["status"])
    span = ""
    if sv.get("start_wh") is not None and sv.get("stop_wh") is not None:
        span = f"；起始 {sv['start_wh'] / 1000:.3f} kWh，结束 {sv['stop_wh'] / 1000:.3f} kWh"
    serial = f"；电能表 {sv['meter_serial']}" if sv.get("meter_serial") else ""
    reason = f"；{zh_first(sv['reason'])}" if sv.get("reason") else ""
    return f"{zh}{span}{serial}{reason}"


def signed_printed(sv: dict[str, Any] | None) -> list[str]:
    """What the annex's signed-meter-values lines already say (left out of the notes below them)."""
    if not sv:
        return []
    return [sv.get("reason", ""), *_segments((sv.get("notes") and "；".join(sv["notes"])) or "")]


def annex_notes(record: VerificationRecord, printed: Iterable[str]) -> list[str]:
    """Flags and item notes, each sentence once, Chinese first; a sentence already printed on the
    annex (e.g. the OCMF reason inside a flag) or contained in one printed is left out."""
    seen = [s for s in printed if s]
    out: list[str] = []
    shown = [r.label for i in record.items if layout_of(i) == ANNEX for r in i.results if r.label]
    sources = [*(("", f) for f in record.flags),
               *((i.name, i.note) for i in record.items if i.note and not note_in_results(i))]
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


def annex_lines(record: VerificationRecord) -> list[tuple[str, bool]]:
    """What the document's 附页 says besides the results, as (line, is a flag) pairs, Chinese
    first: the signed meter values (OCMF) and their notes, then the flags and notes
    (:func:`annex_notes`). A flag is a line from the record's ``flags`` or signed meter values that
    are not valid; an item's note or a valid signature is information."""
    sv = record.signed_meter_values
    out: list[tuple[str, bool]] = []
    if sv:
        out.append((f"签名电能数据 (Signed meter values, OCMF)：{signed_line(sv)}", sv.get("status") != "valid"))
        out.extend((f"签名电能数据备注 (Note)：{zh_first(n)}", False) for n in sv.get("notes") or ())
    printed = signed_printed(sv)
    flagged = set(annex_notes(replace(record, items=()), printed))
    return out + [(line, line in flagged) for line in annex_notes(record, printed)]


def record_flags(record: VerificationRecord) -> list[str]:
    """The 附页's flags (:func:`annex_lines`): what a screen shows in amber so that nothing the
    record flags is hidden (an invalid OCMF signature, a reading beyond its tolerance …)."""
    return [line for line, flag in annex_lines(record) if flag]


def record_notes(record: VerificationRecord) -> list[str]:
    """The 附页's other lines: notes of items and signed meter values that are valid."""
    return [line for line, flag in annex_lines(record) if not flag]
