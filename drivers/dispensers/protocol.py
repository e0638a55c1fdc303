"""JD-DSP/1, the serial protocol of Jianding's dispenser twin: frames, checksum and field codecs.

Real pump protocols (DART, IFSF over LON/TCP, vendor variants) are proprietary; this is a stand-in
with the same shape — a polled master/slave line, addressed dispensers, a checksum on every frame,
idempotent retries — so that the driver, its faults and the procedure are exercised at the wire.
It is documented in ``docs/dispenser-protocol.md``; this module is the codec shared by the driver
(``drivers/dispensers/serial_dispenser.py``) and the twin (``hardware_sim/fuel_dispenser.py``)::

    frame = STX body ETX crc CR
    body  = ADDR SP SEQ SP CMD *(SP field)        ; replies: ADDR SP SEQ SP CMD SP STATUS *(SP field)
    ADDR  = 2 hex digits (01..FE), SEQ = 1 hex digit, CMD = 2 capital letters, STATUS = OK | NK | ER
    crc   = 4 hex digits, CRC-16/CCITT-FALSE over body + ETX

Fields are printable ASCII without spaces; text is percent-encoded UTF-8 (:func:`text_field`).
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from urllib.parse import quote, unquote

STX, ETX, CR = 0x02, 0x03, 0x0D
STATUS_OK, STATUS_REFUSED, STATUS_ERROR = "OK", "NK", "ER"
COMMANDS = ("ID", "PR", "AU", "ST", "TX", "TT", "PC", "SP")
"""Identify, price, authorise (preset), status, last transaction, totalizer, pulser count, stop."""
STATES = {"ID": "idle", "AU": "authorized", "FU": "fuelling", "DN": "done"}
"""State codes of the ST reply and what the driver calls them."""

_HEX = set(string.hexdigits)


class FrameError(ValueError):
    """Bytes that are not a valid frame; ``kind`` is ``'checksum'`` or ``'format'``."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def crc16_ccitt(data: bytes) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection): ``b"123456789"`` → 0x29B1."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


@dataclass(frozen=True)
class Frame:
    """One frame: the dispenser's bus address, the sequence digit (a reply echoes the request's),
    the command, and its fields (a reply's first field is its status)."""

    address: int
    seq: int
    command: str
    fields: tuple[str, ...] = ()

    @property
    def status(self) -> str:
        """A reply's status (``OK``, ``NK`` refused, ``ER`` error)."""
        return self.fields[0] if self.fields else ""

    def answers(self, request: Frame) -> bool:
        """Whether this reply belongs to ``request`` (same address, sequence digit and command)."""
        return (self.address, self.seq, self.command) == (request.address, request.seq, request.command)


def encode(frame: Frame) -> bytes:
    """The frame's bytes on the wire (raises ``ValueError`` for a field that cannot be sent)."""
    if not 0 <= frame.address <= 0xFF or not 0 <= frame.seq <= 0xF:
        raise ValueError(f"address 00..FF and seq 0..F, got {frame.address}, {frame.seq}")
    if len(frame.command) != 2 or not frame.command.isalpha() or not frame.command.isupper():
        raise ValueError(f"command must be two capital letters, got {frame.command!r}")
    for f in frame.fields:
        if not f or any(not (0x21 <= ord(c) <= 0x7E) for c in f):
            raise ValueError(f"field {f!r} must be non-empty printable ASCII without spaces")
    body = " ".join((f"{frame.address:02X}", f"{frame.seq:X}", frame.command, *frame.fields)).encode("ascii")
    crc = crc16_ccitt(body + bytes([ETX]))
    return bytes([STX]) + body + bytes([ETX]) + f"{crc:04X}".encode("ascii") + bytes([CR])


def decode(raw: bytes) -> Frame:
    """Parse one frame from STX to CR; ``FrameError`` (``checksum`` or ``format``) if it is not valid."""
    if len(raw) < 2 or raw[0] != STX or raw[-1] != CR:
        raise FrameError("format", f"not a frame (STX … CR): {raw!r}")
    end = raw.rfind(bytes([ETX]))
    if end < 0 or len(raw) - end != 6:
        raise FrameError("format", f"no ETX + 4-digit checksum: {raw!r}")
    body, crc_text = raw[1:end], raw[end + 1:-1]
    try:
        crc_given = int(crc_text.decode("ascii"), 16)
    except (UnicodeDecodeError, ValueError):
        raise FrameError("format", f"checksum is not hex: {crc_text!r}") from None
    if crc16_ccitt(body + bytes([ETX])) != crc_given:
        raise FrameError("checksum", f"checksum error: {raw!r}")
    try:
        parts = body.decode("ascii").split(" ")
    except UnicodeDecodeError:
        raise FrameError("format", f"non-ASCII body: {raw!r}") from None
    if len(parts) < 3 or len(parts[0]) != 2 or len(parts[1]) != 1 or not set(parts[0] + parts[1]) <= _HEX:
        raise FrameError("format", f"bad header (ADDR SEQ CMD): {raw!r}")
    if len(parts[2]) != 2 or not parts[2].isalpha() or any(p == "" for p in parts):
        raise FrameError("format", f"bad command or empty field: {raw!r}")
    return Frame(int(parts[0], 16), int(parts[1], 16), parts[2], tuple(parts[3:]))


class FrameReader:
    """Splits a byte stream into frames: bytes outside STX … CR are garbage (counted), and a frame
    that fails its checksum or format is returned as a :class:`FrameError` in its place."""

    MAX_FRAME = 512

    def __init__(self) -> None:
        self._buf = bytearray()
        self.garbage_bytes = 0

    def feed(self, data: bytes) -> list[Frame | FrameError]:
        """Add received bytes; return every complete frame (or its error) in order."""
        self._buf += data
        out: list[Frame | FrameError] = []
        while True:
            start = self._buf.find(bytes([STX]))
            if start < 0:
                self.garbage_bytes += len(self._buf)
                self._buf.clear()
                return out
            if start:
                self.garbage_bytes += start
                del self._buf[:start]
            end = self._buf.find(bytes([CR]))
            if end < 0:
                if len(self._buf) > self.MAX_FRAME:
                    out.append(FrameError("format", "frame too long without CR"))
                    self._buf.clear()
                return out
            raw = bytes(self._buf[:end + 1])
            del self._buf[:end + 1]
            try:
                out.append(decode(raw))
            except FrameError as e:
                out.append(e)

    def clear(self) -> None:
        """Forget any partial frame (before a new request)."""
        self._buf.clear()


def text_field(text: str) -> str:
    """A text as one field: percent-encoded UTF-8 (``"JD 加油机"`` → ``"JD%20%E5%8A%A0…"``); empty → ``-``."""
    return quote(text, safe="") if text else "-"


def field_text(field: str) -> str:
    """Inverse of :func:`text_field`."""
    return "" if field == "-" else unquote(field)


def number_field(value: float, decimals: int) -> str:
    """A number with a fixed number of decimals, as the display shows it (``20.00``)."""
    return f"{value:.{decimals}f}"


__all__ = [
    "COMMANDS",
    "CR",
    "ETX",
    "STATES",
    "STATUS_ERROR",
    "STATUS_OK",
    "STATUS_REFUSED",
    "STX",
    "Frame",
    "FrameError",
    "FrameReader",
    "crc16_ccitt",
    "decode",
    "encode",
    "field_text",
    "number_field",
    "text_field",
]
