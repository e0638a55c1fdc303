"""MPE (and similar) lookup tables held as data (regulations.md: "numbers live in data tables").

A table is a list of rows, each a mapping of conditions plus the looked-up value (key ``"mpe"`` by
default), e.g. from a TOML array of tables::

    {"class": "1", "cos_phi": "1", "current_frac_min": 0.1, "current_frac_max": 1.2,
     "current_frac_max_inclusive": True, "mpe": 1.0}

Keys ``<name>_min`` / ``<name>_max`` bound the asked value ``<name>`` (min inclusive, max exclusive
unless ``<name>_max_inclusive`` is true); every other key must equal the asked value. Conditions the
row does not mention are ignored by that row. Numbers are compared as exact decimals.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import numpy as np

from .rounding import to_decimal

_MIN, _MAX, _INCLUSIVE = "_min", "_max", "_max_inclusive"


class MpeLookupError(KeyError):
    """No row (or more than one row) of an :class:`MpeTable` matches the asked conditions."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class MpeTable:
    """A lookup table of regulation values (MPE, rounding interval, …) keyed by conditions.

    The regulation modules declare their tables as data (e.g. JJG 596-2012 MPE by class, current and
    power factor, regulations.md §6) and cite the clause; this class holds no numbers of its own.
    """

    def __init__(self, rows: Iterable[Mapping[str, Any]], value_key: str = "mpe") -> None:
        self.value_key = value_key
        self.rows: tuple[dict[str, Any], ...] = tuple(dict(row) for row in rows)
        for number, row in enumerate(self.rows):
            self._validate(number, row)

    def _validate(self, number: int, row: dict[str, Any]) -> None:
        if self.value_key not in row:
            raise ValueError(f"row {number} of the table has no {self.value_key!r}: {row}")
        for key, flag in row.items():
            if key.endswith(_INCLUSIVE):
                name = key[: -len(_INCLUSIVE)]
                if not isinstance(flag, bool):
                    raise ValueError(f"row {number}: {key} must be true or false, got {flag!r}")
                if name + _MAX not in row:
                    raise ValueError(f"row {number}: {key} given without {name}{_MAX}")
            elif key.endswith(_MIN) and key[: -len(_MIN)] + _MAX in row:
                name = key[: -len(_MIN)]
                if _number(row[key]) > _number(row[name + _MAX]):
                    raise ValueError(f"row {number}: {name}{_MIN} > {name}{_MAX}")

    @property
    def condition_names(self) -> list[str]:
        """The condition names the rows use (range keys reduced to their base name), sorted."""
        names = set()
        for row in self.rows:
            for key in row:
                if key.endswith(_INCLUSIVE):
                    names.add(key[: -len(_INCLUSIVE)])
                elif key.endswith(_MIN) or key.endswith(_MAX):
                    names.add(key[: -len(_MIN)])
                elif key != self.value_key:
                    names.add(key)
        return sorted(names)

    def matches(self, row: Mapping[str, Any], conditions: Mapping[str, Any]) -> bool:
        """Whether ``row`` applies to the asked ``conditions`` (equality and range keys, see module doc)."""
        for key, expected in row.items():
            if key == self.value_key or key.endswith(_INCLUSIVE):
                continue
            if key.endswith(_MIN) or key.endswith(_MAX):
                name = key[: -len(_MIN)]  # "_min" and "_max" have the same length
                if name not in conditions:
                    return False
                asked, bound = _number(conditions[name]), _number(expected)
                if key.endswith(_MIN):
                    if asked < bound:
                        return False
                elif asked > bound or (asked == bound and not row.get(name + _INCLUSIVE, False)):
                    return False
            elif key not in conditions or not _equal(conditions[key], expected):
                return False
        return True

    def lookup(self, **conditions: Any) -> Any:
        """The value of the single row matching ``conditions``.

        Raises :class:`MpeLookupError` (a ``KeyError``) naming the asked conditions when no row or
        more than one row matches: an overlap is an error in the table's data.
        """
        found = [row for row in self.rows if self.matches(row, conditions)]
        if len(found) == 1:
            return found[0][self.value_key]
        asked = ", ".join(f"{key}={value!r}" for key, value in conditions.items()) or "no conditions"
        if not found:
            raise MpeLookupError(f"no {self.value_key} in the table for {asked} "
                                 f"(its rows are keyed by: {', '.join(self.condition_names)})")
        raise MpeLookupError(f"{len(found)} rows of the table match {asked}: {found}")

    def __len__(self) -> int:
        return len(self.rows)


def _number(value: Any) -> Decimal:
    number = to_decimal(value)
    if not number.is_finite():
        raise ValueError(f"range bounds and ranged conditions must be finite numbers, got {value!r}")
    return number


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal | np.integer | np.floating) and not isinstance(value, bool)


def _equal(asked: Any, expected: Any) -> bool:
    if _is_number(asked) and _is_number(expected):
        return to_decimal(asked) == to_decimal(expected)
    return bool(asked == expected)


__all__ = ["MpeLookupError", "MpeTable"]
