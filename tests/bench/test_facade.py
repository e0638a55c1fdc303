"""The controller's facade for the GUI's views (bench/facade.py), headless: a JJG 577 bench run on
the gas-meter twin (Modbus TCP on loopback) with a meter 4 % fast at position 2 and no pulses at
position 4; the facade lists the run's positions, its drafts, and takes one through the approval
chain with the chain's refusals coming back as FacadeError in its own words; tasks need a reason
to be refused; the outbox reports the issued certificate pending."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from pathlib import Path

import pytest

from bench.accounts import demo_account
from bench.cli import DEMO_STANDARDS
from bench.controller import Controller, RunRequest
from bench.facade import FacadeError
from bench.operators import AutoOperator
from bench.station import example_station_path, load_station

pytestmark = pytest.mark.timeout(120)

GAS_FAIL = {"flow_bench": {"curves": {"2": {"0.00625": 4.0, "0.2": 2.2, "1.0": 1.9}}, "no_pulses": [4]}}


@pytest.fixture
def ctl(tmp_path: Path) -> Controller:
    c = Controller.open(tmp_path / "f.db", tmp_path / "out")
    today = date.today()
    c.store.add_standard(**DEMO_STANDARDS["JDSIM-BELL-0001"], calibrated_on=today - timedelta(days=10),
                         valid_until=today + timedelta(days=100))
    return c


def test_positions_certificates_and_the_approval_chain(ctl: Controller) -> None:
    station = load_station(example_station_path("gas"))
    station.raw["sim"]["speed"] = 3000
    run_id = ctl.prepare(RunRequest(station=station, regulation="jjg577", sim_overrides=GAS_FAIL))
    assert [r.run_id for r in ctl.run_list()] == [run_id]
    summary = asyncio.run(ctl.execute(run_id, AutoOperator({})))
    assert summary.status == "finished", summary.message

    seats = {p.position: p for p in ctl.run_positions(run_id)}
    assert sorted(seats) == [1, 2, 3, 4, 5, 6] and seats[1].serial == "SIMGM0001"
    assert seats[4].status == "retest" and "表位 4" in seats[4].message
    assert seats[2].conclusion == "不合格" and seats[1].conclusion == "合格"

    drafts = ctl.certificate_list("draft")
    assert len(drafts) == 5  # no document for the re-test position
    kinds = {c.serial: c.kind for c in drafts}
    assert kinds["SIMGM0002"] == "notice" and kinds["SIMGM0001"] == "certificate"
    number = next(c.number for c in drafts if c.serial == "SIMGM0001")
    assert ctl.certificate_pdf(number).startswith(b"%PDF")

    with pytest.raises(FacadeError, match="不能兼任核验员"):  # an account holding both roles, still refused
        ctl.check_certificate(number, demo_account(ctl.store, "张检定", ["verifier", "checker"]))  # the 检定员 (station [people] verifier)
    with pytest.raises(FacadeError, match="不能签发"):
        ctl.issue_certificate(number, demo_account(ctl.store, "王批准", "approver"))  # not approved yet
    ctl.check_certificate(number, demo_account(ctl.store, "李核验", ["checker", "approver"]))
    with pytest.raises(FacadeError, match="不能兼任批准人"):
        ctl.approve_certificate(number, demo_account(ctl.store, "李核验", "approver"))
    ctl.approve_certificate(number, demo_account(ctl.store, "王批准", "approver"))
    issued = ctl.issue_certificate(number, demo_account(ctl.store, "王批准", "approver"))
    assert issued.status == "issued" and issued.document is not None and issued.document.exists()
    assert [a for _, a, _, _ in issued.events] == ["checked", "approved", "issued"]
    status = ctl.sync_status()
    assert status.counts == {"pending": 1, "done": 0, "rejected": 0}
    assert status.items[0].key == f"result:{number}/v1:issued"


def test_task_decisions_need_a_reason_and_a_logged_in_verifier(ctl: Controller, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JIANDING_PLATFORM_URL", raising=False)
    monkeypatch.delenv("JIANDING_PLATFORM_TOKEN", raising=False)
    ctl.store.upsert_tasks([{"booking_id": "BK-1", "seq": 1, "status": "booked", "user_unit": "甲",
                             "instruments": [{"name": "膜式燃气表", "model": "G2.5", "serial": "A1"}]}])
    [task] = ctl.tasks()
    assert task.status == "booked" and task.instruments == ("膜式燃气表 G2.5 A1",)
    verifier = demo_account(ctl.store, "王受理", "verifier")
    with pytest.raises(FacadeError, match="须填写理由"):
        ctl.decide_task("BK-1", "refuse", "", verifier)
    with pytest.raises(FacadeError, match="须登录"):  # nobody logged in
        ctl.decide_task("BK-1", "accept", "", None)
    with pytest.raises(FacadeError, match="无检定员或管理员权限"):  # a 核验员 does not answer bookings
        ctl.decide_task("BK-1", "accept", "", demo_account(ctl.store, "李核验", "checker"))
    assert ctl.tasks()[0].status == "booked"
    done = ctl.decide_task("BK-1", "refuse", "超出授权范围", verifier)
    assert (done.status, done.reason, done.decided_by) == ("refused", "超出授权范围", "王受理")
    assert ctl.sync_status().items[0].kind == "decision"
    with pytest.raises(FacadeError, match="未配置管理平台"):
        ctl.pull_tasks({})  # no platform configured


def test_the_station_view_shows_a_standard_whose_setup_expired_as_not_usable(tmp_path: Path) -> None:
    c = Controller.open(tmp_path / "s.db", tmp_path / "out")
    today = date.today()
    c.store.add_setup(name="膜式燃气表检定装置", certificate_no="[2022]示社量标证字第006号",
                      certificate_kind="社会公用计量标准证书", valid_until=today - timedelta(days=1))
    c.store.add_standard(**DEMO_STANDARDS["JDSIM-BELL-0001"], calibrated_on=today - timedelta(days=10),
                         valid_until=today + timedelta(days=100), setup="[2022]示社量标证字第006号")
    (dev,) = c.station_devices(load_station(example_station_path("gas")))
    assert not dev.standard_ok and dev.standard_valid_until == today + timedelta(days=100)
    assert dev.standard_message.startswith("计量标准装置 膜式燃气表检定装置 的社会公用计量标准证书已过期")
