"""Relative and pulse-comparison errors (regulations.md §0.1), hand-worked."""

import math
from typing import Any

import numpy as np
import pytest

from procedures.metrology import computed_pulses, format_rounded, pulse_comparison_error, relative_error


def test_relative_error_scalar_is_float_and_signed() -> None:
    assert isinstance(relative_error(101.0, 100.0), float)
    assert relative_error(101.0, 100.0) == pytest.approx(1.0)
    assert relative_error(99.5, 100.0) == pytest.approx(-0.5)


def test_relative_error_fuel_can_example_a_fails_by_rounded_value() -> None:
    # regulations.md §3 example A: V_B = 20 + (31 − 66)·0.002 = 19.930 L, stainless can at 24 °C
    v_bt = 19.930 * (1 + 50e-6 * (24 - 20))
    error = relative_error(20.00, v_bt)
    assert error == pytest.approx(0.33116, abs=1e-5)
    assert format_rounded(error, "0.01") == "+0.33"


def test_relative_error_fuel_can_example_b_passes() -> None:
    # regulations.md §3 example B (the forum's printed −0.05 % is wrong): V_Bt = 19.938 × 1.00135
    v_bt = 19.938 * (1 + 12e-4 * (24 - 23) + 50e-6 * (23 - 20))
    assert format_rounded(relative_error(20.00, v_bt), "0.01") == "+0.18"


def test_relative_error_vectorised_and_broadcast() -> None:
    result = relative_error(np.array([[101.0, 99.0], [100.0, 102.0]]), np.array([100.0, 100.0]))
    np.testing.assert_allclose(result, [[1.0, -1.0], [0.0, 2.0]])


def test_relative_error_rejects_zero_reference() -> None:
    with pytest.raises(ValueError, match="reference"):
        relative_error([1.0, 2.0], [1.0, 0.0])


def test_computed_pulses_hand_worked() -> None:
    assert computed_pulses(10, 1_000_000, 1000) == pytest.approx(10_000)
    assert computed_pulses(10, 1_000_000, 1000, k_i=20) == pytest.approx(500)
    assert computed_pulses(10, 1_000_000, 1000, k_i=20, k_u=100) == pytest.approx(5)


def test_pulse_comparison_fast_dut_is_positive() -> None:
    # C0 = 1e6 imp/kWh, C_L = 1000 imp/kWh, N = 10, m = 9980: m0 = 10000, γ = 20/9980 = +0.2004 %
    gamma = pulse_comparison_error(9980, 10, 1_000_000, 1000)
    assert isinstance(gamma, float)
    assert gamma == pytest.approx(0.200401, abs=1e-6)


def test_pulse_comparison_slow_dut_is_negative() -> None:
    assert pulse_comparison_error(10_020, 10, 1_000_000, 1000) == pytest.approx(-20 / 10_020 * 100)


def test_pulse_comparison_with_ct_ratio() -> None:
    # K_I = 20: m0 = 1e6·10/(1000·20) = 500; m = 499 → γ = 1/499 = +0.2004 %
    assert pulse_comparison_error(499, 10, 1_000_000, 1000, k_i=20) == pytest.approx(100 / 499)
    # forgetting K_I would make the same count look like a meter 20 times too slow
    assert pulse_comparison_error(499, 10, 1_000_000, 1000) == pytest.approx((10_000 - 499) / 499 * 100)


def test_pulse_comparison_with_vt_ratio() -> None:
    assert pulse_comparison_error(4.99, 10, 1_000_000, 1000, k_i=20, k_u=100) == pytest.approx(100 / 499)


def test_standard_error_is_added() -> None:
    # the standard reads high by 0.05 %: it counted too many pulses, so the raw γ is 0.05 % too low
    raw = pulse_comparison_error(9980, 10, 1_000_000, 1000)
    corrected = pulse_comparison_error(9980, 10, 1_000_000, 1000, std_error_pct=0.05)
    assert corrected == pytest.approx(raw + 0.05)
    # first-order agreement with the exact correction (true count = m/(1 + γ0))
    exact = (10_000 - 9980 / 1.0005) / (9980 / 1.0005) * 100
    assert corrected == pytest.approx(exact, abs=2e-4)


def test_pulse_comparison_24_positions_equals_loop() -> None:
    rng = np.random.default_rng(596)
    m = rng.uniform(9900, 10_100, size=24)
    n = np.full(24, 10.0)
    c_l = rng.choice([1000.0, 1200.0, 1600.0], size=24)
    gamma0 = rng.uniform(-0.02, 0.02, size=24)
    result = pulse_comparison_error(m, n, 1_000_000, c_l, std_error_pct=gamma0)
    assert isinstance(result, np.ndarray) and result.shape == (24,)
    expected = [pulse_comparison_error(m[i], n[i], 1_000_000, c_l[i], std_error_pct=gamma0[i]) for i in range(24)]
    np.testing.assert_allclose(result, expected, rtol=0, atol=1e-12)


def test_faulty_position_nan_does_not_spoil_others() -> None:
    result = pulse_comparison_error(np.array([9980.0, math.nan, 10_020.0]), 10, 1_000_000, 1000)
    assert math.isnan(result[1])
    assert result[0] == pytest.approx(20 / 9980 * 100)
    assert result[2] == pytest.approx(-20 / 10_020 * 100)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"std_pulses_m": 0}, "std_pulses_m"),
        ({"std_pulses_m": [9980, -1]}, "std_pulses_m"),
        ({"dut_pulses_n": 0}, "dut_pulses_n"),
        ({"std_constant_c0": -1}, "std_constant_c0"),
        ({"dut_constant_cl": 0}, "dut_constant_cl"),
        ({"k_i": 0}, "k_i"),
        ({"k_u": -2}, "k_u"),
    ],
)
def test_pulse_comparison_validates_inputs(kwargs: dict[str, Any], name: str) -> None:
    args = {"std_pulses_m": 9980, "dut_pulses_n": 10, "std_constant_c0": 1e6, "dut_constant_cl": 1000}
    args.update(kwargs)
    with pytest.raises(ValueError, match=name):
        pulse_comparison_error(**args)


def test_non_numeric_input_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="indicated"):
        relative_error("abc", 1.0)
