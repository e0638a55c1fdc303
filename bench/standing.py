"""An instrument's verification standing, from the verifications in this store: its last verification
(检定; in-service inspections aside — they renew nothing), the rule its regulation table gives it
(a verification period or a service life, procedures/regulations/validity.py) and the date that rule
runs to. One computation for every place that states it:

- the controller — a certificate's 使用期限至 counted from the instrument's first verification, and
  the validity an in-service inspection finds (:func:`as_found`, printed on its result);
- the overdue report (bench/oversight/overdue.py: 超期未检, 到期未轮换, 使用中检查不合格) and every "latest" of the
  bureaus' forms (bench/oversight/): by the time the run finished (:func:`latest_first_key`);
- the ledger export (bench/ledger_excel.py: 最近检定, 有效期至 / 使用期限至).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from bench.categories import CATEGORIES, canonical_category
from bench.certificates import Certificates
from bench.store import Store
from bench.store.models import Instrument
from procedures.records import AsFound
from procedures.regulations.documents import is_inspection
from procedures.regulations.tables import load_table
from procedures.regulations.validity import ValidityRule, instrument_facts, validity_rule

__all__ = ["FOUND_SOURCE", "Standing", "Verification", "as_found", "certificate_in_force", "facts_of", "finished_utc",
           "histories", "latest_first_key", "rule_of", "standing", "verifications"]

FOUND_SOURCE = "本机构检定记录 (this institution's verification records)"
"""Where :func:`as_found` looks: the finished verifications in this store."""


@dataclass(frozen=True)
class Verification:
    """One finished verification or in-service inspection of one instrument: a single-instrument
    run, or one position of a bench run; a position marked for re-testing (需复检) is neither."""

    instrument_id: int
    run_id: str
    position: int | None
    regulation: str
    verification_type: str  # first | subsequent | in_use
    verified_on: date
    conclusion: str  # 合格 | 不合格
    record: dict[str, Any] | None
    certificate_no: str = ""
    finished_at: datetime | None = None  # when its run finished (UTC): what "latest" means
    purpose: str = ""  # why its run was made (bench/purposes.toml: first, periodic, sampling, complaint …)

    @property
    def passed(self) -> bool:
        """True for 合格."""
        return self.conclusion == "合格"

    @property
    def inspection(self) -> bool:
        """True for an in-service inspection (使用中检查, procedures/regulations/data/documents.toml):
        it finds the validity, it does not renew it."""
        try:
            return is_inspection(self.verification_type)
        except ValueError:  # a type the documents table does not know is a verification
            return False


def _verified_on(record: dict[str, Any] | None, fallback: date) -> date:
    if record and record.get("verified_on"):
        return date.fromisoformat(str(record["verified_on"]))
    return fallback


def finished_utc(at: datetime | None) -> datetime:
    """A run's finish time as naive UTC, for ordering: the store keeps naive UTC (SQLite drops the
    offset), a datetime still carrying its offset is converted; None sorts first."""
    if at is None:
        return datetime.min
    return at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at


def latest_first_key(v: Verification) -> tuple[datetime, date, str, int]:
    """The order of an instrument's history: the time its run **finished** (a pass at 17:45:22 and a
    fail at 17:45:51 of the same day: the fail is the latest), then the record's date, run id and
    position for runs without a finish time. The one order every "latest verification" uses."""
    return (finished_utc(v.finished_at), v.verified_on, v.run_id, v.position or 0)


def verifications(store: Store) -> list[Verification]:
    """Every finished verification and in-service inspection in the store, oldest first: by the time
    its run finished (:func:`latest_first_key`), so the last of a history is the latest."""
    runs = {r.id: r for r in store.runs(status="finished")}
    out: list[Verification] = []
    bench_runs: set[str] = set()
    for seat in store.all_positions():
        bench_runs.add(seat.run_id)
        run = runs.get(seat.run_id)
        if run is None or seat.status != "finished" or seat.conclusion not in ("合格", "不合格"):
            continue
        record = json.loads(seat.record_json) if seat.record_json else None
        at = run.finished_at or run.started_at
        out.append(Verification(seat.instrument_id, run.id, seat.position, run.regulation, run.verification_type,
                                _verified_on(record, at.date()), seat.conclusion, record, seat.certificate_no, at,
                                run.purpose))
    for run in runs.values():
        if run.id in bench_runs or run.conclusion not in ("合格", "不合格"):
            continue
        record = json.loads(run.record_json) if run.record_json else None
        at = run.finished_at or run.started_at
        out.append(Verification(run.instrument_id, run.id, None, run.regulation, run.verification_type,
                                _verified_on(record, at.date()), run.conclusion, record, run.certificate_no, at,
                                run.purpose))
    out.sort(key=latest_first_key)
    return out


def histories(store: Store, as_of: date) -> dict[int, list[Verification]]:
    """Each instrument's verifications and inspections up to ``as_of``, oldest first, by ledger id."""
    out: dict[int, list[Verification]] = defaultdict(list)
    for v in verifications(store):
        if v.verified_on <= as_of:
            out[v.instrument_id].append(v)
    return out


