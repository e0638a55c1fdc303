"""The oversight reports the supervising bureaus ask for — queries and computations, no rendering.

Five reports (docs/oversight.md; rules and sources in ``oversight_rules.toml`` beside this module):

1. :func:`overdue` — 应检未检 / 超期未检: each ledger instrument against its last finished verification
   (single runs and bench positions) and the due date its regulation table's [period] rule gives
   (bench/standing.py, the same reading as the certificate's 有效期至 / 使用期限至); meters with a
   service life against it (到期轮换); in-service inspections renew nothing (使用中检查不合格 when one
   found the instrument non-conforming).
2. :func:`sampling_plan` — 抽查方案: at least 5 % of the chargers, every brand and model covered, drawn
   with ``numpy.random.default_rng(seed)``: the same seed gives the same plan.
3. :func:`three_meters` — the 民用"三表" statistics table, the bureaus' columns filled from the store
   where it knows (ledger counts, in-service checks) and from recorded :class:`OversightEvent` rows.
4. :func:`analysis` — verification results by brand and model: pass rate, error statistics and the
   error distribution of each group's main error item.
5. :func:`fuel_stations` — the 加油站 table: per station (user unit + location) its dispensers in use,
   verified, 应检未检 / 超期未检, non-conforming, seals intact, violations and cases; the columns are
   data like the 三表's (the bureaus' set is not published in full).

Each report turns into a :class:`reports.oversight.OversightDocument` (``*_document``) that
``reports.oversight`` renders as PDF and Excel.
"""

from __future__ import annotations

import math
import tomllib
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from bench.categories import canonical_category
from bench.standing import Verification, histories, rule_of, standing, verifications
from bench.store import Store
from bench.store.models import Instrument, OversightEvent
from reports.oversight import Column, Histogram, OversightDocument

RULES: dict[str, Any] = tomllib.loads(Path(__file__).with_name("oversight_rules.toml").read_text("utf-8"))
"""The reports' rules as data (``oversight_rules.toml``)."""

EVENT_KINDS: dict[str, tuple[str, str]] = {k: (v[0], v[1]) for k, v in RULES["event_kinds"].items()}
"""Oversight event kinds ``jianding oversight record`` accepts → (Chinese, English)."""

# -- statuses of the overdue report -------------------------------------------------------------------
NEVER = "应检未检"
OVERDUE = "超期未检"
ROTATE = "到期未轮换"
FAILED = "检定不合格"
INSPECTION_FAILED = "使用中检查不合格"
SOON = "即将到期"
VALID = "有效"
NO_RULE = "无周期规则"
STATUS_EN: dict[str, str] = {
    NEVER: "never verified", OVERDUE: "overdue", ROTATE: "service life ended, not replaced",
    FAILED: "failed, not re-verified", INSPECTION_FAILED: "failed an in-service inspection, not re-verified",
    SOON: "due soon", VALID: "valid", NO_RULE: "no period rule",
}
"""Every status, Chinese → English, in the order the reports list them (worst first)."""

VERIFICATION_TYPE_ZH = {"first": "首次检定", "subsequent": "后续检定", "in_use": "使用中检查"}


def division_matches(code: str, division: str | None) -> bool:
    """True when ``code`` lies in ``division`` (GB/T 2260: a prefecture 430600 holds 4306xx, a
    province 430000 holds 43xxxx); no filter matches everything."""
    if not division:
        return True
    prefix = division
    while prefix.endswith("00") and len(prefix) > 2:
        prefix = prefix[:-2]
    return code.startswith(prefix)


def _selected(inst: Instrument, division: str | None, client: str | None) -> bool:
    return division_matches(inst.division_code, division) and (not client or inst.client == client)


# -- 1. 应检未检 / 超期未检 --------------------------------------------------------------------------------
@dataclass(frozen=True)
class OverdueRow:
    """One ledger instrument in the overdue report."""

    instrument: Instrument
    status: str
    last_verified: date | None  # the last verification (检定); an in-service inspection is none
    last_conclusion: str
    basis: date | None  # the verification the due date counts from (the first one for 到期轮换)
    due: date | None
    days_left: int | None
    rule: str
    last_inspected: date | None = None  # the last in-service inspection (使用中检查), which renews nothing
    inspection_conclusion: str = ""
    service_life: bool = False  # the due date ends a service life (使用期限), not a verification period

    @property
    def due_kind(self) -> str:
        """使用期限 or 有效期 (what the due date ends), "" without a due date."""
        return "" if self.due is None else "使用期限" if self.service_life else "有效期"


@dataclass(frozen=True)
class OverdueReport:
    """The 应检未检 / 超期未检 report as of a date."""

    as_of: date
    soon_days: int
    rows: tuple[OverdueRow, ...]
    division: str | None = None
    client: str | None = None

    def counts(self) -> dict[str, int]:
        """Instruments per status, in :data:`STATUS_EN` order (statuses with none left out)."""
        c = Counter(r.status for r in self.rows)
        return {s: c[s] for s in STATUS_EN if c[s]}


