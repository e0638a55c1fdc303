"""JJG 596-2012 on a multi-position bench: the numbers from the table (load points, MPE per point,
rounding at one tenth of the class, creep/starting durations, gate sizes, the daily clock formula),
and hand-worked runs through the engine with bench roles written for the test (a bench that hands
back scripted gate counts, pulse totals, energies and clock frequencies).

Hand-worked numbers:
- creep (regulations.md §6): T = k/(C·m·Un·Imax) min. Class 1, 1600 imp/kWh, 220 V, 5(20) A:
  600e6/(1600·1·220·20) = 600e6/7.04e6 = 85.227 min (the secondary source's "85 min"); class 2,
  5(60) A: 480e6/(1600·220·60) = 480e6/21.12e6 = 22.727 min; three-phase four-wire (m = 3): ÷ 3.
- starting: I_Q = 0.004·Ib (class 1) = 0.02 A for Ib = 5 A; t_Q = 1.2·60·1000/(1600·220·0.02) =
  72000/7040 = 10.227 min; class 2: I_Q = 0.005·5 = 0.025 A, t_Q = 72000/8800 = 8.1818 min.
- gate size N ≈ 10 s of pulses: Imax 60 A, cos φ 1: 1600·220·60/3.6e6 = 5.8667 /s → 58.67 → 59;
  0.05Ib: 1600·55/3.6e6 = 0.02444 /s → 0.24 → the minimum 2; Ib 0.5L: 0.2444 /s → 2.44 → 2.
- basic error, pulse method γ = (m0 − m)/m, m0 = C0·N/C_L = 1e6·10/1000 = 10000 (class 1, MPE 1.0,
  interval 0.1, band 0.8–1.2):
    p1 m = 10000 → 0 → "0.0" pass, 2 readings;
    p2 m = 9920 → 80/9920 = 0.806452 % (≥ 0.8: two more) then m = 9950 → 50/9950 = 0.502513 %;
       mean of 4 = 0.654482 → "+0.7" pass;
    p3 m = 9890 → 110/9890 = 1.112235 % (in band) then m = 9880 → 120/9880 = 1.214575 %;
       mean of 4 = 1.163405 → "+1.2" fail;
    p4 m = 10200 → −200/10200 = −1.960784 % (beyond 120 %: no more) → "-2.0" fail;
    p5 no pulses at the second reading → fault, n/a "—".
- constant test (registers against the standard, class 1, MPE 1.0, interval 0.1): the scripted
  standard reads 2500 Wh more at each read while current flows — once to start the count, four
  times until 10 kWh have run (2500 → 12500 Wh) — so E_std = E1 − E0 = 12.5 kWh; register advances
  ΔR: 12.58 → 0.08/12.5 = +0.64 % → "+0.6" pass; 12.63 → +1.04 % → "+1.0" pass (= MPE);
  12.64 → +1.12 % → "+1.1" fail; 12.37 → −1.04 % → "-1.0" pass; 12.36 → −1.12 % → "-1.1" fail.
  Its energy: class 1 with a 0.01 kWh register → at least 0.01/(0.1 × 1.0 %) = 10 kWh.
- single-element error (three-phase four-wire, class 1: element MPE 2.0, difference 1.5): N = 10,
  C_L = 1000, C0 = 1e6 → m0 = 10000. Balanced Ib: p1 m = 10000 → 0; p2 m = 9950 → 50/9950 =
  +0.502513 %. Element A: p1 m = 9847 → 153/9847 = +1.553772 % → "+1.6" pass, difference +1.553772
  → "+1.6" > 1.5 fail; element B: p1 m = 10100 → −0.990099 % → "-1.0", difference "-1.0" pass;
  p2 m = 9701 → 299/9701 = +3.082156 % → "+3.1" fail, difference 3.082156 − 0.502513 =
  +2.579643 → "+2.6" fail. (None lies in 80–120 % of its MPE: no extra readings.)
- daily clock e = (f − f0)/f0 × 86400 s/d: f = 1.000005 Hz → 0.432 s/d → "+0.43"; five readings
  of 0.432 → pass; readings 0.432 × 4 and 0.6 (f = 1 + 0.6/86400): mean 0.4656 → "+0.47" within
  ±0.5 but one reading beyond → fail; f = 0.999994 → −0.5184 → "-0.52" fail.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from drivers.errors import DeviceTimeout
from drivers.roles import (
    ClockFrequency,
    ClockTester,
    Instantaneous,
    MultiPositionCounter,
    PositionReading,
    PowerSource,
    RegisterReader,
    RegisterReading,
)
from procedures.engine import EventBus, Executor, OperatorPrompt, ReadingTaken, RunStarted, StepContext
from procedures.engine.context import PersistedState, StoredReading
from procedures.metrology import daily_clock_error_s_per_day, format_rounded
from procedures.metrology.bench import needs_more_readings
from procedures.records import Verdict
from procedures.regulations import REGISTRY
from procedures.regulations.jjg596 import (
    Jjg596,
    MeterParams,
    basic_error_mpe,
    expand_load_points,
    gate_pulses,
    power_factor_cos,
)
from procedures.regulations.tables import load_table

SERIALS = {p: f"EM{p:03d}" for p in range(1, 6)}


def _params(cls: str = "1", *, ib: float = 5.0, imax: float = 60.0, c: float = 1600.0, vtype: str = "first",
            connection: str = "single_phase", serials: dict[int, str] | None = None, source: str = "port",
            **overrides: Any) -> MeterParams:
    return MeterParams(serials=dict(serials or SERIALS), ib_a=ib, imax_a=imax, un_v=220.0, constant_imp_per_kwh=c,
                       accuracy_class=cls, connection=connection, verification_type=vtype, register_source=source,
                       overrides=overrides)


# -- numbers from the table ------------------------------------------------------------------------
def test_load_points_expand_for_a_5_60_a_meter() -> None:
    pts = expand_load_points(load_table("jjg596")["basic_error"]["load_points"], 5.0, 60.0)
    assert [(p.label, p.current_a, p.pf) for p in pts] == [
        ("Imax", 60.0, "1"), ("Ib", 5.0, "1"), ("0.1Ib", 0.5, "1"), ("0.05Ib", 0.25, "1"),
        ("Ib 0.5L", 5.0, "0.5L"), ("0.2Ib 0.5L", 1.0, "0.5L"), ("0.1Ib 0.5L", 0.5, "0.5L"),
        ("Ib 0.8C", 5.0, "0.8C"), ("0.2Ib 0.8C", 1.0, "0.8C"), ("0.1Ib 0.8C", 0.5, "0.8C")]
    assert pts[0].fraction_of_ib == 12.0 and pts[3].fraction_of_ib == 0.05
    with pytest.raises(ValueError, match="imax"):
        expand_load_points([{"label": "x", "current": "Imin", "pf": "1"}], 5.0, 60.0)


@pytest.mark.parametrize(("cls", "expected"), [
    ("1", [1.0, 1.0, 1.0, 1.5, 1.0, 1.0, 1.5, 1.0, 1.0, 1.5]),
    ("2", [2.0, 2.0, 2.0, 2.5, 2.0, 2.0, 2.5, 2.0, 2.0, 2.5]),
])
def test_mpe_per_load_point(cls: str, expected: list[float]) -> None:
    proc = Jjg596(_params(cls))
    steps = [s for s in proc.steps if s.key.startswith("basic_error_")]
    assert [s.params["mpe"] for s in steps] == expected  # type: ignore[attr-defined]
    rows = proc.table["basic_error"]["mpe"]
    assert basic_error_mpe(rows, cls, "0.8C", 0.1999) == expected[-1]  # just below 0.2Ib: the wider limit


@pytest.mark.parametrize(("value", "cls", "printed"), [
    (-0.1705, "1", "-0.2"), (0.2228, "1", "+0.2"), (0.0389, "1", "0.0"),  # State Grid data, regulations.md §0.2
    (0.25, "1", "+0.2"), (0.35, "1", "+0.4"),  # half to even on 0.1
    (0.3, "2", "+0.4"), (0.1, "2", "0.0"), (-0.1705, "2", "-0.2"),  # interval 0.2: 1.5 → 2, 0.5 → 0
])
def test_rounding_at_a_tenth_of_the_class(value: float, cls: str, printed: str) -> None:
    assert format_rounded(value, Jjg596(_params(cls)).rounding) == printed


def test_more_readings_band_80_to_120_percent() -> None:
    band = needs_more_readings([0.79, 0.80, 1.20, 1.21, -0.9, float("nan")], 1.0, 0.8, 1.2)
    assert band.tolist() == [False, True, True, False, True, False]


def test_creep_and_starting_durations() -> None:
    p = Jjg596(_params("1", imax=20.0))
    assert p.creep_minutes() == pytest.approx(85.227, abs=1e-3)
    assert p.starting_current() == pytest.approx(0.02)
    assert p.starting_minutes() == pytest.approx(10.227, abs=1e-3)
    p2 = Jjg596(_params("2"))
    assert p2.creep_minutes() == pytest.approx(22.727, abs=1e-3)
    assert p2.starting_current() == pytest.approx(0.025) and p2.starting_minutes() == pytest.approx(8.1818, abs=1e-4)
    p3 = Jjg596(_params("1", imax=20.0, connection="three_phase_4w"))
    assert p3.creep_minutes() == pytest.approx(85.227 / 3, abs=1e-3)
    creep = next(s for s in p.steps if s.key == "creep")
    assert creep.params["voltage_v"] == pytest.approx(253.0) and creep.params["current_a"] == 0.0  # type: ignore[attr-defined]


def test_gate_pulses_last_about_ten_seconds() -> None:
    assert gate_pulses(1600, 1, 220, 60, "1", 10.0, 2, 200) == 59
    assert gate_pulses(1600, 1, 220, 0.25, "1", 10.0, 2, 200) == 2
    assert gate_pulses(1600, 1, 220, 5, "0.5L", 10.0, 2, 200) == 2
    assert gate_pulses(1600, 3, 220, 60, "1", 10.0, 2, 100) == 100
    assert power_factor_cos("0.8C") == 0.8 and power_factor_cos("1") == 1.0


def test_daily_clock_formula_and_rounding() -> None:
    assert daily_clock_error_s_per_day(1.000005, 1.0) == pytest.approx(0.432)
    assert format_rounded(0.432, "0.01") == "+0.43"
    assert format_rounded(float(daily_clock_error_s_per_day(0.999994, 1.0)), "0.01") == "-0.52"


def test_steps_items_and_choices() -> None:
    p = Jjg596(_params())
    assert [s.key for s in p.steps][:6] == ["env_temperature", "env_humidity", "appearance", "ac_voltage", "creep",
                                            "starting"]
    assert [s.key for s in p.steps][-2:] == ["constant", "daily_clock"] and len(p.steps) == 6 + 10 + 2
    assert p.positions == (1, 2, 3, 4, 5) and p.code == "JJG 596-2012" and p.verification_type_zh() == "首次检定"
    assert p.table["period"]["years"]["1"] == 8
    assert REGISTRY["jjg596"] == (MeterParams, Jjg596)
    with pytest.raises(ValueError, match="accuracy class"):
        Jjg596(_params("0.5S"))
    with pytest.raises(ValueError, match="edition"):
        Jjg596(MeterParams(SERIALS, 5, 60, 220, 1600, "1", edition="1999"))
    with pytest.raises(ValueError, match="connection"):
        Jjg596(_params(connection="delta"))
    assert Jjg596(_params(basic_error={"readings": 3})).steps[6].params["readings"] == 3  # type: ignore[attr-defined]
    assert Jjg596(_params(basic_error={"readings": 3})).procedure_hash != p.procedure_hash


def test_params_from_instrument_and_station_round_trip() -> None:
    from bench.station import parse_station

    st = parse_station({"bench": {"serials": ["A1", "", "A3"]}, "procedure": {"daily_clock": {"readings": 2}},
                        "devices": {"b": {"driver": "modbus_bench", "map": "jianding_sim_bench", "positions": 3,
                                          "roles": ["power_source", "multi_counter", "energy_standard", "clock_tester"]}}})
    inst = SimpleNamespace(serial="BATCH", accuracy_class="2级",
                           params_json=json.dumps({"ib_a": 10, "imax_a": 100, "un_v": 230, "constant_imp_per_kwh": 1000}))
    params = MeterParams.from_instrument(inst, st, edition="2012", verification_type="subsequent")
    assert params.serials == {1: "A1", 3: "A3"} and params.positions == (1, 3) and params.accuracy_class == "2"
    assert MeterParams.from_dict(json.loads(json.dumps(params.to_dict()))) == params
    assert params.context() == {"serials": {"1": "A1", "3": "A3"}}
    proc = Jjg596(params)
    assert next(s for s in proc.steps if s.key == "daily_clock").params["readings"] == 2  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="ib_a"):
        MeterParams.from_instrument(SimpleNamespace(accuracy_class="1", params_json="{}"), st, edition="2012")


# -- through the engine ----------------------------------------------------------------------------
@dataclass
class ScriptedBench:
    """Plays power_source, multi_counter, energy_standard, clock_tester and register_reader for 5
    positions: gate n (1-based, counted over the run) gives ``gates[n][p]`` standard pulses (None:
    no pulses) for N = the requested pulses; pulse totals advance by ``totals_step[p]`` per
    read_totals call while current flows and when the current stops after it flowed; the
    standard's energy advances ``energy_step_wh`` per read while current flows and its power is
    220 V × I × cos φ × the elements loaded (0 with ``no_current``); each register stands at
    ``registers[p]`` and advances ``register_advance[p]`` kWh when the current stops after it
    flowed (``silent_meters`` never answer; ``line_cut_after_current``: no meter answers once
    current has flowed); clock reading k gives ``clock_hz[p][k-1]``. Time advances 60 s per read."""

    gates: dict[int, dict[int, int | None]] = field(default_factory=dict)
    totals_step: dict[int, int] = field(default_factory=dict)
    energy_step_wh: float = 2500.0
    registers: dict[int, float] = field(default_factory=lambda: dict.fromkeys(range(1, 6), 100.0))
    register_advance: dict[int, float] = field(default_factory=dict)
    silent_meters: set[int] = field(default_factory=set)
    line_cut_after_current: bool = False
    no_current: bool = False
    elements: int = 1
    clock_hz: dict[int, list[float]] = field(default_factory=dict)
    dead: set[int] = field(default_factory=set)
    name: str = "bench-test"
    positions: int = 5
    log: list[str] = field(default_factory=list)
    gate_no: int = 0
    n: int = 0
    t: float = 0.0
    current: float = 0.0
    cos: float = 1.0
    phase: str | None = None
    flowed: bool = False
    totals: dict[int, int] = field(default_factory=dict)
    energy_wh: float = 0.0
    clock_reads: int = 0

    async def connect(self) -> None:
        return None

    async def close(self) -> None:
        return None

    def _current_stops(self) -> None:
        """The pulses and register digits of the session that ends."""
        if self.current:
            self.flowed = True
            for p in range(1, self.positions + 1):
                self.totals[p] = self.totals.get(p, 0) + self.totals_step.get(p, 0)
                self.registers[p] = self.registers.get(p, 0.0) + self.register_advance.get(p, 0.0)
        self.current = 0.0

    async def apply(self, voltage_v: float, current_a: float, power_factor: str = "1",
                    frequency_hz: float = 50.0, phase: str | None = None) -> None:
        self.log.append(f"apply {voltage_v:g} {current_a:g} {power_factor}" + (f" {phase}" if phase else ""))
        if not current_a:
            self._current_stops()
        self.current, self.cos, self.phase = current_a, float(power_factor.rstrip("LC")), phase

    async def off(self) -> None:
        self.log.append("off")
        self._current_stops()

    async def read_instantaneous(self) -> Instantaneous:
        i = 0.0 if self.no_current else self.current
        loaded = 1 if self.phase else self.elements
        return Instantaneous(220.0, i, 220.0 * i * self.cos * loaded, self.cos, 50.0)

    async def start_gates(self, dut_pulses: int) -> None:
        self.gate_no += 1
        self.n = dut_pulses
        self.log.append(f"gate {dut_pulses}")

    async def gates_done(self) -> list[bool]:
        return [True] * self.positions

    async def read_gates(self) -> list[PositionReading]:
        out = []
        for p in range(1, self.positions + 1):
            m = self.gates.get(self.gate_no, {}).get(p, 10000)
            out.append(PositionReading(p, self.n, m, 1e6) if m is not None
                       else PositionReading(p, None, None, 1e6, f"表位 {p}: 无脉冲 (no pulses within the gate)"))
        return out

    async def read_totals(self) -> list[PositionReading]:
        out = []
        for p in range(1, self.positions + 1):
            if p in self.dead:
                out.append(PositionReading(p, None, None, 1e6, f"表位 {p}: 计数器无响应"))
                continue
            self.totals[p] = self.totals.get(p, 0) + (self.totals_step.get(p, 0) if self.current else 0)
            out.append(PositionReading(p, self.totals[p], 0, 1e6))
        return out

    async def stop_gates(self) -> None:
        self.log.append("stop")

    async def read_energy_wh(self) -> float:
        if self.current and not self.no_current:
            self.energy_wh += self.energy_step_wh
        return self.energy_wh

    async def read_energy_kwh(self, position: int) -> float:
        return self.registers[position]

    async def read_registers(self, positions: Sequence[int]) -> list[RegisterReading]:
        if self.line_cut_after_current and self.flowed:
            raise DeviceTimeout(self.name, "RS-485: 电能表均无应答 (no meter answers on the line)")
        self.log.append("registers")
        return [RegisterReading(p, None, f"{p:012d}", f"表位 {p}: 电能表 {p:012d} 无应答") if p in self.silent_meters
                else RegisterReading(p, self.registers[p], f"{p:012d}") for p in positions]

    async def read_time_s(self) -> float:
        self.t += 60.0
        return self.t

    async def start_clock_test(self, gate_s: float) -> None:
        self.log.append(f"clock {gate_s:g}")
        self.clock_reads = 0

    async def read_clock_frequencies(self) -> list[ClockFrequency]:
        self.clock_reads += 1
        k = self.clock_reads
        return [ClockFrequency(p, self.clock_hz.get(p, [1.0] * 99)[k - 1], k) if p not in self.dead
                else ClockFrequency(p, None, 0, f"表位 {p}: 计数器无响应 (error calculator not answering)")
                for p in range(1, self.positions + 1)]

    async def stop_clock_test(self) -> None:
        self.log.append("clock stop")


class Operator:
    """Confirms every checklist point except those containing a refused text; fixed conditions;
    register readings from ``registers`` (position → the values it types, one per prompt: a wrong
    one is typed first and refused)."""

    def __init__(self, refuse: Sequence[str] = (), registers: dict[str, list[str]] | None = None) -> None:
        self.refuse = tuple(refuse)
        self.registers = {k: list(v) for k, v in (registers or {}).items()}
        self.prompts: list[OperatorPrompt] = []

    async def checklist(self, prompt: OperatorPrompt) -> dict[str, bool]:
        return {p: not any(r in p for r in self.refuse) for p in prompt.items}

    async def entry(self, prompt: OperatorPrompt) -> str:
        self.prompts.append(prompt)
        if prompt.text.startswith("电能表示值"):
            key = prompt.text.split()[2] + (" before" if "走字前" in prompt.text else " after")
            answers = self.registers[key]
            return answers.pop(0) if len(answers) > 1 else answers[0]
        return "23 °C" if prompt.text.startswith("环境温度") else "50 %"


def test_scripted_bench_plays_the_roles() -> None:
    b = ScriptedBench()
    assert all(isinstance(b, r) for r in (PowerSource, MultiPositionCounter, ClockTester, RegisterReader))


ROLES = ("power_source", "multi_counter", "energy_standard", "clock_tester", "register_reader")


async def _run(proc: Jjg596, bench: ScriptedBench, operator: Any = None, persisted: PersistedState | None = None,
               events: list[Any] | None = None) -> Any:
    bus = EventBus()
    if events is not None:
        bus.add_sink(events.append)
    ctx = StepContext("r", bus, dict.fromkeys(ROLES, bench), operator or Operator(), proc.params.context(), persisted)
    return await Executor(proc, ctx).run()


def _taken(events: list[Any]) -> list[StoredReading]:
    return [StoredReading(e.step_key, e.key, e.quantity, e.value, e.unit, e.source, dict(e.extra))
            for e in events if isinstance(e, ReadingTaken)]


ONE_POINT = {"basic_error": {"load_points": [{"label": "Ib", "current": 1.0, "pf": "1", "pulses": 10}]}}


async def test_basic_error_hand_worked_with_extra_readings_and_a_fault() -> None:
    bench = ScriptedBench(gates={1: {1: 10000, 2: 9920, 3: 9890, 4: 10200, 5: 10000},
                                 2: {1: 10000, 2: 9920, 3: 9890, 4: 10200, 5: None},
                                 3: {2: 9950, 3: 9880}, 4: {2: 9950, 3: 9880}},
                         totals_step={p: 5 for p in SERIALS}, clock_hz={})
    proc = Jjg596(_params("1", c=1000.0, **ONE_POINT,
                          editions={"2012": {"items": ["basic_error"]}}))
    out = await _run(proc, bench)
    assert out.status == "finished", out.message
    o = out.outcomes["basic_error_1"]
    by = {r.position: r for r in o.results}
    assert [by[p].rounded for p in range(1, 6)] == ["0.0", "+0.7", "+1.2", "-2.0", "—"]
    assert [by[p].verdict for p in range(1, 6)] == [Verdict.PASS, Verdict.PASS, Verdict.FAIL, Verdict.FAIL,
                                                    Verdict.NOT_APPLICABLE]
    assert by[2].values == pytest.approx([0.806452, 0.806452, 0.502513, 0.502513], abs=1e-6)
    assert by[2].mean == pytest.approx(0.654482, abs=1e-6) and by[3].mean == pytest.approx(1.163405, abs=1e-6)
    assert len(by[1].values) == 2 and len(by[4].values) == 2 and by[4].values[0] == pytest.approx(-1.960784, abs=1e-6)
    assert o.data["extra_readings"] == [2, 3] and o.verdict is Verdict.FAIL
    assert list(o.data["position_faults"]) == ["5"] and "无脉冲" in o.data["position_faults"]["5"]
    assert bench.log.count("gate 10") == 4 and bench.log[-3:] == ["stop", "clock stop", "off"]
    assert bench.log[1] == "apply 220 5 1"
    assert [i.verdict for i in proc.items(out.outcomes, 1)] == [Verdict.PASS]
    assert [i.verdict for i in proc.items(out.outcomes, 3)] == [Verdict.FAIL]
    assert proc.items(out.outcomes, 3)[0].results[0].position == 3
    assert any("表位 2, 3" in f for f in proc.flags(out.outcomes))


async def test_resume_reuses_the_readings_taken() -> None:
    gates = {1: {p: 10000 for p in SERIALS}, 2: {p: 10000 for p in SERIALS}}
    proc = Jjg596(_params("1", c=1000.0, **ONE_POINT, editions={"2012": {"items": ["basic_error"]}}))
    first = ScriptedBench(gates=gates)
    events: list[Any] = []
    await _run(proc, first, events=events)
    taken = [r for r in _taken(events) if r.key.endswith(":r1")]
    assert len(taken) == 5
    again = ScriptedBench(gates={1: {p: 9000 for p in SERIALS}})  # a second gate would read +11.1 %
    out = await _run(proc, again, persisted=PersistedState(readings=taken))
    o = out.outcomes["basic_error_1"]
    assert again.log.count("gate 10") == 1  # only the second reading is taken again
    assert all(r.values[0] == 0.0 and r.values[1] == pytest.approx(1000 / 9000 * 100) for r in o.results)


async def test_appearance_ac_voltage_creep_starting_constant_and_clock() -> None:
    f_gain = 1 + 0.432 / 86400
    bench = ScriptedBench(
        totals_step={1: 0, 2: 1, 3: 2, 4: 3, 5: 0},
        clock_hz={1: [f_gain] * 5, 2: [f_gain] * 4 + [1 + 0.6 / 86400], 3: [0.999994] * 5, 4: [1.0] * 5},
        dead={5}, register_advance=dict.fromkeys(SERIALS, 12.5), silent_meters={5})
    proc = Jjg596(_params("1", editions={"2012": {"items": ["appearance", "ac_voltage", "creep", "starting",
                                                            "constant", "daily_clock"]}}))
    out = await _run(proc, bench, Operator(refuse=["表位 3 (EM003): 铭牌"]))
    assert out.status == "finished", out.message
    app = out.outcomes["appearance"]
    assert [r.verdict for r in app.results] == [Verdict.PASS, Verdict.PASS, Verdict.FAIL, Verdict.PASS, Verdict.PASS]
    assert "外观检查不符合" in app.data["position_notes"]["3"] and "3" not in app.data["position_faults"]
    assert "外观检查不符合" in proc.items(out.outcomes, 3)[0].note and proc.items(out.outcomes, 1)[0].note == ""
    assert out.outcomes["ac_voltage"].verdict is Verdict.PASS
    # totals step per read with current: creep has no current → 0 pulses for all; dead p5 is a fault
    creep = {r.position: r for r in out.outcomes["creep"].results}
    assert [creep[p].rounded for p in range(1, 5)] == ["0"] * 4 and creep[5].verdict is Verdict.NOT_APPLICABLE
    assert out.outcomes["creep"].verdict is Verdict.PASS and "5" in out.outcomes["creep"].data["position_faults"]
    start = {r.position: r for r in out.outcomes["starting"].results}
    assert start[1].verdict is Verdict.FAIL and start[2].verdict is Verdict.PASS and start[2].rounded == "1"
    assert "apply 220 0.02 1" in bench.log and "apply 253 0 1" in bench.log
    assert next(s for s in proc.steps if s.key == "starting").params["minutes"] == pytest.approx(  # type: ignore[attr-defined]
        1.2 * 60000 / (1600 * 220 * 0.02))
    const = out.outcomes["constant"]
    assert const.data["standard_kwh"] == pytest.approx(12.5) and const.data["register_source"] == "port"
    assert list(const.data["position_faults"]) == ["5"] and "无应答" in const.data["position_faults"]["5"]
    assert [r.rounded for r in const.results] == ["0.0"] * 4 + ["—"]
    clock = {r.position: r for r in out.outcomes["daily_clock"].results}
    assert clock[1].rounded == "+0.43" and clock[1].verdict is Verdict.PASS and len(clock[1].values) == 5
    assert clock[2].rounded == "+0.47" and clock[2].verdict is Verdict.FAIL  # mean within, one reading beyond
    assert clock[3].rounded == "-0.52" and clock[3].verdict is Verdict.FAIL
    assert clock[4].rounded == "0.00" and clock[5].rounded == "—"
    assert "clock 60" in bench.log and bench.log[-1] == "off"


CONSTANT_ONLY = {"editions": {"2012": {"items": ["constant"]}}}
ADVANCE = {1: 12.58, 2: 12.63, 3: 12.64, 4: 12.37, 5: 12.36}


async def test_register_errors_hand_worked() -> None:
    bench = ScriptedBench(register_advance=ADVANCE, registers={1: 100.0, 2: 2.5, 3: 999.99, 4: 0.0, 5: 4321.0},
                          totals_step={p: 20000 for p in SERIALS})
    proc = Jjg596(_params("1", **CONSTANT_ONLY))
    assert proc.steps[-1].params["energy_kwh"] == 10.0  # type: ignore[attr-defined]
    events: list[Any] = []
    out = await _run(proc, bench, events=events)
    assert out.status == "finished", out.message
    o = out.outcomes["constant"]
    assert o.data["standard_kwh"] == pytest.approx(12.5) and o.data["attempt"] == 1
    r = {x.position: x for x in o.results}
    assert r[1].values[0] == pytest.approx(0.64) and r[1].rounded == "+0.6" and r[1].verdict is Verdict.PASS
    assert r[2].values[0] == pytest.approx(1.04) and r[2].rounded == "+1.0" and r[2].verdict is Verdict.PASS
    assert r[3].values[0] == pytest.approx(1.12) and r[3].rounded == "+1.1" and r[3].verdict is Verdict.FAIL
    assert r[4].rounded == "-1.0" and r[4].verdict is Verdict.PASS
    assert r[5].values[0] == pytest.approx(-1.12) and r[5].rounded == "-1.1" and r[5].verdict is Verdict.FAIL
    # the sequence: meters powered without current, registers read, current, current off, read again
    i = bench.log.index("apply 220 0 1")
    assert bench.log[i:i + 4] == ["apply 220 0 1", "registers", "apply 220 60 1", "apply 220 0 1"]
    assert bench.log[i + 4] == "registers"
    readings = {e.key: e for e in events if isinstance(e, ReadingTaken)}
    assert readings["p03:register:before"].value == 999.99 and readings["p03:register:after"].value == pytest.approx(
        1012.63)
    assert readings["std:before"].value == 0.0 and readings["std:after"].value == 12500.0
    p3 = readings["p03:register"]
    assert p3.extra["register_advance_kwh"] == pytest.approx(12.64) and p3.extra["standard_kwh"] == 12.5
    assert p3.extra["pulses"] == 20000 and p3.extra["pulse_kwh"] == pytest.approx(12.5)  # ΔN/C_L = 20000/1600


async def test_register_running_ahead_of_its_pulses_fails_only_the_constant_test() -> None:
    # every pulse count agrees with the standard (ΔN/C_L = 12.5 kWh); p2's register advances 1.3 % more
    bench = ScriptedBench(register_advance={**dict.fromkeys(SERIALS, 12.5), 2: 12.5 * 1.013},
                          totals_step=dict.fromkeys(SERIALS, 12500))
    proc = Jjg596(_params("1", c=1000.0, **ONE_POINT, editions={"2012": {"items": ["basic_error", "constant"]}}))
    out = await _run(proc, bench)
    assert [r.verdict for r in out.outcomes["basic_error_1"].results] == [Verdict.PASS] * 5
    assert [r.rounded for r in out.outcomes["constant"].results] == ["0.0", "+1.3", "0.0", "0.0", "0.0"]
    assert [i.key for i in proc.items(out.outcomes, 2) if i.verdict is Verdict.FAIL] == ["constant"]
    assert all(i.verdict is Verdict.PASS for i in proc.items(out.outcomes, 1))


async def test_registers_entered_by_the_operator_a_wrong_entry_refused() -> None:
    bench = ScriptedBench(register_advance=ADVANCE)
    entries = {f"{p} before": ["100.00 kWh"] for p in SERIALS}
    entries.update({f"{p} after": [f"{100 + ADVANCE[p]:.2f} kWh"] for p in SERIALS})
    entries["2 after"] = ["12 A", "99.5 kWh", "112.63 度"]  # wrong unit, then below the before-reading, then right
    op = Operator(registers=entries)
    proc = Jjg596(_params("1", source="operator", **CONSTANT_ONLY))
    assert "register_reader" in proc.unused_roles()
    out = await _run(proc, bench, op)
    assert out.status == "finished", out.message
    assert "registers" not in bench.log  # nothing read over the port
    p2 = [q for q in op.prompts if "表位 2 (EM002) 走字后" in q.text]
    assert len(p2) == 3 and p2[0].unit == "kWh" and p2[0].low == 100.0
    assert "单位错误" in p2[1].error and "超出允许范围 [100" in p2[2].error
    assert [r.rounded for r in out.outcomes["constant"].results] == ["+0.6", "+1.0", "+1.1", "-1.0", "-1.1"]


async def test_constant_test_interrupted_runs_again_keeping_the_first_attempt() -> None:
    proc = Jjg596(_params("1", **CONSTANT_ONLY))
    first = ScriptedBench(register_advance=ADVANCE, line_cut_after_current=True)
    events: list[Any] = []
    out = await _run(proc, first, events=events)
    assert out.status == "paused" and "无应答" in out.message
    kept = _taken(events)
    assert {r.key for r in kept if r.step_key == "constant"} == ({"std:before", "std:after"}
                                                               | {f"p0{p}:register:before" for p in SERIALS})
    again = ScriptedBench(register_advance=ADVANCE, registers=dict.fromkeys(SERIALS, 200.0))  # after a restart
    events2: list[Any] = []
    out2 = await _run(proc, again, persisted=PersistedState(readings=kept), events=events2)
    assert out2.status == "finished", out2.message
    o = out2.outcomes["constant"]
    assert o.data["attempt"] == 2 and o.data["interrupted_attempts"] == [1]
    new = {e.key for e in events2 if isinstance(e, ReadingTaken)}
    assert new >= {"std:before@2", "std:after@2", "p01:register:before@2", "p01:register:after@2", "p01:register@2"}
    assert not new & {r.key for r in kept}  # the first attempt's readings are neither taken again nor changed
    assert [r.rounded for r in o.results] == ["+0.6", "+1.0", "+1.1", "-1.0", "-1.1"]
    third = ScriptedBench()  # resumed once more after it finished: judged from the readings on disk
    out3 = await _run(proc, third, persisted=PersistedState(readings=kept + _taken(events2)))
    assert [r.rounded for r in out3.outcomes["constant"].results] == ["+0.6", "+1.0", "+1.1", "-1.0", "-1.1"]
    assert "registers" not in third.log and third.gate_no == 0


def test_constant_energy_must_outweigh_the_registers_last_digit() -> None:
    with pytest.raises(ValueError, match="走字电量 1 kWh 不足"):
        Jjg596(_params("1", constant={"energy_kwh": 1.0}))
    ok = Jjg596(_params("1", constant={"energy_kwh": 1.0, "register_resolution_kwh": 0.001}))
    assert ok.constant_energy_kwh() == 1.0
    assert Jjg596(_params("2")).constant_energy_kwh() == 5.0


async def test_a_source_delivering_no_current_pauses_the_run() -> None:
    for items, step in ((["starting"], "starting"), (["basic_error"], "basic_error_1"), (["constant"], "constant")):
        bench = ScriptedBench(no_current=True, register_advance=ADVANCE)
        proc = Jjg596(_params("1", **ONE_POINT, editions={"2012": {"items": items}}))
        events: list[Any] = []
        out = await _run(proc, bench, events=events)
        assert out.status == "paused" and out.device == "bench-test", (step, out.message)
        assert "标准表未测到功率" in out.message and "the standard sees no power" in out.message
        assert "gate 10" not in bench.log  # detected before any gate was started
        assert not [e for e in events if isinstance(e, ReadingTaken) and e.step_key == step and "pulses" in e.key]
        assert bench.log[-1] == "off"
    fine = await _run(Jjg596(_params("1", **ONE_POINT, editions={"2012": {"items": ["starting"]}})), ScriptedBench())
    assert fine.status == "finished"


THREE_PHASE = {"basic_error": {"load_points": [{"label": "Ib", "current": 1.0, "pf": "1", "pulses": 10}]},
               "element_error": {"load_points": [{"label": "Ib", "current": 1.0, "pf": "1", "pulses": 10}]},
               "editions": {"2012": {"items": ["basic_error", "element_error"]}}}


def test_element_error_steps_only_for_polyphase_meters() -> None:
    single = Jjg596(_params("1"))
    assert not any(s.item == "element_error" for s in single.steps) and "element_error" not in single.item_keys
    four = Jjg596(_params("1", connection="three_phase_4w"))
    keys = [s.key for s in four.steps if s.item == "element_error"]
    assert keys == ["element_error_1A", "element_error_1B", "element_error_1C", "element_error_2A", "element_error_2B",
                    "element_error_2C"]
    a = next(s for s in four.steps if s.key == "element_error_2A")
    assert a.params["balanced_step"] == "basic_error_5" and a.params["pf"] == "0.5L"  # type: ignore[attr-defined]
    assert a.params["mpe"] == 2.0 and a.params["difference_mpe"] == 1.5  # type: ignore[attr-defined]
    assert a.params["expected_w"] == pytest.approx(220 * 5 * 0.5)  # one element  # type: ignore[attr-defined]
    assert "element_error" in four.item_keys
    three = Jjg596(_params("2", connection="three_phase_3w"))
    assert [s.params["phase"] for s in three.steps if s.item == "element_error"] == ["A", "C", "A", "C"]  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="basic-error load points"):
        Jjg596(_params("1", connection="three_phase_4w", element_error={"load_points": [
            {"label": "0.5Ib", "current": 0.5, "pf": "1"}]}))


async def test_element_errors_and_their_difference_hand_worked() -> None:
    gates = {1: {2: 9950}, 2: {2: 9950}, 3: {1: 9847, 2: 9950}, 4: {1: 9847, 2: 9950},
             5: {1: 10100, 2: 9701}, 6: {1: 10100, 2: 9701}, 7: {2: 9950}, 8: {2: 9950}}
    bench = ScriptedBench(gates=gates, elements=3)
    proc = Jjg596(_params("1", c=1000.0, connection="three_phase_4w", **THREE_PHASE))
    out = await _run(proc, bench)
    assert out.status == "finished", out.message
    assert bench.log.count("gate 10") == 8 and "apply 220 5 1 A" in bench.log and "apply 220 5 1 C" in bench.log
    a = {(r.position, r.name): r for r in out.outcomes["element_error_1A"].results}
    assert a[1, "分元件误差"].mean == pytest.approx(1.553772, abs=1e-6) and a[1, "分元件误差"].rounded == "+1.6"
    assert a[1, "分元件误差"].verdict is Verdict.PASS
    assert a[1, "元件误差之差"].rounded == "+1.6" and a[1, "元件误差之差"].verdict is Verdict.FAIL
    assert a[2, "元件误差之差"].rounded == "0.0" and a[2, "元件误差之差"].verdict is Verdict.PASS
    b = {(r.position, r.name): r for r in out.outcomes["element_error_1B"].results}
    assert b[1, "分元件误差"].rounded == "-1.0" and b[1, "元件误差之差"].verdict is Verdict.PASS
    assert b[2, "分元件误差"].mean == pytest.approx(3.082156, abs=1e-6) and b[2, "分元件误差"].verdict is Verdict.FAIL
    assert b[2, "元件误差之差"].mean == pytest.approx(2.579643, abs=1e-6) and b[2, "元件误差之差"].rounded == "+2.6"
    items = {p: {i.key: i.verdict for i in proc.items(out.outcomes, p)} for p in (1, 2, 3)}
    assert items[1] == {"basic_error": Verdict.PASS, "element_error": Verdict.FAIL}  # fails the difference only
    assert items[2] == {"basic_error": Verdict.PASS, "element_error": Verdict.FAIL}
    assert items[3] == {"basic_error": Verdict.PASS, "element_error": Verdict.PASS}


async def test_ac_voltage_not_applicable_for_subsequent_verification() -> None:
    proc = Jjg596(_params("1", vtype="subsequent", editions={"2012": {"items": ["appearance", "ac_voltage"]}}))
    out = await _run(proc, ScriptedBench())
    assert out.outcomes["ac_voltage"].verdict is Verdict.NOT_APPLICABLE and out.outcomes["ac_voltage"].results == ()
    assert [i.verdict for i in proc.items(out.outcomes, 2)] == [Verdict.PASS, Verdict.NOT_APPLICABLE]


# -- the real-time plan ----------------------------------------------------------------------------
# Hand-worked for the demo batch (bench/stations/meter_demo.toml): class 2, 220 V, 5(60) A,
# C_L = 1600 imp/kWh, single-phase, 24 positions, registers read over the meters' port, the bench's
# standard C0 = 2e7 imp/kWh; the table's source settling 5 s, register read 0.5 s, checklist 10 s.
#   creep    T = 480e6/(1600·1·220·60) = 22.7273 min = 1363.636 s, + 5 s settling = 1368.636 s
#   starting I_Q = 0.005·5 = 0.025 A, t_Q = 1.2·60·1000/(1600·220·0.025) = 8.1818 min = 490.909 s + 5
#   a gate of N pulses at P watts lasts N·3.6e6/(1600·P) = 2250·N/P s:
#     Imax 13200 W, N 59: 10.0568 s;  Ib 1100 W, N 5: 10.2273;  0.1Ib 110 W, N 2: 40.909;
#     0.05Ib 55 W, N 2: 81.818;  Ib 0.5L 550 W, N 2: 8.1818;  0.2Ib 0.5L 110 W: 40.909;
#     0.1Ib 0.5L 55 W: 81.818;  Ib 0.8C 880 W, N 4: 10.2273;  0.2Ib 0.8C 176 W, N 2: 25.568;
#     0.1Ib 0.8C 88 W, N 2: 51.136  → Σ 360.852 s; 2 readings each and 5 s settling per point:
#     721.705 + 50 = 771.705 s. m0 = C0·N/C_L = 2e7·2/1600 = 25000 → one standard pulse 0.0040 %
#     ≤ a tenth of class 2 (0.2 %).
#   constant 5 kWh at 60 A·220 V = 13.2 kW: 5/13.2 h = 1363.636 s; 2 × 24 register reads × 0.5 s =
#     24 s; 3 settlings 15 s → 1402.636 s; the last digit 0.01 kWh = 0.2 % of 5 kWh ≤ 0.1 × 2 %.
#   daily clock 5 × 60 s + 5 = 305 s; 外观 24 × 10 = 240 s; 交流电压 60 + 240 = 300 s; env 2 × 15 s.
#   total 30 + 240 + 300 + 1368.636 + 495.909 + 771.705 + 1402.636 + 305 = 4913.886 s (81 min 54 s).
DEMO_SERIALS = {p: f"SIMEM{p:04d}" for p in range(1, 25)}
C0_HINT = {"std_constant_imp_per_kwh": 2e7}


def _plan(params: MeterParams, hints: dict[str, Any] | None = None) -> dict[str, Any]:
    return {s.key: s for s in Jjg596(params).plan(C0_HINT if hints is None else hints)}


def test_plan_of_the_demo_batch_hand_worked() -> None:
    plan = _plan(_params("2", serials=DEMO_SERIALS))
    assert plan["creep"].seconds == pytest.approx(1363.636 + 5, abs=1e-3)
    assert "480×10⁶/(1600×1×220×60) = 22.7 min" in plan["creep"].why
    assert plan["starting"].seconds == pytest.approx(490.909 + 5, abs=1e-3)
    assert "I_Q = 0.005 Ib = 0.025 A" in plan["starting"].why and "= 8.18 min" in plan["starting"].why
    gates = [10.0568, 10.2273, 40.909, 81.818, 8.1818, 40.909, 81.818, 10.2273, 25.568, 51.136]
    for k, gate in enumerate(gates, start=1):
        assert plan[f"basic_error_{k}"].seconds == pytest.approx(5 + 2 * gate, abs=2e-3)
    low = plan["basic_error_4"].why
    assert "N = 2 个被检脉冲，于 55 W 每次 81.8 s" in low and "再测 2 次，另需 164 s" in low
    assert "m0 = C0·N/C_L = 25000" in low and "0.0040 % ≤ 等级的 1/10 = 0.2 %" in low
    assert "N = 59" in plan["basic_error_1"].why and "m0 = C0·N/C_L = 737500" in plan["basic_error_1"].why
    assert plan["constant"].seconds == pytest.approx(1363.636 + 24 + 15, abs=1e-3)
    assert "走字 5 kWh 于 13.2 kW" in plan["constant"].why and "0.01 kWh = 0.2 % ≤ 0.1 × 限值 2 %" in plan["constant"].why
    assert plan["daily_clock"].seconds == 305.0 and "5 次 × 闸门 60 s" in plan["daily_clock"].why
    assert plan["appearance"].seconds == 240.0 and plan["ac_voltage"].seconds == 300.0
    assert sum(s.seconds for s in plan.values()) == pytest.approx(4913.886, abs=0.01)
    assert not any("未建模" in s.why for s in plan.values())


def test_plan_creep_of_the_regulations_example_is_85_min() -> None:
    """Class 1, 1600 imp/kWh, 220 V, 5(20) A: 600e6/(1600·220·20) = 85.227 min (regulations.md §6)."""
    plan = _plan(_params("1", imax=20.0))
    assert plan["creep"].seconds == pytest.approx(85.2273 * 60 + 5, abs=0.01)
    assert "= 85.2 min" in plan["creep"].why


def test_plan_follows_the_registers_source_type_overrides_and_hints() -> None:
    entered = _plan(_params("2", serials=DEMO_SERIALS, source="operator"))
    assert entered["constant"].seconds == pytest.approx(1363.636 + 48 * 20 + 15, abs=1e-3)  # 48 display readings
    assert "操作员读显示录入" in entered["constant"].why
    later = _plan(_params("2", vtype="subsequent"))
    assert later["ac_voltage"].seconds == 0.0 and "不做此项" in later["ac_voltage"].why
    quick = _plan(_params("2", timing={"source_settle_s": 2.0}))  # the bench's own settling time
    assert quick["creep"].seconds == pytest.approx(1363.636 + 2, abs=1e-3)
    assert quick["constant"].seconds == pytest.approx(1363.636 + 10 * 0.5 + 3 * 2, abs=1e-3)  # 5 positions
    bare = _plan(_params("2"), hints={})
    assert "m0" not in bare["basic_error_1"].why
    coarse = _plan(_params("2"), hints={"std_constant_imp_per_kwh": 2000.0})  # m0 = 2000·2/1600 = 2.5
    assert "> 等级的 1/10" in coarse["basic_error_4"].why and "raise N" in coarse["basic_error_4"].why


def test_plan_of_single_element_points() -> None:
    """Three-phase four-wire, class 2, 5(60) A: balanced Ib is 3 × 1100 = 3300 W, N = round(10 ×
    1600·3300/3.6e6) = 15, gate 2250·15/3300 = 10.2273 s; element A alone at Ib: 1100 W, N = 5,
    gate 2250·5/1100 = 10.2273 s; Ib 0.5L alone: 550 W, N 2, gate 8.1818 s."""
    plan = _plan(_params("2", connection="three_phase_4w"))
    assert plan["basic_error_2"].seconds == pytest.approx(5 + 2 * 10.2273, abs=2e-3)
    assert plan["element_error_1A"].seconds == pytest.approx(5 + 2 * 10.2273, abs=2e-3)
    assert "A 相单独加载" in plan["element_error_1A"].why and "于 1100 W" in plan["element_error_1A"].why
    assert plan["element_error_2C"].seconds == pytest.approx(5 + 2 * 8.1818, abs=2e-3)
    # creep and starting: m = 3 → a third of the single-phase durations
    assert plan["creep"].seconds == pytest.approx(1363.636 / 3 + 5, abs=1e-3)
    assert not any("未建模" in s.why for s in plan.values())


async def test_a_run_carries_its_plan() -> None:
    """RunStarted.planned_s (the time left the console shows): the class 1 register test runs 10 kWh
    at 60 A · 220 V = 13.2 kW, 2727.27 s, plus 2 × 5 register reads × 0.5 s and 3 × 5 s settling."""
    bench = ScriptedBench(register_advance=ADVANCE, registers={p: 1.0 for p in SERIALS},
                          totals_step={p: 20000 for p in SERIALS})
    events: list[Any] = []
    await _run(Jjg596(_params("1", **CONSTANT_ONLY)), bench, events=events)
    started = next(e for e in events if isinstance(e, RunStarted))
    assert started.planned_s == pytest.approx({"env_temperature": 15.0, "env_humidity": 15.0,
                                               "constant": 10 / 13.2 * 3600 + 5 + 15})
