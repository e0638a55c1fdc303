"""A weighing scale over RS-232 speaking the MT-SICS-like ASCII protocol of docs/scale-protocol.md —
the flow standard of the gravimetric method (the water that passed every meter on the bench is
collected in a tank on the scale and weighed).

:class:`SicsScale` plays :class:`~drivers.roles.FlowStandard` with kind ``"scale"``:
:meth:`~SicsScale.begin` tares the scale (the tank as it is before the test), and
:meth:`~SicsScale.measured` waits, with a deadline, for a stable net weight and returns it as
``StandardVolume.mass_kg`` — the balance *indication*, before any buoyancy correction (the
procedure corrects it) — with the water temperature from the tank's sensor (``M28``) and the
tank's pressure (open to the laboratory: ``pressure_kpa`` from the station, default 101.325).
``resolution`` is the scale interval d in kg (read with ``I2`` on connect).

The line is :class:`drivers.transports.serial_line.SerialLine` (pyserial in a worker thread, per
attempt deadline, retries on silence or garbage). Errors: ``DeviceTimeout`` (no reply, or a weight
that stays unstable past ``stable_timeout_s``), ``ProtocolError`` (garbled replies on every attempt,
``EL``), ``DeviceRefused`` (overload ``+`` / underload ``-``), ``Disconnected`` (port gone) — each
naming the scale.
"""

from __future__ import annotations

import asyncio
import shlex
from collections.abc import Mapping
from typing import Any

from drivers.errors import DeviceRefused, DeviceTimeout, ProtocolError
from drivers.roles import StandardVolume
from drivers.transports.serial_line import Garbled, SerialLine, SerialLineConfig

_UNITS = {"kg": 1.0, "g": 0.001}


def parse_reply(command: str, line: bytes) -> tuple[str, ...] | None:
    """Split one reply line into (command, status, fields…). ``Garbled`` for a line that is not
    ASCII/printable or an ``ES``/``ET`` error (the request was garbled on the way: retry); None
    for a reply to another command (a late answer, skipped)."""
    try:
        text = line.decode("ascii")
    except UnicodeDecodeError:
        raise Garbled(line) from None
    if not text.isprintable():
        raise Garbled(line)
    try:
        parts = tuple(shlex.split(text))
    except ValueError:
        raise Garbled(line) from None
    if not parts:
        raise Garbled(line)
    if parts[0] in ("ES", "ET"):
        raise Garbled(line)
    if parts[0] == "EL":
        return parts
    if parts[0] != ("S" if command == "SI" else command):  # SI answers as S (MT-SICS)
        return None
    if len(parts) < 2:
        raise Garbled(line)
    return parts


