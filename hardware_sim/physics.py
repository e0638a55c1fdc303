"""One simulated physics shared by the twins of a rig.

The same load current flows through the charger's meter (the device under test) and through the
reference meter, so their energies differ only by their configured true errors and noise. Energy
may run *accelerated* (``speed`` sim-seconds per wall-second) so that a demo finishes in seconds;
clocks that a procedure checks (the charger's real-time clock) are not accelerated.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field


class SimClock:
    """Accelerated monotonic simulation time, in seconds since the rig started."""

    def __init__(self, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self._wall0 = time.monotonic()

    def t(self) -> float:
        """Simulation seconds elapsed."""
        return (time.monotonic() - self._wall0) * self.speed


class Circuit:
    """The circuit under test: supply voltage and frequency, the load's current and power factor,
    and the contactor. Integrates true active energy over simulation time.

    A polyphase circuit (``phases`` elements, e.g. 3 for a three-phase four-wire meter) has the same
    voltage on every phase and the load's current in the phases that are *loaded* (all by default;
    one alone for a single-element test): power P = Σ U·I·cos φ over the loaded phases, and each
    phase's energy is integrated on its own (:meth:`phase_energy_wh`)."""

    def __init__(self, clock: SimClock, voltage_v: float = 220.0, frequency_hz: float = 50.0, phases: int = 1) -> None:
        if not 1 <= phases <= 3:
            raise ValueError("a circuit has 1 to 3 phases")
        self.clock = clock
        self.voltage_v = voltage_v
        self.frequency_hz = frequency_hz
        self.phases = phases
        self._setpoint_a = 0.0
        self._pf = 1.0
        self._loaded: tuple[bool, ...] = (True,) * phases
        self._closed = False
        self._phase_energy_wh = [0.0] * phases
        self._t_last = clock.t()
        self._lock = threading.RLock()

    def _advance(self) -> None:
        now = self.clock.t()
        per_phase = self.voltage_v * self.current_a * self._pf * (now - self._t_last) / 3600.0
        for k, on in enumerate(self._loaded):
            if on:
                self._phase_energy_wh[k] += per_phase
        self._t_last = now

    @property
    def current_a(self) -> float:
        """Current flowing now in each loaded phase (zero while the contactor is open)."""
        return self._setpoint_a if self._closed else 0.0

    @property
    def power_factor(self) -> float:
        """Load power factor."""
        return self._pf

    @property
    def loaded(self) -> tuple[bool, ...]:
        """Which phases carry the load's current."""
        return self._loaded

    @property
    def power_w(self) -> float:
        """True active power now, W (every loaded phase)."""
        return self.voltage_v * self.current_a * self._pf * sum(self._loaded)

    @property
    def contactor_closed(self) -> bool:
        """Whether the charger's output contactor is closed."""
        return self._closed

    def set_load(self, current_a: float, power_factor: float = 1.0, loaded: Sequence[bool] | None = None) -> None:
        """The load draws ``current_a`` at ``power_factor`` in the ``loaded`` phases (default: all)
        whenever the contactor is closed."""
        if current_a < 0 or not 0 < power_factor <= 1:
            raise ValueError("load current must be >= 0 and power factor in (0, 1]")
        which = (True,) * self.phases if loaded is None else tuple(bool(x) for x in loaded)
        if len(which) != self.phases or not any(which):
            raise ValueError(f"loaded names {self.phases} phases, at least one of them loaded")
        with self._lock:
            self._advance()
            self._setpoint_a = current_a
            self._pf = power_factor
            self._loaded = which

    def set_contactor(self, closed: bool) -> None:
        """The charger closes its contactor for a transaction and opens it at the end."""
        with self._lock:
            self._advance()
            self._closed = closed

    def phase_energy_wh(self) -> tuple[float, ...]:
        """True active energy delivered in each phase since the rig started, Wh."""
        with self._lock:
            self._advance()
            return tuple(self._phase_energy_wh)

    def true_energy_wh(self) -> float:
        """True active energy delivered since the rig started, Wh (every phase)."""
        return sum(self.phase_energy_wh())


