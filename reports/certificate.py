"""检定证书, 检定结果通知书 and 使用中检查结果通知书: a frozen :class:`~procedures.records.VerificationRecord`
to PDF bytes.

Layout follows JJF 1069-2012 (法定计量检定机构考核规范) habit and the cover format of
国质检量函[2005]861号, as summarised in ``reference/regulations.md`` §9 (page by page, with the source of
every field, in ``docs/certificates.md``):

* **Cover (第1页)** — institution logo top-left (when configured) and a reserved square top-right for
  the QR code (drawn when ``qr_payload`` is given); certificate number and "第 x 页 共 y 页"; issuing
  institution; title with its English subtitle; framed fields 送检单位, 计量器具名称, 型号/规格, 出厂编号,
  制造单位, 检定依据, 检定结论 (合格 prefixed by the accuracy class; 不合格 on a notice); the signatures
  of 批准人 / 核验员 / 检定员 (authorised signature images when configured, printed names otherwise)
  with the signature date; 检定日期 and, on a certificate only, 有效期至 — or 使用期限至 "…（到期更换）"
  for an instrument with a service life (:func:`validity_line`); the institution's authorisation
  number, address, postcode, phone, fax and e-mail when configured.
* **Inner pages** — certificate number and page x/y on every page; 原始记录编号; 检定类别; regulation;
  出厂编号 with the bench position (表位 N) for a multi-position bench record; the standards used with
  range, accuracy, certificates and validity; place and environment; on a notice, the 不合格项目 with
  their data; each item with its clause, verdict and data; 调整/修理情况; an end mark (以下空白).

A passing verification gives a 检定证书; a failing one a 检定结果通知书 ("证明计量器具不符合有关法定要求的文件"),
which names the failing items and carries no validity date. An in-service inspection (使用中检查)
gives a 使用中检查结果通知书, 合格 or 不合格, with the labels of an inspection (检查依据, 检查日期, …),
the certificate the instrument holds and that certificate's validity as found (cover and a
检查时所见检定状态 section) and no validity of its own (:func:`render_inspection`). Functions are pure and deterministic:
the same record gives the same bytes (reportlab invariant mode, creation date taken from the record,
trailer /ID seeded from the certificate and record numbers, whatever SOURCE_DATE_EPOCH says), so
golden-file tests (``tests/reports/test_golden.py``) can compare renderings.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Image,
    KeepInFrame,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Spacer,
    Table,
)

from procedures.records import (
    AsFound,
    StandardSetup,
    StandardUsed,
    VerificationRecord,
)
from procedures.regulations.validity import SERVICE_LIFE
from reports.layout import (
    CONTENT_WIDTH,
    EMPTY,
    FRAME_WIDTH,
    GRID_WIDTH,
    HEADER_HEIGHT,
    MARGIN_X,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    PagedCanvas,
    bilingual,
    date_iso,
    date_zh,
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
    resolve_asset,
    table_style,
)
from reports.results import annex_block, failing_block, item_blocks
from reports.typography import FAUX_BOLD_STROKE, INK, MUTED, RULE, SHADE, register_font, styles

__all__ = [
    "CERTIFICATE",
    "INSPECTION",
    "INSPECTION_NOTE",
    "LOGO_BOX",
    "NOTICE",
    "QR_BOX",
    "DocumentKind",
    "draw_logo",
    "found_certificate",
    "found_validity",
    "kind_of",
    "position_of",
    "record_doc_template",
    "record_time",
    "render_certificate",
    "render_document",
    "render_inspection",
    "render_notice",
    "signature",
    "signature_date",
    "validity_line",
]

COVER_HEADER_HEIGHT = 36 * mm  # cover's top band: logo, certificate no. and page x of y, QR square
COVER_FOOTER_HEIGHT = 40 * mm  # institution contact block and notes on the cover
INNER_FOOTER_HEIGHT = 21 * mm  # traceability line (software version, procedure hash)

_BOX_TOP = PAGE_HEIGHT - 9 * mm
QR_BOX = (PAGE_WIDTH - MARGIN_X - 26 * mm, _BOX_TOP - 26 * mm, 26 * mm)
"""The square reserved top-right of the cover for the QR code: (x, y, side) in points, origin
bottom-left. Left blank without a ``qr_payload`` (CTI habit: QR top-right of the first page, §9)."""

LOGO_BOX = (MARGIN_X, _BOX_TOP - 24 * mm, 24 * mm)
"""Where the institution logo goes top-left of the cover: (x, y, side); the image keeps its aspect
ratio inside the square."""

SIGNATURE_HEIGHT = 11 * mm  # signature images are scaled to this height (max width: the line)
SIGNATURE_LINE = 52 * mm


@dataclass(frozen=True)
class DocumentKind:
    """Which document is being rendered — 检定证书, 检定结果通知书 or 使用中检查结果通知书 — with its
    wording: the title and noun (from the record's frozen :class:`~procedures.records.DocumentInfo`
    when it has one), and what the document is an act of (检定 or 检查: 检定依据 / 检查依据, 检定日期 /
    检查日期, …)."""

    key: str  # certificate | notice | inspection
    title: str
    title_en: str
    noun: str
    number_en: str

    @property
    def shows_validity(self) -> bool:
        """Only a certificate states a validity (有效期至 or 使用期限至)."""
        return self.key == "certificate"

    @property
    def for_passing(self) -> bool:
        """Only a certificate is issued for a passing verification alone."""
        return self.key == "certificate"

    @property
    def inspection(self) -> bool:
        """The result of an in-service inspection (使用中检查): it finds the validity, gives none."""
        return self.key == "inspection"

    @property
    def act(self) -> tuple[str, str]:
        """The act in labels, (Chinese, English): 检定 / Verification, or 检查 / Inspection."""
        return ("检查", "Inspection") if self.inspection else ("检定", "Verification")


CERTIFICATE = DocumentKind("certificate", "检定证书", "Verification Certificate", "证书", "Certificate No.")
"""检定证书: issued when the instrument conforms; carries 有效期至 or 使用期限至."""

NOTICE = DocumentKind("notice", "检定结果通知书", "Notice of Verification Result", "通知书", "Notice No.")
"""检定结果通知书: issued when it does not; names the failing items, no validity date."""

INSPECTION = DocumentKind("inspection", "使用中检查结果通知书", "Notice of In-service Inspection Result", "通知书",
                          "Inspection No.")
"""使用中检查结果通知书: the result of an in-service inspection, 合格 or 不合格; the validity it found,
never a new one (wording of procedures/regulations/data/documents.toml; a record carries its own)."""

_KINDS = {k.key: k for k in (CERTIFICATE, NOTICE, INSPECTION)}


def kind_of(record: VerificationRecord) -> DocumentKind:
    """The document ``record`` makes, with the wording frozen into it (records made before it
    carried one: certificate or notice by the verdict)."""
    base = _KINDS[record.kind]
    d = record.document
    if d is None:
        return base
    return DocumentKind(d.kind, d.title or base.title, d.title_en or base.title_en, d.noun or base.noun,
                        d.number_en or base.number_en)


DRAFT_TEXT = "草稿 未批准"
DRAFT_TEXT_EN = "DRAFT — NOT APPROVED"


# --------------------------------------------------------------------------------------------------
# public API


def render_certificate(record: VerificationRecord, *, qr_payload: str | None = None, draft: bool = False) -> bytes:
    """Render the 检定证书 (verification certificate) of a passing record as PDF bytes.

    ``qr_payload``, when given, is drawn as a QR code in the reserved square top-right of the cover
    (:data:`QR_BOX`); the caller decides what it carries (a verification URL with a signed token).
    ``draft`` marks every page 草稿 未批准 (a draft for checking; never a document to hand out).
    Raises :class:`ValueError` for a failing record: JJF 1069-2012 allows a certificate only for an
    instrument that meets the legal requirements; a failing one gets :func:`render_notice`; and for
    an in-service inspection, which issues no certificate (:func:`render_inspection`).
    Raises :class:`FileNotFoundError` when a configured logo or signature image is missing.
    """
    if record.is_inspection:
        raise ValueError(
            f"record {record.certificate_no} is an in-service inspection (使用中检查): no 检定证书 "
            "(use render_inspection)"
        )
    if not record.passed:
        raise ValueError(
            f"record {record.certificate_no} did not pass; a 检定证书 cannot be issued (use render_notice)"
        )
    return _render(record, kind_of(record), qr_payload, draft)


def render_notice(record: VerificationRecord, *, qr_payload: str | None = None, draft: bool = False) -> bytes:
    """Render the 检定结果通知书 (notice of verification result) of a failing record as PDF bytes.

    The notice states 不合格, names the failing items (:attr:`VerificationRecord.failing_items`)
    with their data and carries no validity date. Raises :class:`ValueError` for a passing record
    or an in-service inspection. ``qr_payload`` and ``draft`` as for :func:`render_certificate`.
    """
    if record.is_inspection:
        raise ValueError(f"record {record.certificate_no} is an in-service inspection (use render_inspection)")
    if record.passed:
        raise ValueError(
            f"record {record.certificate_no} passed; issue a 检定证书 (render_certificate), not a notice"
        )
    return _render(record, kind_of(record), qr_payload, draft)


def render_inspection(record: VerificationRecord, *, qr_payload: str | None = None, draft: bool = False) -> bytes:
    """Render the 使用中检查结果通知书 (result of an in-service inspection) as PDF bytes, 合格 or 不合格.

    It states the instrument's verification as found (:attr:`VerificationRecord.as_found`: the
    certificate held and its validity or service life, unchanged) and never a validity of its own;
    a 不合格 result names the failing items with their data. Raises :class:`ValueError` for a
    verification's record. ``qr_payload`` and ``draft`` as for :func:`render_certificate`.
    """
    if not record.is_inspection:
        raise ValueError(f"record {record.certificate_no} is a verification, not an in-service inspection")
    return _render(record, kind_of(record), qr_payload, draft)


def render_document(record: VerificationRecord, *, qr_payload: str | None = None, draft: bool = False) -> bytes:
    """Render whichever document the record makes: the inspection result for an in-service
    inspection; for a verification the certificate if it passed, else the notice."""
    if record.is_inspection:
        return render_inspection(record, qr_payload=qr_payload, draft=draft)
    if record.passed:
        return render_certificate(record, qr_payload=qr_payload, draft=draft)
    return render_notice(record, qr_payload=qr_payload, draft=draft)


# --------------------------------------------------------------------------------------------------
# formatting helpers


def _class_text(record: VerificationRecord) -> str:
    """The accuracy class as printed: '1级' ("" when the ledger gives none)."""
    cls = record.instrument.accuracy_class.strip()
    if not cls:
        return ""
    suffix = "" if cls.endswith("级") or cls.lower().startswith("class") else "级"
    return f"{cls}{suffix}"


def _class_conclusion(record: VerificationRecord) -> str:
    """'1级 合格': the conclusion optionally prefixed by the accuracy class (JJF 1069 cover habit)."""
    cls = _class_text(record)
    return f"{cls} {record.conclusion}" if cls else record.conclusion


def model_specification(record: VerificationRecord) -> str:
    """The 型号/规格 line: the model, then the specification frozen into the record (procedures/
    regulations/specs.py cover template: "DDZY-SIM　220 V　5(60) A　1600 imp/kWh")."""
    ins = record.instrument
    return "　".join(x for x in (ins.model, ins.specification) if x)


def specs_text(record: VerificationRecord) -> str:
    """The 技术参数 row: "参比电压：220 V；电流规格：5(60) A；…" ("" when the record has none)."""
    return "；".join(f"{x.zh}：{x.text}" for x in record.instrument.specs)


def conditions_text(record: VerificationRecord) -> str:
    """The regulation's conditions besides the room's, as measured: "水温：20.5 °C；…" ("" when none)."""
    return "；".join(f"{c.zh}：{c.text}" for c in record.environment.conditions)


def _regulation(record: VerificationRecord) -> str:
    """'JJG 1148-2022《电动汽车交流充电桩》'."""
    title = record.regulation_title.strip()
    if title and not title.startswith("《"):
        title = f"《{title}》"
    return f"{record.regulation_code}{title}"


def record_time(record: VerificationRecord) -> datetime:
    """When the record was frozen (``finished_at``), else midnight of the verification day."""
    return record.finished_at or datetime(record.verified_on.year, record.verified_on.month, record.verified_on.day)


def _pdf_date(record: VerificationRecord) -> str:
    """PDF date string taken from the record, never from the clock."""
    return pdf_date(record_time(record))


def signature_date(record: VerificationRecord) -> date:
    """The date printed beside the signatures: the day the record was frozen and approved
    (``finished_at``, in its own time zone), else the verification date."""
    return record.finished_at.date() if record.finished_at else record.verified_on


def position_of(record: VerificationRecord) -> int | None:
    """The bench position (表位) of a multi-position bench record, from its station snapshot."""
    value = record.station.get("position") if record.station else None
    return int(value) if value is not None else None


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


# --------------------------------------------------------------------------------------------------
# page furniture (drawn after layout, when the page count is known)


def draw_logo(c: Canvas, path: str, box: tuple[float, float, float]) -> None:
    """The institution logo ``path`` (nothing when "") fitted into the square ``box`` (x, y, side),
    aspect ratio kept, top-aligned: the cover's and the original record's."""
    if not path:
        return
    image = ImageReader(str(resolve_asset(path, "机构标志 logo")))
    iw, ih = image.getSize()
    x, y, side = box
    scale = side / max(iw, ih)
    w, h = iw * scale, ih * scale
    c.drawImage(image, x, y + side - h, w, h, mask="auto")


@dataclass(frozen=True)
class _Layout:
    """Header/footer painter for one document."""

    record: VerificationRecord
    kind: DocumentKind
    qr_payload: str | None = None
    draft: bool = False

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
        if page == 1:
            self._number_block(c, page, total, right=QR_BOX[0] - 4 * mm)
            self._logo(c)
            self._qr(c)
            self._cover_footer(c)
        else:
            self._number_block(c, page, total, right=PAGE_WIDTH - MARGIN_X)
            self._inner_header(c)
            self._inner_footer(c)
        if self.draft:
            self._draft_mark(c)
        c.restoreState()

    def _draft_mark(self, c: Canvas) -> None:
        """A document not yet approved says so across every page (nothing is issued before the
        批准人 approves; a draft is for the 核验员 to check)."""
        c.saveState()
        c.setFont(register_font(), 9)
        c.setFillGray(0.3)
        c.drawCentredString(PAGE_WIDTH / 2, PAGE_HEIGHT - 7 * mm, f"{DRAFT_TEXT} ({DRAFT_TEXT_EN})")
        c.setFillGray(0.55, alpha=0.35)
        c.translate(PAGE_WIDTH / 2, PAGE_HEIGHT / 2)
        c.rotate(35)
        c.setFont(register_font(), 54)
        c.drawCentredString(0, 12 * mm, DRAFT_TEXT)
        c.setFont(register_font(), 20)
        c.drawCentredString(0, -4 * mm, DRAFT_TEXT_EN)
        c.restoreState()

    def _logo(self, c: Canvas) -> None:
        """The institution logo, top-left of the cover, when configured (aspect ratio kept)."""
        draw_logo(c, self.record.institution.logo_path, LOGO_BOX)

    def _qr(self, c: Canvas) -> None:
        """The QR code in the reserved square top-right of the cover, when a payload is given."""
        if not self.qr_payload:
            return
        x, y, side = QR_BOX
        widget = QrCodeWidget(self.qr_payload, barLevel="M")
        x0, y0, x1, y1 = widget.getBounds()
        drawing = Drawing(side, side, transform=[side / (x1 - x0), 0, 0, side / (y1 - y0), 0, 0])
        drawing.add(widget)
        renderPDF.draw(drawing, c, x, y)

    def _number_block(self, c: Canvas, page: int, total: int, right: float) -> None:
        """Certificate number and page x of y, top right of every page (JJF 1069); on the cover
        they stand left of the QR square."""
        font = register_font()
        top = PAGE_HEIGHT - 13 * mm
        c.setFillColor(INK)
        c.setFont(font, 9.5)
        label = f"{self.kind.noun}编号："
        number = self.record.certificate_no
        c.drawRightString(right, top, f"{label}{number}")
        c.setFont(font, 6.5)
        c.setFillColor(MUTED)
        c.drawRightString(right, top - 8.5, f"{self.kind.number_en}   Page {page} of {total}")
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
            f"原始记录编号 Record No.：{esc(r.record_no) or EMPTY}",
            f"软件版本 Software：Jianding {esc(r.software_version) or EMPTY}",
            f"规程程序哈希 Procedure hash：{esc(r.procedure_hash) or EMPTY}",
        ]
        para = p("　　".join(parts), st.fine)
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
            ("传真", "Fax", inst.fax),
            ("电子邮箱", "E-mail", inst.email),
        ]
        fields += [(c.role, c.role_en, "　".join(x for x in (c.name, c.phone, c.email) if x)) for c in inst.contacts]
        given = [(zh, gloss, v) for zh, gloss, v in fields if v]
        cells = [p(f"{zh} {en(gloss, 6.5) if gloss else ''}：{esc(v)}", st.note) for zh, gloss, v in given]
        rows = [cells[i : i + 2] + [""] * (2 - len(cells[i : i + 2])) for i in range(0, len(cells), 2)]
        notes = p(
            f"注：1. 本{self.kind.noun}未加盖检定专用章无效。"
            f"2. 未经本机构书面批准，不得部分复制本{self.kind.noun}。",
            st.fine,
        )
        rows.append([notes, ""])
        table = Table(rows, colWidths=[CONTENT_WIDTH * 0.58, CONTENT_WIDTH * 0.42])
        table.setStyle(
            table_style(
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


def validity_line(record: VerificationRecord, kind: DocumentKind) -> tuple[str, str, str] | None:
    """The certificate's validity line (label, English label, value): 使用期限至 "…（到期更换）" for
    an instrument with a service life (首次检定、限期使用、到期更换 — never 有效期至), else 有效期至;
    None on a notice or an inspection result, which state no validity."""
    if not kind.shows_validity:
        return None
    if record.validity_kind == SERVICE_LIFE or record.service_life_until is not None:
        until = record.service_life_until
        return "使用期限至", "Service life until", f"{date_zh(until)}（到期更换）" if until else EMPTY
    return "有效期至", "Valid until", date_zh(record.valid_until)


def found_certificate(found: AsFound) -> str:
    """The certificate an inspection found: "JD2026-00001（某所，2026年3月1日检定）", or why none."""
    if not found.certificate_no:
        return found.status or EMPTY
    extra = "，".join(x for x in (found.issuer, f"{date_zh(found.verified_on)}检定" if found.verified_on else "") if x)
    return f"{found.certificate_no}（{extra}）" if extra else found.certificate_no


def found_validity(found: AsFound) -> str:
    """The validity an inspection found, unchanged by it, with its status on the day."""
    if found.service_life_until is not None:
        until = f"使用期限至 {date_zh(found.service_life_until)}（到期更换）"
    elif found.valid_until is not None:
        until = f"有效期至 {date_zh(found.valid_until)}"
    else:
        until = EMPTY
    return f"{until}；检查时：{found.status}" if found.certificate_no and found.status else until


INSPECTION_NOTE = ("本通知书为使用中检查的结果，不是检定证书，不给出也不延长该计量器具的有效期或使用期限。",
                   "Result of an in-service inspection: not a verification certificate; it neither gives nor "
                   "extends the instrument's validity or service life.")
"""Printed on the cover of every 使用中检查结果通知书 (JJF 1001-2011 使用中检查: a check, not a verification)."""


def _cover(record: VerificationRecord, kind: DocumentKind) -> list[Flowable]:
    st = styles()
    ins = record.instrument
    act, act_en = kind.act
    conclusion = _class_conclusion(record) if kind.for_passing else record.conclusion
    field_rows: list[tuple[str, str, str]] = [
        ("使用单位", "User unit", ins.client) if kind.inspection else ("送检单位", "Client", ins.client),
        ("计量器具名称", "Instrument", ins.name),
        ("型号/规格", "Model / Specification", model_specification(record)),
        ("出厂编号", "Serial No.", ins.serial),
        ("制造单位", "Manufacturer", ins.manufacturer),
        (f"{act}依据", f"{act_en} regulation", _regulation(record)),
    ]
    if kind.inspection:
        found = record.as_found or AsFound(status="未记录 (not recorded)")
        field_rows += [("所持检定证书", "Certificate held", found_certificate(found)),
                       ("证书有效期", "Validity as found", found_validity(found))]
    rows: list[list[Any]] = [
        [bilingual(zh, gloss, st.label), p(esc(v) or EMPTY, st.value)] for zh, gloss, v in field_rows
    ]
    conclusion_style = st.value.clone("jd-conclusion", fontSize=13, leading=17)
    rows.append(
        [
            bilingual(f"{act}结论", "Conclusion", st.label),
            p(f"{esc(conclusion)}　{en('Pass' if record.passed else 'Fail', 8)}", conclusion_style),
        ]
    )
    fields = Table(rows, colWidths=[40 * mm, CONTENT_WIDTH - 40 * mm])
    fields.setStyle(
        table_style(
            [
                ("BOX", (0, 0), (-1, -1), FRAME_WIDTH, RULE),
                ("INNERGRID", (0, 0), (-1, -1), GRID_WIDTH, RULE),
                ("BACKGROUND", (0, 0), (0, -1), SHADE),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 7),
                ("RIGHTPADDING", (0, 0), (-1, -1), 7),
                # the inspection result's two more rows fit the cover without shrinking it
                ("TOPPADDING", (0, 0), (-1, -1), 3 if kind.inspection else 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4 if kind.inspection else 6),
            ]
        )
    )

    people = record.people
    name_style = st.value.clone("jd-signature", alignment=TA_CENTER)  # centred above the line
    signers = [
        ("批准人", "Approved by", people.approver, people.approver_signature),
        ("核验员", "Checked by", people.checker, people.checker_signature),
        ("检定员", "Verified by", people.verifier, people.verifier_signature),
    ]
    sign_rows: list[list[Any]] = [
        [bilingual(zh, en_text, st.label), signature(name, image, role=zh, style=name_style)]
        for zh, en_text, name, image in signers
    ]
    sign_rows.append(
        [
            bilingual("签字日期", "Date of signature", st.label),
            p(date_zh(signature_date(record)), name_style),
        ]
    )
    signatures = Table(
        sign_rows,
        colWidths=[26 * mm, SIGNATURE_LINE],
        rowHeights=[14 * mm] * 3 + [10 * mm],
        hAlign="RIGHT",
    )
    signatures.setStyle(
        table_style(
            [
                ("LINEBELOW", (1, 0), (1, -2), 0.6, RULE),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("ALIGN", (1, 0), (1, -1), "CENTER"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )

    date_rows = [
        [bilingual(f"{act}日期", f"Date of {act_en.lower()}", st.label), p(date_zh(record.verified_on), st.value)]
    ]
    line = validity_line(record, kind)
    if line is not None:
        date_rows.append([bilingual(line[0], line[1], st.label), p(esc(line[2]), st.value)])
    dates = Table(date_rows, colWidths=[30 * mm, 66 * mm], hAlign="LEFT")
    dates.setStyle(
        table_style(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 7),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    # dates bottom-left under the seal area, signatures bottom-right: the usual cover arrangement
    seal = _seal_area(record)
    left: Flowable = dates
    if seal is not None:
        left = Table([[seal], [dates]], colWidths=[CONTENT_WIDTH - 26 * mm - SIGNATURE_LINE])
        left.setStyle(table_style([("ALIGN", (0, 0), (0, 0), "RIGHT"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                   ("RIGHTPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 0), (-1, -1), 0),
                                   ("BOTTOMPADDING", (0, 0), (-1, -1), 0)]))
    sign_band = Table(
        [[left, signatures]],
        colWidths=[CONTENT_WIDTH - 26 * mm - SIGNATURE_LINE, 26 * mm + SIGNATURE_LINE],
    )
    sign_band.setStyle(
        table_style(
            [
                ("VALIGN", (0, 0), (0, 0), "BOTTOM"),
                ("VALIGN", (1, 0), (1, 0), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )

    note: list[Flowable] = []
    if kind.inspection:
        note = [Spacer(1, 2 * mm), p(f"{INSPECTION_NOTE[0]}{en(INSPECTION_NOTE[1], 6.5)}", st.note)]
    size, spacing = (30, 10) if len(kind.title) <= 4 else (26, 10) if len(kind.title) <= 7 else (22, 5)
    gap = 6 * mm if kind.inspection else 10 * mm
    return [
        Spacer(1, 2 * mm),
        p(esc(record.institution.name), st.institution),
        Spacer(1, 8 * mm),
        _FauxBoldTitle(kind.title, size, spacing),
        Spacer(1, 2 * mm),
        p(kind.title_en, st.subtitle.clone("jd-subtitle-sp", fontSize=12.5)),
        Spacer(1, gap),
        fields,
        *note,
        Spacer(1, gap),
        sign_band,
    ]


class _SealArea(Flowable):
    """The marked place of the 检定专用章 (the footnote: a document without it is invalid): a dashed
    circle of the profile's diameter with its label, small and grey, so the stamp lands where it
    belongs and a document handed out unstamped shows the empty place."""

    def __init__(self, label: str, diameter: float) -> None:
        super().__init__()
        self.label = label
        self.diameter = diameter

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        """A square of the circle's diameter."""
        return self.diameter, self.diameter

    def draw(self) -> None:
        """Dashed circle, label and its English gloss at the centre."""
        c = self.canv
        r = self.diameter / 2
        c.saveState()
        c.setStrokeColor(MUTED)
        c.setFillColor(MUTED)
        c.setLineWidth(0.5)
        c.setDash(2.2, 2.2)
        c.circle(r, r, r - 0.5, stroke=1, fill=0)
        c.setFont(register_font(), 7.5)
        c.drawCentredString(r, r + 1, f"（{self.label}）")
        c.setFont(register_font(), 5.5)
        c.drawCentredString(r, r - 7, "Seal of verification")
        c.restoreState()


