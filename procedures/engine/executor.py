"""The asyncio executor: runs steps in order, persists each finished step through the bus, pauses
on a device fault with a clear message, honours abort, and always tears down (output off, load off,
session stopped) — the OpenHTF phase-group habit."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from drivers.errors import DeviceError
from procedures.engine.context import RunAborted, StepContext
from procedures.engine.events import RunFinished, RunPaused, RunStarted, StepFinished, StepStarted
from procedures.engine.steps import Procedure, StepOutcome

log = logging.getLogger(__name__)

__all__ = ["Executor", "RunAborted", "RunOutcome"]


@dataclass
class RunOutcome:
    """How a run ended and what every finished step produced."""

    status: str  # finished | paused | aborted
    outcomes: dict[str, StepOutcome] = field(default_factory=dict)
    message: str = ""
    device: str | None = None
    teardown_errors: list[str] = field(default_factory=list)


class Executor:
    """Run one procedure in one context."""

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
                               resumed=bool(done or ctx.persisted.readings), completed_steps=tuple(done)))
        outcome = RunOutcome(status="finished", outcomes=ctx.outcomes)
        ctx.outcomes.update(done)
        try:
            for i, step in enumerate(steps):
                if step.key in done:
                    continue
                ctx.check_abort()
                ctx.step_key = step.key
                ctx.publish(StepStarted(run_id=ctx.run_id, step_key=step.key, title=step.title, index=i,
                                        total=len(steps)))
                result = await step.run(ctx)
                outcome.outcomes[step.key] = result
                ctx.publish(StepFinished(run_id=ctx.run_id, step_key=step.key, item=step.item,
                                         verdict=result.verdict, outcome=result.to_dict()))
        except RunAborted as e:
            outcome.status, outcome.message = "aborted", str(e)
        except DeviceError as e:
            outcome.status, outcome.message, outcome.device = "paused", str(e), e.device
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
        ctx.publish(RunFinished(run_id=ctx.run_id, status=outcome.status))
        return outcome
