"""检定证书 / 检定结果通知书 / 使用中检查结果通知书 / 原始记录 rendering: content (via pdftotext), images,
determinism, fonts; the validity line (有效期至, or 使用期限至 for an instrument with a service life) and
the in-service inspection's validity as found.

The fixture (reports/samples.py, shared with the golden-file tests) is a JJG 1148-2022 AC charging
post: 外观及功能检查 (pass), 工作误差 at three load points with two readings each, and 时钟时刻误差. The failing variant fails 工作误差 at Imin and still carries a
valid_until date, to prove the notice suppresses it.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from procedures.records import (
    People,
    Verdict,
    VerificationRecord,
)
from procedures.regulations.documents import kinds
from reports.certificate import QR_BOX, render_certificate, render_document, render_inspection, render_notice
from reports.golden import RESOLUTION_DPI, rasterise
from reports.original_record import render_original_record
from reports.samples import (
    CST,
    DEMO_PEOPLE_WITH_SIGNATURES,
    sample_inspection,
    sample_readings,
    sample_record,
    sample_water_record,
)
from reports.typography import FONT_NAME, font_covers, register_font, styles

POPPLER = ("pdftotext", "pdffonts", "pdftoppm")
needs_poppler = pytest.mark.skipif(
    any(shutil.which(tool) is None for tool in POPPLER),
    reason="poppler-utils (pdftotext, pdffonts, pdftoppm) not installed: apt-get install poppler-utils",
)


def make_record(*, passing: bool = True, people: People | None = None, **kw: Any) -> VerificationRecord:
    """The shared sample record (reports/samples.py): JJG 1148-2022 AC post, failing 工作误差 at Imin
    when ``passing=False``."""
    return sample_record(passing=passing, people=people, **kw)


@pytest.fixture(scope="module")
def passing() -> VerificationRecord:
    return make_record(passing=True)


@pytest.fixture(scope="module")
def failing() -> VerificationRecord:
    return make_record(passing=False)


@pytest.fixture(scope="module")
def certificate_pdf(passing: VerificationRecord) -> bytes:
    return render_certificate(passing)


@pytest.fixture(scope="module")
def notice_pdf(failing: VerificationRecord) -> bytes:
    return render_notice(failing)


def _run(args: list[str], pdf: bytes, tmp_path: Path) -> str:
    """Run a poppler tool on ``pdf``; ``{pdf}`` in ``args`` stands for the file's path."""
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    cmd = [str(path) if a == "{pdf}" else a for a in args]
    out = subprocess.run(cmd, check=True, capture_output=True, timeout=60)
    return out.stdout.decode("utf-8")


def _text(pdf: bytes, tmp_path: Path) -> str:
    # -raw keeps content-stream order and the spaces in "第 1 页" (layout mode drops spaces beside CJK)
    return _run(["pdftotext", "-raw", "-enc", "UTF-8", "{pdf}", "-"], pdf, tmp_path)


def _pages(pdf: bytes, tmp_path: Path) -> list[str]:
    return _text(pdf, tmp_path).split("\f")


# -- fixture sanity -------------------------------------------------------------------------------


def test_fixture_verdicts(passing: VerificationRecord, failing: VerificationRecord) -> None:
    assert passing.passed
    assert not failing.passed
    assert [i.name for i in failing.failing_items] == ["工作误差"]


def test_font_registration_is_idempotent_and_covers_the_wording() -> None:
    assert register_font() == register_font() == FONT_NAME
    assert styles().body.fontName == FONT_NAME
    assert font_covers("检定证书检定结果通知书不合格项目有效期至以下空白±°C℃φ（）：、《》—")


# -- content --------------------------------------------------------------------------------------


