"""The real-time plan: `jianding plan` prints each step's minimum duration on real hardware with its
reason and the total (hand-worked for the demo AC post); a run carries the plan in RunStarted and the
console shows the real time left."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bench.cli import main
from bench.controller import Controller, RunRequest
from bench.display import ConsoleDisplay
from bench.station import example_station_path, load_station
from bench.store import Store
from procedures.engine import EventBus, Progress, RunStarted, StepStarted
from procedures.engine.remaining import Remaining, mmss


def test_plan_of_the_demo_ac_post_hand_worked(tmp_path: Path) -> None:
    """Class 2, 32 A at 220 V, C_L = 1000 imp/kWh, N = 10 pulses, C0 = 1e6 imp/kWh:
    a gate is 0.01 kWh: 5.11 s at 7.04 kW (Imax), 10.23 s at 3.52 kW, 27.27 s at 1.32 kW (Imin 6 A);
    m0 = 1e6 × 10 / 1000 = 10000 → one standard pulse = 0.01 % ≤ MPE/10 = 0.2 %.
    The session holds 0.001 kWh / (0.1 × 2 %) = 0.5 kWh, 0.06 kWh of it from the gates: the
    remaining 0.44 kWh take 225 s at 7.04 kW."""
    procedure, steps = Controller(Store(tmp_path / "p.db"), tmp_path).plan(
        RunRequest(station=load_station(example_station_path())))
    plan = {s.key: s for s in steps}
    assert plan["working_error_1"].seconds == pytest.approx(0.2 + 2 * 5.1136, abs=0.01)
    assert plan["working_error_3"].seconds == pytest.approx(0.2 + 2 * 27.2727, abs=0.01)
    assert "m0 = C0·N/C_L = 10000" in plan["working_error_1"].why and "0.0100 %" in plan["working_error_1"].why
    session = plan["session_end"]
    assert "0.5 kWh" in session.why and "0.060 kWh" in session.why and "0.440 kWh" in session.why
    assert session.seconds == pytest.approx(0.44 / 7.04 * 3600 + 2 * 0.2 + 20, abs=0.1)
    total = sum(s.seconds for s in steps)
    assert total < 10 * 60  # plug-in to conclusion under 10 minutes on real hardware
    assert procedure.code == "JJG 1148-2022"


def test_plan_command_prints_steps_reasons_and_total(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", str(tmp_path / "p.db"), "plan", "jjg1148", "--station", str(example_station_path())]) == 0
    out = capsys.readouterr().out
    assert "实际硬件最短用时" in out and "合计 (total)" in out and "共用充电过程 0.5 kWh" in out
    assert main(["--db", str(tmp_path / "p.db"), "plan", "jjg1148", "--station", str(example_station_path()),
                 "--edition", "2018"]) == 0
    out = capsys.readouterr().out
    assert "绝缘电阻" in out and "由共用充电过程计算" in out
    assert not Store(tmp_path / "p.db").runs()  # nothing was created


def test_remaining_time_follows_the_run() -> None:
    r = Remaining()
    r.see(RunStarted(run_id="r", procedure="X", total_steps=3, planned_s={"a": 10.0, "b": 100.0, "c": 50.0},
                     completed_steps=("a",)))
    assert r.seconds == 150.0
    r.see(StepStarted(run_id="r", step_key="b", title="B", index=1, total=3))
    r.see(Progress(run_id="r", step_key="b", fraction=0.25, message=""))
    assert r.seconds == pytest.approx(75.0 + 50.0)
    assert mmss(452.3) == "7 min 32 s" and mmss(45) == "45 s"


def test_console_shows_the_time_left() -> None:
    bus = EventBus()
    out = io.StringIO()
    display = ConsoleDisplay(bus, out)
    bus.publish(RunStarted(run_id="r", procedure="X", total_steps=2, planned_s={"a": 60.0, "b": 90.0}))
    bus.publish(StepStarted(run_id="r", step_key="a", title="第一步", index=0, total=2))
    display.close()
    text = out.getvalue()
    assert "计划用时约 2 min 30 s" in text and "第一步  — 剩余约 2 min 30 s" in text
