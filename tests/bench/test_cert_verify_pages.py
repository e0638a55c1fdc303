"""``certificate verify`` checks what a reader sees (issue 13, line 3): each tamper an attacker can
make to the pages of an issued certificate while keeping its seal (content, QR text, signature)
is caught and named by page — the printed QR code replaced by another certificate's or covered by a
white box, a signature image altered, the logo replaced, a line drawn, a page added or removed —
and the untouched certificate, also after a PDF tool re-saved it unchanged, still verifies VALID.

The tampering is done the way a forger would, on the issued file with a PDF library (PDFium through
pypdfium2: image objects swapped, paths drawn, pages inserted and deleted), and the forger's copy
of the original seal is put back with :func:`bench.signing.seal_pdf`.
"""

from __future__ import annotations

import dataclasses
import io
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from PIL import Image

from bench.accounts import demo_account
from bench.cert_verify import Verdict, keys_from_store, verify_pdf
from bench.certificates import Certificates
from bench.cli import main
from bench.page_check import TOLERANCE, differing_regions
from bench.signing import read_seal, seal_pdf
from bench.store import Store
from bench.store.models import Run
from reports.samples import sample_record

NO, OTHER = "JD2026-00042", "JD2026-00043"


@pytest.fixture(scope="module", params=["https://jd.example.org", ""], ids=["url-qr", "text-qr"])
def issued(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> tuple[Store, bytes, bytes]:
    """Two issued certificates (logo and signature images printed): NO's PDF and OTHER's; their QR
    the lookup URL with its signed claim, or the old ``JDC1|…`` text (both forms are in use)."""
    tmp = tmp_path_factory.mktemp("pages")
    store = Store(tmp / "cert.db")
    base = sample_record(images=True)
    inst = store.add_instrument(category="交流充电桩", name="充电桩", model="M", serial=base.instrument.serial,
                                manufacturer="X", accuracy_class="2")
    certs = Certificates(store, tmp / "out", tmp / "keys" / "inst.pem")
    certs.init_key("示例市计量检定测试所")
    pdfs = []
    for n, number in enumerate((NO, OTHER)):
        run_id = f"{base.run_id[:-1]}{n}"
        store.create_run(Run(id=run_id, regulation="jjg1148", edition="2022", verification_type="first",
                             instrument_id=inst.id or 0))
        rec = dataclasses.replace(base, certificate_no=number, run_id=run_id,
                                  institution=dataclasses.replace(base.institution, lookup_url=request.param))
        certs.draft(rec, run_id=run_id, position=None, verifier="张伟", actor="张伟")
        certs.check(number, demo_account(store, "李娜", "checker"))
        certs.approve(number, demo_account(store, "王建国", "approver"))
        pdfs.append(certs.issue(number, demo_account(store, "王建国", "approver"))[1].read_bytes())
    return store, pdfs[0], pdfs[1]


# -- a forger's tools -------------------------------------------------------------------------------

def _edit(pdf: bytes, change: Callable[[pdfium.PdfDocument, list[pdfium.PdfPage]], None]) -> bytes:
    """``pdf`` changed by ``change`` on its PDFium document and pages, saved, and resealed with its
    own seal. ``change`` regenerates the content of a page it drew on (``gen_content``); an image
    whose pixels are swapped keeps its place in the content as it is."""
    content, qr = read_seal(pdf)
    doc = pdfium.PdfDocument(pdf)
    pages = [doc[i] for i in range(len(doc))]
    change(doc, pages)
    buf = io.BytesIO()
    doc.save(buf)
    doc.close()
    return seal_pdf(buf.getvalue(), content, qr)


def _images(page: pdfium.PdfPage) -> list[pdfium.PdfImage]:
    """The image objects of a page, left to right then top to bottom (logo first: top-left)."""
    objs = list(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]))
    return sorted(objs, key=lambda o: (o.get_bounds()[0], -o.get_bounds()[3]))


def _qr_box(page: pdfium.PdfPage) -> tuple[float, float, float, float]:
    """The QR code's box in PDF points (left, bottom, right, top), from its decoded position."""
    import zxingcpp

    scale = 150 / 72
    pixels = page.render(scale=scale, rev_byteorder=True).to_numpy()[:, :, :3].copy()
    [code] = zxingcpp.read_barcodes(pixels)
    p, height = code.position, page.get_size()[1]
    xs = [p.top_left.x, p.top_right.x, p.bottom_left.x, p.bottom_right.x]
    ys = [p.top_left.y, p.top_right.y, p.bottom_left.y, p.bottom_right.y]
    return min(xs) / scale, height - max(ys) / scale, max(xs) / scale, height - min(ys) / scale


