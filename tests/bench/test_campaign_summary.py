"""The campaign's 工作总结 (bench/campaign_summary.py): its figures against hand counts on a small
store (ledger, verifications and in-service inspections with their purposes, statuses at the
period's end, recorded oversight events, the division filter), and ``jianding oversight summary``
writing a Word document that opens with the notice's sections and records the draft."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from docx import Document

from bench.campaign import DRAFTED, DUE, calendar, find_campaign
from bench.campaign_summary import CampaignFigures, campaign_figures, summary_document
from bench.cli import main
from bench.oversight import FAILED, INSPECTION_FAILED, NEVER, OVERDUE, ROTATE, record_event
from bench.store import Store
from bench.store.models import Instrument
from reports.summary import TO_WRITE
from tests.bench.conftest import log_in
from tests.bench.test_oversight import _inst, _run

WUSHEN = "wushen-2024-sanbiao-fuel"
START, END = date(2024, 6, 7), date(2024, 10, 20)
SECTIONS = ["基本情况", "工作成效", "存在问题", "督促整改落实情况", "计量违法行为查处情况", "工作建议"]


def _household(store: Store, serial: str, category: str, division: str, *, filing: str = "",
               params: dict[str, float] | None = None) -> Instrument:
    """A meter in a home (民用) on the ledger, with its 备案 status."""
    return store.add_instrument(category=category, name=category, model="M1", serial=serial, manufacturer="甲厂",
                                accuracy_class="2", client="供电公司" if category == "电能表" else "水务",
                                division_code=division, household=True, filing_status=filing, params=params or {})


def _small_store(path: Path) -> tuple[Store, dict[str, Instrument]]:
    """Eight instruments of the campaign's categories and one charger (not of the campaign), their
    verifications around the period 2024-06-07 … 2024-10-20, and oversight events in and out of it."""
    store = Store(path)
    div = "150626"
    i: dict[str, Instrument] = {
        "E1": _household(store, "E1", "电能表", div, filing="已备案"),
        "E2": _household(store, "E2", "电能表", div),
        "E3": _inst(store, "E3", "电能表", division="150627", client="供电公司"),  # another banner
        "W1": _household(store, "W1", "水表", div, filing="已备案", params={"dn_mm": 15, "q3_m3_h": 2.5}),
        "W2": _inst(store, "W2", "水表", params={"dn_mm": 15, "q3_m3_h": 2.5}, division=div, client="水务"),
        "G1": _inst(store, "G1", "膜式燃气表", cls="1.5", params={"gas_kind": "lpg"}, division=div, client="燃气"),
        "F1": _inst(store, "F1", "燃油加油机", cls="0.3", division=div, client="乌审石化"),
        "F2": _inst(store, "F2", "燃油加油机", cls="0.3", division=div, client="乌审石化"),
        "A1": _inst(store, "A1", "交流充电桩", division=div),
    }
    _run(store, "e1", i["E1"], "jjg596", date(2024, 6, 20), [0.5])                    # first, passes
    _run(store, "e2-check", i["E2"], "jjg596", date(2024, 7, 10), [2.5], vtype="in_use")  # inspection fails
    _run(store, "e2", i["E2"], "jjg596", date(2024, 8, 1), [0.4], vtype="subsequent")  # re-verified, passes
    _run(store, "w1", i["W1"], "jjg162", date(2024, 7, 5), [3.0])                      # complaint, fails
    store.update_run("w1", purpose="complaint")
    _run(store, "w2", i["W2"], "jjg162", date(2018, 5, 1), [0.5])                      # before: 6-year life
    _run(store, "g1", i["G1"], "jjg577", date(2024, 9, 10), [0.5], mpe=1.5)            # sampled, passes
    store.update_run("g1", purpose="sampling")
    _run(store, "f1", i["F1"], "jjg443", date(2024, 3, 1), [0.1], mpe=0.3)             # before: 6 months
    _run(store, "f2", i["F2"], "jjg443", date(2024, 10, 25), [0.1], mpe=0.3)           # after the period
    _run(store, "a1", i["A1"], "jjg1148", date(2024, 8, 1), [0.3])                     # not of the campaign
    for kind, cat, n, on, who in [
        ("violation", "水表", 2, date(2024, 8, 1), ""), ("violation", "水表", -1, date(2024, 8, 2), ""),
        ("case", "水表", 1, date(2024, 9, 1), ""), ("case", "水表", 1, date(2024, 11, 1), ""),  # after
        ("replacement", "电能表", 3, date(2024, 8, 10), ""), ("complaint", "燃气表", 4, date(2024, 7, 1), ""),
        ("seals_checked", "加油站", 2, date(2024, 8, 20), "乌审石化"),
        ("seals_broken", "加油站", 1, date(2024, 8, 20), "乌审石化"),
        ("violation", "交流充电桩", 5, date(2024, 8, 1), ""),  # not of the campaign
    ]:
        record_event(store, kind, cat, n, on, client=who, note="更正" if n < 0 else "")
    return store, i


@pytest.fixture
def small(tmp_path: Path) -> tuple[Store, dict[str, Instrument]]:
    return _small_store(tmp_path / "s.db")


def _figures(store: Store, **kw: str) -> CampaignFigures:
    return campaign_figures(store, find_campaign(WUSHEN), START, END, **kw)


def test_figures_against_hand_counts(small: tuple[Store, dict[str, Instrument]]) -> None:
    store, _ = small
    f = _figures(store)
    # 基本情况: eight ledger instruments of the campaign's categories (A1 is a charger)
    assert f.value("basic", "台账在用计量器具（台）") == 8
    # verifications in the period: E1, E2, W1, G1 (F1 before, F2 after, W2 in 2018); one inspection (E2)
    assert (f.value("basic", "本期检定（台次）"), f.value("basic", "本期使用中检查（台次）")) == (4, 1)
    cats = f.table("basic", "在用计量器具与本期检定（按器具类别）")
    assert cats.rows == (
        # category, on ledger, household, filed, verified, passed, failed, inspected, of which failed
        ("电能表", 3, 2, 1, 2, 2, 0, 1, 1),
        ("水表", 2, 1, 1, 1, 0, 1, 0, 0),
        ("膜式燃气表", 1, 0, 0, 1, 1, 0, 0, 0),
        ("燃油加油机", 2, 0, 0, 0, 0, 0, 0, 0),
        ("合计", 8, 3, 2, 4, 3, 1, 1, 1),
    )
    # by purpose: E1 first (default of a first verification), E2 periodic (default of a subsequent
    # one), the inspection of E2 and G1 sampling, W1 complaint
    purposes = {r[0]: r[1:] for r in f.table("basic", "本期检定及使用中检查（按检定目的）").rows}
    assert purposes == {"首次检定": (1, 1, 0), "周期检定": (1, 1, 0), "监督抽查": (2, 1, 1), "投诉举报": (1, 0, 1),
                        "仲裁检定": (0, 0, 0), "委托检定": (0, 0, 0), "合计": (5, 3, 2)}
    # events of the period and the campaign's categories (燃气表 is 膜式燃气表, 加油站 the campaign's
    # event name): violation 2 − 1, case 1 (the November one is after), the charger's left out
    events = dict(f.table("basic", "本期登记的监督事件（按类型）").rows)
    assert events == {"立案": 1, "市场监管部门受理投诉举报": 4, "更换计量器具": 3, "加油机铅封破损": 1,
                      "检查加油机铅封": 2, "发现违法行为": 1}
    # 工作成效
    assert f.value("results", "本期检定合格率") == "75.0 %"  # 3 of 4
    assert f.value("results", "监督抽查检定及使用中检查（台次）") == 2
    assert f.value("results", "投诉举报器具检定（台次）") == 1
    assert f.value("results", "检查加油机铅封（台）") == 2
    # 存在问题 at 20 October: E3 and F2 never verified (F2 only after the end), F1 past its 6 months
    # (2024-03-01 → 2024-08-31), W2 past its 6-year life (2018-05-01 → 2024-04-30), W1 failed
    statuses = f.table("problems", "期末器具状态（按器具类别）")
    assert statuses.columns == ("器具类别", NEVER, OVERDUE, ROTATE, FAILED, INSPECTION_FAILED)
    assert statuses.rows == (("电能表", 1, 0, 0, 0, 0), ("水表", 0, 0, 1, 1, 0), ("膜式燃气表", 0, 0, 0, 0, 0),
                             ("燃油加油机", 1, 1, 0, 0, 0), ("合计", 2, 1, 1, 1, 0))
    assert f.value("problems", f"期末{NEVER}（台）") == 2
    assert (f.value("problems", "本期检定不合格（台次）"), f.value("problems", "本期使用中检查不合格（台次）")) == (1, 1)
    assert f.value("problems", "加油机铅封破损（台）") == 1
    # 督促整改落实情况: E2 (inspection failed, re-verified) and W1 found non-conforming; E2 recovered
    assert [f.value("rectification", k) for k in ("本期检定或检查不合格的器具（台）", "其中已复检合格（台）",
                                                   "其中尚未复检合格（台）", "服务企业更换计量器具（台）")] == [2, 1, 1, 3]
    # 计量违法行为查处情况
    assert [f.value("enforcement", k) for k in ("发现计量违法行为（起）", "立案（件）", "市场监管部门受理投诉举报（件）")] == [1, 1, 4]


def test_figures_filtered_by_division_and_period(small: tuple[Store, dict[str, Instrument]]) -> None:
    store, _ = small
    f = _figures(store, division="150626")  # E3 sits in 150627
    assert f.value("basic", "台账在用计量器具（台）") == 7
    assert f.table("problems", "期末器具状态（按器具类别）").rows[0] == ("电能表", 0, 0, 0, 0, 0)
    # events carry no division: a division filter leaves them out (as the 三表 table does)
    assert f.table("basic", "本期登记的监督事件（按类型）").rows == ()
    early = campaign_figures(store, find_campaign(WUSHEN), START, date(2024, 7, 31))
    assert early.value("basic", "本期检定（台次）") == 2  # E1 and W1; E2's re-verification is in August
    assert early.value("rectification", "其中已复检合格（台）") == 0
    with pytest.raises(ValueError, match="起始日期晚于截止日期"):
        campaign_figures(store, find_campaign(WUSHEN), END, START)


def test_summary_document_sections_in_the_notices_order(small: tuple[Store, dict[str, Instrument]]) -> None:
    store, _ = small
    w = find_campaign(WUSHEN)
    doc = summary_document(w, w.milestone("summary"), _figures(store), due=date(2024, 10, 20), as_of=date(2024, 10, 18),
                           header={"填报单位（盖章）": "乌审旗市场监督管理局", "填报日期": "2024-10-18", "填报人": "",
                                   "联系方式": ""})
    assert [s.title for s in doc.sections] == SECTIONS
    assert doc.title == "民用“三表”及燃油加油机专项整治工作总结"
    assert "报送旗产品质量发展与计量标准化安全监督管理股，2024年10月20日前" in doc.lines
    assert doc.attachments == ("附件2：民用“三表”计量专项监督检查统计表", "附件3：加油站在用强检计量器具专项监督检查统计表")
    assert "首检率、轮换率、受检率达到100%" in doc.sections[1].hint  # the notice's targets beside 工作成效
    assert doc.sections[-1].figures == () and doc.sections[-1].tables == ()  # 工作建议: prose only
    with pytest.raises(ValueError, match="不要求书面材料"):
        summary_document(w, w.milestone("self_inspection"), _figures(store), due=date(2024, 7, 1),
                         as_of=date(2024, 7, 1), header={})


def _texts(path: Path) -> tuple[list[str], list[str], list[list[list[str]]]]:
    """(headings, every paragraph's text, every table as rows of cell texts) of a .docx."""
    d = Document(str(path))
    heads = [p.text for p in d.paragraphs if p.style is not None and p.style.name == "Heading 1"]
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in d.tables]
    return heads, [p.text for p in d.paragraphs], tables


