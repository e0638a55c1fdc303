"""Twin of a multi-position flow bench for water meters (JJG 162) or diaphragm gas meters (JJG 577),
speaking Modbus TCP and Modbus RTU.

It serves ``drivers/meters/maps/jianding_sim_flow_bench.toml``: a controller in front of the flow
line, one pulse counter per position, the bench's standard (master meter for water; bell prover or
standard gas meter for gas) and the condition sensors. The Modbus serving (pymodbus ``SimDevice``
with an action callback, TCP and RTU servers sharing one state, line faults: silent, garbage,
latency, dropped connections) is the reference-meter twin's, as the meter-bench twin does it:
:class:`FlowBenchTwin` extends :class:`~hardware_sim.ref_meter.RefMeterTwin`.

Physics (accelerated by ``speed`` through the shared :class:`~hardware_sim.flow_physics.FlowRig`):
a start-stop test prepares for ``prep_s``, flows at the setpoint until the standard has measured
the target volume, then closes the valves over ``stop_s`` (the run-down volume is counted by every
meter and the standard alike). The true volume V passes every meter in series:

* water: each meter sees V; the master meter shows V·(1 + e_std); the water runs into the scale's
  tank (``FlowRig.tank``) at the medium temperature;
* gas (ideal gas, the same mass through every meter): the standard sees V at its own conditions
  (p_s, T_s), the meters see V_m = V·(p_s/p_m)·(T_m/T_s) — so a procedure must apply the JJG 577
  p/T correction to get its reference volume back.

Meter p indicates V_m·(1 + e_p(q)/100 + noise) and sends floor(phase + indicated·K_p) pulses
(random phase: the ±1 pulse quantisation of a start-stop count). e_p(q) is interpolated from the
error curve (flow as a fraction of ``nominal_flow_m3_h`` → %), plus the position's offset.

Faults (:class:`FlowBenchFaults`, mutable while serving), besides the line faults of
:class:`~hardware_sim.wire.WireFaults` (``silent``, ``garbage_replies``, ``latency_s``):

* ``no_pulses = {positions}`` — the position's meter sends nothing: fault code 1;
* ``stuck = {positions}`` — its counter freezes a third of the way through the test: fault code 2
  and the partial count;
* ``dead = {positions}`` — its counter does not answer: code 0x80, every value 0;
* ``dropout_pct = {position: %}`` — that share of its pulses is lost, with no fault code (the
  error simply looks more negative);
* ``bench_fault = code`` — the next (or running) test stops with run_state 5 and that bench fault
  code (1 pump, 2 valve, 3 flow not reached, 4 emergency stop);
* ``no_flow = True`` — the pump or a valve is stuck without the controller noticing: a test started
  goes to run_state 2 (running) but nothing flows — ``measured_flow`` reads 0, no water reaches the
  tank, the standard and the counters do not move and the test never ends (until stopped).

Pressure loss: each meter has a pressure loss ``pressure_loss_pa`` (Pa) at ``nominal_flow_m3_h``
(one value or one per position), growing with the square of the flow (turbulent loss,
Δp = Δp_nom·(q/q_nom)²); the position register ``pressure_loss`` is its value at the last test's
flow.

Standalone: ``python -m hardware_sim flow-bench --tcp 127.0.0.1:5040 --medium water --positions 20
[--rtu pty] [--speed 200] [--errors 0.3,-0.2,…] [--no-pulses 3] [--stuck 5] [--dead 7]
[--dropout 4:3] [--no-flow] [--pressure-loss 120]``.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from pymodbus.constants import ExcCodes

from drivers.meters.register_map import RegisterMap, load_map
from hardware_sim.flow_physics import FlowRig
from hardware_sim.physics import Rig
from hardware_sim.ref_meter import RefMeterFaults, RefMeterTwin
from hardware_sim.wire import TwinConsole, add_fault_option, run_twin_main

IDLE, PREPARING, RUNNING, STOPPING, DONE, FAULT = 0, 1, 2, 3, 4, 5
FAULT_NONE, FAULT_NO_PULSES, FAULT_STUCK, FAULT_NOT_ANSWERING = 0, 1, 2, 0x80
MEDIUM_CODES = {"water": 1, "gas": 2}
STANDARD_CODES = {"master_meter": 1, "bell_prover": 2, "standard_meter": 3}

_TICK_S = 0.002
_IDLE_TICK_S = 0.02
_STUCK_AT = 1.0 / 3.0  # share of the test after which a stuck counter stops


@dataclass
class FlowBenchFaults(RefMeterFaults):
    """Faults the flow-bench twin injects on demand; change the fields at any time while it serves.

    Line faults (from :class:`~hardware_sim.wire.WireFaults`): ``silent``, ``garbage_replies``,
    ``latency_s``. Per position (numbers from 1): ``no_pulses``, ``stuck``, ``dead``,
    ``dropout_pct`` (position → percent of pulses lost). Whole bench: ``bench_fault`` (a code of
    ``[enums.bench_fault]``, 0 = none) and ``no_flow`` (pump or valve stuck: a test started from
    now on runs without any flow and never ends).
    """

    no_pulses: set[int] = field(default_factory=set)
    stuck: set[int] = field(default_factory=set)
    dead: set[int] = field(default_factory=set)
    dropout_pct: dict[int, float] = field(default_factory=dict)
    bench_fault: int = 0
    no_flow: bool = False


@dataclass
class Conditions:
    """The medium and the laboratory as the bench's sensors see them (settable while serving):
    medium temperature (°C) and absolute pressure (kPa) at the meter inlet, and at the standard."""

    temperature_c: float = 20.0
    pressure_kpa: float = 300.0
    standard_temperature_c: float | None = None  # None: the medium's
    standard_pressure_kpa: float | None = None  # None: the medium's


def interpolate(curve: Mapping[float, float], x: float) -> float:
    """Linear interpolation in a {x: y} curve, held flat beyond its ends."""
    xs = sorted(curve)
    if not xs:
        return 0.0
    if x <= xs[0]:
        return float(curve[xs[0]])
    if x >= xs[-1]:
        return float(curve[xs[-1]])
    i = bisect.bisect_right(xs, x)
    x0, x1 = xs[i - 1], xs[i]
    return float(curve[x0] + (curve[x1] - curve[x0]) * (x - x0) / (x1 - x0))


@dataclass
class PositionMeter:
    """The meter on one position: its error curve (flow fraction → %), offset, pulse constant
    (imp/L), pressure loss at the nominal flow (Pa) and the counts and pressure loss of the last
    test."""

    number: int
    curve_pct: dict[float, float]
    offset_pct: float
    pulses_per_l: float
    pressure_loss_pa: float = 0.0
    fault: int = FAULT_NONE
    test_pulses: int = 0
    test_pressure_loss_pa: float = 0.0

    def error_pct(self, flow_fraction: float) -> float:
        """The meter's true error at this flow, percent."""
        return interpolate(self.curve_pct, flow_fraction) + self.offset_pct