def _place_pixels(doc: pdfium.PdfDocument, page: pdfium.PdfPage, pixels: np.ndarray,
                  box: tuple[float, float, float, float]) -> None:
    """A new image object with ``pixels`` drawn over ``box`` (points: left, bottom, right, top)."""
    image = pdfium.PdfImage.new(doc)
    image.set_bitmap(pdfium.PdfBitmap.from_pil(Image.fromarray(pixels)))
    left, bottom, right, top = box
    image.set_matrix(pdfium.PdfMatrix().scale(right - left, top - bottom).translate(left, bottom))
    page.insert_obj(image)
    page.gen_content()


def _rect(page: pdfium.PdfPage, box: tuple[float, float, float, float], rgb: tuple[int, int, int]) -> None:
    left, bottom, right, top = box
    obj = pdfium_c.FPDFPageObj_CreateNewRect(left, bottom, right - left, top - bottom)
    pdfium_c.FPDFPageObj_SetFillColor(obj, *rgb, 255)
    pdfium_c.FPDFPath_SetDrawMode(obj, pdfium_c.FPDF_FILLMODE_ALTERNATE, False)
    pdfium_c.FPDFPage_InsertObject(page.raw, obj)
    page.gen_content()


def qr_replaced(pdf: bytes, other: bytes) -> bytes:
    """The other certificate's printed QR code cut from its cover and pasted over this one's."""
    src = pdfium.PdfDocument(other)
    box = _qr_box(src[0])
    scale = 300 / 72
    pixels = src[0].render(scale=scale, rev_byteorder=True).to_numpy()[:, :, :3]
    height = src[0].get_size()[1]
    crop = pixels[round((height - box[3]) * scale) - 8:round((height - box[1]) * scale) + 8,
                  round(box[0] * scale) - 8:round(box[2] * scale) + 8].copy()
    pad = 8 / scale
    return _edit(pdf, lambda d, p: _place_pixels(d, p[0], crop, (box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad)))


def qr_removed(pdf: bytes, _other: bytes) -> bytes:
    """A white box drawn over the printed QR code."""
    def change(doc: pdfium.PdfDocument, pages: list[pdfium.PdfPage]) -> None:
        left, bottom, right, top = _qr_box(pages[0])
        _rect(pages[0], (left - 2, bottom - 2, right + 2, top + 2), (255, 255, 255))
    return _edit(pdf, change)


def _swap_image(doc: pdfium.PdfDocument, page: pdfium.PdfPage, obj: pdfium.PdfImage, pixels: np.ndarray) -> None:
    """An opaque image with ``pixels`` (RGB) pasted over the image object ``obj``, at its place and
    size. (Pasted over rather than removed: PDFium regenerates a page's text wrongly after an object
    is removed, which the text check would catch anyway; a careful forger's swap leaves the text.)"""
    matrix = obj.get_matrix()
    image = pdfium.PdfImage.new(doc)
    image.set_bitmap(pdfium.PdfBitmap.from_pil(Image.fromarray(pixels)))
    image.set_matrix(matrix)
    page.insert_obj(image)
    page.gen_content()


def _rgb(obj: pdfium.PdfImage) -> np.ndarray:
    """An image object's pixels as RGB, composited on white where it has an alpha channel."""
    bitmap = obj.get_bitmap()
    pixels = bitmap.to_numpy().astype(np.float32)
    if pixels.ndim == 2:
        pixels = np.repeat(pixels[:, :, None], 3, axis=2)
    if pixels.shape[2] == 4:
        alpha = pixels[:, :, 3:] / 255
        pixels = pixels[:, :, :3] * alpha + 255 * (1 - alpha)
    rgb = pixels[:, :, :3] if bitmap.mode in ("RGB", "L") else pixels[:, :, 2::-1]
    return rgb.astype(np.uint8).copy()


