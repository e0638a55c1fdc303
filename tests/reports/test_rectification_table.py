"""The rectification table (reports/rectification.py) as PDF and Excel: the title and columns a reader
sees, each item's cells in column order, the deadline notes, determinism, and the Excel header rows
(Chinese in row 1, English in row 2) read back with openpyxl."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from reports.oversight import render_pdf, write_xlsx
from reports.rectification import COLUMNS, RectificationLine, rectification_document

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed")

LINES = (
    RectificationLine("ZG-0A1B2C3D", "检定不合格", "检定结果通知书 TZ2026-00003：不合格项 工作误差", "交流充电桩 SIM0001",
                      "示例充电运营有限公司", "430602", date(2026, 7, 3), date(2026, 8, 3), "逾期未整改", None, "", ""),
    RectificationLine("ZG-99887766", "计量违法行为", "发现违法行为 加油站 × 1", "加油站", "岳阳石化", "430602",
                      date(2026, 7, 3), date(2026, 7, 24), "已验证关闭", date(2026, 7, 10), "2 号机已停用；报告人 孙站长",
                      "2026-07-11 市场监管局 钱核查 验证关闭"),
)


def _doc() -> object:
    return rectification_document(LINES, ("2026-07-01 至 2026-08-31 立项整改 2 项",), institution="岳阳市计量检定测试所",
                                  as_of=date(2026, 8, 31), period="2026-07-01 至 2026-08-31",
                                  filters=(("行政区划 (division)", "430600"),), notes=("检定不合格：30 日 (days)",))


def test_pdf_shows_the_title_columns_and_items(tmp_path: Path) -> None:
    pdf = render_pdf(_doc())  # type: ignore[arg-type]
    assert pdf == render_pdf(_doc())  # type: ignore[arg-type]  # the same table, the same bytes
    path = tmp_path / "zg.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout
    flat = text.replace(" ", "")
    for expected in ("整改情况表", "Rectificationitems", "岳阳市计量检定测试所", "ZG-0A1B2C3D", "逾期未整改", "ZG-99887766",
                     "已验证关闭", "2026-08-03", "立项整改2项", "检定不合格：30日(days)", "整改期限自立项次日起算"):
        assert expected in flat, expected


def test_excel_headers_and_cells(tmp_path: Path) -> None:
    ws = load_workbook(write_xlsx(_doc(), tmp_path / "zg.xlsx")).worksheets[0]  # type: ignore[arg-type]
    assert [c.value for c in ws[1]] == [c.zh for c in COLUMNS] == [
        "整改编号", "问题类别", "问题描述", "器具", "使用单位", "行政区划", "立项日期", "整改期限", "状态", "整改日期", "整改情况", "核查"]
    assert [c.value for c in ws[2]] == [c.en for c in COLUMNS]
    assert [c.value for c in ws[3]][:3] == ["ZG-0A1B2C3D", "检定不合格", "检定结果通知书 TZ2026-00003：不合格项 工作误差"]
    assert ws.cell(4, 9).value == "已验证关闭" and ws.cell(4, 12).value == "2026-07-11 市场监管局 钱核查 验证关闭"
