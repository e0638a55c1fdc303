"""The store's tables (sqlmodel). Raw readings and the audit log are append-only (SQLite triggers
in the initial migration refuse UPDATE and DELETE), in the ISO/IEC 17025 habit: records are made
at the time and never edited in place."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Timezone-aware now (stored as UTC)."""
    return datetime.now(UTC)


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


class Standard(SQLModel, table=True):
    """A reference standard with its calibration certificate and due date."""

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


class Run(SQLModel, table=True):
    """A verification run: its configuration (enough to resume it) and, once finished, its record."""

    id: str = Field(primary_key=True)
    regulation: str
    edition: str
    verification_type: str
    instrument_id: int = Field(foreign_key="instrument.id")
    status: str = "running"  # running | paused | aborted | finished
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


class StepRecord(SQLModel, table=True):
    """A finished step: the resume point."""

    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(foreign_key="run.id", index=True)
    step_key: str
    item: str
    verdict: str
    outcome_json: str
    finished_at: datetime = Field(default_factory=utcnow)


class RawReading(SQLModel, table=True):
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


class Result(SQLModel, table=True):
    """A judged measurement result at one test point."""

    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(foreign_key="run.id", index=True)
    step_key: str
    item: str
    name: str
    label: str
    unit: str
    mean: float
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


class AuditEntry(SQLModel, table=True):
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
