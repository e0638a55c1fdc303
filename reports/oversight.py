"""The oversight reports (应检未检/超期未检, 抽查方案, 民用"三表" statistics, analysis by brand and model, the fuel-station table)
as PDF and Excel.

A report reaches this module as an :class:`OversightDocument`: title, institution, as-of date,
period, header fields, summary lines, columns (Chinese and English headers), rows, notes and, for the
analysis, error-distribution histograms. ``bench.oversight`` computes them from the store; this
module only lays them out, so it never imports bench.

PDF: the house layout of :mod:`reports.layout` (embedded CJK font, "第 x 页 共 y 页" on every page,
reportlab invariant mode, PDF date from the as-of date, /ID from the content): the same document gives
the same bytes. Histograms are reportlab.graphics drawings (no matplotlib). Excel: the data sheet has
the Chinese headers in row 1, the English in row 2, frozen, with column widths; a 说明 sheet carries
the title, institution, dates, summary and notes; the analysis adds a 分布 sheet with the histograms.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import partial
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, Line, String
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, PageTemplate, Spacer, Table

from reports.layout import (
    EMPTY,
    MARGIN_X,
    PagedCanvas,
    doc_template,
    en,
    esc,
    frame,
    grid_style,
    head_cell,
    heading,
    num,
    p,
    pdf_date,
    table_style,
)
from reports.typography import INK, MUTED, RULE, SHADE, register_font, styles

__all__ = ["Column", "DatedPages", "Histogram", "OversightDocument", "histogram_drawing", "render_pdf", "rows_as_dicts",
           "save_workbook", "write_pairs", "write_xlsx"]

CST = timezone(timedelta(hours=8))
HEADER_HEIGHT = 22 * mm
FOOTER_HEIGHT = 14 * mm


@dataclass(frozen=True)
class Column:
    """A report column: key, Chinese and English header, width in characters (Excel; PDF widths are
    proportional to it) and kind (text, int, float, date) for alignment and cell types."""

    key: str
    zh: str
    en: str
    width: int = 12
    kind: str = "text"


@dataclass(frozen=True)
class Histogram:
    """An error distribution: bin edges (n + 1), counts (n), the unit and the MPE drawn as limits."""

    title: str
    edges: tuple[float, ...]
    counts: tuple[int, ...]
    unit: str = "%"
    mpe: float | None = None


@dataclass(frozen=True)
class OversightDocument:
    """Everything a report prints: identity, header, summary, one table, notes and charts."""

    key: str
    title_zh: str
    title_en: str
    institution: str
    as_of: date
    period: str
    filters: tuple[tuple[str, str], ...]
    summary: tuple[str, ...]
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]
    notes: tuple[str, ...] = ()
    charts: tuple[Histogram, ...] = field(default=())
    landscape: bool = False

    def digest(self) -> bytes:
        """SHA-256 over the document's content (the seed of the PDF /ID)."""
        text = json.dumps(asdict(self), ensure_ascii=False, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).digest()


def _cell_text(value: Any, kind: str) -> str:
    if value is None or value == "":
        return EMPTY if kind != "text" else ""
    if kind == "float" and isinstance(value, int | float):
        return num(float(value))
    return str(value)


# -- PDF ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DatedPages:
    """What every page of a report needs of its document (``as_of`` and ``digest()``): the PDF date
    (its as-of date at midnight, China time — never the clock) and the seed of the PDF /ID (its
    content). A layout adds its own ``decorate``."""

    doc: Any
    pagesize: tuple[float, float]

    @property
    def pdf_date(self) -> str:
        """The as-of date at midnight, China time: never the clock."""
        return pdf_date(datetime.combine(self.doc.as_of, time(0, 0), CST))

    @property
    def document_key(self) -> bytes:
        """Seed of the PDF /ID: the document's content."""
        return bytes(self.doc.digest())


@dataclass(frozen=True)
class _Layout(DatedPages):
    """Header (title, institution, as-of date, page x of y) and footer of every page."""

    def decorate(self, c: Canvas, page: int, total: int) -> None:
        """Title and institution left, as-of date and page x of y right, rules, footer."""
        font = register_font()
        width, height = self.pagesize
        top = height - 12 * mm
        right = width - MARGIN_X
        d = self.doc
        c.saveState()
        c.setFillColor(INK)
        c.setFont(font, 9.5)
        c.drawString(MARGIN_X, top, d.title_zh)
        c.drawString(MARGIN_X, top - 19, d.institution or EMPTY)
        c.drawRightString(right, top, f"统计截止日期：{d.as_of.isoformat()}")
        c.drawRightString(right, top - 19, f"第 {page} 页  共 {total} 页")
        c.setFillColor(MUTED)
        c.setFont(font, 6.5)
        c.drawString(MARGIN_X, top - 8.5, d.title_en)
        c.drawRightString(right, top - 8.5, f"As of   Page {page} of {total}")
        c.setStrokeColor(RULE)
        c.setLineWidth(0.8)
        y = height - HEADER_HEIGHT + 2 * mm
        c.line(MARGIN_X, y, right, y)
        c.setLineWidth(0.3)
        c.line(MARGIN_X, FOOTER_HEIGHT - 4 * mm, right, FOOTER_HEIGHT - 4 * mm)
        c.setFont(font, 7)
        c.drawString(MARGIN_X, FOOTER_HEIGHT - 8 * mm, f"Jianding 监督报告 (oversight report) {d.key}")
        c.restoreState()


