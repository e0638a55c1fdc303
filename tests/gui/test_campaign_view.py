"""The campaign page (gui/views/campaign_view.py) driven through its widgets over a real controller
and store: the campaign with late deadlines first, its next deadline in large type, the deadlines
with the next first and then the late ones, and 标记完成 recording one (a chained oversight event)."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from bench.accounts import demo_account
from bench.campaign import DONE_EVENT
from bench.controller import Controller
from gui.views.campaign_view import CampaignPage
from tests.gui.conftest import commit_text, log_in_row

DAY = date(2024, 7, 15)


def _row(page: CampaignPage, i: int) -> list[str]:
    return [page.table.item(i, j).text() for j in range(page.table.columnCount())]


def test_campaign_page_shows_next_and_late_and_marks_done(qtbot: QtBot, controller: Controller) -> None:
    demo_account(controller.store, "张三", "approver")
    demo_account(controller.store, "李四", "verifier")
    page = CampaignPage(controller, person="张三")
    qtbot.addWidget(page)
    log_in_row(qtbot, page.login_row, "张三")  # who records a deadline done: a logged-in 批准人
    page.refresh(as_of=DAY)
    # Wushen has 3 deadlines late on 15 July (28 June, 1 July, 14 July), Yueyang 2023 two, Yueyang 2024 none
    assert [page.chooser.itemData(i) for i in range(page.chooser.count())] == [
        "wushen-2024-sanbiao-fuel", "yueyang-2023-qiangjian", "yueyang-2024-sanbiao"]
    assert page.next_label.text() == "下一截止：2024-07-28 工作进展情况报送（还有 13 天）"
    assert "当前阶段：集中整治阶段" in page.counts_label.text() and "逾期未完成 3" in page.counts_label.text()
    assert _row(page, 0)[:3] == ["待完成", "2024-07-28", "工作进展情况报送"]  # the next deadline first
    assert _row(page, 1) == ["逾期未完成", "2024-06-28", "工作进展情况报送", "已逾期 17 天", ""]
    assert _row(page, 2)[:2] == ["逾期未完成", "2024-07-01"]
    assert not page.done_button.isEnabled()  # nothing selected

    page.table.selectRow(1)
    assert page.done_button.isEnabled()
    page.note.setText("电子邮件报送")
    qtbot.mouseClick(page.done_button, Qt.MouseButton.LeftButton)
    assert page.message.text() == "已记为完成：工作进展情况报送"
    events = [e for e in controller.store.oversight_events() if e.kind == DONE_EVENT]
    assert [(e.client, e.occurred_on, e.actor, e.note) for e in events] == [
        ("progress@2024-06-28", DAY, "张三", "电子邮件报送")]
    rows = [_row(page, i) for i in range(page.table.rowCount())]
    assert ["逾期完成", "2024-06-28", "工作进展情况报送", "", "2024-07-15 完成 电子邮件报送"] in rows
    assert "逾期未完成 2" in page.counts_label.text()
    page.table.selectRow(rows.index(["逾期完成", "2024-06-28", "工作进展情况报送", "", "2024-07-15 完成 电子邮件报送"]))
    assert not page.done_button.isEnabled()  # done already

    commit_text(qtbot, page.login_row.name, "李四")  # another name typed: nobody is logged in
    page.table.selectRow(0)
    qtbot.mouseClick(page.done_button, Qt.MouseButton.LeftButton)
    assert "须登录" in page.message.text()
    log_in_row(qtbot, page.login_row, "李四")  # a 检定员 does not record the institution's report sent
    qtbot.mouseClick(page.done_button, Qt.MouseButton.LeftButton)
    assert "无批准人或管理员权限" in page.message.text()
    assert len([e for e in controller.store.oversight_events() if e.kind == DONE_EVENT]) == 1