class SicsScale:
    """:class:`~drivers.roles.FlowStandard` (kind ``"scale"``) on a serial line."""

    kind = "scale"

    def __init__(self, name: str, config: SerialLineConfig, *, interval_kg: float = 0.001,
                 stable_timeout_s: float = 20.0, poll_s: float = 0.05, pressure_kpa: float = 101.325) -> None:
        if not (interval_kg > 0 and stable_timeout_s > 0 and poll_s > 0):
            raise ValueError(f"{name}: interval_kg, stable_timeout_s and poll_s must be positive")
        self.name = name
        self.line = SerialLine(name, config, hint="check the RS-232 cable, the baud rate and that the scale is on")
        self.resolution = float(interval_kg)
        self.stable_timeout_s = float(stable_timeout_s)
        self.settle_timeout_s = self.stable_timeout_s  # FlowStandard: begin/measured wait this long for stability
        self.poll_s = float(poll_s)
        self.pressure_kpa = float(pressure_kpa)
        self.model = ""
        self.capacity_kg: float | None = None

    @classmethod
    def from_config(cls, name: str, cfg: Mapping[str, Any]) -> SicsScale:
        """Build from a station file section (``port``, ``baudrate``, ``parity``, ``stopbits``,
        ``timeout_s``, ``retries``, ``interval_kg``, ``stable_timeout_s``, ``poll_s``,
        ``pressure_kpa``); ``ValueError`` for bad values."""
        try:
            return cls(name, SerialLineConfig.from_dict(cfg), interval_kg=float(cfg.get("interval_kg", 0.001)),
                       stable_timeout_s=float(cfg.get("stable_timeout_s", 20.0)),
                       poll_s=float(cfg.get("poll_s", 0.05)), pressure_kpa=float(cfg.get("pressure_kpa", 101.325)))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name}: {exc}") from exc

    def __repr__(self) -> str:
        return f"SicsScale({self.name!r}, {self.line.config.where()}, d = {self.resolution:g} kg)"

    # -- the exchange -------------------------------------------------------------------------------
    async def command(self, command: str) -> tuple[str, ...]:
        """Send ``command`` and return its reply split into (command, status, fields…);
        ``ProtocolError`` for ``EL`` (the scale cannot do it now)."""
        def parse(line: bytes) -> tuple[str, ...] | None:
            return parse_reply(command, line)

        parts = await self.line.transact(command.encode("ascii") + b"\r\n", parse, f"command {command!r}")
        if parts[0] == "EL":
            raise ProtocolError(self.name, f"{self.line.config.where()}: 天平拒绝执行 {command} (logical error EL)")
        return parts

    def _weight(self, command: str, parts: tuple[str, ...]) -> float:
        if len(parts) < 4:
            raise ProtocolError(self.name, f"{self.line.config.where()}: {command} reply {' '.join(parts)!r} "
                                           "has no weight and unit")
        try:
            value = float(parts[2])
        except ValueError:
            raise ProtocolError(self.name, f"{self.line.config.where()}: {command} weight {parts[2]!r} "
                                           "is not a number") from None
        if parts[3] not in _UNITS:
            raise ProtocolError(self.name, f"{self.line.config.where()}: {command} unit {parts[3]!r} is not kg or g")
        return value * _UNITS[parts[3]]

    def _range(self, command: str, status: str) -> None:
        if status == "+":
            raise DeviceRefused(self.name, f"{command}: 超载 (overload) — empty the tank")
        if status == "-":
            raise DeviceRefused(self.name, f"{command}: 欠载 (underload) — is the tank on the scale?")

    async def weight(self) -> float | None:
        """The stable net weight now in kg (``S``), or None while the indication is unstable."""
        parts = await self.command("S")
        self._range("S", parts[1])
        if parts[1] == "I":
            return None
        if parts[1] != "S":
            raise ProtocolError(self.name, f"S: unexpected status {parts[1]!r}")
        return self._weight("S", parts)

    async def weight_immediately(self) -> tuple[float, bool]:
        """The net weight now (``SI``), stable or not: (kg, stable)."""
        parts = await self.command("SI")
        self._range("SI", parts[1])
        if parts[1] not in ("S", "D"):
            raise ProtocolError(self.name, f"SI: unexpected status {parts[1]!r}")
        return self._weight("SI", parts), parts[1] == "S"

    async def zero(self) -> None:
        """Zero the scale (``Z``), waiting for stability up to ``stable_timeout_s``."""
        await self._until_stable("Z", ("A",))

    async def temperature(self) -> float:
        """The water temperature in the tank, °C (``M28``)."""
        parts = await self.command("M28")
        try:
            return float(parts[3])
        except (IndexError, ValueError):
            raise ProtocolError(self.name, f"M28 reply {' '.join(parts)!r} carries no temperature") from None

    async def _until_stable(self, command: str, ok: tuple[str, ...]) -> tuple[str, ...]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.stable_timeout_s
        while True:
            parts = await self.command(command)
            self._range(command, parts[1])
            if parts[1] in ok:
                return parts
            if parts[1] != "I":
                raise ProtocolError(self.name, f"{command}: unexpected status {parts[1]!r}")
            if loop.time() >= deadline:
                raise DeviceTimeout(self.name, f"{self.line.config.where()}: 天平示值不稳定 (weight not stable within "
                                               f"{self.stable_timeout_s:g} s, {command}) — check for vibration, "
                                               "draughts and water still running into the tank")
            await asyncio.sleep(self.poll_s)

    # -- Device -------------------------------------------------------------------------------------
    async def connect(self) -> None:
        """Open the port and identify the scale (``I2``: model, capacity, scale interval)."""
        await self.line.open()
        parts = await self.command("I2")
        if len(parts) >= 5:
            self.model = parts[2]
            try:
                self.capacity_kg = float(parts[3].split()[0])
                self.resolution = float(parts[4].split()[0])
            except (ValueError, IndexError):
                raise ProtocolError(self.name, f"I2 reply {' '.join(parts)!r} is not type, capacity, interval") from None

    async def close(self) -> None:
        """Close the port; never raises."""
        await self.line.close()

    # -- FlowStandard -------------------------------------------------------------------------------
    async def begin(self) -> None:
        """Tare the scale with the tank as it is (``T``), waiting for a stable weight first."""
        await self._until_stable("T", ("S",))

    async def measured(self) -> StandardVolume:
        """The stable net weight since :meth:`begin` (balance indication, kg), with the water
        temperature in the tank; ``DeviceTimeout`` while unstable past ``stable_timeout_s``."""
        parts = await self._until_stable("S", ("S",))
        mass = self._weight("S", parts)
        return StandardVolume(self.kind, None, mass, await self.temperature(), self.pressure_kpa)
