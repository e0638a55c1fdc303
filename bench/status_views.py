"""What the GUI's persistent status bar asks of the controller besides the standards
(bench.standards_views): the sync state at a glance (items pending, the last acknowledged upload,
the error that holds the queue) and how long a run has been measuring in real time, summed over its
running spells so that a pause (a device fault, a closed window, a crash) neither counts nor loses
what came before.

A mixin of :class:`bench.controller.Controller`; plain frozen dataclasses and numbers out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlmodel import select

from bench.store.models import OutboxItem

if TYPE_CHECKING:
    from bench.store import Store

RUN_STARTS = ("run.prepare", "run.resume")
"""Audit actions that open a running spell of a run."""
RUN_ENDS = ("run.paused", "run.aborted", "run.void", "run.finished")
"""Audit actions that close one."""


@dataclass(frozen=True)
class SyncState:
    """The outbox at a glance: pending and rejected counts, when the platform last acknowledged an
    item (None: never), and the error the oldest pending item last met ("" none)."""

    pending: int
    rejected: int
    last_upload: datetime | None
    error: str


def _utc(at: datetime) -> datetime:
    """A stored time as aware UTC (SQLite hands naive UTC back)."""
    return at if at.tzinfo else at.replace(tzinfo=UTC)


class StatusViews:
    """The status bar's controller methods (mixed into Controller, which owns ``store``)."""

    store: Store

    def sync_state(self) -> SyncState:
        """Pending and rejected items, the last acknowledgement and the error holding the queue."""
        counts = self.store.outbox_counts()
        with self.store.session() as s:  # two small queries: the status bar asks every 30 s
            last = s.exec(select(func.max(OutboxItem.acked_at)).where(OutboxItem.status == "done")).first()
            error = s.exec(select(OutboxItem.last_error).where(OutboxItem.status == "pending", OutboxItem.last_error != "")
                           .order_by(OutboxItem.id).limit(1)).first()  # type: ignore[arg-type]
        return SyncState(counts.get("pending", 0), counts.get("rejected", 0), _utc(last) if last else None, error or "")

    def run_elapsed(self, run_id: str, now: datetime | None = None) -> tuple[float, bool]:
        """(seconds the run has been running, whether a spell is open now), from its audit trail: each
        spell opens at ``run.prepare`` or ``run.resume`` and closes at ``run.paused``, ``run.aborted``,
        ``run.void`` or ``run.finished``. A spell a crash left open is closed at its last reading or
        finished step (the last moment the run is known to have been measuring); the last spell, when
        still open, counts up to ``now`` (the caller shows a live clock from there)."""
        now = now or datetime.now(UTC)
        marks = sorted([*(_utc(r.taken_at) for r in self.store.readings(run_id)),
                        *(_utc(s.finished_at) for s in self.store.steps(run_id))])
        total, start = 0.0, None
        for entry in self.store.audit_log(run_id):
            at = _utc(entry.at)
            if entry.action in RUN_STARTS:
                if start is not None:  # the previous spell ended in a crash: count it up to its last mark
                    last = max((m for m in marks if start <= m <= at), default=start)
                    total += (last - start).total_seconds()
                start = at
            elif entry.action in RUN_ENDS and start is not None:
                total += (at - start).total_seconds()
                start = None
        if start is not None:
            total += max((now - start).total_seconds(), 0.0)
        return total, start is not None
