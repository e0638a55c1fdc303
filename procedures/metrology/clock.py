"""Clock errors of meters and chargers: daily rate error and point-in-time offset (regulations.md §6, §10)."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import numpy.typing as npt

from ._arrays import as_float_array, require_positive, scalar_or_array

SECONDS_PER_DAY = 86400.0


def daily_clock_error_s_per_day(measured_hz: npt.ArrayLike, nominal_hz: npt.ArrayLike) -> np.ndarray | float:
    """Daily clock error in s/d, ``e = (f − f0)/f0 × 86400``, from the clock's test-output frequency.

    JJG 596-2012 日计时误差 (regulations.md §6: limit ±0.5 s/d, mean rounded to 0.01 s/d). The sign
    convention is inferred ([I] in regulations.md §6): positive when the clock gains (runs fast), i.e.
    its second-pulse frequency is above nominal. Vectorised across positions.
    """
    f = as_float_array(measured_hz, "measured_hz")
    f0 = as_float_array(nominal_hz, "nominal_hz")
    require_positive(f0, "nominal_hz")
    return scalar_or_array((f - f0) / f0 * SECONDS_PER_DAY)


def clock_offset_s(device_time: datetime, reference_time: datetime) -> float:
    """Point-in-time clock offset in seconds, positive when the device is ahead of the reference.

    The JJG 1148/1149-2022 时刻误差 of a charger's clock (regulations.md §10). Both times must be
    timezone-aware or both naive; otherwise ``ValueError``.
    """
    if (device_time.utcoffset() is None) != (reference_time.utcoffset() is None):
        raise ValueError("device_time and reference_time must both be timezone-aware or both naive")
    return (device_time - reference_time).total_seconds()


__all__ = ["SECONDS_PER_DAY", "clock_offset_s", "daily_clock_error_s_per_day"]
