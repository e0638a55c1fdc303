"""A bureau's statistics form (统计表) as PDF and Excel, laid out as the notice's 附件 prints it.

A form reaches this module as a :class:`FormDocument`: the attachment label (附件2), the title, the
header fields above the table (填报单位（盖章）：…  填报日期：…  填报人：…  联系方式：…), the header rows
as printed (group headers over their columns, a column without a group down both rows, the form's own
line breaks) with their merged cells, the body rows (a 合计 row when the form has one). The form holds
no English: the English column names, the summary and the notes come after it — the notes on a page
of their own — and English only when asked for (``english``). ``bench.oversight`` fills the forms;
this module lays them out and never imports bench.

PDF: the embedded CJK font, "第 x 页 共 y 页" under each page and nothing else around the form;
deterministic (reportlab invariant mode, PDF date from the as-of date, /ID from the content). Excel:
the form's sheet — attachment label, title, header fields, the header rows with their merges, the rows,
borders, landscape print set-up — a 说明 sheet with the summary and notes and, when asked, an English
sheet with the column key.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import asdict, dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
)

from reports.layout import PagedCanvas, esc, table_style
from reports.oversight import Column, DatedPages, save_workbook, write_pairs
from reports.typography import INK, RULE, register_font

__all__ = ["FormDocument", "render_form_pdf", "write_form_xlsx"]

MARGIN = 15 * mm


@dataclass(frozen=True)
class FormDocument:
    """Everything a filled form prints (see the module docstring). ``grid`` holds the header rows as
    printed ("\\n" where the form breaks a label, "" in a merged-over cell); ``spans`` the merged
    header cells as (first column, first row, last column, last row), 0-based; ``summary`` and
    ``notes`` are (Chinese, English) pairs printed after the form."""

    key: str
    attachment: str
    title: str
    title_en: str
    header: tuple[tuple[str, str], ...]
    grid: tuple[tuple[str, ...], ...]
    spans: tuple[tuple[int, int, int, int], ...]
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]
    as_of: date
    period: str = ""
    institution: str = ""
    summary: tuple[tuple[str, str], ...] = ()
    notes: tuple[tuple[str, str], ...] = ()
    english: bool = False
    landscape: bool = True

    @property
    def title_zh(self) -> str:
        """The title (the form's own, Chinese)."""
        return self.title

    def digest(self) -> bytes:
        """SHA-256 over the document's content (the seed of the PDF /ID)."""
        text = json.dumps(asdict(self), ensure_ascii=False, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).digest()

    def lines(self, pairs: tuple[tuple[str, str], ...]) -> list[str]:
        """Summary or note lines as printed: the Chinese, with the English in parentheses when asked."""
        return [f"{zh} ({en_text})" if self.english and en_text else zh for zh, en_text in pairs]


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


# -- PDF ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Pages(DatedPages):
    """The furniture of a form's pages: "第 x 页 共 y 页" centred under the page, nothing else."""

    def decorate(self, c: Canvas, page: int, total: int) -> None:
        """The page number, centred in the bottom margin."""
        c.saveState()
        c.setFillColor(INK)
        c.setFont(register_font(), 9)
        c.drawCentredString(self.pagesize[0] / 2, MARGIN / 2, f"第 {page} 页 共 {total} 页")
        c.restoreState()


def _styles() -> dict[str, ParagraphStyle]:
    font = register_font()
    base = ParagraphStyle("form", fontName=font, fontSize=10.5, leading=14, textColor=INK, wordWrap="CJK")
    return {
        "attachment": ParagraphStyle("form-att", parent=base, fontSize=12, leading=16, alignment=TA_LEFT),
        "title": ParagraphStyle("form-title", parent=base, fontSize=16, leading=22, alignment=TA_CENTER,
                                spaceBefore=2, spaceAfter=8),
        "field": ParagraphStyle("form-field", parent=base, fontSize=10.5, leading=14),
        "head": ParagraphStyle("form-head", parent=base, fontSize=8, leading=10, alignment=TA_CENTER),
        "cell": ParagraphStyle("form-cell", parent=base, fontSize=8.5, leading=10.5),
        "num": ParagraphStyle("form-num", parent=base, fontSize=9, leading=11, alignment=TA_CENTER),
        "heading": ParagraphStyle("form-heading", parent=base, fontSize=11.5, leading=16, spaceBefore=6,
                                  spaceAfter=4),
        "note": ParagraphStyle("form-note", parent=base, fontSize=9, leading=12.5),
    }


def _form_table(doc: FormDocument, width: float, st: dict[str, ParagraphStyle]) -> Table:
    total = sum(c.width for c in doc.columns) or 1
    widths = [width * c.width / total for c in doc.columns]
    head = [[Paragraph(esc(text).replace("\n", "<br/>"), st["head"]) if text else "" for text in row]
            for row in doc.grid]
    body = [[Paragraph(esc(_cell(v)), st["num"] if c.kind == "int" else st["cell"])
             for v, c in zip(row, doc.columns, strict=True)] for row in doc.rows]
    h = len(doc.grid)
    style: list[tuple[Any, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.5, RULE),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), 2), ("RIGHTPADDING", (0, 0), (-1, -1), 2),
        ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        *(("SPAN", (c0, r0), (c1, r1)) for c0, r0, c1, r1 in doc.spans),
    ]
    t = Table([*head, *body], colWidths=widths, repeatRows=h)
    t.setStyle(table_style(style))
    return t


