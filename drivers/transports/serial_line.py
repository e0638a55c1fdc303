"""A request/reply serial line (RS-232/RS-485), over pyserial, for line-framed ASCII protocols and
for binary frames whose length a framer tells.

pyserial is blocking: each call runs its attempts in a worker thread (one call on the line at a
time, serialised by a thread lock and an asyncio lock) and is also bounded by an asyncio deadline —
the approach of :mod:`drivers.dispensers.serial_dispenser`, factored out for devices whose replies
are lines ending in a terminator (the weighing scale's MT-SICS-like protocol, CR LF) or binary
frames (DL/T 645: ``framer`` says how many received bytes make a frame). What a caller sees is only
``drivers.errors``:

* :class:`~drivers.errors.DeviceTimeout` — no valid reply on any attempt (line dropped, device off,
  wrong baud rate), naming the device, the port and the command;
* :class:`~drivers.errors.ProtocolError` — replies came but were garbled on every attempt;
* :class:`~drivers.errors.Disconnected` — the port cannot be opened or vanished; the next call
  reopens it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import serial

from drivers.errors import DeviceTimeout, Disconnected, ProtocolError
from drivers.link_health import SLOW_SHARE, LinkHealth

T = TypeVar("T")

PARITY = {"N": serial.PARITY_NONE, "E": serial.PARITY_EVEN, "O": serial.PARITY_ODD}

try:  # a vanished tty makes pyserial's termios calls raise termios.error, which is not an OSError
    import termios

    LINE_ERRORS: tuple[type[BaseException], ...] = (serial.SerialException, OSError, termios.error)
except ImportError:  # pragma: no cover - Windows
    LINE_ERRORS = (serial.SerialException, OSError)


class Garbled(Exception):
    """Raised by a reply parser for a line that is not a valid reply (the attempt counts as garbled)."""


@dataclass(frozen=True)
class SerialLineConfig:
    """Port and framing, the reply deadline per attempt and the retries after a silent or garbled
    attempt."""

    port: str
    baudrate: int = 9600
    parity: str = "N"
    stopbits: int = 1
    timeout_s: float = 0.5
    retries: int = 2
    slow_share: float = SLOW_SHARE  # replies over this share of timeout_s are reported as slow

    @classmethod
    def from_dict(cls, cfg: Mapping[str, Any]) -> SerialLineConfig:
        """From a station file's ``[devices.<name>]`` keys (unknown keys ignored); ``ValueError``."""
        if not cfg.get("port"):
            raise ValueError("needs port = \"/dev/ttyUSB0\" (or COMn)")
        parity = str(cfg.get("parity", "N")).upper()
        if parity not in PARITY:
            raise ValueError(f"parity must be N, E or O, got {parity!r}")
        out = cls(port=str(cfg["port"]), baudrate=int(cfg.get("baudrate", 9600)), parity=parity,
                  stopbits=int(cfg.get("stopbits", 1)), timeout_s=float(cfg.get("timeout_s", 0.5)),
                  retries=int(cfg.get("retries", 2)), slow_share=float(cfg.get("slow_share", SLOW_SHARE)))
        if out.timeout_s <= 0 or not 0 <= out.retries <= 10 or out.stopbits not in (1, 2):
            raise ValueError("timeout_s must be positive, retries 0..10, stopbits 1 or 2")
        if not 0 < out.slow_share <= 1:
            raise ValueError(f"slow_share must be in (0, 1], not {out.slow_share!r}")
        return out

    @property
    def call_deadline_s(self) -> float:
        """The longest a call can take: every attempt waiting its full deadline."""
        return (self.retries + 1) * self.timeout_s

    def where(self) -> str:
        """Human-readable port and framing: ``/dev/ttyUSB1 9600 8N1``."""
        return f"{self.port} {self.baudrate} 8{self.parity}{self.stopbits}"


@dataclass
class LineStats:
    """Counters of the line, for tests and diagnostics."""

    calls: int = 0
    attempts: int = 0
    garbled: int = 0
    silent: int = 0
    stale: int = 0


FRAME_POLL_S = 0.01
"""How long one read of a framed line waits for a byte before it looks at the deadline again."""

Framer = Callable[[bytes], int | None]
"""Given the bytes received so far, how many of them make the first whole frame (None: more are
needed); raises :class:`Garbled` when they cannot start a frame."""


