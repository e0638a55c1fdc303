"""The store's tables (sqlmodel). Raw readings, results, finished steps, the audit log, signing keys
and certificates are append-only (SQLite triggers refuse UPDATE and DELETE), in the ISO/IEC 17025
habit: records are made at the time and never edited in place. Each of those tables is also a hash
chain (:class:`Chained`: ``seq``, ``prev_hash``, ``row_hash``, with its head in :class:`ChainHead`)
so that an edit or a deletion made behind the store's back is found (``jianding audit verify``)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Timezone-aware now (stored as UTC)."""
    return datetime.now(UTC)


class Chained(SQLModel):
    """Hash-chain columns of an append-only table (see ``bench.audit_chain``): the row's place in its
    table's chain, the previous row's hash, and SHA-256 over that hash plus the row's canonical JSON.
    The store's single writer fills them in; nobody else ever writes them."""

    seq: int = 0
    prev_hash: str = ""
    row_hash: str = ""


class Instrument(SQLModel, table=True):
    """The instrument ledger (台账): one row per instrument under verification."""

    id: int | None = Field(default=None, primary_key=True)
    category: str = Field(index=True)  # e.g. 交流充电桩
    name: str
    model: str
    serial: str = Field(index=True)
    manufacturer: str
    accuracy_class: str
    measuring_range: str = ""
    client: str = ""  # 使用单位
    client_address: str = ""
    location: str = ""
    division_code: str = ""  # administrative division
    use: str = "贸易结算"
    delivery_mode: str = "现场检"
    params_json: str = "{}"  # technical parameters the procedure needs (Imax, constant, …)
    created_at: datetime = Field(default_factory=utcnow)
    household: bool | None = None  # 民用 (a meter in a home): counted in the 民用"三表" tables; None: not said
    filing_status: str = ""  # 备案: 已备案 | 未备案 ("" not said), as the platform's ledger keeps it
    commissioned_on: date | None = None  # 投用日期: put into service (chargers in service before a date get a first verification)


class StandardSetup(SQLModel, table=True):
    """A 计量标准装置 the institution holds (e.g. 电动汽车交流充电桩检定装置): its name and the
    certificate that authorises it — a 计量标准考核证书, or for a 社会公用计量标准 its 社会公用计量标准
    证书 (``certificate_kind``) — with number, issuer and validity. Its main instruments are the
    :class:`Standard` rows whose ``setup_id`` is this row; a run using any of them is refused once
    the certificate has expired, as for an instrument whose calibration has."""

    id: int | None = Field(default=None, primary_key=True)
    name: str
    certificate_kind: str = "计量标准考核证书"  # | 社会公用计量标准证书
    certificate_no: str = Field(unique=True, index=True)
    issued_by: str = ""
    valid_until: date
    created_at: datetime = Field(default_factory=utcnow)


