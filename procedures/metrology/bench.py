"""Multi-position benches: every position's error, rounding and verdict at once, in numpy.

A bench update carries one reading per position (e.g. 24 electricity meters against one standard
meter, 20 water meters in series). Everything here is vectorised over positions and exact where a
boundary is judged:

- rounding (GB/T 8170 half-even on the regulation's interval) is done in *integer steps* of the
  interval: ``np.rint`` on ``value/interval``, with the few values within 1e-9 of a tie re-done in
  ``Decimal`` so that 0.25 at interval 0.05 is judged exactly as the scalar path judges it;
- the JJF 1094-2002 §5.3.1.6 decision compares those integer steps with integer thresholds
  (⌊MPE/q⌋, ⌊(MPE−U95)/q⌋, ⌈(MPE+U95)/q⌉ computed in ``Decimal``), so no float product such as
  3 × 0.1 can tip a boundary;
- a faulty position (no pulses, a NaN reading) gives NaN and the verdict ``n/a``; it never stops
  the others (issue: "one faulty position never loses the others' results").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

import numpy as np
import numpy.typing as npt

from procedures.metrology.rounding import DecimalLike, format_rounded, to_decimal
from procedures.records import Verdict

_TIE_WINDOW = 1e-9
MISSING = np.iinfo(np.int64).min  # step value of a faulty position


def pulse_errors(
    std_pulses_m: npt.ArrayLike,
    dut_pulses_n: npt.ArrayLike,
    std_constant_c0: npt.ArrayLike,
    dut_constant_cl: npt.ArrayLike,
    k_i: npt.ArrayLike = 1.0,
    k_u: npt.ArrayLike = 1.0,
) -> np.ndarray:
    """Pulse-comparison errors γ = (m0 − m)/m × 100 % with m0 = C0·N/(C_L·K_I·K_U) for all
    positions (regulations.md §0.1, JJG 596-2012 standard-meter method). Unlike the scalar
    :func:`procedures.metrology.pulse_comparison_error`, a position without a usable count (m ≤ 0
    or NaN) yields NaN instead of raising."""
    m = np.asarray(std_pulses_m, dtype=float)
    m0 = (np.asarray(std_constant_c0, dtype=float) * np.asarray(dut_pulses_n, dtype=float)
          / (np.asarray(dut_constant_cl, dtype=float) * np.asarray(k_i, dtype=float) * np.asarray(k_u, dtype=float)))
    with np.errstate(divide="ignore", invalid="ignore"):
        gamma = (m0 - m) / m * 100.0
    return np.where(np.isfinite(m) & (m > 0), gamma, np.nan)


def round_steps(values: npt.ArrayLike, interval: DecimalLike) -> np.ndarray:
    """Each value rounded half-to-even to a whole number of ``interval`` steps (GB/T 8170), as an
    int64 array; NaN positions give :data:`MISSING`."""
    q_dec = to_decimal(interval)
    q = float(q_dec)
    v = np.asarray(values, dtype=float)
    ratio = v / q
    steps = np.rint(ratio)  # numpy rounds half to even
    frac = np.abs(ratio - np.floor(ratio) - 0.5)
    near_tie = np.isfinite(ratio) & (frac < _TIE_WINDOW)
    out = np.where(np.isfinite(ratio), steps, 0).astype(np.int64)
    for index in zip(*np.nonzero(near_tie), strict=True):  # rare: decide exactly
        exact = (to_decimal(float(v[index])) / q_dec).to_integral_value()  # ROUND_HALF_EVEN is the default
        out[index] = int(exact)
    out[~np.isfinite(ratio)] = MISSING
    return out


def _floor_div(a: Decimal, q: Decimal) -> int:
    return int((a / q).to_integral_value(rounding=ROUND_FLOOR))


def _ceil_div(a: Decimal, q: Decimal) -> int:
    return int((a / q).to_integral_value(rounding=ROUND_CEILING))


def decide_steps(steps: np.ndarray, interval: DecimalLike, mpe: DecimalLike,
                 u95: DecimalLike | None = None) -> np.ndarray:
    """JJF 1094-2002 §5.3.1.6 verdicts for rounded errors given in interval steps: the simple rule
    when U95 is unknown or ≤ MPE/3 (pass iff |Δ| ≤ MPE), else the guard band (pass iff |Δ| ≤
    MPE − U95, fail iff |Δ| ≥ MPE + U95, otherwise undetermined). Thresholds are exact integers."""
    q, limit = to_decimal(interval), to_decimal(mpe)
    mag = np.abs(steps.astype(np.float64))
    out = np.full(steps.shape, Verdict.FAIL.value, dtype="<U12")
    if u95 is None or 3 * to_decimal(u95) <= limit:
        out[mag <= _floor_div(limit, q)] = Verdict.PASS.value
    else:
        u = to_decimal(u95)
        out[mag < _ceil_div(limit + u, q)] = Verdict.UNDETERMINED.value
        out[mag <= _floor_div(limit - u, q)] = Verdict.PASS.value
    out[steps == MISSING] = Verdict.NOT_APPLICABLE.value
    return out


def needs_more_readings(mean_errors: npt.ArrayLike, mpe: npt.ArrayLike, low: float = 0.8,
                        high: float = 1.2) -> np.ndarray:
    """Positions whose mean error lies within ``low``–``high`` of the limit and so take two more
    readings, averaged with the first (energy-meter practice, regulations.md §0.4; the band is a
    parameter of the regulation's table)."""
    ratio = np.abs(np.asarray(mean_errors, dtype=float)) / np.asarray(mpe, dtype=float)
    return np.isfinite(ratio) & (ratio >= low) & (ratio <= high)


@dataclass(frozen=True)
class PositionResults:
    """One test point on a bench, all positions: raw errors, means over readings, rounded steps,
    printed values and verdicts (``n/a`` for faulty positions)."""

    errors: np.ndarray
    mean: np.ndarray
    readings: np.ndarray
    steps: np.ndarray
    printed: tuple[str, ...]
    verdict: np.ndarray


def judge_positions(errors: npt.ArrayLike, interval: DecimalLike, mpe: DecimalLike,
                    u95: DecimalLike | None = None, *, printed: bool = True) -> PositionResults:
    """Mean over the last axis (readings) per position, ignoring NaN readings; round; decide.
    A position with no valid reading is ``n/a``."""
    e = np.asarray(errors, dtype=float)
    if e.ndim == 1:
        e = e[:, None]
    valid = np.isfinite(e)
    counts = valid.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(counts > 0, np.where(valid, e, 0.0).sum(axis=-1) / np.maximum(counts, 1), np.nan)
    steps = round_steps(mean, interval)
    verdict = decide_steps(steps, interval, mpe, u95)
    text: tuple[str, ...] = ()
    if printed:
        q = to_decimal(interval)
        text = tuple("—" if s == MISSING else format_rounded(Decimal(int(s)) * q, q) for s in steps.ravel())
    return PositionResults(e, mean, counts, steps, text, verdict)


def step_value(steps: np.ndarray, interval: DecimalLike) -> np.ndarray:
    """Rounded values as floats for plots (NaN for faulty positions); never judge with these."""
    q = float(to_decimal(interval))
    return np.where(steps == MISSING, math.nan, steps * q)


__all__ = ["MISSING", "PositionResults", "decide_steps", "judge_positions", "needs_more_readings",
           "pulse_errors", "round_steps", "step_value"]
