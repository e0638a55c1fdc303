"""DL/T 645-2007 多功能电能表通信协议 — the frame codec, pure functions shared by the driver
(:mod:`drivers.meters.dlt645`) and the meters' twin (:mod:`hardware_sim.dlt645_meters`).

Chinese electricity meters answer on RS-485 (and the infrared port) in DL/T 645-2007. A frame::

    [FE FE FE FE]  68H  A0 A1 A2 A3 A4 A5  68H  C  L  DATA(L bytes)  CS  16H

* optional wake-up preamble of FEH bytes before the frame, which the receiver skips (the master
  sends four; replies carry 0 to 4) [M: cnblogs.com/chen1880 DLT645 notes;
  icprog/dlt698.45:libDlt645/dlt645.c ``getFECount``];
* address A0..A5: 12 BCD digits, **low byte first** (the meter printed as ``652022122003`` is sent
  ``03 20 12 22 20 65``) [M: mbb.eet-china.com/forum/topic/114707 (example frames, their checksums
  verified in tests/drivers/test_dlt645_frame.py); icprog/dlt698.45 ``composeProtocol07``
  reverses the stored address]; ``AAAAAAAAAAAA`` is the wildcard used to read the address of the
  one meter on a line with control code 13H [M: icprog/dlt698.45 ``composeProtocol07`` 13H];
* control code C: D7 = 1 in a reply (slave → master), D6 = 1 in an error reply, D5 = 1 when
  follow-up frames come; function 11H read data → 91H normal reply, D1H error reply (one error
  byte), B1H normal reply with follow-up frames; 13H read address → 93H [M: icprog/dlt698.45
  ``analyzeProtocol07``; TouchFishMan/test:…/DL645Constant.java];
* data: each byte transmitted **+33H** (modulo 256) and taken −33H on receipt; a read request
  carries the 4-byte data identifier DI0 DI1 DI2 DI3 (lowest first), a read reply the identifier
  then the value [M: the same sources];
* CS: modulo-256 sum of every byte from the first 68H to the end of the data [M: icprog/dlt698.45
  ``getCS645``/``isValid645``].

Values are BCD, low byte first: the energy register (当前正向有功总电能, DI 00 01 00 00) is 4 bytes
``XXXXXX.XX`` kWh [M]. The identifiers, their formats, the error-byte texts, line settings and
timeouts are data (``dlt645_2007.toml`` beside this module, read by :func:`protocol`).
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

START, END, WAKEUP = 0x68, 0x16, 0xFE
DATA_OFFSET = 0x33
READ_DATA, READ_ADDRESS = 0x11, 0x13
REPLY_BIT, ERROR_BIT, FOLLOW_BIT = 0x80, 0x40, 0x20
FUNCTION_MASK = 0x1F
WILDCARD_ADDRESS = "AAAAAAAAAAAA"
HEADER_LEN = 10  # 68 A0..A5 68 C L
MAX_DATA_LEN = 200  # a read reply carries at most 200 data bytes [M: mbb.eet-china.com "读取数据时 L <= 200"]

_DATA_FILE = Path(__file__).with_name("dlt645_2007.toml")


@functools.cache
def protocol() -> Mapping[str, Any]:
    """The protocol's numbers (``dlt645_2007.toml``): line settings, timing, identifiers, error bits."""
    with _DATA_FILE.open("rb") as f:
        return tomllib.load(f)


