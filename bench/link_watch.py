"""Tells the operator, while the run goes on, about a device that answers slowly or only on retry.

Why: slowness is silent otherwise — replies just under the deadline stretched a meter-bench run
from 16 s to about 4 minutes, and replies taken on retry an RTU run from 7 s to 45 s, with every
reading still good and nothing said. The watch looks at each device's link health
(``drivers.link_health``) as readings and steps go by; the first time a device is troubled it
publishes a :class:`~procedures.engine.RunWarning` naming the device, its median and worst reply
time against its deadline, its retries and how much longer the run is expected to take because of
it. A warning is kept in the run's audit trail and carried on the original record (run notes), and
a device is warned of again only when its expected delay has doubled since.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from drivers.link_health import LinkHealth, link_health
from procedures.engine import Event, Progress, ReadingTaken, RunWarning, StepFinished, StepStarted


def minutes(seconds: float) -> str:
    """A delay as the operator says it: ``40 s``, ``3 min``."""
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


@dataclass
class LinkWatch:
    """Watches the links of one run's devices and warns of troubled ones on the run's bus.

    ``devices`` are the station's opened drivers (those without a timed link are skipped);
    ``publish`` puts an event on the run's bus; ``run_id`` the run warned about."""

    run_id: str
    devices: Iterable[object]
    publish: Callable[[Event], None]
    warned: dict[str, float] = field(default_factory=dict)  # device → expected delay when last warned
    _links: list[tuple[str, LinkHealth]] = field(default_factory=list)
    _step: tuple[int, int] = (0, 1)  # index of the current step, steps in the run
    _fraction: float = 0.0  # of the current step

    def __post_init__(self) -> None:
        seen: set[int] = set()
        for dev in self.devices:
            health = link_health(dev)
            if health is not None and id(health) not in seen:
                seen.add(id(health))
                self._links.append((str(getattr(dev, "name", health.device)), health))

    @property
    def done(self) -> float:
        """Share of the run done so far, from its steps and the current step's progress."""
        index, total = self._step
        return min(1.0, max(0.0, (index + self._fraction) / max(total, 1)))

    def expected_delay_s(self, health: LinkHealth) -> float:
        """How much longer the whole run is expected to take because of this link: the time it
        has cost so far, scaled from the share of the run done to the whole run."""
        return health.lost_s / max(self.done, 0.05)

    def __call__(self, event: Event) -> None:
        """Bus sink: follow the run's progress; after readings and steps look at the links."""
        if isinstance(event, StepStarted):
            self._step, self._fraction = (event.index, event.total), 0.0
        elif isinstance(event, Progress):
            self._fraction = event.fraction
        if isinstance(event, ReadingTaken | StepFinished):
            self.check()

    def check(self) -> None:
        """Warn of every link troubled now and not yet warned of (or whose delay has doubled)."""
        for name, health in self._links:
            if not health.troubled or health.given_up:
                continue
            delay = self.expected_delay_s(health)
            last = self.warned.get(name)
            if last is not None and delay < 2 * max(last, 1.0):
                continue
            self.warned[name] = delay
            self.publish(RunWarning(run_id=self.run_id, source=name, message=(
                f"设备应答缓慢, 检定继续 (slow replies, the run goes on): {health.describe()}; "
                f"预计本次检定因此延长约 {minutes(delay)} (the run is expected to take about {minutes(delay)} "
                "longer) — 检查线缆、波特率与设备负载 (check the cable, baud rate and the device's load)")))
