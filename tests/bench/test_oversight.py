"""The oversight reports (bench/oversight.py): 应检未检/超期未检 at a fixed date, the sampling plan, the
民用"三表" table and the analysis by brand and model, each checked against hand-worked values; the
oversight events are append-only and covered by ``jianding audit verify``."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from bench.catalog import default_purpose
from bench.cli import main
from bench.oversight import (
    FAILED,
    INSPECTION_FAILED,
    NEVER,
    OVERDUE,
    ROTATE,
    SOON,
    VALID,
    allocate,
    analysis,
    overdue,
    record_event,
    sample_size,
    sampling_plan,
    three_meters,
)
from bench.store import Store
from bench.store.models import Instrument, Run
from procedures.records import (
    Environment,
    InstrumentInfo,
    ItemResult,
    MeasurementResult,
    Verdict,
    VerificationRecord,
)
from tests.bench.conftest import log_in

MAIN = {"jjg1148": "working_error", "jjg1149": "working_error", "jjg443": "indication_error",
        "jjg162": "indication_error", "jjg577": "indication_error", "jjg596": "basic_error"}
AS_OF = date(2026, 6, 30)
HOME: dict[str, Any] = {"household": True, "commissioned_on": date(2020, 1, 1)}  # household meters in service


def _inst(store: Store, serial: str, category: str, *, manufacturer: str = "甲厂", model: str = "M1", cls: str = "2",
          division: str = "430602", client: str = "岳阳充电公司", params: dict[str, Any] | None = None,
          **ledger: Any) -> Instrument:
    """A ledger row; ``ledger`` sets further fields (household, commissioned_on, location …)."""
    return store.add_instrument(category=category, name=category, model=model, serial=serial,
                                manufacturer=manufacturer, accuracy_class=cls, client=client, division_code=division,
                                params=params or {}, **ledger)


def _record(inst: Instrument, regulation: str, on: date, errors: list[float], mpe: float,
            position: int | None = None) -> VerificationRecord:
    results = tuple(MeasurementResult(name="误差", label=f"点 {k}", unit="%", values=(e,), mean=e, rounded=f"{e:+.1f}",
                                      mpe=mpe, verdict=Verdict.PASS if abs(e) <= mpe else Verdict.FAIL,
                                      position=position) for k, e in enumerate(errors))
    item = ItemResult(key=MAIN[regulation], name="误差", name_en="Error", clause="5.1",
                      verdict=Verdict.PASS if all(r.verdict == Verdict.PASS for r in results) else Verdict.FAIL,
                      results=results)
    return VerificationRecord(
        run_id="x", record_no="R", certificate_no="C", regulation_code=regulation, regulation_title="t", edition="e",
        verification_type="首次检定",
        instrument=InstrumentInfo(name=inst.name, model=inst.model, serial=inst.serial,
                                  manufacturer=inst.manufacturer, accuracy_class=inst.accuracy_class),
        standards=(), environment=Environment(place="lab"), items=(item,), verified_on=on, valid_until=None)


def _run(store: Store, run_id: str, inst: Instrument, regulation: str, on: date, errors: list[float], mpe: float = 2.0,
         vtype: str = "first", *, purpose: str | None = None, at: time = time(12)) -> None:
    """A finished single-instrument run entered through the store's public methods, finished at
    ``at`` (UTC) on ``on``; its purpose the verification type's default unless given (as the
    controller does)."""
    rec = _record(inst, regulation, on, errors, mpe)
    store.create_run(Run(id=run_id, regulation=regulation, edition="e", verification_type=vtype,
                         instrument_id=inst.id or 0, purpose=purpose or default_purpose(vtype)))
    store.update_run(run_id, status="finished", finished_at=datetime.combine(on, at, UTC),
                     conclusion=rec.conclusion, record_json=json.dumps(rec.to_dict(), ensure_ascii=False))


def _bench(store: Store, run_id: str, regulation: str, on: date, seats: dict[int, tuple[Instrument, list[float] | None]],
           mpe: float = 2.0, vtype: str = "first", *, purpose: str | None = None) -> None:
    """A finished bench run: a position with errors gets its record; None is a re-test (需复检)."""
    first = next(iter(seats.values()))[0]
    store.create_run(Run(id=run_id, regulation=regulation, edition="e", verification_type=vtype,
                         instrument_id=first.id or 0, purpose=purpose or default_purpose(vtype)))
    store.add_positions(run_id, {p: i.id or 0 for p, (i, _) in seats.items()})
    for p, (inst, errors) in seats.items():
        if errors is None:
            store.update_position(run_id, p, status="retest", message=f"表位 {p}: 无脉冲 (no pulses)")
            continue
        rec = _record(inst, regulation, on, errors, mpe, position=p)
        store.update_position(run_id, p, status="finished", conclusion=rec.conclusion,
                              record_json=json.dumps(rec.to_dict(), ensure_ascii=False))
    store.update_run(run_id, status="finished", finished_at=datetime(on.year, on.month, on.day, 12, tzinfo=UTC),
                     conclusion="合格")


@pytest.fixture
def ledger(tmp_path: Path) -> tuple[Store, dict[str, Instrument]]:
    store = Store(tmp_path / "o.db")
    i: dict[str, Instrument] = {}
    i["A1"] = _inst(store, "A1", "交流充电桩")
    i["A2"] = _inst(store, "A2", "交流充电桩")
    i["A3"] = _inst(store, "A3", "交流充电桩")
    i["A4"] = _inst(store, "A4", "非车载充电机", manufacturer="乙厂", model="DC1", client="武汉充电公司", division="420102")
    i["A5"] = _inst(store, "A5", "电动汽车交流充电桩")  # an alias of 交流充电桩
    i["F1"] = _inst(store, "F1", "燃油加油机", cls="0.3", division="430611", client="岳阳石化")
    i["W1"] = _inst(store, "W1", "水表", params={"dn_mm": 15, "q3_m3_h": 2.5}, division="420102", client="水务", **HOME)
    i["W2"] = _inst(store, "W2", "水表", params={"dn_mm": 80, "q3_m3_h": 40}, division="420102", client="水务", **HOME)
    i["W3"] = _inst(store, "W3", "水表", params={"dn_mm": 20, "q3_m3_h": 4}, division="420102", client="水务", **HOME)
    i["G1"] = _inst(store, "G1", "膜式燃气表", cls="1.5", params={"gas_kind": "lpg"}, division="420102", client="燃气", **HOME)
    i["E1"] = _inst(store, "E1", "电能表", division="420102", client="电力", **HOME)
    i["E2"] = _inst(store, "E2", "电能表", division="420102", client="电力", **HOME)
    _run(store, "a1", i["A1"], "jjg1148", date(2023, 3, 1), [0.3])
    _run(store, "a2", i["A2"], "jjg1148", date(2023, 7, 20), [0.3])
    _run(store, "a3-late", i["A3"], "jjg1148", date(2026, 7, 5), [0.3])  # after the as-of date: not counted
    _run(store, "a4", i["A4"], "jjg1149", date(2025, 1, 10), [0.3])
    _run(store, "a5", i["A5"], "jjg1148", date(2025, 5, 1), [2.6])  # fails (class 2: ±2 %)
    _run(store, "f1", i["F1"], "jjg443", date(2025, 11, 15), [0.1], mpe=0.3)
    _bench(store, "wb1", "jjg162", date(2020, 5, 10), {1: (i["W1"], [0.5]), 2: (i["W3"], None)})
    _run(store, "w1-check", i["W1"], "jjg162", date(2024, 1, 1), [0.5], vtype="in_use")
    _run(store, "w2", i["W2"], "jjg162", date(2025, 3, 1), [0.5])
    _run(store, "w2-check", i["W2"], "jjg162", date(2026, 4, 1), [0.5], vtype="in_use")
    _run(store, "g1", i["G1"], "jjg577", date(2020, 8, 1), [0.5], mpe=1.5)
    _run(store, "e1", i["E1"], "jjg596", date(2018, 1, 1), [0.5])
    _run(store, "e2-check", i["E2"], "jjg596", date(2026, 2, 1), [2.5], vtype="in_use")  # fails
    return store, i


def test_overdue_statuses_at_a_fixed_date(ledger: tuple[Store, dict[str, Instrument]]) -> None:
    store, _ = ledger
    rep = overdue(store, AS_OF)
    rows = {r.instrument.serial: r for r in rep.rows}
    # A1: 2023-03-01 + 3 years, through the day before → 2026-02-28; 30 June is 122 days later
    # (Mar 31 + Apr 30 + May 31 + Jun 30 from 28 Feb) → 超期未检.
    assert (rows["A1"].status, rows["A1"].due, rows["A1"].days_left) == (OVERDUE, date(2026, 2, 28), -122)
    # A2: 2023-07-20 → due 2026-07-19, 19 days left ≤ 30 → 即将到期.
    assert (rows["A2"].status, rows["A2"].due, rows["A2"].days_left) == (SOON, date(2026, 7, 19), 19)
    # A3: its only run is after the as-of date → 应检未检; W3 sat on a position that needs re-testing.
    assert rows["A3"].status == NEVER and rows["A3"].last_verified is None
    assert rows["W3"].status == NEVER
    # A4: 2025-01-10 + 3 years → 2028-01-09, valid. A5 failed its last verification.
    assert (rows["A4"].status, rows["A4"].due) == (VALID, date(2028, 1, 9))
    assert (rows["A5"].status, rows["A5"].last_conclusion) == (FAILED, "不合格")
    # F1: JJG 443, 6 months: 2025-11-15 → 2026-05-14; 47 days past (17 in May + 30 in June).
    assert (rows["F1"].status, rows["F1"].due, rows["F1"].days_left) == (OVERDUE, date(2026, 5, 14), -47)
    # W1: DN 15, Q3 2.5 → first verification only, 6 years from the FIRST verification (bench
    # position, 2020-05-10) → 2026-05-09; the 2024 in-service check does not extend it → 到期未轮换.
    assert (rows["W1"].status, rows["W1"].basis, rows["W1"].due) == (ROTATE, date(2020, 5, 10), date(2026, 5, 9))
    assert rows["W1"].due_kind == "使用期限"
    # the in-service check is no verification: the last verification stays the 2020 one
    assert (rows["W1"].last_verified, rows["W1"].last_inspected) == (date(2020, 5, 10), date(2024, 1, 1))
    # W2: DN 80 → periodic, 2 years from the last VERIFICATION (2025-03-01) → 2027-02-28; its passing
    # in-service check of 2026-04-01 renews nothing (it would have given 2028-03-31).
    assert (rows["W2"].status, rows["W2"].due, rows["W2"].due_kind) == (VALID, date(2027, 2, 28), "有效期")
    assert (rows["W2"].last_verified, rows["W2"].last_inspected) == (date(2025, 3, 1), date(2026, 4, 1))
    # G1: LPG meter, 6 years from 2020-08-01 → 2026-07-31: 31 days left > 30 → 有效; 即将到期 with 31.
    assert (rows["G1"].status, rows["G1"].due, rows["G1"].days_left) == (VALID, date(2026, 7, 31), 31)
    assert {r.instrument.serial: r.status for r in overdue(store, AS_OF, soon_days=31).rows}["G1"] == SOON
    # E1: JJG 596 class 2, single-phase (the ledger names no connection), service life 8 years from
    # 2018-01-01 → 2025-12-31 → 到期未轮换. E2 was never verified here and failed an in-service check.
    assert (rows["E1"].status, rows["E1"].due) == (ROTATE, date(2025, 12, 31))
    assert (rows["E2"].status, rows["E2"].last_verified, rows["E2"].inspection_conclusion) == \
        (INSPECTION_FAILED, None, "不合格")
    assert rep.counts() == {NEVER: 2, OVERDUE: 2, ROTATE: 2, FAILED: 1, INSPECTION_FAILED: 1, SOON: 1, VALID: 3}
    assert [r.status for r in rep.rows][:2] == [NEVER, NEVER]  # worst first


def test_overdue_filters_by_division_and_user_unit(ledger: tuple[Store, dict[str, Instrument]]) -> None:
    store, _ = ledger
    # 430600 (Yueyang) holds 430602 and 430611: A1, A2, A3, A5 and F1.
    assert sorted(r.instrument.serial for r in overdue(store, AS_OF, division="430600").rows) == \
        ["A1", "A2", "A3", "A5", "F1"]
    assert sorted(r.instrument.serial for r in overdue(store, AS_OF, division="430602").rows) == \
        ["A1", "A2", "A3", "A5"]
    assert [r.instrument.serial for r in overdue(store, AS_OF, client="岳阳石化").rows] == ["F1"]


def test_allocation_largest_remainder_by_hand() -> None:
    # 300 chargers in groups 200/60/30/10, 5 % → 15; one each, the other 11 in proportion:
    # 11·200/300 = 7.333, 11·60/300 = 2.2, 11·30/300 = 1.1, 11·10/300 = 0.367 → floors 7, 2, 1, 0 (10);
    # the 11th seat goes to the largest remainder, 0.367 → [8, 3, 2, 2].
    assert sample_size(300, 4, 0.05) == 15
    assert allocate([200, 60, 30, 10], 15) == [8, 3, 2, 2]
    # A group of one is full after its first seat: [1, 10] with 10 → rest 8: 8/11 = 0.727 (group 1,
    # full) and 80/11 = 7.273 → floors 0, 7 → [1, 8]; the last seat skips the full group → [1, 9].
    assert allocate([1, 10], 10) == [1, 9]
    with pytest.raises(ValueError):
        allocate([5, 5], 1)


def test_sampling_plan_130_chargers_in_7_groups(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    sizes = [40, 30, 20, 15, 12, 8, 5]  # 130
    for g, n in enumerate(sizes):
        for k in range(n):
            _inst(store, f"G{g}-{k:03d}", "交流充电桩" if g % 2 else "非车载充电机", manufacturer=f"厂{g}",
                  model=f"型{g}")
    _inst(store, "FUEL-1", "燃油加油机", cls="0.3")  # not a charger: never sampled
    plan = sampling_plan(store, seed=20260630)
    # ⌈5 % × 130⌉ = ⌈6.5⌉ = 7 = number of groups → one per group.
    assert (plan.population, plan.size, len(plan.groups)) == (130, 7, 7)
    assert plan.size >= 7 and plan.size >= 0.05 * 130 and plan.meets_rate and plan.covers_every_group
    assert [g.quota for g in plan.groups] == [1] * 7
    assert all(len(g.selected) == 1 and g.selected[0].manufacturer == g.manufacturer for g in plan.groups)
    same = sampling_plan(store, seed=20260630)
    assert [i.serial for i in same.selected] == [i.serial for i in plan.selected]
    other = sampling_plan(store, seed=7)
    assert [i.serial for i in other.selected] != [i.serial for i in plan.selected]
    assert "FUEL-1" not in {i.serial for i in plan.selected}
    # 10 %: ⌈13⌉ = 13; one each + 6 by 6·s/130 → 1.846, 1.385, 0.923, 0.692, 0.554, 0.369, 0.231 → floors
    # 1, 1, 0, … (2); 4 more by remainders .923, .846, .692, .554 → groups 3, 1, 4, 5.
    wide = sampling_plan(store, seed=1, rate=0.10)
    assert wide.size == 13 and [g.quota for g in wide.groups] == [3, 2, 2, 2, 2, 1, 1]
    assert len({i.serial for i in wide.selected}) == 13


def test_three_meters_table_from_the_store_and_events(ledger: tuple[Store, dict[str, Instrument]]) -> None:
    store, _ = ledger
    record_event(store, "complaint", "水表", 3, date(2026, 3, 1), note="用户投诉水表走快")
    record_event(store, "complaint", "水表", 2, date(2025, 12, 31))  # before the period
    record_event(store, "replacement", "电能表", 5, date(2026, 5, 20))
    record_event(store, "case", "燃气表", 1, date(2026, 6, 1))
    record_event(store, "producer_inspection", "燃气表", 1, date(2026, 6, 2), note="检查生产企业 2 家，未发现问题")
    t = three_meters(store, date(2026, 1, 1), AS_OF, header={"填报人": "张三"})
    rows = {r["kind"]: r for r in t.rows}
    assert [c.text for c in t.columns][:3] == ["计量器具种类", "在用计量器具数量", "抽查已首检未安装的计量器具数量"]
    assert len(t.columns) == 17
    # 水表: W1, W2, W3 on the ledger; W2's in-service check of 2026-04-01 passed; 3 complaints in period.
    assert (rows["水表"]["in_use"], rows["水表"]["in_use_sampled"], rows["水表"]["in_use_fail"]) == (3, 1, 0)
    assert rows["水表"]["complaints"] == 3 and rows["水表"]["cases"] == 0
    # 电能表: E1, E2; E2's check failed; 5 replaced.
    assert (rows["电能表"]["in_use"], rows["电能表"]["in_use_sampled"], rows["电能表"]["in_use_fail"]) == (2, 1, 1)
    assert rows["电能表"]["replaced"] == 5
    # 燃气表: G1 (膜式燃气表 on the ledger), one case, the producer inspection's note as text.
    assert (rows["燃气表"]["in_use"], rows["燃气表"]["cases"]) == (1, 1)
    assert rows["燃气表"]["producer_inspections"] == "检查生产企业 2 家，未发现问题"
    # Beside the columns: verifications in the period — none: W2's and E2's checks are in-service
    # inspections (purpose 监督抽查), counted in 抽查在用 above, not verifications; due for rotation W1 and E1.
    # all in service since 2020-01-01: W1 first-verified after (05-10), W2 only in 2025, W3 never → 3 to check
    assert t.extra["水表"] == {"verified": 0, "failed": 0, "first": 0, "first_failed": 0, "due_rotation": 1,
                             "unclassified": 0, "installed_unverified": 3}
    assert t.extra["电能表"]["due_rotation"] == 1 and t.purposes["电能表"] == {"sampling": 1}
    assert t.header["填报人"] == "张三" and "填报单位（盖章）" in t.header


def test_analysis_by_brand_and_model(tmp_path: Path) -> None:
    store = Store(tmp_path / "a.db")
    x = [_inst(store, f"X{k}", "交流充电桩", manufacturer="星星", model="AC7") for k in range(3)]
    y = [_inst(store, f"Y{k}", "交流充电桩", manufacturer="特来电", model="AC11") for k in range(2)]
    w = [_inst(store, f"W{k}", "水表", manufacturer="宁水", model="LXS-15", params={"dn_mm": 15, "q3_m3_h": 2.5})
         for k in range(2)]
    # Main error = the point with the largest |error|: X0 → −0.5, X1 → +0.45, X2 → +1.4 (…) all pass class 2.
    _run(store, "x0", x[0], "jjg1148", date(2026, 3, 1), [0.2, -0.5, 0.1])
    _run(store, "x1", x[1], "jjg1148", date(2026, 3, 2), [0.3, 0.45])
    _run(store, "x2", x[2], "jjg1148", date(2026, 3, 3), [1.4, 0.2, 2.3])  # 2.3 > 2 → fails; main error +2.3
    _run(store, "y0", y[0], "jjg1148", date(2026, 3, 4), [-0.1])
    _run(store, "y-old", y[1], "jjg1148", date(2025, 3, 4), [-0.1])  # outside the period
    _bench(store, "wb", "jjg162", date(2026, 4, 1), {1: (w[0], [1.2, -0.4]), 2: (w[1], [-0.3])})
    rep = analysis(store, date(2026, 1, 1), AS_OF, categories=["交流充电桩"])
    g = {(a.manufacturer, a.model): a for a in rep.groups}
    assert list(g) == [("星星", "AC7"), ("特来电", "AC11")]  # sorted by category, brand, model
    sx = g[("星星", "AC7")]
    # errors (−0.5, 0.45, 2.3): mean 2.25/3 = 0.75; deviations −1.25, −0.3, 1.55 → squares 1.5625,
    # 0.09, 2.4025 → 4.055/2 = 2.0275 → s = 1.42390; mean |e| 3.25/3 = 1.08333; max 2.3; 2 of 3 pass.
    assert sx.errors == (-0.5, 0.45, 2.3) and (sx.count, sx.passed) == (3, 2)
    assert sx.pass_rate == pytest.approx(2 / 3)
    assert sx.mean == pytest.approx(0.75) and sx.std == pytest.approx(1.42390, abs=1e-5)
    assert sx.mean_abs == pytest.approx(1.08333, abs=1e-5) and sx.max_abs == pytest.approx(2.3)
    assert (g[("特来电", "AC11")].count, g[("特来电", "AC11")].std) == (1, None)
    # Bins: ±max(2.3, MPE 2) = ±2.3 in 10 bins of 0.46: −0.5 in [−0.92, −0.46), 0.45 in [0.0, 0.46),
    # 2.3 in the last bin (the right edge is closed).
    assert rep.edges[0] == pytest.approx(-2.3) and len(rep.edges) == 11
    assert rep.histogram(sx) == (0, 0, 0, 1, 0, 1, 0, 0, 0, 1)
    # Bench positions: each position's own results (W0's largest |error| 1.2, W1's −0.3).
    water = analysis(store, date(2026, 1, 1), AS_OF, categories=["水表"])
    assert [(a.model, a.errors, a.passed) for a in water.groups] == [("LXS-15", (1.2, -0.3), 2)]
    # Only a sampling plan's items.
    only = analysis(store, date(2026, 1, 1), AS_OF, instrument_ids=[x[0].id or 0])
    assert [(a.model, a.count) for a in only.groups] == [("AC7", 1)]


def test_oversight_events_are_append_only_and_audited(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "e.db"
    log_in(monkeypatch, db, "周登记", "checker")  # 登记人: the logged-in account
    assert main(["--db", str(db), "oversight", "record", "complaint", "--category", "水表", "--count", "4",
                 "--date", "2026-03-01", "--note", "走快"]) == 0
    assert "已登记" in capsys.readouterr().out
    store = Store(db)
    assert [(e.kind, e.count, e.seq) for e in store.oversight_events()] == [("complaint", 4, 1)]
    assert store.verify_chains()["oversightevent"] == (1, [])
    con = sqlite3.connect(db)
    for sql in ("update oversightevent set count = 1", "delete from oversightevent"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            con.execute(sql)
    for (name,) in con.execute("select name from sqlite_master where type='trigger'").fetchall():
        con.execute(f"drop trigger {name}")  # an attacker with the file
    con.execute("update oversightevent set count = 1")
    con.commit()
    assert main(["--db", str(db), "audit", "verify"]) == 2
    assert "oversightevent id 1: 被修改 (edited)" in capsys.readouterr().out
    with pytest.raises(ValueError, match="未知事件类型"):
        record_event(store, "gossip", "水表", 1, date(2026, 1, 1))


def test_cli_reports_write_files(ledger: tuple[Store, dict[str, Instrument]], tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    store, _ = ledger
    db = str(store.path)
    out = tmp_path / "out"
    assert main(["--db", db, "oversight", "overdue", "--as-of", "2026-06-30", "--pdf", str(out / "o.pdf"),
                 "--xlsx", str(out / "o.xlsx")]) == 0
    text = capsys.readouterr().out
    assert "应检未检 (never verified): 2" in text and "超期未检 (overdue): 2" in text
    assert main(["--db", db, "oversight", "sampling", "--seed", "5", "--as-of", "2026-06-30"]) == 0
    assert "随机种子 (seed): 5" in capsys.readouterr().out
    assert main(["--db", db, "oversight", "three-meters", "--from", "2026-01-01", "--to", "2026-06-30",
                 "--xlsx", str(out / "t.xlsx")]) == 0
    assert main(["--db", db, "oversight", "analysis", "--from", "2020-01-01", "--to", "2026-06-30",
                 "--pdf", str(out / "a.pdf")]) == 0
    assert all((out / f).stat().st_size > 1000 for f in ("o.pdf", "o.xlsx", "t.xlsx", "a.pdf"))
    text = subprocess.run(["pdftotext", "-layout", str(out / "o.pdf"), "-"], check=True, capture_output=True,
                          text=True).stdout
    assert "应检未检、超期未检情况报告" in text and "到期未轮换" in text and "2026-02-28" in text
    ws = load_workbook(out / "t.xlsx").worksheets[0]
    # the form: 附件, title, header fields, two header rows (4, 5), the three kinds; no 合计 row printed
    assert ws.cell(row=4, column=1).value == "计量器具种类" and ws.max_column == 17 and ws.freeze_panes == "A6"
    assert [ws.cell(row=r, column=1).value for r in range(6, 9)] == ["电能表", "水表", "燃气表"] and ws.max_row == 8
    assert [ws.cell(row=r, column=2).value for r in range(6, 9)] == [2, 3, 1]  # 在用计量器具数量
    overdue_rows = load_workbook(out / "o.xlsx").worksheets[0]
    assert overdue_rows.cell(row=3, column=1).value == NEVER and overdue_rows.max_row == 2 + 12
    assert main(["--db", db, "oversight", "three-meters", "--from", "2026-07-01", "--to", "2026-06-30"]) == 2