def facts_of(inst: Instrument) -> dict[str, Any]:
    """The ledger facts a [period] rule may test: technical parameters, use, category and class."""
    return instrument_facts(inst.accuracy_class, json.loads(inst.params_json or "{}"), use=inst.use,
                            category=canonical_category(inst.category))


def rule_of(inst: Instrument, period: Mapping[str, Any] | None = None) -> ValidityRule:
    """The validity rule of a ledger instrument: its category's regulation table's [period] (or
    ``period`` given — a run's table with the station's overrides) for its ledger facts. LookupError
    for a category this workstation does not verify; ValueError when the table cannot decide."""
    if period is None:
        cat = CATEGORIES.get(canonical_category(inst.category))
        if cat is None:
            raise LookupError(f"未知类别 (unknown category) {inst.category}")
        period = load_table(cat.table)["period"]
    return validity_rule(period, facts_of(inst))


@dataclass(frozen=True)
class Standing:
    """Where an instrument stands: its rule, its last verification, the earliest passing one (a
    service life runs from it) and the in-service inspections made since the last verification."""

    rule: ValidityRule
    last: Verification | None
    first_passed: Verification | None
    inspections: tuple[Verification, ...] = ()

    @property
    def basis(self) -> date | None:
        """The day the validity of the last verification runs from (None when it failed or there is
        none): that verification for a period, the earliest passing one for a service life."""
        if self.last is None or not self.last.passed:
            return None
        return self.rule.basis(self.last.verified_on, self.first_passed.verified_on if self.first_passed else None)

    @property
    def until(self) -> date | None:
        """有效期至 (period) or 使用期限至 (service life) of the last passing verification."""
        basis = self.basis
        return self.rule.until(basis) if basis else None

    @property
    def failed_inspection(self) -> Verification | None:
        """The latest inspection since the last verification, when it found the instrument 不合格."""
        return self.inspections[-1] if self.inspections and not self.inspections[-1].passed else None


def standing(rule: ValidityRule, history: Sequence[Verification]) -> Standing:
    """The standing of an instrument from its ``history`` (its verifications and inspections up to
    the day in question, oldest first). Inspections are set aside: they never move the validity."""
    checks = [v for v in history if not v.inspection]
    last = checks[-1] if checks else None
    first = next((v for v in checks if v.passed), None)
    after = next(i for i, v in enumerate(history) if v is last) + 1 if last is not None else 0
    return Standing(rule, last, first, tuple(v for v in history[after:] if v.inspection))


def certificate_in_force(certificates: Certificates, number: str) -> str:
    """"" when some version of certificate ``number`` is issued and in force in ``certificates``
    (or the store holds no such certificate — a verification entered without one); else why it is
    not — never issued, or revoked: what an inspection finds instead of 有效."""
    if not number:
        return ""
    try:
        states = {v.status for v in certificates.versions(number)}
    except LookupError:
        return ""
    if "issued" in states:
        return ""
    if "revoked" in states:
        return f"证书 {number} 已注销 (certificate revoked)"
    return f"证书 {number} 尚未签发 (certificate not issued)"


def as_found(st: Standing, as_of: date, *, document_status: str = "") -> AsFound:
    """What an in-service inspection on ``as_of`` finds of the instrument's verification: the last
    verification's certificate (number, issuer, date), the validity or service life it gives and its
    status on the day — 有效, 已过有效期, 已过使用期限, 检定不合格, 未查到; ``document_status`` (the
    certificate's approval state when not issued, or revoked) overrides a 有效."""
    last = st.last
    if last is None:
        return AsFound(status="未查到检定记录 (no verification on record)", source=FOUND_SOURCE)
    issuer = str(((last.record or {}).get("institution") or {}).get("name", ""))
    base = {"certificate_no": last.certificate_no, "issuer": issuer, "verified_on": last.verified_on,
            "source": FOUND_SOURCE}
    if not last.passed:
        return AsFound(**base, status="最近一次检定不合格 (the last verification failed)")
    until = st.until
    dates = {"service_life_until": until} if st.rule.service_life else {"valid_until": until}
    if until is None:
        status = "使用期限无法确定 (service life cannot be determined)"
    elif until < as_of:
        status = ("已过使用期限 (service life ended)" if st.rule.service_life
                  else "已过有效期 (validity expired)")
    else:
        status = "有效 (valid)"
    if document_status and status.startswith("有效"):
        status = document_status
    return AsFound(**base, **dates, status=status)
