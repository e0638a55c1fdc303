"""JJG 596 end to end on the simulated bench, for what the pulses alone cannot show: controller →
ModbusBench over Modbus TCP and Dlt645Meters over an RS-485 pseudo-terminal → the bench twin and
its meters.

* a meter whose register (计度器) advances 1 % more than its pulses fails the constant test and only
  that item (class 1: limit 1.0 %; its true error +0.3 % → register error ≈ (1.003 × 1.01 − 1) =
  +1.3 %, the register's last digit 0.01 kWh over 10 kWh adding at most ±0.1 %);
* the meters' line dropped in the middle of the constant test pauses the run; the resumed run keeps
  every reading taken and runs the test again as attempt 2;
* the technician entering the registers from the displays when the station has no meters' port;
* a source that delivers no current pauses the run at the first step that applies current, and a
  current circuit opening mid-run pauses it there, readings kept, resumable;
* a three-phase batch: one meter fails only the difference between an element's error and its
  balanced-load error (class 2: element errors +2.8, −1.2, −1.0 % → balanced +0.2 %, element A
  within ±3.0 % but 2.8 − 0.2 = 2.6 beyond the 2.5 difference limit).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.cli import demo_entries
from bench.controller import Controller, RunRequest
from bench.operators import AutoOperator
from bench.station import Station, example_station_path, load_station, parse_station
from bench.store import Store
from procedures.engine import Event, ReadingTaken, StepStarted
from procedures.records import Verdict

pytestmark = pytest.mark.timeout(180)


def _station(positions: int = 6, *, cls: str = "1", port: bool = True, connection: str = "single_phase",
             items: list[str] | None = None) -> Station:
    raw = load_station(example_station_path("meter")).raw
    raw["sim"]["speed"] = 1000
    raw["bench"]["positions"] = positions
    raw["instrument"]["accuracy_class"] = cls
    raw["instrument"]["connection"] = connection
    for dev in raw["devices"].values():
        dev["positions"] = positions
        dev["timeout_s"] = 0.3
    if not port:
        raw["devices"].pop("meters")
    if items is not None:
        raw["procedure"] = {"editions": {"2012": {"items": items}}}
    return parse_station(raw, str(example_station_path("meter")))


def _by(outcome: object, step: str) -> dict[int, object]:
    return {r.position: r for r in outcome.outcomes[step].results}  # type: ignore[attr-defined]


async def test_register_one_percent_ahead_fails_the_constant_test_only(meter_store: Store, tmp_path: Path) -> None:
    ctl = Controller(meter_store, tmp_path / "out")
    errors = [0.1, 0.1, 0.3, 0.1, 0.1, 0.1]
    run_id = ctl.prepare(RunRequest(station=_station(), regulation="jjg596", sim_overrides={
        "meter_bench": {"errors_pct": errors, "noise_pct": 0.005, "register_error_pct": {"3": 1.0}}}))
    summary = await ctl.execute(run_id, AutoOperator(demo_entries(ctl)))
    assert summary.status == "finished", summary.message
    const = _by(summary.outcome, "constant")
    assert const[3].verdict is Verdict.FAIL and 1.2 <= float(const[3].rounded) <= 1.4  # type: ignore[attr-defined]
    for p in (1, 2, 4, 5, 6):
        assert const[p].verdict is Verdict.PASS and abs(float(const[p].rounded)) <= 0.2  # type: ignore[attr-defined]
    by = {ps.position: ps for ps in summary.positions}
    assert by[3].conclusion == "不合格" and by[3].record is not None
    assert [i.key for i in by[3].record.failing_items] == ["constant"]
    assert all(by[p].conclusion == "合格" for p in (1, 2, 4, 5, 6))
    readings = {(r.step_key, r.key): r for r in meter_store.readings(run_id)}
    before, after = readings["constant", "p03:register:before"], readings["constant", "p03:register:after"]
    assert before.source == "meters" and before.unit == "kWh" and after.value > before.value + 10.0
    assert summary.outcome.outcomes["constant"].data["register_source"] == "port"  # type: ignore[union-attr]


async def test_dropped_meter_line_mid_constant_test_pauses_and_resume_keeps_readings(meter_store: Store,
                                                                                      tmp_path: Path) -> None:
    ctl = Controller(meter_store, tmp_path / "out")
    items = ["appearance", "ac_voltage", "basic_error", "constant"]
    station = _station(4, items=items)
    station.raw["procedure"]["basic_error"] = {"load_points": [{"label": "Ib", "current": 1.0, "pf": "1"}]}  # stored raw
    run_id = ctl.prepare(RunRequest(station=station, regulation="jjg596"))

    def sink(ev: Event) -> None:
        if isinstance(ev, ReadingTaken) and (ev.step_key, ev.key) == ("constant", "p04:register:before") and ctl.sim:
            ctl.sim.cut_serial_line()

    ctl.bus.add_sink(sink)
    first = await ctl.execute(run_id, AutoOperator(demo_entries(ctl)))
    assert first.status == "paused", first
    assert first.message.startswith("meters: ") and "均无应答" in first.message, first.message
    before = [(r.id, r.step_key, r.key, r.value) for r in meter_store.readings(run_id)]
    keys = {(s, k) for _, s, k, _ in before}
    assert {("constant", "std:before"), ("constant", "std:after"), ("constant", "p01:register:before")} <= keys
    assert ("constant", "p01:register:after") not in keys

    ctl2 = Controller(meter_store, tmp_path / "out")  # as after a restart: new twins
    second = await ctl2.execute(run_id, AutoOperator(demo_entries(ctl2)))
    assert second.status == "finished", second.message
    after = [(r.id, r.step_key, r.key, r.value) for r in meter_store.readings(run_id)]
    assert after[: len(before)] == before  # nothing taken is lost or changed
    keys2 = [(s, k) for _, s, k, _ in after]
    assert keys2.count(("basic_error_1", "p01:r1")) == 1 and keys2.count(("constant", "p01:register:before")) == 1
    assert ("constant", "p01:register:after@2") in keys2 and ("constant", "p04:register@2") in keys2
    o = second.outcome.outcomes["constant"]  # type: ignore[union-attr]
    assert o.data["attempt"] == 2 and o.data["interrupted_attempts"] == [1]
    assert all(r.verdict is Verdict.PASS for r in o.results) and len(second.positions) == 4


async def test_registers_entered_from_the_displays(meter_store: Store, tmp_path: Path) -> None:
    ctl = Controller(meter_store, tmp_path / "out")
    run_id = ctl.prepare(RunRequest(station=_station(3, port=False, items=["constant"]), regulation="jjg596",
                                    sim_overrides={"meter_bench": {"register_error_pct": {"2": -2.0}}}))
    summary = await ctl.execute(run_id, AutoOperator(demo_entries(ctl)))
    assert summary.status == "finished", summary.message
    o = summary.outcome.outcomes["constant"]  # type: ignore[union-attr]
    assert o.data["register_source"] == "operator"
    assert [r.verdict for r in o.results] == [Verdict.PASS, Verdict.FAIL, Verdict.PASS]
    entered = [r for r in meter_store.readings(run_id) if r.key.startswith("p02:register:")]
    assert [r.source for r in entered] == ["operator", "operator"]
    assert json.loads(entered[0].extra_json)["text"].endswith(" kWh")


async def test_no_current_pauses_at_once_and_resumes(meter_store: Store, tmp_path: Path) -> None:
    ctl = Controller(meter_store, tmp_path / "out")
    run_id = ctl.prepare(RunRequest(station=_station(3), regulation="jjg596",
                                    sim_overrides={"meter_bench": {"no_current": True}}))
    first = await ctl.execute(run_id, AutoOperator(demo_entries(ctl)))
    assert first.status == "paused" and first.message.startswith("bench: 标准表未测到功率"), first.message
    assert "the standard sees no power: check the source/current circuit" in first.message
    assert not [r for r in meter_store.readings(run_id) if r.step_key == "starting"]  # nothing counted without current
    assert {r.step_key for r in meter_store.readings(run_id)} >= {"creep"}  # what came before is kept

    run2 = ctl.prepare(RunRequest(station=_station(3), regulation="jjg596"))  # circuit opens mid-run
    ctl.bus.add_sink(lambda ev: ctl.sim.source_no_current() if isinstance(ev, StepStarted)
                     and ev.step_key == "basic_error_3" and ctl.sim else None)
    paused = await ctl.execute(run2, AutoOperator(demo_entries(ctl)))
    assert paused.status == "paused" and "标准表未测到功率" in paused.message
    kept = [(r.step_key, r.key, r.value) for r in meter_store.readings(run2)]
    assert ("basic_error_2", "p01:r2") in {(s, k) for s, k, _ in kept}
    ctl2 = Controller(meter_store, tmp_path / "out")
    done = await ctl2.execute(run2, AutoOperator(demo_entries(ctl2)))
    assert done.status == "finished", done.message
    assert [(r.step_key, r.key, r.value) for r in meter_store.readings(run2)][: len(kept)] == kept
    assert all(p.conclusion == "合格" for p in done.positions)


async def test_three_phase_meter_fails_only_the_element_difference(meter_store: Store, tmp_path: Path) -> None:
    ctl = Controller(meter_store, tmp_path / "out")
    items = ["basic_error", "element_error", "constant"]
    run_id = ctl.prepare(RunRequest(
        station=_station(3, cls="2", connection="three_phase_4w", items=items), regulation="jjg596",
        sim_overrides={"meter_bench": {"errors_pct": 0.1, "noise_pct": 0.005,
                                       "element_errors_pct": {"2": [2.8, -1.2, -1.0]}}}))
    summary = await ctl.execute(run_id, AutoOperator(demo_entries(ctl)))
    assert summary.status == "finished", summary.message
    out = summary.outcome
    assert out is not None
    assert abs(_by(out, "basic_error_2")[2].mean - 0.2) < 0.03  # type: ignore[attr-defined]
    a = {(r.position, r.name): r for r in out.outcomes["element_error_1A"].results}
    assert a[2, "分元件误差"].verdict is Verdict.PASS and a[2, "分元件误差"].rounded == "+2.8"
    assert a[2, "元件误差之差"].rounded == "+2.6" and a[2, "元件误差之差"].verdict is Verdict.FAIL
    b = {(r.position, r.name): r for r in out.outcomes["element_error_1B"].results}
    assert b[2, "元件误差之差"].rounded == "-1.4" and b[2, "元件误差之差"].verdict is Verdict.PASS
    by = {ps.position: ps for ps in summary.positions}
    assert by[2].record is not None and [i.key for i in by[2].record.failing_items] == ["element_error"]
    assert [i.key for i in by[1].record.items] == items and by[1].conclusion == "合格"  # type: ignore[union-attr]
    assert by[3].conclusion == "合格"