def _header_fields(doc: FormDocument, width: float, st: dict[str, ParagraphStyle]) -> Table:
    cells = [Paragraph(f"{esc(label)}：{esc(value)}", st["field"]) for label, value in doc.header]
    weights = [max(len(label) + len(value), 10) for label, value in doc.header]  # room for what is written
    t = Table([cells], colWidths=[width * w / sum(weights) for w in weights])
    t.setStyle(table_style([("LEFTPADDING", (0, 0), (-1, -1), 0), ("VALIGN", (0, 0), (-1, -1), "BOTTOM")]))
    return t


def _story(doc: FormDocument, width: float) -> list[Flowable]:
    st = _styles()
    story: list[Flowable] = []
    if doc.attachment:
        story.append(Paragraph(esc(doc.attachment), st["attachment"]))
    story.append(Paragraph(esc(doc.title), st["title"]))
    if doc.header:
        story += [_header_fields(doc, width, st), Spacer(1, 2 * mm)]
    story.append(_form_table(doc, width, st))
    if doc.english:
        story += [Spacer(1, 6 * mm), Paragraph(f"栏目英文对照 (column key): {esc(doc.title_en)}", st["heading"])]
        key = [[Paragraph(esc(c.zh), st["cell"]), Paragraph(esc(c.en), st["cell"])] for c in doc.columns]
        t = Table(key, colWidths=[width * 0.4, width * 0.6])
        t.setStyle(table_style([("GRID", (0, 0), (-1, -1), 0.3, RULE)]))
        story.append(t)
    if doc.summary or doc.notes:
        story.append(PageBreak())
        story.append(Paragraph("说明" + (" (notes)" if doc.english else ""), st["heading"]))
        facts = [f"统计期间：{doc.period}"] if doc.period else []
        facts.append(f"统计截止日期：{doc.as_of.isoformat()}")
        if doc.institution:
            facts.append(f"出具单位：{doc.institution}")
        story += [Paragraph(esc(line), st["note"]) for line in (*facts, *doc.lines(doc.summary), *doc.lines(doc.notes))]
    return story


def render_form_pdf(doc: FormDocument) -> bytes:
    """The form as PDF bytes: deterministic (the same document gives the same bytes)."""
    register_font()
    pagesize = landscape(A4) if doc.landscape else A4
    width, height = pagesize
    buf = io.BytesIO()
    tpl = BaseDocTemplate(buf, pagesize=pagesize, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                          bottomMargin=MARGIN, title=doc.title, author=doc.institution, subject=doc.title,
                          creator="Jianding", invariant=True, lang="zh-CN", initialFontName=register_font(),
                          initialFontSize=10.5)
    body = Frame(MARGIN, MARGIN, width - 2 * MARGIN, height - 2 * MARGIN, leftPadding=0, rightPadding=0,
                 topPadding=0, bottomPadding=0, id="form")
    tpl.addPageTemplates([PageTemplate(id="page", frames=[body])])
    tpl.build(_story(doc, width - 2 * MARGIN), canvasmaker=partial(PagedCanvas, layout=_Pages(doc, pagesize)))
    return buf.getvalue()


