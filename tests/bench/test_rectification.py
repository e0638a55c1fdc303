"""Rectification items (bench/rectification.py, bench/rectification_report.py): deadlines counted by
hand, items opened from an overdue instrument and from a recorded oversight event (once per finding),
the status machine and its refusals (close before rectification, a rectification by another unit, a
verifier who is the owner or the reporter, closing twice), overdue by date, the counts, the evidence
file's fingerprint, each step's upload queued with it, the hash chain catching an edited row, and the
command line."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bench.cli import main
from bench.oversight import record_event
from bench.rectification import (
    CALENDAR,
    KINDS,
    NO_OWNER,
    Calendar,
    RectificationError,
    all_items,
    evidence_intact,
    get_item,
    item_no,
    rectify,
    verify,
    withdraw,
)
from bench.rectification_report import open_from_event, rectification_counts, scan, select_items
from bench.store import Store
from bench.store.models import Instrument, Run
from sync.schemas import RectificationUpload
from tests.bench.conftest import log_in, logged_out

AS_OF = date(2026, 6, 30)  # a Tuesday
OWNER = "岳阳石化"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "r.db")


def _dispenser(store: Store, serial: str, client: str = OWNER, division: str = "430602") -> Instrument:
    return store.add_instrument(category="燃油加油机", name="燃油加油机", model="JDSIM-DSP", serial=serial,
                                manufacturer="甲厂", accuracy_class="0.3", client=client, division_code=division,
                                location="城南加油站")


def _verified(store: Store, run_id: str, inst: Instrument, on: date, conclusion: str = "合格") -> None:
    store.create_run(Run(id=run_id, regulation="jjg443", edition="2023", verification_type="subsequent",
                         instrument_id=inst.id or 0))
    store.update_run(run_id, status="finished", conclusion=conclusion,
                     finished_at=datetime(on.year, on.month, on.day, 10, tzinfo=UTC),
                     record_json=json.dumps({"verified_on": on.isoformat()}))


def _violation(store: Store, on: date = date(2026, 7, 3), client: str = f"{OWNER}／城南加油站") -> int:
    ev = record_event(store, "violation", "加油站", 1, on, note="2 号机铅封被破坏后继续使用", division_code="430602",
                      client=client, actor="赵执法")
    return ev.id or 0


# -- deadlines ------------------------------------------------------------------------------------------------
def test_deadlines_counted_by_hand() -> None:
    fri = date(2026, 7, 3)
    # 30 days from Friday 3 July (the day itself not counted) is Sunday 2 August → Monday 3 August
    assert CALENDAR.add_days(fri, 30) == date(2026, 8, 3)
    assert Calendar(roll=False).add_days(fri, 30) == date(2026, 8, 2)
    # 15 working days: 6–10, 13–17, 20–24 July → Friday 24 July
    assert CALENDAR.add_working_days(fri, 15) == date(2026, 7, 24)
    # holidays Mon 6 – Wed 8 July push it three working days on; a working Saturday (调休) one back
    holidays = frozenset({date(2026, 7, 6), date(2026, 7, 7), date(2026, 7, 8)})
    assert Calendar(holidays).add_working_days(fri, 15) == date(2026, 7, 29)
    assert Calendar(holidays, frozenset({date(2026, 7, 11)})).add_working_days(fri, 15) == date(2026, 7, 28)
    # a calendar deadline on a holiday rolls past it (民法典 §203)
    assert Calendar(frozenset({date(2026, 8, 3)})).add_days(fri, 30) == date(2026, 8, 4)
    assert KINDS["failed_verification"].deadline(fri) == date(2026, 8, 3)
    assert KINDS["overdue"].deadline(AS_OF) == date(2026, 7, 21)


def test_every_kind_states_its_basis_and_confidence() -> None:
    for kind in KINDS.values():
        assert kind.days > 0 and kind.count in ("calendar", "working") and kind.match, kind.key
        assert any(tag in kind.basis for tag in ("[R]", "[R sec.]", "[M]", "[I]", "OPEN")), kind.key


def test_item_numbers_follow_the_finding() -> None:
    assert item_no("document:TZ2026-00001") == item_no("document:TZ2026-00001")
    assert item_no("document:TZ2026-00001") != item_no("document:TZ2026-00002")
    assert len(item_no("x")) == 11 and item_no("x").startswith("ZG-") and item_no("x")[3:].isupper()


# -- opening --------------------------------------------------------------------------------------------------
def test_overdue_instruments_open_items_once(store: Store) -> None:
    never = _dispenser(store, "D-NEVER")
    late = _dispenser(store, "D-LATE", client="城北油站")
    ok = _dispenser(store, "D-OK")
    _verified(store, "r-late", late, date(2025, 10, 1))  # JJG 443: 6 months → valid until 2026-03-31
    _verified(store, "r-ok", ok, date(2026, 5, 1))
    opened = scan(store, AS_OF, by="李监管", party="岳阳楼区市场监管局")
    assert sorted((i.opened.serial, i.opened.finding_kind, i.opened.owner) for i in opened) == [
        ("D-LATE", "overdue", "城北油站"), ("D-NEVER", "never_verified", OWNER)]
    by_serial = {i.opened.serial: i for i in opened}
    assert by_serial["D-LATE"].deadline == date(2026, 7, 21)  # 15 working days from Tuesday 30 June
    assert "有效期至 2026-03-31" in by_serial["D-LATE"].opened.finding
    assert by_serial["D-NEVER"].opened.instrument_id == never.id
    assert scan(store, AS_OF, by="李监管") == []  # the same findings: nothing new
    assert scan(store, date(2026, 7, 10), by="李监管") == []  # still the same lapses
    # only the kinds asked for
    assert scan(store, AS_OF, by="李监管", kinds=["rotation"]) == []


def test_a_recorded_event_opens_its_item_by_hand(store: Store) -> None:
    ev = _violation(store)
    item = open_from_event(store, ev, by="赵执法", party="岳阳楼区市场监管局", on=date(2026, 7, 3))
    o = item.opened
    assert (o.finding_kind, o.owner, o.location, o.category) == ("violation", OWNER, "城南加油站", "加油站")
    assert "铅封被破坏" in o.finding and item.deadline == date(2026, 7, 24)  # 15 working days
    with pytest.raises(RectificationError, match="已立整改项"):
        open_from_event(store, ev, by="赵执法")
    complaint = record_event(store, "complaint", "水表", 2, date(2026, 7, 3))
    with pytest.raises(RectificationError, match="不立整改项"):
        open_from_event(store, complaint.id or 0, by="赵执法")
    with pytest.raises(LookupError, match="no oversight event"):
        open_from_event(store, 999, by="赵执法")
    # an event naming no user unit needs the owner given
    bare = record_event(store, "violation", "水表", 1, date(2026, 7, 3))
    with pytest.raises(RectificationError, match="未写明使用单位"):
        open_from_event(store, bare.id or 0, by="赵执法")
    assert open_from_event(store, bare.id or 0, by="赵执法", owner="岳阳水务").opened.owner == "岳阳水务"
    # a campaign's date instead of the rule's days
    late = open_from_event(store, _violation(store), by="赵执法", on=date(2026, 9, 1), deadline=date(2026, 10, 15))
    assert late.deadline == date(2026, 10, 15) and "指定期限" in late.opened.deadline_rule


# -- the status machine -----------------------------------------------------------------------------------------
def test_status_machine_and_its_refusals(store: Store) -> None:
    no = open_from_event(store, _violation(store), by="赵执法", on=date(2026, 7, 3)).no
    with pytest.raises(RectificationError, match="尚未报告整改"):
        verify(store, no, party="岳阳楼区市场监管局", by="钱核查")  # no close without a rectification
    with pytest.raises(RectificationError, match="only the owner"):
        rectify(store, no, unit="城北油站", by="孙站长", evidence="已恢复铅封", on=date(2026, 7, 10))
    with pytest.raises(RectificationError, match="evidence"):
        rectify(store, no, unit=OWNER, by="孙站长", evidence="  ", on=date(2026, 7, 10))
    item = rectify(store, no, unit=" 岳阳石化 ", by="孙站长", evidence="2 号机已停用并申请检定", file="整改报告 YS-013",
                   on=date(2026, 7, 10))
    assert item.status == "rectified" and not item.rectified_late
    with pytest.raises(RectificationError, match="已报告整改"):
        rectify(store, no, unit=OWNER, by="孙站长", evidence="again", on=date(2026, 7, 11))
    with pytest.raises(RectificationError, match="不能核查自己"):
        verify(store, no, party="岳阳石化", by="钱核查")  # the owner never verifies itself
    with pytest.raises(RectificationError, match="不能兼任核查人"):
        verify(store, no, party="岳阳楼区市场监管局", by="孙站长")  # nor the person who reported
    with pytest.raises(RectificationError, match="reason"):
        verify(store, no, party="岳阳楼区市场监管局", by="钱核查", accept=False)
    with pytest.raises(RectificationError, match="早于上一步的日期"):
        verify(store, no, party="岳阳楼区市场监管局", by="钱核查", accept=False, note="铅封未恢复", on=date(2026, 7, 9))
    back = verify(store, no, party="岳阳楼区市场监管局", by="钱核查", accept=False, note="铅封未恢复",
                  on=date(2026, 7, 12))
    assert back.status == "open"
    rectify(store, no, unit=OWNER, by="孙站长", evidence="2 号机检定合格并重新施封", on=date(2026, 7, 20))
    closed = verify(store, no, party="岳阳楼区市场监管局", by="钱核查", note="现场核查属实", on=date(2026, 7, 21))
    assert closed.status == "closed"
    assert [s.action for s in closed.steps] == ["opened", "rectified", "rejected", "rectified", "closed"]
    with pytest.raises(RectificationError, match="已验证关闭"):
        verify(store, no, party="岳阳楼区市场监管局", by="钱核查")  # never closed twice
    with pytest.raises(RectificationError, match="已验证关闭"):
        withdraw(store, no, by="钱核查", reason="x")
    with pytest.raises(RectificationError, match="早于立项日期"):
        rectify(store, open_from_event(store, _violation(store), by="赵执法", on=date(2026, 7, 3)).no, unit=OWNER,
                by="孙站长", evidence="x", on=date(2026, 7, 1))
    assert get_item(store, no[3:7].lower()).no == no  # a unique prefix, any case, without ZG-


def test_an_instrument_without_user_unit_still_gets_its_item(store: Store) -> None:
    # a ledger row without 使用单位 never blocks a scan (nor a notice's issue): the first unit to report owns it
    _dispenser(store, "D-ORPHAN", client="")
    [item] = scan(store, AS_OF, by="李监管")
    assert item.opened.owner == NO_OWNER == item.owner
    rectify(store, item.no, unit="城东油站", by="孙站长", evidence="已申请检定", on=date(2026, 7, 1))
    assert get_item(store, item.no).owner == "城东油站"
    with pytest.raises(RectificationError, match="不能核查自己"):
        verify(store, item.no, party="城东油站", by="钱核查", on=date(2026, 7, 2))
    verify(store, item.no, party="市场监管局", by="钱核查", accept=False, note="未见检定证书", on=date(2026, 7, 2))
    with pytest.raises(RectificationError, match="only the owner 城东油站"):
        rectify(store, item.no, unit="城西油站", by="某人", evidence="x", on=date(2026, 7, 3))

def test_overdue_by_date_and_rectified_late(store: Store) -> None:
    item = open_from_event(store, _violation(store), by="赵执法", on=date(2026, 7, 3))
    assert item.deadline == date(2026, 7, 24)
    assert item.status_on(date(2026, 7, 2)) is None  # not opened yet
    assert item.status_on(date(2026, 7, 24)) == "open"  # the deadline day is still in time
    assert item.status_on(date(2026, 7, 25)) == "overdue"
    assert [i.no for i, _ in select_items(store, date(2026, 7, 25), overdue_only=True)] == [item.no]
    assert select_items(store, date(2026, 7, 24), overdue_only=True) == []
    done = rectify(store, item.no, unit=OWNER, by="孙站长", evidence="已整改", on=date(2026, 7, 27))
    assert done.rectified_late and done.status_on(date(2026, 7, 30)) == "rectified"
    assert done.status_on(date(2026, 7, 26)) == "overdue"  # as it stood before the report


def test_counts_for_other_reports(store: Store) -> None:
    a = open_from_event(store, _violation(store), by="赵执法", on=date(2026, 7, 3)).no  # due 07-24
    b = open_from_event(store, _violation(store), by="赵执法", on=date(2026, 7, 3)).no
    c = open_from_event(store, _violation(store, client="城北油站"), by="赵执法", on=date(2026, 7, 3)).no
    d = open_from_event(store, _violation(store), by="赵执法", on=date(2026, 7, 3)).no
    rectify(store, a, unit=OWNER, by="孙站长", evidence="已整改", on=date(2026, 7, 10))
    verify(store, a, party="市场监管局", by="钱核查", on=date(2026, 7, 11))
    rectify(store, b, unit=OWNER, by="孙站长", evidence="已整改", on=date(2026, 7, 28))  # late
    withdraw(store, d, by="钱核查", reason="误报", on=date(2026, 7, 5))
    counts = rectification_counts(store, date(2026, 7, 31), start=date(2026, 7, 1))
    assert counts.opened == 4 and counts.by_kind == {"计量违法行为": 4}
    assert counts.by_status == {"open": 0, "overdue": 1, "rectified": 1, "closed": 1, "withdrawn": 1}
    assert (counts.rectified_in_time, counts.rectified_late) == (1, 1)
    assert counts.closed_rate == pytest.approx(1 / 3)
    assert "立项整改 4 项" in counts.lines()[0] and "33.3%" in counts.lines()[2]
    # as it stood on 20 July: c and b open in time, a closed, d withdrawn
    assert rectification_counts(store, date(2026, 7, 20)).by_status == {
        "open": 2, "overdue": 0, "rectified": 0, "closed": 1, "withdrawn": 1}
    assert rectification_counts(store, date(2026, 7, 31), owner="城北油站").opened == 1
    assert c in {i.no for i, _ in select_items(store, date(2026, 7, 31), owner="城北油站")}


def test_evidence_file_is_fingerprinted(store: Store, tmp_path: Path) -> None:
    report = tmp_path / "整改报告.pdf"
    report.write_bytes(b"%PDF-1.4 report")
    no = open_from_event(store, _violation(store), by="赵执法", on=date(2026, 7, 3)).no
    step = rectify(store, no, unit=OWNER, by="孙站长", evidence="见整改报告", file=str(report),
                   on=date(2026, 7, 10)).steps[-1]
    assert step.evidence_file == str(report.resolve()) and len(step.evidence_sha256) == 64
    assert evidence_intact(step) is True
    report.write_bytes(b"%PDF-1.4 report, edited later")
    assert evidence_intact(step) is False


# -- storage: the chain and the uploads ------------------------------------------------------------------------
def test_each_step_queues_its_upload_in_the_same_transaction(store: Store) -> None:
    no = open_from_event(store, _violation(store), by="赵执法", on=date(2026, 7, 3)).no
    rectify(store, no, unit=OWNER, by="孙站长", evidence="已整改", on=date(2026, 7, 10))
    verify(store, no, party="市场监管局", by="钱核查", on=date(2026, 7, 11))
    rows = store.outbox_items()
    assert [r.key for r in rows] == [f"rectification:{no}:{n}" for n in (1, 2, 3)]
    ups = [RectificationUpload.model_validate_json(r.payload_json) for r in rows]
    assert [(u.change.action, u.change.status) for u in ups] == [("opened", "open"), ("rectified", "rectified"),
                                                                 ("closed", "closed")]
    assert all(u.user_unit == OWNER and u.deadline == date(2026, 7, 24) for u in ups)
    # a refused step writes nothing, nor one the platform's contract would refuse (one line saying why)
    with pytest.raises(RectificationError):
        verify(store, no, party="市场监管局", by="钱核查")
    other = open_from_event(store, _violation(store), by="赵执法", on=date(2026, 7, 3)).no
    with pytest.raises(RectificationError, match=r"无法上传.*change\.evidence") as refused:
        rectify(store, other, unit=OWNER, by="孙站长", evidence="长" * 5000, on=date(2026, 7, 10))
    assert "\n" not in str(refused.value)
    assert len(store.outbox_items()) == 4 and len(get_item(store, no).steps) == 3
    assert len(get_item(store, other).steps) == 1


def test_an_edited_row_breaks_the_chain(store: Store, tmp_path: Path) -> None:
    no = open_from_event(store, _violation(store), by="赵执法", on=date(2026, 7, 3)).no
    rectify(store, no, unit=OWNER, by="孙站长", evidence="已整改", on=date(2026, 7, 10))
    con = sqlite3.connect(tmp_path / "r.db")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("update rectificationevent set deadline = '2026-12-31'")
    for (name,) in con.execute("select name from sqlite_master where type='trigger'").fetchall():
        con.execute(f"drop trigger {name}")
    row_id = con.execute("select id from rectificationevent where action = 'opened'").fetchone()[0]
    con.execute("update rectificationevent set deadline = '2026-12-31' where id = ?", (row_id,))
    con.commit()
    breaks = [b for b in store.verify_chains()["rectificationevent"][1]]
    assert [(b.table, b.row_id, b.kind) for b in breaks] == [("rectificationevent", row_id, "edited")]
    assert main(["--db", str(tmp_path / "r.db"), "audit", "verify"]) == 2


def test_one_finding_one_item_even_behind_the_writer(store: Store, tmp_path: Path) -> None:
    no = open_from_event(store, _violation(store), by="赵执法", on=date(2026, 7, 3)).no
    con = sqlite3.connect(tmp_path / "r.db")
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        con.execute("insert into rectificationevent (item_no, action, finding_kind, finding_key, finding, serial, "
                    "category, owner, division_code, location, deadline_rule, acted_on, actor, party, evidence, "
                    "evidence_file, evidence_sha256, note, created_at, seq, prev_hash, row_hash) values (?, 'opened', "
                    "'violation', 'x', 'x', '', '', 'x', '', '', '', '2026-07-03', 'x', '', '', '', '', '', "
                    "'2026-07-03 08:00:00', 99, '', '')", (no,))
    con.close()


# -- the command line ------------------------------------------------------------------------------------------
def test_cli_open_rectify_close_list(store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    db = str(tmp_path / "r.db")
    ev = _violation(store)
    rc = "oversight rectification".split()
    log_in(monkeypatch, db, "赵执法", "approver")
    assert main(["--db", db, *rc, "open", "--event", str(ev), "--date", "2026-07-03"]) == 0
    no = capsys.readouterr().out.split()[2]
    assert no.startswith("ZG-")
    log_in(monkeypatch, db, "钱核查", "checker")
    assert main(["--db", db, *rc, "close", no, "--party", "市场监管局"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("错误 (error): ") and "尚未报告整改" in err and err.count("\n") == 1
    log_in(monkeypatch, db, "孙站长", ["verifier", "checker"])  # records the owner's report
    assert main(["--db", db, *rc, "rectify", no, "--unit", "城北油站", "--evidence", "x"]) == 2
    assert "only the owner" in capsys.readouterr().err
    assert main(["--db", db, *rc, "rectify", no, "--unit", OWNER, "--evidence", "已停用",
                 "--date", "2026-07-10"]) == 0
    assert main(["--db", db, *rc, "close", no, "--party", "市场监管局"]) == 2  # who recorded it never closes it
    assert "不能兼任核查人" in capsys.readouterr().err
    log_in(monkeypatch, db, "钱核查", "checker")
    assert main(["--db", db, *rc, "list", "--status", "rectified", "--as-of", "2026-07-31"]) == 0
    out = capsys.readouterr().out
    assert no in out and "已整改待核查" in out and "共 1 项" in out
    assert main(["--db", db, *rc, "close", no, "--party", "市场监管局", "--date", "2026-07-11"]) == 0
    assert "验证关闭" in capsys.readouterr().out
    assert main(["--db", db, *rc, "close", no, "--party", "市场监管局"]) == 2
    assert "已验证关闭" in capsys.readouterr().err
    assert main(["--db", db, *rc, "show", no]) == 0
    shown = capsys.readouterr().out
    assert "报告整改 (rectified) 孙站长（岳阳石化）：已停用" in shown and "验证关闭 (closed) 钱核查（市场监管局）" in shown
    pdf, xlsx = tmp_path / "zg.pdf", tmp_path / "zg.xlsx"
    assert main(["--db", db, *rc, "list", "--division", "4306", "--as-of", "2026-07-31", "--pdf", str(pdf),
                 "--xlsx", str(xlsx)]) == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    ws = load_workbook(xlsx).worksheets[0]
    assert [c.value for c in ws[1]][:9] == ["整改编号", "问题类别", "问题描述", "器具", "使用单位", "行政区划", "立项日期",
                                           "整改期限", "状态"]
    assert ws.cell(3, 1).value == no and ws.cell(3, 9).value == "已验证关闭"
    assert main(["--db", db, *rc, "list", "--division", "4201", "--as-of", "2026-07-31"]) == 0
    assert "共 0 项" in capsys.readouterr().out


def test_cli_scan_and_overdue_filter(store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    db = str(tmp_path / "r.db")
    _dispenser(store, "D-NEVER")
    rc = "oversight rectification".split()
    log_in(monkeypatch, db, "李监管", "checker")
    assert main(["--db", db, *rc, "scan", "--as-of", "2026-06-30"]) == 0
    assert "新立整改项 1 项" in capsys.readouterr().out
    assert main(["--db", db, *rc, "list", "--overdue", "--as-of", "2026-07-21"]) == 0
    assert "共 0 项" in capsys.readouterr().out  # 15 working days from 30 June: in time through 21 July
    assert main(["--db", db, *rc, "list", "--overdue", "--as-of", "2026-07-22"]) == 0
    out = capsys.readouterr().out
    assert "逾期未整改" in out and "D-NEVER" in out and "逾期 1 天" in out
    assert main(["--db", db, *rc, "scan", "--as-of", "2099-01-01"]) == 2
    assert "未来日期" in capsys.readouterr().err


def test_cli_steps_are_the_logged_in_accounts_with_their_roles(store: Store, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Each step as the logged-in account, never a typed name: nobody logged in, a role the step does
    not admit (bench.accounts.ACTION_ROLES) and ``--by NAME`` are refused in one line; the item's
    steps name the accounts."""
    db = str(tmp_path / "r.db")
    ev = _violation(store)
    rc = "oversight rectification".split()
    logged_out(monkeypatch)
    assert main(["--db", db, *rc, "open", "--event", str(ev)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "JIANDING_USER" in err
    log_in(monkeypatch, db, "张检定", "verifier")  # 立项 is a reviewing role's (or the administrator's)
    assert main(["--db", db, *rc, "open", "--event", str(ev)]) == 2
    assert "张检定 无核验员或批准人或管理员权限" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(["--db", db, *rc, "open", "--event", str(ev), "--by", "王批准"])
    assert exit_.value.code == 2 and "--by 已取消" in capsys.readouterr().err
    assert not all_items(store)
    log_in(monkeypatch, db, "王批准", "approver")
    assert main(["--db", db, *rc, "open", "--event", str(ev)]) == 0
    no = capsys.readouterr().out.split()[2]
    log_in(monkeypatch, db, "张检定", "verifier")
    assert main(["--db", db, *rc, "rectify", no, "--unit", OWNER, "--evidence", "已整改"]) == 0
    assert main(["--db", db, *rc, "close", no, "--party", "市场监管局"]) == 2  # 核查 needs 核验员 or 批准人
    assert "无核验员或批准人权限" in capsys.readouterr().err
    assert main(["--db", db, *rc, "withdraw", no, "--reason", "误立"]) == 2  # 撤销 needs 批准人 or administrator
    assert "无批准人或管理员权限" in capsys.readouterr().err
    log_in(monkeypatch, db, "王批准", "approver")
    assert main(["--db", db, *rc, "verify", no, "--party", "市场监管局", "--reject", "--note", "未见证明"]) == 0
    item = get_item(store, no)
    assert [(e.action, e.actor) for e in item.steps] == [("opened", "王批准"), ("rectified", "张检定"),
                                                         ("rejected", "王批准")]
