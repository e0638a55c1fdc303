"""GB/T 27930-2015 message codec: physical values <-> payload bytes, and J1939 identifiers.

The layouts, scalings, periods and priorities are data, in ``gbt27930_2015.dbc`` beside this module
(our own DBC, written from protocols.md B2/B3/B5 and checked against frames observed in a real
2015-protocol session). This module loads it with cantools and adds what a DBC cannot say:
ASCII strings, the protocol-version string, the BCD time of CTS, the variable-length arrays of
BMV/BMT/BSP and the 'not available' defaults. The charger twin (``hardware_sim``) and the BMS
driver both code against the functions below, so the same bytes are produced on both sides.

Conventions (protocols.md B1/B3):

* IDs are 29-bit J1939 identifiers ``priority | PGN | DA | SA``; charger SA 0x56, BMS SA 0xF4.
* Multi-byte values are little-endian (Intel); bits the standard leaves undefined are sent as 1s.
* Two-bit status fields are numbered from the least significant bit: byte 1 bits 1-2 are the
  mask 0x03, bits 7-8 the mask 0xC0 (CST ``0400F0F0`` = manual stop, BST ``40000000`` = charger
  stopped). Values: 0 normal, 1 triggered (or timeout / too high / abnormal), 2 untrusted / too low.
* **Current sign** (GB/T 27930-2015 4.5): 0.1 A/bit with a -400 A offset, and a *negative* value
  means current flowing *into* the battery. A 20 A charging demand is therefore ``-20.0``
  (observed BCL ``A510D80E02`` -> 426.1 V, -20.0 A). Decoded fields keep the standard's sign;
  :func:`charging_current_a` gives the positive magnitude, :func:`encoded_current_a` the reverse.
* Decoded values: quantities with a unit (V, A, kWh, Ah, °C, %, min) are floats rounded to the
  field's resolution; enumerations, counters and numbers are ints; ASCII fields are ``str``
  (trailing 0x00/0xFF padding removed); ``version`` is ``"major.minor"`` (``"1.1"``); CTS
  ``datetime`` is a :class:`datetime.datetime` or ``None`` when all bytes are 0xFF.
* Encoding: every field is optional. An omitted field takes the DBC's ``GenSigStartValue`` where one
  is declared (every two-bit status/timeout flag -> 0 normal; CRM ``recognition`` and BRO/CRO
  ``ready`` -> 0x00; ``version`` -> V1.1; BMV groups -> 0) and otherwise 'not available' (all bits
  1, e.g. 0xFFFF). ``None`` also means 'not available'. Enumerations accept the int or the DBC
  label (``mode="constant_current"``). Any value the bits can hold is accepted, including ones the
  standard calls invalid, so a twin can inject faults; values that do not fit raise ``ValueError``.

Fields per message (2015 layout; bytes are 1-based as in protocols.md B3):

========  =======  ============================================================================
message   dir      fields
========  =======  ============================================================================
CHM       C->B     version
BHM       B->C     max_allowed_voltage_v
CRM       C->B     recognition (0x00 / 0xAA), charger_number, region_code (3 ASCII)
BRM       B->C     version, battery_type (1 lead-acid .. 3 LFP .. 6 NCM .. 8 LTO, 255 other),
                   capacity_ah, rated_voltage_v, manufacturer (4 ASCII), battery_pack_number,
                   production_year, production_month, production_day, charge_count,
                   property_right (0 leased, 1 owned), vin (17 ASCII), bms_sw_serial,
                   bms_sw_day, bms_sw_month, bms_sw_year    (49 bytes; 41 accepted on decode)
BCP       B->C     max_cell_voltage_v, max_current_a, nominal_energy_kwh, max_total_voltage_v,
                   max_temperature_c, soc_pct (0.1 %), pack_voltage_v
CTS       C->B     datetime (packed BCD, sec min hour day month year; all FF -> None)
CML       C->B     max_output_voltage_v, min_output_voltage_v, max_output_current_a,
                   min_output_current_a
BRO       B->C     ready (0x00 / 0xAA)
CRO       C->B     ready (0x00 / 0xAA)
BCL       B->C     voltage_demand_v, current_demand_a, mode (1 constant voltage, 2 constant current)
BCS       B->C     measured_voltage_v, measured_current_a, highest_cell_voltage_v,
                   highest_cell_group, soc_pct (1 %), remaining_time_min
CCS       C->B     output_voltage_v, output_current_a, charging_time_min,
                   charging_allowed (0 paused, 1 allowed)
BSM       B->C     highest_cell_number, max_temperature_c, max_temperature_probe,
                   min_temperature_c, min_temperature_probe, cell_voltage_status, soc_status,
                   overcurrent_status, temperature_status, insulation_status, connector_status,
                   charging_allowed (0 forbidden, 1 allowed)
BMV       B->C     cell_voltages_v (list, 1-256 cells), cell_groups (list, same length)
BMT       B->C     temperatures_c (list, 1-128 probes)
BSP       B->C     reserved (list of ints, 1-16 bytes)
BST       B->C     soc_target_reached, total_voltage_reached, cell_voltage_reached,
                   charger_stopped, insulation_fault, output_connector_over_temperature,
                   bms_component_over_temperature, charging_connector_fault,
                   battery_over_temperature, hv_relay_fault, detection_point_2_fault,
                   other_fault, overcurrent, voltage_abnormal
CST       C->B     condition_reached, manual_stop, fault_stop, bms_stopped,
                   charger_over_temperature, connector_fault, internal_over_temperature,
                   energy_transfer_fault, emergency_stop, other_fault, current_mismatch,
                   voltage_abnormal
BSD       B->C     soc_pct, min_cell_voltage_v, max_cell_voltage_v, min_temperature_c,
                   max_temperature_c
CSD       C->B     charging_time_min, energy_kwh (0.1 kWh/bit, protocols.md B5), charger_number
BEM       B->C     crm_00_timeout, crm_aa_timeout, cts_cml_timeout, cro_timeout, ccs_timeout,
                   cst_timeout, csd_timeout
CEM       C->B     brm_timeout, bcp_timeout, bro_timeout, bcs_timeout, bcl_timeout,
                   bst_timeout, bsd_timeout
========  =======  ============================================================================

Confidence: layouts of messages seen in the observed session are **H**; BEM/CEM, BMV/BMT/BSP, the
CTS year byte order and the periods are **M** (protocols.md G2: keep them in the DBC, not in code).
"""

