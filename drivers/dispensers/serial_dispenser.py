"""A fuel dispenser's computer over RS-232/RS-485, speaking JD-DSP/1 (docs/dispenser-protocol.md).

The :class:`~drivers.roles.DispenserLink` a JJG 443 run uses when the dispenser has an interface:
authorise a delivery with a preset, follow it, read the transaction the display showed (V_J,
amount, unit price), the totalizer and the pulser.

pyserial is blocking; each call runs its attempts in a worker thread (one call on the line at a
time) and is also bounded by an asyncio deadline. What a caller sees is only ``drivers.errors``:

* :class:`~drivers.errors.DeviceTimeout` — no valid reply on any attempt (line dropped, wrong
  address or baud rate, dispenser off), naming the device, the port and the command;
* :class:`~drivers.errors.ProtocolError` — replies came, but garbled (checksum error, malformed
  frame) on every attempt, or a reply whose fields do not parse;
* :class:`~drivers.errors.DeviceRefused` — the dispenser answered ``NK`` (busy, unknown nozzle …);
* :class:`~drivers.errors.Disconnected` — the port cannot be opened or vanished (adapter pulled);
  the next call reopens it.

Retries are safe for every command: a retry repeats the request with the same sequence digit, and
the dispenser answers a repeated request with its stored reply instead of executing it again (so
a lost reply to ``AU`` never authorises two deliveries). A reply with another sequence digit is a
late answer to an earlier request and is skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from drivers.dispensers.protocol import (
    STATES,
    STATUS_OK,
    STATUS_REFUSED,
    Frame,
    FrameError,
    FrameReader,
    encode,
    field_text,
    number_field,
)
from drivers.errors import DeviceRefused, ProtocolError
from drivers.roles import DispenserInfo, DispenserStatus, DispenserTransaction, PulserCount, Totalizer
from drivers.transports.serial_line import Garbled, LineStats, SerialLine, SerialLineConfig


@dataclass(frozen=True)
class SerialDispenserConfig:
    """Where the dispenser is and how patient to be: the serial line (port, framing, reply deadline
    per attempt, retries after a silent or garbled attempt) and the dispenser's bus address."""

    line: SerialLineConfig
    address: int = 1

    @classmethod
    def from_dict(cls, cfg: Mapping[str, Any]) -> SerialDispenserConfig:
        """From a station file's ``[devices.<name>]`` keys (unknown keys ignored); ``ValueError``."""
        try:
            line = SerialLineConfig.from_dict(cfg)
        except ValueError as e:
            raise ValueError(f"serial_dispenser {e}") from None
        return cls(line=line, address=int(cfg.get("address", 1)))

    @property
    def call_deadline_s(self) -> float:
        """The longest a call can take: every attempt waiting its full deadline."""
        return self.line.call_deadline_s