def test_cli_summary_writes_word_and_records_the_draft(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "s.db"
    store, _ = _small_store(db)
    log_in(monkeypatch, db, "张起草", "verifier")  # the 起草人 is the logged-in account
    out = tmp_path / "总结" / "工作总结.docx"
    assert main(["--db", str(db), "oversight", "summary", "--campaign", WUSHEN, "--as-of", "2024-10-18",
                 "--to", "2024-10-20", "--institution", "乌审旗计量检定所", "--reporter", "张三",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"Word: {out}" in printed and f"jianding oversight campaign done {WUSHEN} summary" in printed
    heads, paras, tables = _texts(out)
    assert heads == [f"{n}、{t}" for n, t in zip("一二三四五六", SECTIONS, strict=True)]
    assert paras[0] == "民用“三表”及燃油加油机专项整治工作总结"
    assert "统计期间：2024年6月7日至2024年10月20日" in paras
    assert "填报单位（盖章）：乌审旗计量检定所" in paras and "填报人：张三" in paras
    # every section has its place to write, marked; the header's empty 联系方式 too
    assert sum(p.startswith(TO_WRITE) for p in paras) == 6 and f"联系方式：{TO_WRITE}" in paras
    # the figures as counted: the category table and the statuses at the end
    cats = next(t for t in tables if t[0][0] == "器具类别" and t[0][1] == "台账在用")
    assert cats[-1] == ["合计", "8", "3", "2", "4", "3", "1", "1", "1"]
    basic = next(t for t in tables if ["台账在用计量器具（台）", "8"] == t[1][:2])
    assert basic[0] == ["项目", "数值", "统计口径"]
    assert "附件2：民用“三表”计量专项监督检查统计表" in paras
    # the draft is on record beside the deadline; the deadline is still to be done
    summary = {d.key: d for d in calendar(store, find_campaign(WUSHEN), date(2024, 10, 18)).deadlines}["summary"]
    assert (summary.status, summary.drafted_on, summary.note) == (DUE, date(2024, 10, 18), str(out))
    assert [e.kind for e in store.oversight_events() if e.category == WUSHEN] == [DRAFTED]
    # a progress report: the next deadline on the drafting day, its own sections
    prog = tmp_path / "进展.docx"
    assert main(["--db", str(db), "oversight", "summary", "--campaign", WUSHEN, "--milestone", "progress",
                 "--due", "2024-07-14", "--as-of", "2024-07-12", "--out", str(prog)]) == 0
    heads, paras, _ = _texts(prog)
    assert heads == ["一、工作进展", "二、发现的问题", "三、整改情况", "四、下一步工作"]
    assert "统计期间：2024年6月7日至2024年7月12日" in paras  # campaign start to the drafting day
    assert main(["--db", str(db), "oversight", "summary", "--campaign", WUSHEN, "--milestone", "self_inspection",
                 "--out", str(tmp_path / "x.docx")]) == 2
    assert "不要求书面材料" in capsys.readouterr().err


def test_rates_in_the_summary_are_those_of_the_rates_report(small: tuple[Store, dict[str, Instrument]]) -> None:
    """首检率, 受检率 and 轮换率 (hand-counted in tests/bench/oversight/test_oversight_rates.py) reach the
    工作成效 section as the rates report gives them for the campaign's categories and period."""
    from bench.oversight import rates

    store, _ = small
    f = _figures(store)
    rep = rates(store, START, END, by="category", categories=find_campaign(WUSHEN).categories)
    for r in rep.rates:
        cell = rep.total.cells[r.key]
        expected = f"{100 * cell.numerator / cell.denominator:.1f} %" if cell.denominator else "—"
        assert f.value("results", f"{r.zh}（合计）") == expected
    table = f.table("results", "首检率、受检率、轮换率（按器具类别）")
    assert table.rows and {row[1] for row in table.rows} <= {r.zh for r in rep.rates}


def test_rectification_items_of_the_campaign_reach_its_summary(small: tuple[Store, dict[str, Instrument]]) -> None:
    """督促整改落实情况 carries the 整改 items of the campaign's categories opened in the period and
    their status at its end, as bench/rectification_report counts them; an item of another category
    (the charger) is left out."""
    from bench.rectification import Finding, open_findings, rectify, verify
    from bench.rectification_report import overdue_findings

    store, i = small
    # scanned on 2 September (as of 1 September): E3, F2 and G1 (verified on 10 September) never
    # verified, F1 past its 6 months (due 2024-08-31), W2 past its 6-year life — five items; and one
    # for the charger by hand
    found = overdue_findings(store, date(2024, 9, 1))
    assert sorted(f.serial for f in found) == ["E3", "F1", "F2", "G1", "W2"]
    a1 = i["A1"]
    charger = Finding("violation", "test:a1", "计量违法行为", "充电运营", a1.id, "A1", a1.category, "150626")
    items = {it.opened.serial: it for it in open_findings(store, [*found, charger], on=date(2024, 9, 2), by="李监管")}
    # F1 rectified in time and verified closed; W2 rectified only after the period
    rectify(store, items["F1"].no, unit="乌审石化", by="孙站长", evidence="已申请检定", on=date(2024, 9, 10))
    verify(store, items["F1"].no, party="乌审旗市场监管局", by="钱核查", on=date(2024, 9, 12))
    rectify(store, items["W2"].no, unit="水务", by="周工", evidence="已更换", on=date(2024, 10, 30))

    f = _figures(store)
    assert f.value("rectification", "本期立项整改（项）") == 5  # the charger's is not of the campaign
    assert f.value("rectification", "其中应检未检（项）") == 3
    assert f.value("rectification", "其中超期未检（项）") == 1
    assert f.value("rectification", "其中到期未轮换（项）") == 1
    # at 20 October: F1 closed; E3, F2, G1 (15 working days from 2 September: 23 September — G1's
    # verification is no report of its rectification) and W2 (30 days: 2 October) past their
    # deadlines — W2's rectification on 30 October is after the period
    assert f.value("rectification", "期末逾期未整改（项）") == 4
    assert f.value("rectification", "期末已验证关闭（项）") == 1
    assert f.value("rectification", "期末已整改待核查（项）") == 0
    assert (f.value("rectification", "按期整改（项）"), f.value("rectification", "逾期整改（项）")) == (1, 0)
    assert f.value("rectification", "验证关闭率") == "20.0 %"  # 1 of 5
    # a period ending before the scan opens nothing
    early = campaign_figures(store, find_campaign(WUSHEN), START, date(2024, 8, 31))
    assert early.value("rectification", "本期立项整改（项）") == 0
    assert early.value("rectification", "验证关闭率") == "—"