from __future__ import annotations

import math
import numbers
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, Literal

import cantools
from cantools.database.can import Message, Signal

__all__ = [
    "BMS_SA",
    "CHARGER_SA",
    "DBC_PATH",
    "SPECS",
    "MessageSpec",
    "build_id",
    "can_id",
    "charging_current_a",
    "decode",
    "encode",
    "encoded_current_a",
    "fields",
    "name_for",
    "name_for_pgn",
    "parse_id",
]

CHARGER_SA = 0x56
"""Source address of the charger (off-board charger), protocols.md B1."""
BMS_SA = 0xF4
"""Source address of the BMS (the role the workstation plays), protocols.md B1."""

DBC_PATH = Path(__file__).with_name("gbt27930_2015.dbc")
"""The project's own GB/T 27930-2015 DBC (cp1252, the DBC convention)."""

_PDU2_MIN_PF = 0xF0


@dataclass(frozen=True)
class MessageSpec:
    """Identity and timing of one GB/T 27930-2015 message (protocols.md B2), read from the DBC.

    ``length`` is the payload length in bytes; for the variable-length messages BMV/BMT/BSP it is
    the maximum (256 cells x 2, 128 probes, 16 bytes). ``period_ms`` is the transmission period
    (``GenMsgCycleTime``; M confidence). ``sender`` is ``"charger"`` or ``"bms"``.
    ``multipacket`` marks messages that travel with the J1939-21 transport protocol (``tp.py``).
    """

    name: str
    pgn: int
    priority: int
    length: int
    period_ms: int | None
    sender: str
    multipacket: bool


