"""Sync status: what the platform is owed (待上传 pending), what it acknowledged (已确认 done) and
what it refused (被退回 rejected, with its reasons), with 立即上传 (push now) and re-queueing a
rejected item after the operator fixed it.

Why: a site is often offline; the technician must see that nothing is lost (pending items wait in
the outbox) and what needs a human (rejections), and be able to send now when the line is back.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from gui.views._common import (
    big_button,
    button_bar,
    fill_table,
    message_label,
    outbox_status_text,
    record_table,
    refresh_shortcut,
    run_off_thread,
    scaled_font,
    selected,
    show_message,
)
from gui.views.login import LoginRow


class SyncView(QWidget):
    """Outbox counts and items, push now, re-queue."""

    def __init__(self, controller: Any, parent: QWidget | None = None, person: str = "") -> None:
        """Build the view over ``controller`` (sync_status, push_now, requeue); ``person`` presets the
        account name to log in as when the GUI has nobody logged in (re-queueing is an account's act:
        检定员, 批准人 or administrator, bench.accounts.ACTION_ROLES)."""
        super().__init__(parent)
        self.controller = controller
        self.items: list[Any] = []
        self.counts: dict[str, int] = {"pending": 0, "done": 0, "rejected": 0}
        self.pushing = False
        lay = QVBoxLayout(self)
        self.count_labels: dict[str, QLabel] = {}
        counts = QHBoxLayout()
        for status in ("pending", "done", "rejected"):
            label = QLabel(self)
            label.setObjectName(f"count_{status}")
            label.setFont(scaled_font(label, 1.5, bold=True))
            self.count_labels[status] = label
            counts.addWidget(label)
        counts.addStretch(1)
        lay.addLayout(counts)
        self.push_button = big_button("", self, "push")
        self.requeue_button = big_button("", self, "requeue")
        self.refresh_button = big_button("", self, "refresh")
        button_bar(lay, (self.push_button, self.requeue_button, self.refresh_button))
        self.table = record_table(self, 6, "outbox")
        lay.addWidget(self.table, 1)
        self.login_row = LoginRow(controller, self, person)
        lay.addWidget(self.login_row)
        self.message = message_label(self, "sync_message")
        lay.addWidget(self.message)
        self.push_button.clicked.connect(self.push)
        self.requeue_button.clicked.connect(self.requeue)
        self.refresh_button.clicked.connect(self.refresh)
        self.table.itemSelectionChanged.connect(self._enable)
        refresh_shortcut(self, self.refresh)
        self.retranslate()

    def retranslate(self) -> None:
        """Re-apply texts after a language switch."""
        self.push_button.setText(self.tr("立即上传(&U)"))
        self.push_button.setAccessibleName(self.tr("立即上传"))
        self.requeue_button.setText(self.tr("重新排队(&Q)"))
        self.requeue_button.setAccessibleName(self.tr("被退回项重新排队"))
        self.refresh_button.setText(self.tr("刷新 (F5)"))
        self.refresh_button.setAccessibleName(self.tr("刷新"))
        self.login_row.retranslate()
        self.table.setAccessibleName(self.tr("待上传项"))
        self.message.setAccessibleName(self.tr("消息"))
        self.table.setHorizontalHeaderLabels([self.tr("编号"), self.tr("类别"), self.tr("状态"), self.tr("尝试次数"),
                                              self.tr("标识"), self.tr("错误")])
        self._fill()

    def refresh(self) -> None:
        """Reload the outbox state."""
        status = self.controller.sync_status()
        self.items, self.counts = list(status.items), dict(status.counts)
        self._fill()

    def _fill(self) -> None:
        for status, label in self.count_labels.items():
            label.setText(f"{outbox_status_text(status)} {self.counts.get(status, 0)}")
            label.setAccessibleName(label.text())
        colour = {"done": "pass", "rejected": "fail", "pending": "retest"}
        fill_table(self.table, [(str(it.id), it.kind, outbox_status_text(it.status), str(it.attempts), it.key,
                                 it.last_error) for it in self.items],
                   colour_column=2, verdicts=[colour.get(it.status, "pending") for it in self.items])
        self._enable()

    def _enable(self) -> None:
        it = selected(self.table, self.items)
        self.requeue_button.setEnabled(it is not None and it.status == "rejected")
        self.push_button.setEnabled(not self.pushing)

    def _show(self, text: str, ok: bool) -> None:
        show_message(self.message, text, ok)

    def push(self) -> None:
        """Send what is pending now (off the GUI thread)."""
        if self.pushing:
            return
        self.pushing = True
        self._enable()
        self._show(self.tr("正在上传…"), True)

        def done(result: Any, error: BaseException | None) -> None:
            self.pushing = False
            if error is not None:
                self._show(str(error), False)
            elif result.error:
                self._show(self.tr("平台不可用，稍后重试：%1").replace("%1", result.error), False)
            else:
                self._show(self.tr("已确认 %1，被退回 %2，待上传 %3").replace("%1", str(result.acked + result.duplicates))
                           .replace("%2", str(result.rejected)).replace("%3", str(result.counts.get("pending", 0))),
                           result.rejected == 0)
            self.refresh()

        run_off_thread(self.controller.push_now, done)

    def requeue(self) -> None:
        """Put the selected rejected item back in the queue, as the logged-in account."""
        row = self.table.currentRow()
        if not (0 <= row < len(self.items)):
            return
        try:
            self.controller.requeue(self.items[row].id, self.login_row.account)
        except Exception as e:  # FacadeError
            self._show(str(e), False)
            return
        self.refresh()
