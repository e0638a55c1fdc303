"""The oversight reports as PDF and Excel (reports/oversight.py): the text a reader sees (pdftotext),
page x of y on every page, the embedded font, determinism, histograms; the Excel data sheet's two
header rows, frozen panes, widths and typed cells, read back with openpyxl."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from reports.oversight import (
    Column,
    Histogram,
    OversightDocument,
    histogram_drawing,
    render_pdf,
    rows_as_dicts,
    write_xlsx,
)

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed")

COLS = (Column("status", "状态", "Status", 10), Column("serial", "出厂编号", "Serial", 14),
        Column("due", "有效期至", "Due", 11, "date"), Column("days", "剩余天数", "Days left", 8, "int"),
        Column("mean", "平均误差", "Mean error", 9, "float"))


def _doc(rows: int = 3, charts: tuple[Histogram, ...] = (), landscape: bool = False) -> OversightDocument:
    body = tuple(("超期未检" if k % 2 else "有效", f"SN-{k:04d}", "2026-02-28", -122 + k, 0.125 if k else None)
                 for k in range(rows))
    return OversightDocument(
        key="overdue", title_zh="应检未检、超期未检情况报告", title_en="Instruments not verified or overdue",
        institution="岳阳市计量检定测试所", as_of=date(2026, 6, 30), period="2026-01-01 至 2026-06-30",
        filters=(("行政区划 (division)", "430600"),), summary=("台账器具 3 台", "超期未检 (overdue): 1"),
        columns=COLS, rows=body, notes=("即将到期：30 日内到期",), charts=charts, landscape=landscape)


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "r.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def test_pdf_text_header_and_rows(tmp_path: Path) -> None:
    pdf = render_pdf(_doc())
    text = _text(pdf, tmp_path)
    for expected in ("应检未检、超期未检情况报告", "Instruments not verified or overdue", "岳阳市计量检定测试所",
                     "统计截止日期：2026-06-30", "2026-01-01 至 2026-06-30", "430600", "超期未检 (overdue): 1",
                     "出厂编号", "SN-0001", "-121", "0.125", "即将到期：30 日内到期"):
        assert expected in text, expected
    assert "第1页共1页" in text.replace(" ", "")
    assert b"/FontFile2" in pdf and b"Helvetica" not in pdf  # the CJK font embedded, no stray base font


def test_pdf_is_deterministic_and_pages_count(tmp_path: Path) -> None:
    doc = _doc(rows=120)
    a, b = render_pdf(doc), render_pdf(doc)
    assert a == b
    text = _text(a, tmp_path)
    pages = text.count("\f")
    assert pages >= 3
    flat = text.replace(" ", "")
    assert all(f"第{n}页共{pages}页" in flat for n in range(1, pages + 1)) and "SN-0119" in text
    with_rows = [page for page in text.split("\f") if "SN-" in page]
    assert len(with_rows) >= 3 and all("出厂编号" in page for page in with_rows)  # the header row repeats
    assert render_pdf(_doc(rows=121)) != a


def test_histograms_drawn_with_mpe_limits(tmp_path: Path) -> None:
    h = Histogram("交流充电桩 星星 AC7", (-2.0, -1.0, 0.0, 1.0, 2.0), (0, 2, 3, 1), "%", 1.0)
    drawing = histogram_drawing(h, 240)
    # the bar chart and two dashed ±MPE lines and the title
    kinds = [type(x).__name__ for x in drawing.contents]
    assert kinds.count("Line") == 2 and "VerticalBarChart" in kinds and "String" in kinds
    text = _text(render_pdf(_doc(charts=(h, h), landscape=True)), tmp_path)
    assert "误差分布" in text and "交流充电桩 星星 AC7" in text and "MPE ±1" in text


def test_xlsx_headers_frozen_widths_and_cells(tmp_path: Path) -> None:
    h = Histogram("星星 AC7", (-2.0, 0.0, 2.0), (1, 2))
    path = write_xlsx(_doc(charts=(h,)), tmp_path / "r.xlsx")
    wb = load_workbook(path)
    ws = wb.worksheets[0]
    assert ws.title == "应检未检、超期未检情况报告"
    assert [c.value for c in ws[1]] == ["状态", "出厂编号", "有效期至", "剩余天数", "平均误差"]
    assert [c.value for c in ws[2]] == ["Status", "Serial", "Due", "Days left", "Mean error"]
    assert ws.freeze_panes == "A3"
    assert ws.column_dimensions["B"].width == 16  # 14 characters + 2
    assert [c.value for c in ws[4]] == ["超期未检", "SN-0001", datetime(2026, 2, 28), -121, 0.125]
    assert ws.cell(row=3, column=5).value is None  # no value stays empty, never 0
    info = wb["说明"]
    values = [info.cell(row=r, column=2).value for r in range(1, info.max_row + 1)]
    assert "应检未检、超期未检情况报告" in values and "超期未检 (overdue): 1" in values and "430600" in values
    dist = wb["分布"]
    assert [c.value for c in dist[2]] == ["星星 AC7", 1, 2]
    assert rows_as_dicts(_doc())[1]["serial"] == "SN-0001"
