"""The results page says results as the certificate does (one formatter, reports/result_text.py):
an annex row (电能读数核对) has no verdict and is not red, an item not done says 不适用 with why, a
checklist says 符合, record flags (an invalid OCMF signature) stand in amber; a bench lists its
positions in their own columns; the document opens (the desktop's viewer) and prints (Qt printer)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PySide6.QtCore import QUrl
from PySide6.QtPrintSupport import QPrinter
from pytestqt.qtbot import QtBot

from bench.controller import Controller, PositionSummary, RunSummary
from gui.bridge import EngineBridge
from gui.views.results_view import ResultsView
from reports.certificate import render_document
from reports.samples import sample_record
from tests.reports.test_result_text import OCMF_FLAG, _annexed


@pytest.fixture
def view(qtbot: QtBot, controller: Controller) -> Iterator[ResultsView]:
    bridge = EngineBridge(controller)
    view = ResultsView(controller, bridge)
    qtbot.addWidget(view)
    view.resize(1366, 600)
    yield view
    bridge.shutdown()


def _cells(view: ResultsView, row: int) -> list[str]:
    return [view.table.item(row, c).text() for c in range(view.table.columnCount())]


def test_a_record_reads_as_its_certificate_and_its_document_opens_and_prints(view: ResultsView, tmp_path: Path) -> None:
    record = _annexed(sample_record(passing=False))
    pdf = tmp_path / f"{record.certificate_no}.pdf"
    pdf.write_bytes(render_document(record))
    view.show_summary(RunSummary(run_id="r", status="finished", record=record, document=pdf))
    rows = {(c[0], c[1]): c for c in (_cells(view, r) for r in range(view.table.rowCount()))}
    assert rows[("工作误差", "Imin (3.2 A), cosφ=1")][3:] == ["+1.4 %", "±1.0 %", "✗ 不合格"]
    assert rows[("时钟时刻误差", "与北京时间比对")][3:] == ["1.2 s", "±5.0 s", "✓ 合格"]
    assert rows[("外观及功能检查", "")][5] == "✓ 符合"  # a checklist's word, as printed
    assert rows[("绝缘电阻", "2022 版无此项目 (not in the 2022 edition)")][5] == "— 不适用"
    register = next(r for r in range(view.table.rowCount()) if _cells(view, r)[1].startswith("OCPP 电能示值"))
    verdict = view.table.item(register, 5)
    assert verdict.text() == "— 附页" and verdict.background().color().name() == "#e0e0e0"  # no verdict, not red
    assert _cells(view, register)[3:5] == ["0.034 kWh", "±0.010 kWh"]
    assert view.flags.isVisibleTo(view) and f"⚠ {OCMF_FLAG.split(' (')[0]}" in view.flags.text()
    assert "#ffb300" in view.flags.styleSheet()  # amber
    assert "铭牌标志齐全" not in view.flags.text() and "铭牌标志齐全" in view.notes.text()  # a note is not a flag
    assert pdf.name in view.documents.text() and view.open_btn.isEnabled() and view.print_btn.isEnabled()

    opened: list[QUrl] = []
    view.opener = lambda url: opened.append(url) or True  # the desktop's PDF viewer, recorded
    assert view.open_document() and opened == [QUrl.fromLocalFile(str(pdf))]

    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    out = tmp_path / "printed.pdf"
    printer.setOutputFileName(str(out))
    pages = len(pdfium.PdfDocument(pdf.read_bytes()))
    assert view.print_to(printer, pdf) == pages >= 2
    assert len(pdfium.PdfDocument(out.read_bytes())) == pages  # every page went to the printer
    dialog = view.print_dialog()  # the Qt print dialog, opened without blocking
    assert dialog is not None and dialog.isVisible()
    dialog.reject()


def test_a_bench_lists_positions_in_their_columns(view: ResultsView, tmp_path: Path) -> None:
    docs = []
    for n in (1, 2):
        path = tmp_path / f"p{n}.pdf"
        path.write_bytes(b"%PDF-1.4")
        docs.append(path)
    failing = _annexed(sample_record(passing=False, position=2))
    positions = [
        PositionSummary(1, "SIMWM0001", "finished", "合格", "JDZ-1", docs[0], sample_record(position=1)),
        PositionSummary(2, "SIMWM0002", "finished", "不合格", "TZ-2", docs[1], failing),
        PositionSummary(3, "SIMWM0003", "retest", message="表位 3: 无脉冲 (no pulses)"),
    ]
    view.show_summary(RunSummary(run_id="r", status="finished", message="合格 1 不合格 1 需复检 1", positions=positions))
    headers = [view.table.horizontalHeaderItem(c).text() for c in range(6)]
    assert headers == ["表位", "出厂编号", "最大误差点", "证书/通知书编号", "说明", "结论"]
    # the error nearest its MPE: 1.2 s of ±5.0 s (24 %) before +0.22 % of ±1.0 %
    assert _cells(view, 0)[:4] == ["1", "SIMWM0001", "与北京时间比对: 1.2 s (±5.0 s)", "JDZ-1"]
    second = _cells(view, 1)
    assert second[1] == "SIMWM0002" and second[2].startswith("Imin") and second[5] == "✗ 不合格"
    assert second[4].startswith("⚠ 签名电能数据无效")  # the position's record flag, in amber
    assert view.table.item(1, 4).background().color().name() == "#ffb300"
    assert _cells(view, 2)[4:] == ["表位 3: 无脉冲 (no pulses)", "⚠ 需复检"]
    assert view.current_document() == docs[0]  # the first position selected
    view.table.selectRow(1)
    assert view.current_document() == docs[1] and "p2.pdf" in view.documents.text()
    view.table.selectRow(2)
    assert view.current_document() is None and not view.open_btn.isEnabled()
