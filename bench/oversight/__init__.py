"""The oversight reports the supervising bureaus ask for — queries and computations, no rendering.

One module per report (docs/oversight.md; rules and sources as data: ``bench/oversight_rules.toml``,
the forms in ``forms/``, ``rates.toml``, ``sampling_plans.toml``):

- :mod:`~bench.oversight.overdue` — 应检未检 / 超期未检 against the latest verification (by the time its
  run finished) and its regulation's period or service life;
- :mod:`~bench.oversight.sampling` — 抽查方案 from a seed: chargers (≥ 5 %, every brand and model) and
  民用“三表” by batch and percentage;
- :mod:`~bench.oversight.three_meters`, :mod:`~bench.oversight.fuel_stations`,
  :mod:`~bench.oversight.ledger_form` — the bureaus' forms (:mod:`~bench.oversight.form`: exactly as
  the notices' 附件 print them, columns filled from runs and the ledger, the rest from recorded events,
  impossible counts refused);
- :mod:`~bench.oversight.rates` — 首检率, 受检率, 轮换率 by category, district and user unit;
- :mod:`~bench.oversight.analysis` — results by brand and model;
- :mod:`~bench.oversight.events` — the recorded, hash-chained oversight events;
- :mod:`~bench.oversight.service` — which instruments are in service on a day;
- :mod:`~bench.oversight.documents` — each report as a document ``reports`` renders (PDF, Excel).

The names below are the package's public API (``from bench.oversight import overdue``).
"""

from __future__ import annotations

from bench.oversight.analysis import AnalysisGroup, AnalysisReport, analysis, main_error
from bench.oversight.documents import (
    analysis_document,
    batch_plan_document,
    form_document,
    fuel_stations_document,
    ledger_form_document,
    overdue_document,
    rates_document,
    sampling_document,
    three_meters_document,
)
from bench.oversight.events import STATION_SEP, event_matches, record_event, station_key
from bench.oversight.form import (
    Form,
    FormColumn,
    InconsistentCounts,
    default_form,
    fill,
    forms,
    load_form,
    total_row,
)
from bench.oversight.fuel_stations import FuelStationsTable, fuel_stations, seal_answer
from bench.oversight.ledger_form import LedgerFormTable, ledger_form
from bench.oversight.overdue import (
    FAILED,
    IN_ORDER,
    INSPECTION_FAILED,
    NEVER,
    NO_RULE,
    NOT_YET,
    OVERDUE,
    REPLACED,
    ROTATE,
    SOON,
    STATUS_EN,
    VALID,
    OverdueReport,
    OverdueRow,
    overdue,
)
from bench.oversight.rates import RatesReport, definitions, rates
from bench.oversight.rules import EVENT_KINDS, RULES, division_matches, in_scope
from bench.oversight.sampling import (
    PLANS,
    BatchPlan,
    SampleGroup,
    SamplingPlan,
    allocate,
    batch_plan,
    batch_quota,
    sample_size,
    sampling_plan,
)
from bench.oversight.service import ServiceLedger
from bench.oversight.three_meters import ThreeMetersTable, three_meters

VERIFICATION_TYPE_ZH = {"first": "首次检定", "subsequent": "后续检定", "in_use": "使用中检查"}

__all__ = [
    "EVENT_KINDS", "FAILED", "INSPECTION_FAILED", "IN_ORDER", "NEVER", "NOT_YET", "NO_RULE", "OVERDUE", "PLANS",
    "REPLACED", "ROTATE", "RULES", "SOON", "STATION_SEP", "STATUS_EN", "VALID", "VERIFICATION_TYPE_ZH",
    "AnalysisGroup", "AnalysisReport", "BatchPlan", "Form", "FormColumn", "FuelStationsTable", "InconsistentCounts",
    "LedgerFormTable", "OverdueReport", "OverdueRow", "RatesReport", "SampleGroup", "SamplingPlan", "ServiceLedger",
    "ThreeMetersTable", "allocate", "analysis", "analysis_document", "batch_plan", "batch_plan_document",
    "batch_quota", "default_form", "definitions", "division_matches", "event_matches", "fill", "form_document",
    "forms", "fuel_stations", "fuel_stations_document", "in_scope", "ledger_form", "ledger_form_document",
    "load_form", "main_error", "overdue", "overdue_document", "rates", "rates_document", "record_event",
    "sample_size", "sampling_document", "sampling_plan", "seal_answer", "station_key", "three_meters",
    "three_meters_document", "total_row",
]