def overdue(store: Store, as_of: date, *, soon_days: int | None = None, division: str | None = None,
            client: str | None = None) -> OverdueReport:
    """Each ledger instrument (in ``division`` and of ``client`` when given) against its last
    finished verification up to ``as_of`` and the validity rule of its regulation table
    (bench/standing.py, the same reading as the certificate's): 应检未检 (never verified), 检定不合格
    (the last verification failed), 使用中检查不合格 (an in-service inspection since the last
    verification found it non-conforming), 超期未检 (past its due date), 到期未轮换 (a meter with a
    service life past it), 即将到期 (due within ``soon_days``), 有效. An in-service inspection that
    passed changes nothing: it renews no validity. Worst first, then by due date and serial."""
    soon = int(RULES["overdue"]["soon_days"] if soon_days is None else soon_days)
    by_inst = histories(store, as_of)
    rows: list[OverdueRow] = []
    for inst in store.instruments():
        if not _selected(inst, division, client):
            continue
        history = by_inst.get(inst.id or 0, [])
        checked = next((v for v in reversed(history) if v.inspection), None)
        seen = {"last_inspected": checked.verified_on if checked else None,
                "inspection_conclusion": checked.conclusion if checked else ""}
        try:
            rule = rule_of(inst)
        except (LookupError, ValueError) as e:
            rows.append(OverdueRow(inst, NO_RULE, None, "", None, None, None, str(e), **seen))
            continue
        st = standing(rule, history)
        last = st.last
        base = dict(instrument=inst, last_verified=last.verified_on if last else None,
                    last_conclusion=last.conclusion if last else "", rule=rule.text,
                    service_life=rule.service_life, **seen)
        due = st.until
        left = (due - as_of).days if due else None
        if st.failed_inspection is not None:
            rows.append(OverdueRow(**base, status=INSPECTION_FAILED, basis=st.basis, due=due, days_left=left))
        elif last is None:
            rows.append(OverdueRow(**base, status=NEVER, basis=None, due=None, days_left=None))
        elif not last.passed or due is None or left is None:
            rows.append(OverdueRow(**base, status=FAILED, basis=last.verified_on, due=None, days_left=None))
        else:
            status = (ROTATE if rule.service_life else OVERDUE) if left < 0 else SOON if left <= soon else VALID
            rows.append(OverdueRow(**base, status=status, basis=st.basis, due=due, days_left=left))
    order = list(STATUS_EN)
    rows.sort(key=lambda r: (order.index(r.status), r.due or date.min, r.instrument.serial))
    return OverdueReport(as_of, soon, tuple(rows), division, client)


# -- 2. sampling plan ------------------------------------------------------------------------------------
def allocate(sizes: Sequence[int], n: int) -> list[int]:
    """Split ``n`` sample items over groups of ``sizes``: one per group, the remaining ``n - G`` in
    proportion to group size by largest remainder (Hamilton), never more than a group holds.
    Ties in the remainder go to the larger group, then the earlier one."""
    g = len(sizes)
    total = sum(sizes)
    if not g:
        return []
    if not g <= n <= total:
        raise ValueError(f"样本量 {n} 须在组数 {g} 与总数 {total} 之间 (sample size out of range)")
    rest = n - g
    quotas = [Fraction(rest * s, total) for s in sizes]
    out = [1 + math.floor(q) for q in quotas]  # floor(rest·s/total) ≤ s − 1 because rest < total
    left = n - sum(out)
    order = sorted(range(g), key=lambda i: (-(quotas[i] - math.floor(quotas[i])), -sizes[i], i))
    while left > 0:
        for i in order:
            if left and out[i] < sizes[i]:
                out[i] += 1
                left -= 1
    return out


@dataclass(frozen=True)
class SampleGroup:
    """One brand + model group of the plan: how many are filed, how many are drawn, which."""

    manufacturer: str
    model: str
    category: str
    population: int
    quota: int
    selected: tuple[Instrument, ...]


@dataclass(frozen=True)
class SamplingPlan:
    """A reproducible sampling plan: the seed, the rule and the groups with the items drawn."""

    seed: int
    rate: float
    categories: tuple[str, ...]
    population: int
    size: int
    groups: tuple[SampleGroup, ...]
    division: str | None = None
    client: str | None = None

    @property
    def selected(self) -> tuple[Instrument, ...]:
        """Every instrument drawn, group by group."""
        return tuple(i for g in self.groups for i in g.selected)

    @property
    def covers_every_group(self) -> bool:
        """True when every brand + model group has at least one item drawn."""
        return all(g.selected for g in self.groups)

    @property
    def meets_rate(self) -> bool:
        """True when the plan holds at least ``rate`` of the population."""
        return self.size >= self.rate * self.population