def _seal_area(record: VerificationRecord) -> Flowable | None:
    """The seal area of the institution profile ([seal] label, diameter_mm); None for a record
    made before profiles (no label frozen into it)."""
    inst = record.institution
    return _SealArea(inst.seal_label, inst.seal_diameter_mm * mm) if inst.seal_label else None


def signature(name: str, image_path: str, *, role: str, style: Any, height: float = SIGNATURE_HEIGHT,
              width: float = SIGNATURE_LINE - 4 * mm) -> Flowable:
    """One signature: the authorised signature image when configured (scaled to the line), else the
    printed name; an empty line when neither is known (to be signed in ink). The image is scaled
    to ``height`` at most ``width`` wide (the cover's line by default)."""
    if not image_path:
        return p(esc(name), style)
    path = resolve_asset(image_path, f"{role}签名 signature")
    iw, ih = ImageReader(str(path)).getSize()
    scale = min(height / ih, width / iw)
    return Image(str(path), width=iw * scale, height=ih * scale, mask="auto")


# --------------------------------------------------------------------------------------------------
# inner pages


def _label(zh: str, en_text: str) -> Flowable:
    """A label cell of the inner pages' information tables: Chinese, the English small beneath."""
    return bilingual(zh, en_text, styles().cell, 6.5)


