"""Sampling plans (抽查方案), each reproducible from a seed (``numpy.random.default_rng(seed)``: the
same ledger, date and seed give the same plan).

- Chargers (:func:`sampling_plan`): at least 5 % of the filed chargers, every brand and model covered
  (Wuhan 2020; ``[sampling]`` in oversight_rules.toml) — one per brand + model group, the rest in
  proportion by largest remainder.
- 民用“三表” by batch (:func:`batch_plan`): a percentage of each batch (批次) of a population of household
  meters, e.g. 10 % of the first-verified, not yet installed electricity meters (Yueyang 2024) — the
  plans are data, ``sampling_plans.toml`` beside this module.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

import numpy as np

from bench.categories import canonical_category
from bench.oversight.rules import RULES, data_file, in_scope
from bench.oversight.service import ServiceLedger
from bench.standing import Verification, histories
from bench.store import Store
from bench.store.models import Instrument

PLANS: dict[str, dict[str, Any]] = {p["key"]: p for p in data_file("sampling_plans.toml")["plans"]}
"""The 三表 sampling plans by key (``sampling_plans.toml``)."""


def allocate(sizes: Sequence[int], n: int) -> list[int]:
    """Split ``n`` sample items over groups of ``sizes``: one per group, the remaining ``n - G`` in
    proportion to group size by largest remainder (Hamilton), never more than a group holds.
    Ties in the remainder go to the larger group, then the earlier one."""
    g = len(sizes)
    total = sum(sizes)
    if not g:
        return []
    if not g <= n <= total:
        raise ValueError(f"样本量 {n} 须在组数 {g} 与总数 {total} 之间 (sample size out of range)")
    rest = n - g
    quotas = [Fraction(rest * s, total) for s in sizes]
    out = [1 + math.floor(q) for q in quotas]  # floor(rest·s/total) ≤ s − 1 because rest < total
    left = n - sum(out)
    order = sorted(range(g), key=lambda i: (-(quotas[i] - math.floor(quotas[i])), -sizes[i], i))
    while left > 0:
        for i in order:
            if left and out[i] < sizes[i]:
                out[i] += 1
                left -= 1
    return out


def draw(groups: Sequence[Sequence[Instrument]], quotas: Sequence[int], seed: int) -> list[tuple[Instrument, ...]]:
    """Draw ``quotas[k]`` members of each group, groups in the order given (members in theirs), with
    ``Generator.choice`` without replacement from one ``numpy.random.default_rng(seed)``; each group's
    draw sorted by serial. The one drawing every plan uses."""
    rng = np.random.default_rng(seed)
    out = []
    for members, quota in zip(groups, quotas, strict=True):
        picked = rng.choice(len(members), size=quota, replace=False)
        out.append(tuple(sorted((members[int(j)] for j in picked), key=lambda i: i.serial)))
    return out


def _sorted_members(members: list[Instrument]) -> list[Instrument]:
    return sorted(members, key=lambda i: (i.serial, i.id or 0))


# -- chargers: every brand and model -------------------------------------------------------------------
@dataclass(frozen=True)
class SampleGroup:
    """One brand + model group of the plan: how many are filed, how many are drawn, which."""

    manufacturer: str
    model: str
    category: str
    population: int
    quota: int
    selected: tuple[Instrument, ...]


@dataclass(frozen=True)
class SamplingPlan:
    """A reproducible sampling plan: the seed, the rule and the groups with the items drawn."""

    seed: int
    rate: float
    categories: tuple[str, ...]
    population: int
    size: int
    groups: tuple[SampleGroup, ...]
    division: str | None = None
    client: str | None = None

    @property
    def selected(self) -> tuple[Instrument, ...]:
        """Every instrument drawn, group by group."""
        return tuple(i for g in self.groups for i in g.selected)

    @property
    def covers_every_group(self) -> bool:
        """True when every brand + model group has at least one item drawn."""
        return all(g.selected for g in self.groups)

    @property
    def meets_rate(self) -> bool:
        """True when the plan holds at least ``rate`` of the population."""
        return self.size >= self.rate * self.population


def sample_size(population: int, groups: int, rate: float) -> int:
    """max(ceil(rate × N), number of groups); 0 for an empty population."""
    if population == 0:
        return 0
    return max(math.ceil(Fraction(str(rate)) * population), groups)


def sampling_plan(store: Store, seed: int, *, rate: float | None = None, categories: Iterable[str] | None = None,
                  division: str | None = None, client: str | None = None) -> SamplingPlan:
    """Draw the chargers to sample: groups by (manufacturer, model) in sorted order, members by
    serial, ``allocate`` quotas, then :func:`draw` — the same ledger and seed give the same plan."""
    rate = float(RULES["sampling"]["rate"] if rate is None else rate)
    cats = tuple(categories or RULES["sampling"]["categories"])
    population = [i for i in store.instruments()
                  if canonical_category(i.category) in cats and in_scope(i, division, client)]
    members: dict[tuple[str, str], list[Instrument]] = defaultdict(list)
    for inst in population:
        members[(inst.manufacturer, inst.model)].append(inst)
    keys = sorted(members)
    ordered = [_sorted_members(members[k]) for k in keys]
    n = sample_size(len(population), len(keys), rate)
    quotas = allocate([len(m) for m in ordered], n) if keys else []
    groups = []
    for k, group, quota, chosen in zip(keys, ordered, quotas, draw(ordered, quotas, seed), strict=True):
        cat = "、".join(sorted({canonical_category(i.category) for i in group}))
        groups.append(SampleGroup(k[0], k[1], cat, len(group), quota, chosen))
    return SamplingPlan(seed, rate, cats, len(population), n, tuple(groups), division, client)


# -- 民用“三表”: a percentage of each batch ---------------------------------------------------------------
@dataclass(frozen=True)
class Batch:
    """One batch (批次) of a plan: its key (the values of the fields that name it), how many meters
    it holds, how many are drawn, which."""

    key: tuple[str, ...]
    fields: tuple[str, ...]
    population: int
    quota: int
    selected: tuple[Instrument, ...]

    @property
    def label(self) -> str:
        """The batch as printed: its key values joined."""
        return " / ".join(self.key)


@dataclass(frozen=True)
class BatchPlan:
    """A 三表 sampling plan drawn from a seed on a date: the plan's definition (data), the batches."""

    plan: dict[str, Any]
    seed: int
    as_of: date
    population: int
    batches: tuple[Batch, ...]
    division: str | None = None
    client: str | None = None

    @property
    def size(self) -> int:
        """Meters drawn in all."""
        return sum(b.quota for b in self.batches)

    @property
    def selected(self) -> tuple[Instrument, ...]:
        """Every meter drawn, batch by batch."""
        return tuple(i for b in self.batches for i in b.selected)

    @property
    def meets_rate(self) -> bool:
        """True when every batch holds at least the plan's rate of its meters."""
        rate = Fraction(str(self.plan["rate"]))
        return all(b.quota >= rate * b.population for b in self.batches)


