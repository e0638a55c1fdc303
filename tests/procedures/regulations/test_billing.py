"""付费金额误差: unit price × energy = amount within the minimum payment step, with hand-worked
values (expected amount rounded half-even to the step, exact Decimal arithmetic)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from procedures.records import Verdict
from procedures.regulations.billing import PAYMENT_STEP_YUAN, BillingResult, billing_check, expected_amount


def test_typical_session_passes() -> None:
    # 10.005 kWh × 1.2 元/kWh = 12.006 元 → 1200.6 steps → 1201 → 12.01 元
    r = billing_check("1.2", "10.005", "12.01")
    assert isinstance(r, BillingResult)
    assert r.exact_yuan == Decimal("12.006")
    assert r.expected_yuan == Decimal("12.01") and str(r.expected_yuan) == "12.01"
    assert r.difference_yuan == Decimal("0.00")
    assert r.limit_yuan == PAYMENT_STEP_YUAN == Decimal("0.01")
    assert r.verdict is Verdict.PASS and r.passed


@pytest.mark.parametrize(("amount", "difference", "verdict"), [
    ("12.00", "0.00", Verdict.PASS),
    ("12.01", "0.01", Verdict.PASS),   # one step over: still within the step
    ("11.99", "-0.01", Verdict.PASS),  # one step under
    ("12.02", "0.02", Verdict.FAIL),
    ("11.98", "-0.02", Verdict.FAIL),
])
def test_limit_is_one_payment_step_either_way(amount: str, difference: str, verdict: Verdict) -> None:
    # 10 kWh × 1.2 元/kWh = 12.00 元
    r = billing_check("1.2", "10", amount)
    assert r.expected_yuan == Decimal("12.00")
    assert r.difference_yuan == Decimal(difference)
    assert r.verdict is verdict


def test_realistic_tariff() -> None:
    # 23.457 kWh × 1.0856 元/kWh: 23.457 + 23.457 × 0.0856 (= 2.0079192) = 25.4649192 → 25.46
    assert billing_check("1.0856", "23.457", "25.47").verdict is Verdict.PASS
    r = billing_check("1.0856", "23.457", "25.48")
    assert r.exact_yuan == Decimal("25.4649192") and r.expected_yuan == Decimal("25.46")
    assert r.difference_yuan == Decimal("0.02") and r.verdict is Verdict.FAIL


@pytest.mark.parametrize(("price", "expected"), [
    ("1.25", "0.12"),  # 0.1 kWh → 0.125 元 = 12.5 steps → even 12
    ("1.35", "0.14"),  # 0.135 元 = 13.5 steps → even 14
    ("1.26", "0.13"),  # 0.126 元 = 12.6 steps → 13
])
def test_half_even_at_the_tie(price: str, expected: str) -> None:
    assert billing_check(price, "0.1", expected).expected_yuan == Decimal(expected)


@pytest.mark.parametrize(("rounding", "expected"), [
    ("half_even", "0.12"), ("half_up", "0.13"), ("down", "0.12"), ("up", "0.13"),
])
def test_rounding_is_configurable(rounding: str, expected: str) -> None:
    # 1.25 元/kWh × 0.1 kWh = 0.125 元, exactly half a step
    assert expected_amount("1.25", "0.1", "0.01", rounding) == Decimal(expected)  # type: ignore[arg-type]
    r = billing_check("1.25", "0.1", "0.13", rounding=rounding)  # type: ignore[arg-type]
    assert r.rounding == rounding and r.verdict is Verdict.PASS  # ±1 step either way


def test_down_and_up_away_from_ties() -> None:
    # 2.3 元/kWh × 1.234 kWh = 2.8382 元
    assert expected_amount("2.3", "1.234", rounding="down") == Decimal("2.83")
    assert expected_amount("2.3", "1.234", rounding="up") == Decimal("2.84")
    assert expected_amount("2.3", "1.234", rounding="half_up") == Decimal("2.84")
    assert expected_amount("2.3", "1.234") == Decimal("2.84")


def test_floats_are_taken_as_printed() -> None:
    # 0.1 × 3 is 0.30000000000000004 in binary floating point; here it is 0.3 exactly
    r = billing_check(0.1, 3, 0.3)
    assert r.exact_yuan == Decimal("0.3") and r.expected_yuan == Decimal("0.30")
    assert r.difference_yuan == 0 and r.verdict is Verdict.PASS
    # the boundary is judged exactly: 0.3 + 0.01 passes, 0.3 + 0.02 fails (no float fuzz)
    assert billing_check(0.1, 3, 0.31).verdict is Verdict.PASS
    assert billing_check(0.1, 3, 0.32).verdict is Verdict.FAIL


def test_coarser_payment_step() -> None:
    # 3.04 kWh × 1.2 元/kWh = 3.648 元 → step 0.1 元: 36.48 steps → 36 → 3.6 元
    r = billing_check("1.2", "3.04", "3.7", min_payment_step_yuan="0.1")
    assert r.expected_yuan == Decimal("3.6") and r.difference_yuan == Decimal("0.1")
    assert r.verdict is Verdict.PASS
    assert billing_check("1.2", "3.04", "3.8", min_payment_step_yuan="0.1").verdict is Verdict.FAIL


def test_zero_energy() -> None:
    r = billing_check("1.5", "0", "0")
    assert r.expected_yuan == Decimal("0.00") and r.verdict is Verdict.PASS


def test_describe_for_the_record() -> None:
    text = billing_check("1.2", "10.005", "12.02").describe()
    assert "10.005 kWh × 1.2 元/kWh = 12.006 元 → 12.01 元" in text
    assert "误差 +0.01 元" in text and "合格" in text
    assert billing_check("1.2", "10", "12.03").describe().endswith("不合格")


@pytest.mark.parametrize("kwargs", [
    {"min_payment_step_yuan": "0"},
    {"min_payment_step_yuan": "-0.01"},
    {"unit_price_yuan_per_kwh": "-1"},
    {"energy_kwh": "-0.5"},
    {"amount_yuan": "NaN"},
    {"energy_kwh": "abc"},
    {"rounding": "banker"},
])
def test_bad_inputs(kwargs: dict[str, str]) -> None:
    args: dict[str, str] = {"unit_price_yuan_per_kwh": "1.2", "energy_kwh": "1", "amount_yuan": "1.2", **kwargs}
    with pytest.raises(ValueError):
        billing_check(**args)  # type: ignore[arg-type]


def test_time_of_use_with_a_service_fee_hand_worked() -> None:
    # 谷 0.213 kWh × 0.4 = 0.0852; 峰 0.301 kWh × 1.2 = 0.3612; fee 0.514 kWh × 0.6 = 0.3084
    # Σ = 0.7548 元 → 0.75 (half-even to 0.01); displayed 0.76 → +0.01 → pass; 0.77 → +0.02 → fail
    from procedures.regulations.billing import tou_billing_check

    ok = tou_billing_check([("0.213", "0.4"), ("0.301", "1.2")], "0.76", service_fee_yuan_per_kwh="0.6")
    assert ok.exact_yuan == Decimal("0.7548") and ok.expected_yuan == Decimal("0.75")
    assert ok.energy_kwh == Decimal("0.514") and ok.difference_yuan == Decimal("0.01") and ok.verdict is Verdict.PASS
    bad = tou_billing_check([("0.213", "0.4"), ("0.301", "1.2")], "0.77", service_fee_yuan_per_kwh="0.6")
    assert bad.difference_yuan == Decimal("0.02") and bad.verdict is Verdict.FAIL
    assert "0.213 kWh × 0.4 元/kWh + 0.301 kWh × 1.2 元/kWh" in ok.describe() and "服务费" in ok.describe()


def test_one_period_without_fee_is_the_flat_check() -> None:
    from procedures.regulations.billing import tou_billing_check

    flat = billing_check("1.2", "10.005", "12.01")
    tou = tou_billing_check([("10.005", "1.2")], "12.01")
    assert (flat.expected_yuan, flat.difference_yuan, flat.verdict) == (tou.expected_yuan, tou.difference_yuan, tou.verdict)


@pytest.mark.parametrize("periods", [[], [("1", "-0.1")], [("nan", "1")]])
def test_time_of_use_refuses_bad_periods(periods: list[tuple[str, str]]) -> None:
    from procedures.regulations.billing import tou_billing_check

    with pytest.raises(ValueError):
        tou_billing_check(periods, "1.00")
