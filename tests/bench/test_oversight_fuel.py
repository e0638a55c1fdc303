"""The fuel-station table (加油站在用强检计量器具专项监督检查统计表, bench/oversight.py fuel_stations): three
stations' dispensers on the ledger, verifications entered like the other oversight tests (finished runs
through the store's public methods), recorded events; rows and totals counted by hand; the CLI writes
the PDF and the Excel and ``oversight record`` takes the new seal kinds and ``--location``."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from bench.cli import main
from bench.oversight import InconsistentCounts, fuel_stations, load_form, record_event, station_key
from bench.store import Store
from bench.store.models import Instrument, OversightEvent
from procedures.engine import ReadingTaken
from tests.bench.conftest import log_in
from tests.bench.test_oversight import _run

START, END = date(2026, 1, 1), date(2026, 6, 30)
KEYS = ["client", "location", "division", "in_use", "verified", "never_verified", "overdue", "nonconforming",
        "seals_intact", "violations", "cases"]


def _disp(store: Store, serial: str, client: str, location: str, division: str,
          category: str = "燃油加油机") -> Instrument:
    return store.add_instrument(category=category, name="燃油加油机", model="CS46", serial=serial, manufacturer="正星",
                                accuracy_class="0.3", client=client, location=location, division_code=division)


def _pass(store: Store, run_id: str, inst: Instrument, on: date) -> None:
    _run(store, run_id, inst, "jjg443", on, [0.1], mpe=0.3)


def _fail(store: Store, run_id: str, inst: Instrument, on: date) -> None:
    _run(store, run_id, inst, "jjg443", on, [0.5], mpe=0.3)  # +0.5 % > ±0.3 % → 不合格


def _seals(store: Store, run_id: str, intact: bool) -> None:
    """The technician's answer to the JJG 443 checklist's seal point, as the engine stores it."""
    store.record_event(ReadingTaken(run_id=run_id, step_key="appearance", key="check:计量封印完好 / metrological "
                                    "seals intact", quantity="checklist", value=1.0 if intact else 0.0, unit="",
                                    source="operator"))


@pytest.fixture
def stations(tmp_path: Path) -> Store:
    store = Store(tmp_path / "fuel.db")
    d = {}
    # 岳阳石化 runs two stations (城南 430602, 城北 430611); 武汉能源 one (江汉站 420102).
    d[1] = _disp(store, "D1", "岳阳石化", "城南加油站", "430602")
    d[2] = _disp(store, "D2", "岳阳石化", "城南加油站", "430602")
    d[3] = _disp(store, "D3", "岳阳石化", "城南加油站", "430602")
    d[4] = _disp(store, "D4", "岳阳石化", "城南加油站", "430602", category="加油机")  # the alias
    d[5] = _disp(store, "D5", "岳阳石化", "城北加油站", "430611")
    d[6] = _disp(store, "D6", "岳阳石化", "城北加油站", "430611")
    d[7] = _disp(store, "D7", "武汉能源", "江汉站", "420102")
    # not a dispenser, at a station: never in the table
    store.add_instrument(category="水表", name="水表", model="LXS", serial="W1", manufacturer="宁水",
                         accuracy_class="2", client="岳阳石化", location="城南加油站", division_code="430602")
    # JJG 443: 6 months, valid through the day before (2025-11-15 → 2026-05-14 in test_oversight).
    _pass(store, "d1", d[1], date(2026, 2, 10))  # → 2026-08-09: valid at 06-30
    _pass(store, "d2", d[2], date(2025, 10, 1))  # → 2026-03-31: 超期未检 at 06-30, not verified in the period
    # D3: never verified → 应检未检
    _pass(store, "d4a", d[4], date(2026, 3, 1))
    _fail(store, "d4b", d[4], date(2026, 5, 1))  # latest in the period failed → 不合格
    _fail(store, "d5a", d[5], date(2026, 1, 20))
    _pass(store, "d5b", d[5], date(2026, 1, 25))  # re-verified: latest passed → not counted non-conforming
    _pass(store, "d6", d[6], date(2026, 7, 5))  # after the period: 应检未检 at 06-30
    _pass(store, "d7", d[7], date(2026, 4, 1))  # → 2026-09-30 valid
    # seals as answered at the verifications' checklists (only the latest in the period counts)
    _seals(store, "d1", True)
    _seals(store, "d4b", False)  # D4's latest: seals found broken
    _seals(store, "d5a", False)  # not D5's latest …
    _seals(store, "d5b", True)  # … this one is
    south, north = station_key("岳阳石化", "城南加油站"), station_key("岳阳石化", "城北加油站")
    on = date(2026, 3, 10)
    record_event(store, "seals_checked", "加油机", 4, on, client=south)
    record_event(store, "seals_broken", "燃油加油机", 1, on, client=south, note="2 号机铅封缺失")
    record_event(store, "violation", "燃油加油机", 2, on, client=south)
    record_event(store, "case", "加油站", 1, date(2026, 4, 1), client=south)
    record_event(store, "seals_checked", "加油站", 1, on, client=north)  # D6 (D5's seals seen at its verification)
    record_event(store, "violation", "加油站", 1, on, client="岳阳石化")  # which of its two stations? unassigned
    record_event(store, "seals_checked", "加油站", 1, on, client="武汉能源")  # its only station
    record_event(store, "case", "加油站", 1, date(2025, 12, 31), client="武汉能源")  # before the period
    record_event(store, "violation", "水表", 5, on, client="武汉能源")  # another table's event
    return store


def test_rows_and_totals_by_hand(stations: Store) -> None:
    t = fuel_stations(stations, START, END, header={"填报人": "李四"})
    assert [c.key for c in t.columns] == KEYS
    rows = [[r[k] for k in KEYS] for r in t.rows]
    # Sorted by division: 420102 before 430602 before 430611.
    # 江汉站: D7 verified 04-01 and valid; one seal check.
    # 城南: D1–D4 (D4 filed as 加油机); verified in the period D1, D4 → 2; D3 never → 1; D2 due 03-31 → 1
    #       overdue; D4's latest (05-01) failed → 1; seals: intact at D1's verification 1 (D4's latest
    #       found them broken) + inspections 4 − 1 = 4; violations 2; cases 1.
    # 城北: D5, D6; verified D5 → 1 (its latest, 01-25, passed); D6 only after the period → 应检未检 1;
    #       seals: D5's latest verification 1 (its earlier "broken" no longer counts) + checked 1 = 2.
    # 江汉站: D7's run has no checklist answer (not asked): seals 0 + checked 1 = 1.
    assert rows == [
        ["武汉能源", "江汉站", "420102", 1, 1, 0, 0, 0, 1, 0, 0],
        ["岳阳石化", "城南加油站", "430602", 4, 2, 1, 1, 1, 4, 2, 1],
        ["岳阳石化", "城北加油站", "430611", 2, 1, 1, 0, 0, 2, 0, 0],
    ]
    # Totals: 1+4+2 = 7 in use; 1+2+1 = 4 verified; 0+1+1 = 2 never; 1 overdue; 1 failed; 1+4+2 = 7 seals.
    assert [t.totals[k] for k in KEYS] == ["合计", "", "", 7, 4, 2, 1, 1, 7, 2, 1]
    assert t.dispensers == 7
    # The bare 岳阳石化 violation names no single station: reported, not dropped, not double counted.
    assert t.unassigned == {"violation": 1}
    assert t.header["填报人"] == "李四" and list(t.header) == list(load_form("wushen-2024-fuel-stations").header)


def test_filters_by_division_and_user_unit(stations: Store) -> None:
    yy = fuel_stations(stations, START, END, division="430600")
    assert [(r["location"], r["in_use"]) for r in yy.rows] == [("城南加油站", 4), ("城北加油站", 2)]
    assert yy.totals["in_use"] == 6 and yy.unassigned == {"violation": 1}
    wh = fuel_stations(stations, START, END, client="武汉能源")
    assert [(r["location"], r["seals_intact"]) for r in wh.rows] == [("江汉站", 1)]
    assert wh.unassigned == {}
    # A period that holds none of the events: the seal column falls to 0, the ledger counts stay.
    later = fuel_stations(stations, date(2026, 7, 1), date(2026, 7, 31))
    assert [(r["in_use"], r["seals_intact"], r["verified"]) for r in later.rows] == [(1, 0, 0), (4, 0, 0), (2, 0, 1)]


def test_cli_records_seals_and_writes_both_files(stations: Store, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    db = str(stations.path)
    log_in(monkeypatch, db, "赵检定", "verifier")  # 登记人: the logged-in account
    assert main(["--db", db, "oversight", "record", "seals_broken", "--category", "加油机", "--client", "岳阳石化",
                 "--location", "城北加油站", "--date", "2026-05-05", "--note", "1 号机"]) == 0
    assert "加油机铅封破损" in capsys.readouterr().out
    with stations.session() as s:
        assert [e.actor for e in s.exec(select(OversightEvent))][-1] == "赵检定"
    assert main(["--db", db, "oversight", "record", "seals_checked", "--category", "加油站", "--location", "城北"]) == 2
    out = tmp_path / "out"
    assert main(["--db", db, "oversight", "fuel-stations", "--from", "2026-01-01", "--to", "2026-06-30",
                 "--as-of", "2026-07-02", "--institution", "岳阳市计量检定测试所", "--reporter", "张三",
                 "--contact", "0730-1234567", "--pdf", str(out / "f.pdf"), "--xlsx", str(out / "f.xlsx")]) == 0
    text = capsys.readouterr().out
    assert "加油站 3 座，在用加油机 7 台" in text and "发现违法行为 1" in text
    ws = load_workbook(out / "f.xlsx").worksheets[0]
    assert [ws.cell(row=r, column=1).value for r in (1, 2)] == ["附件3", "加油站在用强检计量器具专项监督检查统计表"]
    assert [ws.cell(row=4, column=c).value for c in range(1, 12)] == [
        "加油站（使用单位）", "地址", "行政区划", "在用加油机数量", "本期检定数量", "应检未检数量", "超期未检数量",
        "检定不合格数量", "铅封完好数量", "发现违法行为数量", "立案案件数量"]
    assert ws.max_column == 11 and "English" not in load_workbook(out / "f.xlsx").sheetnames  # no English
    # 城北 now: D5's verification 1 + seals 1 checked − 1 broken (recorded through the CLI with --location) = 1.
    assert [ws.cell(row=7, column=c).value for c in range(1, 12)] == [
        "岳阳石化", "城北加油站", "430611", 2, 1, 1, 0, 0, 1, 0, 0]
    assert [ws.cell(row=8, column=c).value for c in (1, 4, 9)] == ["合计", 7, 6]  # seals 1 + 4 + 1
    pdf = subprocess.run(["pdftotext", "-layout", str(out / "f.pdf"), "-"], check=True, capture_output=True,
                         text=True).stdout
    assert "加油站在用强检计量器具专项监督检查统计表" in pdf and "城南加油站" in pdf and "合计" in pdf
    assert "张三" in pdf and "0730-1234567" in pdf and "2026-07-02" in pdf
    assert main(["--db", db, "oversight", "fuel-stations", "--from", "2026-07-01", "--to", "2026-06-30"]) == 2


def test_an_in_service_inspection_is_no_verification_but_its_findings_count(tmp_path: Path) -> None:
    """At one station: D1 verified in January and inspected in March with broken seals and 不合格;
    D2 only inspected (passing, seals intact). 本期检定 counts D1 alone; non-conforming and the seals
    are as found at each dispenser's latest look; the overdue columns follow D1's verification
    (6 months from January) and D2's absence of one."""
    store = Store(tmp_path / "f.db")
    d1 = _disp(store, "D1", "岳阳石化", "城南加油站", "430602")
    d2 = _disp(store, "D2", "岳阳石化", "城南加油站", "430602")
    _pass(store, "d1", d1, date(2026, 1, 10))
    _seals(store, "d1", True)
    _run(store, "d1-check", d1, "jjg443", date(2026, 3, 1), [0.5], mpe=0.3, vtype="in_use")
    _seals(store, "d1-check", False)
    _run(store, "d2-check", d2, "jjg443", date(2026, 3, 2), [0.1], mpe=0.3, vtype="in_use")
    _seals(store, "d2-check", True)
    row = fuel_stations(store, START, END).rows[0]
    assert (row["in_use"], row["verified"], row["nonconforming"], row["seals_intact"]) == (2, 1, 1, 1)
    # at the end of June D1's 6 months from 2026-01-10 (due 2026-07-09) are not over; D2 was never verified
    assert (row["never_verified"], row["overdue"]) == (1, 0)
    late = fuel_stations(store, START, date(2026, 7, 31)).rows[0]
    # past D1's due date it is still 使用中检查不合格 (its worse status), not 超期未检
    assert (late["never_verified"], late["overdue"]) == (1, 0)


