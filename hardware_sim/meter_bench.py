"""Twin of a multi-position energy-meter bench (JJG 596), speaking Modbus TCP and Modbus RTU.

It serves ``drivers/meters/maps/jianding_sim_bench.toml``: a bench controller in front of a
programmable power source, a standard meter and one error calculator per position. One physics is
shared by everything on the bench (:mod:`hardware_sim.physics`):

* the **source** sets the circuit: voltage, frequency, current and power factor (for 0.5L, 0.8C …
  the cos φ value, so active power is U·I·cos φ); it reports "settling" for ``settle_s`` simulation
  seconds after every change, then "settled";
* each **position** is a :class:`~hardware_sim.physics.MeterElement` on that circuit with its own
  true error, constant and seeded noise, and an error calculator with a pulse-comparison gate like
  the reference-meter twin's: armed → opens on the position's next pulse edge → closes after N
  counted pulses, when ``standard_pulses_over_gate`` gives the standard's pulses m over the real
  pulses that elapsed;
* the **standard** is a MeterElement with a tiny error and a high constant (``std_constant``).

The Modbus serving (pymodbus ``SimDevice`` with an action callback, TCP and RTU servers sharing one
state, reply faults: silent, garbage, latency, dropped connections) is the reference-meter twin's:
:class:`MeterBenchTwin` extends :class:`~hardware_sim.ref_meter.RefMeterTwin` and replaces its
single gate and load by the bench's source and per-position calculators.

Faults (:class:`BenchFaults`, mutable while serving), besides the whole-bench ones of
:class:`~hardware_sim.ref_meter.RefMeterFaults`:

* ``pulse_dropouts = {position: fraction}`` — that fraction of the position's pulses never reaches
  its calculator (a loose S0 wire, a dirty LED head): the gate spans more real pulses than it counts,
  so the error looks negative by about the fraction and jumps by one pulse from gate to gate;
* ``stuck = {positions}`` — the calculator never sees a pulse: its gate gives up with fault code 1
  "no pulses" once 5 expected pulse periods have passed with current flowing (code 2 if the pulses
  stop after the gate opened); its free-running total stands still;
* ``dead_positions = {positions}`` — the calculator does not answer the controller: the position
  reads gate state 4 and fault code 0x80, every count 0;
* ``source_unstable`` (the source never reports settled) and ``source_trip`` (its protection trips
  and switches the outputs off);
* ``source_no_current`` — the source reports settled at its setpoints but delivers no current (an
  open current circuit): the standard reads 0 A and 0 W, no meter pulses;
* ``register_error_pct = {position: percent}`` — that meter's energy register (计度器) advances
  that much more than its pulses (:class:`~hardware_sim.energy_register.EnergyRegister`), which only
  the constant test finds.

Registers and the meters' port: every position's meter has a register (``registers_kwh`` at the
start, then advancing with the energy it measures), shown on its display and reported on its
DL/T 645 port (:class:`~hardware_sim.dlt645_meters.Dlt645Line`, served beside the Modbus bench).
A meter is powered — its display lit, its port answering — while the source applies voltage.

Polyphase: ``phases`` (1, 2 for three-phase three-wire, 3 for four-wire) is the number of measuring
elements of the meters and of phases of the source; the source loads them all (balanced) or one
alone (``source_current_phases``: bit 0 A, bit 1 B, bit 2 C) for the single-element test. Each
meter's elements may have errors of their own (``element_errors_pct = {position: [e_A, e_B, e_C]}``):
its balanced-load error is then their mean (:class:`~hardware_sim.physics.MeterElement`).

Time base and clock test: ``bench_time`` is the simulation clock (so creep and starting tests timed
on it run accelerated with the physics); each meter has a true daily clock error
(``clock_errors_s_per_day``, s/d, positive when it gains) and its 1 Hz clock output is measured gate
after gate (``clock_gate_s``) while the source applies voltage: f = f0·(1 + (e + noise)/86400).
Stuck and dead positions give no clock pulses.

Standalone: ``python -m hardware_sim meter-bench …`` (:mod:`hardware_sim.meter_bench_cli`).
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from pymodbus.constants import ExcCodes

from drivers.meters.register_map import RegisterMap, load_map
from hardware_sim.energy_register import EnergyRegister
from hardware_sim.physics import MeterElement, Rig, standard_pulses_over_gate
from hardware_sim.ref_meter import RefMeterFaults, RefMeterTwin

GATE_IDLE, GATE_ARMED, GATE_COUNTING, GATE_DONE, GATE_FAULT = 0, 1, 2, 3, 4
SOURCE_OFF, SOURCE_SETTLING, SOURCE_SETTLED, SOURCE_TRIPPED = 0, 1, 2, 3
FAULT_NONE, FAULT_NO_PULSES, FAULT_PULSES_STOPPED, FAULT_NOT_ANSWERING = 0, 1, 2, 0x80

_TICK_S = 0.002  # update period while a gate runs or the source settles
_IDLE_TICK_S = 0.02
_SOURCE_QUANTITIES = ("source_voltage_setpoint", "source_current_setpoint", "source_frequency_setpoint",
                      "source_pf_code", "source_output", "source_current_phases")
#: The phase bits (``source_current_phases``) of a source's elements, by its number of phases: a
#: three-phase three-wire meter's two elements sit in phases A and C.
PHASE_BITS = {1: (1,), 2: (1, 4), 3: (1, 2, 4)}


@dataclass
class BenchFaults(RefMeterFaults):
    """Faults the bench twin injects on demand; change the fields at any time while it serves.

    Whole bench (from :class:`RefMeterFaults`): ``silent``, ``garbage_replies``, ``latency_s``.
    Per position (numbers from 1): ``pulse_dropouts`` (position → fraction of pulses lost),
    ``stuck`` (never counts), ``dead_positions`` (error calculator not answering).
    Source: ``source_unstable`` (never settles), ``source_trip`` (protection trips, outputs off),
    ``source_no_current`` (settled, but no current flows). Meters: ``register_error_pct``
    (position → percent its register advances beyond its pulses).
    """

    pulse_dropouts: dict[int, float] = field(default_factory=dict)
    stuck: set[int] = field(default_factory=set)
    dead_positions: set[int] = field(default_factory=set)
    source_unstable: bool = False
    source_trip: bool = False
    source_no_current: bool = False
    register_error_pct: dict[int, float] = field(default_factory=dict)


class _Position:
    """One bench position: the meter on it and its error calculator (gate, free-running total).

    Pulses are taken one by one from the meter's own pulse count, so which pulses a dropout loses
    and where a gate opens and closes do not depend on how often the twin updates.
    """

    def __init__(self, number: int, element: MeterElement, register_kwh: float) -> None:
        self.number = number
        self.element = element
        self.register = EnergyRegister(element, register_kwh)
        self.state = GATE_IDLE
        self.fault = FAULT_NONE
        self.target = 0
        self.gate_dut = 0
        self.gate_std = 0
        self.counted = 0  # pulses the calculator has seen (free-running total)
        self.dead = False
        self.clock_count = 0  # clock gates completed since the clock test started
        self.clock_hz = 0.0  # clock-pulse frequency over the last completed clock gate
        self._real_seen = element.pulses()  # pulses the meter emitted that were already handled
        self._open_real = 0
        self._t_ref = 0.0  # last counted edge (or arming), for the no-pulse watch
        self._drop_acc = 0.0

    @property
    def active(self) -> bool:
        """Gate armed or counting."""
        return self.state in (GATE_ARMED, GATE_COUNTING)

    def arm(self, target: int, now: float) -> None:
        """Start a new gate of ``target`` pulses (forgets the previous result); dead ones stay dead."""
        if self.dead:
            return
        self.state, self.target, self.fault = GATE_ARMED, target, FAULT_NONE
        self.gate_dut = self.gate_std = 0
        self._t_ref = now

    def stop(self) -> None:
        """Abort a running gate; a finished or failed gate keeps its result."""
        if self.active:
            self.state = GATE_IDLE
            self.gate_dut = 0

    def advance(self, now: float, power_w: float, twin: MeterBenchTwin) -> None:
        """Handle the pulses the meter emitted since the last call, then the no-pulse watch."""
        faults = twin.faults
        self.register.advance(float(faults.register_error_pct.get(self.number, 0.0)))
        real = self.element.pulses()
        if self.number in faults.dead_positions:
            if not self.dead:
                self.dead, self.state, self.gate_dut, self.gate_std = True, GATE_IDLE, 0, 0
            self._real_seen = real
            return
        if self.dead:  # answering again: the calculator restarted, its gate is lost
            self.dead, self.state, self.fault, self._t_ref = False, GATE_IDLE, FAULT_NONE, now
        new = real - self._real_seen
        if new > 0 and self.number not in faults.stuck:
            drop = min(1.0, max(0.0, float(faults.pulse_dropouts.get(self.number, 0.0))))
            if drop == 0.0 and not self.active:
                self.counted += new
                self._t_ref = now
            else:
                for index in range(self._real_seen + 1, real + 1):
                    if drop:
                        self._drop_acc += drop
                        if self._drop_acc >= 1.0:
                            self._drop_acc -= 1.0
                            continue
                    self._count(index, now, twin)
        self._real_seen = max(self._real_seen, real)
        if self.active:
            if power_w <= 0.0:
                self._t_ref = now  # no current: no pulse is expected
            else:
                period_s = 3.6e6 / (self.element.constant_imp_per_kwh * power_w)
                if now - self._t_ref > twin.no_pulse_periods * period_s:
                    self.fault = FAULT_NO_PULSES if self.state == GATE_ARMED else FAULT_PULSES_STOPPED
                    self.state = GATE_FAULT

    def _count(self, index: int, now: float, twin: MeterBenchTwin) -> None:
        """The calculator sees the meter's pulse number ``index``."""
        self.counted += 1
        self._t_ref = now
        if self.state == GATE_ARMED:
            self.state, self._open_real, self.gate_dut = GATE_COUNTING, index, 0
        elif self.state == GATE_COUNTING:
            self.gate_dut += 1
            if self.gate_dut >= self.target:
                self.gate_std, _ = standard_pulses_over_gate(self.element, twin.rig.std,
                                                             index - self._open_real)
                self.state = GATE_DONE

    def value(self, quantity: str) -> float:
        """The position register ``quantity`` as the controller reports it."""
        if self.dead:
            return {"gate_state": GATE_FAULT, "fault_code": FAULT_NOT_ANSWERING}.get(quantity, 0)
        if quantity == "gate_state":
            return self.state
        if quantity == "fault_code":
            return self.fault
        if quantity == "gate_dut_pulses":
            return self.gate_dut
        if quantity == "gate_std_pulses":
            return self.gate_std
        if quantity == "dut_pulse_count":
            return self.counted % 2**32
        if quantity == "clock_frequency":
            return self.clock_hz
        if quantity == "clock_count":
            return self.clock_count % 2**16
        return 0.0


