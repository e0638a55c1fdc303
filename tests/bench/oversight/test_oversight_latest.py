"""Latest means latest (issue 16): of two verifications of one dispenser on the same day, the one whose
run finished later decides — a pass at 17:45:22 and a fail at 17:45:51 (China time) is 不合格, the
other way round 合格 — whatever the run ids (random hex) say, through the overdue report, the
fuel-station table, the ledger export's status columns and a bench run's positions."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from bench.ledger_excel import ledger_status
from bench.oversight import FAILED, VALID, fuel_stations, overdue, seal_answer
from bench.standing import verifications
from bench.store import Store
from bench.store.models import Instrument
from procedures.engine import ReadingTaken
from tests.bench.test_oversight import _bench, _run

DAY = date(2026, 3, 10)
EARLY, LATE = time(9, 45, 22), time(9, 45, 51)  # 17:45:22 and 17:45:51 in China (UTC+8)


def _dispenser(store: Store, serial: str = "D1") -> Instrument:
    return store.add_instrument(category="燃油加油机", name="燃油加油机", model="CS46", serial=serial,
                                manufacturer="正星", accuracy_class="0.3", client="岳阳石化", location="城南加油站",
                                division_code="430602")


@pytest.mark.parametrize(("first", "second", "status", "failed"), [
    ("pass", "fail", FAILED, 1),  # passed at 17:45:22, failed at 17:45:51 → 不合格
    ("fail", "pass", VALID, 0),  # failed first, re-verified passing 29 s later → 有效
], ids=["pass-then-fail", "fail-then-pass"])
def test_same_day_pass_and_fail_in_both_orders(tmp_path: Path, first: str, second: str, status: str,
                                               failed: int) -> None:
    store = Store(tmp_path / "latest.db")
    d = _dispenser(store)
    errors = {"pass": [0.1], "fail": [0.5]}  # JJG 443: ±0.3 %
    # the later run gets the id that sorts FIRST: an order by id would pick the wrong one
    _run(store, "ffff-early", d, "jjg443", DAY, errors[first], mpe=0.3, at=EARLY)
    _run(store, "0000-late", d, "jjg443", DAY, errors[second], mpe=0.3, at=LATE)
    store.update_run("ffff-early", certificate_no="EARLY-1")
    store.update_run("0000-late", certificate_no="LATE-1")
    row = next(r for r in overdue(store, date(2026, 3, 31)).rows if r.instrument.serial == "D1")
    assert (row.status, row.last_conclusion) == (status, "合格" if second == "pass" else "不合格")
    # a passing last verification runs 6 months from that day, through 2026-09-09
    assert row.due == (date(2026, 9, 9) if second == "pass" else None)
    table = fuel_stations(store, date(2026, 1, 1), date(2026, 3, 31))
    assert [(r["in_use"], r["verified"], r["nonconforming"]) for r in table.rows] == [(1, 1, failed)]
    assert ledger_status(store, DAY)[d.id or 0]["certificate_no"] == "LATE-1"
    assert [v.run_id for v in verifications(store)] == ["ffff-early", "0000-late"]


def test_a_bench_position_and_a_single_run_by_finish_time(tmp_path: Path) -> None:
    """A water meter passed on a bench run that finished at 17:45:51 after a single run that failed it
    at 17:45:22 the same day: the bench position is the latest (valid)."""
    store = Store(tmp_path / "bench.db")
    w = store.add_instrument(category="水表", name="水表", model="LXS", serial="W1", manufacturer="宁水",
                             accuracy_class="2", params={"dn_mm": 80, "q3_m3_h": 40})
    _run(store, "zz-single", w, "jjg162", DAY, [5.0], at=EARLY)  # ±2 % → fails
    _bench(store, "aa-bench", "jjg162", DAY, {1: (w, [0.5])})
    store.update_run("aa-bench", finished_at=datetime.combine(DAY, LATE, UTC))
    row = next(r for r in overdue(store, date(2026, 3, 31)).rows if r.instrument.serial == "W1")
    assert (row.status, row.due) == (VALID, date(2028, 3, 9))  # JJG 162 DN 80: 2 years
    v = verifications(store)
    assert [(x.run_id, x.position) for x in v] == [("zz-single", None), ("aa-bench", 1)]


def test_a_repeated_seal_answer_the_last_stands(tmp_path: Path) -> None:
    """The checklist point asked again in one run (a repeated attempt): the last answer is the
    technician's finding, first "broken" then "intact" → intact."""
    store = Store(tmp_path / "seal.db")
    d = _dispenser(store)
    _run(store, "d1", d, "jjg443", DAY, [0.1], mpe=0.3)
    for key, value in (("check:计量封印完好 / metrological seals intact", 0.0),
                       ("check:计量封印完好 / metrological seals intact@2", 1.0)):
        store.record_event(ReadingTaken(run_id="d1", step_key="appearance", key=key, quantity="checklist",
                                        value=value, unit="", source="operator"))
    [v] = verifications(store)
    assert seal_answer(store, v, "计量封印完好") is True
    assert fuel_stations(store, date(2026, 1, 1), date(2026, 3, 31)).rows[0]["seals_intact"] == 1
