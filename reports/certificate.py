"""检定证书 and 检定结果通知书: a frozen :class:`~procedures.records.VerificationRecord` to PDF bytes.

Layout follows JJF 1069-2012 (法定计量检定机构考核规范) habit and the cover format of
国质检量函[2005]861号, as summarised in ``reference/regulations.md`` §9:

* **Cover (第1页)** — certificate number and "第 x 页 共 y 页"; issuing institution; title with its
  English subtitle; framed fields 送检单位, 计量器具名称, 型号/规格, 出厂编号, 制造单位, 检定依据, 检定结论;
  the signature lines 批准人 / 核验员 / 检定员; 检定日期 and, on a certificate only, 有效期至; the
  institution's authorisation number, address, postcode, phone and e-mail when configured.
* **Inner pages** — certificate number and page x/y on every page; 原始记录编号; 检定类别; regulation;
  the standards used with their certificates and validity; place and environment; each item with its
  clause, verdict and data; on a notice, the 不合格项目 with their data; an end mark (以下空白).

A passing record gives a 检定证书; a failing one a 检定结果通知书 ("证明计量器具不符合有关法定要求的文件"),
which names the failing items and carries no validity date. Functions are pure and deterministic:
the same record gives the same bytes (reportlab invariant mode, creation date taken from the record,
trailer /ID seeded from the certificate and record numbers, whatever SOURCE_DATE_EPOCH says), so
golden-file tests can compare output.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepInFrame,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from procedures.records import (
    ItemResult,
    MeasurementResult,
    StandardUsed,
    Verdict,
    VerificationRecord,
)
from reports.typography import FAUX_BOLD_STROKE, INK, MUTED, RULE, SHADE, register_font, styles

__all__ = [
    "CERTIFICATE",
    "NOTICE",
    "DocumentKind",
    "render_certificate",
    "render_document",
    "render_notice",
]

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 20 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN_X
HEADER_HEIGHT = 24 * mm  # top band: institution, document title, certificate no., page x of y
COVER_FOOTER_HEIGHT = 40 * mm  # institution contact block and notes on the cover
INNER_FOOTER_HEIGHT = 21 * mm  # traceability line (software version, procedure hash)

EMPTY = "—"
"""Printed for a value the record does not hold (never leave a field silently blank)."""

FRAME_WIDTH = 0.9
GRID_WIDTH = 0.35
_MUTED_HEX = "#" + MUTED.hexval()[2:]


@dataclass(frozen=True)
class DocumentKind:
    """Which of the two JJF 1069 documents is being rendered, with its fixed wording."""

    title: str
    title_en: str
    noun: str
    shows_validity: bool
    for_passing: bool


CERTIFICATE = DocumentKind(
    title="检定证书",
    title_en="Verification Certificate",
    noun="证书",
    shows_validity=True,
    for_passing=True,
)
"""检定证书: issued when the instrument conforms; carries 有效期至."""

NOTICE = DocumentKind(
    title="检定结果通知书",
    title_en="Notice of Verification Result",
    noun="通知书",
    shows_validity=False,
    for_passing=False,
)
"""检定结果通知书: issued when it does not; names the failing items, no validity date."""


# --------------------------------------------------------------------------------------------------
# public API


def render_certificate(record: VerificationRecord) -> bytes:
    """Render the 检定证书 (verification certificate) of a passing record as PDF bytes.

    Raises :class:`ValueError` for a failing record: JJF 1069-2012 allows a certificate only for an
    instrument that meets the legal requirements; a failing one gets :func:`render_notice`.
    """
    if not record.passed:
        raise ValueError(
            f"record {record.certificate_no} did not pass; a 检定证书 cannot be issued (use render_notice)"
        )
    return _render(record, CERTIFICATE)


def render_notice(record: VerificationRecord) -> bytes:
    """Render the 检定结果通知书 (notice of verification result) of a failing record as PDF bytes.

    The notice states 不合格, names the failing items (:attr:`VerificationRecord.failing_items`)
    with their data and carries no validity date. Raises :class:`ValueError` for a passing record.
    """
    if record.passed:
        raise ValueError(
            f"record {record.certificate_no} passed; issue a 检定证书 (render_certificate), not a notice"
        )
    return _render(record, NOTICE)


def render_document(record: VerificationRecord) -> bytes:
    """Render whichever document the record calls for: certificate if it passed, else the notice."""
    return render_certificate(record) if record.passed else render_notice(record)


# --------------------------------------------------------------------------------------------------
# formatting helpers


def _date_zh(d: date | None) -> str:
    """2026年11月23日 — the usual Chinese date form on covers (no zero padding)."""
    return f"{d.year}年{d.month}月{d.day}日" if d else EMPTY


def _date_iso(d: date | None) -> str:
    """ISO date for narrow table columns."""
    return d.isoformat() if d else EMPTY


def _num(value: float) -> str:
    """A measured value as plain decimal text: 6 significant digits at most, shortest form, no exponent."""
    text = repr(float(f"{value:.6g}"))
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    return "0" if text in ("-0.0", "0.0") and value == 0 else text


def _mpe(result: MeasurementResult) -> str:
    """Maximum permissible error as ±x unit, e.g. '±1.0 %'."""
    if result.mpe is None:
        return EMPTY
    unit = f" {result.unit}" if result.unit else ""
    return f"±{_num(abs(result.mpe))}{unit}"


def _esc(text: str) -> str:
    """Escape record text for reportlab's paragraph mini-markup."""
    return escape(text or "")


