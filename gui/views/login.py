"""Logging in to the workstation: a name and a password (or PIN) checked by the controller against
the store's accounts (bench.accounts); the GUI then acts as that account. Used by the login dialog
at start (a store with accounts) and by the approval page, which asks before anyone checks,
approves or issues.

Why: a certificate's 核验员 and 批准人 must be the people they say they are (JJF 1069; issue 13);
a name typed into a field proves nothing.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from gui.views._common import big_button, labelled_rows, message_label, show_message


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


class LoginRow(QWidget):
    """Who acts on a page (tasks, rectification, sync): account name, password and 登录 on one row,
    with who is logged in beside them. It starts as the GUI's logged-in account (the login at
    start, ``controller.account``); another person logs in here for this page only (a 核验员
    closing a rectification at the 检定员's workstation). Typing another name logs out until its
    password is given. The page hands :attr:`account` to the controller, which checks the role the
    action needs (bench.accounts.ACTION_ROLES) — a name typed here proves nothing by itself."""

    def __init__(self, controller: Any, parent: QWidget | None = None, name: str = "") -> None:
        """Build the row; ``name`` presets the account name when nobody is logged in yet."""
        super().__init__(parent)
        self.controller = controller
        self.account: Any | None = getattr(controller, "account", None)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.name_label, self.password_label = QLabel(self), QLabel(self)
        self.name = QLineEdit(self.account.name if self.account is not None else name, self)
        self.password = password_field(self)
        for label, field in ((self.name_label, self.name), (self.password_label, self.password)):
            field.setMinimumHeight(40)
            label.setBuddy(field)
            lay.addWidget(label)
            lay.addWidget(field, 1)
        self.login_button = big_button("", self, "login")
        lay.addWidget(self.login_button)
        self.state = message_label(self, "login_state")
        lay.addWidget(self.state, 1)
        self.login_button.clicked.connect(self.login)
        self.password.returnPressed.connect(self.login)
        self.name.textEdited.connect(lambda _t: self.logout())
        self.retranslate()

    def retranslate(self) -> None:
        """Re-apply texts after a language switch."""
        # mnemonics free on every page that has this row (tasks, sync, rectification, ledger, campaigns)
        self.name_label.setText(self.tr("操作人账户(&O)"))
        self.password_label.setText(self.tr("密码(&P)"))
        self.name.setAccessibleName(self.tr("操作人账户"))
        self.password.setAccessibleName(self.tr("密码"))
        self.login_button.setText(self.tr("登录(&I)"))
        self.login_button.setAccessibleName(self.tr("登录"))
        self._say()

    def _say(self) -> None:
        if self.account is not None:
            show_message(self.state, f"{self.account.name}（{self.account.roles_zh}）", True)
        else:
            show_message(self.state, self.tr("未登录"), False)

    def login(self) -> None:
        """Log in as the account named with the password typed (the password field is cleared)."""
        self.account = try_login(self.controller, self.name.text(), self.password.text(), self.state)
        self.password.clear()
        if self.account is None:
            return
        self._say()

    def logout(self) -> None:
        """Another name typed: nobody acts on this page until its password is given."""
        self.account = None
        self._say()