def test_seals_intact_above_dispensers_in_use_is_refused_naming_the_station(tmp_path: Path,
                                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 16: 4 seals intact beside 1 dispenser in use. The table is refused, the message names the
    station and both columns; a correcting event (−3) makes it whole again. The CLI says it in one
    line and exits 2."""
    store = Store(tmp_path / "seals.db")
    d = _disp(store, "S1", "乌审石油", "嘎鲁图站", "150626")
    _pass(store, "s1", d, date(2026, 2, 1))
    record_event(store, "seals_checked", "加油站", 4, date(2026, 3, 1), client="乌审石油")
    with pytest.raises(InconsistentCounts) as err:
        fuel_stations(store, START, END)
    assert err.value.problems == ("乌审石油 嘎鲁图站：铅封完好数量 4 大于 在用加油机数量 1",)
    assert main(["--db", str(store.path), "oversight", "fuel-stations", "--from", "2026-01-01", "--to",
                 "2026-06-30"]) == 2
    assert "乌审石油 嘎鲁图站：铅封完好数量 4 大于 在用加油机数量 1" in capsys.readouterr().err
    record_event(store, "seals_checked", "加油站", -3, date(2026, 3, 2), client="乌审石油", note="更正：重复登记")
    assert fuel_stations(store, START, END).rows[0]["seals_intact"] == 1
    # more 应检未检 + 超期未检 than dispensers cannot arise from the ledger; a negative count can
    record_event(store, "violation", "加油站", -1, date(2026, 3, 3), client="乌审石油")
    with pytest.raises(InconsistentCounts, match="发现违法行为数量 为 -1（负数）"):
        fuel_stations(store, START, END)
