"""What the GUI's campaign page asks of the controller: every campaign's deadlines as they stand
(the next first, then the late ones) and recording one done. A mixin of
:class:`bench.controller.Controller`, like :class:`bench.facade.ViewsFacade`: the view gets plain frozen
dataclasses and reaches the store only through the controller; the rules stay in bench/campaign.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from bench.campaign import (
    STATUS_EN,
    Calendar,
    CampaignError,
    Deadline,
    calendar,
    campaigns,
    find_campaign,
    mark_done,
)
from bench.facade import FacadeError, acting

if TYPE_CHECKING:
    from bench.accounts import Account
    from bench.store import Store


@dataclass(frozen=True)
class DeadlineView:
    """One deadline of a campaign as the page lists it."""

    key: str  # the occurrence key (summary, progress@2024-06-28)
    name: str
    name_en: str
    due: date
    status: str  # 待完成 | 逾期未完成 | 逾期完成 | 已完成 (bench.campaign)
    status_en: str
    days_left: int
    done_on: date | None
    drafted_on: date | None
    note: str
    open: bool


@dataclass(frozen=True)
class CampaignStatus:
    """A campaign on a day: its phase, counts per status, the next deadline and every deadline in
    the calendar's order (the next first, then late, due and done)."""

    key: str
    name: str
    name_en: str
    bureau: str
    start: date
    end: date
    as_of: date
    phase: str  # the phase the day falls in ("" outside them)
    phase_en: str
    counts: dict[str, int]  # by status in English (late, due, done late, done), every one
    next: DeadlineView | None
    deadlines: tuple[DeadlineView, ...]


def _deadline_view(d: Deadline) -> DeadlineView:
    return DeadlineView(d.key, d.milestone.name, d.milestone.name_en or d.milestone.name, d.due, d.status, STATUS_EN[d.status], d.days_left, d.done_on,
                        d.drafted_on, d.note, d.open)


def _status(cal: Calendar) -> CampaignStatus:
    c, nxt = cal.campaign, cal.next
    return CampaignStatus(c.key, c.name, c.name_en or c.name, c.bureau, c.start, c.end, cal.as_of, cal.phase.name if cal.phase else "",
                          (cal.phase.name_en or cal.phase.name) if cal.phase else "",
                          {STATUS_EN[k]: n for k, n in cal.counts().items()}, _deadline_view(nxt) if nxt else None,
                          tuple(_deadline_view(d) for d in cal.ordered()))


class CampaignViews:
    """The controller's campaign methods for the GUI (mixed into :class:`bench.controller.Controller`)."""

    store: Store

    def campaign_statuses(self, as_of: date | None = None) -> list[CampaignStatus]:
        """Every shipped campaign as it stands on ``as_of`` (today): those with late deadlines
        first, then by next deadline, then the finished ones."""
        day = as_of or date.today()
        out = [_status(calendar(self.store, c, day)) for c in campaigns()]
        return sorted(out, key=lambda s: (-s.counts["late"], s.next.due if s.next else date.max, s.key))

    def mark_campaign_done(self, campaign: str, deadline: str, by: Account | None, on: date | None = None,
                           note: str = "") -> CampaignStatus:
        """Record the deadline ``deadline`` (its occurrence key) of ``campaign`` done on ``on``
        (today) by the logged-in ``by`` (批准人 or administrator: bench.accounts.ACTION_ROLES); the
        campaign as it stands that day. Refusals (nobody logged in, a role missing, …) as FacadeError."""
        person = acting(self.store, by, "campaign.done").name
        day = on or date.today()
        try:
            c = find_campaign(campaign)
            mark_done(self.store, c, deadline, day, note=note, actor=person)
        except CampaignError as e:
            raise FacadeError(str(e)) from e
        return _status(calendar(self.store, c, day))
