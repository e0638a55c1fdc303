"""The ledger page's controller methods (bench/ledger_views.py): rows with status, filters by
category alias and text, and the refusals of 民用 / 备案 / 投用日期 changes in words."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bench.accounts import demo_account
from bench.controller import Controller
from bench.facade import FacadeError
from bench.store import Store
from tests.bench.test_oversight import _inst, _run


def test_rows_filters_and_refusals(tmp_path: Path) -> None:
    store = Store(tmp_path / "l.db")
    ctl = Controller(store, tmp_path / "out")
    gas = _inst(store, "G-1", "膜式燃气表", client="燃气公司", cls="1.5", params={"gas_kind": "lpg"})
    _inst(store, "W-1", "水表", client="水务", params={"dn_mm": 15, "q3_m3_h": 2.5})
    _run(store, "g1", gas, "jjg577", date(2025, 5, 6), [0.5], mpe=1.5)
    assert [r.serial for r in ctl.ledger_rows(category="燃气表")] == ["G-1"]  # an alias of 膜式燃气表
    assert [r.serial for r in ctl.ledger_rows("水务")] == ["W-1"]
    g = ctl.ledger_rows("g-1")[0]  # case-insensitive
    # a gas meter has a service life from its first verification: 使用期限至, not 有效期至
    assert g.last_verified == date(2025, 5, 6) and g.service_life and g.valid_until is not None
    assert ctl.ledger_categories() == ["水表", "膜式燃气表"]
    li = demo_account(store, "李", "verifier")
    with pytest.raises(FacadeError, match="须登录"):  # nobody logged in: a typed name proves nothing
        ctl.update_ledger_facts(g.id, None, household=True, filing_status="", commissioned_on=None)
    with pytest.raises(FacadeError, match="无检定员或管理员权限"):
        ctl.update_ledger_facts(g.id, demo_account(store, "钱核验", "checker"), household=True, filing_status="",
                                commissioned_on=None)
    with pytest.raises(FacadeError, match="备案状态须为"):
        ctl.update_ledger_facts(g.id, li, household=True, filing_status="备案中", commissioned_on=None)
    with pytest.raises(FacadeError, match="no instrument 999"):
        ctl.update_ledger_facts(999, li, household=True, filing_status="", commissioned_on=None)
    row = ctl.update_ledger_facts(g.id, li, household=False, filing_status="未备案", commissioned_on=date(2025, 6, 1))
    assert (row.household, row.filing_status, row.commissioned_on) == (False, "未备案", date(2025, 6, 1))
