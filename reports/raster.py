"""Documents as pixels: every page of a PDF rendered by PDFium (``pypdfium2``) and pages read and
written as PNG by Pillow.

Why one renderer: the golden-page tests, the GUI's certificate preview and ``certificate verify``
(:mod:`bench.page_check`) all look at the same pages; rendering them with one library in one way
means a difference between two renderings is a difference in the document, not between tools —
and no external program (poppler) is needed to see a page.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
from PIL import Image


class PageRenderError(Exception):
    """The file cannot be rendered as a PDF."""


@contextmanager
def open_pdf(pdf: bytes) -> Iterator[pdfium.PdfDocument]:
    """The PDF opened for rendering, closed afterwards; ``PageRenderError`` when it is not one."""
    try:
        doc = pdfium.PdfDocument(pdf)
    except pdfium.PdfiumError as e:
        raise PageRenderError(f"无法渲染该文件 (the file cannot be rendered as a PDF: {e})") from e
    try:
        yield doc
    finally:
        doc.close()


def render_page(page: pdfium.PdfPage, dpi: float, *, grey: bool = False) -> np.ndarray:
    """One page at ``dpi``: height × width grey levels (``grey``) or height × width × 3 RGB, uint8."""
    bitmap = page.render(scale=dpi / 72, grayscale=grey, rev_byteorder=not grey)
    pixels = bitmap.to_numpy()
    if grey:
        return pixels.reshape(pixels.shape[0], pixels.shape[1]).copy()
    return pixels[:, :, :3].copy()


def render(pdf: bytes, dpi: float, *, grey: bool = False) -> list[np.ndarray]:
    """Every page of ``pdf`` at ``dpi`` (see :func:`render_page`)."""
    with open_pdf(pdf) as doc:
        return [render_page(page, dpi, grey=grey) for page in doc]


def write_png(path: Path, pixels: np.ndarray) -> Path:
    """Write grey (h × w), RGB or RGBA (h × w × 3 or 4) uint8 pixels as a PNG; returns ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.ascontiguousarray(pixels, dtype=np.uint8)).save(path, format="PNG", optimize=True)
    return path


def read_png(path: Path, mode: str = "L") -> np.ndarray:
    """A PNG's pixels as uint8 in Pillow's ``mode``: ``L`` grey levels (h × w), ``RGB`` or
    ``RGBA`` (h × w × 3 or 4)."""
    with Image.open(path) as image:
        return np.asarray(image.convert(mode), dtype=np.uint8).copy()