def signature_altered(pdf: bytes, _other: bytes) -> bytes:
    """A signature image (the lowest on the cover) redrawn with a stroke added across it."""
    def change(doc: pdfium.PdfDocument, pages: list[pdfium.PdfPage]) -> None:
        signature = _images(pages[0])[-1]
        pixels = _rgb(signature)
        h, w = pixels.shape[:2]
        pixels[h // 2:h // 2 + max(2, h // 20), w // 4:w * 3 // 4] = 0
        _swap_image(doc, pages[0], signature, pixels)
    return _edit(pdf, change)


def logo_replaced(pdf: bytes, _other: bytes) -> bytes:
    """The institution logo swapped for another image of the same size (a red disc)."""
    def change(doc: pdfium.PdfDocument, pages: list[pdfium.PdfPage]) -> None:
        logo = _images(pages[0])[0]
        h, w = _rgb(logo).shape[:2]
        yy, xx = np.mgrid[:h, :w]
        pixels = np.full((h, w, 3), 255, np.uint8)
        pixels[(yy - h / 2) ** 2 + (xx - w / 2) ** 2 < (min(h, w) / 2.5) ** 2] = (200, 0, 0)
        _swap_image(doc, pages[0], logo, pixels)
    return _edit(pdf, change)


def line_drawn(pdf: bytes, _other: bytes) -> bytes:
    """A thin line (0.3 pt) drawn across the results page."""
    def change(doc: pdfium.PdfDocument, pages: list[pdfium.PdfPage]) -> None:
        page = pages[-1]
        obj = pdfium_c.FPDFPageObj_CreateNewPath(150, 300)
        pdfium_c.FPDFPath_LineTo(obj, 420, 310)
        pdfium_c.FPDFPageObj_SetStrokeColor(obj, 0, 0, 0, 255)
        pdfium_c.FPDFPageObj_SetStrokeWidth(obj, 0.3)
        pdfium_c.FPDFPath_SetDrawMode(obj, 0, True)
        pdfium_c.FPDFPage_InsertObject(page.raw, obj)
        page.gen_content()
    return _edit(pdf, change)


def page_added(pdf: bytes, other: bytes) -> bytes:
    """A page with only a picture on it (no text: the text check alone cannot see it) appended."""
    def change(doc: pdfium.PdfDocument, pages: list[pdfium.PdfPage]) -> None:
        width, height = pages[0].get_size()
        page = doc.new_page(width, height)
        _rect(page, (100, 400, 300, 500), (0, 0, 0))
    return _edit(pdf, change)


def page_removed(pdf: bytes, _other: bytes) -> bytes:
    """The results page deleted."""
    return _edit(pdf, lambda d, p: d.del_page(len(p) - 1))


TAMPERS = {f.__name__: f for f in (qr_replaced, qr_removed, signature_altered, logo_replaced, line_drawn, page_added,
                                   page_removed)}


def _verify(store: Store, pdf: bytes) -> Verdict:
    return verify_pdf(pdf, keys_from_store(store), store)


# -- the checks -------------------------------------------------------------------------------------

def test_untouched_certificate_verifies_valid(issued: tuple[Store, bytes, bytes]) -> None:
    store, pdf, _ = issued
    v = _verify(store, pdf)
    assert v.ok, v.lines()
    assert any("every page's image matches" in c for c in v.checks)
    assert "第 1 页 印刷二维码为本证书的 (page 1: the printed QR code is this certificate's)" in v.checks


def test_untouched_certificate_resaved_by_a_pdf_tool_verifies_valid(issued: tuple[Store, bytes, bytes]) -> None:
    # Opened and saved by another program without a change: other bytes, the same pixels.
    store, pdf, _ = issued
    resaved = _edit(pdf, lambda d, p: None)
    assert resaved != pdf
    v = _verify(store, resaved)
    assert v.ok, v.lines()


@pytest.mark.parametrize("tamper", TAMPERS)
def test_tamper_is_caught_and_named_by_page(issued: tuple[Store, bytes, bytes], tamper: str) -> None:
    store, pdf, other = issued
    n = len(pdfium.PdfDocument(pdf))  # the certificate's pages (the results page is the last)
    v = _verify(store, TAMPERS[tamper](pdf, other))
    assert not v.ok, v.lines()
    assert any("signature valid" in c for c in v.checks)  # the seal itself is intact: only the pages were changed
    expected = {
        "qr_replaced": [r"第 1 页 图像不一致 \(page 1 differs .*mm 二维码 QR code",
                        rf"第 1 页 印刷二维码属于另一证书 {OTHER} \(page 1: the printed QR code belongs to another"],
        "qr_removed": [r"第 1 页 图像不一致 .*二维码 QR code", r"第 1 页 印刷二维码缺失或无法识读"],
        "signature_altered": [r"第 1 页 图像不一致 .*图片 image \(logo/signature\)"],
        # the logo's square: 20–44 mm from the left (reports.certificate.LOGO_BOX), top band of the cover
        "logo_replaced": [r"第 1 页 图像不一致 \(page 1 differs from the re-rendered certificate: region "
                          r"2\d(\.\d)?,\d(\.\d)?–4\d(\.\d)?,3\d(\.\d)? mm 图片 image \(logo/signature\), from"],
        "line_drawn": [rf"第 {n} 页 图像不一致 .*图文 drawing/text"],
        "page_added": [rf"页数不符：文件 {n + 1} 页，应为 {n} 页",
                       rf"第 {n + 1} 页 多出，不属于该证书 \(page {n + 1} is not part of the certificate\)"],
        "page_removed": [rf"页数不符：文件 {n - 1} 页，应为 {n} 页", rf"第 {n} 页 缺失 \(page {n} of the certificate is missing\)"],
    }[tamper]
    for pattern in expected:
        assert any(re.search(pattern, p) for p in v.problems), (pattern, v.problems)
    seen = [p for p in v.problems if not p.startswith(("页面文字", "  "))]  # the text check's lines aside
    assert len(seen) == len(expected), seen  # each tamper named once by the page check, nothing else
    if tamper not in ("page_removed",):
        # what only the page check can see: the printed text is unchanged
        assert any("printed text matches the signed content" in c for c in v.checks), v.lines()


def test_line_is_named_where_it_was_drawn(issued: tuple[Store, bytes, bytes]) -> None:
    # drawn from (150, 300) to (420, 310) pt from the bottom-left: 52.9–148.2 mm across, about
    # 187–191 mm from the top of an A4 page (297 mm)
    store, pdf, other = issued
    last = f"第 {len(pdfium.PdfDocument(pdf))} 页"
    [line] = [p for p in _verify(store, line_drawn(pdf, other)).problems if p.startswith(last)]
    x0, y0, x1, y1 = (float(t) for t in re.search(r"region ([\d.]+),([\d.]+)–([\d.]+),([\d.]+) mm", line).groups())  # type: ignore[union-attr]
    assert 52 <= x0 <= 54 and 147 <= x1 <= 149 and 186 <= y0 <= y1 <= 192


def test_tolerance_absorbs_rounding_but_not_a_faint_mark() -> None:
    page = np.full((200, 100, 3), 255, np.uint8)
    rounded = page.copy()
    rounded[50, 50] -= TOLERANCE  # an anti-aliased edge a few levels off: equal
    assert differing_regions(rounded, page) == []
    faint = page.copy()
    faint[120, 10:60] -= TOLERANCE + 1  # a faint grey line, one pixel high
    [(x0, y0, x1, y1)] = differing_regions(faint, page)
    assert (x0, x1) == (round(10 * 25.4 / 150, 1), round(60 * 25.4 / 150, 1)) and y1 - y0 < 0.2


def test_command_names_the_tamper_and_fails(issued: tuple[Store, bytes, bytes], tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    # what the technician runs: `jianding certificate verify FILE.pdf` against the store
    store, pdf, other = issued
    path = tmp_path / f"{NO}.pdf"
    path.write_bytes(qr_removed(pdf, other))
    assert main(["--db", str(store.path), "certificate", "verify", str(path)]) == 2
    out = capsys.readouterr().out.splitlines()
    assert any(line.startswith("✗ 第 1 页 图像不一致 (page 1 differs from the re-rendered certificate: region ")
               for line in out), out
    assert "✗ 第 1 页 印刷二维码缺失或无法识读 (page 1: the printed QR code is missing or unreadable)" in out
    assert out[-1] == f"未通过 (NOT VALID): {path} {NO}"
    path.write_bytes(pdf)
    assert main(["--db", str(store.path), "certificate", "verify", str(path)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"通过 (VALID): {path} {NO}"
