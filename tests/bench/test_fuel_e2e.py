"""A whole JJG 443 run in-process: controller → the serial dispenser driver → the dispenser twin
over a pseudo-terminal cable (JD-DSP/1) → the can twin read by the demo operator → record → PDF;
a failing dispenser's notice; a cut serial line pausing the run (naming the device) and a resume
that keeps every reading; and ``jianding demo fuel`` itself."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from bench.cli import DEMO_STANDARDS, demo_entries, main
from bench.controller import Controller, RunRequest, RunSummary
from bench.operators import AutoOperator
from bench.station import Station, example_station_path, load_station
from bench.store import Store
from procedures.engine import Event, ReadingTaken

pytestmark = [
    pytest.mark.timeout(90),
    pytest.mark.skipif(sys.platform == "win32", reason="the dispenser twin's cable is a pair of pseudo-terminals"),
]


def store_with_can(path: Path) -> Store:
    """A store at ``path`` with the demo station's 20 L can on the standards ledger, in calibration."""
    s = Store(path)
    s.add_standard(**DEMO_STANDARDS["JDSIM-CAN-0001"], calibrated_on=date.today() - timedelta(days=10),
                   valid_until=date.today() + timedelta(days=100))
    return s


@pytest.fixture
def fuel_store(tmp_path: Path) -> Store:
    return store_with_can(tmp_path / "fuel.db")


def fast(st: Station) -> Station:
    """A fuel station made quick for tests: a faster twin, a shorter serial timeout, a short drain
    time of the can (the demo station's override, kept when a test replaces its [procedure])."""
    st.raw["sim"]["speed"] = 600
    items = st.raw.setdefault("procedure", {}).setdefault("items", {})
    items.setdefault("indication_error", {}).setdefault("drain_s", 0.05)
    for dev in st.devices:
        if dev.driver == "serial_dispenser":
            dev.config["timeout_s"] = 0.2
    return st


@pytest.fixture
def fuel_station() -> Station:
    return fast(load_station(example_station_path("fuel")))


async def resume_keeping_readings(store: Store, run_id: str, out: Path) -> tuple[RunSummary, list[tuple[str, str]]]:
    """Resume the paused ``run_id`` with a new controller (as after a restart: new twins, a new
    cable) and the demo operator; it finishes, and every reading taken before is kept unchanged.
    Returns the summary and the (step, key) of every reading, in order."""
    before = [(r.id, r.step_key, r.key, r.value) for r in store.readings(run_id)]
    ctl = Controller(store, out)
    summary = await ctl.execute(run_id, AutoOperator(demo_entries(ctl)))
    assert summary.status == "finished", summary.message
    after = [(r.id, r.step_key, r.key, r.value) for r in store.readings(run_id)]
    assert after[: len(before)] == before  # nothing taken is lost or changed
    return summary, [(s, k) for _, s, k, _ in after]


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True).stdout


