"""House typography for every Jianding document: one embedded CJK font and its paragraph styles.

A bare Linux machine has no Chinese font, and a PDF that merely *names* a system font prints blank
(or as boxes) elsewhere. So every document uses WenQuanYi Micro Hei, shipped inside the package
(``reports/fonts``, Apache-2.0 / GPL-3+ with font exception, licence beside it) and embedded as a
TrueType subset (``/FontFile2``) in each PDF. The file is a TrueType collection; subfont 0 is the
proportional face. (Noto Sans CJK is CFF-based OpenType, which reportlab cannot embed.)

The font has no bold face: the bold slot of the family maps to the same face, and titles use
:data:`FAUX_BOLD_STROKE` (fill plus a thin stroke of the outline) instead.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache
from importlib import resources

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

__all__ = [
    "FAUX_BOLD_STROKE",
    "FONT_FILE",
    "FONT_NAME",
    "FONT_PACKAGE",
    "INK",
    "MUTED",
    "RULE",
    "SHADE",
    "Styles",
    "font_covers",
    "register_font",
    "styles",
]

FONT_NAME = "WQY"
"""The name the embedded font is registered under with reportlab (``fontName=`` in styles)."""

FONT_PACKAGE = "reports.fonts"
"""Package holding the font file and its licence, located via :mod:`importlib.resources`."""

FONT_FILE = "wqy-microhei.ttc"
"""The TrueType collection inside :data:`FONT_PACKAGE`; subfont 0 is WenQuanYi Micro Hei."""

FAUX_BOLD_STROKE = 0.035
"""Stroke width, as a fraction of the font size, used to embolden titles (the font has no bold)."""

INK = colors.HexColor("#111111")
"""Body text colour: near-black prints crisply and photocopies well."""

MUTED = colors.HexColor("#555555")
"""Secondary text (English glosses, traceability footer)."""

RULE = colors.HexColor("#333333")
"""Frames and rules."""

SHADE = colors.HexColor("#EDEDED")
"""Light background of label cells and table headers; survives black-and-white printing."""

_lock = threading.Lock()


def register_font() -> str:
    """Register the embedded CJK font with reportlab once and return its name (:data:`FONT_NAME`).

    Idempotent and thread-safe: later calls return at once. The family's bold/italic slots map to
    the same face so that ``<b>`` in paragraph markup never falls back to a non-embedded font.
    """
    if FONT_NAME in pdfmetrics.getRegisteredFontNames():
        return FONT_NAME
    with _lock:
        if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
            # as_file() yields a real path even if the package is zipped; TTFont reads the whole
            # file in its constructor, so the path need not outlive the context.
            with resources.as_file(resources.files(FONT_PACKAGE).joinpath(FONT_FILE)) as path:
                font = TTFont(FONT_NAME, str(path), subfontIndex=0)
            pdfmetrics.registerFont(font)
            pdfmetrics.registerFontFamily(
                FONT_NAME, normal=FONT_NAME, bold=FONT_NAME, italic=FONT_NAME, boldItalic=FONT_NAME
            )
    return FONT_NAME


def font_covers(text: str) -> bool:
    """True when the embedded font has a glyph for every character of ``text`` (no tofu boxes)."""
    face = pdfmetrics.getFont(register_font()).face
    return all(ord(ch) in face.charToGlyph for ch in text if ch not in "\n\r\t")


@dataclass(frozen=True)
class Styles:
    """The paragraph styles of the house layout (sizes in points, all in :data:`FONT_NAME`).

    Shared, cached instances: derive with ``ParagraphStyle("x", parent=styles().body, ...)``
    rather than mutating them.
    """

    title: ParagraphStyle
    subtitle: ParagraphStyle
    institution: ParagraphStyle
    heading: ParagraphStyle
    heading_en: ParagraphStyle
    body: ParagraphStyle
    label: ParagraphStyle
    value: ParagraphStyle
    cell: ParagraphStyle
    cell_center: ParagraphStyle
    cell_head: ParagraphStyle
    note: ParagraphStyle
    fine: ParagraphStyle
    fine_right: ParagraphStyle
    end_mark: ParagraphStyle


@cache
def styles() -> Styles:
    """Return the house :class:`Styles`, registering the font first.

    Chinese text wraps anywhere (``wordWrap='CJK'``), as Chinese typesetting allows; the sizes
    follow the usual certificate habit: a large centred title, 10.5 pt (五号) body, 9 pt tables.
    """
    font = register_font()
    base = ParagraphStyle("jd-base", fontName=font, fontSize=10.5, leading=15, textColor=INK, wordWrap="CJK")
    return Styles(
        title=ParagraphStyle("jd-title", parent=base, fontSize=28, leading=36, alignment=TA_CENTER),
        subtitle=ParagraphStyle(
            "jd-subtitle", parent=base, fontSize=12, leading=16, alignment=TA_CENTER, textColor=MUTED
        ),
        institution=ParagraphStyle(
            "jd-institution", parent=base, fontSize=15, leading=20, alignment=TA_CENTER
        ),
        heading=ParagraphStyle(
            "jd-heading", parent=base, fontSize=11.5, leading=16, spaceBefore=8, spaceAfter=4, keepWithNext=1
        ),
        heading_en=ParagraphStyle("jd-heading-en", parent=base, fontSize=8, leading=10, textColor=MUTED),
        body=base,
        label=ParagraphStyle("jd-label", parent=base, fontSize=10.5, leading=13),
        value=ParagraphStyle("jd-value", parent=base, fontSize=11, leading=15),
        cell=ParagraphStyle("jd-cell", parent=base, fontSize=9, leading=11.5),
        cell_center=ParagraphStyle(
            "jd-cell-center", parent=base, fontSize=9, leading=11.5, alignment=TA_CENTER
        ),
        cell_head=ParagraphStyle(
            "jd-cell-head", parent=base, fontSize=8.5, leading=10.5, alignment=TA_CENTER
        ),
        note=ParagraphStyle("jd-note", parent=base, fontSize=9, leading=12.5),
        fine=ParagraphStyle(
            "jd-fine", parent=base, fontSize=7, leading=9, textColor=MUTED, alignment=TA_LEFT
        ),
        fine_right=ParagraphStyle(
            "jd-fine-right", parent=base, fontSize=7, leading=9, textColor=MUTED, alignment=TA_RIGHT
        ),
        end_mark=ParagraphStyle(
            "jd-end", parent=base, fontSize=10, leading=14, alignment=TA_CENTER, spaceBefore=10
        ),
    )
