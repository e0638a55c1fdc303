"""The real time a run has left, from the plan its ``RunStarted`` carries: what the console and the
GUI show beside the progress, so that a technician in a car park knows when the charger is done."""

from __future__ import annotations

from procedures.engine.events import Event, Progress, RunStarted, StepFinished, StepStarted


class Remaining:
    """Follows a run's events; :attr:`seconds` is the planned real time left (on real hardware:
    no simulation speed-up), or None before the plan is known."""

    def __init__(self) -> None:
        self.planned: dict[str, float] = {}
        self.done: set[str] = set()
        self.current: str | None = None
        self.fraction = 0.0

    def see(self, ev: Event) -> None:
        """Take one event into account."""
        if isinstance(ev, RunStarted):
            self.planned = dict(ev.planned_s)
            self.done = set(ev.completed_steps)
        elif isinstance(ev, StepStarted):
            self.current, self.fraction = ev.step_key, 0.0
        elif isinstance(ev, Progress) and ev.step_key == self.current:
            self.fraction = ev.fraction
        elif isinstance(ev, StepFinished):
            self.done.add(ev.step_key)

    @property
    def seconds(self) -> float | None:
        """Planned seconds left: the rest of the current step and every step not yet done."""
        if not self.planned:
            return None
        left = sum(s for k, s in self.planned.items() if k not in self.done and k != self.current)
        if self.current is not None and self.current not in self.done:
            left += (1.0 - self.fraction) * self.planned.get(self.current, 0.0)
        return left


def mmss(seconds: float) -> str:
    """``452.3`` → ``"7 min 32 s"``; under a minute ``"45 s"``."""
    total = round(seconds)
    return f"{total // 60} min {total % 60:02d} s" if total >= 60 else f"{total} s"