# ---------------------------------------------------------------------------------------------
# J1939 identifiers
# ---------------------------------------------------------------------------------------------


def parse_id(arbitration_id: int) -> tuple[int, int, int, int]:
    """Split a 29-bit J1939 identifier into ``(priority, pgn, da, sa)`` (SAE J1939-21 5.2).

    For PDU1 PGNs (PF < 0xF0, every GB/T 27930 message) the PS byte is the destination address and
    the PGN's low byte is 0; for PDU2 the PS byte belongs to the PGN and ``da`` is 0xFF (global).
    The extended data page and data page bits are part of the PGN.
    """
    if not 0 <= arbitration_id < (1 << 29):
        raise ValueError(f"not a 29-bit CAN identifier: 0x{arbitration_id:X}")
    priority = (arbitration_id >> 26) & 0x7
    page = (arbitration_id >> 24) & 0x3
    pf = (arbitration_id >> 16) & 0xFF
    ps = (arbitration_id >> 8) & 0xFF
    sa = arbitration_id & 0xFF
    if pf < _PDU2_MIN_PF:
        return priority, (page << 16) | (pf << 8), ps, sa
    return priority, (page << 16) | (pf << 8) | ps, 0xFF, sa


def build_id(priority: int, pgn: int, da: int, sa: int) -> int:
    """Assemble a 29-bit J1939 identifier (inverse of :func:`parse_id`).

    For a PDU1 PGN the destination address goes into the PS byte; for a PDU2 PGN ``da`` is ignored.
    """
    if not 0 <= priority <= 7:
        raise ValueError(f"J1939 priority must be 0..7, got {priority}")
    if not 0 <= pgn < (1 << 18):
        raise ValueError(f"PGN must fit in 18 bits, got 0x{pgn:X}")
    if not (0 <= da <= 0xFF and 0 <= sa <= 0xFF):
        raise ValueError(f"addresses must be 0..0xFF, got da=0x{da:X} sa=0x{sa:X}")
    pf = (pgn >> 8) & 0xFF
    if pf < _PDU2_MIN_PF:
        if pgn & 0xFF:
            raise ValueError(f"PDU1 PGN 0x{pgn:X} must have a zero low byte")
        pgn |= da
    return (priority << 26) | (pgn << 8) | sa


# ---------------------------------------------------------------------------------------------
# The DBC and the message table
# ---------------------------------------------------------------------------------------------


@cache
def _database() -> cantools.database.can.Database:
    # strict=False: the overlap checks cost ~0.8 s on the 700 BMV/BMT signals; the test suite loads
    # the file with strict=True once to prove there are no overlapping or out-of-frame signals.
    db = cantools.database.load_file(DBC_PATH, encoding="cp1252", strict=False)
    assert isinstance(db, cantools.database.can.Database)
    return db


def _attribute(message: Message, name: str, default: Any) -> Any:
    attrs = message.dbc.attributes if message.dbc is not None else {}
    return attrs[name].value if name in attrs else default


def _spec_from(message: Message) -> MessageSpec:
    priority, pgn, _da, _sa = parse_id(message.frame_id)
    sender = {"Charger": "charger", "BMS": "bms"}[message.senders[0]]
    return MessageSpec(
        name=message.name,
        pgn=pgn,
        priority=priority,
        length=message.length,
        period_ms=message.cycle_time,
        sender=sender,
        multipacket=bool(_attribute(message, "GBT_MultiPacket", 0)),
    )


SPECS: dict[str, MessageSpec] = {m.name: _spec_from(m) for m in _database().messages}
"""All 22 GB/T 27930-2015 messages by name (CHM ... CEM), built from the DBC."""

