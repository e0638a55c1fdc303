"""The results pages (reports/results.py), the wrapping that keeps codes whole (reports/wrap.py) and
the cell check (reports/fit.py), on hand-made records with known content."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

from reportlab.platypus import Table

from procedures.metrology.uncertainty import stated_u95_pct, uncertainty_text
from procedures.records import ItemResult, MeasurementResult, Verdict
from reports.certificate import render_document
from reports.fit import cell_problems
from reports.layout import fit_widths, p
from reports.results import layout_of, printed_decimals, reading_text, zh_first
from reports.samples import sample_record
from reports.typography import styles
from reports.wrap import tokens


def _text(pdf: bytes, tmp: Path) -> str:
    path = tmp / "doc.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_rounding_for_print() -> None:
    assert printed_decimals("+0.4") == 1 and printed_decimals("120") == 0 and printed_decimals("符合") is None
    assert reading_text(-0.0697817, 1) == "-0.07"  # one digit beyond the rounded value, never 7 digits
    assert reading_text(-0.0004, 2) == "0.000"  # no "-0.000"
    assert reading_text(3.0, 0) == "3"  # a count stays a count
    assert uncertainty_text(0.0545) == "0.055" and uncertainty_text(0.05) == "0.05" and uncertainty_text(0.0999) == "0.1"
    assert uncertainty_text(1.234) == "1.3"  # two significant digits, rounded up
    assert stated_u95_pct("U = 0.3 % (k=2)") == 0.3 and stated_u95_pct("0.05级") is None


def test_engine_wording_is_turned_chinese_first_and_merged() -> None:
    text = "record 1: signature does not match payload (签名与数据不符); record 2: signature does not match payload (签名与数据不符)"
    assert zh_first(text) == "签名与数据不符 (records 1, 2: signature does not match payload)"
    assert zh_first("签名全部相符 (all match)") == "签名全部相符 (all match)"


def _check(verdict: Verdict = Verdict.PASS) -> MeasurementResult:
    ok = verdict is Verdict.PASS
    return MeasurementResult(name="外观检查", label="封印完好 / seals intact", unit="", values=(1.0 if ok else 0.0,),
                             mean=1.0 if ok else 0.0, rounded="符合" if ok else "不符合", mpe=None, verdict=verdict)


def test_checklist_prints_符合_only_and_repeatability_less_or_equal(tmp_path: Path) -> None:
    repeat = MeasurementResult(name="重复性", label="Q1 (n = 3)", unit="%", values=(0.125, 0.136, 0.105),
                               mean=0.0184022, rounded="0.02", mpe=0.10, verdict=Verdict.PASS)
    record = replace(sample_record(), items=(
        ItemResult(key="appearance", name="外观检查", name_en="Appearance", clause="", verdict=Verdict.PASS,
                   results=(_check(),), layout="check"),
        ItemResult(key="repeatability", name="重复性", name_en="Repeatability", clause="7.7", verdict=Verdict.PASS,
                   results=(repeat,), layout="limit"),
    ))
    text = _text(render_document(record), tmp_path)
    row = next(line for line in text.splitlines() if "封印完好" in line)
    assert row.split()[-1] == "符合" and "1.0" not in row
    rep = next(line for line in text.splitlines() if line.strip().startswith("Q1 (n = 3)"))
    assert "≤ 0.10 %" in rep and "±" not in rep and "0.0184" not in rep
    assert "0.13, 0.14, 0.11" not in rep and "0.125, 0.136, 0.105" in rep  # readings at one digit beyond 0.01


def test_legacy_records_get_a_layout_from_their_results() -> None:
    legacy = ItemResult(key="appearance", name="外观", name_en="", clause="", verdict=Verdict.PASS, results=(_check(),))
    assert layout_of(legacy) == "check"
    rec = ItemResult(key="reconciliation", name="电能读数核对", name_en="", clause="", verdict=Verdict.NOT_APPLICABLE)
    assert layout_of(rec) == "annex" and rec.legal  # legal by the field; printed on the annex by its key


def test_annex_item_never_decides_and_prints_once(tmp_path: Path) -> None:
    row = MeasurementResult(name="读数核对", label="显示电量 (display)", unit="kWh", values=(0.545, 0.5314),
                            mean=0.0136, rounded="+0.0136", mpe=0.0116, verdict=Verdict.FAIL)
    annex = ItemResult(key="reconciliation", name="电能读数核对", name_en="Energy readings reconciled", clause="",
                       verdict=Verdict.FAIL, results=(row,), layout="annex",
                       note="显示电量 (display) 0.5450 kWh 与标准 0.5314 kWh 相差 +0.0136 kWh")
    record = replace(sample_record(), items=(*sample_record().items, annex),
                     flags=("显示电量 (display) 0.5450 kWh 与标准 0.5314 kWh 相差 +0.0136 kWh",))
    assert record.passed and record.failing_items == ()  # the annex's own verdict never counts
    text = _text(render_document(record), tmp_path)
    results, annex_page = text.split("附页")
    assert "电能读数核对" not in results and "电能读数核对" in annex_page
    assert text.count("相差 +0.0136") == 0  # the table shows the row: the flag is not repeated
    assert "超出允许差" in annex_page and "不合格" not in annex_page


def test_codes_never_break_mid_token_and_columns_widen_for_them() -> None:
    assert tokens("交流充电桩检定装置 JDSIM-REF-0001") == [*"交流充电桩检定装置", "JDSIM-REF-0001"]
    st = styles()
    rows = [[p("JDSIM-REF-0001", st.cell), p("说明文字较长的一列说明文字较长的一列", st.cell)]]
    widths = fit_widths(rows, [10, 90], total=200)
    assert widths[0] > 20 and abs(sum(widths) - 200) < 1e-6
    narrow = Table([[p("JDSIM-REF-0001 SIM-CAL-2026-0001", st.cell)]], colWidths=[60])
    wide = Table([[p("JDSIM-REF-0001 SIM-CAL-2026-0001", st.cell)]], colWidths=[120])
    import io

    from reportlab.platypus import SimpleDocTemplate

    def build(table: Table) -> bytes:
        buf = io.BytesIO()
        SimpleDocTemplate(buf).build([table])
        return buf.getvalue()

    assert any("broken" in str(x) or "wider" in str(x) for x in cell_problems(lambda: build(narrow)))  # can fail
    assert cell_problems(lambda: build(wide)) == []
