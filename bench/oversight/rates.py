"""首检率, 受检率 and 轮换率 per category, district (division code) and user unit over a period, computed
from the ledger (投用日期, 民用, places; bench/oversight/service.py) and the runs (bench/standing.py). The
definitions are data (``rates.toml`` beside this module: numerator, denominator, which instruments,
the notice as source); this module holds the conditions they are made of (:data:`CONDITIONS`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

from bench.categories import CATEGORIES, canonical_category
from bench.oversight.overdue import IN_ORDER, NO_RULE, overdue
from bench.oversight.rules import data_file, in_scope
from bench.oversight.service import ServiceLedger
from bench.standing import Verification, histories
from bench.store import Store
from bench.store.models import Instrument

BY = {"category": ("器具类别", "Category"), "division": ("行政区划", "Division"), "client": ("使用单位", "User unit")}
"""How rows may be grouped: by category, by category and division code, by category and user unit."""


@dataclass(frozen=True)
class Facts:
    """What the conditions read of one instrument for a period: its ledger row, its verifications up
    to the end (oldest first by finish time), its status at the end (the overdue report), the end of
    its validity or service life at the end, and the ledger read for service."""

    inst: Instrument
    start: date
    end: date
    history: tuple[Verification, ...]
    status: str
    due: date | None
    service_life: bool
    service: ServiceLedger


def _first_verified_by_commissioning(f: Facts) -> bool:
    day = f.inst.commissioned_on
    return day is not None and any(v.verification_type == "first" and v.passed and not v.inspection
                                   and v.verified_on <= day for v in f.history)


def _not_replaced_before_start(f: Facts) -> bool:
    return not f.service.replaced(f.inst, f.start - timedelta(days=1))


CONDITIONS: dict[str, Callable[[Facts], bool]] = {
    "commissioned_in_period": lambda f: f.inst.commissioned_on is not None and f.start <= f.inst.commissioned_on <= f.end,
    "first_verified_by_commissioning": _first_verified_by_commissioning,
    "installed_by_end": lambda f: f.service.installed(f.inst, f.end),
    "in_service_at_end": lambda f: f.service.in_service(f.inst, f.end),
    "has_rule": lambda f: f.status != NO_RULE,
    "in_order_at_end": lambda f: f.status in IN_ORDER,
    "service_life": lambda f: f.service_life,
    "life_ended_by_end": lambda f: f.service_life and f.due is not None and f.due < f.end,
    "not_replaced_before_start": _not_replaced_before_start,
    "replaced_by_end": lambda f: f.service.replaced(f.inst, f.end),
    "household": lambda f: bool(f.inst.household),
}
"""The conditions a rate's definition is made of (rates.toml explains each)."""


@dataclass(frozen=True)
class Rate:
    """A rate's definition (rates.toml): names, numerator and denominator conditions, target, source."""

    key: str
    zh: str
    en: str
    numerator_zh: str
    numerator_en: str
    denominator_zh: str
    denominator_en: str
    numerator: tuple[str, ...]
    denominator: tuple[str, ...]
    target: float
    definition: str
    source: str

    def counts(self, f: Facts) -> tuple[bool, bool]:
        """(in the denominator, in the numerator) for one instrument."""
        base = all(CONDITIONS[c](f) for c in self.denominator)
        return base, base and all(CONDITIONS[c](f) for c in self.numerator)


def definitions() -> tuple[Rate, ...]:
    """The rates of rates.toml, in order; ValueError for a condition this module does not know."""
    out = []
    for r in data_file("rates.toml")["rates"]:
        unknown = [c for c in (*r["numerator"], *r["denominator"]) if c not in CONDITIONS]
        if unknown:
            raise ValueError(f"比率 {r['key']}: 未知条件 (unknown condition) {', '.join(unknown)}")
        out.append(Rate(r["key"], r["zh"], r["en"], r["numerator_zh"], r["numerator_en"], r["denominator_zh"],
                        r["denominator_en"], tuple(r["numerator"]), tuple(r["denominator"]), float(r["target"]),
                        r["definition"], r["source"]))
    return tuple(out)


@dataclass(frozen=True)
class RateCell:
    """One rate of one group: numerator and denominator."""

    numerator: int
    denominator: int

    @property
    def value(self) -> Fraction | None:
        """numerator ÷ denominator, None when nothing is due."""
        return Fraction(self.numerator, self.denominator) if self.denominator else None

    def percent(self) -> float | None:
        """The rate in per cent, one decimal (None when nothing is due)."""
        v = self.value
        return None if v is None else round(float(v * 100), 1)


@dataclass(frozen=True)
class RateRow:
    """A group's rates: its key (category, and division or user unit) and a cell per rate."""

    group: tuple[str, ...]
    cells: dict[str, RateCell]


