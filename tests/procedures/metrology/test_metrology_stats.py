"""Means, sample standard deviation and range repeatability (regulations.md §0.4)."""

import math

import numpy as np
import pytest

from procedures.metrology import format_rounded, mean, repeatability_range, sample_std


def test_mean_of_three_runs_example_c() -> None:
    # regulations.md §3 example C: +0.050, +0.090, +0.022 → mean +0.054 → +0.05 %
    result = mean([0.050, 0.090, 0.022])
    assert isinstance(result, float)
    assert result == pytest.approx(0.054)
    assert format_rounded(result, "0.01") == "+0.05"


def test_sample_std_uses_n_minus_one() -> None:
    assert sample_std([1.0, 2.0, 3.0, 4.0, 5.0]) == pytest.approx(math.sqrt(2.5))


def test_repeatability_range_fuel_dispenser() -> None:
    # regulations.md §3 example B: runs +0.10 … −0.10 → E_n = 0.20/1.69 = 0.118 % > 0.10 %
    result = repeatability_range([0.10, 0.00, -0.10], d_n=1.69)
    assert result == pytest.approx(0.20 / 1.69)
    assert format_rounded(result, "0.01", signed=False) == "0.12"


def test_rows_are_positions_and_independent() -> None:
    readings = np.array([[0.1, 0.2, 0.3], [math.nan, 0.2, 0.1], [-0.3, -0.1, -0.2]])
    means = mean(readings)
    stds = sample_std(readings)
    ranges = repeatability_range(readings, 1.69)
    for result in (means, stds, ranges):
        assert isinstance(result, np.ndarray) and result.shape == (3,)
        assert math.isnan(result[1])
    np.testing.assert_allclose(means[[0, 2]], [0.2, -0.2])
    np.testing.assert_allclose(stds[[0, 2]], [0.1, 0.1])
    np.testing.assert_allclose(ranges[[0, 2]], [0.2 / 1.69, 0.2 / 1.69])


def test_axis_argument() -> None:
    readings = np.array([[1.0, 10.0], [3.0, 30.0]])
    np.testing.assert_allclose(mean(readings, axis=0), [2.0, 20.0])
    np.testing.assert_allclose(sample_std(readings, axis=0), [math.sqrt(2), math.sqrt(200)])


def test_sample_std_needs_two_readings() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        sample_std([0.1])
    with pytest.raises(ValueError, match="at least 2"):
        sample_std(np.zeros((4, 1)))


def test_mean_rejects_empty_and_scalar() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        mean([])
    with pytest.raises(ValueError, match="scalar"):
        mean(0.5)


def test_repeatability_range_validates() -> None:
    with pytest.raises(ValueError, match="d_n"):
        repeatability_range([0.1, 0.2, 0.3], d_n=0)
    with pytest.raises(ValueError, match="at least 2"):
        repeatability_range([0.1], d_n=1.69)
