"""The asyncio executor: runs steps in order, persists each finished step through the bus, pauses
on a device fault with a clear message, honours abort, and always tears down (output off, load off,
session stopped) — the OpenHTF phase-group habit."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from drivers.errors import DeviceError
from procedures.engine.context import ConditionNotMet, RunAborted, RunVoided, StepContext
from procedures.engine.events import RunFinished, RunPaused, RunStarted, StepFinished, StepStarted
from procedures.engine.steps import Procedure, Step, StepOutcome
from procedures.engine.text import Text
from procedures.records import Verdict

log = logging.getLogger(__name__)

__all__ = ["ConditionNotMet", "Executor", "RunAborted", "RunOutcome", "RunVoided"]


@dataclass
class RunOutcome:
    """How a run ended and what every finished step produced."""

    status: str  # finished | paused | aborted | void
    outcomes: dict[str, StepOutcome] = field(default_factory=dict)
    message: str = ""
    device: str | None = None
    teardown_errors: list[str] = field(default_factory=list)


class Executor:
    """Run one procedure in one context.

    Test conditions: a step that raises :class:`ConditionNotMet`, or whose own result (not a bench
    position's) falls in the JJF 1094-2002 §5.3.1.6 undetermined zone (待定: the result cannot be
    called conforming or not), is not finished: the reason is kept on disk, the operator chooses to
    measure the step again or to void the run (:meth:`StepContext.condition_not_met`), and the step
    runs again under a fresh attempt. An undetermined result therefore never becomes 不合格
    silently, nor 合格: it is measured again or the run is 无效. A bench position's undetermined
    result sends that position to re-test (bench's controller), the others keep theirs.
    """

    def __init__(self, procedure: Procedure, ctx: StepContext) -> None:
        self.procedure = procedure
        self.ctx = ctx

    async def run(self) -> RunOutcome:
        """Execute the steps not yet completed; return the outcome (never raises for device faults)."""
        ctx = self.ctx
        steps = list(self.procedure.steps)
        done = {k: StepOutcome.from_dict(v) for k, v in ctx.persisted.completed.items()}
        ctx.register_resources(self.procedure.resources())
        ctx.publish(RunStarted(run_id=ctx.run_id, procedure=self.procedure.code, total_steps=len(steps),
                               resumed=bool(done or ctx.persisted.readings), completed_steps=tuple(done),
                               planned_s=self._plan()))
        outcome = RunOutcome(status="finished", outcomes=ctx.outcomes)
        ctx.outcomes.update(done)
        try:
            for i, step in enumerate(steps):
                if step.key in done:
                    continue
                ctx.check_abort()
                ctx.step_key = step.key
                ctx.publish(StepStarted(run_id=ctx.run_id, step_key=step.key, title=step.title_text, index=i,
                                        total=len(steps)))
                result = await self._run_step(step)
                outcome.outcomes[step.key] = result
                ctx.publish(StepFinished(run_id=ctx.run_id, step_key=step.key, item=step.item,
                                         verdict=result.verdict, outcome=result.to_dict()))
        except RunVoided as e:
            outcome.status, outcome.message = "void", _message(e)
        except RunAborted as e:
            outcome.status, outcome.message = "aborted", _message(e)
        except DeviceError as e:
            outcome.status, outcome.message, outcome.device = "paused", _message(e), e.device
            ctx.give_up(e.device, str(e))  # the teardown does not wait for it again
        except Exception as e:  # an unforeseen error must not lose what is on disk: pause, resumable
            log.exception("step %s failed", ctx.step_key)
            outcome.status = "paused"
            outcome.message = f"步骤 {ctx.step_key} 出错 (step failed): {type(e).__name__}: {e}"
        finally:
            await ctx.teardown_all(lambda name, err: outcome.teardown_errors.append(f"{name}: {err}"))
        for err in outcome.teardown_errors:
            log.warning("teardown: %s", err)
        if outcome.status == "paused":
            ctx.publish(RunPaused(run_id=ctx.run_id, step_key=ctx.step_key, message=outcome.message,
                                  device=outcome.device))
        ctx.publish(RunFinished(run_id=ctx.run_id, status=outcome.status,
                                message=outcome.message if outcome.status == "void" else ""))
        return outcome

    def _plan(self) -> dict[str, float]:
        """The procedure's real-time plan, step → seconds (empty when it has none)."""
        plan = getattr(self.procedure, "plan", None)
        if plan is None:
            return {}
        try:
            return {p.key: float(p.seconds) for p in plan()}
        except Exception:  # a plan is for display: never the reason a run does not start
            log.exception("planning %s failed", self.procedure.code)
            return {}

    async def _run_step(self, step: Step) -> StepOutcome:
        """Run ``step`` until its test conditions are met (or the run is void)."""
        ctx = self.ctx
        while True:
            ctx.begin_attempt()
            try:
                result = await step.run(ctx)
            except ConditionNotMet as e:
                reason = str(e)
            else:
                reason = undetermined_reason(result)
                if not reason:
                    return result
            await ctx.condition_not_met("", reason)


def _message(error: BaseException) -> str:
    """An error's message for the operator: the bilingual ``Text`` it was raised with, else its text."""
    first = error.args[0] if len(error.args) == 1 else None
    return first if isinstance(first, Text) else str(error)


def undetermined_reason(outcome: StepOutcome) -> str:
    """Why ``outcome`` cannot stand: its run-wide results in the JJF 1094 undetermined zone, named
    with their value, MPE and U95; "" when none is."""
    parts = [f"{r.name} {r.label} {r.rounded} {r.unit}（MPE ±{r.mpe:g}，U95 {r.uncertainty:g}）"
             for r in outcome.results
             if r.position is None and r.verdict is Verdict.UNDETERMINED and r.mpe is not None
             and r.uncertainty is not None]
    if not parts:
        return ""
    return ("测量结果处于 JJF 1094 待定区，不能判定合格与否 (result in the JJF 1094 undetermined zone): "
            + "；".join(parts))
