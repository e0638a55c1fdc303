"""A bureau's form as PDF and Excel (reports/forms.py), on its own: the same document gives the same
bytes; a long form repeats its header rows on every page and numbers the pages "第 x 页 共 y 页";
merged header cells follow the spans; the notes go on a page after the form; English only when asked."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from reports.forms import FIRST_HEADER_ROW, FormDocument, render_form_pdf, write_form_xlsx
from reports.oversight import Column

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed")

COLS = (Column("station", "加油站", "Station", 14), Column("in_use", "在用数量", "In use", 6, "int"),
        Column("failed", "不合格数量", "Non-conforming", 6, "int"))


def _doc(rows: int, english: bool = False) -> FormDocument:
    body = tuple((f"站{k:03d}", 3, k % 2) for k in range(rows))
    return FormDocument(
        key="t", attachment="附件3", title="加油站统计表", title_en="Fuel stations", header=(("填报人", "张三"),),
        grid=(("加油站", "检查情况", ""), ("", "在用\n数量", "不合格\n数量")), spans=((0, 0, 0, 1), (1, 0, 2, 0)),
        columns=COLS, rows=body, as_of=date(2026, 6, 30), summary=(("加油站 3 座", "stations"),),
        notes=(("来源：附件3", "source"),), english=english)


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "f.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout


def test_deterministic_pages_and_repeated_header(tmp_path: Path) -> None:
    doc = _doc(90)
    a = render_form_pdf(doc)
    assert a == render_form_pdf(doc) and a != render_form_pdf(dataclasses.replace(doc, title="另一表"))
    pages = _text(a, tmp_path).split("\f")[:-1]
    assert len(pages) >= 3
    # every page of the form carries its header rows; the last page holds the notes alone
    form_pages, notes = pages[:-1], pages[-1]
    assert all("在用" in p and "不合格" in p for p in form_pages) and "站089" in "".join(form_pages)
    assert "来源：附件3" in notes and "站0" not in notes and "(source)" not in notes
    assert all(f"第{n}页共{len(pages)}页" in p.replace(" ", "") for n, p in enumerate(pages, start=1))
    assert b"/FontFile2" in a and b"Helvetica" not in a
    assert "(source)" in _text(render_form_pdf(_doc(3, english=True)), tmp_path)  # English when asked


def test_excel_merges_follow_the_spans(tmp_path: Path) -> None:
    wb = load_workbook(write_form_xlsx(_doc(2), tmp_path / "f.xlsx"))
    ws = wb.worksheets[0]
    top = FIRST_HEADER_ROW
    assert {str(r) for r in ws.merged_cells.ranges} >= {f"A{top}:A{top + 1}", f"B{top}:C{top}"}
    assert [ws.cell(row=top + 1, column=c).value for c in (2, 3)] == ["在用\n数量", "不合格\n数量"]
    assert [c.value for c in ws[top + 2]] == ["站000", 3, 0] and ws.freeze_panes == f"A{top + 2}"
    assert wb.sheetnames == ["加油站统计表", "说明"]
    assert "English" in load_workbook(write_form_xlsx(_doc(2, english=True), tmp_path / "e.xlsx")).sheetnames
