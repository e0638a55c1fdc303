"""Conditions of a valid verification, through the controller on the simulated AC post: a standard
whose U95 is too large for the MPE refuses the run before it starts (naming the standard and both
numbers); a result in the JJF 1094 undetermined zone is measured again or voids the run, and a void
run gets no record, no certificate and no notice."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.cli import demo_entries, main
from bench.controller import Controller, RunRequest
from bench.operators import AutoOperator
from bench.station import Station, StationError, parse_station
from bench.store import Store
from procedures.engine.context import VOID

pytestmark = pytest.mark.timeout(90)


def _u95(station: Station, value: float | None) -> Station:
    """The station with its reference's U95 set to ``value`` (None: not on record)."""
    raw = dict(station.raw)
    ref = dict(raw["devices"]["reference"])
    ref.pop("u95_pct", None)
    if value is not None:
        ref["u95_pct"] = value
    raw["devices"] = {**raw["devices"], "reference": ref}
    return parse_station(raw, station.path)


def test_standard_with_too_large_u95_refuses_the_run_naming_it_and_both_numbers(
        store: Store, station: Station, tmp_path: Path) -> None:
    station = _u95(station, 0.8)  # class-2 post: MPE ±2 %, 1/3 → 0.667 %
    with pytest.raises(StationError) as err:
        Controller(store, tmp_path).prepare(RunRequest(station=station))
    text = str(err.value)
    assert "reference" in text and "JDSIM-REF-0001" in text
    assert "0.8 %" in text and "±2 %" in text and "1/3" in text and "0.6667 %" in text
    assert store.runs() == []  # nothing was created


def test_standard_without_u95_on_record_refuses_the_run(store: Store, station: Station, tmp_path: Path) -> None:
    station = _u95(station, None)
    with pytest.raises(StationError, match="未登记 U95"):
        Controller(store, tmp_path).prepare(RunRequest(station=station))


def _loose_ratio(station: Station) -> Station:
    """A laboratory allowing U95 up to 1/2 of the MPE, with a standard of U95 0.9 % on a class-2
    post: the guard band is ±(2 − 0.9) … ±(2 + 0.9) %, so an error of +1.6 % is undetermined."""
    station.raw.setdefault("procedure", {})["standard_uncertainty"] = {"ratio": "1/2"}
    return _u95(station, 0.9)


async def test_undetermined_result_voided_gives_no_record_and_no_document(
        store: Store, station: Station, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    station = _loose_ratio(station)
    ctl = Controller(store, tmp_path / "out")
    run_id = ctl.prepare(RunRequest(station=station, sim_overrides={"ac_post": {"error_pct": 1.6}}))
    op = AutoOperator(demo_entries(ctl), choices={"检定条件不满足": VOID})
    summary = await ctl.execute(run_id, op)
    assert summary.status == "void" and summary.record is None and summary.document is None
    assert "待定区" in summary.message
    run = store.get_run(run_id)
    assert run.status == "void" and run.conclusion == "无效" and "待定区" in run.message
    assert run.record_json in (None, "") and not run.certificate_no
    assert not list((tmp_path / "out").glob("**/*.pdf"))
    marks = [r for r in store.readings(run_id) if r.quantity == "condition_not_met"]
    assert len(marks) == 1 and marks[0].step_key == "working_error_1"
    # a void run stays void: resume does not turn it into a verdict
    again = await Controller(store, tmp_path / "out").execute(run_id, op)
    assert again.status == "void" and again.record is None
    assert main(["--db", str(store.path), "runs"]) == 0
    assert "void" in capsys.readouterr().out


async def test_undetermined_result_measured_again_until_it_can_be_judged(
        store: Store, station: Station, tmp_path: Path) -> None:
    station = _loose_ratio(station)
    ctl = Controller(store, tmp_path / "out")
    run_id = ctl.prepare(RunRequest(station=station, sim_overrides={"ac_post": {"error_pct": 1.6}}))

    def fix_post(_: object) -> None:  # the technician finds a loose PF cable contact, say
        assert ctl.sim is not None
        ctl.sim.post_twin.rig.dut.error_pct = 0.3

    op = AutoOperator(demo_entries(ctl))
    real_choice = op.choice

    async def choice(prompt: object) -> str:
        fix_post(prompt)
        return await real_choice(prompt)  # type: ignore[arg-type]

    op.choice = choice  # type: ignore[method-assign]
    summary = await ctl.execute(run_id, op)
    assert summary.status == "finished", summary.message
    assert summary.record is not None and summary.record.passed
    we = next(i for i in summary.record.items if i.key == "working_error")
    assert all(r.verdict.value == "pass" for r in we.results)
    keys = [(r.step_key, r.key) for r in store.readings(run_id)]
    assert ("working_error_1", "@2:gate_1") in keys  # the re-measurement, kept apart from the first


async def test_station_sets_how_often_a_measurement_is_taken_again(
        store: Store, station: Station, tmp_path: Path) -> None:
    station = _loose_ratio(station)
    station.raw["procedure"]["max_condition_attempts"] = 1
    ctl = Controller(store, tmp_path / "out")
    run_id = ctl.prepare(RunRequest(station=station, sim_overrides={"ac_post": {"error_pct": 1.6}}))
    asked: list[str] = []
    op = AutoOperator(demo_entries(ctl))
    real = op.choice

    async def choice(prompt: object) -> str:
        asked.append(str(prompt))
        return await real(prompt)  # type: ignore[arg-type]

    op.choice = choice  # type: ignore[method-assign]
    summary = await ctl.execute(run_id, op)
    assert summary.status == "void" and "1 次" in summary.message and not asked
