"""JJG 443 test conditions end to end, through the controller on the twins (the dispenser speaking
JD-DSP/1 over a pseudo-terminal cable, the can twin read by the demo operator): a condition not met
repeats the delivery (then the run passes) or voids the run (no record, no certificate, no notice,
``jianding runs`` shows 无效 and the reason); a can whose U95 is too large for the MPE refuses the
run before it starts; a point in the JJF 1094 undetermined zone is measured again, never printed;
a pump without power pauses the run with a clear fault, and a cut line mid-delivery loses nothing.

Hand-worked numbers:
- The twin's can settles ``temperature_offset_c`` from the nozzle's fuel (24 °C ± 0.2): at −5 °C
  (± 0.1 °C noise) |t_J − t_B| ≈ 5 °C > 4 °C on every delivery; at −0.6 °C it is ≈ 0.6 °C.
- A pump at 0.8 of the asked flow: Q1 asks 0.95 × 60 = 57 L/min and gets ≈ 45.6 L/min (±1 %),
  outside Q1's window 54~60 L/min.
- Can U95 0.2 % against MPE ±0.30 % × 1/3 = 0.1 %: refused. Can U95 0.09 % (accepted): the run's
  budget (20 L, 2 mL/mm read to 0.5 mm, display 0.01 L, thermometers 0.2 °C, gasoline, stainless):
  u = 0.045, 0.0028868, 0.0144338, 0.0138564, 0.0132791 % → u_c = √0.0026100 = 0.0510883 %
  → U95 = 0.1022 % > MPE/3, so the guard band applies: pass iff |E| ≤ 0.30 − 0.1022 = 0.1978 %
  (rounded: ≤ 0.19), fail iff |E| ≥ 0.4022 %, in between undetermined — a meter at +0.28 % is
  undetermined; at +0.12 % it passes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.cli import demo_entries, main
from bench.controller import Controller, RunRequest
from bench.operators import AutoOperator
from bench.station import Station, StationError, example_station_path, load_station, parse_station
from bench.store import Store
from procedures.engine import Event, OperatorPrompt, Progress, ReadingTaken
from procedures.engine.context import REPEAT, VOID
from tests.bench.test_fuel_e2e import fast, resume_keeping_readings, store_with_can

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.skipif(sys.platform == "win32", reason="the dispenser twin's cable is a pair of pseudo-terminals"),
]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return store_with_can(tmp_path / "fuel.db")


def _station(can_u95: float | None = None, **indication: Any) -> Station:
    """The fuel demo station made quick, with the can's U95 and [procedure.items.indication_error]
    keys changed."""
    raw: dict[str, Any] = load_station(example_station_path("fuel")).raw
    if can_u95 is not None:
        raw["devices"]["can"]["u95_pct"] = can_u95
    raw["procedure"].setdefault("items", {}).setdefault("indication_error", {}).update(indication)
    return fast(parse_station(raw, "fuel_conditions.toml"))


def _on_condition(ctl: Controller, fix: Any, answer: str = REPEAT) -> AutoOperator:
    """The demo operator; at a "test condition not met" prompt it first applies ``fix`` to the
    twins (the technician deals with the cause), then answers ``answer``."""
    op = AutoOperator(demo_entries(ctl))

    async def choice(prompt: OperatorPrompt) -> str:
        if prompt.text.startswith("检定条件不满足"):
            assert ctl.sim is not None
            fix(ctl.sim)
            return next(o for o in prompt.items if o == answer)
        return prompt.items[0]

    op.choice = choice  # type: ignore[method-assign]
    return op


def _marks(store: Store, run_id: str) -> list[Any]:
    return [r for r in store.readings(run_id) if r.quantity == "condition_not_met"]


def _reason(mark: Any) -> str:
    return str(json.loads(mark.extra_json)["reason"])


def test_can_with_too_large_u95_refuses_the_run_naming_it_and_both_numbers(store: Store, tmp_path: Path) -> None:
    with pytest.raises(StationError) as err:
        Controller(store, tmp_path).prepare(RunRequest(station=_station(can_u95=0.2), regulation="jjg443"))
    text = str(err.value)
    assert "can" in text and "JDSIM-CAN-0001" in text and "volume_standard" in text
    assert "U95 = 0.2 %" in text and "±0.3 %" in text and "1/3" in text and "0.1 %" in text
    assert store.runs() == []  # nothing was created


async def test_temperature_difference_repeats_the_delivery_then_passes(store: Store, tmp_path: Path) -> None:
    ctl = Controller(store, tmp_path / "out")
    run_id = ctl.prepare(RunRequest(station=_station(), regulation="jjg443",
                                    sim_overrides={"can": {"temperature_offset_c": -5.0}}))
    summary = await ctl.execute(run_id, _on_condition(ctl, lambda sim: sim.set_can_temperature_offset(-0.6)))
    assert summary.status == "finished", summary.message
    rec = summary.record
    assert rec is not None and rec.passed and rec.flags == ()
    marks = _marks(store, run_id)
    assert len(marks) == 1 and (marks[0].step_key, marks[0].key) == ("flow_point_1", "condition:r1@1")
    reason = _reason(marks[0])
    assert "Q1 (Qmax) 第1次: |t_J − t_B| = " in reason and "°C > 4 °C" in reason
    keys = {(r.step_key, r.key) for r in store.readings(run_id)}
    assert {("flow_point_1", "r1:t_b"), ("flow_point_1", "r1@2:t_b"), ("flow_point_1", "r1@2:v_j")} <= keys
    q1 = next(i for i in rec.items if i.key == "indication_error").results[0]
    assert len(q1.values) == 3 and abs(q1.mean - 0.12) < 0.06  # the three valid deliveries only


async def test_temperature_difference_voided_gives_no_record_and_no_document(
        store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ctl = Controller(store, tmp_path / "out")
    run_id = ctl.prepare(RunRequest(station=_station(), regulation="jjg443",
                                    sim_overrides={"can": {"temperature_offset_c": -5.0}}))
    summary = await ctl.execute(run_id, AutoOperator(demo_entries(ctl), choices={"检定条件不满足": VOID}))
    assert summary.status == "void" and summary.record is None and summary.document is None
    assert "|t_J − t_B|" in summary.message and "> 4 °C" in summary.message
    run = store.get_run(run_id)
    assert run.status == "void" and run.conclusion == "无效" and "|t_J − t_B|" in run.message
    assert run.record_json in (None, "") and not run.certificate_no
    assert not list((tmp_path / "out").glob("**/*.pdf"))
    assert main(["--db", str(store.path), "runs"]) == 0
    listed = capsys.readouterr().out
    assert "void" in listed and "无效" in listed and "|t_J − t_B|" in listed


async def test_weak_pump_repeats_the_delivery_after_the_filter_is_changed(store: Store, tmp_path: Path) -> None:
    ctl = Controller(store, tmp_path / "out")
    run_id = ctl.prepare(RunRequest(station=_station(), regulation="jjg443",
                                    sim_overrides={"dispenser": {"flow_factor": 0.8}}))
    summary = await ctl.execute(run_id, _on_condition(ctl, lambda sim: sim.set_flow_factor(1.0)))
    assert summary.status == "finished", summary.message
    assert summary.record is not None and summary.record.passed
    marks = _marks(store, run_id)
    assert len(marks) == 1 and "超出 Q1 窗口 54~60 L/min" in _reason(marks[0])


async def test_weak_pump_voids_the_run_after_the_attempts(store: Store, tmp_path: Path) -> None:
    ctl = Controller(store, tmp_path / "out")
    run_id = ctl.prepare(RunRequest(station=_station(), regulation="jjg443",
                                    sim_overrides={"dispenser": {"flow_factor": 0.8}}))
    summary = await ctl.execute(run_id, AutoOperator(demo_entries(ctl)))  # "measure again", every time
    assert summary.status == "void" and summary.record is None and summary.document is None
    assert "连续 3 次" in summary.message and "超出 Q1 窗口 54~60 L/min" in summary.message
    assert len(_marks(store, run_id)) == 3 and store.get_run(run_id).conclusion == "无效"
    again = await Controller(store, tmp_path / "out").execute(run_id, AutoOperator(demo_entries(ctl)))
    assert again.status == "void" and again.record is None  # a void run stays void


async def test_undetermined_point_is_measured_again_not_printed(store: Store, tmp_path: Path) -> None:
    station = _station(can_u95=0.09)  # accepted (≤ 0.1 %), but the run's U95 is 0.1022 % > MPE/3
    ctl = Controller(store, tmp_path / "out")
    run_id = ctl.prepare(RunRequest(station=station, regulation="jjg443",
                                    sim_overrides={"dispenser": {"error_pct": 0.28, "noise_pct": 0.0}}))

    def repaired(sim: Any) -> None:  # the technician finds the meter's adjustment seal tampered with, say
        sim.call_soon(setattr, sim.dispenser_twin, "error_pct", 0.12)

    summary = await ctl.execute(run_id, _on_condition(ctl, repaired))
    assert summary.status == "finished", summary.message
    rec = summary.record
    assert rec is not None and rec.passed
    points = next(i for i in rec.items if i.key == "indication_error").results
    assert all(r.uncertainty == pytest.approx(0.1022, abs=1e-4) for r in points)
    assert all(r.verdict.value == "pass" and abs(float(r.rounded)) <= 0.19 for r in points)
    marks = _marks(store, run_id)
    assert len(marks) == 1 and marks[0].step_key == "flow_point_1" and "待定区" in _reason(marks[0])
    keys = {(r.step_key, r.key) for r in store.readings(run_id)}
    assert ("flow_point_1", "@2:r1:v_j") in keys and ("flow_point_1", "r3:v_j") in keys  # the first attempt kept


async def test_pump_without_power_pauses_and_resumes(store: Store, tmp_path: Path) -> None:
    # station [sim.dispenser] no_flow = true: the first authorised delivery never starts
    station = _station(no_flow_s=0.3)
    station.raw["sim"]["dispenser"]["no_flow"] = True
    ctl = Controller(store, tmp_path / "out")
    run_id = ctl.prepare(RunRequest(station=station, regulation="jjg443"))
    first = await ctl.execute(run_id, AutoOperator(demo_entries(ctl)))
    assert first.status == "paused", first
    assert first.message.startswith("dispenser: ") and "无增加" in first.message and "no volume advancing" in first.message
    assert store.get_run(run_id).status == "paused"
    assert not [r for r in store.readings(run_id) if r.key.endswith(":interface")]


async def test_power_lost_mid_run_then_resume_keeps_every_reading(store: Store, tmp_path: Path) -> None:
    ctl = Controller(store, tmp_path / "out")
    run_id = ctl.prepare(RunRequest(station=_station(no_flow_s=0.3), regulation="jjg443"))

    def sink(ev: Event) -> None:  # the pump loses power as the Q2 can is made ready
        if isinstance(ev, ReadingTaken) and (ev.step_key, ev.key) == ("flow_point_2", "r1:can_ready") and ctl.sim:
            ctl.sim.set_dispenser_fault("no_flow", True)

    ctl.bus.add_sink(sink)
    first = await ctl.execute(run_id, AutoOperator(demo_entries(ctl)))
    assert first.status == "paused" and "Q2" in first.message and "no volume advancing" in first.message
    second, keys = await resume_keeping_readings(store, run_id, tmp_path / "out")  # power back: new twins
    assert [keys.count(("flow_point_2", f"r{k}:v_j")) for k in (1, 2, 3)] == [1, 1, 1]
    assert second.record is not None and second.record.passed


async def test_line_cut_mid_delivery_then_resume_loses_nothing(store: Store, tmp_path: Path) -> None:
    ctl = Controller(store, tmp_path / "out")
    run_id = ctl.prepare(RunRequest(station=_station(), regulation="jjg443"))

    def sink(ev: Event) -> None:  # the RS-485 line is pulled while Q2's second delivery runs
        if isinstance(ev, Progress) and ev.step_key == "flow_point_2" and "Q2 第2次: " in ev.message \
                and "L/min" in ev.message and ctl.sim:
            ctl.sim.cut_serial_line()

    ctl.bus.add_sink(sink)
    first = await ctl.execute(run_id, AutoOperator(demo_entries(ctl)))
    assert first.status == "paused" and first.message.startswith("dispenser: "), first
    before = [(r.id, r.step_key, r.key, r.value) for r in store.readings(run_id)]
    taken = {(s, k) for _, s, k, _ in before}
    assert ("flow_point_2", "r1:v_j") in taken and ("flow_point_2", "r2:interface") not in taken
    second, keys = await resume_keeping_readings(store, run_id, tmp_path / "out")
    assert [keys.count(("flow_point_2", f"r{k}:interface")) for k in (1, 2, 3)] == [1, 1, 1]
    assert second.record is not None and second.record.passed
