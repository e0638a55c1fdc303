"""The 在用强检计量器具台账 of a campaign (乌审旗 2024 附件1): one row per instrument in service on the
report date (bench/oversight/service.py), its ledger fields and what this workstation knows of its
verification (bench/ledger_excel.py ``ledger_status``: last verification, certificate, 有效期至 or
使用期限至), in the form's columns (data, bench/oversight/forms/)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from bench.ledger_excel import ledger_status
from bench.oversight.form import Form, default_form, fill, require_consistent
from bench.oversight.rules import in_scope
from bench.oversight.service import ServiceLedger
from bench.store import Store
from bench.store.models import Instrument


@dataclass(frozen=True)
class LedgerFormTable:
    """The 台账 on a date: the form, one row per instrument in service, the header fields."""

    as_of: date
    form: Form
    rows: tuple[dict[str, Any], ...]
    header: dict[str, str]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def ledger_metrics(n: int, inst: Instrument, status: dict[str, Any]) -> dict[str, Any]:
    """What a 台账 row can show of one instrument: its ledger fields (民用 as 是/否, dates as
    YYYY-MM-DD), its number in the list and its verification status (``valid_until`` holds the
    使用期限至 of an instrument with a service life)."""
    out: dict[str, Any] = {k: _text(v) for k, v in inst.model_dump().items()}
    out.update(index=n, last_verified=_text(status.get("last_verified")),
               certificate_no=_text(status.get("certificate_no")),
               valid_until=_text(status.get("valid_until") or status.get("service_life_until")))
    return out


def ledger_form(store: Store, as_of: date, *, division: str | None = None, client: str | None = None,
                header: dict[str, str] | None = None, form: Form | None = None) -> LedgerFormTable:
    """Fill the 台账 form (``form``, else ``[forms] ledger``) on ``as_of``: the instruments in service
    that day (in ``division`` and of ``client`` when given), by user unit, category and serial."""
    form = default_form("ledger", form)
    ledger = store.instruments()
    service = ServiceLedger.of(ledger)
    status = ledger_status(store, as_of)
    chosen = sorted((i for i in ledger if in_scope(i, division, client) and service.in_service(i, as_of)),
                    key=lambda i: (i.client, i.category, i.serial))
    rows = tuple(fill(form, ledger_metrics(n, inst, status.get(inst.id or 0, {})), ())
                 for n, inst in enumerate(chosen, start=1))
    require_consistent(form, rows)
    head = dict.fromkeys(form.header, "")
    head.update({k: v for k, v in (header or {}).items() if k in head})
    return LedgerFormTable(as_of, form, rows, head)
