"""The console's results table says results as the certificate does (one formatter,
reports/result_text.py): the annex's 电能读数核对 rows carry no verdict, record flags are shown."""

from __future__ import annotations

from dataclasses import replace

from bench.display import results_table
from procedures.records import ItemResult, MeasurementResult, Verdict
from reports.samples import sample_record


def test_annex_rows_have_no_verdict_and_flags_show() -> None:
    row = MeasurementResult(name="电能读数核对", label="显示电量 − 标准电能", unit="kWh", values=(1.201, 1.2), mean=0.001,
                            rounded="0.001", mpe=0.01, verdict=Verdict.PASS, layout="annex")
    record = sample_record(passing=False)
    record = replace(record, flags=("签名电能数据无效 (invalid OCMF signature)",), items=(
        *record.items, ItemResult(key="reconciliation", name="电能读数核对", name_en="Reading reconciliation", clause="",
                                  verdict=Verdict.NOT_APPLICABLE, results=(row,), layout="annex")))
    text = results_table(record)
    [line] = [x for x in text.splitlines() if x.startswith("电能读数核对")]
    assert "合格" not in line and "0.001 kWh" in line and "±0.010 kWh" in line
    assert text.index("附页") < text.index("电能读数核对")
    [imin] = [x for x in text.splitlines() if "Imin" in x]
    assert "+1.4 %" in imin and "±1.0 %" in imin and imin.rstrip().endswith("不合格 ✗")
    assert "⚠ 签名电能数据无效 (invalid OCMF signature)" in text
