"""The one results formatter (reports/result_text.py) that the printed pages, the GUI's results page
and the console table share: rows say what the document prints — 修约, MPE format, item verdicts
(不适用; no verdict on an annex item), and the flags of the 附页."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

from procedures.records import ItemResult, MeasurementResult, Verdict, VerificationRecord
from reports.certificate import render_document
from reports.result_text import (
    ANNEX,
    EMPTY,
    record_flags,
    record_notes,
    result_line,
    result_rows,
    worst_point_text,
)
from reports.samples import sample_record

OCMF_FLAG = "签名电能数据无效 (invalid OCMF signature): signature does not match payload (签名与数据不符)"


def _annexed(record: VerificationRecord) -> VerificationRecord:
    """The AC sample with an item not done, the reading reconciliation (an annex item whose register
    row is beyond its tolerance) and an OCMF flag."""
    rows = (
        MeasurementResult(name="电能读数核对", label="OCPP 电能示值 − 标准电能 (register)", unit="kWh", values=(1.234, 1.200),
                          mean=0.034, rounded="0.034", mpe=0.01, verdict=Verdict.FAIL, layout=ANNEX),
        MeasurementResult(name="电能读数核对", label="显示电量 − 标准电能 (display)", unit="kWh", values=(1.201, 1.200),
                          mean=0.001, rounded="0.001", mpe=0.01, verdict=Verdict.PASS, layout=ANNEX),
    )
    items = (*record.items,
             ItemResult(key="insulation", name="绝缘电阻", name_en="Insulation", clause="", verdict=Verdict.NOT_APPLICABLE,
                        note="2022 版无此项目 (not in the 2022 edition)"),
             ItemResult(key="reconciliation", name="电能读数核对", name_en="Reading reconciliation", clause="",
                        verdict=Verdict.NOT_APPLICABLE, results=rows, layout=ANNEX))
    return replace(record, items=items, flags=(*record.flags, OCMF_FLAG))


def test_rows_say_what_the_certificate_prints() -> None:
    rows = result_rows(_annexed(sample_record(passing=False)))
    by = {(r.item, r.point): r for r in rows}
    imin = by[("工作误差", "Imin (3.2 A), cosφ=1")]
    assert (imin.result, imin.requirement, imin.verdict, imin.verdict_key) == ("+1.4 %", "±1.0 %", "不合格", "fail")
    assert by[("工作误差", "Itr (16 A), cosφ=1")].result == "-0.2 %"  # the recorded 修约, never the mean
    clock = by[("时钟时刻误差", "与北京时间比对")]
    assert (clock.result, clock.requirement) == ("1.2 s", "±5.0 s")  # the MPE with the rounded value's decimals
    appearance = by[("外观及功能检查", "")]  # an item without rows: its verdict word, as its heading prints it
    assert (appearance.verdict, appearance.result) == ("符合", EMPTY)
    insulation = by[("绝缘电阻", "")]
    assert insulation.verdict == "不适用" and insulation.verdict_key == "n/a" and "not in the 2022 edition" in insulation.note
    register = by[("电能读数核对", "OCPP 电能示值 − 标准电能 (register)")]
    # an annex row has no verdict, whatever its row says: figures and tolerance only, after the legal items
    assert (register.verdict, register.verdict_key, register.requirement) == (EMPTY, ANNEX, "±0.010 kWh")
    assert [r.item for r in rows][-2:] == ["电能读数核对", "电能读数核对"]


def test_the_same_texts_are_on_the_printed_document(tmp_path: Path) -> None:
    record = _annexed(sample_record(passing=False))
    path = tmp_path / "doc.pdf"
    path.write_bytes(render_document(record))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    flat = " ".join(text.split())
    for row in result_rows(record):
        for cell in (row.result, row.requirement.removesuffix(" %").removesuffix(" kWh"), row.verdict):
            assert cell.split(" ")[0] in flat, (row, cell)
    for line in record_flags(record) + record_notes(record):
        assert line.split("：")[-1][:12] in flat  # each flag is on the 附页 too


def test_flags_and_worst_point() -> None:
    record = _annexed(sample_record(passing=False))
    flags = record_flags(record)
    assert any(line.startswith("签名电能数据无效") for line in flags), flags  # Chinese first, once
    assert worst_point_text(record) == "Imin (3.2 A), cosφ=1: +1.4 % (±1.0 %)"
    # an item's note is on the 附页 as the document prints it (its item named): information, not a flag
    assert record_flags(sample_record()) == []
    assert record_notes(sample_record()) == ["外观及功能检查：铭牌标志齐全，显示及计费功能正常。"]
    assert "外观及功能检查：铭牌标志齐全，显示及计费功能正常。" not in flags


def test_a_live_result_on_one_line_as_printed() -> None:
    error = MeasurementResult(name="工作误差", label="Imax (32 A)", unit="%", values=(0.35, 0.30), mean=0.326,
                              rounded="+0.4", mpe=2.0, verdict=Verdict.PASS, layout="error_of_mean")
    check = MeasurementResult(name="外观", label="铭牌", unit="", values=(1.0,), mean=1.0, rounded="符合", mpe=None,
                              verdict=Verdict.PASS, layout="check")
    annex = MeasurementResult(name="电能读数核对", label="显示电量", unit="kWh", values=(1.2, 1.1), mean=0.01,
                              rounded="0.010", mpe=0.07, verdict=Verdict.PASS, layout=ANNEX)
    assert result_line(error) == "工作误差 Imax (32 A): +0.4 % (±2.0 %)  合格"
    assert result_line(check) == "外观 铭牌: 符合"  # the word once
    assert result_line(annex) == "电能读数核对 显示电量: 0.010 kWh (±0.070 kWh)"  # no verdict on the annex
