"""The task list: bookings pulled from the management platform in booking order (先约先检), and the
decisions on them — 受理 (accept), 不予受理 (refuse) and 申请重新指派 (reassign), the last two with
a reason. Decisions go up to the platform through the outbox (bench's controller).

Who decides is the logged-in account (the GUI's login at start, or a login on the page's row:
gui.views.login.LoginRow); the controller refuses anyone who is not a 检定员 or administrator
(bench.accounts.ACTION_ROLES) and records the account as the decision's actor.

Why: only an accepted booking may be verified (不约不检); the technician sees the queue, decides,
and the platform hears of it even when the site is offline for a while.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QLineEdit, QVBoxLayout, QWidget

from gui.views._common import (
    RowsPage,
    big_button,
    button_bar,
    fill_table,
    labelled_rows,
    message_label,
    record_table,
    refresh_shortcut,
    run_off_thread,
    show_message,
    task_status_text,
)
from gui.views.login import LoginRow


class TasksView(RowsPage, QWidget):
    """Tasks with pull, accept, refuse and reassign; an accepted task can be verified (the run page
    opens with the task linked: ``verify_requested`` carries its booking id and instrument serial)."""

    row_key = "booking_id"

    verify_requested = Signal(str, str)  # booking id, the booked instrument's serial ("" when none)

    def __init__(self, controller: Any, parent: QWidget | None = None, person: str = "") -> None:
        """Build the view over ``controller`` (tasks, pull_tasks, decide_task); ``person`` presets the
        account name to log in as when the GUI has nobody logged in."""
        super().__init__(parent)
        self.controller = controller
        self.rows: list[Any] = []
        self.pulling = False
        lay = QVBoxLayout(self)
        self.pull_button = big_button("", self, "pull")
        self.refresh_button = big_button("", self, "refresh")
        button_bar(lay, (self.pull_button, self.refresh_button))
        self.table = record_table(self, 8, "tasks")
        lay.addWidget(self.table, 1)
        self.login_row = LoginRow(controller, self, person)
        lay.addWidget(self.login_row)
        form = QFormLayout()
        self.reason = QLineEdit(self)
        (self.reason_label,) = labelled_rows(self, form, (self.reason,))
        lay.addLayout(form)
        self.accept_button = big_button("", self, "accept")
        self.refuse_button = big_button("", self, "refuse")
        self.reassign_button = big_button("", self, "reassign")
        self.verify_button = big_button("", self, "verify")
        button_bar(lay, (self.accept_button, self.refuse_button, self.reassign_button, self.verify_button))
        self.message = message_label(self, "tasks_message")
        lay.addWidget(self.message)
        self.pull_button.clicked.connect(self.pull)
        self.refresh_button.clicked.connect(self.refresh)
        self.accept_button.clicked.connect(lambda: self.decide("accept"))
        self.refuse_button.clicked.connect(lambda: self.decide("refuse"))
        self.reassign_button.clicked.connect(lambda: self.decide("reassign"))
        self.verify_button.clicked.connect(self.verify)
        self.table.itemSelectionChanged.connect(self._enable)
        refresh_shortcut(self, self.refresh)
        self.retranslate()

    def retranslate(self) -> None:
        """Re-apply texts after a language switch."""
        self.pull_button.setText(self.tr("拉取预约(&L)"))
        self.pull_button.setAccessibleName(self.tr("从管理平台拉取预约"))
        self.refresh_button.setText(self.tr("刷新 (F5)"))
        self.refresh_button.setAccessibleName(self.tr("刷新任务列表"))
        self.login_row.retranslate()
        self.reason_label.setText(self.tr("理由(&E)"))
        self.reason.setAccessibleName(self.tr("理由"))
        self.reason.setPlaceholderText(self.tr("不予受理或申请重新指派时必填"))
        self.accept_button.setText(self.tr("受理(&A)"))
        self.accept_button.setAccessibleName(self.tr("受理"))
        self.refuse_button.setText(self.tr("不予受理(&R)"))
        self.refuse_button.setAccessibleName(self.tr("不予受理"))
        self.reassign_button.setText(self.tr("申请重新指派(&G)"))
        self.reassign_button.setAccessibleName(self.tr("申请重新指派"))
        self.verify_button.setText(self.tr("检定此任务(&V)"))
        self.verify_button.setAccessibleName(self.tr("检定此任务: 转到检定页并关联本预约"))
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
        fill_table(self.table, [(str(t.seq), t.booking_id, task_status_text(t.status), t.user_unit, t.requested_date,
                                 t.delivery_mode, "; ".join(t.instruments), t.reason) for t in self.rows])
        self._enable()

    def _enable(self) -> None:
        t = self.current()
        open_ = t is not None and t.status == "booked"
        for b in (self.accept_button, self.refuse_button, self.reassign_button):
            b.setEnabled(open_)
        self.verify_button.setEnabled(t is not None and t.status == "accepted")

    def verify(self) -> None:
        """Verify the selected accepted task: ask for the run page with it linked (the controller
        still refuses a task that is not accepted when the run is prepared)."""
        t = self.current()
        if t is None:
            return
        self.verify_requested.emit(t.booking_id, t.serials[0] if t.serials else "")

    def _show(self, text: str, ok: bool) -> None:
        show_message(self.message, text, ok)

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
        """Accept, refuse or reassign the selected task as the logged-in account (a reason is needed
        to refuse or reassign; the controller's refusal — nobody logged in, a role missing — is shown)."""
        t = self.current()
        if t is None:
            return
        try:
            done = self.controller.decide_task(t.booking_id, decision, self.reason.text(),
                                                self.login_row.account)
        except Exception as e:  # FacadeError: the rule's own words
            self._show(str(e), False)
            return
        self._show(f"{done.booking_id}: {task_status_text(done.status)}", True)
        self.reason.clear()
        self.refresh()
        self.select(done.booking_id)