# -- Excel -------------------------------------------------------------------------------------------------
_THIN = Side(style="thin", color="333333")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
FIRST_HEADER_ROW = 4
"""The sheet row of the form's first header row (1: attachment, 2: title, 3: header fields)."""


def _sheet_title(text: str) -> str:
    return "".join(ch for ch in text if ch not in "[]:*?/\\")[:31]


def write_form_xlsx(doc: FormDocument, path: Path | str) -> Path:
    """Write the form as .xlsx (see the module docstring): its header rows start at sheet row
    :data:`FIRST_HEADER_ROW`, each merged range holds its text in its first cell."""
    path = Path(path)
    wb = Workbook()
    ws = wb.active
    ws.title = _sheet_title(doc.title)
    n = len(doc.columns)
    bold = Font(bold=True)
    ws.cell(row=1, column=1, value=doc.attachment or None).font = Font(bold=True, size=12)
    title = ws.cell(row=2, column=1, value=doc.title)
    title.font = Font(bold=True, size=16)
    title.alignment = Alignment(horizontal="center", vertical="center")
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=n)
    ws.row_dimensions[2].height = 30
    if doc.header:
        step = max(n // len(doc.header), 1)
        for k, (label, value) in enumerate(doc.header):
            first = 1 + k * step
            last = n if k == len(doc.header) - 1 else min(n, first + step - 1)
            ws.cell(row=3, column=first, value=f"{label}：{value}").alignment = Alignment(horizontal="left")
            if last > first:
                ws.merge_cells(start_row=3, start_column=first, end_row=3, end_column=last)
    top = FIRST_HEADER_ROW
    for r, row in enumerate(doc.grid):
        for c, text in enumerate(row, start=1):
            cell = ws.cell(row=top + r, column=c, value=text or None)
            cell.font = bold
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            cell.border = _BOX
        lines = max((text.count("\n") + 1 for text in row if text), default=1)
        ws.row_dimensions[top + r].height = max(15 * lines, 18)
    for c0, r0, c1, r1 in doc.spans:
        ws.merge_cells(start_row=top + r0, start_column=c0 + 1, end_row=top + r1, end_column=c1 + 1)
    first_row = top + len(doc.grid)
    for i, row in enumerate(doc.rows):
        for j, (v, col) in enumerate(zip(row, doc.columns, strict=True), start=1):
            cell = ws.cell(row=first_row + i, column=j, value=None if v in (None, "") else v)
            cell.border = _BOX
            cell.alignment = Alignment(horizontal="center" if col.kind == "int" else "left", vertical="center",
                                       wrap_text=True)
    for j, col in enumerate(doc.columns, start=1):
        ws.column_dimensions[get_column_letter(j)].width = max(col.width * 1.4, 5)
    ws.freeze_panes = f"A{first_row}"
    ws.page_setup.orientation = "landscape" if doc.landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{top}:{first_row - 1}"
    info = wb.create_sheet("说明")
    lines: list[tuple[str, Any]] = [("统计表", doc.title), ("统计截止日期", doc.as_of)]
    if doc.period:
        lines.append(("统计期间", doc.period))
    if doc.institution:
        lines.append(("出具单位", doc.institution))
    lines += [("概况", s) for s in doc.lines(doc.summary)]
    lines += [("说明", s) for s in doc.lines(doc.notes)]
    write_pairs(info, lines, (14, 110))
    if doc.english:
        key = wb.create_sheet("English")
        key.cell(row=1, column=1, value=doc.title).font = bold
        key.cell(row=1, column=2, value=doc.title_en)
        key.cell(row=2, column=1, value="栏目 (column)").font = bold
        key.cell(row=2, column=2, value="English").font = bold
        for i, col in enumerate(doc.columns, start=3):
            key.cell(row=i, column=1, value=col.zh)
            key.cell(row=i, column=2, value=col.en)
        key.column_dimensions["A"].width = 40
        key.column_dimensions["B"].width = 50
    return save_workbook(wb, path, doc.as_of)
