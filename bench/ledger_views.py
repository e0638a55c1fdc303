"""What the GUI's ledger page (台账) asks of the controller: the ledger's instruments with their
status as of today (last verification, certificate, valid until) and the change of the fields the
bureaus' forms rely on — 民用, 备案 and 投用日期 — by a named person, audited like a ledger import.

A mixin of :class:`bench.controller.Controller`, like :class:`bench.campaign_views.CampaignViews`:
the page gets plain frozen dataclasses and reaches the store only through the controller; the
columns' meanings stay in bench/ledger_schema.toml and bench/ledger_excel.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from bench.categories import canonical_category
from bench.facade import FacadeError, acting
from bench.ledger_excel import ledger_status

if TYPE_CHECKING:
    from bench.accounts import Account
    from bench.store import Store

FILING_CHOICES = ("", "已备案", "未备案")
"""备案 as the ledger keeps it: not stated, filed, not filed (bench/ledger_schema.toml)."""


@dataclass(frozen=True)
class LedgerRow:
    """One instrument of the ledger as the page lists it, with its status as of a day."""

    id: int
    category: str
    serial: str
    name: str
    model: str
    client: str
    division_code: str
    household: bool | None
    filing_status: str
    commissioned_on: date | None
    last_verified: date | None
    certificate_no: str
    valid_until: date | None  # 有效期至, or 使用期限至 for an instrument with a service life
    service_life: bool


class LedgerViews:
    """The ledger page's controller methods (mixed into Controller, which owns ``store``)."""

    store: Store

    def ledger_rows(self, text: str = "", category: str = "", *, as_of: date | None = None) -> list[LedgerRow]:
        """The ledger's instruments (of ``category`` when given, aliases accepted; matching ``text``
        in the serial, name, model or 使用单位 when given), by category and serial, with their
        status as of ``as_of`` (today)."""
        status = ledger_status(self.store, as_of or date.today())
        wanted = canonical_category(category) if category else ""
        needle = text.strip().casefold()
        out: list[LedgerRow] = []
        for inst in self.store.instruments():
            if wanted and canonical_category(inst.category) != wanted:
                continue
            if needle and not any(needle in (v or "").casefold() for v in (inst.serial, inst.name, inst.model,
                                                                             inst.client)):
                continue
            st = status.get(inst.id or 0, {})
            until = st.get("valid_until") or st.get("service_life_until")
            out.append(LedgerRow(inst.id or 0, inst.category, inst.serial, inst.name, inst.model, inst.client,
                                 inst.division_code, inst.household, inst.filing_status, inst.commissioned_on,
                                 st.get("last_verified"), st.get("certificate_no") or "", until,
                                 "service_life_until" in st))
        return sorted(out, key=lambda r: (r.category, r.serial))

    def ledger_categories(self) -> list[str]:
        """The categories present on the ledger, sorted (the page's filter)."""
        return sorted({i.category for i in self.store.instruments()})

    def update_ledger_facts(self, instrument_id: int, by: Account | None, *, household: bool | None,
                            filing_status: str, commissioned_on: date | None) -> LedgerRow:
        """Set 民用, 备案 and 投用日期 of one instrument as the logged-in ``by`` (检定员 or
        administrator: bench.accounts.ACTION_ROLES; audited with before and after); the row as it is
        now. Refusals (nobody logged in, a role missing, a 备案 value the ledger does not know, a
        commissioning date in the future) as FacadeError."""
        person = acting(self.store, by, "ledger.edit").name
        if filing_status not in FILING_CHOICES:
            raise FacadeError(f"备案状态须为 已备案 或 未备案 (filing status must be 已备案 or 未备案): {filing_status!r}")
        if commissioned_on is not None and commissioned_on > date.today():
            raise FacadeError(f"投用日期 {commissioned_on} 晚于今天 (commissioning date is in the future)")
        try:
            self.store.get_instrument(instrument_id)
        except LookupError as e:
            raise FacadeError(str(e)) from e
        self.store.update_instrument(instrument_id, actor=person, source="gui:ledger", household=household,
                                     filing_status=filing_status, commissioned_on=commissioned_on)
        return next(r for r in self.ledger_rows() if r.id == instrument_id)
