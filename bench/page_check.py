"""What a reader of a certificate sees, checked: every page rendered to pixels and compared with the
certificate re-rendered from its signed content, and the printed QR code decoded as a phone would.

The text check (``pdftotext``, :mod:`bench.cert_verify`) cannot see a QR code pasted over, a white
box drawn over it, a signature or logo image swapped, a line drawn across a page, or a page that
holds only a picture. Here both PDFs — the file and the re-rendering — are rasterised by the same
renderer (PDFium, through ``pypdfium2``) at the same resolution (:data:`DPI`) in the same process,
so an untouched certificate gives identical pixels; any pixel whose colour differs by more than
:data:`TOLERANCE` on a channel is a difference, and there is no allowance in area — one pixel is
enough. The few levels of tolerance absorb only the rounding of anti-aliased edges when a PDF tool
has re-encoded the same drawing (coordinates written with fewer decimals); a visible mark of any
contrast (a hairline at 150 dpi is at least one pixel at full contrast) is far above it.

Differences are grouped into regions (cells of :data:`CELL_MM` joined when they touch) and each is
named by page and position in millimetres from the page's top-left corner, with what it overlaps in
the re-rendered page: the QR code, an image (logo, signature), or other drawing and text.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pypdfium2.raw as pdfium_c
import zxingcpp

from reports.raster import open_pdf, render_page

DPI = 150
"""Rendering resolution of both the file and the re-rendering: 1 pixel ≈ 0.17 mm, so a hairline
(0.1 mm) drawn at full contrast still changes a pixel, and an A4 page is 1241 × 1754 pixels."""
TOLERANCE = 8
"""Largest per-channel difference (of 255) still counted as equal; see the module docstring."""
CELL_MM = 4.0
"""Side of the cells differences are grouped in before joining touching cells into regions."""
MAX_REGIONS = 6
"""Regions named per page; more are summarised as a count."""
_MM_PER_PX = 25.4 / DPI
_PT_PER_PX = 72.0 / DPI

Box = tuple[float, float, float, float]
"""A region in millimetres from the page's top-left corner: x0, y0, x1, y1."""


@dataclass(frozen=True)
class Page:
    """One rendered page: its pixels (height × width × 3, uint8), the QR codes printed on it (text and
    box), and the boxes of its image objects (logo, signatures)."""

    pixels: np.ndarray
    codes: tuple[tuple[str, Box], ...]
    images: tuple[Box, ...]


def _px_box_mm(x0: float, y0: float, x1: float, y1: float) -> Box:
    return (round(x0 * _MM_PER_PX, 1), round(y0 * _MM_PER_PX, 1), round(x1 * _MM_PER_PX, 1), round(y1 * _MM_PER_PX, 1))


def _codes(pixels: np.ndarray) -> tuple[tuple[str, Box], ...]:
    """The QR codes zxing-cpp reads on a page (the same decoder family phones use), each with its box."""
    found = []
    for code in zxingcpp.read_barcodes(pixels, formats=zxingcpp.BarcodeFormat.QRCode):
        p = code.position
        xs = [p.top_left.x, p.top_right.x, p.bottom_left.x, p.bottom_right.x]
        ys = [p.top_left.y, p.top_right.y, p.bottom_left.y, p.bottom_right.y]
        found.append((code.text, _px_box_mm(min(xs), min(ys), max(xs), max(ys))))
    return tuple(found)


def render_pages(pdf: bytes) -> list[Page]:
    """Every page of ``pdf`` at :data:`DPI`, in RGB, with its QR codes and image boxes."""
    pages = []
    with open_pdf(pdf) as doc:
        for page in doc:
            _, height = page.get_size()
            pixels = render_page(page, DPI)
            images = []
            for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]):
                left, bottom, right, top = obj.get_bounds()
                images.append(tuple(round(v * 25.4 / 72, 1) for v in (left, height - top, right, height - bottom)))
            pages.append(Page(pixels, _codes(pixels), tuple(images)))  # type: ignore[arg-type]
    return pages


