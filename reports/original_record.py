"""原始记录 (original record): the raw readings behind a verification, as a signed PDF.

JJF 1069-2012 requires the certificate to cite the original-record number (原始记录编号) and the
institution to keep the original record: every reading as taken, where it came from and when.
This document lists the readings the store kept for a run (append-only, in the order taken), under
a header naming the record number, the certificate it supports, the instrument, the regulation, the
place and conditions, with "第 x 页 共 y 页" and the record number on every page. It is rendered from
the frozen record plus the raw readings, with the same determinism as the certificate.

A reading is a plain mapping: ``step``, ``key``, ``value``, ``unit``, ``source``, ``taken_at``
(``datetime`` or ISO text); ``quantity`` is shown when present. Missing fields print as "—".
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, KeepTogether, PageTemplate, Spacer, Table

from procedures.records import VerificationRecord
from reports.certificate import (
    draw_logo,
    kind_of,
    position_of,
    record_doc_template,
    record_time,
    signature,
    signature_date,
)
from reports.layout import (
    CONTENT_WIDTH,
    EMPTY,
    HEADER_HEIGHT,
    MARGIN_X,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    PagedCanvas,
    bilingual,
    date_iso,
    date_zh,
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

__all__ = ["TITLE", "render_original_record"]

TITLE = "原始记录"
"""The document's title (English: Original record)."""

FOOTER_HEIGHT = 16 * mm


def render_original_record(record: VerificationRecord, readings: Sequence[Mapping[str, Any]]) -> bytes:
    """Render the 原始记录 of ``record``: its identifying data and every raw reading, as PDF bytes.

    ``readings`` are the run's raw readings in the order taken (see the module docstring for the
    fields). Works for passing and failing records alike; pure and deterministic.
    """
    register_font()
    buf = io.BytesIO()
    doc = record_doc_template(
        buf,
        record,
        title=f"{TITLE} {record.record_no}",
        keywords=f"{record.record_no} {record.certificate_no} {record.run_id}",
        header=HEADER_HEIGHT,
        footer=FOOTER_HEIGHT,
    )
    body = frame("record", header=HEADER_HEIGHT, footer=FOOTER_HEIGHT)
    doc.addPageTemplates([PageTemplate(id="record", frames=[body])])
    maker: Callable[..., Canvas] = partial(PagedCanvas, layout=_RecordLayout(record))
    doc.build(_story(record, readings), canvasmaker=maker)
    return buf.getvalue()


@dataclass(frozen=True)
class _RecordLayout:
    """Header (title, institution, record number, page x of y) and footer of every page."""

    record: VerificationRecord

    @property
    def pdf_date(self) -> str:
        """Creation date from the record, never the clock."""
        return pdf_date(record_time(self.record))

    @property
    def document_key(self) -> bytes:
        """Seed of the PDF /ID: the record's identity."""
        r = self.record
        return "\x1f".join(("jianding", TITLE, r.record_no, r.certificate_no, r.run_id)).encode()

    def decorate(self, c: Canvas, page: int, total: int) -> None:
        """Draw title, institution, record number and page x of y, then the footer rule and line."""
        font = register_font()
        r = self.record
        top = PAGE_HEIGHT - 13 * mm
        right = PAGE_WIDTH - MARGIN_X
        c.saveState()
        c.setFillColor(INK)
        left = MARGIN_X
        if r.institution.logo_path:  # the institution's logo, as on the cover, small beside the title
            draw_logo(c, r.institution.logo_path, (MARGIN_X, top - 24, 12 * mm))
            left += 15 * mm
        c.setFont(font, 9.5)
        c.drawString(left, top, TITLE)
        c.drawString(left, top - 20, r.institution.name)
        c.drawRightString(right, top, f"记录编号：{r.record_no}")
        c.drawRightString(right, top - 20, f"第 {page} 页  共 {total} 页")
        c.setFillColor(MUTED)
        c.setFont(font, 6.5)
        c.drawString(left, top - 8.5, "Original record")
        c.drawRightString(right, top - 8.5, f"Record No.   Page {page} of {total}")
        c.setStrokeColor(RULE)
        c.setLineWidth(0.8)
        y = PAGE_HEIGHT - HEADER_HEIGHT + 2 * mm
        c.line(MARGIN_X, y, right, y)
        c.setLineWidth(0.3)
        c.line(MARGIN_X, y - 1.6, right, y - 1.6)
        c.line(MARGIN_X, FOOTER_HEIGHT - 4 * mm, right, FOOTER_HEIGHT - 4 * mm)
        c.setFont(font, 7)
        c.drawString(
            MARGIN_X,
            FOOTER_HEIGHT - 8 * mm,
            f"软件版本 Software：Jianding {r.software_version or EMPTY}　　"
            f"规程程序哈希 Procedure hash：{r.procedure_hash or EMPTY}",
        )
        c.restoreState()


def _taken_at(value: Any) -> str:
    """A reading's timestamp as 'YYYY-MM-DD HH:MM:SS' (its own zone), or the text given."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if not value:
        return EMPTY
    text = str(value)
    try:
        return datetime.fromisoformat(text).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return text


def _value(value: Any) -> str:
    """A reading's value exactly enough to recompute from: numbers via :func:`num`, text as given."""
    if isinstance(value, bool) or value is None:
        return EMPTY if value is None else str(value)
    if isinstance(value, int | float):
        return num(float(value))
    return str(value)


