"""Which instruments are in service (在用) on a day (bench/oversight/service.py) and what the overdue report
says of those not yet in service or replaced at their place — on the county of conftest.py."""

from __future__ import annotations

from datetime import date

from bench.oversight import NEVER, NOT_YET, REPLACED, ROTATE, VALID, ServiceLedger, overdue
from bench.store import Store


def test_installed_replaced_and_in_service(county: Store) -> None:
    ledger = {i.serial: i for i in county.instruments()}
    service = ServiceLedger.of(ledger.values())
    # E1 and E6 share A小区1-101: E6 (2026-05-01) replaces E1; W2 (2026-03-01) replaces W1 at B小区2-201
    assert service.replaced_on == {ledger["E1"].id: date(2026, 5, 1), ledger["W1"].id: date(2026, 3, 1)}
    assert [service.in_service(ledger["E1"], d) for d in (date(2025, 2, 28), date(2026, 4, 30), date(2026, 5, 1))] == \
        [False, True, False]
    # a household meter without 投用日期 is in stock; any other instrument without one is in use
    assert not service.installed(ledger["E3"], date(2026, 6, 30))
    undated = county.add_instrument(category="燃油加油机", name="加油机", model="CS46", serial="D1", manufacturer="正星",
                                    accuracy_class="0.3")
    assert service.in_service(undated, date(2026, 6, 30))


def test_overdue_says_not_yet_in_service_and_replaced(county: Store) -> None:
    status = {r.instrument.serial: r.status for r in overdue(county, date(2026, 4, 30)).rows}
    # E6 goes into service on 05-01: 未投用, although verified on 04-20; W1 replaced on 03-01 — not 到期未轮换
    assert (status["E6"], status["W1"], status["W4"], status["E10"], status["E9"]) == \
        (NOT_YET, REPLACED, ROTATE, NEVER, VALID)
    assert {r.instrument.serial: r.status for r in overdue(county, date(2026, 6, 30)).rows}["E1"] == REPLACED
