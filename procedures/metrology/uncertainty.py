"""GUM uncertainty budgets, JJF 1059.1-2012 / JCGM 100 (GUM) (regulations.md §8).

Clause numbers below are those of the GUM (JCGM 100:2008), which JJF 1059.1 adopts.

Components are uncorrelated; each is a half-width (type B) or a standard uncertainty, turned into a
standard uncertainty by its distribution's divisor and weighted by its sensitivity coefficient.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from typing import Any, Literal

from .rounding import DecimalLike, to_decimal

Distribution = Literal["normal", "rectangular", "triangular", "u-shaped", "standard"]
EvaluationType = Literal["A", "B"]

_DIVISORS: dict[str, float] = {
    "rectangular": math.sqrt(3),
    "triangular": math.sqrt(6),
    "u-shaped": math.sqrt(2),
    "standard": 1.0,
}


@dataclass(frozen=True)
class UncertaintyComponent:
    """One input of a JJF 1059.1 budget.

    ``value`` is the half-width ``a`` of the distribution, an expanded uncertainty ``U`` with its
    coverage factor ``k`` (``'normal'``), or already a standard uncertainty (``'standard'``). Divisors:
    normal k, rectangular √3, triangular √6, U-shaped √2, standard 1 (JJF 1059.1 type B;
    GUM 4.3.3, 4.3.7, 4.3.9).
    ``sensitivity`` is the coefficient c_i; ``dof`` the degrees of freedom (None = infinite).
    """

    name: str
    value: float
    distribution: Distribution = "standard"
    k: float | None = None
    sensitivity: float = 1.0
    type: EvaluationType = "B"
    dof: float | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.value) and self.value >= 0):
            raise ValueError(f"{self.name}: value must be a finite number >= 0, got {self.value!r}")
        if self.distribution == "normal":
            if self.k is None or not self.k > 0:
                raise ValueError(f"{self.name}: a 'normal' component needs a coverage factor k > 0")
        elif self.distribution not in _DIVISORS:
            raise ValueError(f"{self.name}: unknown distribution {self.distribution!r}; "
                             f"expected one of {['normal', *_DIVISORS]}")
        elif self.k is not None:
            raise ValueError(f"{self.name}: a coverage factor k applies only to a 'normal' component")
        if self.type not in ("A", "B"):
            raise ValueError(f"{self.name}: type must be 'A' or 'B', got {self.type!r}")
        if self.dof is not None and not self.dof > 0:
            raise ValueError(f"{self.name}: degrees of freedom must be > 0, got {self.dof!r}")

    @property
    def divisor(self) -> float:
        """Divisor turning ``value`` into a standard uncertainty (k for normal)."""
        if self.distribution == "normal" and self.k is not None:
            return float(self.k)
        return _DIVISORS[self.distribution]

    @property
    def standard_uncertainty(self) -> float:
        """Standard uncertainty u(x_i) = value / divisor (JJF 1059.1; GUM 4.3)."""
        return self.value / self.divisor

    @property
    def contribution(self) -> float:
        """Uncertainty contribution u_i(y) = |c_i|·u(x_i) (JJF 1059.1; GUM 5.1.3)."""
        return abs(self.sensitivity) * self.standard_uncertainty


def combined_standard_uncertainty(components: Iterable[UncertaintyComponent]) -> float:
    """Combined standard uncertainty u_c = sqrt(Σ (c_i·u_i)²) for uncorrelated inputs (JJF 1059.1; GUM 5.1.2).

    Raises ``ValueError`` for an empty budget.
    """
    items = list(components)
    if not items:
        raise ValueError("an uncertainty budget needs at least one component")
    return math.sqrt(sum(c.contribution**2 for c in items))


def expanded_uncertainty(uc: float, k: float = 2.0) -> float:
    """Expanded uncertainty U = k·u_c (JJF 1059.1; GUM 6.2; k = 2 for about 95 % coverage)."""
    if not (uc >= 0 and k > 0):
        raise ValueError(f"need uc >= 0 and k > 0, got uc={uc!r}, k={k!r}")
    return k * uc


def type_a_of_mean(s: float, n: int) -> float:
    """Type A standard uncertainty of a result that is the mean of ``n`` readings, s/√n.

    JJF 1059.1 type A evaluation (GUM 4.2.3). ``s`` is the experimental standard deviation of a
    single reading (e.g. from a prior series of 10).
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if not s >= 0:
        raise ValueError(f"s must be >= 0, got {s!r}")
    return s / math.sqrt(n)