def histogram_drawing(h: Histogram, width: float, height: float = 52 * mm) -> Drawing:
    """A bar chart of one error distribution: bars per bin, bin centres below, the ±MPE limits as
    dashed lines, the title above."""
    font = register_font()
    d = Drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y = 28, 22
    chart.width, chart.height = width - 40, height - 42
    chart.data = [list(h.counts)]
    chart.bars[0].fillColor = SHADE
    chart.bars[0].strokeColor = RULE
    chart.barSpacing = 0
    chart.groupSpacing = 1
    centres = [(a + b) / 2 for a, b in zip(h.edges[:-1], h.edges[1:], strict=True)]
    chart.categoryAxis.categoryNames = [num(round(x, 3)) for x in centres]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 6
    chart.categoryAxis.labels.angle = 30
    chart.categoryAxis.labels.boxAnchor = "ne"
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 6.5
    chart.valueAxis.valueMin = 0
    top = max(h.counts, default=0)
    chart.valueAxis.valueMax = max(top, 1)
    chart.valueAxis.valueStep = max(1, (top + 4) // 5)
    d.add(chart)
    lo, hi = (h.edges[0], h.edges[-1]) if h.edges else (0.0, 0.0)
    if h.mpe and hi > lo:
        for v in (-h.mpe, h.mpe):
            x = chart.x + (v - lo) / (hi - lo) * chart.width
            d.add(Line(x, chart.y, x, chart.y + chart.height, strokeColor=RULE, strokeDashArray=[2, 2],
                       strokeWidth=0.6))
    d.add(String(chart.x, height - 12, f"{h.title}  误差分布 (error, {h.unit})"
                 + (f"  MPE ±{num(h.mpe)}" if h.mpe else ""), fontName=font, fontSize=8, fillColor=INK))
    return d


def _table(doc: OversightDocument, width: float) -> Table:
    st = styles()
    total = sum(c.width for c in doc.columns) or 1
    widths = [width * c.width / total for c in doc.columns]
    head = [head_cell(esc(c.zh), esc(c.en)) for c in doc.columns]
    body = [[p(esc(_cell_text(v, c.kind)), st.cell if c.kind == "text" else st.cell_center)
             for v, c in zip(row, doc.columns, strict=True)] for row in doc.rows]
    if not body:
        body = [[p("无 (none)", st.cell)] + [p("", st.cell)] * (len(doc.columns) - 1)]
    t = Table([head, *body], colWidths=widths, repeatRows=1)
    t.setStyle(table_style(grid_style(header_rows=1)))
    return t


def _story(doc: OversightDocument, width: float) -> list[Flowable]:
    st = styles()
    story: list[Flowable] = [p(esc(doc.title_zh), st.institution), p(esc(doc.title_en), st.subtitle), Spacer(1, 4 * mm)]
    facts = [("填报/出具单位", "Institution", doc.institution or EMPTY), ("统计截止日期", "As of", doc.as_of.isoformat())]
    if doc.period:
        facts.append(("统计期间", "Period", doc.period))
    facts += [(k, "", v or "") for k, v in doc.filters]
    for zh, en_text, value in facts:
        story.append(p(f"{esc(zh)}{(' ' + en(en_text)) if en_text else ''}：{esc(value)}", st.body))
    if doc.summary:
        story.append(heading("概况", "Summary"))
        story += [p(esc(line), st.body) for line in doc.summary]
    story.append(heading("明细", "Details"))
    story.append(_table(doc, width))
    if doc.notes:
        story.append(heading("说明", "Notes"))
        story += [p(esc(n), st.note) for n in doc.notes]
    if doc.charts:
        story.append(heading("误差分布", "Error distributions"))
        half = (width - 6 * mm) / 2
        cells = [histogram_drawing(h, half) for h in doc.charts]
        grid = [cells[i:i + 2] + ([""] if len(cells[i:i + 2]) == 1 else []) for i in range(0, len(cells), 2)]
        story.append(Table(grid, colWidths=[half + 3 * mm, half + 3 * mm]))
    return story


def render_pdf(doc: OversightDocument) -> bytes:
    """The document as PDF bytes: deterministic (the same document gives the same bytes)."""
    register_font()
    pagesize = landscape(A4) if doc.landscape else A4
    width = pagesize[0]
    buf = io.BytesIO()
    body = frame("body", header=HEADER_HEIGHT, footer=FOOTER_HEIGHT, pagesize=pagesize)
    tpl = doc_template(buf, title=doc.title_zh, author=doc.institution, subject=doc.title_en, creator="Jianding",
                       header=HEADER_HEIGHT, footer=FOOTER_HEIGHT, pagesize=pagesize)
    tpl.addPageTemplates([PageTemplate(id="page", frames=[body])])
    maker = partial(PagedCanvas, layout=_Layout(doc, pagesize))
    tpl.build(_story(doc, width - 2 * MARGIN_X), canvasmaker=maker)
    return buf.getvalue()


# -- Excel -------------------------------------------------------------------------------------------------
_HEAD_FILL = PatternFill("solid", fgColor="EDEDED")


def _xlsx_value(value: Any, kind: str) -> Any:
    if value is None or value == "":
        return None
    if kind == "date" and isinstance(value, str):
        return date.fromisoformat(value)
    return value


def _sheet_title(text: str) -> str:
    return "".join(ch for ch in text if ch not in "[]:*?/\\")[:31]


def write_xlsx(doc: OversightDocument, path: Path | str) -> Path:
    """Write the document as .xlsx: the data sheet (row 1 Chinese headers, row 2 English, frozen,
    widths from the columns), a 说明 sheet (title, institution, dates, header fields, summary,
    notes) and, with charts, a 分布 sheet (bins and counts per group)."""
    path = Path(path)
    wb = Workbook()
    ws = wb.active
    ws.title = _sheet_title(doc.title_zh)
    bold = Font(bold=True)
    grey = Font(color="555555", size=9)
    for j, c in enumerate(doc.columns, start=1):
        zh = ws.cell(row=1, column=j, value=c.zh)
        zh.font, zh.fill = bold, _HEAD_FILL
        zh.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        e = ws.cell(row=2, column=j, value=c.en)
        e.font, e.fill = grey, _HEAD_FILL
        e.alignment = Alignment(horizontal="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(j)].width = max(c.width, 6) + 2
    for i, row in enumerate(doc.rows, start=3):
        for j, (v, c) in enumerate(zip(row, doc.columns, strict=True), start=1):
            cell = ws.cell(row=i, column=j, value=_xlsx_value(v, c.kind))
            if c.kind == "date":
                cell.number_format = "yyyy-mm-dd"
    ws.freeze_panes = "A3"
    ws.row_dimensions[1].height = 30
    info = wb.create_sheet("说明")
    lines: list[tuple[str, Any]] = [("报告 (report)", doc.title_zh), ("", doc.title_en),
                                    ("单位 (institution)", doc.institution), ("统计截止日期 (as of)", doc.as_of)]
    if doc.period:
        lines.append(("统计期间 (period)", doc.period))
    lines += list(doc.filters)
    lines += [("概况 (summary)", s) for s in doc.summary]
    lines += [("说明 (note)", n) for n in doc.notes]
    write_pairs(info, lines, (22, 100))
    if doc.charts:
        dist = wb.create_sheet("分布")
        edges = doc.charts[0].edges
        dist.cell(row=1, column=1, value="分组 (group)").font = bold
        for j in range(len(edges) - 1):
            dist.cell(row=1, column=j + 2, value=f"{num(edges[j])} … {num(edges[j + 1])}").font = bold
            dist.column_dimensions[get_column_letter(j + 2)].width = 16
        dist.column_dimensions["A"].width = 28
        for i, h in enumerate(doc.charts, start=2):
            dist.cell(row=i, column=1, value=h.title)
            for j, n in enumerate(h.counts, start=2):
                dist.cell(row=i, column=j, value=n)
        dist.freeze_panes = "B2"
    return save_workbook(wb, path, doc.as_of)


def write_pairs(ws: Any, lines: Sequence[tuple[str, Any]], widths: tuple[int, int]) -> None:
    """A sheet of (label, value) lines: labels bold in column A, values in B (dates as dates)."""
    bold = Font(bold=True)
    for i, (k, v) in enumerate(lines, start=1):
        ws.cell(row=i, column=1, value=k).font = bold
        cell = ws.cell(row=i, column=2, value=v)
        if isinstance(v, date):
            cell.number_format = "yyyy-mm-dd"
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = widths


def save_workbook(wb: Workbook, path: Path, as_of: date) -> Path:
    """Save a report's workbook with its dates from the as-of date (never the clock), creating the folder."""
    stamp = datetime.combine(as_of, time(0, 0))
    wb.properties.created = stamp
    wb.properties.modified = stamp
    wb.properties.creator = "Jianding"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def rows_as_dicts(doc: OversightDocument) -> list[dict[str, Any]]:
    """The rows keyed by column key (for tests and JSON output)."""
    keys: Sequence[str] = [c.key for c in doc.columns]
    return [dict(zip(keys, row, strict=True)) for row in doc.rows]
