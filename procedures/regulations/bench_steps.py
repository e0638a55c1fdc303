"""Step shapes shared by the multi-position bench regulations (JJG 162 water meters, JJG 577 gas
meters on a flow bench; JJG 596 energy meters for the per-position checklist). What differs between
them — wording, reading keys, how a reference is obtained — stays in each regulation module and is
passed in here.

- :func:`confirm_positions`: a checklist confirmed per bench position; a position not confirmed
  fails that item for its meter only, with a position note.
- :func:`position_error_results` and :func:`errors_by_position`: per-position results of a point
  from the vectorised judging (:func:`procedures.metrology.bench.judge_positions`).
- :func:`repeat_until_valid`: a start-stop test whose conditions concern every position, measured
  again (under the next attempt key) until they are met, or the run is void.
- :func:`flow_condition`: the flow-rate condition of a test, as a reason naming the value and limit.
- :func:`flow_resource`: the ``flow`` resource of a flow bench (valves always closed at the end).
- :func:`position_checklist_plan`: the real-time plan of a checklist confirmed per position.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from procedures.engine import MeasureStep, Step
from procedures.engine.context import StepContext
from procedures.engine.text import Text, bilingual
from procedures.records import MeasurementResult, Verdict
from procedures.regulations.base import PlannedStep, Resource
from procedures.regulations.common import worst

__all__ = ["BENCH_ROLE", "STANDARD_ROLE", "PositionChecks", "confirm_positions", "errors_by_position",
           "flow_condition", "flow_resource", "position_checklist_plan", "position_error_results",
           "repeat_until_valid"]

BENCH_ROLE, STANDARD_ROLE = "flow_bench", "flow_standard"
T = TypeVar("T")


# -- per-position checklist -------------------------------------------------------------------------
def points_text(title: Text, points: Sequence[str], *, console: str, then: Text | None = None) -> Text:
    """A checklist's heading naming its points, "密封性检查: 点一；点二 — 逐表位确认", in both
    languages (each point of the table is "中文 / English"); ``console`` is the heading as the
    console printed it (and a demo's answer table finds it by)."""
    parts = [bilingual(x) for x in points]
    zh = f"{title.zh}: " + "；".join(x.zh for x in parts)
    en = f"{title.en or title.zh}: " + "; ".join(x.en or x.zh for x in parts)
    if then is not None:
        zh, en = f"{zh} — {then.zh}", f"{en} — {then.en}"
    return Text(zh, en, console=console)


def position_line(position: int, serial: str, point: str = "") -> Text:
    """A checklist line for one bench position, "表位 3 (SN-3)" or "表位 3 (SN-3): point", in both
    languages. Its console form is the line as answers are kept on disk (the key of the raw
    reading), so a resumed run finds its answers."""
    zh = f"表位 {position} ({serial})"
    en = f"Position {position} ({serial})"
    if not point:
        return Text(zh, en, console=zh)
    what = bilingual(point)
    return Text(f"{zh}: {what.zh}", f"{en}: {what.en or what.zh}", console=f"{zh}: {point}")


def line_of(position_label: str, what: str, console: str) -> Text:
    """A checklist line "表位 3 (SN-3): 外观检查合格" of a position in both languages; ``console`` as
    the line is kept on disk (the key of its raw reading)."""
    label, text = bilingual(position_label), bilingual(what)
    return Text(f"{label.zh}: {text.zh}", f"{label.en or label.zh}: {text.en or text.zh}", console=console)


@dataclass(frozen=True)
class PositionChecks:
    """A checklist's outcome per bench position: one result per position (pass when confirmed),
    the answers and the notes of the positions not confirmed (position → text)."""

    results: tuple[MeasurementResult, ...]
    answers: dict[int, bool]
    notes: dict[int, str]

    @property
    def verdict(self) -> Verdict:
        """The step's verdict: the worst over positions."""
        return worst(r.verdict for r in self.results)

    def notes_by_key(self) -> dict[str, str]:
        """The notes keyed as ``data["position_notes"]`` wants them ("7" → text)."""
        return {str(pos): text for pos, text in self.notes.items()}


async def confirm_positions(ctx: StepContext, step: MeasureStep, title: str, lines: Mapping[int, str], *,
                            label: Callable[[int], str], note: Callable[[int], str], scored: bool,
                            record: bool = True) -> PositionChecks:
    """Ask one checklist with a line per position (``lines``, position → the line the operator
    ticks; the answers are kept per line, so resume needs the same lines) and judge each position
    on its own line: confirmed → pass, else fail with ``note(position)``.

    The result of a position is named after the step, labelled ``label(position)``; ``scored``
    results carry 1/0 and print 符合/不符合, unscored ones carry no value and print the verdict
    (合格/不合格). ``record`` publishes each result as it is judged."""
    answers = await ctx.ask_checklist(title, list(lines.values()))
    results: list[MeasurementResult] = []
    confirmed: dict[int, bool] = {}
    notes: dict[int, str] = {}
    for pos, line in lines.items():
        ok = confirmed[pos] = bool(answers.get(line, False))
        verdict = Verdict.PASS if ok else Verdict.FAIL
        score = 1.0 if ok else 0.0
        r = MeasurementResult(name=step.title, label=label(pos), unit="", values=(score,) if scored else (),
                              mean=score if scored else 0.0,
                              rounded=("符合" if ok else "不符合") if scored else verdict.zh, mpe=None,
                              verdict=verdict, position=pos)
        if record:
            ctx.record(step.item, r)
        results.append(r)
        if not ok:
            notes[pos] = note(pos)
    return PositionChecks(results=tuple(results), answers=confirmed, notes=notes)


def position_checklist_plan(step: Step, positions: int, points: int, ops: Mapping[str, float], *,
                            hold_s: float = 0.0, hold_why: str = "") -> PlannedStep:
    """The real-time plan of a checklist confirmed per position (:func:`confirm_positions`): every
    point looked at on every meter, positions × points × the nominal time of one point
    (data/plan.toml ``checklist_point_s``), plus a hold the item needs once for the whole batch
    (``hold_s``: a test pressure or voltage held, ``hold_why`` saying which)."""
    each = float(ops["checklist_point_s"])
    why = f"{positions} 表位 × {points} 项 × {each:g} s (positions × points, nominal)"
    if hold_s:
        why = f"{hold_why}；{why}"
    return PlannedStep(step.key, step.title, positions * points * each + hold_s, why)


# -- per-position results of a point ----------------------------------------------------------------
def position_error_results(ctx: StepContext, step: MeasureStep, positions: Sequence[int], errors: np.ndarray,
                           judged: Any, *, label: str, mpe: float, u95: float | None,
                           name: str = "示值误差", unit: str = "%") -> list[MeasurementResult]:
    """One result per position from its row of ``errors`` (NaN: no reading) and the judging of
    :func:`~procedures.metrology.bench.judge_positions` (mean, printed value, verdict), each
    published as it is made. A faulted position has no value: its printed "—" and verdict
    n/a say there is none, and its mean is None (the store and JSON keep no NaN)."""
    results: list[MeasurementResult] = []
    for i, pos in enumerate(positions):
        mean = float(judged.mean[i])
        r = MeasurementResult(name=name, label=label, unit=unit,
                              values=tuple(float(x) for x in errors[i] if math.isfinite(x)),
                              mean=mean if math.isfinite(mean) else None, rounded=judged.printed[i], mpe=mpe,
                              verdict=Verdict(str(judged.verdict[i])),
                              uncertainty=None if u95 is None else float(u95), position=pos)
        ctx.record(step.item, r)
        results.append(r)
    return results


def errors_by_position(errors: np.ndarray, positions: Sequence[int]) -> dict[str, list[float | None]]:
    """Every run's error per position for the step's data ("7" → [e1, e2, …], None: no reading)."""
    return {str(pos): [float(x) if math.isfinite(x) else None for x in errors[i]] for i, pos in enumerate(positions)}


# -- test conditions of the whole bench ---------------------------------------------------------------
async def repeat_until_valid(ctx: StepContext, base: str, take: Callable[[str], Awaitable[T]],
                             reason: Callable[[T], str]) -> T:
    """A start-stop test ``base`` taken (or taken back from disk) by ``take(key)`` under the current
    attempt key (``base``, then ``base@2`` …) until ``reason(test)`` is "": a condition of the test
    (flow, temperatures, the standard) concerns every position on the bench, so the whole test is
    measured again after the operator's choice (``ctx.condition_not_met``), or the run is void
    (``RunVoided``). The invalid test stays on disk under its own key; it never reaches a result."""
    while True:
        test = await take(ctx.attempt_key(base))
        why = reason(test)
        if not why:
            return test
        await ctx.condition_not_met(base, why)


def flow_condition(what: str, flow_m3_h: float, low: float, high: float) -> str:
    """Why a test's mean flow (m³/h) does not stand: outside [low, high] (each with a relative
    slack of 0.1 % for the bench's display), as "<what>: 实际流量 … 不在 …~… m³/h 内"; "" inside."""
    if low * 0.999 <= flow_m3_h <= high * 1.001:
        return ""
    return f"{what}: 实际流量 {flow_m3_h:.4g} m³/h 不在 {low:.4g}~{high:.4g} m³/h 内 (flow outside the point's window)"


# -- resources --------------------------------------------------------------------------------------
async def _no_setup(ctx: StepContext) -> None:
    """Nothing to open in advance: each test opens and closes the valves itself."""


async def _stop_flow(ctx: StepContext) -> None:
    """Close the bench's valves (idempotent)."""
    await ctx.device(BENCH_ROLE).stop_flow()


def flow_resource() -> dict[str, Resource]:
    """``flow``: the medium running through the bench; the valves are always closed at the end."""
    return {"flow": (_no_setup, _stop_flow)}