def _value(text: str) -> Flowable:
    """A value cell of the information tables (escaped; — when empty)."""
    return p(esc(text) or EMPTY, styles().cell)


def _grid(rows: list[list[Any]], *, shaded: Sequence[int], spans: Sequence[int]) -> Table:
    """A four-column label/value/label/value table: column 0 shaded, column 2 shaded in the
    ``shaded`` rows, the value of the ``spans`` rows running over columns 1–3."""
    w = CONTENT_WIDTH
    table = Table(rows, colWidths=[30 * mm, w / 2 - 30 * mm, 30 * mm, w / 2 - 30 * mm])
    table.setStyle(
        table_style(
            [
                *grid_style(0),
                ("BACKGROUND", (0, 0), (0, -1), SHADE),
                *[("BACKGROUND", (2, r), (2, r), SHADE) for r in shaded],
                *[("SPAN", (1, r), (3, r)) for r in spans],
            ]
        )
    )
    return table


def _rows_grid(rows: Sequence[tuple[Any, ...]]) -> Table:
    """:func:`_grid` from rows of two cells (label, value: the value spans the row) or four
    (label, value, label, value)."""
    full = [list(r) if len(r) == 4 else [r[0], r[1], "", ""] for r in rows]
    return _grid(full, shaded=[i for i, r in enumerate(rows) if len(r) == 4],
                 spans=[i for i, r in enumerate(rows) if len(r) == 2])


