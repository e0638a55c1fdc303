"""Golden-file tests: every page of each fixed document, rasterised, against committed golden pages.

Cases (reports/golden.py ``CASES``): the matrix — every kind (ac, dc, fuel, meter, water, gas) × every
document (certificate, notice, inspection result, original record), rendered from real demo runs
frozen in tests/reports/golden/records/ (``python -m bench.golden_capture``) — and the hand-built
samples of reports/samples.py: passing certificate, failing notice, bench-position certificate with
logo, signature images and QR code, bench-position notice with images, an original record, in-service
inspection results passing and failing, and a certificate with a service life. Pages are rendered in
grey at 50 dpi by the project's one renderer (reports/raster.py: PDFium, as the GUI preview and
``certificate verify``) and compared with ``tests/reports/golden/<case>-<page>.png`` (8-bit grey PNG,
read by Pillow): a page passes when at most 12 of its pixels (0.005 %) differ by more than 48 grey levels.

After an intended layout change, look at the new renderings, then regenerate the goldens with::

    .venv/bin/python -m reports.golden --update          # all cases
    .venv/bin/python -m reports.golden --update notice   # one case
    .venv/bin/python -m reports.golden                   # check only (exit 1 on mismatch)

and commit the changed PNGs with the code. On a failure the rendered page and a difference image are
written to the test's tmp_path (paths in the assertion message).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from reports.certificate import render_document
from reports.golden import (
    CASES,
    DOCUMENTS,
    KINDS,
    MATRIX,
    MAX_BAD_FRACTION,
    README_PAGE,
    compare,
    golden_pages,
    load_fixture,
    rasterise,
    readme_image,
)
from reports.layout import INSTALL_ROOT
from reports.raster import read_png, write_png
from reports.samples import sample_record


@pytest.mark.parametrize("case", list(CASES))
def test_pages_match_golden(case: str, tmp_path: Path) -> None:
    expected = golden_pages(case)
    assert expected, f"no golden pages for {case}: run python -m reports.golden --update {case}"
    pages = rasterise(CASES[case]())
    assert len(pages) == len(expected), f"{case}: {len(pages)} pages rendered, {len(expected)} golden"
    for n, (page, path) in enumerate(zip(pages, expected, strict=True), start=1):
        golden = read_png(path)
        diff = compare(page, golden, n)
        if not diff.ok:
            write_png(tmp_path / f"{case}-{n}-actual.png", page)
            if page.shape == golden.shape:
                delta = np.abs(page.astype(np.int16) - golden.astype(np.int16))
                write_png(tmp_path / f"{case}-{n}-diff.png", (255 - np.clip(delta * 4, 0, 255)).astype(np.uint8))
        assert diff.ok, (
            f"{case} page {n}: {diff.bad_pixels} pixels ({diff.fraction:.3%}) differ from {path.name}"
            f"{' (page size changed)' if diff.shape_mismatch else ''}; rendering and diff in {tmp_path}"
        )


def test_golden_comparison_catches_a_changed_field() -> None:
    """The tolerance must not swallow a real change: two characters of the manufacturer differ."""
    golden = read_png(golden_pages("certificate")[0])
    record = sample_record()
    instrument = dataclasses.replace(record.instrument, manufacturer="深圳市某某新能源技术有限公司")
    changed = dataclasses.replace(record, instrument=instrument)
    diff = compare(rasterise(render_document(changed))[0], golden, 1)
    assert not diff.ok and diff.fraction > MAX_BAD_FRACTION


def test_golden_comparison_catches_a_moved_block() -> None:
    """Shifting a whole page by 1 mm (2 pixels at 50 dpi) fails, as any moved field would."""
    golden = read_png(golden_pages("certificate")[0])
    shifted = np.full_like(golden, 255)
    shifted[2:, :] = golden[:-2, :]
    assert not compare(shifted, golden, 1).ok
    assert compare(golden.copy(), golden, 1).ok


def test_matrix_covers_every_kind_and_document() -> None:
    assert set(MATRIX) == {f"{k}_{d}" for k in ("ac", "dc", "fuel", "meter", "water", "gas")
                           for d in ("certificate", "notice", "inspection", "original_record")}
    assert set(MATRIX) <= set(CASES)


@pytest.mark.parametrize("kind", list(KINDS))
def test_fixtures_are_the_documents_they_stand_for(kind: str) -> None:
    """The frozen runs are what their case names say: the certificate's passes, the notice's fails
    (a real failing demo), the inspection's is an in-service inspection of the regulation of its kind,
    and the original record's fixture carries raw readings."""
    kinds = {}
    for document, variant in DOCUMENTS.items():
        record, readings, results = load_fixture(kind, variant)
        assert record.regulation_code.startswith(KINDS[kind]), (kind, record.regulation_code)
        kinds[document] = record
        if document == "original_record":
            assert readings and results
    assert kinds["certificate"].passed and not kinds["certificate"].is_inspection
    assert not kinds["notice"].passed and kinds["notice"].failing_items
    assert kinds["inspection"].is_inspection


def test_readme_inner_page_is_current(tmp_path: Path) -> None:
    """The README's inner page is what ``make document-image`` makes of today's golden case."""
    committed = INSTALL_ROOT / "docs" / "documents" / "certificate-inner.png"
    fresh = read_png(readme_image(tmp_path / "inner.png"))
    assert compare(fresh, read_png(committed), README_PAGE).ok, "re-make it: make document-image"