class Standard(SQLModel, table=True):
    """A reference standard with its calibration certificate and due date, and the 计量标准装置 it
    is a main instrument of (``setup_id``; None: none on record)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str
    model: str
    serial: str = Field(unique=True, index=True)
    certificate_no: str
    calibrated_on: date
    valid_until: date
    accuracy: str = ""
    measuring_range: str = ""
    created_at: datetime = Field(default_factory=utcnow)
    setup_id: int | None = Field(default=None, foreign_key="standardsetup.id")


RUN_STATUSES = ("running", "paused", "aborted", "finished", "void")
"""A run's states: running (or interrupted while running), paused (a fault: resumable), aborted (the
operator ended it), finished (record frozen), void (无效: a test condition not met, no documents)."""


class Run(SQLModel, table=True):
    """A verification run: its configuration (enough to resume it) and, once finished, its record."""

    id: str = Field(primary_key=True)
    regulation: str
    edition: str
    verification_type: str
    instrument_id: int = Field(foreign_key="instrument.id")
    status: str = "running"  # one of RUN_STATUSES
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    params_json: str = "{}"
    station_json: str = "{}"
    station_path: str = ""
    procedure_hash: str = ""
    software_version: str = ""
    record_no: str = ""
    certificate_no: str = ""
    conclusion: str = ""
    record_json: str = ""
    document_path: str = ""
    message: str = ""
    booking_id: str | None = Field(default=None, index=True)  # the platform booking (task) this run serves
    purpose: str = Field(default="", index=True)  # why it was made: a key of bench/purposes.toml (periodic, complaint …)
    # a follow-up run (复检) re-testing some positions of this earlier bench run: its own readings,
    # records and documents; the earlier run's stay as they were (bench/retest.py)
    retest_of: str | None = Field(default=None, index=True)


class StepRecord(Chained, table=True):
    """A finished step: the resume point."""

    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(foreign_key="run.id", index=True)
    step_key: str
    item: str
    verdict: str
    outcome_json: str
    finished_at: datetime = Field(default_factory=utcnow)


class RawReading(Chained, table=True):
    """One raw reading, append-only."""

    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(foreign_key="run.id", index=True)
    step_key: str
    key: str
    quantity: str
    value: float
    unit: str
    source: str
    extra_json: str = "{}"
    taken_at: datetime = Field(default_factory=utcnow)


class Result(Chained, table=True):
    """A judged measurement result at one test point."""

    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(foreign_key="run.id", index=True)
    step_key: str
    item: str
    name: str
    label: str
    unit: str
    mean: float | None  # None: no value (a bench position that faulted at this point; rounded "—")
    rounded: str
    mpe: float | None = None
    verdict: str
    values_json: str = "[]"
    position: int | None = None  # bench position (表位); None: the whole run
    recorded_at: datetime = Field(default_factory=utcnow)


class RunPosition(SQLModel, table=True):
    """One instrument of a multi-position bench run (表位): which instrument sat there and, once the
    run has finished, its own record and document — or why it needs re-testing (需复检)."""

    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(foreign_key="run.id", index=True)
    position: int
    instrument_id: int = Field(foreign_key="instrument.id")
    status: str = "pending"  # pending | finished | retest
    conclusion: str = ""
    certificate_no: str = ""
    record_json: str = ""
    document_path: str = ""
    message: str = ""


class AuditEntry(Chained, table=True):
    """Who did what and when; append-only."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow)
    actor: str
    action: str
    run_id: str | None = None
    detail: str = ""


class Counter(SQLModel, table=True):
    """Yearly sequences for record and certificate numbers."""

    name: str = Field(primary_key=True)
    year: int = Field(primary_key=True)
    value: int = 0


class ChainHead(SQLModel, table=True):
    """The last link of one table's hash chain: deleting the newest rows leaves the head pointing
    past the end, so even that deletion is found."""

    table_name: str = Field(primary_key=True)
    seq: int = 0
    row_hash: str = ""


class SigningKey(Chained, table=True):
    """A public key of the institution (Ed25519), registered so certificates can be verified; the
    private key never enters the store. Append-only."""

    id: int | None = Field(default=None, primary_key=True)
    key_id: str = Field(index=True, unique=True)  # first 16 hex of SHA-256 of the raw public key
    algorithm: str = "Ed25519"
    public_key: str  # raw 32-byte public key, base64
    institution: str = ""
    created_at: datetime = Field(default_factory=utcnow)


class Certificate(Chained, table=True):
    """One version of a certificate (检定证书), notice (检定结果通知书) or in-service inspection result
    (使用中检查结果通知书): the frozen record it was drafted
    from. Never changed: its progress (checked, approved, issued, superseded, revoked) is a
    :class:`CertificateEvent`; an amendment is a new version that ``supersedes`` this one."""

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(index=True)  # JD2026-00001 (the same for every version)
    version: int = 1
    supersedes_id: int | None = None  # the certificate row this version replaces
    run_id: str = Field(foreign_key="run.id", index=True)
    position: int | None = None  # bench position (表位); None: a single-instrument run
    kind: str = "certificate"  # certificate | notice | inspection (使用中检查结果通知书; no validity of its own)
    record_json: str  # the frozen VerificationRecord.to_dict() as drafted
    verifier: str = ""  # 检定员: who performed the verification
    reason: str = ""  # why this version was made (amendments)
    created_by: str = ""
    created_at: datetime = Field(default_factory=utcnow)


