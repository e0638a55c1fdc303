"""Line breaking for mixed Chinese and Latin text: break between Chinese characters and at spaces,
never inside a Latin token (a certificate or serial number, a hash, an English word) unless the token
alone is wider than the line.

reportlab's CJK wrapping (``wordWrap="CJK"``) breaks anywhere and looks back for a better break only
half a line, so "JDSIM-REF-0001" or "identification" broke mid-token in narrow cells. :class:`Para`
is a :class:`~reportlab.platypus.Paragraph` whose CJK line breaking is :func:`split_frags`, built on
reportlab's own glyph and line objects; everything else (drawing, splitting across frames) is
reportlab's.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from reportlab.platypus import Paragraph
from reportlab.platypus.paragraph import ParaLines, cjkU, makeCJKParaLine
from reportlab.rl_config import _FUZZ

__all__ = ["Para", "breakable_after", "is_cjk", "split_frags", "tokens"]

_CANNOT_START = set("，。、；：！？）】》」』”’%．,.;:!?)]}")
"""Characters that never start a line: the break moves back before the character preceding them
(they never hang past the line's end)."""


def is_cjk(ch: str) -> bool:
    """A character set solid in Chinese text: a line may break before or after it."""
    return bool(ch) and ord(ch[0]) >= 0x2E80


def _space(ch: str) -> bool:
    return bool(ch) and unicodedata.category(ch[0]) == "Zs"


def breakable_after(prev: str, nxt: str) -> bool:
    """Whether a line may break between ``prev`` and ``nxt``: after a space, before or after a
    Chinese character — never before a character that cannot start a line."""
    if nxt in _CANNOT_START:
        return False
    return _space(prev) or is_cjk(prev) or is_cjk(nxt)


def split_frags(frags: list[Any], max_widths: list[float], calc_bounds: bool) -> ParaLines:
    """Break ``frags`` into lines of at most ``max_widths`` (one per line, the last repeating), at
    :func:`breakable_after` places; a token wider than a whole line breaks where it must."""
    glyphs = []
    for f in frags:
        text = f.text if isinstance(f.text, str) else f.text.decode("utf8")
        glyphs.extend(cjkU(t, f, "utf8") for t in text) if text else glyphs.append(cjkU(text, f, "utf8"))
    lines = []
    start = 0
    n = len(glyphs)
    while start < n:
        max_width = max_widths[min(len(lines), len(max_widths) - 1)]
        used = 0.0
        i = start
        line_break = False
        while i < n:
            g = glyphs[i]
            if hasattr(g.frag, "lineBreak"):
                line_break = True
                i += 1
                break
            if used + g.width > max_width + _FUZZ and i > start:
                break
            used += g.width
            i += 1
        end = i
        if end < n and not line_break:
            # back up to the last break opportunity of this line, if any
            j = end
            while j > start + 1 and not breakable_after(glyphs[j - 1], glyphs[j]):
                j -= 1
            if j > start + 1 or breakable_after(glyphs[start], glyphs[start + 1] if start + 1 < n else ""):
                end = j
        line = glyphs[start:end]
        # trailing spaces do not count against the width
        width = sum(g.width for g in line if not (line and g is line[-1] and _space(g)))
        lines.append(makeCJKParaLine(line, max_width, width, max_width - width, line_break, calc_bounds))
        start = end
        while start < n and _space(glyphs[start]) and not line_break:
            start += 1
    return ParaLines(kind=1, lines=lines)


class Para(Paragraph):
    """A Paragraph whose CJK wrapping keeps Latin tokens whole (:func:`split_frags`)."""

    def breakLinesCJK(self, maxWidths: Any) -> Any:
        """Lines of the paragraph, broken by :func:`split_frags` (images, bullets and end dots: reportlab's own)."""
        if not isinstance(maxWidths, list | tuple):
            maxWidths = [maxWidths]
        frags = self.frags
        special = any(hasattr(f, "cbDefn") for f in frags) or self.style.endDots or self.bulletText
        if not frags or special:
            return super().breakLinesCJK(maxWidths)
        if hasattr(self, "blPara") and getattr(self, "_splitpara", 0):
            return self.blPara
        self.height = 0
        auto = getattr(self, "autoLeading", getattr(self.style, "autoLeading", ""))
        return split_frags(frags, list(maxWidths), auto not in ("", "off"))


def tokens(text: str) -> list[str]:
    """The pieces of ``text`` no line break may split (:func:`breakable_after`), spaces dropped."""
    out: list[str] = []
    current = ""
    for prev, ch in zip(" " + text, text, strict=False):
        if current and breakable_after(prev, ch):
            out.append(current)
            current = ""
        if not _space(ch):
            current += ch
    if current:
        out.append(current)
    return out
