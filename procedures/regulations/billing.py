"""付费金额误差 — the billing check: unit price × energy = amount, within the minimum payment step.

Source. JJG 1148-2018 and JJG 1149-2018 (AC posts, DC off-board chargers) list 付费金额误差 (payment
amount error) as a verification item; the 2022 editions dropped it as a separate item
(regulations.md §1, §2; chinesestandard.net tables of contents). The clause text was not available.
The rule implemented is vendor practice (SaiTer ATE, class ``ErrorPayment_GB_DC``; regulations.md
§2): ``|M_displayed − ΔE_displayed × unit price| ≤ minimum payment step``, the step being
0.01 元. It is what ``jjg1148.py``'s 付费金额误差 step applies to values read off the post.

Rounding. The expected amount is ``unit price × energy`` rounded to the payment step, half to even
(GB/T 8170 四舍六入五单双, via :func:`procedures.metrology.round_to_interval`), so that the
difference is a whole number of steps. How a post must round (half-even, half-up, or truncation in
the customer's favour) is **OPEN**: the regulation's text was not read. It is therefore a parameter
(``rounding``); with the limit of one step, any of them passes a correct post except at a tie.

All arithmetic is ``Decimal`` and exact: floats go through their shortest ``repr`` (``0.1`` stays
``0.1``), so the verdict at the limit never depends on binary rounding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_UP, Decimal, localcontext
from typing import Literal

from procedures.metrology import DecimalLike, decimals_of, round_to_interval, to_decimal
from procedures.records import Verdict

__all__ = ["PAYMENT_STEP_YUAN", "BillingResult", "Rounding", "billing_check", "expected_amount", "tou_billing_check"]

Rounding = Literal["half_even", "half_up", "down", "up"]
"""How the expected amount is rounded to the payment step: ``half_even`` (GB/T 8170, default),
``half_up`` (四舍五入), ``down`` (toward zero: 舍去, in the customer's favour), ``up`` (away from
zero: 进一)."""

PAYMENT_STEP_YUAN = Decimal("0.01")
"""The minimum payment step (最小付费变量) usual in practice, 0.01 元 (regulations.md §2)."""

_MODES = {"half_up": ROUND_HALF_UP, "down": ROUND_DOWN}


@dataclass(frozen=True)
class BillingResult:
    """One billing check: the inputs, ``exact_yuan`` = price × energy unrounded, ``expected_yuan``
    rounded to the step, ``difference_yuan`` = amount − expected (signed: positive means the post
    charged more), ``limit_yuan`` the minimum payment step, and the verdict (pass when
    ``|difference| ≤ limit``). Under time-of-use billing ``periods`` holds each period's (energy,
    price) and ``service_fee_yuan_per_kwh`` the separate service fee; ``energy_kwh`` is then their
    total and ``unit_price_yuan_per_kwh`` the average price (exact / energy)."""

    unit_price_yuan_per_kwh: Decimal
    energy_kwh: Decimal
    amount_yuan: Decimal
    exact_yuan: Decimal
    expected_yuan: Decimal
    difference_yuan: Decimal
    limit_yuan: Decimal
    verdict: Verdict
    rounding: Rounding = "half_even"
    periods: tuple[tuple[Decimal, Decimal], ...] = ()
    service_fee_yuan_per_kwh: Decimal = Decimal(0)

    @property
    def passed(self) -> bool:
        """True when the verdict is pass."""
        return self.verdict is Verdict.PASS

    def describe(self) -> str:
        """One line for the original record (原始记录): the computation and the verdict."""
        sign = "+" if self.difference_yuan > 0 else ""
        if len(self.periods) > 1 or self.service_fee_yuan_per_kwh:
            terms = " + ".join(f"{e} kWh × {p} 元/kWh" for e, p in self.periods)
            fee = f" + {self.energy_kwh} kWh × {self.service_fee_yuan_per_kwh} 元/kWh (服务费)" \
                if self.service_fee_yuan_per_kwh else ""
            return (f"{terms}{fee} = {_plain(self.exact_yuan)} 元 → {self.expected_yuan} 元; 显示 {self.amount_yuan} 元, "
                    f"误差 {sign}{self.difference_yuan} 元 (限 ±{self.limit_yuan} 元): {self.verdict.zh}")
        return (f"{self.energy_kwh} kWh × {self.unit_price_yuan_per_kwh} 元/kWh = {_plain(self.exact_yuan)} 元 → "
                f"{self.expected_yuan} 元; 显示 {self.amount_yuan} 元, 误差 {sign}{self.difference_yuan} 元 "
                f"(限 ±{self.limit_yuan} 元): {self.verdict.zh}")


def _plain(value: Decimal) -> str:
    """``12.0060`` → ``'12.006'``, ``1.2E+1`` → ``'12'``: the number without trailing zeros or exponent."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _product(a: Decimal, b: Decimal) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = max(28, len(a.as_tuple().digits) + len(b.as_tuple().digits) + 2)
        return a * b