def _class_conclusion(record: VerificationRecord) -> str:
    """'1级 合格': the conclusion optionally prefixed by the accuracy class (JJF 1069 cover habit)."""
    cls = record.instrument.accuracy_class.strip()
    if not cls:
        return record.conclusion
    suffix = "" if cls.endswith("级") or cls.lower().startswith("class") else "级"
    return f"{cls}{suffix} {record.conclusion}"


def _regulation(record: VerificationRecord) -> str:
    """'JJG 1148-2022《电动汽车交流充电桩》'."""
    title = record.regulation_title.strip()
    if title and not title.startswith("《"):
        title = f"《{title}》"
    return f"{record.regulation_code}{title}"


def _pdf_date(record: VerificationRecord) -> str:
    """PDF date string (``D:YYYYMMDDHHmmSS±HH'mm'``) taken from the record, never from the clock."""
    when = record.finished_at or datetime(
        record.verified_on.year, record.verified_on.month, record.verified_on.day
    )
    stamp = when.strftime("D:%Y%m%d%H%M%S")
    offset = when.utcoffset()
    if offset is None:
        return stamp
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"{stamp}{sign}{minutes // 60:02d}'{minutes % 60:02d}'"


# --------------------------------------------------------------------------------------------------
# small flowables


class _FauxBoldTitle(Flowable):
    """A centred one-line title, letter-spaced and emboldened by stroking the outline.

    WenQuanYi Micro Hei has no bold face; fill-and-stroke (text render mode 2) gives the heavy,
    spaced title of a printed certificate while keeping the text extractable.
    """

    def __init__(self, text: str, size: float, char_space: float) -> None:
        super().__init__()
        self.text = text
        self.size = size
        self.char_space = char_space
        self.font = register_font()

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self.width = availWidth
        self.height = self.size * 1.25
        return self.width, self.height

    def draw(self) -> None:
        c = self.canv
        text_width = stringWidth(self.text, self.font, self.size) + self.char_space * (len(self.text) - 1)
        x = (self.width - text_width) / 2
        c.saveState()
        c.setFillColor(INK)
        c.setStrokeColor(INK)
        c.setLineWidth(self.size * FAUX_BOLD_STROKE)
        t = c.beginText(x, self.size * 0.25)
        t.setFont(self.font, self.size)
        t.setCharSpace(self.char_space)
        t.setTextRenderMode(2)
        t.textOut(self.text)
        c.drawText(t)
        c.restoreState()


def _table_style(commands: Sequence[tuple[Any, ...]]) -> TableStyle:
    """TableStyle whose plain-string cells also use the embedded font (reportlab's default is a
    non-embedded Helvetica, which would otherwise appear in the page resources)."""
    return TableStyle([("FONT", (0, 0), (-1, -1), register_font(), 9), *commands])


