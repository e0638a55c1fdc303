"""The results view: every judged result with its MPE and verdict (text and high-contrast colour,
never colour alone), live during the run and from the frozen record(s) at its end, with the
certificate or notice number and document of each instrument, opened or printed from here.

Results are said as the certificate says them: the rows come from the one formatter the printed
pages use (:mod:`reports.result_text`) — the recorded 修约, the MPE or limit as printed, 符合/不符合
for a checklist, 不适用 for an item not done, the annex's rows (电能读数核对) without a verdict — and
the record's flags and notes (the 附页's 说明, e.g. an invalid OCMF signature) stand below the table
in amber. A bench run lists its positions (表位, 出厂编号, worst point against its MPE, document).

Why: the technician checks what will be printed before it goes to the checker; the verdict must be
readable in sunlight on a cold site (green/red/amber backgrounds with black or white text and a mark).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, Qt, QUrl
from PySide6.QtGui import QBrush, QColor, QDesktopServices, QFont
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from bench.controller import Controller
from gui.bridge import EngineBridge
from gui.views._common import kind_text, record_table
from gui.views.certificate_view import print_pdf
from gui.views.touch import touch_button
from procedures.engine import MeasurementRecorded
from procedures.records import VerificationRecord
from reports.result_text import (
    ANNEX,
    EMPTY,
    ResultRow,
    live_row,
    record_flags,
    record_notes,
    result_rows,
    worst_point_text,
)

# verdict → (text colour, background): WCAG-contrast pairs, always shown with a mark and a word
VERDICT_COLOURS: dict[str, tuple[str, str]] = {
    "pass": ("#ffffff", "#1b5e20"),  # white on dark green
    "fail": ("#ffffff", "#b71c1c"),  # white on dark red
    "undetermined": ("#000000", "#ffb300"),  # black on amber
    "n/a": ("#000000", "#e0e0e0"),
    "retest": ("#000000", "#ffb300"),
    ANNEX: ("#000000", "#e0e0e0"),  # an annex row: no verdict, as on the document
}
FLAG_STYLE = "QLabel { background: #ffb300; color: #000000; padding: 6px; font-weight: bold; }"
"""Record flags (the 附页's flags: an invalid OCMF signature …): amber, black text, the ⚠ mark."""
NOTE_STYLE = "QLabel { background: #eceff1; color: #000000; padding: 6px; }"
"""The 附页's other notes: neutral, as information."""
_VERDICT_TEXT = {"pass": "✓ 合格", "fail": "✗ 不合格", "undetermined": "? 待定", "n/a": "— 不适用",
                 "retest": "⚠ 需复检", ANNEX: "— 附页"}
_DOCUMENT_WORDS = {"符合": "✓ 符合", "不符合": "✗ 不符合"}
"""A checklist's verdict as the document prints it (符合/不符合), with its mark."""


def verdict_text(verdict: str) -> str:
    """A verdict as a mark and a word in the current language (context "Verdict")."""
    return QCoreApplication.translate("Verdict", _VERDICT_TEXT.get(verdict, verdict))


def verdict_colours(verdict: str) -> tuple[QBrush, QBrush]:
    """(foreground, background) brushes of a verdict."""
    fg, bg = VERDICT_COLOURS.get(verdict, ("#000000", "#ffffff"))
    return QBrush(QColor(fg)), QBrush(QColor(bg))


def _translate_marks() -> None:  # pragma: no cover - lupdate sees the verdict words here
    """Literal calls so lupdate extracts the verdict words (the table above is data)."""
    QCoreApplication.translate("Verdict", "✓ 合格")
    QCoreApplication.translate("Verdict", "✗ 不合格")
    QCoreApplication.translate("Verdict", "? 待定")
    QCoreApplication.translate("Verdict", "— 不适用")
    QCoreApplication.translate("Verdict", "⚠ 需复检")
    QCoreApplication.translate("Verdict", "— 附页")
    QCoreApplication.translate("Verdict", "✓ 符合")
    QCoreApplication.translate("Verdict", "✗ 不符合")


@dataclass
class Shown:
    """A row of the table as it is shown: its verdict key and document word (re-translated on a
    language switch), and the document it opens (a bench position's)."""

    verdict_key: str
    verdict: str
    document: Path | None = None


class ResultsView(QWidget):
    """Results table (item, point, position, result, requirement, verdict) and the run's conclusion,
    the record's flags in amber, and its document(s) opened or printed from here."""

    COLUMNS = ("检定项目", "检定点", "表位", "结果", "最大允许误差", "结论")
    BENCH_COLUMNS = ("表位", "出厂编号", "最大误差点", "证书/通知书编号", "说明", "结论")

    def __init__(self, controller: Controller, bridge: EngineBridge, parent: QWidget | None = None) -> None:
        """Listen to the bridge's measurements; `show_summary` fills the final state."""
        super().__init__(parent)
        self.controller = controller
        self.bridge = bridge
        lay = QVBoxLayout(self)
        self.heading = QLabel(self)
        self.heading.setObjectName("results_heading")
        f = QFont(self.heading.font())
        f.setPointSize(16)
        self.heading.setFont(f)
        self.heading.setWordWrap(True)
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.heading)
        self.table = record_table(self, len(self.COLUMNS), "results_table", row_height=36, single=True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.verticalHeader().hide()  # rows are items or positions, not numbers
        self.table.itemSelectionChanged.connect(self._render_document)
        self.table.cellDoubleClicked.connect(lambda _r, _c: self.open_document())
        lay.addWidget(self.table, 1)
        self.flags = _boxed_label(self, "results_flags", FLAG_STYLE)
        self.notes = _boxed_label(self, "results_notes", NOTE_STYLE)  # the 附页's other lines: information
        lay.addWidget(self.flags)
        lay.addWidget(self.notes)
        docs = QHBoxLayout()
        self.documents = QLabel(self)
        self.documents.setObjectName("results_documents")
        self.documents.setWordWrap(True)
        self.documents.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.documents.linkActivated.connect(lambda _link: self.open_document())
        self.open_btn = touch_button(self)
        self.open_btn.setObjectName("open_document")
        self.open_btn.clicked.connect(self.open_document)
        self.print_btn = touch_button(self)
        self.print_btn.setObjectName("print_document")
        self.print_btn.clicked.connect(self.print_dialog)
        docs.addWidget(self.documents, 1)
        docs.addWidget(self.open_btn)
        docs.addWidget(self.print_btn)
        lay.addLayout(docs)
        self.summary: Any = None
        self.shown: list[Shown] = []
        self.document: Path | None = None  # the run's document (one instrument)
        self.opener = QDesktopServices.openUrl  # how a document is opened (the desktop's PDF viewer)
        self.print_dialog_box: QPrintDialog | None = None
        bridge.run_started.connect(lambda _ev: self.clear())
        bridge.measurement.connect(self.add_measurement)
        self._bench = False
        self.retranslate()
        self._render_document()

    def retranslate(self) -> None:
        """Header and accessible names; verdict words follow the language."""
        self._headers()
        self.table.setAccessibleName(self.tr("检定结果"))
        self.heading.setAccessibleName(self.tr("检定结论"))
        self.flags.setAccessibleName(self.tr("记录中的提示与说明"))
        self.notes.setAccessibleName(self.tr("附页说明"))
        self.documents.setAccessibleName(self.tr("证书文件"))
        self.open_btn.setText(self.tr("打开文件(&O)"))
        self.open_btn.setAccessibleName(self.tr("打开证书或通知书文件"))
        self.print_btn.setText(self.tr("打印(&P)"))
        self.print_btn.setAccessibleName(self.tr("打印证书或通知书"))
        if self.summary is None and not self.table.rowCount():
            self.heading.setText(self.tr("尚无检定结果"))
        for row, shown in enumerate(self.shown):
            cell = self.table.item(row, 5)
            if cell is not None:
                cell.setText(_verdict_word(shown))
        self._render_document()

    def _headers(self) -> None:
        columns = self.BENCH_COLUMNS if self._bench else self.COLUMNS
        self.table.setHorizontalHeaderLabels([self.tr(c) for c in columns])

    def changeEvent(self, event: QEvent) -> None:
        """Re-translate on a language switch."""
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def _tr_columns(self) -> None:  # pragma: no cover - lupdate sees the column titles here
        """Literal calls so lupdate extracts the column titles (COLUMNS is data)."""
        for text in (self.tr("检定项目"), self.tr("检定点"), self.tr("表位"), self.tr("结果"),
                     self.tr("最大允许误差"), self.tr("结论"), self.tr("出厂编号"), self.tr("最大误差点"),
                     self.tr("证书/通知书编号"), self.tr("说明")):
            del text

    def clear(self) -> None:
        """A new run: empty the table."""
        self.summary = None
        self.document = None
        self._bench = False
        self._headers()
        self.table.setRowCount(0)
        self.shown.clear()
        self.heading.setText(self.tr("检定进行中…"))
        self.flags.hide()
        self.notes.hide()
        self._render_document()

    def add_measurement(self, ev: MeasurementRecorded) -> None:
        """A live result from the engine, worded as the document will print it."""
        self._result_row(live_row(ev.result, ev.item))

    def _result_row(self, row: ResultRow) -> None:
        name = row.item if self._zh() else (row.item_en or row.item)
        point = row.point if not row.note else row.note
        self._row([name, point, "" if row.position is None else str(row.position), row.result, row.requirement],
                  Shown(row.verdict_key, row.verdict))

    def _row(self, cells: list[str], shown: Shown, amber: set[int] | None = None) -> None:
        """Append one row; the verdict cell carries text, mark and colour (columns in ``amber``:
        a record flag, in the flag's colours)."""
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.shown.append(shown)
        for col, text in enumerate(cells):
            cell = QTableWidgetItem(text)
            if col == 3 and not self._bench:  # the result, large
                f = QFont(cell.font())
                f.setPointSize(14)
                cell.setFont(f)
                cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if amber and col in amber:
                cell.setBackground(QBrush(QColor("#ffb300")))
                cell.setForeground(QBrush(QColor("#000000")))
            self.table.setItem(row, col, cell)
        cell = QTableWidgetItem(_verdict_word(shown))
        cell.setData(Qt.ItemDataRole.UserRole, shown.verdict_key)
        fg, bg = verdict_colours(shown.verdict_key)
        cell.setForeground(fg)
        cell.setBackground(bg)
        f = QFont(cell.font())
        f.setBold(True)
        cell.setFont(f)
        self.table.setItem(row, 5, cell)

    def show_summary(self, summary: Any) -> None:
        """The run's end: the frozen record(s) replace the live rows (a bench run: one row per
        position with its worst point, document number and conclusion; faults marked 需复检)."""
        self.summary = summary
        if summary.status != "finished":
            self.heading.setText(self.tr("检定未完成: {msg}").format(msg=summary.message))
            return
        self.table.setRowCount(0)
        self.shown.clear()
        self._bench = bool(summary.positions)
        self._headers()
        flags: list[str] = []
        notes: list[str] = []
        if summary.record is not None:
            rec: VerificationRecord = summary.record
            for row in result_rows(rec):
                self._result_row(row)
            kind = kind_text(rec.kind)
            self.heading.setText(self.tr("检定结论: {c}  {kind} {no}").format(
                c=verdict_text("pass" if rec.passed else "fail"), kind=kind, no=rec.certificate_no))
            self.document = summary.document
            flags, notes = record_flags(rec), record_notes(rec)
        for p in summary.positions:
            if p.status != "finished" or p.record is None:
                self._row([str(p.position), p.serial, EMPTY, EMPTY, p.message], Shown("retest", "需复检"))
                continue
            noted = record_flags(p.record)
            key = "pass" if p.record.passed else "fail"
            self._row([str(p.position), p.serial, worst_point_text(p.record) or EMPTY, p.certificate_no,
                       "⚠ " + "；".join(noted) if noted else ""],
                      Shown(key, p.record.conclusion, p.document), amber={4} if noted else None)
        if summary.positions:
            self.heading.setText(self.tr("多表位检定完成: {c}").format(c=summary.message))
        self.table.resizeColumnsToContents()
        if flags:
            self.flags.setText("\n".join(f"⚠ {line}" for line in flags))
        self.flags.setVisible(bool(flags))
        self.notes.setText("\n".join(f"{self.tr('附页说明')}: {line}" for line in notes))
        self.notes.setVisible(bool(notes))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2 if self._bench else 1, QHeaderView.ResizeMode.Stretch)  # point, worst point
        if self._bench and self.table.rowCount():
            self.table.selectRow(0)
        self._render_document()

    # -- documents ------------------------------------------------------------------------------------
    def current_document(self) -> Path | None:
        """The document the buttons act on: the selected position's on a bench, else the run's."""
        if self._bench:
            row = self.table.currentRow()
            return self.shown[row].document if 0 <= row < len(self.shown) else None
        return self.document

    def _render_document(self) -> None:
        """The current document as a link (click opens it) beside 打开 and 打印."""
        doc = self.current_document()
        ok = doc is not None and Path(doc).exists()
        self.open_btn.setEnabled(ok)
        self.print_btn.setEnabled(ok)
        if doc is None:
            self.documents.setText(self.tr("选择表位以打开其证书或通知书") if self._bench and self.shown else "")
            return
        self.documents.setText(self.tr("文件: {link}").format(
            link=f'<a href="{QUrl.fromLocalFile(str(doc)).toString()}">{Path(doc).name}</a>'))
        self.documents.setToolTip(str(doc))

    def open_document(self) -> bool:
        """Open the current document in the desktop's PDF viewer."""
        doc = self.current_document()
        if doc is None or not Path(doc).exists():
            return False
        return bool(self.opener(QUrl.fromLocalFile(str(doc))))

    def print_dialog(self) -> QPrintDialog | None:
        """Choose a printer (Qt's print dialog, opened without blocking) and print the current
        document's pages (rendered by pypdfium2); the dialog is returned."""
        doc = self.current_document()
        if doc is None or not Path(doc).exists():
            return None
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self)
        dialog.setWindowTitle(self.tr("打印证书或通知书"))
        dialog.accepted.connect(lambda: self.print_to(printer, Path(doc)))
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.show()  # window-modal, never blocking the engine's signals
        self.print_dialog_box = dialog
        return dialog

    def print_to(self, printer: QPrinter, doc: Path) -> int:
        """Print ``doc`` on ``printer``; the number of pages printed (said on the heading's line)."""
        n = print_pdf(doc.read_bytes(), printer)
        self.documents.setText(self.tr("已打印 {n} 页: {name}").format(n=n, name=doc.name))
        return n

    @staticmethod
    def _zh() -> bool:
        """Whether the GUI shows Chinese now (no English translation installed)."""
        return QCoreApplication.translate("App", "语言(&L)") == "语言(&L)"


def _boxed_label(parent: QWidget, name: str, style: str) -> QLabel:
    """A wrapped, selectable, hidden-until-filled label in ``style`` (the flags' amber, the notes' grey)."""
    label = QLabel(parent)
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setStyleSheet(style)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.hide()
    return label


def _verdict_word(shown: Shown) -> str:
    """A shown row's verdict cell text in the current language."""
    if shown.verdict in _DOCUMENT_WORDS:
        return QCoreApplication.translate("Verdict", _DOCUMENT_WORDS[shown.verdict])
    return verdict_text(shown.verdict_key)