@dataclass
class _Run:
    """One start-stop test in progress (simulation times in seconds)."""

    flow_m3_h: float
    target_l: float
    t0: float
    t_flow: float  # flowing from t0 + prep to here
    t_end: float  # valves closed
    prep_s: float
    poured_l: float = 0.0
    stalled: bool = False  # pump or valve stuck: nothing flows, the test never ends

    def true_volume(self, t: float) -> float:
        """True volume (at the standard) through the line from the start to sim time ``t``, L."""
        q_l_s = self.flow_m3_h / 3.6
        start = self.t0 + self.prep_s
        if t <= start or self.stalled:
            return 0.0
        if t <= self.t_flow:
            return q_l_s * (t - start)
        run = q_l_s * (self.t_flow - start)
        stop_s = self.t_end - self.t_flow
        dt = min(t, self.t_end) - self.t_flow
        return run + q_l_s * (dt - dt * dt / (2.0 * stop_s)) if stop_s > 0 else run  # linear ramp-down


class FlowBenchTwin(RefMeterTwin):
    """Simulated N-position flow bench (``medium`` "water" or "gas") on Modbus TCP and/or RTU.

    ``error_curve_pct`` (flow fraction of ``nominal_flow_m3_h`` → %) is every meter's true error
    curve, ``curves`` replaces it for single positions, ``offsets_pct`` adds a per-position offset
    (cycled); ``pulses_per_l`` is one constant or one per position. ``standard_kind`` is
    "master_meter" (water) or "bell_prover"/"standard_meter" (gas); the standard's own true error is
    ``std_error_pct``. ``pressure_loss_pa`` is each meter's pressure loss at the nominal flow
    (one value or a list by position, cycled). ``rig`` is shared with the scale twin (a new one with
    ``speed`` if None).
    """

    def __init__(self, positions: int, *, medium: str = "water", rig: FlowRig | None = None,
                 speed: float = 100.0, seed: int = 162, nominal_flow_m3_h: float = 2.5,
                 error_curve_pct: Mapping[float, float] | None = None,
                 curves: Mapping[int, Mapping[float, float]] | None = None,
                 offsets_pct: Sequence[float] | float = 0.0, noise_pct: float = 0.02,
                 pulses_per_l: Sequence[float] | float = 100.0, standard_kind: str | None = None,
                 std_error_pct: float = 0.0, conditions: Conditions | None = None,
                 max_flow_m3_h: float = 10.0, prep_s: float = 2.0, stop_s: float = 1.0,
                 pressure_loss_pa: Sequence[float] | float = 0.0, faults: FlowBenchFaults | None = None,
                 register_map: RegisterMap | str = "jianding_sim_flow_bench", device_id: int = 1) -> None:
        reg_map = register_map if isinstance(register_map, RegisterMap) else load_map(register_map)
        block = reg_map.position_block()
        if not 1 <= positions <= block.count:
            raise ValueError(f"positions must be 1..{block.count} for {reg_map.title}, not {positions}")
        if medium not in MEDIUM_CODES:
            raise ValueError(f"medium must be 'water' or 'gas', not {medium!r}")
        kind = standard_kind or ("master_meter" if medium == "water" else "bell_prover")
        if kind not in STANDARD_CODES:
            raise ValueError(f"standard_kind must be one of {', '.join(STANDARD_CODES)}, not {kind!r}")
        self.positions = positions
        self.medium = medium
        self.standard_kind = kind
        self.flow_rig = rig if rig is not None else FlowRig(speed=speed)
        self.nominal_flow_m3_h = nominal_flow_m3_h
        self.noise_pct = noise_pct
        self.std_error_pct = std_error_pct
        self.max_flow_m3_h = max_flow_m3_h
        self.prep_s, self.stop_s = prep_s, stop_s
        self.conditions = conditions if conditions is not None else Conditions(
            pressure_kpa=300.0 if medium == "water" else 102.0)
        base = {float(k): float(v) for k, v in (error_curve_pct or {1.0: 0.0}).items()}
        offsets = [float(offsets_pct)] if isinstance(offsets_pct, int | float) else [float(x) for x in offsets_pct]
        constants = ([float(pulses_per_l)] * positions if isinstance(pulses_per_l, int | float)
                     else [float(x) for x in pulses_per_l])
        if len(constants) != positions or any(c <= 0 for c in constants):
            raise ValueError(f"pulses_per_l needs one positive value or {positions}")
        given = [float(pressure_loss_pa)] if isinstance(pressure_loss_pa, int | float) else [float(x) for x in pressure_loss_pa]
        if not given or any(x < 0 for x in given):
            raise ValueError("pressure_loss_pa needs values >= 0 (one, or per position, cycled)")
        losses = [given[i % len(given)] for i in range(positions)]
        own = {int(p): {float(k): float(v) for k, v in c.items()} for p, c in (curves or {}).items()}
        self.meters = [PositionMeter(p, own.get(p, base), offsets[(p - 1) % len(offsets)] if offsets else 0.0,
                                     constants[p - 1], losses[p - 1]) for p in range(1, positions + 1)]
        self._rng = random.Random(seed)
        self._state, self._bench_fault = IDLE, 0
        self._setpoint, self._target = 0.0, 0.0
        self._run: _Run | None = None
        self._last = {"std_volume": 0.0, "std_temperature": 0.0, "std_pressure": 0.0, "run_duration": 0.0,
                      "mean_flow": 0.0, "mean_temperature": 0.0, "mean_pressure": 0.0}
        flow_faults = faults if faults is not None else FlowBenchFaults()
        super().__init__(Rig(speed=self.flow_rig.speed, seed=seed), flow_faults, register_map=reg_map,
                         device_id=device_id)
        self.rig.clock = self.flow_rig.clock  # one clock for the bench and its scale
        self.faults: FlowBenchFaults = flow_faults

    # ------------------------------------------------------------------ state
    @property
    def state(self) -> int:
        """run_state now (after bringing the simulation up to date)."""
        self._update()
        return self._state

    def meter(self, number: int) -> PositionMeter:
        """Position ``number``'s meter (1-based), for tests and the console."""
        return self.meters[number - 1]

    def start_test(self, flow_m3_h: float, volume_l: float) -> None:
        """Front-panel start: the same as the Modbus write of setpoint, volume and run_control = 1."""
        if not (0.0 < flow_m3_h <= self.max_flow_m3_h and volume_l > 0):
            raise ValueError(f"flow must be in (0, {self.max_flow_m3_h:g}] m³/h and volume > 0")
        self._update()
        self._setpoint, self._target = flow_m3_h, volume_l
        now = self.flow_rig.clock.t()
        v_true_run = volume_l / (1.0 + self.std_error_pct / 100.0)
        t_flow = now + self.prep_s + v_true_run / (flow_m3_h / 3.6)
        self._run = _Run(flow_m3_h, volume_l, now, t_flow, t_flow + self.stop_s, self.prep_s,
                         stalled=self.faults.no_flow)
        self._state, self._bench_fault = PREPARING, 0
        for m in self.meters:
            m.fault, m.test_pulses, m.test_pressure_loss_pa = FAULT_NONE, 0, 0.0

    def stop_flow(self) -> None:
        """Close the valves at once (run_control = 0): a test in progress is abandoned."""
        self._update()
        if self._state in (PREPARING, RUNNING, STOPPING):
            self._pour_until(self.flow_rig.clock.t())
            self._run = None
        self._state = IDLE if self._state != FAULT else FAULT

    def _volume_at_meters(self, v_std_true: float) -> float:
        """True volume at the meters' conditions for a true volume at the standard (ideal gas)."""
        if self.medium == "water":
            return v_std_true
        c = self.conditions
        t_s = c.standard_temperature_c if c.standard_temperature_c is not None else c.temperature_c
        p_s = c.standard_pressure_kpa if c.standard_pressure_kpa is not None else c.pressure_kpa
        return v_std_true * (p_s / c.pressure_kpa) * ((c.temperature_c + 273.15) / (t_s + 273.15))

    def _pour_until(self, t: float) -> None:
        run = self._run
        if run is None or self.medium != "water":
            return
        v = run.true_volume(t)
        if v > run.poured_l:
            self.flow_rig.tank.pour(v - run.poured_l, self.conditions.temperature_c)
            run.poured_l = v

    def _update(self) -> None:
        """Advance the test in progress to the simulation time now."""
        run = self._run
        if run is None:
            return
        now = self.flow_rig.clock.t()
        if self.faults.bench_fault and self._state in (PREPARING, RUNNING, STOPPING):
            self._pour_until(now)
            self._state, self._bench_fault, self._run = FAULT, int(self.faults.bench_fault), None
            return
        self._pour_until(now)
        if now < run.t0 + run.prep_s:
            self._state = PREPARING
        elif run.stalled or now < run.t_flow:
            self._state = RUNNING
        elif now < run.t_end:
            self._state = STOPPING
        else:
            self._finish(run)

    def _finish(self, run: _Run) -> None:
        """The valves have closed: count every position and the standard."""
        v_true = run.true_volume(run.t_end)
        fraction = run.flow_m3_h / self.nominal_flow_m3_h
        v_meter = self._volume_at_meters(v_true)
        for m in self.meters:
            indicated = v_meter * (1.0 + (m.error_pct(fraction) + self._rng.gauss(0.0, self.noise_pct)) / 100.0)
            pulses = math.floor(self._rng.random() + indicated * m.pulses_per_l)
            lost = float(self.faults.dropout_pct.get(m.number, 0.0))
            if lost:
                pulses = round(pulses * (1.0 - lost / 100.0))
            m.fault, m.test_pulses = FAULT_NONE, pulses
            m.test_pressure_loss_pa = m.pressure_loss_pa * (run.flow_m3_h / self.nominal_flow_m3_h) ** 2
            if m.number in self.faults.no_pulses:
                m.fault, m.test_pulses = FAULT_NO_PULSES, 0
            elif m.number in self.faults.stuck:
                m.fault, m.test_pulses = FAULT_STUCK, int(pulses * _STUCK_AT)
        c = self.conditions
        self._last = {
            "std_volume": v_true * (1.0 + self.std_error_pct / 100.0),
            "std_temperature": c.standard_temperature_c if c.standard_temperature_c is not None else c.temperature_c,
            "std_pressure": c.standard_pressure_kpa if c.standard_pressure_kpa is not None else c.pressure_kpa,
            "run_duration": run.t_end - run.t0 - run.prep_s,
            "mean_flow": v_true / 1000.0 / ((run.t_end - run.t0 - run.prep_s) / 3600.0),
            "mean_temperature": c.temperature_c,
            "mean_pressure": c.pressure_kpa,
        }
        self._run, self._state = None, DONE

    # ------------------------------------------------------------------ register values
    def _build_getters(self) -> dict[str, Callable[[], float]]:
        air = self.flow_rig.air if hasattr(self, "flow_rig") else None

        def flowing() -> float:
            if self._run is not None and self._run.stalled:
                return 0.0
            return self._setpoint if self._state in (RUNNING, STOPPING) else 0.0

        getters: dict[str, Callable[[], float]] = {
            "measured_flow": flowing,
            "medium_temperature": lambda: self.conditions.temperature_c,
            "medium_pressure": lambda: self.conditions.pressure_kpa,
            "run_state": lambda: self._state,
            "bench_fault": lambda: self._bench_fault,
            "medium_kind": lambda: MEDIUM_CODES[self.medium],
            "standard_kind": lambda: STANDARD_CODES[self.standard_kind],
            "positions_installed": lambda: self.positions,
            "flow_setpoint": lambda: self._setpoint,
            "target_volume": lambda: self._target,
            "run_control": lambda: 1 if self._state in (PREPARING, RUNNING, STOPPING) else 0,
        }
        if air is not None:
            getters.update({"ambient_temperature": lambda: air.temperature_c,
                            "ambient_pressure": lambda: air.pressure_kpa,
                            "ambient_humidity": lambda: air.humidity_pct})
        for key in ("std_volume", "std_temperature", "std_pressure", "run_duration", "mean_flow",
                    "mean_temperature", "mean_pressure"):
            getters[key] = (lambda k=key: self._last[k])  # type: ignore[misc]
        return getters

    def position_value(self, number: int, quantity: str) -> float:
        """Position register ``quantity`` of position ``number`` as the controller reports it."""
        if number in self.faults.dead:
            return FAULT_NOT_ANSWERING if quantity == "fault_code" else 0.0
        m = self.meters[number - 1]
        return {"fault_code": m.fault, "test_pulses": m.test_pulses, "pulse_constant": m.pulses_per_l,
                "pressure_loss": m.test_pressure_loss_pa}.get(quantity, 0.0)

    # ------------------------------------------------------------------ Modbus hooks (RefMeterTwin)
    def _refresh(self) -> None:
        """Count everything up to now before registers are read."""
        self._update()

    def _apply(self, new: dict[str, float]) -> ExcCodes | None:
        """Act on a decoded holding-register write, atomically (everything validated first)."""
        q = new.get("flow_setpoint", self._setpoint)
        v = new.get("target_volume", self._target)
        control = new.get("run_control")
        if not (math.isfinite(q) and math.isfinite(v) and 0.0 <= q <= self.max_flow_m3_h and v >= 0.0):
            return ExcCodes.ILLEGAL_VALUE
        if control is not None and (control not in (0.0, 1.0) or (control == 1.0 and (q <= 0 or v <= 0))):
            return ExcCodes.ILLEGAL_VALUE
        self._update()
        self._setpoint, self._target = q, v
        if control == 1.0:
            self.start_test(q, v)
        elif control == 0.0:
            self.stop_flow()
        return None

    # ------------------------------------------------------------------ serving
    async def _tick(self) -> None:
        while True:
            self._update()
            await asyncio.sleep(_TICK_S if self._run is not None else _IDLE_TICK_S)


