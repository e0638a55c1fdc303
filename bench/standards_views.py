"""What the GUI's standards page (标准器与装置) and status bar ask of the controller: the reference
standards and 计量标准装置 on record with how long each certificate still runs, the one due next,
and the entries an authorised person makes — a standard or a 装置 added, a standard renewed with a
new calibration certificate, a 装置 renewed with a new (or re-examined) certificate, a standard
made a main instrument of a 装置.

Who may: a store with accounts (bench.accounts) lets only a logged-in **管理员 (administrator)**
enter or renew standards — the equipment manager of the institution keeps the standards' records
(JJF 1069 §4.4 asks for an equipment record kept by someone named; none of 检定员 / 核验员 / 批准人
is that person, and a 检定员 must not extend the standard they are about to run with). A store
without accounts (a fresh install, the demo's store) lets the workstation's actor do it, as it
lets them run. Every entry is audited under the person's name.

Expiry, by the same rule a run meets (bench.store.repo ``_refuse_expired``): a certificate is in
force through its 有效期至 day and expired from the next day. "Due" means in force with at most
:data:`WARN_DAYS` days left (configurable: :attr:`StandardsViews.standards_warn_days`, the page's
提前提醒天数 setting).

A mixin of :class:`bench.controller.Controller`; the page receives plain frozen dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from bench.accounts import Account, AccountError, Accounts
from bench.facade import FacadeError
from bench.store import StandardNotUsable

if TYPE_CHECKING:
    from bench.store import Store

WARN_DAYS = 30
"""Days before 有效期至 from which a standard or 装置 shows as due (amber), by default."""

SETUP_KINDS = ("计量标准考核证书", "社会公用计量标准证书")
"""The certificates that authorise a 计量标准装置 (as ``jianding standards setup-add --kind``)."""

EDIT_ROLE = "administrator"
"""The role that enters and renews standards in a store with accounts (see the module docstring)."""


@dataclass(frozen=True)
class StandardRow:
    """One reference standard (``kind`` "standard", keyed by serial) or 计量标准装置 (``kind`` "setup",
    keyed by certificate number) as the standards page lists it, with its state on ``as_of``:
    ``state`` valid | due (≤ warn days left) | expired, ``days_left`` (negative once expired)."""

    kind: str
    key: str
    name: str
    model: str
    serial: str
    certificate_kind: str
    certificate_no: str
    issued_by: str
    calibrated_on: date | None
    valid_until: date
    setup: str  # a standard: the certificate number of its 装置 ("" none); a 装置: ""
    accuracy: str
    measuring_range: str
    days_left: int
    state: str


def expiry_state(valid_until: date, as_of: date, warn_days: int) -> tuple[int, str]:
    """(days left, state) of a certificate valid through ``valid_until``, seen on ``as_of``:
    expired after that day (as a run is refused), due with ``warn_days`` or fewer days left."""
    left = (valid_until - as_of).days
    if left < 0:
        return left, "expired"
    return left, "due" if left <= warn_days else "valid"


class StandardsViews:
    """The standards page's controller methods (mixed into Controller, which owns ``store``,
    ``actor`` and ``account``)."""

    store: Store
    actor: str
    account: Account | None
    standards_warn_days: int = WARN_DAYS

    def standard_rows(self, as_of: date | None = None, warn_days: int | None = None) -> list[StandardRow]:
        """Every 计量标准装置, then every reference standard, with its state on ``as_of`` (today)."""
        today = as_of or date.today()
        warn = self.standards_warn_days if warn_days is None else warn_days
        setups = self.store.setups()
        setup_no = {s.id: s.certificate_no for s in setups}
        out: list[StandardRow] = []
        for s in setups:
            left, state = expiry_state(s.valid_until, today, warn)
            out.append(StandardRow("setup", s.certificate_no, s.name, "", "", s.certificate_kind, s.certificate_no,
                                   s.issued_by, None, s.valid_until, "", "", "", left, state))
        for r in self.store.standards():
            left, state = expiry_state(r.valid_until, today, warn)
            out.append(StandardRow("standard", r.serial, r.name, r.model, r.serial, "", r.certificate_no, "",
                                   r.calibrated_on, r.valid_until, setup_no.get(r.setup_id, "") if r.setup_id else "",
                                   r.accuracy, r.measuring_range, left, state))
        return out

    def next_standard_due(self, as_of: date | None = None, warn_days: int | None = None) -> StandardRow | None:
        """The standard or 装置 whose certificate ends first (an expired one first of all); None when
        none is on record. What the status bar shows."""
        rows = self.standard_rows(as_of, warn_days)
        return min(rows, key=lambda r: (r.valid_until, r.kind, r.key)) if rows else None

    def may_edit_standards(self) -> bool:
        """True when the person at the workstation may enter or renew standards (see the module)."""
        try:
            self._standards_editor()
        except FacadeError:
            return False
        return True

    def add_standard_entry(self, *, name: str, model: str, serial: str, certificate_no: str, calibrated_on: date,
                           valid_until: date, accuracy: str = "", measuring_range: str = "",
                           setup: str = "") -> StandardRow:
        """Enter a reference standard with its calibration certificate (and its 装置, by certificate
        number, when given) as the logged-in administrator."""
        actor = self._standards_editor()
        serial, certificate_no = serial.strip(), certificate_no.strip()
        _need(name=name, model=model, serial=serial, certificate_no=certificate_no)
        _dates(calibrated_on, valid_until)
        if self.store.standard(serial) is not None:
            raise FacadeError(f"标准器 {serial} 已在台账中，请用“更新证书” (standard {serial} is on record already: renew it)")
        try:
            self.store.add_standard(name=name.strip(), model=model.strip(), serial=serial, certificate_no=certificate_no,
                                    calibrated_on=calibrated_on, valid_until=valid_until, accuracy=accuracy.strip(),
                                    measuring_range=measuring_range.strip(), setup=setup.strip() or None, actor=actor)
        except StandardNotUsable as e:
            raise FacadeError(str(e)) from e
        return self._row("standard", serial)

    def add_setup_entry(self, *, name: str, certificate_kind: str, certificate_no: str, issued_by: str,
                        valid_until: date) -> StandardRow:
        """Enter a 计量标准装置 with the certificate that authorises it, as the logged-in administrator."""
        actor = self._standards_editor()
        certificate_no = certificate_no.strip()
        _need(name=name, certificate_no=certificate_no)
        if certificate_kind not in SETUP_KINDS:
            raise FacadeError(f"证书类别应为 {' 或 '.join(SETUP_KINDS)} (unknown certificate kind {certificate_kind!r})")
        if self.store.setup(certificate_no) is not None:
            raise FacadeError(f"计量标准装置证书 {certificate_no} 已登记 (a setup with certificate {certificate_no} is on record)")
        self.store.add_setup(name=name.strip(), certificate_kind=certificate_kind, certificate_no=certificate_no,
                             issued_by=issued_by.strip(), valid_until=valid_until, actor=actor)
        return self._row("setup", certificate_no)

    def renew_standard_entry(self, serial: str, *, certificate_no: str, calibrated_on: date,
                             valid_until: date) -> StandardRow:
        """A new calibration certificate for the standard ``serial`` (number, calibration date, due
        date), as the logged-in administrator; refused when it is the certificate on record or ends
        no later than it (a renewal extends)."""
        actor = self._standards_editor()
        certificate_no = certificate_no.strip()
        _need(certificate_no=certificate_no)
        _dates(calibrated_on, valid_until)
        row = self.store.standard(serial)
        if row is None:
            raise FacadeError(f"标准器 {serial} 不在标准器台账中 (reference standard {serial} is not on the ledger)")
        if certificate_no == row.certificate_no:
            raise FacadeError(f"证书号 {certificate_no} 与现有证书相同，请填写新证书 (that is the certificate on record; "
                              "enter the new one)")
        if valid_until <= row.valid_until:
            raise FacadeError(f"新证书有效期至 {valid_until} 不晚于现有的 {row.valid_until} (the new certificate must run "
                              f"past the old one's {row.valid_until})")
        self.store.renew_standard(serial, certificate_no=certificate_no, calibrated_on=calibrated_on,
                                  valid_until=valid_until, actor=actor)
        return self._row("standard", serial)

    def renew_setup_entry(self, certificate_no: str, *, new_certificate_no: str, valid_until: date,
                          issued_by: str) -> StandardRow:
        """A new (or re-examined) certificate for the 装置 ``certificate_no``: number (may stay the
        same after a 复查), issuer and validity, as the logged-in administrator; it must run past the old."""
        actor = self._standards_editor()
        new_certificate_no = new_certificate_no.strip()
        _need(certificate_no=new_certificate_no)
        row = self.store.setup(certificate_no)
        if row is None:
            raise FacadeError(f"计量标准装置 {certificate_no} 未登记 (no standard setup with certificate {certificate_no})")
        if new_certificate_no != certificate_no and self.store.setup(new_certificate_no) is not None:
            raise FacadeError(f"计量标准装置证书 {new_certificate_no} 已登记 (certificate {new_certificate_no} is on record)")
        if valid_until <= row.valid_until:
            raise FacadeError(f"新证书有效期至 {valid_until} 不晚于现有的 {row.valid_until} (the new certificate must run "
                              f"past the old one's {row.valid_until})")
        self.store.renew_setup(certificate_no, new_certificate_no=new_certificate_no, valid_until=valid_until,
                               issued_by=issued_by.strip(), actor=actor)
        return self._row("setup", new_certificate_no)

    def assign_standard_setup(self, serial: str, setup_certificate_no: str) -> StandardRow:
        """Make the standard ``serial`` a main instrument of the 装置 ``setup_certificate_no``."""
        actor = self._standards_editor()
        try:
            self.store.assign_setup(serial, setup_certificate_no, actor=actor)
        except StandardNotUsable as e:
            raise FacadeError(str(e)) from e
        return self._row("standard", serial)

    def _row(self, kind: str, key: str) -> StandardRow:
        return next(r for r in self.standard_rows() if r.kind == kind and r.key == key)

    def _standards_editor(self) -> str:
        """The name entries are made under; refused (FacadeError) unless the logged-in account is an
        administrator, in a store with accounts."""
        accounts = Accounts(self.store)
        if self.account is None:
            if accounts.real():
                raise FacadeError("须以管理员身份登录才能登记或更新标准器 (log in as an administrator to enter or "
                                  "renew standards)")
            return self.actor
        try:
            return accounts.require(self.account, EDIT_ROLE).name
        except AccountError as e:
            raise FacadeError(f"拒绝 (refused): {e}；登记或更新标准器须为管理员 (entering or renewing standards "
                              "needs the administrator role)") from e


def _need(**fields: str) -> None:
    """Refuse an entry with an empty required field, naming it."""
    names = {"name": "名称 (name)", "model": "型号 (model)", "serial": "出厂编号 (serial)",
             "certificate_no": "证书编号 (certificate number)"}
    empty = [names[k] for k, v in fields.items() if not v.strip()]
    if empty:
        raise FacadeError("请填写 (please fill in): " + "、".join(empty))


def _dates(calibrated_on: date, valid_until: date) -> None:
    """A calibration certificate ends after it was issued."""
    if valid_until <= calibrated_on:
        raise FacadeError(f"有效期至 {valid_until} 应晚于校准日期 {calibrated_on} (the due date must follow the "
                          "calibration date)")
