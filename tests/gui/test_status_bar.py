"""The persistent status bar (gui/status_bar.py): its fields follow the engine's events (devices
connected, simulated, faulted; the environment read with its limits, red outside them), the
logged-in person and role, the standard due next in amber or red, the sync state; and the run clock
(elapsed and remaining real time) stays true across a pause and a resume — in the same session and
after the window was closed (the elapsed time before is read back from the audit trail)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from bench.accounts import Accounts
from bench.controller import Controller
from bench.station import example_station_path, load_station
from bench.store.models import AuditEntry, OutboxItem, RawReading, Run
from gui.status_bar import RunClock, StatusBar
from procedures.engine import (
    OperatorPrompt,
    Progress,
    ReadingTaken,
    RunFinished,
    RunPaused,
    RunStarted,
    StepFinished,
    StepStarted,
)
from procedures.records import Verdict
from tests.bench.test_oversight import _inst

pytestmark = pytest.mark.timeout(60)
T0 = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
PLAN = {"a": 100.0, "b": 200.0}


def _s(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _text(bar: StatusBar, key: str) -> str:
    return bar.labels[key].text()


def _state(bar: StatusBar, key: str) -> str:
    return str(bar.labels[key].property("state"))


def test_fields_follow_events_and_the_store(qtbot: QtBot, tmp_path: Path) -> None:
    ctl = Controller.open(tmp_path / "s.db", tmp_path / "out", actor="张检定")
    today = date.today()
    ctl.store.add_standard(name="标准电能表", model="M", serial="S-1", certificate_no="C-1",
                           calibrated_on=today - timedelta(days=300), valid_until=today + timedelta(days=12))
    bar = StatusBar(ctl)
    qtbot.addWidget(bar)
    assert _text(bar, "person") == "张检定 (未登录)"
    assert _text(bar, "standard") == f"下一到期: 标准电能表 {(today + timedelta(days=12)).isoformat()}"
    assert _state(bar, "standard") == "due"  # amber: within 30 days
    ctl.store.add_standard(name="温湿度计", model="M", serial="S-2", certificate_no="C-2",
                           calibrated_on=today - timedelta(days=400), valid_until=today - timedelta(days=2))
    bar.refresh()
    assert "温湿度计" in _text(bar, "standard") and _state(bar, "standard") == "expired"  # red

    bar.set_station(example_station_path("ac"), "ac")
    assert _text(bar, "station") == f"工作站: {load_station(example_station_path('ac')).name}"
    assert _text(bar, "devices") == "设备空闲 · 模拟"  # the demo station's devices are twins
    bar.see(RunStarted(run_id="r", procedure="JJG 1148", total_steps=2, planned_s=PLAN, at=T0))
    assert _text(bar, "devices") == "设备已连接 · 模拟" and _state(bar, "devices") == "ok"
    bar.see(OperatorPrompt(run_id="r", step_key="env_temperature", prompt_id="p1", kind="entry", text="环境温度",
                           unit="degC", low=-25.0, high=55.0))
    bar.see(ReadingTaken(run_id="r", step_key="env_temperature", key="temperature_c", quantity="temperature_c",
                         value=21.5, unit="degC", source="operator"))
    bar.see(ReadingTaken(run_id="r", step_key="env_humidity", key="humidity_pct", quantity="humidity_pct",
                         value=55.0, unit="percent", source="sensor"))
    assert _text(bar, "environment") == "温度 21.5 °C (-25–55) · 湿度 55 %"  # limits when the run gave them
    bar.see(ReadingTaken(run_id="r", step_key="env_temperature", key="temperature_c@2", quantity="temperature_c",
                         value=58.0, unit="degC", source="operator"))
    assert _state(bar, "environment") == "fault"  # outside the regulation's limits: red
    bar.see(RunPaused(run_id="r", step_key="a", message="连接中断 (connection lost)", device="meter", at=_s(10)))
    assert _text(bar, "devices") == "设备故障 · 模拟" and _state(bar, "devices") == "fault"
    assert "meter: 连接中断" in bar.labels["devices"].toolTip()

    assert _text(bar, "sync") == "同步: 待上传 0 · 上次 —"
    ctl.store._add(OutboxItem(kind="result", key="k1", payload_json="{}", last_error="平台不可达 (unreachable)"))
    ctl.store._add(OutboxItem(kind="result", key="k2", payload_json="{}", status="done", acked_at=T0))
    bar.refresh()
    local = T0.astimezone().strftime("%m-%d %H:%M")
    assert _text(bar, "sync") == f"同步: 待上传 1 · 上次 {local}" and _state(bar, "sync") == "fault"
    assert "平台不可达" in bar.labels["sync"].toolTip()

    accounts = Accounts(ctl.store)
    admin = accounts.add("管理员", "administrator", "admin-secret", None)
    accounts.add("李四", "verifier,checker", "pin-123456", admin)
    ctl.act_as(accounts.authenticate("李四", "pin-123456"))
    bar.refresh()
    assert _text(bar, "person") == "李四 (检定员、核验员)"


def test_run_clock_across_pause_and_resume() -> None:
    prior: dict[str, float] = {}
    clock = RunClock(lambda run_id, _at: prior.get(run_id, 0.0))
    assert clock.elapsed(T0) is None and clock.left(T0) is None
    clock.see(RunStarted(run_id="r", procedure="P", total_steps=2, planned_s=PLAN, at=T0))
    clock.see(StepStarted(run_id="r", step_key="a", title="A", index=0, total=2, at=T0))
    assert clock.elapsed(_s(30)) == 30 and clock.left(_s(30)) == 270  # counted down while running
    clock.see(Progress(run_id="r", step_key="a", fraction=0.5, message="", at=_s(40)))
    assert clock.left(_s(40)) == 250
    assert clock.left(_s(200)) == 200  # a slow step never takes the steps not started below their plan
    clock.see(RunPaused(run_id="r", step_key="a", message="fault", at=_s(60)))
    assert not clock.running
    assert clock.elapsed(_s(5000)) == 60 and clock.left(_s(5000)) == 250  # a pause neither runs nor counts down
    prior["r"] = 60.0  # what the audit trail says at the resume (see the controller's run_elapsed)
    clock.see(RunStarted(run_id="r", procedure="P", total_steps=2, resumed=True, completed_steps=("a",),
                         planned_s=PLAN, at=_s(5000)))
    clock.see(StepStarted(run_id="r", step_key="b", title="B", index=1, total=2, at=_s(5000)))
    assert clock.elapsed(_s(5010)) == 70 and clock.left(_s(5010)) == 190
    clock.see(StepFinished(run_id="r", step_key="b", item="b", verdict=Verdict.PASS, outcome={}, at=_s(5100)))
    clock.see(RunFinished(run_id="r", status="finished", at=_s(5100)))
    assert clock.elapsed(_s(9999)) == 160 and clock.left(_s(9999)) == 0
    clock.see(RunStarted(run_id="other", procedure="P", total_steps=1, planned_s={"x": 5.0}, at=_s(9999)))
    assert clock.elapsed(_s(9999)) == 0 and clock.left(_s(9999)) == 5  # another run starts from zero
    clock.stop(_s(10009))  # it returned paused without an event (its devices did not open)
    assert not clock.running and clock.elapsed(_s(99999)) == 10


def test_run_elapsed_from_the_audit_trail(tmp_path: Path) -> None:
    ctl = Controller.open(tmp_path / "s.db", tmp_path / "out")
    store = ctl.store
    inst = _inst(store, "E-1", "电能表")
    store.create_run(Run(id="r", regulation="jjg596", edition="2012", verification_type="first",
                         instrument_id=inst.id or 0))

    def entry(action: str, seconds: float) -> None:
        store._add(AuditEntry(actor="t", action=action, run_id="r", at=_s(seconds)))

    entry("run.prepare", 0)
    entry("run.paused", 60)  # 60 s, then a pause of an hour
    entry("run.resume", 3660)
    store._add(RawReading(run_id="r", step_key="a", key="k", quantity="q", value=1.0, unit="", source="t",
                          taken_at=_s(3700)))
    entry("run.resume", 7200)  # the window was killed after the first resume: no end on record
    assert ctl.run_elapsed("r", now=_s(7230)) == (130.0, True)  # 60 + 40 (to its last reading) + the open 30 s
    entry("run.finished", 7300)
    assert ctl.run_elapsed("r", now=_s(99999)) == (200.0, False)
