"""首检率, 受检率 and 轮换率 (issue 16, line 4) on the county of conftest.py, by category, by district and
by user unit, each numerator and denominator counted by hand from the ledger (投用日期, places, 民用)
and the runs; definitions are data; an impossible count is refused naming the row; the CLI writes PDF
and Excel."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bench.cli import main
from bench.oversight import definitions, rates
from bench.oversight.rates import RateCell, RateRow, rate_problems
from bench.store import Store

START, END = date(2026, 1, 1), date(2026, 6, 30)


def _cells(row: RateRow) -> tuple[tuple[int, int], ...]:
    return tuple((row.cells[k].numerator, row.cells[k].denominator) for k in ("first", "inspected", "rotation"))


def test_definitions_are_data_with_sources() -> None:
    defs = {r.key: r for r in definitions()}
    assert [r.zh for r in defs.values()] == ["首检率", "受检率", "轮换率"]
    assert defs["first"].denominator == ("commissioned_in_period",)
    assert defs["first"].numerator == ("first_verified_by_commissioning",)
    assert defs["rotation"].numerator == ("replaced_by_end",) and all(r.target == 1.0 for r in defs.values())
    assert all("乌审旗 2024" in r.source for r in defs.values())


def test_rates_by_category_by_hand(county: Store) -> None:
    rep = rates(county, START, END)
    rows = {row.group: _cells(row) for row in rep.rows}
    # 电能表 — 首检率: put into service in the period only E6 (05-01), first-verified 04-20 → 1/1.
    #   受检率: in service at 06-30 E2, E6, E7, E8, E9, E10 (E1 replaced, E3/E4 in stock); in order
    #   E2 (its inspections passed), E7, E9; E6's last verification failed, E8 and E10 were never
    #   verified → 3/6. 轮换率: no electricity meter's service life (8 years) has ended → 0/0.
    # 水表 — 首检率: W2 (03-01, first 02-20) and W3 (04-01, never) → 1/2. 受检率: W2, W3, W4 in service;
    #   in order W2 (W3 never verified, W4 past its life) → 1/3. 轮换率: W1 and W4 ended their 6 years
    #   on 2024-11-30, both still in service at the start; W1 replaced by W2 on 03-01 → 1/2.
    assert rows == {("电能表",): ((1, 1), (3, 6), (0, 0)), ("水表",): ((1, 2), (1, 3), (1, 2))}
    assert _cells(rep.total) == ((2, 3), (4, 9), (1, 2))
    water = next(r for r in rep.rows if r.group == ("水表",))
    assert water.cells["inspected"].percent() == 33.3 and water.cells["rotation"].percent() == 50.0
    assert next(r for r in rep.rows if r.group == ("电能表",)).cells["rotation"].value is None  # nothing due
    # below the 100 % targets, rows in the ledger's order of categories: 水表 首检率, 受检率, 轮换率; 电能表 受检率
    assert [(row.group[0], r.key) for row, r in rep.below_target()] == [
        ("水表", "first"), ("水表", "inspected"), ("水表", "rotation"), ("电能表", "inspected")]
    # E3 and E4 (in stock) have no 投用日期
    assert rep.undated == 2


def test_rates_by_district_user_unit_and_household(county: Store) -> None:
    by_division = {row.group: _cells(row) for row in rates(county, START, END, by="division").rows}
    assert by_division == {("电能表", "430602"): ((1, 1), (3, 6), (0, 0)), ("水表", "430603"): ((1, 2), (1, 3), (1, 2))}
    # by user unit: E8 is 岳阳商场's, the other electricity meters 国网岳阳's
    by_client = {row.group: _cells(row) for row in rates(county, START, END, by="client").rows}
    assert by_client == {("电能表", "国网岳阳"): ((1, 1), (3, 5), (0, 0)), ("电能表", "岳阳商场"): ((0, 0), (0, 1), (0, 0)),
                         ("水表", "岳阳水务"): ((1, 2), (1, 3), (1, 2))}
    # household meters only: E7 (not said) and E8 (not 民用) leave 受检率 → E2, E9 of E2, E6, E9, E10 = 2/4
    home = {row.group: _cells(row) for row in rates(county, START, END, household=True, categories=["电能表"]).rows}
    assert home == {("电能表",): ((1, 1), (2, 4), (0, 0))}
    # 2024: put into service E9 (first 05-20 ✓) and E10 (never) → 1/2; W1 and W4 due for replacement
    # (2024-11-30), neither replaced by the end of 2024 → 0/2
    y2024 = {row.group: _cells(row) for row in rates(county, date(2024, 1, 1), date(2024, 12, 31)).rows}
    assert y2024[("电能表",)][0] == (1, 2) and y2024[("水表",)][2] == (0, 2)


def test_impossible_rate_counts_are_named() -> None:
    defs = definitions()
    row = RateRow(("水表", "岳阳水务"), {r.key: RateCell(3 if r.key == "rotation" else 0, 2) for r in defs})
    assert rate_problems(defs, [row]) == ["水表 岳阳水务：已轮换数 3 大于 应轮换数 2"]


def test_cli_rates_pdf_and_excel(county: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["--db", str(county.path), "oversight", "rates", "--from", "2026-01-01", "--to", "2026-06-30",
                 "--by", "client", "--pdf", str(out / "r.pdf"), "--xlsx", str(out / "r.xlsx")]) == 0
    text = capsys.readouterr().out
    assert "受检率 = 受检数 ÷ 在用应检数；合计 4/9 = 44.4 %" in text and "未达目标 (below target): 5 项" in text
    ws = load_workbook(out / "r.xlsx").worksheets[0]
    assert [c.value for c in ws[1]][:5] == ["器具类别", "使用单位", "应首检数", "已首检数", "首检率 %"]
    assert [c.value for c in ws[3]] == ["水表", "岳阳水务", 2, 1, 50.0, 3, 1, 33.3, 2, 1, 50.0]
    assert [c.value for c in ws[5]] == ["电能表", "岳阳商场", 0, 0, None, 1, 0, 0.0, 0, 0, None]
    assert [c.value for c in ws[6]][:5] == ["合计", None, 3, 2, 66.7]
    assert (out / "r.pdf").stat().st_size > 1000
    with pytest.raises(SystemExit):  # argparse refuses a grouping it does not know
        main(["--db", str(county.path), "oversight", "rates", "--by", "street"])
    with pytest.raises(ValueError, match="分组方式"):
        rates(county, START, END, by="street")