_BY_PGN: dict[int, MessageSpec] = {s.pgn: s for s in SPECS.values()}
_SA = {"charger": CHARGER_SA, "bms": BMS_SA}
_DA = {"charger": BMS_SA, "bms": CHARGER_SA}


def _spec(name: str) -> MessageSpec:
    try:
        return SPECS[name]
    except KeyError:
        raise ValueError(f"unknown GB/T 27930 message {name!r}; known: {', '.join(SPECS)}") from None


def can_id(name: str) -> int:
    """29-bit ID of message ``name`` sent as a single frame from its sender to the other side.

    ``can_id("CHM") == 0x1826F456``, ``can_id("BCL") == 0x181056F4``. For the multi-packet messages
    this is the ID a payload of at most 8 bytes would use (J1939-21: short payloads go in one
    frame, e.g. a BMV with 4 cells); longer payloads go through :mod:`drivers.gbt27930.tp`.
    """
    spec = _spec(name)
    return build_id(spec.priority, spec.pgn, _DA[spec.sender], _SA[spec.sender])


def name_for(arbitration_id: int) -> str | None:
    """Name of the GB/T 27930 message a single frame carries, or ``None``.

    ``None`` for transport-protocol frames (TP.CM/TP.DT), for unknown PGNs and for frames that are
    not between the charger (0x56) and the BMS (0xF4) in the message's own direction (e.g. the
    0x0070F4B5 node in the observed log). The priority bits are not checked (J1939 receivers
    identify a message by PGN and addresses).
    """
    try:
        _prio, pgn, da, sa = parse_id(arbitration_id)
    except ValueError:
        return None
    spec = _BY_PGN.get(pgn)
    if spec is None or sa != _SA[spec.sender] or da != _DA[spec.sender]:
        return None
    return spec.name


def name_for_pgn(pgn: int) -> str | None:
    """Name of the GB/T 27930-2015 message with this PGN (e.g. 0x0200 -> ``"BRM"``), or ``None``."""
    spec = _BY_PGN.get(pgn)
    return spec.name if spec else None


# ---------------------------------------------------------------------------------------------
# Current sign convention
# ---------------------------------------------------------------------------------------------


def charging_current_a(encoded_a: float) -> float:
    """Positive charging-current magnitude from a current in the standard's sign convention.

    GB/T 27930-2015 4.5: negative current = charging. ``charging_current_a(-20.0) == 20.0``
    (BCL current demand, CCS output current, CML maximum output current …). The result is
    negative only if the message reports current flowing out of the battery.
    """
    return -encoded_a + 0.0


def encoded_current_a(charging_a: float) -> float:
    """The value to encode for a charging current of ``charging_a`` amperes (inverse of
    :func:`charging_current_a`): ``encode("BCL", current_demand_a=encoded_current_a(20))``."""
    return -charging_a + 0.0


# ---------------------------------------------------------------------------------------------
# Field codecs: API field <-> raw DBC signal values
# ---------------------------------------------------------------------------------------------

_Raw = dict[str, int]


def _all_ones(signal: Signal) -> int:
    return (1 << signal.length) - 1


def _default_raw(signal: Signal) -> int:
    initial = signal.raw_initial
    return int(initial) if initial is not None else _all_ones(signal)


def _decimals(scale: float) -> int:
    exponent = Decimal(str(scale)).normalize().as_tuple().exponent
    return max(0, -int(exponent))


class _Field:
    """One API field of a message; maps to one or more DBC signals."""

    name: str
    signals: tuple[Signal, ...]

    def encode(self, message: str, value: Any, raw: _Raw) -> None:
        raise NotImplementedError

    def decode(self, message: str, raw: Mapping[str, int]) -> Any:
        raise NotImplementedError

    def default(self, raw: _Raw) -> None:
        for signal in self.signals:
            raw[signal.name] = _default_raw(signal)

    def present(self, raw: Mapping[str, int]) -> bool:
        return all(s.name in raw for s in self.signals)


