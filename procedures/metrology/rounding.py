"""Rounding (修约/化整) of results to the regulation's rounding interval.

GB/T 8170 "四舍六入五单双" is round-half-to-even on the quotient ``value / interval``; JJG 596-2012 and
the other regulations round the *mean* error this way before judging and printing it
(regulations.md §0.2). All arithmetic runs in :mod:`decimal` (through :class:`fractions.Fraction` for
the quotient), never as float equality with 0.5: a float ``0.175`` is really ``0.17499999…``, so it
is converted through its shortest ``repr`` (``'0.175'``), which is the number the operator sees.
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation, localcontext
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

DecimalLike = Decimal | str | int | float
"""A number given exactly (``Decimal``, ``str``, ``int``) or as a float converted through ``repr``."""


def to_decimal(value: Any) -> Decimal:
    """Convert ``value`` to :class:`~decimal.Decimal` without binary-float artefacts.

    Floats (including numpy floats) go through ``repr``, so ``0.25`` and ``0.175`` stay what they
    print as; strings are parsed as decimal literals; ``Decimal`` passes through. NaN and infinities
    are returned as the corresponding ``Decimal`` so callers can detect them with ``is_finite()``.
    Needed by GB/T 8170 rounding and JJF 1094-2002 §5.3.1.6 boundary comparisons, which must be exact.
    """
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError(f"a boolean is not a number: {value!r}")
    if isinstance(value, int | np.integer):
        return Decimal(int(value))
    if isinstance(value, float | np.floating):
        return Decimal(repr(float(value)))
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"not a decimal number: {value!r}") from None
    raise TypeError(f"cannot convert {type(value).__name__} {value!r} to Decimal")


def _interval(interval: DecimalLike) -> Decimal:
    q = to_decimal(interval)
    if not q.is_finite() or q <= 0:
        raise ValueError(f"rounding interval must be a positive finite number, got {interval!r}")
    return q.normalize()


def decimals_of(interval: DecimalLike) -> int:
    """Number of decimal places printed for a rounding interval (0.2 → 1, 0.05 → 2, 1 → 0).

    Trailing zeros do not count (``'0.20'`` behaves like ``0.2``), so a float and a string interval
    print alike. Regulations state the interval, the printed precision follows from it (GB/T 8170).
    """
    exponent = int(_interval(interval).as_tuple().exponent)  # finite, so always an int
    return max(0, -exponent)


def round_to_interval(value: DecimalLike, interval: DecimalLike) -> Decimal:
    """Round ``value`` to a multiple of ``interval``, half to even (GB/T 8170 四舍六入五单双).

    ``value / interval`` is rounded half-even exactly, multiplied back and quantized to the
    interval's decimals (regulations.md §0.2, JJG 596-2012 化整). The sign is kept, so a negative mean
    rounds to a negative value or zero; a zero result is always unsigned (``Decimal('0.0')``).
    Raises ``ValueError`` for a non-finite value or a non-positive interval.
    """
    q = _interval(interval)
    v = to_decimal(value)
    if not v.is_finite():
        raise ValueError(f"cannot round a non-finite value: {value!r}")
    # Fraction.__round__ is exact round-half-even; the int has no sign of zero, so 0 prints unsigned
    n = round(Fraction(v) / Fraction(q))
    places = decimals_of(q)
    digits = len(str(abs(n))) + len(q.as_tuple().digits) + places + 2
    with localcontext() as ctx:
        ctx.prec = max(28, digits)
        return (Decimal(n) * q).quantize(Decimal(1).scaleb(-places))


def format_rounded(value: DecimalLike, interval: DecimalLike, signed: bool = True) -> str:
    """Round like :func:`round_to_interval` and print as on the record: ``'+0.2'``, ``'-0.2'``, ``'0.0'``.

    With ``signed`` a positive result carries ``'+'`` (errors are printed signed in the 原始记录 and
    certificate, regulations.md §0.2); zero is never signed and never ``'-0'``. Decimals follow the
    interval (:func:`decimals_of`).
    """
    result = round_to_interval(value, interval)
    text = format(result, "f")
    return f"+{text}" if signed and result > 0 else text


def round_array(values: npt.ArrayLike, interval: DecimalLike) -> np.ndarray:
    """Round every element like :func:`round_to_interval`, for all bench positions at once.

    Returns an object array of the input's shape holding ``Decimal`` values. A missing value
    (``None``, NaN) yields ``None`` so that one faulty position does not stop the others
    (GB/T 8170 rounding, regulations.md §0.2).
    """
    items = np.asarray(values, dtype=object)
    out = np.empty(items.shape, dtype=object)
    for index, item in np.ndenumerate(items):
        if item is None or (isinstance(item, float | np.floating) and math.isnan(item)):
            out[index] = None
        else:
            out[index] = round_to_interval(item, interval)
    return out


__all__ = ["DecimalLike", "decimals_of", "format_rounded", "round_array", "round_to_interval", "to_decimal"]
