"""What the GUI's views ask of the controller (issue 7): tasks and the decisions on them, the
station's devices and a connection test, certificates through the approval chain, the outbox's
state and an explicit push. A mixin of :class:`bench.controller.Controller`, so the views reach the
store, the drivers and the platform only through the controller (the import-linter contract "The
GUI reaches devices and the store only through bench's controller").

Every method returns plain frozen dataclasses (no store rows), so a view never holds a database
object and nothing it does can write behind the approval chain's back. The methods delegate to
bench.certificates, bench.sync_worker and the store's sync repository; the rules (who may check,
a reason to refuse a booking, …) stay there and their refusal messages reach the operator as they are.
"""

from __future__ import annotations

import asyncio
import copy
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.accounts import Account, AccountError, Accounts
from bench.certificates import ApprovalError, CertificateState, display_number
from bench.factory import LISTENING_DRIVERS, open_station
from bench.signing import SigningError
from bench.station import Station, StationError, parse_station
from bench.store import StandardNotUsable
from bench.sync_worker import make_outbox, platform_config, pull_tasks
from drivers.errors import DeviceError
from sync.errors import PlatformError

if TYPE_CHECKING:
    from bench.certificates import Certificates
    from bench.store import Store

TASK_STATUS_ZH = {"booked": "待受理", "accepted": "已受理", "refused": "不予受理",
                  "reassign_requested": "申请重新指派", "completed": "已完成"}
CERT_STATUS_ZH = {"draft": "草稿", "checked": "已核验", "approved": "已批准", "issued": "已签发",
                  "superseded": "已被替代", "revoked": "已注销"}
OUTBOX_STATUS_ZH = {"pending": "待上传", "done": "已确认", "rejected": "被退回"}


class FacadeError(Exception):
    """A command the operator gave was refused; ``str(e)`` is the Chinese-first message to show."""


def acting(store: Store, by: Account | None, action: str) -> Account:
    """``by`` — the GUI's logged-in account — as the store holds it now, allowed to perform
    ``action`` (bench.accounts.ACTION_ROLES); FacadeError with the one-line reason when nobody is
    logged in, the account is disabled or holds none of the roles the action admits."""
    try:
        return Accounts(store).require_for(by, action)
    except AccountError as e:
        raise FacadeError(f"拒绝 (refused): {e}") from e


@dataclass(frozen=True)
class TaskView:
    """One task (a platform booking) as the task list shows it."""

    booking_id: str
    seq: int
    status: str
    status_zh: str
    user_unit: str
    requested_date: str
    delivery_mode: str
    instruments: tuple[str, ...]
    run_id: str
    decision: str
    reason: str
    decided_by: str
    site_address: str = ""
    contact: str = ""
    serials: tuple[str, ...] = ()  # the booked instruments' serials (the GUI prefills the run's serial)


@dataclass(frozen=True)
class DeviceView:
    """One device of the station: how it is reached, the roles it plays, and the standard it is
    (with that standard's certificate and due date from the ledger: ``standard_ok`` false when
    missing or overdue)."""

    name: str
    driver: str
    roles: tuple[str, ...]
    address: str
    standard: str
    standard_certificate: str
    standard_valid_until: date | None
    standard_ok: bool
    standard_message: str
    simulated: bool


@dataclass(frozen=True)
class ConnectionResult:
    """How a connection test of one device went."""

    device: str
    ok: bool
    message: str
    elapsed_s: float


@dataclass(frozen=True)
class CertificateView:
    """One certificate version in the approval chain."""

    number: str
    version: int
    display_no: str
    status: str
    status_zh: str
    kind: str  # certificate | notice
    serial: str
    instrument: str
    conclusion: str
    verifier: str
    checker: str
    approver: str
    document: Path | None
    run_id: str
    position: int | None
    reason: str
    events: tuple[tuple[datetime, str, str, str], ...]  # (at, action, actor, detail)


@dataclass(frozen=True)
class OutboxView:
    """One item the platform is owed (or was, or refused)."""

    id: int
    kind: str
    key: str
    status: str
    status_zh: str
    attempts: int
    last_error: str
    created_at: datetime
    next_attempt_at: datetime | None


