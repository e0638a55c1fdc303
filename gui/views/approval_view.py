"""Approval by role: the 核验员 checks drafts, the 批准人 approves checked ones and issues approved
ones. Whoever acts logs in at the top (account name and password: bench.accounts via the
controller; the GUI's login at start carries over) and every check, approval and issue is that
account's; the role combo chooses which list to show. Every refusal — of the login (wrong
password, disabled account) or of the approval rules (a role the account does not hold, one person
in two roles, wrong order, …) — is shown as the controller words it.

Why: the approval chain is the law's (JJF 1069: 检定员, 核验员, 批准人 are different people, each
authorised); the GUI only offers the step the role may take and lets bench.certificates decide.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QFormLayout, QLineEdit, QVBoxLayout, QWidget

from gui.views._common import (
    RowsPage,
    big_button,
    button_bar,
    certificate_status_text,
    conclusion_text,
    fill_table,
    kind_text,
    labelled_rows,
    message_label,
    record_table,
    refresh_shortcut,
    show_message,
)
from gui.views.login import password_field, try_login

ROLE_STATUSES = {"checker": ("draft",), "approver": ("checked", "approved")}
"""The certificate statuses each role has work in."""


class ApprovalView(RowsPage, QWidget):
    """Drafts to check, approve and issue, by role."""

    row_key = "number"

    def __init__(self, controller: Any, parent: QWidget | None = None, person: str = "",
                 role: str = "checker") -> None:
        """Build the view; ``person``/``role`` preset the login name and the list shown; the
        controller's logged-in account (the login at start), when there is one, is the login."""
        super().__init__(parent)
        self.controller = controller
        self.rows: list[Any] = []
        self.account: Any | None = getattr(controller, "account", None)
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.role = QComboBox(self)
        self.role.addItem("", "checker")
        self.role.addItem("", "approver")
        self.person = QLineEdit(self.account.name if self.account is not None else person, self)
        self.password = password_field(self)
        self.role_label, self.person_label, self.password_label = labelled_rows(
            self, form, (self.role, self.person, self.password))
        lay.addLayout(form)
        self.login_button = big_button("", self, "login")
        button_bar(lay, (self.login_button,))
        self.table = record_table(self, 7, "approvals")
        lay.addWidget(self.table, 1)
        self.check_button = big_button("", self, "check")
        self.approve_button = big_button("", self, "approve")
        self.issue_button = big_button("", self, "issue")
        self.refresh_button = big_button("", self, "refresh")
        button_bar(lay, (self.check_button, self.approve_button, self.issue_button, self.refresh_button))
        self.message = message_label(self, "approval_message")
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.message)
        self.check_button.clicked.connect(lambda: self.act("check"))
        self.approve_button.clicked.connect(lambda: self.act("approve"))
        self.issue_button.clicked.connect(lambda: self.act("issue"))
        self.refresh_button.clicked.connect(self.refresh)
        self.login_button.clicked.connect(self.login)
        self.password.returnPressed.connect(self.login)
        self.person.textEdited.connect(lambda _t: self._logout())
        self.role.currentIndexChanged.connect(lambda _i: self.refresh())
        self.table.itemSelectionChanged.connect(self._enable)
        refresh_shortcut(self, self.refresh)
        self.set_role(role)
        self.retranslate()

    def retranslate(self) -> None:
        """Re-apply texts after a language switch."""
        self.role.setItemText(0, self.tr("核验员"))
        self.role.setItemText(1, self.tr("批准人"))
        self.role_label.setText(self.tr("角色(&R)"))
        self.person_label.setText(self.tr("账户(&N)"))
        self.password_label.setText(self.tr("密码(&P)"))
        self.role.setAccessibleName(self.tr("角色"))
        self.person.setAccessibleName(self.tr("登录账户"))
        self.person.setPlaceholderText(self.tr("登录人姓名"))
        self.password.setAccessibleName(self.tr("密码"))
        self.login_button.setText(self.tr("登录(&L)"))
        self.login_button.setAccessibleName(self.tr("登录"))
        self.check_button.setText(self.tr("核验(&C)"))
        self.check_button.setAccessibleName(self.tr("核验"))
        self.approve_button.setText(self.tr("批准(&A)"))
        self.approve_button.setAccessibleName(self.tr("批准"))
        self.issue_button.setText(self.tr("签发(&I)"))
        self.issue_button.setAccessibleName(self.tr("签发"))
        self.refresh_button.setText(self.tr("刷新 (F5)"))
        self.refresh_button.setAccessibleName(self.tr("刷新"))
        self.table.setAccessibleName(self.tr("待审批证书"))
        self.message.setAccessibleName(self.tr("消息"))
        self.table.setHorizontalHeaderLabels([self.tr("证书编号"), self.tr("类别"), self.tr("状态"), self.tr("出厂编号"),
                                              self.tr("结论"), self.tr("检定员"), self.tr("核验员")])
        self._fill()

    def set_role(self, role: str) -> None:
        """Choose the login's role: checker (核验员) or approver (批准人)."""
        self.role.setCurrentIndex(max(0, self.role.findData(role)))

    def current_role(self) -> str:
        """checker or approver."""
        return str(self.role.currentData())

    def refresh(self) -> None:
        """Reload the certificates the role has work in."""
        wanted = ROLE_STATUSES[self.current_role()]
        self.rows = [c for c in self.controller.certificate_list() if c.status in wanted]
        self._fill()

    def _fill(self) -> None:
        fill_table(self.table, [(c.display_no, kind_text(c.kind), certificate_status_text(c.status), c.serial,
                                 conclusion_text(c.conclusion), c.verifier, c.checker) for c in self.rows])
        self._enable()

    def _enable(self) -> None:
        c = self.current()
        role = self.current_role()
        self.check_button.setEnabled(role == "checker" and c is not None and c.status == "draft")
        self.approve_button.setEnabled(role == "approver" and c is not None and c.status == "checked")
        self.issue_button.setEnabled(role == "approver" and c is not None and c.status == "approved")

    def login(self) -> None:
        """Log in as the account named with the password typed (the password field is cleared)."""
        self.account = try_login(self.controller, self.person.text(), self.password.text(), self.message)
        self.password.clear()

    def _logout(self) -> None:
        """Another name typed: nobody is logged in until the password is given again."""
        self.account = None

    def act(self, action: str) -> None:
        """Check, approve or issue the selected certificate as the logged-in account; a refusal of
        the approval rules is shown, never swallowed."""
        c = self.current()
        if c is None:
            return
        if self.account is None:
            show_message(self.message, self.tr("请先登录 (log in first)"), False)
            return
        person = self.account
        method = {"check": self.controller.check_certificate, "approve": self.controller.approve_certificate,
                  "issue": self.controller.issue_certificate}[action]
        try:
            done = method(c.number, person)
        except Exception as e:  # FacadeError: the approval rule's own words
            show_message(self.message, str(e), False)
            return
        show_message(self.message, self.tr("%1：%2").replace("%1", done.display_no)
                     .replace("%2", certificate_status_text(done.status)), True)
        self.refresh()
        self.select(c.number)
