"""Relative error of an indication, direct and by pulse comparison (regulations.md §0.1, §10).

Vectorised across bench positions: scalars in give a ``float``, arrays in give an array (inputs
broadcast). A NaN at one position (a faulty reading) propagates to that position only.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ._arrays import as_float_array, require_positive, scalar_or_array


def relative_error(indicated: npt.ArrayLike, reference: npt.ArrayLike) -> np.ndarray | float:
    """Relative error in percent, ``E = (X − X_ref) / X_ref × 100``.

    The common error definition of the verification regulations (regulations.md §0.1; JJG 443
    ``E_V = (V_J − V_Bt)/V_Bt``, JJG 162, JJG 577, JJG 1148/1149 示值误差). Positive when the
    instrument indicates more than the reference. Raises ``ValueError`` if a reference is zero.
    """
    x = as_float_array(indicated, "indicated")
    ref = as_float_array(reference, "reference")
    if np.any(ref == 0):
        raise ValueError(f"reference must not be zero, got {ref.tolist()}")
    return scalar_or_array((x - ref) / ref * 100.0)


def computed_pulses(
    dut_pulses_n: npt.ArrayLike,
    std_constant_c0: npt.ArrayLike,
    dut_constant_cl: npt.ArrayLike,
    k_i: npt.ArrayLike = 1.0,
    k_u: npt.ArrayLike = 1.0,
) -> np.ndarray | float:
    """Computed standard-meter pulse count (算定脉冲数) ``m0 = C0·N / (C_L·K_I·K_U)``.

    The number of pulses an error-free standard would emit while the device under test emits ``N``
    (regulations.md §0.1, JJG 596-2012 standard-meter method). ``C0``/``C_L`` are the standard's and
    the DUT's constants (imp/kWh), ``K_I``/``K_U`` the CT/VT ratios used with the standard.
    """
    n = as_float_array(dut_pulses_n, "dut_pulses_n")
    c0 = as_float_array(std_constant_c0, "std_constant_c0")
    cl = as_float_array(dut_constant_cl, "dut_constant_cl")
    ki = as_float_array(k_i, "k_i")
    ku = as_float_array(k_u, "k_u")
    for values, name in ((n, "dut_pulses_n"), (c0, "std_constant_c0"), (cl, "dut_constant_cl"),
                         (ki, "k_i"), (ku, "k_u")):
        require_positive(values, name)
    return scalar_or_array(c0 * n / (cl * ki * ku))


def pulse_comparison_error(
    std_pulses_m: npt.ArrayLike,
    dut_pulses_n: npt.ArrayLike,
    std_constant_c0: npt.ArrayLike,
    dut_constant_cl: npt.ArrayLike,
    k_i: npt.ArrayLike = 1.0,
    k_u: npt.ArrayLike = 1.0,
    std_error_pct: npt.ArrayLike = 0.0,
) -> np.ndarray | float:
    """Error in percent by pulse comparison, ``γ = (m0 − m)/m × 100 + γ0``.

    ``m`` is the count of standard-meter pulses while the DUT emits ``N`` pulses and ``m0`` comes from
    :func:`computed_pulses` (regulations.md §0.1, JJG 596-2012 标准表法). A fast DUT finishes its ``N``
    pulses early, so ``m < m0`` and ``γ > 0``.

    ``std_error_pct`` is the standard's known relative error γ0 (positive when the standard reads
    high). A standard reading high counts too many pulses ``m``, which makes γ too low, so γ0 is
    *added*: γ_corrected = γ + γ0 (first-order correction; the neglected term γ·γ0/100 is of order
    10⁻⁴ % for errors of a few tenths of a percent).
    """
    m = as_float_array(std_pulses_m, "std_pulses_m")
    require_positive(m, "std_pulses_m")
    gamma0 = as_float_array(std_error_pct, "std_error_pct")
    m0 = np.asarray(computed_pulses(dut_pulses_n, std_constant_c0, dut_constant_cl, k_i, k_u))
    return scalar_or_array((m0 - m) / m * 100.0 + gamma0)


__all__ = ["computed_pulses", "pulse_comparison_error", "relative_error"]