def _summary(record: VerificationRecord) -> Table:
    st = styles()
    env = record.environment
    ins = record.instrument
    position = position_of(record)
    serial = esc(ins.serial) or EMPTY
    if position is not None:
        serial += f"　表位 {position} {en(f'(position {position})', 6.5)}"
    temp = f"{num(env.temperature_c)} °C" if env.temperature_c is not None else EMPTY
    rh = f"{num(env.humidity_pct)} %" if env.humidity_pct is not None else EMPTY
    kind = kind_of(record)
    noun = f"{kind.noun}编号"
    act = kind.act[0]  # 检定, or 检查 for an in-service inspection

    def label(zh: str, gloss: str) -> Flowable:
        return bilingual(zh, gloss, st.cell, 6.5)

    def value(text: str) -> Flowable:
        return p(text or EMPTY, st.cell)

    standards = "；".join(
        f"{esc(s.name)} {esc(s.serial)}（{esc(s.certificate_no)}，{date_iso(s.valid_until)}）" for s in record.standards
    )
    rows = [
        [label("原始记录编号", "Record No."), value(esc(record.record_no)), label(noun, "Document No."),
         value(esc(record.certificate_no))],
        [label("计量器具名称", "Instrument"), value(esc(ins.name)), label("型号/规格", "Model"), value(esc(ins.model))],
        [label("出厂编号", "Serial No."), value(serial), label("制造单位", "Manufacturer"),
         value(esc(ins.manufacturer))],
        [label(f"{act}依据", "Regulation"), value(esc(f"{record.regulation_code}《{record.regulation_title}》")),
         label(f"{act}类别", "Type"), value(esc(record.verification_type))],
        [label(f"{act}日期", "Date"), value(date_zh(record.verified_on)), label(f"{act}地点", "Place"),
         value(esc(env.place))],
        [label("环境温度", "Temperature"), value(temp), label("相对湿度", "Relative humidity"), value(rh)],
        [label("计量标准器", "Standards"), value(standards), "", ""],
        [label(f"{act}结论", "Conclusion"), value(record.conclusion), label("读数条数", "Readings"),
         value(str(record.reading_count))],
    ]
    w = CONTENT_WIDTH
    table = Table(rows, colWidths=[26 * mm, w / 2 - 26 * mm, 26 * mm, w / 2 - 26 * mm])
    table.setStyle(
        table_style(
            [*grid_style(0), ("BACKGROUND", (0, 0), (0, -1), SHADE), ("BACKGROUND", (2, 0), (2, -3), SHADE),
             ("BACKGROUND", (2, -1), (2, -1), SHADE), ("SPAN", (1, -2), (3, -2))]
        )
    )
    return table


def _readings_table(readings: Sequence[Mapping[str, Any]]) -> Flowable:
    st = styles()
    if not readings:
        return p(f"无原始读数 {en('(no raw readings)', 7)}", st.body)
    with_quantity = any(r.get("quantity") for r in readings)
    head = [
        head_cell("序号", "No."),
        head_cell("检定步骤", "Step"),
        head_cell("读数标识", "Key"),
        *([head_cell("量", "Quantity")] if with_quantity else []),
        head_cell("读数", "Value"),
        head_cell("单位", "Unit"),
        head_cell("来源", "Source"),
        head_cell("读取时间", "Taken at"),
    ]
    rows: list[list[Any]] = [head]
    for n, r in enumerate(readings, start=1):
        rows.append(
            [
                p(str(n), st.cell_center),
                p(esc(str(r.get("step") or "")) or EMPTY, st.cell),
                p(esc(str(r.get("key") or "")) or EMPTY, st.cell),
                *([p(esc(str(r.get("quantity") or "")) or EMPTY, st.cell)] if with_quantity else []),
                p(esc(_value(r.get("value"))), st.cell_center),
                p(esc(str(r.get("unit") or "")) or EMPTY, st.cell_center),
                p(esc(str(r.get("source") or "")) or EMPTY, st.cell),
                p(esc(_taken_at(r.get("taken_at"))), st.cell_center),
            ]
        )
    widths = [10, 26, 22, *([20] if with_quantity else []), 18, 12, 32, 34]
    scale = CONTENT_WIDTH / (sum(widths) * mm)
    table = Table(rows, colWidths=[x * mm * scale for x in widths], repeatRows=1)
    table.setStyle(table_style(grid_style()))
    return table


def _signatures(record: VerificationRecord) -> Table:
    st = styles()
    people = record.people
    row = [
        bilingual("检定员", "Verified by", st.label),
        signature(people.verifier, people.verifier_signature, role="检定员", style=st.value, height=9 * mm, width=32 * mm),
        bilingual("核验员", "Checked by", st.label),
        signature(people.checker, people.checker_signature, role="核验员", style=st.value, height=9 * mm, width=32 * mm),
        bilingual("日期", "Date", st.label),
        p(date_zh(signature_date(record)), st.value),
    ]
    table = Table([row], colWidths=[18 * mm, 34 * mm, 18 * mm, 34 * mm, 14 * mm, 34 * mm], rowHeights=[12 * mm])
    table.setStyle(
        table_style(
            [("LINEBELOW", (1, 0), (1, 0), 0.6, RULE), ("LINEBELOW", (3, 0), (3, 0), 0.6, RULE),
             ("LINEBELOW", (5, 0), (5, 0), 0.6, RULE), ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
             ("LEFTPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]
        )
    )
    return table


def _story(record: VerificationRecord, readings: Sequence[Mapping[str, Any]]) -> list[Flowable]:
    st = styles()
    end_mark = p(f"—— 以下空白 ——　{en('End of record', 7)}", st.end_mark)
    return [
        heading("记录信息", "Record information"),
        _summary(record),
        # not keep-with-next: a long table would otherwise be pushed whole to page 2 before splitting
        p(f"原始读数　{en('Raw readings (in the order taken)', 8)}", st.heading.clone("jd-heading-free", keepWithNext=0)),
        _readings_table(readings),
        KeepTogether([Spacer(1, 6 * mm), _signatures(record), end_mark]),
    ]
