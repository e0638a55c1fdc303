"""The bench view with 96 positions, at the wire: a JJG 596 batch on the meter-bench twin (Modbus TCP
on loopback, the meters' DL/T 645 line on a pseudo-terminal) run through the GUI's EngineBridge on
its own thread. The bench's register map serves 96 positions (the shipped simulation map with its
position block widened: a station names its bench's own map file); three load points keep it lean.

Position 5 is 2.6 % fast (class 2, MPE ±2.0 %): its tile shows its worst point against its MPE and
its cells are red; position 11 at 1.7 % passes near its limit (amber); position 7's error
calculator does not answer (the same fault at 6 steps: shown once, elided, never widening its
tile); position 20 sees no pulses. The matrix is coloured against the MPE; a click on a tile shows
every point and fault of that position; tiles re-flow when the window is resized; a selection of
需复检 positions is re-tested as a follow-up run linked to the first, and a position with a
conclusion is refused in words."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from bench.cli import DEMO_ENTRIES
from bench.controller import Controller, RunRequest
from bench.station import Station
from gui.bridge import EngineBridge
from gui.views.bench_grid import TILE_W, BenchGrid
from gui.views.bench_matrix import CELL_COLOURS
from gui.views.bench_state import positions_note
from procedures.engine import OperatorPrompt
from tests.gui.conftest import click, fast_station

pytestmark = pytest.mark.timeout(240)

POSITIONS = 96
ERRORS = [0.1] * POSITIONS
ERRORS[4], ERRORS[10] = 2.6, 1.7  # position 5 fails, position 11 passes near its limit
FAULTS = {"meter_bench": {"errors_pct": ERRORS, "noise_pct": 0.0, "dead": [7], "stuck": [20]}}
LOAD_POINTS = [{"label": "Ib", "current": 1.0, "pf": "1"}, {"label": "Ib 0.5L", "current": 1.0, "pf": "0.5L"},
               {"label": "Imax", "current": "imax", "pf": "1"}]


def bench96(tmp_path: Path) -> Station:
    """The JJG 596 demo station with 96 positions: its bench's map serving 96, three load points."""
    text = resources.files("drivers.meters.maps").joinpath("jianding_sim_bench.toml").read_text(encoding="utf-8")
    assert "\ncount = 48\n" in text
    bench_map = tmp_path / "bench96.toml"
    bench_map.write_text(text.replace("\ncount = 48\n", f"\ncount = {POSITIONS}\n"), encoding="utf-8")
    st = fast_station("meter", speed=5000)
    st.raw["bench"]["positions"] = POSITIONS
    # lean: three load points, two clock readings; a clock gate's deadline in bench time wide enough
    # for 96 positions read over Modbus at 5000 × speed on a busy machine (data/jjg596.toml margin_s)
    st.raw.setdefault("procedure", {}).update(basic_error={"load_points": LOAD_POINTS},
                                              daily_clock={"readings": 2, "margin_s": 3000.0})
    for dev in st.devices:
        if "positions" in dev.config:
            dev.config["positions"] = POSITIONS
            st.raw["devices"][dev.name]["positions"] = POSITIONS
        if dev.driver == "modbus_bench":
            dev.config["map"] = st.raw["devices"][dev.name]["map"] = str(bench_map)
    return st


def _run(qtbot: QtBot, bridge: EngineBridge, start: object) -> object:
    """Start a run (``start()``), confirm every checklist, wait for its summary."""

    def answer(prompt: OperatorPrompt) -> None:
        if prompt.kind == "checklist":
            bridge.answer(prompt.prompt_id, dict.fromkeys(prompt.items, True))
        else:  # the room's temperature and humidity, as the technician reads them
            bridge.answer(prompt.prompt_id, next(v for k, v in DEMO_ENTRIES.items() if prompt.text.startswith(k)))

    bridge.prompt.connect(answer)
    try:
        with qtbot.waitSignal(bridge.run_done, timeout=120000) as done:
            start()  # type: ignore[operator]
    finally:
        bridge.prompt.disconnect(answer)
    return done.args[0]


