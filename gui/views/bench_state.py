"""What the bench view knows of a bench run, without Qt widgets: every judged result per position
and test point, every fault per position (each once), and how each cell and position stands
against its MPE. The tiles (bench_grid.py), the error matrix (bench_matrix.py) and the details
panel read it; it is filled from the bus live (MeasurementRecorded, StepFinished) or from the
store after the fact (``controller.step_results``).

Texts of results and limits are the documents' own (reports.results.result_text /
requirement_text over the item's print layout from the regulation table), so the bench shows
"+2.6 % / ±2.0 %" exactly as the certificate prints it.

Why: on a 24- to 96-position bench a technician needs the cause at a glance — which point failed
at which position against which limit, and which fault stopped a position — not the latest point.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QCoreApplication

from procedures.records import ItemResult, MeasurementResult, Verdict
from reports.results import requirement_text, result_text

NEAR_LIMIT = 0.8
"""A passing error at or beyond this fraction of its MPE is shown "near the limit" (amber): the band
JJG 596-2012 itself treats as close to the limit (a mean within 80–120 % of the MPE takes two more
readings, data/jjg596.toml ``basic_error``); for the other regulations the same warning band."""

ERROR_LAYOUTS = ("error", "error_of_mean")
MATRIX_LAYOUTS = (*ERROR_LAYOUTS, "limit", "at_least")
"""Results shown in the matrix: errors against ±MPE and quantities against a limit (潜动, 起动);
checklists (外观) and the annex are not test points with a value and stay in the details."""

CELL_STATES = ("pass", "near", "fail", "undetermined", "fault", "none")
"""How a matrix cell stands: within the MPE; within it but ≥ :data:`NEAR_LIMIT` of it; beyond it;
in the JJF 1094 undetermined zone; no value because the position faulted at that point; not
measured (yet)."""

RANK = {"pending": 0, "n/a": 0, "pass": 1, "undetermined": 2, "fail": 3, "retest": 4}
_POSITION_PREFIX = re.compile(r"^表位\s*\d+\s*[:：]\s*")
_CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


@dataclass(frozen=True)
class ItemInfo:
    """An item as the regulation's table names and prints it (``controller.item_terms``)."""

    key: str
    name: str
    name_en: str
    layout: str


@dataclass(frozen=True)
class Column:
    """One test point of the matrix: the step that measures it, its item and how it is headed."""

    step_key: str
    item: str
    name: str  # the result's name (基本误差, 潜动试验 …)
    label: str  # the test point as the documents show it ("Ib 0.5L")
    layout: str

    def header(self, english: bool, info: ItemInfo | None = None) -> str:
        """The column heading in the technician's terms: the test point ("Ib 0.5L") where an item
        has several, else the item ("潜动试验" / "Creep (no-load)")."""
        if self.step_key != self.item and self.label:
            return self.label
        if english and info is not None and info.name_en:
            return info.name_en
        return self.name


@dataclass
class Position:
    """One position: its instrument, its results per column, its faults (each once, in order) and
    its standing (``verdict``: pending | pass | undetermined | fail | retest)."""

    position: int
    serial: str = ""
    results: dict[Column, MeasurementResult] = field(default_factory=dict)
    faults: dict[str, None] = field(default_factory=dict)
    checks: list[tuple[str, MeasurementResult]] = field(default_factory=list)  # checklist results (外观 …)
    verdict: str = "pending"
    conclusion: str = ""  # the record's conclusion once frozen, or the follow-up's
    follow_up: str = ""  # the follow-up run re-testing this position (its id), when there is one


def document_item(info: ItemInfo | None, item: str, r: MeasurementResult) -> ItemResult:
    """The item a result prints under, for the document formatter (its layout decides the texts)."""
    return ItemResult(key=item, name=info.name if info else item, name_en=info.name_en if info else "", clause="",
                      verdict=r.verdict, results=(r,), layout=info.layout if info else "")


def value_of(r: MeasurementResult) -> float | None:
    """The rounded value as a number (what is judged and printed), else the mean; None when the
    position gave no value."""
    try:
        return float(r.rounded)
    except ValueError:
        return r.mean


def cell_state(r: MeasurementResult | None, layout: str) -> str:
    """How a cell stands (:data:`CELL_STATES`)."""
    if r is None:
        return "none"
    if r.verdict is Verdict.FAIL:
        return "fail"
    if r.verdict is Verdict.UNDETERMINED:
        return "undetermined"
    value = value_of(r)
    if value is None or r.rounded in ("", "—"):
        return "fault"
    if r.verdict is not Verdict.PASS:
        return "none"
    if layout in ERROR_LAYOUTS and r.mpe and abs(value) >= NEAR_LIMIT * abs(r.mpe):
        return "near"
    return "pass"


def fault_text(message: str, english: bool = False) -> str:
    """A fault as a tile says it: without the "表位 7:" prefix and the step it happened in
    ("— 基本误差 Ib 第1次"), in the interface's language where the message carries both
    ("计数器无响应 (error calculator not answering)")."""
    text = _POSITION_PREFIX.sub("", message.strip())
    text = text.split(" — ")[0].strip()
    m = re.match(r"^(?P<zh>[^()]*?)\s*\((?P<en>[^()]*)\)\s*(?P<rest>.*)$", text)
    if m and _CJK.search(m.group("zh")) and not _CJK.search(m.group("en")):
        return (m.group("en") if english else m.group("zh")).strip()
    return text


