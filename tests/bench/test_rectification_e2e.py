"""Rectification end to end: a failing demo post verified through the controller on its twins (real
Modbus TCP and a real WebSocket) — its 检定结果通知书 issued opens the item in the issue's own
transaction (nothing of either when that transaction fails), a revocation withdraws it, and a failed
in-service inspection opens one of its kind; the items and every status change reach the REAL
reference platform over HTTP through the outbox, idempotently and whatever order they arrive in."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from bench.accounts import demo_account
from bench.cli import demo_entries
from bench.controller import Controller, RunRequest
from bench.operators import AutoOperator
from bench.oversight import record_event
from bench.rectification import KINDS, all_items, get_item, rectify, verify
from bench.rectification_report import open_from_event
from bench.station import Station
from bench.store import Store
from bench.store.models import CertificateEvent, OutboxItem
from bench.sync_worker import make_outbox
from sync.client import PlatformClient
from sync.schemas import RectificationUpload, rectification_key
from tests.sync.kit import Platform, running_platform

pytestmark = pytest.mark.timeout(180)
FAILING_POST = {"ac_post": {"error_pct": 2.6, "clock_offset_s": 7.5}}
OWNER = "示例充电运营有限公司"  # the demo station's [instrument] client


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    with running_platform(f"sqlite:///{tmp_path / 'platform.db'}") as p:
        yield p


def _failed_run(ctl: Controller, station: Station, vtype: str = "first") -> str:
    """A failing AC post verified on the demo station's twins; the drafted document's number."""
    run_id = ctl.prepare(RunRequest(station=station, verification_type=vtype, sim_overrides=FAILING_POST))
    summary = asyncio.run(ctl.execute(run_id, AutoOperator(demo_entries(ctl))))
    assert summary.status == "finished" and summary.record is not None, summary.message
    assert not summary.record.passed
    return summary.record.certificate_no


def _push(store: Store, platform: Platform) -> None:
    with PlatformClient(platform.url, platform.token) as client:
        report = make_outbox(store, client).drain(force=True)
    assert report.error == "" and report.rejected == 0, report


def _held(platform: Platform, **params: str) -> list[dict[str, object]]:
    with platform.api() as api:
        r = api.get("/api/v1/rectifications", params=params)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_a_failed_notice_opens_its_item_when_issued_and_it_reaches_the_platform(
        store: Store, station: Station, tmp_path: Path, platform: Platform) -> None:
    ctl = Controller(store, tmp_path / "out")
    number = _failed_run(ctl, station)
    assert all_items(store) == []  # a draft is no finding yet: the owner has not been told
    ctl.approve_and_issue(number, demo_account(ctl.store, "李核验", "checker"), demo_account(ctl.store, "王批准", "approver"))
    [item] = all_items(store)
    o = item.opened
    assert (o.finding_kind, o.owner, o.serial, o.category) == ("failed_verification", OWNER, "SIM0001", "交流充电桩")
    assert o.finding.startswith(f"检定结果通知书 {number}：不合格项 ") and "工作误差" in o.finding
    assert o.finding_key == f"document:{number}" and o.actor == "王批准" and o.party == "示例市计量检定测试所"
    today = date.today()
    assert o.acted_on == today and item.deadline == KINDS["failed_verification"].deadline(today)
    keys = [r.key for r in store.outbox_items()]
    assert keys == [f"result:{number}/v1:issued", rectification_key(item.no, 1)]

    _push(store, platform)  # the notice and the item, through the outbox over HTTP
    assert [r["uid"] for r in platform.results()] == [f"{number}/v1"]
    [held] = _held(platform)
    assert (held["item_no"], held["status"], held["user_unit"], held["instrument_serial"]) == (
        item.no, "open", OWNER, "SIM0001")
    assert held["deadline"] == item.deadline.isoformat() and held["overdue"] is False

    rectify(store, item.no, unit=OWNER, by="周站长", evidence="已更换计量模块并申请复检")
    verify(store, item.no, party="示例区市场监管局", by="吴科长")
    _push(store, platform)
    [held] = _held(platform)
    assert held["status"] == "closed" and [c["action"] for c in held["changes"]] == ["opened", "rectified", "closed"]
    assert held["changes"][1]["party"] == OWNER and held["changes"][2]["actor"] == "吴科长"
    assert _held(platform, status="open") == [] and len(_held(platform, status="closed")) == 1
    assert {r.status for r in store.outbox_items()} == {"done"}


def test_the_item_is_written_with_the_issue_or_not_at_all(store: Store, station: Station, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import bench.rectification_documents as documents

    ctl = Controller(store, tmp_path / "out")
    number = _failed_run(ctl, station)

    def broken(*_args: object) -> list[object]:
        raise RuntimeError("disk full while queueing the item")

    monkeypatch.setattr(documents, "step_rows", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        ctl.approve_and_issue(number, demo_account(ctl.store, "李核验", "checker"), demo_account(ctl.store, "王批准", "approver"))
    with store.session() as s:
        issued = [e for e in s.exec(select(CertificateEvent)) if e.action == "issued"]
        outbox = list(s.exec(select(OutboxItem)))
    assert issued == [] and outbox == [] and all_items(store) == []
    assert store.verify_chains()["rectificationevent"] == (0, [])


def test_revoking_the_notice_withdraws_its_item(store: Store, station: Station, tmp_path: Path) -> None:
    ctl = Controller(store, tmp_path / "out")
    number = _failed_run(ctl, station)
    ctl.approve_and_issue(number, demo_account(ctl.store, "李核验", "checker"), demo_account(ctl.store, "王批准", "approver"))
    no = all_items(store)[0].no
    ctl.certificates.revoke(number, demo_account(ctl.certificates.store, "王批准", "approver"), "被检器具编号录入错误")
    item = get_item(store, no)
    assert item.status == "withdrawn" and "已注销" in item.steps[-1].note
    assert store.outbox_items()[-1].key == rectification_key(no, 2)


def test_a_failed_in_service_inspection_opens_its_item(store: Store, station: Station, tmp_path: Path) -> None:
    ctl = Controller(store, tmp_path / "out")
    number = _failed_run(ctl, station, vtype="in_use")
    assert number.startswith("JC")
    ctl.approve_and_issue(number, demo_account(ctl.store, "李核验", "checker"), demo_account(ctl.store, "王批准", "approver"))
    [item] = all_items(store)
    assert item.opened.finding_kind == "failed_inspection" and number in item.opened.finding
    assert item.opened.finding.startswith("使用中检查结果通知书")


def test_status_changes_upload_idempotently_in_any_order(store: Store, platform: Platform) -> None:
    ev = record_event(store, "violation", "加油站", 1, date(2026, 7, 3), client="岳阳石化／城南加油站",
                      division_code="430602", note="铅封破坏")
    no = open_from_event(store, ev.id or 0, by="赵执法", on=date(2026, 7, 3)).no
    rectify(store, no, unit="岳阳石化", by="孙站长", evidence="已整改", on=date(2026, 7, 10))
    verify(store, no, party="市场监管局", by="钱核查", on=date(2026, 7, 11))
    payloads = {int(r.key.rsplit(":", 1)[1]): (r.key, r.payload_json) for r in store.outbox_items()}
    post = {"Authorization": f"Bearer {platform.token}", "Content-Type": "application/json"}
    with httpx.Client(base_url=platform.url, timeout=30) as http:
        def send(seq: int) -> httpx.Response:
            key, body = payloads[seq]
            return http.post("/api/v1/rectifications", content=body.encode(), headers={**post, "Idempotency-Key": key})

        # the verification arrives first (an outbox on another workstation, a retry): the item is held closed
        first = send(3)
        assert first.status_code == 201 and first.json()["status"] == "closed"
        assert send(1).json()["status"] == "closed"  # an earlier step never moves the item back
        assert send(1).json()["duplicate"] is True  # the same step again: answered as held
        assert send(2).status_code == 201
        # the same step under another key (another workstation): held once
        again = http.post("/api/v1/rectifications", content=payloads[2][1].encode(),
                          headers={**post, "Idempotency-Key": "another-key"})
        assert again.status_code == 200 and again.json()["duplicate"] is True
        # a step number held as another action is a conflict
        clash = RectificationUpload.model_validate_json(payloads[3][1]).model_dump(mode="json")
        clash["change"] = {**clash["change"], "action": "rejected", "status": "open", "note": "x"}
        r = http.post("/api/v1/rectifications", json=clash, headers={**post, "Idempotency-Key": "clash"})
        assert r.status_code == 409 and r.json()["errors"][0]["field"] == "change.seq"
        # a step the contract refuses: a close without the verifying party
        bad = RectificationUpload.model_validate_json(payloads[3][1]).model_dump(mode="json")
        bad["change"]["party"] = ""
        r = http.post("/api/v1/rectifications", json=bad, headers={**post, "Idempotency-Key": "bad"})
        assert r.status_code == 422 and "party" in r.text
    [held] = _held(platform)
    assert held["status"] == "closed" and [c["seq"] for c in held["changes"]] == [1, 2, 3]
    # the workstation's own drain now finds every step held: duplicates, all done
    _push(store, platform)
    assert {r.status for r in store.outbox_items()} == {"done"}
    assert all("duplicate" in r.last_error for r in store.outbox_items())


def test_the_platform_lists_overdue_items_by_its_own_date(store: Store, platform: Platform) -> None:
    past = open_from_event(store, record_event(store, "violation", "水表", 1, date(2026, 7, 3),
                                               client="岳阳水务").id or 0, by="赵执法", on=date(2026, 7, 3))
    today = date.today()
    current = open_from_event(store, record_event(store, "violation", "水表", 1, today, client="岳阳水务").id or 0,
                              by="赵执法", on=today)
    _push(store, platform)
    assert past.deadline < today <= current.deadline
    assert [h["item_no"] for h in _held(platform, status="overdue")] == [past.no]
    assert {h["item_no"] for h in _held(platform, status="open")} == {past.no, current.no}
    assert [h["item_no"] for h in _held(platform, user_unit="岳阳水务", status="overdue")] == [past.no]
    with platform.api() as api:
        assert api.get("/api/v1/rectifications", params={"status": "lost"}).status_code == 422
    with PlatformClient(platform.url, platform.token) as client:
        states = client.get_rectifications(status="overdue")
    assert [s.item_no for s in states] == [past.no] and states[0].overdue
    assert states[0].received_at <= datetime.now(UTC)
