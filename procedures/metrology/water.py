"""Water-meter metrology (JJG 162-2019 饮用冷水水表; OIML R 49 / ISO 4064 as cross-check), in numpy.

Units: temperature °C, pressure hPa (air) or kPa (as the bench reports it, converted here), density
kg/m³, mass kg, volume L, flow m³/h, errors %. Scalars in give a float, arrays in give an array;
every function broadcasts over bench positions (a NaN marks a faulty position and stays NaN).

The chain of the gravimetric (称重法) and master-meter (标准表法) methods:

1. density of the test water, Tanaka et al. 2001 (:func:`water_density`);
2. air density from the laboratory's p, t, RH, CIPM approximation of OIML R 111-1
   (:func:`air_density`), or a configured constant;
3. the balance indication corrected for air buoyancy, reference weights of 8000 kg/m³
   (:func:`buoyancy_corrected_mass`);
4. the volume that passed the meters: the corrected mass over the density at the *meters'*
   temperature (:func:`volume_from_mass`); with a master meter, its volume carried from its own
   temperature to the meters' by conservation of mass (:func:`master_meter_volume_at_meter`);
5. the error of indication ``E = (V_i − V_a)/V_a × 100 %`` per position (:func:`indication_errors`),
   judged against the MPE of the flow's zone (:func:`zone_mpe`).

No regulation number lives here: the MPE values, the >30 °C switch, the test-volume multipliers are
data (procedures/regulations/data/jjg162.toml) passed in by the regulation module.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from ._arrays import as_float_array, require_positive, scalar_or_array

# -- Tanaka et al. 2001 ---------------------------------------------------------------------------
# M. Tanaka, G. Girard, R. Davis, A. Peuto, N. Bignell, "Recommended table for the density of water
# between 0 °C and 40 °C based on recent experimental reports", Metrologia 38 (2001) 301–309, eq. (1):
#   ρ(t) = a5 · [1 − (t + a1)² (t + a2) / (a3 (t + a4))]
# for air-free SMOW at 101.325 kPa, 0…40 °C; the CIPM-recommended table, used for the gravimetric
# method of OIML R 49-2 / ISO 4064-2 [I: that JJG 162-2019 prescribes this formula is not confirmed;
# its tables give the same values to 0.01 kg/m³].
TANAKA_A1_C = -3.983035
TANAKA_A2_C = 301.797
TANAKA_A3_C2 = 522528.9
TANAKA_A4_C = 69.34881
TANAKA_A5_KG_M3 = 999.974950
# Compressibility of water (Tanaka 2001 §4, eq. (6): F_c = 1 + (k0 + k1 t + k2 t²) Δp), Δp in Pa.
TANAKA_K0_PER_PA = 50.74e-11
TANAKA_K1_PER_PA_C = -0.326e-11
TANAKA_K2_PER_PA_C2 = 0.00416e-11
STANDARD_PRESSURE_KPA = 101.325

REFERENCE_WEIGHT_DENSITY_KG_M3 = 8000.0
"""Conventional density of the balance's reference weights (OIML D 28 conventional mass; OIML R 111-1)."""

CONVENTIONAL_AIR_DENSITY_KG_M3 = 1.2
"""Conventional air density (OIML D 28), the default when the laboratory's p/t/RH are not measured."""