# ---------------------------------------------------------------------- command line
def _numbers(text: str | None) -> set[int]:
    return {int(x) for x in text.split(",") if x.strip()} if text else set()


def _parse_args(argv: Sequence[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m hardware_sim flow-bench",
                                description="Simulated multi-position flow bench (water / gas meters) on Modbus TCP and RTU.")
    p.add_argument("--tcp", metavar="HOST:PORT", help="serve Modbus TCP (default 127.0.0.1:5040 unless only --rtu)")
    p.add_argument("--rtu", metavar="DEVICE", help="serve Modbus RTU on a serial device, or 'pty'")
    p.add_argument("--baudrate", type=int, default=9600)
    p.add_argument("--device-id", type=int, default=1)
    p.add_argument("--medium", choices=("water", "gas"), default="water")
    p.add_argument("--standard", choices=tuple(STANDARD_CODES), default=None)
    p.add_argument("--positions", type=int, default=20)
    p.add_argument("--speed", type=float, default=100.0, help="simulation seconds per wall second")
    p.add_argument("--nominal-flow", type=float, default=2.5, help="Q3 (water) or qmax (gas), m³/h")
    p.add_argument("--errors", default="0", help="per-position error offsets, percent (cycled)")
    p.add_argument("--pulses-per-l", type=float, default=100.0)
    p.add_argument("--seed", type=int, default=162)
    p.add_argument("--no-pulses", default=None, help="positions whose meter sends no pulse, e.g. 3")
    p.add_argument("--stuck", default=None, help="positions whose counter freezes, e.g. 5")
    p.add_argument("--dead", default=None, help="positions whose counter does not answer, e.g. 7")
    p.add_argument("--dropout", default=None, help="position:percent of pulses lost, e.g. 4:3")
    p.add_argument("--no-flow", action="store_true", help="pump/valve stuck: tests run without any flow (fault)")
    p.add_argument("--pressure-loss", type=float, default=0.0, help="each meter's pressure loss at the nominal flow, Pa")
    add_fault_option(p)
    return p.parse_args(list(argv))


async def _run(args: argparse.Namespace) -> None:
    faults = FlowBenchFaults(no_pulses=_numbers(args.no_pulses), stuck=_numbers(args.stuck), dead=_numbers(args.dead),
                             no_flow=args.no_flow)
    for item in (args.dropout or "").split(","):
        if item.strip():
            pos, _, pct = item.partition(":")
            faults.dropout_pct[int(pos)] = float(pct)
    twin = FlowBenchTwin(args.positions, medium=args.medium, speed=args.speed, seed=args.seed,
                         nominal_flow_m3_h=args.nominal_flow, standard_kind=args.standard,
                         offsets_pct=[float(x) for x in args.errors.split(",") if x.strip()] or 0.0,
                         pulses_per_l=args.pulses_per_l, pressure_loss_pa=args.pressure_loss, faults=faults,
                         device_id=args.device_id)
    async with TwinConsole(twin) as console:
        console.start_faults(twin, args.fault)  # checked before anything is served
        print(f"flow-bench twin: {twin.register_map.title}, {args.medium}, {args.positions} positions, "
              f"standard {twin.standard_kind}, speed ×{args.speed:g}"
              + ("; 故障: 无流量 (fault: no flow — pump/valve stuck)" if args.no_flow else ""), flush=True)
        await twin.serve_from_args(args, console, "127.0.0.1:5040", rtu_line=False)
        print("Ctrl-C to stop.", flush=True)
        await console.wait()


def main(argv: list[str] | None = None) -> int:
    """Run the twin until Ctrl-C/SIGTERM; accepts argv with or without a leading ``flow-bench``."""
    return run_twin_main("flow-bench", argv, _parse_args, _run, errors=(OSError, ValueError))


if __name__ == "__main__":
    raise SystemExit(main())
