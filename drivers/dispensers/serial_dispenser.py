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

import asyncio
import contextlib
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import serial

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
from drivers.errors import DeviceRefused, DeviceTimeout, Disconnected, ProtocolError
from drivers.roles import DispenserInfo, DispenserStatus, DispenserTransaction, PulserCount, Totalizer

_PARITY = {"N": serial.PARITY_NONE, "E": serial.PARITY_EVEN, "O": serial.PARITY_ODD}

try:  # a vanished tty makes pyserial's termios calls raise termios.error, which is not an OSError
    import termios

    _LINE_ERRORS: tuple[type[BaseException], ...] = (serial.SerialException, OSError, termios.error)
except ImportError:  # pragma: no cover - Windows
    _LINE_ERRORS = (serial.SerialException, OSError)


@dataclass(frozen=True)
class SerialDispenserConfig:
    """Where the dispenser is and how patient to be: serial port and framing, its bus address,
    the reply deadline per attempt and the number of retries after a silent or garbled attempt."""

    port: str
    baudrate: int = 9600
    parity: str = "N"
    stopbits: int = 1
    address: int = 1
    timeout_s: float = 0.5
    retries: int = 2

    @classmethod
    def from_dict(cls, cfg: Mapping[str, Any]) -> SerialDispenserConfig:
        """From a station file's ``[devices.<name>]`` keys (unknown keys ignored)."""
        if not cfg.get("port"):
            raise ValueError("serial_dispenser needs port = \"/dev/ttyUSB0\" (or COMn)")
        parity = str(cfg.get("parity", "N")).upper()
        if parity not in _PARITY:
            raise ValueError(f"parity must be N, E or O, got {parity!r}")
        return cls(port=str(cfg["port"]), baudrate=int(cfg.get("baudrate", 9600)), parity=parity,
                   stopbits=int(cfg.get("stopbits", 1)), address=int(cfg.get("address", 1)),
                   timeout_s=float(cfg.get("timeout_s", 0.5)), retries=int(cfg.get("retries", 2)))

    @property
    def call_deadline_s(self) -> float:
        """The longest a call can take: every attempt waiting its full deadline."""
        return (self.retries + 1) * self.timeout_s


@dataclass
class LinkStats:
    """Counters of the line, for tests and diagnostics."""

    calls: int = 0
    attempts: int = 0
    garbled: int = 0
    silent: int = 0
    stale: int = 0


class SerialDispenser:
    """:class:`~drivers.roles.DispenserLink` over a serial port (JD-DSP/1)."""

    def __init__(self, name: str, config: SerialDispenserConfig) -> None:
        self.name = name
        self.config = config
        self.stats = LinkStats()
        self._serial: serial.Serial | None = None
        self._seq = 0
        self._lock = asyncio.Lock()
        self._line = threading.Lock()

    @classmethod
    def from_config(cls, name: str, cfg: Mapping[str, Any]) -> SerialDispenser:
        """Build from a station file section."""
        return cls(name, SerialDispenserConfig.from_dict(cfg))

    # -- life cycle ---------------------------------------------------------------------------------
    def _where(self) -> str:
        c = self.config
        return f"{c.port} {c.baudrate} 8{c.parity}{c.stopbits}, address {c.address:02X}"

    def _open_blocking(self) -> None:
        if self._serial is not None:
            return
        c = self.config
        try:
            self._serial = serial.Serial(c.port, baudrate=c.baudrate, parity=_PARITY[c.parity], stopbits=c.stopbits,
                                         bytesize=8, timeout=c.timeout_s, write_timeout=c.timeout_s)
        except (serial.SerialException, OSError, ValueError) as e:
            raise Disconnected(self.name, f"{self._where()}: cannot open serial port ({e}) — is the "
                                          "USB/RS-485 adapter plugged in and the port name right?") from None

    def _close_blocking(self) -> None:
        ser, self._serial = self._serial, None
        if ser is not None:
            with contextlib.suppress(Exception):
                ser.close()

    async def connect(self) -> None:
        """Open the serial port (``Disconnected`` if it cannot be opened)."""
        await asyncio.to_thread(self._open_line)

    def _open_line(self) -> None:
        with self._line:
            self._open_blocking()

    async def close(self) -> None:
        """Close the port; never raises."""
        with contextlib.suppress(Exception):
            await asyncio.to_thread(self._close_line)

    def _close_line(self) -> None:
        with self._line:
            self._close_blocking()

    # -- the exchange -------------------------------------------------------------------------------
    def _exchange_blocking(self, request: Frame, what: str) -> Frame:
        """All attempts of one call (runs in a worker thread, holding the line)."""
        c = self.config
        raw = encode(request)
        garbled = silent = 0
        with self._line:
            self._open_blocking()
            reader = FrameReader()
            for _ in range(c.retries + 1):
                ser = self._serial
                assert ser is not None
                self.stats.attempts += 1
                reader.clear()
                try:
                    ser.reset_input_buffer()
                    ser.write(raw)
                    ser.flush()
                    outcome = self._await_reply(ser, reader, request)
                except _LINE_ERRORS as e:
                    self._close_blocking()
                    raise Disconnected(self.name, f"{self._where()}: serial line lost during {request.command} "
                                                  f"({what}): {e} — USB/RS-485 adapter unplugged?") from None
                if isinstance(outcome, Frame):
                    return outcome
                if outcome == "garbled":
                    garbled += 1
                    self.stats.garbled += 1
                else:
                    silent += 1
                    self.stats.silent += 1
        attempts = c.retries + 1
        if garbled:
            raise ProtocolError(self.name, f"{self._where()}: {request.command} ({what}): {garbled} of {attempts} "
                                           f"attempts garbled (checksum error or malformed frame) — check the "
                                           f"cable, its shield and the baud rate")
        raise DeviceTimeout(self.name, f"{self._where()}: no reply to {request.command} ({what}) in {attempts} "
                                       f"attempts of {c.timeout_s:g} s — check the RS-485/RS-232 line, the "
                                       f"dispenser's address and baud rate, and that it is powered")

    def _await_reply(self, ser: serial.Serial, reader: FrameReader, request: Frame) -> Frame | str:
        """Read until a reply to ``request`` arrives (the Frame), a garbled frame ('garbled') or
        the attempt's deadline ('silent'). Replies to other requests (late answers) are skipped."""
        deadline = time.monotonic() + self.config.timeout_s
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return "silent"
            ser.timeout = left
            chunk = ser.read_until(b"\r")
            if not chunk:
                return "silent"
            for item in reader.feed(chunk):
                if isinstance(item, FrameError):
                    return "garbled"
                if item.answers(request):
                    return item
                self.stats.stale += 1

    async def _call(self, command: str, *fields: str, what: str) -> tuple[str, ...]:
        """One request/reply; returns the reply's fields after ``OK``."""
        async with self._lock:
            self.stats.calls += 1
            self._seq = (self._seq + 1) % 16
            request = Frame(self.config.address, self._seq, command, tuple(fields))
            backstop = self.config.call_deadline_s + 2.0
            try:
                reply = await asyncio.wait_for(asyncio.to_thread(self._exchange_blocking, request, what), backstop)
            except TimeoutError:
                raise DeviceTimeout(self.name, f"{self._where()}: {command} ({what}) did not complete within "
                                               f"{backstop:g} s") from None
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


__all__ = ["LinkStats", "SerialDispenser", "SerialDispenserConfig"]
