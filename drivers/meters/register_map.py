"""Modbus register maps as data: load, validate, encode and decode.

A meter model is described by one TOML file (``drivers/meters/maps/<maker>_<model>.toml``), so that
adding a meter is adding data, not code. The same file is read by the driver
(:mod:`drivers.meters.modbus_meter`) and by the simulated twin (``hardware_sim.ref_meter``), which
therefore can never disagree about an address or a word order.

Format
------
::

    [meter]
    model = "SDM630"            # as printed on the nameplate
    maker = "Eastron"
    word_order = "big"          # "big": high word first (ABCD); "little": low word first (CDAB)
    byte_order = "big"          # byte order inside each 16-bit register ("big" is the Modbus norm)
    max_read_gap = 16           # optional: unused registers one merged read may span (default 16)
    max_read_count = 125        # optional: registers per read request (default and Modbus max 125)
    description = "…"           # optional
    current_kind = "AC"         # optional: "DC" for DC standard meters (no power factor / frequency)

    [registers.energy_import]   # one table per quantity; the name is the standard quantity name
    table = "input"             # "input" (FC04) or "holding" (FC03 read, FC16 write)
    address = 0x0048            # 0-based address as sent on the wire (not 3xxxx/4xxxx numbering)
    type = "float32"            # float32 float64 int16 uint16 int32 uint32 uint64
    scale = 1000.0              # SI-consistent value = raw value × scale (here kWh → Wh)
    unit = "Wh"                 # unit of the scaled value
    writable = true             # optional, holding registers only

Standard quantity names (the driver relies on them; their units are checked): ``voltage`` V,
``current`` A, ``active_power`` W, ``power_factor`` 1, ``frequency`` Hz, ``energy_import`` Wh; the
pulse-comparison gate ``gate_control`` (holding, writable; 1 arm, 0 stop), ``gate_target`` (holding,
writable; N DUT pulses), ``gate_state`` (0 idle, 1 armed, 2 counting, 3 done), ``gate_dut_pulses``,
``gate_std_pulses``, ``gate_std_energy`` Wh, ``gate_duration`` s, ``std_constant`` imp/kWh; and the
built-in load ``load_current_setpoint`` A and ``load_power_factor`` 1 (holding, writable). A map may
carry further quantities (e.g. ``energy_total``) under any lower-case name.

Repeated blocks (multi-position benches)
----------------------------------------
A device that serves the same record for each of N positions (the error calculators of a 24-position
meter bench) declares the record once, with offsets, and where it repeats::

    [positions]
    count = 48                  # positions the device can serve at most (a station may use fewer)
    base = 0x1000               # address of position 1's record
    stride = 16                 # registers from one position's record to the next

    [position_registers.gate_state]   # same keys as [registers.*], but offset instead of address
    table = "input"
    offset = 0                  # address of position p (1-based) = base + (p − 1) × stride + offset
    type = "uint16"
    unit = "1"

Position registers have their own namespace (``gate_state`` may exist in both); their standard
names carry the standard units. The whole repeated range (``base`` .. ``base + count × stride − 1``)
is reserved in each table a position register uses, every offset fits inside the stride, and one
position's record fits in one read request. :meth:`RegisterMap.plan_position_reads` reads many
positions per request (consecutive positions merge while the hole between their records is at most
``max_read_gap`` and the request at most ``max_read_count`` registers).

Enumerations
------------
A register holding a code may list its codes, so that the driver and the twin read the same meaning
from the same file::

    [enums.source_pf_code]      # quantity in [registers.*] or [position_registers.*]
    0 = "1"                     # code = "label" (decimal or 0x… codes of an integer register)
    1 = "0.5L"

Values are packed and unpacked by pymodbus's own ``convert_to_registers`` /
``convert_from_registers`` (word order included); only the rare byte-swapped device is handled here,
by swapping the two bytes of each register.
"""

from __future__ import annotations

import itertools
import math
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, cast

from pymodbus.client.mixin import ModbusClientMixin

RegisterTable = Literal["input", "holding"]
WordOrder = Literal["big", "little"]

_DT = ModbusClientMixin.DATATYPE

#: Register types a map may use, with pymodbus's codec for each.
TYPES: Mapping[str, Any] = MappingProxyType({
    "float32": _DT.FLOAT32,
    "float64": _DT.FLOAT64,
    "int16": _DT.INT16,
    "uint16": _DT.UINT16,
    "int32": _DT.INT32,
    "uint32": _DT.UINT32,
    "uint64": _DT.UINT64,
})

