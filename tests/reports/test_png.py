"""reports/png.py (the dependency-free PNG/PGM codec) and the deterministic demo assets."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from reports.assets.make_assets import ASSET_DIR, SIGNATURES, draw_logo, draw_signature
from reports.png import decode_png, encode_png, read_pgm, read_png


@pytest.mark.parametrize("shape", [(7, 5), (7, 5, 2), (4, 9, 3), (3, 3, 4)])
def test_png_round_trip(shape: tuple[int, ...]) -> None:
    image = (np.arange(np.prod(shape)) * 37 % 256).astype(np.uint8).reshape(shape)
    data = encode_png(image)
    assert data == encode_png(image)  # reproducible bytes
    assert np.array_equal(decode_png(data), image)


def test_png_decoder_handles_all_row_filters() -> None:
    """Pillow (installed with reportlab) writes adaptively filtered rows: Sub, Up, Average, Paeth."""
    pil = pytest.importorskip("PIL.Image")
    rng = np.random.default_rng(5)
    gradient = np.add.outer(np.arange(40) * 3, np.arange(60) * 2).astype(np.uint8)
    for image in (gradient, rng.integers(0, 255, (23, 31, 3), dtype=np.uint8), np.dstack([gradient] * 4)):
        buf = io.BytesIO()
        pil.fromarray(image).save(buf, format="PNG", optimize=False)
        assert np.array_equal(decode_png(buf.getvalue()), image)


def test_png_rejects_what_it_cannot_read() -> None:
    with pytest.raises(ValueError, match="not a PNG"):
        decode_png(b"GIF89a")
    with pytest.raises(ValueError, match="uint8"):
        encode_png(np.zeros((2, 2), np.uint16))


def test_pgm_reader() -> None:
    # the header pdftoppm writes: "P5\n<w> <h>\n255\n" then w*h bytes
    data = b"P5\n# comment\n3 2\n255\n" + bytes([0, 10, 20, 30, 40, 255])
    assert read_pgm(data).tolist() == [[0, 10, 20], [30, 40, 255]]


def test_demo_assets_are_reproducible() -> None:
    """The committed PNGs are exactly what make_assets draws (no hand-edited or foreign images)."""
    assert (ASSET_DIR / "demo_logo.png").read_bytes() == encode_png(draw_logo())
    for stem, params in SIGNATURES.items():
        path: Path = ASSET_DIR / f"{stem}.png"
        assert path.read_bytes() == encode_png(draw_signature(*params)), stem
        alpha = read_png(path)[:, :, 3]
        assert 0.03 < np.count_nonzero(alpha) / alpha.size < 0.4  # ink on transparency, not blank
