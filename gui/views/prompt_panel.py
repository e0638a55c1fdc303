"""The operator's answer area: the engine's prompts (checklist, numeric entry with unit and the
engine's refusal, choice of options) and the serial field a barcode scanner types into.

Why: the engine asks and validates; this panel only shows the question and sends the answer back
through the bridge, with large targets and Enter/Escape so it works in gloves.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from gui.texts import is_english, shown, unit_text
from gui.views.position_checklist import PositionChecklist, common_point, position_lines
from gui.views.touch import MIN_TOUCH_PX, big_font, touch_button
from procedures.engine import OperatorPrompt

Clock = Callable[[], float]


class BarcodeLineEdit(QLineEdit):
    """A line edit that also takes a barcode scanner in keyboard-wedge mode: a burst of fast
    keystrokes ending with Enter replaces the field's text with what was scanned (a prefilled
    serial is not appended to) and emits `scanned`; typing by hand and Enter emits `submitted`.

    Why: a scanner "types" 20–50 characters a second and presses Enter; a person types slower.
    `gap_s` is the longest pause between two scanner keystrokes; `clock` is injectable for tests.
    """

    scanned = Signal(str)
    submitted = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, gap_s: float = 0.05, min_len: int = 4,
                 clock: Clock = time.monotonic) -> None:
        """A scanner-aware field; bursts shorter than `min_len` count as typing."""
        super().__init__(parent)
        self.gap_s = gap_s
        self.min_len = min_len
        self.clock = clock
        self._burst: list[str] = []
        self._fast = True
        self._last = -1e9

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Track keystroke timing; on Enter decide scan or typing."""
        now = self.clock()
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            burst, fast = "".join(self._burst), self._fast and now - self._last <= self.gap_s
            self._burst, self._fast = [], True
            if fast and len(burst) >= self.min_len:
                self.setText(burst)
                self.scanned.emit(burst)
            else:
                self.submitted.emit(self.text())
            event.accept()
            return
        text = event.text()
        if text and text.isprintable():
            if now - self._last > self.gap_s:
                self._burst, self._fast = [], True  # a pause: a new burst starts
            self._burst.append(text)
            self._last = now
        else:
            self._fast = False
        super().keyPressEvent(event)


