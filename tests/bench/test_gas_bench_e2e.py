"""A whole JJG 577 run in-process: controller → the Modbus flow-bench driver → the flow-bench twin
(gas, bell prover) over Modbus TCP on loopback → per-position errors → record → documents; a failing
position, a position without pulses (a fault for that position only) and a laboratory out of
conditions (the run is refused with a message naming the condition).

The twin lets the gas expand from the bell's conditions to the meters' (V_m = V·(p_s/p_m)·(T_m/T_s),
its own formula): here the bell is at 101.0 kPa / 19.5 °C and the meters at 102.5 kPa / 20.5 °C, so a
procedure that skipped the p/T correction would be off by (101.0/102.5)·(293.65/292.65) − 1 =
−1.13 % at every point, far outside the ±0.25 % the tests allow around the twin's true errors.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from bench.controller import Controller, RunRequest, RunSummary
from bench.operators import AutoOperator
from bench.station import Station, example_station_path, load_station
from bench.store import Store
from procedures.records import Verdict
from procedures.regulations.common import position_faults
from procedures.regulations.jjg577 import GasParams, Jjg577

pytestmark = [pytest.mark.timeout(120)]

BELL = {"name": "钟罩式气体流量标准装置 (模拟)", "model": "JD-SIM-BELL", "serial": "JDSIM-BELL-0001",
        "certificate_no": "SIM-CAL-2026-0577", "accuracy": "U = 0.2 % (k=2)", "measuring_range": "(0.016~6) m³/h"}
# Bell and meters far apart in p and T (see the module docstring).
CONDITIONS = {"standard_pressure_kpa": 101.0, "standard_temperature_c": 19.5, "pressure_kpa": 102.5,
              "gas_temperature_c": 20.5}
# The station's true errors: curve 1.5 % at qmin (0.025/4 = 0.00625 qmax), 0.6 % at 0.2 qmax, 0.3 % at
# qmax, plus per-position offsets 0, −0.2, +0.3 (cycled over 6 positions).
OFFSETS = {1: 0.0, 2: -0.2, 3: 0.3, 4: 0.0, 5: -0.2, 6: 0.3}


@pytest.fixture
def gas_store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "gas.db")
    s.add_standard(**BELL, calibrated_on=date.today() - timedelta(days=10), valid_until=date.today() + timedelta(days=100))
    return s


@pytest.fixture
def gas_station() -> Station:
    st = load_station(example_station_path("gas"))
    st.raw["sim"]["speed"] = 3000
    return st


def _procedure(store: Store, run_id: str) -> Jjg577:
    import json

    run = store.get_run(run_id)
    return Jjg577(GasParams.from_dict(json.loads(run.params_json)))


async def _run(store: Store, station: Station, tmp_path: Path, **sim: Any) -> tuple[RunSummary, Jjg577]:
    ctl = Controller(store, tmp_path / "out")
    run_id = ctl.prepare(RunRequest(station=station, regulation="jjg577",
                                    sim_overrides={"flow_bench": {**CONDITIONS, **sim}}))
    summary = await ctl.execute(run_id, AutoOperator({}))
    return summary, _procedure(store, run_id)


def _by_position(summary: RunSummary, step: str) -> dict[int, Any]:
    assert summary.outcome is not None
    return {r.position: r for r in summary.outcome.outcomes[step].results}


async def test_passing_batch_of_six(gas_store: Store, gas_station: Station, tmp_path: Path) -> None:
    summary, proc = await _run(gas_store, gas_station, tmp_path)
    assert summary.status == "finished", summary.message
    assert summary.outcome is not None
    outcomes = summary.outcome.outcomes
    assert proc.positions == (1, 2, 3, 4, 5, 6)
    qmax, q02 = _by_position(summary, "flow_point_1"), _by_position(summary, "flow_point_2")
    for p in proc.positions:  # 60 L at 0.1 L/pulse: ±1 pulse = ±0.17 %, noise 0.02 %
        assert abs(qmax[p].mean - (0.3 + OFFSETS[p])) < 0.25, (p, qmax[p].mean)
        assert abs(q02[p].mean - (0.6 + OFFSETS[p])) < 0.25, (p, q02[p].mean)
        items = proc.items(outcomes, p)
        assert [i.key for i in items] == ["test_conditions", "appearance", "tightness", "indication_error"]
        assert all(i.verdict is Verdict.PASS for i in items), (p, [(i.key, i.verdict) for i in items])
    assert position_faults(outcomes) == {}
    d = outcomes["flow_point_1"].data
    assert d["p_s_kpa"] == pytest.approx([101.0], abs=0.05) and d["p_m_kpa"] == pytest.approx([102.5], abs=0.05)
    assert d["correction_applied"] == [True]
    env = proc.environment(outcomes)
    assert env == {"temperature_c": pytest.approx(20.0, abs=0.2), "humidity_pct": pytest.approx(55.0, abs=0.5),
                   "pressure_kpa": pytest.approx(101.3, abs=0.2)}
    keys = {(r.step_key, r.key) for r in gas_store.readings(summary.run_id)}
    assert {("flow_point_1", "p01:qmax:r1"), ("flow_point_3", "p06:qmin:r1"), ("flow_point_2", "std:q0.2max:r1"),
            ("lab_conditions", "lab:humidity_pct")} <= keys
    positions = summary.positions  # per-position freezing (bench/controller.py)
    assert [(ps.position, ps.status) for ps in positions] == [(p, "finished") for p in range(1, 7)]
    assert [ps.serial for ps in positions] == [f"SIMGM{p:04d}" for p in range(1, 7)]
    assert all(ps.conclusion == "合格" and ps.certificate_no and ps.document for ps in positions)
    rec = positions[2].record
    assert rec is not None and rec.instrument.serial == "SIMGM0003" and rec.regulation_code == "JJG 577-2012"
    # a household meter (qmax 4 m³/h, natural gas, trade): a 10-year service life, never 有效期至
    assert rec.valid_until is None and rec.validity_kind == "service_life"
    assert rec.service_life_until is not None and rec.service_life_until.year == date.today().year + 10
    assert [r.position for r in rec.items[3].results] == [3, 3, 3]
    assert any(r.name == "大气压力" for r in rec.items[0].results)


async def test_one_failing_position_and_one_without_pulses(gas_store: Store, gas_station: Station,
                                                           tmp_path: Path) -> None:
    # Position 2 reads 2.4 % high above qt (fails ±1.5 %); position 4 sends no pulses.
    summary, proc = await _run(gas_store, gas_station, tmp_path, no_pulses=[4],
                               curves={"2": {"0.00625": 1.0, "0.2": 2.4, "1.0": 2.4}})
    assert summary.status == "finished", summary.message
    assert summary.outcome is not None
    outcomes = summary.outcome.outcomes
    qmax = _by_position(summary, "flow_point_1")
    assert qmax[2].verdict is Verdict.FAIL and abs(qmax[2].mean - (2.4 - 0.2)) < 0.25
    assert qmax[4].verdict is Verdict.NOT_APPLICABLE and qmax[4].rounded == "—"
    faults = position_faults(outcomes)
    assert list(faults) == [4] and all("表位 4" in f and "无脉冲" in f for f in faults[4])
    assert outcomes["flow_point_1"].data["position_faults"]["4"].count("表位 4") == 1
    verdicts = {p: {i.key: i.verdict for i in proc.items(outcomes, p)}["indication_error"] for p in proc.positions}
    assert verdicts == {1: Verdict.PASS, 2: Verdict.FAIL, 3: Verdict.PASS, 4: Verdict.NOT_APPLICABLE,
                        5: Verdict.PASS, 6: Verdict.PASS}
    note4 = {i.key: i for i in proc.items(outcomes, 4)}["indication_error"].note
    assert "无脉冲" in note4
    status = {ps.position: (ps.status, ps.conclusion) for ps in summary.positions}
    assert status == {1: ("finished", "合格"), 2: ("finished", "不合格"), 3: ("finished", "合格"), 4: ("retest", ""),
                      5: ("finished", "合格"), 6: ("finished", "合格")}
    retest = next(ps for ps in summary.positions if ps.position == 4)
    assert "无脉冲" in retest.message and retest.document is None
    notice = next(ps for ps in summary.positions if ps.position == 2).record
    assert notice is not None and [i.name for i in notice.failing_items] == ["示值误差"] and notice.valid_until is None


async def test_lab_out_of_range_refuses_the_run(gas_store: Store, gas_station: Station, tmp_path: Path) -> None:
    summary, _ = await _run(gas_store, gas_station, tmp_path, ambient_temperature_c=24.0)
    assert summary.status == "aborted"
    assert "拒绝检定" in summary.message and "环境温度 (temperature) 24 °C 超出 18~22 °C" in summary.message
    assert "相对湿度" not in summary.message and summary.record is None
    kept = {r.key: r.value for r in gas_store.readings(summary.run_id)}
    assert kept["lab:temperature_c"] == pytest.approx(24.0, abs=0.05)
    assert not any(k.startswith("p01:") for k in kept)  # no test was run
