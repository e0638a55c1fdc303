"""The JJG 443 minimum measured quantity (item ``mmq``) end to end: the fuel demo station (its
5 L standard can is a second device playing ``mmq_standard``) with the item switched on for the
2023 edition in the station file; controller → the serial dispenser driver → the dispenser twin
over a pseudo-terminal cable, delivering into a rack of the 20 L and the 5 L can twins read by the
demo operator → record → PDF. Both input paths, and a serial line cut in the middle of the MMQ
runs (pause, then a resume that keeps every reading and delivers nothing twice).

The twin's meter has a +0.12 % true error (noise 0.02 %): every point, the MMQ included, reads about
+0.12 %, well inside ±0.50 %. U95 of an MMQ run with the 5 L can (U = 0.025 %, 0.5 mL/mm read to
0.5 mm, display 0.01 L, thermometers 0.2 °C): u = 0.0125, 0.0028868, 0.0577350, 0.0138564,
0.0132791 % → u_c = 0.0621792 → U95 = 0.1244 % (hand-worked in tests/procedures/regulations/test_jjg443.py)."""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from bench.cli import DEMO_STANDARDS, demo_entries
from bench.controller import Controller, RunRequest
from bench.operators import AutoOperator
from bench.station import Station, example_station_path, load_station, parse_station
from bench.store import Store
from procedures.engine import Event, ReadingTaken
from tests.bench.test_fuel_e2e import fast, pdf_text, resume_keeping_readings

pytestmark = [
    pytest.mark.timeout(90),
    pytest.mark.skipif(sys.platform == "win32", reason="the dispenser twin's cable is a pair of pseudo-terminals"),
]

CAN5 = DEMO_STANDARDS["JDSIM-CAN-0005"]  # the demo station's 5 L can, playing mmq_standard
ITEMS = ["appearance", "indication_error", "repeatability", "mmq", "payment_error"]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "fuel.db")
    for std in (DEMO_STANDARDS["JDSIM-CAN-0001"], CAN5):
        s.add_standard(**std, calibrated_on=date.today() - timedelta(days=10),
                       valid_until=date.today() + timedelta(days=100))
    return s


def _station(input_path: str = "interface") -> Station:
    """The fuel demo station (its 5 L can plays mmq_standard) with the item switched on for 2023, as
    a laboratory writes it in its station file (docs/station-file.md)."""
    raw: dict[str, Any] = load_station(example_station_path("fuel")).raw
    raw["procedure"] = {"input": input_path, "editions": {"2023": {"items": ITEMS}}}
    if input_path == "manual":
        del raw["devices"]["dispenser"]
    return fast(parse_station(raw, "fuel_mmq.toml"))


async def test_mmq_on_the_interface_path_gets_certificate(store: Store, tmp_path: Path) -> None:
    ctl = Controller(store, tmp_path / "out")
    run_id = ctl.prepare(RunRequest(station=_station(), regulation="jjg443"))
    summary = await ctl.execute(run_id, AutoOperator(demo_entries(ctl)))
    assert summary.status == "finished", summary.message
    rec = summary.record
    assert rec is not None and rec.passed and rec.regulation_code == "JJG 443-2023"
    items = {i.key: i for i in rec.items}
    assert list(items) == ITEMS
    mmq = items["mmq"]
    assert mmq.name == "最小被测量示值误差" and mmq.clause == "" and mmq.verdict.value == "pass"
    error, rep = mmq.results
    assert error.name == "示值误差" and error.label.startswith("最小被测量 5 L") and error.mpe == 0.50
    assert len(error.values) == 3 and abs(error.mean - 0.12) < 0.06  # the twin's meter error, in the small can
    assert error.uncertainty == pytest.approx(0.1244, abs=1e-4)
    assert rep.name == "重复性" and rep.mpe == 0.25 and rep.verdict.value == "pass"
    assert items["payment_error"].results[0].label.startswith("9 次加油")  # Q1, Q2 and the MMQ deliveries
    assert rec.flags == ()
    assert {s.serial for s in rec.standards} == {"JDSIM-CAN-0001", "JDSIM-CAN-0005"}
    text = pdf_text(summary.document)  # type: ignore[arg-type]
    assert "检定证书" in text and "4. 最小被测量示值误差 (Error at the minimum measured quantity)" in text
    flat = text.replace("\n", "")  # table cells wrap
    # the item's error rows and its repeatability rows print as two tables (row_layouts): ±MPE, then ≤ limit
    assert "JDSIM-CAN-0005" in flat and "最小被测量 5 L" in flat and "MMQ (n = 3" in flat
    assert "±0.50 %" in flat and "≤ 0.25 %" in flat
    vj = [r for r in store.readings(run_id) if r.step_key == "mmq" and r.key.endswith(":v_j")]
    assert [r.value for r in vj] == [5.0, 5.0, 5.0] and {r.source for r in vj} == {"operator"}  # the display, read
    h = [r.value for r in store.readings(run_id) if r.step_key == "mmq" and r.key.endswith(":h_mm")]
    assert len(h) == 3 and all(20.0 < x < 40.0 for x in h)  # ≈ 50 − 21 mm: the 5 L can, not the 20 L one


