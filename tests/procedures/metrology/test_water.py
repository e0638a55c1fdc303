"""Water-meter metrology (JJG 162; OIML R 49 cross-check), against hand-worked values.

Hand calculations (also in the docstrings of procedures/metrology/water.py):
- Tanaka 2001 at 20 °C: (20 − 3.983035)² = 256.543168; × 321.797 = 82554.822;
  522528.9 × 89.34881 = 46687335.4; ratio 0.00176824; 999.97495 × (1 − 0.00176824) = 998.2067 kg/m³.
  At 4 °C the maximum, 999.9749 kg/m³ (table value 999.9750). At 25 °C 997.0470 (table 997.0470).
- Air (R 111-1 E.3-1) at 1013.25 hPa, 20 °C, 50 %: (353.0972 − 0.45·e^1.22 = 1.524234)/293.15 = 1.199294.
- Buoyancy: I = 100 kg, ρ_a 1.2, ρ_w 998.2067, ρ_ref 8000 → 100 × 0.99985/0.99879784 = 100.10534 kg.
- Volume: 100.10534 kg / 998.2067 × 1000 = 100.28518 L.
- Master meter: 100 L at 25 °C → meters at 20 °C: 100 × 997.0470/998.2067 = 99.88382 L.
- Error: (100.50 − 100.28518)/100.28518 × 100 = +0.21421 %.
- Flow rates: Q3 2.5, R 100 → Q1 0.025, Q2 0.04, Q4 3.125 m³/h.
- Minimum volume: class 2 → 200 × 0.05 L = 10 L; class 1 → 400 × 0.05 = 20 L; with a scale of
  d = 0.1 kg (0.1002 L) → 200 × 0.1002 = 20.04 L → chosen volume (step 1 L) 21 L.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from procedures.metrology import (
    air_density,
    buoyancy_corrected_mass,
    choose_test_volume,
    flow_rates,
    indication_errors,
    master_meter_volume_at_meter,
    minimum_test_volume,
    volume_from_mass,
    water_density,
    zone_mpe,
)
from procedures.metrology.water import flow_zone


def test_water_density_tanaka_hand_worked() -> None:
    assert water_density(20.0) == pytest.approx(998.2067, abs=5e-5)
    assert water_density(4.0) == pytest.approx(999.9749, abs=1e-4)
    assert water_density(25.0) == pytest.approx(997.0470, abs=1e-4)
    rho = water_density(np.array([10.0, 20.0, 30.0]))
    assert isinstance(rho, np.ndarray) and rho[0] > rho[1] > rho[2]
    # compressibility: 100 kPa over standard at 20 °C, (50.74 − 0.326·20 + 0.00416·400)e-11 = 45.884e-11 /Pa
    # × 1e5 Pa = 4.5884e-5 → 998.2067 × 1.000045884 = 998.2525
    assert water_density(20.0, 201.325) == pytest.approx(998.2525, abs=1e-4)
    with pytest.raises(ValueError, match="0…40"):
        water_density(45.0)


def test_air_density_cipm_approximation() -> None:
    assert air_density(1013.25, 20.0, 50.0) == pytest.approx(1.199294, abs=2e-6)
    assert 1.1 < air_density(1000.0, 25.0, 60.0) < 1.2  # type: ignore[operator]


def test_buoyancy_and_volume_chain() -> None:
    rho_w = water_density(20.0)
    m = buoyancy_corrected_mass(100.0, 1.2, rho_w)
    assert m == pytest.approx(100.10534, abs=1e-5)
    assert volume_from_mass(m, rho_w) == pytest.approx(100.28518, abs=1e-5)
    # no air: no correction
    assert buoyancy_corrected_mass(50.0, 0.0, rho_w) == pytest.approx(50.0)
    # vectorised over positions/tests
    out = buoyancy_corrected_mass(np.array([10.0, 20.0]), 1.2, rho_w)
    assert np.allclose(out, [10.010534, 20.021068], atol=1e-6)  # type: ignore[arg-type]


def test_master_meter_temperature_correction() -> None:
    assert master_meter_volume_at_meter(100.0, 25.0, 20.0) == pytest.approx(99.88382, abs=1e-5)
    assert master_meter_volume_at_meter(100.0, 20.0, 20.0) == pytest.approx(100.0)


def test_indication_errors_vectorised_with_faults() -> None:
    e = indication_errors([100.50, math.nan, 99.0], [100.28518, 100.0, 100.0])
    assert e[0] == pytest.approx(0.21421, abs=1e-5)  # type: ignore[index]
    assert math.isnan(e[1]) and e[2] == pytest.approx(-1.0)  # type: ignore[index]
    runs = indication_errors([[10.1, 10.2], [9.9, 10.0]], [[10.0, 10.0]])
    assert np.allclose(runs, [[1.0, 2.0], [-1.0, 0.0]])  # type: ignore[arg-type]
    assert math.isnan(indication_errors(10.0, 0.0))  # type: ignore[arg-type]


def test_flow_rates_and_zones() -> None:
    q = flow_rates(2.5, 100.0)
    assert q == pytest.approx({"Q1": 0.025, "Q2": 0.04, "Q3": 2.5, "Q4": 3.125})
    zones = flow_zone([0.02, 0.025, 0.0399, q["Q2"], 2.5, 3.125, 3.2], q["Q1"], q["Q2"], q["Q4"])
    assert zones.tolist() == ["", "lower", "lower", "upper", "upper", "upper", ""]


def test_zone_mpe_class_2_and_hot_water() -> None:
    # class 2: lower 5, upper 2, upper > 30 °C 3 (regulations.md §4)
    kw = {"lower_pct": 5.0, "upper_pct": 2.0, "upper_hot_pct": 3.0}
    got = zone_mpe([0.0275, 0.04, 2.5, 2.5, 2.5, 0.02], 0.025, 0.04, 3.125,
                   water_temperature_c=[20, 20, 20, 30.0, 30.1, 20], **kw)
    assert np.allclose(got[:5], [5.0, 2.0, 2.0, 2.0, 3.0]) and math.isnan(got[5])  # type: ignore[index]
    # the lower zone does not change with temperature
    assert zone_mpe(0.0275, 0.025, 0.04, 3.125, water_temperature_c=35.0, **kw) == 5.0
    # class 1: lower 3, upper 1, hot 2
    assert zone_mpe(2.4, 0.025, 0.04, 3.125, water_temperature_c=35.0, lower_pct=3.0, upper_pct=1.0,
                    upper_hot_pct=2.0) == 2.0


def test_minimum_and_chosen_test_volume() -> None:
    assert minimum_test_volume(200, 0.05) == pytest.approx(10.0)
    assert minimum_test_volume(400, 0.05) == pytest.approx(20.0)
    scale_l = 0.1 / 998.2067 * 1000.0
    v_min = minimum_test_volume(200, 0.05, scale_l)
    assert v_min == pytest.approx(20.036, abs=1e-3)
    assert choose_test_volume(v_min, 10.0, 1.0) == 21.0
    assert choose_test_volume(10.0, 5.0, 1.0) == 10.0  # exactly the minimum: not rounded up further
    assert choose_test_volume(10.0, 50.0, 1.0) == 50.0
    with pytest.raises(ValueError):
        minimum_test_volume(200)