class BenchState:
    """Every position of one bench run, its test points (columns, in the order measured) and the
    item terms of its regulation."""

    def __init__(self, items: dict[str, ItemInfo] | None = None) -> None:
        """An empty bench; ``items`` from ``controller.item_terms`` (item key → names, layout)."""
        self.items: dict[str, ItemInfo] = dict(items or {})
        self.positions: dict[int, Position] = {}
        self.columns: list[Column] = []

    def reset(self, serials: dict[int, str], items: dict[str, ItemInfo] | None = None) -> None:
        """Start over with these positions (position → serial)."""
        if items is not None:
            self.items = dict(items)
        self.positions = {p: Position(p, s) for p, s in sorted(serials.items())}
        self.columns = []

    def position(self, p: int) -> Position:
        """Position ``p`` (added when the run did not list it)."""
        if p not in self.positions:
            self.positions[p] = Position(p)
            self.positions = dict(sorted(self.positions.items()))
        return self.positions[p]

    def layout(self, item: str, r: MeasurementResult) -> str:
        """How a result prints: its own layout, else its item's."""
        info = self.items.get(item)
        return r.layout or (info.layout if info else "")

    def add_result(self, step_key: str, item: str, r: MeasurementResult) -> Column | None:
        """A judged result of one position; the column it fills (None: not a matrix column)."""
        if r.position is None:
            return None
        pos = self.position(r.position)
        layout = self.layout(item, r)
        if r.verdict is Verdict.FAIL or r.verdict is Verdict.UNDETERMINED:
            if pos.verdict != "retest" and RANK[r.verdict.value] > RANK.get(pos.verdict, 0):
                pos.verdict = r.verdict.value
        elif pos.verdict == "pending" and r.verdict is Verdict.PASS:
            pos.verdict = "pass"
        if layout not in MATRIX_LAYOUTS:
            pos.checks.append((item, r))
            return None
        col = Column(step_key, item, r.name, r.label, layout)
        if col not in self.columns:
            self.columns.append(col)
        pos.results[col] = r
        return col

    def add_faults(self, faults: dict[Any, Any]) -> list[int]:
        """Faults of a step (position → message): each position marked 需复检 with the fault kept
        once; the positions touched."""
        out = []
        for p, message in faults.items():
            pos = self.position(int(p))
            for m in message if isinstance(message, list) else [message]:
                pos.faults[str(m)] = None
            pos.verdict = "retest"
            out.append(int(p))
        return out

    # -- what the views show ----------------------------------------------------------------------
    def worst(self, p: int) -> tuple[Column, MeasurementResult] | None:
        """The point of position ``p`` farthest from passing against its MPE: a failing one first,
        then the largest |error| / MPE among the errors (limits and checklists are not compared)."""
        best: tuple[tuple[int, float], Column, MeasurementResult] | None = None
        for col, r in self.positions[p].results.items():
            if col.layout not in ERROR_LAYOUTS or not r.mpe:
                continue
            value = value_of(r)
            if value is None:
                continue
            key = (RANK.get(r.verdict.value, 0), abs(value) / abs(r.mpe))
            if best is None or key > best[0]:
                best = (key, col, r)
        return None if best is None else (best[1], best[2])

    def worst_text(self, p: int, english: bool = False) -> str:
        """"+2.6 % / ±2.0 % @ Ib 0.5L": the worst point's error against its MPE, as the document
        prints both; "" when no error was measured."""
        found = self.worst(p)
        if found is None:
            return ""
        col, r = found
        item = document_item(self.items.get(col.item), col.item, r)
        return f"{result_text(item, r)} / {requirement_text(item, r)} @ {col.header(english, self.items.get(col.item))}"

    def cell_text(self, col: Column, r: MeasurementResult) -> str:
        """A cell's value as the document prints it, without the unit the column heading carries."""
        text = result_text(document_item(self.items.get(col.item), col.item, r), r)
        return text[: -len(r.unit)].rstrip() if r.unit and text.endswith(r.unit) else text

    def requirement(self, col: Column) -> str:
        """The column's MPE or limit as the document prints it ("±2.0 %", "≤ 1 imp"), from a result."""
        for pos in self.positions.values():
            r = pos.results.get(col)
            if r is not None and r.mpe is not None:
                return requirement_text(document_item(self.items.get(col.item), col.item, r), r)
        return ""

    def short_fault(self, p: int, english: bool = False) -> str:
        """One short fault of position ``p``: the first, deduplicated across the steps it recurred
        in, with how many other distinct faults there are ("计数器无响应 (+1)")."""
        texts = list(dict.fromkeys(fault_text(m, english) for m in self.positions[p].faults))
        if not texts:
            return ""
        return texts[0] + (f" (+{len(texts) - 1})" if len(texts) > 1 else "")

    def failing(self) -> list[int]:
        """Positions not conforming (a failing point or checklist)."""
        return [p for p, s in self.positions.items() if s.verdict == "fail"]

    def retest(self) -> list[int]:
        """Positions marked 需复检 (a fault, a missing reading, an undetermined result)."""
        return [p for p, s in self.positions.items() if s.verdict == "retest"]


def positions_note(outcome: dict[str, Any]) -> str:
    """What a finished step says of its positions: "表位 5, 11 不合格；表位 7 需复检" from its results
    and faults (the step list names them instead of only turning red); "" when no position failed
    or faulted, or the step is not per position."""
    failing = sorted({int(r["position"]) for r in outcome.get("results", [])
                      if r.get("position") is not None and r.get("verdict") == Verdict.FAIL.value})
    faulted = sorted(int(p) for p in ((outcome.get("data") or {}).get("position_faults") or {}))
    parts = []
    if failing:
        parts.append(QCoreApplication.translate("Views", "表位 {p} 不合格").format(p=", ".join(str(p) for p in failing)))
    if faulted:
        parts.append(QCoreApplication.translate("Views", "表位 {p} 需复检").format(p=", ".join(str(p) for p in faulted)))
    return QCoreApplication.translate("Views", "；").join(parts)
