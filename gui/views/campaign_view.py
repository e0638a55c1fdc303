"""The bureaus' campaigns (专项工作): each campaign's next deadline, what is late, due and done, and
标记完成 (record a deadline done once its report was sent) — through bench's controller.

Why: a notice sets reports on the 14th and 28th of every month and a 工作总结 by a day in October;
the operator must see on the workstation what falls due next and what is already late, without
reading the notices again, and record what was sent so the calendar stays true.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from gui.views._common import (
    big_button,
    button_bar,
    fill_table,
    labelled_rows,
    message_label,
    record_table,
    refresh_shortcut,
    scaled_font,
    selected,
    show_message,
)
from gui.views.login import LoginRow

# a deadline's state → the colours of a verdict (the cell also says the state in words)
STATE_COLOURS = {"late": "fail", "due": "pending", "done late": "retest", "done": "pass"}


def deadline_status_text(status_en: str) -> str:
    """A deadline's state in the operator's language."""
    texts = {"late": QCoreApplication.translate("Views", "逾期未完成"),
             "due": QCoreApplication.translate("Views", "待完成"),
             "done late": QCoreApplication.translate("Views", "逾期完成"),
             "done": QCoreApplication.translate("Views", "已完成")}
    return texts.get(status_en, status_en)


class CampaignPage(QWidget):
    """A campaign chooser, its next deadline in large type, its deadlines (the next first, then the
    late ones) and 标记完成 for the selected one."""

    def __init__(self, controller: Any, parent: QWidget | None = None, person: str = "") -> None:
        """Build the page over ``controller`` (campaign_statuses, mark_campaign_done)."""
        super().__init__(parent)
        self.controller = controller
        self.statuses: list[Any] = []
        self.rows: list[Any] = []
        self.as_of: Any = None  # the day the page stands on (None: today)
        lay = QVBoxLayout(self)
        self.chooser = QComboBox(self)
        self.chooser.setObjectName("campaign")
        self.chooser.setMinimumHeight(40)
        lay.addWidget(self.chooser)
        self.next_label = QLabel(self)
        self.next_label.setObjectName("next_deadline")
        self.next_label.setWordWrap(True)
        self.next_label.setFont(scaled_font(self.next_label, 1.5, bold=True))
        lay.addWidget(self.next_label)
        self.counts_label = QLabel(self)
        self.counts_label.setObjectName("campaign_counts")
        lay.addWidget(self.counts_label)
        self.table = record_table(self, 5, "deadlines")
        lay.addWidget(self.table, 1)
        form = QFormLayout()
        self.note = QLineEdit(self)
        (self.note_label,) = labelled_rows(self, form, (self.note,))
        lay.addLayout(form)
        self.login_row = LoginRow(controller, self, person)  # 登记人: a logged-in 批准人 or administrator
        lay.addWidget(self.login_row)
        self.done_button = big_button("", self, "done")
        self.refresh_button = big_button("", self, "refresh")
        button_bar(lay, (self.done_button, self.refresh_button))
        self.message = message_label(self, "campaign_message")
        lay.addWidget(self.message)
        self.chooser.currentIndexChanged.connect(lambda _i: self._fill())
        self.done_button.clicked.connect(self.mark_done)
        self.refresh_button.clicked.connect(self.refresh)
        self.table.itemSelectionChanged.connect(self._enable)
        refresh_shortcut(self, self.refresh)
        self.retranslate()

    def retranslate(self) -> None:
        """Re-apply texts after a language switch (the campaigns' names too)."""
        self.done_button.setText(self.tr("标记完成(&D)"))
        self.done_button.setAccessibleName(self.tr("标记完成：材料已报送"))
        self.refresh_button.setText(self.tr("刷新 (F5)"))
        self.refresh_button.setAccessibleName(self.tr("刷新"))
        self.login_row.retranslate()
        self.note_label.setText(self.tr("说明(&N)"))
        self.note.setPlaceholderText(self.tr("报送了什么、如何报送"))
        self.chooser.setAccessibleName(self.tr("专项"))
        self.table.setAccessibleName(self.tr("截止事项"))
        self.table.setHorizontalHeaderLabels([self.tr("状态"), self.tr("截止日"), self.tr("事项"), self.tr("剩余"),
                                              self.tr("完成或起草")])
        if self.statuses:
            self.refresh()
        else:
            self._fill()

    def refresh(self, as_of: Any = None) -> None:
        """Reload every campaign as it stands today (or on ``as_of``, kept for later refreshes),
        keeping the one chosen."""
        current = self.current_key()
        self.as_of = as_of or self.as_of
        self.statuses = list(self.controller.campaign_statuses(self.as_of))
        self.chooser.blockSignals(True)
        self.chooser.clear()
        for s in self.statuses:
            self.chooser.addItem(s.name_en if self._english() else f"{s.name}（{s.bureau}）", s.key)
        keys = [s.key for s in self.statuses]
        self.chooser.setCurrentIndex(keys.index(current) if current in keys else 0 if keys else -1)
        self.chooser.blockSignals(False)
        self._fill()

    def _english(self) -> bool:
        """True when the interface is in English (the translation renders this marker): the
        campaigns' and milestones' names are then their English names from the campaign files."""
        return self.tr("中文界面") != "中文界面"

    def current_key(self) -> str | None:
        """The key of the campaign shown (None before the first refresh)."""
        key = self.chooser.currentData()
        return str(key) if key else None

    def current(self) -> Any | None:
        """The campaign shown (a bench.campaign_views.CampaignStatus)."""
        return next((s for s in self.statuses if s.key == self.current_key()), None)

    def _name(self, d: Any) -> str:
        return str(d.name_en if self._english() else d.name)

    def _when(self, d: Any) -> tuple[str, str]:
        if d.done_on:
            left = ""
        elif d.days_left > 0:
            left = self.tr("还有 %1 天").replace("%1", str(d.days_left))
        elif d.days_left == 0:
            left = self.tr("今日截止")
        else:
            left = self.tr("已逾期 %1 天").replace("%1", str(-d.days_left))
        if d.done_on:
            record = self.tr("%1 完成").replace("%1", d.done_on.isoformat())
        elif d.drafted_on:
            record = self.tr("%1 已起草").replace("%1", d.drafted_on.isoformat())
        else:
            record = ""
        return left, f"{record} {d.note}".strip()

    def _fill(self) -> None:
        s = self.current()
        self.rows = list(s.deadlines) if s else []
        if s is None:
            self.next_label.setText(self.tr("无专项"))
            self.counts_label.setText("")
        else:
            nxt = s.next
            self.next_label.setText(self.tr("下一截止：%1 %2（%3）").replace("%1", nxt.due.isoformat())
                                    .replace("%2", self._name(nxt)).replace("%3", self._when(nxt)[0])
                                    if nxt else self.tr("下一截止：无"))
            name = s.phase_en if self._english() else s.phase
            sep = "; " if self._english() else "；"
            phase = [self.tr("当前阶段：%1").replace("%1", name)] if name else []
            self.counts_label.setText(sep.join(phase + [f"{deadline_status_text(k)} {n}" for k, n in s.counts.items()]))
        self.next_label.setAccessibleName(self.next_label.text())
        fill_table(self.table, [(deadline_status_text(d.status_en), d.due.isoformat(), self._name(d), *self._when(d))
                                for d in self.rows],
                   colour_column=0, verdicts=[STATE_COLOURS.get(d.status_en, "pending") for d in self.rows])
        self._enable()

    def _enable(self) -> None:
        d = selected(self.table, self.rows)
        self.done_button.setEnabled(d is not None and d.open)

    def mark_done(self) -> None:
        """Record the selected deadline done (its report sent) as the logged-in account (批准人 or
        administrator; the controller checks the role), with the note."""
        d, s = selected(self.table, self.rows), self.current()
        if d is None or s is None:
            return
        try:
            self.controller.mark_campaign_done(s.key, d.key, self.login_row.account, on=self.as_of, note=self.note.text())
        except Exception as e:  # FacadeError: the refusal as the rules word it
            show_message(self.message, str(e), False)
            return
        show_message(self.message, self.tr("已记为完成：%1").replace("%1", self._name(d)), True)
        self.note.clear()
        self.refresh()