class PromptPanel(QStackedWidget):
    """The engine's questions: a checklist (each point confirmed or not; over bench positions a grid
    with 全部符合，除…), a value with its unit showing the engine's reason when it refused the previous
    value, or a choice. Enter answers; Escape clears.

    Layout: each page's question and content scroll, while its answer row (Submit / OK / the
    choices) stays fixed at the bottom, so a long checklist never pushes Submit out of the window;
    the panel's size hints are those of the page shown (an idle panel asks for one line), and
    `preferred_height` says how tall the page would like to be so the run page can make room."""

    answered = Signal(str, object)  # prompt_id, answer
    shown = Signal()  # another prompt (or idle) is shown: the run page re-divides its room

    def __init__(self, parent: QWidget | None = None) -> None:
        """Four pages: idle, checklist, entry, choice."""
        super().__init__(parent)
        self.prompt: OperatorPrompt | None = None
        self.idle = QLabel(self)
        self.idle.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.addWidget(self.idle)
        # checklist: title and points (or the position grid) scroll; summary and buttons stay
        self.check_page = QWidget(self)
        cl = _page_layout(self.check_page)
        self.check_body = QWidget()
        body = QVBoxLayout(self.check_body)
        body.setContentsMargins(0, 0, 0, 0)
        self.check_title = QLabel(self.check_body)
        self.check_title.setWordWrap(True)
        big_font(self.check_title, 14)
        body.addWidget(self.check_title)
        self.check_box = QVBoxLayout()
        body.addLayout(self.check_box)
        self.grid = PositionChecklist(self.check_body)
        self.grid.hide()
        body.addWidget(self.grid, 1)
        body.addStretch(1)
        self._check_body = body
        self._per_position = False  # the checklist shown is asked per bench position (the grid)
        self.check_scroll = _scroll(self.check_body, self.check_page, "check_scroll")
        cl.addWidget(self.check_scroll, 1)
        self.check_summary = QLabel(self.check_page)
        self.check_summary.setObjectName("check_summary")
        self.check_summary.setWordWrap(True)
        cl.addWidget(self.check_summary)
        row = QHBoxLayout()
        self.check_all = touch_button(self.check_page)
        self.check_all.setObjectName("check_all")
        self.check_ok = touch_button(self.check_page)
        self.check_ok.setObjectName("check_ok")
        self.check_ok.setDefault(True)
        row.addWidget(self.check_all)
        row.addStretch(1)
        row.addWidget(self.check_ok)
        cl.addLayout(row)
        self.addWidget(self.check_page)
        self.boxes: list[QCheckBox] = []
        # entry: the question and its range scroll; the refusal and the field stay
        self.entry_page = QWidget(self)
        el = _page_layout(self.entry_page)
        entry_body = QWidget()
        eb = _page_layout(entry_body)
        self.entry_text = _question(entry_body)
        eb.addWidget(self.entry_text)
        self.entry_range = QLabel(entry_body)
        self.entry_range.setWordWrap(True)
        eb.addWidget(self.entry_range)
        eb.addStretch(1)
        self.entry_scroll = _scroll(entry_body, self.entry_page, "entry_scroll")
        el.addWidget(self.entry_scroll, 1)
        self.entry_error = QLabel(self.entry_page)
        self.entry_error.setObjectName("entry_error")
        self.entry_error.setWordWrap(True)
        self.entry_error.setStyleSheet("color: #b00020; font-weight: bold;")
        el.addWidget(self.entry_error)
        er = QHBoxLayout()
        self.entry = QLineEdit(self.entry_page)
        self.entry.setObjectName("entry")
        self.entry.setMinimumHeight(MIN_TOUCH_PX)
        big_font(self.entry)
        self.entry_unit = QLabel(self.entry_page)
        big_font(self.entry_unit)
        self.entry_ok = touch_button(self.entry_page)
        self.entry_ok.setObjectName("entry_ok")
        er.addWidget(self.entry, 1)
        er.addWidget(self.entry_unit)
        er.addWidget(self.entry_ok)
        el.addLayout(er)
        self.addWidget(self.entry_page)
        # choice (e.g. a test condition not met: measure again, or void the run)
        self.choice_page = QWidget(self)
        chl = _page_layout(self.choice_page)
        choice_body = QWidget()
        cb = _page_layout(choice_body)
        self.choice_text = _question(choice_body)
        self.choice_text.setObjectName("choice_text")
        cb.addWidget(self.choice_text)
        cb.addStretch(1)
        chl.addWidget(_scroll(choice_body, self.choice_page, "choice_scroll"), 1)
        self.choice_row = QHBoxLayout()
        chl.addLayout(self.choice_row)
        self.addWidget(self.choice_page)
        self.choice_buttons: list[QPushButton] = []
        self.check_all.clicked.connect(self._check_all)
        self.check_ok.clicked.connect(self._answer_checklist)
        self.entry_ok.clicked.connect(self._answer_entry)
        self.entry.returnPressed.connect(self._answer_entry)
        self.grid.changed.connect(self._render_summary)
        self.currentChanged.connect(lambda _i: self.updateGeometry())
        self.retranslate()

    # -- size: that of the page shown, not the largest page ---------------------------------------
    def sizeHint(self) -> QSize:
        """The shown page's size hint (a QStackedWidget would take the largest page's)."""
        page = self.currentWidget()
        return page.sizeHint() if page is not None else super().sizeHint()

    def minimumSizeHint(self) -> QSize:
        """The shown page's minimum: its fixed answer row and a little of its scrolling content."""
        page = self.currentWidget()
        return page.minimumSizeHint() if page is not None else super().minimumSizeHint()

    def preferred_height(self) -> int:
        """How tall the shown page would like to be to show all of its content without scrolling
        (the run page gives it that much when it can, keeping the live panel usable)."""
        page = self.currentWidget()
        scroll = page.findChild(QScrollArea) if page is not None and page is not self.idle else None
        if scroll is None or scroll.widget() is None or scroll.widget().layout() is None:
            return self.idle.sizeHint().height()
        # the width the content has with a scroll bar shown (a narrower width wraps more: never too short)
        width = max(scroll.width() - 2 * scroll.frameWidth() - scroll.verticalScrollBar().sizeHint().width(), 300)
        body = scroll.widget().layout().totalHeightForWidth(width)
        fixed = page.minimumSizeHint().height() - scroll.minimumSizeHint().height()  # answer row, summary
        return fixed + body + 2 * scroll.frameWidth() + 24  # slack: layout spacing, no bar for a few px

    def retranslate(self) -> None:
        """Texts of the fixed controls."""
        self.idle.setText(self.tr("无待回答的提示"))
        self._render_check_all()
        self.check_ok.setText(self.tr("提交(&O)"))
        self.check_ok.setAccessibleName(self.tr("提交检查结果"))
        self.entry_ok.setText(self.tr("确定(&O)"))
        self.entry_ok.setAccessibleName(self.tr("提交输入值"))
        self.entry.setAccessibleName(self.tr("输入值"))
        self.entry.setPlaceholderText(self.tr("数值，可带单位"))
        self._render_texts()

    def changeEvent(self, event: QEvent) -> None:
        """Re-translate on a language switch."""
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Keys the panel's controls leave unhandled: Enter confirms a checklist, Escape clears."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentWidget() is self.check_page:
            self._answer_checklist()
        elif event.key() == Qt.Key.Key_Escape:
            self._escape()
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def show_prompt(self, prompt: OperatorPrompt) -> None:
        """Show `prompt` and put the keyboard focus where the answer goes."""
        self.prompt = prompt
        try:
            self._show(prompt)
        finally:
            self.updateGeometry()
            self.shown.emit()

    def lines(self) -> list[str]:
        """The lines of the checklist shown, as the engine asked them (its answer's keys)."""
        if self._per_position:
            return [p.line for p in self.grid.lines]
        return list(self.prompt.items) if self.prompt is not None and self.prompt.kind == "checklist" else []

    def _show(self, prompt: OperatorPrompt) -> None:
        """Fill the page of the prompt's kind and bring it to the front."""
        if prompt.kind == "checklist":
            for b in self.boxes:
                self.check_box.removeWidget(b)
                b.hide()  # gone now, not when the event loop gets round to deleting it
                b.deleteLater()
            self.boxes = []
            per_position = position_lines(prompt.items)
            self._per_position = per_position is not None
            self.grid.setVisible(self._per_position)
            self._check_body.setStretch(2, 1 if self._per_position else 0)  # the grid takes the room,
            self._check_body.setStretch(3, 0 if self._per_position else 1)  # or the points sit on top
            if per_position is not None:
                self.grid.set_lines(per_position)
            else:
                self.grid.set_lines([])
                for _point in prompt.items:
                    b = QCheckBox(self.check_body)
                    b.setMinimumHeight(MIN_TOUCH_PX)
                    b.setStyleSheet("QCheckBox::indicator { width: 28px; height: 28px; }")
                    b.toggled.connect(self._render_summary)
                    self.check_box.addWidget(b)
                    self.boxes.append(b)
            self._render_texts()
            self._render_check_all()
            self._render_summary()
            self.setCurrentWidget(self.check_page)
            self.check_scroll.verticalScrollBar().setValue(0)
            (self.grid if per_position is not None else self.boxes[0] if self.boxes else self.check_ok).setFocus()
            return
        if prompt.kind == "choice":
            for b in self.choice_buttons:
                self.choice_row.removeWidget(b)
                b.hide()
                b.deleteLater()
            self.choice_buttons = []
            for option in prompt.items:
                b = touch_button(self.choice_page)
                b.clicked.connect(lambda _=False, o=option: self._answer_choice(o))
                self.choice_row.addWidget(b)
                self.choice_buttons.append(b)
            self._render_texts()
            self.setCurrentWidget(self.choice_page)
            if self.choice_buttons:
                self.choice_buttons[0].setFocus()
            return
        self._render_texts()
        self.entry.clear()
        self.setCurrentWidget(self.entry_page)
        self.entry.setFocus()

    def _render_texts(self) -> None:
        """The prompt's texts in the interface's language (the engine sends each in Chinese and
        English); called when a prompt is shown and again on a language switch, answers kept."""
        prompt = self.prompt
        if prompt is None:
            return
        if prompt.kind in ("checklist", "choice"):
            title, buttons = ((self.check_title, self.boxes) if prompt.kind == "checklist"
                              else (self.choice_text, self.choice_buttons))
            title.setText(shown(prompt.text))
            if prompt.kind == "checklist" and self._per_position:
                lines = position_lines(prompt.items) or []
                if common_point(lines):  # the point every position confirms, once above the grid
                    first = shown(prompt.items[0])
                    point = re.split(r"[:：]", first, maxsplit=1)[-1].strip()
                    title.setText(f"{shown(prompt.text)}\n{point}")
            for b, item in zip(buttons, prompt.items, strict=False):  # a point's box, an option's button
                b.setText(shown(item))
                b.setAccessibleName(shown(item))
            return
        self.entry_text.setText(shown(prompt.text))
        unit = unit_text(prompt.unit)
        self.entry_unit.setText(unit)
        parts = []
        if prompt.low is not None and prompt.high is not None:
            parts.append(self.tr("范围 {low} … {high} {unit}").format(
                low=f"{prompt.low:g}", high=f"{prompt.high:g}", unit=unit))
        if prompt.mark_time is not None:
            parts.append(self.tr("在标准时间 {t} 读取显示").format(t=f"{prompt.mark_time:%H:%M:%S}"))
        if prompt.suggested:
            parts.append(self.tr("协议读数 {v} {unit}：与显示一致直接确定，否则输入显示值").format(
                v=prompt.suggested, unit=unit))
        self.entry_range.setText(("; " if is_english() else "；").join(parts))
        self.entry_error.setText(self.tr("输入被拒绝: {reason}").format(reason=shown(prompt.error))
                                 if prompt.error else "")

    def clear_prompt(self, prompt_id: str | None = None) -> None:
        """Back to idle (the prompt was answered, or the run stopped)."""
        if prompt_id is None or (self.prompt is not None and self.prompt.prompt_id == prompt_id):
            self.prompt = None
            self.setCurrentWidget(self.idle)
            self.updateGeometry()
            self.shown.emit()

    def _escape(self) -> None:
        """Escape: clear the entry or un-check every point (never answers)."""
        if self.currentWidget() is self.entry_page:
            self.entry.clear()
        else:
            for b in self.boxes:
                b.setChecked(False)
            self.grid.reset()

    def _check_all(self) -> None:
        """全部确认 / 全部符合，除…: every point (position) confirmed; exceptions are then un-ticked."""
        for b in self.boxes:
            b.setChecked(True)
        if self._per_position:
            self.grid.all_conform()
            self.grid.setFocus()

    def _render_check_all(self) -> None:
        """The confirm-all button says what it does for the checklist shown."""
        if self._per_position:
            self.check_all.setText(self.tr("全部符合，除…(&Y)"))
            self.check_all.setAccessibleName(self.tr("全部表位符合，再点选不符合的表位"))
        else:
            self.check_all.setText(self.tr("全部确认(&Y)"))
            self.check_all.setAccessibleName(self.tr("全部确认"))

    def _render_summary(self) -> None:
        """What Submit will send: how many conform, which do not, which are unmarked (sent as not
        conforming, as the regulation judges a point not confirmed)."""
        if self._per_position:
            ok, bad, unmarked = (self.grid.positions(s) for s in (True, False, None))
        else:
            ok = [i for i, b in enumerate(self.boxes) if b.isChecked()]
            bad, unmarked = [], [i for i, b in enumerate(self.boxes) if not b.isChecked()]
        parts = [self.tr("符合 {n}").format(n=len(ok))]
        if self._per_position:
            if bad:
                parts.append(self.tr("不符合: 表位 {list}").format(list=_positions_text(bad)))
            if unmarked:
                parts.append(self.tr("未确认 (按不符合提交): 表位 {list}").format(list=_positions_text(unmarked)))
        elif unmarked:
            parts.append(self.tr("未勾选 {n} (按不符合提交)").format(n=len(unmarked)))
        self.check_summary.setText(" · ".join(parts))

    def _answer_checklist(self) -> None:
        """Send the checklist's answers."""
        if self.prompt is None or self.prompt.kind != "checklist":
            return
        if self._per_position:
            answer = self.grid.answer()
        else:
            answer = {point: b.isChecked() for point, b in zip(self.prompt.items, self.boxes, strict=True)}
        self.answered.emit(self.prompt.prompt_id, answer)

    def _answer_choice(self, option: str) -> None:
        """Send the chosen option."""
        if self.prompt is None or self.prompt.kind != "choice":
            return
        self.answered.emit(self.prompt.prompt_id, option)

    def _answer_entry(self) -> None:
        """Send the typed value (the engine validates it and asks again with its reason)."""
        if self.prompt is None or self.prompt.kind != "entry":
            return
        self.answered.emit(self.prompt.prompt_id, self.entry.text().strip())


def _question(parent: QWidget) -> QLabel:
    """A prompt's question: large, wrapped text (it scrolls with its page's body)."""
    label = QLabel(parent)
    label.setWordWrap(True)
    big_font(label, 14)
    return label


def _page_layout(page: QWidget) -> QVBoxLayout:
    """A prompt page's layout: no outer margins (the group box has them)."""
    lay = QVBoxLayout(page)
    lay.setContentsMargins(0, 0, 0, 0)
    return lay


def _scroll(body: QWidget, parent: QWidget, name: str) -> QScrollArea:
    """`body` in a frameless vertical scroll area that follows the page's width (no sideways
    scrolling: labels wrap)."""
    area = QScrollArea(parent)
    area.setObjectName(name)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setWidget(body)
    area.setMinimumHeight(48)
    return area


def _positions_text(positions: list[int], limit: int = 24) -> str:
    """"3, 7, 12" (at most `limit`, then "… (+n)")."""
    shown = ", ".join(str(p) for p in positions[:limit])
    return shown + (f" … (+{len(positions) - limit})" if len(positions) > limit else "")
