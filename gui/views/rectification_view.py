"""Rectification (整改): the items findings opened — a notice issued for a failed verification, an
overdue instrument, a recorded oversight event — with their owner, deadline and status; the owner's
report (报告整改, with evidence and a file or reference), the bureau's or institution's verification
(验证关闭, or 退回 when not done), and a scan that opens the items of today's overdue instruments.

Why: the bureaus' notices ask operators to rectify and report and bureaus to follow up by a date;
the technician sees what is open, what is late and what waits for verification, and records each
step as it happens (every step goes up to the platform through the outbox, bench's controller).
Each step is the logged-in account's (the GUI's login at start, or a login on the page's row:
gui.views.login.LoginRow), with the role bench.accounts.ACTION_ROLES gives it (核查 a 核验员 or
批准人, never who recorded the report); the unit field names the owner or the verifying party.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from gui.views._common import (
    RowsPage,
    big_button,
    button_bar,
    fill_table,
    labelled_rows,
    message_label,
    record_table,
    refresh_shortcut,
    show_message,
)
from gui.views.login import LoginRow

STATUS_KEYS = ("open", "overdue", "rectified", "closed", "withdrawn")
# an item's status as a verdict colour (its text says it too: never colour alone)
STATUS_COLOUR = {"open": "retest", "overdue": "fail", "rectified": "pending", "closed": "pass", "withdrawn": "n/a"}


class RectificationView(RowsPage, QWidget):
    """Items filtered by status, with report, close, reject and scan."""

    row_key = "no"

    def __init__(self, controller: Any, parent: QWidget | None = None, person: str = "") -> None:
        """Build the view over ``controller`` (rectification_items, rectify_item, verify_item, scan_overdue);
        ``person`` presets the account name to log in as when the GUI has nobody logged in."""
        super().__init__(parent)
        self.controller = controller
        self.rows: list[Any] = []
        self.counts: dict[str, int] = {}
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        self.filter = QComboBox(self)
        self.filter.setMinimumHeight(40)
        self.filter_label = QLabel(self)
        self.filter_label.setBuddy(self.filter)
        top.addWidget(self.filter_label)
        top.addWidget(self.filter)
        self.counts_label = QLabel(self)
        self.counts_label.setObjectName("rectification_counts")
        top.addWidget(self.counts_label, 1)
        lay.addLayout(top)
        self.scan_button = big_button("", self, "scan")
        self.refresh_button = big_button("", self, "refresh")
        button_bar(lay, (self.scan_button, self.refresh_button))
        self.table = record_table(self, 7, "rectifications")
        lay.addWidget(self.table, 1)
        self.login_row = LoginRow(controller, self, person)
        lay.addWidget(self.login_row)
        form = QFormLayout()
        self.unit = QLineEdit(self)
        self.text = QLineEdit(self)
        self.file = QLineEdit(self)
        self.unit_label, self.text_label, self.file_label = labelled_rows(self, form, (self.unit, self.text, self.file))
        lay.addLayout(form)
        self.rectify_button = big_button("", self, "rectify")
        self.close_button = big_button("", self, "close")
        self.reject_button = big_button("", self, "reject")
        button_bar(lay, (self.rectify_button, self.close_button, self.reject_button))
        self.message = message_label(self, "rectification_message")
        lay.addWidget(self.message)
        self.filter.currentIndexChanged.connect(lambda _i: self.refresh())
        self.scan_button.clicked.connect(self.scan)
        self.refresh_button.clicked.connect(self.refresh)
        self.rectify_button.clicked.connect(self.rectify)
        self.close_button.clicked.connect(lambda: self.verify(True))
        self.reject_button.clicked.connect(lambda: self.verify(False))
        self.table.itemSelectionChanged.connect(self._enable)
        refresh_shortcut(self, self.refresh)
        self.retranslate()

    def status_text(self, status: str) -> str:
        """An item's status in the operator's language."""
        return {"open": self.tr("待整改"), "overdue": self.tr("逾期未整改"), "rectified": self.tr("已整改待核查"),
                "closed": self.tr("已验证关闭"), "withdrawn": self.tr("已撤销")}.get(status, status)

    def retranslate(self) -> None:
        """Re-apply texts after a language switch."""
        current = self.filter.currentIndex()
        self.filter.blockSignals(True)
        self.filter.clear()
        self.filter.addItem(self.tr("全部"), None)
        for key in STATUS_KEYS:
            self.filter.addItem(self.status_text(key), key)
        self.filter.setCurrentIndex(max(current, 0))
        self.filter.blockSignals(False)
        self.filter_label.setText(self.tr("状态(&T)"))
        self.filter.setAccessibleName(self.tr("按状态筛选"))
        self.scan_button.setText(self.tr("扫描超期(&N)"))
        self.scan_button.setAccessibleName(self.tr("为今日超期未检、应检未检、到期未轮换的器具立整改项"))
        self.refresh_button.setText(self.tr("刷新 (F5)"))
        self.refresh_button.setAccessibleName(self.tr("刷新整改项"))
        self.login_row.retranslate()
        self.unit_label.setText(self.tr("单位(&U)"))
        self.text_label.setText(self.tr("整改情况或核查意见(&E)"))
        self.file_label.setText(self.tr("证明材料(&F)"))
        self.unit.setAccessibleName(self.tr("单位"))
        self.unit.setPlaceholderText(self.tr("报告整改：使用单位；核查：监管部门或检定机构"))
        self.text.setAccessibleName(self.tr("整改情况或核查意见"))
        self.file.setAccessibleName(self.tr("证明材料"))
        self.file.setPlaceholderText(self.tr("文件路径或文书编号（可选）"))
        self.rectify_button.setText(self.tr("报告整改(&R)"))
        self.rectify_button.setAccessibleName(self.tr("使用单位报告整改"))
        self.close_button.setText(self.tr("验证关闭(&C)"))
        self.close_button.setAccessibleName(self.tr("核查属实，验证关闭"))
        self.reject_button.setText(self.tr("退回(&J)"))
        self.reject_button.setAccessibleName(self.tr("整改不到位，退回"))
        self.table.setAccessibleName(self.tr("整改项"))
        self.message.setAccessibleName(self.tr("消息"))
        self.table.setHorizontalHeaderLabels([self.tr("编号"), self.tr("状态"), self.tr("问题类别"), self.tr("使用单位"),
                                              self.tr("器具"), self.tr("整改期限"), self.tr("问题描述")])
        self._fill()

    def refresh(self) -> None:
        """Reload the items (through the controller), keeping the selection."""
        current = self.current()
        self.rows = self.controller.rectification_items(self.filter.currentData())
        self.counts = self.controller.rectification_counts_now()
        self._fill()
        if current is not None:
            self.select(current.no)

    def _fill(self) -> None:
        self.counts_label.setText("  ·  ".join(f"{self.status_text(k)} {self.counts.get(k, 0)}" for k in STATUS_KEYS))
        self.counts_label.setAccessibleName(self.counts_label.text())
        fill_table(self.table, [(r.no, self.status_text(r.status), r.kind_zh, r.owner, r.instrument,
                                 r.deadline.isoformat(), r.finding) for r in self.rows],
                   colour_column=1, verdicts=[STATUS_COLOUR.get(r.status, "pending") for r in self.rows])
        self._enable()

    def _enable(self) -> None:
        r = self.current()
        self.rectify_button.setEnabled(r is not None and r.status in ("open", "overdue"))
        self.close_button.setEnabled(r is not None and r.status == "rectified")
        self.reject_button.setEnabled(r is not None and r.status == "rectified")

    def _show(self, text: str, ok: bool) -> None:
        show_message(self.message, text, ok)

    def _done(self, action: Any) -> None:
        """Run a step; show the controller's refusal, or the item's new status and reload."""
        try:
            item = action()
        except Exception as e:  # FacadeError: the rule's own words
            self._show(str(e), False)
            return
        self._show(f"{item.no}: {self.status_text(item.status)}", True)
        self.text.clear()
        self.file.clear()
        self.refresh()
        self.select(item.no)

    def rectify(self) -> None:
        """The owner (the unit field) reports the selected item's rectification."""
        r = self.current()
        if r is not None:
            self._done(lambda: self.controller.rectify_item(r.no, self.unit.text(), self.login_row.account,
                                                            self.text.text(), self.file.text()))

    def verify(self, accept: bool) -> None:
        """The bureau or institution (the unit field) closes or rejects the selected rectification."""
        r = self.current()
        if r is not None:
            self._done(lambda: self.controller.verify_item(r.no, self.unit.text(), self.login_row.account, accept,
                                                           self.text.text()))

    def scan(self) -> None:
        """Open the items of today's overdue instruments."""
        try:
            opened = self.controller.scan_overdue(self.login_row.account, self.unit.text())
        except Exception as e:  # FacadeError
            self._show(str(e), False)
            return
        self._show(self.tr("新立整改项 %1 项").replace("%1", str(opened)), True)
        self.refresh()
