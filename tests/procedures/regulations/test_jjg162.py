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
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from drivers.roles import FlowConditions, FlowTestRun, PositionReading, StandardVolume
from procedures.engine import EventBus, Executor, OperatorPrompt, StepContext
from procedures.engine.context import PersistedState
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
    assert [s.key for s in p.steps] == ["conditions", "appearance", "tightness", "q1", "q2", "q3"]
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
        counts = self.counts.pop(0)
        readings = tuple(PositionReading(i + 1, c, None, 0.0, "" if c is not None else "无脉冲 (no pulses)")
                         for i, c in enumerate(counts))
        return FlowTestRun(readings, FlowConditions(flow_m3_h, self.water_c, 300.0, 21.0, 101.3, 50.0), 60.0, volume_l)

    async def stop_flow(self) -> None:
        self.log.append("stop")


@dataclass
class ScriptedScale:
    """Plays ``flow_standard`` (kind scale): each test measures the next scripted indication."""

    masses: list[float]
    name: str = "scale-test"
    kind: str = "scale"
    resolution: float = 0.001
    water_c: float = 20.0
    _last: float = 0.0

    async def connect(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def begin(self) -> None:
        self._last = self.masses.pop(0)

    async def measured(self) -> StandardVolume:
        return StandardVolume("scale", None, self._last, self.water_c, 101.325)


class Yes:
    async def checklist(self, prompt: OperatorPrompt) -> dict[str, bool]:
        return {p: "表位 2" not in p for p in prompt.items}

    async def entry(self, prompt: OperatorPrompt) -> str:
        raise KeyError(prompt.text)


async def _run(proc: Jjg162, bench: Any, std: Any) -> Any:
    ctx = StepContext("r", EventBus(), {"flow_bench": bench, "flow_standard": std}, Yes(), proc.params.context(),
                      PersistedState())
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
    assert proc.environment(out.outcomes) == {"temperature_c": 21.0, "humidity_pct": 50.0}


async def test_mpe_switches_above_30_c() -> None:
    proc = Jjg162(_params(positions=(1,), serials={1: "W1"}, overrides={"reference": {"air_density": "constant"},
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
