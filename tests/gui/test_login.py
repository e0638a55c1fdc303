"""The login dialog the GUI opens at start in a store with accounts: a wrong password keeps it open
and says why, a disabled account is refused, the right password closes it with the account; the
controller then runs as that account (its drafts are theirs)."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from bench.accounts import Accounts
from bench.controller import Controller
from gui.views.login import LoginDialog
from tests.gui.conftest import commit_text


def type_password(qtbot: QtBot, dialog: LoginDialog, text: str) -> None:
    """Key the (ASCII) password in, as a keyboard does."""
    dialog.password.clear()
    qtbot.keyClicks(dialog.password, text)


def test_login_dialog_refuses_then_accepts(qtbot: QtBot, controller: Controller) -> None:
    assert not controller.login_required()  # a store without accounts asks nobody
    accounts = Accounts(controller.store)
    admin = accounts.add("管理员", "administrator", "admin-secret", None)
    accounts.add("张检定", "verifier", "pin-112233", admin)
    accounts.add("赵离职", "verifier", "pin-445566", admin)
    accounts.disable("赵离职", admin)
    assert controller.login_required()

    dialog = LoginDialog(controller, name="张检定")
    qtbot.addWidget(dialog)
    type_password(qtbot, dialog, "pin-000000")
    dialog.buttons.accepted.emit()
    assert dialog.account is None and dialog.result() != LoginDialog.DialogCode.Accepted
    assert "wrong name or password" in dialog.message.text() and dialog.password.text() == ""

    commit_text(qtbot, dialog.name, "赵离职")
    type_password(qtbot, dialog, "pin-445566")
    dialog.buttons.accepted.emit()
    assert dialog.account is None and "disabled" in dialog.message.text()

    commit_text(qtbot, dialog.name, "张检定")
    type_password(qtbot, dialog, "pin-112233")
    dialog.buttons.accepted.emit()
    assert dialog.result() == LoginDialog.DialogCode.Accepted and dialog.account is not None
    controller.act_as(dialog.account)
    assert controller.actor == "张检定" and controller.account is not None
    controller.require_verifier()  # the logged-in 检定员 may run
