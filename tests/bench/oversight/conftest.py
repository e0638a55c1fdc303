"""A county's household meters for the bureaus' forms and rates (issue 16): a ledger with 民用, 投用日期
and places, runs with their purposes, a meter replaced at its place, one not said to be household;
every count in the tests is worked by hand from this list.

电能表 (JJG 596 class 2, single-phase: a service life of 8 years from the first verification), user unit
国网岳阳 (430602) unless said:
- E1 民用, in service 2025-03-01 at A小区1-101; first 2025-02-20 ✓; 监督抽查 in service 2026-02-15 ✗
  (a 使用中检查); replaced 2026-05-01 by E6 at the same place
- E2 民用, in service 2025-03-01 at A小区1-102; first 2025-02-20 ✓; 监督抽查 2025-12-20 ✓ (before the
  period) and 2026-04-10 ✓ (使用中检查)
- E3, E4 民用, in stock (no 投用日期); first 2025-12-01 ✓; 监督抽查 2026-03-01 (后续检定): E3 ✗, E4 ✓
- E6 民用, in service 2026-05-01 at A小区1-101; first 2026-04-20 ✓; 投诉举报 2026-06-01 ✗
- E7 民用 not said, in service 2025-01-01; first 2024-12-01 ✓; 投诉举报 2026-06-02 ✓
- E8 not 民用 (岳阳商场), in service 2025-01-01; never verified
- E9 民用, in service 2024-06-01 at A小区1-109; first 2024-05-20 ✓
- E10 民用, in service 2024-06-01 at A小区1-110; never verified
水表 (JJG 162 DN 15: a service life of 6 years), 岳阳水务 (430603):
- W1 民用, in service 2019-01-01 at B小区2-201; first 2018-12-01 ✓ (life through 2024-11-30);
  replaced 2026-03-01 by W2
- W2 民用, in service 2026-03-01 at B小区2-201; first 2026-02-20 ✓; 投诉举报 2026-05-05 ✓
- W3 民用, in service 2026-04-01 at B小区2-202; never verified
- W4 民用, in service 2019-01-01 at B小区2-203; first 2018-12-01 ✓ (life through 2024-11-30), not replaced
Events of the period 2026-01-01 … 2026-06-30 (and one before it): see :func:`events`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bench.oversight import record_event
from bench.store import Store
from bench.store.models import Instrument
from tests.bench.test_oversight import _inst, _run

START, END = date(2026, 1, 1), date(2026, 6, 30)
WATER = {"dn_mm": 15, "q3_m3_h": 2.5}


def _e(store: Store, serial: str, *, client: str = "国网岳阳", **ledger: Any) -> Instrument:
    return _inst(store, serial, "电能表", manufacturer="威胜", model="DDZY", client=client, division="430602", **ledger)


def _w(store: Store, serial: str, **ledger: Any) -> Instrument:
    return _inst(store, serial, "水表", manufacturer="宁水", model="LXS-15", client="岳阳水务", division="430603",
                 params=WATER, **ledger)


def events(store: Store) -> None:
    """The oversight events: what happened outside this workstation."""
    record_event(store, "in_use_sampled", "电能表", 1, date(2026, 3, 5), note="省院抽查")
    record_event(store, "complaint_verification", "电能表", 1, date(2026, 4, 2))
    record_event(store, "institution_inspected", "电能表", 1, date(2026, 5, 6))
    record_event(store, "service_complaint", "水表", 5, date(2026, 2, 1))
    record_event(store, "replacement", "水表", 2, date(2026, 3, 1))
    record_event(store, "complaint", "水表", 3, date(2026, 4, 1))
    record_event(store, "complaint", "水表", 2, date(2025, 12, 31))  # before the period
    record_event(store, "case", "水表", 1, date(2026, 6, 1))
    record_event(store, "case", "燃气表", 1, date(2026, 6, 3))
    record_event(store, "producer_inspection", "燃气表", 1, date(2026, 6, 4), note="检查燃气表生产企业 1 家，未发现问题")


@pytest.fixture
def county(tmp_path: Path) -> Store:
    """The ledger, runs and events of the module docstring."""
    store = Store(tmp_path / "county.db")
    home = {"household": True}
    e = {
        "E1": _e(store, "E1", commissioned_on=date(2025, 3, 1), location="A小区1-101", **home),
        "E2": _e(store, "E2", commissioned_on=date(2025, 3, 1), location="A小区1-102", **home),
        "E3": _e(store, "E3", **home),
        "E4": _e(store, "E4", **home),
        "E6": _e(store, "E6", commissioned_on=date(2026, 5, 1), location="A小区1-101", **home),
        "E7": _e(store, "E7", commissioned_on=date(2025, 1, 1), location="A小区1-107"),
        "E8": _e(store, "E8", client="岳阳商场", household=False, commissioned_on=date(2025, 1, 1)),
        "E9": _e(store, "E9", commissioned_on=date(2024, 6, 1), location="A小区1-109", **home),
        "E10": _e(store, "E10", commissioned_on=date(2024, 6, 1), location="A小区1-110", **home),
    }
    w = {
        "W1": _w(store, "W1", commissioned_on=date(2019, 1, 1), location="B小区2-201", **home),
        "W2": _w(store, "W2", commissioned_on=date(2026, 3, 1), location="B小区2-201", **home),
        "W3": _w(store, "W3", commissioned_on=date(2026, 4, 1), location="B小区2-202", **home),
        "W4": _w(store, "W4", commissioned_on=date(2019, 1, 1), location="B小区2-203", **home),
    }
    ok, bad = [0.5], [2.5]  # class 2: ±2 %
    _run(store, "e1-first", e["E1"], "jjg596", date(2025, 2, 20), ok)
    _run(store, "e1-sample", e["E1"], "jjg596", date(2026, 2, 15), bad, vtype="in_use", purpose="sampling")
    _run(store, "e2-first", e["E2"], "jjg596", date(2025, 2, 20), ok)
    _run(store, "e2-sample-old", e["E2"], "jjg596", date(2025, 12, 20), ok, vtype="in_use", purpose="sampling")
    _run(store, "e2-sample", e["E2"], "jjg596", date(2026, 4, 10), ok, vtype="in_use", purpose="sampling")
    for k in ("E3", "E4"):
        _run(store, f"{k}-first", e[k], "jjg596", date(2025, 12, 1), ok)
    _run(store, "e3-sample", e["E3"], "jjg596", date(2026, 3, 1), bad, vtype="subsequent", purpose="sampling")
    _run(store, "e4-sample", e["E4"], "jjg596", date(2026, 3, 1), ok, vtype="subsequent", purpose="sampling")
    _run(store, "e6-first", e["E6"], "jjg596", date(2026, 4, 20), ok)
    _run(store, "e6-complaint", e["E6"], "jjg596", date(2026, 6, 1), bad, vtype="subsequent", purpose="complaint")
    _run(store, "e7-first", e["E7"], "jjg596", date(2024, 12, 1), ok)
    _run(store, "e7-complaint", e["E7"], "jjg596", date(2026, 6, 2), ok, vtype="subsequent", purpose="complaint")
    _run(store, "e9-first", e["E9"], "jjg596", date(2024, 5, 20), ok)
    _run(store, "w1-first", w["W1"], "jjg162", date(2018, 12, 1), ok)
    _run(store, "w2-first", w["W2"], "jjg162", date(2026, 2, 20), ok)
    _run(store, "w2-complaint", w["W2"], "jjg162", date(2026, 5, 5), ok, vtype="subsequent", purpose="complaint")
    _run(store, "w4-first", w["W4"], "jjg162", date(2018, 12, 1), ok)
    events(store)
    return store