def sample_size(population: int, groups: int, rate: float) -> int:
    """max(ceil(rate × N), number of groups); 0 for an empty population."""
    if population == 0:
        return 0
    return max(math.ceil(Fraction(str(rate)) * population), groups)


def sampling_plan(store: Store, seed: int, *, rate: float | None = None, categories: Iterable[str] | None = None,
                  division: str | None = None, client: str | None = None) -> SamplingPlan:
    """Draw the chargers to sample: groups by (manufacturer, model) in sorted order, members by
    serial, ``allocate`` quotas, then ``Generator.choice`` without replacement per group from
    ``numpy.random.default_rng(seed)`` — the same ledger and seed give the same plan."""
    rate = float(RULES["sampling"]["rate"] if rate is None else rate)
    cats = tuple(categories or RULES["sampling"]["categories"])
    population = [i for i in store.instruments()
                  if canonical_category(i.category) in cats and _selected(i, division, client)]
    members: dict[tuple[str, str], list[Instrument]] = defaultdict(list)
    for inst in population:
        members[(inst.manufacturer, inst.model)].append(inst)
    keys = sorted(members)
    for k in keys:
        members[k].sort(key=lambda i: (i.serial, i.id or 0))
    n = sample_size(len(population), len(keys), rate)
    quotas = allocate([len(members[k]) for k in keys], n) if keys else []
    rng = np.random.default_rng(seed)
    groups = []
    for k, quota in zip(keys, quotas, strict=True):
        picked = rng.choice(len(members[k]), size=quota, replace=False)
        chosen = tuple(sorted((members[k][int(j)] for j in picked), key=lambda i: i.serial))
        cat = "、".join(sorted({canonical_category(i.category) for i in members[k]}))
        groups.append(SampleGroup(k[0], k[1], cat, len(members[k]), quota, chosen))
    return SamplingPlan(seed, rate, cats, len(population), n, tuple(groups), division, client)


# -- 3. 民用"三表" statistics ----------------------------------------------------------------------------
@dataclass(frozen=True)
class ThreeMetersTable:
    """The 民用"三表" table for a period: one row per meter kind (column key → value), the header
    fields, and per kind what the store adds beside the bureaus' columns (verified, failed, due for
    rotation)."""

    start: date
    end: date
    columns: tuple[dict[str, Any], ...]
    rows: tuple[dict[str, Any], ...]
    header: dict[str, str]
    extra: dict[str, dict[str, int]] = field(default_factory=dict)


def fill_row(columns: Sequence[dict[str, Any]], metrics: dict[str, Any], events: Sequence[OversightEvent]) -> dict[str, Any]:
    """One row of a table whose columns are data (oversight_rules.toml): a column with ``store``
    takes that store metric (a text or a count); a count column adds the counts of the events of its
    ``event`` kind and subtracts those of its ``subtract`` kind; a text column without ``store``
    joins the notes of its events. The same filling for every bureau table (三表, 加油站)."""
    row: dict[str, Any] = {}
    for col in columns:
        if col["type"] == "text":
            if "store" in col:
                row[col["key"]] = metrics[col["store"]]
            else:
                row[col["key"]] = "；".join(e.note or f"{e.count}" for e in events if e.kind == col.get("event"))
            continue
        value = metrics[col["store"]] if "store" in col else 0
        value += sum(e.count for e in events if e.kind == col.get("event"))
        value -= sum(e.count for e in events if e.kind == col.get("subtract"))
        row[col["key"]] = value
    return row


def _event_matches(ev: OversightEvent, names: set[str], division: str | None, client: str | None) -> bool:
    if canonical_category(ev.category) not in names and ev.category not in names:
        return False
    if division and not (ev.division_code and division_matches(ev.division_code, division)):
        return False
    return not client or ev.client == client