class _Scalar(_Field):
    """A numeric signal: scaled physical quantity, enumeration, counter or number."""

    def __init__(self, signal: Signal) -> None:
        self.name = signal.name
        self.signals = (signal,)
        self.signal = signal
        self.is_quantity = bool(signal.unit)
        self.decimals = _decimals(signal.scale)
        self.labels = {str(v): int(k) for k, v in (signal.choices or {}).items()}

    def _range(self) -> str:
        s = self.signal
        lo, hi = s.offset, _all_ones(s) * s.scale + s.offset
        if self.is_quantity:
            return f"{lo:.{self.decimals}f}..{hi:.{self.decimals}f} {s.unit}"
        return f"{int(lo)}..{int(hi)}"

    def encode(self, message: str, value: Any, raw: _Raw) -> None:
        s = self.signal
        if value is None:
            raw[s.name] = _all_ones(s)
            return
        if isinstance(value, str):
            if value not in self.labels:
                known = ", ".join(f"{k!r}" for k in self.labels) or "none (numeric field)"
                raise ValueError(f"{message}.{self.name}: unknown label {value!r}; labels: {known}")
            raw[s.name] = self.labels[value]
            return
        if not isinstance(value, numbers.Real) or not math.isfinite(value):
            raise ValueError(f"{message}.{self.name}: expected a number, got {value!r}")
        counts = round((float(value) - s.offset) / s.scale)
        if not 0 <= counts <= _all_ones(s):
            raise ValueError(f"{message}.{self.name}={value!r} does not fit: range {self._range()}")
        raw[s.name] = counts

    def decode(self, message: str, raw: Mapping[str, int]) -> Any:
        s = self.signal
        counts = raw[s.name]
        if self.is_quantity:
            return round(counts * s.scale + s.offset, self.decimals) + 0.0
        return round(counts * s.scale + s.offset)  # an int: unitless fields have integer scale and offset