def water_density(temperature_c: npt.ArrayLike, pressure_kpa: npt.ArrayLike | None = None) -> np.ndarray | float:
    """Density of (air-free) water at ``temperature_c``, kg/m³, Tanaka et al. 2001 eq. (1); with an
    absolute ``pressure_kpa`` the compressibility factor of Tanaka 2001 eq. (6) is applied for the
    excess over 101.325 kPa (a bench's meters run at a few hundred kPa: +0.05 kg/m³ per 100 kPa).

    Hand-worked at 20 °C: (20 − 3.983035)² = 256.543168; × (20 + 301.797) = 82554.822;
    / (522528.9 × 89.34881 = 46687335.4) = 0.00176824; ρ = 999.97495 × (1 − 0.00176824) = 998.2067 kg/m³.
    Valid 0…40 °C; raises ``ValueError`` outside (the formula is a fit to that range).
    """
    t = as_float_array(temperature_c, "temperature_c")
    finite = t[np.isfinite(t)]
    if finite.size and (finite.min() < 0.0 or finite.max() > 40.0):
        raise ValueError(f"water temperature {finite.tolist()} °C outside 0…40 °C (Tanaka 2001 formula)")
    rho = TANAKA_A5_KG_M3 * (1.0 - (t + TANAKA_A1_C) ** 2 * (t + TANAKA_A2_C) / (TANAKA_A3_C2 * (t + TANAKA_A4_C)))
    if pressure_kpa is not None:
        dp_pa = (as_float_array(pressure_kpa, "pressure_kpa") - STANDARD_PRESSURE_KPA) * 1000.0
        rho = rho * (1.0 + (TANAKA_K0_PER_PA + TANAKA_K1_PER_PA_C * t + TANAKA_K2_PER_PA_C2 * t * t) * dp_pa)
    return scalar_or_array(rho)


def air_density(pressure_hpa: npt.ArrayLike, temperature_c: npt.ArrayLike,
                humidity_pct: npt.ArrayLike) -> np.ndarray | float:
    """Air density, kg/m³, by the approximation of the CIPM formula in OIML R 111-1:2004 Annex E
    (E.3-1): ``ρ_a = (0.34848·p − 0.009·h_r·exp(0.061·t)) / (273.15 + t)`` with ``p`` in hPa,
    ``h_r`` in %, ``t`` in °C (relative uncertainty ≈ 2×10⁻⁴ for 600…1100 hPa, 20…30 °C, RH < 80 %)
    [M, high: formula as recalled from R 111-1; checked against the usual 1.2 kg/m³].

    Hand-worked at 1013.25 hPa, 20 °C, 50 %: 0.34848 × 1013.25 = 353.0972; 0.009 × 50 × exp(1.22)
    = 0.45 × 3.387188 = 1.524234; (353.0972 − 1.5242)/293.15 = 1.199294 kg/m³.
    """
    p = as_float_array(pressure_hpa, "pressure_hpa")
    t = as_float_array(temperature_c, "temperature_c")
    h = as_float_array(humidity_pct, "humidity_pct")
    return scalar_or_array((0.34848 * p - 0.009 * h * np.exp(0.061 * t)) / (273.15 + t))


def buoyancy_corrected_mass(indication_kg: npt.ArrayLike, air_density_kg_m3: npt.ArrayLike,
                            water_density_kg_m3: npt.ArrayLike,
                            reference_density_kg_m3: npt.ArrayLike = REFERENCE_WEIGHT_DENSITY_KG_M3,
                            ) -> np.ndarray | float:
    """True mass of the weighed water from the balance indication ``I`` (calibrated with weights
    of ``ρ_ref``): ``m = I·(1 − ρ_a/ρ_ref)/(1 − ρ_a/ρ_w)`` (OIML R 111-1 / OIML D 28 buoyancy;
    ISO 4064-2 gravimetric method [I]).

    Hand-worked: I = 100 kg, ρ_a = 1.2, ρ_w = 998.2067, ρ_ref = 8000: (1 − 0.00015) = 0.99985;
    (1 − 1.2/998.2067 = 1 − 0.00120216) = 0.99879784; m = 100 × 0.99985/0.99879784 = 100.10534 kg
    (+0.105 %: the correction is never negligible against a 1 % MPE's 1/5).
    """
    i = as_float_array(indication_kg, "indication_kg")
    rho_a = as_float_array(air_density_kg_m3, "air_density_kg_m3")
    rho_w = as_float_array(water_density_kg_m3, "water_density_kg_m3")
    rho_ref = as_float_array(reference_density_kg_m3, "reference_density_kg_m3")
    require_positive(rho_w, "water_density_kg_m3")
    require_positive(rho_ref, "reference_density_kg_m3")
    return scalar_or_array(i * (1.0 - rho_a / rho_ref) / (1.0 - rho_a / rho_w))