@needs_poppler
def test_certificate_content(certificate_pdf: bytes, passing: VerificationRecord, tmp_path: Path) -> None:
    text = _text(certificate_pdf, tmp_path)
    assert "检定证书" in text
    assert "Verification Certificate" in text
    assert passing.certificate_no in text
    assert passing.record_no in text
    assert passing.instrument.serial in text
    assert passing.instrument.model in text
    assert passing.instrument.manufacturer in text
    assert passing.instrument.client in text
    assert "JJG 1148-2022" in text
    assert "1级 合格" in text
    assert "不合格" not in text
    assert "有效期至" in text
    assert "2029年11月22日" in text
    assert "2026年11月23日" in text
    for name in ("张伟", "李娜", "王建国"):
        assert name in text
    for label in ("检定员", "核验员", "批准人"):
        assert label in text
    # the rounded values exactly as recorded, never re-formatted
    for rounded in ("+0.2", "-0.2", "0.0", "1.2"):
        assert re.search(rf"(?<![\d.+-]){re.escape(rounded)}(?![\d])", text), rounded
    assert "±1.0 %" in text
    assert "±5.0 s" in text
    # standards with their certificates and validity; environment
    assert "JLZ2025-0178" in text
    assert "2027-03-31" in text
    assert "23.4 °C" in text
    assert "46.0 %" in text
    # institution details, traceability footer, end mark
    assert "(国)法计(2024)01023号" in text
    assert "710000" in text
    assert passing.procedure_hash in text.replace("\n", "").replace(" ", "") or "sha256:9f2c" in text
    assert "0.1.0" in text
    assert "以下空白" in text
    assert "不合格项目" not in text


@needs_poppler
def test_every_page_has_number_and_page_x_of_y(certificate_pdf: bytes, tmp_path: Path) -> None:
    pages = [p for p in _pages(certificate_pdf, tmp_path) if p.strip()]
    assert len(pages) >= 2
    for n, page in enumerate(pages, start=1):
        assert f"第 {n} 页" in page
        assert f"共 {len(pages)} 页" in page
        assert "JDZ2026-11-0042" in page


@needs_poppler
def test_notice_content(notice_pdf: bytes, failing: VerificationRecord, tmp_path: Path) -> None:
    text = _text(notice_pdf, tmp_path)
    assert "检定结果通知书" in text
    assert "Notice of Verification Result" in text
    assert failing.certificate_no in text
    assert failing.instrument.serial in text
    assert "不合格" in text
    assert "有效期至" not in text
    assert "2029年11月22日" not in text  # valid_until is on the record but must not print
    assert "第 1 页" in text and "共" in text
    # 不合格项目 names the failing item with its data, before the full results
    section = text[text.index("不合格项目") : text.index("Verification results")]
    assert "工作误差" in section
    assert "+1.4" in section
    assert "±1.0 %" in section
    assert "时钟时刻误差" not in section
    assert "外观及功能检查" not in section
    for rounded in ("+0.2", "-0.2", "+1.4", "1.2"):
        assert rounded in text


def test_wrong_document_for_verdict_is_refused(
    passing: VerificationRecord, failing: VerificationRecord
) -> None:
    with pytest.raises(ValueError, match="render_notice"):
        render_certificate(failing)
    with pytest.raises(ValueError, match="render_certificate"):
        render_notice(passing)


def test_render_document_chooses_by_verdict(
    passing: VerificationRecord, failing: VerificationRecord, certificate_pdf: bytes, notice_pdf: bytes
) -> None:
    assert render_document(passing) == certificate_pdf
    assert render_document(failing) == notice_pdf


@needs_poppler
def test_blank_signature_lines_when_people_unknown(tmp_path: Path) -> None:
    record = make_record(people=People())
    text = _text(render_certificate(record), tmp_path)
    for label in ("检定员", "核验员", "批准人"):
        assert label in text
    assert "张伟" not in text


# -- determinism ----------------------------------------------------------------------------------


def test_rendering_is_deterministic(passing: VerificationRecord, failing: VerificationRecord) -> None:
    first = render_certificate(passing)
    render_notice(failing)  # interleave another document: no state may leak between renders
    second = render_certificate(dataclasses.replace(passing))
    assert first == second
    assert render_notice(failing) == render_notice(make_record(passing=False))


