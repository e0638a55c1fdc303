"""The 民用“三表” form's columns computed from records (issue 16, line 2): the county of conftest.py —
household meters in service by their 投用日期 and places, runs by their purpose (监督抽查, 投诉举报,
首次检定), recorded events for the rest — every cell counted by hand; a count above its population is
refused naming the row."""

from __future__ import annotations

from datetime import date

import pytest

from bench.oversight import InconsistentCounts, record_event, three_meters
from bench.store import Store

START, END = date(2026, 1, 1), date(2026, 6, 30)
KEYS = ("kind", "in_use", "uninstalled_sampled", "uninstalled_fail", "in_use_sampled", "in_use_fail", "violations",
        "producer_inspections", "institutions_inspected", "institution_violations", "institution_inspections",
        "service_complaints", "replaced", "complaint_verified", "complaint_verified_fail", "complaints", "cases")


def test_every_cell_by_hand(county: Store) -> None:
    t = three_meters(county, START, END, header={"填报人": "张三", "联系方式": "0730-1234567"})
    assert tuple(c.key for c in t.columns) == KEYS
    rows = [tuple(r[k] for k in KEYS) for r in t.rows]
    # 电能表 — in use at 06-30: E2, E6 (05-01), E9, E10; E1 was replaced by E6 at A小区1-101 on 05-01,
    #   E3/E4 are in stock, E7's 民用 is not said, E8 is not 民用 → 4.
    #   抽查已首检未安装: E3 ✗, E4 ✓ (监督抽查 on 03-01, not installed) → 2, 不合格 1.
    #   抽查在用: E1 ✗ (02-15, installed since 2025-03-01), E2 ✓ (04-10; its 2025-12-20 check is before
    #   the period) + 1 recorded (省院抽查) → 3 ≤ 4 in use, 不合格 1.
    #   检查检定机构 1 (event). 投诉举报检定: E6 ✗ (06-01) + 1 recorded → 2, 不合格 1 (E7 not 民用-said: out).
    # 水表 — in use: W2, W3, W4 (W1 replaced by W2 on 03-01) → 3; 投诉举报检定 W2 ✓ → 1, 不合格 0;
    #   events: 服务企业受理 5, 更换 2, 市场监管部门受理 3 (the 2025-12-31 one is before the period), 立案 1.
    # 燃气表 — none on the ledger; events: 立案 1, the producer inspection's note.
    assert rows == [
        ("电能表", 4, 2, 1, 3, 1, 0, "", 1, 0, "", 0, 0, 2, 1, 0, 0),
        ("水表", 3, 0, 0, 0, 0, 0, "", 0, 0, "", 5, 2, 1, 0, 3, 1),
        ("燃气表", 0, 0, 0, 0, 0, 0, "检查燃气表生产企业 1 家，未发现问题", 0, 0, "", 0, 0, 0, 0, 0, 1),
    ]
    assert t.totals is None  # the form prints no 合计 row
    # Beside the form. 电能表: verifications in the period E3, E4 (抽查, 后续检定), E6 first and complaint
    # → 4, failed E3 and E6's complaint → 2; first verifications E6 → 1; E7 not said to be 民用 → 1.
    # in service without a first verification here on or before 投用日期: E10 (never verified); E2 (02-20 ≤
    # 03-01), E6 (04-20 ≤ 05-01) and E9 (05-20 ≤ 06-01) were verified first
    assert t.extra["电能表"] == {"verified": 4, "failed": 2, "first": 1, "first_failed": 0, "due_rotation": 0,
                              "unclassified": 1, "installed_unverified": 1}
    # runs by purpose (inspections too): E1, E2, E3, E4 监督抽查; E6 first and complaint
    assert t.purposes["电能表"] == {"complaint": 1, "first": 1, "sampling": 4}
    # 水表: W2's first (02-20) and complaint (05-05) → 2; 到期未轮换 W4 (life through 2024-11-30; W1 was
    # replaced, not overdue).
    # W3 in service since 04-01, never verified; W2 and W4 first-verified before going in
    assert t.extra["水表"] == {"verified": 2, "failed": 0, "first": 1, "first_failed": 0, "due_rotation": 1,
                             "unclassified": 0, "installed_unverified": 1}
    assert t.header == {"填报单位（盖章）": "", "填报日期": "", "填报人": "张三", "联系方式": "0730-1234567"}


def test_filters_and_a_shorter_period(county: Store) -> None:
    # 430603 holds the water meters; events recorded without a division belong to none
    water = {r["kind"]: r for r in three_meters(county, START, END, division="430603").rows}
    assert (water["水表"]["in_use"], water["水表"]["complaint_verified"], water["水表"]["service_complaints"]) == (3, 1, 0)
    assert water["电能表"]["in_use"] == 0
    # up to 03-31: E6 not yet in service, E1 not yet replaced → E1, E2, E9, E10; sampled in use E1 (02-15)
    # and the recorded one (03-05), E2's of 04-10 comes later. W1 replaced on 03-01, W3 in service only
    # from 04-01 → W2, W4.
    q1 = {r["kind"]: r for r in three_meters(county, START, date(2026, 3, 31)).rows}
    assert (q1["电能表"]["in_use"], q1["电能表"]["in_use_sampled"], q1["电能表"]["complaint_verified"]) == (4, 2, 0)
    assert q1["水表"]["in_use"] == 2 and q1["水表"]["complaints"] == 0  # the complaint event is of 04-01


def test_a_count_above_its_population_is_refused_naming_the_row(county: Store) -> None:
    # 2 more in-use samplings recorded: 3 + 2 = 5 sampled in use beside 4 in use
    record_event(county, "in_use_sampled", "电能表", 2, date(2026, 6, 10))
    with pytest.raises(InconsistentCounts) as err:
        three_meters(county, START, END)
    assert err.value.problems == ("电能表：抽查在用计量器具数量 5 大于 在用计量器具数量 4",)
    record_event(county, "in_use_sampled", "电能表", -2, date(2026, 6, 11), note="更正：重复登记")
    record_event(county, "complaint_verification_fail", "水表", 2, date(2026, 6, 12))
    with pytest.raises(InconsistentCounts, match="水表：不合格数量 2 大于 计量机构对投诉举报计量器具开展检定数量 1"):
        three_meters(county, START, END)