def volume_from_mass(mass_kg: npt.ArrayLike, water_density_kg_m3: npt.ArrayLike) -> np.ndarray | float:
    """Volume in litres of ``mass_kg`` of water at a density (kg/m³): ``V = m/ρ × 1000``. Used with
    the density at the meters' temperature (and pressure), this is the volume that passed the
    meters (the conventional true value V_a of the gravimetric method).

    Hand-worked: 100.10534 kg / 998.2067 kg/m³ × 1000 = 100.28518 L.
    """
    m = as_float_array(mass_kg, "mass_kg")
    rho = as_float_array(water_density_kg_m3, "water_density_kg_m3")
    require_positive(rho, "water_density_kg_m3")
    return scalar_or_array(m / rho * 1000.0)


def master_meter_volume_at_meter(volume_l: npt.ArrayLike, master_temperature_c: npt.ArrayLike,
                                 meter_temperature_c: npt.ArrayLike) -> np.ndarray | float:
    """A master meter's volume carried to the meters under test: the same mass of water,
    ``V_meter = V_master · ρ(t_master)/ρ(t_meter)`` (Tanaka densities; conservation of mass in a
    series connection [I]). Equal temperatures return the volume unchanged.

    Hand-worked: 100 L at 25 °C (ρ = 997.0470) to meters at 20 °C (ρ = 998.2067):
    100 × 997.0470/998.2067 = 99.88382 L.
    """
    v = as_float_array(volume_l, "volume_l")
    rho_m = as_float_array(water_density(master_temperature_c), "rho_master")
    rho_i = as_float_array(water_density(meter_temperature_c), "rho_meter")
    return scalar_or_array(v * rho_m / rho_i)


def indication_errors(indicated_l: npt.ArrayLike, actual_l: npt.ArrayLike) -> np.ndarray | float:
    """Errors of indication ``E = (V_i − V_a)/V_a × 100 %`` (JJG 162-2019, regulations.md §4 [M];
    OIML R 49-1 definition), vectorised over positions (and runs); a non-positive or NaN ``V_a``
    or a NaN ``V_i`` gives NaN (a faulty position) rather than raising.

    Hand-worked: V_i = 100.50 L, V_a = 100.28517 L → 0.21483/100.28517 = +0.21422 %.
    """
    vi = as_float_array(indicated_l, "indicated_l")
    va = as_float_array(actual_l, "actual_l")
    with np.errstate(divide="ignore", invalid="ignore"):
        e = (vi - va) / va * 100.0
    return scalar_or_array(np.where(np.isfinite(va) & (va > 0) & np.isfinite(vi), e, np.nan))


def flow_rates(q3_m3_h: float, ratio_r: float, q2_over_q1: float = 1.6, q4_over_q3: float = 1.25,
               ) -> dict[str, float]:
    """The meter's four flow rates from its marking (m³/h): ``Q1 = Q3/R``, ``Q2 = 1.6·Q1``,
    ``Q4 = 1.25·Q3`` (OIML R 49-1:2013 §4.1; regulations.md §4 [R sec.]). The ratios are
    parameters because the data table holds them.

    Hand-worked: Q3 = 2.5, R = 100 → Q1 = 0.025, Q2 = 0.04, Q4 = 3.125 m³/h.
    """
    if q3_m3_h <= 0 or ratio_r <= 0:
        raise ValueError(f"Q3 and R must be > 0, got Q3 = {q3_m3_h}, R = {ratio_r}")
    q1 = q3_m3_h / ratio_r
    return {"Q1": q1, "Q2": q2_over_q1 * q1, "Q3": float(q3_m3_h), "Q4": q4_over_q3 * q3_m3_h}


def flow_zone(flow_m3_h: npt.ArrayLike, q1: float, q2: float, q4: float) -> np.ndarray:
    """Zone of each flow: ``"lower"`` for Q1 ≤ Q < Q2, ``"upper"`` for Q2 ≤ Q ≤ Q4, ``""`` outside
    the rated range (OIML R 49-1 §4.2; regulations.md §4). Boundaries compare with a relative
    tolerance of 1e-9 so that Q2 computed as 1.6·Q1 falls in the upper zone exactly."""
    q = as_float_array(flow_m3_h, "flow_m3_h")
    eps = 1e-9
    out = np.full(q.shape, "", dtype="<U5")
    out[(q >= q1 * (1 - eps)) & (q < q2 * (1 - eps))] = "lower"
    out[(q >= q2 * (1 - eps)) & (q <= q4 * (1 + eps))] = "upper"
    return out