def rounding_component(interval: DecimalLike, name: str = "rounding") -> UncertaintyComponent:
    """Component for rounding (化整) to ``interval`` q: rectangular half-width q/2, so u = q/(2√3).

    regulations.md §8 (rounding term of the DC-meter budget; JJF 1059.1 rectangular type B).
    """
    return UncertaintyComponent(name, _positive(interval, "interval") / 2, "rectangular")


def resolution_component(resolution: DecimalLike, name: str = "resolution") -> UncertaintyComponent:
    """Component for a display resolution δx: rectangular half-width δx/2, so u = δx/(2√3).

    JJF 1059.1 type B evaluation of a finite resolution (GUM F.2.2.1).
    """
    return UncertaintyComponent(name, _positive(resolution, "resolution") / 2, "rectangular")


@dataclass(frozen=True)
class UncertaintyBudget:
    """An uncorrelated JJF 1059.1 budget: components, u_c, U and the table for the 原始记录."""

    components: tuple[UncertaintyComponent, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        object.__setattr__(self, "components", tuple(self.components))

    def add(self, component: UncertaintyComponent) -> UncertaintyBudget:
        """A new budget with ``component`` appended (budgets are immutable)."""
        return UncertaintyBudget((*self.components, component))

    @property
    def uc(self) -> float:
        """Combined standard uncertainty (:func:`combined_standard_uncertainty`)."""
        return combined_standard_uncertainty(self.components)

    def expanded(self, k: float = 2.0) -> float:
        """Expanded uncertainty U = k·u_c (:func:`expanded_uncertainty`)."""
        return expanded_uncertainty(self.uc, k)

    @property
    def effective_dof(self) -> float:
        """Effective degrees of freedom by Welch–Satterthwaite (JJF 1059.1; GUM G.4.1).

        ν_eff = u_c⁴ / Σ(u_i⁴/ν_i); components without ``dof`` count as infinite. ``math.inf`` when
        no component has finite degrees of freedom.
        """
        denominator = sum(c.contribution**4 / c.dof for c in self.components if c.dof is not None)
        return math.inf if denominator == 0 else self.uc**4 / denominator

    def table(self) -> list[dict[str, Any]]:
        """Record rows per component: name, type, distribution, value, divisor, u, c, |c|·u, dof."""
        return [
            {
                "name": c.name,
                "type": c.type,
                "distribution": c.distribution,
                "value": c.value,
                "divisor": c.divisor,
                "standard_uncertainty": c.standard_uncertainty,
                "sensitivity": c.sensitivity,
                "contribution": c.contribution,
                "dof": c.dof,
            }
            for c in self.components
        ]


def _positive(value: DecimalLike, name: str) -> float:
    number = to_decimal(value)
    if not number.is_finite() or number <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(number)


__all__ = [
    "Distribution",
    "EvaluationType",
    "UncertaintyBudget",
    "UncertaintyComponent",
    "combined_standard_uncertainty",
    "expanded_uncertainty",
    "resolution_component",
    "rounding_component",
    "type_a_of_mean",
]


_STATED_U = re.compile(r"U\s*(?:95)?\s*=\s*([0-9]+(?:\.[0-9]+)?)\s*%")


def stated_u95_pct(accuracy: str) -> float | None:
    """The expanded uncertainty (k=2, %) a standard's certificate states, from its ledger accuracy
    text ("U = 0.3 % (k=2)", "二等, U = 0.025 % (k=2)"); None when the text states a class or an MPE
    instead ("0.05级")."""
    m = _STATED_U.search(accuracy or "")
    return float(m.group(1)) if m else None


def uncertainty_text(u: DecimalLike, digits: int = 2) -> str:
    """An expanded uncertainty as printed: at most ``digits`` significant digits, the last one
    rounded up, never down (JJF 1059.1-2012 §5.3.8: U is given with at most two significant digits;
    rounding it up is the safe reading of its rounding rule [M]): 0.0545 → "0.055", 0.05 → "0.05",
    0.3 → "0.3"."""
    d = to_decimal(u)
    if d <= 0:
        return "0"
    exponent = d.adjusted() - digits + 1  # the place of the last kept digit
    step = Decimal(1).scaleb(exponent)
    up = (d / step).to_integral_value(rounding=ROUND_CEILING) * step
    if up.adjusted() - digits + 1 > exponent:  # 0.0999 → 0.10: one digit more than asked, drop it
        step = Decimal(1).scaleb(up.adjusted() - digits + 1)
        up = (up / step).to_integral_value(rounding=ROUND_CEILING) * step
    text = format(up.normalize(), "f")
    return text
