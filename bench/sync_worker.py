"""The workstation's side of platform sync: the store as the outbox's store, the outbox rows an
issue or revocation writes (inside its transaction), the platform settings, pulling bookings into
tasks, and the background worker that drains the outbox with backoff.

Settings: ``[platform]`` in the station file (or any TOML file given with ``--config``) —
``url``, ``token``, ``institution_code``, ``timeout_s`` — overridden by the environment
(``JIANDING_PLATFORM_URL``, ``JIANDING_PLATFORM_TOKEN``; the token is best kept there, not in a file)
and by command-line flags. See docs/platform-sync.md.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import threading
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.store import Store
from bench.store.models import OutboxItem
from sync.client import PlatformClient
from sync.outbox import Acked, Backoff, Deferred, DrainReport, Outbox, OutboxEntry, Parked, utcnow
from sync.schemas import result_uid

if TYPE_CHECKING:
    from bench.certificates import IssuedCertificate

log = logging.getLogger(__name__)

ENV_URL = "JIANDING_PLATFORM_URL"
ENV_TOKEN = "JIANDING_PLATFORM_TOKEN"


# -- the store as the outbox's store ------------------------------------------------------------------
class StoreOutbox:
    """:class:`sync.outbox.OutboxStore` over the workstation's store (the outboxitem table)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def pending(self, limit: int) -> list[OutboxEntry]:
        """Pending items, oldest first."""
        return self.store.outbox_pending(limit)

    def acknowledge(self, acks: Sequence[Acked]) -> None:
        """Mark items done."""
        self.store.outbox_acknowledge(acks)

    def defer(self, items: Sequence[Deferred]) -> None:
        """Schedule items for another attempt."""
        self.store.outbox_defer(items)

    def park(self, items: Sequence[Parked]) -> None:
        """Park items the platform refused."""
        self.store.outbox_park(items)


# -- outbox rows ------------------------------------------------------------------------------------
def result_payload(issued: IssuedCertificate) -> dict[str, Any]:
    """The platform upload (``ResultUpload``, sync/API.md) of an issued certificate version."""
    row = issued.row
    return {
        "schema_version": "1", "uid": result_uid(row.number, row.version), "certificate_no": row.number,
        "version": row.version,
        "supersedes": result_uid(issued.supersedes.number, issued.supersedes.version) if issued.supersedes else None,
        "booking_id": issued.booking_id, "purpose": issued.purpose, "status": issued.status,
        "record": issued.record.to_dict(),
        "pdf_base64": base64.b64encode(issued.pdf).decode("ascii"), "pdf_sha256": hashlib.sha256(issued.pdf).hexdigest(),
        "qr_text": issued.event.qr_text, "key_id": issued.event.key_id, "public_key_hex": issued.public_key_hex,
        "issued_at": (issued.event.at or utcnow()).isoformat(),
    }


def result_key(uid: str, status: str) -> str:
    """The idempotency key of a result upload (``sync.schemas.ResultUpload.idempotency_key``)."""
    return f"result:{uid}:{status}"


def result_outbox_rows(issued: IssuedCertificate) -> list[Any]:
    """The default outbox hook of :class:`bench.certificates.Certificates`: the upload of an issued
    version, or — on revocation — the same upload with status ``revoked`` (the issued version's own
    upload when it was queued, so the platform sees the very record and PDF it holds)."""
    uid = result_uid(issued.row.number, issued.row.version)
    if issued.status == "revoked":
        payload = dict(issued.upload) if issued.upload else result_payload(issued)
        payload["status"] = "revoked"
        return [Store.outbox_row("result", result_key(uid, "revoked"), payload, issued.at)]
    return [Store.outbox_row("result", result_key(uid, "issued"), result_payload(issued), issued.at)]


def ledger_payload(store: Store, serials: Sequence[str] | None = None) -> dict[str, Any]:
    """A ledger upload (``LedgerUpload``) of the store's instruments (or of those serials), with what the
    bureaus' tables count by: 民用 (household), 备案 (filing_status) and 投用日期 (commissioned_on)."""
    chosen = set(serials or ())
    instruments = [{"serial": i.serial, "category": i.category, "name": i.name, "model": i.model,
                    "manufacturer": i.manufacturer, "accuracy_class": i.accuracy_class,
                    "measuring_range": i.measuring_range, "user_unit": i.client, "location": i.location,
                    "division_code": i.division_code, "use": i.use,
                    "delivery_mode": i.delivery_mode if i.delivery_mode in ("送检", "现场检") else "",
                    "household": i.household, "filing_status": i.filing_status,
                    "commissioned_on": i.commissioned_on.isoformat() if i.commissioned_on else None}
                   for i in store.instruments() if not chosen or i.serial in chosen]
    return {"schema_version": "1", "instruments": instruments}