def _info_table(record: VerificationRecord, kind: DocumentKind) -> Table:
    """检定信息: record number and type, the instrument (name, serial with its bench position, model
    and specification, accuracy class, 技术参数), regulation, place, room conditions and the
    regulation's other conditions (water or fuel temperature …), and the validity rule."""
    st = styles()
    act, act_en = kind.act
    env = record.environment
    temp = f"{num(env.temperature_c)} °C" if env.temperature_c is not None else EMPTY
    rh = f"{num(env.humidity_pct)} %" if env.humidity_pct is not None else EMPTY

    position = position_of(record)
    serial = esc(record.instrument.serial) or EMPTY
    if position is not None:
        # a multi-position bench record: which seat the instrument occupied (表位)
        serial += f"　表位 {position} {en(f'(position {position})', 6.5)}"

    rows: list[tuple[Any, ...]] = [
        (_label("原始记录编号", "Record No."), _value(record.record_no),
         _label(f"{act}类别", f"Type of {act_en.lower()}"), _value(record.verification_type)),
        (_label("计量器具名称", "Instrument"), _value(record.instrument.name),
         _label("出厂编号", "Serial No."), p(serial, st.cell)),
        (_label("型号/规格", "Model / Specification"), _value(model_specification(record)),
         _label("准确度等级", "Accuracy class"), _value(_class_text(record))),
    ]
    specs = specs_text(record)
    if specs:
        rows.append((_label("技术参数", "Specification"), _value(specs)))
    rows += [
        (_label(f"{act}依据", "Regulation"), _value(_regulation(record))),
        (_label(f"{act}地点", "Place"), _value(env.place)),
        (_label("环境温度", "Temperature"), _value(temp), _label("相对湿度", "Relative humidity"), _value(rh)),
    ]
    conditions = conditions_text(record)
    if conditions:
        rows.append((_label(f"{act}条件", "Test conditions"), _value(conditions)))
    line = validity_line(record, kind)
    if line is not None and record.validity_rule:
        rule_zh, rule_en = ("使用期限依据", "Service-life rule") if line[0] == "使用期限至" else ("有效期依据", "Validity rule")
        rows.append((_label(rule_zh, rule_en), _value(record.validity_rule)))
    return _rows_grid(rows)