@dataclass(frozen=True)
class SyncStatus:
    """The outbox at a glance: counts per status and the items."""

    counts: dict[str, int]
    items: tuple[OutboxView, ...]


@dataclass(frozen=True)
class PushResult:
    """What an operator's 立即上传 did (``error``: the platform was unavailable; items stay pending)."""

    acked: int
    duplicates: int
    rejected: int
    requests: int
    error: str
    counts: dict[str, int]


@dataclass(frozen=True)
class RunPositionView:
    """One position (表位) of a bench run: its instrument and how it stands."""

    position: int
    serial: str
    status: str  # pending | finished | retest
    conclusion: str
    certificate_no: str
    message: str


@dataclass(frozen=True)
class RunView:
    """One run as lists show it."""

    run_id: str
    regulation: str
    status: str
    started_at: datetime
    serial: str
    conclusion: str
    message: str
    positions: int


class ViewsFacade:
    """The controller's methods for the GUI's views (mixed into :class:`bench.controller.Controller`)."""

    store: Store
    certificates: Certificates
    actor: str
    account: Account | None  # the logged-in account (bench.accounts), when there is one
    out_dir: Path
    platform_section: dict[str, Any]  # [platform] settings (url, token, institution_code) for sync

    # -- tasks ------------------------------------------------------------------------------------
    def tasks(self, status: str | None = None) -> list[TaskView]:
        """Tasks (bookings pulled from the platform) in booking order (先约先检)."""
        out: list[TaskView] = []
        for t in self.store.tasks(status):
            b = json.loads(t.booking_json or "{}")
            inst = tuple(" ".join(str(i.get(k, "")) for k in ("name", "model", "serial") if i.get(k))
                         for i in b.get("instruments", []))
            out.append(TaskView(t.booking_id, t.seq, t.status, TASK_STATUS_ZH.get(t.status, t.status),
                                str(b.get("user_unit", "")), str(b.get("requested_date") or ""),
                                str(b.get("delivery_mode", "")), inst, t.run_id or "", t.decision, t.reason,
                                t.decided_by or "", str(b.get("site_address", "")), str(b.get("contact", "")),
                                tuple(str(i["serial"]) for i in b.get("instruments", []) if i.get("serial"))))
        return out

    def pull_tasks(self, platform: Mapping[str, Any] | None = None) -> tuple[int, int]:
        """Fetch new bookings from the platform into the task list; (new, updated). ``platform``
        overrides :attr:`platform_section` ([platform] url/token, or the environment)."""
        try:
            cfg = platform_config(platform if platform is not None else getattr(self, "platform_section", {}))
            with cfg.client() as client:
                return pull_tasks(self.store, client)
        except (PlatformError, ValueError) as e:
            raise FacadeError(f"拉取预约失败 (pull failed): {e}") from e

    def decide_task(self, booking_id: str, decision: str, reason: str, by: Account | None,
                    planned_date: date | None = None) -> TaskView:
        """受理 (accept), 不予受理 (refuse) or 申请重新指派 (reassign) a task as the logged-in
        ``by`` (检定员 or administrator: bench.accounts.ACTION_ROLES); refusing and reassigning need a
        reason. The decision goes up to the platform through the outbox."""
        name = acting(self.store, by, "task.decide").name
        try:
            self.store.decide_task(booking_id, decision, reason, name, planned_date=planned_date)
        except (ValueError, LookupError) as e:
            raise FacadeError(str(e)) from e
        return next(t for t in self.tasks() if t.booking_id.startswith(booking_id))

    # -- station and devices ----------------------------------------------------------------------
    def station_devices(self, station: Station) -> list[DeviceView]:
        """The station's devices, with each reference standard's state on the ledger today."""
        today = date.today()
        out: list[DeviceView] = []
        for d in station.devices:
            cfg = d.config
            if "host" in cfg or "port" in cfg:
                address = f"{cfg.get('host', '0.0.0.0')}:{cfg.get('port', '')}"
            else:
                address = str(cfg.get("device") or cfg.get("channel") or cfg.get("serial_port") or "—")
            cert, until, ok, msg = "", None, True, ""
            if d.standard:
                row = self.store.standard(d.standard)
                if row is not None:
                    cert, until = row.certificate_no, row.valid_until
                try:  # the very check a run meets: the calibration, and the 计量标准装置's certificate
                    self.store.usable_standards([d.standard], today)
                    msg = f"有效期至 {until} (valid until)"
                except StandardNotUsable as e:
                    ok, msg = False, str(e)
            out.append(DeviceView(d.name, d.driver, d.roles, address, d.standard or "", cert, until, ok, msg,
                                  station.sim_enabled))
        return out

    def test_connection(self, station: Station, device_name: str, timeout_s: float = 5.0) -> ConnectionResult:
        """Connect to one device and close again (blocking: a view calls it off the GUI thread).
        On a simulated station the twins start for the test and stop after it, as in a run."""
        start = time.monotonic()
        try:
            message = asyncio.run(asyncio.wait_for(self._probe(station, device_name), timeout_s))
            return ConnectionResult(device_name, True, message, time.monotonic() - start)
        except TimeoutError:
            return ConnectionResult(device_name, False, f"设备 {device_name}: 连接超时 {timeout_s:g} s (timeout)",
                                    time.monotonic() - start)
        except (DeviceError, StationError, OSError) as e:
            return ConnectionResult(device_name, False, f"设备 {device_name}: {e}", time.monotonic() - start)

    async def _probe(self, station: Station, device_name: str) -> str:
        # a copy: ephemeral ports and bound ports are written into the copy, never the caller's station
        st = parse_station(copy.deepcopy(station.raw), station.path)
        spec = next((d for d in st.devices if d.name == device_name), None)
        if spec is None:
            raise StationError(f"无此设备 (no device {device_name!r} in {st.path})")
        async with open_station(st, only=device_name):
            if spec.driver in LISTENING_DRIVERS:
                return f"设备 {device_name}: 正在监听端口 {spec.config['port']} (listening)"
            return f"设备 {device_name}: 连接正常 (connected)"

    # -- certificates and the approval chain ------------------------------------------------------
    def certificate_list(self, status: str | None = None) -> list[CertificateView]:
        """Certificate versions, newest first (of one status if given: draft, checked, approved,
        issued, superseded, revoked)."""
        return [self._cert_view(st) for st in self.certificates.all() if status is None or st.status == status]

    def certificate(self, number: str) -> CertificateView:
        """The newest version of one certificate."""
        try:
            return self._cert_view(self.certificates.get(number))
        except LookupError as e:
            raise FacadeError(str(e)) from e

    # -- accounts ---------------------------------------------------------------------------------
    def login(self, name: str, password: str) -> Account:
        """Log in: the account whose name and password these are (bench.accounts); the GUI then acts
        as it. A wrong password, an unknown name or a disabled account is refused (FacadeError)."""
        try:
            return Accounts(self.store).authenticate(name, password)
        except AccountError as e:
            raise FacadeError(f"登录失败 (login refused): {e}") from e

    def login_required(self) -> bool:
        """True when the store has real accounts: the GUI then logs someone in at start."""
        return bool(Accounts(self.store).real())

    def act_as(self, account: Account) -> None:
        """From now on runs, drafts and decisions are ``account``'s (the GUI's login at start)."""
        self.account = account
        self.actor = account.name

    def check_certificate(self, number: str, by: Account) -> CertificateView:
        """核验 as the logged-in ``by`` (a 核验员, never the certificate's 检定员)."""
        return self._approval(lambda: self.certificates.check(number, by, auto_create_key=True))

    def approve_certificate(self, number: str, by: Account) -> CertificateView:
        """批准 as the logged-in ``by`` (a 批准人, neither its 检定员 nor its 核验员)."""
        return self._approval(lambda: self.certificates.approve(number, by, auto_create_key=True))

    def issue_certificate(self, number: str, by: Account) -> CertificateView:
        """签发 an approved certificate as the logged-in 批准人 ``by``: signed, sealed, queued for the
        platform; the run (or its position) then points at the issued PDF (:meth:`issue_linked`)."""
        return self._approval(lambda: self.issue_linked(number, by)[0])

    def issue_linked(self, certificate_no: str, by: Account) -> tuple[CertificateState, Path]:
        """签发 an approved certificate as ``by`` (the key created on first issue) and point its run,
        or its bench position, at the issued PDF (in the issue's own transaction); the certificate's
        state and the PDF. An issue a crash interrupted is completed."""
        return self.certificates.issue(certificate_no, by, auto_create_key=True)

    def certificate_pdf(self, number: str) -> bytes:
        """The PDF of a certificate's newest version (the issued one, else its draft)."""
        view = self.certificate(number)
        if view.document is None or not view.document.exists():
            raise FacadeError(f"证书 {view.display_no} 无文件 (no PDF on disk)")
        return view.document.read_bytes()

    def _approval(self, action: Any) -> CertificateView:
        try:
            return self._cert_view(action())
        except (ApprovalError, SigningError, LookupError) as e:
            raise FacadeError(f"拒绝 (refused): {e}") from e

    def _cert_view(self, st: CertificateState) -> CertificateView:
        rec = st.record
        issued = st.issued
        draft = (self.certificates.out_dir / f"{display_number(st.row.number, st.row.version)}.draft.pdf").resolve()
        document = Path(issued.document_path) if issued and issued.document_path else (draft if draft.exists() else None)
        return CertificateView(
            st.row.number, st.row.version, display_number(st.row.number, st.row.version), st.status,
            CERT_STATUS_ZH.get(st.status, st.status), st.row.kind, rec.instrument.serial,
            f"{rec.instrument.name} {rec.instrument.model}".strip(), rec.conclusion, st.row.verifier,
            st.actor("checked"), st.actor("approved"), document, st.row.run_id, st.row.position, st.row.reason,
            tuple((e.at, e.action, e.actor, e.detail) for e in st.events))

    # -- sync -------------------------------------------------------------------------------------
    def sync_status(self, limit: int = 500) -> SyncStatus:
        """Outbox counts and the newest items (pending first, then rejected, then done)."""
        rows = self.store.outbox_items()
        order = {"pending": 0, "rejected": 1, "done": 2}
        rows.sort(key=lambda r: (order.get(r.status, 3), -(r.id or 0)))
        items = tuple(OutboxView(r.id or 0, r.kind, r.key, r.status, OUTBOX_STATUS_ZH.get(r.status, r.status),
                                 r.attempts, r.last_error, r.created_at, r.next_attempt_at) for r in rows[:limit])
        return SyncStatus(self.store.outbox_counts(), items)

    def push_now(self, platform: Mapping[str, Any] | None = None) -> PushResult:
        """立即上传: send everything pending now, ignoring the backoff schedule (blocking: call it
        off the GUI thread). A platform that cannot be reached leaves the items pending."""
        try:
            cfg = platform_config(platform if platform is not None else getattr(self, "platform_section", {}))
        except ValueError as e:
            raise FacadeError(str(e)) from e
        with cfg.client() as client:
            report = make_outbox(self.store, client).drain(force=True)
        return PushResult(report.acked, report.duplicates, report.rejected, report.requests, report.error,
                          self.store.outbox_counts())

    def requeue(self, item_id: int, by: Account | None) -> None:
        """Put an item the platform refused back in the queue (after fixing what it refused), as the
        logged-in ``by`` (检定员, 批准人 or administrator: bench.accounts.ACTION_ROLES)."""
        name = acting(self.store, by, "outbox.retry").name
        try:
            self.store.outbox_requeue(item_id, name)
        except (ValueError, LookupError) as e:
            raise FacadeError(str(e)) from e

    # -- runs -------------------------------------------------------------------------------------
    def run_list(self, status: str | None = None) -> list[RunView]:
        """Runs, newest first (of one status if given: running, paused, aborted, finished)."""
        out: list[RunView] = []
        for r in sorted(self.store.runs(status), key=lambda r: r.started_at, reverse=True):
            seats = self.store.positions(r.id)
            serial = "" if seats else self.store.get_instrument(r.instrument_id).serial
            out.append(RunView(r.id, r.regulation, r.status, r.started_at, serial, r.conclusion, r.message,
                               len(seats)))
        return out

    def run_positions(self, run_id: str) -> list[RunPositionView]:
        """The positions (表位) of a bench run with their instruments and state ([] for a single
        instrument's run)."""
        return [RunPositionView(p.position, self.store.get_instrument(p.instrument_id).serial, p.status,
                                p.conclusion, p.certificate_no, p.message) for p in self.store.positions(run_id)]
