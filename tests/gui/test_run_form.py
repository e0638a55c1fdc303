"""The run form's edition, verification type and task link, driven through the widgets against the
twins (the ac demo station: Modbus TCP + OCPP on loopback) and the REAL reference platform (bookings
pulled over HTTP): a non-default edition and type reach the stored run; 检定此任务 on an accepted
booking opens the run page with the task linked and its serial proposed, and the run carries the
booking; a booking not accepted is refused with the controller's own message; the link can be cleared."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from pytestqt.qtbot import QtBot

from bench.accounts import demo_account
from bench.catalog import regulation_choices
from bench.controller import Controller
from gui.views.tasks_view import TasksView
from tests.gui.conftest import log_in_row
from tests.gui.test_run_gui import _app, _drive
from tests.sync.kit import Platform, running_platform

pytestmark = pytest.mark.timeout(150)

AC_POST = {"serial": "SIM0001", "name": "交流充电桩", "model": "JD-AC7", "category": "充电桩"}


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    with running_platform(f"sqlite:///{tmp_path / 'platform.db'}") as p:
        yield p


def _items(combo: Any) -> list[str]:
    return [combo.itemText(i) for i in range(combo.count())]


def _click(qtbot: QtBot, button: Any) -> None:
    assert button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_catalog_reads_the_tables() -> None:
    """The one function the CLI and the GUI share: editions in table order with their codes, the
    default edition, and the types with their Chinese and English names."""
    fuel = regulation_choices("jjg443")
    assert [(c.key, c.zh) for c in fuel.editions] == [("2023", "JJG 443-2023"), ("2015", "JJG 443-2015"),
                                                      ("2006", "JJG 443-2006")]
    assert fuel.default_edition == "2023"
    assert [(c.key, c.zh, c.en) for c in fuel.types] == [("first", "首次检定", "first verification"),
                                                         ("subsequent", "后续检定", "subsequent verification"),
                                                         ("in_use", "使用中检查", "in-service inspection")]
    with pytest.raises(KeyError):
        regulation_choices("jjg0")


def test_edition_and_type_chosen_on_the_form_reach_the_run(qtbot: QtBot, controller: Controller,
                                                           gui_settings: QSettings) -> None:
    app = _app(qtbot, controller, gui_settings)
    view = app.run_view
    assert view.regulation.currentData() == "jjg1148"  # the ac station's regulation
    assert _items(view.edition) == ["JJG 1148-2022", "JJG 1148-2018"] and view.edition.currentData() == "2022"
    assert _items(view.vtype) == ["首次检定", "后续检定", "使用中检查"] and view.vtype.currentData() == "first"
    # another regulation refills both, its table's default edition chosen
    view.edition.setCurrentIndex(1)
    view.regulation.setCurrentIndex(view.regulation.findData("jjg443"))
    assert _items(view.edition) == ["JJG 443-2023", "JJG 443-2015", "JJG 443-2006"]
    assert view.edition.currentData() == "2023"
    view.regulation.setCurrentIndex(view.regulation.findData("jjg1148"))
    assert view.edition.currentData() == "2022"
    # the technician picks the 2018 edition and 后续检定 with the keyboard: the labels' mnemonics
    # (规程版本(&E), 检定类别(&K)) reach the combos, the arrow keys choose
    with qtbot.waitActive(app.window):
        app.window.activateWindow()
    qtbot.keyClick(app.window, Qt.Key.Key_E, Qt.KeyboardModifier.AltModifier)
    assert app.window.focusWidget() is view.edition
    qtbot.keyClick(view.edition, Qt.Key.Key_Down)
    qtbot.keyClick(app.window, Qt.Key.Key_K, Qt.KeyboardModifier.AltModifier)
    assert app.window.focusWidget() is view.vtype
    qtbot.keyClick(view.vtype, Qt.Key.Key_Down)
    assert (view.edition.currentText(), view.vtype.currentText()) == ("JJG 1148-2018", "后续检定")
    summaries: list[Any] = []
    app.bridge.run_done.connect(summaries.append)
    _click(qtbot, view.start_btn)
    assert view.run_id is not None, view.status.text()
    run = controller.store.get_run(view.run_id)
    assert (run.edition, run.verification_type) == ("2018", "subsequent")
    assert not view.edition.isEnabled() and not view.vtype.isEnabled()  # locked while the run executes
    _click(qtbot, view.abort_btn)
    qtbot.waitUntil(lambda: bool(summaries), timeout=10_000)
    assert summaries[0].status == "aborted"
    assert view.edition.isEnabled() and view.edition.currentData() == "2018"  # the choice stays for a restart
    app.close()


def test_verify_an_accepted_task_links_the_run(qtbot: QtBot, controller: Controller, gui_settings: QSettings,
                                               platform: Platform) -> None:
    controller.platform_section = {"url": platform.url, "token": platform.token}
    b1 = platform.booking(user_unit="甲充电运营公司", instruments=[AC_POST])["booking_id"]
    b2 = platform.booking(user_unit="乙充电运营公司")["booking_id"]
    app = _app(qtbot, controller, gui_settings)
    tasks = app.window.page("tasks")
    assert isinstance(tasks, TasksView)
    app.window.show_page("tasks")
    _click(qtbot, tasks.pull_button)
    qtbot.waitUntil(lambda: len(tasks.rows) == 2, timeout=30_000)
    assert [(t.booking_id, t.serials) for t in tasks.rows] == [(b1, ("SIM0001",)), (b2, ("AC-0001",))]
    tasks.select(b1)
    assert not tasks.verify_button.isEnabled()  # booked, not yet accepted
    demo_account(controller.store, "wang", "verifier")
    log_in_row(qtbot, tasks.login_row, "wang")
    _click(qtbot, tasks.accept_button)
    tasks.select(b1)
    assert tasks.verify_button.isEnabled()
    view = app.run_view
    view.serial.clear()  # the booking's serial, not the station's proposal, fills the field
    assert view.task_info.text() == "未关联任务 (可在任务页选择)" and not view.clear_task_btn.isEnabled()
    _click(qtbot, tasks.verify_button)  # 检定此任务(&V)
    assert app.window.current_key() == "run"
    assert view.task_info.text() == f"任务: {b1}" and view.serial.text() == "SIM0001"
    assert view.clear_task_btn.isEnabled()

    summaries: list[Any] = []
    app.bridge.run_done.connect(summaries.append)
    _click(qtbot, view.start_btn)
    run_id = view.run_id
    assert run_id is not None, view.status.text()
    assert controller.store.get_run(run_id).booking_id == b1  # the run carries the booking
    assert next(t for t in controller.tasks() if t.booking_id == b1).run_id == run_id
    _drive(qtbot, app, lambda: bool(summaries))
    assert summaries[0].status == "finished", summaries[0].message
    assert view.task_id is None and view.task_info.text() == "未关联任务 (可在任务页选择)"  # served: unlinked
    app.close()


def test_task_not_accepted_is_refused_and_a_link_can_be_cleared(qtbot: QtBot, controller: Controller,
                                                                gui_settings: QSettings, platform: Platform) -> None:
    controller.platform_section = {"url": platform.url, "token": platform.token}
    booked = platform.booking(instruments=[AC_POST])["booking_id"]
    app = _app(qtbot, controller, gui_settings)
    tasks = app.window.page("tasks")
    assert isinstance(tasks, TasksView)
    _click(qtbot, tasks.pull_button)
    qtbot.waitUntil(lambda: len(tasks.rows) == 1, timeout=30_000)
    view = app.run_view
    view.link_task(booked, "SIM0001")  # e.g. linked before the booking's decision was taken back
    _click(qtbot, view.start_btn)
    assert view.run_id is None and not app.bridge.busy
    assert view.status.text().startswith("错误: ")
    assert f"预约 {booked} 状态为 booked，须先受理" in view.status.text()  # the controller's own words
    assert controller.run_list() == []  # nothing was prepared

    assert view.clear_task_btn.isEnabled()
    view.clear_task_btn.setFocus()
    qtbot.keyClick(view.clear_task_btn, Qt.Key.Key_Space)  # 取消关联(&U) from the keyboard
    assert view.task_id is None and not view.clear_task_btn.isEnabled()
    assert view.task_info.text() == "未关联任务 (可在任务页选择)"
    app.close()
