"""The outbox: what the workstation has committed locally and still owes the platform, and the loop
that delivers it (offline first, HardPy habit: save locally, upload, forget only on acknowledgement).

An item is written in the same local transaction as the fact it reports (an issued certificate, a
booking decision, a ledger change), with a stable idempotency key: a result's uid
(``JD2026-00001/v1``), ``<booking>:<decision>``, the ledger payload's hash, or a rectification item's
step (``rectification:<item>:<step>``). :class:`Outbox`
drains the store's pending items in the order they were written:

* the platform acknowledges (201, or 200 with ``duplicate: true`` after a lost answer) → ``done``,
  with the platform's id and when;
* the platform is unreachable, times out, answers 5xx or refuses the token → the item stays
  ``pending``: its attempt is counted, the error kept, and it waits an exponential delay with full
  jitter (``uniform(0, min(cap, base·2^(n-1)))``) — and the pass stops, since the platform is down;
* the platform refuses the item itself (422 with field errors, 403, 409) → ``rejected``: parked with
  the platform's errors for the operator (``jianding sync status``), never dropped, and the queue goes
  on behind it.

Ordering: items go in id order and a pass only takes the *prefix* of pending items that are due, so
an item waiting out its backoff holds back the ones written after it (a decision always reaches the
platform before the result of the run it allowed). Times come from an injectable clock; an item
scheduled further ahead than the cap (the clock was set back) counts as due, so a clock corrected by
hours neither stalls nor reorders the queue. The store's technology is not this module's business:
bench implements :class:`OutboxStore`.
"""

from __future__ import annotations

import hashlib
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sync.client import PlatformClient
from sync.errors import PlatformError, PlatformRejected, PlatformUnavailable

log = logging.getLogger(__name__)

KINDS = ("result", "ledger", "decision", "rectification")
"""What an outbox item carries: a certificate version (or its revocation), a ledger upload, a
booking decision, a step of a rectification item (整改)."""


def utcnow() -> datetime:
    """Timezone-aware now in UTC (the default clock)."""
    return datetime.now(UTC)


def aware(t: datetime) -> datetime:
    """A datetime with a timezone (a naive one, as SQLite hands it back, is taken as UTC)."""
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


@dataclass(frozen=True)
class OutboxEntry:
    """One pending item as the store hands it over."""

    id: int
    kind: str
    key: str
    payload: dict[str, Any]
    attempts: int = 0
    next_attempt_at: datetime | None = None


@dataclass(frozen=True)
class Acked:
    """An item the platform acknowledged: its id there, when, and whether it already held it."""

    item_id: int
    platform_id: str
    at: datetime
    duplicate: bool = False


@dataclass(frozen=True)
class Deferred:
    """An item to try again: its attempts so far, when next, and the error of this attempt."""

    item_id: int
    attempts: int
    next_attempt_at: datetime
    error: str


@dataclass(frozen=True)
class Parked:
    """An item the platform refused: parked as ``rejected`` with the platform's errors."""

    item_id: int
    attempts: int
    error: str


class OutboxStore(Protocol):
    """What the outbox needs from the workstation's store (bench implements it over its database).
    Each method is one local transaction."""

    def pending(self, limit: int) -> list[OutboxEntry]:
        """Up to ``limit`` pending items, oldest (lowest id) first, due or not."""
        ...

    def acknowledge(self, acks: Sequence[Acked]) -> None:
        """Mark items done with the platform's id and acknowledgement time."""
        ...

    def defer(self, items: Sequence[Deferred]) -> None:
        """Count a failed attempt on items, keep the error, schedule the next attempt."""
        ...

    def park(self, items: Sequence[Parked]) -> None:
        """Mark items rejected with the platform's errors (kept for the operator)."""
        ...


@dataclass
class Backoff:
    """Exponential backoff with full jitter and a cap: after the n-th failed attempt the item waits
    a uniformly random time in ``[0, min(cap_s, base_s · 2^(n-1))]`` (AWS "full jitter": many
    workstations coming back online do not hammer the platform in step)."""

    base_s: float = 5.0
    cap_s: float = 900.0
    rng: random.Random = field(default_factory=random.Random)

    def ceiling(self, attempts: int) -> float:
        """The longest wait after ``attempts`` failed attempts."""
        return min(self.cap_s, self.base_s * 2.0 ** max(0, min(attempts - 1, 62)))

    def delay(self, attempts: int) -> float:
        """A wait after ``attempts`` failed attempts (seconds)."""
        return self.rng.uniform(0.0, self.ceiling(attempts))


