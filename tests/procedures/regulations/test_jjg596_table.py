"""The JJG 596 data table loads and its MPE rows answer through MpeTable as the regulation reads."""

import pytest

from procedures.metrology import MpeTable
from procedures.regulations.tables import load_table


@pytest.fixture(scope="module")
def table() -> dict:
    return load_table("jjg596")


def _mpe(table: dict, cls: str, pf: str, current: float) -> float:
    rows = [{"pf": r["pf"], "current_min": r["current_min"], "current_max": r["current_max"],
             "mpe": r[f"class_{cls}"]} for r in table["basic_error"]["mpe"]]
    matches = [r for r in rows if pf in r["pf"].split("|")]
    return MpeTable([{**r, "pf": pf} for r in matches]).lookup(pf=pf, current=current)


@pytest.mark.parametrize(("cls", "pf", "current", "mpe"), [
    ("1", "1", 0.05, 1.5), ("1", "1", 0.1, 1.0), ("1", "1", 6.0, 1.0), ("2", "1", 0.05, 2.5),
    ("1", "0.5L", 0.1, 1.5), ("1", "0.5L", 0.2, 1.0), ("2", "0.8C", 0.1, 2.5), ("2", "0.8C", 1.0, 2.0),
])
def test_mpe_rows(table: dict, cls: str, pf: str, current: float, mpe: float) -> None:
    assert _mpe(table, cls, pf, current) == mpe


def test_rounding_is_a_tenth_of_the_class(table: dict) -> None:
    assert table["basic_error"]["rounding"] == {"0.2S": "0.02", "0.5S": "0.05", "1": "0.1", "2": "0.2"}
    assert table["daily_clock"]["limit_s_per_day"] == 0.5 and table["daily_clock"]["rounding"] == "0.01"
