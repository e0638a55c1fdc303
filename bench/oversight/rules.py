"""The oversight reports' rules as data and the filters every report shares.

``RULES`` is ``bench/oversight_rules.toml`` (overdue window, the charger sampling rule, the analysis'
main items, the event kinds); the bureaus' forms are one TOML file each in ``bench/oversight/forms/``
(:mod:`bench.oversight.form`), the rates in ``rates.toml`` and the 三表 sampling plans in
``sampling_plans.toml`` beside this module.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from bench.store.models import Instrument

RULES: dict[str, Any] = tomllib.loads(
    (Path(__file__).resolve().parent.parent / "oversight_rules.toml").read_text("utf-8"))
"""The reports' rules as data (``bench/oversight_rules.toml``)."""

EVENT_KINDS: dict[str, tuple[str, str]] = {k: (v[0], v[1]) for k, v in RULES["event_kinds"].items()}
"""Oversight event kinds ``jianding oversight record`` accepts → (Chinese, English)."""


def data_file(name: str) -> dict[str, Any]:
    """A TOML data file of this package (``rates.toml``, ``sampling_plans.toml``)."""
    return tomllib.loads(resources.files("bench.oversight").joinpath(name).read_text("utf-8"))


def division_matches(code: str, division: str | None) -> bool:
    """True when ``code`` lies in ``division`` (GB/T 2260: a prefecture 430600 holds 4306xx, a
    province 430000 holds 43xxxx); no filter matches everything."""
    if not division:
        return True
    prefix = division
    while prefix.endswith("00") and len(prefix) > 2:
        prefix = prefix[:-2]
    return code.startswith(prefix)


def in_scope(inst: Instrument, division: str | None, client: str | None) -> bool:
    """True when a ledger instrument lies in ``division`` and belongs to ``client`` (no filter: all)."""
    return division_matches(inst.division_code, division) and (not client or inst.client == client)


def filters(division: str | None, client: str | None) -> tuple[tuple[str, str], ...]:
    """The filters of a report as (label, value) pairs for its document."""
    out = []
    if division:
        out.append(("行政区划 (division)", division))
    if client:
        out.append(("使用单位 (user unit)", client))
    return tuple(out)
