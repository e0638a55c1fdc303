"""Means, sample standard deviation and range-based repeatability (regulations.md §0.4).

Readings run along the last axis, one row per bench position; rows are independent, so a NaN in one
row (a faulty position) makes only that row's result NaN. A 1-D input gives a ``float``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ._arrays import as_float_array, scalar_or_array


def _readings(values: npt.ArrayLike, axis: int, minimum: int, what: str) -> np.ndarray:
    data = as_float_array(values, "values")
    if data.ndim == 0:
        raise ValueError(f"{what} needs a sequence of readings, got a scalar")
    if data.shape[axis] < minimum:
        raise ValueError(f"{what} needs at least {minimum} readings, got {data.shape[axis]}")
    return data


def mean(values: npt.ArrayLike, axis: int = -1) -> np.ndarray | float:
    """Arithmetic mean of repeated readings along ``axis``.

    The mean of the runs is the point's result: JJG 596 (≥ 2 readings per load point), JJG 443 (mean of
    3 runs per flow point) — regulations.md §0.4. Raises ``ValueError`` for an empty set of readings.
    """
    data = _readings(values, axis, 1, "mean")
    return scalar_or_array(np.mean(data, axis=axis))


def sample_std(values: npt.ArrayLike, axis: int = -1) -> np.ndarray | float:
    """Experimental standard deviation ``s = sqrt(Σ(γi − γ̄)²/(n − 1))`` along ``axis``.

    JJG 596 standard-deviation test (n ≥ 5 readings, regulations.md §0.4) and the type A evaluation
    of JJF 1059.1 (Bessel formula). Raises ``ValueError`` when fewer than 2 readings are given.
    """
    data = _readings(values, axis, 2, "sample_std")
    return scalar_or_array(np.std(data, axis=axis, ddof=1))


def repeatability_range(values: npt.ArrayLike, d_n: float, axis: int = -1) -> np.ndarray | float:
    """Range-based repeatability ``E_n = (E_max − E_min) / d_n`` along ``axis``.

    The fuel-dispenser rule of JJG 443 (regulations.md §0.4): 3 runs per flow point with the range
    coefficient ``d_n = 1.69`` for n = 3. ``d_n`` is passed in (regulation data, not code). Raises
    ``ValueError`` for fewer than 2 readings or a non-positive ``d_n``.
    """
    if not d_n > 0:
        raise ValueError(f"range coefficient d_n must be > 0, got {d_n!r}")
    data = _readings(values, axis, 2, "repeatability_range")
    spread = np.max(data, axis=axis) - np.min(data, axis=axis)
    return scalar_or_array(spread / d_n)


__all__ = ["mean", "repeatability_range", "sample_std"]