def three_meters(store: Store, start: date, end: date, *, division: str | None = None, client: str | None = None,
                 header: dict[str, str] | None = None) -> ThreeMetersTable:
    """Fill the 民用"三表" table for ``start`` … ``end``: each column's store metric (ledger_count: the
    ledger's meters of the kind; in_use_checks / in_use_checks_failed: finished 使用中检查 in the
    period) plus the counts of the recorded events of its kind in the period; text columns join the
    events' notes. ``extra`` per kind: verifications (not inspections) in the period, those failed,
    meters due for rotation at ``end`` (从 :func:`overdue`)."""
    cfg = RULES["three_meters"]
    columns = tuple(cfg["columns"])
    insts = {i.id: i for i in store.instruments() if _selected(i, division, client)}
    done = [v for v in verifications(store) if start <= v.verified_on <= end and v.instrument_id in insts]
    events = store.oversight_events(start, end)
    due = overdue(store, end, division=division, client=client)
    rows: list[dict[str, Any]] = []
    extra: dict[str, dict[str, int]] = {}
    for kind in cfg["kinds"]:
        cats = {canonical_category(c) for c in kind["categories"]}
        names = cats | {kind["name"]}
        mine = [v for v in done if canonical_category(insts[v.instrument_id].category) in cats]
        store_metrics = {
            "ledger_count": sum(1 for i in insts.values() if canonical_category(i.category) in cats),
            "in_use_checks": sum(1 for v in mine if v.inspection),
            "in_use_checks_failed": sum(1 for v in mine if v.inspection and not v.passed),
        }
        evs = [e for e in events if _event_matches(e, names, division, client)]
        rows.append(fill_row(columns, {"kind": kind["name"], **store_metrics}, evs))
        checks = [v for v in mine if not v.inspection]  # verifications; the inspections are counted above
        extra[kind["name"]] = {
            "verified": len(checks),
            "failed": sum(1 for v in checks if not v.passed),
            "due_rotation": sum(1 for r in due.rows if r.status == ROTATE
                                and canonical_category(r.instrument.category) in cats),
        }
    head = dict.fromkeys(cfg["header"], "")
    head.update(header or {})
    return ThreeMetersTable(start, end, columns, tuple(rows), head, extra)


# -- 3b. 加油站在用强检计量器具专项监督检查统计表 --------------------------------------------------------------
STATION_SEP = "／"
"""Between user unit and location in an event's ``client`` when it names one of a unit's stations."""


def station_key(client: str, location: str) -> str:
    """The ``client`` an oversight event carries to name the station ``client`` + ``location``."""
    return f"{client}{STATION_SEP}{location}"


@dataclass(frozen=True)
class FuelStationsTable:
    """The fuel-station table for a period: one row per station (column key → value), the header
    fields, the dispensers counted and the events of the table's kinds no station claimed (kind →
    count; shown in the summary so nothing recorded is lost silently)."""

    start: date
    end: date
    columns: tuple[dict[str, Any], ...]
    rows: tuple[dict[str, Any], ...]
    header: dict[str, str]
    dispensers: int = 0
    unassigned: dict[str, int] = field(default_factory=dict)

    @property
    def totals(self) -> dict[str, Any]:
        """The 合计 row: the sum of each count column over the stations; text columns empty, the
        first column reads 合计."""
        return total_row(self.columns, self.rows)


