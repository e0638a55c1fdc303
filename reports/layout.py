"""Page machinery shared by every Jianding document: geometry, text helpers, tables, paged canvas.

The certificate, the notice and the original record share one house layout (A4, 20 mm side
margins, the embedded CJK font of :mod:`reports.typography`), the same mini-markup helpers, the same
framed tables, and one canvas that holds pages back until the end so every page can print
"第 x 页 共 y 页". Output is deterministic: the PDF dates come from the record, the trailer /ID from a
document key, and reportlab runs in invariant mode.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Frame, Paragraph, TableStyle

from reports.result_text import EMPTY, num
from reports.typography import MUTED, RULE, SHADE, register_font, styles
from reports.wrap import Para, tokens

__all__ = [
    "BODY_GAP",
    "CONTENT_WIDTH",
    "EMPTY",
    "FRAME_WIDTH",
    "GRID_WIDTH",
    "HEADER_HEIGHT",
    "INSTALL_ROOT",
    "MARGIN_X",
    "MUTED_HEX",
    "PAGE_HEIGHT",
    "PAGE_WIDTH",
    "PageDecorator",
    "PagedCanvas",
    "bilingual",
    "date_iso",
    "date_zh",
    "doc_template",
    "en",
    "esc",
    "fit_widths",
    "frame",
    "grid_style",
    "head_cell",
    "heading",
    "num",
    "p",
    "pdf_date",
    "resolve_asset",
    "table_style",
]

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 20 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN_X
HEADER_HEIGHT = 24 * mm
"""Top band of a record page (certificate inner pages, original record): title, institution,
document number, page x of y, above a double rule."""
BODY_GAP = 2 * mm
"""Clearance between the header band's rule and the top of the body frame."""


FRAME_WIDTH = 0.9
GRID_WIDTH = 0.35
MUTED_HEX = "#" + MUTED.hexval()[2:]

INSTALL_ROOT = Path(__file__).resolve().parent.parent
"""The directory holding the ``reports`` package: relative asset paths fall back to it."""


def resolve_asset(path: str, what: str) -> Path:
    """The file a configured image path names (logo, signature), or a clear error.

    A relative path is tried against the working directory, then against the installation root
    (the folder holding ``reports/``), so a station file may say ``reports/assets/demo_logo.png``
    wherever the program runs. A configured but missing image is a configuration error: a
    certificate must not silently lose its signature.
    """
    candidate = Path(path).expanduser()
    tried = [candidate] if candidate.is_absolute() else [Path.cwd() / candidate, INSTALL_ROOT / candidate]
    for option in tried:
        if option.is_file():
            return option
    raise FileNotFoundError(
        f"{what}图片不存在 ({what} image not found): {path} (tried {', '.join(str(t) for t in tried)})"
    )


def date_zh(d: date | None) -> str:
    """2026年11月23日 — the usual Chinese date form on covers (no zero padding)."""
    return f"{d.year}年{d.month}月{d.day}日" if d else EMPTY


def date_iso(d: date | None) -> str:
    """ISO date for narrow table columns."""
    return d.isoformat() if d else EMPTY


def esc(text: str) -> str:
    """Escape record text for reportlab's paragraph mini-markup."""
    return escape(text or "")


def pdf_date(when: datetime) -> str:
    """PDF date string (``D:YYYYMMDDHHmmSS±HH'mm'``) of ``when`` (taken from a record, never the clock)."""
    stamp = when.strftime("D:%Y%m%d%H%M%S")
    offset = when.utcoffset()
    if offset is None:
        return stamp
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"{stamp}{sign}{minutes // 60:02d}'{minutes % 60:02d}'"


def frame(
    frame_id: str,
    *,
    header: float,
    footer: float,
    pagesize: tuple[float, float] = A4,
    gap: float = BODY_GAP,
) -> Frame:
    """The body frame of a page: between the side margins, from ``footer`` up to ``gap`` below the
    ``header`` band, without padding (the house layout draws its own rules)."""
    width, height = pagesize
    return Frame(
        MARGIN_X,
        footer,
        width - 2 * MARGIN_X,
        height - header - footer - gap,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
        id=frame_id,
    )


def doc_template(
    buf: Any,
    *,
    title: str,
    author: str,
    subject: str,
    creator: str,
    header: float,
    footer: float,
    pagesize: tuple[float, float] = A4,
    keywords: str | None = None,
) -> BaseDocTemplate:
    """A house-layout document writing to ``buf``: side margins, ``header``/``footer`` bands, the PDF
    info fields given, reportlab invariant mode, Chinese language tag and the embedded font as the
    initial font (no stray non-embedded Helvetica in the page resources)."""
    info: dict[str, Any] = {} if keywords is None else {"keywords": keywords}
    return BaseDocTemplate(
        buf,
        pagesize=pagesize,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=header,
        bottomMargin=footer,
        title=title,
        author=author,
        subject=subject,
        creator=creator,
        invariant=True,
        lang="zh-CN",
        initialFontName=register_font(),
        initialFontSize=10.5,
        **info,
    )


