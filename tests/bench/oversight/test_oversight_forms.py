"""The bureaus' forms exactly as the notices' 附件 print them (issue 16, line 1): the header cells of the
民用“三表”计量专项监督检查统计表 — in the form's data, in the generated Excel (cells and merged ranges) and in
the generated PDF (each header cell's text as pdftotext reads it, line by line, in column order) —
compared with the table at the end of the Yueyang 2024 notice file; the title, 附件, the header fields
above the table, the row kinds; no English in the form, English only on request and after it; a
bureau's variant is a data file."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bench.cli import main
from bench.oversight import forms, load_form, three_meters
from bench.store import Store
from reports.forms import FIRST_HEADER_ROW

NOTICES = Path("/work/shared/reference/notices")
YUEYANG = NOTICES / "yueyang-2024-sanbiao-inspection.txt"

pytestmark = [
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed"),
    pytest.mark.skipif(not YUEYANG.exists(), reason="the bureau notices (shared reference) are not on this machine"),
]


@dataclass(frozen=True)
class NoticeForm:
    """The 附件 as the notice file prints it."""

    attachment: str
    title: str
    fields: tuple[str, ...]
    grid: tuple[tuple[str, ...], ...]  # the two header rows, tab-separated cells ("" under a merge)
    kinds: tuple[str, ...]


def notice_form(path: Path) -> NoticeForm:
    """Read the 附件 at the end of a notice: "附件", the title, the header fields (lines ending in "："),
    the table's tab-separated rows (two header rows, then one row per kind)."""
    lines = [line.rstrip("\n") for line in path.read_text("utf-8").splitlines()]
    start = max(i for i, line in enumerate(lines) if line.strip() == "附件")
    rest = [line for line in lines[start + 1:] if line.strip()]
    title = rest[0].strip()
    fields = tuple(line.strip().removesuffix("：") for line in rest[1:] if line.strip().endswith("："))
    table = [line.split("\t") for line in rest if "\t" in line]
    return NoticeForm("附件", title, fields, (tuple(table[0]), tuple(table[1])), tuple(r[0] for r in table[2:]))


def printed(label: str) -> str:
    """A form label as the notice's text shows it: its line breaks as spaces."""
    return label.replace("\n", " ")


