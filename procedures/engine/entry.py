"""Validation of what an operator types: a number with an optional unit, converted to the unit the
prompt asked for, inside the permitted range. Wrong unit or out of range is refused with the
reason, in words a technician understands."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pint

from procedures.engine.text import Text, bilingual
from procedures.units import Q_, ureg

_ALIASES = {"℃": "degC", "°c": "degC", "°C": "degC", "%RH": "percent", "%rh": "percent", "%": "percent",
            "RH": "percent", "元": "yuan", "度": "kWh"}


class EntryRejected(ValueError):
    """The entry was refused; ``reason`` says why (shown to the operator, in both languages)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = bilingual(reason)


def _refused(zh: str, en: str) -> EntryRejected:
    """A refusal in both languages; its console form is Chinese first, English after."""
    return EntryRejected(Text(zh, en))


_LITRE = re.compile(r"(?<![A-Za-z])l(?![A-Za-z])")
_HMS = re.compile(r"^(\d+):(\d{1,2})(?::(\d{1,2}))?$")  # a duration as a display shows it: h:mm:ss or mm:ss


def pretty_unit(unit: str) -> str:
    """A unit as a technician writes it (°C, kWh, %, L/min: the litre as "L", as on dispensers)."""
    if not unit:
        return ""
    if unit == TIME_OF_DAY:
        return "时:分:秒 (hh:mm:ss)"
    try:
        text = f"{ureg.Unit(_ALIASES.get(unit, unit)):~P}".replace("percent", "%")
    except (pint.UndefinedUnitError, ValueError):
        return unit
    return _LITRE.sub("L", text)


def _unit(text: str) -> pint.Unit:
    t = text.strip()
    return ureg.parse_units(_ALIASES.get(t, t))


def parse_entry(text: str, unit: str, low: float | None = None, high: float | None = None) -> float:
    """Parse ``text`` ("23.5", "23.5 °C", "1.2 kWh", or for a duration "0:05:12") into a float in
    ``unit``; refuse with a reason when it is not a number, carries an incompatible unit, or lies
    outside [low, high]."""
    raw = text.strip().replace("，", ".").replace(",", ".")
    if not raw:
        raise _refused("未输入数值", "no value entered")
    clock = _HMS.match(raw.replace("：", ":"))
    if clock is not None and unit and _unit(unit).dimensionality == ureg.second.dimensionality:
        h, m, sec = (int(g) if g else 0 for g in clock.groups())
        if clock.group(3) is None:  # "mm:ss"
            h, m, sec = 0, h, m
        if m > 59 or sec > 59:
            raise EntryRejected(Text(f"“{text}” 不是有效时长", f"“{text}” is not a valid duration (h:mm:ss)",
                                     console=f"“{text}” 不是有效时长 (not a valid duration: h:mm:ss)"))
        raw = f"{h * 3600 + m * 60 + sec} s"
    number, _, rest = raw.partition(" ")
    if not rest:  # "23.5°C" or "23.5kWh": split where the number ends
        i = 0
        while i < len(raw) and (raw[i].isdigit() or raw[i] in "+-.eE"):
            i += 1
        number, rest = raw[:i], raw[i:]
    try:
        value = float(number)
    except ValueError:
        raise EntryRejected(Text(f"“{text}” 不是数值", f"“{text}” is not a number",
                                 console=f"“{text}” 不是数值 (not a number)")) from None
    target = _unit(unit) if unit else ureg.dimensionless
    if rest.strip():
        try:
            given = _unit(rest)
        except (pint.UndefinedUnitError, ValueError, AttributeError):
            raise EntryRejected(Text(
                f"无法识别的单位 “{rest.strip()}”；请以 {pretty_unit(unit)} 输入",
                f"unknown unit “{rest.strip()}”; enter in {pretty_unit(unit)}",
                console=f"无法识别的单位 “{rest.strip()}” (unknown unit); 请以 {pretty_unit(unit)} 输入")) from None
        try:
            value = float(Q_(value, given).to(target).magnitude)
        except pint.DimensionalityError:
            raise EntryRejected(Text(
                f"单位错误: “{rest.strip()}” 不能换算为 {pretty_unit(unit)}",
                f"wrong unit: “{rest.strip()}” cannot be converted to {pretty_unit(unit)}",
                console=f"单位错误: “{rest.strip()}” 不能换算为 {pretty_unit(unit)} (wrong unit: expected "
                        f"{pretty_unit(unit)})")) from None
    if (low is not None and value < low) or (high is not None and value > high):
        lo = "−∞" if low is None else f"{low:g}"
        hi = "+∞" if high is None else f"{high:g}"
        raise EntryRejected(Text(
            f"{value:g} {pretty_unit(unit)} 超出允许范围 [{lo}, {hi}] {pretty_unit(unit)}",
            f"{value:g} {pretty_unit(unit)} is out of the permitted range [{lo}, {hi}] {pretty_unit(unit)}",
            console=f"{value:g} {pretty_unit(unit)} 超出允许范围 [{lo}, {hi}] {pretty_unit(unit)} (out of range)"))
    return value



TIME_OF_DAY = "time"
"""The unit of an entry that is a time of day as a display shows it ("10:31:24")."""

_TIME = re.compile(r"^\s*(?:(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})[ T]+)?(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?\s*$")


def parse_time_of_day(text: str, near: datetime) -> datetime:
    """The instant a display showing ``text`` ("10:31:24", "10:31", or "2026-12-07 10:31:24")
    means, in the time zone of ``near``: a time alone is taken on the day that puts it nearest to
    ``near`` (within ±12 h, so 23:59:58 read at 00:00:05 is yesterday's). Refused with the reason
    when it is not a time."""
    m = _TIME.match(text.replace("：", ":"))
    if m is None:
        raise EntryRejected(Text(f"“{text}” 不是时间，请按 时:分:秒 输入", f"“{text}” is not a time: enter HH:MM:SS",
                                 console=f"“{text}” 不是时间，请按 时:分:秒 输入 (not a time: enter HH:MM:SS)"))
    y, mo, d, hh, mm, ss = (int(g) if g else None for g in m.groups())
    assert hh is not None and mm is not None
    if hh > 23 or mm > 59 or (ss or 0) > 59:
        raise EntryRejected(Text(f"“{text}” 不是有效时间", f"“{text}” is not a valid time of day",
                                 console=f"“{text}” 不是有效时间 (not a valid time of day)"))
    try:
        if y is not None:
            assert mo is not None and d is not None
            return near.replace(year=y, month=mo, day=d, hour=hh, minute=mm, second=ss or 0, microsecond=0)
        base = near.replace(hour=hh, minute=mm, second=ss or 0, microsecond=0)
    except ValueError:
        raise EntryRejected(Text(f"“{text}” 不是有效日期", f"“{text}” is not a valid date",
                                 console=f"“{text}” 不是有效日期 (not a valid date)")) from None
    candidates = (base - timedelta(days=1), base, base + timedelta(days=1))
    return min(candidates, key=lambda c: abs((c - near).total_seconds()))
