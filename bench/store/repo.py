"""The store facade: the ledger, reference standards, runs and their append-only readings, results
and audit log. One writer lock: every write goes through here, so events recorded from the engine
and commands from the CLI or GUI never interleave mid-transaction."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from bench.store.chain import CHAINED, Break, seal, verify_all
from bench.store.db import open_engine
from bench.store.models import (
    AuditEntry,
    Certificate,
    CertificateEvent,
    ChainHead,
    Instrument,
    OversightEvent,
    RawReading,
    Result,
    Run,
    RunPosition,
    SigningKey,
    Standard,
    StandardSetup,
    StepRecord,
    utcnow,
)
from bench.store.sync_repo import SyncRepo
from bench.store.versions import VersionedSession, rows_breaks, verify_versions
from procedures.engine import (
    Event,
    MeasurementRecorded,
    PersistedState,
    ReadingTaken,
    RunFinished,
    RunPaused,
    RunWarning,
    StepFinished,
)
from procedures.engine.context import StoredReading

# The ledger fields an update may change (not id, not created_at).
LEDGER_FIELDS = ("category", "name", "model", "serial", "manufacturer", "accuracy_class", "measuring_range", "client",
                 "client_address", "location", "division_code", "use", "delivery_mode", "params_json", "household",
                 "filing_status", "commissioned_on")


MEASURED = "测量已完成，记录待冻结 (measured; the record is not frozen yet)"
"""The message of a run whose every step is on disk but whose record is not frozen yet."""


class StandardNotUsable(Exception):
    """A run would use a reference standard that is not on the ledger or whose calibration expired,
    or one of a 计量标准装置 whose certificate expired."""


def _refuse_expired(what_zh: str, certificate_no: str, valid_until: date, on: date, what_en: str) -> None:
    """Refuse a run on ``on`` when a certificate (a standard's calibration, a 装置's 考核证书) ended
    before it: one message, Chinese first, naming the certificate and its last day."""
    if valid_until < on:
        raise StandardNotUsable(f"{what_zh} {certificate_no} 有效期至 {valid_until}，拒绝检定 "
                                f"({what_en} expired on {valid_until}; certificate {certificate_no})")


class Store(SyncRepo):
    """Access to the workstation's database."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.engine = open_engine(path)
        self.path = Path(self.engine.url.database or "")
        self._lock = threading.RLock()

    def session(self) -> Session:
        """A new session (expire_on_commit off so rows stay readable after commit); it versions
        every change of a run, position, instrument, standard or 装置 it commits
        (:mod:`bench.store.versions`)."""
        return VersionedSession(self.engine, expire_on_commit=False)

    def _add(self, *rows: Any) -> None:
        """The single writer: insert rows in one transaction, sealing each row of a hash-chained
        table (``bench.store.chain.seal``) so its chain and head move with the insert."""
        with self._lock, self.session() as s:
            for r in rows:
                seal(s, r)
                s.add(r)
            s.commit()
            for r in rows:
                s.refresh(r)

    # -- audit ----------------------------------------------------------------------------------
    def audit(self, actor: str, action: str, run_id: str | None = None, detail: str = "") -> None:
        """Append an audit entry."""
        self._add(AuditEntry(actor=actor, action=action, run_id=run_id, detail=detail))

    def audit_log(self, run_id: str | None = None) -> list[AuditEntry]:
        """Audit entries, oldest first (of one run if given)."""
        with self.session() as s:
            q = select(AuditEntry).order_by(AuditEntry.id)  # type: ignore[arg-type]
            if run_id:
                q = q.where(AuditEntry.run_id == run_id)
            return list(s.exec(q))

    def verify_chains(self) -> dict[str, tuple[int, list[Break]]]:
        """Recompute every hash chain and compare every versioned row with its last version:
        table → (rows checked, breaks found)."""
        with self.session() as s:
            return {**verify_all(s), **verify_versions(s)}

    def version_breaks(self, rows: list[Any]) -> list[Break]:
        """Which of these runs, positions, instruments, standards or 装置 differ from their last
        recorded version (edited or inserted behind the store's back); [] when all hold."""
        with self.session() as s:
            return rows_breaks(s, rows)

    def chain_heads(self) -> dict[str, list[Any]]:
        """Every chain's head now, table → [seq, row_hash]: what an issued certificate anchors."""
        with self.session() as s:
            return {h.table_name: [h.seq, h.row_hash] for h in s.exec(select(ChainHead).order_by(ChainHead.table_name))}

    def chain_row(self, table: str, seq: int) -> Any | None:
        """The row of a chained table at ``seq`` (None when there is none)."""
        model = CHAINED[table]
        with self.session() as s:
            return s.exec(select(model).where(model.seq == seq)).first()  # type: ignore[attr-defined]

    # -- signing keys and certificates (append-only; the approval logic is bench.certificates) ------
    def add_signing_key(self, row: SigningKey) -> SigningKey:
        """Register a public signing key."""
        self._add(row)
        return row

    def signing_keys(self) -> list[SigningKey]:
        """Registered public keys, oldest first."""
        with self.session() as s:
            return list(s.exec(select(SigningKey).order_by(SigningKey.id)))  # type: ignore[arg-type]

    def add_certificate(self, row: Certificate) -> Certificate:
        """Enter a certificate version."""
        self._add(row)
        return row

    def add_certificate_event(self, row: CertificateEvent) -> CertificateEvent:
        """Append a step of a certificate's approval chain."""
        self._add(row)
        return row

    # -- oversight events (append-only; the reports are bench.oversight) ---------------------------
    def add_oversight_event(self, row: OversightEvent) -> OversightEvent:
        """Append an oversight event (complaint, violation, case, replacement …) to its hash chain."""
        self._add(row)
        return row

    def oversight_events(self, start: date | None = None, end: date | None = None) -> list[OversightEvent]:
        """Oversight events, oldest first, with ``start <= occurred_on <= end`` when given."""
        with self.session() as s:
            q = select(OversightEvent).order_by(OversightEvent.occurred_on, OversightEvent.id)  # type: ignore[arg-type]
            if start is not None:
                q = q.where(OversightEvent.occurred_on >= start)
            if end is not None:
                q = q.where(OversightEvent.occurred_on <= end)
            return list(s.exec(q))

    def all_positions(self) -> list[RunPosition]:
        """Every position of every bench run (the oversight reports read them all at once)."""
        with self.session() as s:
            return list(s.exec(select(RunPosition).order_by(RunPosition.id)))  # type: ignore[arg-type]

    # -- ledger ---------------------------------------------------------------------------------
    def add_instrument(self, *, params: dict[str, Any] | None = None, **fields: Any) -> Instrument:
        """Add an instrument to the ledger."""
        row = Instrument(params_json=json.dumps(params or {}, ensure_ascii=False), **fields)
        self._add(row)
        self.audit("system", "ledger.add", detail=f"{row.category} {row.model} {row.serial}")
        return row

    def find_instrument(self, serial: str, category: str | None = None) -> Instrument | None:
        """The ledger row of an instrument by serial number."""
        with self.session() as s:
            q = select(Instrument).where(Instrument.serial == serial)
            if category:
                q = q.where(Instrument.category == category)
            return s.exec(q).first()

    def get_instrument(self, instrument_id: int) -> Instrument:
        """An instrument by id."""
        with self.session() as s:
            row = s.get(Instrument, instrument_id)
            if row is None:
                raise LookupError(f"台账中无此器具 (no instrument {instrument_id} on the ledger)")
            return row

    def instruments(self) -> list[Instrument]:
        """The whole ledger."""
        with self.session() as s:
            return list(s.exec(select(Instrument).order_by(Instrument.id)))  # type: ignore[arg-type]

    def update_instrument(self, instrument_id: int, *, actor: str = "system", source: str = "",
                          params: dict[str, Any] | None = None, **fields: Any) -> Instrument:
        """Change ledger fields of one instrument; the change is audited with before/after."""
        if params is not None:
            fields["params_json"] = json.dumps(params, ensure_ascii=False)
        self.apply_ledger_changes([], [(instrument_id, fields)], actor=actor, source=source)
        return self.get_instrument(instrument_id)

    def apply_ledger_changes(self, adds: list[dict[str, Any]], updates: list[tuple[int, dict[str, Any]]], *,
                             actor: str = "system", source: str = "") -> tuple[list[Instrument], list[Instrument]]:
        """Add and update ledger rows in ONE transaction (a batch import enters all or nothing).
        Ledger rows are not append-only, but every change leaves an audit entry: ``ledger.add``
        per new row, ``ledger.update`` with the changed fields' before/after (JSON). ``adds`` are
        Instrument fields (``params_json`` as text); an added serial already on the ledger raises
        ValueError and nothing is written. Returns (added rows, updated rows)."""
        editable = set(LEDGER_FIELDS)
        added: list[Instrument] = []
        updated: list[Instrument] = []
        with self._lock, self.session() as s:
            for fields in adds:
                serial = fields.get("serial", "")
                if s.exec(select(Instrument).where(Instrument.serial == serial)).first() is not None:
                    raise ValueError(f"出厂编号 {serial} 已在台账中 (serial {serial} is already on the ledger)")
                row = Instrument(**fields)
                s.add(row)
                added.append(row)
            s.flush()
            entries: list[AuditEntry] = [
                AuditEntry(actor=actor, action="ledger.add",
                           detail=f"{row.category} {row.model} {row.serial}" + (f" ← {source}" if source else ""))
                for row in added]
            for instrument_id, fields in updates:
                unknown = set(fields) - editable
                if unknown:
                    raise ValueError(f"不可修改的台账字段 (not ledger fields): {sorted(unknown)}")
                row = s.get(Instrument, instrument_id)
                if row is None:
                    raise LookupError(f"台账中无此器具 (no instrument {instrument_id} on the ledger)")
                before = {k: getattr(row, k) for k in fields if getattr(row, k) != fields[k]}
                if not before:
                    continue
                after = {k: fields[k] for k in before}
                for k, v in after.items():
                    setattr(row, k, v)
                s.add(row)
                entries.append(AuditEntry(actor=actor, action="ledger.update", detail=json.dumps(
                    {"id": row.id, "serial": row.serial, "before": before, "after": after, "source": source},
                    ensure_ascii=False, default=str)))  # dates (投用日期) as ISO text
                updated.append(row)
            for entry in entries:  # sealed into the audit chain inside this same transaction
                seal(s, entry)
                s.add(entry)
            s.commit()
            for row in (*added, *updated):
                s.refresh(row)
        return added, updated

    # -- standards ------------------------------------------------------------------------------
    def add_standard(self, *, setup: str | None = None, actor: str = "system", **fields: Any) -> Standard:
        """Enter a reference standard with its calibration certificate; ``setup`` names the
        计量标准装置 (by its certificate number) it is a main instrument of; ``actor``: who entered it."""
        if setup:
            fields["setup_id"] = self._setup_id(setup)
        row = Standard(**fields)
        self._add(row)
        self.audit(actor, "standard.add", detail=f"{row.name} {row.serial} {row.certificate_no} → {row.valid_until}"
                                                    + (f" 装置 {setup}" if setup else ""))
        return row

    def standard(self, serial: str) -> Standard | None:
        """A standard by serial number."""
        with self.session() as s:
            return s.exec(select(Standard).where(Standard.serial == serial)).first()

    def standards(self) -> list[Standard]:
        """All reference standards."""
        with self.session() as s:
            return list(s.exec(select(Standard).order_by(Standard.id)))  # type: ignore[arg-type]

    def add_setup(self, *, actor: str = "system", **fields: Any) -> StandardSetup:
        """Enter a 计量标准装置 with its 计量标准考核证书 (or 社会公用计量标准证书): name,
        ``certificate_kind``, ``certificate_no``, ``issued_by``, ``valid_until``; ``actor``: who entered it."""
        row = StandardSetup(**fields)
        self._add(row)
        self.audit(actor, "setup.add", detail=f"{row.name} {row.certificate_kind} {row.certificate_no} → {row.valid_until}")
        return row

    def setup(self, certificate_no: str) -> StandardSetup | None:
        """A 计量标准装置 by its certificate number."""
        with self.session() as s:
            return s.exec(select(StandardSetup).where(StandardSetup.certificate_no == certificate_no)).first()

    def setups(self) -> list[StandardSetup]:
        """All 计量标准装置."""
        with self.session() as s:
            return list(s.exec(select(StandardSetup).order_by(StandardSetup.id)))  # type: ignore[arg-type]

    def _setup_id(self, certificate_no: str) -> int:
        row = self.setup(certificate_no)
        if row is None or row.id is None:
            raise StandardNotUsable(f"计量标准装置 {certificate_no} 未登记 (no standard setup with certificate "
                                    f"{certificate_no}: jianding standards setup-add)")
        return row.id

    def assign_setup(self, serial: str, certificate_no: str, actor: str = "system") -> Standard:
        """Make the standard ``serial`` a main instrument of the 装置 ``certificate_no`` (audited as ``actor``)."""
        setup_id = self._setup_id(certificate_no)
        with self._lock, self.session() as s:
            row = s.exec(select(Standard).where(Standard.serial == serial)).first()
            if row is None:
                raise StandardNotUsable(f"标准器 {serial} 不在标准器台账中 (reference standard {serial} is not on the ledger)")
            row.setup_id = setup_id
            s.add(row)
            s.commit()
            s.refresh(row)
        self.audit(actor, "standard.setup", detail=f"{serial} → 装置 {certificate_no}")
        return row

    def renew_standard(self, serial: str, *, certificate_no: str, calibrated_on: date, valid_until: date,
                       actor: str) -> Standard:
        """A new calibration certificate for the standard ``serial``: its number, calibration date and
        due date replace the old ones in ONE transaction with the audit entry naming both certificates.
        The old certificate stays on record: the row's previous version (bench.store.versions) and
        the audit entry keep it, and every record frozen before names it."""
        row = self._renew(Standard, Standard.serial == serial, actor, "standard.renew",
                          lambda r: f"{r.name} {r.serial}: {r.certificate_no} {r.calibrated_on} → {r.valid_until}",
                          certificate_no=certificate_no, calibrated_on=calibrated_on, valid_until=valid_until)
        if row is None:
            raise StandardNotUsable(f"标准器 {serial} 不在标准器台账中 (reference standard {serial} is not on the ledger)")
        return row

    def renew_setup(self, certificate_no: str, *, new_certificate_no: str, valid_until: date, issued_by: str,
                    actor: str) -> StandardSetup:
        """A new (or re-examined, 复查) certificate for the 计量标准装置 ``certificate_no``: its number,
        issuer and validity replace the old ones in ONE transaction with the audit entry naming both
        (the old stays in the row's versions); its main instruments follow it (they point at the row)."""
        row = self._renew(StandardSetup, StandardSetup.certificate_no == certificate_no, actor, "setup.renew",
                          lambda r: f"{r.name}: {r.certificate_no} {r.issued_by} → {r.valid_until}",
                          certificate_no=new_certificate_no, valid_until=valid_until, issued_by=issued_by)
        if row is None:
            raise StandardNotUsable(f"计量标准装置 {certificate_no} 未登记 (no standard setup with certificate "
                                    f"{certificate_no})")
        return row

    def _renew(self, model: Any, where: Any, actor: str, action: str, describe: Any, **fields: Any) -> Any | None:
        """Set ``fields`` on the row of ``model`` matching ``where`` and append the audit entry
        "before ⇒ after" (``describe`` of the row each time), in one transaction; None when no row."""
        with self._lock, self.session() as s:
            row = s.exec(select(model).where(where)).first()
            if row is None:
                return None
            before = describe(row)
            for k, v in fields.items():
                setattr(row, k, v)
            s.add(row)
            entry = AuditEntry(actor=actor, action=action, detail=f"{before} ⇒ {describe(row)}")
            seal(s, entry)
            s.add(entry)
            s.commit()
            s.refresh(row)
        return row

    def setups_of(self, standards: Iterable[Standard]) -> list[StandardSetup]:
        """The 计量标准装置 of ``standards`` (each once, in the order first met); a standard of
        none adds nothing."""
        ids = list(dict.fromkeys(s.setup_id for s in standards if s.setup_id is not None))
        with self.session() as s:
            rows = {r.id: r for r in s.exec(select(StandardSetup).where(StandardSetup.id.in_(ids)))}  # type: ignore[union-attr]
        return [rows[i] for i in ids if i in rows]

    def usable_standards(self, serials: Iterable[str], on: date) -> list[Standard]:
        """The standards a run will use, each checked: on the ledger and calibrated through ``on``,
        and the 计量标准装置 each belongs to authorised through ``on`` (its 计量标准考核证书 or
        社会公用计量标准证书 in force). Raises :class:`StandardNotUsable` naming the standard or
        the 装置, its certificate and its due date otherwise."""
        rows: list[Standard] = []
        for serial in serials:
            row = self.standard(serial)
            if row is None:
                raise StandardNotUsable(
                    f"标准器 {serial} 不在标准器台账中，拒绝检定 (reference standard {serial} is not on the ledger; "
                    f"add it with its calibration certificate: jianding standards add)"
                )
            _refuse_expired(f"标准器 {row.name} {row.serial} 校准已过期：证书", row.certificate_no, row.valid_until, on,
                            f"calibration of {row.name} {row.serial}")
            rows.append(row)
        for setup in self.setups_of(rows):
            _refuse_expired(f"计量标准装置 {setup.name} 的{setup.certificate_kind}已过期：证书", setup.certificate_no,
                            setup.valid_until, on, f"the {setup.certificate_kind} of standard setup {setup.name}")
        return rows

    # -- numbering ------------------------------------------------------------------------------
    def next_number(self, name: str, year: int) -> int:
        """The next value of a yearly sequence (record numbers, certificate numbers)."""
        with self.transaction() as tx:
            return tx.next_number(name, year)

    # -- runs -----------------------------------------------------------------------------------
    def create_run(self, run: Run) -> Run:
        """Register a new run."""
        self._add(run)
        self.audit("system", "run.start", run.id, f"{run.regulation} {run.verification_type}")
        return run

    def get_run(self, run_id: str) -> Run:
        """A run by id (a unique prefix is accepted)."""
        with self.session() as s:
            row = s.get(Run, run_id)
            if row is None:
                rows = list(s.exec(select(Run).where(Run.id.startswith(run_id))))  # type: ignore[union-attr]
                if len(rows) == 1:
                    row = rows[0]
            if row is None:
                raise LookupError(f"无此检定记录 (no run {run_id})")
            return row

    def runs(self, status: str | None = None) -> list[Run]:
        """Runs, newest first."""
        with self.session() as s:
            q = select(Run).order_by(Run.started_at.desc())  # type: ignore[attr-defined]
            if status:
                q = q.where(Run.status == status)
            return list(s.exec(q))

    def update_run(self, run_id: str, **fields: Any) -> Run:
        """Change a run's status or finishing fields (never its readings)."""
        with self.transaction() as tx:
            return tx.update_run(run_id, **fields)

    def add_positions(self, run_id: str, instruments: dict[int, int]) -> None:
        """Seat the instruments of a bench run: position → instrument id."""
        self._add(*(RunPosition(run_id=run_id, position=p, instrument_id=i) for p, i in sorted(instruments.items())))

    def positions(self, run_id: str) -> list[RunPosition]:
        """The positions of a bench run in position order ([] for a single-instrument run)."""
        with self.session() as s:
            q = select(RunPosition).where(RunPosition.run_id == run_id).order_by(RunPosition.position)  # type: ignore[arg-type]
            return list(s.exec(q))

    def update_position(self, run_id: str, position: int, **fields: Any) -> RunPosition:
        """Record how one position of a bench run ended (its record and document, or a re-test)."""
        with self.transaction() as tx:
            return tx.update_position(run_id, position, **fields)

    def readings(self, run_id: str) -> list[RawReading]:
        """Raw readings of a run in the order taken."""
        with self.session() as s:
            q = select(RawReading).where(RawReading.run_id == run_id).order_by(RawReading.id)  # type: ignore[arg-type]
            return list(s.exec(q))

    def results(self, run_id: str) -> list[Result]:
        """Judged results of a run."""
        with self.session() as s:
            return list(s.exec(select(Result).where(Result.run_id == run_id).order_by(Result.id)))  # type: ignore[arg-type]

    def steps(self, run_id: str) -> list[StepRecord]:
        """Finished steps of a run."""
        with self.session() as s:
            q = select(StepRecord).where(StepRecord.run_id == run_id).order_by(StepRecord.id)  # type: ignore[arg-type]
            return list(s.exec(q))

    def persisted_state(self, run_id: str) -> PersistedState:
        """What an interrupted run left: finished steps and raw readings, for resume."""
        steps = {r.step_key: json.loads(r.outcome_json) for r in self.steps(run_id)}
        readings = [
            StoredReading(r.step_key, r.key, r.quantity, r.value, r.unit, r.source, json.loads(r.extra_json))
            for r in self.readings(run_id)
        ]
        return PersistedState(completed=steps, readings=readings)

    # -- the single writer of run events ---------------------------------------------------------
    def record_event(self, event: Event) -> None:
        """Bus sink: persist what must survive a crash, before the engine goes on."""
        if isinstance(event, ReadingTaken):
            self._add(RawReading(run_id=event.run_id, step_key=event.step_key, key=event.key,
                                 quantity=event.quantity, value=event.value, unit=event.unit, source=event.source,
                                 extra_json=json.dumps(event.extra, ensure_ascii=False, default=str),
                                 taken_at=event.at))
        elif isinstance(event, MeasurementRecorded):
            r = event.result
            self._add(Result(run_id=event.run_id, step_key=event.step_key, item=event.item, name=r.name,
                             label=r.label, unit=r.unit, mean=r.mean, rounded=r.rounded, mpe=r.mpe,
                             verdict=r.verdict.value, values_json=json.dumps(list(r.values)),
                             position=r.position))
        elif isinstance(event, StepFinished):
            self._add(StepRecord(run_id=event.run_id, step_key=event.step_key, item=event.item,
                                 verdict=event.verdict.value,
                                 outcome_json=json.dumps(event.outcome, ensure_ascii=False, default=str),
                                 finished_at=event.at))
        elif isinstance(event, RunWarning):  # the run's notes: kept in the chained audit trail
            self.audit("system", "run.warning", event.run_id, f"{event.source}: {event.message}" if event.source
                       else event.message)
        elif isinstance(event, RunPaused):
            self.update_run(event.run_id, status="paused", message=event.message)
            self.audit("system", "run.paused", event.run_id, event.message)
        elif isinstance(event, RunFinished) and event.status == "finished":
            # measured, not finished: the run is finished only when its record is frozen and its
            # documents drafted, in one transaction (bench.controller.Controller.finalize); a crash
            # before that leaves it running, and ``resume`` freezes it from the persisted steps
            self.update_run(event.run_id, message=MEASURED)
        elif isinstance(event, RunFinished) and event.status != "paused":
            fields: dict[str, Any] = {"status": event.status}
            if event.status != "finished":
                fields["finished_at"] = utcnow()
            if event.message:
                fields["message"] = event.message
            self.update_run(event.run_id, **fields)
            self.audit("system", f"run.{event.status}", event.run_id, event.message)


def as_dict(row: Any) -> dict[str, Any]:
    """A row as a plain dict (dates as ISO strings)."""
    out = {}
    for k, v in row.model_dump().items():
        out[k] = v.isoformat() if isinstance(v, date | datetime) else v
    return out
