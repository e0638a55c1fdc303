"""reports/raster.py — the one page renderer (PDFium) and PNG through Pillow — and the demo assets."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from reports.assets.make_assets import ASSET_DIR, SIGNATURES, draw_logo, draw_signature
from reports.raster import PageRenderError, read_png, render, write_png


def _pdf() -> bytes:
    """Two A4 pages: a black 72 × 72 pt square at (72, 72) from the bottom left; the second blank."""
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4)
    c.rect(72, 72, 72, 72, stroke=0, fill=1)
    c.showPage()
    c.showPage()
    c.save()
    return buf.getvalue()


def test_pages_are_rendered_at_the_resolution_asked() -> None:
    grey = render(_pdf(), 72, grey=True)  # A4 is 595.28 × 841.89 pt: whole pixels, rounded up
    assert len(grey) == 2 and grey[0].shape == (842, 596) and grey[0].dtype == np.uint8
    # the square: 72 px from the left, ending 72 px above the bottom edge (y grows downwards)
    assert grey[0][842 - 100, 100] == 0 and grey[0][100, 100] == 255 and grey[1].min() == 255
    rgb = render(_pdf(), 144)
    assert rgb[0].shape == (1684, 1191, 3) and tuple(rgb[0][1684 - 200, 200]) == (0, 0, 0)


def test_not_a_pdf_is_a_clear_error() -> None:
    with pytest.raises(PageRenderError, match="cannot be rendered"):
        render(b"%PDF-broken", 72)


@pytest.mark.parametrize("shape", [(7, 5), (4, 9, 3), (3, 3, 4)])
def test_png_round_trip(shape: tuple[int, ...], tmp_path: Path) -> None:
    image = (np.arange(np.prod(shape)) * 37 % 256).astype(np.uint8).reshape(shape)
    mode = {2: "L", 3: "RGB", 4: "RGBA"}[len(shape) if len(shape) == 2 else shape[2]]
    assert np.array_equal(read_png(write_png(tmp_path / "x.png", image), mode), image)


def test_demo_assets_are_reproducible() -> None:
    """The committed PNGs hold exactly what make_assets draws (no hand-edited or foreign images)."""
    assert np.array_equal(read_png(ASSET_DIR / "demo_logo.png", "RGBA"), draw_logo())
    for stem, params in SIGNATURES.items():
        pixels = read_png(ASSET_DIR / f"{stem}.png", "RGBA")
        assert np.array_equal(pixels, draw_signature(*params)), stem
        alpha = pixels[:, :, 3]
        assert 0.03 < np.count_nonzero(alpha) / alpha.size < 0.4  # ink on transparency, not blank