@dataclass
class MeterElement:
    """A meter on the circuit with a true relative error (percent), pulse constant and noise.

    ``noise_pct`` is the standard deviation of the error from one gate to the next, drawn from a
    seeded generator so that a run is reproducible. A polyphase meter may give each measuring
    element its own error (``element_errors_pct``, one per phase of the circuit): it then registers
    Σ E_k·(1 + e_k) over the phases' energies E_k, so its error under balanced load is the mean of
    the e_k and with one element loaded alone that element's e_k.
    """

    circuit: Circuit
    error_pct: float = 0.0
    constant_imp_per_kwh: float = 1000.0
    noise_pct: float = 0.0
    seed: int = 0
    element_errors_pct: tuple[float, ...] | None = None
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        if self.element_errors_pct is not None:
            self.element_errors_pct = tuple(float(e) for e in self.element_errors_pct)
            if len(self.element_errors_pct) != self.circuit.phases:
                raise ValueError(f"element_errors_pct needs one error per phase ({self.circuit.phases})")

    def effective_error_pct(self) -> float:
        """The meter's error under the load now: its error, or the mean of its loaded elements' errors."""
        if self.element_errors_pct is None:
            return self.error_pct
        errors = [e for e, on in zip(self.element_errors_pct, self.circuit.loaded, strict=True) if on]
        return sum(errors) / len(errors)

    def energy_wh(self) -> float:
        """Energy this meter registers, Wh (true energy scaled by its error, element by element)."""
        if self.element_errors_pct is None:
            return self.circuit.true_energy_wh() * (1.0 + self.error_pct / 100.0)
        return sum(e * (1.0 + err / 100.0)
                   for e, err in zip(self.circuit.phase_energy_wh(), self.element_errors_pct, strict=True))

    def pulses(self) -> int:
        """Pulses emitted on its energy output so far."""
        return math.floor(self.energy_wh() / 1000.0 * self.constant_imp_per_kwh + 1e-9)

    def gate_error_pct(self) -> float:
        """This meter's error over one gate: its error under the load now plus one draw of noise."""
        return self.effective_error_pct() + (self._rng.gauss(0.0, self.noise_pct) if self.noise_pct else 0.0)


def standard_pulses_over_gate(dut: MeterElement, std: MeterElement, dut_pulses: int) -> tuple[int, float]:
    """Standard pulses m counted while the DUT emits ``dut_pulses`` pulses, and the standard's energy.

    Between two DUT pulse edges the DUT registers N/C_L kWh, i.e. N/(C_L(1+e_dut)) kWh of true
    energy; the standard registers that times (1+e_std) and emits C0 pulses per kWh of it. m is
    rounded to whole pulses as a real counter does.
    """
    e_dut = dut.gate_error_pct() / 100.0
    e_std = std.gate_error_pct() / 100.0
    true_kwh = dut_pulses / dut.constant_imp_per_kwh / (1.0 + e_dut)
    std_kwh = true_kwh * (1.0 + e_std)
    return round(std_kwh * std.constant_imp_per_kwh), std_kwh * 1000.0


@dataclass
class Rig:
    """A charging-post test rig: clock, circuit, the post's meter (DUT) and the reference meter."""

    speed: float = 1.0
    voltage_v: float = 220.0
    dut_error_pct: float = 0.3
    dut_constant: float = 1000.0
    dut_noise_pct: float = 0.02
    std_error_pct: float = 0.0
    std_constant: float = 1_000_000.0
    std_noise_pct: float = 0.002
    seed: int = 1148
    phases: int = 1
    clock: SimClock = field(init=False)
    circuit: Circuit = field(init=False)
    dut: MeterElement = field(init=False)
    std: MeterElement = field(init=False)

    def __post_init__(self) -> None:
        self.clock = SimClock(self.speed)
        self.circuit = Circuit(self.clock, voltage_v=self.voltage_v, phases=self.phases)
        self.dut = MeterElement(self.circuit, self.dut_error_pct, self.dut_constant, self.dut_noise_pct,
                                seed=self.seed)
        self.std = MeterElement(self.circuit, self.std_error_pct, self.std_constant, self.std_noise_pct,
                                seed=self.seed + 1)
