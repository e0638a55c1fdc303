"""The reference platform's tables (sqlmodel, on their own metadata so they never mix with the
workstation store's tables in one process).

Exactly-once lives in the database: ``pf_result`` is unique on (institution, uid) and
``pf_idempotency`` on (institution, key); a concurrent duplicate fails its INSERT with an
IntegrityError and the request is answered from the row that won (see ``app``).
Client times (issued_at, submitted_at, decided_at) are kept as the text they were sent in; the
server's own clock stamps ``received_at``/``created_at`` and alone decides order (``seq``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Column, DateTime, LargeBinary, Text, UniqueConstraint, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel, create_engine


def utcnow() -> datetime:
    """The server clock, timezone-aware UTC."""
    return datetime.now(UTC)


def aware(value: datetime) -> datetime:
    """A datetime read back from the database, made aware (SQLite drops the offset; we store UTC)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class PlatformModel(SQLModel, registry=registry()):
    """Base of the platform tables: a private registry/metadata."""


def _ts() -> Any:
    return Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))


class Institution(PlatformModel, table=True):
    """A verification institution (法定计量检定机构 / 授权机构) known to the platform."""

    __tablename__ = "pf_institution"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(index=True, unique=True)
    name: str = ""
    created_at: datetime = _ts()


class ApiToken(PlatformModel, table=True):
    """An API token of one institution, stored as SHA-256 only (tokens are 256-bit random values,
    so a fast hash is enough; the clear token is shown once when created)."""

    __tablename__ = "pf_api_token"

    id: int | None = Field(default=None, primary_key=True)
    institution_id: int = Field(foreign_key="pf_institution.id", index=True)
    token_sha256: str = Field(index=True, unique=True)
    created_at: datetime = _ts()


class InstitutionKey(PlatformModel, table=True):
    """A public signing key an institution registered with the platform (``jianding keys export``
    on its workstation, then ``POST /admin/institutions/{code}/keys``). Once an institution has one,
    every result it uploads must be sealed and signed by one of its keys."""

    __tablename__ = "pf_institution_key"
    __table_args__ = (UniqueConstraint("institution_id", "key_id", name="uq_pf_key_institution_key_id"),)

    id: int | None = Field(default=None, primary_key=True)
    institution_id: int = Field(foreign_key="pf_institution.id", index=True)
    key_id: str
    public_key_hex: str
    created_at: datetime = _ts()


class BookingRow(PlatformModel, table=True):
    """A user unit's booking (预约) assigned to one institution; ``id`` is the arrival ``seq``."""

    __tablename__ = "pf_booking"

    id: int | None = Field(default=None, primary_key=True)
    booking_id: str = Field(index=True, unique=True)
    institution_id: int = Field(foreign_key="pf_institution.id", index=True)
    status: str = "booked"
    submitted_at: str  # as the user unit's side sent it (ISO 8601 with offset)
    received_at: datetime = _ts()
    requested_date: str | None = None
    user_unit: str = ""
    contact: str = ""
    phone: str = ""
    site_address: str = ""
    division_code: str = ""
    delivery_mode: str = ""
    instruments_json: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    reason: str | None = None
    planned_date: str | None = None
    decided_by: str | None = None
    decided_at: str | None = None


class ResultRow(PlatformModel, table=True):
    """One certificate version received from an institution — exactly once per (institution, uid)."""

    __tablename__ = "pf_result"
    __table_args__ = (UniqueConstraint("institution_id", "uid", name="uq_pf_result_institution_uid"),)

    id: int | None = Field(default=None, primary_key=True)
    institution_id: int = Field(foreign_key="pf_institution.id", index=True)
    uid: str
    certificate_no: str = Field(index=True)
    version: int
    status: str = "issued"  # issued | revoked
    supersedes: str | None = None
    booking_id: str | None = None
    purpose: str = ""  # why the run was made (periodic, sampling, complaint …), as the workstation sent it
    token: str = Field(index=True)
    qr_text: str = Field(sa_column=Column(Text, nullable=False))
    key_id: str
    public_key_hex: str
    pdf_sha256: str
    pdf: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    record_json: str = Field(sa_column=Column(Text, nullable=False))
    issued_at: str  # as the workstation sent it
    received_at: datetime = _ts()
    revoked_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))

    @property
    def platform_id(self) -> str:
        """The platform's own id for this result, as returned in the Ack."""
        return f"PF{self.id:010d}"


