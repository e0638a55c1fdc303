"""Roles a procedure asks for, as ``typing.Protocol``s.

``procedures/`` never imports a concrete driver: a regulation module asks for an
``EnergyStandard``, a ``PulseCounter``, a ``ChargerLink`` …, and ``bench/`` injects a real device
(or a real driver talking to a simulated device over a real transport). Every coroutine here has a
deadline inside the driver and raises :mod:`drivers.errors` types on failure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class Instantaneous:
    """Instantaneous electrical quantities read from a standard meter, in SI units."""

    voltage_v: float
    current_a: float
    active_power_w: float
    power_factor: float
    frequency_hz: float


@dataclass(frozen=True)
class GateStatus:
    """Progress of a pulse-comparison gate: running or done, and DUT pulses counted so far."""

    running: bool
    done: bool
    dut_pulses: int
    target_pulses: int


@dataclass(frozen=True)
class GateResult:
    """What a finished gate measured: N DUT pulses against m standard pulses (JJG 596 pulse method).

    ``std_constant`` is C0 of the standard in imp/kWh as the standard reports it; ``ref_energy_wh``
    is the standard's own energy between the gate edges (redundant with m/C0, kept for the record).
    """

    dut_pulses: int
    std_pulses: int
    std_constant: float
    ref_energy_wh: float
    duration_s: float


@dataclass(frozen=True)
class ChargerInfo:
    """Identity a charger reports when it connects (OCPP BootNotification or GB/T 27930 CRM)."""

    charger_id: str
    vendor: str
    model: str
    serial: str | None = None
    firmware: str | None = None
    meter_type: str | None = None
    meter_serial: str | None = None
    protocol: str = "ocpp1.6"


@dataclass(frozen=True)
class ClockReading:
    """The charger's clock against the workstation's time standard, taken at the same instant;
    ``source`` says how the charger's time was obtained (e.g. "OCPP StatusNotification timestamp
    before any CSMS time", "GB/T 27930 CTS"), for the record."""

    charger_time: datetime
    reference_time: datetime
    source: str = ""

    @property
    def offset_s(self) -> float:
        """Charger minus reference, seconds; positive when the charger's clock is ahead."""
        return (self.charger_time - self.reference_time).total_seconds()


@dataclass(frozen=True)
class SignedMeterSummary:
    """The signed meter values (OCMF) a charger sent for its last transaction, checked:
    ``status`` valid | invalid | absent, why, the signed start and stop readings (Wh) and the
    meter serial they name. ``notes`` are findings that leave the status as it is but belong on the
    record (a page number repeated on begin and end, a public key taken from the post's own
    message, an unsynchronised meter clock …), Chinese first."""

    status: str
    reason: str
    start_wh: float | None = None
    stop_wh: float | None = None
    meter_serial: str | None = None
    records: int = 0
    notes: tuple[str, ...] = ()


@runtime_checkable
class Device(Protocol):
    """Anything with a name and a connection life cycle."""

    name: str

    async def connect(self) -> None:
        """Open the link; raise ``DeviceTimeout``/``Disconnected`` with a clear message on failure."""
        ...

    async def close(self) -> None:
        """Release the link; never raises."""
        ...


@runtime_checkable
class EnergyStandard(Device, Protocol):
    """A reference (standard) energy meter: high-resolution energy and instantaneous values."""

    async def read_energy_wh(self) -> float:
        """Total active energy registered by the standard, Wh, at full resolution."""
        ...

    async def read_instantaneous(self) -> Instantaneous:
        """Voltage, current, active power, power factor and frequency now."""
        ...