class SerialDispenser:
    """:class:`~drivers.roles.DispenserLink` over a serial port (JD-DSP/1)."""

    def __init__(self, name: str, config: SerialDispenserConfig) -> None:
        self.name = name
        self.config = config
        self.line = SerialLine(name, config.line, terminator=b"\r",
                               hint="check the RS-485/RS-232 line, the dispenser's address and baud rate, "
                                    "and that it is powered")
        self._seq = 0

    @classmethod
    def from_config(cls, name: str, cfg: Mapping[str, Any]) -> SerialDispenser:
        """Build from a station file section."""
        return cls(name, SerialDispenserConfig.from_dict(cfg))

    @property
    def stats(self) -> LineStats:
        """Counters of the line (calls, attempts, garbled, silent, stale), for tests and diagnostics."""
        return self.line.stats

    async def connect(self) -> None:
        """Open the serial port (``Disconnected`` if it cannot be opened)."""
        await self.line.open()

    async def close(self) -> None:
        """Close the port; never raises."""
        await self.line.close()

    # -- the exchange -------------------------------------------------------------------------------
    async def _call(self, command: str, *fields: str, what: str) -> tuple[str, ...]:
        """One request/reply; returns the reply's fields after ``OK``. A retry repeats the request
        with the same sequence digit; replies to other requests (late answers) are skipped."""
        self._seq = (self._seq + 1) % 16
        request = Frame(self.config.address, self._seq, command, tuple(fields))

        def parse(line: bytes) -> Frame | None:
            for item in FrameReader().feed(line + b"\r"):
                if isinstance(item, FrameError):
                    raise Garbled(str(item))
                if item.answers(request):
                    return item
            return None

        reply = await self.line.transact(encode(request), parse,
                                         f"{command} ({what}), address {self.config.address:02X}")
        if reply.status == STATUS_OK:
            return reply.fields[1:]
        reason = field_text(reply.fields[1]) if len(reply.fields) > 1 else ""
        if reply.status == STATUS_REFUSED:
            raise DeviceRefused(self.name, f"dispenser refused {command} ({what}): {reason or 'no reason given'}")
        raise ProtocolError(self.name, f"dispenser answered {command} ({what}) with error {reply.status}: {reason}")

    def _parse(self, command: str, fields: tuple[str, ...], count: int) -> tuple[str, ...]:
        if len(fields) < count:
            raise ProtocolError(self.name, f"{self._where()}: {command} reply has {len(fields)} fields, "
                                           f"expected {count}: {fields}")
        return fields

    def _num(self, command: str, text: str) -> float:
        try:
            return float(text)
        except ValueError:
            raise ProtocolError(self.name, f"{self._where()}: {command} reply field {text!r} is not a number") from None

    # -- DispenserLink ------------------------------------------------------------------------------
    async def identify(self) -> DispenserInfo:
        """ID: vendor, model, serial, firmware, software identification, nozzles, protocol."""
        f = self._parse("ID", await self._call("ID", what="identify"), 7)
        return DispenserInfo(vendor=field_text(f[0]), model=field_text(f[1]), serial=field_text(f[2]),
                             firmware=field_text(f[3]), software_id=field_text(f[4]),
                             nozzles=int(self._num("ID", f[5])), protocol=field_text(f[6]))

    async def read_price(self, nozzle: int = 1) -> float:
        """PR: the unit price of ``nozzle``, 元/L."""
        f = self._parse("PR", await self._call("PR", str(nozzle), what="read unit price"), 1)
        return self._num("PR", f[0])

    async def authorize(self, nozzle: int, preset_l: float, flow_l_min: float) -> None:
        """AU: authorise one delivery of ``preset_l`` L at about ``flow_l_min`` L/min."""
        await self._call("AU", str(nozzle), number_field(preset_l, 2), number_field(flow_l_min, 1),
                         what=f"authorise {preset_l:g} L at {flow_l_min:g} L/min")

    async def status(self) -> DispenserStatus:
        """ST: state, nozzle, display volume and amount, flow now."""
        f = self._parse("ST", await self._call("ST", what="status"), 5)
        if f[0] not in STATES:
            raise ProtocolError(self.name, f"{self._where()}: unknown state {f[0]!r} in ST reply")
        return DispenserStatus(state=STATES[f[0]], nozzle=int(self._num("ST", f[1])), volume_l=self._num("ST", f[2]),
                               amount_yuan=self._num("ST", f[3]), flow_l_min=self._num("ST", f[4]))

    async def read_last_transaction(self) -> DispenserTransaction:
        """TX: the last finished delivery as displayed."""
        f = self._parse("TX", await self._call("TX", what="read last transaction"), 6)
        return DispenserTransaction(number=int(self._num("TX", f[0])), nozzle=int(self._num("TX", f[1])),
                                    volume_l=self._num("TX", f[2]), amount_yuan=self._num("TX", f[3]),
                                    price_yuan_per_l=self._num("TX", f[4]), duration_s=self._num("TX", f[5]))

    async def read_totalizer(self, nozzle: int = 1) -> Totalizer:
        """TT: the nozzle's volume and amount totalizers."""
        f = self._parse("TT", await self._call("TT", str(nozzle), what="read totalizer"), 2)
        return Totalizer(volume_l=self._num("TT", f[0]), amount_yuan=self._num("TT", f[1]))

    async def read_pulser(self) -> PulserCount:
        """PC: the pulser's total and its constant (pulses per litre)."""
        f = self._parse("PC", await self._call("PC", what="read pulser"), 2)
        return PulserCount(pulses=int(self._num("PC", f[0])), pulses_per_l=self._num("PC", f[1]))

    async def stop(self) -> None:
        """SP: end any delivery and cancel the authorisation (idempotent)."""
        await self._call("SP", what="stop")


__all__ = ["SerialDispenser", "SerialDispenserConfig"]