class FrameError(ValueError):
    """Bytes that are not a valid DL/T 645 frame; ``kind`` is ``"checksum"`` (the sum does not
    match) or ``"format"`` (start, second 68H, length or end byte wrong)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class ErrorReply(Exception):
    """The meter answered with an error reply (D6 = 1): ``code`` is its error byte, ``text`` what
    its bits mean (:func:`error_text`)."""

    def __init__(self, address: str, code: int) -> None:
        self.address = address
        self.code = code
        self.text = error_text(code)
        super().__init__(f"电能表 {address} 异常应答, 错误信息字 {code:02X}H: {self.text} (error reply)")


@dataclass(frozen=True)
class DataFormat:
    """How a data identifier's value is coded: ``di`` (DI3..DI0 as 8 hex digits), its length in
    bytes, its decimals (BCD ``XXXXXX.XX`` → 2) and unit."""

    name: str
    di: str
    length: int
    decimals: int
    unit: str

    @property
    def identifier(self) -> int:
        """The identifier as a number (``00010000`` → 0x00010000)."""
        return parse_identifier(self.di)


def data_format(name: str) -> DataFormat:
    """The format of a named identifier of the data file (e.g. ``energy_import_total``) or, given
    8 hex digits, of an identifier coded like the energy register (4 bytes, 2 decimals, kWh)."""
    table = protocol()["identifiers"]
    if name in table:
        d = table[name]
        return DataFormat(name, str(d["di"]), int(d["bytes"]), int(d["decimals"]), str(d["unit"]))
    parse_identifier(name)
    known = {str(v["di"]).upper(): k for k, v in table.items()}
    if name.upper() in known:
        return data_format(known[name.upper()])
    return DataFormat(name, name.upper(), 4, 2, "kWh")


@dataclass(frozen=True)
class Frame:
    """One frame: the meter's address (12 characters as printed, high digit first), the control
    code and the data as meant (already −33H)."""

    address: str
    control: int
    data: bytes = b""

    @property
    def is_reply(self) -> bool:
        """Sent by a meter (D7 = 1)."""
        return bool(self.control & REPLY_BIT)

    @property
    def is_error(self) -> bool:
        """An error reply (D6 = 1)."""
        return bool(self.control & ERROR_BIT)

    @property
    def has_follow_up(self) -> bool:
        """Follow-up frames come (D5 = 1, e.g. B1H)."""
        return bool(self.control & FOLLOW_BIT)

    @property
    def function(self) -> int:
        """The function code (D4..D0): 11H read data, 13H read address."""
        return self.control & FUNCTION_MASK


# -- addresses, identifiers, BCD ----------------------------------------------------------------------
def encode_address(address: str) -> bytes:
    """12 hex characters as printed (``652022122003``; ``A`` for the wildcard) → 6 bytes, low byte
    first; ``ValueError`` for anything else."""
    text = str(address).strip().upper()
    if len(text) != 12 or any(c not in "0123456789A" for c in text):
        raise ValueError(f"a DL/T 645 address is 12 digits (A as wildcard), not {address!r}")
    return bytes.fromhex(text)[::-1]


def decode_address(raw: bytes) -> str:
    """6 address bytes (low byte first) → 12 characters as printed."""
    if len(raw) != 6:
        raise ValueError(f"an address has 6 bytes, not {len(raw)}")
    return raw[::-1].hex().upper()


def parse_identifier(text: str) -> int:
    """A data identifier written DI3..DI0 as 8 hex digits (``"00010000"``) → its number."""
    t = str(text).replace(" ", "")
    if len(t) != 8:
        raise ValueError(f"a data identifier is 8 hex digits (DI3 DI2 DI1 DI0), not {text!r}")
    try:
        return int(t, 16)
    except ValueError:
        raise ValueError(f"a data identifier is 8 hex digits (DI3 DI2 DI1 DI0), not {text!r}") from None


def identifier_bytes(identifier: int) -> bytes:
    """The identifier as sent, DI0 first (0x00010000 → ``00 00 01 00``), before +33H."""
    return int(identifier).to_bytes(4, "little")


def bcd_decode(raw: bytes, decimals: int) -> Decimal:
    """BCD, low byte first, with ``decimals`` decimal places (bytes ``56 34 12 00`` with 2 decimals
    → digits 00123456 → 1234.56); ``ValueError`` for a nibble above 9."""
    digits = raw[::-1].hex()
    if any(c not in "0123456789" for c in digits):
        raise ValueError(f"not BCD: {raw.hex(' ')}")
    return Decimal(int(digits or "0")).scaleb(-decimals)


def bcd_encode(value: Decimal | float | str, length: int, decimals: int) -> bytes:
    """``value`` (≥ 0) as ``length`` BCD bytes, low byte first, truncated to ``decimals`` places
    (a register shows the digits it has counted); ``ValueError`` if it does not fit."""
    scaled = int(Decimal(str(value)).scaleb(decimals))
    if scaled < 0 or scaled >= 10 ** (2 * length):
        raise ValueError(f"{value} does not fit {length} BCD bytes with {decimals} decimals")
    return bytes.fromhex(f"{scaled:0{2 * length}d}")[::-1]


def error_text(code: int) -> str:
    """What the set bits of an error byte mean (the data file's ``[errors]``), joined by "、"."""
    table = protocol()["errors"]
    parts = [str(table[str(bit)]) for bit in range(8) if code & (1 << bit) and str(bit) in table]
    return "、".join(parts) or f"未知错误 (unknown error {code:02X}H)"


# -- frames -----------------------------------------------------------------------------------------
def checksum(body: bytes) -> int:
    """CS: the modulo-256 sum of ``body`` (from the first 68H to the end of the data)."""
    return sum(body) % 256


def encode(frame: Frame, wakeup: int = 0) -> bytes:
    """The frame's bytes on the wire, preceded by ``wakeup`` FEH bytes; data +33H."""
    if not 0 <= frame.control <= 0xFF or len(frame.data) > 0xFF:
        raise ValueError(f"control code 00..FF and at most 255 data bytes, not {frame.control!r}, {len(frame.data)}")
    body = (bytes([START]) + encode_address(frame.address) + bytes([START, frame.control, len(frame.data)])
            + bytes((b + DATA_OFFSET) % 256 for b in frame.data))
    return bytes([WAKEUP]) * wakeup + body + bytes([checksum(body), END])


def frame_length(buf: bytes) -> int | None:
    """How many bytes of ``buf`` (wake-up preamble included) make its first frame, once they have
    all arrived; None while more are needed; :class:`FrameError` when ``buf`` cannot start a frame
    (a byte other than FEH before the first 68H, no second 68H)."""
    i = 0
    while i < len(buf) and buf[i] == WAKEUP:
        i += 1
    if i == len(buf):
        return None
    if buf[i] != START:
        raise FrameError("format", f"帧起始符错误: {buf[i]:02X}H, 应为 68H (no start byte 68H)")
    if len(buf) > i + 7 and buf[i + 7] != START:
        raise FrameError("format", f"第二个起始符错误: {buf[i + 7]:02X}H, 应为 68H (no second 68H)")
    if len(buf) < i + HEADER_LEN:
        return None
    return i + HEADER_LEN + buf[i + 9] + 2


def decode(raw: bytes) -> Frame:
    """One whole frame (with or without the wake-up preamble) → :class:`Frame`; :class:`FrameError`
    for a wrong checksum or a malformed frame."""
    n = frame_length(raw)
    if n is None or len(raw) < n:
        raise FrameError("format", f"帧不完整 (incomplete frame: {len(raw)} bytes: {raw.hex(' ')})")
    if len(raw) > n:
        raise FrameError("format", f"帧后有多余字节 (bytes after the frame: {raw[n:].hex(' ')})")
    start = raw.index(START)
    body, cs, end = raw[start:-2], raw[-2], raw[-1]
    if end != END:
        raise FrameError("format", f"帧结束符错误: {end:02X}H, 应为 16H (no end byte 16H)")
    if checksum(body) != cs:
        raise FrameError("checksum", f"校验和错误: 收到 {cs:02X}H, 应为 {checksum(body):02X}H (checksum error)")
    try:
        address = decode_address(body[1:7])
    except ValueError as e:
        raise FrameError("format", f"地址错误 (bad address: {e})") from None
    data = bytes((b - DATA_OFFSET) % 256 for b in body[HEADER_LEN:])
    return Frame(address, body[8], data)


def read_request(address: str, identifier: int, wakeup: int = 4) -> bytes:
    """Read data (11H) of ``identifier`` from the meter at ``address``."""
    return encode(Frame(address, READ_DATA, identifier_bytes(identifier)), wakeup)


def read_address_request(wakeup: int = 4) -> bytes:
    """Read the address (13H) of the one meter on the line (wildcard address AA…AA, no data)."""
    return encode(Frame(WILDCARD_ADDRESS, READ_ADDRESS), wakeup)


def read_reply(address: str, identifier: int, value: bytes, wakeup: int = 0) -> bytes:
    """A meter's normal reply (91H) to a read of ``identifier``: the identifier, then ``value``."""
    return encode(Frame(address, READ_DATA | REPLY_BIT, identifier_bytes(identifier) + value), wakeup)


def error_reply(address: str, function: int, code: int, wakeup: int = 0) -> bytes:
    """A meter's error reply (D1H for a read) carrying the error byte ``code``."""
    return encode(Frame(address, function | REPLY_BIT | ERROR_BIT, bytes([code])), wakeup)


def address_reply(address: str, wakeup: int = 0) -> bytes:
    """A meter's reply (93H) to read address: its address in the address field and in the data."""
    return encode(Frame(address, READ_ADDRESS | REPLY_BIT, encode_address(address)), wakeup)


def read_value(frame: Frame, address: str, identifier: int) -> bytes:
    """The value bytes of ``frame`` as the reply of ``address`` to a read of ``identifier``:
    :class:`ErrorReply` for an error reply; :class:`FrameError` when it answers something else."""
    if not frame.is_reply or frame.function != READ_DATA or frame.address != address:
        raise FrameError("format", f"应答不符 (reply {frame.control:02X}H from {frame.address} does not answer "
                                   f"a read of {identifier:08X} from {address})")
    if frame.is_error:
        raise ErrorReply(address, frame.data[0] if frame.data else 0)
    if frame.data[:4] != identifier_bytes(identifier):
        raise FrameError("format", f"数据标识不符 (reply carries identifier {frame.data[:4][::-1].hex().upper()}, "
                                   f"asked {identifier:08X})")
    return frame.data[4:]


def decode_value(value: bytes, fmt: DataFormat) -> Decimal:
    """A read reply's value bytes in ``fmt`` → the number (``FrameError`` for a wrong length or BCD)."""
    if len(value) != fmt.length:
        raise FrameError("format", f"{fmt.di}: {len(value)} 数据字节, 应为 {fmt.length} (value has {len(value)} "
                                   f"bytes, expected {fmt.length})")
    try:
        return bcd_decode(value, fmt.decimals)
    except ValueError as e:
        raise FrameError("format", f"{fmt.di}: 非 BCD 数据 ({e})") from None


__all__ = [
    "DATA_OFFSET", "END", "ERROR_BIT", "FOLLOW_BIT", "READ_ADDRESS", "READ_DATA", "REPLY_BIT", "START", "WAKEUP",
    "WILDCARD_ADDRESS", "DataFormat", "ErrorReply", "Frame", "FrameError", "address_reply", "bcd_decode",
    "bcd_encode", "checksum", "data_format", "decode", "decode_address", "decode_value", "encode",
    "encode_address", "error_reply", "error_text", "frame_length", "identifier_bytes", "parse_identifier",
    "protocol", "read_address_request", "read_reply", "read_request", "read_value",
]