def test_output_ignores_environment_clock(
    passing: VerificationRecord, certificate_pdf: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    # reportlab would otherwise take the timestamp (and the /ID seed) from SOURCE_DATE_EPOCH
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert render_certificate(passing) == certificate_pdf


def test_document_id_depends_on_the_record(passing: VerificationRecord, certificate_pdf: bytes) -> None:
    def trailer_id(pdf: bytes) -> bytes:
        match = re.search(rb"/ID\s*\[<([0-9a-f]+)>", pdf)
        assert match, "no /ID in trailer"
        return match.group(1)

    other = render_certificate(dataclasses.replace(passing, certificate_no="JDZ2026-11-0043"))
    assert trailer_id(certificate_pdf) == trailer_id(render_certificate(passing))
    assert trailer_id(certificate_pdf) != trailer_id(other)


def test_creation_date_comes_from_the_record(certificate_pdf: bytes, passing: VerificationRecord) -> None:
    assert b"D:20261123154210+08'00'" in certificate_pdf
    later = dataclasses.replace(passing, finished_at=datetime(2026, 11, 24, 9, 0, 0, tzinfo=CST))
    assert b"D:20261124090000+08'00'" in render_certificate(later)


# -- font embedding -------------------------------------------------------------------------------


@needs_poppler
def test_font_is_embedded(certificate_pdf: bytes, notice_pdf: bytes, tmp_path: Path) -> None:
    for pdf in (certificate_pdf, notice_pdf):
        assert b"/FontFile2" in pdf
        listing = _run(["pdffonts", "{pdf}"], pdf, tmp_path).splitlines()[2:]
        assert listing, "no fonts listed"
        for line in listing:
            # name type encoding emb sub uni object ID: one font only, embedded as a subset
            assert "WenQuanYi" in line, line
            assert re.search(r"\byes\s+yes\s+yes\b", line), line


# -- long tables ----------------------------------------------------------------------------------


@needs_poppler
def test_long_results_table_splits_with_repeated_header(passing: VerificationRecord, tmp_path: Path) -> None:
    many = tuple(
        dataclasses.replace(r, label=f"第 {n:02d} 点 {r.label}")
        for n, r in enumerate(passing.items[1].results * 30, start=1)
    )
    work = dataclasses.replace(passing.items[1], results=many)
    record = dataclasses.replace(passing, items=(passing.items[0], work, passing.items[2]))
    pages = [p for p in _pages(render_certificate(record), tmp_path) if p.strip()]
    assert len(pages) >= 4
    table_pages = [p for p in pages if "第 " in p and " 点 " in p]
    assert len(table_pages) >= 2
    for page in table_pages:
        assert "化整值" in page  # header row repeated on every page the table runs onto
    all_text = "\n".join(pages)
    assert "第 90 点" in all_text
    assert "以下空白" in pages[-1]


# -- rasterising ----------------------------------------------------------------------------------


@needs_poppler
def test_pdfs_rasterise(certificate_pdf: bytes, notice_pdf: bytes, tmp_path: Path) -> None:
    for name, pdf in (("certificate", certificate_pdf), ("notice", notice_pdf)):
        src = tmp_path / f"{name}.pdf"
        src.write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-r", "60", "-png", str(src), str(tmp_path / name)],
            check=True,
            capture_output=True,
            timeout=120,
        )
        pngs = sorted(tmp_path.glob(f"{name}-*.png"))
        assert len(pngs) >= 2
        for png in pngs:
            data = png.read_bytes()
            assert data.startswith(b"\x89PNG\r\n\x1a\n")
            assert len(data) > 2000


# -- issue 5: what an institute signs ---------------------------------------------------------------


@needs_poppler
def test_cover_contacts_signature_date_and_inner_adjustment(certificate_pdf: bytes, tmp_path: Path) -> None:
    pages = [pg for pg in _pages(certificate_pdf, tmp_path) if pg.strip()]
    cover, inner = pages[0], "\n".join(pages[1:])
    assert "传真" in cover and "029-8888 6667" in cover  # fax joins the contact block
    assert "jd@example.org" in cover and "某市高新区科技路 88 号" in cover
    assert "签字日期" in cover and cover.count("2026年11月23日") == 2  # 检定日期 and the signature date
    assert re.search(r"调整/修理情况.*：无", inner)  # no adjustment recorded → 无
    assert "—— 以下空白 ——" in pages[-1]
    assert "表位" not in inner  # not a bench record


@needs_poppler
def test_adjustment_note_printed(tmp_path: Path) -> None:
    pdf = render_certificate(make_record(adjustment_note="更换计量芯片后重新检定"))
    assert re.search(r"调整/修理情况.*：更换计量芯片后重新检定", _text(pdf, tmp_path))


