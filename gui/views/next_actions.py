"""After a 不合格: the next actions, offered as soon as the run ends (a non-modal box beside the
results page):

- **出具检定结果通知书** — the notice the run drafted goes through 核验 → 批准 → 签发 on the approval
  page (opened at that notice, in the role its state needs); once issued, the certificates page shows it;
- **复检** (re-test) — the same instrument again on the run page, as it was (a new, independent run:
  when the failure may have come from the set-up, not the instrument);
- **调整后重新检定** (adjust and re-verify) — the owner had it adjusted or repaired: say what was done,
  and the next run on the run page is linked to the failed one (bench.adjustment: the new record's
  调整/修理情况 names what was done and the failed record and notice; the failed run keeps its notice).

Only for one instrument's verification; a bench's failing positions are re-tested as a follow-up of
those positions (the bench view), and an in-service inspection's result is not re-verified here.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from gui.views._common import big_button, message_label, show_message


def failed_verification(summary: Any) -> bool:
    """True for a finished run of one instrument whose verification concluded 不合格 (a notice)."""
    rec = getattr(summary, "record", None)
    return (getattr(summary, "status", "") == "finished" and not getattr(summary, "positions", None)
            and rec is not None and not rec.passed and rec.kind == "notice")


class NextActions(QDialog):
    """The three next actions after a failed verification (see the module docstring)."""

    def __init__(self, window: Any, run_page: Any, summary: Any, parent: QWidget | None = None) -> None:
        """Offer the actions for ``summary``'s failed run; ``window`` is the main window (pages),
        ``run_page`` the run page (the re-test and the adjusted run start there)."""
        super().__init__(parent or window)
        self.setObjectName("next_actions")
        self.window_, self.run_page, self.summary = window, run_page, summary
        rec = summary.record
        self.notice_no: str = rec.certificate_no
        self.serial: str = rec.instrument.serial
        self.setWindowTitle(self.tr("不合格：下一步"))
        self.setMinimumWidth(560)
        lay = QVBoxLayout(self)
        english = self.tr("中文界面") != "中文界面"  # the English translation renders this marker (as the run page)
        failing = (", " if english else "、").join((i.name_en or i.name) if english else i.name
                                                   for i in rec.failing_items)
        self.heading = QLabel(self.tr("{serial} 检定不合格 ({items})。通知书 {notice}").format(
            serial=self.serial, items=failing, notice=self.notice_no), self)
        self.heading.setWordWrap(True)
        lay.addWidget(self.heading)
        self.notice_button = big_button(self.tr("出具检定结果通知书(&N)"), self, self.tr("出具检定结果通知书"))
        self.retest_button = big_button(self.tr("复检(&R)"), self, self.tr("复检同一器具"))
        lay.addWidget(self.notice_button)
        lay.addWidget(self.retest_button)
        row = QHBoxLayout()
        self.note = QLineEdit(self)
        self.note.setObjectName("adjustment_note")
        self.note.setMinimumHeight(44)
        self.note.setPlaceholderText(self.tr("调整或修理情况，如：更换计量芯片后校准"))
        self.note.setAccessibleName(self.tr("调整或修理情况"))
        self.adjust_button = big_button(self.tr("调整后重新检定(&A)"), self, self.tr("调整后重新检定"))
        row.addWidget(self.note, 1)
        row.addWidget(self.adjust_button)
        lay.addLayout(row)
        self.message = message_label(self, "next_actions_message")
        lay.addWidget(self.message)
        self.close_button = big_button(self.tr("关闭"), self, self.tr("关闭"))
        lay.addWidget(self.close_button)
        self.notice_button.clicked.connect(self.issue_notice)
        self.retest_button.clicked.connect(self.retest)
        self.adjust_button.clicked.connect(self.adjust)
        self.close_button.clicked.connect(self.reject)

    def issue_notice(self) -> None:
        """Open the notice where its next step is: the approval page (核验 for a draft, 批准 / 签发
        after), or the certificates page once issued."""
        try:
            status = self.window_.page("certificates").controller.certificate(self.notice_no).status
        except Exception as e:  # the notice not found: said here
            show_message(self.message, str(e), False)
            return
        if status in ("draft", "checked", "approved") and "approval" in self.window_.page_keys():
            page = self.window_.page("approval")
            page.set_role("checker" if status == "draft" else "approver")
            page.refresh()
            self.window_.show_page("approval")
        else:
            page = self.window_.page("certificates")
            page.refresh()
            self.window_.show_page("certificates")
        page.select(self.notice_no)
        self.accept()

    def retest(self) -> None:
        """The same instrument again: the run page with its serial, ready to start (an ordinary run)."""
        self._to_run_page(None, self.tr("复检 {serial}: 确认后开始").format(serial=self.serial))

    def adjust(self) -> None:
        """The next run is 调整后重新检定 of the failed one: refused without a note of what was done."""
        note = self.note.text().strip()
        if not note:
            show_message(self.message, self.tr("请填写调整或修理情况"), False)
            self.note.setFocus()
            return
        self._to_run_page((self.summary.run_id, note),
                          self.tr("调整后重新检定 {serial} (调整: {note}): 确认后开始").format(serial=self.serial, note=note))

    def _to_run_page(self, adjustment: tuple[str, str] | None, status: str) -> None:
        page = self.run_page
        page.next_adjustment = adjustment
        if page.serial.isEnabled():
            page.serial.setText(self.serial)
        page.status.setText(status)
        self.window_.show_page("run")
        page.start_btn.setFocus()
        self.accept()


def offer_next_actions(window: Any, run_page: Any, summary: Any) -> NextActions | None:
    """After a run: for a failed verification, open :class:`NextActions` (non-modal); the box."""
    if not failed_verification(summary):
        return None
    box = NextActions(window, run_page, summary)
    box.open()
    window.next_actions = box
    return box
