"""The store's side of platform sync (issue 6): the outbox table (what the platform is owed) and the
task table (bookings pulled from the platform). A mixin of :class:`bench.store.Store`, so every write
still goes through the store's one writer lock; :meth:`SyncRepo.transaction` lets a caller write
several rows — a certificate's issue event and its outbox row — in ONE database transaction."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, select

from bench.store.chain import seal
from bench.store.models import AuditEntry, Counter, OutboxItem, Run, RunPosition, Task, utcnow
from sync.outbox import Acked, Deferred, OutboxEntry, Parked

OUTBOX_STATUSES = ("pending", "done", "rejected")
DECISION_STATUS = {"accept": "accepted", "refuse": "refused", "reassign": "reassign_requested"}
"""A decision → the task status it leads to (the platform's booking status)."""


def payload_text(payload: dict[str, Any]) -> str:
    """An outbox payload as stored: canonical JSON, so it is sent as the same bytes every time."""
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


class Tx:
    """The rows written inside one :meth:`SyncRepo.transaction`."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, *rows: Any) -> None:
        """Insert rows now (a hash-chained row is sealed, ids assigned); committed with the transaction."""
        for r in rows:
            seal(self.session, r)
            self.session.add(r)
        self.session.flush()

    def next_number(self, name: str, year: int) -> int:
        """The next value of a yearly sequence, moved inside this transaction: a rollback (a crash
        before commit) gives the same number back to the next attempt, so no number is skipped."""
        row = self.session.get(Counter, (name, year)) or Counter(name=name, year=year, value=0)
        row.value += 1
        self.session.add(row)
        self.session.flush()
        return row.value

    def update_run(self, run_id: str, **fields: Any) -> Run:
        """Change a run's status or finishing fields inside this transaction."""
        row = self.session.get(Run, run_id)
        if row is None:
            raise LookupError(f"无此检定记录 (no run {run_id})")
        return self._set(row, fields)

    def update_position(self, run_id: str, position: int, **fields: Any) -> RunPosition:
        """Record how one position of a bench run ended, inside this transaction."""
        row = self.session.exec(select(RunPosition).where(RunPosition.run_id == run_id,
                                                          RunPosition.position == position)).one()
        return self._set(row, fields)

    def _set(self, row: Any, fields: dict[str, Any]) -> Any:
        for k, v in fields.items():
            setattr(row, k, v)
        self.session.add(row)
        self.session.flush()
        return row


class SyncRepo:
    """Outbox and task methods of the store (mixed into :class:`bench.store.Store`)."""

    _lock: threading.RLock
    session: Callable[[], Session]

    # -- one transaction, many rows -------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """Write rows in ONE transaction under the writer lock: committed when the block ends,
        rolled back entirely when it raises (nothing of it reaches the database)."""
        with self._lock, self.session() as s:
            tx = Tx(s)
            try:
                yield tx
            except BaseException:
                s.rollback()
                raise
            s.commit()

    # -- outbox ---------------------------------------------------------------------------------
    @staticmethod
    def outbox_row(kind: str, key: str, payload: dict[str, Any], created_at: datetime | None = None) -> OutboxItem:
        """A new pending outbox row (to be written in the caller's transaction)."""
        return OutboxItem(kind=kind, key=key, payload_json=payload_text(payload), created_at=created_at or utcnow())

    def enqueue(self, kind: str, key: str, payload: dict[str, Any]) -> OutboxItem:
        """Add an outbox item on its own (idempotent: an existing key is returned unchanged)."""
        with self.transaction() as tx:
            old = tx.session.exec(select(OutboxItem).where(OutboxItem.key == key)).first()
            if old is not None:
                return old
            row = self.outbox_row(kind, key, payload)
            tx.add(row)
        return row

    def outbox_pending(self, limit: int) -> list[OutboxEntry]:
        """Up to ``limit`` pending items in the order written (the outbox's queue)."""
        with self.session() as s:
            rows = s.exec(select(OutboxItem).where(OutboxItem.status == "pending")
                          .order_by(OutboxItem.id).limit(limit))  # type: ignore[arg-type]
            return [OutboxEntry(r.id or 0, r.kind, r.key, json.loads(r.payload_json), r.attempts, r.next_attempt_at)
                    for r in rows]

    def outbox_acknowledge(self, acks: Sequence[Acked]) -> None:
        """Mark items done (one transaction); an item no longer pending is left as it is."""
        if not acks:
            return
        with self.transaction() as tx:
            for a in acks:
                tx.session.exec(update(OutboxItem).where(OutboxItem.id == a.item_id, OutboxItem.status == "pending")
                                .values(status="done", acked_at=a.at, platform_id=a.platform_id,
                                        attempts=OutboxItem.attempts + 1,
                                        last_error="重复确认 (acknowledged as duplicate)" if a.duplicate else ""))

    def outbox_defer(self, items: Sequence[Deferred]) -> None:
        """Count a failed attempt, keep its error, schedule the next (pending items only)."""
        if not items:
            return
        with self.transaction() as tx:
            for d in items:
                tx.session.exec(update(OutboxItem).where(OutboxItem.id == d.item_id, OutboxItem.status == "pending")
                                .values(attempts=d.attempts, next_attempt_at=d.next_attempt_at, last_error=d.error))

    def outbox_park(self, items: Sequence[Parked]) -> None:
        """Mark items rejected with the platform's errors (pending items only); audited."""
        if not items:
            return
        with self.transaction() as tx:
            for p in items:
                tx.session.exec(update(OutboxItem).where(OutboxItem.id == p.item_id, OutboxItem.status == "pending")
                                .values(status="rejected", attempts=p.attempts, last_error=p.error))
                row = tx.session.get(OutboxItem, p.item_id)
                tx.add(AuditEntry(actor="sync", action="sync.rejected",
                                  detail=f"{row.kind if row else ''} {row.key if row else p.item_id}: {p.error}"))

    def outbox_requeue(self, item_id: int, actor: str) -> OutboxItem:
        """Put a rejected item back in the queue (after the operator fixed what the platform refused);
        its attempts are kept, the audit log says who and when."""
        with self.transaction() as tx:
            row = tx.session.get(OutboxItem, item_id)
            if row is None:
                raise LookupError(f"无此待上传项 (no outbox item {item_id})")
            if row.status != "rejected":
                raise ValueError(f"待上传项 {item_id} 状态为 {row.status}，只有被退回的项可以重新排队 "
                                 f"(only a rejected item can be re-queued)")
            row.status, row.next_attempt_at = "pending", None
            tx.session.add(row)
            tx.add(AuditEntry(actor=actor, action="sync.requeue", detail=f"{row.kind} {row.key}"))
        return row

    def outbox_counts(self) -> dict[str, int]:
        """Items per status (every status present, 0 when none)."""
        with self.session() as s:
            rows = s.exec(select(OutboxItem.status, func.count()).group_by(OutboxItem.status))  # type: ignore[call-overload]
            found = {status: int(n) for status, n in rows}
        return {k: found.get(k, 0) for k in OUTBOX_STATUSES}

    def outbox_items(self, status: str | None = None, limit: int | None = None) -> list[OutboxItem]:
        """Outbox rows in the order written (of one status if given)."""
        with self.session() as s:
            q = select(OutboxItem).order_by(OutboxItem.id)  # type: ignore[arg-type]
            if status:
                q = q.where(OutboxItem.status == status)
            if limit:
                q = q.limit(limit)
            return list(s.exec(q))

    def outbox_item(self, key: str) -> OutboxItem | None:
        """The outbox row with this idempotency key."""
        with self.session() as s:
            return s.exec(select(OutboxItem).where(OutboxItem.key == key)).first()

    # -- tasks (bookings pulled from the platform) ------------------------------------------------
    def last_task_seq(self) -> int:
        """The highest booking seq pulled so far (0 when none): the next pull asks for what follows."""
        with self.session() as s:
            return int(s.exec(select(func.max(Task.seq))).first() or 0)

    def upsert_tasks(self, bookings: Sequence[dict[str, Any]]) -> tuple[int, int]:
        """Enter pulled bookings as tasks (one transaction): new ones as they come, known ones get the
        platform's current booking (a local decision not yet acknowledged is kept). (new, updated)."""
        new = updated = 0
        with self.transaction() as tx:
            for b in bookings:
                row = tx.session.get(Task, b["booking_id"])
                text = json.dumps(b, ensure_ascii=False, sort_keys=True, default=str)
                if row is None:
                    tx.session.add(Task(booking_id=b["booking_id"], seq=int(b["seq"]), status=str(b["status"]),
                                        booking_json=text, decision="", reason=str(b.get("reason") or "")))
                    new += 1
                elif row.booking_json != text:
                    row.booking_json = text
                    if not row.decision:
                        row.status = str(b["status"])
                    tx.session.add(row)
                    updated += 1
            if new or updated:
                tx.add(AuditEntry(actor="sync", action="tasks.pull", detail=f"{new} new, {updated} updated"))
        return new, updated

    def tasks(self, status: str | None = None) -> list[Task]:
        """Tasks in booking order (先约先检)."""
        with self.session() as s:
            q = select(Task).order_by(Task.seq)  # type: ignore[arg-type]
            if status:
                q = q.where(Task.status == status)
            return list(s.exec(q))

    def get_task(self, booking_id: str) -> Task:
        """A task by booking id (a unique prefix is accepted)."""
        with self.session() as s:
            row = s.get(Task, booking_id)
            if row is None:
                rows = list(s.exec(select(Task).where(Task.booking_id.startswith(booking_id))))  # type: ignore[attr-defined]
                row = rows[0] if len(rows) == 1 else None
            if row is None:
                raise LookupError(f"任务列表中无此预约 (no task {booking_id}; pull bookings with jianding sync pull)")
            return row

    def decide_task(self, booking_id: str, decision: str, reason: str, by: str, *, at: datetime | None = None,
                    planned_date: date | None = None) -> tuple[Task, OutboxItem]:
        """受理 (accept), 不予受理 (refuse) or 申请重新指派 (reassign) a task: the task's new status,
        the audit entry and the decision's outbox row in ONE transaction. Refusing and reassigning
        need a reason; a task already decided otherwise cannot be decided again."""
        if decision not in DECISION_STATUS:
            raise ValueError(f"未知的决定 (unknown decision {decision!r}): accept | refuse | reassign")
        if decision != "accept" and not reason.strip():
            raise ValueError("不予受理或申请重新指派须填写理由 (a reason is required to refuse or reassign): --reason …")
        if not by.strip():
            raise ValueError("须有操作人：以登录账户决定 (the deciding account must be named: log in)")
        at = at or utcnow()
        with self.transaction() as tx:
            task = tx.session.get(Task, self.get_task(booking_id).booking_id)
            assert task is not None
            if task.decision and task.decision != decision:
                raise ValueError(f"预约 {task.booking_id} 已{task.decision} (already decided: {task.decision}); "
                                 "不能改为 (cannot change to) " + decision)
            if task.status not in ("booked", DECISION_STATUS[decision]):
                raise ValueError(f"预约 {task.booking_id} 状态为 {task.status}，不能{decision} "
                                 f"(booking is {task.status})")
            body: dict[str, Any] = {"decision": decision, "reason": reason.strip() or None, "decided_by": by,
                                    "decided_at": at.isoformat(),
                                    "planned_date": planned_date.isoformat() if planned_date else None}
            key = f"decision:{task.booking_id}:{decision}"
            row = tx.session.exec(select(OutboxItem).where(OutboxItem.key == key)).first()
            if row is None:
                row = self.outbox_row("decision", key, {"booking_id": task.booking_id, "decision": body}, at)
                task.status, task.decision, task.reason = DECISION_STATUS[decision], decision, reason.strip()
                task.decided_by, task.decided_at = by, at
                tx.session.add(task)
                tx.add(row, AuditEntry(actor=by, action=f"task.{decision}",
                                       detail=f"{task.booking_id}" + (f"：{reason.strip()}" if reason.strip() else "")))
        return task, row

    def link_task(self, booking_id: str, run_id: str) -> None:
        """Link a run to the task it serves: the run carries the booking id (and its results do)."""
        with self.transaction() as tx:
            task = tx.session.get(Task, booking_id)
            run = tx.session.get(Run, run_id)
            if task is None or run is None:
                raise LookupError(f"no task {booking_id} or run {run_id}")
            task.run_id, run.booking_id = run_id, booking_id
            tx.session.add(task)
            tx.session.add(run)
            tx.add(AuditEntry(actor="system", action="task.link", run_id=run_id, detail=booking_id))