def _components(cells: np.ndarray) -> Iterator[tuple[int, int, int, int]]:
    """Bounding boxes (row0, col0, row1, col1, exclusive ends) of the 8-connected groups of True cells."""
    seen = np.zeros_like(cells)
    rows, cols = cells.shape
    for r, c in zip(*np.nonzero(cells), strict=True):
        if seen[r, c]:
            continue
        stack, box = [(int(r), int(c))], [int(r), int(c), int(r) + 1, int(c) + 1]
        seen[r, c] = True
        while stack:
            y, x = stack.pop()
            box = [min(box[0], y), min(box[1], x), max(box[2], y + 1), max(box[3], x + 1)]
            for ny in range(max(y - 1, 0), min(y + 2, rows)):
                for nx in range(max(x - 1, 0), min(x + 2, cols)):
                    if cells[ny, nx] and not seen[ny, nx]:
                        seen[ny, nx] = True
                        stack.append((ny, nx))
        yield box[0], box[1], box[2], box[3]


def differing_regions(actual: np.ndarray, expected: np.ndarray) -> list[Box]:
    """Regions (mm from the top-left) where two renderings of a page differ by more than
    :data:`TOLERANCE`; the whole page when their sizes differ."""
    if actual.shape != expected.shape:
        h, w = max(actual.shape[0], expected.shape[0]), max(actual.shape[1], expected.shape[1])
        return [_px_box_mm(0, 0, w, h)]
    diff = (np.abs(actual.astype(np.int16) - expected.astype(np.int16)) > TOLERANCE).any(axis=2)
    if not diff.any():
        return []
    cell = max(1, round(CELL_MM / _MM_PER_PX))
    h, w = diff.shape
    padded = np.zeros((-(-h // cell) * cell, -(-w // cell) * cell), dtype=bool)
    padded[:h, :w] = diff
    cells = padded.reshape(padded.shape[0] // cell, cell, padded.shape[1] // cell, cell).any(axis=(1, 3))
    out = []
    for r0, c0, r1, c1 in _components(cells):
        ys, xs = np.nonzero(diff[r0 * cell:r1 * cell, c0 * cell:c1 * cell])
        out.append(_px_box_mm(c0 * cell + xs.min(), r0 * cell + ys.min(), c0 * cell + xs.max() + 1,
                              r0 * cell + ys.max() + 1))
    return sorted(out, key=lambda b: (b[1], b[0]))


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _what(region: Box, expected: Page) -> str:
    """What the re-rendered page has where a region differs."""
    if any(_overlaps(region, box) for _, box in expected.codes):
        return "二维码 QR code"
    if any(_overlaps(region, box) for box in expected.images):
        return "图片 image (logo/signature)"
    return "图文 drawing/text"


def page_differences(actual: list[Page], expected: list[Page]) -> list[str]:
    """One line per page (and per region) where the file's pages differ from the re-rendered
    certificate's; pages added or removed are named too. Empty when every pixel matches."""
    out = []
    if len(actual) != len(expected):
        out.append(f"页数不符：文件 {len(actual)} 页，应为 {len(expected)} 页 (the file has {len(actual)} pages, the "
                   f"re-rendered certificate {len(expected)})")
    for n, (a, e) in enumerate(zip(actual, expected, strict=False), start=1):
        regions = differing_regions(a.pixels, e.pixels)
        shown = [f"{x0:g},{y0:g}–{x1:g},{y1:g} mm {_what((x0, y0, x1, y1), e)}" for x0, y0, x1, y1 in regions[:MAX_REGIONS]]
        if len(regions) > MAX_REGIONS:
            shown.append(f"另有 {len(regions) - MAX_REGIONS} 处 (and {len(regions) - MAX_REGIONS} more)")
        if shown:
            out.append(f"第 {n} 页 图像不一致 (page {n} differs from the re-rendered certificate: region "
                       f"{'; '.join(shown)}, from the page's top-left)")
    for n in range(len(expected) + 1, len(actual) + 1):
        out.append(f"第 {n} 页 多出，不属于该证书 (page {n} is not part of the certificate)")
    for n in range(len(actual) + 1, len(expected) + 1):
        out.append(f"第 {n} 页 缺失 (page {n} of the certificate is missing)")
    return out


def printed_codes(pages: list[Page]) -> list[tuple[int, str]]:
    """Every QR code printed in the file: (page number, decoded text)."""
    return [(n, text) for n, page in enumerate(pages, start=1) for text, _ in page.codes]
