"""Instrument specifications (技术参数) per regulation, as data (``data/specs.toml``): which nameplate
values a kind of instrument has, how each is typed and printed, what its cover 型号/规格 line shows.

The values themselves live in the ledger's JSON column of technical parameters (the keys the
regulation modules read in ``from_instrument``); this module checks a typed-in value
(:func:`parse_value`, for the ledger import), names what is missing (:func:`missing`) and turns a
ledger row's parameters into the text a document prints (:func:`describe`), which the run freezes
into its record so an issued document never changes when the ledger does.
"""

from __future__ import annotations

import math
import re
import string
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from procedures.records import SpecLine
from procedures.regulations.tables import load_table

TYPES = ("number", "integer", "text", "choice")


@dataclass(frozen=True)
class SpecField:
    """One nameplate value of a kind: its params key, Chinese and English names, unit, type
    (number | integer | text | choice), whether the document needs it, and a choice's printed names."""

    key: str
    zh: str
    en: str
    unit: str = ""
    type: str = "number"
    required: bool = False
    choices: dict[str, str] = field(default_factory=dict)
    note: str = ""

    @property
    def label(self) -> str:
        """'zh/unit' as a header or a prompt shows it (额定电压/V; 最大流量 Qmax/(L/min))."""
        if not self.unit:
            return self.zh
        return f"{self.zh}/({self.unit})" if "/" in self.unit else f"{self.zh}/{self.unit}"


@dataclass(frozen=True)
class KindSpec:
    """The specification of one regulation's instruments: the regulation's own name for them
    (``instrument``, and ``noun`` for one of them in running text), the cover template and the fields
    and lines of the 技术参数 row."""

    table: str
    instrument: str
    noun: str
    cover: str
    fields: tuple[SpecField, ...]
    lines: tuple[tuple[str, str, str], ...]  # (zh, en, format); () = one line per field
    colloquial: tuple[str, ...] = ()  # ledger names printed as ``instrument`` instead


@cache
def _data() -> dict[str, Any]:
    return load_table("specs")


def kind_spec(table: str) -> KindSpec | None:
    """The specification of ``table``'s instruments (jjg1148 …), None for a table without one."""
    sec = _data().get(table)
    if not isinstance(sec, dict) or "fields" not in sec:
        return None
    fields = tuple(SpecField(key=f["key"], zh=f["zh"], en=f["en"], unit=f.get("unit", ""), type=f.get("type", "number"),
                             required=bool(f.get("required", False)), choices=dict(f.get("choices", {})),
                             note=f.get("note", "")) for f in sec["fields"])
    for f in fields:
        if f.type not in TYPES:
            raise ValueError(f"specs.toml [{table}] {f.key}: type {f.type!r} not one of {TYPES}")
    lines = tuple((ln["zh"], ln["en"], ln["format"]) for ln in sec.get("lines", ()))
    return KindSpec(table=table, instrument=sec.get("instrument", ""), noun=sec.get("noun", ""),
                    cover=sec.get("cover", ""), fields=fields, lines=lines,
                    colloquial=tuple(sec.get("colloquial", ())))


def instrument_name(table: str, ledger_name: str) -> str:
    """The 计量器具名称 a document prints: the ledger's name, unless it is a colloquial name the kind
    lists (a DC charger entered as 直流充电桩 is printed 电动汽车非车载充电机, JJG 1149-2022's name)."""
    spec = kind_spec(table)
    if spec is not None and spec.instrument and ledger_name.strip() in spec.colloquial:
        return spec.instrument
    return ledger_name


def kinds() -> dict[str, KindSpec]:
    """Every table's specification, table → spec, in file order."""
    return {name: spec for name in _data() if (spec := kind_spec(name)) is not None}


def ledger_fields() -> tuple[tuple[SpecField, tuple[str, ...]], ...]:
    """One field per key over every kind (the ledger template's spec columns), with the tables
    that use it; a key shared under different names takes its header from ``[ledger_headers]``."""
    headers = _data().get("ledger_headers", {})
    out: dict[str, tuple[SpecField, list[str]]] = {}
    for table, spec in kinds().items():
        for f in spec.fields:
            if f.key in out:
                out[f.key][1].append(table)
                continue
            if f.key in headers:
                zh, en = headers[f.key]
                f = SpecField(key=f.key, zh=zh, en=en, unit="", type=f.type, choices=f.choices, note=f.note)
            out[f.key] = (f, [table])
    return tuple((f, tuple(tables)) for f, tables in out.values())