def _as_found_table(record: VerificationRecord) -> Table:
    """检查时所见检定状态: the certificate the instrument held, its validity or service life and the
    status on the day of the inspection, the rule it follows and where it was found — unchanged
    by the inspection."""
    found = record.as_found or AsFound(status="未记录 (not recorded)")
    if found.service_life_until is not None:
        until = [_label("使用期限至", "Service life until"), _value(f"{date_zh(found.service_life_until)}（到期更换）")]
    else:
        until = [_label("有效期至", "Valid until"), _value(date_zh(found.valid_until) if found.valid_until else "")]
    rows = [
        [_label("证书编号", "Certificate No."), _value(found.certificate_no), _label("发证机构", "Issued by"),
         _value(found.issuer)],
        [_label("检定日期", "Verified on"), _value(date_zh(found.verified_on) if found.verified_on else ""), *until],
        [_label("检查时状态", "Status found"), _value(found.status), "", ""],
        [_label("有效期依据", "Rule"), _value(record.validity_rule), "", ""],
        [_label("查询来源", "Found in"), _value(found.source), "", ""],
    ]
    return _grid(rows, shaded=(0, 1), spans=(2, 3, 4))


def _setup_table(setup: StandardSetup) -> Table:
    """One 计量标准装置: its name, the number of its 计量标准考核证书 (or 社会公用计量标准证书) and
    that certificate's validity ("有效期", as in the instruments' table: "有效期至" is the document's
    own validity line, which a notice must not show)."""
    number_zh = "考核证书编号" if setup.certificate_kind == "计量标准考核证书" else "社会公用计量标准证书编号"
    number_en = "Assessment certificate No." if setup.certificate_kind == "计量标准考核证书" else "Public standard certificate No."
    return _rows_grid([
        (_label("装置名称", "Standard setup"), _value(setup.name)),
        (_label(number_zh, number_en), _value(setup.certificate_no), _label("有效期", "Valid until"),
         _value(date_iso(setup.valid_until))),
    ])


