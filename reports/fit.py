"""Does every cell's text fit its cell? A check of rendered documents, run while they are built.

Why reportlab's own wrap results and not text positions read back from the PDF (pdfplumber, pypdf):
a cell's box is known exactly only to the table that draws it — the PDF holds glyphs and rules, and
many of our tables have no vertical rules (the item headings, the cover's label/value grids), so
cells cannot be rebuilt from the drawing; a cell whose text was wrapped to fit would also look fine
there even when a code was cut in two. Here the check sits where reportlab draws a cell
(``Table._drawCell``): it knows the cell's box and paddings and the lines the paragraph was broken
into, for every table of every page, whoever wrote it.

A cell fails when a line is wider than the cell's inner width (the width reportlab wraps to), when
its content is taller than the whole row, or when a line ends inside a Latin token (a serial, a certificate number, a hash, an English
word) that continues on the next line — the mark of a code broken mid-token.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, Paragraph, Table

from reports.wrap import breakable_after

__all__ = ["CellProblem", "cell_problems", "watching_cells"]

TOLERANCE = 0.5
"""Points of slack (rounding of reportlab's own arithmetic)."""


@dataclass(frozen=True)
class CellProblem:
    """One cell whose content does not fit: the page, what is wrong and the cell's text."""

    page: int
    what: str
    text: str

    def __str__(self) -> str:
        return f"第 {self.page} 页 (page {self.page}): {self.what}: «{self.text[:80]}»"


def _line_texts(para: Paragraph) -> list[tuple[str, float, bool]]:
    """Each line of a wrapped paragraph with its spare width (negative: wider than the line) and
    whether it ends at a forced break (``<br/>``)."""
    bl = getattr(para, "blPara", None)
    if bl is None:
        return []
    out = []
    for line in bl.lines:
        if isinstance(line, tuple):  # kind 0: (extra space, words)
            extra, words = line
            out.append((" ".join(w if isinstance(w, str) else getattr(w, "text", "") for w in words), float(extra),
                        False))
        else:
            out.append(("".join(getattr(w, "text", "") for w in line.words), float(line.extraSpace),
                        bool(getattr(line, "lineBreak", False))))
    return out


def _paragraph_problems(para: Paragraph, page: int) -> list[CellProblem]:
    text = para.getPlainText()
    lines = _line_texts(para)
    problems = [CellProblem(page, "文字超出单元格 (text wider than its cell)", line)
                for line, extra, _ in lines if extra < -TOLERANCE]
    for (a, _, forced), (b, _, _) in itertools.pairwise(lines):
        if a and b and not forced and not breakable_after(a[-1], b[0]) and not a[-1].isspace():
            problems.append(CellProblem(page, "代码或单词被断开 (a token broken across lines)", f"{a[-12:]}|{b[:12]}"))
    return [p for p in problems if p.text] or ([] if not problems else [CellProblem(page, problems[0].what, text)])


def _cell_problems(cellval: Any, style: Any, size: tuple[float, float], page: int) -> list[CellProblem]:
    width, height = size
    inner_w = width - style.leftPadding - style.rightPadding
    if isinstance(cellval, str | int | float):
        out = []
        for line in str(cellval).split("\n"):
            if stringWidth(line, style.fontname, style.fontsize) > inner_w + TOLERANCE:
                out.append(CellProblem(page, "文字超出单元格 (text wider than its cell)", line))
        return out
    flowables = cellval if isinstance(cellval, list | tuple) else [cellval]
    out = []
    total_h = 0.0
    for f in flowables:
        if not isinstance(f, Flowable):
            continue
        w, h = f.width if hasattr(f, "width") else 0.0, f.height if hasattr(f, "height") else 0.0
        total_h += h + f.getSpaceBefore() + f.getSpaceAfter()
        if isinstance(f, Paragraph):
            out += _paragraph_problems(f, page)
        elif w > inner_w + TOLERANCE:
            out.append(CellProblem(page, "内容超出单元格 (content wider than its cell)", type(f).__name__))
    if total_h > height + TOLERANCE:  # into the padding is still inside the cell; past the row is not
        text = " ".join(f.getPlainText() for f in flowables if isinstance(f, Paragraph))
        out.append(CellProblem(page, "内容高于行高 (content taller than its row)", text or "(flowable)"))
    return out


@contextmanager
def watching_cells() -> Iterator[list[CellProblem]]:
    """Within the block, every table cell drawn is checked; the problems found are appended to the
    list the block receives."""
    problems: list[CellProblem] = []
    original = Table._drawCell

    def draw_cell(self: Table, cellval: Any, cellstyle: Any, pos: tuple[float, float], size: tuple[float, float]) -> None:
        original(self, cellval, cellstyle, pos, size)
        problems.extend(_cell_problems(cellval, cellstyle, size, self.canv.getPageNumber()))

    Table._drawCell = draw_cell  # type: ignore[method-assign]
    try:
        yield problems
    finally:
        Table._drawCell = original  # type: ignore[method-assign]


def cell_problems(render: Callable[[], bytes]) -> list[CellProblem]:
    """The cells that do not fit in the document ``render()`` builds."""
    with watching_cells() as problems:
        render()
    return list(problems)
