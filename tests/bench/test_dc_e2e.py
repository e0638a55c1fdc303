"""JJG 1149 end to end in-process: the workstation as BMS over python-can's virtual bus, the DC
standard over Modbus TCP and the charger's OCPP link over a real WebSocket, against the twins;
reconciled readings flagged on the record and the certificate; a silent CAN bus mid-point pauses
the run naming the charger, and resume finishes it."""

from __future__ import annotations

import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest

from bench.cli import DEMO_STANDARDS, demo_entries
from bench.controller import Controller, RunRequest
from bench.operators import AutoOperator
from bench.station import Station, example_station_path, load_station
from bench.store import Store
from procedures.engine import Event, ReadingTaken

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def dc_store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "dc.db")
    s.add_standard(**DEMO_STANDARDS["JDSIM-DCREF-0001"], calibrated_on=date.today() - timedelta(days=10),
                   valid_until=date.today() + timedelta(days=100))
    return s


@pytest.fixture
def dc_station() -> Station:
    st = load_station(example_station_path("dc"))
    st.raw["sim"]["speed"] = 2000
    st.raw["procedure"]["session"]["min_energy_kwh"] = 3.0
    return st


def _pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True).stdout


async def test_dc_charger_verified_over_can(dc_store: Store, dc_station: Station, tmp_path: Path) -> None:
    ctl = Controller(dc_store, tmp_path / "out")
    run_id = ctl.prepare(RunRequest(station=dc_station, regulation="jjg1149"))
    summary = await ctl.execute(run_id, AutoOperator(demo_entries(ctl)))
    assert summary.status == "finished", summary.message
    rec = summary.record
    assert rec is not None and rec.passed and rec.regulation_code == "JJG 1149-2022"
    items = {i.key: i for i in rec.items}
    for r in items["working_error"].results:  # the twin's meter has −0.25 % true error; class 1 → 0.1 steps
        assert abs(r.mean + 0.25) < 0.08 and "500 V" in r.label
    recon = {r.label: r for r in items["reconciliation"].results}
    assert set(recon) == {"电能脉冲 (pulse output)", "OCPP 电能示值 (register)", "CAN 统计 CSD (0.1 kWh)",
                          "显示电量 (display)"}
    assert all(r.verdict.value == "pass" for r in recon.values()) and rec.flags == ()
    csd, std = recon["CAN 统计 CSD (0.1 kWh)"].values
    # CSD is in 0.1 kWh steps (truncated); the standard's energy is read when the session stops, a
    # moment apart from the charger's last count, so the bound allows 1 % of timing skew above it
    assert round(csd * 10) == csd * 10 and std - 0.1 - 0.02 * std < csd <= std * 1.01
    assert rec.station["charger"]["can"]["charger_number"] == "00000301"
    text = _pdf_text(summary.document)  # type: ignore[arg-type]
    assert "非车载充电机" in text and "CSD" in text


async def test_disagreeing_display_is_flagged(dc_store: Store, dc_station: Station, tmp_path: Path) -> None:
    ctl = Controller(dc_store, tmp_path / "out")
    run_id = ctl.prepare(RunRequest(station=dc_station, regulation="jjg1149"))
    entries = {**demo_entries(ctl), "充电桩显示本次充电电量": "2.500 kWh"}  # operator reads 2.5 of ~3.1 kWh
    summary = await ctl.execute(run_id, AutoOperator(entries))
    rec = summary.record
    assert rec is not None and rec.passed  # informational: the conclusion stands
    assert len(rec.flags) == 1 and "显示电量" in rec.flags[0]
    annex = _pdf_text(summary.document).split("附页")[1]  # type: ignore[arg-type]
    assert "电能读数核对" in annex and "超出允许差" in annex  # on the annex, once: the row remarked, no verdict
    stored = [r for r in dc_store.readings(run_id) if r.key == "s1:display"]
    assert [r.value for r in stored] == [2.5]  # the operator's entry is kept as it was given


async def test_silent_can_bus_mid_point_pauses_and_resumes(dc_store: Store, dc_station: Station, tmp_path: Path) -> None:
    # Slow physics, so that the Imin gate (10 A at 500 V, 10 pulses = 7.2 s simulated) outlasts the
    # 1 s CCS timeout: the BMS notices the silent charger in the middle of the gate.
    dc_station.raw["sim"]["speed"] = 5
    dc_station.raw["procedure"]["session"]["min_energy_kwh"] = 0.2
    ctl = Controller(dc_store, tmp_path / "out")
    run_id = ctl.prepare(RunRequest(station=dc_station, regulation="jjg1149"))

    def sink(ev: Event) -> None:
        if isinstance(ev, ReadingTaken) and ev.step_key == "working_error_3" and ev.key == "gate_1" and ctl.sim:
            ctl.sim.dc_twin.faults.silent = True

    ctl.bus.add_sink(sink)
    first = await ctl.execute(run_id, AutoOperator(demo_entries(ctl)))
    assert first.status == "paused", first
    assert "CCS" in first.message  # GB/T 27930: no CCS within 1 s while charging → BEM, paused
    before = [(r.id, r.step_key, r.key, r.value) for r in dc_store.readings(run_id)]
    ctl2 = Controller(dc_store, tmp_path / "out")
    second = await ctl2.execute(run_id, AutoOperator(demo_entries(ctl2)))
    assert second.status == "finished", second.message
    after = [(r.id, r.step_key, r.key, r.value) for r in dc_store.readings(run_id)]
    assert after[: len(before)] == before
    assert second.record is not None and second.record.passed
