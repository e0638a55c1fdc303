"""The operator's answer area: the engine's prompts (checklist, numeric entry with unit and the
engine's refusal, choice of options) and the serial field a barcode scanner types into.

Why: the engine asks and validates; this panel only shows the question and sends the answer back
through the bridge, with large targets and Enter/Escape so it works in gloves.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from gui.texts import is_english, shown, unit_text
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
    """The engine's questions: a checklist (each point confirmed or not) or a value with its unit,
    showing the engine's reason when it refused the previous value. Enter answers; Escape clears."""

    answered = Signal(str, object)  # prompt_id, answer

    def __init__(self, parent: QWidget | None = None) -> None:
        """Three pages: idle, checklist, entry."""
        super().__init__(parent)
        self.prompt: OperatorPrompt | None = None
        self.idle = QLabel(self)
        self.idle.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.addWidget(self.idle)
        # checklist
        self.check_page = QWidget(self)
        cl = QVBoxLayout(self.check_page)
        self.check_title = QLabel(self.check_page)
        self.check_title.setWordWrap(True)
        big_font(self.check_title, 14)
        cl.addWidget(self.check_title)
        self.check_box = QVBoxLayout()
        cl.addLayout(self.check_box)
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
        cl.addStretch(1)
        self.addWidget(self.check_page)
        self.boxes: list[QCheckBox] = []
        # entry
        self.entry_page = QWidget(self)
        el = QVBoxLayout(self.entry_page)
        self.entry_text = QLabel(self.entry_page)
        self.entry_text.setWordWrap(True)
        big_font(self.entry_text, 14)
        el.addWidget(self.entry_text)
        self.entry_range = QLabel(self.entry_page)
        el.addWidget(self.entry_range)
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
        self.entry_error = QLabel(self.entry_page)
        self.entry_error.setObjectName("entry_error")
        self.entry_error.setWordWrap(True)
        self.entry_error.setStyleSheet("color: #b00020; font-weight: bold;")
        el.addWidget(self.entry_error)
        el.addStretch(1)
        self.addWidget(self.entry_page)
        # choice (e.g. a test condition not met: measure again, or void the run)
        self.choice_page = QWidget(self)
        chl = QVBoxLayout(self.choice_page)
        self.choice_text = QLabel(self.choice_page)
        self.choice_text.setWordWrap(True)
        self.choice_text.setObjectName("choice_text")
        big_font(self.choice_text, 14)
        chl.addWidget(self.choice_text)
        self.choice_row = QHBoxLayout()
        chl.addLayout(self.choice_row)
        chl.addStretch(1)
        self.addWidget(self.choice_page)
        self.choice_buttons: list[QPushButton] = []
        self.check_all.clicked.connect(lambda: [b.setChecked(True) for b in self.boxes])
        self.check_ok.clicked.connect(self._answer_checklist)
        self.entry_ok.clicked.connect(self._answer_entry)
        self.entry.returnPressed.connect(self._answer_entry)
        self.retranslate()

    def retranslate(self) -> None:
        """Texts of the fixed controls."""
        self.idle.setText(self.tr("无待回答的提示"))
        self.check_all.setText(self.tr("全部确认(&Y)"))
        self.check_all.setAccessibleName(self.tr("全部确认"))
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
        if prompt.kind == "checklist":
            for b in self.boxes:
                self.check_box.removeWidget(b)
                b.deleteLater()
            self.boxes = []
            for _point in prompt.items:
                b = QCheckBox(self.check_page)
                b.setMinimumHeight(MIN_TOUCH_PX)
                b.setStyleSheet("QCheckBox::indicator { width: 28px; height: 28px; }")
                self.check_box.addWidget(b)
                self.boxes.append(b)
            self._render_texts()
            self.setCurrentWidget(self.check_page)
            (self.boxes[0] if self.boxes else self.check_ok).setFocus()
            return
        if prompt.kind == "choice":
            for b in self.choice_buttons:
                self.choice_row.removeWidget(b)
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

    def _escape(self) -> None:
        """Escape: clear the entry or un-check every point (never answers)."""
        if self.currentWidget() is self.entry_page:
            self.entry.clear()
        else:
            for b in self.boxes:
                b.setChecked(False)

    def _answer_checklist(self) -> None:
        """Send the checklist's answers."""
        if self.prompt is None or self.prompt.kind != "checklist":
            return
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
