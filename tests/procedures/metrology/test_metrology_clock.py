"""Clock errors (regulations.md §6, §10)."""

from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest

from procedures.metrology import clock_offset_s, daily_clock_error_s_per_day, format_rounded


def test_fast_clock_is_positive() -> None:
    assert daily_clock_error_s_per_day(1 + 1 / 86400, 1.0) == pytest.approx(1.0)
    assert daily_clock_error_s_per_day(1 - 0.5 / 86400, 1.0) == pytest.approx(-0.5)


def test_rounded_to_hundredths_of_a_second_per_day() -> None:
    # 1 Hz output 2.0e-6 fast: 0.1728 s/d → +0.17 s/d
    error = daily_clock_error_s_per_day(1.000002, 1.0)
    assert format_rounded(error, "0.01") == "+0.17"


def test_vectorised_over_positions() -> None:
    result = daily_clock_error_s_per_day(np.array([1.0, 1.000001, 0.999999]), 1.0)
    np.testing.assert_allclose(result, [0.0, 0.0864, -0.0864], atol=1e-9)


def test_nominal_must_be_positive() -> None:
    with pytest.raises(ValueError, match="nominal_hz"):
        daily_clock_error_s_per_day(1.0, 0.0)


def test_offset_positive_when_device_ahead() -> None:
    reference = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
    assert clock_offset_s(reference + timedelta(seconds=2.5), reference) == 2.5
    assert clock_offset_s(reference - timedelta(seconds=61), reference) == -61.0


def test_offset_across_time_zones() -> None:
    reference = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
    device = datetime(2024, 5, 1, 20, 0, 3, tzinfo=timezone(timedelta(hours=8)))
    assert clock_offset_s(device, reference) == 3.0


def test_offset_rejects_naive_against_aware() -> None:
    with pytest.raises(ValueError, match="timezone"):
        clock_offset_s(datetime(2024, 5, 1, 12), datetime(2024, 5, 1, 12, tzinfo=UTC))
