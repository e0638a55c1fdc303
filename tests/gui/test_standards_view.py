"""The standards page (gui/views/standards_view.py) driven through its widgets against a real store:
expired certificates red, those due within the warning days amber (the days configurable), a standard
added and one renewed with its new calibration certificate through the form (refusals shown in the
form), entries disabled for a logged-in 检定员 and enabled for an administrator, and the run page's
refusal on an expired standard offering a button that opens this page."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, QSettings
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox
from pytestqt.qtbot import QtBot

from bench.accounts import Accounts
from bench.controller import Controller
from bench.station import example_station_path
from gui.views.standards_view import STATE_COLOURS, StandardsView
from tests.gui.conftest import click, commit_text

pytestmark = pytest.mark.timeout(60)
TODAY = date.today()


def _qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


def _cell(view: StandardsView, key: str, column: int) -> tuple[str, str]:
    row = [r.key for r in view.rows].index(key)
    item = view.table.item(row, column)
    return item.text(), item.background().color().name()


@pytest.fixture
def ctl(tmp_path: Path) -> Controller:
    """A store with one expired, one due (20 days) and one valid (200 days) standard."""
    c = Controller.open(tmp_path / "s.db", tmp_path / "out")
    for serial, days in (("OLD-1", -3), ("DUE-1", 20), ("OK-1", 200)):
        c.store.add_standard(name=f"标准器{serial}", model="M", serial=serial, certificate_no=f"C-{serial}",
                             calibrated_on=TODAY - timedelta(days=300), valid_until=TODAY + timedelta(days=days))
    return c


def test_expiry_colours_and_warning_days(qtbot: QtBot, ctl: Controller) -> None:
    view = StandardsView(ctl)
    qtbot.addWidget(view)
    red, amber = STATE_COLOURS["expired"][0], STATE_COLOURS["due"][0]
    assert _cell(view, "OLD-1", 6) == ("已过期 3 天", red)
    assert _cell(view, "DUE-1", 6) == ("20 天后到期", amber)
    assert _cell(view, "DUE-1", 5)[1] == amber  # the due date too
    text, colour = _cell(view, "OK-1", 6)
    assert text == "有效 (剩 200 天)" and colour not in (red, amber)
    assert "已过期 1 项" in view.legend.text() and "30 天内到期 1 项" in view.legend.text()
    view.warn_days.setValue(10)  # configurable: 20 days left is no longer due
    assert ctl.standards_warn_days == 10
    assert _cell(view, "DUE-1", 6)[1] not in (red, amber)
    view.warn_days.setValue(250)
    assert _cell(view, "OK-1", 6) == ("200 天后到期", amber)
    ctl.store.add_setup(name="电动汽车交流充电桩检定装置（社会公用计量标准）", certificate_kind="社会公用计量标准证书",
                        certificate_no="[2026]示社量标证字第001号", issued_by="示例省市场监督管理局计量处",
                        valid_until=TODAY + timedelta(days=900))
    view.resize(900, 500)  # narrower than its text (the test font is smaller than the app's): the columns give way
    view.show()
    qtbot.waitExposed(view)
    view.refresh()
    assert sum(view.table.sizeHintForColumn(c) for c in range(8)) > view.table.viewport().width()  # too wide as text
    assert sum(view.table.columnWidth(c) for c in range(8)) <= view.table.viewport().width()


def test_add_and_renew_through_the_form(qtbot: QtBot, ctl: Controller) -> None:
    view = StandardsView(ctl)
    qtbot.addWidget(view)
    changed: list[bool] = []
    view.changed.connect(lambda: changed.append(True))
    click(qtbot, view.add_button)
    dialog = view.dialog
    assert dialog is not None and dialog.isVisible()
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    commit_text(qtbot, dialog.name, "标准电能表")
    for field, text in ((dialog.model, "PWS-3"), (dialog.serial, "NEW-1"), (dialog.certificate_no, "CAL-2026-77")):
        field.setText(text)
    dialog.valid_until.setDate(_qdate(TODAY - timedelta(days=1)))
    click(qtbot, ok)
    assert dialog.isVisible() and "应晚于校准日期" in dialog.message.text()  # refused, said in the form
    dialog.valid_until.setDate(_qdate(TODAY + timedelta(days=365)))
    click(qtbot, ok)
    assert not dialog.isVisible() and changed
    assert ctl.store.standard("NEW-1") is not None and "已登记" in view.message.text()
    assert view.current() is not None and view.current().key == "NEW-1"

    view.select("OLD-1")
    click(qtbot, view.renew_button)
    renew = view.dialog
    assert renew is not None and renew.mode == "renew" and not renew.serial.isVisible()
    assert renew.certificate_no.text() == ""  # the new certificate is typed, not the old one kept
    renew.certificate_no.setText("C-OLD-1-2026")
    renew.calibrated_on.setDate(_qdate(TODAY))
    renew.valid_until.setDate(_qdate(TODAY + timedelta(days=365)))
    click(qtbot, renew.buttons.button(QDialogButtonBox.StandardButton.Ok))
    assert not renew.isVisible()
    assert _cell(view, "OLD-1", 4)[0] == "C-OLD-1-2026"
    assert _cell(view, "OLD-1", 6) == ("有效 (剩 365 天)", _cell(view, "OK-1", 6)[1])
    assert ctl.store.usable_standards(["OLD-1"], TODAY)
    assert any(e.action == "standard.renew" and "C-OLD-1" in e.detail for e in ctl.store.audit_log())


def test_entries_need_an_administrator(qtbot: QtBot, ctl: Controller) -> None:
    accounts = Accounts(ctl.store)
    admin = accounts.add("管理员", "administrator", "admin-secret", None)
    accounts.add("张三", "verifier", "pin-123456", admin)
    ctl.act_as(accounts.authenticate("张三", "pin-123456"))
    view = StandardsView(ctl)
    qtbot.addWidget(view)
    view.select("OLD-1")
    assert not view.add_button.isEnabled() and not view.renew_button.isEnabled()
    assert "张三" in view.role.text() and "管理员" in view.role.text()
    assert view.renew_selected() is None
    ctl.act_as(accounts.authenticate("管理员", "admin-secret"))
    view.refresh()
    assert view.add_button.isEnabled() and view.renew_button.isEnabled()


def test_a_refused_run_opens_the_standards_page(qtbot: QtBot, ctl: Controller, gui_settings: QSettings) -> None:
    from gui.app import App

    ac = example_station_path("ac")
    for serial in ("JDSIM-REF-0001", "JDSIM-TS-0001"):  # the demo's standards, expired yesterday
        ctl.store.add_standard(name=serial, model="M", serial=serial, certificate_no=f"C-{serial}",
                               calibrated_on=TODAY - timedelta(days=400), valid_until=TODAY - timedelta(days=1))
    qapp = QApplication.instance()
    assert isinstance(qapp, QApplication)
    app = App(qapp, ctl, stations={"ac": ac}, store=gui_settings)
    try:
        window = app.window
        assert "standards" in window.page_keys()
        app.run_view.start()
        box = getattr(window, "standards_refusal", None)
        assert isinstance(box, QMessageBox) and box.isVisible()
        assert "校准已过期" in box.text()
        go = next(b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.AcceptRole)
        click(qtbot, go)
        assert window.current_key() == "standards"
    finally:
        app.close()
