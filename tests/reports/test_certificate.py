"""检定证书 / 检定结果通知书 rendering: content (via pdftotext), determinism, font embedding, rasterising.

The fixture is a JJG 1148-2022 AC charging post: 外观及功能检查 (pass), 工作误差 at three load points
with two readings each, and 时钟时刻误差. The failing variant fails 工作误差 at Imin and still carries a
valid_until date, to prove the notice suppresses it.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from procedures.records import (
    Environment,
    Institution,
    InstrumentInfo,
    ItemResult,
    MeasurementResult,
    People,
    StandardUsed,
    Verdict,
    VerificationRecord,
)
from reports.certificate import render_certificate, render_document, render_notice
from reports.typography import FONT_NAME, font_covers, register_font, styles

POPPLER = ("pdftotext", "pdffonts", "pdftoppm")
needs_poppler = pytest.mark.skipif(
    any(shutil.which(tool) is None for tool in POPPLER),
    reason="poppler-utils (pdftotext, pdffonts, pdftoppm) not installed: apt-get install poppler-utils",
)

CST = timezone(timedelta(hours=8))


def _work_error(
    readings: dict[str, tuple[tuple[float, float], str, Verdict]],
) -> tuple[MeasurementResult, ...]:
    return tuple(
        MeasurementResult(
            name="工作误差",
            label=label,
            unit="%",
            values=values,
            mean=sum(values) / len(values),
            rounded=rounded,
            mpe=1.0,
            verdict=verdict,
        )
        for label, (values, rounded, verdict) in readings.items()
    )


def make_record(*, passing: bool = True, people: People | None = None) -> VerificationRecord:
    """A JJG 1148-2022 AC charging post record; ``passing=False`` fails 工作误差 at Imin."""
    imin: tuple[tuple[float, float], str, Verdict] = (
        ((0.03, 0.05), "0.0", Verdict.PASS) if passing else ((1.34, 1.42), "+1.4", Verdict.FAIL)
    )
    work = _work_error(
        {
            "Imax (32 A), cosφ=1": ((0.21, 0.23), "+0.2", Verdict.PASS),
            "Itr (16 A), cosφ=1": ((-0.16, -0.18), "-0.2", Verdict.PASS),
            "Imin (3.2 A), cosφ=1": imin,
        }
    )
    items = (
        ItemResult(
            key="appearance",
            name="外观及功能检查",
            name_en="Visual and functional inspection",
            clause="6.1",
            verdict=Verdict.PASS,
            note="铭牌标志齐全，显示及计费功能正常。",
        ),
        ItemResult(
            key="operating_error",
            name="工作误差",
            name_en="Operating error",
            clause="5.1",
            verdict=Verdict.PASS if passing else Verdict.FAIL,
            results=work,
        ),
        ItemResult(
            key="clock_error",
            name="时钟时刻误差",
            name_en="Clock time error",
            clause="5.2",
            verdict=Verdict.PASS,
            results=(
                MeasurementResult(
                    name="时钟时刻误差",
                    label="与北京时间比对",
                    unit="s",
                    values=(1.2,),
                    mean=1.2,
                    rounded="1.2",
                    mpe=5.0,
                    verdict=Verdict.PASS,
                ),
            ),
        ),
    )
    return VerificationRecord(
        run_id="run-2026-11-23-0042",
        record_no="YS2026-1123-0042",
        certificate_no="JDZ2026-11-0042",
        regulation_code="JJG 1148-2022",
        regulation_title="电动汽车交流充电桩",
        edition="2022",
        verification_type="首次检定",
        instrument=InstrumentInfo(
            name="电动汽车交流充电桩",
            model="ACP-7K-220",
            serial="AC20261107-0815",
            manufacturer="深圳市某某新能源科技有限公司",
            accuracy_class="1",
            client="某市公交集团有限公司充电站",
            measuring_range="220 V, (0.6~32) A",
        ),
        standards=(
            StandardUsed(
                name="电动汽车交流充电桩检定装置",
                model="JDZ-AC3",
                serial="2025-0031",
                certificate_no="JLZ2025-0178",
                valid_until=date(2027, 3, 31),
                accuracy="0.05级",
                measuring_range="(0~300) V, (0.01~63) A",
            ),
            StandardUsed(
                name="卫星授时时钟测试仪",
                model="GT-200",
                serial="GT23110076",
                certificate_no="SJ2026-0315",
                valid_until=date(2027, 5, 14),
                accuracy="±0.01 s",
            ),
        ),
        environment=Environment(place="本所充电设施实验室", temperature_c=23.4, humidity_pct=46.0),
        items=items,
        verified_on=date(2026, 11, 23),
        valid_until=date(2029, 11, 22),
        institution=Institution(
            name="某市计量检定测试所",
            authorisation_no="(国)法计(2024)01023号",
            address="某市高新区科技路 88 号",
            postcode="710000",
            phone="029-8888 6666",
            email="jd@example.org",
        ),
        people=people if people is not None else People(verifier="张伟", checker="李娜", approver="王建国"),
        software_version="0.1.0",
        procedure_hash="sha256:9f2c4e61d0a7b3c58e1f2a9d4b6c7e8f0a1b2c3d4e5f60718293a4b5c6d7e8f9",
        reading_count=7,
        finished_at=datetime(2026, 11, 23, 15, 42, 10, tzinfo=CST),
    )


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
