"""三表 sampling by batch and percentage (issue 16, line 7): 10 % of the first-verified, not yet
installed household electricity meters of each batch (Yueyang 2024), the plan as data, reproducible from
a seed like the charger plan; batch sizes and quotas by hand; the CLI writes the plan."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bench.cli import main
from bench.oversight import PLANS, batch_plan, batch_quota
from bench.store import Store
from tests.bench.test_oversight import _inst, _run

AS_OF = date(2026, 3, 1)


@pytest.fixture
def stock(tmp_path: Path) -> Store:
    """Household electricity meters: batch 2026-01 (25, first-verified 01-10), batch 2026-02 (7, 02-10),
    three without a batch number first-verified 02-15 (甲厂 DDS1 → a batch of their own), and meters the
    plan must leave out: two installed, one whose first verification failed, one re-verified failing
    after passing, one not household, one first-verified only after the plan's date."""
    store = Store(tmp_path / "stock.db")
    ok, bad = [0.5], [2.5]

    def meter(serial: str, batch: str | None, first: date | None, errors: list[float] = ok, **ledger: object) -> None:
        params = {"batch": batch} if batch else {}
        inst = _inst(store, serial, "电能表", manufacturer="甲厂", model="DDS1", client="国网岳阳", params=params,
                     **{"household": True, **ledger})
        if first is not None:
            _run(store, f"{serial}-first", inst, "jjg596", first, errors)

    for k in range(25):
        meter(f"A{k:03d}", "2026-01", date(2026, 1, 10))
    for k in range(7):
        meter(f"B{k:03d}", "2026-02", date(2026, 2, 10))
    for k in range(3):
        meter(f"C{k:03d}", None, date(2026, 2, 15))
    meter("X-installed-1", "2026-01", date(2026, 1, 10), commissioned_on=date(2026, 2, 1))
    meter("X-installed-2", "2026-02", date(2026, 2, 10), commissioned_on=date(2026, 3, 1))
    meter("X-failed", "2026-01", date(2026, 1, 10), bad)
    meter("X-retest", "2026-02", date(2026, 2, 10))
    _run(store, "X-retest-again", store.find_instrument("X-retest"), "jjg596", date(2026, 2, 20), bad,  # type: ignore[arg-type]
         vtype="subsequent")
    meter("X-commercial", "2026-01", date(2026, 1, 10), household=False)
    meter("X-later", "2026-02", date(2026, 3, 2))
    return store


def test_ten_percent_of_each_batch_by_hand(stock: Store) -> None:
    plan = batch_plan(stock, "electricity-uninstalled", 20260301, AS_OF)
    assert PLANS["electricity-uninstalled"]["rate"] == 0.10
    # 25 + 7 + 3 = 35 in stock, first-verified, latest verification passed, household
    assert plan.population == 35
    # batches in order: 2026-01, 2026-02, then 甲厂 / DDS1 / 2026-02-15 (no batch number)
    assert [(b.label, b.population, b.quota) for b in plan.batches] == [
        ("2026-01", 25, 3),  # ⌈2.5⌉ = 3
        ("2026-02", 7, 1),  # ⌈0.7⌉ = 1
        ("甲厂 / DDS1 / 2026-02-15", 3, 1),  # ⌈0.3⌉ = 1
    ]
    assert plan.size == 5 and plan.meets_rate
    assert [b.fields for b in plan.batches] == [("param:batch",), ("param:batch",),
                                                ("manufacturer", "model", "first_verified_on")]
    for b, prefix in zip(plan.batches, "ABC", strict=True):
        assert len({i.serial for i in b.selected}) == b.quota and all(i.serial.startswith(prefix) for i in b.selected)
    # the same ledger, date and seed give the same plan; another seed another
    again = batch_plan(stock, "electricity-uninstalled", 20260301, AS_OF)
    assert [i.serial for i in again.selected] == [i.serial for i in plan.selected]
    other = batch_plan(stock, "electricity-uninstalled", 7, AS_OF)
    assert [i.serial for i in other.selected] != [i.serial for i in plan.selected]
    # 20 %: ⌈5⌉ = 5, ⌈1.4⌉ = 2, ⌈0.6⌉ = 1
    assert [b.quota for b in batch_plan(stock, "electricity-uninstalled", 1, AS_OF, rate=0.2).batches] == [5, 2, 1]
    # on 03-02 X-later is first-verified too (batch 2026-02: 8 → ⌈0.8⌉ = 1) — X-installed-2 went in on 03-01
    assert [b.population for b in batch_plan(stock, "electricity-uninstalled", 1, date(2026, 3, 2)).batches] == [25, 8, 3]


def test_batch_quota_rule() -> None:
    assert [batch_quota(n, 0.10) for n in (0, 1, 9, 10, 11, 100, 101)] == [0, 1, 1, 1, 2, 10, 11]
    assert batch_quota(3, 0.10, minimum=5) == 3  # never more than the batch


def test_cli_writes_the_plan(stock: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "p.xlsx"
    assert main(["--db", str(stock.path), "oversight", "sampling", "--plan", "electricity-uninstalled", "--seed", "11",
                 "--as-of", "2026-03-01", "--xlsx", str(out), "--pdf", str(tmp_path / "p.pdf")]) == 0
    text = capsys.readouterr().out
    assert "随机种子 (seed): 11" in text and "总体 35 台，批次 3 个，抽样 5 台" in text
    ws = load_workbook(out).worksheets[0]
    assert [ws.cell(row=r, column=2).value for r in range(3, 8)] == ["2026-01"] * 3 + ["2026-02", "甲厂 / DDS1 / 2026-02-15"]
    drawn = [i.serial for i in batch_plan(stock, "electricity-uninstalled", 11, AS_OF).selected]
    assert [ws.cell(row=r, column=5).value for r in range(3, 8)] == drawn
    with pytest.raises(SystemExit):
        main(["--db", str(stock.path), "oversight", "sampling", "--plan", "nonsense"])
