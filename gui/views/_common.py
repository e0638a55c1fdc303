"""Small shared pieces of the views: glove-sized buttons, verdict colours with text, status texts
through Qt translation, and running a blocking controller call off the GUI thread.

Why: a technician on a cold site works with gloves (buttons at least 44 px, large readings) and
must never rely on colour alone (every coloured cell also says 合格/不合格/需复检); a connection
test or a platform push may take seconds and must not freeze the window.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtGui import QColor, QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

MIN_TOUCH_PX = 44
# high-contrast verdict colours (background, text): green / red / amber / grey
VERDICT_COLOURS = {"pass": ("#1b7f2a", "#ffffff"), "fail": ("#b3141c", "#ffffff"),
                   "retest": ("#f0a500", "#000000"), "undetermined": ("#f0a500", "#000000"),
                   "n/a": ("#d0d0d0", "#000000"), "pending": ("#e8e8e8", "#000000")}


def tr(text: str) -> str:
    """Translate a views string (context "Views"); the source text is Chinese."""
    return QCoreApplication.translate("Views", text)


def verdict_text(verdict: str) -> str:
    """A verdict or position state as words (never colour alone)."""
    texts = {"pass": QCoreApplication.translate("Views", "合格"),
             "fail": QCoreApplication.translate("Views", "不合格"),
             "retest": QCoreApplication.translate("Views", "需复检"),
             "undetermined": QCoreApplication.translate("Views", "待定"),
             "n/a": QCoreApplication.translate("Views", "—"),
             "pending": QCoreApplication.translate("Views", "等待")}
    return texts.get(verdict, verdict)


def verdict_colours(verdict: str) -> tuple[QColor, QColor]:
    """(background, foreground) of a verdict."""
    bg, fg = VERDICT_COLOURS.get(verdict, VERDICT_COLOURS["pending"])
    return QColor(bg), QColor(fg)


def task_status_text(status: str) -> str:
    """A task's status in the operator's language."""
    texts = {"booked": QCoreApplication.translate("Views", "待受理"),
             "accepted": QCoreApplication.translate("Views", "已受理"),
             "refused": QCoreApplication.translate("Views", "不予受理"),
             "reassign_requested": QCoreApplication.translate("Views", "申请重新指派"),
             "completed": QCoreApplication.translate("Views", "已完成")}
    return texts.get(status, status)


def certificate_status_text(status: str) -> str:
    """A certificate version's status in the operator's language."""
    texts = {"draft": QCoreApplication.translate("Views", "草稿"),
             "checked": QCoreApplication.translate("Views", "已核验"),
             "approved": QCoreApplication.translate("Views", "已批准"),
             "issued": QCoreApplication.translate("Views", "已签发"),
             "superseded": QCoreApplication.translate("Views", "已被替代"),
             "revoked": QCoreApplication.translate("Views", "已注销")}
    return texts.get(status, status)


def kind_text(kind: str) -> str:
    """Certificate, notice, or the result of an in-service inspection (which gives no validity)."""
    if kind == "certificate":
        return QCoreApplication.translate("Views", "检定证书")
    if kind == "inspection":
        return QCoreApplication.translate("Views", "使用中检查结果通知书")
    return QCoreApplication.translate("Views", "检定结果通知书")


def outbox_status_text(status: str) -> str:
    """An outbox item's status in the operator's language."""
    texts = {"pending": QCoreApplication.translate("Views", "待上传"),
             "done": QCoreApplication.translate("Views", "已确认"),
             "rejected": QCoreApplication.translate("Views", "被退回")}
    return texts.get(status, status)


def big_button(text: str, parent: QWidget, name: str) -> QPushButton:
    """A push button large enough for a gloved finger, with an accessible name."""
    b = QPushButton(text, parent)
    b.setMinimumHeight(MIN_TOUCH_PX)
    b.setMinimumWidth(96)
    b.setAccessibleName(name)
    return b


def button_bar(layout: QLayout, buttons: Sequence[QWidget]) -> QHBoxLayout:
    """A row of ``buttons`` packed to the left, added to ``layout`` (tab order stays the creation
    order of the buttons)."""
    bar = QHBoxLayout()
    for b in buttons:
        bar.addWidget(b)
    bar.addStretch(1)
    layout.addLayout(bar)
    return bar


def scaled_font(widget: QWidget, factor: float, bold: bool | None = None) -> QFont:
    """``widget``'s font enlarged by ``factor`` (from at least 9 pt), bold when asked: the large
    readings and headings a technician reads from across the room."""
    f = QFont(widget.font())
    f.setPointSizeF(max(f.pointSizeF(), 9.0) * factor)
    if bold is not None:
        f.setBold(bold)
    return f


def record_table(parent: QWidget, columns: int, object_name: str, row_height: int = 40,
                 single: bool = True) -> QTableWidget:
    """A read-only table of records: whole rows selected (one at a time when ``single``), touch-high
    rows, the last column stretched. Every list view shows its records this way."""
    table = QTableWidget(0, columns, parent)
    table.setObjectName(object_name)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    if single:
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().setDefaultSectionSize(row_height)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def fill_table(table: QTableWidget, rows: Sequence[Sequence[str]], colour_column: int | None = None,
               verdicts: Sequence[str] = ()) -> None:
    """Put ``rows`` of texts into ``table``; with ``colour_column``, that cell of row i is painted in
    the colours of ``verdicts[i]`` (its text says the state too: never colour alone)."""
    table.setRowCount(len(rows))
    for i, texts in enumerate(rows):
        for j, text in enumerate(texts):
            cell = QTableWidgetItem(text)
            if j == colour_column:
                bg, fg = verdict_colours(verdicts[i])
                cell.setBackground(bg)
                cell.setForeground(fg)
            table.setItem(i, j, cell)
    table.resizeColumnsToContents()


def selected(table: QTableWidget, rows: Sequence[Any]) -> Any | None:
    """The record of the selected row (None when nothing is selected)."""
    row = table.currentRow()
    return rows[row] if 0 <= row < len(rows) and table.selectedItems() else None


def select_where(table: QTableWidget, rows: Sequence[Any], match: Callable[[Any], bool]) -> None:
    """Select the first row whose record ``match``es."""
    for i, r in enumerate(rows):
        if match(r):
            table.selectRow(i)
            return


def message_label(parent: QWidget, object_name: str | None = None) -> QLabel:
    """The word-wrapped line under a view that says what a command did (or why it was refused)."""
    label = QLabel(parent)
    if object_name is not None:
        label.setObjectName(object_name)
    label.setWordWrap(True)
    return label


def show_message(label: QLabel, text: str, ok: bool) -> None:
    """Say ``text`` in bold green (done) or red (refused, failed)."""
    label.setStyleSheet(f"color: {'#1b7f2a' if ok else '#b3141c'}; font-weight: bold;")
    label.setText(text)


def labelled_rows(parent: QWidget, form: QFormLayout, fields: Sequence[QWidget]) -> list[QLabel]:
    """Touch-high input ``fields`` in ``form``, each behind a label that is its buddy (the label's
    mnemonic focuses the field); the labels, for the view to give their texts."""
    labels: list[QLabel] = []
    for w in fields:
        w.setMinimumHeight(40)
        label = QLabel(parent)
        label.setBuddy(w)
        form.addRow(label, w)
        labels.append(label)
    return labels


def refresh_shortcut(widget: QWidget, slot: Callable[[], Any]) -> QShortcut:
    """F5 reloads the view (the refresh buttons say "刷新 (F5)")."""
    return QShortcut(QKeySequence(Qt.Key.Key_F5), widget, slot)


class _Relay(QObject):
    done = Signal(object, object)  # (result, error)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self.fn, self.relay = fn, relay

    def run(self) -> None:
        try:
            result = self.fn()
        except Exception as e:  # handed to the GUI thread, shown to the operator
            self.relay.done.emit(None, e)
            return
        self.relay.done.emit(result, None)


_relays: set[_Relay] = set()


def run_off_thread(fn: Callable[[], Any], on_done: Callable[[Any, BaseException | None], None]) -> None:
    """Run a blocking controller call on the thread pool; ``on_done(result, error)`` runs on the
    GUI thread (a queued signal) when it returns."""
    relay = _Relay()
    _relays.add(relay)

    def finish(result: Any, error: Any) -> None:
        _relays.discard(relay)
        on_done(result, error)

    relay.done.connect(finish)
    QThreadPool.globalInstance().start(_Job(fn, relay))


def conclusion_text(conclusion: str) -> str:
    """A record's conclusion (合格 / 不合格) in the operator's language."""
    return {"合格": verdict_text("pass"), "不合格": verdict_text("fail")}.get(conclusion, conclusion)


class RowsPage:
    """What every list page shares (mixed into the QWidget of a page with a ``table`` filled from
    ``rows``): the selected row and selecting a row by its key, the attribute ``row_key`` names
    (a certificate's number, a task's booking id, an instrument's serial …)."""

    table: QTableWidget
    rows: list[Any]
    row_key: str = ""

    def current(self) -> Any | None:
        """The selected row (None when nothing is selected)."""
        return selected(self.table, self.rows)

    def select(self, key: str) -> None:
        """Select the row whose ``row_key`` attribute is ``key``."""
        select_where(self.table, self.rows, lambda r: getattr(r, self.row_key) == key)