def zone_mpe(flow_m3_h: npt.ArrayLike, q1: float, q2: float, q4: float, *, lower_pct: float, upper_pct: float,
             upper_hot_pct: float, water_temperature_c: npt.ArrayLike, hot_above_c: float = 30.0,
             ) -> np.ndarray | float:
    """MPE (±%) at each flow: the lower zone's limit for Q1 ≤ Q < Q2; the upper zone's for
    Q2 ≤ Q ≤ Q4, or ``upper_hot_pct`` when the water is warmer than ``hot_above_c`` (OIML R 49-1
    §4.2.2/4.2.3: 0.1…30 °C vs > 30 °C; JJG 162-2019 [M]); NaN outside Q1…Q4 or for NaN temperature.

    Hand-worked (class 2: 5 / 2 / 3 %; Q1 = 0.025, Q2 = 0.04, Q4 = 3.125): Q = 0.0275 → 5;
    Q = 0.04 → 2; Q = 2.5 at 20 °C → 2, at 30 °C → 2, at 30.1 °C → 3; Q = 0.02 → NaN.
    """
    zone = flow_zone(flow_m3_h, q1, q2, q4)
    t = as_float_array(water_temperature_c, "water_temperature_c")
    t_b = np.broadcast_to(t, zone.shape) if zone.shape else t
    upper = np.where(t_b > hot_above_c, upper_hot_pct, np.where(np.isfinite(t_b), upper_pct, np.nan))
    out = np.where(zone == "lower", lower_pct, np.where(zone == "upper", upper, np.nan))
    return scalar_or_array(np.asarray(out, dtype=float))


def minimum_test_volume(multiplier: float, *scale_intervals_l: float) -> float:
    """Smallest admissible test volume (L) of the start-stop method: ``multiplier`` × the largest of
    the verification scale intervals given (the meters' indicating device, the standard's
    resolution as a volume): ≥ 200 × (class 2) or ≥ 400 × (class 1) the interval (regulations.md
    §4 [R sec., by analogy: I]; multipliers from the data table).

    Hand-worked: class 2, meter interval 0.05 L, scale 0.01 kg ≈ 0.01002 L → 200 × 0.05 = 10 L;
    class 1 → 400 × 0.05 = 20 L.
    """
    if multiplier <= 0 or not scale_intervals_l or min(scale_intervals_l) <= 0:
        raise ValueError(f"multiplier and scale intervals must be > 0, got {multiplier}, {scale_intervals_l}")
    return float(multiplier) * max(float(x) for x in scale_intervals_l)


def choose_test_volume(minimum_l: float, preferred_l: float, step_l: float) -> float:
    """The test volume to run: the preferred volume, raised to the minimum when it is below, rounded
    *up* to a whole number of ``step_l`` (so the chosen volume is never below the minimum).

    Hand-worked: minimum 10 L, preferred 5 L, step 1 L → 10 L; minimum 10.2 L → 11 L; preferred 50 → 50.
    """
    if step_l <= 0:
        raise ValueError(f"step_l must be > 0, got {step_l}")
    v = max(float(minimum_l), float(preferred_l))
    n = math.ceil(round(v / step_l, 9))
    return round(n * step_l, 9)


__all__ = [
    "CONVENTIONAL_AIR_DENSITY_KG_M3",
    "REFERENCE_WEIGHT_DENSITY_KG_M3",
    "air_density",
    "buoyancy_corrected_mass",
    "choose_test_volume",
    "flow_rates",
    "flow_zone",
    "indication_errors",
    "master_meter_volume_at_meter",
    "minimum_test_volume",
    "volume_from_mass",
    "water_density",
    "zone_mpe",
]
