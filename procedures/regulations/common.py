"""Pieces every regulation module shares: judging a set of readings against an MPE (mean → 修约 →
JJF 1094 decision), worst-of verdicts, and validity dates from a verification period."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from procedures.engine.steps import Step, StepOutcome
from procedures.metrology import decide, format_rounded, mean
from procedures.records import LAYOUTS, ItemResult, MeasurementResult, Verdict


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


def valid_until(verified_on: date, years: int, inclusive_end: bool = True, *, months: int = 0) -> date:
    """End of validity for a period of ``years`` and ``months`` (the day before the anniversary
    when inclusive). Months count calendar months, clamped to the month's last day (31 August + 6
    months → 28/29 February): JJG 1148 gives 3 years, JJG 443 6 months (regulations.md §1, §3)."""
    total = verified_on.year * 12 + (verified_on.month - 1) + years * 12 + months
    year, month = divmod(total, 12)
    month += 1
    day = verified_on.day
    while True:
        try:
            anniversary = verified_on.replace(year=year, month=month, day=day)
            break
        except ValueError:  # 29 February, 31st of a short month
            day -= 1
    return anniversary - timedelta(days=1) if inclusive_end else anniversary


def edition_clause(edition: Mapping[str, Any], key: str) -> str:
    """The printable clause of item ``key`` in an edition: its entry in the edition's ``clauses``
    table (the clause number alone, e.g. "5.1" — never a source note), "" where the edition lists the
    item under ``clauses_open`` (clause number not known: printed as "—"). Clauses are per edition,
    so a record cites only the edition its run used."""
    return str(edition.get("clauses", {}).get(key, ""))


def item_layout(d: Mapping[str, Any]) -> str:
    """How an item's results print (:data:`procedures.records.LAYOUTS`), from its table entry's
    ``layout`` ("" when the entry has none). Rows of another kind inside an item (the repeatability
    rows of JJG 443's MMQ item) are named in the entry's ``row_layouts`` (result name → layout)."""
    layout = str(d.get("layout", ""))
    if layout and layout not in LAYOUTS:
        raise ValueError(f"unknown result layout {layout!r}; choose one of {', '.join(LAYOUTS)}")
    return layout


def items_from_steps(table: Mapping[str, Any], item_keys: Sequence[str], steps: Sequence[Step],
                     outcomes: Mapping[str, StepOutcome], position: int | None = None, *,
                     edition: Mapping[str, Any] | None = None) -> tuple[ItemResult, ...]:
    """Group step outcomes into the regulation's items (``item_keys``, in the regulation's order),
    each with its name and layout from ``table["items"]``, its printable clause from ``edition``
    (:func:`edition_clause`), its results and notes, and the worst verdict of its steps (an item
    none of whose steps ran is n/a).

    On a multi-position bench (``position`` given) an item keeps the results of that position and
    those of the whole run (``position`` None); a step that judged positions separately counts
    with the verdicts of this position's results, a step that did not with its own verdict."""
    out: list[ItemResult] = []
    for key in item_keys:
        d = table["items"][key]
        parts = [outcomes[s.key] for s in steps if s.item == key and s.key in outcomes]
        results: list[MeasurementResult] = []
        verdicts: list[Verdict] = []
        rows = {str(k): item_layout({"layout": v}) for k, v in d.get("row_layouts", {}).items()}
        for o in parts:
            mine = [r for r in o.results if r.position is None or r.position == position]
            mine = [dataclasses.replace(r, layout=rows[r.name]) if r.name in rows and not r.layout else r for r in mine]
            results.extend(mine)
            by_position = position is not None and any(r.position is not None for r in o.results)
            verdicts.extend([r.verdict for r in mine] if by_position else [o.verdict])
        verdict = worst(verdicts) if verdicts else Verdict.NOT_APPLICABLE
        notes = [position_note(o, position) for o in parts]
        out.append(ItemResult(key=key, name=d["name"], name_en=d["name_en"],
                              clause=edition_clause(edition or {}, key), verdict=verdict,
                              results=tuple(results), note="；".join(n for n in notes if n), layout=item_layout(d)))
    return tuple(out)


def position_note(outcome: StepOutcome, position: int | None) -> str:
    """A step's note as one position sees it: the step's own note, and that position's entry of
    ``data["position_notes"]`` (e.g. a fault or a non-conformity found at that position only)."""
    own = outcome.note
    if position is None:
        return own
    extra = str(outcome.data.get("position_notes", {}).get(str(position), ""))
    return "；".join(n for n in (own, extra) if n)


def position_faults(outcomes: Mapping[str, StepOutcome]) -> dict[int, list[str]]:
    """Per bench position, the faults steps reported in ``data["position_faults"]`` ({"7": "表位 7:
    无脉冲 …"}): a position with any fault has no complete result and gets no document (re-test)."""
    faults: dict[int, list[str]] = {}
    for outcome in outcomes.values():
        for pos, message in outcome.data.get("position_faults", {}).items():
            faults.setdefault(int(pos), []).append(str(message))
    return faults