async def test_mmq_on_the_manual_path(store: Store, tmp_path: Path) -> None:
    ctl = Controller(store, tmp_path / "out")
    run_id = ctl.prepare(RunRequest(station=_station("manual"), regulation="jjg443"))
    summary = await ctl.execute(run_id, AutoOperator(demo_entries(ctl)))
    assert summary.status == "finished", summary.message
    rec = summary.record
    assert rec is not None and rec.passed
    mmq = next(i for i in rec.items if i.key == "mmq")
    assert abs(mmq.results[0].mean - 0.12) < 0.06 and mmq.verdict.value == "pass"
    vj = [r for r in store.readings(run_id) if r.step_key == "mmq" and r.key.endswith(":v_j")]
    assert [r.value for r in vj] == [5.0, 5.0, 5.0] and {r.source for r in vj} == {"operator"}


async def test_cut_line_mid_mmq_pauses_then_resume_keeps_readings(store: Store, tmp_path: Path) -> None:
    ctl = Controller(store, tmp_path / "out")
    run_id = ctl.prepare(RunRequest(station=_station(), regulation="jjg443"))

    def sink(ev: Event) -> None:
        if isinstance(ev, ReadingTaken) and (ev.step_key, ev.key) == ("mmq", "r1:t_b") and ctl.sim:
            ctl.sim.cut_serial_line()

    ctl.bus.add_sink(sink)
    first = await ctl.execute(run_id, AutoOperator(demo_entries(ctl)))
    assert first.status == "paused", first
    assert first.message.startswith("dispenser: ") and "no reply" in first.message
    before = [(r.id, r.step_key, r.key, r.value) for r in store.readings(run_id)]
    assert ("mmq", "r1:v_j") in {(s, k) for _, s, k, _ in before}
    assert ("mmq", "r2:v_j") not in {(s, k) for _, s, k, _ in before}

    second, keys = await resume_keeping_readings(store, run_id, tmp_path / "out")
    assert [keys.count(("mmq", f"r{k}:v_j")) for k in (1, 2, 3)] == [1, 1, 1]
    rec = second.record
    assert rec is not None and rec.passed
    assert len(next(i for i in rec.items if i.key == "mmq").results[0].values) == 3


def test_station_without_mmq_can_refused_at_prepare(store: Store, tmp_path: Path) -> None:
    st = _station()
    raw = dict(st.raw)
    raw["devices"] = {k: v for k, v in raw["devices"].items() if k != "can5"}
    ctl = Controller(store, tmp_path / "out")
    with pytest.raises(ValueError, match="mmq_standard"):
        ctl.prepare(RunRequest(station=parse_station(raw, "no_can5.toml"), regulation="jjg443"))


async def test_small_can_unused_when_the_item_is_off_is_neither_checked_nor_listed(tmp_path: Path) -> None:
    # the laboratory keeps the 5 L can in its station file, but this 2023 run has no MMQ item: the
    # can's standard need not be on the ledger, and the certificate lists only the 20 L can it used
    store = Store(tmp_path / "no_can5.db")
    std = DEMO_STANDARDS["JDSIM-CAN-0001"]
    store.add_standard(**std, calibrated_on=date.today() - timedelta(days=10),
                       valid_until=date.today() + timedelta(days=100))
    raw: dict[str, Any] = dict(_station().raw)
    raw["procedure"] = {"input": "interface"}  # the edition's own items: no "mmq"
    station = fast(parse_station(raw, "fuel_can5_idle.toml"))
    assert set(station.standards()) == {"JDSIM-CAN-0001", "JDSIM-CAN-0005"}
    assert station.standards({"mmq_standard"}) == ["JDSIM-CAN-0001"]
    ctl = Controller(store, tmp_path / "out")
    run_id = ctl.prepare(RunRequest(station=station, regulation="jjg443"))
    summary = await ctl.execute(run_id, AutoOperator(demo_entries(ctl)))
    assert summary.status == "finished", summary.message
    assert summary.record is not None and "mmq" not in {i.key for i in summary.record.items}
    assert [s.serial for s in summary.record.standards] == ["JDSIM-CAN-0001"]
