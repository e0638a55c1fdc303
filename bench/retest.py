"""Re-testing some positions of a bench run (复检): a follow-up run linked to the first.

How a laboratory keeps it: the first run's readings, records and documents stay exactly as they
were (a position marked 需复检 there keeps its fault); the re-test is a run of its own — its own
record number, readings, step results, records and documents — whose ``run.retest_of`` names the
first run. The certificate (or notice) of a re-tested position is drafted from the follow-up, so it
rests on the re-test's readings alone; nothing of the faulted attempt reaches it.

What may be re-tested (:func:`retest_station`): positions of a finished bench run that ended 需复检
(a fault, a reading missing, a result in the JJF 1094 undetermined zone); a position that already
has a conclusion (合格 / 不合格: its document is drafted) is refused — a failed meter is adjusted and
verified again as a new run, never re-measured into a pass. A position already taken into another
follow-up is re-tested from that follow-up (the chain stays a line, one standing per position).
The follow-up repeats the first run's regulation, edition and verification type with the same
instruments at the same positions; a station file naming another serial at one of them is refused
(the meters were moved).

:class:`RetestViews` gives the GUI's bench view what it shows of a run: its heading (station,
regulation, batch), the item names and print layouts of its regulation, every step result and
position fault on disk, and the follow-ups of each position.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from bench.station import Station, StationError
from bench.store import Store
from bench.store.models import Run
from procedures.engine import StepOutcome
from procedures.records import MeasurementResult
from procedures.regulations import REGISTRY


def parse_positions(text: str) -> list[int]:
    """"3,17" or "3, 17 20-22" as positions (ascending, each once); StationError naming a bad one."""
    out: set[int] = set()
    for part in text.replace("，", ",").replace(" ", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            if "-" in part:
                lo, hi = (int(x) for x in part.split("-", 1))
                out.update(range(lo, hi + 1))
            else:
                out.add(int(part))
        except ValueError:
            raise StationError(f"表位 “{part}” 不是数字 (position “{part}” is not a number: e.g. 3,17 or 20-22)") from None
    if not out or min(out) < 1:
        raise StationError("须指定要复检的表位，例如 3,17 (name the positions to re-test, e.g. 3,17)")
    return sorted(out)


def _open_follow_up(store: Store, run_id: str, position: int) -> Run | None:
    """The follow-up of ``run_id`` that took ``position`` in (None: none has)."""
    for run in store.runs():
        if run.retest_of == run_id and run.status != "void" and any(
                p.position == position for p in store.positions(run.id)):
            return run
    return None


def retest_station(store: Store, station: Station, original_id: str, positions: list[int], *,
                   regulation: str, edition: str | None, verification_type: str) -> tuple[Station, Run]:
    """The station of a follow-up run re-testing ``positions`` of the bench run ``original_id``
    (a unique prefix is accepted): a copy whose ``[bench] serials`` names only those positions, each
    with the instrument the first run had there; and the first run. StationError, in both languages,
    for what may not be re-tested (module docstring)."""
    try:
        original = store.get_run(original_id)
    except (KeyError, LookupError, ValueError) as e:
        raise StationError(f"原检定 {original_id} 不存在 (no run {original_id}): {e}") from None
    tag = original.id[:8]
    if original.status != "finished":
        raise StationError(f"原检定 {tag} 尚未完成 ({original.status})，不能复检 (the run is not finished: resume it "
                           "instead of re-testing)")
    seats = {p.position: p for p in store.positions(original.id)}
    if not seats:
        raise StationError(f"检定 {tag} 不是多表位检定，无表位可复检 (run {tag} is not a bench run: nothing to re-test)")
    if not positions:
        raise StationError("须指定要复检的表位 (name the positions to re-test)")
    if regulation != original.regulation or verification_type != original.verification_type or (
            edition not in (None, original.edition)):
        raise StationError(f"复检须按原检定的规程、版本和检定类别进行：{original.regulation} {original.edition} "
                           f"{original.verification_type} (a re-test repeats the run's regulation, edition and type)")
    serials = station.bench_serials()
    chosen: dict[int, str] = {}
    for p in positions:
        seat = seats.get(p)
        if seat is None:
            raise StationError(f"表位 {p} 不在检定 {tag} 中 (position {p} is not in run {tag}: "
                               f"{', '.join(str(x) for x in sorted(seats))})")
        if seat.status != "retest":
            word = seat.conclusion or seat.status
            raise StationError(f"表位 {p} 已有结论 {word}，不能复检；不合格的器具调整后另行检定 (position {p} already "
                               f"has a conclusion, {word}: only 需复检 positions are re-tested; a failed meter is "
                               "adjusted and verified again as a new run)")
        later = _open_follow_up(store, original.id, p)
        if later is not None:
            raise StationError(f"表位 {p} 已在复检 {later.id[:8]} 中 ({later.status})；请复检该次检定的表位 (position {p} "
                               f"is already in follow-up run {later.id[:8]}: re-test that run's positions)")
        serial = store.get_instrument(seat.instrument_id).serial
        if serials and serials.get(p) not in (None, serial):
            raise StationError(f"表位 {p} 现为 {serials[p]}，原检定为 {serial}：器具已移动 (position {p} now holds "
                               f"{serials[p]}, the run had {serial}: the meters were moved)")
        chosen[p] = serial
    raw = json.loads(json.dumps(station.raw, default=str))  # a copy: the caller's station is left as it was
    raw["bench"] = {k: v for k, v in raw.get("bench", {}).items() if k not in ("serials", "positions", "serial_format")}
    raw["bench"]["serials"] = [chosen.get(p, "") for p in range(1, max(chosen) + 1)]
    return dataclasses.replace(station, raw=raw), original


@dataclass(frozen=True)
class BenchHeading:
    """What the bench view's heading names: station, regulation and batch, and the re-test link."""

    station: str
    regulation_code: str
    regulation_title: str
    batch: str  # the batch label ([instrument] serial of a bench station), else the serial range
    model: str
    positions: int
    record_no: str
    retest_of: str  # the first run's id when this run is a re-test, else ""
    retest_of_record: str