@needs_poppler
def test_bench_position_beside_serial_on_inner_page(tmp_path: Path) -> None:
    pages = _pages(render_certificate(make_record(position=7)), tmp_path)
    assert "表位" not in pages[0]
    assert re.search(r"AC20261107-0815\s*表位 7", pages[1])


def _images(pdf: bytes, tmp_path: Path) -> list[list[str]]:
    """``pdfimages -list`` rows: page, num, type (image/smask), width, height, ..."""
    rows = _run(["pdfimages", "-list", "{pdf}"], pdf, tmp_path).splitlines()[2:]
    return [r.split() for r in rows]


@pytest.mark.skipif(shutil.which("pdfimages") is None, reason="pdfimages (poppler-utils) not installed")
def test_logo_and_signature_images_replace_names(tmp_path: Path) -> None:
    pdf = render_certificate(make_record(images=True))
    images = [r for r in _images(pdf, tmp_path) if r[2] == "image"]
    assert len(images) == 4 and all(r[0] == "1" for r in images)  # logo + 3 signatures, all on the cover
    sizes = sorted((int(r[3]), int(r[4])) for r in images)
    assert sizes == [(240, 240), (420, 120), (420, 120), (420, 120)]  # the PNGs of reports/assets
    text = _text(pdf, tmp_path)
    assert "张伟" not in text and "王建国" not in text  # the image stands for the name
    for label in ("检定员", "核验员", "批准人", "签字日期"):
        assert label in text
    assert _images(render_certificate(make_record()), tmp_path) == []  # names only: no images


def test_missing_configured_image_is_an_error() -> None:
    people = dataclasses.replace(DEMO_PEOPLE_WITH_SIGNATURES, checker_signature="no/such/checker.png")
    with pytest.raises(FileNotFoundError, match=r"核验员签名.*no/such/checker\.png"):
        render_certificate(make_record(people=people))


@needs_poppler
def test_qr_code_drawn_in_reserved_square_only_when_given(passing: VerificationRecord) -> None:
    x, y, side = QR_BOX
    scale = RESOLUTION_DPI / 72
    blank = rasterise(render_certificate(passing))[0]
    top = blank.shape[0] - round((y + side) * scale)
    box = np.s_[top + 1 : top + round(side * scale) - 1, round(x * scale) + 1 : round((x + side) * scale) - 1]
    assert (blank[box] > 250).all()  # reserved: nothing drawn there without a payload
    with_qr = rasterise(render_certificate(passing, qr_payload="https://jd.example.org/v/JDZ2026-11-0042"))[0]
    dark = np.count_nonzero(with_qr[box] < 128) / with_qr[box].size
    assert 0.25 < dark < 0.75  # a QR symbol is roughly half dark modules
    outside = np.ones(blank.shape, bool)
    outside[box] = False
    assert np.array_equal(blank[outside], with_qr[outside])  # and nothing else moved


def test_render_document_passes_qr_payload(passing: VerificationRecord) -> None:
    assert render_document(passing, qr_payload="x") == render_certificate(passing, qr_payload="x")
    assert render_document(passing, qr_payload="x") != render_document(passing)


# -- 原始记录 ----------------------------------------------------------------------------------------


@needs_poppler
def test_original_record_lists_readings_with_number_and_pages(tmp_path: Path) -> None:
    record = make_record(position=3)
    readings = sample_readings(record)
    pdf = render_original_record(record, readings)
    text = _text(pdf, tmp_path)
    assert "原始记录" in text and "YS2026-1123-0042" in text and "JDZ2026-11-0042" in text
    assert re.search(r"AC20261107-0815\s*表位 3", text)
    assert "14:08:00" in text  # the last reading's time (the record's day is in its header)
    for value in ("0.21", "-0.18", "1.2", "23.4"):
        assert value in text
    assert "—— 以下空白 ——" in text
    assert render_original_record(record, readings) == pdf  # deterministic


