"""A whole JJG 596 bench run in-process: controller → ModbusBench over Modbus TCP on loopback → the
meter-bench twin (24 meters, accelerated physics) → one record and document per position.

A passing batch; one meter with a large true error failing alone; a stuck and a dead position
reported as position faults (需复检) while the others complete; a bench that stops answering pausing
the run, and a resume (new twins, as after a restart) that keeps every reading taken."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.cli import demo_entries
from bench.controller import Controller, RunRequest
from bench.operators import AutoOperator
from bench.station import Station, example_station_path, load_station
from bench.store import Store
from procedures.engine import Event, ReadingTaken
from procedures.records import Verdict

pytestmark = pytest.mark.timeout(120)


def _station(positions: int = 24) -> Station:
    st = load_station(example_station_path("meter"))
    st.raw["sim"]["speed"] = 1000
    st.raw["bench"]["positions"] = positions
    st.raw["devices"]["bench"]["positions"] = positions
    for dev in st.devices:
        dev.config["positions"] = positions
        dev.config["timeout_s"] = 0.3
    return st


def _by_position(outcome: object, step: str) -> dict[int, object]:
    return {r.position: r for r in outcome.outcomes[step].results}  # type: ignore[attr-defined]


async def test_passing_batch_gets_a_certificate_per_position(meter_store: Store, tmp_path: Path) -> None:
    ctl = Controller(meter_store, tmp_path / "out")
    errors = [round(-0.46 + 0.04 * i, 2) for i in range(24)]  # −0.46 … +0.46 %, class 2 (MPE ±2.0 / ±2.5)
    run_id = ctl.prepare(RunRequest(station=_station(), regulation="jjg596",
                                    sim_overrides={"meter_bench": {"errors_pct": errors, "noise_pct": 0.005}}))
    summary = await ctl.execute(run_id, AutoOperator(demo_entries(ctl)))
    assert summary.status == "finished", summary.message
    outcome = summary.outcome
    assert outcome is not None
    # every basic-error point: each position's mean equals its true error within noise + one pulse of the
    # standard (C0 = 2e7 imp/kWh: ≥ 25000 standard pulses per gate) + the standard's 0.002 %
    for k in range(1, 11):
        res = _by_position(outcome, f"basic_error_{k}")
        assert sorted(res) == list(range(1, 25))
        for p, r in res.items():
            assert abs(r.mean - errors[p - 1]) < 0.02, (k, p, r.mean)  # type: ignore[attr-defined]
            assert r.verdict is Verdict.PASS and r.position == p  # type: ignore[attr-defined]
    assert outcome.outcomes["creep"].verdict is Verdict.PASS and outcome.outcomes["starting"].verdict is Verdict.PASS
    assert all(int(r.rounded) >= 1 for r in outcome.outcomes["starting"].results)
    clock = _by_position(outcome, "daily_clock")
    assert all(r.verdict is Verdict.PASS and len(r.values) == 5 for r in clock.values())  # type: ignore[attr-defined]
    assert all(not o.data.get("position_faults") for o in outcome.outcomes.values())
    assert len(summary.positions) == 24
    for ps in summary.positions:
        assert ps.status == "finished" and ps.conclusion == "合格" and ps.certificate_no.startswith("JD")
        assert ps.serial == f"SIMEM{ps.position:04d}" and ps.document is not None and ps.document.exists()
        assert ps.record is not None and ps.record.instrument.serial == ps.serial
        assert [i.key for i in ps.record.items] == ["appearance", "ac_voltage", "creep", "starting", "basic_error",
                                                    "constant", "daily_clock"]
        assert all(r.position in (None, ps.position) for i in ps.record.items for r in i.results)
    assert summary.positions[0].record is not None and summary.positions[0].record.regulation_code == "JJG 596-2012"
    keys = {(r.step_key, r.key) for r in meter_store.readings(run_id)}
    assert {("basic_error_1", "p01:r1"), ("basic_error_10", "p24:r2"), ("daily_clock", "p07:clock:r5"),
            ("creep", "p24:pulses"), ("constant", "p12:register")} <= keys


async def test_one_bad_meter_fails_alone(meter_store: Store, tmp_path: Path) -> None:
    ctl = Controller(meter_store, tmp_path / "out")
    errors = [0.1] * 8
    errors[4] = 3.0  # position 5: +3 % (class 2 MPE ±2.0 %)
    run_id = ctl.prepare(RunRequest(station=_station(8), regulation="jjg596",
                                    sim_overrides={"meter_bench": {"errors_pct": errors}}))
    summary = await ctl.execute(run_id, AutoOperator(demo_entries(ctl)))
    assert summary.status == "finished", summary.message
    be = _by_position(summary.outcome, "basic_error_2")
    assert be[5].verdict is Verdict.FAIL and be[5].rounded == "+3.0"  # type: ignore[attr-defined]
    assert all(be[p].verdict is Verdict.PASS for p in be if p != 5)  # type: ignore[attr-defined]
    status = {p.position: (p.status, p.conclusion) for p in summary.positions}
    assert status == {p: ("finished", "不合格" if p == 5 else "合格") for p in range(1, 9)}
    bad = next(p for p in summary.positions if p.position == 5)
    assert bad.record is not None and not bad.record.passed and bad.record.valid_until is None
    assert [i.key for i in bad.record.failing_items] == ["basic_error", "constant"]


async def test_stuck_and_dead_positions_are_faults_the_others_complete(meter_store: Store, tmp_path: Path) -> None:
    ctl = Controller(meter_store, tmp_path / "out")
    run_id = ctl.prepare(RunRequest(station=_station(8), regulation="jjg596",
                                    sim_overrides={"meter_bench": {"stuck": [3], "dead": [6]}}))
    summary = await ctl.execute(run_id, AutoOperator(demo_entries(ctl)))
    assert summary.status == "finished", summary.message
    faults = summary.outcome.outcomes["basic_error_1"].data["position_faults"]  # type: ignore[union-attr]
    assert set(faults) == {"3", "6"}
    assert "表位 3" in faults["3"] and "无脉冲" in faults["3"] and "表位 6" in faults["6"] and "无响应" in faults["6"]
    be = _by_position(summary.outcome, "basic_error_1")
    assert be[3].rounded == "—" and be[3].verdict is Verdict.NOT_APPLICABLE  # type: ignore[attr-defined]
    assert be[1].verdict is Verdict.PASS  # type: ignore[attr-defined]
    clock = summary.outcome.outcomes["daily_clock"].data["position_faults"]  # type: ignore[union-attr]
    assert "时钟" in clock["3"] or "无脉冲" in clock["3"]
    by = {p.position: p for p in summary.positions}
    assert by[3].status == "retest" and by[6].status == "retest" and by[3].certificate_no == ""
    assert "表位 3" in by[3].message and by[3].document is None
    assert all(by[p].status == "finished" and by[p].conclusion == "合格" for p in (1, 2, 4, 5, 7, 8))


async def test_dropped_bench_line_pauses_then_resume_keeps_readings(meter_store: Store, tmp_path: Path) -> None:
    ctl = Controller(meter_store, tmp_path / "out")
    run_id = ctl.prepare(RunRequest(station=_station(8), regulation="jjg596"))

    def sink(ev: Event) -> None:
        if isinstance(ev, ReadingTaken) and (ev.step_key, ev.key) == ("basic_error_3", "p01:r1") and ctl.sim:
            ctl.sim.cut_bench_line()

    ctl.bus.add_sink(sink)
    first = await ctl.execute(run_id, AutoOperator(demo_entries(ctl)))
    assert first.status == "paused", first
    assert first.message.startswith("bench: "), first.message
    assert meter_store.get_run(run_id).status == "paused"
    before = [(r.id, r.step_key, r.key, r.value) for r in meter_store.readings(run_id)]
    assert ("basic_error_3", "p08:r1") in {(s, k) for _, s, k, _ in before}
    assert ("basic_error_3", "p01:r2") not in {(s, k) for _, s, k, _ in before}

    ctl2 = Controller(meter_store, tmp_path / "out")  # as after a restart: new twins
    second = await ctl2.execute(run_id, AutoOperator(demo_entries(ctl2)))
    assert second.status == "finished", second.message
    after = [(r.id, r.step_key, r.key, r.value) for r in meter_store.readings(run_id)]
    assert after[: len(before)] == before  # nothing taken is lost or changed
    keys = [(s, k) for _, s, k, _ in after]
    assert keys.count(("basic_error_3", "p01:r1")) == 1 and keys.count(("basic_error_3", "p01:r2")) == 1
    assert keys.count(("creep", "p01:pulses")) == 1
    r1 = next(v for _, s, k, v in before if (s, k) == ("basic_error_3", "p04:r1"))
    res = _by_position(second.outcome, "basic_error_3")
    assert res[4].values[0] == r1  # type: ignore[attr-defined]
    assert len(second.positions) == 8 and all(p.status == "finished" for p in second.positions)