def _p(text: str, style: Any) -> Paragraph:
    """Paragraph from already-escaped markup."""
    return Paragraph(text, style)


def _en(text: str, size: float = 7.5) -> str:
    """Inline English gloss markup: small and grey, so the Chinese reads first."""
    return f"<font size={size} color='{_MUTED_HEX}'>{text}</font>"


def _bilingual(zh: str, en: str, style: Any, en_size: float = 7) -> Paragraph:
    """Chinese label with its English gloss below it (Chinese first)."""
    return _p(f"{zh}<br/>{_en(en, en_size)}", style)


# --------------------------------------------------------------------------------------------------
# page furniture (drawn after layout, when the page count is known)


class _PagedCanvas(Canvas):
    """Canvas that holds back every page until the end so each can print "第 x 页 共 y 页".

    The usual reportlab two-pass recipe: ``showPage`` only records the page state; ``save``
    replays the pages, lets the layout draw header and footer with the total, then writes out.
    The PDF creation date is fixed from the record (``invariant`` makes the rest reproducible).
    """

    def __init__(self, *args: Any, layout: _Layout, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._layout = layout
        self._held_pages: list[dict[str, Any]] = []
        stamp = layout.pdf_date
        self.setDateFormatter(lambda *_ymdhms: stamp)
        # The trailer /ID is an MD5 over this signature plus the document info. reportlab seeds it
        # with a timestamp (fixed in invariant mode, but SOURCE_DATE_EPOCH overrides it); seeding
        # from the record instead makes the ID a function of the record alone.
        self._doc.signature = hashlib.md5(layout.document_key, usedforsecurity=False)

    def showPage(self) -> None:
        self._held_pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._held_pages)
        for number, state in enumerate(self._held_pages, start=1):
            self.__dict__.update(state)
            self._layout.decorate(self, number, total)
            super().showPage()
        super().save()


