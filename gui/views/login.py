"""Logging in to the workstation: a name and a password (or PIN) checked by the controller against
the store's accounts (bench.accounts); the GUI then acts as that account. Used by the login dialog
at start (a store with accounts) and by the approval page, which asks before anyone checks,
approves or issues.

Why: a certificate's 核验员 and 批准人 must be the people they say they are (JJF 1069; issue 13);
a name typed into a field proves nothing.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from gui.views._common import labelled_rows, message_label, show_message


def password_field(parent: QWidget) -> QLineEdit:
    """A line edit that does not show what is typed."""
    field = QLineEdit(parent)
    field.setEchoMode(QLineEdit.EchoMode.Password)
    return field


def try_login(controller: Any, name: str, password: str, message: QLabel) -> Any | None:
    """The account these credentials log in as, or None with the refusal shown in ``message``."""
    try:
        account = controller.login(name, password)
    except Exception as e:  # FacadeError: the accounts' own words (wrong password, disabled …)
        show_message(message, str(e), False)
        return None
    show_message(message, f"{account.name}（{account.roles_zh}）", True)
    return account


class LoginDialog(QDialog):
    """Name and password; on 确定 the controller checks them and :attr:`account` is the account
    (the dialog stays open, saying why, when they are refused)."""

    def __init__(self, controller: Any, parent: QWidget | None = None, name: str = "") -> None:
        """Build the dialog; ``name`` presets the account name."""
        super().__init__(parent)
        self.controller = controller
        self.account: Any | None = None
        self.setWindowTitle(self.tr("登录 (log in)"))
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.name = QLineEdit(name, self)
        self.password = password_field(self)
        name_label, password_label = labelled_rows(self, form, (self.name, self.password))
        name_label.setText(self.tr("账户(&N)"))
        password_label.setText(self.tr("密码(&P)"))
        self.name.setAccessibleName(self.tr("账户"))
        self.password.setAccessibleName(self.tr("密码"))
        lay.addLayout(form)
        self.message = message_label(self, "login_message")
        lay.addWidget(self.message)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        (self.password if name else self.name).setFocus()

    def accept(self) -> None:
        """Log in; close only when the controller accepted the credentials."""
        self.account = try_login(self.controller, self.name.text(), self.password.text(), self.message)
        self.password.clear()
        if self.account is not None:
            super().accept()
