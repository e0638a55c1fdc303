"""What the GUI's rectification page asks of the controller: the items (整改) with their status as of
today, the owner's report, the verifier's close or rejection, and the scan of overdue instruments.
A mixin of :class:`bench.controller.Controller` beside :class:`bench.facade.ViewsFacade`, so the page
reaches the store only through the controller; it returns frozen views (no store rows) and turns the
rules' refusals (bench.rectification) into :class:`~bench.facade.FacadeError` with their own words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from bench.facade import FacadeError, acting
from bench.rectification import ACTION_ZH, STATUS_ZH, Item, RectificationError, get_item, rectify, verify
from bench.rectification_report import rectification_counts, scan, select_items

if TYPE_CHECKING:
    from bench.accounts import Account
    from bench.store import Store


@dataclass(frozen=True)
class RectificationStepView:
    """One step of an item: when, what, who, for whom, and its words (evidence or note)."""

    acted_on: date
    action: str
    action_zh: str
    actor: str
    party: str
    text: str
    evidence_file: str = ""


@dataclass(frozen=True)
class RectificationItemView:
    """One rectification item as the page lists it (status as of ``as_of``)."""

    no: str
    kind: str
    kind_zh: str
    finding: str
    owner: str
    instrument: str
    division_code: str
    opened_on: date
    deadline: date
    status: str  # open | overdue | rectified | closed | withdrawn
    status_zh: str
    days_left: int  # to the deadline (negative: days over)
    rectified_late: bool
    steps: tuple[RectificationStepView, ...]


def item_view(item: Item, status: str, as_of: date) -> RectificationItemView:
    """An item as a frozen view."""
    o = item.opened
    steps = tuple(RectificationStepView(e.acted_on, e.action, ACTION_ZH[e.action], e.actor, e.party,
                                        e.evidence or e.note or e.finding, e.evidence_file) for e in item.steps)
    return RectificationItemView(o.item_no, o.finding_kind, item.kind_zh, o.finding, o.owner,
                                 f"{o.category} {o.serial}".strip(), o.division_code, o.acted_on, item.deadline,
                                 status, STATUS_ZH[status], (item.deadline - as_of).days, item.rectified_late, steps)


class RectificationViews:
    """The controller's rectification methods for the GUI (mixed into :class:`bench.controller.Controller`)."""

    store: Store
    actor: str

    def rectification_items(self, status: str | None = None, *, as_of: date | None = None) -> list[RectificationItemView]:
        """Items with their status as of ``as_of`` (today), worst first; ``status`` one of open,
        overdue, rectified, closed, withdrawn (open includes the overdue ones)."""
        day = as_of or date.today()
        chosen = select_items(self.store, day, status=None if status in (None, "overdue") else status,
                              overdue_only=status == "overdue")
        return [item_view(it, now, day) for it, now in chosen]

    def rectification_counts_now(self, as_of: date | None = None) -> dict[str, int]:
        """Items per status as of ``as_of`` (today): every status, 0 when none."""
        return dict(rectification_counts(self.store, as_of or date.today()).by_status)

    def rectify_item(self, no: str, unit: str, by: Account | None, evidence: str,
                     file: str = "") -> RectificationItemView:
        """报告整改 for the owner ``unit``, recorded by the logged-in ``by`` (any enabled account:
        bench.accounts.ACTION_ROLES), with the evidence and a file or reference."""
        name = acting(self.store, by, "rectification.rectify").name
        return self._rectification(lambda: rectify(self.store, no, unit=unit, by=name, evidence=evidence, file=file))

    def verify_item(self, no: str, party: str, by: Account | None, accept: bool = True,
                    note: str = "") -> RectificationItemView:
        """核查 as the logged-in ``by`` (核验员 or 批准人, never who recorded the report) of ``party``
        (the bureau or institution): verified closed, or rejected (``accept`` false, the reason in ``note``)."""
        name = acting(self.store, by, "rectification.verify").name
        return self._rectification(lambda: verify(self.store, no, party=party, by=name, accept=accept, note=note))

    def scan_overdue(self, by: Account | None, party: str = "") -> int:
        """Open the items of the instruments overdue today (once per finding) as the logged-in ``by``
        (核验员, 批准人 or administrator); how many opened."""
        name = acting(self.store, by, "rectification.open").name
        try:
            return len(scan(self.store, date.today(), by=name, party=party))
        except (RectificationError, LookupError) as e:
            raise FacadeError(f"拒绝 (refused): {e}") from e

    def rectification_item(self, no: str) -> RectificationItemView:
        """One item with every step (status as of today)."""
        return self._rectification(lambda: get_item(self.store, no))

    def _rectification(self, action: Callable[[], Any]) -> RectificationItemView:
        try:
            item = action()
        except (RectificationError, LookupError) as e:
            raise FacadeError(f"拒绝 (refused): {e}") from e
        today = date.today()
        return item_view(item, item.status_on(today) or item.status, today)