class _Ascii(_Field):
    """ASCII text spread over one or more little-endian signals (region code, manufacturer, VIN)."""

    def __init__(self, name: str, signals: Sequence[Signal]) -> None:
        self.name = name
        self.signals = tuple(signals)
        self.widths = [s.length // 8 for s in self.signals]
        self.size = sum(self.widths)

    def encode(self, message: str, value: Any, raw: _Raw) -> None:
        if value is None:
            data = b"\xff" * self.size
        else:
            if not isinstance(value, str | bytes):
                raise ValueError(f"{message}.{self.name}: expected text, got {value!r}")
            try:
                data = value.encode("latin-1") if isinstance(value, str) else bytes(value)
            except UnicodeEncodeError:
                raise ValueError(f"{message}.{self.name}: {value!r} is not ASCII") from None
            if len(data) > self.size:
                raise ValueError(f"{message}.{self.name}: {value!r} is longer than {self.size} characters")
            data = data.ljust(self.size, b"\xff")
        pos = 0
        for signal, width in zip(self.signals, self.widths, strict=True):
            raw[signal.name] = int.from_bytes(data[pos : pos + width], "little")
            pos += width

    def decode(self, message: str, raw: Mapping[str, int]) -> str:
        data = b"".join(
            raw[s.name].to_bytes(w, "little") for s, w in zip(self.signals, self.widths, strict=True)
        )
        return data.rstrip(b"\x00\xff").decode("latin-1")


class _Version(_Field):
    """Protocol version ``"major.minor"``: byte 1 minor, bytes 2-3 major (V1.1 = ``01 01 00``)."""

    def __init__(self, minor: Signal, major: Signal) -> None:
        self.name = "version"
        self.signals = (minor, major)
        self.minor, self.major = minor, major

    def encode(self, message: str, value: Any, raw: _Raw) -> None:
        if value is None:
            raw[self.minor.name], raw[self.major.name] = _all_ones(self.minor), _all_ones(self.major)
            return
        try:
            major_s, minor_s = str(value).removeprefix("V").split(".")
            major, minor = int(major_s), int(minor_s)
        except ValueError:
            raise ValueError(f"{message}.version: expected 'major.minor' such as '1.1', got {value!r}") from None
        if not (0 <= major <= _all_ones(self.major) and 0 <= minor <= _all_ones(self.minor)):
            raise ValueError(f"{message}.version {value!r} out of range (major 0..65535, minor 0..255)")
        raw[self.minor.name], raw[self.major.name] = minor, major

    def decode(self, message: str, raw: Mapping[str, int]) -> str:
        return f"{raw[self.major.name]}.{raw[self.minor.name]}"


def _bcd(value: int, digits: int) -> int:
    return int(f"{value:0{digits}d}", 16)


def _from_bcd(message: str, value: int, digits: int) -> int:
    text = f"{value:0{digits}X}"
    if not text.isdigit():
        raise ValueError(f"{message}.datetime: 0x{text} is not packed BCD")
    return int(text)


class _BcdDateTime(_Field):
    """CTS time: packed BCD second, minute, hour, day, month, year (year low byte first)."""

    _PARTS = ("bcd_second", "bcd_minute", "bcd_hour", "bcd_day", "bcd_month", "bcd_year")

    def __init__(self, signals: Mapping[str, Signal]) -> None:
        self.name = "datetime"
        self.signals = tuple(signals[p] for p in self._PARTS)

    def encode(self, message: str, value: Any, raw: _Raw) -> None:
        if value is None:
            for s in self.signals:
                raw[s.name] = _all_ones(s)
            return
        if not isinstance(value, datetime):
            raise ValueError(f"{message}.datetime: expected datetime.datetime or None, got {value!r}")
        if not 0 <= value.year <= 9999:
            raise ValueError(f"{message}.datetime: year {value.year} does not fit 4 BCD digits")
        values = (value.second, value.minute, value.hour, value.day, value.month)
        for s, v in zip(self.signals[:5], values, strict=True):
            raw[s.name] = _bcd(v, 2)
        raw[self.signals[5].name] = _bcd(value.year, 4)

    def decode(self, message: str, raw: Mapping[str, int]) -> datetime | None:
        counts = [raw[s.name] for s in self.signals]
        if all(c == _all_ones(s) for c, s in zip(counts, self.signals, strict=True)):
            return None
        sec, minute, hour, day, month = (_from_bcd(message, c, 2) for c in counts[:5])
        year = _from_bcd(message, counts[5], 4)
        try:
            return datetime(year, month, day, hour, minute, sec)
        except ValueError as exc:
            raise ValueError(f"{message}.datetime: invalid date/time ({exc})") from None


class _Array(_Field):
    """One column of a variable-length message (BMV voltages or groups, BMT, BSP)."""

    def __init__(self, name: str, signals: Sequence[Signal]) -> None:
        self.name = name
        self.signals = tuple(signals)
        self.items = [_Scalar(s) for s in self.signals]

    def encode(self, message: str, value: Any, raw: _Raw) -> None:
        for item, v in zip(self.items, value, strict=False):
            item.encode(message, v, raw)

    def decode(self, message: str, raw: Mapping[str, int]) -> list[Any]:
        return [item.decode(message, raw) for item in self.items if item.signal.name in raw]

    def present(self, raw: Mapping[str, int]) -> bool:
        return True


_ASCII_FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "CRM": {"region_code": ("region_code",)},
    "BRM": {"manufacturer": ("manufacturer",), "vin": ("vin_1_8", "vin_9_16", "vin_17")},
}
_ARRAY_FIELDS: dict[str, dict[str, Callable[[str], bool]]] = {
    "BMV": {
        "cell_voltages_v": lambda n: n.endswith("_voltage_v"),
        "cell_groups": lambda n: n.endswith("_group"),
    },
    "BMT": {"temperatures_c": lambda n: n.endswith("_temperature_c")},
    "BSP": {"reserved": lambda n: n.startswith("reserved_")},
}


