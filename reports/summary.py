"""A campaign's written report (工作总结, 工作进展情况) as an editable Word document (.docx).

Why Word: a 工作总结 is prose that the section chief edits, stamps and prints as an official document
(公文), and the bureaus circulate it as Word while their statistics tables travel as Excel
(``reports.oversight``); an Excel sheet of prose cells would neither edit nor print as a 总结.

A document reaches this module as a :class:`SummaryDocument` — title, the lines under it, the header
fields, the sections in the notice's order, each with the figures the workstation filled in and the
hint of what people should write, the attachments and notes. ``bench.campaign_summary`` computes it;
this module only lays it out, so it never imports bench.

Layout after GB/T 9704 (党政机关公文格式) as far as a draft needs it: A4, title 宋体 bold 22 pt
centred, section headings "一、…" in 黑体 16 pt, text in 仿宋 16 pt, tables in 宋体 10.5 pt. Every
place a person must write is a paragraph starting :data:`TO_WRITE`, highlighted yellow, so none is
sent unfilled by mistake.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.styles.style import BaseStyle

__all__ = ["TO_WRITE", "Figure", "FigureTable", "SummaryDocument", "SummarySection", "render_docx", "write_docx"]

TO_WRITE = "【待填写】"
"""The mark at the start of every paragraph a person must write (highlighted yellow in the document)."""

NUMERALS = "一二三四五六七八九十"
BODY_FONT, HEAD_FONT, TITLE_FONT, TABLE_FONT = "仿宋", "黑体", "宋体", "宋体"
MUTED = RGBColor(0x59, 0x59, 0x59)
TEXT_WIDTH_MM = 210 - 28 - 26  # A4 less the left and right margins
FIGURE_WIDTHS = (58.0, 26.0, TEXT_WIDTH_MM - 84.0)  # 项目, 数值, 统计口径


@dataclass(frozen=True)
class Figure:
    """One number the workstation filled in: what it counts, its value, how it was counted."""

    label: str
    value: Any
    note: str = ""


@dataclass(frozen=True)
class FigureTable:
    """A table of figures (by category, by status …): its title, column headers, rows and how it
    was counted."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    note: str = ""


@dataclass(frozen=True)
class SummarySection:
    """A section of the document in the notice's words, the figures filled in and what to write."""

    title: str
    hint: str = ""
    figures: tuple[Figure, ...] = ()
    tables: tuple[FigureTable, ...] = ()


@dataclass(frozen=True)
class SummaryDocument:
    """Everything the document says, in order (see the module docstring)."""

    title: str
    as_of: date
    author: str
    lines: tuple[str, ...]
    header: tuple[tuple[str, str], ...]
    sections: tuple[SummarySection, ...]
    attachments: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def _fonts(style: BaseStyle, east_asian: str, size: float, *, bold: bool = False) -> None:
    """Give a style its Chinese font (w:eastAsia), a Latin font, size and weight."""
    font = style.font  # type: ignore[attr-defined]
    font.name = "Times New Roman"
    font.size = Pt(size)
    font.bold = bold
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), east_asian)


def _setup(doc: DocxDocument) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    styles = doc.styles
    _fonts(styles["Normal"], BODY_FONT, 16)
    styles["Normal"].paragraph_format.line_spacing = Pt(28)  # type: ignore[attr-defined]
    _fonts(styles["Title"], TITLE_FONT, 22, bold=True)
    _fonts(styles["Heading 1"], HEAD_FONT, 16)
    _fonts(styles["Heading 2"], HEAD_FONT, 14)
    for name in ("Title", "Heading 1", "Heading 2"):
        styles[name].font.color.rgb = RGBColor(0, 0, 0)  # type: ignore[attr-defined]
    table_text = styles.add_style("表格文字", 1)  # 1 = paragraph style
    table_text.base_style = styles["Normal"]  # type: ignore[attr-defined]
    _fonts(table_text, TABLE_FONT, 10.5)
    table_text.paragraph_format.line_spacing = 1.0  # type: ignore[attr-defined]
    table_text.paragraph_format.first_line_indent = Pt(0)  # type: ignore[attr-defined]
    note = styles.add_style("说明文字", 1)
    note.base_style = styles["Normal"]  # type: ignore[attr-defined]
    _fonts(note, BODY_FONT, 12)
    note.font.color.rgb = MUTED  # type: ignore[attr-defined]
    note.paragraph_format.line_spacing = 1.15  # type: ignore[attr-defined]


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def _widths(n: int, first: float) -> list[float]:
    """Column widths in mm over the text width: the first ``first``, the others sharing the rest."""
    return [first] + [(TEXT_WIDTH_MM - first) / (n - 1)] * (n - 1) if n > 1 else [TEXT_WIDTH_MM]


