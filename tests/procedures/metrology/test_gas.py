"""Diaphragm gas meters (JJG 577-2012, regulations.md §5): p/T correction of the standard's volume,
the omission rule at its thresholds, errors over positions, flow zones, laboratory conditions, test
volumes and the MID same-sign rule — every number worked by hand.

Hand calculation A (the brief's example): bell V_s = 100 L at p_s = 101.5 kPa, t_s = 21.0 °C; meters
at p_m = 102.0 kPa, t_m = 20.5 °C.
  p_s/p_m = 101.5/102.0 = 0.99509804;  T_m/T_s = 293.65/294.15 = 0.99830019
  V_ref = 100 × 0.99509804 × 0.99830019 = 99.3407 L (99.340656)
  a meter showing V_m = 100.0 L: E = (100 − 99.340656)/99.340656 = 0.659344/99.340656 = +0.6637 %.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from procedures.metrology.bench import judge_positions
from procedures.metrology.gas import (
    check_conditions,
    corrected_reference,
    correction_needed,
    flow_rates,
    gas_errors,
    lab_temperature_limits,
    minimum_test_volume,
    out_of_range,
    reference_volume,
    same_sign_verdicts,
    zone_mpe,
)
from procedures.regulations.tables import load_table

TABLE = load_table("jjg577")
IE = TABLE["items"]["indication_error"]
COND = TABLE["items"]["test_conditions"]


def test_reference_volume_hand_worked() -> None:
    v = reference_volume(100.0, 101.5, 21.0, 102.0, 20.5)
    assert isinstance(v, float)
    assert round(v, 4) == 99.3407
    assert v == pytest.approx(99.340656, abs=1e-6)
    assert float(gas_errors(100.0, v)) == pytest.approx(0.6637, abs=1e-4)


def test_reference_volume_identity_and_direction() -> None:
    # Same conditions: no change. Standard at higher pressure than the meters: the gas expands on
    # its way to the meters, so they see more volume (101.5/100.0 → ×1.015).
    assert reference_volume(50.0, 101.3, 20.0, 101.3, 20.0) == pytest.approx(50.0, rel=1e-15)
    assert reference_volume(100.0, 101.5, 20.0, 100.0, 20.0) == pytest.approx(101.5, rel=1e-12)
    # Warmer meters than the bell: 303.15/293.15 = 1.0341122 → 103.41122 L.
    assert reference_volume(100.0, 100.0, 20.0, 100.0, 30.0) == pytest.approx(103.41122, abs=1e-5)
    with pytest.raises(ValueError, match="absolute"):
        reference_volume(100.0, -1.0, 20.0, 100.0, 20.0)
    with pytest.raises(ValueError, match="v_s"):
        reference_volume(0.0, 100.0, 20.0, 100.0, 20.0)


def test_omission_rule_at_the_thresholds() -> None:
    dt, dp = float(IE["correction_max_dt_c"]), float(IE["correction_max_pressure_pct"])
    assert (dt, dp) == (0.5, 0.2)
    # Exactly 0.5 °C apart (20.5 − 20.0, a float difference) and p_s/p_m − 1 = 100.2/100 − 1 = 0.2 %:
    # both at the limit → the correction may be omitted.
    assert correction_needed(100.2, 20.5, 100.0, 20.0, dt, dp) is False
    assert correction_needed(100.0, 20.0, 100.2, 20.5, dt, dp) is False  # the other side (−0.1996 %)
    assert correction_needed(100.0, 20.6, 100.0, 20.0, dt, dp) is True   # 0.6 °C
    assert correction_needed(100.21, 20.0, 100.0, 20.0, dt, dp) is True  # 0.21 %
    # Vectorised: one standard, three positions.
    needed = correction_needed(100.0, 20.0, np.array([100.0, 100.0, 99.7]), np.array([20.4, 20.51, 20.0]), dt, dp)
    assert needed.tolist() == [False, True, True]  # 99.7: 100/99.7 − 1 = 0.3009 %


def test_corrected_reference_modes() -> None:
    # 100.2 kPa vs 100.0 kPa, 20.5 vs 20.0 °C: corrected = 100 × 1.002 × 293.15/293.65 = 100.029389 L.
    always = corrected_reference(100.0, 100.2, 20.5, 100.0, 20.0, mode="always", max_dt_c=0.5, max_pressure_pct=0.2)
    assert float(always.volume_l) == pytest.approx(100.029389, abs=1e-6) and bool(always.applied)
    omitted = corrected_reference(100.0, 100.2, 20.5, 100.0, 20.0, mode="when_needed", max_dt_c=0.5,
                                  max_pressure_pct=0.2)
    assert float(omitted.volume_l) == 100.0 and not bool(omitted.applied)
    # Example A in "when_needed": 0.5 °C but −0.49 % pressure → still corrected.
    a = corrected_reference(100.0, 101.5, 21.0, 102.0, 20.5, mode="when_needed", max_dt_c=0.5, max_pressure_pct=0.2)
    assert round(float(a.volume_l), 4) == 99.3407 and bool(a.applied)
    with pytest.raises(ValueError, match="correction mode"):
        corrected_reference(100.0, 100.0, 20.0, 100.0, 20.0, mode="sometimes", max_dt_c=0.5, max_pressure_pct=0.2)


def test_errors_over_positions_keep_faults_local() -> None:
    # V_ref 100 L at every position; meters 101.0, NaN (no pulses), 98.5 → +1.0 %, NaN, −1.5 %.
    e = gas_errors([101.0, math.nan, 98.5], 100.0)
    assert e[0] == pytest.approx(1.0) and math.isnan(e[1]) and e[2] == pytest.approx(-1.5)
    judged = judge_positions(e, IE["rounding"], 1.5)
    assert judged.printed == ("+1.0", "—", "-1.5")
    assert judged.verdict.tolist() == ["pass", "n/a", "pass"]


def test_flow_points_and_zone_mpe() -> None:
    points = TABLE["editions"]["2012"]["flow_points"]
    assert flow_rates(4.0, 0.025, points) == [4.0, 0.8, 0.025]  # qmax, 0.2·qmax, qmin
    c15, qt = TABLE["classes"]["1.5"], TABLE["zones"]["qt_fraction"]
    assert (c15["mpe_lower_pct"], c15["mpe_upper_pct"], qt) == (3.0, 1.5, 0.1)
    # qmax = 4 → qt = 0.4 m³/h: qmin ≤ q < qt → ±3 %; qt ≤ q ≤ qmax → ±1.5 %.
    got = zone_mpe([0.025, 0.3999, 0.4, 0.8, 4.0], 0.025, 4.0, qt, 3.0, 1.5)
    assert got.tolist() == [3.0, 3.0, 1.5, 1.5, 1.5]
    c10 = TABLE["classes"]["1.0"]
    assert zone_mpe(0.025, 0.025, 4.0, qt, c10["mpe_lower_pct"], c10["mpe_upper_pct"]) == 2.0
    assert zone_mpe(4.0, 0.025, 4.0, qt, c10["mpe_lower_pct"], c10["mpe_upper_pct"]) == 1.0
    with pytest.raises(ValueError, match="measuring range"):
        zone_mpe(4.1, 0.025, 4.0, qt, 3.0, 1.5)
    with pytest.raises(ValueError, match="measuring range"):
        zone_mpe(0.02, 0.025, 4.0, qt, 3.0, 1.5)
    with pytest.raises(ValueError, match="qmin < qmax"):
        flow_rates(1.0, 2.0, points)


def test_lab_temperature_window_by_meter_size() -> None:
    args = (COND["small_meter_qmax_m3_h"], COND["temperature_small_c"], COND["temperature_large_c"])
    assert lab_temperature_limits(4.0, *args) == (18.0, 22.0)
    assert lab_temperature_limits(10.0, *args) == (18.0, 22.0)  # qmax ≤ 10 m³/h
    assert lab_temperature_limits(16.0, *args) == (15.0, 25.0)


def test_lab_condition_check_names_what_is_out_and_by_how_much() -> None:
    limits = {"temperature_c": (18.0, 22.0, "°C"), "pressure_kpa": (85.0, 105.0, "kPa"),
              "humidity_pct": (45.0, 75.0, "%")}
    ok = check_conditions({"temperature_c": 22.0, "pressure_kpa": 85.0, "humidity_pct": 75.0}, limits)
    assert out_of_range(ok) == () and all(c.excess == 0.0 for c in ok)  # limits inclusive
    bad = out_of_range(check_conditions({"temperature_c": 22.4, "pressure_kpa": 84.0, "humidity_pct": None}, limits))
    assert [c.name for c in bad] == ["temperature_c", "pressure_kpa", "humidity_pct"]
    assert bad[0].excess == pytest.approx(0.4) and bad[1].excess == pytest.approx(-1.0)
    assert math.isnan(bad[2].excess) and not bad[2].ok


def test_minimum_test_volume_whole_cycles() -> None:
    share = IE["resolution_share"]
    assert share == 0.2
    # G2.5: V = 1.2 L, 0.1 L/pulse. qmin (MPE 3 %): 0.1/(0.2·0.03) = 16.67 L → 14 cycles = 16.8 L.
    assert minimum_test_volume(1.2, 5, 0.1, 3.0, share) == 16.8
    # qmax (1.5 %): 50 cycles = 60 L > 0.1/(0.2·0.015) = 33.3 L → 60 L.
    assert minimum_test_volume(1.2, 50, 0.1, 1.5, share) == 60.0
    # 0.2·qmax: 20 cycles = 24 L < 33.33 L → 28 cycles = 33.6 L.
    assert minimum_test_volume(1.2, 20, 0.1, 1.5, share) == 33.6
    # An exact multiple stays: 2 L cycles, need 0.1/(0.2·0.01) = 50 L = 25 cycles exactly (no 26th).
    assert minimum_test_volume(2.0, 1, 0.1, 1.0, share) == 50.0
    assert minimum_test_volume(1.2, 1, 0.01, 3.0, share, floor_l=10.0) == 10.8  # floor 10 L → 9 cycles
    with pytest.raises(ValueError):
        minimum_test_volume(0.0, 1, 0.1, 1.0, share)


def test_same_sign_rule() -> None:
    assert TABLE["same_sign"]["enabled"] is False and TABLE["same_sign"]["limit_pct"]["1.0"] == 0.5
    rows = [[0.6, 0.3], [0.6, -0.3], [0.5, 0.4], [math.nan, 0.3], [0.0, 0.6], [-0.7, -0.1]]
    assert same_sign_verdicts(rows, 0.5).tolist() == ["fail", "pass", "pass", "n/a", "pass", "fail"]
