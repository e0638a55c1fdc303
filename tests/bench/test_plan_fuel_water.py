"""The real-time plan of the fuel-dispenser (JJG 443) and water-meter (JJG 162) demo stations:
`jianding plan` prints each step's minimum real duration, why, and the total, hand-worked here.

Nominal times (data/plan.toml): entry 15 s, checklist point 10 s, display reading 20 s, connect 10 s;
a bench's start-stop 10 s, a scale settling 15 s.

Fuel demo (JJG 443-2023, interface, Qmax 60 L/min, 20 L can, drain 0.2 s as the demo station sets it):
  entries: ambient, humidity, thermometer division 3 × 15 = 45 s; 外观及功能检查 10 points = 100 s;
  link 10 s; Q1 at 57 L/min: a fill is 20/57 × 60 = 21.0526 s,
    2 × 15 (ambient) + 21.0526 (wetting) + 3 × (21.0526 + 0.2 + 10 + 2 × 20 + 3 × 15) = 399.8105 s;
  Q2 at 24 L/min: 30 + 50 + 3 × (50 + 0.2 + 10 + 40 + 45) = 515.6 s; unit price 20 s; computed 0 s.
  Total 45 + 100 + 10 + 399.8105 + 515.6 + 20 = 1090.4105 s = 18 min 10 s.
Water demo (JJG 162-2019, 20 positions, class 2, Q3 2.5 m³/h, R 100, pulses 0.01 L, a 0.001 kg scale):
  conditions from the bench 0 s; 外观 4 × 20 × 10 = 800 s; 功能 1 × 20 × 10 = 200 s; 密封性
  2 × 20 × 10 + 60 = 460 s; q1 10 L at 26.25 L/h = 1371.4286 + 25 s; q2 10 L at 42 L/h = 857.1429 + 25 s;
  q3 20 L at 2375 L/h = 30.3158 + 25 s. Total 3793.8872 s = 63 min 14 s.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from bench.cli import main
from bench.controller import Controller, RunRequest, plan_hints
from bench.station import example_station_path, load_station, parse_station
from bench.store import Store


def _plan(tmp_path: Path, kind: str, regulation: str) -> tuple[dict[str, float], float]:
    _, steps = Controller(Store(tmp_path / "p.db"), tmp_path).plan(
        RunRequest(station=load_station(example_station_path(kind)), regulation=regulation))
    assert not [s.key for s in steps if "未建模" in s.why]
    return {s.key: s.seconds for s in steps}, sum(s.seconds for s in steps)


def test_fuel_demo_plan_hand_worked(tmp_path: Path) -> None:
    plan, total = _plan(tmp_path, "fuel", "jjg443")
    assert plan["flow_point_1"] == pytest.approx(399.8105, abs=1e-3)
    assert plan["flow_point_2"] == pytest.approx(515.6, abs=1e-9)
    assert total == pytest.approx(1090.4105, abs=1e-3)


def test_water_demo_plan_hand_worked(tmp_path: Path) -> None:
    plan, total = _plan(tmp_path, "water", "jjg162")
    assert (plan["appearance"], plan["function"], plan["tightness"]) == (800, 200, 460)
    assert plan["q1"] == pytest.approx(1396.4286, abs=1e-3)
    assert total == pytest.approx(3793.8872, abs=1e-3)


def test_hints_name_the_stations_standards_and_follow_the_method(tmp_path: Path) -> None:
    path = example_station_path("water")
    station = load_station(path)
    assert plan_hints(station)["standards"]["flow_standard"] == {"kind": "scale", "resolution": 0.001}
    raw = tomllib.loads(path.read_text("utf-8"))  # the master-meter method: the bench plays the standard
    raw["devices"]["scale"]["roles"] = []
    raw["devices"]["bench"]["roles"] = ["flow_bench", "flow_standard"]
    master = parse_station(raw, str(path))
    assert plan_hints(master)["standards"]["flow_standard"] == {"kind": "master_meter", "resolution": 0.001}
    _, steps = Controller(Store(tmp_path / "p.db"), tmp_path).plan(RunRequest(station=master, regulation="jjg162"))
    q1 = next(s for s in steps if s.key == "q1")
    assert q1.seconds == pytest.approx(1371.4286 + 10, abs=1e-3) and "天平" not in q1.why


@pytest.mark.parametrize(("kind", "regulation", "total", "reason"), [
    ("fuel", "jjg443", "18 min 10 s", "0.01 L / 20 L = 0.050 % > MPE/10 = 0.030 %（不满足，需 ≥ 33.3 L）"),
    ("water", "jjg162", "63 min 14 s", "最小试验体积 200 × max(检定分度值 0.05 L, 脉冲 0.01 L, 标准器 0.001002 L) = 10 L"),
])
def test_plan_command_prints_the_total(tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str,
                                       regulation: str, total: str, reason: str) -> None:
    db = tmp_path / "p.db"
    assert main(["--db", str(db), "plan", regulation, "--station", str(example_station_path(kind))]) == 0
    out = capsys.readouterr().out
    assert "实际硬件最短用时" in out and reason in out and "未建模" not in out
    last = out.strip().splitlines()[-1]
    assert last.split()[:2] == ["合计", "(total)"] and last.endswith(total)
    assert not Store(db).runs()  # nothing was created