@dataclass(frozen=True)
class _Codec:
    """Everything needed to encode/decode one message."""

    spec: MessageSpec
    message: Message
    fields: dict[str, _Field]
    min_length: int
    variable: Literal[0, 1, 2]  # bytes per array element for BMV (2) / BMT, BSP (1); 0 = fixed

    def element_count(self, values: Mapping[str, Any]) -> int:
        lengths = {len(v) for k, v in values.items() if v is not None and k in self.fields}
        if len(lengths) != 1:
            raise ValueError(
                f"{self.spec.name}: lists {', '.join(self.fields)} must have one common length, got "
                + ", ".join(f"{k}={len(v)}" for k, v in values.items() if v is not None)
            )
        count = lengths.pop()
        maximum = self.spec.length // self.variable
        if not 1 <= count <= maximum:
            raise ValueError(f"{self.spec.name}: {count} elements; the message carries 1..{maximum}")
        return count


def _build_codec(message: Message) -> _Codec:
    spec = _spec_from(message)
    by_name = {s.name: s for s in message.signals}
    used: set[str] = set()
    fields: dict[str, _Field] = {}
    name = message.name
    if name in _ARRAY_FIELDS:
        for field_name, predicate in _ARRAY_FIELDS[name].items():
            sigs = sorted((s for s in message.signals if predicate(s.name)), key=lambda s: s.start)
            fields[field_name] = _Array(field_name, sigs)
            used.update(s.name for s in sigs)
        variable: Literal[0, 1, 2] = 2 if name == "BMV" else 1
    else:
        variable = 0
        if "version_minor" in by_name:
            fields["version"] = _Version(by_name["version_minor"], by_name["version_major"])
            used.update({"version_minor", "version_major"})
        for field_name, parts in _ASCII_FIELDS.get(name, {}).items():
            fields[field_name] = _Ascii(field_name, [by_name[p] for p in parts])
            used.update(parts)
        if "bcd_second" in by_name:
            fields["datetime"] = _BcdDateTime(by_name)
            used.update(_BcdDateTime._PARTS)
    for signal in sorted(message.signals, key=lambda s: s.start):
        if signal.name not in used:
            fields[signal.name] = _Scalar(signal)
    # keep the API order = byte order of the first signal of each field
    ordered = dict(sorted(fields.items(), key=lambda kv: min(s.start for s in kv[1].signals)))
    min_length = int(_attribute(message, "GBT_MinLength", 0)) or message.length
    return _Codec(spec, message, ordered, min_length, variable)


@cache
def _codec(name: str) -> _Codec:
    _spec(name)
    return _build_codec(_database().get_message_by_name(name))


def fields(name: str) -> tuple[str, ...]:
    """The API field names of message ``name`` in byte order (see the module docstring)."""
    return tuple(_codec(name).fields)


# ---------------------------------------------------------------------------------------------
# encode / decode
# ---------------------------------------------------------------------------------------------


def encode(name: str, **fields: Any) -> bytes:
    """Encode physical values into the payload of message ``name`` (``spec.length`` bytes).

    Omitted fields take their declared default or 'not available' (all 1s); bits the standard
    leaves undefined are 1s (protocols.md B1). For BMV/BMT/BSP the fields are lists and the payload
    is as long as the lists (2 bytes per cell, 1 per probe or reserved byte). Raises ``ValueError``
    naming the message and field for an unknown message or field, a wrong type, or a value that
    does not fit its bits.
    """
    codec = _codec(name)
    unknown = [k for k in fields if k not in codec.fields]
    if unknown:
        raise ValueError(
            f"{name} has no field {', '.join(repr(u) for u in unknown)}; fields: {', '.join(codec.fields)}"
        )
    raw: _Raw = {}
    length = codec.spec.length
    if codec.variable:
        given = {k: v for k, v in fields.items() if v is not None}
        if not given:
            raise ValueError(f"{name}: give at least one of {', '.join(codec.fields)} (a non-empty list)")
        for k, v in given.items():
            if isinstance(v, str | bytes) or not isinstance(v, Sequence):
                raise ValueError(f"{name}.{k}: expected a list, got {v!r}")
        count = codec.element_count(given)
        length = count * codec.variable
    for field_name, field in codec.fields.items():
        field.default(raw)
        if field_name in fields:
            field.encode(name, fields[field_name], raw)
    data = codec.message.encode(raw, scaling=False, padding=True, strict=False)
    return bytes(data[:length])


