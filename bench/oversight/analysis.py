"""The analysis report: verification results by brand and model — pass rate, error statistics and the
error distribution of each group's main error item (``[analysis]`` in oversight_rules.toml)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from bench.categories import canonical_category
from bench.oversight.rules import RULES, in_scope
from bench.standing import Verification, verifications
from bench.store import Store


@dataclass(frozen=True)
class AnalysisGroup:
    """Results of one brand + model: verifications, passes and the statistics of the main error
    item (the instrument's error: its largest |error| over the test points)."""

    manufacturer: str
    model: str
    category: str
    item: str
    unit: str
    count: int
    passed: int
    errors: tuple[float, ...]
    mpe: float | None

    @property
    def pass_rate(self) -> float:
        """Passed / verified (0 when none)."""
        return self.passed / self.count if self.count else 0.0

    @property
    def mean(self) -> float | None:
        """Mean signed error."""
        return float(np.mean(self.errors)) if self.errors else None

    @property
    def std(self) -> float | None:
        """Sample standard deviation (n − 1) of the signed errors; None below two values."""
        return float(np.std(self.errors, ddof=1)) if len(self.errors) >= 2 else None

    @property
    def mean_abs(self) -> float | None:
        """Mean |error|."""
        return float(np.mean(np.abs(self.errors))) if self.errors else None

    @property
    def max_abs(self) -> float | None:
        """Largest |error|."""
        return float(np.max(np.abs(self.errors))) if self.errors else None


@dataclass(frozen=True)
class AnalysisReport:
    """The analysis report: the groups and the common histogram bin edges."""

    start: date
    end: date
    scope: str
    groups: tuple[AnalysisGroup, ...]
    edges: tuple[float, ...]

    def histogram(self, group: AnalysisGroup) -> tuple[int, ...]:
        """Counts of the group's errors in the report's bins."""
        if not self.edges:
            return ()
        counts, _ = np.histogram(np.clip(group.errors, self.edges[0], self.edges[-1]), bins=np.array(self.edges))
        return tuple(int(c) for c in counts)


def main_error(v: Verification) -> tuple[str, float, float | None, str] | None:
    """The main error of a verification: (item name, signed error, its MPE, unit) of the result of
    the regulation's main item with the largest |mean| (this position's results and the run's)."""
    key = RULES["analysis"]["main_item"].get(v.regulation)
    if not key or not v.record:
        return None
    best: tuple[str, float, float | None, str] | None = None
    for item in v.record.get("items", []):
        if item.get("key") != key:
            continue
        for r in item.get("results", []):
            if r.get("position") not in (None, v.position) or r.get("mean") is None:
                continue
            mean = float(r["mean"])
            if isinstance(mean, float) and math.isnan(mean):
                continue
            if best is None or abs(mean) > abs(best[1]):
                best = (str(item.get("name", key)), mean, r.get("mpe"), str(r.get("unit", "")))
    return best


def analysis(store: Store, start: date, end: date, *, instrument_ids: Iterable[int] | None = None,
             categories: Iterable[str] | None = None, division: str | None = None, client: str | None = None,
             scope: str = "", bins: int | None = None) -> AnalysisReport:
    """Group the verifications of ``start`` … ``end`` (of ``instrument_ids`` only — a sampling plan's
    items — when given) by category, manufacturer and model (errors of different kinds of instrument
    never share a group): counts, passes, the main error of each."""
    ids = set(instrument_ids) if instrument_ids is not None else None
    cats = {canonical_category(c) for c in categories} if categories else None
    insts = {i.id: i for i in store.instruments() if in_scope(i, division, client)}
    acc: dict[tuple[str, str], dict[str, Any]] = {}
    for v in verifications(store):
        inst = insts.get(v.instrument_id)
        if inst is None or not start <= v.verified_on <= end or (ids is not None and v.instrument_id not in ids):
            continue
        cat = canonical_category(inst.category)
        if cats is not None and cat not in cats:
            continue
        g = acc.setdefault((cat, inst.manufacturer, inst.model), {"count": 0, "passed": 0, "errors": [],
                                                                  "mpe": None, "item": "", "unit": ""})
        g["count"] += 1
        g["passed"] += int(v.passed)
        err = main_error(v)
        if err is not None:
            g["item"], g["unit"] = g["item"] or err[0], g["unit"] or err[3]
            g["errors"].append(err[1])
            if err[2] is not None:
                g["mpe"] = max(float(err[2]), g["mpe"] or 0.0)
    groups = tuple(AnalysisGroup(k[1], k[2], k[0], g["item"], g["unit"], g["count"], g["passed"],
                                 tuple(g["errors"]), g["mpe"]) for k, g in sorted(acc.items()))
    nbins = int(RULES["analysis"]["bins"] if bins is None else bins)
    limit = max([abs(e) for g in groups for e in g.errors] + [g.mpe or 0.0 for g in groups], default=0.0)
    edges = tuple(float(x) for x in np.linspace(-limit, limit, nbins + 1)) if limit > 0 else ()
    return AnalysisReport(start, end, scope or "全部检定 (all verifications)", groups, edges)


