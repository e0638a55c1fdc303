"""Draw the demo logo and signature PNGs deterministically (``python -m reports.assets.make_assets``).

No third-party images: the logo (a red seal ring around a balance and a star) and three cursive-looking
signature strokes are computed with numpy as anti-aliased coverage maps (distance of each pixel to
densely sampled curves) and written as PNG with Pillow (:func:`reports.raster.write_png`). The same
code always gives the same pixels, so the committed PNGs can be checked by re-running this script.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from reports.raster import write_png

__all__ = ["ASSET_DIR", "SIGNATURES", "draw_logo", "draw_signature", "main"]

ASSET_DIR = Path(__file__).resolve().parent
"""Where the PNGs live (next to this script)."""

SIGNATURES: dict[str, tuple[float, float, float, float]] = {
    # file stem: (loops, wave cycles, phase, slant) — one distinct "hand" per role
    "signature_verifier": (7.0, 1.5, 0.3, 0.35),
    "signature_checker": (5.0, 2.5, 1.7, 0.20),
    "signature_approver": (9.0, 1.0, 2.9, 0.45),
}
"""The three demo signatures (检定员, 核验员, 批准人) and the curve parameters that draw them."""


def _stroke(cover: np.ndarray, xs: np.ndarray, ys: np.ndarray, radius: np.ndarray) -> None:
    """Max-composite anti-aliased discs of ``radius`` centred on the points (xs, ys) into ``cover``."""
    h, w = cover.shape
    for x, y, r in zip(xs, ys, radius, strict=True):
        x0, x1 = max(int(x - r - 2), 0), min(int(x + r + 3), w)
        y0, y1 = max(int(y - r - 2), 0), min(int(y + r + 3), h)
        if x0 >= x1 or y0 >= y1:
            continue
        gy, gx = np.mgrid[y0:y1, x0:x1]
        d = np.hypot(gx + 0.5 - x, gy + 0.5 - y)
        np.maximum(cover[y0:y1, x0:x1], np.clip(r + 0.5 - d, 0.0, 1.0), out=cover[y0:y1, x0:x1])


def _rgba(cover: np.ndarray, rgb: tuple[int, int, int]) -> np.ndarray:
    """Solid colour with the coverage as alpha (transparent elsewhere), 8-bit."""
    h, w = cover.shape
    out = np.zeros((h, w, 4), np.uint8)
    out[:, :, :3] = rgb
    out[:, :, 3] = np.round(cover * 255).astype(np.uint8)
    return out


def draw_logo(size: int = 240) -> np.ndarray:
    """The demo institution logo: a red double ring, a balance (天平) and a five-pointed star."""
    cover = np.zeros((size, size))
    c = size / 2
    gy, gx = np.mgrid[0:size, 0:size] + 0.5
    rr = np.hypot(gx - c, gy - c)
    for radius, half in ((0.46 * size, 0.025 * size), (0.39 * size, 0.008 * size)):
        np.maximum(cover, np.clip(half + 0.5 - np.abs(rr - radius), 0, 1), out=cover)
    # balance: pillar, beam, two hanging pans (arcs), foot
    t = np.linspace(0, 1, 400)
    lines = [
        ((c, 0.36 * size), (c, 0.72 * size)),
        ((0.27 * size, 0.42 * size), (0.73 * size, 0.42 * size)),
        ((0.38 * size, 0.74 * size), (0.62 * size, 0.74 * size)),
        ((0.30 * size, 0.42 * size), (0.24 * size, 0.60 * size)),
        ((0.30 * size, 0.42 * size), (0.36 * size, 0.60 * size)),
        ((0.70 * size, 0.42 * size), (0.64 * size, 0.60 * size)),
        ((0.70 * size, 0.42 * size), (0.76 * size, 0.60 * size)),
    ]
    for (xa, ya), (xb, yb) in lines:
        _stroke(cover, xa + (xb - xa) * t, ya + (yb - ya) * t, np.full(t.shape, 0.012 * size))
    arc = np.linspace(0, np.pi, 200)
    for cx in (0.30 * size, 0.70 * size):
        _stroke(cover, cx + 0.065 * size * np.cos(arc), 0.60 * size + 0.04 * size * np.sin(arc),
                np.full(arc.shape, 0.012 * size))
    # five-pointed star above the beam, filled by an even-odd polygon test
    angles = -np.pi / 2 + np.arange(10) * np.pi / 5
    radii = np.where(np.arange(10) % 2 == 0, 0.085 * size, 0.034 * size)
    px, py = c + radii * np.cos(angles), 0.25 * size + radii * np.sin(angles)
    inside = np.zeros((size, size), bool)
    for i in range(10):
        x1, y1, x2, y2 = px[i], py[i], px[(i + 1) % 10], py[(i + 1) % 10]
        crosses = (y1 > gy) != (y2 > gy)
        with np.errstate(divide="ignore", invalid="ignore"):
            xcross = x1 + (gy - y1) * (x2 - x1) / (y2 - y1)
        inside ^= crosses & (gx < xcross)
    np.maximum(cover, inside.astype(float), out=cover)
    return _rgba(cover, (178, 34, 34))


def draw_signature(loops: float, waves: float, phase: float, slant: float,
                   width: int = 420, height: int = 120) -> np.ndarray:
    """A cursive-looking demo signature: a looping stroke (prolate cycloid) riding a slow wave, with
    pressure-varying width and an underline flourish, in blue-black ink on transparency."""
    cover = np.zeros((height, width))
    t = np.linspace(0.0, 1.0, 4000)
    loop = 2 * np.pi * loops * t
    x = 30 + 300 * t - 14 * np.sin(loop)
    y = 55 - 24 * np.cos(loop) * (0.6 + 0.4 * np.sin(np.pi * t)) + 10 * np.sin(2 * np.pi * waves * t + phase)
    x = x + slant * (60 - y)  # lean the letters forward
    pressure = 1.4 + 1.1 * np.abs(np.sin(loop / 2 + phase))
    _stroke(cover, x, y, pressure)
    u = np.linspace(0.0, 1.0, 1500)
    fx = 40 + 350 * u
    fy = 98 + 6 * np.sin(np.pi * u + phase) - 10 * u**3
    _stroke(cover, fx, fy, 1.0 + 0.9 * np.sin(np.pi * u))
    return _rgba(cover, (26, 42, 108))


def main(argv: list[str] | None = None) -> int:
    """Write demo_logo.png and the three signature PNGs into ``--out`` (default: this folder)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ASSET_DIR)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    write_png(args.out / "demo_logo.png", draw_logo())
    for stem, params in SIGNATURES.items():
        write_png(args.out / f"{stem}.png", draw_signature(*params))
    print(f"wrote demo_logo.png and {len(SIGNATURES)} signatures to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
