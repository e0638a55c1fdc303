"""JJG 162-2019 water meters: table, params, steps built from the table, MPE switching above 30 °C,
and hand-worked runs through the engine with role implementations written for the test (a bench
that hands back scripted pulse counts, a standard that hands back a scripted mass or volume).

Hand-worked numbers (class 2, Q3 = 2.5 m³/h, R = 100, interval 0.05 L, 100 pulses/L):
- Q1 = 0.025, Q2 = 0.04 m³/h; set flows 1.05·Q1 = 0.02625, 1.05·Q2 = 0.042, 0.95·Q3 = 2.375 m³/h.
- Minimum volume 200 × 0.05 L = 10 L; with a 0.001 kg scale (0.001002 L) still 10 L; preferred
  volumes 10/10/20 L → tests of 10, 10 and 20 L.
- Gravimetric at 20 °C water, air 1.2 kg/m³ (constant), indication 9.98 kg:
  m = 9.98 × 0.99985/0.99879784 = 9.9905130 kg; V_a = 9.9905130/998.2067 × 1000 = 10.008461 L.
  A meter counting 1006 pulses (10.06 L): E = (10.06 − 10.008461)/10.008461 = +0.51495 % → '+0.5'.
  1050 pulses (10.50 L) at Q1: +4.9113 % → '+4.9' ≤ 5 → pass; at Q2 (MPE 2) → fail.
- Test conditions (each test): Q1 window 0.025…0.0275 m³/h; water 0.1…30 °C (T30); inlet gauge
  pressure 300 − 101.3 = 198.7 kPa ≥ 30 kPa; the scale read again within 20 × 0.001 kg.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from drivers.errors import DeviceTimeout
from drivers.roles import FlowConditions, FlowTestRun, PositionReading, StandardVolume
from procedures.engine import (
    EventBus,
    Executor,
    OperatorPrompt,
    ReadingTaken,
    RunStarted,
    StepContext,
    StepFinished,
)
from procedures.engine.context import REPEAT, VOID, PersistedState, StoredReading
from procedures.records import Verdict
from procedures.regulations import REGISTRY
from procedures.regulations.jjg162 import Jjg162, WaterParams
from procedures.regulations.tables import load_table
from procedures.regulations.validity import instrument_facts, validity_rule


def _params(**kw: Any) -> WaterParams:
    base: dict[str, Any] = {"accuracy_class": "2", "q3_m3_h": 2.5, "ratio_r": 100.0, "dn_mm": 15,
                            "scale_interval_l": 0.05, "positions": (1, 2, 3), "serials": {1: "W1", 2: "W2", 3: "W3"},
                            "l_per_pulse": 0.01, "standard_name": "scale", "standard_serial": "SCL-1",
                            "standard_u95_pct": 0.05}
    base.update(kw)
    return WaterParams(**base)


def test_table_loads_with_tags() -> None:
    t = load_table("jjg162")
    assert t["regulation"]["code"] == "JJG 162-2019" and t["regulation"]["default_edition"] == "2019"
    assert t["mpe"]["first"]["1"] == {"lower": 3.0, "upper": 1.0, "upper_hot": 2.0}
    assert t["mpe"]["first"]["2"] == {"lower": 5.0, "upper": 2.0, "upper_hot": 3.0}
    assert t["mpe"]["hot_above_c"] == 30.0
    assert t["items"]["indication_error"]["volume_multiplier"] == {"1": 400, "2": 200}
    assert [p["key"] for p in t["items"]["indication_error"]["points"]] == ["q1", "q2", "q3"]
    assert REGISTRY["jjg162"] == (WaterParams, Jjg162)


def test_period_rules_by_dn_and_q3() -> None:
    """The table's [period] rules (read by procedures/regulations/validity.py, the one reading):
    DN ≤ 25 and Q3 ≤ 16 → 6-year service life, ≤ 50 → 4 years, else a 2-year period."""
    period = Jjg162(_params()).table["period"]

    def rule(dn: float, q3: float) -> tuple[str, int]:
        r = validity_rule(period, instrument_facts("2", {"dn_mm": dn, "q3_m3_h": q3}))
        return r.kind, r.years

    assert rule(15, 2.5) == ("service_life", 6) and rule(25, 6.3) == ("service_life", 6)
    assert rule(40, 16.0) == ("service_life", 4)
    assert rule(80, 63.0) == ("period", 2)
    assert rule(50, 25.0) == ("period", 2)  # Q3 > 16: periodic


def test_steps_built_from_table() -> None:
    p = Jjg162(_params())
    assert [s.key for s in p.steps] == ["conditions", "appearance", "function", "tightness", "q1", "q2", "q3"]
    fp = {s.key: s.params for s in p.steps if s.key.startswith("q")}  # type: ignore[attr-defined]
    assert fp["q1"]["flow_set"] == pytest.approx(0.02625) and fp["q1"]["flow_window"] == pytest.approx([0.025, 0.0275])
    assert fp["q2"]["flow_set"] == pytest.approx(0.042) and fp["q3"]["flow_set"] == pytest.approx(2.375)
    assert fp["q3"]["flow_window"] == pytest.approx([2.25, 2.5])
    assert (fp["q1"]["mpe_cold"], fp["q2"]["mpe_cold"], fp["q3"]["mpe_cold"]) == (5.0, 2.0, 2.0)
    assert (fp["q1"]["mpe_hot"], fp["q2"]["mpe_hot"], fp["q3"]["mpe_hot"]) == (5.0, 3.0, 3.0)
    assert p.minimum_volume_l() == pytest.approx(10.0)
    assert Jjg162(_params(accuracy_class="1")).minimum_volume_l() == pytest.approx(20.0)
    assert p.positions == (1, 2, 3) and p.code == "JJG 162-2019" and p.verification_type_zh() == "首次检定"
    in_use = Jjg162(_params(verification_type="in_use"))
    assert in_use.point_mpe("Q3", 20.0) == 4.0 and in_use.point_mpe("Q1", 20.0) == 10.0


def test_refusals() -> None:
    with pytest.raises(ValueError, match="accuracy class"):
        Jjg162(_params(accuracy_class="0.5"))
    with pytest.raises(ValueError, match="pulse value"):
        Jjg162(_params(l_per_pulse=None))
    with pytest.raises(ValueError, match="display"):
        Jjg162(_params(display="lcd"))
    with pytest.raises(ValueError, match="最小试验体积"):  # a fixed volume below 200 × 0.05 L refuses the point
        Jjg162(_params(overrides={"items": {"indication_error": {"volume_l": {"q1": 5.0}}}}))
    assert Jjg162(_params(l_per_pulse=None, reading_mode="entry")).params.reading_mode == "entry"


def test_params_from_instrument_round_trip() -> None:
    inst = SimpleNamespace(serial="BATCH", accuracy_class="1", params_json=json.dumps(
        {"q3_m3_h": 4.0, "ratio_r": 160.0, "dn_mm": 20, "scale_interval_l": 0.02, "pulses_per_l": 50.0}))

    class Station:
        def __init__(self, procedure: dict[str, Any]) -> None:
            self.procedure = procedure

        def bench_serials(self) -> dict[int, str]:
            return {1: "A1", 3: "A3"}

        def device_for(self, role: str) -> Any:
            return {"flow_standard": SimpleNamespace(name="scale", standard="SCL-9", u95_pct=0.05),
                    "flow_bench": SimpleNamespace(name="bench")}[role]

        def section(self, name: str) -> dict[str, Any]:
            return dict(self.procedure) if name == "procedure" else {}

    params = WaterParams.from_instrument(inst, Station({"reading_mode": "entry"}), edition="2019",
                                         verification_type="subsequent")
    assert params.positions == (1, 3) and params.serials == {1: "A1", 3: "A3"}
    assert params.l_per_pulse == pytest.approx(0.02) and params.reading_mode == "entry" and params.method == "auto"
    assert params.standard_serial == "SCL-9" and params.accuracy_class == "1"
    assert WaterParams.from_dict(json.loads(json.dumps(params.to_dict()))) == params


# -- through the engine ----------------------------------------------------------------------------
@dataclass
class ScriptedBench:
    """Plays ``flow_bench``: each test returns the next scripted pulse counts (None: a fault)."""

    counts: list[list[int | None]]
    water_c: float = 20.0
    flows: list[float | None] = field(default_factory=list)  # the next tests' mean flows (None: the set flow)
    fail_on_test: int | None = None  # this test (1-based) loses the line
    name: str = "bench-test"
    positions: int = 3
    medium: str = "water"
    log: list[str] = field(default_factory=list)

    async def connect(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def conditions(self) -> FlowConditions:
        return FlowConditions(0.0, self.water_c, 300.0, 21.0, 101.3, 50.0)

    async def run_test(self, flow_m3_h: float, volume_l: float) -> FlowTestRun:
        self.log.append(f"run {flow_m3_h:g} {volume_l:g}")
        if self.fail_on_test is not None and sum(x.startswith("run") for x in self.log) == self.fail_on_test:
            raise DeviceTimeout(self.name, "no reply")
        counts = self.counts.pop(0)
        readings = tuple(PositionReading(i + 1, c, None, 0.0, "" if c is not None else "无脉冲 (no pulses)")
                         for i, c in enumerate(counts))
        flow = (self.flows.pop(0) if self.flows else None) or flow_m3_h
        return FlowTestRun(readings, FlowConditions(flow, self.water_c, 300.0, 21.0, 101.3, 50.0), 60.0, volume_l)

    async def stop_flow(self) -> None:
        self.log.append("stop")


@dataclass
class ScriptedScale:
    """Plays ``flow_standard`` (kind scale): each test measures the next scripted indication."""

    masses: list[float]
    name: str = "scale-test"
    kind: str = "scale"
    resolution: float = 0.001
    settle_timeout_s: float = 0.0
    water_c: float = 20.0
    drift_kg: list[float] = field(default_factory=list)  # added to the second reading of the next tests
    _last: float = 0.0
    _reads: int = 0

    async def connect(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def begin(self) -> None:
        self._last = self.masses.pop(0)
        self._reads = 0

    async def measured(self) -> StandardVolume:
        self._reads += 1
        drift = self.drift_kg.pop(0) if self._reads == 2 and self.drift_kg else 0.0
        return StandardVolume("scale", None, self._last + drift, self.water_c, 101.325)


class Yes:
    """Confirms every point except those of position 2; answers a condition not met with
    ``choices`` in order (then: measure again), and keeps the prompts."""

    def __init__(self, choices: tuple[str, ...] = (), refuse: str = "表位 2") -> None:
        self.choices = list(choices)
        self.refuse = refuse
        self.asked: list[str] = []

    async def checklist(self, prompt: OperatorPrompt) -> dict[str, bool]:
        self.asked.append(prompt.text)
        return {p: self.refuse not in p for p in prompt.items}

    async def entry(self, prompt: OperatorPrompt) -> str:
        raise KeyError(prompt.text)

    async def choice(self, prompt: OperatorPrompt) -> str:
        self.asked.append(prompt.text)
        return self.choices.pop(0) if self.choices else REPEAT


async def _run(proc: Jjg162, bench: Any, std: Any, operator: Any = None,
               events: list[Any] | None = None, persisted: PersistedState | None = None) -> Any:
    bus = EventBus()
    if events is not None:
        bus.add_sink(events.append)
    ctx = StepContext("r", bus, {"flow_bench": bench, "flow_standard": std}, operator or Yes(), proc.params.context(),
                      persisted or PersistedState())
    return await Executor(proc, ctx).run()


async def test_gravimetric_hand_worked_and_position_results() -> None:
    proc = Jjg162(_params(overrides={"reference": {"air_density": "constant"}}))
    # q1: three positions 1006 / 1050 / no pulses; q2: 1006 / 1050 / 1000; q3 (20 L): 2012 ×3
    bench = ScriptedBench([[1006, 1050, None], [1006, 1050, 1000], [1050, 1050, 1000], [1050, 1050, 1000],
                           [2012, 2012, 2012]])
    std = ScriptedScale([9.98, 9.98, 9.98, 9.98, 19.96])
    out = await _run(proc, bench, std)
    assert out.status == "finished", out.message
    q1 = out.outcomes["q1"]
    by_pos = {r.position: r for r in q1.results}
    assert by_pos[1].mean == pytest.approx(0.51495, abs=1e-4) and by_pos[1].rounded == "+0.5"
    assert by_pos[2].rounded == "+4.9" and by_pos[2].verdict is Verdict.PASS and by_pos[2].mpe == 5.0
    assert by_pos[3].verdict is Verdict.NOT_APPLICABLE and by_pos[3].rounded == "—"
    assert "表位 3" in q1.data["position_faults"]["3"] and "no pulses" in q1.data["position_faults"]["3"]
    assert bench.log[0] == "run 0.02625 10" and bench.log[-1] == "stop"
    q2 = {r.position: r for r in out.outcomes["q2"].results}
    # position 2 out of tolerance at Q2 (MPE 2 %): repeated twice (1050, 1050) → still +4.9 → fail
    assert q2[2].verdict is Verdict.FAIL and len(q2[2].values) == 3 and len(q2[1].values) == 1
    assert "复测" in out.outcomes["q2"].data["position_notes"]["2"]
    assert q2[3].rounded == "-0.1"  # 10.00 vs 10.008461 → −0.08454 % → '-0.1'
    items1 = {i.key: i for i in proc.items(out.outcomes, 1)}
    assert items1["indication_error"].verdict is Verdict.PASS and items1["appearance"].verdict is Verdict.PASS
    items2 = {i.key: i for i in proc.items(out.outcomes, 2)}
    assert items2["appearance"].verdict is Verdict.FAIL and items2["indication_error"].verdict is Verdict.FAIL
    assert "表位 2" in items2["appearance"].note
    assert items2["function"].verdict is Verdict.FAIL and "显示完整" in items2["function"].note
    assert items1["function"].verdict is Verdict.PASS and [r.label for r in items1["function"].results] == [
        "表位 1 (W1) 显示完整 (display complete)"]  # a mechanical register: no 回零 point
    assert proc.environment(out.outcomes) == {"temperature_c": 21.0, "humidity_pct": 50.0}
    assert proc.flags(out.outcomes) == ()  # no condition ever becomes a flag (the period rule is on the certificate)


async def test_mpe_switches_above_30_c() -> None:
    # a T50 meter (water 0.1…50 °C; a T30 meter in 35 °C water would be a condition not met)
    proc = Jjg162(_params(positions=(1,), serials={1: "W1"}, temperature_class="T50",
                          overrides={"reference": {"air_density": "constant"},
                                                                            "items": {"indication_error": {"repeat_if_out_of_tolerance": False}}}))
    # +2.5 % at Q2 and Q3: fails ±2 % in cold water, passes ±3 % above 30 °C (water at 35 °C: ρ = 994.0319)
    rho35 = 994.0319
    m = 10.0 * rho35 / 1000.0 * (1 - 1.2 / rho35) / (1 - 1.2 / 8000.0)  # indication for exactly 10 L at 35 °C
    bench = ScriptedBench([[1025], [1025], [2050]], water_c=35.0, positions=1)
    std = ScriptedScale([m, m, 2 * m], water_c=35.0)
    out = await _run(proc, bench, std)
    assert out.status == "finished", out.message
    q3 = out.outcomes["q3"].results[0]
    assert q3.rounded == "+2.5" and q3.mpe == 3.0 and q3.verdict is Verdict.PASS
    assert out.outcomes["q3"].data["water_temperature_c"] == 35.0


def test_function_points_by_display() -> None:
    keys = [pt["key"] for pt in Jjg162(_params()).function_points()]
    assert keys == ["display"]  # mechanical register, not resettable: 回零 does not apply
    assert [pt["key"] for pt in Jjg162(_params(display="electronic")).function_points()] == ["display", "reset"]
    assert [pt["key"] for pt in Jjg162(_params(resettable=True)).function_points()] == ["display", "reset"]
    t = load_table("jjg162")
    assert t["items"]["function"]["name"] == "功能检查" and "function" in t["editions"]["2019"]["clauses_open"]


async def test_function_check_per_point_and_position() -> None:
    # An electronic display: 显示完整 and 回零 asked one after the other, one line per position;
    # position 2's reset refused → its function item fails naming 回零, position 1 passes both.
    proc = Jjg162(_params(positions=(1, 2), serials={1: "W1", 2: "W2"}, display="electronic",
                          overrides={"reference": {"air_density": "constant"}}))
    op = Yes(refuse="表位 2 (W2): 回零")
    out = await _run(proc, ScriptedBench([[1006, 1006], [1006, 1006], [2012, 2012]], positions=2),
                     ScriptedScale([9.98, 9.98, 19.96]), op)
    assert out.status == "finished", out.message
    assert [t for t in op.asked if t.startswith("功能检查")] == [
        "功能检查 — " + pt["text"] for pt in proc.function_points()]
    fn = out.outcomes["function"]
    assert [(r.position, r.label, r.verdict) for r in fn.results] == [
        (1, "表位 1 (W1) 显示完整 (display complete)", Verdict.PASS), (2, "表位 2 (W2) 显示完整 (display complete)", Verdict.PASS),
        (1, "表位 1 (W1) 回零 (reset to zero)", Verdict.PASS), (2, "表位 2 (W2) 回零 (reset to zero)", Verdict.FAIL)]
    items2 = {i.key: i for i in proc.items(out.outcomes, 2)}
    assert items2["function"].verdict is Verdict.FAIL and "回零" in items2["function"].note
    assert {i.key: i for i in proc.items(out.outcomes, 1)}["function"].verdict is Verdict.PASS


async def test_flow_outside_window_repeats_the_test_then_judges_the_valid_one() -> None:
    # Q1 window 0.025…0.0275 m³/h: the first test ran at 0.030 → not valid, measured again (1006
    # pulses, +0.5 %); the invalid test's 1300 pulses (+29.9 %) never reach a result.
    proc = Jjg162(_params(positions=(1,), serials={1: "W1"}, overrides={"reference": {"air_density": "constant"}}))
    bench = ScriptedBench([[1300], [1006], [1006], [2012]], positions=1, flows=[0.030])
    op = Yes()
    events: list[Any] = []
    out = await _run(proc, bench, ScriptedScale([9.98, 9.98, 9.98, 19.96]), op, events)
    assert out.status == "finished", out.message
    asked = [t for t in op.asked if t.startswith("检定条件不满足")]
    assert asked == ["检定条件不满足 (test condition not met): Q1 第1次: 实际流量 0.03 m³/h 不在 0.025~0.0275 m³/h 内 "
                     "(flow outside the point's window)"]
    q1 = out.outcomes["q1"].results[0]
    assert q1.values == (pytest.approx(0.51495, abs=1e-4),) and q1.rounded == "+0.5"
    keys = [(e.step_key, e.key) for e in events if isinstance(e, ReadingTaken)]
    assert ("q1", "q1:ref") in keys and ("q1", "condition:q1@1") in keys and ("q1", "q1@2:ref") in keys
    first = next(e for e in events if isinstance(e, ReadingTaken) and e.key == "q1:ref")
    assert "实际流量 0.03" in first.extra["condition"]  # the invalid test stays on disk with its reason


async def test_scale_drift_on_reread_voids_the_run_when_the_operator_says_so() -> None:
    # the second look moves by 0.05 kg > 20 × 0.001 kg: condition not met; the operator voids
    proc = Jjg162(_params(positions=(1,), serials={1: "W1"}))
    out = await _run(proc, ScriptedBench([[1006]], positions=1), ScriptedScale([9.98], drift_kg=[0.05]), Yes((VOID,)))
    assert out.status == "void" and "示值漂移 +0.0500 kg (> 20 × 0.001 kg" in out.message
    assert "q1" not in out.outcomes


async def test_water_too_warm_before_the_tests_is_read_again_or_void() -> None:
    proc = Jjg162(_params(positions=(1,), serials={1: "W1"}))
    out = await _run(proc, ScriptedBench([], water_c=31.0, positions=1), ScriptedScale([]), Yes((REPEAT, VOID)))
    # asked twice (31 °C both times), then voided; no test was run
    assert out.status == "void" and "水温 (water temperature) 31.0 °C 超出 0.1~30 °C" in out.message
    assert list(out.outcomes) == []


async def test_fixed_volume_below_the_standards_minimum_voids_the_run() -> None:
    # a 0.1 kg scale: 0.1/998.2067·1000 = 0.100179 L × 200 = 20.0359 L > the station's 15 L
    proc = Jjg162(_params(positions=(1,), serials={1: "W1"},
                          overrides={"items": {"indication_error": {"volume_l": {"q1": 15.0}}}}))
    bench = ScriptedBench([], positions=1)
    out = await _run(proc, bench, ScriptedScale([], resolution=0.1))
    assert out.status == "void" and "试验体积 15 L 小于最小试验体积 20.0359 L" in out.message
    assert bench.log == ["stop"] or bench.log == []  # no test was run


async def test_resume_after_a_dropped_line_on_the_repeated_test_keeps_the_invalid_one_and_the_attempt() -> None:
    # Q1 test 1 runs at 0.030 m³/h (outside the window) → the operator repeats; the repeat loses the
    # bench's line → paused. On resume the invalid test and its mark are on disk: the test is taken
    # as attempt 2 (q1@2), nothing is asked again, and the invalid test never reaches a result.
    proc = Jjg162(_params(positions=(1,), serials={1: "W1"}, overrides={"reference": {"air_density": "constant"}}))
    events: list[Any] = []
    first = await _run(proc, ScriptedBench([[1300]], positions=1, flows=[0.030], fail_on_test=2),
                       ScriptedScale([9.98, 9.98]), Yes(), events)
    assert first.status == "paused" and first.device == "bench-test"
    persisted = PersistedState(
        completed={e.step_key: e.outcome for e in events if isinstance(e, StepFinished)},
        readings=[StoredReading(e.step_key, e.key, e.quantity, e.value, e.unit, e.source, dict(e.extra))
                  for e in events if isinstance(e, ReadingTaken)])
    op = Yes()
    bench = ScriptedBench([[1006], [1006], [2012]], positions=1)
    second = await _run(Jjg162(proc.params), bench, ScriptedScale([9.98, 9.98, 19.96]), op, events, persisted)
    assert second.status == "finished", second.message
    assert not [t for t in op.asked if t.startswith("检定条件不满足")] and bench.log[0] == "run 0.02625 10"
    assert second.outcomes["q1"].results[0].rounded == "+0.5"
    assert [e.key for e in events if isinstance(e, ReadingTaken) and e.key.endswith(":ref")] == [
        "q1:ref", "q1@2:ref", "q2:ref", "q3:ref"]


# -- the real-time plan ------------------------------------------------------------------------------
# Nominal times (data/plan.toml): checklist point 10 s, display reading 20 s; a start-stop 10 s, a
# scale settling 15 s. Three positions, class 2, pulse mode, a 0.001 kg scale:
#   appearance 4 points × 3 × 10 = 120 s; function (mechanical: display only) 1 × 3 × 10 = 30 s;
#   tightness 2 × 3 × 10 + 60 s held = 120 s; conditions read from the bench: 0 s.
#   q1: 10 L at 26.25 L/h = 1371.4286 s (+ 10 + 15); q2: 10 L at 42 L/h = 857.1429 s (+ 25);
#   q3: 20 L at 2375 L/h = 30.3158 s (+ 25).
#   Minimum volume 200 × max(0.05, 0.01, 0.001002) = 10 L; the interval 0.05 L is 0.50 % of 10 L
#   (≤ MPE/10 = 0.50 % at Q1, > 0.20 % at Q2), the pulse 0.01 L is 0.10 % (≤ 0.20 %).
SCALE = {"standards": {"flow_standard": {"kind": "scale", "resolution": 0.001}}}


def _plan(proc: Jjg162, hints: dict[str, Any] | None = None) -> dict[str, Any]:
    return {s.key: s for s in proc.plan(hints)}


def test_plan_gravimetric_pulse_hand_worked() -> None:
    plan = _plan(Jjg162(_params()), SCALE)
    assert plan["conditions"].seconds == 0
    assert (plan["appearance"].seconds, plan["function"].seconds, plan["tightness"].seconds) == (120, 30, 120)
    assert "4 项检查 × 3 表位" in plan["appearance"].why and "试验压力保持 60 s" in plan["tightness"].why
    assert plan["q1"].seconds == pytest.approx(1371.4286 + 25, abs=1e-3)
    assert plan["q2"].seconds == pytest.approx(857.1429 + 25, abs=1e-3)
    assert plan["q3"].seconds == pytest.approx(30.3158 + 25, abs=1e-3)
    q1, q2 = plan["q1"].why, plan["q2"].why
    assert "1 次 × 10 L 于 26.25 L/h，每次 1371.4 s，启停 10 s，天平稳定 15 s" in q1
    assert "最小试验体积 200 × max(检定分度值 0.05 L, 脉冲 0.01 L, 标准器 0.001002 L) = 10 L（规程的分辨力要求）" in q1
    assert "分度值 0.05 L = 0.50 % ≤ MPE/10 = 0.50 %" in q1 and "脉冲 0.01 L = 0.10 % ≤ MPE/10 = 0.50 %" in q1
    assert "分度值 0.05 L = 0.50 % > MPE/10 = 0.20 %" in q2 and "脉冲 0.01 L = 0.10 % ≤ MPE/10 = 0.20 %" in q2
    assert "超差表位另测 2 次 (不计入)" in q1
    assert sum(s.seconds for s in plan.values()) == pytest.approx(270 + 1371.4286 + 857.1429 + 30.3158 + 75, abs=1e-3)


def test_plan_master_meter_has_no_settle_and_no_hints_fall_back_to_the_method() -> None:
    proc = Jjg162(_params())
    master = _plan(proc, {"standards": {"flow_standard": {"kind": "master_meter", "resolution": 0.001}}})
    assert master["q1"].seconds == pytest.approx(1371.4286 + 10, abs=1e-3) and "天平" not in master["q1"].why
    assert "标准器 0.001 L" in master["q1"].why
    bare = _plan(proc)  # during a run: no station hints, method auto — the meters' side of the minimum
    assert bare["q1"].seconds == pytest.approx(1371.4286 + 10, abs=1e-3) and "标准器" not in bare["q1"].why
    grav = _plan(Jjg162(_params(method="gravimetric")))
    assert grav["q1"].seconds == pytest.approx(1371.4286 + 25, abs=1e-3)


def test_plan_dial_entries_class_1_and_electronic_display() -> None:
    plan = _plan(Jjg162(_params(accuracy_class="1", reading_mode="entry", display="electronic")), SCALE)
    # 400 × 0.05 L = 20 L at every point; 3 positions' start and end readings × 20 s per test
    assert plan["q1"].seconds == pytest.approx(20 / 26.25 * 3600 + 25 + 120, abs=1e-3)
    assert "3 表位起止读数 × 20 s" in plan["q1"].why and "脉冲" not in plan["q1"].why
    assert "400 × max(检定分度值 0.05 L, 标准器 0.001002 L) = 20 L" in plan["q3"].why
    assert "分度值 0.05 L = 0.25 % > MPE/10 = 0.10 %" in plan["q3"].why  # class 1 upper zone ±1 %
    assert plan["function"].seconds == 2 * 3 * 10  # display complete and 回零


def test_plan_coarse_standard_raises_the_volume_and_a_fixed_one_would_void() -> None:
    coarse = {"standards": {"flow_standard": {"kind": "scale", "resolution": 0.1}}}  # 0.10018 L × 200 = 20.04 L
    plan = _plan(Jjg162(_params()), coarse)
    assert "1 次 × 21 L" in plan["q1"].why and plan["q1"].seconds == pytest.approx(21 / 26.25 * 3600 + 25, abs=1e-3)
    fixed = _plan(Jjg162(_params(overrides={"items": {"indication_error": {"volume_l": {"q1": 10.0}}}})), coarse)
    assert "检定将无效" in fixed["q1"].why and "void" in fixed["q1"].why


def test_plan_models_every_step() -> None:
    for proc in (Jjg162(_params()), Jjg162(_params(reading_mode="entry", display="electronic"))):
        steps = proc.plan(SCALE)
        assert [s.key for s in steps] == [s.key for s in proc.steps]
        assert not [s.key for s in steps if "未建模" in s.why]


async def test_plan_volume_is_the_volume_the_step_runs() -> None:
    """With a coarse scale (0.1 kg) the step runs 21 L at every point, as the plan says."""
    proc = Jjg162(_params(overrides={"reference": {"air_density": "constant"}}))
    bench = ScriptedBench([[2100, 2100, 2100]] * 3)
    events: list[Any] = []
    out = await _run(proc, bench, ScriptedScale([20.96] * 3, resolution=0.1), events=events)
    assert out.status == "finished", out.message
    started = next(e for e in events if isinstance(e, RunStarted))  # the run carries its plan (no station hints)
    assert started.planned_s == {s.key: s.seconds for s in proc.plan()} and started.planned_s["q1"] > 1371
    plan = _plan(proc, {"standards": {"flow_standard": {"kind": "scale", "resolution": 0.1}}})
    for key in ("q1", "q2", "q3"):
        assert out.outcomes[key].data["volume_l"] == 21.0 and f"× {out.outcomes[key].data['volume_l']:g} L" in plan[key].why


@dataclass
class SlowSettlingScale(ScriptedScale):
    """A scale whose tare waits ``settle_s`` for a stable indication (within its own deadline)."""

    settle_s: float = 0.3

    async def begin(self) -> None:
        await asyncio.sleep(self.settle_s)
        await super().begin()


async def test_the_backstop_covers_the_scales_own_settling_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    """A scale that settles within its own ``stable_timeout_s`` is waited for: the procedure's
    backstop is its short-call deadline plus the standard's settling time, so instability is
    reported by the scale ("not stable"), never by the backstop as silence (issue 17)."""
    import procedures.regulations.jjg162 as module

    monkeypatch.setattr(module, "IO_DEADLINE_S", 0.1)
    proc = Jjg162(_params(overrides={"reference": {"air_density": "constant"}}))
    bench = ScriptedBench([[1006, 1050, 1000]] * 4 + [[2012, 2012, 2012]])
    waited = await _run(proc, bench, SlowSettlingScale([9.98] * 4 + [19.96], settle_timeout_s=1.0))
    assert waited.status == "finished", waited.message
    bench = ScriptedBench([[1006, 1050, 1000]] * 4 + [[2012, 2012, 2012]])
    cut = await _run(proc, bench, SlowSettlingScale([9.98] * 4 + [19.96], settle_timeout_s=0.0))
    assert cut.status == "paused" and "未完成 (did not complete within 0.1 s)" in cut.message
    assert "无应答" not in cut.message and "no answer" not in cut.message
