"""How long a verified instrument may be used: a verification period (检定周期 → 有效期至) or a service
life (首次检定、限期使用、到期更换 → 使用期限至), chosen by its regulation table's ``[period]`` for the
instrument's ledger facts. The one reading of those tables: the controller (the document's line),
the oversight reports (超期未检, 到期未轮换) and the ledger export all call :func:`validity_rule`.

A table's ``[period]`` is the default rule; ``[[period.rules]]`` entries, tried in order, replace it
for the instruments their ``when`` holds (procedures/regulations/data/*.toml)::

    [period]
    kind = "period"                  # or "service_life"
    years = 2                        # or by accuracy class: { "1" = 8, "0.5S" = 6 }
    months = 0
    inclusive_end = true             # valid through the day before the anniversary
    clause = "…"                     # printed: the regulation (and clause number) the rule follows, no source notes
    clause_source = "…"              # provenance and confidence tag, never printed
    assume = { dn_mm = 15.0 }        # a fact the ledger lacks is taken as this (with its reason)

    [[period.rules]]
    when = { dn_mm = { max = 25.0 }, q3_m3_h = { max = 16.0 } }   # numbers: max/min (inclusive),
    kind = "service_life"                                         # below/above (exclusive); text:
    years = 6                                                     # equal, or one of a list
    clause = "…"
    note = "…"

A service life runs from the instrument's first verification and a later verification does not
extend it (JJG 162-2019, JJG 577-2012 "只作首次检定，到期更换"); a period runs from each verification.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from procedures.regulations.common import valid_until

__all__ = ["PERIOD", "SERVICE_LIFE", "ValidityRule", "instrument_facts", "normalised_class", "validity_rule"]

PERIOD = "period"
SERVICE_LIFE = "service_life"


def normalised_class(text: str) -> str:
    """Accuracy class as the tables key it: "1级" → "1", "Class 0.5S" → "0.5S"."""
    out = str(text or "").replace("级", "").strip()
    for prefix in ("Class", "class"):
        out = out.removeprefix(prefix).strip()
    return out


def instrument_facts(accuracy_class: str, params: Mapping[str, Any] | None = None, **ledger: Any) -> dict[str, Any]:
    """The facts a ``when`` may test: the ledger row's technical parameters (dn_mm, q3_m3_h,
    qmax_m3_h, gas_kind, connection, …), its ledger fields given (use, category, …; empty ones left
    out) and its accuracy class, normalised."""
    facts: dict[str, Any] = dict(params or {})
    facts.update({k: v for k, v in ledger.items() if v not in (None, "")})
    facts["accuracy_class"] = normalised_class(accuracy_class)
    return facts


@dataclass(frozen=True)
class ValidityRule:
    """The rule that applies to one instrument: a period or a service life of ``years`` and
    ``months``, the regulation's clause and a note in words."""

    kind: str  # period | service_life
    years: int
    months: int
    inclusive_end: bool
    clause: str  # printed: the regulation (and clause number) the rule follows; "" when OPEN
    note: str = ""
    source: str = ""  # where the rule was read and its confidence ([R sec.], [M], OPEN): never printed

    @property
    def service_life(self) -> bool:
        """True for 首次检定、限期使用、到期更换: no subsequent verification renews it."""
        return self.kind == SERVICE_LIFE

    @property
    def span(self) -> str:
        """The length in words: "6 年", "6 个月", "1 年 6 个月"."""
        parts = [f"{self.years} 年" if self.years else "", f"{self.months} 个月" if self.months else ""]
        return " ".join(p for p in parts if p) or "0"

    @property
    def text(self) -> str:
        """The rule as a document or a report states it, with its clause."""
        head = (f"使用期限 {self.span}，到期更换 (service life, replaced when due)" if self.service_life
                else f"检定周期 {self.span} (verification period)")
        tail = "；".join(t for t in (self.note, self.clause) if t)
        return f"{head}：{tail}" if tail else head

    def basis(self, verified_on: date, first_verified_on: date | None) -> date | None:
        """The date the validity runs from: a period from this verification (``verified_on``); a
        service life from the instrument's first verification (``first_verified_on``; None when that
        date is not known — then the end of the service life is not known either)."""
        return first_verified_on if self.service_life else verified_on

    def until(self, basis: date) -> date:
        """The end of validity (有效期至) or of the service life (使用期限至) counted from ``basis``
        (the day before the anniversary when ``inclusive_end``)."""
        return valid_until(basis, self.years, self.inclusive_end, months=self.months)


def _holds(key: str, condition: Any, facts: Mapping[str, Any]) -> bool:
    if key not in facts:
        raise ValueError(f"台账缺少 {key}，无法确定检定周期或使用期限 (the ledger lacks {key}, which the regulation "
                         f"table's [period] rules need)")
    value = facts[key]
    if isinstance(condition, Mapping):
        try:
            x = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{key} = {value!r} 不是数值 (not a number; the [period] rule compares it)") from None
        checks = {"max": x <= float(condition.get("max", x)), "min": x >= float(condition.get("min", x)),
                  "below": "below" not in condition or x < float(condition["below"]),
                  "above": "above" not in condition or x > float(condition["above"])}
        unknown = set(condition) - set(checks)
        if unknown:
            raise ValueError(f"[period] rule on {key}: unknown bound(s) {sorted(unknown)}; use max, min, below, above")
        return all(checks.values())
    if isinstance(condition, list):
        return str(value) in {str(c) for c in condition}
    return str(value) == str(condition)


def _years(spec: Mapping[str, Any], facts: Mapping[str, Any]) -> int:
    years = spec.get("years", 0)
    if isinstance(years, Mapping):
        cls = str(facts.get("accuracy_class", ""))
        if cls not in years:
            raise ValueError(f"[period] years has no entry for accuracy class {cls!r}; known: {sorted(years)}")
        years = years[cls]
    return int(years)


def validity_rule(period: Mapping[str, Any], facts: Mapping[str, Any]) -> ValidityRule:
    """The rule of a regulation table's ``period`` section for an instrument with ``facts``
    (:func:`instrument_facts`): the first of ``[[period.rules]]`` whose ``when`` holds, else the
    section's own rule. A fact a ``when`` tests that the ledger lacks is taken from ``assume``; with
    no assumption either, ValueError names it (a rule is never guessed)."""
    known = {**period.get("assume", {}), **facts}
    spec: Mapping[str, Any] = period
    for rule in period.get("rules", []):
        if all(_holds(k, c, known) for k, c in rule.get("when", {}).items()):
            spec = rule
            break
    kind = str(spec.get("kind", PERIOD))
    if kind not in (PERIOD, SERVICE_LIFE):
        raise ValueError(f"[period] kind must be {PERIOD!r} or {SERVICE_LIFE!r}, got {kind!r}")
    return ValidityRule(kind=kind, years=_years(spec, known), months=int(spec.get("months", 0)),
                        inclusive_end=bool(spec.get("inclusive_end", period.get("inclusive_end", True))),
                        clause=str(spec.get("clause", period.get("clause", ""))), note=str(spec.get("note", "")),
                        source=str(spec.get("clause_source", period.get("clause_source", ""))))
