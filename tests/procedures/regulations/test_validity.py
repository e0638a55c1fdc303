"""Which validity rule each regulation table gives an instrument — a verification period (有效期至) or a
service life (使用期限至, 首次检定、限期使用、到期更换) — and its end date, worked by hand; the rules are
the tables' [period] sections read by procedures/regulations/validity.py alone."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from procedures.regulations.tables import load_table
from procedures.regulations.validity import (
    PERIOD,
    SERVICE_LIFE,
    ValidityRule,
    instrument_facts,
    normalised_class,
    validity_rule,
)


def _rule(table: str, cls: str, params: dict[str, Any] | None = None, **ledger: Any) -> ValidityRule:
    return validity_rule(load_table(table)["period"], instrument_facts(cls, params or {}, **ledger))


@pytest.mark.parametrize(("table", "cls", "params", "ledger", "kind", "years", "months"), [
    ("jjg1148", "2", {}, {}, PERIOD, 3, 0),                                      # chargers: 3 years
    ("jjg1149", "1", {}, {}, PERIOD, 3, 0),
    ("jjg443", "0.3", {}, {}, PERIOD, 0, 6),                                     # dispensers: 6 months
    ("jjg162", "2", {"dn_mm": 15, "q3_m3_h": 2.5}, {}, SERVICE_LIFE, 6, 0),      # DN ≤ 25, Q3 ≤ 16
    ("jjg162", "2", {"dn_mm": 25, "q3_m3_h": 16.0}, {}, SERVICE_LIFE, 6, 0),     # both bounds inclusive
    ("jjg162", "2", {"dn_mm": 40, "q3_m3_h": 10.0}, {}, SERVICE_LIFE, 4, 0),     # 25 < DN ≤ 50
    ("jjg162", "2", {"dn_mm": 50, "q3_m3_h": 25.0}, {}, PERIOD, 2, 0),           # Q3 > 16: periodic
    ("jjg162", "1", {"dn_mm": 80, "q3_m3_h": 63.0}, {}, PERIOD, 2, 0),           # DN > 50: periodic
    ("jjg162", "2", {}, {}, SERVICE_LIFE, 6, 0),                                 # nothing on the ledger: DN 15 assumed
    ("jjg577", "1.5", {"qmax_m3_h": 2.5, "gas_kind": "natural_gas"}, {"use": "贸易结算"}, SERVICE_LIFE, 10, 0),
    ("jjg577", "1.5", {"qmax_m3_h": 6.0, "gas_kind": "lpg"}, {"use": "贸易结算"}, SERVICE_LIFE, 6, 0),
    ("jjg577", "1.5", {"qmax_m3_h": 10.0, "gas_kind": "manufactured_gas"}, {"use": "贸易结算"}, SERVICE_LIFE, 6, 0),
    ("jjg577", "1.5", {"qmax_m3_h": 16.0, "gas_kind": "natural_gas"}, {"use": "贸易结算"}, PERIOD, 3, 0),  # large
    ("jjg577", "1.5", {"qmax_m3_h": 4.0, "gas_kind": "natural_gas"}, {"use": "安全防护"}, PERIOD, 3, 0),  # not trade
    ("jjg596", "2", {"connection": "single_phase"}, {}, SERVICE_LIFE, 8, 0),     # household: rotation
    ("jjg596", "0.5S", {"connection": "single_phase"}, {}, SERVICE_LIFE, 6, 0),
    ("jjg596", "1", {"connection": "three_phase_4w"}, {}, PERIOD, 8, 0),         # three-phase: periodic
    ("jjg596", "0.2S", {"connection": "three_phase_3w"}, {}, PERIOD, 6, 0),
    ("jjg596", "1级", {}, {}, SERVICE_LIFE, 8, 0),                                # "1级" is class 1; single-phase assumed
])
def test_each_table_gives_its_rule(table: str, cls: str, params: dict[str, Any], ledger: dict[str, Any], kind: str,
                                   years: int, months: int) -> None:
    rule = _rule(table, cls, params, **ledger)
    assert (rule.kind, rule.years, rule.months) == (kind, years, months)
    assert rule.source  # every rule names where it was read and its confidence (never printed)
    assert "[" not in rule.clause and "OPEN" not in rule.clause and "[" not in rule.text  # printable only
    assert rule.service_life == (kind == SERVICE_LIFE)


def test_end_dates_by_hand() -> None:
    # JJG 1148: 2026-11-23 + 3 years, through the day before → 2029-11-22.
    assert _rule("jjg1148", "2").until(date(2026, 11, 23)) == date(2029, 11, 22)
    # JJG 443: 31 August + 6 months → 28 February (clamped), the day before → 27 February.
    assert _rule("jjg443", "0.3").until(date(2026, 8, 31)) == date(2027, 2, 27)
    # JJG 596 class 1 three-phase: 8 years; 0.5S: 6 years.
    assert _rule("jjg596", "1", {"connection": "three_phase_4w"}).until(date(2026, 12, 4)) == date(2034, 12, 3)
    assert _rule("jjg596", "0.5S", {"connection": "three_phase_4w"}).until(date(2026, 12, 4)) == date(2032, 12, 3)
    # JJG 577 LPG: 6 years from 2026-03-01 → 2032-02-29 (a leap day).
    assert _rule("jjg577", "1.5", {"gas_kind": "lpg"}, use="贸易结算").until(date(2026, 3, 1)) == date(2032, 2, 29)


def test_a_service_life_runs_from_the_first_verification() -> None:
    water = _rule("jjg162", "2", {"dn_mm": 15, "q3_m3_h": 2.5})
    assert water.basis(date(2025, 6, 1), date(2021, 3, 10)) == date(2021, 3, 10)
    assert water.until(date(2021, 3, 10)) == date(2027, 3, 9)
    assert water.basis(date(2025, 6, 1), None) is None  # first verification unknown: the end is unknown
    charger = _rule("jjg1148", "2")
    assert charger.basis(date(2025, 6, 1), date(2021, 3, 10)) == date(2025, 6, 1)  # a period: from each one


def test_rule_text_names_the_kind_and_clause() -> None:
    water = _rule("jjg162", "2", {"dn_mm": 15, "q3_m3_h": 2.5})
    assert water.text.startswith("使用期限 6 年，到期更换") and "JJG 162-2019" in water.text and "6 年" in water.note
    assert _rule("jjg443", "0.3").text.startswith("检定周期 6 个月")


def test_a_class_missing_from_the_table_is_named() -> None:
    with pytest.raises(ValueError, match="'3'"):
        _rule("jjg596", "3", {"connection": "three_phase_4w"})


def test_a_fact_neither_on_the_ledger_nor_assumed_is_named() -> None:
    period = {"kind": "period", "years": 2, "rules": [{"when": {"dn_mm": {"max": 25}}, "kind": "service_life",
                                                       "years": 6}]}
    with pytest.raises(ValueError, match="dn_mm"):
        validity_rule(period, instrument_facts("2"))
    with pytest.raises(ValueError, match="not a number"):
        validity_rule(period, instrument_facts("2", {"dn_mm": "large"}))
    assert validity_rule(period, instrument_facts("2", {"dn_mm": 20})).years == 6


def test_bounds_inclusive_and_exclusive() -> None:
    period = {"years": 1, "rules": [{"when": {"x": {"above": 10, "max": 20}}, "years": 5},
                                    {"when": {"x": {"min": 20}}, "years": 7}]}
    years = [validity_rule(period, instrument_facts("", {"x": x})).years for x in (10, 10.5, 20, 20.5)]
    assert years == [1, 5, 5, 7]
    with pytest.raises(ValueError, match="unknown bound"):
        validity_rule({"rules": [{"when": {"x": {"upto": 1}}}]}, instrument_facts("", {"x": 0}))


def test_class_normalised() -> None:
    assert [normalised_class(c) for c in ("1级", "Class 0.5S", " 2 ", "")] == ["1", "0.5S", "2", ""]
