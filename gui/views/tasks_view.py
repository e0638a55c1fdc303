"""The task list: bookings pulled from the management platform in booking order (先约先检), and the
decisions on them — 受理 (accept), 不予受理 (refuse) and 申请重新指派 (reassign), the last two with
a reason. Decisions go up to the platform through the outbox (bench's controller).

Why: only an accepted booking may be verified (不约不检); the technician sees the queue, decides,
and the platform hears of it even when the site is offline for a while.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui.views._common import big_button, run_off_thread, task_status_text


class TasksView(QWidget):
    """Tasks with pull, accept, refuse and reassign."""

    def __init__(self, controller: Any, parent: QWidget | None = None, person: str = "") -> None:
        """Build the view over ``controller`` (tasks, pull_tasks, decide_task)."""
        super().__init__(parent)
        self.controller = controller
        self.rows: list[Any] = []
        self.pulling = False
        lay = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.pull_button = big_button("", self, "pull")
        self.refresh_button = big_button("", self, "refresh")
        bar.addWidget(self.pull_button)
        bar.addWidget(self.refresh_button)
        bar.addStretch(1)
        lay.addLayout(bar)
        self.table = QTableWidget(0, 8, self)
        self.table.setObjectName("tasks")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setDefaultSectionSize(40)
        self.table.horizontalHeader().setStretchLastSection(True)
        lay.addWidget(self.table, 1)
        form = QFormLayout()
        self.person = QLineEdit(person, self)
        self.reason = QLineEdit(self)
        for w in (self.person, self.reason):
            w.setMinimumHeight(40)
        self.person_label, self.reason_label = QLabel(self), QLabel(self)
        self.person_label.setBuddy(self.person)
        self.reason_label.setBuddy(self.reason)
        form.addRow(self.person_label, self.person)
        form.addRow(self.reason_label, self.reason)
        lay.addLayout(form)
        actions = QHBoxLayout()
        self.accept_button = big_button("", self, "accept")
        self.refuse_button = big_button("", self, "refuse")
        self.reassign_button = big_button("", self, "reassign")
        for b in (self.accept_button, self.refuse_button, self.reassign_button):
            actions.addWidget(b)
        actions.addStretch(1)
        lay.addLayout(actions)
        self.message = QLabel(self)
        self.message.setObjectName("tasks_message")
        self.message.setWordWrap(True)
        lay.addWidget(self.message)
        self.pull_button.clicked.connect(self.pull)
        self.refresh_button.clicked.connect(self.refresh)
        self.accept_button.clicked.connect(lambda: self.decide("accept"))
        self.refuse_button.clicked.connect(lambda: self.decide("refuse"))
        self.reassign_button.clicked.connect(lambda: self.decide("reassign"))
        self.table.itemSelectionChanged.connect(self._enable)
        QShortcut(QKeySequence(Qt.Key.Key_F5), self, self.refresh)
        self.retranslate()

    def retranslate(self) -> None:
        """Re-apply texts after a language switch."""
        self.pull_button.setText(self.tr("拉取预约(&L)"))
        self.pull_button.setAccessibleName(self.tr("从管理平台拉取预约"))
        self.refresh_button.setText(self.tr("刷新 (F5)"))
        self.refresh_button.setAccessibleName(self.tr("刷新任务列表"))
        self.person_label.setText(self.tr("操作人(&O)"))
        self.reason_label.setText(self.tr("理由(&E)"))
        self.person.setAccessibleName(self.tr("操作人姓名"))
        self.reason.setAccessibleName(self.tr("理由"))
        self.reason.setPlaceholderText(self.tr("不予受理或申请重新指派时必填"))
        self.accept_button.setText(self.tr("受理(&A)"))
        self.accept_button.setAccessibleName(self.tr("受理"))
        self.refuse_button.setText(self.tr("不予受理(&R)"))
        self.refuse_button.setAccessibleName(self.tr("不予受理"))
        self.reassign_button.setText(self.tr("申请重新指派(&G)"))
        self.reassign_button.setAccessibleName(self.tr("申请重新指派"))
        self.table.setAccessibleName(self.tr("任务列表"))
        self.message.setAccessibleName(self.tr("消息"))
        self.table.setHorizontalHeaderLabels([self.tr("序号"), self.tr("预约号"), self.tr("状态"), self.tr("使用单位"),
                                              self.tr("预约日期"), self.tr("方式"), self.tr("器具"), self.tr("理由")])
        self._fill()

    def refresh(self) -> None:
        """Reload the tasks from the store (through the controller)."""
        current = self.current()
        self.rows = self.controller.tasks()
        self._fill()
        if current is not None:
            self.select(current.booking_id)

    def _fill(self) -> None:
        self.table.setRowCount(len(self.rows))
        for i, t in enumerate(self.rows):
            instruments = "; ".join(t.instruments)
            for j, text in enumerate((str(t.seq), t.booking_id, task_status_text(t.status), t.user_unit,
                                      t.requested_date, t.delivery_mode, instruments, t.reason)):
                self.table.setItem(i, j, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        self._enable()

    def current(self) -> Any | None:
        """The selected task (None when nothing is selected)."""
        row = self.table.currentRow()
        return self.rows[row] if 0 <= row < len(self.rows) and self.table.selectedItems() else None

    def select(self, booking_id: str) -> None:
        """Select the task ``booking_id``."""
        for i, t in enumerate(self.rows):
            if t.booking_id == booking_id:
                self.table.selectRow(i)
                return

    def _enable(self) -> None:
        t = self.current()
        open_ = t is not None and t.status == "booked"
        for b in (self.accept_button, self.refuse_button, self.reassign_button):
            b.setEnabled(open_)

    def _show(self, text: str, ok: bool) -> None:
        self.message.setStyleSheet(f"color: {'#1b7f2a' if ok else '#b3141c'}; font-weight: bold;")
        self.message.setText(text)

    def pull(self) -> None:
        """Fetch new bookings from the platform (off the GUI thread)."""
        if self.pulling:
            return
        self.pulling = True
        self.pull_button.setEnabled(False)
        self._show(self.tr("正在拉取预约…"), True)

        def done(result: Any, error: BaseException | None) -> None:
            self.pulling = False
            self.pull_button.setEnabled(True)
            if error is not None:
                self._show(str(error), False)
                return
            new, updated = result
            self._show(self.tr("预约已同步：新 %1，更新 %2").replace("%1", str(new)).replace("%2", str(updated)), True)
            self.refresh()

        run_off_thread(self.controller.pull_tasks, done)

    def decide(self, decision: str) -> None:
        """Accept, refuse or reassign the selected task as the named person (a reason is needed to
        refuse or reassign; the controller's refusal is shown)."""
        t = self.current()
        if t is None:
            return
        try:
            done = self.controller.decide_task(t.booking_id, decision, self.reason.text(), self.person.text())
        except Exception as e:  # FacadeError: the rule's own words
            self._show(str(e), False)
            return
        self._show(f"{done.booking_id}: {task_status_text(done.status)}", True)
        self.reason.clear()
        self.refresh()
        self.select(done.booking_id)
