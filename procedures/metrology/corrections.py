"""Volume corrections of the standard metal can method (标准金属量器法) for fuel dispensers.

JJG 443-2006 §7.6 (regulations.md §3): fuel from the dispenser runs into a standard metal can
(标准金属量器) whose neck scale is calibrated at 20 °C. The can's volume at the scale reading,
converted to the fuel's temperature at the nozzle, is the reference volume ``V_Bt`` of the error
``E_V = (V_J − V_Bt)/V_Bt`` (``relative_error``)::

    V_B  = V_nominal(20 °C) + (h − h0)·d
    V_Bt = V_B · [1 + β_Y (t_J − t_B) + β_B (t_B − 20)]

``h`` is the neck-scale reading and ``h0`` the scale mark of the nominal volume (mm), ``d`` the
scale's volume per millimetre (L/mm, e.g. 0.002 L/mm = 2 mL/mm), ``t_J`` the fuel temperature at
the nozzle and ``t_B`` in the can (°C), ``β_Y`` the fuel's volume expansion coefficient and
``β_B`` the can material's (1/°C; the values are regulation data, procedures/regulations/data/
jjg443.toml, never constants here). The ``β_Y`` term carries the fuel from the can's temperature
back to the nozzle's (where the dispenser measured it); the ``β_B`` term is the can's own expansion
away from its 20 °C calibration.

Intermediate volumes are not rounded: only the error is, to the regulation's interval
(``round_to_interval``; regulations.md §0.2). Everything is vectorised (scalars in give a float,
arrays in give an array; inputs broadcast, e.g. three runs at once), like the rest of the core.

The uncertainty budget of one run (:func:`can_method_budget`) follows regulations.md §8 (fuel
volume budgets, [M]): the can's calibration, the neck reading, the dispenser's display resolution
and the two thermometers, through the sensitivity coefficients of the model above.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ._arrays import as_float_array, require_positive, scalar_or_array
from .uncertainty import UncertaintyBudget, UncertaintyComponent

REFERENCE_TEMPERATURE_C = 20.0
"""The standard metal can's scale is calibrated at 20 °C (JJG 443-2006 §7.6; the can's certificate)."""


def can_volume_from_neck(
    v_nominal_l: npt.ArrayLike, h_mm: npt.ArrayLike, h0_mm: npt.ArrayLike, d_l_per_mm: npt.ArrayLike,
) -> np.ndarray | float:
    """The can's volume at 20 °C for a neck-scale reading: ``V_B = V_nominal + (h − h0)·d`` (L).

    JJG 443-2006 §7.6, regulations.md §3 (standard metal can method). ``h0_mm`` is the scale mark of
    the nominal volume ``v_nominal_l`` and ``d_l_per_mm`` the volume per millimetre of the neck,
    both from the can's calibration certificate; ``h_mm`` is the liquid level the operator reads.
    A reading below the nominal mark gives less than the nominal volume. Worked example A: a 20 L
    can at 66 mm with 2 mL/mm read at 31 mm holds 19.930 L. Raises ``ValueError`` for a
    non-positive nominal volume or scale factor.
    """
    v = as_float_array(v_nominal_l, "v_nominal_l")
    h = as_float_array(h_mm, "h_mm")
    h0 = as_float_array(h0_mm, "h0_mm")
    d = as_float_array(d_l_per_mm, "d_l_per_mm")
    require_positive(v, "v_nominal_l")
    require_positive(d, "d_l_per_mm")
    return scalar_or_array(v + (h - h0) * d)


def temperature_factor(
    beta_y: npt.ArrayLike, beta_b: npt.ArrayLike, t_j: npt.ArrayLike, t_b: npt.ArrayLike,
) -> np.ndarray | float:
    """The bracket ``1 + β_Y (t_J − t_B) + β_B (t_B − 20)`` of JJG 443-2006 §7.6 (regulations.md §3).

    Separate so that the twin can invert exactly what the procedure applies (the simulated can
    shows the reading whose corrected volume is the delivered one). Raises ``ValueError`` for a
    negative expansion coefficient.
    """
    by = as_float_array(beta_y, "beta_y")
    bb = as_float_array(beta_b, "beta_b")
    tj = as_float_array(t_j, "t_j")
    tb = as_float_array(t_b, "t_b")
    if np.any(by < 0) or np.any(bb < 0):
        raise ValueError(f"expansion coefficients must be >= 0, got beta_y={by.tolist()}, beta_b={bb.tolist()}")
    return scalar_or_array(1.0 + by * (tj - tb) + bb * (tb - REFERENCE_TEMPERATURE_C))


def can_volume_at_fuel_temperature(
    v_b: npt.ArrayLike, beta_y: npt.ArrayLike, beta_b: npt.ArrayLike, t_j: npt.ArrayLike, t_b: npt.ArrayLike,
) -> np.ndarray | float:
    """The delivered volume at the nozzle's fuel temperature: ``V_Bt = V_B[1 + β_Y(t_J − t_B) + β_B(t_B − 20)]``.

    JJG 443-2006 §7.6, regulations.md §3. ``v_b`` is the can's volume at 20 °C from
    :func:`can_volume_from_neck`, ``t_j``/``t_b`` the fuel temperatures at the nozzle and in the can
    (°C), ``beta_y``/``beta_b`` the expansion coefficients of the fuel and of the can material
    (1/°C, from the regulation's table). This is the reference of ``E_V = (V_J − V_Bt)/V_Bt``.
    Worked example B: V_B = 19.938 L, gasoline (12×10⁻⁴), stainless can (50×10⁻⁶), t_J = 24 °C,
    t_B = 23 °C → V_Bt = 19.965 L. Raises ``ValueError`` for a non-positive ``v_b``.
    """
    v = as_float_array(v_b, "v_b")
    require_positive(v, "v_b")
    factor = np.asarray(temperature_factor(beta_y, beta_b, t_j, t_b))
    return scalar_or_array(v * factor)


def neck_reading_for_volume(
    v_at_fuel_temperature_l: npt.ArrayLike, v_nominal_l: npt.ArrayLike, h0_mm: npt.ArrayLike,
    d_l_per_mm: npt.ArrayLike, beta_y: npt.ArrayLike, beta_b: npt.ArrayLike, t_j: npt.ArrayLike,
    t_b: npt.ArrayLike,
) -> np.ndarray | float:
    """The neck reading ``h`` (mm, unrounded) at which a delivered volume stands in the can.

    The exact inverse of :func:`can_volume_from_neck` followed by
    :func:`can_volume_at_fuel_temperature` (JJG 443-2006 §7.6): ``V_B = V_Bt / [1 + β_Y(t_J − t_B) +
    β_B(t_B − 20)]``, ``h = h0 + (V_B − V_nominal)/d``. Used by the simulated can, which must show
    the reading a real can would for the fuel the simulated dispenser really delivered.
    """
    vt = as_float_array(v_at_fuel_temperature_l, "v_at_fuel_temperature_l")
    require_positive(vt, "v_at_fuel_temperature_l")
    v = as_float_array(v_nominal_l, "v_nominal_l")
    h0 = as_float_array(h0_mm, "h0_mm")
    d = as_float_array(d_l_per_mm, "d_l_per_mm")
    require_positive(v, "v_nominal_l")
    require_positive(d, "d_l_per_mm")
    v_b = vt / np.asarray(temperature_factor(beta_y, beta_b, t_j, t_b))
    return scalar_or_array(h0 + (v_b - v) / d)


def can_method_budget(
    *,
    v_nominal_l: float,
    can_u95_pct: float,
    neck_resolution_mm: float,
    d_l_per_mm: float,
    display_resolution_l: float,
    thermometer_mpe_c: float,
    beta_y: float,
    beta_b: float,
    can_k: float = 2.0,
) -> UncertaintyBudget:
    """The uncertainty budget (relative, in %) of one run's error ``E_V`` by the can method.

    regulations.md §8 (fuel volume budgets, [M]) applied to the model of JJG 443-2006 §7.6
    (JJF 1059.1, uncorrelated inputs):

    - the can's volume: its certificate's ``U`` (``can_u95_pct``) with coverage factor ``can_k``;
    - the neck reading: half-width ``d × resolution`` (rectangular), as a share of the volume;
    - the dispenser's display resolution: half-width ``resolution/2`` (rectangular);
    - the nozzle thermometer (``t_J``): ``u(t) = MPE/√3``, sensitivity ``β_Y``;
    - the can thermometer (``t_B``): ``u(t) = MPE/√3``, sensitivity ``β_B − β_Y`` (``t_B`` enters
      both the fuel and the can term).

    The relative sensitivities of the temperatures are exact to first order (∂V_Bt/∂t / V_Bt).
    ``budget.expanded()`` gives U95 in % for the JJF 1094 decision (regulations.md §0.3).
    """
    if v_nominal_l <= 0:
        raise ValueError(f"v_nominal_l must be > 0, got {v_nominal_l!r}")
    pct = 100.0 / v_nominal_l
    components = [
        UncertaintyComponent("标准金属量器 (can calibration)", can_u95_pct, "normal", k=can_k),
        UncertaintyComponent("颈部读数 (neck reading)", neck_resolution_mm * d_l_per_mm * pct, "rectangular"),
        UncertaintyComponent("加油机显示分辨力 (display resolution)", display_resolution_l / 2 * pct, "rectangular"),
        UncertaintyComponent("油枪油温 t_J (nozzle thermometer)", thermometer_mpe_c, "rectangular",
                             sensitivity=beta_y * 100.0),
        UncertaintyComponent("量器油温 t_B (can thermometer)", thermometer_mpe_c, "rectangular",
                             sensitivity=(beta_b - beta_y) * 100.0),
    ]
    return UncertaintyBudget(tuple(components))


__all__ = [
    "REFERENCE_TEMPERATURE_C",
    "can_method_budget",
    "can_volume_at_fuel_temperature",
    "can_volume_from_neck",
    "neck_reading_for_volume",
    "temperature_factor",
]
