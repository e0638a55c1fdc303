"""Standard metal can method (JJG 443-2006 §7.6): the worked examples of regulations.md §3, worked
by hand, with the exact printed rounding (GB/T 8170 half-even on 0.01 %).

A: 20 L can at 66 mm, 2 mL/mm, reading 31 mm, 24 °C in both, stainless, V_J = 20.00 L
   V_B = 20 + (31 − 66)·0.002 = 19.930 L; factor = 1 + 0 + 50e-6·4 = 1.0002; V_Bt = 19.933986 L;
   E = 0.066014 / 19.933986 = +0.3312 % → '+0.33' → fails ±0.30 %.
B: 20 L at 69 mm, reading 38 mm, t_J = 24 °C, t_B = 23 °C, gasoline, stainless, V_J = 20.00 L
   V_B = 20 − 0.062 = 19.938 L; factor = 1 + 0.0012·1 + 0.00005·3 = 1.00135; V_Bt = 19.9649163 L;
   E = 0.0350837 / 19.9649163 = +0.1757 % → '+0.18' → pass. (The forum's 20.010 L / −0.05 % is an
   arithmetic error and is not used.) Repeatability: runs +0.10, 0.00, −0.10 → 0.20/1.69 = 0.1183 →
   '0.12' > 0.10 → fail.
C: runs +0.050, +0.090, +0.022 → mean +0.054 → '+0.05'.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from procedures.metrology import (
    can_method_budget,
    can_volume_at_fuel_temperature,
    can_volume_from_neck,
    decide,
    format_rounded,
    mean,
    neck_reading_for_volume,
    relative_error,
    repeatability_range,
    temperature_factor,
)
from procedures.records import Verdict
from procedures.regulations.tables import load_table

TABLE = load_table("jjg443")
GASOLINE = TABLE["expansion"]["fuel"]["gasoline"]
STAINLESS = TABLE["expansion"]["can_material"]["stainless"]
MPE = TABLE["editions"]["2023"]["mpe_pct"]
REPEATABILITY = TABLE["editions"]["2023"]["repeatability_pct"]
D3 = TABLE["items"]["repeatability"]["d_n"]["3"]


def test_beta_values_are_the_regulations() -> None:
    exp = TABLE["expansion"]
    assert (exp["fuel"]["gasoline"], exp["fuel"]["kerosene"], exp["fuel"]["light_diesel"]) == (12e-4, 9e-4, 9e-4)
    assert (exp["can_material"]["stainless"], exp["can_material"]["carbon_steel"]) == (50e-6, 33e-6)
    assert D3 == 1.69 and MPE == 0.30 and REPEATABILITY == 0.10


def test_worked_example_a_fails() -> None:
    v_b = can_volume_from_neck(20.0, 31.0, 66.0, 0.002)
    assert v_b == pytest.approx(19.930, abs=1e-12)
    assert temperature_factor(GASOLINE, STAINLESS, 24.0, 24.0) == pytest.approx(1.0002, abs=1e-15)
    v_bt = can_volume_at_fuel_temperature(v_b, GASOLINE, STAINLESS, 24.0, 24.0)
    assert v_bt == pytest.approx(19.933986, abs=1e-9)
    e = relative_error(20.00, v_bt)
    assert e == pytest.approx(0.066014 / 19.933986 * 100, abs=1e-9)
    printed = format_rounded(e, "0.01")
    assert printed == "+0.33"
    assert decide(printed, MPE).verdict is Verdict.FAIL


def test_worked_example_b_passes() -> None:
    v_b = can_volume_from_neck(20.0, 38.0, 69.0, 0.002)
    assert v_b == pytest.approx(19.938, abs=1e-12)
    v_bt = can_volume_at_fuel_temperature(v_b, GASOLINE, STAINLESS, 24.0, 23.0)
    assert v_bt == pytest.approx(19.938 * 1.00135, abs=1e-12)
    assert format_rounded(v_bt, "0.001", signed=False) == "19.965"
    e = relative_error(20.00, v_bt)
    assert e == pytest.approx(0.1757268, abs=1e-6)
    printed = format_rounded(e, "0.01")
    assert printed == "+0.18"  # not the forum's −0.05 % (its 20.010 L is an arithmetic error)
    assert decide(printed, MPE).verdict is Verdict.PASS


def test_worked_example_b_repeatability_fails() -> None:
    e_n = repeatability_range([0.10, 0.00, -0.10], D3)
    assert e_n == pytest.approx(0.20 / 1.69, abs=1e-15)
    printed = format_rounded(e_n, "0.01", signed=False)
    assert printed == "0.12"
    assert Decimal(printed) > Decimal(str(REPEATABILITY))
    assert decide(printed, REPEATABILITY).verdict is Verdict.FAIL


def test_worked_example_c_mean_rounds_to_005() -> None:
    runs = [0.050, 0.090, 0.022]
    assert mean(runs) == pytest.approx(0.054, abs=1e-15)
    assert format_rounded(mean(runs), "0.01") == "+0.05"


def test_vectorised_over_runs_and_broadcast() -> None:
    h = np.array([31.0, 38.0, 66.0])
    v_b = can_volume_from_neck(20.0, h, np.array([66.0, 69.0, 66.0]), 0.002)
    assert isinstance(v_b, np.ndarray) and v_b.tolist() == pytest.approx([19.930, 19.938, 20.0])
    v_bt = can_volume_at_fuel_temperature(v_b, GASOLINE, STAINLESS, [24.0, 24.0, 20.0], [24.0, 23.0, 20.0])
    assert v_bt.tolist() == pytest.approx([19.933986, 19.9649163, 20.0])  # type: ignore[union-attr]
    errors = relative_error(20.0, v_bt)
    assert [format_rounded(x, "0.01") for x in errors] == ["+0.33", "+0.18", "0.00"]  # type: ignore[union-attr]


def test_can_and_fuel_at_20_c_need_no_correction() -> None:
    assert can_volume_at_fuel_temperature(20.0, GASOLINE, STAINLESS, 20.0, 20.0) == 20.0


def test_neck_reading_inverts_the_correction() -> None:
    h = neck_reading_for_volume(19.9649163, 20.0, 69.0, 0.002, GASOLINE, STAINLESS, 24.0, 23.0)
    assert h == pytest.approx(38.0, abs=1e-6)
    hs = neck_reading_for_volume([20.0, 19.9], 20.0, 66.0, 0.002, GASOLINE, STAINLESS, 25.0, 24.0)
    back = can_volume_at_fuel_temperature(can_volume_from_neck(20.0, hs, 66.0, 0.002), GASOLINE, STAINLESS, 25.0, 24.0)
    assert back.tolist() == pytest.approx([20.0, 19.9], abs=1e-12)  # type: ignore[union-attr]


def test_invalid_inputs_refused() -> None:
    with pytest.raises(ValueError, match="d_l_per_mm"):
        can_volume_from_neck(20.0, 31.0, 66.0, 0.0)
    with pytest.raises(ValueError, match="v_nominal_l"):
        can_volume_from_neck(-20.0, 31.0, 66.0, 0.002)
    with pytest.raises(ValueError, match="v_b"):
        can_volume_at_fuel_temperature(0.0, GASOLINE, STAINLESS, 24.0, 23.0)
    with pytest.raises(ValueError, match="expansion"):
        temperature_factor(-1e-4, STAINLESS, 24.0, 23.0)
    with pytest.raises(ValueError, match="numeric"):
        can_volume_from_neck(20.0, "abc", 66.0, 0.002)


def test_budget_components_and_expanded_uncertainty() -> None:
    b = can_method_budget(v_nominal_l=20.0, can_u95_pct=0.025, neck_resolution_mm=0.5, d_l_per_mm=0.002,
                          display_resolution_l=0.01, thermometer_mpe_c=0.2, beta_y=GASOLINE, beta_b=STAINLESS)
    u = {c.name.split(" ")[0]: c.contribution for c in b.components}
    assert u["标准金属量器"] == pytest.approx(0.0125)
    assert u["颈部读数"] == pytest.approx(0.005 / 3**0.5)             # 0.001 L of 20 L, rectangular
    assert u["加油机显示分辨力"] == pytest.approx(0.025 / 3**0.5)        # 0.005 L of 20 L
    assert u["油枪油温"] == pytest.approx(0.2 / 3**0.5 * 0.12)           # β_Y·100 %/°C
    assert u["量器油温"] == pytest.approx(0.2 / 3**0.5 * 0.115)          # |β_B − β_Y|·100 %/°C
    assert b.expanded() == pytest.approx(0.05445, abs=1e-4)
    assert 3 * b.expanded() <= MPE  # the one-third condition: the simple JJF 1094 rule applies
