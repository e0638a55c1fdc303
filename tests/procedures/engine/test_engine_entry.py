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


def test_time_of_day_nearest_the_instant_and_refusals() -> None:
    from datetime import UTC, datetime

    from procedures.engine.entry import parse_time_of_day

    mark = datetime(2026, 12, 7, 0, 0, 5, tzinfo=UTC)
    assert parse_time_of_day("00:00:45", mark) == datetime(2026, 12, 7, 0, 0, 45, tzinfo=UTC)
    assert parse_time_of_day("23:59:58", mark) == datetime(2026, 12, 6, 23, 59, 58, tzinfo=UTC)  # yesterday
    assert parse_time_of_day("2026-12-01 10:00:00", mark) == datetime(2026, 12, 1, 10, tzinfo=UTC)
    assert parse_time_of_day("0：01", mark) == datetime(2026, 12, 7, 0, 1, tzinfo=UTC)
    for bad in ("abc", "25:00:00", "10:61", "2026-02-30 10:00:00"):
        with pytest.raises(EntryRejected):
            parse_time_of_day(bad, mark)


def test_duration_as_a_display_shows_it() -> None:
    assert parse_entry("0:05:12", "s") == 312.0 and parse_entry("05:12", "s") == 312.0
    assert parse_entry("1:00:00", "min") == 60.0
    with pytest.raises(EntryRejected):
        parse_entry("0:75:00", "s")
    with pytest.raises(EntryRejected):
        parse_entry("5:12", "kWh")  # not a duration
