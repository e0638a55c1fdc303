"""Energy-meter durations against hand-worked values (regulations.md §6)."""

import numpy as np
import pytest

from procedures.metrology.energy_meter import (
    creep_test_minutes,
    register_error_pct,
    starting_current_a,
    starting_test_minutes,
)


def test_creep_duration_worked_example() -> None:
    # 600e6 / (1600 · 1 · 220 · 20) = 600e6 / 7.04e6 = 85.227 min  [R sec. zztongyun: 85 min]
    assert creep_test_minutes(1600, 1, 220, 20) == pytest.approx(85.227, abs=1e-3)
    # class 2 constant 480e6: 480e6 / 7.04e6 = 68.18 min
    assert creep_test_minutes(1600, 1, 220, 20, creep_constant=480e6) == pytest.approx(68.182, abs=1e-3)


def test_starting_current_and_time() -> None:
    # class 1 direct: 0.004 × 5 A = 0.02 A; t = 1.2 × 60000 / (1600 · 1 · 220 · 0.02) = 10.227 min
    iq = starting_current_a(5.0, 0.004)
    assert iq == pytest.approx(0.02)
    assert starting_test_minutes(1600, 1, 220, iq) == pytest.approx(10.227, abs=1e-3)


def test_vectorised_over_positions() -> None:
    out = creep_test_minutes(np.array([1600, 3200, 1000]), 1, 220, np.array([20, 60, 10]))
    assert out == pytest.approx([85.227, 14.205, 272.727], abs=1e-3)


def test_register_error_and_invalid_input() -> None:
    assert register_error_pct([1.002, np.nan], 1.0)[0] == pytest.approx(0.2)
    assert np.isnan(register_error_pct([1.002, np.nan], 1.0)[1])
    with pytest.raises(ValueError, match="Imax"):
        creep_test_minutes(1600, 1, 220, 0)