class IdempotencyRecord(PlatformModel, table=True):
    """A stored response for (institution, Idempotency-Key), with the hash of the body it answered."""

    __tablename__ = "pf_idempotency"
    __table_args__ = (UniqueConstraint("institution_id", "key", name="uq_pf_idempotency_institution_key"),)

    id: int | None = Field(default=None, primary_key=True)
    institution_id: int = Field(foreign_key="pf_institution.id", index=True)
    key: str
    body_sha256: str
    status_code: int
    response_json: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = _ts()


class LedgerRow(PlatformModel, table=True):
    """An instrument on an institution's ledger (台账), upserted by (institution, serial)."""

    __tablename__ = "pf_ledger"
    __table_args__ = (UniqueConstraint("institution_id", "serial", name="uq_pf_ledger_institution_serial"),)

    id: int | None = Field(default=None, primary_key=True)
    institution_id: int = Field(foreign_key="pf_institution.id", index=True)
    serial: str
    category: str = ""
    name: str = ""
    model: str = ""
    manufacturer: str = ""
    accuracy_class: str = ""
    measuring_range: str = ""
    user_unit: str = ""
    location: str = ""
    division_code: str = ""
    use: str = ""
    delivery_mode: str = ""
    household: bool | None = None  # 民用; None: not said
    filing_status: str = ""  # 已备案 | 未备案 | ""
    commissioned_on: date | None = None  # 投用日期
    updated_at: datetime = _ts()


class RectificationRow(PlatformModel, table=True):
    """A rectification item (整改) of one institution, one per (institution, item_no): the facts of
    its first step received and its status from the highest step received."""

    __tablename__ = "pf_rectification"
    __table_args__ = (UniqueConstraint("institution_id", "item_no", name="uq_pf_rectification_institution_item"),)

    id: int | None = Field(default=None, primary_key=True)
    institution_id: int = Field(foreign_key="pf_institution.id", index=True)
    item_no: str
    finding_kind: str
    finding: str = Field(sa_column=Column(Text, nullable=False))
    user_unit: str = Field(index=True)
    instrument_serial: str = ""
    category: str = ""
    division_code: str = ""
    location: str = ""
    opened_on: str  # YYYY-MM-DD
    deadline: str  # YYYY-MM-DD
    status: str = "open"
    last_seq: int = 0
    received_at: datetime = _ts()
    updated_at: datetime = _ts()

    @property
    def platform_id(self) -> str:
        """The platform's own id for this item, as returned in the Ack."""
        return f"RF{self.id:010d}"


class RectificationStepRow(PlatformModel, table=True):
    """One step of a rectification item, exactly once per (institution, item_no, seq)."""

    __tablename__ = "pf_rectification_step"
    __table_args__ = (UniqueConstraint("institution_id", "item_no", "seq", name="uq_pf_rectification_step"),)

    id: int | None = Field(default=None, primary_key=True)
    institution_id: int = Field(foreign_key="pf_institution.id", index=True)
    item_no: str = Field(index=True)
    seq: int
    change_json: str = Field(sa_column=Column(Text, nullable=False))  # the RectificationChange as sent
    received_at: datetime = _ts()

def make_engine(database_url: str) -> Engine:
    """An engine for ``database_url`` (``sqlite:///path.db`` or ``postgresql+psycopg://…``) with the
    platform tables created. SQLite gets WAL and a busy timeout so concurrent writers queue instead of
    failing; PostgreSQL gets a pool large enough for the server's worker threads."""
    if database_url.startswith("sqlite"):
        engine = create_engine(database_url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()
    else:
        engine = create_engine(database_url, pool_size=10, max_overflow=30, pool_pre_ping=True)
    PlatformModel.metadata.create_all(engine)
    return engine