@runtime_checkable
class PulseCounter(Device, Protocol):
    """Counts the DUT's energy pulses against the standard's own pulses over a gate of N DUT pulses."""

    async def start_gate(self, dut_pulses: int) -> None:
        """Arm a gate that opens on the next DUT pulse edge and closes after ``dut_pulses`` pulses."""
        ...

    async def gate_status(self) -> GateStatus:
        """Where the gate stands now."""
        ...

    async def read_gate(self) -> GateResult:
        """Counts of the last finished gate; ``ProtocolError`` if none has finished."""
        ...

    async def stop_gate(self) -> None:
        """Abort any running gate (teardown path); idempotent."""
        ...


@runtime_checkable
class LoadController(Device, Protocol):
    """The test load (real or virtual) that sets the current the charger delivers."""

    async def set_load(self, current_a: float, power_factor: float = 1.0) -> None:
        """Draw ``current_a`` at ``power_factor`` from the charger's output."""
        ...

    async def load_off(self) -> None:
        """Disconnect the load (teardown path); idempotent."""
        ...


@runtime_checkable
class ChargerLink(Device, Protocol):
    """The workstation's link to a charger under test (OCPP CSMS or GB/T 27930 BMS)."""

    async def wait_connected(self, timeout_s: float) -> ChargerInfo:
        """Wait until the charger has connected and identified itself."""
        ...

    async def start_charging(self, connector_id: int = 1, id_tag: str = "JIANDING") -> str:
        """Start a transaction and wait until the charger confirms it; returns the transaction id."""
        ...

    async def stop_charging(self) -> None:
        """Stop the running transaction (teardown path); idempotent."""
        ...

    async def read_energy_register_wh(self) -> float:
        """The charger's own energy register, Wh, freshly requested from the charger."""
        ...

    async def read_clock(self) -> ClockReading:
        """The charger's clock against the workstation's reference time."""
        ...

    async def clock_as_found(self) -> ClockReading | None:
        """The charger's clock from a timestamp it sent before it received any time from us (None
        when it sent none): the clock item's protocol source, as found."""
        ...


@dataclass(frozen=True)
class DcChargerStatus:
    """The charger's latest CCS (GB/T 27930-2015): output voltage and current, cumulative charging
    time, and whether charging is allowed (not paused)."""

    voltage_v: float
    current_a: float
    charging_time_min: int
    charging_allowed: bool


@dataclass(frozen=True)
class DcSessionSummary:
    """The charger's CSD at the end of a session: energy in 0.1 kWh steps, time, charger number,
    and why the session ended (BST/CST reason flags, decoded)."""

    energy_kwh: float
    charging_time_min: int
    charger_number: str
    stop_reasons: tuple[str, ...] = ()


@runtime_checkable
class BmsLink(Device, Protocol):
    """The workstation playing the vehicle's BMS to a DC charger (GB/T 27930): it runs the
    handshake, recognition and parameter stages, requests voltage and current while charging, reads
    the charger's output (CCS) and its end-of-session summary (CSD)."""

    async def start_session(self, timeout_s: float) -> ChargerInfo:
        """Handshake → recognition → parameter configuration, until the charger is ready (CRO 0xAA)
        and charging has started; returns the charger's identity (CRM charger number, region)."""
        ...

    async def request(self, voltage_v: float, current_a: float, mode: str = "CC") -> None:
        """Set the BCL demand (constant current "CC" or constant voltage "CV")."""
        ...

    async def charger_status(self) -> DcChargerStatus:
        """The latest CCS from the charger (``DeviceTimeout`` if CCS stopped arriving)."""
        ...

    async def stop_session(self, timeout_s: float) -> DcSessionSummary:
        """End charging (BST), wait for CST and the CSD statistics; idempotent."""
        ...


@dataclass(frozen=True)
class PositionReading:
    """One bench position's result for a gate (or a counter read): the counts, or why there are
    none (``fault``: e.g. "no pulses", "position not answering"), so that one faulty position never
    takes the others' results with it. ``pressure_loss_pa``: a flow bench's differential pressure
    across the position's meter over the test (Pa), where the bench measures it (None if not)."""

    position: int
    dut_pulses: int | None
    std_pulses: int | None
    std_constant: float
    fault: str = ""
    pressure_loss_pa: float | None = None

    @property
    def ok(self) -> bool:
        """Whether the counts are usable."""
        return not self.fault and self.dut_pulses is not None and self.std_pulses is not None