@needs_poppler
def test_original_record_pages_carry_number_and_page_x_of_y(tmp_path: Path) -> None:
    record = make_record()
    readings = [
        {"step": "operating_error", "key": f"r{n}:error", "quantity": "error", "value": n / 100, "unit": "%",
         "source": "operator", "taken_at": f"2026-11-23T14:{n // 60:02d}:{n % 60:02d}+08:00"}
        for n in range(150)
    ]
    pages = [pg for pg in _pages(render_original_record(record, readings), tmp_path) if pg.strip()]
    assert len(pages) >= 3
    for n, page in enumerate(pages, start=1):
        assert f"第 {n} 页" in page and f"共 {len(pages)} 页" in page
        assert "YS2026-1123-0042" in page
        assert "符号" in page and "Symbol" in page  # header row repeats
    assert "1.4900" in pages[-1] and "14:02:29" in pages[-1]


# -- record fields added for the documents ------------------------------------------------------------


def test_new_record_fields_round_trip() -> None:
    record = make_record(images=True, position=5, adjustment_note="示值调整 (indication adjusted)")
    back = VerificationRecord.from_dict(record.to_dict())
    assert back == record
    assert back.adjustment_note == "示值调整 (indication adjusted)"
    assert back.institution.fax == "029-8888 6667"
    assert back.institution.logo_path == "reports/assets/demo_logo.png"
    assert back.people.approver_signature == "reports/assets/signature_approver.png"
    # a record stored before these fields existed still loads, with empty defaults
    old = record.to_dict()
    del old["adjustment_note"]
    for key in ("fax", "logo_path"):
        del old["institution"][key]
    for key in ("verifier_signature", "checker_signature", "approver_signature"):
        del old["people"][key]
    legacy = VerificationRecord.from_dict(old)
    assert legacy.adjustment_note == "" and legacy.institution.logo_path == "" and legacy.people.verifier_signature == ""


@needs_poppler
def test_a_draft_is_marked_on_every_page_and_an_issued_document_is_not(
        passing: VerificationRecord, failing: VerificationRecord, tmp_path: Path) -> None:
    for record in (passing, failing):
        draft = [page for page in _pages(render_document(record, draft=True), tmp_path) if page.strip()]
        assert len(draft) >= 2 and all("草稿 未批准 (DRAFT — NOT APPROVED)" in page for page in draft)
        assert not any("草稿" in page for page in _pages(render_document(record), tmp_path))


# -- what each verification type issues -------------------------------------------------------------


@needs_poppler
def test_inspection_result_states_the_validity_found_and_none_of_its_own(tmp_path: Path) -> None:
    record = sample_inspection()
    text = _text(render_document(record), tmp_path)
    assert "使 用 中 检 查 结 果 通 知 书" in text and "Notice of In-service Inspection Result" in text
    assert "检 定 证 书" not in text and "Verification Certificate" not in text
    assert "通知书编号：JCZ2027-05-0007" in text and "Inspection No." in text
    for label in ("使用单位", "检查依据", "检查结论", "检查日期", "检查信息", "检查类别", "检查结果", "检查使用的计量标准装置",
                  "检查条件" if record.environment.conditions else "检查地点"):
        assert label in text, label
    assert "送检单位" not in text and "检定日期\nDate of verification" not in text
    # the certificate held and its validity as found, on the cover and in their own section
    assert "JDZ2026-11-0042（某市计量检定测试所，2026年11月23日检定）" in text
    assert "有效期至 2029年11月22日；检查时：有效 (valid)" in text
    assert "检查时所见检定状态" in text and "本机构检定记录" in text and "检定周期 3 年 (verification period)：JJG 1148-2022" in text
    assert "本通知书为使用中检查的结果，不是检定证书，不给出也不延长该计量器具的有效期或使用期限。" in text
    # nothing counted from the inspection day (2027-05-18): no 2030年5月17日, no 使用期限至
    assert "2030年5月17日" not in text and "使用期限至" not in text
    assert "合格 Pass" in text and "不合格项目" not in text


@needs_poppler
def test_failing_inspection_names_the_failing_items(tmp_path: Path) -> None:
    text = _text(render_document(sample_inspection(passing=False)), tmp_path)
    assert "不合格 Fail" in text and "不合格项目" in text
    flat = text.replace("\n", "")  # the sentence wraps
    assert "经使用中检查，该计量器具不符合 JJG 1148-2022《电动汽车交流充电桩》 的要求，不合格项目为：工作误差（条款 5.1）。" in flat
    assert "有效期至 2029年11月22日" in text  # the certificate found is still shown as found


