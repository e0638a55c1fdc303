"""The 民用“三表”计量专项监督检查统计表: one row per meter kind of the form (电能表, 水表, 燃气表), its columns
filled from this workstation's runs and ledger where our own work knows the number, the rest from the
recorded oversight events (bench/oversight/form.py; the form is data, bench/oversight/forms/).

Only household meters count (the ledger's 民用 = 是); those whose 民用 is not said are left out and
counted beside the table, never silently. The store's counts, per kind, for the period
``start`` … ``end`` (runs by the date of their record, the latest of a meter by the time its run
finished):

- ``household_in_use``: household meters in service at ``end`` (bench/oversight/service.py);
- ``sampled_uninstalled`` / ``sampled_in_use``: meters with a run of purpose 监督抽查 (``sampling``,
  bench/purposes.toml) in the period while not yet installed / installed on the run's day;
  ``…_failed``: of those, the ones whose latest such run was 不合格;
- ``complaint_verified`` (``…_failed``): meters with a run of purpose 投诉举报 (``complaint``) in the
  period (a verification or an in-service inspection of a complained-of meter) and those whose latest
  such run was 不合格.

A meter counts once per column however many runs it had. Beside the table (``extra``, per kind):
verifications in the period and those failed, first verifications (首次检定) and those failed, runs by
purpose, household meters past their service life (到期未轮换) at ``end``, meters whose 民用 is not said,
household meters in service at ``end`` without a passing first verification here on or before their
投用日期 (for the bureau to look into: possibly 未经检定就安装使用, or verified elsewhere).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bench.categories import canonical_category
from bench.oversight.events import event_matches
from bench.oversight.form import Form, default_form, fill, require_consistent, total_row
from bench.oversight.overdue import ROTATE, overdue
from bench.oversight.rules import in_scope
from bench.oversight.service import ServiceLedger
from bench.standing import Verification, verifications
from bench.store import Store
from bench.store.models import Instrument


@dataclass(frozen=True)
class ThreeMetersTable:
    """The 民用“三表” table for a period: the form, one row per meter kind (column key → value), the
    header fields and, per kind, what the store adds beside the form's columns (``extra``)."""

    start: date
    end: date
    form: Form
    rows: tuple[dict[str, Any], ...]
    header: dict[str, str]
    extra: dict[str, dict[str, int]] = field(default_factory=dict)
    purposes: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def columns(self) -> tuple[Any, ...]:
        """The form's columns."""
        return self.form.columns

    @property
    def totals(self) -> dict[str, Any] | None:
        """The form's 合计 row, None when the form prints none."""
        return total_row(self.form, self.rows) if self.form.total else None


def _latest(looks: Sequence[Verification], insts: dict[int, Instrument],
            which: Callable[[Verification, Instrument], bool]) -> dict[int, Verification]:
    """Each meter's latest look (``looks`` are oldest first) of those ``which`` accepts."""
    out: dict[int, Verification] = {}
    for v in looks:
        if which(v, insts[v.instrument_id]):
            out[v.instrument_id] = v
    return out


def household_metrics(kind: str, household: dict[int, Instrument], looks: Sequence[Verification], end: date,
                      service: ServiceLedger) -> dict[str, Any]:
    """The store's counts of one row (see the module docstring): ``household`` the kind's household
    meters by id, ``looks`` their verifications and inspections in the period, oldest first."""
    un = _latest(looks, household, lambda v, i: v.purpose == "sampling" and not service.installed(i, v.verified_on))
    used = _latest(looks, household, lambda v, i: v.purpose == "sampling" and service.installed(i, v.verified_on))
    complaint = _latest(looks, household, lambda v, _: v.purpose == "complaint")
    return {
        "kind": kind,
        "household_in_use": sum(1 for i in household.values() if service.in_service(i, end)),
        "sampled_uninstalled": len(un), "sampled_uninstalled_failed": sum(1 for v in un.values() if not v.passed),
        "sampled_in_use": len(used), "sampled_in_use_failed": sum(1 for v in used.values() if not v.passed),
        "complaint_verified": len(complaint),
        "complaint_verified_failed": sum(1 for v in complaint.values() if not v.passed),
    }


def three_meters(store: Store, start: date, end: date, *, division: str | None = None, client: str | None = None,
                 header: dict[str, str] | None = None, form: Form | None = None) -> ThreeMetersTable:
    """Fill the 民用“三表” form (``form``, else ``[forms] three_meters``) for ``start`` … ``end``: each
    row kind's store counts (:func:`household_metrics`) and the events of the period recorded for
    its kind, :func:`bench.oversight.form.fill`; refused (:class:`InconsistentCounts`) when a count
    is impossible."""
    form = default_form("three_meters", form)
    ledger = store.instruments()
    service = ServiceLedger.of(ledger)
    insts = {i.id or 0: i for i in ledger if in_scope(i, division, client)}
    verifications_up_to_end = [v for v in verifications(store) if v.verified_on <= end and v.instrument_id in insts]
    done = [v for v in verifications_up_to_end if start <= v.verified_on]
    events = store.oversight_events(start, end)
    due = overdue(store, end, division=division, client=client)
    rows: list[dict[str, Any]] = []
    extra: dict[str, dict[str, int]] = {}
    purposes: dict[str, dict[str, int]] = {}
    for kind in form.row_kinds:
        cats = {canonical_category(c) for c in kind.categories}
        mine = {k: i for k, i in insts.items() if canonical_category(i.category) in cats}
        household = {k: i for k, i in mine.items() if i.household}
        looks = [v for v in done if v.instrument_id in household]
        evs = [e for e in events if event_matches(e, cats | set(kind.categories) | {kind.label}, division, client)]
        rows.append(fill(form, household_metrics(kind.label, household, looks, end, service), evs))
        checks = [v for v in looks if not v.inspection]
        firsts = [v for v in checks if v.verification_type == "first"]
        verified_before = {v.instrument_id for v in verifications_up_to_end if v.instrument_id in household
                           and v.verification_type == "first" and v.passed and not v.inspection
                           and household[v.instrument_id].commissioned_on is not None
                           and v.verified_on <= household[v.instrument_id].commissioned_on}
        extra[kind.label] = {
            "verified": len(checks), "failed": sum(1 for v in checks if not v.passed),
            "first": len(firsts), "first_failed": sum(1 for v in firsts if not v.passed),
            "due_rotation": sum(1 for r in due.rows if r.status == ROTATE and (r.instrument.id or 0) in household),
            "unclassified": sum(1 for i in mine.values() if i.household is None),
            "installed_unverified": sum(1 for k, i in household.items()
                                        if service.in_service(i, end) and k not in verified_before),
        }
        purposes[kind.label] = dict(sorted(Counter(v.purpose or "" for v in looks).items()))
    require_consistent(form, rows)
    head = dict.fromkeys(form.header, "")
    head.update({k: v for k, v in (header or {}).items() if k in head})
    return ThreeMetersTable(start, end, form, tuple(rows), head, extra, purposes)
