"""The one facade the CLI and the GUI call: prepare a run (ledger and standards checked), execute or
resume it against the station's devices (starting twins when the station says sim), abort it,
freeze the record and write the certificate or notice."""

from __future__ import annotations

import dataclasses
import json
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from bench import __version__
from bench.accounts import Account, AccountError, Accounts
from bench.adjustment import adjustment_of, adjustment_text, with_adjustment
from bench.campaign_views import CampaignViews
from bench.catalog import default_purpose, purpose_choices, regulation_choices
from bench.certificates import Certificates
from bench.facade import ViewsFacade
from bench.factory import build_device, open_station
from bench.faults import boundary
from bench.institution import ProfileError
from bench.ledger_views import LedgerViews
from bench.link_watch import LinkWatch
from bench.rectification_views import RectificationViews
from bench.retest import RetestViews, retest_station
from bench.simhost import SimHost
from bench.standards_views import StandardsViews
from bench.standing import as_found, certificate_in_force, rule_of, standing, verifications
from bench.station import Station, StationError, parse_station
from bench.station_schema import validate_station
from bench.station_security import ocpp_security, redacted, with_secrets
from bench.status_views import StatusViews
from bench.store import Store
from bench.store.db import documents_dir
from bench.store.models import AuditEntry, Run, utcnow
from bench.store.sync_repo import Tx
from drivers.errors import DeviceError
from procedures.engine import (
    EventBus,
    Executor,
    Operator,
    RunFinished,
    RunOutcome,
    RunWarning,
    StepContext,
    StepFinished,
    StepOutcome,
)
from procedures.metrology.uncertainty import stated_u95_pct
from procedures.records import (
    AsFound,
    Environment,
    InstrumentInfo,
    StandardSetup,
    StandardUsed,
    Verdict,
    VerificationRecord,
)
from procedures.regulations import REGISTRY
from procedures.regulations.common import position_faults
from procedures.regulations.documents import DocumentTerms, document_for
from procedures.regulations.specs import describe, instrument_name
from procedures.regulations.tables import merged
from procedures.regulations.validity import SERVICE_LIFE

# Ledger columns of an [instrument] section; every other key is a technical parameter the
# regulation's params type reads (imax_a, constant_imp_per_kwh, qmax_l_min, fuel, …).
INSTRUMENT_FIELDS = ("category", "name", "model", "serial", "manufacturer", "accuracy_class", "measuring_range",
                     "client", "client_address", "location", "household", "filing_status", "commissioned_on")


def ledger_fields(section: dict[str, Any], keys: tuple[str, ...] = INSTRUMENT_FIELDS) -> dict[str, Any]:
    """The ledger columns an [instrument] section gives, typed as the ledger keeps them: text, and
    ``household`` (民用: 是/否, true/false; absent None), ``filing_status`` (已备案 | 未备案) and
    ``commissioned_on`` (a TOML date or "YYYY-MM-DD"); StationError naming a bad one."""
    out: dict[str, Any] = {}
    for k in keys:
        value = section.get(k)
        if k == "household":
            out[k] = None if value in (None, "") else _yes_no(value, k)
        elif k == "commissioned_on":
            try:
                out[k] = value if isinstance(value, date) or value in (None, "") else date.fromisoformat(str(value))
            except ValueError:
                raise StationError(f"[instrument] commissioned_on: “{value}” 不是日期 YYYY-MM-DD (not a date)") from None
            out[k] = out[k] or None
        elif k == "filing_status":
            if value not in (None, "", "已备案", "未备案"):
                raise StationError(f"[instrument] filing_status: “{value}” 应为 已备案 或 未备案 (filed or not filed)")
            out[k] = str(value or "")
        else:
            out[k] = str(value if value is not None else "")
    return out


