"""应检未检 / 超期未检: each ledger instrument against its latest finished verification (by the time
its run finished, bench/standing.py) and the due date its regulation table's [period] rule gives — the
same reading as the certificate's 有效期至 / 使用期限至; meters with a service life against it (到期轮换);
in-service inspections renew nothing (使用中检查不合格 when one found the instrument non-conforming).
An instrument not yet in service (投用日期 after the day) or replaced at its place by a newer household
meter (bench/oversight/service.py) is listed as such, not as a violation."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from bench.oversight.rules import RULES, in_scope
from bench.oversight.service import ServiceLedger
from bench.standing import histories, rule_of, standing
from bench.store import Store
from bench.store.models import Instrument

NEVER = "应检未检"
OVERDUE = "超期未检"
ROTATE = "到期未轮换"
FAILED = "检定不合格"
INSPECTION_FAILED = "使用中检查不合格"
SOON = "即将到期"
VALID = "有效"
NO_RULE = "无周期规则"
NOT_YET = "未投用"
REPLACED = "已更换"
STATUS_EN: dict[str, str] = {
    NEVER: "never verified", OVERDUE: "overdue", ROTATE: "service life ended, not replaced",
    FAILED: "failed, not re-verified", INSPECTION_FAILED: "failed an in-service inspection, not re-verified",
    SOON: "due soon", VALID: "valid", NO_RULE: "no period rule", NOT_YET: "not yet in service",
    REPLACED: "replaced at its place",
}
"""Every status, Chinese → English, in the order the reports list them (worst first)."""

IN_ORDER = (VALID, SOON)
"""The statuses of an instrument whose verification is in order on the day (受检)."""


@dataclass(frozen=True)
class OverdueRow:
    """One ledger instrument in the overdue report."""

    instrument: Instrument
    status: str
    last_verified: date | None  # the last verification (检定); an in-service inspection is none
    last_conclusion: str
    basis: date | None  # the verification the due date counts from (the first one for 到期轮换)
    due: date | None
    days_left: int | None
    rule: str
    last_inspected: date | None = None  # the last in-service inspection (使用中检查), which renews nothing
    inspection_conclusion: str = ""
    service_life: bool = False  # the due date ends a service life (使用期限), not a verification period

    @property
    def due_kind(self) -> str:
        """使用期限 or 有效期 (what the due date ends), "" without a due date."""
        return "" if self.due is None else "使用期限" if self.service_life else "有效期"


@dataclass(frozen=True)
class OverdueReport:
    """The 应检未检 / 超期未检 report as of a date."""

    as_of: date
    soon_days: int
    rows: tuple[OverdueRow, ...]
    division: str | None = None
    client: str | None = None

    def counts(self) -> dict[str, int]:
        """Instruments per status, in :data:`STATUS_EN` order (statuses with none left out)."""
        c = Counter(r.status for r in self.rows)
        return {s: c[s] for s in STATUS_EN if c[s]}


def overdue(store: Store, as_of: date, *, soon_days: int | None = None, division: str | None = None,
            client: str | None = None) -> OverdueReport:
    """Each ledger instrument (in ``division`` and of ``client`` when given) against its latest
    finished verification up to ``as_of`` and the validity rule of its regulation table
    (bench/standing.py, the same reading as the certificate's): 应检未检 (never verified), 检定不合格
    (the last verification failed), 使用中检查不合格 (an in-service inspection since the last
    verification found it non-conforming), 超期未检 (past its due date), 到期未轮换 (a meter with a
    service life past it), 即将到期 (due within ``soon_days``), 有效; 未投用 (its 投用日期 is after
    ``as_of``) and 已更换 (replaced at its place, bench/oversight/service.py) whatever its history.
    An in-service inspection that passed changes nothing: it renews no validity. Worst first, then
    by due date and serial."""
    soon = int(RULES["overdue"]["soon_days"] if soon_days is None else soon_days)
    by_inst = histories(store, as_of)
    ledger = store.instruments()
    service = ServiceLedger.of(ledger)
    rows: list[OverdueRow] = []
    for inst in ledger:
        if not in_scope(inst, division, client):
            continue
        history = by_inst.get(inst.id or 0, [])
        checked = next((v for v in reversed(history) if v.inspection), None)
        seen = {"last_inspected": checked.verified_on if checked else None,
                "inspection_conclusion": checked.conclusion if checked else ""}
        try:
            rule = rule_of(inst)
        except (LookupError, ValueError) as e:
            rows.append(OverdueRow(inst, NO_RULE, None, "", None, None, None, str(e), **seen))
            continue
        st = standing(rule, history)
        last = st.last
        base = dict(instrument=inst, last_verified=last.verified_on if last else None,
                    last_conclusion=last.conclusion if last else "", rule=rule.text,
                    service_life=rule.service_life, **seen)
        due = st.until
        left = (due - as_of).days if due else None
        if inst.commissioned_on is not None and inst.commissioned_on > as_of:
            rows.append(OverdueRow(**base, status=NOT_YET, basis=st.basis, due=due, days_left=left))
        elif service.replaced(inst, as_of):
            rows.append(OverdueRow(**base, status=REPLACED, basis=st.basis, due=due, days_left=left))
        elif st.failed_inspection is not None:
            rows.append(OverdueRow(**base, status=INSPECTION_FAILED, basis=st.basis, due=due, days_left=left))
        elif last is None:
            rows.append(OverdueRow(**base, status=NEVER, basis=None, due=None, days_left=None))
        elif not last.passed or due is None or left is None:
            rows.append(OverdueRow(**base, status=FAILED, basis=last.verified_on, due=None, days_left=None))
        else:
            status = (ROTATE if rule.service_life else OVERDUE) if left < 0 else SOON if left <= soon else VALID
            rows.append(OverdueRow(**base, status=status, basis=st.basis, due=due, days_left=left))
    order = list(STATUS_EN)
    rows.sort(key=lambda r: (order.index(r.status), r.due or date.min, r.instrument.serial))
    return OverdueReport(as_of, soon, tuple(rows), division, client)