@dataclass(frozen=True)
class _Layout:
    """Header/footer painter for one document."""

    record: VerificationRecord
    kind: DocumentKind

    @property
    def pdf_date(self) -> str:
        """Creation/modification date written into the PDF info dictionary."""
        return _pdf_date(self.record)

    @property
    def document_key(self) -> bytes:
        """Stable identity of this document, seed of the PDF /ID."""
        r = self.record
        return "\x1f".join(("jianding", self.kind.title, r.certificate_no, r.record_no, r.run_id)).encode()

    def decorate(self, c: Canvas, page: int, total: int) -> None:
        """Draw the furniture of page ``page`` of ``total``."""
        c.saveState()
        self._number_block(c, page, total)
        if page == 1:
            self._cover_footer(c)
        else:
            self._inner_header(c)
            self._inner_footer(c)
        c.restoreState()

    def _number_block(self, c: Canvas, page: int, total: int) -> None:
        """Certificate number and page x of y, top right of every page (JJF 1069)."""
        font = register_font()
        right = PAGE_WIDTH - MARGIN_X
        top = PAGE_HEIGHT - 13 * mm
        c.setFillColor(INK)
        c.setFont(font, 9.5)
        label = f"{self.kind.noun}编号："
        number = self.record.certificate_no
        c.drawRightString(right, top, f"{label}{number}")
        c.setFont(font, 6.5)
        c.setFillColor(MUTED)
        no_en = "Certificate No." if self.kind.for_passing else "Notice No."
        c.drawRightString(right, top - 8.5, f"{no_en}   Page {page} of {total}")
        c.setFillColor(INK)
        c.setFont(font, 9.5)
        c.drawRightString(right, top - 20, f"第 {page} 页  共 {total} 页")

    def _inner_header(self, c: Canvas) -> None:
        """Document title and issuing institution, top left of inner pages, above a double rule."""
        font = register_font()
        top = PAGE_HEIGHT - 13 * mm
        c.setFillColor(INK)
        c.setFont(font, 9.5)
        c.drawString(MARGIN_X, top, self.kind.title)
        c.drawString(MARGIN_X, top - 20, self.record.institution.name)
        c.setFillColor(MUTED)
        c.setFont(font, 6.5)
        c.drawString(MARGIN_X, top - 8.5, self.kind.title_en)
        c.setStrokeColor(RULE)
        c.setLineWidth(0.8)
        y = PAGE_HEIGHT - HEADER_HEIGHT + 2 * mm
        c.line(MARGIN_X, y, PAGE_WIDTH - MARGIN_X, y)
        c.setLineWidth(0.3)
        c.line(MARGIN_X, y - 1.6, PAGE_WIDTH - MARGIN_X, y - 1.6)

    def _inner_footer(self, c: Canvas) -> None:
        """Traceability line: software version and procedure hash, small, at the bottom."""
        st = styles()
        r = self.record
        parts = [
            f"原始记录编号 Record No.：{_esc(r.record_no) or EMPTY}",
            f"软件版本 Software：Jianding {_esc(r.software_version) or EMPTY}",
            f"规程程序哈希 Procedure hash：{_esc(r.procedure_hash) or EMPTY}",
        ]
        para = _p("　　".join(parts), st.fine)
        y_rule = INNER_FOOTER_HEIGHT - 6 * mm
        c.setStrokeColor(RULE)
        c.setLineWidth(0.3)
        c.line(MARGIN_X, y_rule, PAGE_WIDTH - MARGIN_X, y_rule)
        _, h = para.wrap(CONTENT_WIDTH, INNER_FOOTER_HEIGHT)
        para.drawOn(c, MARGIN_X, y_rule - 2 - h)

    def _cover_footer(self, c: Canvas) -> None:
        """Institution contact block and the usual notes, bottom of the cover."""
        st = styles()
        inst = self.record.institution
        fields = [
            ("计量授权证书号", "Authorisation No.", inst.authorisation_no),
            ("地址", "Address", inst.address),
            ("邮编", "Postcode", inst.postcode),
            ("电话", "Tel", inst.phone),
            ("电子邮箱", "E-mail", inst.email),
        ]
        given = [(zh, en, v) for zh, en, v in fields if v]
        cells = [_p(f"{zh} {_en(en, 6.5)}：{_esc(v)}", st.note) for zh, en, v in given]
        rows = [cells[i : i + 2] + [""] * (2 - len(cells[i : i + 2])) for i in range(0, len(cells), 2)]
        notes = _p(
            f"注：1. 本{self.kind.noun}未加盖检定专用章无效。"
            f"2. 未经本机构书面批准，不得部分复制本{self.kind.noun}。",
            st.fine,
        )
        rows.append([notes, ""])
        table = Table(rows, colWidths=[CONTENT_WIDTH * 0.58, CONTENT_WIDTH * 0.42])
        table.setStyle(
            _table_style(
                [
                    ("SPAN", (0, len(rows) - 1), (1, len(rows) - 1)),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 2),
                    ("TOPPADDING", (0, 0), (-1, -1), 1),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                    ("TOPPADDING", (0, len(rows) - 1), (-1, len(rows) - 1), 4),
                ]
            )
        )
        _, h = table.wrap(CONTENT_WIDTH, COVER_FOOTER_HEIGHT)
        y0 = 14 * mm
        table.drawOn(c, MARGIN_X, y0)
        c.setStrokeColor(RULE)
        c.setLineWidth(0.8)
        c.line(MARGIN_X, y0 + h + 3, PAGE_WIDTH - MARGIN_X, y0 + h + 3)


# --------------------------------------------------------------------------------------------------
# cover