def enqueue_ledger(store: Store, serials: Sequence[str] | None = None) -> OutboxItem:
    """Queue the ledger (or some instruments) for upload; the key is the payload's hash, so an
    unchanged ledger queued twice is one item."""
    payload = ledger_payload(store, serials)
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()
    return store.enqueue("ledger", f"ledger:{digest[:40]}", payload)


# -- settings ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlatformConfig:
    """Where the platform is and who we are to it."""

    url: str
    token: str
    institution_code: str = ""
    timeout_s: float = 10.0

    def client(self) -> PlatformClient:
        """A client for these settings."""
        return PlatformClient(self.url, self.token, self.timeout_s)


class PlatformNotConfigured(ValueError):
    """No platform URL or token: say where to put them."""


def platform_config(section: Mapping[str, Any] | None = None, *, url: str | None = None, token: str | None = None,
                    timeout_s: float | None = None, env: Mapping[str, str] | None = None) -> PlatformConfig:
    """The platform settings: flags over the environment over the ``[platform]`` section."""
    env = os.environ if env is None else env
    sec = dict(section or {})
    final_url = url or env.get(ENV_URL) or str(sec.get("url", ""))
    final_token = token or env.get(ENV_TOKEN) or str(sec.get("token", ""))
    if not final_url or not final_token:
        missing = "url" if not final_url else "token"
        raise PlatformNotConfigured(
            f"未配置管理平台 {missing} (platform {missing} not configured): [platform] url/token in the station "
            f"file or --config FILE, or {ENV_URL} / {ENV_TOKEN}, or --url/--token")
    return PlatformConfig(final_url, final_token, str(sec.get("institution_code", "")),
                          float(timeout_s or sec.get("timeout_s", 10.0)))


def load_platform_section(path: str | Path | None) -> dict[str, Any]:
    """The ``[platform]`` section of a TOML file ({} when no file or no section)."""
    if not path:
        return {}
    return dict(tomllib.loads(Path(path).read_text("utf-8")).get("platform", {}))


# -- bookings → tasks -------------------------------------------------------------------------------
def pull_tasks(store: Store, client: PlatformClient, *, page: int = 100) -> tuple[int, int]:
    """Fetch the institution's new bookings in booking order (after the highest seq pulled) and enter
    them as tasks; (new, updated)."""
    new = updated = 0
    after = store.last_task_seq()
    while True:
        bookings = client.get_bookings(status=None, after_seq=after, limit=page)
        if not bookings:
            break
        n, u = store.upsert_tasks([b.model_dump(mode="json") for b in bookings])
        new, updated = new + n, updated + u
        after = max(b.seq for b in bookings)
        if len(bookings) < page:
            break
    return new, updated


# -- the worker -------------------------------------------------------------------------------------
def make_outbox(store: Store, client: PlatformClient, *, clock: Callable[[], datetime] = utcnow,
                backoff: Backoff | None = None, batch_size: int = 100) -> Outbox:
    """The outbox over a store."""
    return Outbox(StoreOutbox(store), client, clock=clock, backoff=backoff, batch_size=batch_size)


class SyncWorker:
    """The one sync worker of a workstation: a background thread that drains the outbox whenever
    something is due, sleeps until the head of the queue is due (its backoff) or ``interval_s``
    passes, and wakes early on :meth:`wake` (a certificate was just issued)."""

    def __init__(self, outbox: Outbox, *, interval_s: float = 30.0,
                 on_report: Callable[[DrainReport], None] | None = None) -> None:
        self.outbox = outbox
        self.interval_s = interval_s
        self.on_report = on_report
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.passes = 0
        self.last_report: DrainReport | None = None

    def start(self) -> SyncWorker:
        """Start the thread."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="jianding-sync", daemon=True)
        self._thread.start()
        return self

    def wake(self) -> None:
        """Drain now rather than at the next scheduled time."""
        self._wake.set()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the thread (after the request in flight, bounded by the client's timeout)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                report = self.outbox.drain()
                self.passes += 1
                self.last_report = report
                if self.on_report and (report.requests or report.error):
                    self.on_report(report)
            except Exception:  # the worker never dies of one bad pass (the store is busy, …)
                log.exception("sync pass failed")
            self._wake.wait(self._sleep_s())
            self._wake.clear()

    def _sleep_s(self) -> float:
        try:
            due = self.outbox.next_attempt()
        except Exception:
            return self.interval_s
        if due is None:
            return self.interval_s
        return max(0.05, min(self.interval_s, (due - self.outbox.clock()).total_seconds()))
