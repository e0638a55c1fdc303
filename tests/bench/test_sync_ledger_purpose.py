"""What the bureaus' tables count by reaches the REAL reference platform on loopback: the ledger upload
carries 民用 (household), 备案 (filing_status) and 投用日期 (commissioned_on); a result upload carries why
its run was made (purpose) — through the outbox, the HTTP client and the platform's own schema."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bench.accounts import demo_account
from bench.certificates import Certificates
from bench.store import Store
from bench.store.models import Run
from bench.sync_worker import enqueue_ledger, make_outbox
from hardware_sim.platform.models import LedgerRow
from reports.samples import sample_record
from sync.client import PlatformClient
from sync.schemas import LedgerUpload
from tests.sync.kit import Platform, running_platform

pytestmark = pytest.mark.timeout(120)
NO = "JD2026-00316"


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    with running_platform(f"sqlite:///{tmp_path / 'platform.db'}") as p:
        yield p


def _drain(store: Store, platform: Platform) -> None:
    report = make_outbox(store, PlatformClient(platform.url, platform.token)).drain()
    assert (report.rejected, store.outbox_counts()["pending"]) == (0, 0)


def test_ledger_upload_carries_household_filing_and_commissioning(tmp_path: Path, platform: Platform) -> None:
    store = Store(tmp_path / "ws.db")
    store.add_instrument(category="电能表", name="单相电能表", model="DDZY", serial="E1", manufacturer="威胜",
                         accuracy_class="2", household=True, filing_status="已备案", commissioned_on=date(2025, 3, 1))
    store.add_instrument(category="燃油加油机", name="加油机", model="CS46", serial="D1", manufacturer="正星",
                         accuracy_class="0.3", household=False, filing_status="未备案")
    store.add_instrument(category="水表", name="水表", model="LXS", serial="W1", manufacturer="宁水", accuracy_class="2")
    row = enqueue_ledger(store)
    LedgerUpload.model_validate_json(row.payload_json)  # the contract's own model accepts it
    _drain(store, platform)
    with Session(platform.server.platform.engine) as s:
        held = {r.serial: r for r in s.exec(select(LedgerRow)).all()}
    assert (held["E1"].household, held["E1"].filing_status, held["E1"].commissioned_on) == \
        (True, "已备案", date(2025, 3, 1))
    assert (held["D1"].household, held["D1"].filing_status, held["D1"].commissioned_on) == (False, "未备案", None)
    assert (held["W1"].household, held["W1"].filing_status) == (None, "")  # not said stays not said


def test_result_upload_carries_the_runs_purpose(tmp_path: Path, platform: Platform) -> None:
    store = Store(tmp_path / "ws.db")
    inst = store.add_instrument(category="水表", name="水表", model="LXS", serial="W9", manufacturer="宁水",
                                accuracy_class="2", household=True)
    rec = dataclasses.replace(sample_record(), certificate_no=NO)
    store.create_run(Run(id=rec.run_id, regulation="jjg162", edition="2019", verification_type="subsequent",
                         instrument_id=inst.id or 0, purpose="complaint"))
    certs = Certificates(store, tmp_path / "out", tmp_path / "keys" / "inst.pem")
    certs.init_key("示例市计量检定测试所")
    certs.draft(rec, run_id=rec.run_id, position=None, verifier="张伟", actor="张伟")
    certs.check(NO, demo_account(certs.store, "李娜", "checker"))
    certs.approve(NO, demo_account(certs.store, "王建国", "approver"))
    certs.issue(NO, demo_account(certs.store, "王建国", "approver"))
    certs.revoke(NO, demo_account(certs.store, "王建国", "approver"), "复核有误")
    _drain(store, platform)
    assert [(r["uid"], r["status"], r["purpose"]) for r in platform.results()] == [(f"{NO}/v1", "revoked", "complaint")]