def _standards_table(standards: Sequence[StandardUsed]) -> Flowable:
    """The instruments' table: name, model, serial, range, accuracy or U, calibration certificate and
    its validity, one row each."""
    st = styles()
    if not standards:
        return p(EMPTY, st.cell)
    with_range = any(s.measuring_range for s in standards)
    head = [
        head_cell("名称", "Name"),
        head_cell("型号", "Model"),
        head_cell("出厂编号", "Serial No."),
        *([head_cell("测量范围", "Range")] if with_range else []),
        head_cell("准确度等级", "Accuracy / U"),
        head_cell("证书编号", "Certificate No."),
        # "有效期" not "有效期至": the latter is the certificate's own validity line, which a notice
        # must not show, so it stays unambiguous in the document text.
        head_cell("有效期", "Valid until"),
    ]
    rows: list[list[Any]] = [head]
    for s in standards:
        rows.append(
            [
                p(esc(s.name), st.cell),
                p(esc(s.model) or EMPTY, st.cell_center),
                p(esc(s.serial) or EMPTY, st.cell_center),
                *([p(esc(s.measuring_range) or EMPTY, st.cell_center)] if with_range else []),
                p(esc(s.accuracy) or EMPTY, st.cell_center),
                p(esc(s.certificate_no) or EMPTY, st.cell_center),
                p(date_iso(s.valid_until), st.cell_center),
            ]
        )
    codes = [[s.model for s in standards], [s.serial for s in standards], [s.certificate_no for s in standards],
             [date_iso(s.valid_until) for s in standards]]
    model_w, serial_w, cert_w, valid_w = _code_widths(codes, (16 * mm, 18 * mm, 18 * mm, 18 * mm))
    free = CONTENT_WIDTH - model_w - serial_w - cert_w - valid_w
    words = [free * f for f in ((0.4, 0.33, 0.27) if with_range else (0.6, 0.4))]  # name, (range,) accuracy
    widths = [words[0], model_w, serial_w, *words[1:-1], words[-1], cert_w, valid_w]
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(table_style(grid_style()))
    return table


