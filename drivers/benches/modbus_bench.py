"""A multi-position energy-meter bench (JJG 596) over Modbus TCP or RTU, driven by its register map.

A meter bench tests many household meters at once: a programmable **power source** applies voltage,
current and phase angle to every position, a **standard meter** measures them, and each position's
**error calculator** counts the meter's pulse output against the standard's high-frequency pulses
over a gate of N meter pulses. One controller fronts all of it on one Modbus address.

:class:`ModbusBench` plays three roles of :mod:`drivers.roles` from one register map (data, not
code; ``drivers/meters/maps/jianding_sim_bench.toml`` documents the protocol):

* ``PowerSource`` — :meth:`~ModbusBench.apply` writes the whole source block in one FC16 request and
  waits, with a deadline, until the source reports settled; with a map that has
  ``source_current_phases`` it loads one phase alone (single-element test of a polyphase meter);
  :meth:`~ModbusBench.off` is idempotent;
* ``EnergyStandard`` — energy and instantaneous values of the bench's standard meter (the fixed
  registers are handled by a :class:`~drivers.meters.modbus_meter.ModbusMeter` on the same link);
* ``MultiPositionCounter`` — gates on all positions at once, read back with as few requests as the
  map allows (``RegisterMap.plan_position_reads``: 8 positions per request for this map);
* ``ClockTester`` — the bench's time base (``bench_time``; the workstation's monotonic clock when
  the map has none) and, where the map has the clock registers, every position's clock-pulse
  frequency measured over gates of that time base (JJG 596 日计时误差).

Faults: a whole-bench fault (no answer, CRC/garbage, refused request) raises the transport's typed
errors naming the device; a *position's* fault never does — it comes back in
:attr:`PositionReading.fault <drivers.roles.PositionReading.fault>` as "表位 7: 无脉冲 (no pulses
within the gate)", so one bad meter or calculator never takes the others' results with it.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import time
from collections.abc import Mapping
from typing import Any

from drivers.errors import DeviceRefused, DeviceTimeout
from drivers.meters.modbus_meter import ModbusMeter
from drivers.meters.register_map import (
    INSTANTANEOUS_QUANTITIES,
    PositionSpan,
    RegisterMap,
    load_map,
)
from drivers.roles import ClockFrequency, Instantaneous, PositionReading
from drivers.transports.modbus import ModbusConfig, ModbusTransport

log = logging.getLogger(__name__)

GATE_IDLE, GATE_ARMED, GATE_COUNTING, GATE_DONE, GATE_FAULT = 0, 1, 2, 3, 4
SOURCE_OFF, SOURCE_SETTLING, SOURCE_SETTLED, SOURCE_TRIPPED = 0, 1, 2, 3
#: Fault codes from this value on mean the position's error calculator itself is unusable.
CALCULATOR_FAULT = 0x80

SOURCE_QUANTITIES: tuple[str, ...] = (
    "source_voltage_setpoint", "source_current_setpoint", "source_frequency_setpoint", "source_pf_code",
    "source_output", "source_state",
)
STANDARD_QUANTITIES: tuple[str, ...] = (*INSTANTANEOUS_QUANTITIES, "energy_import", "std_constant",
                                        "std_pulse_count")
GATE_CONTROL_QUANTITIES: tuple[str, ...] = ("gate_target", "gate_control")
POSITION_QUANTITIES: tuple[str, ...] = ("gate_state", "fault_code", "gate_dut_pulses", "gate_std_pulses",
                                        "dut_pulse_count")

_STATUS = ("gate_state", "fault_code")
_GATE = ("gate_state", "fault_code", "gate_dut_pulses", "gate_std_pulses")
_TOTALS = ("fault_code", "dut_pulse_count")
_CLOCK = ("fault_code", "clock_frequency", "clock_count")
CLOCK_QUANTITIES: tuple[str, ...] = ("clock_gate_s", "clock_control")
#: ``source_current_phases`` bit of each phase (0 = every phase carries current).
PHASE_BITS = {"A": 1, "B": 2, "C": 4}
_PF_RE = re.compile(r"^\s*(\d+(?:\.\d*)?)\s*([LC]?)\s*$", re.IGNORECASE)


def _pf_key(label: str) -> tuple[float, str] | None:
    """Normalised power factor: ("0.5l" → (0.5, "L"), "1.0" → (1.0, "")); None if not one."""
    m = _PF_RE.match(str(label))
    if m is None:
        return None
    cos = round(float(m[1]), 6)
    return cos, "" if cos == 1.0 else m[2].upper()


class ModbusBench:
    """Multi-position energy-meter bench on Modbus TCP or RTU, described by a :class:`RegisterMap`.

    ``name`` is the bench's name in the station file (it appears in every error); ``positions`` is
    how many positions the station uses (1..the map's ``[positions] count``, and no more than the
    controller reports installed, checked on :meth:`connect`). ``settle_timeout_s`` bounds how long
    :meth:`apply`/:meth:`off` wait for the source; the source state is polled every
    ``poll_interval_s``.
    """

    def __init__(self, name: str, register_map: RegisterMap, transport: ModbusTransport, positions: int, *,
                 settle_timeout_s: float = 30.0, poll_interval_s: float = 0.05) -> None:
        self.name = name
        self.register_map = register_map
        self.transport = transport
        missing = register_map.missing((*SOURCE_QUANTITIES, *STANDARD_QUANTITIES, *GATE_CONTROL_QUANTITIES))
        if register_map.positions is None or not register_map.has_position(*POSITION_QUANTITIES):
            missing.append("[position_registers] " + ", ".join(POSITION_QUANTITIES))
        if "source_pf_code" not in register_map.enums:
            missing.append("[enums.source_pf_code]")
        if missing:
            raise ValueError(f"{name}: register map {register_map.source} ({register_map.title}) is not a "
                             f"meter-bench map: it has no {', '.join(missing)}")
        block = register_map.position_block()
        if isinstance(positions, bool) or not isinstance(positions, int) or not 1 <= positions <= block.count:
            raise ValueError(f"{name}: positions must be 1..{block.count} for {register_map.title}, "
                             f"not {positions!r}")
        if not settle_timeout_s > 0 or not poll_interval_s > 0:
            raise ValueError(f"{name}: settle_timeout_s and poll_interval_s must be positive")
        self.positions = positions
        self.settle_timeout_s = float(settle_timeout_s)
        self.poll_interval_s = float(poll_interval_s)
        if transport.label == "Modbus device":
            transport.label = f"多表位检定装置 {register_map.title}"
        self.meter = ModbusMeter(name, register_map, transport)  # the fixed registers, same link
        self._pf_codes: dict[tuple[float, str], int] = {}
        for code, label in register_map.enum("source_pf_code").items():
            key = _pf_key(label)
            if key is None:
                raise ValueError(f"{name}: {register_map.source}: [enums.source_pf_code] {code} = {label!r} "
                                 "is not a power factor such as 1, 0.5L or 0.8C")
            self._pf_codes[key] = code
        self._plans: dict[tuple[str, ...], list[PositionSpan]] = {}
        #: Whether the map has the clock-test registers (``start_clock_test`` needs them).
        self.has_clock = register_map.has(*CLOCK_QUANTITIES) and register_map.has_position("clock_frequency",
                                                                                          "clock_count")

    @classmethod
    def from_config(cls, name: str, cfg: Mapping[str, Any]) -> ModbusBench:
        """Build from a station-file section.

        Example: ``{"map": "jianding_sim_bench", "transport": "tcp", "host": "127.0.0.1", "port": 5030,
        "device_id": 1, "positions": 24, "timeout_s": 1.0, "retries": 2}``; over RS-485
        ``"transport": "rtu", "port": "/dev/ttyUSB0", "baudrate": 19200, "parity": "N"``. Optional
        ``settle_timeout_s`` (default 30) and ``poll_interval_s`` (0.05). ``map`` is a shipped map
        name or a path to a ``.toml`` file.
        """
        if "map" not in cfg:
            raise ValueError(f"{name}: station section needs map = <register map name or file>")
        if "positions" not in cfg:
            raise ValueError(f"{name}: station section needs positions = <number of bench positions used>")
        try:
            config = ModbusConfig.from_dict(cfg)
            positions = int(cfg["positions"])
            settle = float(cfg.get("settle_timeout_s", 30.0))
            poll = float(cfg.get("poll_interval_s", 0.05))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name}: {exc}") from exc
        register_map = load_map(cfg["map"])
        return cls(name, register_map, ModbusTransport(name, config), positions,
                   settle_timeout_s=settle, poll_interval_s=poll)

    def __repr__(self) -> str:
        return (f"ModbusBench({self.name!r}, {self.register_map.title}, {self.positions} positions, "
                f"{self.transport.config.endpoint()})")

    @property
    def title(self) -> str:
        """Maker and model of the bench controller, for messages."""
        return self.register_map.title

    @property
    def power_factors(self) -> tuple[str, ...]:
        """The power-factor labels this bench's source accepts ("1", "0.5L", "0.8C", …)."""
        return tuple(self.register_map.enum("source_pf_code").values())

    # ------------------------------------------------------------------ generic access
    async def read_quantities(self, *quantities: str) -> dict[str, int | float]:
        """Read fixed (non-position) quantities in as few requests as the map allows."""
        return await self.meter.read_quantities(*quantities)

    async def write_quantities(self, values: Mapping[str, float]) -> None:
        """Write fixed quantities in the order given (adjacent registers in one request)."""
        await self.meter.write_quantities(values)

    async def read_positions(self, *quantities: str) -> dict[int, dict[str, int | float]]:
        """Read per-position quantities of positions 1..``positions``: ``{position: {quantity:
        value}}``, many positions per request (chunked by the map's ``max_read_count``)."""
        spans = self._plans.get(quantities)
        if spans is None:
            spans = self._plans[quantities] = self.register_map.plan_position_reads(quantities, self.positions)
        out: dict[int, dict[str, int | float]] = {}
        for span in spans:
            regs = await self.transport.read_registers(span.table, span.address, span.count)
            out.update(self.register_map.decode_position_span(span, regs))
        return out

    # ------------------------------------------------------------------ Device
    async def connect(self) -> None:
        """Open the link and check the bench has the positions the station file uses (if the
        controller reports ``positions_installed``); raises ``DeviceTimeout``/``Disconnected``
        with a clear message, ``DeviceRefused`` if the bench has fewer positions."""
        await self.transport.connect()
        if self.register_map.has("positions_installed"):
            installed = int((await self.read_quantities("positions_installed"))["positions_installed"])
            if installed < self.positions:
                raise DeviceRefused(
                    self.name,
                    f"{self.title}: the station file uses {self.positions} positions but the bench has "
                    f"{installed} error calculators installed — correct positions in the station file "
                    f"(表位数与装置不符)",
                )

    async def close(self) -> None:
        """Release the link; never raises."""
        await self.meter.close()

    # ------------------------------------------------------------------ PowerSource
    def power_factor_code(self, power_factor: str) -> int:
        """The source's code for ``power_factor`` ("1", "0.5L", "0.8C"; case and "1.0" tolerated);
        :class:`ValueError` listing what the bench supports otherwise."""
        key = _pf_key(power_factor)
        if key is None or key not in self._pf_codes:
            raise ValueError(f"{self.name}: power factor {power_factor!r} is not supported by {self.title} "
                             f"(supported: {', '.join(self.power_factors)})")
        return self._pf_codes[key]

    async def read_source_state(self) -> int:
        """The source's state now: 0 off, 1 settling, 2 settled, 3 protection tripped."""
        return int((await self.read_quantities("source_state"))["source_state"])

    def _state_text(self, state: int) -> str:
        return self.register_map.enums.get("source_state", {}).get(state, f"state {state}")

    async def apply(self, voltage_v: float, current_a: float, power_factor: str = "1",
                    frequency_hz: float = 50.0, phase: str | None = None) -> None:
        """Output ``voltage_v``/``current_a`` at ``power_factor`` and ``frequency_hz`` on every
        position (one FC16 write), then wait until the source reports settled. ``phase`` ("A", "B"
        or "C") carries the current alone (voltage on every phase); None: every phase.

        Raises ``ValueError`` for an unsupported power factor or phase or a negative/non-finite
        setpoint, ``DeviceRefused`` if the bench refuses a setpoint (out of its range, a phase it
        cannot load alone) or its protection trips, ``DeviceTimeout`` if it does not settle within
        ``settle_timeout_s``.
        """
        code = self.power_factor_code(power_factor)
        mask = 0
        if phase is not None:
            if str(phase).upper() not in PHASE_BITS:
                raise ValueError(f"{self.name}: phase must be A, B or C, not {phase!r}")
            if not self.register_map.has("source_current_phases"):
                raise DeviceRefused(self.name, f"{self.title}: 功率源不能单独加载 {phase} 相 (the register map has no "
                                               "source_current_phases: this source cannot load one element alone)")
            mask = PHASE_BITS[str(phase).upper()]
        values = (voltage_v, current_a, frequency_hz)
        if not all(math.isfinite(v) for v in values) or voltage_v < 0 or current_a < 0 or frequency_hz <= 0:
            raise ValueError(f"{self.name}: source setpoints must be finite, voltage and current >= 0 and "
                             f"frequency > 0, not {voltage_v!r} V, {current_a!r} A, {frequency_hz!r} Hz")
        values: dict[str, float] = {
            "source_voltage_setpoint": voltage_v, "source_current_setpoint": current_a,
            "source_frequency_setpoint": frequency_hz, "source_pf_code": code, "source_output": 1,
        }
        if self.register_map.has("source_current_phases"):
            values["source_current_phases"] = mask
        await self.write_quantities(values)
        pf_label = self.register_map.enum("source_pf_code")[code]
        what = (f"{voltage_v:g} V, {current_a:g} A{f' ({phase} 相 alone)' if phase else ''}, cosφ {pf_label}, "
                f"{frequency_hz:g} Hz")
        await self._wait_source((SOURCE_SETTLED,), what)

    async def off(self) -> None:
        """Switch the source's outputs off and wait until it reports off (teardown path);
        idempotent. A tripped source is off already."""
        await self.write_quantities({"source_output": 0})
        await self._wait_source((SOURCE_OFF, SOURCE_TRIPPED), "outputs off")

    async def _wait_source(self, wanted: tuple[int, ...], what: str) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settle_timeout_s
        while True:
            state = await self.read_source_state()
            if state in wanted:
                return
            if state == SOURCE_TRIPPED:
                raise DeviceRefused(
                    self.name,
                    f"{self.title}: 功率源保护动作 (source protection tripped, outputs off) applying {what} — "
                    "check the current circuits of every position (open/short current terminals, wrong "
                    "connection) before applying again",
                )
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise DeviceTimeout(
                    self.name,
                    f"{self.title}: 功率源未稳定 (source did not settle within {self.settle_timeout_s:g} s) "
                    f"applying {what}; last state: {self._state_text(state)}",
                )
            await asyncio.sleep(min(self.poll_interval_s, remaining))

    # ------------------------------------------------------------------ EnergyStandard
    async def read_energy_wh(self) -> float:
        """Total active energy registered by the bench's standard meter, Wh, at full resolution."""
        return await self.meter.read_energy_wh()

    async def read_instantaneous(self) -> Instantaneous:
        """Voltage, current, active power, power factor (cos φ) and frequency the standard measures
        now (one request)."""
        return await self.meter.read_instantaneous()

    # ------------------------------------------------------------------ MultiPositionCounter
    async def start_gates(self, dut_pulses: int) -> None:
        """Arm every position's gate for ``dut_pulses`` meter pulses (one FC16 write: target then
        start); each opens on its meter's next pulse edge."""
        if isinstance(dut_pulses, bool) or int(dut_pulses) != dut_pulses or dut_pulses < 1:
            raise ValueError(f"{self.name}: a gate needs a whole number of meter pulses >= 1, not {dut_pulses!r}")
        await self.write_quantities({"gate_target": int(dut_pulses), "gate_control": 1})

    async def gates_done(self) -> list[bool]:
        """Per position (index 0 = position 1): has its gate finished or given up with a fault?

        The bench gives up on a position whose meter sends no pulse for several expected pulse
        periods while current flows; with no current (creep, source off) a gate waits for ever, so
        the caller waits with its own deadline and then :meth:`stop_gates`.
        """
        v = await self.read_positions(*_STATUS)
        return [int(v[p]["gate_state"]) in (GATE_DONE, GATE_FAULT) or int(v[p]["fault_code"]) != 0
                for p in range(1, self.positions + 1)]

    def _fault_text(self, position: int, code: int) -> str:
        label = self.register_map.enums.get("fault_code", {}).get(code)
        return f"表位 {position}: {label or f'故障代码 {code} (unknown fault code {code})'}"

    async def read_gates(self) -> list[PositionReading]:
        """Every position's gate result (index 0 = position 1): N and m with the standard's C0, or
        ``fault`` saying why not (a position fault, or a gate not finished)."""
        c0 = float((await self.read_quantities("std_constant"))["std_constant"])
        v = await self.read_positions(*_GATE)
        gate_text = self.register_map.enums.get("gate_state", {})
        readings: list[PositionReading] = []
        for p in range(1, self.positions + 1):
            r = v[p]
            state, fault = int(r["gate_state"]), int(r["fault_code"])
            n, m = int(r["gate_dut_pulses"]), int(r["gate_std_pulses"])
            if fault:
                readings.append(PositionReading(p, None, None, c0, self._fault_text(p, fault)))
            elif state == GATE_DONE and n > 0 and m > 0:
                readings.append(PositionReading(p, n, m, c0))
            elif state == GATE_DONE:
                readings.append(PositionReading(p, None, None, c0, f"表位 {p}: 无标准脉冲 (gate finished "
                                                f"with {n} meter and {m} standard pulses)"))
            else:
                label = gate_text.get(state, f"state {state}")
                readings.append(PositionReading(p, None, None, c0, f"表位 {p}: 检定未完成 (gate not finished: "
                                                f"{label}, {n} pulses counted)"))
        return readings

    async def read_totals(self) -> list[PositionReading]:
        """Free-running pulse totals (index 0 = position 1): the meter's pulses as ``dut_pulses``
        and the standard's free-running pulses as ``std_pulses`` (read one request earlier), for
        creep, starting and register tests. Differences across a wrap (2^32 meter pulses) are the
        caller's to take. A position whose calculator is unusable carries ``fault``."""
        std = await self.read_quantities("std_pulse_count", "std_constant")
        c0, std_total = float(std["std_constant"]), int(std["std_pulse_count"])
        v = await self.read_positions(*_TOTALS)
        readings: list[PositionReading] = []
        for p in range(1, self.positions + 1):
            fault = int(v[p]["fault_code"])
            if fault >= CALCULATOR_FAULT:
                readings.append(PositionReading(p, None, None, c0, self._fault_text(p, fault)))
            else:
                readings.append(PositionReading(p, int(v[p]["dut_pulse_count"]), std_total, c0))
        return readings

    async def stop_gates(self) -> None:
        """Abort all running gates (teardown path); idempotent. Finished gates keep their results."""
        await self.write_quantities({"gate_control": 0})

    # ------------------------------------------------------------------ ClockTester
    async def read_time_s(self) -> float:
        """Seconds of the bench's time base (``bench_time``); the workstation's monotonic clock when
        the map has no time-base register (a real bench without one is timed by the workstation)."""
        if not self.register_map.has("bench_time"):
            return time.monotonic()
        return float((await self.read_quantities("bench_time"))["bench_time"])

    def _require_clock(self) -> None:
        if not self.has_clock:
            raise DeviceRefused(self.name, f"{self.title}: 装置无日计时误差测量功能 (the register map has no clock "
                                           f"registers: {', '.join(CLOCK_QUANTITIES)}, clock_frequency, clock_count)")

    async def start_clock_test(self, gate_s: float) -> None:
        """Measure every position's clock-pulse frequency gate after gate of ``gate_s`` seconds of
        the bench's time base (one FC16 write: gate, then control = 1); earlier results are cleared."""
        self._require_clock()
        if not math.isfinite(gate_s) or gate_s <= 0:
            raise ValueError(f"{self.name}: a clock gate must be a positive number of seconds, not {gate_s!r}")
        await self.write_quantities({"clock_gate_s": float(gate_s), "clock_control": 1})

    async def read_clock_frequencies(self) -> list[ClockFrequency]:
        """Every position's latest clock-pulse frequency (index 0 = position 1) and the number of
        gates it completed (0 and no frequency: none yet); a position whose calculator is unusable,
        or that completed a gate without clock pulses, carries ``fault``."""
        self._require_clock()
        v = await self.read_positions(*_CLOCK)
        out: list[ClockFrequency] = []
        for p in range(1, self.positions + 1):
            fault, freq, count = int(v[p]["fault_code"]), float(v[p]["clock_frequency"]), int(v[p]["clock_count"])
            if fault >= CALCULATOR_FAULT:
                out.append(ClockFrequency(p, None, 0, self._fault_text(p, fault)))
            elif count == 0:
                out.append(ClockFrequency(p, None, 0))
            elif not freq > 0:
                out.append(ClockFrequency(p, None, count, f"表位 {p}: 无时钟脉冲 (no clock pulses measured)"))
            else:
                out.append(ClockFrequency(p, freq, count))
        return out

    async def stop_clock_test(self) -> None:
        """Stop the clock measurement (teardown path); idempotent; a map without it: nothing to do."""
        if self.has_clock:
            await self.write_quantities({"clock_control": 0})
