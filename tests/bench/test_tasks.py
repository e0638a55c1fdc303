"""Bookings to results on the command line against the REAL reference platform: ``sync pull`` brings
the institution's bookings into the task list in booking order (先约先检); 受理 / 不予受理 /
申请重新指派 go back up through the outbox (a reason is required to refuse or reassign); a run made
with ``--task`` is linked to its booking, its certificate's upload carries the booking id, and the
platform marks the booking completed. Only an accepted booking may be verified (不约不检)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.cli import main
from bench.station import example_station_path
from bench.store import Store
from tests.bench.conftest import log_in, logged_out
from tests.sync.kit import Platform, running_platform

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    with running_platform(f"sqlite:///{tmp_path / 'platform.db'}") as p:
        yield p


def _station(tmp_path: Path, platform: Platform) -> Path:
    """The AC demo station, fast, with a [platform] section (the token comes from the environment)."""
    text = example_station_path().read_text("utf-8")
    text = text.replace("port = 15020", "port = 0").replace("port = 19000", "port = 0").replace("speed = 400", "speed = 3000")
    text += f'\n[platform]\nurl = "{platform.url}"\ninstitution_code = "{platform.code}"\n'
    p = tmp_path / "site.toml"
    p.write_text(text, "utf-8")
    return p


def test_bookings_to_tasks_decisions_and_a_linked_run(tmp_path: Path, platform: Platform,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("JIANDING_PLATFORM_TOKEN", platform.token)
    db, out = str(tmp_path / "ws.db"), str(tmp_path / "out")
    station = str(_station(tmp_path, platform))
    b1 = platform.booking(user_unit="甲充电公司")["booking_id"]
    b2 = platform.booking(user_unit="乙充电公司")["booking_id"]
    b3 = platform.booking(user_unit="丙充电公司")["booking_id"]

    assert main(["--db", db, "sync", "pull", "--config", station]) == 0
    assert "新 3 (new)" in capsys.readouterr().out
    assert main(["--db", db, "sync", "pull", "--config", station]) == 0  # nothing new the second time
    assert "新 0 (new)" in capsys.readouterr().out
    assert main(["--db", db, "tasks", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [ln.split()[1] for ln in lines] == [b1, b2, b3]  # booking order
    assert all("待受理 (booked)" in ln for ln in lines)

    # 不予受理 and 申请重新指派 need a reason; every decision is the logged-in 检定员's
    log_in(monkeypatch, db, "王受理", "verifier")
    with pytest.raises(SystemExit):
        main(["--db", db, "tasks", "refuse", b2])
    assert main(["--db", db, "tasks", "refuse", b2, "--reason", "  "]) == 2
    assert "须填写理由" in capsys.readouterr().err
    assert main(["--db", db, "tasks", "refuse", b2, "--reason", "超出授权检定项目"]) == 0
    assert main(["--db", db, "tasks", "reassign", b3, "--reason", "标准装置送检中"]) == 0
    assert main(["--db", db, "tasks", "accept", b1, "--planned-date", "2026-03-02"]) == 0
    assert main(["--db", db, "tasks", "accept", b2]) == 2  # already refused
    assert {Store(db).get_task(b).decided_by for b in (b1, b2, b3)} == {"王受理"}
    capsys.readouterr()

    # 不约不检: a booking not accepted cannot be verified; the accepted one can
    assert main(["--db", db, "demo", "--out", out, "--station", station, "--task", b3]) == 2
    assert "须先受理" in capsys.readouterr().err
    assert main(["--db", db, "demo", "--out", out, "--station", station, "--task", b1]) == 0
    store = Store(db)
    [run] = store.runs()
    assert run.booking_id == b1 and store.get_task(b1).run_id == run.id
    items = store.outbox_items()
    assert [i.kind for i in items] == ["decision", "decision", "decision", "result"]
    assert json.loads(items[-1].payload_json)["booking_id"] == b1
    capsys.readouterr()

    assert main(["--db", db, "sync", "push", "--config", station]) == 0
    assert "待传 0 (pending)" in capsys.readouterr().out
    assert store.outbox_counts() == {"pending": 0, "done": 4, "rejected": 0}
    with platform.api() as api:
        got = {b: api.get(f"/api/v1/bookings/{b}").json() for b in (b1, b2, b3)}
    assert got[b1]["status"] == "completed"  # accepted, then its result arrived
    assert (got[b2]["status"], got[b2]["reason"]) == ("refused", "超出授权检定项目")
    assert (got[b3]["status"], got[b3]["reason"]) == ("reassign_requested", "标准装置送检中")
    assert [r["booking_id"] for r in platform.results()] == [b1]

    assert main(["--db", db, "sync", "status"]) == 0
    assert "已确认 (done) 4" in capsys.readouterr().out
    assert main(["--db", db, "tasks", "list"]) == 0
    assert f"检定 (run) {run.id[:8]}" in capsys.readouterr().out


def test_push_without_platform_settings_says_where_to_put_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("JIANDING_PLATFORM_URL", raising=False)
    monkeypatch.delenv("JIANDING_PLATFORM_TOKEN", raising=False)
    assert main(["--db", str(tmp_path / "x.db"), "sync", "push"]) == 2
    err = capsys.readouterr().err
    assert "[platform]" in err and "JIANDING_PLATFORM_TOKEN" in err


def test_decision_and_its_outbox_row_are_one_transaction(tmp_path: Path) -> None:
    store = Store(tmp_path / "t.db")
    store.upsert_tasks([{"booking_id": "BK1", "seq": 1, "status": "booked", "user_unit": "甲"}])
    task, row = store.decide_task("BK1", "accept", "", "王受理")
    assert task.status == "accepted" and task.decided_by == "王受理"
    again, same = store.decide_task("BK1", "accept", "", "王受理")  # the same decision again: nothing new
    assert same.id == row.id and len(store.outbox_items()) == 1 and again.status == "accepted"
    with pytest.raises(ValueError, match="already decided"):
        store.decide_task("BK1", "refuse", "无", "王受理")
    assert [i.key for i in store.outbox_items()] == ["decision:BK1:accept"]
    assert store.get_task("BK1").decision == "accept"


def test_decisions_are_the_logged_in_accounts_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """No login, a wrong role, a wrong password or a typed ``--by NAME``: refused in one line, the
    booking still open; a 检定员 or an administrator decides, and the audit names the account."""
    db = str(tmp_path / "t.db")
    store = Store(db)
    store.upsert_tasks([{"booking_id": "BK1", "seq": 1, "status": "booked", "user_unit": "甲"}])
    logged_out(monkeypatch)
    assert main(["--db", db, "tasks", "accept", "BK1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "JIANDING_USER" in err and "Traceback" not in err
    log_in(monkeypatch, db, "李核验", "checker")  # a 核验员 does not answer bookings
    assert main(["--db", db, "tasks", "accept", "BK1"]) == 2
    assert "无检定员或管理员权限" in capsys.readouterr().err
    log_in(monkeypatch, db, "王受理", "verifier")
    monkeypatch.setenv("JIANDING_PASSWORD", "not-the-password")
    assert main(["--db", db, "tasks", "accept", "BK1"]) == 2
    assert "wrong name or password" in capsys.readouterr().err
    log_in(monkeypatch, db, "王受理", "verifier")
    with pytest.raises(SystemExit) as exit_:
        main(["--db", db, "tasks", "accept", "BK1", "--by", "张三"])  # a typed name is refused, not used
    assert exit_.value.code == 2 and "--by 已取消" in capsys.readouterr().err
    assert store.get_task("BK1").status == "booked"
    assert main(["--db", db, "tasks", "accept", "BK1"]) == 0
    assert store.get_task("BK1").decided_by == "王受理"
    entry = next(a for a in store.audit_log() if a.action == "task.accept")
    assert entry.actor == "王受理"
