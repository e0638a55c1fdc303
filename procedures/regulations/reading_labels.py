"""What a raw reading is called in a technician's terms: label (Chinese, English beside), formula
symbol, unit and decimals, from the data table ``data/readings.toml``.

Procedures key their raw readings for resume and repeat (``q1:r2:p07:pulses``, ``s1:standard_end``,
``@2:gate_1``); the original record (原始记录) prints them as the regulation names them
(被检表脉冲数 N, imp). A reading key is taken apart by :func:`parse_key` into its *term* (what was
read: ``pulses``), the repetition (第 2 次), the bench position (表位 7) and the attempt (第 2 次测量
after a test condition not met); the term is then looked up in the regulation's section of the table,
then in ``[common]`` (by the key's term first, then the reading's ``quantity``). An unknown term
still prints, under its key, so nothing measured is ever hidden; the tests assert every reading of
every demo run has a label.

Values are scaled to the printed unit (``factor``: Wh → kWh is 0.001) and printed with the table's
``decimals`` — enough digits that the regulation's error can be recomputed from the print (the
tests do it for every demo).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from procedures.regulations.tables import load_table

__all__ = [
    "KeyParts",
    "ReadingLabels",
    "StepLabel",
    "Term",
    "labels_for",
    "parse_key",
    "position_of_reading",
    "regulation_id",
]

_REP = re.compile(r"^r(\d+)$")
_POS = re.compile(r"^p(\d+)$")
_SESSION = re.compile(r"^s(\d+)$")
_ATTEMPT_PREFIX = re.compile(r"^@(\d+)$")
_ATTEMPT_SUFFIX = re.compile(r"^(.*)@(\d+)$")
_INDEXED = re.compile(r"^(.*?)_(\d+)$")
_CHECK_POSITION = re.compile(r"^表位\s*(\d+)\b")


@dataclass(frozen=True)
class Term:
    """How one quantity prints: label (Chinese, English), formula symbol, unit, the factor from the
    stored unit to the printed one, decimals (None: as stored, shortest exact form) and, for a coded
    value, the word for each code (``values``: "1" → 符合)."""

    key: str
    zh: str
    en: str = ""
    symbol: str = ""
    unit: str = ""
    factor: float = 1.0
    decimals: int | None = None
    values: Mapping[str, str] = field(default_factory=dict)

    def format(self, value: float) -> str:
        """``value`` (in the stored unit) as printed: the coded word, or scaled and rounded."""
        if self.values:
            code = f"{value:g}"
            if code in self.values:
                return self.values[code]
        x = value * self.factor
        if self.decimals is None:
            return f"{x:.12g}"
        return f"{x:.{self.decimals}f}"


@dataclass(frozen=True)
class StepLabel:
    """How a step prints as a section heading: its name (Chinese, English) and whether its trailing
    number counts test points (工作误差 第 2 点)."""

    zh: str
    en: str = ""


@dataclass(frozen=True)
class KeyParts:
    """A reading key taken apart: the term read (its names joined by ":", "" when the key holds
    only indices, e.g. ``p07:r1``), the repetition (None: one reading), the bench
    position (None: bench-wide), the attempt (1 unless a test condition was not met) and the index
    the key carried (``gate_2`` → 2) when that is its repetition."""

    term: str
    repetition: int | None = None
    position: int | None = None
    attempt: int = 1


def parse_key(key: str) -> KeyParts:
    """Take a reading key apart (see the module docstring); ``check:`` keys keep their point text."""
    if key.startswith("check:"):
        m = _CHECK_POSITION.match(key[len("check:"):])
        return KeyParts("check", position=int(m.group(1)) if m else None)
    attempt = 1
    repetition: int | None = None
    position: int | None = None
    names: list[str] = []
    for raw in key.split(":"):
        token = raw
        if m := _ATTEMPT_PREFIX.match(token):
            attempt = int(m.group(1))
            continue
        if m := _ATTEMPT_SUFFIX.match(token):
            token, attempt = m.group(1), int(m.group(2))
        if m := _REP.match(token):
            repetition = int(m.group(1))
        elif m := _POS.match(token):
            position = int(m.group(1))
        elif _SESSION.match(token):
            continue
        elif token:
            names.append(token)
    return KeyParts(":".join(names), repetition, position, attempt)


def position_of_reading(reading: Mapping[str, Any]) -> int | None:
    """The bench position a reading belongs to (its key's ``pNN`` token, or a checklist point
    "表位 N …"); None for a bench-wide reading (standard, conditions, constants)."""
    return parse_key(str(reading.get("key") or "")).position


def regulation_id(code: str) -> str:
    """The table section of a regulation code: "JJG 1148-2022" → "jjg1148"."""
    return code.split("-")[0].replace(" ", "").lower()


class ReadingLabels:
    """The label table of one regulation (its section over ``[common]``)."""

    def __init__(self, regulation: str, table: Mapping[str, Any]) -> None:
        self.regulation = regulation
        chain = [table.get("common", {})]
        section = table.get(regulation, {})
        while section:  # a section may inherit another's (JJG 1149 reads as JJG 1148)
            chain.insert(1, section)
            section = table.get(str(section.get("inherit", "")), {})
        self._terms = {k: v for s in chain for k, v in s.get("terms", {}).items()}
        self._steps = {k: v for s in chain for k, v in s.get("steps", {}).items()}
        self.ignored_extras = frozenset(x for s in chain for x in s.get("ignore_extra", ()))
        self._units = {**table.get("units", {})}
        self._sources = {**table.get("sources", {})}

    def source(self, stored: str) -> str:
        """Who or what a reading came from, in words (operator → 人工读取); a device by its name."""
        return str(self._sources.get(stored, stored))

    def unit(self, stored: str) -> str:
        """The printed symbol of a stored unit (degC → °C, yuan → 元); unknown units as stored."""
        return str(self._units.get(stored, stored))

    def _term(self, name: str) -> Term | None:
        spec = self._terms.get(name)
        if spec is None:
            return None
        return Term(key=name, zh=str(spec["zh"]), en=str(spec.get("en", "")), symbol=str(spec.get("symbol", "")),
                    unit=str(spec.get("unit", "")), factor=float(spec.get("factor", 1.0)),
                    decimals=int(spec["decimals"]) if "decimals" in spec else None,
                    values={str(k): str(v) for k, v in spec.get("values", {}).items()})

    def reading(self, key: str, quantity: str = "") -> tuple[Term | None, KeyParts]:
        """The term of a reading (None: no label in the table) and its key's parts. An indexed term
        (``gate_2``) is looked up without its index, which becomes the repetition."""
        parts = parse_key(key)
        # the key's whole term, the reading's quantity (when it names one: an operator's entry
        # carries its key as quantity), then the key's last part
        named = quantity if quantity and quantity != key else ""
        for name in dict.fromkeys(x for x in (parts.term, named, parts.term.rsplit(":", 1)[-1]) if x):
            if term := self._term(name):
                return term, parts
            if (m := _INDEXED.match(name)) and (term := self._term(m.group(1))):
                return term, KeyParts(m.group(1), int(m.group(2)), parts.position, parts.attempt)
        return None, parts

    def extra(self, name: str) -> Term | None:
        """The term of an ``extra`` field of a reading (None: unknown or not printed)."""
        if name in self.ignored_extras:
            return None
        return self._term(name)

    def step(self, step_key: str) -> tuple[StepLabel | None, int | None]:
        """A step's section label and its point number (``working_error_2`` → 工作误差, 2)."""
        base, number = step_key, None
        spec = self._steps.get(step_key)
        if spec is None and (m := _INDEXED.match(step_key)):
            base, number = m.group(1), int(m.group(2))
            spec = self._steps.get(base)
        if spec is None:
            return None, None
        return StepLabel(zh=str(spec["zh"]), en=str(spec.get("en", ""))), number


@cache
def _table() -> dict[str, Any]:
    return load_table("readings")


def labels_for(regulation_code: str) -> ReadingLabels:
    """The label table for a regulation code ("JJG 162-2019") or id ("jjg162")."""
    return ReadingLabels(regulation_id(regulation_code), _table())
