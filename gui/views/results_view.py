"""The results view: every judged result with its MPE and verdict (text and high-contrast colour,
never colour alone), live during the run and from the frozen record(s) at its end, with the
certificate or notice number and document of each instrument.

Why: the technician checks what will be printed before it goes to the checker; the verdict must be
readable in sunlight on a cold site (green/red/amber backgrounds with black or white text and a mark).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from bench.controller import Controller
from gui.bridge import EngineBridge
from gui.views._common import kind_text, record_table
from procedures.engine import MeasurementRecorded
from procedures.records import MeasurementResult, VerificationRecord

# verdict → (text colour, background): WCAG-contrast pairs, always shown with a mark and a word
VERDICT_COLOURS: dict[str, tuple[str, str]] = {
    "pass": ("#ffffff", "#1b5e20"),  # white on dark green
    "fail": ("#ffffff", "#b71c1c"),  # white on dark red
    "undetermined": ("#000000", "#ffb300"),  # black on amber
    "n/a": ("#000000", "#e0e0e0"),
    "retest": ("#000000", "#ffb300"),
}
_VERDICT_TEXT = {"pass": "✓ 合格", "fail": "✗ 不合格", "undetermined": "? 待定", "n/a": "— 不适用",
                 "retest": "⚠ 需复检"}


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


class ResultsView(QWidget):
    """Results table (item, point, position, error, MPE, verdict) and the run's conclusion."""

    COLUMNS = ("检定项目", "测试点", "表位", "示值误差", "最大允许误差", "结论")

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
        self.table = record_table(self, len(self.COLUMNS), "results_table", row_height=36, single=False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        lay.addWidget(self.table, 1)
        self.documents = QLabel(self)
        self.documents.setObjectName("results_documents")
        self.documents.setWordWrap(True)
        self.documents.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.documents)
        self.summary: Any = None
        bridge.run_started.connect(lambda _ev: self.clear())
        bridge.measurement.connect(self.add_measurement)
        self.retranslate()

    def retranslate(self) -> None:
        """Header and accessible names; rows are rebuilt so verdict words follow the language."""
        self.table.setHorizontalHeaderLabels([self.tr(c) for c in self.COLUMNS])
        self.table.setAccessibleName(self.tr("检定结果"))
        self.heading.setAccessibleName(self.tr("检定结论"))
        self.documents.setAccessibleName(self.tr("证书文件"))
        if self.summary is None and not self.table.rowCount():
            self.heading.setText(self.tr("尚无检定结果"))
        for row in range(self.table.rowCount()):
            cell = self.table.item(row, 5)
            if cell is not None:
                cell.setText(verdict_text(str(cell.data(Qt.ItemDataRole.UserRole))))

    def changeEvent(self, event: QEvent) -> None:
        """Re-translate on a language switch."""
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def _tr_columns(self) -> None:  # pragma: no cover - lupdate sees the column titles here
        """Literal calls so lupdate extracts the column titles (COLUMNS is data)."""
        for text in (self.tr("检定项目"), self.tr("测试点"), self.tr("表位"), self.tr("示值误差"),
                     self.tr("最大允许误差"), self.tr("结论")):
            del text

    def clear(self) -> None:
        """A new run: empty the table."""
        self.summary = None
        self.table.setRowCount(0)
        self.heading.setText(self.tr("检定进行中…"))
        self.documents.setText("")

    def add_measurement(self, ev: MeasurementRecorded) -> None:
        """A live result from the engine."""
        self._row(ev.result.name, ev.result)

    def _row(self, item_name: str, r: MeasurementResult | None, verdict: str | None = None,
             position: int | None = None, error: str = "", mpe: str = "") -> None:
        """Append one row; the verdict cell carries text, mark and colour."""
        row = self.table.rowCount()
        self.table.insertRow(row)
        if r is not None:
            position = r.position
            error = f"{r.rounded} {r.unit}".strip()
            mpe = f"±{r.mpe:g} {r.unit}".strip() if r.mpe is not None else "—"
            verdict = r.verdict.value
        cells = [item_name, r.label if r is not None else "", "" if position is None else str(position), error, mpe]
        for col, text in enumerate(cells):
            cell = QTableWidgetItem(text)
            if col == 3:
                f = QFont(cell.font())
                f.setPointSize(14)
                cell.setFont(f)
                cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(row, col, cell)
        v = verdict or "n/a"
        cell = QTableWidgetItem(verdict_text(v))
        cell.setData(Qt.ItemDataRole.UserRole, v)
        fg, bg = verdict_colours(v)
        cell.setForeground(fg)
        cell.setBackground(bg)
        f = QFont(cell.font())
        f.setBold(True)
        cell.setFont(f)
        self.table.setItem(row, 5, cell)

    def show_summary(self, summary: Any) -> None:
        """The run's end: the frozen record(s) replace the live rows (a bench run: one row per
        position with its conclusion and document, faults marked 需复检)."""
        self.summary = summary
        if summary.status != "finished":
            self.heading.setText(self.tr("检定未完成: {msg}").format(msg=summary.message))
            return
        self.table.setRowCount(0)
        docs: list[str] = []
        if summary.record is not None:
            rec: VerificationRecord = summary.record
            for item in rec.items:
                name = item.name if self._zh() else (item.name_en or item.name)
                if not item.results:
                    self._row(name, None, verdict=item.verdict.value)
                for r in item.results:
                    self._row(name, r)
            kind = kind_text(rec.kind)
            self.heading.setText(self.tr("检定结论: {c}  {kind} {no}").format(
                c=verdict_text("pass" if rec.passed else "fail"), kind=kind, no=rec.certificate_no))
            if summary.document is not None:
                docs.append(str(summary.document))
        for p in summary.positions:
            if p.status != "finished" or p.record is None:
                self._row(p.serial, None, verdict="retest", position=p.position, error=p.message)
                continue
            self._row(p.serial, None, verdict="pass" if p.record.passed else "fail", position=p.position,
                      error=p.certificate_no)
            if p.document is not None:
                docs.append(f"{p.position}: {p.document}")
        if summary.positions:
            self.heading.setText(self.tr("多表位检定完成: {c}").format(c=summary.message))
        self.documents.setText(self.tr("文件: {paths}").format(paths="\n".join(docs)) if docs else "")

    @staticmethod
    def _zh() -> bool:
        """Whether the GUI shows Chinese now (no English translation installed)."""
        return QCoreApplication.translate("App", "语言(&L)") == "语言(&L)"
