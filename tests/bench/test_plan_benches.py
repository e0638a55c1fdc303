"""`jianding plan` for the bench regulations on their demo stations: JJG 596 (meter_demo.toml) and
JJG 577 (gas_demo.toml) print every step modelled, with its reason, and the hand-worked totals
(tests/procedures/regulations/test_jjg596.py and test_jjg577.py work them out step by step); the
station gives the plan the bench standard's constant and resolution."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from bench.cli import main
from bench.controller import plan_hints
from bench.station import example_station_path, load_station, parse_station
from bench.store import Store


def _plan(tmp_path: Path, capsys: pytest.CaptureFixture[str], regulation: str, kind: str) -> str:
    assert main(["--db", str(tmp_path / "p.db"), "plan", regulation, "--station", str(example_station_path(kind))]) == 0
    assert not Store(tmp_path / "p.db").runs()  # nothing was created
    return capsys.readouterr().out


def test_plan_of_the_meter_bench(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """4913.886 s = 81 min 54 s (test_jjg596.py); C0 = 2e7 imp/kWh from [sim.meter_bench]."""
    out = _plan(tmp_path, capsys, "jjg596", "meter")
    assert "JJG 596-2012 首次检定 — 实际硬件最短用时" in out and "未建模" not in out
    assert "480×10⁶/(1600×1×220×60) = 22.7 min" in out and "m0 = C0·N/C_L = 25000" in out
    assert "走字 5 kWh 于 13.2 kW" in out and "经电能表通信口" in out
    total = next(line for line in out.splitlines() if "合计 (total)" in line)
    assert total.split()[-4:] == ["81", "min", "54", "s"]


def test_plan_of_the_gas_bench(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """1627.6 s = 27 min 08 s (test_jjg577.py); the bell's 0.01 L scale from [devices.bench]."""
    out = _plan(tmp_path, capsys, "jjg577", "gas")
    assert "JJG 577-2012 首次检定 — 实际硬件最短用时" in out and "未建模" not in out
    assert "恒温 ≥ 4 h 在检定开始前完成，不计入" in out and "1 次 × 6 L 于 0.025 m³/h，每次 864 s" in out
    assert "标准器分辨力 0.01 L" in out
    total = next(line for line in out.splitlines() if "合计 (total)" in line)
    assert total.split()[-4:] == ["27", "min", "08", "s"]


def test_plan_hints_from_the_station() -> None:
    assert plan_hints(load_station(example_station_path("meter"))) == {"std_constant_imp_per_kwh": 2e7}
    raw = tomllib.loads(example_station_path("meter").read_text("utf-8"))
    raw["devices"]["bench"]["std_constant_imp_per_kwh"] = 1e7  # a real bench states its standard's C0
    assert plan_hints(parse_station(raw))["std_constant_imp_per_kwh"] == 1e7
    raw["sim"]["enabled"] = False
    del raw["devices"]["bench"]["std_constant_imp_per_kwh"]
    assert plan_hints(parse_station(raw)) == {}  # a twin not in use says nothing of the real standard
    gas = plan_hints(load_station(example_station_path("gas")))
    assert gas["standards"]["flow_standard"] == {"kind": "bell_prover", "resolution": 0.01}
