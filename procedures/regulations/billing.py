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

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_UP, Decimal, localcontext
from typing import Literal

from procedures.metrology import DecimalLike, decimals_of, round_to_interval, to_decimal
from procedures.records import Verdict

__all__ = ["PAYMENT_STEP_YUAN", "BillingResult", "Rounding", "billing_check", "expected_amount"]

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
    ``|difference| ≤ limit``)."""

    unit_price_yuan_per_kwh: Decimal
    energy_kwh: Decimal
    amount_yuan: Decimal
    exact_yuan: Decimal
    expected_yuan: Decimal
    difference_yuan: Decimal
    limit_yuan: Decimal
    verdict: Verdict
    rounding: Rounding = "half_even"

    @property
    def passed(self) -> bool:
        """True when the verdict is pass."""
        return self.verdict is Verdict.PASS

    def describe(self) -> str:
        """One line for the original record (原始记录): the computation and the verdict."""
        sign = "+" if self.difference_yuan > 0 else ""
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
    exact = _product(to_decimal(unit_price_yuan_per_kwh), to_decimal(energy_kwh))
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
    price = to_decimal(unit_price_yuan_per_kwh)
    energy = to_decimal(energy_kwh)
    amount = to_decimal(amount_yuan)
    step = to_decimal(min_payment_step_yuan)
    for name, v in (("unit price", price), ("energy", energy), ("amount", amount), ("payment step", step)):
        if not v.is_finite():
            raise ValueError(f"{name} must be a finite number, got {v}")
    if step <= 0:
        raise ValueError(f"minimum payment step must be positive, got {step}")
    if price < 0 or energy < 0:
        raise ValueError("unit price and energy must not be negative")
    exact = _product(price, energy)
    expected = expected_amount(price, energy, step, rounding)
    difference = amount - expected
    verdict = Verdict.PASS if abs(difference) <= step else Verdict.FAIL
    return BillingResult(unit_price_yuan_per_kwh=price, energy_kwh=energy, amount_yuan=amount, exact_yuan=exact,
                         expected_yuan=expected, difference_yuan=difference, limit_yuan=step, verdict=verdict,
                         rounding=rounding)