def _code_widths(columns: Sequence[Sequence[str]], minimum: Sequence[float]) -> list[float]:
    """Widths of columns of codes (model, serial, certificate number, date) wide enough that no code
    breaks mid-token, each at least its ``minimum``; together at most 62 % of the line (then scaled
    down, and the longest codes wrap)."""
    st = styles().cell_center
    pad = 8 + 1  # the grid's left and right padding, and a point to spare
    widths = [max([m, *(stringWidth(t, st.fontName, st.fontSize) + pad for t in col)])
              for col, m in zip(columns, minimum, strict=True)]
    limit = CONTENT_WIDTH * 0.62
    return [w * min(1.0, limit / sum(widths)) for w in widths]


def _standards_block(record: VerificationRecord, kind: DocumentKind) -> list[Flowable]:
    """The standards as the institution holds them: each 计量标准装置 used (使用的计量标准装置: name,
    certificate number, validity) followed by its 主要计量器具 table; standards of no 装置 on record
    under 其他计量标准器 — or, in a record with no 装置 at all, under the heading of old
    (使用的计量标准器). Each heading stays with its table."""
    act = kind.act[0]
    known = {s.certificate_no for s in record.setups}
    loose = [s for s in record.standards if s.setup not in known]
    if not record.setups:
        return [KeepTogether([heading(f"{act}使用的计量标准器", "Reference standards used"),
                              _standards_table(record.standards)])]
    out: list[Flowable] = [heading(f"{act}使用的计量标准装置", "Measurement standard setups used")]
    for setup in record.setups:
        main = [s for s in record.standards if s.setup == setup.certificate_no]
        out.append(KeepTogether([_setup_table(setup), Spacer(1, 1.5 * mm),
                                 p(f"主要计量器具　{en('Main instruments', 7)}", styles().body),
                                 _standards_table(main), Spacer(1, 2 * mm)]))
    if loose:
        out.append(KeepTogether([p(f"其他计量标准器　{en('Other reference standards', 7)}", styles().body),
                                 _standards_table(loose)]))
    return out