@runtime_checkable
class PowerSource(Device, Protocol):
    """The test source of a meter bench: voltage, current and phase angle applied to every position;
    a polyphase source can load one element (phase) alone, voltage staying on every phase."""

    async def apply(self, voltage_v: float, current_a: float, power_factor: str = "1",
                    frequency_hz: float = 50.0, phase: str | None = None) -> None:
        """Output ``voltage_v``/``current_a`` at ``power_factor`` ("1", "0.5L", "0.8C") and settle;
        ``phase`` ("A", "B" or "C") carries the current alone (single-element test), None: every
        phase (balanced load). ``DeviceRefused`` when the source cannot load that phase alone."""
        ...

    async def off(self) -> None:
        """Switch the outputs off (teardown path); idempotent."""
        ...


@runtime_checkable
class MultiPositionCounter(Device, Protocol):
    """The error calculators of an N-position bench: a pulse-comparison gate per position against
    the bench's standard meter, free-running pulse totals, and per-position faults."""

    positions: int

    async def start_gates(self, dut_pulses: int) -> None:
        """Arm every position's gate for ``dut_pulses`` DUT pulses."""
        ...

    async def gates_done(self) -> list[bool]:
        """Per position: has its gate finished (or given up with a fault)?"""
        ...

    async def read_gates(self) -> list[PositionReading]:
        """Every position's gate result (faulty positions carry ``fault``)."""
        ...

    async def read_totals(self) -> list[PositionReading]:
        """Free-running DUT pulse totals per position (creep, starting, register tests)."""
        ...

    async def stop_gates(self) -> None:
        """Abort all gates (teardown path); idempotent."""
        ...


@runtime_checkable
class TimeStandard(Protocol):
    """Source of reference time (NTP/GNSS-disciplined system clock by default)."""

    name: str

    def now(self) -> datetime:
        """Timezone-aware reference time now."""
        ...


@dataclass(frozen=True)
class DispenserInfo:
    """Identity a fuel dispenser reports over its interface: vendor, model, serial, firmware and
    the software identification JJG 443-2023 asks to be checked, number of nozzles, protocol."""

    vendor: str
    model: str
    serial: str
    firmware: str = ""
    software_id: str = ""
    nozzles: int = 1
    protocol: str = ""


@dataclass(frozen=True)
class DispenserStatus:
    """Where a dispenser stands now: ``state`` is ``idle``, ``authorized`` (waiting for the nozzle),
    ``fuelling`` or ``done`` (the delivery ended and its transaction is stored); the display's
    volume and amount of the running or last delivery, and the flow rate now."""

    state: str
    nozzle: int
    volume_l: float
    amount_yuan: float
    flow_l_min: float

    @property
    def done(self) -> bool:
        """The authorised delivery has ended (its transaction can be read)."""
        return self.state == "done"


@dataclass(frozen=True)
class DispenserTransaction:
    """The last finished delivery as the dispenser displayed it: volume V_J (L), amount (元), unit
    price (元/L), its transaction number and how long it took (s)."""

    number: int
    nozzle: int
    volume_l: float
    amount_yuan: float
    price_yuan_per_l: float
    duration_s: float

    @property
    def flow_l_min(self) -> float:
        """Mean flow rate of the delivery, L/min (0 for an empty delivery)."""
        return self.volume_l / self.duration_s * 60.0 if self.duration_s > 0 else 0.0


@dataclass(frozen=True)
class PulserCount:
    """The dispenser's pulser (flow-meter encoder) total and its constant K (pulses per litre)."""

    pulses: int
    pulses_per_l: float

    @property
    def volume_l(self) -> float:
        """The pulse total as a volume, L."""
        return self.pulses / self.pulses_per_l