async def test_passing_dispenser_gets_certificate(fuel_store: Store, fuel_station: Station, tmp_path: Path) -> None:
    ctl = Controller(fuel_store, tmp_path / "out")
    run_id = ctl.prepare(RunRequest(station=fuel_station, regulation="jjg443"))
    assert fuel_store.get_run(run_id).edition == "2023"
    summary = await ctl.execute(run_id, AutoOperator(demo_entries(ctl)))
    assert summary.status == "finished", summary.message
    rec = summary.record
    assert rec is not None and rec.passed and rec.regulation_code == "JJG 443-2023"
    items = {i.key: i for i in rec.items}
    assert list(items) == ["appearance", "indication_error", "repeatability", "payment_error"]
    points = items["indication_error"].results
    assert len(points) == 3  # Q1, Q2 and the dispenser's error (the largest point error)
    for r in points[:2]:  # the twin's meter has +0.12 % true error (noise 0.02 %), read to half a division
        assert abs(r.mean - 0.12) < 0.06 and len(r.values) == 3 and r.uncertainty == pytest.approx(0.0545, abs=1e-4)
    assert points[2].rounded == max((r.rounded for r in points[:2]), key=lambda x: abs(float(x)))
    assert all(r.verdict.value == "pass" for r in items["repeatability"].results)
    assert items["payment_error"].results[0].rounded == "0.00"
    assert rec.flags == () and rec.station["charger"]["serial"] == "SIMFD0001"
    assert rec.valid_until is not None and date.today() + timedelta(days=175) < rec.valid_until < date.today() + timedelta(days=185)
    assert rec.standards[0].serial == "JDSIM-CAN-0001"
    text = pdf_text(summary.document)  # type: ignore[arg-type]
    assert "检定证书" in text and "SIMFD0001" in text and "JJG 443-2023" in text and "标准金属量器" in text
    readings = fuel_store.readings(run_id)
    assert len(readings) == rec.reading_count
    keys = {(r.step_key, r.key) for r in readings}
    assert {("flow_point_1", "r1:v_j"), ("flow_point_1", "r1:h_mm"), ("flow_point_2", "r3:t_b")} <= keys
    # the indication is the display as the verifier read it; the interface's value is a second source
    vj = next(r for r in readings if r.key == "r1:v_j")
    assert vj.value == 20.0 and vj.unit == "L" and vj.source == "operator"
    iface = next(r for r in readings if r.key == "r1:interface")
    assert iface.value == 20.0 and iface.source == "dispenser" and iface.quantity == "dispenser_volume_interface"
    point = next(s for s in fuel_store.persisted_state(run_id).completed.items() if s[0] == "flow_point_1")[1]
    assert point["data"]["v_j_source"][0].startswith("显示器") and "interface" in point["data"]["v_j_source"][0]
    assert "取自加油机显示器" in items["indication_error"].note
    assert ("flow_point_1", "r1:can_ready") in keys  # the can confirmed wetted and emptied before the delivery
    function = [r for r in items["appearance"].results if r.name == "功能检查"]
    assert [r.label[:2] for r in function] == ["回零", "自锁", "掉电", "复显", "编码"]
    assert all(r.rounded == "符合" for r in function)


async def test_failing_dispenser_gets_notice_naming_the_item(fuel_store: Store, fuel_station: Station,
                                                             tmp_path: Path) -> None:
    ctl = Controller(fuel_store, tmp_path / "out")
    run_id = ctl.prepare(RunRequest(station=fuel_station, regulation="jjg443",
                                    sim_overrides={"dispenser": {"error_pct": 0.4}}))
    summary = await ctl.execute(run_id, AutoOperator(demo_entries(ctl)))
    rec = summary.record
    assert rec is not None and not rec.passed and rec.valid_until is None
    assert [i.name for i in rec.failing_items] == ["示值误差"]
    assert all(abs(r.mean - 0.4) < 0.06 for r in rec.items[1].results)
    text = pdf_text(summary.document)  # type: ignore[arg-type]
    assert "检定结果通知书" in text and "不合格" in text and "有效期至" not in text


async def test_failing_function_point_is_named_on_the_notice(fuel_store: Store, fuel_station: Station,
                                                             tmp_path: Path) -> None:
    ctl = Controller(fuel_store, tmp_path / "out")
    run_id = ctl.prepare(RunRequest(station=fuel_station, regulation="jjg443"))
    summary = await ctl.execute(run_id, AutoOperator(demo_entries(ctl), refuse=("掉电保护",)))
    rec = summary.record
    assert rec is not None and not rec.passed and [i.name for i in rec.failing_items] == ["外观及功能检查"]
    bad = [r for r in rec.failing_items[0].results if r.verdict.value == "fail"]
    assert [r.label[:4] for r in bad] == ["掉电保护"] and bad[0].rounded == "不符合"
    text = pdf_text(summary.document).replace("\n", "")  # type: ignore[arg-type]
    assert "检定结果通知书" in text and "掉电保护" in text and "不符合" in text


