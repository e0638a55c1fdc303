"""The 加油站在用强检计量器具专项监督检查统计表: one row per station (a dispenser's user unit + location on
the ledger), its columns filled from this workstation's runs and ledger and from the recorded oversight
events (the form is data, bench/oversight/forms/; its columns are ours until the bureau's form is seen).

The population of a row is the station's dispensers in service at the end of the period
(bench/oversight/service.py); the store's counts:

- ``in_use``: those dispensers;
- ``verified``: of those, with a verification (not an in-service inspection) in the period;
- ``never_verified`` / ``overdue``: 应检未检 / 超期未检 at the end of the period (bench/oversight/overdue.py);
- ``failed``: whose latest look in the period — a verification or an in-service inspection, the
  latest by the time its run finished — was 不合格;
- ``seals_intact_verified``: whose latest look in the period found the seals intact (the technician's
  answer to the JJG 443 appearance checklist point ``seal_point``, the record made at the time; the
  last answer of the run when the point was asked again).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bench.categories import canonical_category
from bench.oversight.events import STATION_SEP, station_key
from bench.oversight.form import Form, default_form, fill, require_consistent, total_row
from bench.oversight.overdue import NEVER, OVERDUE, overdue
from bench.oversight.rules import division_matches, in_scope
from bench.oversight.service import ServiceLedger
from bench.standing import Verification, verifications
from bench.store import Store
from bench.store.models import Instrument, OversightEvent


@dataclass(frozen=True)
class FuelStationsTable:
    """The fuel-station table for a period: the form, one row per station (column key → value), the
    header fields, the dispensers counted and the events of the table's kinds no station claimed
    (kind → count; shown beside the table so nothing recorded is lost silently)."""

    start: date
    end: date
    form: Form
    rows: tuple[dict[str, Any], ...]
    header: dict[str, str]
    dispensers: int = 0
    unassigned: dict[str, int] = field(default_factory=dict)

    @property
    def columns(self) -> tuple[Any, ...]:
        """The form's columns."""
        return self.form.columns

    @property
    def totals(self) -> dict[str, Any]:
        """The 合计 row: each count column summed over the stations, text columns empty."""
        return total_row(self.form, self.rows)


def seal_answer(store: Store, v: Verification, point: str) -> bool | None:
    """What the technician answered at this verification's appearance checklist to the point naming
    ``point`` (JJG 443: "计量封印完好"): True intact, False not, None not asked (another procedure,
    or a run entered without its raw readings). The raw reading is the record made at the time; when
    the point was asked again (a repeated attempt) the last answer stands."""
    answers = [r for r in store.readings(v.run_id)
               if r.quantity == "checklist" and r.key.startswith("check:") and point in r.key]
    return answers[-1].value >= 0.5 if answers else None


def _claims(fuel: list[Instrument]) -> dict[str, tuple[str, str]]:
    """Which station an event's ``client`` names: ``单位／地点`` always, a bare unit when it runs one
    station on the ledger (claims over the whole ledger: an event of a station the filters leave out
    is left out with it, not reported as unassigned)."""
    every = {(i.client, i.location) for i in fuel}
    per_unit = Counter(k[0] for k in every)
    claim: dict[str, tuple[str, str]] = {station_key(*k): k for k in every}
    claim.update({k[0]: k for k in every if per_unit[k[0]] == 1})
    return claim


def fuel_stations(store: Store, start: date, end: date, *, division: str | None = None, client: str | None = None,
                  header: dict[str, str] | None = None, form: Form | None = None) -> FuelStationsTable:
    """Fill the fuel-station form (``form``, else ``[forms] fuel_stations``) for ``start`` … ``end``:
    one row per station with a dispenser in service at ``end`` (in ``division`` and of ``client``
    when given), the store counts of the module docstring and the events of the period that name the
    station (``client`` = the unit, or :func:`station_key` for one of several);
    :func:`bench.oversight.form.fill`; refused (:class:`InconsistentCounts`) when a count is
    impossible — seals intact above the dispensers in use, naming the station."""
    form = default_form("fuel_stations", form)
    cats = {canonical_category(c) for c in form.data["categories"]}
    names = cats | set(form.data.get("event_categories", []))
    ledger = store.instruments()
    service = ServiceLedger.of(ledger)
    fuel = [i for i in ledger if canonical_category(i.category) in cats]
    stations: dict[tuple[str, str], list[Instrument]] = defaultdict(list)
    for inst in fuel:
        if in_scope(inst, division, client) and service.in_service(inst, end):
            stations[(inst.client, inst.location)].append(inst)
    claim = _claims(fuel)
    ids = {i.id for insts in stations.values() for i in insts}
    looks: dict[int, list[Verification]] = defaultdict(list)
    for v in verifications(store):
        if start <= v.verified_on <= end and v.instrument_id in ids:
            looks[v.instrument_id].append(v)
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
    point = str(form.data["seal_point"])
    rows: list[dict[str, Any]] = []
    for key in sorted(stations, key=lambda k: (min(i.division_code for i in stations[k]), k)):
        insts = stations[key]
        latest = [looks[i.id or 0][-1] for i in insts if looks.get(i.id or 0)]
        metrics = {
            "client": key[0], "location": key[1],
            "division": "、".join(sorted({i.division_code for i in insts if i.division_code})),
            "in_use": len(insts),
            "verified": sum(1 for i in insts if any(not v.inspection for v in looks.get(i.id or 0, []))),
            "never_verified": sum(1 for i in insts if status.get(i.id) == NEVER),
            "overdue": sum(1 for i in insts if status.get(i.id) == OVERDUE),
            "failed": sum(1 for v in latest if not v.passed),
            "seals_intact_verified": sum(1 for v in latest if seal_answer(store, v, point) is True),
        }
        rows.append(fill(form, metrics, by_station[key]))
    require_consistent(form, rows)
    head = dict.fromkeys(form.header, "")
    head.update({k: v for k, v in (header or {}).items() if k in head})
    return FuelStationsTable(start, end, form, tuple(rows), head, sum(len(v) for v in stations.values()),
                             {k: n for k, n in sorted(unassigned.items()) if n})
