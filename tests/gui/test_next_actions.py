"""After a failing run (the ac demo's failing post, as ``make demo-fail`` runs it) the GUI offers the
next actions: the 检定结果通知书 opened where its next step is, a re-test of the same instrument, and
an adjusted re-verification whose run is linked to the failed one (refused without a note of what
was adjusted). The status bar's clock has stopped with the run's elapsed time."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from bench.accounts import demo_signers
from bench.adjustment import adjustment_link
from bench.cli import DEMO_FAIL
from bench.controller import Controller
from bench.station import example_station_path
from gui.app import App
from gui.views.next_actions import NextActions, offer_next_actions
from procedures.regulations.tables import merged
from tests.gui.conftest import click, commit_text, fast_station
from tests.gui.test_run_gui import _drive

pytestmark = pytest.mark.timeout(120)


def _failing_station(_path: Any) -> Any:
    st = fast_station("ac")
    st.raw["sim"] = merged(st.raw["sim"], DEMO_FAIL["ac"])
    return st


def test_next_actions_after_a_failing_run(qtbot: QtBot, controller: Controller, gui_settings: QSettings) -> None:
    qapp = QApplication.instance()
    assert isinstance(qapp, QApplication)
    # as on a real station: the notice stays a draft for the approval page (no demo issuing)
    app = App(qapp, controller, sim=False, stations={"ac": example_station_path("ac")}, store=gui_settings)
    qtbot.addWidget(app.window)
    app.window.show()
    view = app.run_view
    view.prepare_station = _failing_station
    summaries: list[Any] = []
    app.bridge.run_done.connect(summaries.append)
    click(qtbot, view.start_btn)
    _drive(qtbot, app, lambda: bool(summaries))
    summary = summaries[0]
    assert summary.status == "finished" and summary.record.conclusion == "不合格"
    qtbot.waitUntil(lambda: getattr(app.window, "next_actions", None) is not None)
    box = app.window.next_actions
    assert isinstance(box, NextActions) and box.isVisible()
    assert summary.record.certificate_no in box.heading.text() and "工作误差" in box.heading.text()
    clock = app.status_bar.labels["clock"].text()
    assert clock.startswith("用时 ") and clock.endswith("(已停)")  # the run's time, stopped with it
    labels = app.status_bar.labels  # the status bar followed the run's events through the bridge
    assert labels["devices"].text() == "设备空闲 · 模拟"
    assert labels["environment"].text().startswith("温度 23.5 °C (")  # the room as entered, with its limits

    click(qtbot, box.adjust_button)  # no note: refused, the box stays
    assert box.isVisible() and "调整或修理情况" in box.message.text()
    commit_text(qtbot, box.note, "更换计量芯片后校准")
    click(qtbot, box.adjust_button)
    assert not box.isVisible() and app.window.current_key() == "run"
    assert view.next_adjustment == (summary.run_id, "更换计量芯片后校准")
    assert view.status.text().startswith("调整后重新检定 SIM0001")
    click(qtbot, view.start_btn)  # the adjusted run is prepared linked to the failed one
    run_id = view.run_id
    assert run_id is not None and run_id != summary.run_id and view.next_adjustment is None
    link = adjustment_link(controller.store.get_run(run_id).params_json)
    assert link is not None and link["after_run"] == summary.run_id and link["note"] == "更换计量芯片后校准"
    click(qtbot, view.abort_btn)
    qtbot.waitUntil(lambda: len(summaries) == 2, timeout=30_000)

    again = offer_next_actions(app.window, view, summary)
    assert again is not None
    click(qtbot, again.retest_button)
    assert app.window.current_key() == "run" and view.next_adjustment is None and view.serial.text() == "SIM0001"
    number = summary.record.certificate_no
    notice = offer_next_actions(app.window, view, summary)
    assert notice is not None
    click(qtbot, notice.notice_button)  # a draft: the approval page, as 核验员, at the notice
    approval = app.window.page("approval")
    assert app.window.current_key() == "approval" and approval.current_role() == "checker"
    assert approval.current() is not None and approval.current().number == number
    people = fast_station("ac").section("people")
    signers = demo_signers(controller.store, people)
    controller.approve_and_issue(number, signers["checker"], signers["approver"])
    issued = offer_next_actions(app.window, view, summary)
    assert issued is not None
    click(qtbot, issued.notice_button)  # once issued: the certificates page shows it
    assert app.window.current_key() == "certificates"
    assert app.window.page("certificates").current_number() == number
    assert offer_next_actions(app.window, view, summaries[1]) is None  # an aborted run offers nothing
    app.close()