def _yes_no(value: Any, key: str) -> bool:
    """是/否, true/false, yes/no as a bool; StationError otherwise."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("是", "true", "yes", "y", "1"):
        return True
    if text in ("否", "false", "no", "n", "0"):
        return False
    raise StationError(f"[instrument] {key}: “{value}” 应为 是 或 否 (yes or no)")


@dataclass
class RunRequest:
    """What the operator asked for."""

    station: Station
    regulation: str = "jjg1148"
    edition: str | None = None  # None: the regulation's default edition (its table's default_edition)
    verification_type: str = "first"
    instrument_serial: str | None = None
    sim_overrides: dict[str, Any] = field(default_factory=dict)
    task_id: str | None = None  # the platform booking (task) this run serves; it must be accepted (受理)
    purpose: str | None = None  # why it is made (bench/purposes.toml); None: the verification type's default
    adjusts_run: str | None = None  # 调整后重新检定: the failed run whose instrument was adjusted (bench.adjustment)
    adjustment_note: str = ""  # what was adjusted or repaired (the record's 调整/修理情况)
    retest_of: str | None = None  # a follow-up (复检) of this finished bench run: only ``positions`` (bench/retest.py)
    positions: list[int] = field(default_factory=list)  # the positions a follow-up re-tests


@dataclass(frozen=True)
class PositionSummary:
    """How one position (表位) of a bench run ended: its instrument, and either its own record and
    document (``finished``) or why it needs re-testing (``retest``: a fault at that position)."""

    position: int
    serial: str
    status: str  # finished | retest
    conclusion: str = ""
    certificate_no: str = ""
    document: Path | None = None
    record: VerificationRecord | None = None
    message: str = ""


@dataclass
class RunSummary:
    """How a run ended, for the CLI/GUI to show. A bench run has no single record: each position
    has its own (``positions``)."""

    run_id: str
    status: str
    message: str = ""
    record: VerificationRecord | None = None
    document: Path | None = None
    outcome: RunOutcome | None = None
    positions: list[PositionSummary] = field(default_factory=list)


class Controller(ViewsFacade, CampaignViews, LedgerViews, RectificationViews, StandardsViews,
                 StatusViews, RetestViews):
    """Runs verifications against a store; publishes every event on ``bus``."""

    def __init__(self, store: Store, out_dir: Path | None = None, actor: str = "operator",
                 key_path: Path | None = None, account: Account | None = None) -> None:
        self.store = store
        self.out_dir = out_dir or documents_dir(store.path)  # beside the database unless --out
        self.account = account  # the logged-in 检定员 (bench.accounts); runs and drafts are theirs
        self.actor = account.name if account is not None else actor
        self.bus = EventBus()
        self.bus.add_sink(store.record_event)
        self.bus.add_sink(_event_boundary)  # after the store: a boundary is passed once its event is on disk
        self._abort = threading.Event()
        self.sim: SimHost | None = None  # the twins of the run in progress, when simulated
        self.certificates = Certificates(store, self.out_dir, key_path)
        self.platform_section: dict[str, Any] = {}  # [platform] url/token for the GUI's sync (bench.facade)

    @classmethod
    def open(cls, db: Path | str | None, out_dir: Path | None = None, actor: str = "operator",
             account: Account | None = None) -> Controller:
        """A controller over the SQLite store at ``db`` (None: the user data directory's), writing
        documents to ``out_dir`` (None: beside the database, bench.store.db.documents_dir), for
        front ends that may not import the store themselves (the GUI's import contract)."""
        return cls(Store(db) if db else Store(), out_dir, actor=actor, account=account)

    # -- commands -------------------------------------------------------------------------------
    def abort(self) -> None:
        """Ask the running procedure to stop (takes effect at the next check, within ~0.1 s)."""
        self._abort.set()

    def prepare(self, req: RunRequest) -> str:
        """Create a run: instrument on the ledger, standards usable today, parameters frozen."""
        if req.regulation not in REGISTRY:
            raise StationError(f"unknown regulation {req.regulation!r}; known: {sorted(REGISTRY)}")
        self.require_verifier()
        station = req.station
        if req.sim_overrides:
            sim = merged(station.raw.get("sim", {}), req.sim_overrides)
            errors = validate_station({"sim": sim}, station.path)  # the twins' tables, as strictly as the file's
            if errors:
                raise StationError("\n".join(errors))
            station.raw["sim"] = sim
        task = self.store.get_task(req.task_id) if req.task_id else None
        if task is not None and task.status not in ("accepted", "completed"):
            raise StationError(f"预约 {task.booking_id} 状态为 {task.status}，须先受理 (the booking must be accepted "
                               f"first: jianding tasks accept {task.booking_id})")
        ocpp_security(station)  # secure by default: a real post without passwords is refused here
        original = None
        if req.retest_of:  # a follow-up: the station narrowed to the positions re-tested (bench/retest.py)
            station, original = retest_station(self.store, station, req.retest_of, req.positions,
                                               regulation=req.regulation, edition=req.edition,
                                               verification_type=req.verification_type)
            req = dataclasses.replace(req, station=station, edition=original.edition,
                                      purpose=req.purpose or original.purpose or None)
        elif req.positions:
            raise StationError("--positions 仅用于复检 (only a re-test names positions: --retest-of RUN)")
        seats = self._bench_instruments(station) if station.is_bench else {}
        instrument = seats[min(seats)] if seats else self._instrument(station, req.instrument_serial)
        params = self._params(req, instrument)
        procedure = REGISTRY[req.regulation][1](params)  # validates edition, type, class
        adjusted = adjustment_of(self.store, req.adjusts_run, req.adjustment_note, instrument.serial) \
            if req.adjusts_run is not None and not seats else None
        if req.adjusts_run is not None and seats:
            raise StationError("多表位检定的调整后复检请按表位重新检定 (a bench is re-tested by positions)")
        self.store.usable_standards(station.standards(procedure.unused_roles()), date.today())
        self._check_uncertainty(station, procedure)
        self._check_stated_uncertainty(station, procedure)
        edition = params.edition
        run_id = uuid.uuid4().hex
        year = date.today().year
        profile = station.institution
        record_no = self._number(station, str(profile.numbering.get("record_prefix", "YS")), "record", year)
        purpose = req.purpose or default_purpose(req.verification_type)
        if purpose not in {c.key for c in purpose_choices()}:
            raise StationError(f"未知检定目的 (unknown purpose) {purpose!r}; known: "
                               f"{', '.join(f'{c.key} ({c.zh})' for c in purpose_choices())}")
        self.store.create_run(Run(
            id=run_id, regulation=req.regulation, edition=edition, verification_type=req.verification_type,
            purpose=purpose,
            instrument_id=instrument.id or 0,
            params_json=with_adjustment(json.dumps(params.to_dict(), ensure_ascii=False), adjusted),
            station_json=json.dumps(redacted(station.snapshot()), ensure_ascii=False, default=str),
            station_path=station.path,
            procedure_hash=procedure.procedure_hash, software_version=__version__, record_no=record_no,
            retest_of=original.id if original is not None else None,
        ))
        if seats:
            self.store.add_positions(run_id, {p: row.id or 0 for p, row in seats.items()})
        if task is not None:
            self.store.link_task(task.booking_id, run_id)
        what = f"{len(seats)} 表位 (positions)" if seats else instrument.serial
        if adjusted:
            what += f" 调整后重新检定 (after adjustment of {adjusted['after_run'][:8]}): {adjusted['note']}"
        if original is not None:
            what += (f" 复检 {original.record_no} 表位 {', '.join(str(p) for p in sorted(seats))} "
                     f"(re-test of run {original.id[:8]})")
        self.store.audit(self.actor, "run.prepare", run_id, f"{procedure.code} {req.verification_type} {what}")
        return run_id

    def plan(self, req: RunRequest) -> tuple[Any, list[Any]]:
        """The procedure a run would follow and its real-time plan (each step's minimum duration on
        real hardware and why), without creating anything: the instrument from the ledger, else the
        station's [instrument] section (``jianding plan``)."""
        if req.regulation not in REGISTRY:
            raise StationError(f"unknown regulation {req.regulation!r}; known: {sorted(REGISTRY)}")
        self.require_verifier()
        station = req.station
        serial = req.instrument_serial or (min(station.bench_serials().items())[1] if station.is_bench else None)
        instrument = self.store.find_instrument(serial) if serial else None
        if instrument is None:
            inst = station.section("instrument")
            fields = ledger_fields(inst)
            if serial:
                fields["serial"] = serial
            if not fields.get("serial") and not station.is_bench:
                raise StationError("no instrument given: name one with --instrument SERIAL or an [instrument] section")
            instrument = SimpleNamespace(id=None, **fields, params_json=json.dumps(
                {k: v for k, v in inst.items() if k not in INSTRUMENT_FIELDS}, ensure_ascii=False))
        procedure = REGISTRY[req.regulation][1](self._params(req, instrument))
        return procedure, procedure.plan(plan_hints(station))

    @staticmethod
    def _check_uncertainty(station: Station, procedure: Any) -> None:
        """Refuse the run when a standard's U95 is larger than the regulation's ratio of the MPE
        (or not on record), naming the standard and both numbers (RegulationProcedure.uncertainty_checks)."""
        refusals: list[str] = []
        for check in procedure.uncertainty_checks():
            try:
                device = station.device_for(check.role)
            except StationError:
                continue  # a role the station lacks is refused by the run's own device check
            name = f"{device.name} {device.standard or ''}".strip()
            reason = check.refusal(name, device.u95_pct)
            if reason:
                refusals.append(reason)
        if refusals:
            raise StationError("；".join(refusals))

    def _check_stated_uncertainty(self, station: Station, procedure: Any) -> None:
        """Refuse the run when the station gives a standard a U95 smaller than the U its certificate
        states on the standards ledger ("U = 0.3 % (k=2)"): the U a result carries (and the JJF 1094
        decision) can never be smaller than the standard's own contribution."""
        refusals: list[str] = []
        for check in procedure.uncertainty_checks():
            try:
                device = station.device_for(check.role)
            except StationError:
                continue
            row = self.store.standard(device.standard) if device.standard else None
            stated = stated_u95_pct(getattr(row, "accuracy", "") or "")
            if stated is not None and device.u95_pct is not None and float(device.u95_pct) < stated:
                refusals.append(f"{device.name} {device.standard}: 站点 u95_pct {float(device.u95_pct):g} % 小于其证书的 "
                                f"U = {stated:g} % (the station's U95 is smaller than the U its certificate states; "
                                f"set u95_pct ≥ {stated:g})")
        if refusals:
            raise StationError("；".join(refusals))

    def _bench_instruments(self, station: Station) -> dict[int, Any]:
        """The ledger rows of a bench's instruments, position → row; instruments not yet on the
        ledger are entered with the batch's [instrument] fields and their own serial."""
        inst = station.section("instrument")
        params = {k: v for k, v in inst.items() if k not in INSTRUMENT_FIELDS}
        fields = ledger_fields(inst, tuple(k for k in INSTRUMENT_FIELDS if k != "serial"))
        seats: dict[int, Any] = {}
        for position, serial in station.bench_serials().items():
            row = self.store.find_instrument(serial)
            if row is None:
                row = self.store.add_instrument(params=params, serial=serial, **fields)
            elif row.model != fields.get("model", row.model):
                raise StationError(f"表位 {position}: 器具 {serial} 在台账中为 {row.model}，与本批 {fields.get('model')} "
                                   f"不符 (position {position}: instrument {serial} is a {row.model} on the ledger, "
                                   "not of this batch)")
            seats[position] = row
        return seats

    def retest_request(self, run_id: str, positions: list[int], sim_overrides: dict[str, Any] | None = None) -> RunRequest:
        """The request of a follow-up run (复检) re-testing ``positions`` of the finished bench run
        ``run_id``: its regulation, edition, verification type and purpose, on the station as that
        run kept it (its snapshot: the same devices and standards, checked again when prepared)."""
        run = self.store.get_run(run_id)
        station = with_secrets(parse_station(json.loads(run.station_json), run.station_path))
        return RunRequest(station=station, regulation=run.regulation, edition=run.edition,
                          verification_type=run.verification_type, purpose=run.purpose or None,
                          sim_overrides=dict(sim_overrides or {}), retest_of=run.id, positions=sorted(positions))

    def _instrument(self, station: Station, serial: str | None) -> Any:
        inst = station.section("instrument")
        serial = serial or inst.get("serial")
        if not serial:
            raise StationError("no instrument given: name one with --instrument SERIAL or an [instrument] section")
        row = self.store.find_instrument(serial)
        if row is not None:
            return row
        if inst.get("serial") != serial:
            raise StationError(f"器具 {serial} 不在台账中 (instrument {serial} is not on the ledger)")
        params = {k: v for k, v in inst.items() if k not in INSTRUMENT_FIELDS}
        fields = ledger_fields(inst)
        return self.store.add_instrument(params=params, **fields)

    def _params(self, req: RunRequest, instrument: Any) -> Any:
        """The regulation's params, built by its own params type from the ledger row and the station
        (``from_instrument``); the edition defaults to the regulation table's ``default_edition``."""
        params_type = REGISTRY[req.regulation][0]
        edition = req.edition or regulation_choices(req.regulation).default_edition
        return params_type.from_instrument(instrument, req.station, edition=edition,
                                           verification_type=req.verification_type)

    async def execute(self, run_id: str, operator: Operator) -> RunSummary:
        """Run (or resume) ``run_id`` to its end or to a pause; freeze and document it when finished."""
        self._abort.clear()
        run = self.store.get_run(run_id)
        if run.status == "finished":
            return self.finished_summary(run_id)
        if run.status == "void":
            return RunSummary(run_id, "void", f"本次检定已判定无效 (the run is void): {run.message}")
        station = with_secrets(parse_station(json.loads(run.station_json), run.station_path))
        warnings = ocpp_security(station)
        params = REGISTRY[run.regulation][0].from_dict(json.loads(run.params_json))
        procedure = REGISTRY[run.regulation][1](params)
        persisted = self.store.persisted_state(run.id)
        for source, message in warnings:  # on every run and resumption: shown, and kept in the audit trail
            self.bus.publish(RunWarning(run_id=run.id, message=message, source=source))
        if persisted.completed or persisted.readings:
            self.store.audit(self.actor, "run.resume", run.id,
                             f"{len(persisted.completed)} steps and {len(persisted.readings)} readings kept")
        if {s.key for s in procedure.steps} <= set(persisted.completed):
            # every step is on disk (a crash between the last step and the record): the record is
            # frozen from them, without the devices (they may be gone by now)
            outcome = RunOutcome(status="finished", outcomes={k: StepOutcome.from_dict(v)
                                                              for k, v in persisted.completed.items()})
            boundary("measured")  # the same boundary as an uninterrupted run's after its last step
            return self.finalize(run.id, procedure, outcome, station)
        resumed = bool(persisted.completed or persisted.readings) or run.status == "paused"
        self.store.update_run(run.id, status="running", message="")
        try:
            async with open_station(station, resumed=resumed) as opened:
                self.sim = opened.sim
                ctx = StepContext(run.id, self.bus, opened.by_role, operator,
                                  {**params.context(), **engine_settings(procedure.table)}, persisted, self._abort)
                watch = LinkWatch(run.id, opened.by_role.values(), self.bus.publish)  # slow links, told
                self.bus.add_sink(watch)
                sim_sink = opened.sim.on_event if opened.sim is not None else None  # faults at a step
                if sim_sink is not None:
                    self.bus.add_sink(sim_sink)
                try:
                    outcome = await Executor(procedure, ctx).run()
                finally:
                    self.bus.remove_sink(watch)
                    if sim_sink is not None:
                        self.bus.remove_sink(sim_sink)
        except DeviceError as e:
            self.store.update_run(run.id, status="paused", message=str(e))
            self.store.audit(self.actor, "run.paused", run.id, str(e))
            return RunSummary(run.id, "paused", str(e))
        finally:
            self.sim = None
        if outcome.status == "void":
            self.store.update_run(run.id, conclusion="无效")
        if outcome.status != "finished":
            return RunSummary(run.id, outcome.status, outcome.message, outcome=outcome)
        return self.finalize(run.id, procedure, outcome, station)

    def finalize(self, run_id: str, procedure: Any, outcome: RunOutcome, station: Station) -> RunSummary:
        """Freeze the record(s) of a measured run, draft its document(s) and mark it finished in ONE
        transaction (record and document numbers, certificate rows, their draft PDFs, the positions,
        the run's status and audit entry): a crash anywhere before the commit leaves the run
        running with every step on disk, and ``resume`` does this again with the same numbers; after
        the commit the run is finished with every document drafted. Event boundaries
        (bench.faults) mark each stage for the crash tests."""
        with self.store.transaction() as tx:
            if self.store.positions(run_id):
                summary = self._finish_bench(tx, run_id, procedure, outcome, station)
            else:
                record = self.freeze(run_id, procedure, outcome, station, tx=tx)
                boundary("record frozen")
                document = self.write_document(record, run_id=run_id, tx=tx)
                boundary("document drafted")
                tx.update_run(run_id, status="finished", finished_at=utcnow(), conclusion=record.conclusion,
                              certificate_no=record.certificate_no, message="",
                              record_json=json.dumps(record.to_dict(), ensure_ascii=False), document_path=str(document))
                tx.add(AuditEntry(actor=self.actor, action="run.finished", run_id=run_id,
                                  detail=f"{record.conclusion} {record.certificate_no} → {document}"))
                summary = RunSummary(run_id, "finished", record=record, document=document, outcome=outcome)
        boundary("run finished")
        return summary

    def finished_summary(self, run_id: str) -> RunSummary:
        """How a finished run ended, from the store (its record and document, or each position's):
        what ``resume`` of a run that is already finished reports before completing its issuing."""
        run = self.store.get_run(run_id)
        seats = self.store.positions(run_id)
        if not seats:
            record = VerificationRecord.from_dict(json.loads(run.record_json)) if run.record_json else None
            return RunSummary(run_id, "finished", "检定已完成 (run already finished)", record=record,
                              document=Path(run.document_path) if run.document_path else None)
        out = [PositionSummary(p.position, self.store.get_instrument(p.instrument_id).serial, p.status, p.conclusion,
                               p.certificate_no, Path(p.document_path) if p.document_path else None,
                               VerificationRecord.from_dict(json.loads(p.record_json)) if p.record_json else None,
                               p.message) for p in seats]
        return RunSummary(run_id, "finished", run.conclusion, positions=out)

    def _finish_bench(self, tx: Tx, run_id: str, procedure: Any, outcome: RunOutcome, station: Station) -> RunSummary:
        """Freeze each position of a finished bench run into its own record and document; a
        position with a fault gets none and is marked for re-testing (需复检), with the fault. All
        in the caller's transaction (:meth:`finalize`)."""
        faults = position_faults(outcome.outcomes)
        out: list[PositionSummary] = []
        for seat in self.store.positions(run_id):
            serial = self.store.get_instrument(seat.instrument_id).serial
            items = procedure.items(outcome.outcomes, seat.position)
            if seat.position not in faults and not any(i.results for i in items):
                faults[seat.position] = [f"表位 {seat.position}: 无测量结果 (no results)"]
            undetermined = [f"{r.name} {r.label} {r.rounded} {r.unit}" for i in items for r in i.results
                            if r.verdict is Verdict.UNDETERMINED]
            if undetermined:  # JJF 1094 §5.3.1.6: neither conforming nor not — measured again, never 不合格
                faults.setdefault(seat.position, []).append(
                    f"表位 {seat.position}: 结果处于 JJF 1094 待定区 (undetermined, re-test): " + "；".join(undetermined))
            if seat.position in faults:
                message = "；".join(dict.fromkeys(faults[seat.position]))
                tx.update_position(run_id, seat.position, status="retest", message=message)
                out.append(PositionSummary(seat.position, serial, "retest", message=message))
                boundary(f"position {seat.position} re-test")
                continue
            record = self.freeze(run_id, procedure, outcome, station, position=seat.position,
                                 instrument_id=seat.instrument_id, tx=tx)
            boundary(f"position {seat.position} record frozen")
            document = self.write_document(record, run_id=run_id, position=seat.position, tx=tx)
            boundary(f"position {seat.position} document drafted")
            tx.update_position(run_id, seat.position, status="finished", conclusion=record.conclusion,
                               certificate_no=record.certificate_no, document_path=str(document),
                               record_json=json.dumps(record.to_dict(), ensure_ascii=False))
            out.append(PositionSummary(seat.position, serial, "finished", record.conclusion, record.certificate_no,
                                       document, record))
        counts = {k: sum(1 for p in out if (p.conclusion or "需复检") == k) for k in ("合格", "不合格", "需复检")}
        conclusion = " ".join(f"{k} {v}" for k, v in counts.items() if v)
        tx.update_run(run_id, status="finished", finished_at=utcnow(), conclusion=conclusion, message="")
        tx.add(AuditEntry(actor=self.actor, action="run.finished", run_id=run_id,
                          detail=f"{len(out)} 表位 (positions): {conclusion}"))
        return RunSummary(run_id, "finished", conclusion, outcome=outcome, positions=out)

    # -- freezing -------------------------------------------------------------------------------
    def freeze(self, run_id: str, procedure: Any, outcome: RunOutcome, station: Station, *,
               position: int | None = None, instrument_id: int | None = None, tx: Tx | None = None) -> VerificationRecord:
        """Turn a finished run into its immutable record (station snapshot included); on a bench,
        the record of the instrument at ``position`` (its own items, record and certificate numbers).
        Its time (``finished_at``, and the verification date) is when the last step was finished,
        from the store: a record frozen again after a crash is the same record. ``tx``: the
        transaction the document number is taken in (:meth:`finalize`)."""
        run = self.store.get_run(run_id)
        inst = self.store.get_instrument(instrument_id if instrument_id is not None else run.instrument_id)
        items = procedure.items(outcome.outcomes) if position is None else procedure.items(outcome.outcomes, position)
        passed = all(i.verdict.value in ("pass", "n/a") for i in items if i.legal)  # annex items never decide
        measured_at = self._measured_at(run_id)
        today = measured_at.date()
        terms = document_for(run.verification_type, passed)  # documents.toml: certificate, notice or inspection
        validity = self._validity(terms, inst, procedure.table["period"], today, run.verification_type)
        cert_no = self._number(station, terms.prefix(station.institution.numbering), terms.counter, today.year, tx)
        standards = self.store.usable_standards(station.standards(procedure.unused_roles()), today)
        setups = self.store.setups_of(standards)
        setup_no = {row.id: row.certificate_no for row in setups}
        env = procedure.environment(outcome.outcomes)
        parameters = json.loads(inst.params_json or "{}")
        specification, specs = describe(run.regulation, parameters)
        link = outcome.outcomes.get("link")
        snapshot: dict[str, Any] = {}
        if position is not None:
            snapshot = {"position": position, "positions": len(self.store.positions(run_id))}
            if run.retest_of:  # a follow-up: the record names the run it re-tests (bench/retest.py)
                snapshot["retest_of"] = self.store.get_run(run.retest_of).record_no
        return VerificationRecord(
            run_id=run.id, record_no=run.record_no if position is None else f"{run.record_no}-{position:02d}", certificate_no=cert_no, regulation_code=procedure.code,
            regulation_title=procedure.title, edition=run.edition, verification_type=procedure.verification_type_zh(),
            instrument=InstrumentInfo(name=instrument_name(run.regulation, inst.name), model=inst.model, serial=inst.serial, manufacturer=inst.manufacturer,
                                      accuracy_class=inst.accuracy_class, client=inst.client,
                                      client_address=inst.client_address, category=inst.category,
                                      measuring_range=inst.measuring_range, location=inst.location,
                                      specification=specification, specs=specs, parameters=parameters),
            standards=tuple(StandardUsed(name=s.name, model=s.model, serial=s.serial, certificate_no=s.certificate_no,
                                         valid_until=s.valid_until, accuracy=s.accuracy, measuring_range=s.measuring_range,
                                         setup=setup_no.get(s.setup_id, "") if s.setup_id is not None else "")
                            for s in standards),
            setups=tuple(StandardSetup(name=row.name, certificate_no=row.certificate_no, valid_until=row.valid_until,
                                       certificate_kind=row.certificate_kind) for row in setups),
            environment=Environment(place=station.place, temperature_c=env["temperature_c"], humidity_pct=env["humidity_pct"],
                                    conditions=procedure.conditions(outcome.outcomes, position)),
            items=items, verified_on=today, **{"valid_until": None, **validity}, document=terms.info(),
            institution=station.institution.institution(), people=station.institution.people(
                **{k: str(v) for k, v in station.section("people").items() if k in ("verifier", "checker", "approver")}),
            software_version=__version__, procedure_hash=run.procedure_hash,
            reading_count=len(self.store.readings(run.id)), finished_at=measured_at,
            station={"name": station.name, "devices": [{"name": d.name, "driver": d.driver, "roles": list(d.roles),
                                                        "standard": d.standard} for d in station.devices],
                     "charger": link.data if link else {}, "sim": station.sim_enabled,
                     "time_standard": station.time_standard, **snapshot, **self._run_notes(run_id)},
            flags=procedure.flags(outcome.outcomes),
            signed_meter_values=procedure.signed_meter_values(outcome.outcomes),
            adjustment_note=adjustment_text(run.params_json),
        )

    def _run_notes(self, run_id: str) -> dict[str, list[str]]:
        """The run's warnings (an unsecured OCPP link, a slow device…), each once, oldest first,
        from its audit trail — ``{"notes": [...]}`` for the record's station snapshot, printed on
        the original record; nothing when the run had none."""
        notes = list(dict.fromkeys(a.detail for a in self.store.audit_log(run_id) if a.action == "run.warning"))
        return {"notes": notes} if notes else {}

    def _measured_at(self, run_id: str) -> datetime:
        """When the run's last step was finished (local time), else now."""
        steps = self.store.steps(run_id)
        if not steps:
            return datetime.now().astimezone()
        at = max(s.finished_at for s in steps)
        return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone()

    def _number(self, station: Station, prefix: str, counter: str, year: int, tx: Tx | None = None) -> str:
        """The next document number of ``counter`` in this database, in the institution profile's
        format with the station's code (JD-AC01-2026-00001): unique per institution. Refused
        before the sequence moves when the station has no code. Inside ``tx`` the sequence moves
        with that transaction (a rollback gives the number back)."""
        profile = station.institution
        try:
            profile.number(prefix, station.code, year, 1)
        except ProfileError as e:
            raise StationError(f"{station.path}: {e}") from None
        value = tx.next_number(counter, year) if tx is not None else self.store.next_number(counter, year)
        return profile.number(prefix, station.code, year, value)

    def _validity(self, terms: DocumentTerms, inst: Any, period: dict[str, Any], today: date,
                  verification_type: str) -> dict[str, Any]:
        """What the document says of the instrument's validity, by the regulation table's [period]
        rule for it (procedures/regulations/validity.py) and its history in this store
        (bench/standing.py): a passing verification states 有效期至 from today, or 使用期限至 counted
        from the instrument's first passing verification (this one when it is the first on record);
        an in-service inspection states nothing of its own and records the validity it found; a
        notice states nothing."""
        history = [v for v in verifications(self.store) if v.instrument_id == inst.id and v.verified_on <= today]
        try:
            rule = rule_of(inst, period)
        except (LookupError, ValueError) as e:
            if terms.renews_validity:
                raise StationError(f"无法确定有效期 (cannot state the validity): {e}") from e
            if terms.kind != "inspection":
                return {}
            return {"as_found": AsFound(status=f"无法确定有效期 (cannot determine the validity): {e}")}
        st = standing(rule, history)
        if terms.kind == "inspection":
            status = certificate_in_force(self.certificates, st.last.certificate_no) if st.last else ""
            return {"validity_rule": rule.text, "as_found": as_found(st, today, document_status=status)}
        if not terms.renews_validity:
            return {}
        text = rule.text
        if rule.kind == SERVICE_LIFE:
            if st.first_passed is None and verification_type != "first":
                text += "；首次检定日期未见本机构记录，自本次检定日期起算 (no first verification on record here: counted from this one)"
            first = st.first_passed.verified_on if st.first_passed else today
            return {"service_life_until": rule.until(first), "validity_kind": rule.kind, "validity_rule": text}
        return {"valid_until": rule.until(today), "validity_kind": rule.kind, "validity_rule": text}

    def require_verifier(self) -> None:
        """In a store with real accounts (bench.accounts) a run is made by a logged-in 检定员: refused
        otherwise. A store without accounts (a fresh install, the demo's store) runs as before."""
        if self.account is not None:
            Accounts(self.store).require(self.account, "verifier")
        elif Accounts(self.store).real():
            raise AccountError("须以检定员身份登录才能检定 (log in as a 检定员 to run a verification: "
                               "JIANDING_USER / JIANDING_PASSWORD, or the prompt)")

    def write_document(self, record: VerificationRecord, *, run_id: str, position: int | None = None,
                       tx: Tx | None = None) -> Path:
        """Enter the certificate (pass) or notice (fail) as a draft awaiting check and approval
        (bench.certificates) and write its draft PDF, marked 草稿 未批准, under ``out_dir``; the 检定员
        is the logged-in account, else the station's [people] verifier, else whoever runs the
        workstation. ``tx``: the transaction that finishes the run (:meth:`finalize`)."""
        verifier = self.account.name if self.account is not None else record.people.verifier or self.actor
        _, path = self.certificates.draft(record, run_id=run_id, position=position, verifier=verifier, actor=self.actor,
                                          tx=tx)
        return path

    def approve_and_issue(self, certificate_no: str, checker: Account, approver: Account) -> Path:
        """Check, approve and issue a drafted certificate in one go as the logged-in accounts
        ``checker`` and ``approver`` (the demo's accounts, bench.accounts.demo_signers); the issued
        PDF. The approval chain's rules still hold (three different people, each in their role).
        Resumable: a certificate a crash left checked, approved or issued without its PDF in place
        is taken on from there."""
        status = self.certificates.get(certificate_no).status
        if status == "draft":
            self.certificates.check(certificate_no, checker, auto_create_key=True)
        if status in ("draft", "checked"):
            self.certificates.approve(certificate_no, approver, auto_create_key=True)
        return self.issue_linked(certificate_no, approver)[1]


def _event_boundary(event: Any) -> None:
    """The run's event boundaries for the crash tests (bench.faults): after each step is on disk,
    and after the last one (measured, the record not frozen yet)."""
    if isinstance(event, StepFinished):
        boundary(f"step {event.step_key}")
    elif isinstance(event, RunFinished) and event.status == "finished":
        boundary("measured")


def engine_settings(table: dict[str, Any]) -> dict[str, Any]:
    """What the engine takes from the station's ``[procedure]`` beside the regulation's numbers:
    ``max_condition_attempts`` (measurements taken again after a condition not met before the run
    is void)."""
    return {k: table[k] for k in ("max_condition_attempts",) if k in table}


# Where a simulated standard's constant C0 (imp/kWh) is set: [sim.<section>] key, per twin.
_SIM_STD_CONSTANT = (("reference", "constant_imp_per_kwh"), ("meter_bench", "std_constant"))


def plan_hints(station: Station) -> dict[str, Any]:
    """What the station file knows that a plan explains with: the energy standard's constant C0
    (``std_constant_imp_per_kwh`` of its device, or, with [sim] enabled, the simulated standard's:
    :data:`_SIM_STD_CONSTANT`), and ``standards``, role → {kind, resolution} of every reference
    standard whose driver states a resolution (a scale's interval in kg, a master meter's in L:
    :func:`standard_hints`)."""
    hints: dict[str, Any] = {}
    standards = standard_hints(station)
    if standards:
        hints["standards"] = standards
    try:
        dev = station.device_for("energy_standard")
    except StationError:
        pass
    else:
        sim = station.sim if station.sim_enabled else {}
        c0 = dev.config.get("std_constant_imp_per_kwh") or next(
            (sim[sec][key] for sec, key in _SIM_STD_CONSTANT if key in sim.get(sec, {})), None)
        if c0:
            hints["std_constant_imp_per_kwh"] = float(c0)
    return hints


def standard_hints(station: Station) -> dict[str, dict[str, Any]]:
    """Role → {"kind", "resolution"} of the station's reference standards (devices with a ledger
    serial) whose driver, built from its section without connecting, states a resolution; a
    section the driver refuses is left out (the run itself names it)."""
    out: dict[str, dict[str, Any]] = {}
    for spec in station.devices:
        if not spec.standard:
            continue
        try:
            device = build_device(spec)
        except StationError:
            continue
        resolution = getattr(device, "resolution", None)
        if resolution is None:
            continue
        for role in spec.roles:
            out[role] = {"kind": str(getattr(device, "kind", "")), "resolution": float(resolution)}
    return out
