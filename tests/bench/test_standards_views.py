"""The standards page's controller methods (bench.standards_views): standards and 计量标准装置 listed
with their state (expired the day after 有效期至, due within the warning days), the next one due,
entries refused to anyone but a logged-in administrator in a store with accounts, and a renewal that
replaces the certificate in one audited, versioned change (the old certificate stays on record)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bench.accounts import Accounts
from bench.controller import Controller
from bench.facade import FacadeError
from bench.standards_views import expiry_state
from bench.store.models import RowVersion

DAY = date(2026, 12, 8)
SETUP_NO = "[2023]示量标证字第009号"


def _controller(tmp_path: Path) -> Controller:
    ctl = Controller.open(tmp_path / "s.db", tmp_path / "out")
    ctl.add_setup_entry(name="电动汽车交流充电桩检定装置", certificate_kind="计量标准考核证书", certificate_no=SETUP_NO,
                        issued_by="示例市市场监督管理局", valid_until=DAY + timedelta(days=400))
    ctl.add_standard_entry(name="标准电能表", model="PWS-1", serial="STD-1", certificate_no="CAL-1",
                           calibrated_on=DAY - timedelta(days=340), valid_until=DAY + timedelta(days=25), setup=SETUP_NO)
    ctl.add_standard_entry(name="温湿度计", model="TH-1", serial="TH-1", certificate_no="CAL-2",
                           calibrated_on=DAY - timedelta(days=400), valid_until=DAY - timedelta(days=1))
    return ctl


def test_expiry_state_follows_the_run_check() -> None:
    # in force through its last day (a run that day is accepted), expired the day after
    assert expiry_state(DAY, DAY, 30) == (0, "due")
    assert expiry_state(DAY, DAY + timedelta(days=1), 30) == (-1, "expired")
    assert expiry_state(DAY + timedelta(days=30), DAY, 30) == (30, "due")
    assert expiry_state(DAY + timedelta(days=31), DAY, 30) == (31, "valid")
    assert expiry_state(DAY + timedelta(days=31), DAY, 60) == (31, "due")  # the warning is configurable


def test_rows_states_and_next_due(tmp_path: Path) -> None:
    ctl = _controller(tmp_path)
    rows = {r.key: r for r in ctl.standard_rows(as_of=DAY)}
    assert (rows[SETUP_NO].kind, rows[SETUP_NO].state, rows[SETUP_NO].issued_by) == ("setup", "valid", "示例市市场监督管理局")
    assert (rows["STD-1"].state, rows["STD-1"].days_left, rows["STD-1"].setup) == ("due", 25, SETUP_NO)
    assert (rows["TH-1"].state, rows["TH-1"].days_left) == ("expired", -1)
    assert {r.key: r.state for r in ctl.standard_rows(as_of=DAY, warn_days=20)}["STD-1"] == "valid"  # 25 days > 20
    due = ctl.next_standard_due(as_of=DAY)
    assert due is not None and due.key == "TH-1"  # the expired one comes first


def test_renewal_replaces_the_certificate_audited_and_versioned(tmp_path: Path) -> None:
    ctl = _controller(tmp_path)
    with pytest.raises(FacadeError, match="与现有证书相同"):
        ctl.renew_standard_entry("TH-1", certificate_no="CAL-2", calibrated_on=DAY, valid_until=DAY + timedelta(days=365))
    with pytest.raises(FacadeError, match="应晚于校准日期"):
        ctl.renew_standard_entry("TH-1", certificate_no="CAL-3", calibrated_on=DAY, valid_until=DAY)
    row = ctl.renew_standard_entry("TH-1", certificate_no="CAL-3", calibrated_on=DAY, valid_until=DAY + timedelta(days=365))
    assert (row.certificate_no, row.calibrated_on, row.state) == ("CAL-3", DAY, "valid")
    assert ctl.store.usable_standards(["TH-1"], DAY)  # a run may use it again
    entry = [e for e in ctl.store.audit_log() if e.action == "standard.renew"][-1]
    assert "CAL-2" in entry.detail and "CAL-3" in entry.detail and entry.actor == ctl.actor
    with ctl.store.session() as s:  # the old certificate stays in the row's versions
        versions = [json.loads(v.content_json) for v in s.exec(select(RowVersion).where(
            RowVersion.table_name == "standard")).all() if v.content_json]
    assert {"CAL-2", "CAL-3"} <= {v["certificate_no"] for v in versions}
    assert all(not b for _n, b in ctl.store.verify_chains().values())
    # a 装置 renewed after its 复查 keeps its number; its standards follow it
    setup = ctl.renew_setup_entry(SETUP_NO, new_certificate_no=SETUP_NO, valid_until=DAY + timedelta(days=1500),
                                  issued_by="示例省市场监督管理局")
    assert (setup.valid_until, setup.issued_by) == (DAY + timedelta(days=1500), "示例省市场监督管理局")
    with pytest.raises(FacadeError, match="不晚于现有的"):
        ctl.renew_setup_entry(SETUP_NO, new_certificate_no="X", valid_until=DAY, issued_by="")


def test_only_an_administrator_enters_standards_in_a_store_with_accounts(tmp_path: Path) -> None:
    ctl = _controller(tmp_path)
    accounts = Accounts(ctl.store)
    admin = accounts.add("管理员", "administrator", "admin-secret", None)
    accounts.add("张三", "verifier", "pin-123456", admin)
    assert not ctl.may_edit_standards()  # nobody logged in
    with pytest.raises(FacadeError, match="须以管理员身份登录"):
        ctl.renew_standard_entry("TH-1", certificate_no="CAL-3", calibrated_on=DAY, valid_until=DAY + timedelta(days=9))
    ctl.act_as(accounts.authenticate("张三", "pin-123456"))
    with pytest.raises(FacadeError, match="管理员"):
        ctl.add_standard_entry(name="n", model="m", serial="S-9", certificate_no="C-9", calibrated_on=DAY,
                               valid_until=DAY + timedelta(days=9))
    ctl.act_as(accounts.authenticate("管理员", "admin-secret"))
    assert ctl.may_edit_standards()
    ctl.add_standard_entry(name="n", model="m", serial="S-9", certificate_no="C-9", calibrated_on=DAY,
                           valid_until=DAY + timedelta(days=9))
    assert [e.actor for e in ctl.store.audit_log() if e.action == "standard.add"][-1] == "管理员"
    with pytest.raises(FacadeError, match="已在台账中"):
        ctl.add_standard_entry(name="n", model="m", serial="S-9", certificate_no="C-9", calibrated_on=DAY,
                               valid_until=DAY + timedelta(days=9))