@dataclass(frozen=True)
class Totalizer:
    """A nozzle's non-resettable totalizer (累计数): volume (L) and amount (元)."""

    volume_l: float
    amount_yuan: float


@runtime_checkable
class DispenserLink(Device, Protocol):
    """The workstation's link to a fuel dispenser's computer (JJG 443 runs with an interface):
    authorise a delivery with a preset, follow it, read what the display showed, the totalizer
    and the pulser. The standard metal can is read by the operator, not through this link."""

    async def identify(self) -> DispenserInfo:
        """Vendor, model, serial, firmware and software identification."""
        ...

    async def read_price(self, nozzle: int = 1) -> float:
        """The unit price set for ``nozzle``, 元/L."""
        ...

    async def authorize(self, nozzle: int, preset_l: float, flow_l_min: float) -> None:
        """Authorise one delivery of ``preset_l`` litres on ``nozzle`` at about ``flow_l_min``;
        ``DeviceRefused`` if the dispenser refuses (busy, unknown nozzle, preset out of range)."""
        ...

    async def status(self) -> DispenserStatus:
        """The state and display now."""
        ...

    async def read_last_transaction(self) -> DispenserTransaction:
        """The last finished delivery (``ProtocolError`` if there is none)."""
        ...

    async def read_totalizer(self, nozzle: int = 1) -> Totalizer:
        """The nozzle's totalizer."""
        ...

    async def read_pulser(self) -> PulserCount:
        """The pulser's total count and constant."""
        ...

    async def stop(self) -> None:
        """End any delivery and cancel any authorisation (teardown path); idempotent."""
        ...


@dataclass(frozen=True)
class FlowConditions:
    """The test medium at a flow bench's meters now: flow rate (m³/h), temperature (°C) and
    absolute pressure (kPa) at the meter inlet; ``ambient_*`` are the laboratory's air temperature
    (°C), pressure (kPa) and relative humidity (%) where the bench measures them (None if not)."""

    flow_m3_h: float
    temperature_c: float
    pressure_kpa: float
    ambient_temperature_c: float | None = None
    ambient_pressure_kpa: float | None = None
    ambient_humidity_pct: float | None = None


@dataclass(frozen=True)
class FlowTestRun:
    """One start-stop test on a flow bench: per position the meter's pulse count over the test
    (``PositionReading.dut_pulses``; ``fault`` when a position gave none), the mean conditions at
    the meters during the test, how long the flow ran (s) and the volume the bench aimed at (L)."""

    positions: tuple[PositionReading, ...]
    conditions: FlowConditions
    duration_s: float
    target_volume_l: float


@runtime_checkable
class FlowBench(Device, Protocol):
    """A multi-position flow bench (water meters or gas meters in series): it sets the flow, runs a
    test volume through every position by the start-stop method (valves closed → counters zeroed →
    flow at the set rate until the volume has passed → valves closed) and counts each meter's
    pulses; it reports the medium's and the laboratory's conditions."""

    positions: int
    medium: str  # "water" | "gas"

    async def conditions(self) -> FlowConditions:
        """The conditions now (no flow needed)."""
        ...

    async def run_test(self, flow_m3_h: float, volume_l: float) -> FlowTestRun:
        """Run one start-stop test of about ``volume_l`` litres at ``flow_m3_h``; returns when the
        valves have closed again. Per-position faults come back in the result, never raised."""
        ...

    async def stop_flow(self) -> None:
        """Close the valves (teardown path); idempotent."""
        ...


@dataclass(frozen=True)
class StandardVolume:
    """What a flow standard measured over the last test: a volume (master meter, bell prover,
    standard gas meter: ``volume_l`` at the standard's own conditions) or a mass (weighing scale:
    ``mass_kg``, the balance indication before any buoyancy correction), with the medium's
    temperature (°C) and absolute pressure (kPa) at the standard."""

    kind: str  # "master_meter" | "scale" | "bell_prover" | "standard_meter"
    volume_l: float | None
    mass_kg: float | None
    temperature_c: float
    pressure_kpa: float