async def test_cut_serial_line_pauses_then_resume_keeps_readings(fuel_store: Store, fuel_station: Station,
                                                                 tmp_path: Path) -> None:
    ctl = Controller(fuel_store, tmp_path / "out")
    run_id = ctl.prepare(RunRequest(station=fuel_station, regulation="jjg443"))

    def sink(ev: Event) -> None:
        if isinstance(ev, ReadingTaken) and (ev.step_key, ev.key) == ("flow_point_2", "r1:t_b") and ctl.sim:
            ctl.sim.cut_serial_line()

    ctl.bus.add_sink(sink)
    first = await ctl.execute(run_id, AutoOperator(demo_entries(ctl)))
    assert first.status == "paused", first
    assert first.message.startswith("dispenser: ") and "no reply" in first.message
    run = fuel_store.get_run(run_id)
    assert run.status == "paused" and "dispenser" in run.message
    before = [(r.id, r.step_key, r.key, r.value) for r in fuel_store.readings(run_id)]
    assert ("flow_point_2", "r1:v_j") in {(s, k) for _, s, k, _ in before}

    second, keys = await resume_keeping_readings(fuel_store, run_id, tmp_path / "out")
    assert keys.count(("flow_point_2", "r1:v_j")) == 1 and keys.count(("flow_point_2", "r2:v_j")) == 1
    assert second.record is not None and second.record.passed


def test_cli_demo_fuel(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db, out = str(tmp_path / "cli.db"), str(tmp_path / "out")
    assert main(["--db", db, "demo", "fuel", "--speed", "600", "--out", out]) == 0
    text = capsys.readouterr().out
    assert "JDSIM-CAN-0001" in text and "JJG 443-2023" in text and "检定证书" in text
    assert "付费金额误差" in text and "检定结论 (conclusion): 合格" in text
    # the demo station keeps the MMQ's 5 L can; a 2023 run (no MMQ item) leaves it off the record
    record = json.loads(Store(db).runs()[0].record_json)
    assert [s["serial"] for s in record["standards"]] == ["JDSIM-CAN-0001"]
    assert main(["--db", db, "demo", "fuel", "--fail", "--speed", "600", "--out", out]) == 0
    text = capsys.readouterr().out
    assert "检定结果通知书" in text and "不合格项目: 示值误差" in text
    # the 2006 edition runs the MMQ item in the 5 L can, which the record then lists
    assert main(["--db", db, "demo", "fuel", "--edition", "2006", "--speed", "600", "--out", out]) == 0
    text = capsys.readouterr().out
    assert "JJG 443-2006" in text and "最小被测量示值误差    最小被测量 5 L" in text and "检定证书" in text
    run = next(r for r in Store(db).runs() if r.edition == "2006")
    assert [s["serial"] for s in json.loads(run.record_json)["standards"]] == ["JDSIM-CAN-0001", "JDSIM-CAN-0005"]


def test_fuel_station_file_and_factory() -> None:
    from bench.factory import build_device
    from drivers.dispensers.serial_dispenser import SerialDispenser
    from drivers.manual_standard import ManualStandard

    st = load_station(example_station_path("fuel"))
    assert st.standards() == ["JDSIM-CAN-0001", "JDSIM-CAN-0005"] and st.sim["kind"] == "fuel"
    assert st.standards({"mmq_standard"}) == ["JDSIM-CAN-0001"]  # the MMQ can, idle without the item
    assert st.device_for("volume_standard").config["h0_mm"] == 66.0 and st.device_for("volume_standard").u95_pct == 0.025
    devices = {d.name: build_device(d) for d in st.devices}
    assert isinstance(devices["dispenser"], SerialDispenser) and devices["dispenser"].config.line.port == "/dev/ttyUSB0"
    assert isinstance(devices["can"], ManualStandard) and devices["can"].config["material"] == "stainless"
    assert st.section("procedure")["input"] == "interface"


def test_cli_demo_fuel_without_interface(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db, out = str(tmp_path / "m.db"), str(tmp_path / "out")
    assert main(["--db", db, "demo", "fuel", "--input", "manual", "--speed", "600", "--out", out]) == 0
    text = capsys.readouterr().out
    assert "加油机显示体积 V_J (Q1 (Qmax) 第1次" in text and "加油机单价" in text and "检定证书" in text
    run = Store(db).runs()[0]
    assert '"serial_dispenser"' not in run.station_json and '"input": "manual"' in run.station_json
    reading = next(r for r in Store(db).readings(run.id) if r.key == "r1:v_j")
    assert reading.source == "operator" and reading.unit == "L"
    assert main(["--db", db, "demo", "ac", "--input", "manual", "--out", out]) == 2