@dataclass
class DrainReport:
    """What one drain pass did."""

    acked: int = 0  # newly acknowledged
    duplicates: int = 0  # acknowledged as already held (a lost answer earlier)
    rejected: int = 0
    deferred: int = 0
    requests: int = 0
    error: str = ""  # why the pass stopped early (platform unavailable)
    deferred_ids: set[int] = field(default_factory=set)

    @property
    def done(self) -> int:
        """Items marked done in this pass (new and duplicate acknowledgements)."""
        return self.acked + self.duplicates


def batch_key(keys: Sequence[str]) -> str:
    """The Idempotency-Key of a batch: ``batch:`` + SHA-256 over its items' sorted keys (the rule of
    ``sync.schemas.ResultBatch.idempotency_key``): the same items always make the same key, and each
    item's payload is frozen, so the same body."""
    return "batch:" + hashlib.sha256("\n".join(sorted(keys)).encode("utf-8")).hexdigest()[:32]


class Outbox:
    """Delivers a store's pending items to the platform (see the module docstring)."""

    def __init__(self, store: OutboxStore, client: PlatformClient, *, clock: Callable[[], datetime] = utcnow,
                 backoff: Backoff | None = None, batch_size: int = 100) -> None:
        self.store = store
        self.client = client
        self.clock = clock
        self.backoff = backoff or Backoff()
        self.batch_size = max(1, batch_size)

    # -- scheduling ---------------------------------------------------------------------------------
    def is_due(self, entry: OutboxEntry, now: datetime) -> bool:
        """Whether an item may be sent at ``now``: never tried, its time has come, or it is scheduled
        further ahead than any backoff could put it (the clock was set back)."""
        if entry.next_attempt_at is None:
            return True
        at = aware(entry.next_attempt_at)
        return at <= now or at - now > timedelta(seconds=self.backoff.cap_s)

    def due(self, limit: int, *, force: bool = False) -> list[OutboxEntry]:
        """The prefix of pending items (id order) that are due now, at most ``limit``; ``force``: every
        pending item, backoff or not (the operator asked: ``jianding sync push``)."""
        now = self.clock()
        out: list[OutboxEntry] = []
        for entry in self.store.pending(limit):
            if not force and not self.is_due(entry, now):
                break
            out.append(entry)
        return out

    def next_attempt(self) -> datetime | None:
        """When the head of the queue is due (None when nothing is pending)."""
        head = self.store.pending(1)
        if not head:
            return None
        if self.is_due(head[0], self.clock()):
            return self.clock()
        return aware(head[0].next_attempt_at or self.clock())

    # -- the loop -----------------------------------------------------------------------------------
    def drain(self, *, max_items: int | None = None, batching: bool = True, force: bool = False,
              progress: Callable[[DrainReport], None] | None = None) -> DrainReport:
        """Send due items until none is due, the platform is unavailable, or ``max_items`` were
        handled; call ``progress`` after each request. ``force`` ignores the backoff schedule (an
        operator's explicit push); items deferred during this pass are not retried in it."""
        report = DrainReport()
        handled = 0
        while max_items is None or handled < max_items:
            room = self.batch_size if max_items is None else min(self.batch_size, max_items - handled)
            skip = report.deferred_ids  # deferred in this pass: not again in it
            entries = [e for e in self.due(room + len(skip), force=force) if e.id not in skip][:room]
            if not entries:
                break
            group = self._group(entries, batching)
            try:
                self._send(group, report, batching)
            except PlatformUnavailable as e:
                self._defer(group, str(e), report)
                report.error = str(e)
                if progress:
                    progress(report)
                break
            handled += len(group)
            if progress:
                progress(report)
        return report

    @staticmethod
    def _group(entries: list[OutboxEntry], batching: bool) -> list[OutboxEntry]:
        """The next request's items: consecutive results go together (batching), anything else alone."""
        if not batching or entries[0].kind != "result":
            return entries[:1]
        group: list[OutboxEntry] = []
        uids: set[str] = set()
        for e in entries:
            uid = str(e.payload.get("uid", e.key))
            if e.kind != "result" or uid in uids:  # one uid once per batch (issued, then its revocation)
                break
            group.append(e)
            uids.add(uid)
        return group

    def _send(self, group: list[OutboxEntry], report: DrainReport, batching: bool) -> None:
        if len(group) > 1:
            self._send_batch(group, report)
            return
        entry = group[0]
        report.requests += 1
        try:
            ack = self._send_one(entry)
        except PlatformRejected as e:
            self._park([entry], e.describe(), report)
            return
        self.store.acknowledge([ack])
        self._count(ack, report)

    def _send_one(self, entry: OutboxEntry) -> Acked:
        """One item, one request; raises PlatformUnavailable / PlatformRejected."""
        if entry.kind == "result":
            ack = self.client.post_result(entry.payload, entry.key)
            return Acked(entry.id, str(ack.platform_id), self.clock(), bool(ack.duplicate))
        if entry.kind == "decision":
            booking = self.client.post_decision(str(entry.payload["booking_id"]), entry.payload["decision"], entry.key)
            return Acked(entry.id, f"{booking.booking_id}:{booking.status}", self.clock())
        if entry.kind == "ledger":
            answer = self.client.post_ledger(entry.payload, entry.key)
            return Acked(entry.id, f"ledger:{answer.get('accepted', '')}", self.clock(),
                         bool(answer.get("duplicate", False)))
        if entry.kind == "rectification":
            step = self.client.post_rectification(entry.payload, entry.key)
            return Acked(entry.id, f"{step.platform_id}:{step.seq}:{step.status}", self.clock(), bool(step.duplicate))
        raise PlatformRejected(f"未知的待上传类型 (unknown outbox kind {entry.kind!r})", 0)

    def _send_batch(self, group: list[OutboxEntry], report: DrainReport) -> None:
        report.requests += 1
        uids = [str(e.payload.get("uid", e.key)) for e in group]
        try:
            answer = self.client.post_results_batch([e.payload for e in group], batch_key([e.key for e in group]))
        except PlatformRejected as e:
            # the batch as a whole was refused (size, shape): send its items one by one, so only the
            # item at fault is parked
            log.warning("batch refused, sending one by one: %s", e)
            for entry in group:
                self._send([entry], report, batching=False)
            return
        by_uid = dict(zip(uids, group, strict=True))
        now = self.clock()
        replay = bool(getattr(answer, "duplicate", False))  # the whole batch answered from the platform's store
        acks = [Acked(by_uid[a.uid].id, str(a.platform_id), now, bool(a.duplicate) or replay)
                for a in answer.acks if a.uid in by_uid]
        self.store.acknowledge(acks)
        for ack in acks:
            self._count(ack, report)
        answered = {a.uid for a in answer.acks}
        parked: list[Parked] = []
        for r in answer.rejected or []:
            uid = r.uid if r.uid in by_uid else (uids[r.index] if 0 <= r.index < len(uids) else None)
            if uid is None or uid in answered:
                continue
            answered.add(uid)
            entry = by_uid[uid]
            errors = "\n".join(f"  {x.field}: {x.message}" for x in r.errors)
            parked.append(Parked(entry.id, entry.attempts + 1, f"平台退回 (rejected by the platform)\n{errors}"))
        if parked:
            self.store.park(parked)
            report.rejected += len(parked)
        missing = [e for u, e in by_uid.items() if u not in answered]
        if missing:  # neither acknowledged nor refused: not known to be held, so try again later
            self._defer(missing, "平台未确认此项 (the platform's batch answer did not mention this item)", report)

    # -- outcomes -----------------------------------------------------------------------------------
    @staticmethod
    def _count(ack: Acked, report: DrainReport) -> None:
        if ack.duplicate:
            report.duplicates += 1
        else:
            report.acked += 1

    def _defer(self, group: Sequence[OutboxEntry], error: str, report: DrainReport) -> None:
        now = self.clock()
        items = [Deferred(e.id, e.attempts + 1, now + timedelta(seconds=self.backoff.delay(e.attempts + 1)), error)
                 for e in group]
        self.store.defer(items)
        report.deferred += len(items)
        report.deferred_ids.update(e.id for e in group)

    def _park(self, group: Sequence[OutboxEntry], error: str, report: DrainReport) -> None:
        self.store.park([Parked(e.id, e.attempts + 1, error) for e in group])
        report.rejected += len(group)


__all__ = ["KINDS", "Acked", "Backoff", "Deferred", "DrainReport", "Outbox", "OutboxEntry", "OutboxStore",
           "Parked", "PlatformError", "aware", "batch_key", "utcnow"]
