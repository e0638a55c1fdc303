"""Sync status: what the platform is owed (待上传 pending), what it acknowledged (已确认 done) and
what it refused (被退回 rejected, with its reasons), with 立即上传 (push now) and re-queueing a
rejected item after the operator fixed it.

Why: a site is often offline; the technician must see that nothing is lost (pending items wait in
the outbox) and what needs a human (rejections), and be able to send now when the line is back.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui.views._common import big_button, outbox_status_text, run_off_thread, verdict_colours


class SyncView(QWidget):
    """Outbox counts and items, push now, re-queue."""

    def __init__(self, controller: Any, parent: QWidget | None = None, person: str = "") -> None:
        """Build the view over ``controller`` (sync_status, push_now, requeue)."""
        super().__init__(parent)
        self.controller = controller
        self.person = person
        self.items: list[Any] = []
        self.counts: dict[str, int] = {"pending": 0, "done": 0, "rejected": 0}
        self.pushing = False
        lay = QVBoxLayout(self)
        self.count_labels: dict[str, QLabel] = {}
        counts = QHBoxLayout()
        for status in ("pending", "done", "rejected"):
            label = QLabel(self)
            label.setObjectName(f"count_{status}")
            f = QFont(label.font())
            f.setPointSizeF(max(f.pointSizeF(), 9.0) * 1.5)
            f.setBold(True)
            label.setFont(f)
            self.count_labels[status] = label
            counts.addWidget(label)
        counts.addStretch(1)
        lay.addLayout(counts)
        bar = QHBoxLayout()
        self.push_button = big_button("", self, "push")
        self.requeue_button = big_button("", self, "requeue")
        self.refresh_button = big_button("", self, "refresh")
        for b in (self.push_button, self.requeue_button, self.refresh_button):
            bar.addWidget(b)
        bar.addStretch(1)
        lay.addLayout(bar)
        self.table = QTableWidget(0, 6, self)
        self.table.setObjectName("outbox")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setDefaultSectionSize(40)
        self.table.horizontalHeader().setStretchLastSection(True)
        lay.addWidget(self.table, 1)
        self.message = QLabel(self)
        self.message.setObjectName("sync_message")
        self.message.setWordWrap(True)
        lay.addWidget(self.message)
        self.push_button.clicked.connect(self.push)
        self.requeue_button.clicked.connect(self.requeue)
        self.refresh_button.clicked.connect(self.refresh)
        self.table.itemSelectionChanged.connect(self._enable)
        QShortcut(QKeySequence(Qt.Key.Key_F5), self, self.refresh)
        self.retranslate()

    def retranslate(self) -> None:
        """Re-apply texts after a language switch."""
        self.push_button.setText(self.tr("立即上传(&U)"))
        self.push_button.setAccessibleName(self.tr("立即上传"))
        self.requeue_button.setText(self.tr("重新排队(&Q)"))
        self.requeue_button.setAccessibleName(self.tr("被退回项重新排队"))
        self.refresh_button.setText(self.tr("刷新 (F5)"))
        self.refresh_button.setAccessibleName(self.tr("刷新"))
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
        self.table.setRowCount(len(self.items))
        colour = {"done": "pass", "rejected": "fail", "pending": "retest"}
        for i, it in enumerate(self.items):
            for j, text in enumerate((str(it.id), it.kind, outbox_status_text(it.status), str(it.attempts), it.key,
                                      it.last_error)):
                cell = QTableWidgetItem(text)
                if j == 2:
                    bg, fg = verdict_colours(colour.get(it.status, "pending"))
                    cell.setBackground(bg)
                    cell.setForeground(fg)
                self.table.setItem(i, j, cell)
        self.table.resizeColumnsToContents()
        self._enable()

    def _enable(self) -> None:
        row = self.table.currentRow()
        it = self.items[row] if 0 <= row < len(self.items) and self.table.selectedItems() else None
        self.requeue_button.setEnabled(it is not None and it.status == "rejected")
        self.push_button.setEnabled(not self.pushing)

    def _show(self, text: str, ok: bool) -> None:
        self.message.setStyleSheet(f"color: {'#1b7f2a' if ok else '#b3141c'}; font-weight: bold;")
        self.message.setText(text)

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
        """Put the selected rejected item back in the queue."""
        row = self.table.currentRow()
        if not (0 <= row < len(self.items)):
            return
        try:
            self.controller.requeue(self.items[row].id, self.person)
        except Exception as e:  # FacadeError
            self._show(str(e), False)
            return
        self.refresh()
