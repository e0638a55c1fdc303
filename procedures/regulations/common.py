"""Pieces every regulation module shares: judging a set of readings against an MPE (mean → 修约 →
JJF 1094 decision), worst-of verdicts, and validity dates from a verification period."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from procedures.metrology import decide, format_rounded, mean
from procedures.records import MeasurementResult, Verdict


def judge(
    name: str, label: str, unit: str, values: Sequence[float], mpe: float, interval: str,
    u95: float | None = None,
) -> MeasurementResult:
    """Mean of ``values``, rounded to the regulation's interval, judged against ±``mpe``.

    The *rounded* value is judged, as verification regulations do (the printed result is the one
    compared with the MPE; JJG 596-2012 rounding rule, JJF 1094-2002 §5.3.1.6 decision).
    """
    m = float(mean(list(values)))
    printed = format_rounded(m, interval)
    decision = decide(printed, mpe, u95)
    return MeasurementResult(name=name, label=label, unit=unit, values=tuple(float(v) for v in values),
                             mean=m, rounded=printed, mpe=mpe, verdict=decision.verdict, uncertainty=u95)


def worst(verdicts: Iterable[Verdict]) -> Verdict:
    """An item's verdict from its parts: fail beats undetermined beats pass; all n/a is n/a."""
    vs = [v for v in verdicts if v is not Verdict.NOT_APPLICABLE]
    if not vs:
        return Verdict.NOT_APPLICABLE
    for v in (Verdict.FAIL, Verdict.UNDETERMINED):
        if v in vs:
            return v
    return Verdict.PASS


def valid_until(verified_on: date, years: int, inclusive_end: bool = True) -> date:
    """End of validity for a period of ``years`` (the day before the anniversary when inclusive)."""
    try:
        anniversary = verified_on.replace(year=verified_on.year + years)
    except ValueError:  # 29 February
        anniversary = verified_on.replace(year=verified_on.year + years, day=28)
    return anniversary - timedelta(days=1) if inclusive_end else anniversary
