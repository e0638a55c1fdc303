"""Operator entry validation: units converted, wrong unit and out-of-range refused with a reason."""

import pytest

from procedures.engine.entry import EntryRejected, parse_entry


@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [("23.5", "degC", 23.5), ("23.5 °C", "degC", 23.5), ("23.5℃", "degC", 23.5), ("296.65 K", "degC", 23.5),
     ("1.2 kWh", "Wh", 1200.0), ("1200 Wh", "kWh", 1.2), ("55 %", "percent", 55.0), ("55", "percent", 55.0),
     ("12,5", "degC", 12.5)],
)
def test_accepted_entries_are_converted(text: str, unit: str, expected: float) -> None:
    assert parse_entry(text, unit, -40, 2000) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "unit", "reason"),
    [("23.5 V", "degC", "单位错误"), ("abc", "degC", "不是数值"), ("", "degC", "未输入"),
     ("3 furlongs per fortnight squared", "degC", "单位"), ("99", "degC", "超出允许范围"), ("-41 °C", "degC", "超出允许范围")],
)
def test_refused_entries_say_why(text: str, unit: str, reason: str) -> None:
    with pytest.raises(EntryRejected) as e:
        parse_entry(text, unit, -40, 60)
    assert reason in e.value.reason


def test_range_limits_are_inclusive() -> None:
    assert parse_entry("60", "degC", -40, 60) == 60
    assert parse_entry("-40", "degC", -40, 60) == -40