class SerialLine:
    """One serial port shared by the calls of one device driver; ``device`` names the device in
    every error, ``hint`` is appended to timeouts (what to check). Replies are lines ending in
    ``terminator``, or binary frames when a ``framer`` is given."""

    def __init__(self, device: str, config: SerialLineConfig, *, terminator: bytes = b"\r\n",
                 hint: str = "check the serial cable, the baud rate and that the device is powered",
                 framer: Framer | None = None) -> None:
        self.device = device
        self.config = config
        self.terminator = terminator
        self.framer = framer
        self.hint = hint
        self.stats = LineStats()
        self.health = LinkHealth(device, config.timeout_s, config.slow_share)
        self._serial: serial.Serial | None = None
        self._why = ""  # the parser's reason for the last garbled reply of a call
        self._lock = asyncio.Lock()
        self._line = threading.Lock()

    def _open_blocking(self) -> None:
        if self._serial is not None:
            return
        c = self.config
        try:
            # a framed line polls with short reads and never changes the timeout again (each change
            # reconfigures the port, which a pseudo-terminal refuses with parity set)
            timeout = min(FRAME_POLL_S, c.timeout_s) if self.framer else c.timeout_s
            self._serial = serial.Serial(c.port, baudrate=c.baudrate, parity=PARITY[c.parity], stopbits=c.stopbits,
                                         bytesize=8, timeout=timeout, write_timeout=c.timeout_s)
        except (serial.SerialException, OSError, ValueError) as e:
            raise Disconnected(self.device, f"{c.where()}: 无法打开串口 (cannot open serial port: {e}) — is the "
                                            "USB/RS-232 adapter plugged in and the port name right?") from None

    def _close_blocking(self) -> None:
        ser, self._serial = self._serial, None
        if ser is not None:
            with contextlib.suppress(Exception):
                ser.close()

    async def open(self) -> None:
        """Open the port (``Disconnected`` if it cannot be opened)."""
        def run() -> None:
            with self._line:
                self._open_blocking()
        await asyncio.to_thread(run)

    async def close(self) -> None:
        """Close the port; never raises."""
        def run() -> None:
            with self._line:
                self._close_blocking()
        with contextlib.suppress(Exception):
            await asyncio.to_thread(run)

    def _exchange_blocking(self, request: bytes, parse: Callable[[bytes], T | None], what: str) -> T:
        c = self.config
        garbled = 0
        self._why = ""
        with self._line:
            self._open_blocking()
            started = time.monotonic()
            for attempt in range(1, c.retries + 2):
                ser = self._serial
                assert ser is not None
                self.stats.attempts += 1
                try:
                    ser.reset_input_buffer()
                    ser.write(request)
                    ser.flush()
                    outcome = self._await_frame(ser, parse) if self.framer else self._await_reply(ser, parse)
                except LINE_ERRORS as e:
                    self._close_blocking()
                    raise Disconnected(self.device, f"{c.where()}: 串口断开 (serial line lost during {what}): {e} — "
                                                    "USB/RS-232 adapter unplugged?") from None
                if outcome == "garbled":
                    garbled += 1
                    self.stats.garbled += 1
                elif outcome == "silent":
                    self.stats.silent += 1
                else:
                    self.health.record(time.monotonic() - started, attempt)
                    return outcome[0]
        attempts = c.retries + 1
        if garbled:
            why = self._why or "malformed reply"
            raise ProtocolError(self.device, f"{c.where()}: 应答错误 ({what}: {garbled} of {attempts} attempts garbled "
                                             f"— {why}) — check the cable, its shield and the baud rate")
        raise DeviceTimeout(self.device, f"{c.where()}: 无应答 (no reply to {what} in {attempts} attempts of "
                                         f"{c.timeout_s:g} s) — {self.hint}{self.health.silence_hint()}")

    def _await_reply(self, ser: serial.Serial, parse: Callable[[bytes], T | None]) -> tuple[T] | str:
        """Read lines until ``parse`` accepts one (a 1-tuple), finds it garbled ('garbled') or the
        attempt's deadline passes ('silent'); lines ``parse`` returns None for are skipped."""
        deadline = time.monotonic() + self.config.timeout_s
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return "silent"
            ser.timeout = left
            chunk = ser.read_until(self.terminator)
            if not chunk:
                return "silent"
            if not chunk.endswith(self.terminator):
                return "garbled" if chunk.strip() else "silent"
            outcome = self._offer(parse, chunk[: -len(self.terminator)])
            if outcome is not None:
                return outcome

    def _offer(self, parse: Callable[[bytes], T | None], reply: bytes) -> tuple[T] | str | None:
        """What one received reply means: accepted (a 1-tuple), 'garbled' (``parse`` raised
        ``Garbled``), or None — not ours (another device's, a late reply): keep reading."""
        try:
            value = parse(reply)
        except Garbled as e:
            self._why = str(e) or self._why
            return "garbled"
        if value is None:
            self.stats.stale += 1
            return None
        return (value,)

    def _await_frame(self, ser: serial.Serial, parse: Callable[[bytes], T | None]) -> tuple[T] | str:
        """Read bytes until the framer finds a whole frame that ``parse`` accepts (a 1-tuple), the
        bytes are garbled ('garbled': the framer or ``parse`` raised ``Garbled``, or a frame was
        still incomplete at the deadline) or the attempt's deadline passes with nothing ('silent');
        frames ``parse`` returns None for (another device's, a late reply) are skipped."""
        assert self.framer is not None
        deadline = time.monotonic() + self.config.timeout_s
        buf = b""
        while True:
            if time.monotonic() >= deadline:
                break
            chunk = ser.read(max(1, ser.in_waiting))  # returns after FRAME_POLL_S when nothing comes
            if not chunk:
                continue
            buf += chunk
            while buf:
                try:
                    n = self.framer(buf)
                except Garbled as e:
                    self._why = str(e) or self._why
                    return "garbled"
                if n is None or len(buf) < n:
                    break
                frame, buf = buf[:n], buf[n:]
                outcome = self._offer(parse, frame)
                if outcome is not None:
                    return outcome
        if buf.strip(b"\xfe"):
            self._why = self._why or f"incomplete frame: {buf.hex(' ')}"
            return "garbled"
        return "silent"

    async def transact(self, request: bytes, parse: Callable[[bytes], T | None], what: str) -> T:
        """Send ``request`` and return ``parse(reply line)`` (terminator stripped) or, with a framer,
        ``parse(reply frame)``; retried on silence or garbage; bounded by an asyncio deadline as well."""
        async with self._lock:
            self.stats.calls += 1
            if self.health.given_up:
                raise DeviceTimeout(self.device, f"{self.config.where()}: {what}: 不再重试 (not tried again: "
                                                 f"{self.health.given_up})")
            backstop = self.config.call_deadline_s + 2.0
            try:
                return await asyncio.wait_for(asyncio.to_thread(self._exchange_blocking, request, parse, what),
                                              backstop)
            except TimeoutError:
                raise DeviceTimeout(self.device, f"{self.config.where()}: {what} did not complete within "
                                                 f"{backstop:g} s") from None
