"""The ledger page (gui/views/ledger_view.py) driven through its widgets against a real store behind
the controller: the instruments with their status (last verification, valid until), the category
filter and the search, and 民用 / 备案 / 投用日期 changed for one instrument — refused without a
person and for a future date, then saved and audited with before and after."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from PySide6.QtCore import QDate
from pytestqt.qtbot import QtBot

from bench.accounts import demo_account
from bench.controller import Controller
from gui.views.ledger_view import LedgerView
from tests.bench.test_oversight import _inst, _run
from tests.gui.conftest import click, commit_text, log_in_row

pytestmark = pytest.mark.timeout(60)


def test_ledger_facts_changed_through_the_page(qtbot: QtBot, controller: Controller) -> None:
    store = controller.store
    meter = _inst(store, "E-100", "电能表", client="供电公司")
    _inst(store, "W-200", "水表", client="水务")
    _inst(store, "A-300", "交流充电桩", client="岳阳充电公司")
    _run(store, "e100", meter, "jjg596", date(2026, 3, 2), [0.5])
    view = LedgerView(controller, person="")
    qtbot.addWidget(view)
    view.refresh()
    assert [r.serial for r in view.rows] == ["A-300", "W-200", "E-100"]  # by category (交 < 水 < 电), serial
    e100 = next(r for r in view.rows if r.serial == "E-100")
    assert e100.last_verified == date(2026, 3, 2) and e100.valid_until is not None
    row = [r.serial for r in view.rows].index("E-100")
    assert view.table.item(row, 7).text() == "2026-03-02" and view.table.item(row, 9).text().startswith(
        e100.valid_until.isoformat())

    view.category.setCurrentIndex(view.category.findData("水表"))
    assert [r.serial for r in view.rows] == ["W-200"]
    view.category.setCurrentIndex(0)
    commit_text(qtbot, view.search, "供电")  # the 使用单位
    assert [r.serial for r in view.rows] == ["E-100"]

    view.select("E-100")
    assert view.save_button.isEnabled() and view.household.currentData() is None and not view.commissioned_known.isChecked()
    view.household.setCurrentIndex(view.household.findData(True))
    view.filing.setCurrentIndex(view.filing.findData("已备案"))
    view.commissioned_known.setChecked(True)
    tomorrow = date.today() + timedelta(days=1)
    view.commissioned.setDate(QDate(tomorrow.year, tomorrow.month, tomorrow.day))
    click(qtbot, view.save_button)
    assert "须登录" in view.message.text()  # nobody logged in
    demo_account(store, "李检定", "verifier")
    log_in_row(qtbot, view.login_row, "李检定")
    click(qtbot, view.save_button)
    assert "晚于今天" in view.message.text()  # a commissioning date in the future
    assert store.get_instrument(meter.id or 0).household is None  # nothing written
    view.commissioned.setDate(QDate(2023, 4, 1))
    click(qtbot, view.save_button)
    assert "已保存" in view.message.text()

    kept = store.get_instrument(meter.id or 0)
    assert (kept.household, kept.filing_status, kept.commissioned_on) == (True, "已备案", date(2023, 4, 1))
    shown = view.current()
    assert shown.serial == "E-100" and view.table.item(0, 4).text() == "是" and view.table.item(0, 6).text() == "2023-04-01"
    change = [e for e in store.audit_log() if e.action == "ledger.update"][-1]
    assert change.actor == "李检定"
    detail = json.loads(change.detail)
    assert "household" in json.dumps(detail, ensure_ascii=False) and "2023-04-01" in change.detail
    # cleared again: 民用 and 投用日期 back to 未填
    view.household.setCurrentIndex(view.household.findData(None))
    view.commissioned_known.setChecked(False)
    click(qtbot, view.save_button)
    kept = store.get_instrument(meter.id or 0)
    assert (kept.household, kept.filing_status, kept.commissioned_on) == (None, "已备案", None)