@dataclass(frozen=True)
class RatesReport:
    """The rates of a period by group, the 合计 row and what was left out (undated instruments)."""

    start: date
    end: date
    by: str
    rates: tuple[Rate, ...]
    rows: tuple[RateRow, ...]
    total: RateRow
    undated: int
    division: str | None = None
    client: str | None = None
    household: bool | None = None

    def below_target(self) -> list[tuple[RateRow, Rate]]:
        """The (row, rate) pairs whose rate is under its target (rows with nothing due left out)."""
        return [(row, r) for row in self.rows for r in self.rates
                if (v := row.cells[r.key].value) is not None and v < Fraction(str(r.target))]


def rate_problems(rates: Sequence[Rate], rows: Iterable[RateRow]) -> list[str]:
    """Impossible cells, each naming its row: a numerator above its denominator, a negative count."""
    out = []
    for row in rows:
        name = " ".join(row.group)
        for r in rates:
            c = row.cells[r.key]
            if c.numerator < 0 or c.denominator < 0:
                out.append(f"{name}：{r.zh} 的数量为负 ({c.numerator}/{c.denominator})")
            elif c.numerator > c.denominator:
                out.append(f"{name}：{r.numerator_zh} {c.numerator} 大于 {r.denominator_zh} {c.denominator}")
    return out


def _group(inst: Instrument, by: str) -> tuple[str, ...]:
    cat = canonical_category(inst.category)
    if by == "division":
        return cat, inst.division_code
    if by == "client":
        return cat, inst.client
    return (cat,)


def rates(store: Store, start: date, end: date, *, by: str = "category", categories: Iterable[str] | None = None,
          household: bool | None = None, division: str | None = None, client: str | None = None) -> RatesReport:
    """The rates of rates.toml for ``start`` … ``end`` grouped ``by`` category, division or user unit:
    each ledger instrument in scope (of ``categories``, household or not when ``household`` says)
    counted in each rate's denominator and numerator by its conditions (:class:`Facts` at the end of
    the period), the 合计 over all; ValueError when a count is impossible (naming the row)."""
    if by not in BY:
        raise ValueError(f"分组方式须为 (group by one of) {', '.join(BY)}: {by!r}")
    if start > end:
        raise ValueError(f"起始日期晚于截止日期 ({start} is after {end})")
    defs = definitions()
    cats = {canonical_category(c) for c in categories} if categories else None
    ledger = store.instruments()
    service = ServiceLedger.of(ledger)
    hist = histories(store, end)
    status = {r.instrument.id: r for r in overdue(store, end, division=division, client=client).rows}
    counts: dict[tuple[str, ...], dict[str, list[int]]] = defaultdict(lambda: {r.key: [0, 0] for r in defs})
    undated = 0
    for inst in ledger:
        if not in_scope(inst, division, client) or (cats is not None and canonical_category(inst.category) not in cats):
            continue
        if household is not None and bool(inst.household) != household:
            continue
        row = status[inst.id]
        undated += inst.commissioned_on is None
        f = Facts(inst, start, end, tuple(hist.get(inst.id or 0, ())), row.status, row.due, row.service_life, service)
        cell = counts[_group(inst, by)]
        for r in defs:
            base, done = r.counts(f)
            cell[r.key][0] += done
            cell[r.key][1] += base
    order = list(CATEGORIES)  # the ledger schema's order of categories, then the group's other key
    rows = tuple(RateRow(k, {r: RateCell(*v) for r, v in counts[k].items()})
                 for k in sorted(counts, key=lambda g: (order.index(g[0]) if g[0] in order else len(order), g)))
    total = RateRow(("合计",), {r.key: RateCell(sum(row.cells[r.key].numerator for row in rows),
                                               sum(row.cells[r.key].denominator for row in rows)) for r in defs})
    found = rate_problems(defs, (*rows, total))
    if found:
        raise ValueError("比率数字不合理，不予生成 (impossible counts): " + "；".join(found))
    return RatesReport(start, end, by, defs, rows, total, undated, division, client, household)


def rate_columns(report: RatesReport) -> list[dict[str, Any]]:
    """The document columns of a rates report: the group's keys, then per rate its denominator,
    numerator and rate in per cent."""
    cols: list[dict[str, Any]] = [{"key": "category", "zh": "器具类别", "en": "Category", "width": 12}]
    if report.by != "category":
        zh, en = BY[report.by]
        cols.append({"key": report.by, "zh": zh, "en": en, "width": 14})
    for r in report.rates:
        cols += [{"key": f"{r.key}_d", "zh": r.denominator_zh, "en": r.denominator_en, "width": 8, "kind": "int"},
                 {"key": f"{r.key}_n", "zh": r.numerator_zh, "en": r.numerator_en, "width": 8, "kind": "int"},
                 {"key": f"{r.key}_rate", "zh": f"{r.zh} %", "en": f"{r.en} %", "width": 8, "kind": "float"}]
    return cols