def batch_quota(population: int, rate: float, minimum: int = 1) -> int:
    """A batch's sample: max(⌈rate × N⌉, minimum), never more than N (0 for an empty batch)."""
    if population == 0:
        return 0
    return min(population, max(math.ceil(Fraction(str(rate)) * population), minimum))


def _field(inst: Instrument, name: str, first: Verification | None) -> str:
    """A batch field of a meter: ``param:KEY`` a technical parameter, ``first_verified_on`` the date
    of its passing first verification, else a ledger field."""
    if name.startswith("param:"):
        value = json.loads(inst.params_json or "{}").get(name.removeprefix("param:"), "")
        return "" if value is None else str(value).strip()
    if name == "first_verified_on":
        return first.verified_on.isoformat() if first else ""
    return str(getattr(inst, name, "") or "").strip()


def batch_of(inst: Instrument, batch_by: Sequence[Sequence[str]], first: Verification | None) -> tuple[tuple[str, ...],
                                                                                                  tuple[str, ...]]:
    """The batch of a meter: the first alternative of ``batch_by`` whose fields all have a value
    (e.g. the ledger's 批次号, else manufacturer + model + the day of its first verification) →
    (its field names, their values); ((), ()) when no alternative is complete."""
    for fields in batch_by:
        values = tuple(_field(inst, f, first) for f in fields)
        if all(values):
            return tuple(fields), values
    return (), ()


