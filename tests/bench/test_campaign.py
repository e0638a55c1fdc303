"""The campaign calendar (bench/campaign.py): the shipped campaigns read from their notices, deadlines
worked out by hand (progress reports on the 14th and 28th, a late milestone, ``--as-of`` in the
past), recording done and withdrawing it as chained oversight events, and ``jianding oversight
campaign list|show|done``."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bench.campaign import (
    DONE,
    DONE_EVENT,
    DONE_LATE,
    DUE,
    LATE,
    CampaignError,
    Milestone,
    calendar,
    campaigns,
    find_campaign,
    load_campaign,
    mark_done,
    resolve,
)
from bench.cli import main
from bench.store import Store
from tests.bench.conftest import log_in, logged_out

WUSHEN = "wushen-2024-sanbiao-fuel"
YUEYANG = "yueyang-2024-sanbiao"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "c.db")


def test_shipped_campaigns_as_the_notices_set_them() -> None:
    keys = {c.key: c for c in campaigns()}
    assert set(keys) == {WUSHEN, YUEYANG, "yueyang-2023-qiangjian"}
    w = keys[WUSHEN]
    assert (w.bureau, w.document_no, w.issued_on) == ("乌审旗市场监督管理局", "乌市监发〔2024〕21号", date(2024, 6, 17))
    assert w.categories == ("电能表", "水表", "膜式燃气表", "燃油加油机")
    assert [(p.name, p.start, p.end) for p in w.phases] == [
        ("自查自纠阶段", date(2024, 6, 7), date(2024, 7, 1)), ("集中整治阶段", date(2024, 7, 1), date(2024, 9, 1)),
        ("整改落实阶段", date(2024, 9, 1), date(2024, 10, 15))]
    assert w.milestone("self_inspection").due == date(2024, 7, 1)
    assert [w.form(f).name for f in w.milestone("self_inspection").forms] == ["自查情况", "在用强检计量器具台账"]
    assert w.milestone("summary").due == date(2024, 10, 20)
    assert [w.form(f).attachment for f in w.milestone("summary").forms] == ["", "附件2", "附件3"]
    # the summary's sections in the notice's words and order (L68)
    titles = ["基本情况", "工作成效", "存在问题", "督促整改落实情况", "计量违法行为查处情况", "工作建议"]
    assert [s.title for s in w.milestone("summary").sections] == titles
    y = keys[YUEYANG]
    assert (y.start, y.end, y.milestone("summary").due) == (date(2024, 5, 28), date(2024, 10, 31), date(2024, 10, 15))
    assert [s.title for s in y.milestone("summary").sections] == titles
    assert y.categories == ("电能表", "水表", "膜式燃气表")


def test_progress_reports_on_the_14th_and_28th() -> None:
    progress = find_campaign(WUSHEN).milestone("progress")
    # from the notice's day (17 June) to the summary's deadline (20 October): 28 June is the first,
    # 14 October the last (28 October is past the deadline)
    assert progress.occurrences() == (
        date(2024, 6, 28), date(2024, 7, 14), date(2024, 7, 28), date(2024, 8, 14), date(2024, 8, 28),
        date(2024, 9, 14), date(2024, 9, 28), date(2024, 10, 14))
    assert progress.occurrence_key(date(2024, 7, 14)) == "progress@2024-07-14"


def test_a_day_past_a_short_month_falls_on_its_last_day() -> None:
    m = Milestone("m", "月报", days=(30, 31), start=date(2024, 1, 31), until=date(2024, 4, 30))
    # January: 30th is before the start, 31st counts; February 2024 ends on the 29th (both days fall
    # there, once); March 30 and 31; April 30 (31 → 30, once)
    assert m.occurrences() == (date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 30), date(2024, 3, 31),
                               date(2024, 4, 30))


def test_calendar_due_late_and_the_next_deadline_first(store: Store) -> None:
    w = find_campaign(WUSHEN)
    cal = calendar(store, w, date(2024, 7, 14))
    by = {d.key: d for d in cal.deadlines}
    # 28 June and 1 July have passed with nothing done: late; 14 July is due today (not late yet)
    assert by["progress@2024-06-28"].status == LATE and by["progress@2024-06-28"].days_left == -16
    assert by["self_inspection"].status == LATE and by["self_inspection"].days_left == -13
    assert (by["progress@2024-07-14"].status, by["progress@2024-07-14"].days_left) == (DUE, 0)
    assert cal.next is not None and cal.next.key == "progress@2024-07-14"
    order = [d.key for d in cal.ordered()]
    assert order[:3] == ["progress@2024-07-14", "progress@2024-06-28", "self_inspection"]  # next, then late
    assert order[-1] == "summary"
    assert cal.counts() == {LATE: 2, DUE: 10, DONE_LATE: 0, DONE: 0}  # 8 progress reports + 4 others = 12
    assert cal.phase is not None and cal.phase.name == "集中整治阶段"  # 1 July–1 September
    # the day after, 14 July is late too and 28 July is next
    later = calendar(store, w, date(2024, 7, 15))
    assert {d.key: d.status for d in later.deadlines}["progress@2024-07-14"] == LATE
    assert later.next is not None and later.next.key == "progress@2024-07-28"


def test_done_on_time_late_and_as_of_in_the_past(store: Store) -> None:
    w = find_campaign(WUSHEN)
    # the ledger sent on the deadline itself: on time
    d = mark_done(store, w, "self_inspection", date(2024, 7, 1), note="台账 12 台", actor="张三")
    assert (d.status, d.done_on, d.note, d.actor) == (DONE, date(2024, 7, 1), "台账 12 台", "张三")
    # a progress report named by its milestone: the oldest deadline not done, 28 June — sent 2 July, late
    d = mark_done(store, w, "progress", date(2024, 7, 2))
    assert (d.key, d.status) == ("progress@2024-06-28", DONE_LATE)
    # one deadline named by its day
    assert mark_done(store, w, "progress", date(2024, 7, 12), due=date(2024, 7, 14)).status == DONE
    cal = calendar(store, w, date(2024, 7, 16))
    assert cal.counts() == {LATE: 0, DUE: 9, DONE_LATE: 1, DONE: 2}
    # as of 30 June nothing of July is on record: 28 June is late, the ledger still due
    past = {d.key: d.status for d in calendar(store, w, date(2024, 6, 30)).deadlines}
    assert (past["progress@2024-06-28"], past["self_inspection"]) == (LATE, DUE)
    # the records are append-only chained oversight events (by the day they were done)
    events = [e for e in store.oversight_events() if e.kind == DONE_EVENT]
    assert [(e.category, e.client, e.count, e.occurred_on) for e in events] == [
        (WUSHEN, "self_inspection", 1, date(2024, 7, 1)), (WUSHEN, "progress@2024-06-28", 1, date(2024, 7, 2)),
        (WUSHEN, "progress@2024-07-14", 1, date(2024, 7, 12))]
    assert all(not breaks for _, breaks in store.verify_chains().values())


def test_done_twice_refused_and_a_withdrawal(store: Store) -> None:
    y = find_campaign(YUEYANG)
    mark_done(store, y, "summary", date(2024, 10, 14))
    with pytest.raises(CampaignError, match="已于 2024-10-14 记为完成"):
        mark_done(store, y, "summary", date(2024, 10, 15))
    with pytest.raises(CampaignError, match="撤销须说明原因"):
        mark_done(store, y, "summary", date(2024, 10, 16), withdraw=True)
    d = mark_done(store, y, "summary", date(2024, 10, 16), withdraw=True, note="误记：总结尚未盖章")
    assert (d.status, d.done_on) == (LATE, None)  # open again, and past 15 October
    assert calendar(store, y, date(2024, 10, 15)).deadlines[0].status == DONE  # as it stood on the 15th
    with pytest.raises(CampaignError, match="无完成记录可撤销"):
        mark_done(store, y, "summary", date(2024, 10, 17), withdraw=True, note="x")
    assert mark_done(store, y, "summary", date(2024, 10, 18)).status == DONE_LATE
    assert [e.count for e in store.oversight_events() if e.kind == DONE_EVENT] == [1, -1, 1]


def test_resolve_names_and_refusals(store: Store) -> None:
    w = find_campaign(WUSHEN)
    cal = calendar(store, w, date(2024, 8, 1))
    assert resolve(cal, "progress@2024-08-14").due == date(2024, 8, 14)
    assert resolve(cal, "progress").due == date(2024, 6, 28)  # the oldest not done (late)
    with pytest.raises(CampaignError, match="无 2024-08-15 的截止日"):
        resolve(cal, "progress", date(2024, 8, 15))
    with pytest.raises(CampaignError, match="无事项 'report'"):
        resolve(cal, "report")


def test_a_bureaus_variant_by_path_and_file_errors(tmp_path: Path) -> None:
    src = find_campaign(YUEYANG).path
    assert src is not None
    own = tmp_path / "my-county-2024.toml"
    own.write_text(src.read_text("utf-8").replace("due = 2024-10-15", "due = 2024-10-10"), "utf-8")
    c = find_campaign(str(own))
    assert (c.key, c.milestone("summary").due) == ("my-county-2024", date(2024, 10, 10))
    bad = tmp_path / "bad.toml"
    bad.write_text(src.read_text("utf-8").replace("due = 2024-10-15", ""), "utf-8")
    with pytest.raises(CampaignError, match="须有 due 或 days 之一"):
        load_campaign(bad)
    bad.write_text(src.read_text("utf-8").replace('forms = ["summary", "three_meters"]', 'forms = ["annex9"]'), "utf-8")
    with pytest.raises(CampaignError, match=r"未定义的报表.*annex9"):
        load_campaign(bad)
    with pytest.raises(CampaignError, match="无此专项"):
        find_campaign("no-such-campaign")


def test_cli_list_show_done(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    db = str(tmp_path / "cli.db")
    assert main(["--db", db, "oversight", "campaign", "show", WUSHEN, "--as-of", "2024-07-15"]) == 0
    out = capsys.readouterr().out
    assert "下一截止 (next deadline): 2024-07-28 工作进展情况报送 — 还有 13 天 (days left)" in out
    lines = [ln for ln in out.splitlines() if ln.startswith("  ") and "(" in ln and "20" in ln]
    assert "progress@2024-07-28" in lines[0] and "待完成 (due)" in lines[0]  # the next deadline first
    assert "逾期未完成 (late)" in lines[1] and "progress@2024-06-28" in lines[1] and "已逾期 17 天" in lines[1]
    assert "附件1 在用强检计量器具台账: jianding ledger export" in out  # what the late ledger deadline asks for
    logged_out(monkeypatch)
    assert main(["--db", db, "oversight", "campaign", "done", WUSHEN, "self_inspection", "--date", "2024-07-01"]) == 2
    assert "JIANDING_USER" in capsys.readouterr().err  # who records it done is a logged-in account
    log_in(monkeypatch, db, "张检定", "verifier")
    assert main(["--db", db, "oversight", "campaign", "done", WUSHEN, "self_inspection", "--date", "2024-07-01"]) == 2
    assert "无批准人或管理员权限" in capsys.readouterr().err  # the report sent is the institution's: 批准人
    with pytest.raises(SystemExit):
        main(["--db", db, "oversight", "campaign", "done", WUSHEN, "self_inspection", "--operator", "王批准"])
    assert "--operator 已取消" in capsys.readouterr().err
    log_in(monkeypatch, db, "王批准", "approver")
    assert main(["--db", db, "oversight", "campaign", "done", WUSHEN, "self_inspection", "--date", "2024-07-01",
                 "--note", "台账已报"]) == 0
    assert "已记为完成 (recorded as done)" in capsys.readouterr().out
    assert main(["--db", db, "oversight", "campaign", "done", WUSHEN, "self_inspection", "--date", "2024-07-02"]) == 2
    assert "已于 2024-07-01 记为完成" in capsys.readouterr().err
    assert main(["--db", db, "oversight", "campaign", "list", "--as-of", "2024-07-15"]) == 0
    out = capsys.readouterr().out
    assert f"{WUSHEN}  乌审旗民用“三表”及燃油加油机强制检定计量器具专项整治" in out
    assert "逾期未完成 2，待完成 9，逾期完成 0，已完成 1；下一截止 (next) 2024-07-28 工作进展情况报送" in out
