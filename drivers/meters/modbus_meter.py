"""A Modbus energy meter driven entirely by its register map (data, not code).

:class:`ModbusMeter` plays the roles ``EnergyStandard``, ``PulseCounter`` and ``LoadController``
of :mod:`drivers.roles` for any meter whose map is in ``drivers/meters/maps/``. What a model can do
follows from which standard quantities its map declares: a plain meter such as the Eastron SDM630
reads energy and instantaneous values, while a reference meter / AC-post calibrator (our
``jianding_sim_ref``) also runs pulse-comparison gates and its built-in load. Asking a model for a
function its map lacks raises :class:`UnsupportedFunction` that says so plainly.

Reads are grouped into as few requests as the map allows (``RegisterMap.plan_reads``), writes of
adjacent registers go out as one FC16 request (``gate_target`` + ``gate_control`` arm a gate
atomically, current + power factor set the load at once).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from drivers.errors import DeviceRefused, ProtocolError
from drivers.meters.register_map import (
    GATE_QUANTITIES,
    INSTANTANEOUS_QUANTITIES,
    LOAD_QUANTITIES,
    ReadSpan,
    RegisterMap,
    RegisterMapError,
    load_map,
)
from drivers.roles import GateResult, GateStatus, Instantaneous
from drivers.transports.modbus import ModbusConfig, ModbusTransport

log = logging.getLogger(__name__)

GATE_IDLE, GATE_ARMED, GATE_COUNTING, GATE_DONE = 0, 1, 2, 3
_GATE_STATE_TEXT = {GATE_IDLE: "idle", GATE_ARMED: "armed", GATE_COUNTING: "counting", GATE_DONE: "done"}

_STATUS_QUANTITIES = ("gate_state", "gate_dut_pulses", "gate_target")
_RESULT_QUANTITIES = ("gate_state", "gate_dut_pulses", "gate_std_pulses", "gate_std_energy",
                      "gate_duration", "std_constant")


class UnsupportedFunction(DeviceRefused):
    """The meter model has no registers for the requested function (e.g. SDM630 has no gate)."""


class ModbusMeter:
    """Reference / energy meter over Modbus TCP or RTU, described by a :class:`RegisterMap`.

    ``name`` is the instrument's name in the station file; it appears in every error message.
    """

    def __init__(self, name: str, register_map: RegisterMap, transport: ModbusTransport) -> None:
        self.name = name
        self.register_map = register_map
        self.transport = transport
        self._plans: dict[tuple[str, ...], list[ReadSpan]] = {}
        if transport.label == "Modbus device":
            transport.label = f"电能表 {register_map.title}"

    @classmethod
    def from_config(cls, name: str, cfg: Mapping[str, Any]) -> ModbusMeter:
        """Build from a station-file section.

        Example: ``{"map": "jianding_sim_ref", "transport": "tcp", "host": "127.0.0.1", "port": 5020,
        "device_id": 1, "timeout_s": 1.0, "retries": 2}`` or ``{"map": "eastron_sdm630",
        "transport": "rtu", "port": "/dev/ttyUSB0", "baudrate": 9600, "parity": "N", "stopbits": 1,
        "device_id": 1}``. ``map`` is a shipped map name or a path to a ``.toml`` file.
        """
        if "map" not in cfg:
            raise ValueError(f"{name}: station section needs map = <register map name or file>")
        try:
            config = ModbusConfig.from_dict(cfg)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name}: {exc}") from exc
        register_map = load_map(cfg["map"])
        return cls(name, register_map, ModbusTransport(name, config))

    def __repr__(self) -> str:
        return f"ModbusMeter({self.name!r}, {self.register_map.title}, {self.transport.config.endpoint()})"

    # ------------------------------------------------------------------ capabilities
    @property
    def has_gate(self) -> bool:
        """Whether this model runs pulse-comparison gates (all gate registers are mapped)."""
        return self.register_map.has(*GATE_QUANTITIES)

    @property
    def has_load(self) -> bool:
        """Whether this model has a built-in programmable load."""
        return self.register_map.has(*LOAD_QUANTITIES)

    def _require(self, quantities: Iterable[str], function: str) -> None:
        missing = self.register_map.missing(quantities)
        if missing:
            m = self.register_map
            raise UnsupportedFunction(
                self.name,
                f"{m.title} does not support {function}: its register map ({m.source}) has no "
                f"{', '.join(missing)} — use a reference meter/calibrator that has this function "
                f"(该型号不支持此功能)",
            )

    # ------------------------------------------------------------------ generic access
    async def read_quantities(self, *quantities: str) -> dict[str, int | float]:
        """Read named quantities in as few requests as the map allows, scaled to their units."""
        spans = self._plans.get(quantities)
        if spans is None:
            self._require(quantities, "reading " + ", ".join(quantities))
            spans = self._plans[quantities] = self.register_map.plan_reads(quantities)
        out: dict[str, int | float] = {}
        for span in spans:
            regs = await self.transport.read_registers(span.table, span.address, span.count)
            try:
                out.update(self.register_map.decode_span(span, regs))
            except RegisterMapError as e:  # a reply that decodes to no value (a NaN float, a short read)
                raise ProtocolError(self.name, f"{self.register_map.title}: 无效应答 (invalid reply): {e}") from None
        return out

    async def write_quantities(self, values: Mapping[str, float]) -> None:
        """Write named quantities in the order given (adjacent registers in one request)."""
        self._require(values, "writing " + ", ".join(values))
        for address, regs in self.register_map.plan_writes(values):
            await self.transport.write_registers(address, regs)

    # ------------------------------------------------------------------ Device
    async def connect(self) -> None:
        """Open the link; raises ``DeviceTimeout``/``Disconnected`` with a clear message."""
        await self.transport.connect()

    async def close(self) -> None:
        """Release the link; never raises."""
        try:
            await self.transport.close()
        except Exception:  # close must never raise
            log.exception("%s: error while closing", self.name)

    # ------------------------------------------------------------------ EnergyStandard
    async def read_energy_wh(self) -> float:
        """Total active (import) energy registered by the meter, Wh, at the map's full resolution."""
        values = await self.read_quantities("energy_import")
        return float(values["energy_import"])

    async def read_instantaneous(self) -> Instantaneous:
        """Voltage, current, active power, power factor and frequency now (one request if possible).
        A DC meter (map ``current_kind = "DC"``) reports power factor 1 and frequency 0."""
        if self.register_map.current_kind == "DC":
            quantities: tuple[str, ...] = ("voltage", "current", "active_power")
        else:
            quantities = tuple(INSTANTANEOUS_QUANTITIES)
        self._require(quantities, "instantaneous values")
        v = await self.read_quantities(*quantities)
        return Instantaneous(
            voltage_v=float(v["voltage"]),
            current_a=float(v["current"]),
            active_power_w=float(v["active_power"]),
            power_factor=float(v.get("power_factor", 1.0)),
            frequency_hz=float(v.get("frequency", 0.0)),
        )

    @property
    def has_pulse_total(self) -> bool:
        """Whether this model counts the DUT pulse input freely (``dut_pulse_count``)."""
        return self.register_map.has("dut_pulse_count")

    async def read_dut_pulses(self) -> int:
        """The free-running count of the DUT pulse input (for session totals: N/C_L is the energy
        the DUT's pulse output states). Differences across a 2^32 wrap are the caller's to take."""
        self._require(("dut_pulse_count",), "the DUT pulse total (被检脉冲总数)")
        return int((await self.read_quantities("dut_pulse_count"))["dut_pulse_count"])

    # ------------------------------------------------------------------ PulseCounter
    async def start_gate(self, dut_pulses: int) -> None:
        """Arm a gate of ``dut_pulses`` DUT pulses: it opens on the next DUT edge."""
        self._require(GATE_QUANTITIES, "the pulse-comparison gate (脉冲比较)")
        if int(dut_pulses) != dut_pulses or dut_pulses < 1:
            raise ValueError(f"{self.name}: a gate needs a whole number of DUT pulses >= 1, not {dut_pulses!r}")
        await self.write_quantities({"gate_target": int(dut_pulses), "gate_control": 1})

    async def gate_status(self) -> GateStatus:
        """Where the gate stands now."""
        self._require(GATE_QUANTITIES, "the pulse-comparison gate (脉冲比较)")
        v = await self.read_quantities(*_STATUS_QUANTITIES)
        state = int(v["gate_state"])
        return GateStatus(
            running=state in (GATE_ARMED, GATE_COUNTING),
            done=state == GATE_DONE,
            dut_pulses=int(v["gate_dut_pulses"]),
            target_pulses=int(v["gate_target"]),
        )

    async def read_gate(self) -> GateResult:
        """Counts of the last finished gate; ``ProtocolError`` if no gate has finished."""
        self._require(GATE_QUANTITIES, "the pulse-comparison gate (脉冲比较)")
        v = await self.read_quantities(*_RESULT_QUANTITIES)
        state = int(v["gate_state"])
        if state != GATE_DONE:
            raise ProtocolError(
                self.name,
                f"{self.register_map.title}: no finished gate to read (gate is "
                f"{_GATE_STATE_TEXT.get(state, f'in unknown state {state}')})",
            )
        return GateResult(
            dut_pulses=int(v["gate_dut_pulses"]),
            std_pulses=int(v["gate_std_pulses"]),
            std_constant=float(v["std_constant"]),
            ref_energy_wh=float(v["gate_std_energy"]),
            duration_s=float(v["gate_duration"]),
        )

    async def stop_gate(self) -> None:
        """Abort any running gate (teardown path); idempotent, a no-op on models without a gate."""
        if not self.register_map.has("gate_control"):
            log.debug("%s: %s has no gate; nothing to stop", self.name, self.register_map.title)
            return
        await self.write_quantities({"gate_control": 0})

    # ------------------------------------------------------------------ LoadController
    async def set_load(self, current_a: float, power_factor: float = 1.0) -> None:
        """Set the built-in load to ``current_a`` at ``power_factor`` (one write)."""
        self._require(LOAD_QUANTITIES, "a programmable load (程控负载)")
        if current_a < 0 or not 0 < power_factor <= 1:
            raise ValueError(f"{self.name}: load current must be >= 0 A and power factor in (0, 1]")
        await self.write_quantities({"load_current_setpoint": current_a, "load_power_factor": power_factor})

    async def load_off(self) -> None:
        """Switch the load to 0 A (teardown path); idempotent, a no-op on models without a load."""
        if not self.register_map.has("load_current_setpoint"):
            log.debug("%s: %s has no load; nothing to switch off", self.name, self.register_map.title)
            return
        await self.write_quantities({"load_current_setpoint": 0.0})
