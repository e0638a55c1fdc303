"""The bench grid during a real JJG 577 run: the engine runs on its own thread through the GUI's
EngineBridge against the 6-position gas-meter twin (Modbus TCP on loopback); the grid's tiles fill
from MeasurementRecorded events as they arrive (each carrying result.position), a meter 4 % off at
qmin shows 不合格 at position 2, a meter without pulses shows 需复检 (re-test) at position 4 with
its fault, and the others 合格 — in words on every tile, not colour alone."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from bench.controller import Controller, RunRequest
from bench.station import example_station_path
from gui.app import App
from gui.bridge import EngineBridge
from gui.views.bench_grid import BenchGrid
from procedures.engine import MeasurementRecorded, OperatorPrompt
from tests.gui.conftest import click, fast_station
from tests.gui.test_views import GAS_FAIL, gas_run

pytestmark = pytest.mark.timeout(180)


def test_grid_follows_a_bench_run_and_marks_retest(qtbot: QtBot, controller: Controller) -> None:
    bridge = EngineBridge(controller)
    grid = BenchGrid(controller, bridge)
    qtbot.addWidget(grid)
    seen: list[int] = []  # positions of the measurements the grid was shown, in order

    def live(ev: object) -> None:
        if isinstance(ev, MeasurementRecorded) and ev.result.position is not None:
            tile = grid.tiles[ev.result.position]
            seen.append(ev.result.position)
            cols = [c for c in grid.state.columns if (c.step_key, c.name, c.label) ==
                    (ev.step_key, ev.result.name, ev.result.label)]
            if cols and ev.result.rounded not in ("", "—"):  # the matrix shows this very error
                assert grid.matrix.item(list(grid.state.positions).index(ev.result.position),
                                        grid.state.columns.index(cols[0])).text() == ev.result.rounded
            assert tile.isVisible() or not grid.isVisible()

    def answer(prompt: OperatorPrompt) -> None:  # the technician confirms the appearance checklist
        assert prompt.kind == "checklist", prompt.text
        bridge.answer(prompt.prompt_id, dict.fromkeys(prompt.items, True))

    bridge.measurement.connect(live)  # connected after the grid's own slot: runs once the tile is updated
    bridge.prompt.connect(answer)
    try:
        run_id = bridge.prepare(RunRequest(station=fast_station("gas"), regulation="jjg577", sim_overrides=GAS_FAIL))
        with qtbot.waitSignal(bridge.run_done, timeout=60000) as done:
            bridge.start(run_id)
        summary = done.args[0]
    finally:
        bridge.shutdown()
    assert summary.status == "finished", summary.message
    assert sorted(grid.tiles) == [1, 2, 3, 4, 5, 6]
    assert set(seen) == {1, 2, 3, 4, 5, 6}  # every position was updated live

    states = {p: s.verdict for p, s in grid.state.positions.items()}
    assert states == {1: "pass", 2: "fail", 3: "pass", 4: "retest", 5: "pass", 6: "pass"}
    assert grid.retest_positions() == [4]
    assert grid.tiles[4].verdict.text() == "需复检"
    assert any("表位 4" in m for m in grid.state.positions[4].faults)  # the fault, as the procedure worded it
    assert grid.tiles[2].verdict.text() == "不合格" and grid.tiles[1].verdict.text() == "合格"
    assert grid.summary.text() == "合格 4  不合格 1  需复检 1  共 6   不合格: 表位 2   需复检: 表位 4"
    assert grid.tiles[4].accessibleName().startswith("表位 4：需复检")

    # the same grid rebuilt from the store after the fact (another session, a restart)
    again = BenchGrid(controller)
    qtbot.addWidget(again)
    again.load_run(run_id)
    assert {p: s.verdict for p, s in again.state.positions.items()} == states
    assert again.state.columns == grid.state.columns  # every point, from the store
    assert again.state.worst_text(2) == grid.state.worst_text(2) and "@" in grid.state.worst_text(2)


def test_bench_page_opens_the_last_bench_run_and_retests_on_the_run_page(qtbot: QtBot, controller: Controller,
                                                                          gui_settings: QSettings) -> None:
    """In the assembled window: the 表位 page, shown after a restart, opens the newest bench run
    from the store; 复检所选 starts the follow-up on the run page (where its prompts are answered),
    the bench page follows it, and the first run's position 4 then reads 已复检."""
    first = gas_run(controller, GAS_FAIL).run_id
    qapp = QApplication.instance()
    assert isinstance(qapp, QApplication)
    app = App(qapp, controller, sim=True, stations={"gas": example_station_path("gas")}, store=gui_settings)
    qtbot.addWidget(app.window)
    try:
        app.window.show_page("bench")
        view = app.window.page("bench")
        assert isinstance(view, BenchGrid) and view.run_id == first and view.state.retest() == [4]
        app.bridge.prompt.connect(lambda p: app.bridge.answer(p.prompt_id, dict.fromkeys(p.items, True)))
        view.sim_overrides = {"flow_bench": {"no_pulses": []}}  # the meter re-seated: it gives pulses
        click(qtbot, view.select_retest_btn)
        with qtbot.waitSignal(app.bridge.run_done, timeout=60000) as done:
            click(qtbot, view.retest_btn)
            assert app.window.current_key() == "run" and app.run_view.run_id != first
        assert done.args[0].status == "finished" and [p.position for p in done.args[0].positions] == [4]
        assert view.run_id == app.run_view.run_id and controller.follow_ups(first)[4].run_id == view.run_id
        assert view.state.positions[4].verdict == "pass" and list(view.state.positions) == [4]
        view.load_run(first)
        assert view.tiles[4].verdict.text() == "已复检 合格" and "表位 4 已复检" in view.link.text()
    finally:
        app.close()