def decode(name: str, data: bytes) -> dict[str, Any]:
    """Decode the payload of message ``name`` into physical values keyed by field name.

    Bytes beyond the message length are ignored (some chargers pad every frame to 8 bytes). A
    shorter payload raises ``ValueError``, except where the DBC declares a smaller
    ``GBT_MinLength`` (BRM: 41 bytes as in the standard's message table; BMV/BMT/BSP: any number
    of whole elements): then only the fields the payload fully contains are returned.
    """
    codec = _codec(name)
    data = bytes(data)
    if len(data) < codec.min_length:
        raise ValueError(f"{name}: payload of {len(data)} bytes, expected at least {codec.min_length}")
    data = data[: codec.spec.length]
    raw = codec.message.decode(data, decode_choices=False, scaling=False, allow_truncated=True)
    out: dict[str, Any] = {}
    for field_name, field in codec.fields.items():
        if field.present(raw):
            out[field_name] = field.decode(name, raw)  # type: ignore[arg-type]
    return out


# ---------------------------------------------------------------------------------------------
# Impossible values of a charger's message
# ---------------------------------------------------------------------------------------------

PLAUSIBLE_PATH = Path(__file__).with_name("plausible.toml")


@dataclass(frozen=True)
class Bound:
    """The values a charger may mean in one field (plausible.toml): ``lo``..``hi``, why, and the source."""

    lo: float
    hi: float
    why: str
    source: str


@cache
def _bounds() -> dict[str, dict[str, Bound]]:
    data = tomllib.loads(PLAUSIBLE_PATH.read_text("utf-8"))
    return {message: {name: Bound(float(b["min"]), float(b["max"]), str(b.get("why", "")), str(b["source"]))
                      for name, b in table.items()} for message, table in data.items()}


def impossible(name: str, fields: Mapping[str, Any]) -> list[str]:
    """Why the decoded charger message ``name`` cannot be what the charger means: one line per field
    that holds its 'not available' value (all bits 1) or a value outside the bounds of
    ``plausible.toml`` (e.g. a positive CCS output current: current out of the battery, GB/T
    27930-2015 4.5); ``[]`` when every bounded field is possible. Messages and fields without
    bounds are never refused here."""
    out: list[str] = []
    codec = _codec(name) if name in SPECS else None
    for field_name, bound in _bounds().get(name, {}).items():
        value = fields.get(field_name)
        part = codec.fields.get(field_name) if codec else None
        if not isinstance(value, int | float) or not isinstance(part, _Scalar):
            continue
        s = part.signal
        unit = f" {s.unit}" if s.unit else ""
        top = round(_all_ones(s) * s.scale + s.offset, part.decimals)
        if value == top:
            out.append(f"{name}.{field_name}={value:g}{unit} 为不可用值（全 1）(the 'not available' value, all bits 1)")
        elif not (bound.lo <= value <= bound.hi and math.isfinite(value)):
            why = f": {bound.why}" if bound.why else ""
            out.append(f"{name}.{field_name}={value:g}{unit} 超出 {bound.lo:g}…{bound.hi:g}{unit} (outside "
                       f"{bound.lo:g}..{bound.hi:g}{unit}){why} [{bound.source}]")
    return out