def test_a_96_position_bench_shows_causes_and_retests_a_selection(qtbot: QtBot, controller: Controller,
                                                                   tmp_path: Path) -> None:
    bridge = EngineBridge(controller)
    view = BenchGrid(controller, bridge)
    qtbot.addWidget(view)
    view.resize(1366, 700)
    view.show()
    notes: dict[str, str] = {}
    bridge.step_finished.connect(lambda ev: notes.__setitem__(ev.step_key, positions_note(ev.outcome)))
    try:
        first = bridge.prepare(RunRequest(station=bench96(tmp_path), regulation="jjg596", sim_overrides=FAULTS))
        summary = _run(qtbot, bridge, lambda: bridge.start(first))
        assert summary.status == "finished", summary.message  # type: ignore[attr-defined]

        # the heading names station, regulation and batch — not a run id
        head = view.heading.text()
        assert "电能表检定装置" in head and "JJG 596-2012" in head and "SIMEM-BATCH-01" in head and "96 表位" in head
        assert first[:8] not in head
        # a step that fails names its positions
        assert notes["basic_error_2"] == "表位 5 不合格；表位 7, 20 需复检"
        assert view.summary.text().endswith("不合格: 表位 5   需复检: 表位 7, 20")

        # the matrix: 96 rows, a column per point headed as the documents head it, coloured against the MPE
        m = view.matrix
        assert m.rowCount() == POSITIONS
        heads = [m.horizontalHeaderItem(j).text() for j in range(m.columnCount())]
        assert heads == ["潜动试验\n≤ 1 imp", "起动试验\n≥ 1 imp", "Ib cosφ=1\n±2.0 %", "Ib 0.5L\n±2.0 %",
                         "Imax cosφ=1\n±2.0 %", "走字误差\n±2.0 %", "日计时误差\n±0.50 s/d"]
        col = view.state.columns[heads.index("Ib 0.5L\n±2.0 %")]
        assert [m.state_of(p, col) for p in (1, 5, 7, 11, 20)] == ["pass", "fail", "fault", "near", "fault"]
        row5 = m.item(4, heads.index("Ib 0.5L\n±2.0 %"))
        assert row5.text() == "+2.6" and row5.background().color().name() == CELL_COLOURS["fail"][0]
        assert m.item(10, heads.index("Ib 0.5L\n±2.0 %")).background().color().name() == CELL_COLOURS["near"][0]
        assert "不合格" in row5.toolTip()  # never colour alone

        # tiles: the worst point against its MPE, one short fault (deduplicated, elided), fixed width
        t5, t7, t20 = view.tiles[5], view.tiles[7], view.tiles[20]
        assert re.fullmatch(r"\+2\.6 % / ±2\.0 % @ (Ib cosφ=1|Ib 0\.5L|Imax cosφ=1)", t5.point.toolTip()), t5.point.toolTip()
        assert t5.verdict.text() == "不合格"
        assert len(view.state.positions[7].faults) == 6  # one message per step it recurred in …
        assert t7.fault_full == "计数器无响应"  # … shown once, in the interface's language
        assert t20.fault_full == "无脉冲 (+1)"  # 无脉冲 and 无时钟脉冲: two distinct faults
        assert t7.width() == TILE_W == t5.width() and t7.verdict.text() == "需复检"
        assert re.fullmatch(r"[+-]?\d+\.\d+ (%|s/d) / ±\d\.\d+ (%|s/d) @ .+", view.state.worst_text(1))

        # details on click: every point and every fault of the position
        qtbot.mouseClick(t7, Qt.MouseButton.LeftButton)
        assert view.details.isVisible() and view.details.position == 7
        assert view.details.faults.count() == 6
        qtbot.mouseClick(t5, Qt.MouseButton.LeftButton)
        points = view.details.points
        texts = [[points.item(i, j).text() for j in range(4)] for i in range(points.rowCount())]
        assert ["Ib 0.5L", "+2.6 %", "±2.0 %", "不合格"] in texts
        assert any(row[0].startswith("外观检查") for row in texts) and view.details.faults.count() == 0

        # tiles flow into as many columns as the width holds
        view.details.hide()
        wide = view.area.columns
        assert wide == view.area.columns_for(view.area.viewport().width()) and wide >= 5
        view.resize(800, 700)
        qtbot.waitUntil(lambda: view.area.columns < wide)
        cols = view.area.columns
        assert cols == view.area.columns_for(view.area.viewport().width())
        assert view.area.grid.getItemPosition(view.area.grid.indexOf(view.tiles[cols + 1]))[:2] == (1, 0)
        view.resize(1366, 700)
        qtbot.waitUntil(lambda: view.area.columns == wide)

        # re-test: a position with a conclusion is refused in words, nothing is started
        runs = len(controller.store.runs())
        view.set_selection([1, 7])
        assert view.matrix.selected_positions() == [1, 7] and view.tiles[1].select.isChecked()
        click(qtbot, view.retest_btn)
        assert "表位 1 已有结论" in view.message.text() and len(controller.store.runs()) == runs

        # the 需复检 positions, chosen on the tiles, re-tested once their meters answer again
        view.set_selection([])
        click(qtbot, view.select_retest_btn)
        assert sorted(view.selected) == [7, 20] and view.matrix.selected_positions() == [7, 20]
        view.sim_overrides = {"meter_bench": {"dead": [], "stuck": []}}
        follow = ""

        def retest() -> None:
            nonlocal follow
            click(qtbot, view.retest_btn)
            follow = view.run_id if view.run_id != first else ""

        summary2 = _run(qtbot, bridge, retest)
    finally:
        bridge.shutdown()
    assert summary2.status == "finished", summary2.message  # type: ignore[attr-defined]
    follow = view.run_id
    assert follow != first and controller.store.get_run(follow).retest_of == first
    assert sorted(view.state.positions) == [7, 20] and view.matrix.rowCount() == 2
    assert {p: s.verdict for p, s in view.state.positions.items()} == {7: "pass", 20: "pass"}
    assert "复检：原检定" in view.link.text() and "2 表位" in view.heading.text()

    # the first run, shown again: its readings as they were, positions 7 and 20 re-tested
    view.load_run(first)
    assert view.matrix.rowCount() == POSITIONS and view.state.positions[7].follow_up == follow
    assert view.tiles[7].verdict.text() == "已复检 合格" and "表位 7, 20 已复检" in view.link.text()
    assert view.matrix.state_of(7, col) == "fault"
