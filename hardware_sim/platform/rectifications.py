"""The reference platform's rectification items (整改, ``sync/API.md`` §5.8–5.9): each step of an item
held exactly once per (institution, item_no, seq) — a database unique constraint — and the item's
status taken from the highest step received, so steps arriving out of order never move an item
back. ``overdue`` is the platform's own reading: open after the deadline by its date in China
Standard Time."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

from sqlmodel import Session, col, select

from hardware_sim.platform.models import RectificationRow, RectificationStepRow, aware, utcnow
from sync.schemas import RectificationAck, RectificationChange, RectificationState, RectificationUpload

CST = timezone(timedelta(hours=8))
STATUSES = ("open", "overdue", "rectified", "closed", "withdrawn")
"""What ``GET /rectifications?status=`` accepts (``overdue``: open after its deadline)."""


class RectificationConflict(Exception):
    """An item number or a step already held with other content (answered 409)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def platform_today(now: datetime | None = None) -> date:
    """The platform's date (China Standard Time)."""
    return (now or utcnow()).astimezone(CST).date()


def _ack(item: RectificationRow, seq: int, duplicate: bool) -> RectificationAck:
    return RectificationAck(item_no=item.item_no, seq=seq, status=item.status,  # type: ignore[arg-type]
                            platform_id=item.platform_id, received_at=aware(item.updated_at), duplicate=duplicate)


def store_step(s: Session, institution_id: int, up: RectificationUpload) -> tuple[int, RectificationAck]:
    """Hold one step (201), or answer from the step already held (200, duplicate); the item is
    created from the first step that reaches the platform, whichever it is. A step or an item
    number held with other content raises :class:`RectificationConflict`; a concurrent duplicate
    fails its INSERT (IntegrityError, retried by the caller)."""
    now = utcnow()
    item = s.exec(select(RectificationRow).where(RectificationRow.institution_id == institution_id,
                                                 RectificationRow.item_no == up.item_no)).first()
    if item is None:
        item = RectificationRow(institution_id=institution_id, item_no=up.item_no, finding_kind=up.finding_kind,
                                finding=up.finding, user_unit=up.user_unit, instrument_serial=up.instrument_serial,
                                category=up.category, division_code=up.division_code, location=up.location,
                                opened_on=up.opened_on.isoformat(), deadline=up.deadline.isoformat(),
                                status=up.change.status, last_seq=0, received_at=now, updated_at=now)
        s.add(item)
        s.flush()
    elif (item.finding_kind, item.user_unit, item.opened_on) != (up.finding_kind, up.user_unit, up.opened_on.isoformat()):
        raise RectificationConflict("item_no", f"整改项 {up.item_no} 已登记为另一问题 (item number held for another "
                                               f"finding: {item.finding_kind}, {item.user_unit}, {item.opened_on})")
    held = s.exec(select(RectificationStepRow).where(RectificationStepRow.institution_id == institution_id,
                                                     RectificationStepRow.item_no == up.item_no,
                                                     RectificationStepRow.seq == up.change.seq)).first()
    if held is not None:
        if json.loads(held.change_json)["action"] != up.change.action:
            raise RectificationConflict("change.seq", f"整改项 {up.item_no} 第 {up.change.seq} 步已登记为另一操作 "
                                                      f"(step {up.change.seq} is held as another action)")
        return 200, _ack(item, up.change.seq, duplicate=True)
    s.add(RectificationStepRow(institution_id=institution_id, item_no=up.item_no, seq=up.change.seq,
                               change_json=up.change.model_dump_json(), received_at=now))
    if up.change.seq > item.last_seq:
        item.status, item.last_seq = up.change.status, up.change.seq
    item.updated_at = now
    s.add(item)
    s.flush()  # the step's unique constraint speaks here
    return 201, _ack(item, up.change.seq, duplicate=False)


def list_items(s: Session, institution_id: int, *, status: str | None = None, user_unit: str | None = None,
               today: date | None = None) -> list[RectificationState]:
    """The institution's items in the order received, with every step held (``status`` filters by
    the held status; ``overdue``: open after the deadline as of ``today``, the platform's date)."""
    today = today or platform_today()
    q = select(RectificationRow).where(RectificationRow.institution_id == institution_id)
    if user_unit:
        q = q.where(RectificationRow.user_unit == user_unit)
    out: list[RectificationState] = []
    for item in s.exec(q.order_by(col(RectificationRow.id))).all():
        overdue = item.status == "open" and today > date.fromisoformat(item.deadline)
        if (status == "overdue" and not overdue) or status not in (None, "overdue", item.status):
            continue
        steps = s.exec(select(RectificationStepRow).where(RectificationStepRow.institution_id == institution_id,
                                                          RectificationStepRow.item_no == item.item_no)
                       .order_by(col(RectificationStepRow.seq))).all()
        out.append(RectificationState(
            item_no=item.item_no, finding_kind=item.finding_kind, finding=item.finding, user_unit=item.user_unit,
            instrument_serial=item.instrument_serial, category=item.category, division_code=item.division_code,
            location=item.location, opened_on=date.fromisoformat(item.opened_on),
            deadline=date.fromisoformat(item.deadline), status=item.status,  # type: ignore[arg-type]
            overdue=overdue, last_seq=item.last_seq,
            changes=[RectificationChange.model_validate_json(r.change_json) for r in steps],
            received_at=aware(item.received_at), updated_at=aware(item.updated_at)))
    return out