@dataclass(frozen=True)
class ItemTerms:
    """One verification item as its regulation's table names and prints it."""

    key: str
    name: str
    name_en: str
    layout: str


@dataclass(frozen=True)
class StepResult:
    """One judged result of a step on disk, with the item it belongs to."""

    step_key: str
    item: str
    result: MeasurementResult


@dataclass(frozen=True)
class FollowUp:
    """A follow-up run re-testing one position of a run, and how the position ended there."""

    run_id: str
    status: str  # the follow-up run's status
    position_status: str  # pending | finished | retest
    conclusion: str


class RetestViews:
    """The controller's methods for the bench view and re-tests (mixed into :class:`bench.controller.Controller`)."""

    store: Store

    def bench_heading(self, run_id: str) -> BenchHeading:
        """The heading of a bench run: station name, regulation (code and title), batch and model,
        positions, and the run it re-tests."""
        run = self.store.get_run(run_id)
        station = json.loads(run.station_json or "{}")
        inst = station.get("instrument", {})
        seats = self.store.positions(run.id)
        serials = [self.store.get_instrument(p.instrument_id).serial for p in seats]
        batch = str(inst.get("batch") or inst.get("serial") or "")
        if not batch and serials:
            batch = serials[0] if len(serials) == 1 else f"{serials[0]} … {serials[-1]}"
        code = title = run.regulation
        if run.regulation in REGISTRY:
            procedure = REGISTRY[run.regulation][1](REGISTRY[run.regulation][0].from_dict(json.loads(run.params_json)))
            code, title = procedure.code, procedure.title
        first = self.store.get_run(run.retest_of) if run.retest_of else None
        return BenchHeading(str(station.get("station", {}).get("name", "")), code, title, batch,
                            str(inst.get("model", "")), len(seats), run.record_no, first.id if first else "",
                            first.record_no if first else "")

    def item_terms(self, run_id: str) -> dict[str, ItemTerms]:
        """Item key → name, English name and print layout, from the run's regulation table (what the
        documents print the results with)."""
        run = self.store.get_run(run_id)
        if run.regulation not in REGISTRY:
            return {}
        procedure = REGISTRY[run.regulation][1](REGISTRY[run.regulation][0].from_dict(json.loads(run.params_json)))
        items = procedure.table.get("items", {})
        return {k: ItemTerms(k, str(d.get("name", k)), str(d.get("name_en", "")), str(d.get("layout", "")))
                for k, d in items.items()}

    def step_results(self, run_id: str) -> tuple[list[StepResult], dict[int, list[str]]]:
        """Every judged result of the run's finished steps in step order, and the faults each
        position had (position → messages, in order, each once): the bench view rebuilt from disk."""
        results: list[StepResult] = []
        faults: dict[int, dict[str, None]] = {}
        for step in self.store.steps(run_id):
            outcome = StepOutcome.from_dict(json.loads(step.outcome_json))
            results.extend(StepResult(step.step_key, step.item, r) for r in outcome.results)
            for pos, message in (outcome.data.get("position_faults") or {}).items():
                faults.setdefault(int(pos), {})[str(message)] = None
        return results, {p: list(m) for p, m in faults.items()}

    def follow_ups(self, run_id: str) -> dict[int, FollowUp]:
        """Position → the follow-up run that re-tests it (the latest, if several were voided)."""
        out: dict[int, FollowUp] = {}
        for run in sorted(self.store.runs(), key=lambda r: r.started_at):
            if run.retest_of != run_id:
                continue
            for p in self.store.positions(run.id):
                if run.status != "void" or p.position not in out:
                    out[p.position] = FollowUp(run.id, run.status, p.status, p.conclusion)
        return out

    def retests_of(self, run_id: str) -> list[str]:
        """The ids of the follow-up runs of ``run_id``, oldest first."""
        return [r.id for r in sorted(self.store.runs(), key=lambda r: r.started_at) if r.retest_of == run_id]


def step_outcome_results(outcome: dict[str, Any]) -> list[MeasurementResult]:
    """The results of a StepFinished event's JSON outcome."""
    return list(StepOutcome.from_dict(outcome).results)
