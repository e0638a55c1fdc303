"""GB/T 8170 half-even rounding to an interval, through decimal (regulations.md §0.2)."""

import math
from decimal import Decimal

import numpy as np
import pytest

from procedures.metrology import decimals_of, format_rounded, round_array, round_to_interval, to_decimal


@pytest.mark.parametrize(
    ("value", "expected"),
    [(-0.1705, "-0.2"), (0.2228, "+0.2"), (0.0389, "0.0")],
)
def test_state_grid_first_verification_data(value: float, expected: str) -> None:
    assert format_rounded(value, 0.2) == expected


@pytest.mark.parametrize(
    ("value", "interval", "expected"),
    [
        (0.3, 0.2, Decimal("0.4")),  # 1.5 → 2
        (0.1, 0.2, Decimal("0.0")),  # 0.5 → 0
        (0.5, 0.2, Decimal("0.4")),  # 2.5 → 2
        (0.7, 0.2, Decimal("0.8")),  # 3.5 → 4
        (-0.3, 0.2, Decimal("-0.4")),
        (-0.5, 0.2, Decimal("-0.4")),
        (0.125, 0.05, Decimal("0.10")),  # 2.5 → 2
        (0.175, 0.05, Decimal("0.20")),  # 3.5 → 4; the float is 0.17499999…
        (0.05, 0.1, Decimal("0.0")),  # 0.5 → 0
        (0.15, 0.1, Decimal("0.2")),  # 1.5 → 2; the float is 0.14999999…
        (0.25, 0.1, Decimal("0.2")),
        (0.35, 0.1, Decimal("0.4")),
        (0.003, 0.002, Decimal("0.004")),  # 1.5 → 2
        (0.005, 0.002, Decimal("0.004")),  # 2.5 → 2
        (2.5, 1, Decimal("2")),
        (3.5, 1, Decimal("4")),
        (0.75, 0.5, Decimal("1.0")),  # 1.5 → 2
        (1.25, 0.5, Decimal("1.0")),  # 2.5 → 2
    ],
)
def test_half_even_on_the_quotient(value: float, interval: float, expected: Decimal) -> None:
    result = round_to_interval(value, interval)
    assert result == expected
    assert result.as_tuple().exponent == expected.as_tuple().exponent


def test_values_away_from_half_round_to_nearest() -> None:
    assert round_to_interval(0.29, 0.2) == Decimal("0.2")
    assert round_to_interval(0.31, 0.2) == Decimal("0.4")
    assert round_to_interval(-0.31, 0.2) == Decimal("-0.4")


def test_exact_halves_over_a_range_go_to_even_multiples() -> None:
    for k in range(-60, 60):
        value = (Decimal(k) + Decimal("0.5")) * Decimal("0.05")
        expected_multiple = k if k % 2 == 0 else k + 1
        assert round_to_interval(str(value), "0.05") == Decimal(expected_multiple) * Decimal("0.05")


@pytest.mark.parametrize("value", [-0.1, -0.0389, -0.0, 0.0, -1e-12, "-0.1", Decimal("-0.05")])
def test_zero_is_never_signed(value: float | str | Decimal) -> None:
    result = round_to_interval(value, 0.2)
    assert not result.is_signed()
    assert str(result) == "0.0"
    assert format_rounded(value, 0.2) == "0.0"
    assert format_rounded(value, 0.2, signed=False) == "0.0"


def test_fuel_dispenser_hundredths() -> None:
    assert format_rounded(0.054, 0.01) == "+0.05"
    assert format_rounded(-0.055, 0.01) == "-0.06"  # 5.5 → 6
    assert format_rounded(0.045, "0.01") == "+0.04"  # 4.5 → 4


@pytest.mark.parametrize(
    ("interval", "value", "expected"),
    [
        (0.2, 1.23, "+1.2"),
        (0.05, 1.23, "+1.25"),
        (0.01, 1.234, "+1.23"),
        (0.002, 1.2345, "+1.234"),
        (1, 12.6, "+13"),
        (0.5, -1.3, "-1.5"),
    ],
)
def test_printed_decimals_follow_the_interval(interval: float, value: float, expected: str) -> None:
    assert format_rounded(value, interval) == expected


def test_unsigned_format() -> None:
    assert format_rounded(0.2228, 0.2, signed=False) == "0.2"
    assert format_rounded(-0.1705, 0.2, signed=False) == "-0.2"


def test_interval_as_str_decimal_float_agree() -> None:
    for interval in (0.2, "0.2", Decimal("0.2"), "0.20"):
        assert format_rounded(0.3, interval) == "+0.4"
    assert decimals_of("0.20") == decimals_of(0.2) == 1
    assert [decimals_of(q) for q in (0.05, 0.01, 0.002, 1, 0.5, 10)] == [2, 2, 3, 0, 1, 0]


def test_large_values() -> None:
    assert round_to_interval("12345678901234567890.25", "0.5") == Decimal("12345678901234567890.0")
    assert round_to_interval("12345678901234567890.75", "0.5") == Decimal("12345678901234567891.0")
    assert format_rounded(123456.789, 0.01) == "+123456.79"
    assert format_rounded(1e6 + 0.3, 0.2) == "+1000000.4"
    assert format_rounded(1234.0, 10) == "+1230"
    assert format_rounded(1235.0, 10) == "+1240"  # 123.5 → 124


def test_float_goes_through_repr() -> None:
    assert to_decimal(0.175) == Decimal("0.175")
    assert to_decimal(np.float64(0.1)) == Decimal("0.1")
    assert to_decimal(7) == Decimal(7)
    assert to_decimal(" 0.25 ") == Decimal("0.25")


@pytest.mark.parametrize("interval", [0, -0.2, "nan", math.inf])
def test_invalid_interval(interval: float | str) -> None:
    with pytest.raises(ValueError, match="interval"):
        round_to_interval(0.3, interval)


@pytest.mark.parametrize("value", [math.nan, math.inf, "NaN"])
def test_non_finite_value(value: float | str) -> None:
    with pytest.raises(ValueError, match="non-finite"):
        round_to_interval(value, 0.2)


def test_bad_types() -> None:
    with pytest.raises(ValueError, match="not a decimal"):
        to_decimal("0,2")
    with pytest.raises(TypeError):
        to_decimal(True)
    with pytest.raises(TypeError):
        to_decimal([0.2])


def test_round_array_keeps_shape_and_skips_faulty_positions() -> None:
    values = np.array([[0.3, -0.1705], [math.nan, 0.5]])
    result = round_array(values, "0.2")
    assert result.shape == (2, 2) and result.dtype == object
    assert result[0, 0] == Decimal("0.4") and result[0, 1] == Decimal("-0.2")
    assert result[1, 0] is None
    assert result[1, 1] == Decimal("0.4")
    assert list(round_array(["0.125", None, Decimal("0.175")], 0.05)) == [Decimal("0.10"), None, Decimal("0.20")]
