"""Certificate preview and print: the certificates and notices in the store (draft, checked,
approved, issued …), each previewed page by page (pypdfium2 renders the PDF to images — this
PySide6 has no QtPdf) and printed with QPrinter/QPrintDialog at the printer's resolution.

Why: the technician checks what the customer will receive before it is printed; the preview is the
very PDF the controller wrote (draft marked 草稿 未批准, or the issued, signed one).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QImage, QKeySequence, QPainter, QPixmap, QShortcut
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QLabel, QScrollArea, QSplitter, QVBoxLayout, QWidget

from gui.views._common import (
    big_button,
    button_bar,
    certificate_status_text,
    conclusion_text,
    fill_table,
    kind_text,
    message_label,
    record_table,
    refresh_shortcut,
    select_where,
)
from reports.raster import render


def render_pages(pdf: bytes, scale: float = 1.5) -> list[QImage]:
    """Every page of a PDF as an image (``scale`` 1 = 72 dpi), by the project's one page renderer
    (:mod:`reports.raster`, as ``certificate verify`` and the golden pages see them)."""
    out: list[QImage] = []
    for pixels in render(pdf, 72 * scale):
        h, w, _ = pixels.shape
        out.append(QImage(pixels.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy())
    return out


def print_pdf(pdf: bytes, printer: QPrinter) -> int:
    """Paint each page of ``pdf`` onto ``printer`` at its resolution; the number of pages printed."""
    dpi = max(printer.resolution(), 72)
    pages = render_pages(pdf, scale=min(dpi, 300) / 72.0)
    painter = QPainter()
    if not painter.begin(printer):
        raise RuntimeError("打印机无法开始打印 (the printer could not start)")
    try:
        for i, img in enumerate(pages):
            if i:
                printer.newPage()
            area = painter.viewport()
            size = img.size().scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
            painter.setViewport(QRect(area.x(), area.y(), size.width(), size.height()))
            painter.setWindow(img.rect())
            painter.drawImage(0, 0, img)
            painter.setViewport(area)
    finally:
        painter.end()
    return len(pages)


class CertificateView(QWidget):
    """A list of certificates beside a page-by-page preview, with print."""

    COLUMNS = 6

    def __init__(self, controller: Any, parent: QWidget | None = None) -> None:
        """Build the view over ``controller`` (certificate_list, certificate_pdf)."""
        super().__init__(parent)
        self.controller = controller
        self.rows: list[Any] = []
        self.pages: list[QImage] = []
        self.pdf: bytes = b""
        lay = QVBoxLayout(self)
        self.refresh_button = big_button("", self, "refresh")
        self.print_button = big_button("", self, "print")
        self.print_button.setEnabled(False)
        button_bar(lay, (self.refresh_button, self.print_button))
        self.message = message_label(self)
        lay.addWidget(self.message)
        split = QSplitter(self)
        self.table = record_table(split, self.COLUMNS, "certificates")
        self.preview = QScrollArea(split)
        self.preview.setWidgetResizable(True)
        self.preview.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._pages_box = QWidget(self.preview)
        self._pages_layout = QVBoxLayout(self._pages_box)
        self.preview.setWidget(self._pages_box)
        split.addWidget(self.table)
        split.addWidget(self.preview)
        split.setStretchFactor(1, 2)
        lay.addWidget(split, 1)
        self.refresh_button.clicked.connect(self.refresh)
        self.print_button.clicked.connect(self.print_dialog)
        self.table.itemSelectionChanged.connect(self._selected)
        refresh_shortcut(self, self.refresh)
        QShortcut(QKeySequence.StandardKey.Print, self, self.print_dialog)
        self.retranslate()

    def retranslate(self) -> None:
        """Re-apply texts after a language switch."""
        self.refresh_button.setText(self.tr("刷新 (F5)"))
        self.refresh_button.setAccessibleName(self.tr("刷新证书列表"))
        self.print_button.setText(self.tr("打印(&P)"))
        self.print_button.setAccessibleName(self.tr("打印证书"))
        self.table.setAccessibleName(self.tr("证书列表"))
        self.preview.setAccessibleName(self.tr("证书预览"))
        self.table.setHorizontalHeaderLabels([self.tr("证书编号"), self.tr("类别"), self.tr("状态"), self.tr("出厂编号"),
                                              self.tr("结论"), self.tr("检定员")])
        self._fill()

    def refresh(self) -> None:
        """Reload the list from the controller, keeping the selection."""
        current = self.current_number()
        self.rows = self.controller.certificate_list()
        self._fill()
        if current:
            self.select(current)

    def _fill(self) -> None:
        fill_table(self.table, [(c.display_no, kind_text(c.kind), certificate_status_text(c.status), c.serial,
                                 conclusion_text(c.conclusion), c.verifier) for c in self.rows])

    def current_number(self) -> str:
        """The number of the selected certificate ("" when none)."""
        row = self.table.currentRow()
        return self.rows[row].number if 0 <= row < len(self.rows) else ""

    def select(self, number: str) -> None:
        """Select (and preview) the certificate ``number``."""
        select_where(self.table, self.rows, lambda c: c.number == number)

    def _selected(self) -> None:
        number = self.current_number()
        if number:
            self.show_certificate(number)

    def show_certificate(self, number: str) -> None:
        """Render the certificate's PDF into the preview."""
        try:
            self.pdf = self.controller.certificate_pdf(number)
            self.pages = render_pages(self.pdf)
        except Exception as e:  # a missing file is shown, not raised
            self.pdf, self.pages = b"", []
            self.message.setText(str(e))
        else:
            self.message.setText(self.tr("共 %1 页").replace("%1", str(len(self.pages))))
        while self._pages_layout.count():
            item = self._pages_layout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        width = max(400, self.preview.viewport().width() - 24)
        for i, img in enumerate(self.pages):
            label = QLabel(self._pages_box)
            pix = QPixmap.fromImage(img).scaledToWidth(width, Qt.TransformationMode.SmoothTransformation)
            label.setPixmap(pix)
            label.setFixedSize(pix.size())  # a page keeps its proportions; the area scrolls
            label.setAccessibleName(self.tr("第 %1 页").replace("%1", str(i + 1)))
            self._pages_layout.addWidget(label)
        self.print_button.setEnabled(bool(self.pages))

    def print_dialog(self) -> None:
        """Choose a printer and print the previewed certificate."""
        if not self.pdf:
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self)
        dialog.setWindowTitle(self.tr("打印证书"))
        if dialog.exec() == QPrintDialog.DialogCode.Accepted:
            n = print_pdf(self.pdf, printer)
            self.message.setText(self.tr("已打印 %1 页").replace("%1", str(n)))