def field_of(table: str, key: str) -> SpecField | None:
    """``table``'s field ``key``, None when the kind has no such field."""
    spec = kind_spec(table)
    return next((f for f in spec.fields if f.key == key), None) if spec else None


def _number_text(text: str, unit: str) -> str:
    """A typed number without its unit (“220 V”, “2.5m³/h”) and thousands blanks."""
    t = text.strip().replace("，", ",").replace(" ", "")
    if unit and t.endswith(unit.replace(" ", "")):
        t = t[: -len(unit.replace(" ", ""))]
    return t


def parse_value(f: SpecField, value: Any) -> Any:
    """A typed-in or stored value as the ledger keeps it: a float (number), an int (integer), text,
    or a choice's key (its key or its Chinese name accepted). ValueError, Chinese first, otherwise."""
    if f.type == "text":
        text = str(value).strip()
        if not text:
            raise ValueError(f"{f.zh} 不能为空 ({f.en} is empty)")
        return text
    if f.type == "choice":
        text = str(value).strip()
        for key, zh in f.choices.items():
            if text in (key, zh):
                return key
        allowed = "、".join(f"{zh} ({key})" for key, zh in f.choices.items())
        raise ValueError(f"“{text}” 不是允许的{f.zh} (not an allowed {f.en}; allowed: {allowed})")
    if isinstance(value, bool):
        raise ValueError(f"{f.zh} 应为数值 ({f.en} must be a number)")
    if isinstance(value, int | float):
        number = float(value)
    else:
        try:
            number = float(_number_text(str(value), f.unit))
        except ValueError:
            raise ValueError(f"“{value}” 不是数值 ({f.en} must be a number{', in ' + f.unit if f.unit else ''})") from None
    if not math.isfinite(number) or number <= 0:
        raise ValueError(f"{f.zh} 应为正数，而非 {value} ({f.en} must be positive)")
    if f.type == "integer":
        if not number.is_integer():
            raise ValueError(f"{f.zh} 应为整数，而非 {value} ({f.en} must be a whole number)")
        return int(number)
    return number


def format_value(f: SpecField, value: Any) -> str:
    """A stored value as a document prints it (no unit): 220, 2.5, 汽油."""
    if f.type == "choice":
        return f.choices.get(str(value), str(value))
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return f"{value:g}" if abs(value) < 1e6 else f"{value:.0f}"
    return str(value)


def missing(table: str, params: dict[str, Any]) -> tuple[SpecField, ...]:
    """The required fields of ``table``'s kind that ``params`` does not give."""
    spec = kind_spec(table)
    if spec is None:
        return ()
    return tuple(f for f in spec.fields if f.required and params.get(f.key) in (None, ""))


def _fill(template: str, printed: dict[str, str]) -> str | None:
    """``template`` with each {key} replaced by its printed value; None when a key has none."""
    keys = [name for _, name, _, _ in string.Formatter().parse(template) if name]
    if any(k not in printed for k in keys):
        return None
    return re.sub(r"\{(\w+)\}", lambda m: printed[m.group(1)], template)


def describe(table: str, params: dict[str, Any]) -> tuple[str, tuple[SpecLine, ...]]:
    """What a document prints of an instrument's specification: the text after the model on the
    cover's 型号/规格 line ("" when a value it names is missing) and the 技术参数 row's entries (an
    entry whose value is missing is left out; the ledger import warns of it)."""
    spec = kind_spec(table)
    if spec is None:
        return "", ()
    printed = {f.key: format_value(f, params[f.key]) for f in spec.fields if params.get(f.key) not in (None, "")}
    cover = _fill(spec.cover, printed) or ""
    entries: list[SpecLine] = []
    if spec.lines:
        for zh, en, template in spec.lines:
            text = _fill(template, printed)
            if text is not None:
                entries.append(SpecLine(zh=zh, en=en, text=text))
    else:
        for f in spec.fields:
            if f.key in printed:
                entries.append(SpecLine(zh=f.zh, en=f.en, text=f"{printed[f.key]} {f.unit}".strip()))
    return cover, tuple(entries)
