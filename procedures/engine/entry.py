"""Validation of what an operator types: a number with an optional unit, converted to the unit the
prompt asked for, inside the permitted range. Wrong unit or out of range is refused with the
reason, in words a technician understands."""

from __future__ import annotations

import re

import pint

from procedures.units import Q_, ureg

_ALIASES = {"℃": "degC", "°c": "degC", "°C": "degC", "%RH": "percent", "%rh": "percent", "%": "percent",
            "RH": "percent", "元": "yuan", "度": "kWh"}


class EntryRejected(ValueError):
    """The entry was refused; ``reason`` says why (shown to the operator)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_LITRE = re.compile(r"(?<![A-Za-z])l(?![A-Za-z])")


def pretty_unit(unit: str) -> str:
    """A unit as a technician writes it (°C, kWh, %, L/min: the litre as "L", as on dispensers)."""
    if not unit:
        return ""
    try:
        text = f"{ureg.Unit(_ALIASES.get(unit, unit)):~P}".replace("percent", "%")
    except (pint.UndefinedUnitError, ValueError):
        return unit
    return _LITRE.sub("L", text)


def _unit(text: str) -> pint.Unit:
    t = text.strip()
    return ureg.parse_units(_ALIASES.get(t, t))


def parse_entry(text: str, unit: str, low: float | None = None, high: float | None = None) -> float:
    """Parse ``text`` ("23.5", "23.5 °C", "1.2 kWh") into a float in ``unit``; refuse with a reason
    when it is not a number, carries an incompatible unit, or lies outside [low, high]."""
    raw = text.strip().replace("，", ".").replace(",", ".")
    if not raw:
        raise EntryRejected("未输入数值 (no value entered)")
    number, _, rest = raw.partition(" ")
    if not rest:  # "23.5°C" or "23.5kWh": split where the number ends
        i = 0
        while i < len(raw) and (raw[i].isdigit() or raw[i] in "+-.eE"):
            i += 1
        number, rest = raw[:i], raw[i:]
    try:
        value = float(number)
    except ValueError:
        raise EntryRejected(f"“{text}” 不是数值 (not a number)") from None
    target = _unit(unit) if unit else ureg.dimensionless
    if rest.strip():
        try:
            given = _unit(rest)
        except (pint.UndefinedUnitError, ValueError, AttributeError):
            raise EntryRejected(
                f"无法识别的单位 “{rest.strip()}” (unknown unit); 请以 {pretty_unit(unit)} 输入"
            ) from None
        try:
            value = float(Q_(value, given).to(target).magnitude)
        except pint.DimensionalityError:
            raise EntryRejected(
                f"单位错误: “{rest.strip()}” 不能换算为 {pretty_unit(unit)} (wrong unit: expected {pretty_unit(unit)})"
            ) from None
    if (low is not None and value < low) or (high is not None and value > high):
        lo = "−∞" if low is None else f"{low:g}"
        hi = "+∞" if high is None else f"{high:g}"
        raise EntryRejected(
            f"{value:g} {pretty_unit(unit)} 超出允许范围 [{lo}, {hi}] {pretty_unit(unit)} (out of range)"
        )
    return value