def _table(doc: DocxDocument, columns: Sequence[str], rows: Sequence[Sequence[Any]],
           widths: Sequence[float] | None = None) -> None:
    """A grid table: the header row bold and repeated on every page, no row split across pages."""
    table = doc.add_table(rows=1 + len(rows), cols=len(columns))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    mm = widths or _widths(len(columns), 30)
    for r, values in enumerate((columns, *rows)):
        tr_pr = table.rows[r]._tr.get_or_add_trPr()
        tr_pr.append(OxmlElement("w:cantSplit"))
        if r == 0:
            tr_pr.append(OxmlElement("w:tblHeader"))
        for c, value in enumerate(values):
            cell = table.cell(r, c)
            cell.width = Mm(mm[c])
            para = cell.paragraphs[0]
            para.style = doc.styles["表格文字"]
            run = para.add_run(_cell(value))
            run.bold = r == 0
            if c > 0 and r > 0 and isinstance(value, int | float):
                para.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _note(doc: DocxDocument, text: str) -> None:
    if text:
        doc.add_paragraph(text, style="说明文字")


def _to_write(doc: DocxDocument, hint: str) -> None:
    para = doc.add_paragraph()
    para.paragraph_format.first_line_indent = Pt(32)
    run = para.add_run(f"{TO_WRITE}{hint}" if hint else TO_WRITE)
    run.font.highlight_color = WD_COLOR_INDEX.YELLOW


def _section(doc: DocxDocument, n: int, section: SummarySection) -> None:
    numeral = NUMERALS[n] if n < len(NUMERALS) else str(n + 1)
    doc.add_heading(f"{numeral}、{section.title}", level=1)
    _to_write(doc, section.hint)
    if section.figures:
        doc.add_heading("本期数据（工作站自动填写，可删改）", level=2)
        _table(doc, ("项目", "数值", "统计口径"), [(f.label, f.value, f.note) for f in section.figures], FIGURE_WIDTHS)
    for t in section.tables:
        doc.add_heading(t.title, level=2)
        _table(doc, t.columns, t.rows)
        _note(doc, t.note)


def render_docx(summary: SummaryDocument) -> bytes:
    """The document as .docx bytes."""
    doc = Document()
    _setup(doc)
    props = doc.core_properties
    props.title, props.author, props.last_modified_by = summary.title, summary.author, summary.author
    props.created = props.modified = datetime(summary.as_of.year, summary.as_of.month, summary.as_of.day)
    title = doc.add_paragraph(summary.title, style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for line in summary.lines:
        para = doc.add_paragraph(line, style="说明文字")
        para.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for key, value in summary.header:
        para = doc.add_paragraph()
        para.add_run(f"{key}：").bold = True
        if value:
            para.add_run(value)
        else:
            para.add_run(TO_WRITE).font.highlight_color = WD_COLOR_INDEX.YELLOW
    for n, section in enumerate(summary.sections):
        _section(doc, n, section)
    if summary.attachments:
        doc.add_paragraph()
        para = doc.add_paragraph()
        para.add_run("随附报表：").bold = True
        for text in summary.attachments:
            doc.add_paragraph(text)
    if summary.notes:
        doc.add_paragraph()
        doc.add_paragraph("起草说明（报送前删除）：", style="说明文字")
        for text in summary.notes:
            _note(doc, text)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def write_docx(summary: SummaryDocument, path: Path | str) -> Path:
    """Write the document to ``path`` (parent folders created); the path written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(render_docx(summary))
    return path
