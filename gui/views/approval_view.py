"""Approval by role: the 核验员 checks drafts, the 批准人 approves checked ones and issues approved
ones. The person's role and name are chosen at the top (a combo and a name field — the login of
this workstation); the list shows what that role has to do. Every refusal of the approval rules
(one person in two roles, wrong order, …) is shown as the controller words it.

Why: the approval chain is the law's (JJF 1069: 检定员, 核验员, 批准人 are different people); the
GUI only offers the step the role may take and lets bench.certificates decide.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QFormLayout, QLineEdit, QVBoxLayout, QWidget

from gui.views._common import (
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
    select_where,
    selected,
    show_message,
)

ROLE_STATUSES = {"checker": ("draft",), "approver": ("checked", "approved")}
"""The certificate statuses each role has work in."""


class ApprovalView(QWidget):
    """Drafts to check, approve and issue, by role."""

    def __init__(self, controller: Any, parent: QWidget | None = None, person: str = "",
                 role: str = "checker") -> None:
        """Build the view; ``person``/``role`` preset the login (the station's [people])."""
        super().__init__(parent)
        self.controller = controller
        self.rows: list[Any] = []
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.role = QComboBox(self)
        self.role.addItem("", "checker")
        self.role.addItem("", "approver")
        self.person = QLineEdit(person, self)
        self.role_label, self.person_label = labelled_rows(self, form, (self.role, self.person))
        lay.addLayout(form)
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
        self.person_label.setText(self.tr("姓名(&N)"))
        self.role.setAccessibleName(self.tr("角色"))
        self.person.setAccessibleName(self.tr("操作人姓名"))
        self.person.setPlaceholderText(self.tr("登录人姓名"))
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

    def current(self) -> Any | None:
        """The selected certificate view (None when nothing is selected)."""
        return selected(self.table, self.rows)

    def select(self, number: str) -> None:
        """Select the certificate ``number`` in the list."""
        select_where(self.table, self.rows, lambda c: c.number == number)

    def _enable(self) -> None:
        c = self.current()
        role = self.current_role()
        self.check_button.setEnabled(role == "checker" and c is not None and c.status == "draft")
        self.approve_button.setEnabled(role == "approver" and c is not None and c.status == "checked")
        self.issue_button.setEnabled(role == "approver" and c is not None and c.status == "approved")

    def act(self, action: str) -> None:
        """Check, approve or issue the selected certificate as the named person; a refusal of the
        approval rules is shown, never swallowed."""
        c = self.current()
        if c is None:
            return
        person = self.person.text().strip()
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
