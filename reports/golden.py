"""Golden renderings of the documents: regenerate with ``python -m reports.golden --update``.

Two sets of cases. The matrix: every document of every kind — AC (JJG 1148), DC (JJG 1149), fuel
(JJG 443), meter (JJG 596), water (JJG 162), gas (JJG 577) × certificate, notice, inspection result
(使用中检查结果通知书) and original record — rendered from real demo runs frozen as JSON fixtures in
``tests/reports/golden/records/<kind>-<variant>.json`` (written by ``python -m bench.golden_capture``:
``pass`` gives the certificate and the original record, ``fail`` the notice, ``in_use`` the inspection
result). And hand-built samples (:mod:`reports.samples`) for what the demos do not show: logo,
signature images and QR code, an adjustment note, a failing inspection, a service life.

Each case renders its record to PDF, rasterises every page in grey with the project's one page
renderer (:mod:`reports.raster`: PDFium, as the GUI preview and ``certificate verify``) and
compares it with the committed golden page (``tests/reports/golden/<case>-<page>.png``, 8-bit grey
PNG). A page matches when at most :data:`MAX_BAD_FRACTION` of its pixels differ by more than
:data:`PIXEL_TOLERANCE` grey levels: enough slack for anti-aliasing differences between PDFium
builds, far too little for a moved field, a missing line, image or word.

Without ``--update`` the command checks and reports every mismatch (exit status 1), like the tests
in ``tests/reports/test_golden.py``.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from procedures.records import VerificationRecord
from reports.certificate import render_document
from reports.layout import INSTALL_ROOT
from reports.original_record import render_original_record
from reports.raster import read_png, render, write_png
from reports.samples import sample_inspection, sample_readings, sample_record, sample_water_record

__all__ = [
    "CASES",
    "DOCUMENTS",
    "FIXTURE_DIR",
    "GOLDEN_DIR",
    "KINDS",
    "MATRIX",
    "MAX_BAD_FRACTION",
    "PIXEL_TOLERANCE",
    "README_CASE",
    "README_DPI",
    "README_PAGE",
    "RESOLUTION_DPI",
    "VARIANTS",
    "PageDiff",
    "compare",
    "golden_pages",
    "load_fixture",
    "main",
    "rasterise",
    "readme_image",
    "update",
]

GOLDEN_DIR = INSTALL_ROOT / "tests" / "reports" / "golden"
"""Where the committed golden pages live."""

FIXTURE_DIR = GOLDEN_DIR / "records"
"""Where the frozen demo runs the matrix is rendered from live (``python -m bench.golden_capture``)."""

KINDS: dict[str, str] = {"ac": "JJG 1148", "dc": "JJG 1149", "fuel": "JJG 443", "meter": "JJG 596",
                         "water": "JJG 162", "gas": "JJG 577"}
"""Demo kinds (``jianding demo <kind>``) and the regulation each runs."""

VARIANTS = ("pass", "fail", "in_use")
"""Captured demo variants: the shipped demo, ``--fail`` and ``--type in_use``."""

DOCUMENTS: dict[str, str] = {"certificate": "pass", "notice": "fail", "inspection": "in_use",
                             "original_record": "pass"}
"""Document of the matrix → the variant whose fixture it is rendered from."""

RESOLUTION_DPI = 50
"""Rasterising resolution: an A4 page is 414 × 585 pixels, 1 mm ≈ 2 pixels."""

PIXEL_TOLERANCE = 48
"""A pixel differs when its grey level is off by more than this (out of 255)."""

MAX_BAD_FRACTION = 0.00005
"""A page matches when at most this fraction of its pixels differ (12 pixels of an A4 page).