@runtime_checkable
class FlowStandard(Device, Protocol):
    """The flow standard of a bench: a master meter, a weighing scale (gravimetric method), a bell
    prover or a standard gas meter. ``begin`` is called with the valves closed before each test
    (tare the scale, zero the master meter, note the bell's start mark); ``measured`` after it."""

    kind: str
    resolution: float  # scale interval (kg) or volume resolution (L) of the standard
    # how long begin/measured may wait for the standard to settle (a scale's stable indication),
    # so a procedure's backstop deadline covers it and "unstable" is never reported as "no answer"
    settle_timeout_s: float

    async def begin(self) -> None:
        """Prepare for the next test (tare / zero / start mark)."""
        ...

    async def measured(self) -> StandardVolume:
        """What passed through the standard since :meth:`begin` (``DeviceTimeout`` while unstable
        past the deadline)."""
        ...


@dataclass(frozen=True)
class ClockFrequency:
    """One bench position's clock-pulse measurement (JJG 596 日计时误差): the frequency of the
    meter's clock test output (Hz, nominally 1 Hz) over the last completed gate of the bench's time
    base and how many gates have completed since the test started (0 and no frequency: none yet);
    ``fault`` when the position cannot give one (its calculator is unusable, no clock pulses)."""

    position: int
    frequency_hz: float | None
    measurements: int
    fault: str = ""

    @property
    def ok(self) -> bool:
        """Whether a frequency is available."""
        return not self.fault and self.frequency_hz is not None and self.frequency_hz > 0


@runtime_checkable
class ClockTester(Device, Protocol):
    """The time base of an N-position meter bench: its own (crystal-disciplined) seconds, on which
    creep and starting tests are timed, and a per-position measurement of each meter's clock-pulse
    frequency over gates of that time base (daily clock error)."""

    positions: int

    async def read_time_s(self) -> float:
        """Seconds of the bench's time base (monotonic; only differences are meaningful)."""
        ...

    async def start_clock_test(self, gate_s: float) -> None:
        """Start measuring every position's clock-pulse frequency over gates of ``gate_s`` seconds,
        one after the other, until :meth:`stop_clock_test`."""
        ...

    async def read_clock_frequencies(self) -> list[ClockFrequency]:
        """Every position's latest clock-pulse measurement (index 0 = position 1)."""
        ...

    async def stop_clock_test(self) -> None:
        """Stop the clock measurement (teardown path); idempotent."""
        ...


@dataclass(frozen=True)
class RegisterReading:
    """One bench position's energy register (计度器, what the customer reads), kWh, as the meter
    reports it over its own port, or ``fault`` saying why there is none (the meter does not answer,
    answered with an error, garbled replies) — one silent meter never takes the others' readings
    with it. ``address`` is the meter's communication address."""

    position: int
    energy_kwh: float | None
    address: str = ""
    fault: str = ""

    @property
    def ok(self) -> bool:
        """Whether the register value is usable."""
        return not self.fault and self.energy_kwh is not None


@runtime_checkable
class RegisterReader(Device, Protocol):
    """The meters' own communication port on a bench (DL/T 645 on RS-485 or infrared): each
    position's energy register read from the meter itself."""

    positions: int

    async def read_energy_kwh(self, position: int) -> float:
        """The register of the meter at ``position``, kWh; a ``DeviceError`` naming the position and
        its address when it cannot be read."""
        ...

    async def read_registers(self, positions: Sequence[int]) -> list[RegisterReading]:
        """The registers of ``positions`` (in that order); a position that cannot be read carries
        ``fault``; a line on which no meter answers at all raises ``DeviceTimeout``."""
        ...