def test_the_form_data_is_the_notices_form(capsys: pytest.CaptureFixture[str]) -> None:
    notice = notice_form(YUEYANG)
    form = load_form("yueyang-2024-sanbiao")
    assert notice.title == "民用“三表”计量专项监督检查统计表" == form.title
    assert notice.fields == ("填报单位（盖章）", "填报日期", "填报人", "联系方式") == form.header
    assert form.attachment == notice.attachment
    assert tuple(tuple(printed(c) for c in row) for row in form.header_grid()) == notice.grid
    assert tuple(k.label for k in form.row_kinds) == notice.kinds == ("电能表", "水表", "燃气表")
    assert form.total == ""  # the 附件 prints no 合计 row
    assert len(form.columns) == 17
    # Wushen 附件2 names the same form: the same cells, its own attachment label
    wushen = load_form("wushen-2024-sanbiao")
    assert (wushen.attachment, wushen.header_grid(), wushen.title) == ("附件2", form.header_grid(), form.title)
    assert {k: f.report for k, f in forms().items()} == {
        "wushen-2024-fuel-stations": "fuel_stations", "wushen-2024-ledger": "ledger",
        "wushen-2024-sanbiao": "three_meters", "yueyang-2024-sanbiao": "three_meters"}
    assert main(["oversight", "forms"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[-1].startswith("yueyang-2024-sanbiao  [three_meters]  附件 民用“三表”计量专项监督检查统计表") and len(listed) == 4


def _write(county: Store, tmp_path: Path, *extra: str) -> tuple[Path, Path]:
    out = tmp_path / "out"
    assert main(["--db", str(county.path), "oversight", "three-meters", "--from", "2026-01-01", "--to", "2026-06-30",
                 "--as-of", "2026-07-05", "--unit", "岳阳县市场监督管理局", "--reporter", "张三",
                 "--contact", "0730-1234567", "--pdf", str(out / "t.pdf"), "--xlsx", str(out / "t.xlsx"),
                 *extra]) == 0
    return out / "t.pdf", out / "t.xlsx"


def test_the_excel_form_cell_by_cell(county: Store, tmp_path: Path) -> None:
    notice = notice_form(YUEYANG)
    _, xlsx = _write(county, tmp_path)
    wb = load_workbook(xlsx)
    ws = wb.worksheets[0]
    assert (ws.cell(row=1, column=1).value, ws.cell(row=2, column=1).value) == (notice.attachment, notice.title)
    fields = [ws.cell(row=3, column=c).value for c in range(1, 18) if ws.cell(row=3, column=c).value]
    assert fields == ["填报单位（盖章）：岳阳县市场监督管理局", "填报日期：2026-07-05", "填报人：张三", "联系方式：0730-1234567"]
    grid = tuple(tuple(printed(ws.cell(row=FIRST_HEADER_ROW + r, column=c).value or "") for c in range(1, 18))
                 for r in range(2))
    assert grid == notice.grid
    merged = {str(m) for m in ws.merged_cells.ranges}
    assert {"A4:A5", "B4:B5", "C4:G4", "H4:Q4"} <= merged  # the two groups; the first columns down both rows
    assert tuple(ws.cell(row=r, column=1).value for r in range(6, 9)) == notice.kinds and ws.max_row == 8
    assert ws.max_column == 17
    # no English on the form's sheet; none in the workbook unless asked
    texts = [str(c.value) for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert not [t for t in texts if re.search(r"[A-Za-z]", t)]
    assert wb.sheetnames == ["民用“三表”计量专项监督检查统计表", "说明"]
    _, english = _write(county, tmp_path / "en", "--english")
    key = load_workbook(english)["English"]
    assert (key.cell(row=3, column=1).value, key.cell(row=3, column=2).value) == ("计量器具种类", "Meter kind")


@dataclass(frozen=True)
class Block:
    """A text block of pdftotext's layout (a table cell's paragraph), its lines and position."""

    x0: float
    y0: float
    x1: float
    y1: float
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        """The lines joined with spaces, as the notice prints a cell."""
        return " ".join(self.lines)


def pdf_blocks(pdf: Path, page: int = 1) -> list[Block]:
    """The text blocks of one page (pdftotext -bbox-layout)."""
    html = subprocess.run(["pdftotext", "-bbox-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
                          check=True, capture_output=True, text=True).stdout
    ns = "{http://www.w3.org/1999/xhtml}"
    root = ET.fromstring(re.sub(r"<!DOCTYPE[^>]*>", "", html))
    out = []
    for b in root.iter(f"{ns}block"):
        lines = tuple("".join(w.text or "" for w in line.iter(f"{ns}word")) for line in b.iter(f"{ns}line"))
        out.append(Block(*(float(b.get(k, 0)) for k in ("xMin", "yMin", "xMax", "yMax")), lines))
    return out


def test_the_pdf_form_as_pdftotext_reads_it(county: Store, tmp_path: Path) -> None:
    notice = notice_form(YUEYANG)
    pdf, _ = _write(county, tmp_path)
    blocks = pdf_blocks(pdf)
    texts = [b.text for b in blocks]
    assert texts[:2] == [notice.attachment, notice.title]
    fields = [b.text for b in blocks if "：" in b.text and b.y0 < 120]
    assert fields == ["填报单位（盖章）：岳阳县市场监督管理局", "填报日期：2026-07-05", "填报人：张三", "联系方式：0730-1234567"]
    body_y = min(b.y0 for b in blocks if b.text == "电能表")
    fields_y = max(b.y1 for b in blocks if b.text.startswith("填报"))
    header = [b for b in blocks if fields_y < b.y0 and b.y1 < body_y]  # between the fields and the first row
    # every header cell of the notice, each one block, line for line — nothing more, nothing less
    expected = Counter(cell for row in notice.grid for cell in row if cell)
    assert Counter(b.text for b in header) == expected
    # the columns in the notice's order, left to right (a column's label: its second-row cell, or
    # the first row's when it spans both)
    groups = {cell for cell in notice.grid[0][2:] if cell}
    columns = [b.text for b in sorted((b for b in header if b.text not in groups), key=lambda b: b.x0)]
    assert columns == [bottom or top for top, bottom in zip(*notice.grid, strict=True)]
    # each group header above its columns
    cols = sorted((b for b in header if b.text not in groups), key=lambda b: b.x0)
    for g in groups:
        block = next(b for b in header if b.text == g)
        first = notice.grid[0].index(g)
        last = next((k - 1 for k in range(first + 1, 17) if notice.grid[0][k]), 16)
        assert cols[first].x0 <= (block.x0 + block.x1) / 2 <= cols[last].x1, g
    kinds = [b.text for b in sorted((b for b in blocks if b.text in notice.kinds), key=lambda b: b.y0)]
    assert tuple(kinds) == notice.kinds
    page = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout
    assert not re.search(r"[A-Za-z]", page)  # the form page holds no English
    # English on request: the column key after the form, never inside it
    english, _ = _write(county, tmp_path / "en", "--english")
    blocks = pdf_blocks(english)
    last_row = max(b.y0 for b in blocks if b.text == "燃气表")
    assert all(b.y0 > last_row for b in blocks if re.search(r"[A-Za-z]", b.text))
    text = subprocess.run(["pdftotext", str(english), "-"], check=True, capture_output=True, text=True).stdout
    assert text.index("Meter kind") > text.index("燃气表")


def test_a_bureaus_variant_is_a_data_file(county: Store, tmp_path: Path) -> None:
    """A bureau that prints 其中不合格数量 and a 合计 row: a form file of its own naming its base and the
    changes — no code."""
    variant = tmp_path / "county-2025-sanbiao.toml"
    base = Path(__file__).resolve().parents[3] / "bench" / "oversight" / "forms" / "yueyang-2024-sanbiao.toml"
    text = base.read_text("utf-8").replace('label = "不合格\\n数量"', 'label = "其中\\n不合格\\n数量"')
    text = text.replace('attachment = "附件"', 'attachment = "附件1"').replace('total = ""', 'total = "合计"')
    variant.write_text(text, "utf-8")
    _, xlsx = _write(county, tmp_path, "--form", str(variant))
    ws = load_workbook(xlsx).worksheets[0]
    assert ws.cell(row=1, column=1).value == "附件1"
    assert ws.cell(row=FIRST_HEADER_ROW + 1, column=4).value == "其中\n不合格\n数量"
    assert [ws.cell(row=r, column=1).value for r in range(6, 10)] == ["电能表", "水表", "燃气表", "合计"]
    assert ws.cell(row=9, column=2).value == 4 + 3 + 0  # 在用: the 合计 of the rows
    with pytest.raises(ValueError, match="属于 fuel_stations"):
        three_meters(county, date(2026, 1, 1), date(2026, 6, 30), form=load_form("wushen-2024-fuel-stations"))
