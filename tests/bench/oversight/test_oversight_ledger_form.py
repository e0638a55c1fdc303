"""The 在用强检计量器具台账 of a campaign (乌审旗 2024 附件1; its columns are not published, ours are data):
the instruments in service on the day, by user unit, category and serial, with what this workstation
knows of their verification; the CLI writes the form."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from openpyxl import load_workbook

from bench.cli import main
from bench.oversight import ledger_form
from bench.store import Store
from reports.forms import FIRST_HEADER_ROW


def test_the_instruments_in_service_by_hand(county: Store) -> None:
    t = ledger_form(county, date(2026, 6, 30))
    assert (t.form.attachment, t.form.title) == ("附件1", "在用强检计量器具台账")
    # in service on 06-30: E2, E6, E7, E8, E9, E10 (E1 replaced, E3/E4 in stock), W2, W3, W4 (W1 replaced)
    assert [(r["client"], r["serial"]) for r in t.rows] == [
        ("国网岳阳", "E10"), ("国网岳阳", "E2"), ("国网岳阳", "E6"), ("国网岳阳", "E7"), ("国网岳阳", "E9"),
        ("岳阳商场", "E8"), ("岳阳水务", "W2"), ("岳阳水务", "W3"), ("岳阳水务", "W4")]
    rows = {r["serial"]: r for r in t.rows}
    # W2: 民用, in service 03-01, last verified 05-05 (the complaint verification), its service life of 6
    # years from the FIRST verification (2026-02-20) through 2032-02-19
    assert [rows["W2"][k] for k in ("index", "household", "commissioned_on", "last_verified", "valid_until")] == \
        [7, "是", "2026-03-01", "2026-05-05", "2032-02-19"]
    assert (rows["W4"]["valid_until"], rows["E8"]["household"], rows["E7"]["household"]) == ("2024-11-30", "否", "")
    assert rows["E10"]["last_verified"] == ""  # never verified


def test_cli_writes_the_ledger_form(county: Store, tmp_path: Path) -> None:
    out = tmp_path / "l.xlsx"
    assert main(["--db", str(county.path), "oversight", "ledger-form", "--as-of", "2026-06-30", "--client", "岳阳水务",
                 "--xlsx", str(out)]) == 0
    ws = load_workbook(out).worksheets[0]
    assert [ws.cell(row=FIRST_HEADER_ROW, column=c).value for c in (1, 2, 6)] == ["序号", "使用单位", "出厂编号"]
    assert [ws.cell(row=r, column=6).value for r in range(5, 8)] == ["W2", "W3", "W4"] and ws.max_row == 7