Measured at 50 dpi: a block moved by 1 mm changes thousands of pixels, two changed CJK characters
about 50, a changed accuracy class in the conclusion 15; a single changed Latin digit only 5–7, so
values are checked by the text tests (pdftotext), not by the goldens, which guard the layout."""

QR_PAYLOAD = ("https://jd.example.org/c/gJ7v0cQm3N2fSx1kq9LwAA#JDQ1;t=C;n=JDZ2026-11-0042;v=1;s=AC20261107-0815;c=P;"
              "d=2026-11-23;u=2029-11-22;k=0123456789abcdef;h=Z_gBX6PKlr4KQ-VbBCFjdwtQ1XrDJHcIEbmuZi8yBs8;"
              "g=4EqHTGm-egu6HJxgEbJjPSMzPOOMR-_W2wlWpEDg-dmtOHYtwDz9jL-PsC2PBrvwgoXraVOPNSawLyVOlf20AQ")
"""A fixed QR payload of the issued form (lookup URL with its signed claim, sync/seal.py) — the
size of a real one; its signature is not meant to verify."""


def _bench_record_readings() -> bytes:
    record = sample_record(position=3)
    return render_original_record(record, sample_readings(record))


def load_fixture(kind: str, variant: str, directory: Path = FIXTURE_DIR) -> tuple[
        VerificationRecord, list[dict[str, Any]], list[dict[str, Any]]]:
    """A frozen demo run: its record, raw readings and judged results (as ``jianding show
    --original-record`` hands them to :func:`render_original_record`)."""
    data = json.loads((directory / f"{kind}-{variant}.json").read_text(encoding="utf-8"))
    return VerificationRecord.from_dict(data["record"]), data["readings"], data["results"]


def _matrix_case(kind: str, document: str) -> Callable[[], bytes]:
    """The renderer of one matrix case, reading its fixture when called."""

    def render() -> bytes:
        record, readings, results = load_fixture(kind, DOCUMENTS[document])
        if document == "original_record":
            return render_original_record(record, readings, results)
        return render_document(record)

    return render


MATRIX: dict[str, Callable[[], bytes]] = {
    f"{kind}_{document}": _matrix_case(kind, document) for kind in KINDS for document in DOCUMENTS
}
"""Every kind × every document, from the frozen demo runs (``ac_certificate`` … ``gas_original_record``)."""

CASES: dict[str, Callable[[], bytes]] = {
    **MATRIX,
    "certificate": lambda: render_document(sample_record()),
    "notice": lambda: render_document(sample_record(passing=False)),
    "certificate_bench_signed": lambda: render_document(
        sample_record(position=7, images=True, adjustment_note="更换计量芯片后重新检定 (metering chip replaced)"),
        qr_payload=QR_PAYLOAD,
    ),
    "notice_bench_signed": lambda: render_document(sample_record(passing=False, position=12, images=True)),
    "original_record": _bench_record_readings,
    "inspection": lambda: render_document(sample_inspection()),
    "inspection_fail": lambda: render_document(sample_inspection(passing=False)),
    "certificate_service_life": lambda: render_document(sample_water_record()),
}
"""Golden cases: name → function rendering the PDF (pass, fail, bench position, with and without
logo and signature images and QR code, an original record, an in-service inspection result passing
and failing, and a certificate stating a service life instead of a validity)."""


@dataclass(frozen=True)
class PageDiff:
    """How one rendered page compares with its golden page."""

    page: int
    bad_pixels: int
    total_pixels: int
    shape_mismatch: bool = False

    @property
    def fraction(self) -> float:
        """Share of pixels beyond :data:`PIXEL_TOLERANCE`."""
        return self.bad_pixels / self.total_pixels if self.total_pixels else 1.0

    @property
    def ok(self) -> bool:
        """True when the page matches within tolerance."""
        return not self.shape_mismatch and self.fraction <= MAX_BAD_FRACTION


def rasterise(pdf: bytes, dpi: int = RESOLUTION_DPI) -> list[np.ndarray]:
    """Every page of ``pdf`` as an 8-bit grey array (:func:`reports.raster.render`)."""
    return render(pdf, dpi, grey=True)


def compare(actual: np.ndarray, expected: np.ndarray, page: int) -> PageDiff:
    """Per-pixel comparison of a rendered page with its golden page."""
    if actual.shape != expected.shape:
        return PageDiff(page, int(expected.size), int(expected.size), shape_mismatch=True)
    diff = np.abs(actual.astype(np.int16) - expected.astype(np.int16))
    return PageDiff(page, int(np.count_nonzero(diff > PIXEL_TOLERANCE)), int(diff.size))


def golden_pages(case: str, directory: Path = GOLDEN_DIR) -> list[Path]:
    """The committed golden pages of ``case``, in page order."""
    return sorted(directory.glob(f"{case}-*.png"), key=lambda f: int(f.stem.rsplit("-", 1)[1]))


def update(directory: Path = GOLDEN_DIR, cases: list[str] | None = None) -> list[Path]:
    """Re-render the cases and overwrite their golden pages; returns the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name in cases or list(CASES):
        for old in golden_pages(name, directory):
            old.unlink()
        for n, page in enumerate(rasterise(CASES[name]()), start=1):
            path = directory / f"{name}-{n}.png"
            write_png(path, page)
            written.append(path)
    return written


def check(directory: Path = GOLDEN_DIR, cases: list[str] | None = None) -> list[str]:
    """Compare every case with its goldens; returns one line per problem (empty: all match)."""
    problems: list[str] = []
    for name in cases or list(CASES):
        expected = golden_pages(name, directory)
        pages = rasterise(CASES[name]())
        if len(pages) != len(expected):
            problems.append(f"{name}: {len(pages)} pages rendered, {len(expected)} golden pages")
            continue
        for n, (page, path) in enumerate(zip(pages, expected, strict=True), start=1):
            result = compare(page, read_png(path), n)
            if not result.ok:
                problems.append(
                    f"{name} page {n}: {result.bad_pixels} pixels differ ({result.fraction:.3%})"
                    + (" — page size changed" if result.shape_mismatch else "")
                )
    return problems


README_CASE, README_PAGE, README_DPI = "ac_certificate", 2, 80
"""The page the README shows: the AC certificate's first inner page (results), at a readable 80 dpi."""


def readme_image(path: Path, case: str = README_CASE, page: int = README_PAGE, dpi: int = README_DPI) -> Path:
    """Write one page of a golden case as a grey PNG (the README's inner page); returns ``path``."""
    pages = rasterise(CASES[case](), dpi=dpi)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_png(path, pages[page - 1])
    return path


def main(argv: list[str] | None = None) -> int:
    """CLI: ``--update`` rewrites the goldens, otherwise checks them (exit 1 on any mismatch)."""
    parser = argparse.ArgumentParser(prog="python -m reports.golden", description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="re-render and overwrite the golden pages")
    parser.add_argument("--dir", type=Path, default=GOLDEN_DIR, help=f"golden directory (default {GOLDEN_DIR})")
    parser.add_argument("--readme-image", type=Path, metavar="PNG",
                        help=f"write page {README_PAGE} of {README_CASE} at {README_DPI} dpi to PNG (the README's inner page)")
    parser.add_argument("cases", nargs="*", help=f"cases (default: all of {', '.join(CASES)})")
    args = parser.parse_args(argv)
    unknown = [c for c in args.cases if c not in CASES]
    if unknown:
        parser.error(f"unknown case(s) {unknown}; known: {list(CASES)}")
    if args.readme_image:
        print(f"wrote {readme_image(args.readme_image)}")
        return 0
    if args.update:
        for path in update(args.dir, args.cases or None):
            print(f"wrote {path}")
        return 0
    problems = check(args.dir, args.cases or None)
    for line in problems:
        print(line)
    print("golden pages match" if not problems else f"{len(problems)} mismatches")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