def plan_population(store: Store, plan: dict[str, Any], as_of: date, *, division: str | None = None,
                    client: str | None = None) -> list[tuple[Instrument, Verification | None]]:
    """The meters a plan draws from on ``as_of``, each with its passing first verification (None if
    none): the plan's categories, household meters only when ``household`` says so, and its
    ``population``: ``uninstalled_first_verified`` (a passing first verification on record, its
    latest verification passed, not in service on the day) or ``in_service`` (in service on the day,
    bench/oversight/service.py)."""
    cats = {canonical_category(c) for c in plan["categories"]}
    ledger = store.instruments()
    service = ServiceLedger.of(ledger)
    hist = histories(store, as_of)
    out: list[tuple[Instrument, Verification | None]] = []
    for inst in ledger:
        if canonical_category(inst.category) not in cats or not in_scope(inst, division, client):
            continue
        if "household" in plan and bool(inst.household) != bool(plan["household"]):
            continue
        checks = [v for v in hist.get(inst.id or 0, []) if not v.inspection]
        first = next((v for v in checks if v.verification_type == "first" and v.passed), None)
        kind = plan["population"]
        if kind == "uninstalled_first_verified":
            if first is None or not checks[-1].passed or service.installed(inst, as_of):
                continue
        elif kind == "in_service":
            if not service.in_service(inst, as_of):
                continue
        else:
            raise ValueError(f"抽查方案 {plan['key']}: 未知总体 (unknown population) {kind!r}")
        out.append((inst, first))
    return out


def batch_plan(store: Store, key: str, seed: int, as_of: date, *, rate: float | None = None,
               division: str | None = None, client: str | None = None) -> BatchPlan:
    """Draw plan ``key`` of ``sampling_plans.toml`` on ``as_of``: its population
    (:func:`plan_population`) split into batches (:func:`batch_of`; batches in sorted order, members
    by serial), each batch's quota :func:`batch_quota` (``rate`` overrides the plan's), then
    :func:`draw` — the same ledger, date and seed give the same plan. Meters no batch field names are
    a batch of their own ("未标明批次")."""
    if key not in PLANS:
        raise ValueError(f"未知抽查方案 (unknown sampling plan) {key!r}; known: {', '.join(sorted(PLANS))}")
    plan = dict(PLANS[key])
    if rate is not None:
        plan["rate"] = rate
    members: dict[tuple[str, ...], list[Instrument]] = defaultdict(list)
    names: dict[tuple[str, ...], tuple[str, ...]] = {}
    population = plan_population(store, plan, as_of, division=division, client=client)
    for inst, first in population:
        fields, values = batch_of(inst, plan["batch_by"], first)
        values = values or ("未标明批次",)
        members[values].append(inst)
        names.setdefault(values, fields)
    keys = sorted(members)
    ordered = [_sorted_members(members[k]) for k in keys]
    quotas = [batch_quota(len(m), float(plan["rate"]), int(plan.get("min_per_batch", 1))) for m in ordered]
    batches = tuple(Batch(k, names[k], len(m), q, chosen)
                    for k, m, q, chosen in zip(keys, ordered, quotas, draw(ordered, quotas, seed), strict=True))
    return BatchPlan(plan, seed, as_of, len(population), batches, division, client)
