"""JJG 577-2012 diaphragm gas meters on a multi-position bench: steps and flow points from the
table, and hand-worked runs through the engine with role implementations written for the test (a
bench + bell that hand back scripted pulse counts and conditions, an operator that answers).

Hand-worked test (every flow point, one run): the bell reports V_s = 100 L at p_s = 101.5 kPa,
t_s = 21.0 °C; the meters are at p_m = 102.0 kPa, t_m = 20.5 °C; 0.1 L/pulse.
  V_ref = 100 × (101.5/102.0) × (293.65/294.15) = 99.340656 L  (tests/procedures/metrology/test_gas.py)
  position 1: 1000 pulses = 100.0 L → (100.0 − 99.340656)/99.340656 = +0.66372 % → "+0.7" pass
  position 2:  993 pulses =  99.3 L → −0.040926 % → "0.0" pass
  position 3: 1010 pulses = 101.0 L → +1.67036 % → "+1.7": fails ±1.5 % (qmax, 0.2qmax), passes ±3 % (qmin)
  position 4: no pulses → fault, n/a "—"
Pressure loss at qmax (one test of 20 × 1.2 = 24 L at 4 m³/h): the bench reads 150, 180, 200.4 and
230 Pa; G2.5 (qmax 4 ≤ 10 m³/h) limit 200 Pa: "150", "180", "200" pass, "230" fails.
Test conditions: t_s − t_m = 21.0 − 20.5 = +0.5 °C ≤ 1 °C; the mean flow is the set flow.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest

from drivers.errors import DeviceTimeout
from drivers.roles import (
    FlowBench,
    FlowConditions,
    FlowStandard,
    FlowTestRun,
    PositionReading,
    StandardVolume,
)
from procedures.engine import (
    Event,
    EventBus,
    Executor,
    OperatorPrompt,
    ReadingTaken,
    StepContext,
    StepFinished,
)
from procedures.engine.context import REPEAT, VOID, PersistedState, StoredReading
from procedures.records import Verdict
from procedures.regulations import REGISTRY
from procedures.regulations.common import position_faults
from procedures.regulations.jjg577 import GasMeterSpec, GasParams, Jjg577
from procedures.regulations.validity import instrument_facts, validity_rule

SERIALS = {1: "GM1", 2: "GM2", 3: "GM3", 4: "GM4"}
V_REF = 99.340656


def _proc(*, meter: GasMeterSpec | None = None, vtype: str = "first", serials: dict[int, str] | None = None,
          **overrides: Any) -> Jjg577:
    return Jjg577(GasParams(meter=meter or GasMeterSpec(), serials=dict(serials or SERIALS), standard_u95_pct=0.2,
                            verification_type=vtype, overrides=overrides))


# -- structure -------------------------------------------------------------------------------------
def test_steps_points_and_volumes() -> None:
    p = _proc()
    assert [s.key for s in p.steps] == ["lab_conditions", "soak", "appearance", "tightness", "pressure_loss",
                                        "flow_point_1", "flow_point_2", "flow_point_3"]
    dp = next(s.params for s in p.steps if s.key == "pressure_loss")
    assert (dp["flow_m3_h"], dp["volume_l"], dp["limit_pa"], dp["source"]) == (4.0, 24.0, 200.0, "bench")
    fp = [s.params for s in p.steps if s.key.startswith("flow_point")]
    # G2.5-like meter: qmax 4, qmin 0.025 m³/h, 1.2 L cycles, 0.1 L/pulse (volumes: test_gas.py)
    assert [(f["point"], f["flow_m3_h"], f["mpe"], f["volume_l"]) for f in fp] == [
        ("qmax", 4.0, 1.5, 60.0), ("q0.2max", 0.8, 1.5, 33.6), ("qmin", 0.025, 3.0, 16.8)]
    assert all(f["runs"] == 1 and f["u95"] == 0.2 and f["correction"] == "always" for f in fp)
    assert p.positions == (1, 2, 3, 4) and p.code == "JJG 577-2012" and p.verification_type_zh() == "首次检定"
    assert REGISTRY["jjg577"] == (GasParams, Jjg577)
    assert p.lab_limits()["temperature_c"] == (18.0, 22.0, "°C")
    big = _proc(meter=GasMeterSpec(qmax_m3_h=16.0, qmin_m3_h=0.16, cyclic_volume_l=6.0))
    assert big.lab_limits()["temperature_c"] == (15.0, 25.0, "°C")
    # pressure-loss limits by size (OPEN): G1.6–G6 200 Pa, G10–G40 300 Pa, G65–G100 400 Pa
    assert big.pressure_loss_limit_pa() == 300.0
    assert _proc(meter=GasMeterSpec(qmax_m3_h=10.0, qmin_m3_h=0.06)).pressure_loss_limit_pa() == 200.0
    assert _proc(meter=GasMeterSpec(qmax_m3_h=100.0, qmin_m3_h=0.6, cyclic_volume_l=40.0)).pressure_loss_limit_pa() == 400.0


def test_class_and_in_use_mpe() -> None:
    c10 = _proc(meter=GasMeterSpec(accuracy_class="1.0"))
    assert [s.params["mpe"] for s in c10.steps if s.key.startswith("flow_point")] == [1.0, 1.0, 2.0]
    in_use = _proc(vtype="in_use")  # OPEN: 2 × first verification
    assert [s.params["mpe"] for s in in_use.steps if s.key.startswith("flow_point")] == [3.0, 3.0, 6.0]
    assert in_use.verification_type_zh() == "使用中检查"


def test_unknown_choices_refused() -> None:
    with pytest.raises(ValueError, match="accuracy class"):
        _proc(meter=GasMeterSpec(accuracy_class="2.0"))
    with pytest.raises(ValueError, match="reading_mode"):
        _proc(meter=GasMeterSpec(reading_mode="camera"))
    with pytest.raises(ValueError, match="pulse constant"):
        _proc(meter=GasMeterSpec(l_per_pulse=None))
    with pytest.raises(ValueError, match="qmin < qmax"):
        _proc(meter=GasMeterSpec(qmin_m3_h=5.0))
    with pytest.raises(ValueError, match="scope"):
        _proc(meter=GasMeterSpec(qmax_m3_h=250.0, qmin_m3_h=2.5))
    with pytest.raises(ValueError, match="correction"):
        _proc(items={"indication_error": {"correction": "never"}})
    with pytest.raises(ValueError, match="verification type"):
        _proc(vtype="annual")


def test_overrides_runs_hash_and_same_sign_step() -> None:
    base = _proc()
    p = _proc(editions={"2012": {"runs": 2}}, same_sign={"enabled": True})
    assert [s.params["runs"] for s in p.steps if s.key.startswith("flow_point")] == [2, 2, 2]
    assert p.procedure_hash != base.procedure_hash
    ss = next(s for s in p.steps if s.key == "same_sign")
    assert ss.params["points"] == ["flow_point_1", "flow_point_2"] and ss.params["limit"] == 1.0  # class 1.5 [M]


def test_period_by_gas() -> None:
    """Household (qmax ≤ 10 m³/h, trade) meters: a service life by gas (procedures/regulations/validity.py)."""
    period = _proc().table["period"]
    natural = validity_rule(period, instrument_facts("1.5", {"qmax_m3_h": 4.0, "gas_kind": "natural_gas"}, use="贸易结算"))
    lpg = validity_rule(period, instrument_facts("1.5", {"qmax_m3_h": 4.0, "gas_kind": "lpg"}, use="贸易结算"))
    assert (natural.kind, natural.years) == ("service_life", 10)
    assert (lpg.kind, lpg.years) == ("service_life", 6) and "6 年" in lpg.note
    assert lpg.until(date(2026, 3, 1)) == date(2032, 2, 29)
    large = validity_rule(period, instrument_facts("1.5", {"qmax_m3_h": 16.0, "gas_kind": "natural_gas"}, use="贸易结算"))
    assert large.kind == "period"


class _Station:
    def __init__(self, devices: dict[str, Any], procedure: dict[str, Any], serials: dict[int, str]) -> None:
        self.devices, self.procedure, self.serials = devices, procedure, serials

    def device_for(self, role: str) -> Any:
        if role not in self.devices:
            raise ValueError(f"no device plays role {role!r}")
        return self.devices[role]

    def section(self, name: str) -> dict[str, Any]:
        return dict(self.procedure) if name == "procedure" else {}

    def bench_serials(self) -> dict[int, str]:
        return dict(self.serials)


def test_params_from_instrument_and_station_round_trip() -> None:
    inst = SimpleNamespace(serial="BATCH", accuracy_class="1.0", params_json=json.dumps(
        {"qmax_m3_h": 6.0, "qmin_m3_h": 0.04, "cyclic_volume_l": 2.0, "pulses_per_l": 100.0, "gas_kind": "lpg"}))
    dev = SimpleNamespace(name="bench", u95_pct=0.3)
    st = _Station({"flow_bench": dev, "flow_standard": dev}, {}, {1: "A1", 3: "A3"})
    params = GasParams.from_instrument(inst, st, edition="2012", verification_type="first")
    assert params.meter == GasMeterSpec(accuracy_class="1.0", qmax_m3_h=6.0, qmin_m3_h=0.04, cyclic_volume_l=2.0,
                                        l_per_pulse=0.01, reading_mode="pulse", gas_kind="lpg")
    assert params.positions == (1, 3) and params.standard_u95_pct == 0.3
    assert GasParams.from_dict(json.loads(json.dumps(params.to_dict()))) == params
    assert params.context() == {"serials": {"1": "A1", "3": "A3"}}
    entry = GasParams.from_instrument(inst, _Station({"flow_bench": dev, "flow_standard": dev},
                                                     {"reading_mode": "entry"}, {1: "A1"}), edition="2012")
    assert entry.meter.reading_mode == "entry" and Jjg577(entry).positions == (1,)
    with pytest.raises(ValueError, match="flow_standard"):
        GasParams.from_instrument(inst, _Station({"flow_bench": dev}, {}, {1: "A1"}), edition="2012")
    with pytest.raises(ValueError, match="bench"):
        GasParams.from_instrument(inst, _Station({"flow_bench": dev, "flow_standard": dev}, {}, {}), edition="2012")


# -- through the engine ----------------------------------------------------------------------------
@dataclass
class FakeGasBench:
    """Plays ``flow_bench`` and ``flow_standard``: every test returns the scripted pulse counts
    (None: no pulses) and conditions; the bell reports ``v_s`` at its conditions."""

    pulses: dict[int, int | None]
    ambient: tuple[float | None, float | None, float | None] = (20.0, 101.3, 55.0)
    dp: dict[int, float | None] = field(default_factory=lambda: {1: 150.0, 2: 180.0, 3: 200.4, 4: 230.0})
    flows: list[float] = field(default_factory=list)  # the next tests' mean flows (else the set flow)
    meter_temps: list[float] = field(default_factory=list)  # the next tests' t_m (else meter_conditions)
    v_s: float = 100.0
    std_conditions: tuple[float, float] = (21.0, 101.5)  # t_s, p_s
    meter_conditions: tuple[float, float] = (20.5, 102.0)  # t_m, p_m
    fail_on_test: int | None = None
    name: str = "gas-bench-test"
    kind: str = "bell_prover"
    medium: str = "gas"
    resolution: float = 0.01
    settle_timeout_s: float = 0.0
    log: list[str] = field(default_factory=list)
    tests: int = 0
    flow: float = 0.0

    @property
    def positions(self) -> int:
        return max(self.pulses)

    async def connect(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def conditions(self) -> FlowConditions:
        t, p, h = self.ambient
        return FlowConditions(0.0, 20.0, 101.3, t, p, h)

    async def run_test(self, flow_m3_h: float, volume_l: float) -> FlowTestRun:
        if self.fail_on_test is not None and self.tests + 1 == self.fail_on_test:
            self.fail_on_test = None
            raise DeviceTimeout(self.name, "no reply")
        self.tests += 1
        self.flow = flow_m3_h
        self.log.append(f"RUN {flow_m3_h:g} {volume_l:g}")
        t_m, p_m = self.meter_conditions
        if self.meter_temps:
            t_m = self.meter_temps.pop(0)
        readings = tuple(PositionReading(pos, n, None, 0.0, "" if n else "无脉冲 (no pulses)", self.dp.get(pos))
                         for pos, n in self.pulses.items())
        flow = self.flows.pop(0) if self.flows else flow_m3_h
        return FlowTestRun(readings, FlowConditions(flow, t_m, p_m), 60.0, volume_l)

    async def stop_flow(self) -> None:
        self.log.append("STOP")

    async def begin(self) -> None:
        self.log.append("BEGIN")

    async def measured(self) -> StandardVolume:
        t_s, p_s = self.std_conditions
        return StandardVolume(self.kind, self.v_s, None, t_s, p_s)


class Technician:
    """Confirms checklists except points containing one of ``refuse``; enters conditions and dial
    readings from ``entries`` (prompt prefix → answers in order)."""

    def __init__(self, refuse: tuple[str, ...] = (), entries: dict[str, list[str]] | None = None,
                 choices: tuple[str, ...] = (), on_choice: Any = None) -> None:
        self.refuse = refuse
        self.entries = {k: list(v) for k, v in (entries or {}).items()}
        self.asked: list[str] = []
        self.choices = list(choices)
        self.on_choice = on_choice

    async def choice(self, prompt: OperatorPrompt) -> str:
        self.asked.append(prompt.text)
        if self.on_choice is not None:
            self.on_choice()
        return self.choices.pop(0) if self.choices else REPEAT

    async def checklist(self, prompt: OperatorPrompt) -> dict[str, bool]:
        return {p: not any(r in p for r in self.refuse) for p in prompt.items}

    async def entry(self, prompt: OperatorPrompt) -> str:
        self.asked.append(prompt.text)
        for key, answers in self.entries.items():
            if prompt.text.startswith(key):
                return answers.pop(0) if len(answers) > 1 else answers[0]
        raise KeyError(prompt.text)


def _bus(events: list[Event]) -> EventBus:
    bus = EventBus()
    bus.add_sink(events.append)
    return bus


async def _run(proc: Jjg577, bench: Any, operator: Any, persisted: PersistedState | None = None,
               events: list[Event] | None = None) -> Any:
    assert isinstance(bench, FlowBench) and isinstance(bench, FlowStandard)
    ctx = StepContext("r", _bus(events if events is not None else []), {"flow_bench": bench, "flow_standard": bench},
                      operator, {}, persisted)
    return await Executor(proc, ctx).run()


HAND = {1: 1000, 2: 993, 3: 1010, 4: None}


async def test_hand_worked_batch_errors_faults_and_items_per_position() -> None:
    bench = FakeGasBench(dict(HAND))
    proc = _proc()
    events: list[Event] = []
    out = await _run(proc, bench, Technician(), events=events)
    assert out.status == "finished", out.message
    assert bench.log[:4] == ["RUN 4 24", "STOP", "BEGIN", "RUN 4 60"]  # pressure loss first, then qmax
    assert "RUN 0.025 16.8" in bench.log and bench.log[-1] == "STOP"
    q = out.outcomes["flow_point_1"]
    assert q.data["v_ref_l"] == pytest.approx([V_REF], abs=1e-6) and q.data["correction_applied"] == [True]
    errs = q.data["errors_pct"]
    assert errs["1"] == pytest.approx([0.66372], abs=1e-5) and errs["2"] == pytest.approx([-0.040926], abs=1e-6)
    assert errs["3"] == pytest.approx([1.67036], abs=1e-5) and errs["4"] == [None]
    by_pos = {r.position: r for r in q.results}
    assert [by_pos[p].rounded for p in (1, 2, 3, 4)] == ["+0.7", "0.0", "+1.7", "—"]
    assert [by_pos[p].verdict for p in (1, 2, 3, 4)] == [Verdict.PASS, Verdict.PASS, Verdict.FAIL,
                                                         Verdict.NOT_APPLICABLE]
    assert q.verdict is Verdict.FAIL and by_pos[1].mpe == 1.5 and by_pos[1].uncertainty == 0.2
    qmin = {r.position: r for r in out.outcomes["flow_point_3"].results}
    assert qmin[3].rounded == "+1.7" and qmin[3].verdict is Verdict.PASS and qmin[3].mpe == 3.0
    assert q.data["position_faults"] == {"4": "表位 4: 无脉冲 (no pulses)"}
    assert position_faults(out.outcomes) == {4: ["表位 4: 无脉冲 (no pulses)"] * 3}
    # the record, per position
    items1 = {i.key: i for i in proc.items(out.outcomes, 1)}
    assert list(items1) == ["test_conditions", "appearance", "tightness", "pressure_loss", "indication_error"]
    dp = {r.position: r for r in out.outcomes["pressure_loss"].results}
    assert [(dp[p].rounded, dp[p].verdict) for p in (1, 2, 3, 4)] == [
        ("150", Verdict.PASS), ("180", Verdict.PASS), ("200", Verdict.PASS), ("230", Verdict.FAIL)]
    assert dp[1].unit == "Pa" and dp[1].label == "qmax 4 m³/h" and dp[1].mpe == 200.0  # printed "≤ 200 Pa"
    assert out.outcomes["pressure_loss"].data["position_notes"] == {"4": "表位 4: 压力损失 230 Pa > 200 Pa (pressure loss above the limit)"}
    assert all(i.verdict is Verdict.PASS for i in items1.values())
    assert [r.rounded for r in items1["indication_error"].results] == ["+0.7"] * 3
    assert {r.name for r in items1["test_conditions"].results} == {"环境温度", "大气压力", "相对湿度", "恒温时间"}
    assert next(r for r in items1["test_conditions"].results if r.name == "大气压力").rounded == "101.3"
    items3 = {i.key: i for i in proc.items(out.outcomes, 3)}
    assert items3["indication_error"].verdict is Verdict.FAIL
    items4 = {i.key: i for i in proc.items(out.outcomes, 4)}
    assert items4["indication_error"].verdict is Verdict.NOT_APPLICABLE and "无脉冲" in items4["indication_error"].note
    assert proc.environment(out.outcomes) == {"temperature_c": 20.0, "humidity_pct": 55.0, "pressure_kpa": 101.3}
    assert proc.flags(out.outcomes) == () and proc.signed_meter_values(out.outcomes) is None
    keys = {(e.step_key, e.key) for e in events if isinstance(e, ReadingTaken)}
    assert {("flow_point_1", "p01:qmax:r1"), ("flow_point_1", "std:qmax:r1"), ("flow_point_3", "p04:qmin:r1"),
            ("lab_conditions", "lab:pressure_kpa")} <= keys


async def test_when_needed_omits_the_small_correction() -> None:
    # bell 20.3 °C / 101.6 kPa, meters 20.5 °C / 101.8 kPa: 0.2 °C, 101.6/101.8 − 1 = −0.196 % → omitted.
    bench = FakeGasBench({1: 1000, 2: 1000}, std_conditions=(20.3, 101.6), meter_conditions=(20.5, 101.8))
    proc = _proc(serials={1: "A", 2: "B"}, items={"indication_error": {"correction": "when_needed"}})
    out = await _run(proc, bench, Technician())
    q = out.outcomes["flow_point_1"]
    assert q.data["correction_applied"] == [False] and q.data["v_ref_l"] == [100.0]
    assert q.data["errors_pct"]["1"] == [0.0] and q.results[0].rounded == "0.0"


async def test_lab_out_of_range_is_a_condition_not_met_the_operator_voids() -> None:
    bench = FakeGasBench(dict(HAND), ambient=(23.5, 101.3, 80.0))
    events: list[Event] = []
    tech = Technician(choices=(VOID,))
    out = await _run(_proc(), bench, tech, events=events)
    assert out.status == "void"
    assert tech.asked == ["检定条件不满足 (test condition not met): 实验室条件不符合 JJG 577-2012 (laboratory conditions "
                          "out of range) — 环境温度 (temperature) 23.5 °C 超出 18~22 °C (高 +1.5 °C)；相对湿度 "
                          "(humidity) 80 % 超出 45~75 % (高 +5.0 %)"]
    assert "大气压力" not in out.message and bench.tests == 0 and "lab_conditions" not in out.outcomes
    kept = {e.key: e.value for e in events if isinstance(e, ReadingTaken)}
    assert kept == {"lab:temperature_c": 23.5, "lab:pressure_kpa": 101.3, "lab:humidity_pct": 80.0,
                    "condition:@1": 1.0}


async def test_lab_read_again_after_the_room_is_back_in_range() -> None:
    bench = FakeGasBench(dict(HAND), ambient=(23.5, 101.3, 55.0))

    def cool_down() -> None:
        bench.ambient = (20.5, 101.3, 55.0)

    out = await _run(_proc(), bench, Technician(on_choice=cool_down))
    assert out.status == "finished", out.message
    assert out.outcomes["lab_conditions"].data["temperature_c"] == 20.5


async def test_conditions_not_measured_are_entered_then_checked() -> None:
    bench = FakeGasBench(dict(HAND), ambient=(None, None, 55.0))
    tech = Technician(entries={"环境温度": ["20.5 °C"], "大气压力": ["84 kPa"]}, choices=(VOID,))
    out = await _run(_proc(), bench, tech)
    assert out.status == "void" and "大气压力 (pressure) 84 kPa 超出 85~105 kPa (低 -1.0 kPa)" in out.message
    assert "环境温度" not in out.message.split("—")[1]


async def test_soak_not_confirmed_is_asked_again_then_void() -> None:
    tech = Technician(refuse=("放置不少于",), choices=(REPEAT, VOID))
    out = await _run(_proc(), FakeGasBench(dict(HAND)), tech)
    assert out.status == "void" and "恒温" in out.message and "4 h" in out.message
    assert len(tech.asked) == 2 and all("恒温" in t for t in tech.asked)  # asked again once, then voided


async def test_temperature_difference_beyond_1_c_repeats_the_test() -> None:
    # qmax test 1: bell 21.0 °C, meters 19.8 °C → +1.20 °C > 1 °C: not valid, measured again (20.5 °C: +0.5 °C)
    bench = FakeGasBench(dict(HAND), meter_temps=[20.5, 19.8])  # the pressure-loss test, then qmax
    tech = Technician()
    events: list[Event] = []
    out = await _run(_proc(), bench, tech, events=events)
    assert out.status == "finished", out.message
    assert tech.asked == ["检定条件不满足 (test condition not met): qmax 第1次: 标准器与被检表气体温度差 +1.20 °C (标准器 "
                          "21.00 °C, 被检表 19.80 °C) 超过 ±1 °C (gas temperature difference between the standard and "
                          "the meters too large)"]
    assert out.outcomes["flow_point_1"].data["errors_pct"]["1"] == pytest.approx([0.66372], abs=1e-5)
    keys = [(e.step_key, e.key) for e in events if isinstance(e, ReadingTaken)]
    assert ("flow_point_1", "std:qmax:r1") in keys and ("flow_point_1", "std:qmax:r1@2") in keys
    assert ("flow_point_1", "p01:qmax:r1@2") in keys


async def test_flow_away_from_qmax_repeats_the_pressure_loss_test() -> None:
    # 4 m³/h ± 5 %: 3.7 is outside 3.8…4.2 → the pressure-loss test is measured again
    bench = FakeGasBench(dict(HAND), flows=[3.7])
    tech = Technician()
    out = await _run(_proc(), bench, tech)
    assert out.status == "finished", out.message
    assert len(tech.asked) == 1 and "实际流量 3.7 m³/h 不在 3.8~4.2 m³/h 内" in tech.asked[0]
    assert bench.log[:3] == ["RUN 4 24", "STOP", "RUN 4 24"]


async def test_pressure_loss_entered_where_the_bench_gives_none() -> None:
    bench = FakeGasBench({1: 1000, 2: 1000}, dp={1: 150.0, 2: None})
    tech = Technician(entries={"压力损失 表位 2 (B)": ["210 Pa"]})
    out = await _run(_proc(serials={1: "A", 2: "B"}), bench, tech)
    assert out.status == "finished", out.message
    dp = {r.position: r for r in out.outcomes["pressure_loss"].results}
    assert dp[1].rounded == "150" and dp[2].rounded == "210" and dp[2].verdict is Verdict.FAIL


async def test_appearance_defect_fails_that_position_only() -> None:
    proc = _proc()
    out = await _run(proc, FakeGasBench(dict(HAND)), Technician(refuse=("表位 2 (GM2)",)))
    app = out.outcomes["appearance"]
    assert app.data["position_notes"] == {"2": "表位 2: 外观检查不符合 (does not conform)"}
    assert {i.key: i.verdict for i in proc.items(out.outcomes, 2)}["appearance"] is Verdict.FAIL
    assert {i.key: i.verdict for i in proc.items(out.outcomes, 1)}["appearance"] is Verdict.PASS
    assert "表位 2: 外观检查不符合" in {i.key: i for i in proc.items(out.outcomes, 2)}["appearance"].note


async def test_entry_mode_dial_readings_and_an_unreadable_dial() -> None:
    meter = GasMeterSpec(reading_mode="entry", l_per_pulse=None)
    proc = _proc(meter=meter, serials={1: "A", 2: "B"})
    fp = [s.params for s in proc.steps if s.key.startswith("flow_point")]
    # dial resolution 0.2 L: qmax 0.2/(0.2·0.015) = 66.7 L → 56 cycles = 67.2 L
    assert fp[0]["volume_l"] == 67.2
    tech = Technician(entries={"表位 1 (A)": ["100.0 L"], "表位 2 (B)": ["lots"]})
    out = await _run(proc, FakeGasBench({1: None, 2: None}), tech)
    assert out.status == "finished", out.message
    q = out.outcomes["flow_point_1"]
    assert q.data["errors_pct"]["1"] == pytest.approx([0.66372], abs=1e-5) and q.results[0].rounded == "+0.7"
    assert "表位 2: 示值输入无效" in q.data["position_faults"]["2"] and q.results[1].rounded == "—"


async def test_same_sign_rule_when_enabled() -> None:
    # class 1.0, limit 0.5 %: position 1 at +0.7 % on qmax and 0.2qmax (same sign) → fails the rule.
    proc = _proc(meter=GasMeterSpec(accuracy_class="1.0"), serials={1: "A", 2: "B"}, same_sign={"enabled": True})
    out = await _run(proc, FakeGasBench({1: 1000, 2: 993}), Technician())
    ss = {r.position: r for r in out.outcomes["same_sign"].results}
    assert ss[1].verdict is Verdict.FAIL and ss[1].rounded == "0.7" and ss[2].verdict is Verdict.PASS


async def test_dropped_bench_pauses_and_resume_keeps_readings() -> None:
    proc = _proc()
    events: list[Event] = []
    first = await _run(proc, FakeGasBench(dict(HAND), fail_on_test=3), Technician(), events=events)
    assert first.status == "paused" and first.device == "gas-bench-test"
    persisted = PersistedState(
        completed={e.step_key: e.outcome for e in events if isinstance(e, StepFinished)},
        readings=[StoredReading(e.step_key, e.key, e.quantity, e.value, e.unit, e.source, dict(e.extra))
                  for e in events if isinstance(e, ReadingTaken)])
    assert "flow_point_1" in persisted.completed and "flow_point_2" not in persisted.completed
    bench = FakeGasBench(dict(HAND))
    second = await _run(_proc(), bench, Technician(), persisted=persisted)
    assert second.status == "finished", second.message
    assert bench.tests == 2 and bench.log[1] == "RUN 0.8 33.6"  # pressure loss and qmax were not run again
    assert second.outcomes["flow_point_1"].data["errors_pct"]["1"] == pytest.approx([0.66372], abs=1e-5)


# -- the real-time plan ----------------------------------------------------------------------------
# Hand-worked for the demo batch (bench/stations/gas_demo.toml): class 1.5, qmax 4, qmin 0.025 m³/h,
# 1.2 L cycles, 0.01 L/pulse, 6 positions, one run per point; 1 m³/h = 1000/3600 L/s.
#   压力损失 20 × 1.2 = 24 L at 4 m³/h: 24/1.1111 = 21.6 s
#   qmax     V = max(50 × 1.2 = 60 L, 0.01/(0.2 × 1.5 %) = 3.333 L) = 60 L: 60/1.1111 = 54 s
#   0.2qmax  V = max(20 × 1.2 = 24 L, 3.333 L) = 24 L at 0.8 m³/h (0.2222 L/s): 108 s
#   qmin     V = max(5 × 1.2 = 6 L, 0.01/(0.2 × 3 %) = 1.667 L) = 6 L at 0.025 m³/h (0.006944 L/s): 864 s
#   外观 6 positions × 4 points × 10 s = 240 s; 密封性 3 min hold + 6 × 2 × 10 s = 300 s; soak confirmed
#   10 s (the 4 h themselves before the run); conditions read from the bench 0 s
#   total 0 + 10 + 240 + 300 + 21.6 + 54 + 108 + 864 = 1597.6 s (26 min 38 s).
GAS_DEMO = {p: f"SIMGM{p:04d}" for p in range(1, 7)}


def _plan(proc: Jjg577, hints: dict[str, Any] | None = None) -> dict[str, Any]:
    return {s.key: s for s in proc.plan(hints or {})}


def test_plan_of_the_demo_batch_hand_worked() -> None:
    plan = _plan(_proc(meter=GasMeterSpec(l_per_pulse=0.01), serials=GAS_DEMO),
                 {"standards": {"flow_standard": {"kind": "bell_prover", "resolution": 0.01}}})
    assert plan["pressure_loss"].seconds == pytest.approx(21.6)
    assert "20 个回转体积 × 1.2 L = 24 L 于 qmax 4 m³/h" in plan["pressure_loss"].why
    # each run: its volume at its flow plus the bench's start-stop (10 s nominal, data/plan.toml)
    assert [plan[f"flow_point_{i}"].seconds for i in (1, 2, 3)] == pytest.approx([64.0, 118.0, 874.0])
    assert "每次装置启停 10 s" in plan["flow_point_1"].why
    qmin = plan["flow_point_3"].why
    assert "V = max(5 × 回转体积 1.2 L, 0.01 L ÷ (0.2 × MPE 3 %) = 1.667 L)" in qmin and "= 6 L" in qmin
    assert "600 个脉冲" in qmin and "V 的 0.167 % ≤ 0.2 × MPE = 0.6 %" in qmin
    assert "标准器分辨力 0.01 L = V 的 0.167 %" in qmin
    assert plan["soak"].seconds == 10.0 and "不计入" in plan["soak"].why and "4 h" in plan["soak"].why
    assert plan["appearance"].seconds == 240.0 and plan["tightness"].seconds == 300.0
    assert "保持 3 min" in plan["tightness"].why
    assert plan["lab_conditions"].seconds == 0.0
    assert sum(s.seconds for s in plan.values()) == pytest.approx(1627.6)
    assert not any("未建模" in s.why for s in plan.values())


def test_plan_volumes_follow_the_resolution_rule_runs_and_reading_mode() -> None:
    """0.1 L/pulse (the default meter): 0.2qmax V = 0.1/(0.2 × 1.5 %) = 33.33 L → 28 cycles = 33.6 L
    at 0.8 m³/h: 151.2 s; qmin 0.1/(0.2 × 3 %) = 16.67 L → 14 cycles = 16.8 L at 0.025 m³/h:
    2419.2 s. Three runs triple them. Entry mode (dial 0.2 L): qmin 0.2/(0.006) = 33.33 L → 33.6 L:
    4838.4 s, plus 4 dials × 20 s per run; each run also the bench's 10 s start-stop."""
    plan = _plan(_proc())
    assert plan["flow_point_2"].seconds == pytest.approx(161.2) and plan["flow_point_3"].seconds == pytest.approx(2429.2)
    assert "16.67 L" in plan["flow_point_3"].why and "= 16.8 L" in plan["flow_point_3"].why
    three = _plan(_proc(editions={"2012": {"runs": 3}}))
    assert three["flow_point_3"].seconds == pytest.approx(3 * 2429.2) and "3 次 × 16.8 L" in three["flow_point_3"].why
    dial = _plan(_proc(meter=GasMeterSpec(reading_mode="entry", l_per_pulse=None)))
    assert dial["flow_point_3"].seconds == pytest.approx(4838.4 + 10 + 4 * 20)
    assert "字轮 1 个分度 0.2 L" in dial["flow_point_3"].why
    entered = _plan(_proc(items={"pressure_loss": {"source": "entry"}}))
    assert entered["pressure_loss"].seconds == pytest.approx(21.6 + 4 * 15)
    same = _plan(_proc(same_sign={"enabled": True}))
    assert same["same_sign"].seconds == 0.0 and not any("未建模" in s.why for s in same.values())