def _inner(record: VerificationRecord, kind: DocumentKind) -> list[Flowable]:
    st = styles()
    act, act_en = kind.act
    story: list[Flowable] = [heading(f"{act}信息", f"{act_en} information"), _info_table(record, kind)]
    if kind.inspection:
        story += [heading("检查时所见检定状态", "Verification status as found"), _as_found_table(record)]
    story += _standards_block(record, kind)
    if not record.passed and not kind.for_passing:
        story += failing_block(record, kind.inspection, _regulation(record))
    results_heading = heading(f"{act}结果", f"{act_en} results")
    # the heading travels with the first item: never alone at a page foot
    blocks = item_blocks(record)
    if blocks:
        blocks[0] = [results_heading, *blocks[0]]
    else:
        story.append(results_heading)
    adjustment = p(
        f"调整/修理情况 {en('Adjustment / repair', 6.5)}：{esc(record.adjustment_note.strip()) or '无'}",
        st.body,
    )
    end_mark = p(f"—— 以下空白 ——　{en('End of results', 7)}", st.end_mark)
    annex = annex_block(record)
    # the end mark closes the document: after the annex when there is one, else after the results
    tail: list[Flowable] = [Spacer(1, 1 * mm), adjustment, *([] if annex else [end_mark])]
    if blocks:
        # the adjustment note travels with the last item: never alone on a page
        *earlier, last = blocks
        story += [KeepTogether(block) for block in earlier]
        story.append(KeepTogether([*last, *tail]))
    else:
        story += tail
    if annex:
        story += [PageBreak(), *annex, Spacer(1, 3 * mm), end_mark]
    return story


# --------------------------------------------------------------------------------------------------
# assembly


def record_doc_template(
    buf: Any,
    record: VerificationRecord,
    *,
    title: str,
    keywords: str,
    header: float,
    footer: float,
) -> BaseDocTemplate:
    """The :func:`~reports.layout.doc_template` of a document rendered from ``record``: the issuing
    institution as author, the instrument and regulation as subject, the software version as creator."""
    return doc_template(
        buf,
        title=title,
        author=record.institution.name,
        subject=f"{record.instrument.name} {record.instrument.serial} — {record.regulation_code}",
        creator=f"Jianding {record.software_version}".strip(),
        keywords=keywords,
        header=header,
        footer=footer,
    )


def _render(record: VerificationRecord, kind: DocumentKind, qr_payload: str | None, draft: bool = False) -> bytes:
    register_font()
    buf = io.BytesIO()
    cover_frame = frame("cover", header=COVER_HEADER_HEIGHT, footer=COVER_FOOTER_HEIGHT, gap=0)
    inner_frame = frame("inner", header=HEADER_HEIGHT, footer=INNER_FOOTER_HEIGHT)
    doc = record_doc_template(
        buf,
        record,
        title=f"{kind.title} {record.certificate_no}",
        keywords=f"{record.certificate_no} {record.record_no} {record.run_id}",
        header=HEADER_HEIGHT,
        footer=INNER_FOOTER_HEIGHT,
    )
    doc.addPageTemplates(
        [
            PageTemplate(id="cover", frames=[cover_frame]),
            PageTemplate(id="inner", frames=[inner_frame]),
        ]
    )
    cover = KeepInFrame(cover_frame._width, cover_frame._height, _cover(record, kind), mode="shrink")
    story: list[Flowable] = [cover, NextPageTemplate("inner"), PageBreak(), *_inner(record, kind)]
    maker: Callable[..., Canvas] = partial(PagedCanvas, layout=_Layout(record, kind, qr_payload, draft))
    doc.build(story, canvasmaker=maker)
    return buf.getvalue()