def expected_amount(unit_price_yuan_per_kwh: DecimalLike, energy_kwh: DecimalLike,
                    payment_step_yuan: DecimalLike = PAYMENT_STEP_YUAN, rounding: Rounding = "half_even") -> Decimal:
    """``unit price × energy`` rounded to the payment step with the chosen ``rounding``.

    Why a separate function: the twins and reports show the amount a correct post would display.
    """
    return _rounded(_product(to_decimal(unit_price_yuan_per_kwh), to_decimal(energy_kwh)), payment_step_yuan, rounding)


def _rounded(exact: Decimal, payment_step_yuan: DecimalLike, rounding: Rounding) -> Decimal:
    """An exact amount rounded to the payment step with the chosen ``rounding``."""
    step = to_decimal(payment_step_yuan)
    if rounding == "half_even":
        return round_to_interval(exact, step)
    if not step.is_finite() or step <= 0:
        raise ValueError(f"payment step must be a positive number, got {payment_step_yuan!r}")
    if rounding in _MODES:
        mode = _MODES[rounding]
    elif rounding == "up":
        mode = ROUND_CEILING if exact >= 0 else ROUND_FLOOR
    else:
        raise ValueError(f"rounding {rounding!r} unknown; choose half_even, half_up, down or up")
    with localcontext() as ctx:
        ctx.prec = max(28, len(exact.as_tuple().digits) + 4)
        n = (exact / step).quantize(Decimal(1), rounding=mode)
        return (n * step).quantize(Decimal(1).scaleb(-decimals_of(step)))


def billing_check(
    unit_price_yuan_per_kwh: DecimalLike,
    energy_kwh: DecimalLike,
    amount_yuan: DecimalLike,
    min_payment_step_yuan: DecimalLike = PAYMENT_STEP_YUAN,
    *,
    rounding: Rounding = "half_even",
) -> BillingResult:
    """付费金额误差: is the displayed ``amount_yuan`` equal to ``unit price × energy`` within the
    minimum payment step (JJG 1148/1149-2018 practice, module docstring)?

    ``energy_kwh`` is the session energy the post displays, ``unit_price_yuan_per_kwh`` its
    displayed price. The expected amount is rounded to the step (``rounding``, half-even by
    default: OPEN, see module docstring); ``difference = amount − expected``; pass when
    ``|difference| ≤ step``. Raises ``ValueError`` for a non-positive step, a negative price or
    energy, or a non-finite input.
    """
    return tou_billing_check([(energy_kwh, unit_price_yuan_per_kwh)], amount_yuan, min_payment_step_yuan,
                             rounding=rounding)


def tou_billing_check(
    periods: Sequence[tuple[DecimalLike, DecimalLike]],
    amount_yuan: DecimalLike,
    min_payment_step_yuan: DecimalLike = PAYMENT_STEP_YUAN,
    *,
    service_fee_yuan_per_kwh: DecimalLike = 0,
    rounding: Rounding = "half_even",
) -> BillingResult:
    """付费金额误差 under time-of-use tariffs and a separate service fee (issue 11 / JJG 1148-2018
    practice): ``expected = Σ Eᵢ·Pᵢ + fee × Σ Eᵢ`` over the tariff periods the session spanned
    (each period's energy ``Eᵢ`` and price ``Pᵢ`` as the post shows them), rounded to the payment
    step; pass when ``|amount − expected| ≤ step``. One period and no fee is :func:`billing_check`.
    Raises ``ValueError`` for no period, a non-positive step, a negative price, energy or fee, or a
    non-finite input."""
    if not periods:
        raise ValueError("at least one tariff period (energy, price) is needed")
    pairs = [(to_decimal(e), to_decimal(p)) for e, p in periods]
    amount = to_decimal(amount_yuan)
    step = to_decimal(min_payment_step_yuan)
    fee = to_decimal(service_fee_yuan_per_kwh)
    values = [("amount", amount), ("payment step", step), ("service fee", fee)]
    values += [(f"period {i + 1} {what}", v) for i, (e, p) in enumerate(pairs) for what, v in (("energy", e), ("unit price", p))]
    for name, v in values:
        if not v.is_finite():
            raise ValueError(f"{name} must be a finite number, got {v}")
    if step <= 0:
        raise ValueError(f"minimum payment step must be positive, got {step}")
    if any(e < 0 or p < 0 for e, p in pairs) or fee < 0:
        raise ValueError("unit prices, energies and the service fee must not be negative")
    energy = sum((e for e, _ in pairs), Decimal(0))
    exact = sum((_product(e, p) for e, p in pairs), Decimal(0)) + _product(fee, energy)
    expected = _rounded(exact, step, rounding)
    difference = amount - expected
    verdict = Verdict.PASS if abs(difference) <= step else Verdict.FAIL
    price = pairs[0][1] if len(pairs) == 1 else (exact - _product(fee, energy)) / energy if energy else Decimal(0)
    return BillingResult(unit_price_yuan_per_kwh=price, energy_kwh=energy, amount_yuan=amount, exact_yuan=exact,
                         expected_yuan=expected, difference_yuan=difference, limit_yuan=step, verdict=verdict,
                         rounding=rounding, periods=tuple(pairs), service_fee_yuan_per_kwh=fee)