def table_style(commands: Sequence[tuple[Any, ...]]) -> TableStyle:
    """TableStyle whose plain-string cells also use the embedded font (reportlab's default is a
    non-embedded Helvetica, which would otherwise appear in the page resources)."""
    return TableStyle([("FONT", (0, 0), (-1, -1), register_font(), 9), *commands])


def fit_widths(rows: Sequence[Sequence[Any]], nominal: Sequence[float], total: float = 0.0,
               padding: float = 8.0) -> list[float]:
    """Column widths (points) summing to ``total`` (default: the content width) in the proportions
    of ``nominal``, widened where a column holds a token no line may break (a serial, a
    certificate number: :func:`reports.wrap.tokens`) wider than its share, the others giving way in
    proportion to their slack. ``padding``: a cell's left plus right padding."""
    total = total or CONTENT_WIDTH
    scale = total / sum(nominal)
    widths = [w * scale for w in nominal]
    need = [0.0] * len(widths)
    for row in rows:
        for c, cell in enumerate(row[: len(widths)]):
            if isinstance(cell, Paragraph):
                size = cell.style.fontSize
                font = cell.style.fontName
                text = cell.getPlainText()
                width = max((stringWidth(t, font, size) for t in tokens(text)), default=0.0)
                need[c] = max(need[c], width + padding + 1.0)
    short = sum(max(0.0, n - w) for n, w in zip(need, widths, strict=True))
    if short <= 0:
        return widths
    slack = [max(0.0, w - n) for n, w in zip(need, widths, strict=True)]
    room = sum(slack)
    take = min(short, room)
    return [max(w, n) if n > w else w - (s / room * take if room else 0.0)
            for n, w, s in zip(need, widths, slack, strict=True)]


def p(text: str, style: Any) -> Paragraph:
    """Paragraph from already-escaped markup; Latin tokens (numbers, serials, English words) never
    break mid-token when they fit the line (:class:`reports.wrap.Para`)."""
    return Para(text, style)


def en(text: str, size: float = 7.5) -> str:
    """Inline English gloss markup: small and grey, so the Chinese reads first."""
    return f"<font size={size} color='{MUTED_HEX}'>{text}</font>"


def bilingual(zh: str, en_text: str, style: Any, en_size: float = 7) -> Paragraph:
    """Chinese label with its English gloss below it (Chinese first)."""
    return p(f"{zh}<br/>{en(en_text, en_size)}", style)


def heading(zh: str, en_text: str) -> Paragraph:
    """Section heading: Chinese, then the English gloss in small grey; it stays with what follows
    (never alone at the foot of a page)."""
    para = p(f"{zh}　{en(en_text, 8)}", styles().heading)
    para.keepWithNext = 1
    return para


def grid_style(header_rows: int = 1) -> list[tuple[Any, ...]]:
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


def head_cell(zh: str, en_text: str) -> Paragraph:
    """Table header cell: Chinese over a small English gloss, centred."""
    return p(f"{zh}<br/>{en(en_text, 6.5)}", styles().cell_head)


class PageDecorator(Protocol):
    """What :class:`PagedCanvas` needs from a document's layout."""

    @property
    def pdf_date(self) -> str:
        """Creation/modification date written into the PDF info dictionary."""
        ...

    @property
    def document_key(self) -> bytes:
        """Stable identity of the document, seed of the PDF /ID."""
        ...

    def decorate(self, c: Canvas, page: int, total: int) -> None:
        """Draw the furniture (header, footer, page x of y) of page ``page`` of ``total``."""
        ...


class PagedCanvas(Canvas):
    """Canvas that holds back every page until the end so each can print "第 x 页 共 y 页".

    The usual reportlab two-pass recipe: ``showPage`` only records the page state; ``save``
    replays the pages, lets the layout draw header and footer with the total, then writes out.
    The PDF creation date is fixed from the record (``invariant`` makes the rest reproducible).
    """

    def __init__(self, *args: Any, layout: PageDecorator, **kwargs: Any) -> None:
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
        """Hold the finished page back (its number of pages is not known yet)."""
        self._held_pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        """Replay every held page with its header and "第 x 页 共 y 页" footer, then write the PDF."""
        total = len(self._held_pages)
        for number, state in enumerate(self._held_pages, start=1):
            self.__dict__.update(state)
            self._layout.decorate(self, number, total)
            super().showPage()
        super().save()
