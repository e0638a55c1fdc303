"""Validity dates from a regulation table's [period], as the controller prints them."""

from datetime import date

import pytest

from bench.controller import validity
from bench.station import StationError


def test_years_by_accuracy_class() -> None:
    # JJG 596 table: class 1 → 8 years; verified 2026-12-04 → valid to the day before 2034-12-04.
    assert validity(date(2026, 12, 4), {"years": {"1": 8, "0.5S": 6}}, "1") == date(2034, 12, 3)
    assert validity(date(2026, 12, 4), {"years": {"1": 8, "0.5S": 6}}, "0.5S") == date(2032, 12, 3)


def test_months_and_exclusive_end() -> None:
    # JJG 443: 6 months; 31 August + 6 months → 28 February (clamped), minus one day → 27 February.
    assert validity(date(2026, 8, 31), {"months": 6}, "0.3") == date(2027, 2, 27)
    assert validity(date(2026, 8, 31), {"months": 6, "inclusive_end": False}, "0.3") == date(2027, 2, 28)


def test_a_class_missing_from_the_table_is_named() -> None:
    with pytest.raises(StationError, match="'2'"):
        validity(date(2026, 12, 4), {"years": {"1": 8}}, "2")