_INT_RANGES: Mapping[str, tuple[int, int]] = MappingProxyType({
    "int16": (-(2**15), 2**15 - 1),
    "uint16": (0, 2**16 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "uint32": (0, 2**32 - 1),
    "uint64": (0, 2**64 - 1),
})

#: Standard quantity names and the unit their scaled value must have.
STANDARD_UNITS: Mapping[str, str] = MappingProxyType({
    "voltage": "V",
    "current": "A",
    "active_power": "W",
    "power_factor": "1",
    "frequency": "Hz",
    "energy_import": "Wh",
    "gate_control": "1",
    "gate_target": "imp",
    "gate_state": "1",
    "gate_dut_pulses": "imp",
    "gate_std_pulses": "imp",
    "gate_std_energy": "Wh",
    "gate_duration": "s",
    "std_constant": "imp/kWh",
    "load_current_setpoint": "A",
    "load_power_factor": "1",
})

#: Quantities that must be writable holding registers when a map declares them.
WRITABLE_QUANTITIES: frozenset[str] = frozenset(
    {"gate_control", "gate_target", "load_current_setpoint", "load_power_factor"}
)

INSTANTANEOUS_QUANTITIES: tuple[str, ...] = ("voltage", "current", "active_power", "power_factor", "frequency")
GATE_QUANTITIES: tuple[str, ...] = (
    "gate_control", "gate_target", "gate_state", "gate_dut_pulses", "gate_std_pulses",
    "gate_std_energy", "gate_duration", "std_constant",
)
LOAD_QUANTITIES: tuple[str, ...] = ("load_current_setpoint", "load_power_factor")

_MAX_READ = 125
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_METER_KEYS = {"model", "maker", "word_order", "byte_order", "max_read_gap", "max_read_count", "description",
               "current_kind"}
_REGISTER_KEYS = {"table", "address", "type", "scale", "unit", "writable"}
_POSITIONS_KEYS = {"count", "base", "stride"}
_SECTIONS = ("meter", "registers", "positions", "position_registers", "enums")
_EMPTY_ENUMS: Mapping[str, Mapping[int, str]] = MappingProxyType({})


class RegisterMapError(ValueError):
    """A register map file is missing, unreadable or inconsistent; the message names file and key."""


_SIZES: Mapping[str, int] = MappingProxyType({name: int(dt.value[1]) for name, dt in TYPES.items()})


def register_count(type_name: str) -> int:
    """Number of 16-bit registers a value of ``type_name`` occupies."""
    return _SIZES[type_name]


def _swap_bytes(registers: Iterable[int]) -> list[int]:
    return [((r & 0xFF) << 8) | (r >> 8) for r in registers]


def decode_registers(registers: Sequence[int], type_name: str, *, word_order: WordOrder = "big",
                     byte_order: WordOrder = "big", scale: float = 1.0) -> int | float:
    """Raw registers → scaled value, with pymodbus's ``convert_from_registers``.

    Integer types with ``scale == 1`` stay ``int`` (pulse counts must not go through a float);
    everything else is a ``float``.
    """
    if type_name not in TYPES:
        raise RegisterMapError(f"unknown register type {type_name!r}")
    regs = list(registers)
    if len(regs) != register_count(type_name):
        raise RegisterMapError(f"{type_name} needs {register_count(type_name)} registers, got {len(regs)}")
    if byte_order == "little":
        regs = _swap_bytes(regs)
    raw = ModbusClientMixin.convert_from_registers(regs, TYPES[type_name], word_order=word_order)
    if type_name.startswith("float"):
        value = float(cast(float, raw)) * scale
        if not math.isfinite(value):  # NaN/Inf patterns: many meters' "no value"; never a reading
            raise RegisterMapError(f"{type_name} registers {[f'0x{r:04X}' for r in registers]} hold {value}, "
                                   "not a finite number (无效数值)")
        return value
    if scale == 1.0:
        return int(cast(int, raw))
    return int(cast(int, raw)) * scale


def encode_value(value: float, type_name: str, *, word_order: WordOrder = "big",
                 byte_order: WordOrder = "big", scale: float = 1.0) -> list[int]:
    """Scaled value → raw registers, with pymodbus's ``convert_to_registers``.

    Integer types are rounded to the nearest raw step; a value outside the type's range raises
    :class:`ValueError` instead of wrapping around silently.
    """
    if type_name not in TYPES:
        raise RegisterMapError(f"unknown register type {type_name!r}")
    raw: int | float
    if type_name.startswith("float"):
        raw = float(value) / scale if scale != 1.0 else float(value)
    else:
        if not math.isfinite(value):
            raise ValueError(f"{value!r} cannot be sent as {type_name}")
        raw = round(value / scale) if scale != 1.0 else round(value)
        lo, hi = _INT_RANGES[type_name]
        if not lo <= raw <= hi:
            raise ValueError(f"{value!r} is outside the range of a {type_name} register ({lo}..{hi})")
    regs = ModbusClientMixin.convert_to_registers(raw, TYPES[type_name], word_order=word_order)
    return _swap_bytes(regs) if byte_order == "little" else list(regs)


@dataclass(frozen=True)
class Register:
    """One quantity's place on the wire: table, 0-based address, type, scale and unit."""

    quantity: str
    table: RegisterTable
    address: int
    type: str
    scale: float
    unit: str
    writable: bool = False

    @property
    def count(self) -> int:
        """Registers this quantity occupies."""
        return register_count(self.type)

    @property
    def end(self) -> int:
        """First address after this quantity."""
        return self.address + self.count


@dataclass(frozen=True)
class ReadSpan:
    """One read request (table, start, count) that covers several quantities at once."""

    table: RegisterTable
    address: int
    count: int
    registers: tuple[Register, ...]


@dataclass(frozen=True)
class PositionBlock:
    """The record a multi-position device repeats for every position (see "Repeated blocks" in the
    module docstring). ``registers`` hold *offsets*: their ``address`` is the place inside one
    position's record; :meth:`register` gives the absolute register of one position."""

    count: int
    base: int
    stride: int
    registers: Mapping[str, Register]

    @property
    def end(self) -> int:
        """First address after the last position's record."""
        return self.base + self.count * self.stride

    @property
    def tables(self) -> frozenset[str]:
        """Tables in which the repeated range is reserved."""
        return frozenset(r.table for r in self.registers.values())

    def check_position(self, position: int) -> None:
        """Raise :class:`ValueError` unless ``position`` is 1..``count`` (positions count from 1, as
        printed on the bench: 表位 1 … 表位 N)."""
        if isinstance(position, bool) or not isinstance(position, int) or not 1 <= position <= self.count:
            raise ValueError(f"position must be 1..{self.count}, not {position!r}")

    def record_address(self, position: int) -> int:
        """Wire address of the first register of ``position``'s record."""
        self.check_position(position)
        return self.base + (position - 1) * self.stride

    def register(self, quantity: str, position: int) -> Register:
        """The absolute register of ``quantity`` for ``position``."""
        try:
            reg = self.registers[quantity]
        except KeyError:
            raise RegisterMapError(f"no position register {quantity!r}") from None
        return replace(reg, address=self.record_address(position) + reg.address)


@dataclass(frozen=True)
class PositionSpan:
    """One read request covering the same quantities of consecutive ``positions``.

    ``registers`` are the position registers read (with offsets, as in :class:`PositionBlock`);
    ``address``/``count`` is the request on the wire.
    """

    table: RegisterTable
    address: int
    count: int
    positions: tuple[int, ...]
    registers: tuple[Register, ...]


@dataclass(frozen=True)
class RegisterMap:
    """A validated register map of one meter model (see the module docstring for the format).

    ``positions`` is the repeated per-position record of a multi-position device (``None`` for a
    single meter); ``enums`` maps a quantity to its codes and their labels.
    """

    name: str
    model: str
    maker: str
    word_order: WordOrder
    byte_order: WordOrder
    registers: Mapping[str, Register]
    source: str
    max_read_gap: int = 16
    max_read_count: int = _MAX_READ
    description: str = ""
    current_kind: str = "AC"  # "DC" meters have no power factor or frequency registers
    positions: PositionBlock | None = None
    enums: Mapping[str, Mapping[int, str]] = field(default_factory=lambda: _EMPTY_ENUMS)
    _by_table: Mapping[str, tuple[Register, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_table = {
            t: tuple(sorted((r for r in self.registers.values() if r.table == t), key=lambda r: r.address))
            for t in ("input", "holding")
        }
        object.__setattr__(self, "_by_table", MappingProxyType(by_table))

    @property
    def title(self) -> str:
        """Maker and model, for messages (``Eastron SDM630``)."""
        return f"{self.maker} {self.model}"

    def has(self, *quantities: str) -> bool:
        """Whether every one of ``quantities`` is in this map."""
        return all(q in self.registers for q in quantities)

    def missing(self, quantities: Iterable[str]) -> list[str]:
        """The ``quantities`` this map does not provide, in the order given."""
        return [q for q in quantities if q not in self.registers]

    def register(self, quantity: str) -> Register:
        """The register of ``quantity``; :class:`RegisterMapError` naming the map if absent."""
        try:
            return self.registers[quantity]
        except KeyError:
            raise RegisterMapError(f"{self.source}: {self.title} has no register for {quantity!r}") from None

    def in_table(self, table: RegisterTable) -> tuple[Register, ...]:
        """All registers of one table, by address."""
        return self._by_table[table]

    def decode(self, quantity: str, registers: Sequence[int]) -> int | float:
        """Decode one quantity from exactly its registers."""
        reg = self.register(quantity)
        return decode_registers(registers, reg.type, word_order=self.word_order,
                                byte_order=self.byte_order, scale=reg.scale)

    def encode(self, quantity: str, value: float) -> list[int]:
        """Encode one quantity's value into its registers."""
        return self.encode_register(self.register(quantity), value)

    def decode_register(self, reg: Register, registers: Sequence[int]) -> int | float:
        """Decode a value of ``reg`` (a fixed or a position register) from exactly its registers."""
        return decode_registers(registers, reg.type, word_order=self.word_order,
                                byte_order=self.byte_order, scale=reg.scale)

    def encode_register(self, reg: Register, value: float) -> list[int]:
        """Encode a value of ``reg`` (a fixed or a position register) into its registers."""
        try:
            return encode_value(value, reg.type, word_order=self.word_order,
                                byte_order=self.byte_order, scale=reg.scale)
        except ValueError as exc:
            raise ValueError(f"{reg.quantity}: {exc}") from exc

    # ------------------------------------------------------------------ repeated position records
    def position_block(self) -> PositionBlock:
        """The per-position record; :class:`RegisterMapError` naming the map if it has none."""
        if self.positions is None:
            raise RegisterMapError(f"{self.source}: {self.title} has no per-position registers "
                                   "(not a multi-position device)")
        return self.positions

    def has_position(self, *quantities: str) -> bool:
        """Whether every one of ``quantities`` is in the per-position record."""
        return self.positions is not None and all(q in self.positions.registers for q in quantities)

    def position_register(self, quantity: str, position: int) -> Register:
        """The absolute register of ``quantity`` for bench position ``position`` (1-based)."""
        block = self.position_block()
        if quantity not in block.registers:
            raise RegisterMapError(f"{self.source}: {self.title} has no position register for {quantity!r}")
        return block.register(quantity, position)

    def plan_position_reads(self, quantities: Iterable[str],
                            positions: int | Iterable[int]) -> list[PositionSpan]:
        """Group the reads of ``quantities`` for ``positions`` (a count n meaning 1..n, or the
        position numbers) into as few requests as the device allows.

        Each position's wanted registers are read as one piece (from the lowest to the highest
        wanted offset); consecutive positions share a request while the hole between their pieces
        is at most ``max_read_gap`` and the request stays within ``max_read_count`` registers.
        """
        block = self.position_block()
        wanted = []
        for q in dict.fromkeys(quantities):
            if q not in block.registers:
                raise RegisterMapError(f"{self.source}: {self.title} has no position register for {q!r}")
            wanted.append(block.registers[q])
        numbers = range(1, positions + 1) if isinstance(positions, int) else positions
        ordered = sorted(set(numbers))
        for p in ordered:
            block.check_position(p)
        spans: list[PositionSpan] = []
        for table in ("input", "holding"):
            regs = tuple(sorted((r for r in wanted if r.table == table), key=lambda r: r.address))
            if not regs:
                continue
            lo, hi = regs[0].address, max(r.end for r in regs)
            width = hi - lo
            if block.stride - width > self.max_read_gap:
                per_request = 1
            else:
                per_request = max(1, (self.max_read_count - width) // block.stride + 1)
            run: list[int] = []
            for p in ordered:
                if run and p == run[-1] + 1 and len(run) < per_request:
                    run.append(p)
                    continue
                if run:
                    spans.append(self._position_span(block, table, run, regs, lo, width))
                run = [p]
            if run:
                spans.append(self._position_span(block, table, run, regs, lo, width))
        return spans

    @staticmethod
    def _position_span(block: PositionBlock, table: str, run: list[int], regs: tuple[Register, ...],
                       lo: int, width: int) -> PositionSpan:
        start = block.record_address(run[0]) + lo
        count = (len(run) - 1) * block.stride + width
        return PositionSpan(cast(RegisterTable, table), start, count, tuple(run), regs)

    def decode_position_span(self, span: PositionSpan,
                             registers: Sequence[int]) -> dict[int, dict[str, int | float]]:
        """Decode every quantity of every position of ``span`` from the registers one request
        returned: ``{position: {quantity: value}}``."""
        if len(registers) != span.count:
            raise RegisterMapError(f"expected {span.count} registers, got {len(registers)}")
        block = self.position_block()
        out: dict[int, dict[str, int | float]] = {}
        for p in span.positions:
            record = block.record_address(p) - span.address
            values: dict[str, int | float] = {}
            for reg in span.registers:
                off = record + reg.address
                values[reg.quantity] = self.decode_register(reg, registers[off:off + reg.count])
            out[p] = values
        return out

    def positions_overlapping(self, table: RegisterTable, address: int, count: int,
                              positions: int) -> list[tuple[int, Register]]:
        """(position, absolute register) of every position register of ``table`` that overlaps the
        request ``address``..``address + count − 1``, for positions 1..``positions`` (the device's
        side of :meth:`plan_position_reads`)."""
        block = self.positions
        if block is None:
            return []
        regs = [r for r in block.registers.values() if r.table == table]
        end = address + count
        if not regs or end <= block.base or address >= block.end:
            return []
        first = max(1, (address - block.base) // block.stride + 1)
        last = min(positions, block.count, (end - 1 - block.base) // block.stride + 1)
        out: list[tuple[int, Register]] = []
        for p in range(first, last + 1):
            start = block.record_address(p)
            for reg in regs:
                a = start + reg.address
                if a < end and a + reg.count > address:
                    out.append((p, replace(reg, address=a)))
        return out

    # ------------------------------------------------------------------ enumerations
    def enum(self, quantity: str) -> Mapping[int, str]:
        """Codes of ``quantity`` and their labels; :class:`RegisterMapError` if the map lists none."""
        try:
            return self.enums[quantity]
        except KeyError:
            raise RegisterMapError(f"{self.source}: {self.title} lists no codes for {quantity!r} "
                                   "(no [enums." + quantity + "])") from None

    def enum_label(self, quantity: str, code: int) -> str | None:
        """The label of ``code`` of ``quantity``, or ``None`` for a code the map does not list."""
        return self.enum(quantity).get(int(code))

    def plan_reads(self, quantities: Iterable[str]) -> list[ReadSpan]:
        """Group ``quantities`` into as few read requests as the device allows.

        Registers of one table are merged into one request while the hole between them is at most
        ``max_read_gap`` registers and the request stays within ``max_read_count`` registers.
        """
        wanted = [self.register(q) for q in dict.fromkeys(quantities)]
        spans: list[ReadSpan] = []
        for table in ("input", "holding"):
            regs = sorted((r for r in wanted if r.table == table), key=lambda r: r.address)
            group: list[Register] = []
            for reg in regs:
                if group and (reg.address - max(r.end for r in group) <= self.max_read_gap
                              and reg.end - group[0].address <= self.max_read_count):
                    group.append(reg)
                    continue
                if group:
                    spans.append(self._span(table, group))
                group = [reg]
            if group:
                spans.append(self._span(table, group))
        return spans

    @staticmethod
    def _span(table: str, group: list[Register]) -> ReadSpan:
        start = group[0].address
        return ReadSpan(cast(RegisterTable, table), start, max(r.end for r in group) - start, tuple(group))

    def decode_span(self, span: ReadSpan, registers: Sequence[int]) -> dict[str, int | float]:
        """Decode every quantity of ``span`` from the registers one request returned."""
        if len(registers) != span.count:
            raise RegisterMapError(f"expected {span.count} registers, got {len(registers)}")
        out: dict[str, int | float] = {}
        for reg in span.registers:
            off = reg.address - span.address
            out[reg.quantity] = self.decode(reg.quantity, registers[off:off + reg.count])
        return out

    def plan_writes(self, values: Mapping[str, float]) -> list[tuple[int, list[int]]]:
        """Encode ``values`` into (address, registers) write requests, in the order given.

        Consecutive quantities that sit back to back on the wire go out as one FC16 request (so
        ``gate_target`` then ``gate_control`` arm a gate atomically); otherwise one request each, in
        the caller's order.
        """
        writes: list[tuple[int, list[int]]] = []
        next_address = -1
        for quantity, value in values.items():
            reg = self.register(quantity)
            if reg.table != "holding" or not reg.writable:
                raise RegisterMapError(f"{self.source}: {quantity!r} of {self.title} is not writable")
            regs = self.encode(quantity, value)
            if writes and reg.address == next_address and len(writes[-1][1]) + len(regs) <= 123:
                writes[-1][1].extend(regs)
            else:
                writes.append((reg.address, regs))
            next_address = reg.end
        return writes


def _fail(source: str, where: str, msg: str) -> RegisterMapError:
    return RegisterMapError(f"{source}: {where}: {msg}")


def _parse_register(source: str, quantity: str, entry: Any, *, section: str = "registers",
                    address_key: str = "address") -> Register:
    """One ``[registers.*]`` entry (or ``[position_registers.*]`` with ``address_key="offset"``)."""
    where = f"[{section}.{quantity}]"
    if not _NAME_RE.match(quantity):
        raise _fail(source, where, "quantity names are lower_case_with_underscores")
    if not isinstance(entry, dict):
        raise _fail(source, where, f"must be a table with table/{address_key}/type/scale/unit")
    allowed = (_REGISTER_KEYS - {"address"}) | {address_key}
    unknown = set(entry) - allowed
    if unknown:
        raise _fail(source, f"{where} {sorted(unknown)[0]}", f"unknown key (allowed: {', '.join(sorted(allowed))})")
    for key in ("table", address_key, "type", "unit"):
        if key not in entry:
            raise _fail(source, f"{where} {key}", "missing")
    table = entry["table"]
    if table not in ("input", "holding"):
        raise _fail(source, f"{where} table", f'{table!r} is not "input" or "holding"')
    address = entry[address_key]
    if not isinstance(address, int) or isinstance(address, bool) or not 0 <= address <= 0xFFFF:
        raise _fail(source, f"{where} {address_key}", f"{address!r} is not an integer 0..65535")
    type_name = entry["type"]
    if type_name not in TYPES:
        raise _fail(source, f"{where} type", f"{type_name!r} is not one of {', '.join(TYPES)}")
    if address + register_count(type_name) > 0x10000:
        raise _fail(source, f"{where} {address_key}", "value runs past register 65535")
    scale = entry.get("scale", 1.0)
    if isinstance(scale, bool) or not isinstance(scale, int | float) or not math.isfinite(scale) or scale == 0:
        raise _fail(source, f"{where} scale", f"{scale!r} is not a finite non-zero number")
    unit = entry["unit"]
    if not isinstance(unit, str) or not unit:
        raise _fail(source, f"{where} unit", "must be a non-empty string")
    expected_unit = STANDARD_UNITS.get(quantity)
    if expected_unit is not None and unit != expected_unit:
        raise _fail(source, f"{where} unit", f"{quantity} must be scaled to {expected_unit!r}, not {unit!r}")
    writable = entry.get("writable", False)
    if not isinstance(writable, bool):
        raise _fail(source, f"{where} writable", "must be true or false")
    if writable and table != "holding":
        raise _fail(source, f"{where} writable", "only holding registers can be written")
    if quantity in WRITABLE_QUANTITIES and not writable:
        raise _fail(source, f"{where} writable", f"{quantity} must be a writable holding register")
    return Register(quantity, table, address, type_name, float(scale), unit, writable)


def parse_map(text: str, source: str, name: str | None = None) -> RegisterMap:
    """Parse and validate the TOML ``text`` of a map; ``source`` (file name) goes into every error."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RegisterMapError(f"{source}: not valid TOML: {exc}") from exc
    unknown = set(doc) - set(_SECTIONS)
    if unknown:
        raise _fail(source, f"[{sorted(unknown)[0]}]", "unknown section (allowed: [meter], [registers.*], "
                    "[positions], [position_registers.*], [enums.*])")
    meter = doc.get("meter")
    if not isinstance(meter, dict):
        raise _fail(source, "[meter]", "missing")
    unknown = set(meter) - _METER_KEYS
    if unknown:
        raise _fail(source, f"[meter] {sorted(unknown)[0]}", f"unknown key (allowed: {', '.join(sorted(_METER_KEYS))})")
    for key in ("model", "maker", "word_order", "byte_order"):
        if key not in meter:
            raise _fail(source, f"[meter] {key}", "missing")
    for key in ("word_order", "byte_order"):
        if meter[key] not in ("big", "little"):
            raise _fail(source, f"[meter] {key}", f'{meter[key]!r} is not "big" or "little"')
    gap = meter.get("max_read_gap", 16)
    count = meter.get("max_read_count", _MAX_READ)
    if not isinstance(gap, int) or gap < 0:
        raise _fail(source, "[meter] max_read_gap", f"{gap!r} is not an integer >= 0")
    if not isinstance(count, int) or not 1 <= count <= _MAX_READ:
        raise _fail(source, "[meter] max_read_count", f"{count!r} is not an integer 1..{_MAX_READ}")
    raw_regs = doc.get("registers")
    if not isinstance(raw_regs, dict) or not raw_regs:
        raise _fail(source, "[registers]", "no registers declared")
    registers = {q: _parse_register(source, q, e) for q, e in raw_regs.items()}
    for table in ("input", "holding"):
        regs = sorted((r for r in registers.values() if r.table == table), key=lambda r: r.address)
        for a, b in itertools.pairwise(regs):
            if b.address < a.end:
                raise _fail(source, f"[registers.{b.quantity}] address",
                            f"overlaps {a.quantity} ({table} 0x{a.address:04X}..0x{a.end - 1:04X})")
        for reg in regs:
            if reg.count > count:
                raise _fail(source, f"[registers.{reg.quantity}] type", "longer than max_read_count")
    positions = _parse_positions(source, doc, registers, count)
    enums = _parse_enums(source, doc.get("enums"), registers, positions)
    return RegisterMap(
        name=name or Path(source).stem,
        model=str(meter["model"]),
        maker=str(meter["maker"]),
        word_order=meter["word_order"],
        byte_order=meter["byte_order"],
        registers=MappingProxyType(registers),
        source=source,
        max_read_gap=gap,
        max_read_count=count,
        description=str(meter.get("description", "")),
        current_kind=_current_kind(source, meter.get("current_kind", "AC")),
        positions=positions,
        enums=enums,
    )


def _int_key(source: str, where: str, value: object, lo: int, hi: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise _fail(source, where, f"{value!r} is not an integer {lo}..{hi}")
    return value


def _parse_positions(source: str, doc: Mapping[str, Any], registers: Mapping[str, Register],
                     max_read_count: int) -> PositionBlock | None:
    """``[positions]`` and ``[position_registers.*]``: both or neither; every offset inside the
    stride, no overlaps inside the record, the repeated range clear of the fixed registers, and one
    position's record readable in one request."""
    head, raw = doc.get("positions"), doc.get("position_registers")
    if head is None and raw is None:
        return None
    if not isinstance(head, dict):
        raise _fail(source, "[positions]", "missing (a map with [position_registers.*] needs count, base, stride)")
    if not isinstance(raw, dict) or not raw:
        raise _fail(source, "[position_registers]", "no position registers declared")
    unknown = set(head) - _POSITIONS_KEYS
    if unknown:
        raise _fail(source, f"[positions] {sorted(unknown)[0]}",
                    f"unknown key (allowed: {', '.join(sorted(_POSITIONS_KEYS))})")
    for key in sorted(_POSITIONS_KEYS):
        if key not in head:
            raise _fail(source, f"[positions] {key}", "missing")
    n = _int_key(source, "[positions] count", head["count"], 1, 0xFFFF)
    base = _int_key(source, "[positions] base", head["base"], 0, 0xFFFF)
    stride = _int_key(source, "[positions] stride", head["stride"], 1, 0xFFFF)
    if base + n * stride > 0x10000:
        raise _fail(source, "[positions] count", f"{n} records of {stride} registers from 0x{base:04X} "
                    "run past register 65535")
    regs = {q: _parse_register(source, q, e, section="position_registers", address_key="offset")
            for q, e in raw.items()}
    for reg in regs.values():
        if reg.end > stride:
            raise _fail(source, f"[position_registers.{reg.quantity}] offset",
                        f"runs past the stride ({reg.address} + {reg.count} registers > {stride})")
    for table in ("input", "holding"):
        in_table = sorted((r for r in regs.values() if r.table == table), key=lambda r: r.address)
        if not in_table:
            continue
        for a, b in itertools.pairwise(in_table):
            if b.address < a.end:
                raise _fail(source, f"[position_registers.{b.quantity}] offset", f"overlaps {a.quantity}")
        width = max(r.end for r in in_table) - in_table[0].address
        if width > max_read_count:
            raise _fail(source, "[position_registers]",
                        f"one position's {table} record ({width} registers) is longer than max_read_count")
        for reg in registers.values():
            if reg.table == table and reg.address < base + n * stride and reg.end > base:
                raise _fail(source, f"[registers.{reg.quantity}] address",
                            f"inside the repeated position range ({table} 0x{base:04X}.."
                            f"0x{base + n * stride - 1:04X})")
    return PositionBlock(n, base, stride, MappingProxyType(regs))


def _parse_enums(source: str, raw: object, registers: Mapping[str, Register],
                 positions: PositionBlock | None) -> Mapping[str, Mapping[int, str]]:
    """``[enums.<quantity>]``: integer codes (as TOML keys) of an integer register, unique labels."""
    if raw is None:
        return _EMPTY_ENUMS
    if not isinstance(raw, dict):
        raise _fail(source, "[enums]", "must hold [enums.<quantity>] tables")
    out: dict[str, Mapping[int, str]] = {}
    for quantity, table in raw.items():
        where = f"[enums.{quantity}]"
        reg = registers.get(quantity) or (positions.registers.get(quantity) if positions else None)
        if reg is None:
            raise _fail(source, where, "no register or position register of that name")
        if reg.type not in _INT_RANGES:
            raise _fail(source, where, f"codes need an integer register, {quantity} is {reg.type}")
        if not isinstance(table, dict) or not table:
            raise _fail(source, where, 'must list codes: 0 = "label"')
        lo, hi = _INT_RANGES[reg.type]
        codes: dict[int, str] = {}
        for key, label in table.items():
            try:
                code = int(key, 0)  # decimal, or hexadecimal such as 0x80
            except ValueError:
                raise _fail(source, f"{where} {key}", "codes are integers") from None
            if not lo <= code <= hi:
                raise _fail(source, f"{where} {key}", f"outside the range of a {reg.type} register")
            if code in codes:
                raise _fail(source, f"{where} {key}", f"code {code} listed twice")
            if not isinstance(label, str) or not label:
                raise _fail(source, f"{where} {key}", "label must be a non-empty string")
            if label in codes.values():
                raise _fail(source, f"{where} {key}", f"label {label!r} used twice")
            codes[code] = label
        out[quantity] = MappingProxyType(dict(sorted(codes.items())))
    return MappingProxyType(out)


def _current_kind(source: str, value: object) -> str:
    if value not in ("AC", "DC"):
        raise _fail(source, "[meter] current_kind", 'must be "AC" or "DC"')
    return str(value)


def shipped_maps() -> list[str]:
    """Names of the maps shipped in ``drivers/meters/maps`` (usable as ``load_map(name)``)."""
    pkg = resources.files("drivers.meters.maps")
    return sorted(p.name[:-5] for p in pkg.iterdir() if p.name.endswith(".toml"))


@lru_cache(maxsize=32)
def _load_shipped(name: str) -> RegisterMap:
    res = resources.files("drivers.meters.maps").joinpath(f"{name}.toml")
    return parse_map(res.read_text(encoding="utf-8"), f"drivers/meters/maps/{name}.toml", name)


def load_map(name_or_path: str | Path) -> RegisterMap:
    """Load a shipped map by name (``"eastron_sdm630"``) or any map file by path.

    Raises :class:`RegisterMapError` naming the file and the offending key.
    """
    text = str(name_or_path)
    if isinstance(name_or_path, Path) or text.endswith(".toml") or "/" in text or "\\" in text:
        path = Path(name_or_path)
        try:
            content = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise RegisterMapError(f"{path}: cannot read register map: {exc.strerror or exc}") from exc
        return parse_map(content, str(path))
    if text not in shipped_maps():
        raise RegisterMapError(
            f"no register map named {text!r}; shipped maps: {', '.join(shipped_maps())} "
            "(or give the path of a .toml file)"
        )
    return _load_shipped(text)
