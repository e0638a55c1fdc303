"""The VIEWS pages driven through their widgets against the real thing: a JJG 577 bench run on the
gas-meter twin (Modbus TCP on loopback) drafts the certificates; the approval page checks, approves
and issues one as the station's people and shows the approval rules' refusals; the certificate page
renders the PDF with pypdfium2 and prints it (to a PDF printer); the task page pulls bookings from the
REAL reference platform over HTTP and decides them; the sync page pushes the issued certificate up;
the station page tests a device's connection (the twin answering, and a closed port failing)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QAbstractButton, QComboBox, QLineEdit, QTableWidget, QWidget
from pytestqt.qtbot import QtBot

from bench.accounts import DEMO_PASSWORD, demo_account
from bench.controller import Controller, RunRequest, RunSummary
from bench.operators import AutoOperator
from gui.views.approval_view import ApprovalView
from gui.views.certificate_view import CertificateView, print_pdf
from gui.views.station_view import StationView
from gui.views.sync_view import SyncView
from gui.views.tasks_view import TasksView
from tests.gui.conftest import click as _click
from tests.gui.conftest import commit_text as _name
from tests.gui.conftest import fast_station, log_in_row
from tests.sync.kit import Platform, running_platform

pytestmark = pytest.mark.timeout(180)

GAS_FAIL = {"flow_bench": {"curves": {"2": {"0.00625": 4.0, "0.2": 2.2, "1.0": 1.9}}, "no_pulses": [4]}}


def gas_run(controller: Controller, overrides: dict[str, object] | None = None) -> RunSummary:
    """A whole JJG 577 run on the 6-position gas twin; its certificates are drafts afterwards."""
    run_id = controller.prepare(RunRequest(station=fast_station("gas"), regulation="jjg577",
                                           sim_overrides=overrides or {}))
    return asyncio.run(controller.execute(run_id, AutoOperator({})))


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    with running_platform(f"sqlite:///{tmp_path / 'platform.db'}") as p:
        yield p


def _login(qtbot: QtBot, view: ApprovalView, name: str, password: str = DEMO_PASSWORD) -> None:
    """Type the account and password and press 登录."""
    _name(qtbot, view.person, name)
    view.password.clear()
    qtbot.keyClicks(view.password, password)
    _click(qtbot, view.login_button)


def _people(controller: Controller) -> None:
    """The gas station's people as demo accounts; 张检定 and 李核验 also hold the next role, so the
    refusals below are the rules of the chain, not a missing role."""
    for name, roles in (("张检定", ["verifier", "checker"]), ("李核验", ["checker", "approver"]), ("王批准", ["approver"])):
        demo_account(controller.store, name, roles)


def test_approval_by_role_with_the_rules_refusals(qtbot: QtBot, controller: Controller) -> None:
    _people(controller)
    summary = gas_run(controller)
    assert summary.status == "finished", summary.message
    view = ApprovalView(controller)
    qtbot.addWidget(view)
    view.refresh()
    assert view.current_role() == "checker"
    assert len(view.rows) == 6 and all(c.status == "draft" for c in view.rows)  # one draft per position
    number = view.rows[-1].number
    view.select(number)
    assert not view.approve_button.isEnabled() and not view.issue_button.isEnabled()  # not the checker's step

    _click(qtbot, view.check_button)  # nobody logged in
    assert "log in first" in view.message.text() and controller.certificate(number).status == "draft"
    _login(qtbot, view, "李核验", "wrong-password")
    assert "wrong name or password" in view.message.text() and view.account is None
    _login(qtbot, view, "张检定")  # the 检定员 of the certificate cannot check it, though they hold 核验员
    _click(qtbot, view.check_button)
    assert "不能兼任核验员" in view.message.text()
    assert controller.certificate(number).status == "draft"

    _login(qtbot, view, "李核验")
    _click(qtbot, view.check_button)
    assert controller.certificate(number).status == "checked"
    assert number not in [c.number for c in view.rows]  # the checker's list holds drafts only

    view.set_role("approver")
    view.select(number)
    assert not view.check_button.isEnabled()
    _click(qtbot, view.approve_button)  # still 李核验: the checker cannot approve
    assert "不能兼任批准人" in view.message.text()
    _login(qtbot, view, "王批准")
    _click(qtbot, view.approve_button)
    assert controller.certificate(number).status == "approved"
    view.select(number)
    _click(qtbot, view.issue_button)
    issued = controller.certificate(number)
    assert issued.status == "issued" and issued.approver == "王批准" and issued.checker == "李核验"
    assert issued.document is not None and issued.document.name == f"{number}.pdf"
    assert controller.sync_status().counts["pending"] == 1  # its upload waits in the outbox


def test_certificate_preview_and_print(qtbot: QtBot, controller: Controller, tmp_path: Path) -> None:
    gas_run(controller)
    view = CertificateView(controller)
    qtbot.addWidget(view)
    view.resize(1000, 700)
    view.refresh()
    assert len(view.rows) == 6
    view.select(view.rows[0].number)
    expected = len(pdfium.PdfDocument(controller.certificate_pdf(view.rows[0].number)))
    assert expected >= 2 and len(view.pages) == expected  # every page of the draft, rendered
    assert view.pages[0].width() > 800 and not view.pages[0].isNull()
    assert view.print_button.isEnabled()

    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    out = tmp_path / "printed.pdf"
    printer.setOutputFileName(str(out))
    assert print_pdf(view.pdf, printer) == expected
    assert len(pdfium.PdfDocument(out.read_bytes())) == expected


def test_tasks_pull_and_decide_then_sync_pushes(qtbot: QtBot, controller: Controller, platform: Platform) -> None:
    controller.platform_section = {"url": platform.url, "token": platform.token}
    b1 = platform.booking(user_unit="甲燃气公司")["booking_id"]
    b2 = platform.booking(user_unit="乙燃气公司")["booking_id"]
    demo_account(controller.store, "王受理", "verifier")
    demo_account(controller.store, "李核验", "checker")
    view = TasksView(controller, person="王受理")
    qtbot.addWidget(view)
    _click(qtbot, view.pull_button)
    qtbot.waitUntil(lambda: len(view.rows) == 2, timeout=30000)
    assert [t.booking_id for t in view.rows] == [b1, b2]  # booking order (先约先检)
    assert "新 2" in view.message.text()

    # the name in the field proves nothing: nobody decides until logged in, and only a 检定员 (or administrator)
    assert view.login_row.name.text() == "王受理" and view.login_row.account is None
    view.select(b1)
    _click(qtbot, view.accept_button)
    assert "须登录" in view.message.text() and controller.tasks()[0].status == "booked"
    log_in_row(qtbot, view.login_row, "王受理", "wrong-password")
    assert "wrong name or password" in view.login_row.state.text() and view.login_row.account is None
    log_in_row(qtbot, view.login_row, "李核验")
    _click(qtbot, view.accept_button)
    assert "无检定员或管理员权限" in view.message.text() and controller.tasks()[0].status == "booked"
    log_in_row(qtbot, view.login_row, "王受理")
    assert "王受理（检定员）" in view.login_row.state.text()

    view.select(b2)
    _click(qtbot, view.refuse_button)  # refusing needs a reason
    assert "理由" in view.message.text()
    assert controller.tasks()[1].status == "booked"
    _name(qtbot, view.reason, "器具不在本所授权范围内")
    _click(qtbot, view.refuse_button)
    assert controller.tasks()[1].status == "refused"
    view.select(b1)
    _click(qtbot, view.accept_button)
    assert controller.tasks()[0].status == "accepted" and controller.tasks()[0].decided_by == "王受理"
    assert not view.accept_button.isEnabled()  # decided

    sync = SyncView(controller, person="王受理")
    qtbot.addWidget(sync)
    sync.refresh()
    assert sync.counts["pending"] == 2 and len(sync.items) == 2  # the two decisions
    _click(qtbot, sync.push_button)
    qtbot.waitUntil(lambda: sync.counts["done"] == 2, timeout=30000)
    assert sync.counts["pending"] == 0
    assert all(i.kind == "decision" and i.status == "done" for i in sync.items)


def test_sync_push_without_platform_keeps_items_pending(qtbot: QtBot, controller: Controller) -> None:
    controller.platform_section = {"url": f"http://127.0.0.1:{_closed_port()}", "token": "x", "timeout_s": 1}
    controller.store.enqueue("ledger", "ledger:test", {"schema_version": "1", "instruments": []})
    view = SyncView(controller)
    qtbot.addWidget(view)
    view.refresh()
    assert view.counts["pending"] == 1
    _click(qtbot, view.push_button)
    qtbot.waitUntil(lambda: not view.pushing, timeout=30000)
    assert "平台不可用" in view.message.text()
    assert view.counts["pending"] == 1  # nothing lost


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_station_devices_and_connection_test(qtbot: QtBot, controller: Controller) -> None:
    station = fast_station("gas")
    view = StationView(controller, station)
    qtbot.addWidget(view)
    view.refresh()
    assert [d.name for d in view.devices] == ["bench"]
    dev = view.devices[0]
    assert dev.standard == "JDSIM-BELL-0001" and dev.standard_ok  # in date on the ledger
    assert view.table.item(0, view.STATUS_COLUMN).text() == "未测试"
    view.select("bench")
    _click(qtbot, view.test_button)
    qtbot.waitUntil(lambda: "bench" in view.results, timeout=30000)
    assert view.results["bench"].ok, view.results["bench"].message
    assert view.table.item(0, view.STATUS_COLUMN).text() == "连接正常"
    assert station.devices[0].config["port"] == 0  # the test worked on a copy of the station

    # a real (not simulated) station whose bench does not answer: the test fails with the device named
    dead = fast_station("gas")
    dead.raw["sim"]["enabled"] = False
    dead.devices[0].config.update(port=_closed_port(), timeout_s=0.3, retries=0)
    view.set_station(dead)
    view.select("bench")
    _click(qtbot, view.test_button)
    qtbot.waitUntil(lambda: "bench" in view.results, timeout=30000)
    assert not view.results["bench"].ok
    assert "bench" in view.results["bench"].message
    assert view.table.item(0, view.STATUS_COLUMN).text() == "连接失败"


def test_keyboard_only_check_and_accessible_glove_sized_controls(qtbot: QtBot, controller: Controller) -> None:
    _people(controller)
    gas_run(controller)
    view = ApprovalView(controller, person="李核验")
    qtbot.addWidget(view)
    _login(qtbot, view, "李核验")
    with qtbot.waitActive(view):
        view.show()
        view.activateWindow()
    qtbot.keyClick(view, Qt.Key.Key_F5)  # F5 refreshes
    assert len(view.rows) == 6
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_Down)  # select a certificate with the arrow key
    number = view.current().number  # type: ignore[union-attr]
    qtbot.keyClick(view, Qt.Key.Key_C, Qt.KeyboardModifier.AltModifier)  # 核验(&C): an animated click
    qtbot.waitUntil(lambda: controller.certificate(number).status == "checked", timeout=5000)

    pages = [view, TasksView(controller), SyncView(controller), CertificateView(controller),
             StationView(controller, fast_station("gas"))]
    for page in pages:
        qtbot.addWidget(page)
        for w in page.findChildren(QWidget):
            if w.objectName().startswith("qt_"):  # Qt's own parts (a table's corner button)
                continue
            if isinstance(w, QAbstractButton | QLineEdit | QComboBox | QTableWidget):
                assert w.accessibleName(), f"{type(page).__name__}: {type(w).__name__} {w.objectName()}"
            if isinstance(w, QAbstractButton):
                assert w.minimumHeight() >= 40, w.text()
