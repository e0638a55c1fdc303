"""How well one device's link answers: reply times, retries, and whether the run gave up on it.

Why: a device that answers just under its deadline, or only on a second attempt, still gives
good readings, so nothing fails — but a run that should take 16 s takes 4 minutes and the
technician does not know why. Each transport (Modbus TCP/RTU, a serial line) keeps one
:class:`LinkHealth`; the workstation looks at it while the run goes on and tells the operator
(``bench.link_watch``). And when a device stops answering and the run pauses, the run
*gives up* on it: the teardown that follows does not wait for it again (each retry would cost
a whole deadline), so the operator reads the pause message seconds earlier.

Only transactions that got an answer are timed here: a device that does not answer at all is an
error of its own (``DeviceTimeout``), and a meter that is silent on purpose at one address of a
shared RS-485 line must not make the line look slow.
"""

from __future__ import annotations

import statistics
from collections import deque
from dataclasses import dataclass, field

SLOW_SHARE = 0.5
"""Default share of a device's per-attempt deadline above which its replies count as slow (the
station's ``slow_share`` per device overrides it). Half the deadline: a device that often needs
more is one hiccup away from a timeout."""


@dataclass
class LinkHealth:
    """Reply times and retries of one device's link, as seen by its transport.

    ``deadline_s`` is one attempt's deadline; ``slow_share`` the share of it above which a reply
    counts as slow. ``lost_s`` is the time slow or repeated transactions took beyond a normal
    answer (the median of the fast ones)."""

    device: str
    deadline_s: float
    slow_share: float = SLOW_SHARE
    replies: int = 0  # transactions answered
    slow_replies: int = 0  # of them, answered after slow_share × deadline_s
    retried: int = 0  # of them, answered only after a repeated attempt
    lost_s: float = 0.0
    given_up: str = ""  # why the run gave up on the device ("" while it has not)
    _times: deque[float] = field(default_factory=lambda: deque(maxlen=512), repr=False)

    @property
    def threshold_s(self) -> float:
        """Reply time above which a reply counts as slow."""
        return self.slow_share * self.deadline_s

    def record(self, seconds: float, attempts: int = 1) -> None:
        """One answered transaction that took ``seconds`` (all its attempts) in ``attempts``."""
        self.replies += 1
        self._times.append(seconds)
        slow, retried = seconds > self.threshold_s, attempts > 1
        self.slow_replies += slow
        self.retried += retried
        if slow or retried:
            self.lost_s += max(0.0, seconds - self.typical_s)

    @property
    def typical_s(self) -> float:
        """Median of the replies under the slow threshold (what an answer normally takes)."""
        fast = [t for t in self._times if t <= self.threshold_s]
        return statistics.median(fast) if fast else 0.0

    @property
    def median_s(self) -> float:
        """Median reply time of the recent transactions (0 before any)."""
        return statistics.median(self._times) if self._times else 0.0

    @property
    def worst_s(self) -> float:
        """Longest reply time of the recent transactions (0 before any)."""
        return max(self._times, default=0.0)

    @property
    def troubled(self) -> bool:
        """Whether the operator should hear about this link: replies over the slow share of the
        deadline, or replies that needed a repeated attempt."""
        return self.slow_replies > 0 or self.retried > 0

    def give_up(self, why: str) -> None:
        """The run gave up on the device (it stopped answering and the run pauses): until the
        transport is made anew (the next run or resumption), every request fails at once."""
        self.given_up = why or "stopped answering"

    def silence_hint(self) -> str:
        """What this link's history says of a request that got no answer in time: its replies came
        close to the deadline before (probably late, not silent), or came quickly (silent now, not
        slow); "" before any reply. Appended to the timeout message so the operator knows which."""
        if not self.replies:
            return ""
        if self.slow_replies:
            return (f"; 此前应答已接近时限，多半是应答迟到而非无应答 (replies came late before — worst "
                    f"{self.worst_s:.2f} s of the {self.deadline_s:g} s deadline: probably answering late, not "
                    "silent; a longer timeout_s may be needed)")
        return (f"; 此前应答正常 (it answered in {self.median_s:.2f} s until now: silent, not slow — "
                "check the cable and power)")

    def describe(self) -> str:
        """One line for the operator: median and worst reply time against the deadline, and the
        retries, Chinese first."""
        parts = [f"应答中位 {self.median_s:.2f} s, 最长 {self.worst_s:.2f} s (时限 {self.deadline_s:g} s) "
                 f"(median reply {self.median_s:.2f} s, worst {self.worst_s:.2f} s, deadline {self.deadline_s:g} s)"]
        if self.slow_replies:
            parts.append(f"{self.slow_replies}/{self.replies} 次超过时限的 {self.slow_share:.0%} "
                         f"({self.slow_replies} of {self.replies} replies over {self.slow_share:.0%} of the deadline)")
        if self.retried:
            parts.append(f"{self.retried} 次需重试 ({self.retried} needed a retry)")
        return "; ".join(parts)


def link_health(device: object) -> LinkHealth | None:
    """The health of a device driver's link: its Modbus transport's (``transport``) or its
    serial line's (``line``); None for a device with neither (OCPP, CAN, manual entry)."""
    for attr in ("transport", "line"):
        health = getattr(getattr(device, attr, None), "health", None)
        if isinstance(health, LinkHealth):
            return health
    return None