def _power_factor_of(label: str) -> float:
    """cos φ of a power-factor label ("1", "0.5L", "0.8C")."""
    return float(label.upper().rstrip("LC"))


class MeterBenchTwin(RefMeterTwin):
    """Simulated N-position energy-meter bench on Modbus TCP and/or RTU.

    ``constants`` (imp/kWh) and ``true_errors_pct`` are one value for all positions or one per
    position; ``true_errors_pct=None`` draws each position's error from ``seed`` (uniform ±0.4 %).
    ``noise_pct`` is each meter's gate-to-gate noise; the standard has ``std_error_pct`` and
    ``std_constant``. ``speed`` runs the physics accelerated (simulation seconds per wall second).
    Setpoints beyond ``max_voltage_v``/``max_current_a`` are refused with ILLEGAL_VALUE.
    ``clock_errors_s_per_day`` (one or one per position; None: drawn from ``seed`` within ±0.2 s/d)
    are the meters' true daily clock errors, measured with ``clock_noise_s_per_day`` of noise on a
    ``clock_hz`` clock output. ``phases`` (1..3) is the meters' number of measuring elements and
    the source's phases; ``element_errors_pct`` gives a position's meter one error per element
    (default: every element has the position's true error). ``registers_kwh`` are the meters'
    registers at the start (one or one per position; None: drawn from ``seed``).
    """

    def __init__(self, positions: int, *, seed: int = 596, speed: float = 50.0, voltage_v: float = 220.0,
                 constants: Sequence[float] | float = 1600.0,
                 true_errors_pct: Sequence[float] | float | None = None, noise_pct: float = 0.01,
                 std_constant: float = 1_000_000.0, std_error_pct: float = 0.002,
                 std_noise_pct: float = 0.001, settle_s: float = 2.0, no_pulse_periods: float = 5.0,
                 max_voltage_v: float = 300.0, max_current_a: float = 100.0,
                 clock_errors_s_per_day: Sequence[float] | float | None = None, clock_hz: float = 1.0,
                 clock_noise_s_per_day: float = 0.005, faults: BenchFaults | None = None,
                 register_map: RegisterMap | str = "jianding_sim_bench", device_id: int = 1, phases: int = 1,
                 element_errors_pct: Mapping[int, Sequence[float]] | None = None,
                 registers_kwh: Sequence[float] | float | None = None) -> None:
        reg_map = register_map if isinstance(register_map, RegisterMap) else load_map(register_map)
        block = reg_map.position_block()
        if not 1 <= positions <= block.count:
            raise ValueError(f"positions must be 1..{block.count} for {reg_map.title}, not {positions}")
        self.positions = positions
        self.constants = self._per_position("constants", constants, positions)
        if true_errors_pct is None:
            rng = random.Random(seed)
            true_errors_pct = [round(rng.uniform(-0.4, 0.4), 3) for _ in range(positions)]
        self.true_errors_pct = self._per_position("true_errors_pct", true_errors_pct, positions)
        if clock_errors_s_per_day is None:
            rng = random.Random(seed + 86400)
            clock_errors_s_per_day = [round(rng.uniform(-0.2, 0.2), 3) for _ in range(positions)]
        self.clock_errors_s_per_day = self._per_position("clock_errors_s_per_day", clock_errors_s_per_day, positions)
        if not clock_hz > 0:
            raise ValueError("clock_hz must be positive")
        self.clock_hz = float(clock_hz)
        self.clock_noise_s_per_day = float(clock_noise_s_per_day)
        self._clock_rngs = [random.Random(seed * 1000 + 500 + p) for p in range(1, positions + 1)]
        self._clock_gate_s, self._clock_running, self._clock_t0, self._clock_gates = 60.0, False, 0.0, 0
        if any(c <= 0 for c in self.constants):
            raise ValueError("meter constants must be positive")
        self.settle_s = settle_s
        self.no_pulse_periods = no_pulse_periods
        self.max_voltage_v = max_voltage_v
        self.max_current_a = max_current_a
        if phases not in PHASE_BITS:
            raise ValueError(f"phases must be 1, 2 or 3, not {phases!r}")
        self.phases = phases
        elements = {int(p): tuple(float(e) for e in errs) for p, errs in (element_errors_pct or {}).items()}
        if any(not 1 <= p <= positions or len(e) != phases for p, e in elements.items()):
            raise ValueError(f"element_errors_pct: position 1..{positions} → {phases} errors (one per element)")
        if registers_kwh is None:
            rng = random.Random(seed + 645)
            registers_kwh = [round(rng.uniform(100.0, 9000.0), 2) for _ in range(positions)]
        starts = self._per_position("registers_kwh", registers_kwh, positions)
        rig = Rig(speed=speed, voltage_v=voltage_v, dut_noise_pct=0.0, std_error_pct=std_error_pct,
                  std_constant=std_constant, std_noise_pct=std_noise_pct, seed=seed, phases=phases)
        bench_faults = faults if faults is not None else BenchFaults()
        self._pf_cos = {code: _power_factor_of(label) for code, label in reg_map.enum("source_pf_code").items()}
        self._v_set, self._i_set, self._f_set = voltage_v, 0.0, rig.circuit.frequency_hz
        self._pf_code, self._output = min(self._pf_cos), False
        self._source_state, self._settle_at = SOURCE_OFF, 0.0
        self._phase_mask, self._no_current_applied = 0, False
        self._gate_target = 0
        super().__init__(rig, bench_faults, register_map=reg_map, device_id=device_id,
                         max_load_a=max_current_a)
        self.faults: BenchFaults = bench_faults
        self.bench = [
            _Position(p, MeterElement(rig.circuit, self.true_errors_pct[p - 1], self.constants[p - 1],
                                      noise_pct, seed=seed * 1000 + p,
                                      element_errors_pct=elements.get(p) if phases > 1 else None),
                      starts[p - 1])
            for p in range(1, positions + 1)
        ]

    @staticmethod
    def _per_position(name: str, value: Sequence[float] | float, positions: int) -> list[float]:
        if isinstance(value, int | float):
            return [float(value)] * positions
        values = [float(v) for v in value]
        if len(values) != positions:
            raise ValueError(f"{name} needs one value or {positions} (one per position), not {len(values)}")
        return values

    # ------------------------------------------------------------------ state
    @property
    def source_state(self) -> int:
        """0 off, 1 settling, 2 settled, 3 tripped (after bringing the state up to date)."""
        self._update()
        return self._source_state

    def position(self, number: int) -> _Position:
        """Position ``number`` (1-based), for tests and the console."""
        return self.bench[number - 1]

    @property
    def meters_powered(self) -> bool:
        """Whether the source applies voltage to the meters (their displays lit, their ports answering)."""
        self._update()
        return (self._output and self._source_state in (SOURCE_SETTLING, SOURCE_SETTLED)
                and self.rig.circuit.voltage_v > 0)

    def register_kwh(self, number: int) -> Decimal:
        """What the display of the meter at position ``number`` shows now, kWh (its register)."""
        self._update()
        return self.bench[number - 1].register.shown_kwh()

    def position_value(self, number: int, quantity: str) -> float:
        """Position register ``quantity`` of position ``number`` as its error calculator reports it."""
        return self.bench[number - 1].value(quantity)

    def _update(self) -> None:
        """Bring the source and every calculator up to the simulation time now."""
        now = self.rig.clock.t()
        if self._source_state in (SOURCE_SETTLING, SOURCE_SETTLED) and self.faults.source_trip:
            self.rig.circuit.set_contactor(False)
            self._source_state = SOURCE_TRIPPED
        elif (self._source_state == SOURCE_SETTLING and not self.faults.source_unstable
              and now >= self._settle_at):
            self._source_state = SOURCE_SETTLED
        if (self._output and self._source_state in (SOURCE_SETTLING, SOURCE_SETTLED)
                and self.faults.source_no_current != self._no_current_applied):
            self._set_circuit_load()  # the current circuit opened (or closed again) while on
        power_w = self.rig.circuit.power_w
        for pos in self.bench:
            pos.advance(now, power_w, self)
        if self._clock_running:
            self._advance_clock(now)

    def _advance_clock(self, now: float) -> None:
        """Complete the clock gates that ended by ``now``: each powered meter with a working pulse
        input gets a new frequency f0·(1 + (e + noise)/86400) and one more completed gate."""
        gates = math.floor((now - self._clock_t0) / self._clock_gate_s + 1e-12)
        powered = self._output and self._source_state == SOURCE_SETTLED and self.rig.circuit.voltage_v > 0
        while self._clock_gates < gates:
            self._clock_gates += 1
            for pos, rng, err in zip(self.bench, self._clock_rngs, self.clock_errors_s_per_day, strict=True):
                if (not powered or pos.dead or pos.number in self.faults.stuck
                        or pos.number in self.faults.dead_positions):
                    continue
                noise = rng.gauss(0.0, self.clock_noise_s_per_day) if self.clock_noise_s_per_day else 0.0
                pos.clock_hz = self.clock_hz * (1.0 + (err + noise) / 86400.0)
                pos.clock_count += 1

    def _apply_source(self) -> None:
        """Put the setpoints on the circuit (output on) or open it (output off)."""
        circuit = self.rig.circuit
        circuit.set_contactor(False)  # integrates the energy so far at the old settings
        if not self._output:
            self._source_state = SOURCE_OFF
            return
        if self.faults.source_trip:
            self._source_state = SOURCE_TRIPPED
            return
        circuit.voltage_v = self._v_set
        circuit.frequency_hz = self._f_set
        self._set_circuit_load()
        circuit.set_contactor(True)
        self._source_state = SOURCE_SETTLING
        self._settle_at = self.rig.clock.t() + self.settle_s

    def _loaded_phases(self) -> tuple[bool, ...]:
        """Which of the circuit's phases carry current for the phase mask set (0: all)."""
        bits = PHASE_BITS[self.phases]
        return tuple(not self._phase_mask or bool(self._phase_mask & b) for b in bits)

    def _set_circuit_load(self) -> None:
        """The setpoint current in the phases the mask names — none with ``source_no_current``."""
        self._no_current_applied = self.faults.source_no_current
        current = 0.0 if self.faults.source_no_current else self._i_set
        self.rig.circuit.set_load(current, self._pf_cos[self._pf_code], self._loaded_phases())

    def set_source(self, voltage_v: float, current_a: float, power_factor: str = "1",
                   frequency_hz: float = 50.0) -> None:
        """Front-panel source setting (outputs on): the same as the Modbus write of the source block."""
        codes = {label: code for code, label in self.register_map.enum("source_pf_code").items()}
        if power_factor not in codes:
            raise ValueError(f"power factor must be one of {', '.join(codes)}")
        self._update()
        self._v_set, self._i_set, self._f_set = voltage_v, current_a, frequency_hz
        self._pf_code, self._output = codes[power_factor], True
        self._apply_source()

    def set_load(self, current_a: float, power_factor: float = 1.0) -> None:
        """Not a bench function: the bench's current comes from its source (use :meth:`set_source`);
        overridden so that the reference meter's load can never bypass the source's state."""
        raise NotImplementedError("a meter bench has no load: set the source with set_source()")

    # ------------------------------------------------------------------ register values
    def _build_getters(self) -> dict[str, Callable[[], float]]:
        rig, circuit = self.rig, self.rig.circuit

        def on() -> bool:
            return circuit.contactor_closed

        return {
            "voltage": lambda: circuit.voltage_v if on() else 0.0,
            "current": lambda: circuit.current_a,
            "active_power": lambda: circuit.power_w * (1.0 + rig.std.error_pct / 100.0),
            "power_factor": lambda: circuit.power_factor,
            "frequency": lambda: circuit.frequency_hz if on() else 0.0,
            "energy_import": rig.std.energy_wh,
            "std_constant": lambda: rig.std.constant_imp_per_kwh,
            "std_pulse_count": lambda: rig.std.pulses() % 2**64,
            "source_state": lambda: self._source_state,
            "positions_installed": lambda: self.positions,
            "source_voltage_setpoint": lambda: self._v_set,
            "source_current_setpoint": lambda: self._i_set,
            "source_frequency_setpoint": lambda: self._f_set,
            "source_pf_code": lambda: self._pf_code,
            "source_output": lambda: 1 if self._output else 0,
            "source_current_phases": lambda: self._phase_mask,
            "gate_target": lambda: self._gate_target,
            "gate_control": lambda: 1 if any(p.active for p in self.bench) else 0,
            "bench_time": rig.clock.t,
            "clock_gate_s": lambda: self._clock_gate_s,
            "clock_control": lambda: 1 if self._clock_running else 0,
        }

    # ------------------------------------------------------------------ Modbus hooks (RefMeterTwin)
    def _refresh(self) -> None:
        """Count everything up to now before registers are read."""
        self._update()

    def _apply(self, new: dict[str, float]) -> ExcCodes | None:
        """Act on a decoded holding-register write, atomically (everything validated first)."""
        v = new.get("source_voltage_setpoint", self._v_set)
        i = new.get("source_current_setpoint", self._i_set)
        f = new.get("source_frequency_setpoint", self._f_set)
        pf_code = int(new.get("source_pf_code", self._pf_code))
        output = new.get("source_output", 1.0 if self._output else 0.0)
        mask = int(new.get("source_current_phases", self._phase_mask))
        target = int(new.get("gate_target", self._gate_target))
        control = new.get("gate_control")
        clock_gate = new.get("clock_gate_s", self._clock_gate_s)
        clock_control = new.get("clock_control")
        if not (math.isfinite(clock_gate) and 0.0 < clock_gate <= 86400.0) or clock_control not in (None, 0.0, 1.0):
            return ExcCodes.ILLEGAL_VALUE
        if not (all(math.isfinite(x) for x in (v, i, f)) and 0.0 <= v <= self.max_voltage_v
                and 0.0 <= i <= self.max_current_a and 40.0 <= f <= 70.0
                and pf_code in self._pf_cos and output in (0.0, 1.0)):
            return ExcCodes.ILLEGAL_VALUE
        if control is not None and (control not in (0.0, 1.0) or (control == 1.0 and target < 1)):
            return ExcCodes.ILLEGAL_VALUE
        if mask and (mask & ~sum(PHASE_BITS[self.phases])):  # a phase this source does not have
            return ExcCodes.ILLEGAL_VALUE
        self._update()  # count the pulses so far under the old settings
        self._v_set, self._i_set, self._f_set, self._pf_code = v, i, f, pf_code
        self._phase_mask = mask
        self._output = output == 1.0
        if "source_output" in new or (self._output and any(q in new for q in _SOURCE_QUANTITIES)):
            self._apply_source()
        if "gate_target" in new:
            self._gate_target = target
        if control == 1.0:
            now = self.rig.clock.t()
            for pos in self.bench:
                pos.arm(target, now)
        elif control == 0.0:
            for pos in self.bench:
                pos.stop()
        self._clock_gate_s = float(clock_gate)
        if clock_control == 1.0:
            self._clock_running, self._clock_t0, self._clock_gates = True, self.rig.clock.t(), 0
            for pos in self.bench:
                pos.clock_count, pos.clock_hz = 0, 0.0
        elif clock_control == 0.0:
            self._clock_running = False
        return None

    # ------------------------------------------------------------------ serving
    async def _tick(self) -> None:
        while True:
            self._update()
            busy = self._source_state == SOURCE_SETTLING or any(p.active for p in self.bench)
            await asyncio.sleep(_TICK_S if busy else _IDLE_TICK_S)