def total_row(columns: Sequence[dict[str, Any]], rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """A 合计 row of a data-column table: count columns summed, text columns empty, 合计 in the first."""
    out = {c["key"]: sum(r[c["key"]] for r in rows) if c["type"] == "int" else "" for c in columns}
    if columns:
        out[columns[0]["key"]] = "合计"
    return out


def _seal_answer(store: Store, v: Verification, point: str) -> bool | None:
    """What the technician answered at this verification's appearance checklist to the point naming
    ``point`` (JJG 443: "计量封印完好"): True intact, False not, None not asked (another procedure,
    or a run entered without its raw readings). The raw reading is the record made at the time."""
    for r in store.readings(v.run_id):
        if r.quantity == "checklist" and r.key.startswith("check:") and point in r.key:
            return r.value >= 0.5
    return None


def fuel_stations(store: Store, start: date, end: date, *, division: str | None = None, client: str | None = None,
                  header: dict[str, str] | None = None) -> FuelStationsTable:
    """Fill the fuel-station table for ``start`` … ``end``: one row per station (a dispenser's user
    unit + location on the ledger, in ``division`` and of ``client`` when given), the columns of
    oversight_rules.toml ``[fuel_stations]`` filled by :func:`fill_row` from the store metrics
    (dispensers on the ledger; dispensers verified in the period; 应检未检 / 超期未检 at ``end`` from
    :func:`overdue`; dispensers whose latest verification in the period failed; those whose latest
    verification found the seals intact, :func:`_seal_answer`) and the events of the
    period that name the station (``client`` = the unit, or :func:`station_key` for one of several)."""
    cfg = RULES["fuel_stations"]
    columns = tuple(cfg["columns"])
    cats = {canonical_category(c) for c in cfg["categories"]}
    names = cats | set(cfg.get("event_categories", []))
    fuel = [i for i in store.instruments() if canonical_category(i.category) in cats]
    stations: dict[tuple[str, str], list[Instrument]] = defaultdict(list)
    for inst in fuel:
        if _selected(inst, division, client):
            stations[(inst.client, inst.location)].append(inst)
    # an event naming only the unit belongs to its station when the unit runs one station on the
    # ledger; claims are over the whole ledger, so an event of a station the filters leave out is
    # left out with it (not reported as unassigned)
    every = {(i.client, i.location) for i in fuel}
    per_unit = Counter(k[0] for k in every)
    claim: dict[str, tuple[str, str]] = {station_key(*k): k for k in every}
    claim.update({k[0]: k for k in every if per_unit[k[0]] == 1})
    ids = {i.id for insts in stations.values() for i in insts}
    done: dict[int, list[Verification]] = defaultdict(list)
    for v in verifications(store):
        if start <= v.verified_on <= end and v.instrument_id in ids:
            done[v.instrument_id].append(v)
    status = {r.instrument.id: r.status for r in overdue(store, end, division=division, client=client).rows}
    by_station: dict[tuple[str, str], list[OversightEvent]] = defaultdict(list)
    unassigned: Counter[str] = Counter()
    for ev in store.oversight_events(start, end):
        if canonical_category(ev.category) not in names and ev.category not in names:
            continue
        if division and ev.division_code and not division_matches(ev.division_code, division):
            continue
        if client and ev.client.split(STATION_SEP)[0] != client:
            continue
        if ev.client not in claim:
            unassigned[ev.kind] += ev.count
        elif claim[ev.client] in stations:
            by_station[claim[ev.client]].append(ev)
    rows: list[dict[str, Any]] = []
    for key in sorted(stations, key=lambda k: (min(i.division_code for i in stations[k]), k)):
        insts = stations[key]
        looks = {i.id: done[i.id or 0] for i in insts if done.get(i.id or 0)}
        # verifications only for 本期检定 (an in-service inspection is no 检定); non-conforming and
        # the seals as found at the latest look, a verification or an inspection
        mine = {k: checks for k, vs in looks.items() if (checks := [v for v in vs if not v.inspection])}
        seals = [_seal_answer(store, vs[-1], str(cfg["seal_point"])) for vs in looks.values()]
        metrics = {
            "client": key[0], "location": key[1],
            "division": "、".join(sorted({i.division_code for i in insts if i.division_code})),
            "ledger_count": len(insts),
            "verified": len(mine),
            "never_verified": sum(1 for i in insts if status.get(i.id) == NEVER),
            "overdue": sum(1 for i in insts if status.get(i.id) == OVERDUE),
            "failed": sum(1 for vs in looks.values() if not vs[-1].passed),
            "seals_intact_verified": sum(1 for s in seals if s is True),
        }
        rows.append(fill_row(columns, metrics, by_station[key]))
    head = dict.fromkeys(cfg["header"], "")
    head.update(header or {})
    return FuelStationsTable(start, end, columns, tuple(rows), head, sum(len(v) for v in stations.values()),
                             {k: n for k, n in sorted(unassigned.items()) if n})


# -- 4. analysis by brand and model ---------------------------------------------------------------------
@dataclass(frozen=True)
class AnalysisGroup:
    """Results of one brand + model: verifications, passes and the statistics of the main error
    item (the instrument's error: its largest |error| over the test points)."""

    manufacturer: str
    model: str
    category: str
    item: str
    unit: str
    count: int
    passed: int
    errors: tuple[float, ...]
    mpe: float | None

    @property
    def pass_rate(self) -> float:
        """Passed / verified (0 when none)."""
        return self.passed / self.count if self.count else 0.0

    @property
    def mean(self) -> float | None:
        """Mean signed error."""
        return float(np.mean(self.errors)) if self.errors else None

    @property
    def std(self) -> float | None:
        """Sample standard deviation (n − 1) of the signed errors; None below two values."""
        return float(np.std(self.errors, ddof=1)) if len(self.errors) >= 2 else None

    @property
    def mean_abs(self) -> float | None:
        """Mean |error|."""
        return float(np.mean(np.abs(self.errors))) if self.errors else None

    @property
    def max_abs(self) -> float | None:
        """Largest |error|."""
        return float(np.max(np.abs(self.errors))) if self.errors else None


@dataclass(frozen=True)
class AnalysisReport:
    """The analysis report: the groups and the common histogram bin edges."""

    start: date
    end: date
    scope: str
    groups: tuple[AnalysisGroup, ...]
    edges: tuple[float, ...]

    def histogram(self, group: AnalysisGroup) -> tuple[int, ...]:
        """Counts of the group's errors in the report's bins."""
        if not self.edges:
            return ()
        counts, _ = np.histogram(np.clip(group.errors, self.edges[0], self.edges[-1]), bins=np.array(self.edges))
        return tuple(int(c) for c in counts)


def main_error(v: Verification) -> tuple[str, float, float | None, str] | None:
    """The main error of a verification: (item name, signed error, its MPE, unit) of the result of
    the regulation's main item with the largest |mean| (this position's results and the run's)."""
    key = RULES["analysis"]["main_item"].get(v.regulation)
    if not key or not v.record:
        return None
    best: tuple[str, float, float | None, str] | None = None
    for item in v.record.get("items", []):
        if item.get("key") != key:
            continue
        for r in item.get("results", []):
            if r.get("position") not in (None, v.position) or r.get("mean") is None:
                continue
            mean = float(r["mean"])
            if isinstance(mean, float) and math.isnan(mean):
                continue
            if best is None or abs(mean) > abs(best[1]):
                best = (str(item.get("name", key)), mean, r.get("mpe"), str(r.get("unit", "")))
    return best


def analysis(store: Store, start: date, end: date, *, instrument_ids: Iterable[int] | None = None,
             categories: Iterable[str] | None = None, division: str | None = None, client: str | None = None,
             scope: str = "", bins: int | None = None) -> AnalysisReport:
    """Group the verifications of ``start`` … ``end`` (of ``instrument_ids`` only — a sampling plan's
    items — when given) by category, manufacturer and model (errors of different kinds of instrument
    never share a group): counts, passes, the main error of each."""
    ids = set(instrument_ids) if instrument_ids is not None else None
    cats = {canonical_category(c) for c in categories} if categories else None
    insts = {i.id: i for i in store.instruments() if _selected(i, division, client)}
    acc: dict[tuple[str, str], dict[str, Any]] = {}
    for v in verifications(store):
        inst = insts.get(v.instrument_id)
        if inst is None or not start <= v.verified_on <= end or (ids is not None and v.instrument_id not in ids):
            continue
        cat = canonical_category(inst.category)
        if cats is not None and cat not in cats:
            continue
        g = acc.setdefault((cat, inst.manufacturer, inst.model), {"count": 0, "passed": 0, "errors": [],
                                                                  "mpe": None, "item": "", "unit": ""})
        g["count"] += 1
        g["passed"] += int(v.passed)
        err = main_error(v)
        if err is not None:
            g["item"], g["unit"] = g["item"] or err[0], g["unit"] or err[3]
            g["errors"].append(err[1])
            if err[2] is not None:
                g["mpe"] = max(float(err[2]), g["mpe"] or 0.0)
    groups = tuple(AnalysisGroup(k[1], k[2], k[0], g["item"], g["unit"], g["count"], g["passed"],
                                 tuple(g["errors"]), g["mpe"]) for k, g in sorted(acc.items()))
    nbins = int(RULES["analysis"]["bins"] if bins is None else bins)
    limit = max([abs(e) for g in groups for e in g.errors] + [g.mpe or 0.0 for g in groups], default=0.0)
    edges = tuple(float(x) for x in np.linspace(-limit, limit, nbins + 1)) if limit > 0 else ()
    return AnalysisReport(start, end, scope or "全部检定 (all verifications)", groups, edges)


# -- documents -------------------------------------------------------------------------------------------
def _d(value: date | None) -> str:
    return value.isoformat() if value else ""


def _r(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def _filters(division: str | None, client: str | None) -> tuple[tuple[str, str], ...]:
    out = []
    if division:
        out.append(("行政区划 (division)", division))
    if client:
        out.append(("使用单位 (user unit)", client))
    return tuple(out)


def overdue_document(rep: OverdueReport, institution: str) -> OversightDocument:
    """The overdue report as a document (one row per instrument, worst status first)."""
    cols = (
        Column("status", "状态", "Status", 11), Column("category", "器具类别", "Category", 10),
        Column("manufacturer", "制造单位", "Manufacturer", 12), Column("model", "型号规格", "Model", 10),
        Column("serial", "出厂编号", "Serial", 13), Column("client", "使用单位", "User unit", 14),
        Column("division", "行政区划", "Division", 8), Column("last", "最近检定", "Last verified", 10, "date"),
        Column("conclusion", "结论", "Result", 6), Column("due_kind", "期限", "Term", 7),
        Column("due", "到期日", "Due", 10, "date"), Column("days", "剩余天数", "Days left", 6, "int"),
        Column("inspected", "最近使用中检查", "Last inspected", 10, "date"),
        Column("inspection", "检查结论", "Result", 6),
    )
    rows = tuple((r.status, r.instrument.category, r.instrument.manufacturer, r.instrument.model,
                  r.instrument.serial, r.instrument.client, r.instrument.division_code, _d(r.last_verified),
                  r.last_conclusion, r.due_kind, _d(r.due), r.days_left, _d(r.last_inspected),
                  r.inspection_conclusion) for r in rep.rows)
    counts = rep.counts()
    summary = (f"台账器具 {len(rep.rows)} 台 (instruments on the ledger)",
               *(f"{s} ({STATUS_EN[s]}): {n}" for s, n in counts.items()))
    rules = sorted({f"{r.instrument.category}: {r.rule}" for r in rep.rows})
    notes = (f"即将到期：{rep.soon_days} 日内到期 (due within {rep.soon_days} days)",
             "到期日：期限为“有效期”者为有效期至，为“使用期限”者为使用期限至（到期更换）(due: the end of the validity, "
             "or of the service life)",
             "应检未检：台账中无完成的检定；超期未检：超过有效期；到期未轮换：只做首次检定、限期使用的器具超过使用期限；"
             "使用中检查不合格：最近检定后的使用中检查不合格 (never verified / past due / past its service life / "
             "failed an in-service inspection since its last verification)",
             "使用中检查不延长有效期或使用期限：有效期自最近一次检定起算，使用期限自首次检定起算 (an in-service inspection "
             "renews nothing: a period runs from the last verification, a service life from the first)", *rules)
    return OversightDocument(
        key="overdue", title_zh="应检未检、超期未检情况报告", title_en="Instruments not verified or overdue",
        institution=institution, as_of=rep.as_of, period="", filters=_filters(rep.division, rep.client),
        summary=summary, columns=cols, rows=rows, notes=notes, landscape=True)


def sampling_document(plan: SamplingPlan, institution: str, as_of: date) -> OversightDocument:
    """The sampling plan as a document (one row per instrument drawn) with its seed and the checks."""
    cols = (
        Column("no", "序号", "No.", 5, "int"), Column("manufacturer", "制造单位 (品牌)", "Brand", 18),
        Column("model", "型号规格", "Model", 14), Column("category", "器具类别", "Category", 12),
        Column("population", "该型号在用数", "Filed", 9, "int"), Column("quota", "抽样数", "Drawn", 7, "int"),
        Column("serial", "出厂编号", "Serial", 16), Column("client", "使用单位", "User unit", 20),
        Column("location", "安装地点", "Location", 20),
    )
    rows = []
    for g in plan.groups:
        for inst in g.selected:
            rows.append((len(rows) + 1, g.manufacturer, g.model, g.category, g.population, g.quota, inst.serial,
                         inst.client, inst.location))
    summary = (
        f"随机种子 (seed): {plan.seed}",
        f"在用充电设施 {plan.population} 台，品牌型号 {len(plan.groups)} 组 (filed chargers, brand+model groups)",
        f"抽样数 {plan.size} = max(⌈{plan.rate:.0%} × {plan.population}⌉, {len(plan.groups)}) (sample size)",
        f"覆盖全部品牌型号 (covers every brand and model): {'是 yes' if plan.covers_every_group else '否 NO'}",
        f"不少于 {plan.rate:.0%} (at least the rate): {'是 yes' if plan.meets_rate else '否 NO'}",
    )
    notes = (str(RULES["sampling"]["source"]),
             "每组至少 1 台，其余按各组在用数比例以最大余数法分配；同一台账与种子得到同一方案 "
             "(one per group, the rest in proportion by largest remainder; numpy default_rng(seed))")
    return OversightDocument(
        key="sampling", title_zh="充电设施监督抽查方案", title_en="Sampling plan for chargers",
        institution=institution, as_of=as_of, period="", filters=_filters(plan.division, plan.client),
        summary=summary, columns=cols, rows=tuple(rows), notes=notes, landscape=True)


def _data_columns(columns: Sequence[dict[str, Any]]) -> tuple[Column, ...]:
    """Document columns of a data-column table (oversight_rules.toml): int or text, ``width`` when given."""
    return tuple(Column(c["key"], c["zh"], c["en"], int(c.get("width", 9 if c["type"] == "int" else 14)),
                        "int" if c["type"] == "int" else "text") for c in columns)


def _data_rows(cols: Sequence[Column], rows: Sequence[dict[str, Any]], total: dict[str, Any]) -> tuple[tuple[Any, ...], ...]:
    return tuple(tuple(r[c.key] for c in cols) for r in (*rows, total))


def three_meters_document(table: ThreeMetersTable, institution: str) -> OversightDocument:
    """The 民用"三表" table as a document: the bureaus' columns, one row per meter kind, a total row."""
    cols = _data_columns(table.columns)
    rows = _data_rows(cols, table.rows, total_row(table.columns, table.rows))
    summary = tuple(f"{k}: 本期检定 {v['verified']} 台，其中不合格 {v['failed']} 台；到期未轮换 {v['due_rotation']} 台 "
                    f"(verified, failed, due for replacement)" for k, v in table.extra.items())
    notes = (str(RULES["three_meters"]["source"]),
             "在用数量取自台账；抽查在用数量含本工作站的使用中检查；其余各栏为登记的监督事件 (jianding oversight record) "
             "(in use: ledger; sampled in use: in-service checks here plus recorded events; the rest: recorded events)")
    return OversightDocument(
        key="three-meters", title_zh="民用“三表”专项监督检查统计表", title_en='Household "three meters" statistics',
        institution=institution, as_of=table.end, period=f"{table.start.isoformat()} 至 {table.end.isoformat()}",
        filters=tuple(table.header.items()), summary=summary, columns=cols, rows=rows, notes=notes,
        landscape=True)


def fuel_stations_document(table: FuelStationsTable, institution: str) -> OversightDocument:
    """The fuel-station table as a document: the configured columns, one row per station, a total
    row, the header fields (填报单位（盖章）, 填报日期, 填报人, 联系方式)."""
    cols = _data_columns(table.columns)
    rows = _data_rows(cols, table.rows, table.totals)
    summary = [f"加油站 {len(table.rows)} 座，在用加油机 {table.dispensers} 台 (stations, dispensers on the ledger)"]
    if table.unassigned:
        kinds = "，".join(f"{EVENT_KINDS.get(k, (k, k))[0]} {n}" for k, n in table.unassigned.items())
        summary.append(f"未能归入加油站的事件 (events naming no station of the table): {kinds} — "
                       f"登记时请用 --client 单位 [--location 地点] (record with --client UNIT [--location PLACE])")
    notes = (str(RULES["fuel_stations"]["source"]),
             "在用数量取自台账（使用单位 + 安装地点 = 一座加油站）；本期检定、不合格取自本工作站的检定；应检未检、超期未检为期末状态；"
             "铅封完好 = 本期检定时铅封完好数 + 检查铅封数 − 铅封破损数；违法行为、立案为登记的监督事件 (jianding oversight record) "
             "(in use: ledger, a station = user unit + location; verified, non-conforming: verifications here; "
             "never verified, overdue: at the end of the period; seals intact = found intact at verification + checked − broken at inspections; the rest: recorded events)")
    return OversightDocument(
        key="fuel-stations", title_zh="加油站在用强检计量器具专项监督检查统计表",
        title_en="Fuel stations: instruments in use under mandatory verification",
        institution=institution, as_of=table.end, period=f"{table.start.isoformat()} 至 {table.end.isoformat()}",
        filters=tuple(table.header.items()), summary=tuple(summary), columns=cols, rows=rows, notes=notes,
        landscape=True)


def analysis_document(rep: AnalysisReport, institution: str) -> OversightDocument:
    """The analysis report as a document: a row per brand + model, a histogram per group."""
    cols = (
        Column("manufacturer", "制造单位 (品牌)", "Brand", 18), Column("model", "型号规格", "Model", 14),
        Column("category", "器具类别", "Category", 12), Column("item", "误差项目", "Error item", 10),
        Column("count", "检定数", "Verified", 7, "int"), Column("passed", "合格数", "Passed", 7, "int"),
        Column("rate", "合格率 %", "Pass rate %", 8, "float"), Column("mean", "平均误差", "Mean error", 9, "float"),
        Column("std", "标准偏差", "Std dev", 9, "float"), Column("mean_abs", "平均|误差|", "Mean |error|", 9, "float"),
        Column("max_abs", "最大|误差|", "Max |error|", 9, "float"), Column("mpe", "MPE ±", "MPE", 7, "float"),
    )
    rows = tuple((g.manufacturer, g.model, g.category, g.item, g.count, g.passed, round(100 * g.pass_rate, 1),
                  _r(g.mean), _r(g.std), _r(g.mean_abs), _r(g.max_abs), g.mpe) for g in rep.groups)
    total = sum(g.count for g in rep.groups)
    passed = sum(g.passed for g in rep.groups)
    summary = (f"范围 (scope): {rep.scope}",
               f"检定 {total} 台，合格 {passed} 台，合格率 {100 * passed / total if total else 0:.1f} % "
               f"(verified, passed, pass rate)",
               f"品牌型号 {len(rep.groups)} 组 (brand+model groups)")
    charts = tuple(Histogram(f"{g.category} {g.manufacturer} {g.model}", rep.edges, rep.histogram(g), g.unit or "%", g.mpe)
                   for g in rep.groups if g.errors and rep.edges)
    notes = ("误差取各器具主要误差项目中绝对值最大的测量点误差 (the instrument's error: its largest |error| over the "
             "test points of the main item); 标准偏差按 n−1 计算 (sample standard deviation)",)
    return OversightDocument(
        key="analysis", title_zh="检定结果分析报告（按品牌型号）", title_en="Verification results by brand and model",
        institution=institution, as_of=rep.end, period=f"{rep.start.isoformat()} 至 {rep.end.isoformat()}",
        filters=(), summary=summary, columns=cols, rows=rows, notes=notes, charts=charts, landscape=True)


def record_event(store: Store, kind: str, category: str, count: int, occurred_on: date, *, note: str = "",
                 division_code: str = "", client: str = "", actor: str = "operator") -> OversightEvent:
    """Append an oversight event of a known kind (oversight_rules.toml [event_kinds])."""
    if kind not in EVENT_KINDS:
        raise ValueError(f"未知事件类型 (unknown event kind) {kind!r}; known: {', '.join(sorted(EVENT_KINDS))}")
    if count == 0:
        raise ValueError("数量不能为 0 (count must not be 0; a correction is a negative count)")
    return store.add_oversight_event(OversightEvent(kind=kind, category=category, count=count,
                                                    occurred_on=occurred_on, division_code=division_code,
                                                    client=client, note=note, actor=actor))
