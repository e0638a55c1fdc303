"""Conformity decision with measurement uncertainty, JJF 1094-2002 §5.3.1.6 (regulations.md §0.3).

**Which value is judged.** The regulations judge the error *as rounded and printed* (修约后的误差,
regulations.md §0.2), so pass the output of :func:`~procedures.metrology.rounding.round_to_interval`
(a ``Decimal``) or its printed string. All comparisons are made in :class:`~decimal.Decimal`; floats
are converted through ``repr`` (``0.6`` is ``Decimal('0.6')``), so a boundary such as
``|Δ| = MPE − U95`` is met exactly and never missed by binary rounding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from procedures.records import Verdict

from .rounding import DecimalLike, to_decimal

Rule = Literal["simple", "guard-band"]


@dataclass(frozen=True)
class Decision:
    """Outcome of one JJF 1094-2002 §5.3.1.6 decision.

    ``rule`` is ``'simple'`` (uncertainty ignored, U95 ≤ MPE/3 or unknown) or ``'guard-band'``.
    Pass iff |Δ| ≤ ``acceptance_limit`` (MPE, or MPE − U95). ``rejection_limit`` is MPE for the simple
    rule (fail iff |Δ| > MPE) and MPE + U95 for the guard band (fail iff |Δ| ≥ MPE + U95).
    ``margin`` = acceptance_limit − |Δ|, so a margin ≥ 0 means pass.
    """

    verdict: Verdict
    rule: Rule
    margin: Decimal
    acceptance_limit: Decimal
    rejection_limit: Decimal


def decide(
    error: DecimalLike,
    mpe: DecimalLike,
    u95: DecimalLike | None = None,
    *,
    require_one_third: bool = True,
) -> Decision:
    """Judge one error against a symmetric MPE ±``mpe`` under JJF 1094-2002 §5.3.1.6.

    - ``u95`` is None, or ``require_one_third`` and U95 ≤ MPE/3 (simple rule): pass iff |Δ| ≤ MPE,
      else fail.
    - Otherwise (guard band): pass iff |Δ| ≤ MPE − U95; fail iff |Δ| ≥ MPE + U95; in between
      undetermined (待定).

    ``require_one_third=False`` disables the one-third shortcut: a given U95 is always guard-banded
    (a stricter policy for benches whose uncertainty should always count). ``error`` should be the
    rounded error (see the module docstring). Raises ``ValueError`` for MPE ≤ 0, U95 < 0 or a
    non-finite input.
    """
    delta = _finite(error, "error").copy_abs()
    limit = _finite(mpe, "mpe")
    if limit <= 0:
        raise ValueError(f"mpe must be > 0, got {mpe!r}")
    u = None if u95 is None else _finite(u95, "u95")
    if u is not None and u < 0:
        raise ValueError(f"u95 must be >= 0, got {u95!r}")

    if u is None or (require_one_third and 3 * u <= limit):
        verdict = Verdict.PASS if delta <= limit else Verdict.FAIL
        return Decision(verdict, "simple", limit - delta, limit, limit)
    accept, reject = limit - u, limit + u
    if delta <= accept:
        verdict = Verdict.PASS
    elif delta >= reject:
        verdict = Verdict.FAIL
    else:
        verdict = Verdict.UNDETERMINED
    return Decision(verdict, "guard-band", accept - delta, accept, reject)


def decide_array(
    errors: npt.ArrayLike,
    mpe: npt.ArrayLike,
    u95: npt.ArrayLike | None = None,
    *,
    require_one_third: bool = True,
) -> np.ndarray:
    """Verdict strings (``'pass'``, ``'fail'``, ``'undetermined'``) for all bench positions at once.

    Applies :func:`decide` (JJF 1094-2002 §5.3.1.6) element-wise; ``mpe`` and ``u95`` broadcast
    against ``errors`` (one per position or one for all). Elements may be ``Decimal``, ``str`` or
    float, as for :func:`decide`. A missing error (``None`` or NaN: a faulty position) gives
    ``'n/a'`` (:attr:`Verdict.NOT_APPLICABLE`) rather than stopping the other positions.
    """
    e, m, u = np.broadcast_arrays(
        np.asarray(errors, dtype=object), np.asarray(mpe, dtype=object), np.asarray(u95, dtype=object)
    )
    out = np.empty(e.shape, dtype="<U12")
    for index in np.ndindex(e.shape):
        err = e[index]
        if _missing(err):
            out[index] = Verdict.NOT_APPLICABLE.value
        else:
            out[index] = decide(err, m[index], u[index], require_one_third=require_one_third).verdict.value
    return out


def _finite(value: Any, name: str) -> Decimal:
    number = to_decimal(value)
    if not number.is_finite():
        raise ValueError(f"{name} must be finite, got {value!r}")
    return number


def _missing(value: Any) -> bool:
    if isinstance(value, Decimal):
        return value.is_nan()
    return value is None or (isinstance(value, float | np.floating) and math.isnan(value))


__all__ = ["Decision", "Rule", "decide", "decide_array"]