def _cover(record: VerificationRecord, kind: DocumentKind) -> list[Flowable]:
    st = styles()
    ins = record.instrument
    conclusion = _class_conclusion(record) if kind.for_passing else record.conclusion
    field_rows: list[tuple[str, str, str]] = [
        ("送检单位", "Client", ins.client),
        ("计量器具名称", "Instrument", ins.name),
        ("型号/规格", "Model / Specification", ins.model),
        ("出厂编号", "Serial No.", ins.serial),
        ("制造单位", "Manufacturer", ins.manufacturer),
        ("检定依据", "Verification regulation", _regulation(record)),
    ]
    rows: list[list[Any]] = [
        [_bilingual(zh, en, st.label), _p(_esc(v) or EMPTY, st.value)] for zh, en, v in field_rows
    ]
    conclusion_style = st.value.clone("jd-conclusion", fontSize=13, leading=17)
    rows.append(
        [
            _bilingual("检定结论", "Conclusion", st.label),
            _p(f"{_esc(conclusion)}　{_en('Pass' if record.passed else 'Fail', 8)}", conclusion_style),
        ]
    )
    fields = Table(rows, colWidths=[40 * mm, CONTENT_WIDTH - 40 * mm])
    fields.setStyle(
        _table_style(
            [
                ("BOX", (0, 0), (-1, -1), FRAME_WIDTH, RULE),
                ("INNERGRID", (0, 0), (-1, -1), GRID_WIDTH, RULE),
                ("BACKGROUND", (0, 0), (0, -1), SHADE),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 7),
                ("RIGHTPADDING", (0, 0), (-1, -1), 7),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )

    people = record.people
    name_style = st.value.clone("jd-signature", alignment=TA_CENTER)  # centred above the line
    sign_rows = [
        [_bilingual("批准人", "Approved by", st.label), _p(_esc(people.approver), name_style)],
        [_bilingual("核验员", "Checked by", st.label), _p(_esc(people.checker), name_style)],
        [_bilingual("检定员", "Verified by", st.label), _p(_esc(people.verifier), name_style)],
    ]
    signatures = Table(sign_rows, colWidths=[30 * mm, 52 * mm], rowHeights=[13 * mm] * 3, hAlign="RIGHT")
    signatures.setStyle(
        _table_style(
            [
                ("LINEBELOW", (1, 0), (1, -1), 0.6, RULE),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )

    date_rows = [
        [_bilingual("检定日期", "Date of verification", st.label), _p(_date_zh(record.verified_on), st.value)]
    ]
    if kind.shows_validity:
        date_rows.append(
            [_bilingual("有效期至", "Valid until", st.label), _p(_date_zh(record.valid_until), st.value)]
        )
    dates = Table(date_rows, colWidths=[40 * mm, 60 * mm], hAlign="LEFT")
    dates.setStyle(
        _table_style(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 7),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )

    return [
        Spacer(1, 6 * mm),
        _p(_esc(record.institution.name), st.institution),
        Spacer(1, 9 * mm),
        _FauxBoldTitle(kind.title, 30 if len(kind.title) <= 4 else 26, 10),
        Spacer(1, 2 * mm),
        _p(kind.title_en, st.subtitle.clone("jd-subtitle-sp", fontSize=12.5)),
        Spacer(1, 12 * mm),
        fields,
        Spacer(1, 10 * mm),
        signatures,
        Spacer(1, 9 * mm),
        dates,
    ]


# --------------------------------------------------------------------------------------------------
# inner pages


def _heading(zh: str, en: str) -> Paragraph:
    return _p(f"{zh}　{_en(en, 8)}", styles().heading)


def _grid_style(header_rows: int = 1) -> list[tuple[Any, ...]]:
    """Framed grid: heavier outer box, hairline inner rules, shaded header rows."""
    style: list[tuple[Any, ...]] = [
        ("BOX", (0, 0), (-1, -1), FRAME_WIDTH, RULE),
        ("INNERGRID", (0, 0), (-1, -1), GRID_WIDTH, RULE),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]
    if header_rows:
        style.append(("BACKGROUND", (0, 0), (-1, header_rows - 1), SHADE))
    return style


def _head_cell(zh: str, en: str) -> Paragraph:
    return _p(f"{zh}<br/>{_en(en, 6.5)}", styles().cell_head)


def _info_table(record: VerificationRecord) -> Table:
    st = styles()
    env = record.environment
    temp = f"{_num(env.temperature_c)} °C" if env.temperature_c is not None else EMPTY
    rh = f"{_num(env.humidity_pct)} %" if env.humidity_pct is not None else EMPTY

    def label(zh: str, en: str) -> Paragraph:
        return _bilingual(zh, en, st.cell, 6.5)

    def value(text: str) -> Paragraph:
        return _p(_esc(text) or EMPTY, st.cell)

    rows = [
        [
            label("原始记录编号", "Record No."),
            value(record.record_no),
            label("检定类别", "Type of verification"),
            value(record.verification_type),
        ],
        [
            label("计量器具名称", "Instrument"),
            value(record.instrument.name),
            label("出厂编号", "Serial No."),
            value(record.instrument.serial),
        ],
        [label("检定依据", "Regulation"), value(_regulation(record)), "", ""],
        [label("检定地点", "Place"), value(env.place), "", ""],
        [label("环境温度", "Temperature"), value(temp), label("相对湿度", "Relative humidity"), value(rh)],
    ]
    w = CONTENT_WIDTH
    table = Table(rows, colWidths=[30 * mm, w / 2 - 30 * mm, 30 * mm, w / 2 - 30 * mm])
    table.setStyle(
        _table_style(
            [
                *_grid_style(0),
                ("BACKGROUND", (0, 0), (0, -1), SHADE),
                ("BACKGROUND", (2, 0), (2, 1), SHADE),
                ("BACKGROUND", (2, 4), (2, 4), SHADE),
                ("SPAN", (1, 2), (3, 2)),
                ("SPAN", (1, 3), (3, 3)),
            ]
        )
    )
    return table


def _standards_table(standards: Sequence[StandardUsed]) -> Flowable:
    st = styles()
    if not standards:
        return _p(EMPTY, st.cell)
    with_range = any(s.measuring_range for s in standards)
    head = [
        _head_cell("名称", "Name"),
        _head_cell("型号", "Model"),
        _head_cell("出厂编号", "Serial No."),
        *([_head_cell("测量范围", "Range")] if with_range else []),
        _head_cell("准确度等级", "Accuracy / U"),
        _head_cell("证书编号", "Certificate No."),
        # "有效期" not "有效期至": the latter is the certificate's own validity line, which a notice
        # must not show, so it stays unambiguous in the document text.
        _head_cell("有效期", "Valid until"),
    ]
    rows: list[list[Any]] = [head]
    for s in standards:
        rows.append(
            [
                _p(_esc(s.name), st.cell),
                _p(_esc(s.model) or EMPTY, st.cell_center),
                _p(_esc(s.serial) or EMPTY, st.cell_center),
                *([_p(_esc(s.measuring_range) or EMPTY, st.cell_center)] if with_range else []),
                _p(_esc(s.accuracy) or EMPTY, st.cell_center),
                _p(_esc(s.certificate_no) or EMPTY, st.cell_center),
                _p(_date_iso(s.valid_until), st.cell_center),
            ]
        )
    if with_range:
        widths = [30, 19, 22, 27, 20, 27, 23]
    else:
        widths = [42, 24, 26, 28, 30, 23]
    scale = CONTENT_WIDTH / (sum(widths) * mm)
    table = Table(rows, colWidths=[w * mm * scale for w in widths], repeatRows=1)
    table.setStyle(_table_style(_grid_style()))
    return table


def _values_text(result: MeasurementResult, unit_suffix: str) -> str:
    return ", ".join(_num(v) + unit_suffix for v in result.values) or EMPTY


def _test_point(result: MeasurementResult, uniform_name: bool) -> str:
    if uniform_name:
        return result.label or result.name
    return f"{result.name} {result.label}".strip()


def _results_table(item: ItemResult) -> Table:
    """The data of one item: test point, readings, mean, rounded value (exactly as recorded),
    MPE and verdict; the header row repeats when the table runs onto the next page."""
    st = styles()
    results = item.results
    units = {r.unit for r in results}
    uniform_unit = len(units) == 1
    unit = next(iter(units)) if uniform_unit else ""
    head_unit = f"/{unit}" if uniform_unit and unit else ""
    cell_unit = "" if uniform_unit else None
    uniform_name = len({r.name for r in results}) == 1
    with_u = any(r.uncertainty is not None for r in results)

    head = [
        _head_cell("检定点", "Test point"),
        _head_cell(f"测量值{head_unit}", "Readings"),
        _head_cell(f"平均值{head_unit}", "Mean"),
        _head_cell(f"化整值{head_unit}", "Rounded"),
        *([_head_cell(f"U (k=2){head_unit}", "Uncertainty")] if with_u else []),
        _head_cell("最大允许误差", "MPE"),
        _head_cell("结论", "Verdict"),
    ]
    rows: list[list[Any]] = [head]
    for r in results:
        suffix = f" {r.unit}" if cell_unit is None and r.unit else ""
        rows.append(
            [
                _p(_esc(_test_point(r, uniform_name)), st.cell),
                _p(_esc(_values_text(r, suffix)), st.cell_center),
                _p(_esc(_num(r.mean) + suffix), st.cell_center),
                _p(_esc(r.rounded + suffix), st.cell_center),
                *(
                    [
                        _p(
                            _esc(_num(r.uncertainty) + suffix if r.uncertainty is not None else EMPTY),
                            st.cell_center,
                        )
                    ]
                    if with_u
                    else []
                ),
                _p(_esc(_mpe(r)), st.cell_center),
                _p(r.verdict.zh, st.cell_center),
            ]
        )
    widths = [44, 38, 22, 22, *([20] if with_u else []), 26, 18]
    scale = CONTENT_WIDTH / (sum(widths) * mm)
    table = Table(rows, colWidths=[w * mm * scale for w in widths], repeatRows=1)
    table.setStyle(_table_style(_grid_style()))
    return table


def _item_header(index: int, item: ItemResult) -> Table:
    st = styles()
    name = f"{index}. {_esc(item.name)}" + (
        f"　{_en('(' + _esc(item.name_en) + ')', 7.5)}" if item.name_en else ""
    )
    clause = f"条款 {_en('Clause', 6.5)} {_esc(item.clause) or EMPTY}"
    verdict = f"结论 {_en('Verdict', 6.5)} {item.verdict.zh}"
    table = Table(
        [[_p(name, st.body), _p(clause, st.cell), _p(verdict, st.cell)]],
        colWidths=[CONTENT_WIDTH - 70 * mm, 34 * mm, 36 * mm],
    )
    table.setStyle(
        _table_style(
            [
                ("LINEABOVE", (0, 0), (-1, 0), FRAME_WIDTH, RULE),
                ("LINEBELOW", (0, 0), (-1, 0), GRID_WIDTH, RULE),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    table.keepWithNext = 1
    return table


def _item_block(index: int, item: ItemResult) -> list[Flowable]:
    st = styles()
    out: list[Flowable] = [_item_header(index, item)]
    if item.results:
        out += [Spacer(1, 2 * mm), _results_table(item)]
    if item.note:
        out += [Spacer(1, 1.5 * mm), _p(f"注 {_en('Note', 6.5)}：{_esc(item.note)}", st.note)]
    out.append(Spacer(1, 5 * mm if item.results or item.note else 3 * mm))
    return out


def _failing_block(record: VerificationRecord) -> list[Flowable]:
    """不合格项目: the failing items named in a sentence, then their data (JJF 1069 notice habit)."""
    st = styles()
    failing = record.failing_items
    names = "、".join(
        f"{_esc(i.name)}（条款 {_esc(i.clause)}）" if i.clause else _esc(i.name) for i in failing
    )
    intro = _p(
        f"经检定，该计量器具不符合 {_esc(_regulation(record))} 的要求，不合格项目为：{names}。",
        st.body,
    )
    head = [
        _head_cell("检定项目", "Item"),
        _head_cell("检定点", "Test point"),
        _head_cell("化整值", "Rounded"),
        _head_cell("最大允许误差", "MPE"),
        _head_cell("结论", "Verdict"),
    ]
    rows: list[list[Any]] = [head]
    for item in failing:
        bad = [r for r in item.results if r.verdict in (Verdict.FAIL, Verdict.UNDETERMINED)]
        uniform_name = len({r.name for r in item.results}) <= 1
        if not bad:
            rows.append(
                [
                    _p(_esc(item.name), st.cell),
                    _p(_esc(item.note) or EMPTY, st.cell),
                    _p(EMPTY, st.cell_center),
                    _p(EMPTY, st.cell_center),
                    _p(item.verdict.zh, st.cell_center),
                ]
            )
        for r in bad:
            unit = f" {r.unit}" if r.unit else ""
            rows.append(
                [
                    _p(_esc(item.name), st.cell),
                    _p(_esc(_test_point(r, uniform_name)), st.cell),
                    _p(_esc(r.rounded + unit), st.cell_center),
                    _p(_esc(_mpe(r)), st.cell_center),
                    _p(r.verdict.zh, st.cell_center),
                ]
            )
    widths = [40, 50, 28, 30, 22]
    scale = CONTENT_WIDTH / (sum(widths) * mm)
    table = Table(rows, colWidths=[w * mm * scale for w in widths], repeatRows=1)
    table.setStyle(_table_style(_grid_style()))
    return [_heading("不合格项目", "Nonconforming items"), intro, Spacer(1, 2 * mm), table]


def _inner(record: VerificationRecord, kind: DocumentKind) -> list[Flowable]:
    st = styles()
    story: list[Flowable] = [
        _heading("检定信息", "Verification information"),
        _info_table(record),
        _heading("检定使用的计量标准器", "Reference standards used"),
        _standards_table(record.standards),
    ]
    if not kind.for_passing:
        story += _failing_block(record)
    story.append(_heading("检定结果", "Verification results"))
    if record.flags:
        story.append(_p("注意 " + _en("Flags", 7) + "：" + "；".join(_esc(f) for f in record.flags), st.body))
        story.append(Spacer(1, 2 * mm))
    sv = record.signed_meter_values
    if sv:
        zh = {"valid": "有效", "invalid": "无效", "absent": "无"}.get(sv["status"], sv["status"])
        span = ""
        if sv.get("start_wh") is not None and sv.get("stop_wh") is not None:
            span = f"；起始 {sv['start_wh'] / 1000:.3f} kWh，结束 {sv['stop_wh'] / 1000:.3f} kWh"
        serial = f"；电能表 {_esc(sv['meter_serial'])}" if sv.get("meter_serial") else ""
        story.append(_p(f"签名电能数据 {_en('Signed meter values (OCMF)', 7)}：{zh}{span}{serial}（{_esc(sv['reason'])}）",
                        st.body))
        story.append(Spacer(1, 2 * mm))
    blocks = [_item_block(index, item) for index, item in enumerate(record.items, start=1)]
    end_mark = _p(f"（以下空白）　{_en('End of results', 7)}", st.end_mark)
    if blocks:
        # the end mark travels with the last item, so it never stands alone on a page
        *earlier, last = blocks
        for block in earlier:
            story += block
        story.append(KeepTogether([*last, end_mark]))
    else:
        story.append(end_mark)
    return story


# --------------------------------------------------------------------------------------------------
# assembly


def _render(record: VerificationRecord, kind: DocumentKind) -> bytes:
    register_font()
    buf = io.BytesIO()
    cover_top = PAGE_HEIGHT - HEADER_HEIGHT
    cover_frame = Frame(
        MARGIN_X,
        COVER_FOOTER_HEIGHT,
        CONTENT_WIDTH,
        cover_top - COVER_FOOTER_HEIGHT,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
        id="cover",
    )
    inner_frame = Frame(
        MARGIN_X,
        INNER_FOOTER_HEIGHT,
        CONTENT_WIDTH,
        cover_top - INNER_FOOTER_HEIGHT - 2 * mm,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
        id="inner",
    )
    doc = BaseDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=HEADER_HEIGHT,
        bottomMargin=INNER_FOOTER_HEIGHT,
        title=f"{kind.title} {record.certificate_no}",
        author=record.institution.name,
        subject=f"{record.instrument.name} {record.instrument.serial} — {record.regulation_code}",
        creator=f"Jianding {record.software_version}".strip(),
        keywords=f"{record.certificate_no} {record.record_no} {record.run_id}",
        invariant=True,
        lang="zh-CN",
        initialFontName=register_font(),  # no stray non-embedded Helvetica in page resources
        initialFontSize=10.5,
    )
    doc.addPageTemplates(
        [
            PageTemplate(id="cover", frames=[cover_frame]),
            PageTemplate(id="inner", frames=[inner_frame]),
        ]
    )
    cover = KeepInFrame(cover_frame._width, cover_frame._height, _cover(record, kind), mode="shrink")
    story: list[Flowable] = [cover, NextPageTemplate("inner"), PageBreak(), *_inner(record, kind)]
    maker: Callable[..., Canvas] = partial(_PagedCanvas, layout=_Layout(record, kind))
    doc.build(story, canvasmaker=maker)
    return buf.getvalue()