class CertificateEvent(Chained, table=True):
    """A step of a certificate's approval chain, with who and when: checked (核验), approved (批准),
    issued (签发: the signed canonical content, signature and PDF hash), superseded, revoked."""

    id: int | None = Field(default=None, primary_key=True)
    certificate_id: int = Field(foreign_key="certificate.id", index=True)
    action: str  # checked | approved | issued | superseded | revoked
    actor: str
    at: datetime = Field(default_factory=utcnow)
    detail: str = ""
    content_json: str = ""  # issued: the canonical content that was signed
    content_hash: str = ""  # issued: SHA-256 hex of the canonical bytes
    key_id: str = ""
    signature: str = ""  # issued: Ed25519 signature, base64url
    qr_text: str = ""
    pdf_sha256: str = ""
    document_path: str = ""


class OversightEvent(Chained, table=True):
    """A count the supervising bureaus ask for that no verification run can know, entered by the user
    (bench.oversight): complaints received, violations found, cases filed, meters replaced, producer
    and institution inspections … Append-only and hash-chained like the audit log: a correction is a
    new event with a negative ``count`` and a note, never an edit."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(index=True)  # complaint | violation | case | replacement | … (bench/oversight_rules.toml)
    category: str  # meter kind or ledger category (水表, 电能表, 燃气表, 交流充电桩 …)
    count: int = 1
    occurred_on: date
    division_code: str = ""
    client: str = ""
    note: str = ""
    actor: str = ""
    created_at: datetime = Field(default_factory=utcnow)


class OutboxItem(SQLModel, table=True):
    """Something the platform is owed (sync.outbox): a certificate version or its revocation
    (``result``), a ledger upload (``ledger``), a booking decision (``decision``). Written in the
    same transaction as the fact it reports; ``done`` only on the platform's acknowledgement;
    ``rejected`` (parked with the platform's errors) when the platform refuses it — never deleted."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(index=True)  # result | ledger | decision
    key: str = Field(unique=True)  # stable idempotency key (result:<uid>:<status>, decision:<booking>:<d>, ledger:<hash>)
    payload_json: str
    created_at: datetime = Field(default_factory=utcnow)
    status: str = Field(default="pending", index=True)  # pending | done | rejected
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str = ""
    acked_at: datetime | None = None
    platform_id: str = ""


class Task(SQLModel, table=True):
    """A booking (预约) pulled from the platform: the workstation's task list in booking order (先约先检),
    the institution's decision on it (受理 / 不予受理 / 申请重新指派, with reason) and the run that serves it."""

    booking_id: str = Field(primary_key=True)
    seq: int = Field(index=True)  # the platform's arrival order
    status: str = "booked"  # booked | accepted | refused | reassign_requested | completed
    booking_json: str = "{}"
    decision: str = ""  # accept | refuse | reassign
    reason: str = ""
    decided_by: str = ""
    decided_at: datetime | None = None
    run_id: str | None = None  # the latest run linked with --task
    pulled_at: datetime = Field(default_factory=utcnow)


class RectificationEvent(Chained, table=True):
    """One step of a rectification item (整改, bench.rectification): ``opened`` carries the finding —
    its kind, what was found, the instrument, the owner (使用单位) and the deadline — and the later
    steps (``rectified`` with its evidence, ``rejected``, ``closed``, ``withdrawn``) name the item by
    its number, with who acted, for whom (``party``) and when. Append-only and hash-chained like the
    oversight events: an item's status is derived from its steps, never stored and edited."""

    id: int | None = Field(default=None, primary_key=True)
    item_no: str = Field(index=True)  # ZG-<8 hex of SHA-256 over finding_key>: the same finding, the same number
    action: str  # opened | rectified | rejected | closed | withdrawn
    finding_kind: str = ""  # opened: a kind of bench/rectification_rules.toml (failed_verification, overdue, …)
    finding_key: str = ""  # opened: what was found, stably (document:<no>, overdue:<instrument>:<due>, event:<id>)
    finding: str = ""  # opened: the finding in words
    instrument_id: int | None = None
    serial: str = ""
    category: str = ""
    owner: str = ""  # 使用单位: who must rectify
    division_code: str = ""
    location: str = ""
    deadline: date | None = None  # opened: 整改期限 (the last day in time)
    deadline_rule: str = ""  # opened: how the deadline was set (days, counting, source)
    acted_on: date  # the day it happened (opened, rectified, verified …)
    actor: str  # the person who acted
    party: str = ""  # on whose behalf: the owner (rectified), the bureau or institution (opened, closed, rejected)
    evidence: str = ""  # rectified: what was done
    evidence_file: str = ""  # rectified: a file (absolute path) or a document reference
    evidence_sha256: str = ""  # rectified: SHA-256 of that file when it was on disk
    note: str = ""
    created_at: datetime = Field(default_factory=utcnow)


class AccountEvent(Chained, table=True):
    """One change of a local account (bench.accounts): ``created`` with its name, roles and password
    hash, later ``roles``, ``password``, ``disabled`` and ``enabled``. Append-only and hash-chained:
    an account's state is the fold of its events, so a role or a password slipped into the database
    is found by ``jianding audit verify``, and an account is disabled, never deleted."""

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(index=True)  # the same for every event of one account (its ``created`` row's number)
    action: str  # created | roles | password | disabled | enabled
    name: str = ""  # created: the name as entered after NFKC (no invisible characters)
    name_key: str = ""  # created: bench.names.normalised(name): one person, one account
    roles: str = ""  # created, roles: comma-separated roles (verifier, checker, approver, administrator)
    password_hash: str = ""  # created, password: scrypt$… (bench.accounts.hash_password)
    demo: bool = False  # created: a demo account (jianding demo's throw-away store only)
    actor: str = ""  # the administrator who made the change ("bootstrap" for the first account)
    at: datetime = Field(default_factory=utcnow)
    detail: str = ""


class SignOff(Chained, table=True):
    """One signed act on a certificate version (核验 checked, 批准 approved, 签发 issued): which
    account, in which role, when, on which version and on what content (SHA-256 of the version's
    frozen record), with the workstation's Ed25519 signature over ``statement_json`` (the canonical
    JSON of those fields). Append-only and hash-chained."""

    id: int | None = Field(default=None, primary_key=True)
    certificate_id: int = Field(foreign_key="certificate.id", index=True)
    number: str
    version: int
    action: str  # checked | approved | issued
    account_id: int
    account: str  # the account's name
    role: str  # checker | approver
    at: datetime = Field(default_factory=utcnow)
    content_hash: str  # SHA-256 hex of the version's record_json
    statement_json: str  # the canonical statement signed
    key_id: str
    signature: str  # Ed25519 over statement_json, base64url


class RowVersion(Chained, table=True):
    """One version of a row of a mutable table a document depends on (run, runposition, instrument,
    standard, standardsetup; see :mod:`bench.store.versions`): the row's canonical JSON and its
    SHA-256, written by the store in the same transaction as the change itself. Append-only and
    hash-chained, so ``jianding audit verify`` compares each live row with its last version and names
    a row edited, inserted or deleted behind the store's back."""

    id: int | None = Field(default=None, primary_key=True)
    table_name: str = Field(index=True)
    row_key: str = Field(index=True)  # the row's primary key as text
    version: int  # 1 for the insert, then one more per change
    op: str  # insert | update | delete
    content_json: str  # bench.store.chain.canonical_row of the row ("" for a delete)
    content_sha256: str  # SHA-256 hex of content_json
    at: datetime = Field(default_factory=utcnow)
