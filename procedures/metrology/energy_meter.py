"""Energy-meter test durations and currents (JJG 596-2012 practice; regulations.md §6).

The numbers that vary by class and kind (the creep constant 600×10⁶ or 480×10⁶, the starting-current
fraction, the 1.2 factor) are parameters: the regulation's data table supplies them with their
clauses and confidence, this module only holds the formulas.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from procedures.metrology._arrays import as_float_array, require_positive, scalar_or_array


def creep_test_minutes(
    constant_imp_per_kwh: npt.ArrayLike, elements_m: npt.ArrayLike, un_v: npt.ArrayLike,
    imax_a: npt.ArrayLike, creep_constant: float = 600e6,
) -> np.ndarray | float:
    """Minimum creep-test duration T ≥ k/(C·m·Un·Imax) minutes, at 115 % Un and no current, during
    which the meter may emit at most one pulse (regulations.md §6: k = 600×10⁶ for class 1 [R sec.],
    480×10⁶ for class 2 [M]). Example [R sec. zztongyun]: 1600 imp/kWh, 220 V, 5(20) A → 85.2 min."""
    c, m, u, i = (as_float_array(x, n) for x, n in ((constant_imp_per_kwh, "constant"), (elements_m, "elements"),
                                                     (un_v, "Un"), (imax_a, "Imax")))
    for arr, name in ((c, "constant"), (m, "elements"), (u, "Un"), (i, "Imax")):
        require_positive(arr, name)
    return scalar_or_array(creep_constant / (c * m * u * i))


def starting_current_a(ib_a: npt.ArrayLike, fraction: npt.ArrayLike) -> np.ndarray | float:
    """Starting current I_Q = fraction × Ib (class 1 direct-connected 0.004, class 2 0.005;
    regulations.md §6 [R sec.])."""
    return scalar_or_array(as_float_array(ib_a, "Ib") * as_float_array(fraction, "fraction"))


def starting_test_minutes(
    constant_imp_per_kwh: npt.ArrayLike, elements_m: npt.ArrayLike, un_v: npt.ArrayLike,
    starting_current: npt.ArrayLike, factor: float = 1.2,
) -> np.ndarray | float:
    """Starting-test duration t_Q = factor × 60×1000/(C·m·Un·I_Q) minutes — the time for one pulse at
    the starting current, with margin (regulations.md §6 [M]); at least one pulse must appear."""
    c, m, u, i = (as_float_array(x, n) for x, n in ((constant_imp_per_kwh, "constant"), (elements_m, "elements"),
                                                     (un_v, "Un"), (starting_current, "I_Q")))
    for arr, name in ((c, "constant"), (m, "elements"), (u, "Un"), (i, "I_Q")):
        require_positive(arr, name)
    return scalar_or_array(factor * 60.0 * 1000.0 / (c * m * u * i))


def register_error_pct(register_delta_kwh: npt.ArrayLike, standard_kwh: npt.ArrayLike) -> np.ndarray | float:
    """Constant (register / 走字) test: (ΔE_register − E_standard)/E_standard × 100 %, per position;
    NaN for a position whose register could not be read."""
    reg = np.asarray(register_delta_kwh, dtype=float)
    std = as_float_array(standard_kwh, "standard energy")
    require_positive(std, "standard energy")
    return scalar_or_array((reg - std) / std * 100.0)


__all__ = ["creep_test_minutes", "register_error_pct", "starting_current_a", "starting_test_minutes"]
