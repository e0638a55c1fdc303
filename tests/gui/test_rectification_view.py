"""The rectification page (gui/views/rectification_view.py) driven through its widgets against a real
store behind the controller: items a recorded event and the overdue scan opened, the status filter,
the owner's report refused for another unit and accepted for the owner, the verification refused to
the owner and the reporter, then closed; the status and counts on the page follow each step."""

from __future__ import annotations

from datetime import date

import pytest
from pytestqt.qtbot import QtBot

from bench.accounts import demo_account
from bench.controller import Controller
from bench.oversight import record_event
from bench.rectification_report import open_from_event
from gui.views.rectification_view import RectificationView
from tests.gui.conftest import click, commit_text, log_in_row

pytestmark = pytest.mark.timeout(60)
OWNER = "岳阳石化"


def test_items_reported_verified_and_refused_through_the_page(qtbot: QtBot, controller: Controller) -> None:
    store = controller.store
    ev = record_event(store, "violation", "加油站", 1, date(2026, 7, 3), client=f"{OWNER}／城南加油站",
                      note="铅封破坏")
    late = open_from_event(store, ev.id or 0, by="赵执法", on=date(2026, 7, 3)).no  # due 24 July: overdue now
    store.add_instrument(category="燃油加油机", name="燃油加油机", model="JDSIM-DSP", serial="D-NEVER",
                         manufacturer="甲厂", accuracy_class="0.3", client="城北油站")
    demo_account(store, "孙站长", ["verifier", "checker"])  # also a reviewing role: the refusal below is the rule's
    demo_account(store, "钱核查", "checker")
    view = RectificationView(controller, person="孙站长")
    qtbot.addWidget(view)
    view.refresh()
    assert [r.no for r in view.rows] == [late] and view.rows[0].status == "overdue"
    assert view.table.item(0, 1).text() == "逾期未整改" and "逾期未整改 1" in view.counts_label.text()

    commit_text(qtbot, view.unit, "x")
    click(qtbot, view.scan_button)  # nobody logged in yet: a name in the field proves nothing
    assert "须登录" in view.message.text() and len(view.rows) == 1
    log_in_row(qtbot, view.login_row, "孙站长")
    click(qtbot, view.scan_button)  # 应检未检 today → one more item
    assert "新立整改项 1 项" in view.message.text()
    assert {r.instrument for r in view.rows} == {"加油站", "燃油加油机 D-NEVER"}
    view.filter.setCurrentIndex(view.filter.findData("overdue"))
    assert [r.no for r in view.rows] == [late]

    view.select(late)
    assert view.rectify_button.isEnabled() and not view.close_button.isEnabled()
    commit_text(qtbot, view.unit, "城北油站")  # not the owner of this item
    commit_text(qtbot, view.text, "已恢复铅封")
    click(qtbot, view.rectify_button)
    assert "only the owner" in view.message.text()
    commit_text(qtbot, view.unit, OWNER)
    click(qtbot, view.rectify_button)
    assert view.message.text().endswith("已整改待核查")
    view.filter.setCurrentIndex(view.filter.findData("rectified"))
    view.select(late)
    assert view.current().status == "rectified" and view.close_button.isEnabled()

    click(qtbot, view.close_button)  # the owner cannot verify its own rectification
    assert "不能核查自己" in view.message.text()
    commit_text(qtbot, view.unit, "岳阳楼区市场监管局")
    click(qtbot, view.close_button)  # nor the person who reported it
    assert "不能兼任核查人" in view.message.text()
    log_in_row(qtbot, view.login_row, "钱核查")
    click(qtbot, view.close_button)
    assert view.message.text().endswith("已验证关闭")
    view.filter.setCurrentIndex(0)
    closed = next(r for r in view.rows if r.no == late)
    assert closed.status == "closed" and [s.action for s in closed.steps] == ["opened", "rectified", "closed"]
    assert [s.actor for s in closed.steps][1:] == ["孙站长", "钱核查"]  # the logged-in accounts
    assert "已验证关闭 1" in view.counts_label.text() and "逾期未整改 0" in view.counts_label.text()
    view.select(late)
    assert not any(b.isEnabled() for b in (view.rectify_button, view.close_button, view.reject_button))
    # every step went into the outbox for the platform
    assert [o.key.rsplit(":", 1)[1] for o in store.outbox_items() if late in o.key] == ["1", "2", "3"]