@needs_poppler
def test_service_life_certificate_says_使用期限至_never_有效期至(tmp_path: Path) -> None:
    record = sample_water_record()
    text = _text(render_document(record), tmp_path)
    assert "使用期限至\nService life until\n2032年11月22日（到期更换）" in text
    assert "有效期至" not in text and "Valid until\n2032" not in text
    assert "使用期限依据" in text and "首次强制检定、限期使用、到期轮换" in text.replace("\n", "")
    # its notice states neither
    failed_item = dataclasses.replace(record.items[2], verdict=Verdict.FAIL)
    notice = dataclasses.replace(record, items=(*record.items[:2], failed_item),
                                 document=kinds()["notice"].info())
    notice_text = _text(render_document(notice), tmp_path)
    assert "检定结果通知书" in notice_text and "使用期限至" not in notice_text and "有效期至" not in notice_text


def test_each_render_function_refuses_the_other_kinds(passing: VerificationRecord, failing: VerificationRecord) -> None:
    check = sample_inspection()
    with pytest.raises(ValueError, match="render_inspection"):
        render_certificate(check)
    with pytest.raises(ValueError, match="render_inspection"):
        render_notice(dataclasses.replace(check, items=failing.items))
    with pytest.raises(ValueError, match="not an in-service inspection"):
        render_inspection(passing)
    assert render_document(check) == render_inspection(check)


def test_inspection_and_service_life_fields_round_trip() -> None:
    for record in (sample_inspection(), sample_water_record()):
        back = VerificationRecord.from_dict(record.to_dict())
        assert back == record
    old = sample_record().to_dict()
    for key in ("document", "as_found", "service_life_until", "validity_kind", "validity_rule"):
        del old[key]
    legacy = VerificationRecord.from_dict(old)  # a record stored before documents were named
    assert legacy.kind == "certificate" and legacy.document is None and legacy.as_found is None
    assert VerificationRecord.from_dict(sample_record(passing=False).to_dict()).kind == "notice"


# -- the instrument's specification and the standards as the institute holds them --------------------


@needs_poppler
def test_the_document_prints_the_specification_and_each_setup_then_its_main_instruments(tmp_path: Path) -> None:
    record = sample_record()
    cover, inner = _pages(render_document(record), tmp_path)[:2]
    assert "ACP-7K-220 220 V 32 A" in cover  # 型号/规格: the model, then the specification
    flat = inner.replace("\n", "")
    assert "技术参数" in inner and "额定电压：220 V；额定电流：32 A；电能表常数：1000 imp/kWh；充电接口：GB/T 20234.2" in flat
    assert "准确度等级" in inner and "1级" in inner
    # 使用的计量标准装置: name, certificate number, validity — then its main instruments
    order = [flat.index(x) for x in ("检定使用的计量标准装置", "电动汽车交流充电桩检定装置", "社会公用计量标准证书编号",
                                     "[2025]某社量标证字第017号", "2029-06-30", "主要计量器具", "交流充电桩检定仪",
                                     "JLZ2025-0178", "其他计量标准器", "卫星授时时钟测试仪")]
    assert order == sorted(order)
    assert "检定使用的计量标准器" not in inner  # the loose heading of old is gone when a 装置 is on record


@needs_poppler
def test_a_record_of_no_setup_lists_its_standards_as_before(tmp_path: Path) -> None:
    record = dataclasses.replace(sample_record(), setups=())
    inner = _pages(render_document(record), tmp_path)[1]
    assert "检定使用的计量标准器" in inner and "计量标准装置" not in inner and "主要计量器具" not in inner


@needs_poppler
def test_the_regulations_conditions_print_beside_the_rooms(tmp_path: Path) -> None:
    record = sample_water_record()
    inner = _pages(render_document(record), tmp_path)[1]
    assert "检定条件" in inner and "水温：20.4~20.6 °C" in inner
    assert "考核证书编号" in inner and "[2024]某量标证字第052号" in inner
    assert "LXS-15E DN15 Q3 = 2.5 m³/h R100" in _pages(render_document(record), tmp_path)[0].replace("\n", "")

