"""A campaign's 工作总结 (or 工作进展情况) drafted from the institution's data: the notice's sections
(bench/campaigns/*.toml), each with the figures this workstation can count, and the prose left for
people (``reports/summary.py`` writes it as Word).

Every figure comes from ONE function, :func:`campaign_figures`, through the existing oversight
computations — ``bench.standing.verifications`` (finished verifications and in-service inspections,
dated), ``bench.oversight.overdue`` (应检未检 / 超期未检 / 到期未轮换 at the period's end) and the
recorded oversight events — so that figures computed elsewhere (rates such as 首检率 / 受检率 /
轮换率, the 三表 table's computed columns, the 整改 counts of bench/rectification_report) are added there, to the section
they belong to, and reach every document that uses it.

Sections are keyed (the campaign file names a key per section): ``basic`` 基本情况, ``results`` 工作成效,
``problems`` 存在问题, ``rectification`` 督促整改落实情况, ``enforcement`` 计量违法行为查处情况; any
other key (``suggestions`` 工作建议, ``next`` 下一步工作) is prose only.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from bench.campaign import CAMPAIGN_EVENT_KINDS, Campaign, Milestone, form_command
from bench.catalog import default_purpose, purpose_choices
from bench.categories import canonical_category
from bench.oversight import (
    EVENT_KINDS,
    FAILED,
    INSPECTION_FAILED,
    NEVER,
    OVERDUE,
    ROTATE,
    STATION_SEP,
    RatesReport,
    division_matches,
    overdue,
    rates,
)
from bench.rectification import STATUS_ZH
from bench.rectification_report import RectificationCounts, rectification_counts
from bench.standing import Verification, verifications
from bench.store import Store
from bench.store.models import Instrument, OversightEvent
from reports.summary import TO_WRITE, Figure, FigureTable, SummaryDocument, SummarySection

__all__ = ["SECTION_KEYS", "CampaignFigures", "campaign_figures", "cn_date", "summary_document"]

SECTION_KEYS = ("basic", "results", "problems", "rectification", "enforcement")
"""The section keys :func:`campaign_figures` fills; other keys of a campaign file are prose only."""

PROBLEM_STATUSES = (NEVER, OVERDUE, ROTATE, FAILED, INSPECTION_FAILED)
"""The overdue report's statuses that are problems, in its order (worst first)."""


@dataclass(frozen=True)
class CampaignFigures:
    """The figures of a campaign over a period, by section key (see the module docstring)."""

    campaign: str
    start: date
    end: date
    division: str | None = None
    client: str | None = None
    figures: dict[str, tuple[Figure, ...]] = field(default_factory=dict)
    tables: dict[str, tuple[FigureTable, ...]] = field(default_factory=dict)

    def value(self, section: str, label: str) -> object:
        """The value of the figure ``label`` of ``section`` (KeyError when there is none)."""
        for f in self.figures.get(section, ()):
            if f.label == label:
                return f.value
        raise KeyError(f"{section}: {label}")

    def table(self, section: str, title: str) -> FigureTable:
        """The table ``title`` of ``section`` (KeyError when there is none)."""
        for t in self.tables.get(section, ()):
            if t.title == title:
                return t
        raise KeyError(f"{section}: {title}")


def cn_date(day: date) -> str:
    """A date as official documents write it: 2024年10月20日."""
    return f"{day.year}年{day.month}月{day.day}日"


def _rate(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "—"


def _event_in(ev: OversightEvent, names: set[str], division: str | None, client: str | None) -> bool:
    """An event of the campaign's categories within the filters (a fuel station's event names its
    unit as ``UNIT／PLACE``, bench.oversight.station_key)."""
    if ev.kind in CAMPAIGN_EVENT_KINDS:
        return False
    if canonical_category(ev.category) not in names and ev.category not in names:
        return False
    if division and not (ev.division_code and division_matches(ev.division_code, division)):
        return False
    return not client or ev.client.split(STATION_SEP)[0] == client


def _kind_zh(kind: str) -> str:
    return EVENT_KINDS.get(kind, (kind, kind))[0]


def _by_category(campaign: Campaign, insts: dict[int, Instrument], looks: list[Verification]) -> FigureTable:
    cols = ("器具类别", "台账在用", "其中民用", "其中已备案", "本期检定（台次）", "合格", "不合格",
            "使用中检查（台次）", "其中不合格")
    rows: list[tuple[object, ...]] = []
    for cat in campaign.categories:
        mine = [i for i in insts.values() if canonical_category(i.category) == cat]
        ids = {i.id for i in mine}
        checks = [v for v in looks if v.instrument_id in ids and not v.inspection]
        seen = [v for v in looks if v.instrument_id in ids and v.inspection]
        rows.append((cat, len(mine), sum(1 for i in mine if i.household), sum(1 for i in mine if i.filing_status == "已备案"),
                     len(checks), sum(1 for v in checks if v.passed), sum(1 for v in checks if not v.passed),
                     len(seen), sum(1 for v in seen if not v.passed)))
    rows.append(("合计", *(sum(int(r[k]) for r in rows) for k in range(1, len(cols)))))  # type: ignore[call-overload]
    return FigureTable("在用计量器具与本期检定（按器具类别）", cols, tuple(rows),
                       "台账在用：本机构台账中该类别的器具（台）；民用、已备案：台账所记；本期检定：期间内完成的检定（台次，"
                       "一台多次检定计多次，使用中检查不计）；使用中检查：期间内完成的使用中检查（台次）")


def _by_purpose(looks: list[Verification], purposes: dict[str, str]) -> FigureTable:
    rows = []
    for choice in purpose_choices():
        mine = [v for v in looks if purposes.get(v.run_id) == choice.key]
        rows.append((choice.zh, len(mine), sum(1 for v in mine if v.passed), sum(1 for v in mine if not v.passed)))
    rows.append(("合计", len(looks), sum(1 for v in looks if v.passed), sum(1 for v in looks if not v.passed)))
    return FigureTable("本期检定及使用中检查（按检定目的）", ("检定目的", "台次", "合格", "不合格"), tuple(rows),
                       "检定目的取自每次检定所记（未记者按检定类别：首次检定→首次检定，后续检定→周期检定，使用中检查→监督抽查）")


def _statuses(campaign: Campaign, rows: Iterable[tuple[str, str]]) -> FigureTable:
    """Instruments per category and problem status at the period's end (from :func:`overdue`)."""
    counts = Counter(rows)
    body = [(cat, *(counts[(cat, s)] for s in PROBLEM_STATUSES)) for cat in campaign.categories]
    body.append(("合计", *(sum(int(r[k]) for r in body) for k in range(1, len(PROBLEM_STATUSES) + 1))))  # type: ignore[call-overload]
    return FigureTable("期末器具状态（按器具类别）", ("器具类别", *PROBLEM_STATUSES), tuple(body),
                       "期末（统计截止日）每台台账器具的状态，同“应检未检、超期未检情况报告”（jianding oversight overdue）："
                       "有效期自最近一次检定起算，使用期限自首次检定起算，使用中检查不延长有效期")


def _recovered(looks: list[Verification]) -> tuple[int, int]:
    """(instruments found 不合格 in the period, of those re-verified 合格 after their last failure in
    the period) — a verification, not an inspection, renews an instrument."""
    by_inst: dict[int, list[Verification]] = defaultdict(list)
    for v in looks:
        by_inst[v.instrument_id].append(v)
    failed = recovered = 0
    for history in by_inst.values():
        last_fail = max((k for k, v in enumerate(history) if not v.passed), default=None)
        if last_fail is None:
            continue
        failed += 1
        recovered += any(v.passed and not v.inspection for v in history[last_fail + 1:])
    return failed, recovered


def campaign_figures(store: Store, campaign: Campaign, start: date, end: date, *, division: str | None = None,
                     client: str | None = None) -> CampaignFigures:
    """Count what the workstation knows of ``campaign`` over ``start`` … ``end``: the ledger's
    instruments of the campaign's categories (in ``division`` and of ``client`` when given), their
    verifications and in-service inspections in the period (by category, by purpose, results), their
    status at ``end`` (应检未检, 超期未检, 到期未轮换, 检定不合格, 使用中检查不合格), those found
    不合格 and re-verified, and the oversight events recorded in the period for the campaign's
    categories, 首检率, 受检率 and 轮换率 (bench/oversight/rates) and the 整改 items of its categories
    opened in the period with their status at ``end`` (``client`` as their owner). Each figure goes to
    its section key."""
    if start > end:
        raise ValueError(f"起始日期晚于截止日期 (start {start} is after end {end})")
    cats = set(campaign.categories)
    insts = {i.id or 0: i for i in store.instruments() if canonical_category(i.category) in cats
             and division_matches(i.division_code, division) and (not client or i.client == client)}
    looks = [v for v in verifications(store) if v.instrument_id in insts and start <= v.verified_on <= end]
    checks = [v for v in looks if not v.inspection]
    seen = [v for v in looks if v.inspection]
    purposes = {r.id: r.purpose or default_purpose(r.verification_type) for r in store.runs(status="finished")}
    status_rows = [(canonical_category(r.instrument.category), r.status)
                   for r in overdue(store, end, division=division, client=client).rows if r.instrument.id in insts]
    events = [e for e in store.oversight_events(start, end) if _event_in(e, campaign.event_names(), division, client)]
    ev: Counter[str] = Counter()
    for e in events:
        ev[e.kind] += e.count

    def by_purpose(key: str) -> list[Verification]:
        return [v for v in looks if purposes.get(v.run_id) == key]

    sampled, complained = by_purpose("sampling"), by_purpose("complaint")
    failed, recovered = _recovered(looks)
    problems = Counter(s for _, s in status_rows)
    events_table = FigureTable(
        "本期登记的监督事件（按类型）", ("事件类型", "数量"),
        tuple((_kind_zh(k), n) for k, n in sorted(ev.items()) if n),
        "jianding oversight record 登记、期间内发生、属本专项器具类别的事件；更正为负数登记，已计入")
    figures = {
        "basic": (
            Figure("台账在用计量器具（台）", len(insts), f"本专项器具类别：{'、'.join(campaign.categories)}"),
            Figure("本期检定（台次）", len(checks), "期间内完成的检定"),
            Figure("本期使用中检查（台次）", len(seen), "期间内完成的使用中检查"),
        ),
        "results": (
            Figure("本期检定合格率", _rate(sum(1 for v in checks if v.passed), len(checks)), "合格台次 / 检定台次"),
            Figure("监督抽查检定及使用中检查（台次）", len(sampled), "检定目的为监督抽查"),
            Figure("其中不合格（台次）", sum(1 for v in sampled if not v.passed), "检定目的为监督抽查"),
            Figure("投诉举报器具检定（台次）", len(complained), "检定目的为投诉举报"),
            Figure("其中不合格（台次）", sum(1 for v in complained if not v.passed), "检定目的为投诉举报"),
            Figure("登记的抽查已首检未安装器具（台）", ev["uninstalled_sampled"], "登记事件 uninstalled_sampled"),
            Figure("登记的抽查在用器具（台，本工作站外）", ev["in_use_sampled"], "登记事件 in_use_sampled"),
            Figure("检查检定机构（家）", ev["institution_inspected"], "登记事件 institution_inspected"),
            Figure("检查加油机铅封（台）", ev["seals_checked"], "登记事件 seals_checked"),
        ),
        "problems": (
            *(Figure(f"期末{s}（台）", problems[s], "统计截止日的器具状态") for s in PROBLEM_STATUSES),
            Figure("本期检定不合格（台次）", sum(1 for v in checks if not v.passed), "期间内完成的检定"),
            Figure("本期使用中检查不合格（台次）", sum(1 for v in seen if not v.passed), "期间内完成的使用中检查"),
            Figure("加油机铅封破损（台）", ev["seals_broken"], "登记事件 seals_broken"),
        ),
        "rectification": (
            Figure("本期检定或检查不合格的器具（台）", failed, "期间内有一次检定或使用中检查不合格"),
            Figure("其中已复检合格（台）", recovered, "最后一次不合格之后期间内又经检定合格"),
            Figure("其中尚未复检合格（台）", failed - recovered, "不合格器具减已复检合格"),
            Figure("服务企业更换计量器具（台）", ev["replacement"], "登记事件 replacement"),
        ),
        "enforcement": (
            Figure("发现计量违法行为（起）", ev["violation"], "登记事件 violation"),
            Figure("检定机构违法行为（起）", ev["institution_violation"], "登记事件 institution_violation"),
            Figure("立案（件）", ev["case"], "登记事件 case"),
            Figure("市场监管部门受理投诉举报（件）", ev["complaint"], "登记事件 complaint"),
            Figure("服务企业受理投诉举报（件）", ev["service_complaint"], "登记事件 service_complaint"),
        ),
    }
    rate_rep = rates(store, start, end, by="category", categories=campaign.categories, division=division,
                     client=client)
    figures["results"] = (*figures["results"], *(
        Figure(f"{r.zh}（合计）", _rate(rate_rep.total.cells[r.key].numerator, rate_rep.total.cells[r.key].denominator),
               f"{r.numerator_zh} / {r.denominator_zh}（bench/oversight/rates.toml；目标 {r.target:g} %）")
        for r in rate_rep.rates))
    rect = rectification_counts(store, end, start=start, division=division, owner=client,
                                categories=campaign.event_names())
    figures["rectification"] = (*figures["rectification"], *_rectification_figures(rect))
    tables = {
        "basic": (_by_category(campaign, insts, looks), _by_purpose(looks, purposes), events_table),
        "results": (_rates_table(rate_rep),),
        "problems": (_statuses(campaign, status_rows),),
    }
    return CampaignFigures(campaign.key, start, end, division, client, figures, tables)


def _rectification_figures(rect: RectificationCounts) -> tuple[Figure, ...]:
    """整改 items of the campaign's categories opened in the period and their status at its end
    (bench/rectification_report.rectification_counts, the 整改情况表's counts)."""
    src = "jianding oversight rectification list：期间内立项、属本专项器具类别的整改项，状态为期末状态"
    return (
        Figure("本期立项整改（项）", rect.opened, src),
        *(Figure(f"其中{k}（项）", n, "立项时的问题类别") for k, n in rect.by_kind.items()),
        *(Figure(f"期末{zh}（项）", rect.by_status.get(s, 0), src) for s, zh in STATUS_ZH.items()),
        Figure("按期整改（项）", rect.rectified_in_time, "首次报告整改在整改期限内"),
        Figure("逾期整改（项）", rect.rectified_late, "首次报告整改在整改期限之后"),
        Figure("验证关闭率", _rate(rect.by_status.get("closed", 0), rect.opened - rect.by_status.get("withdrawn", 0)),
               "已验证关闭 / （立项 − 已撤销）"),
    )


def _rates_table(rep: RatesReport) -> FigureTable:
    """首检率, 受检率, 轮换率 by category (the rates report's rows and 合计), as jianding oversight rates
    gives them."""
    rows = tuple((" ".join(row.group) or "合计", r.zh, row.cells[r.key].numerator, row.cells[r.key].denominator,
                  _rate(row.cells[r.key].numerator, row.cells[r.key].denominator))
                 for row in (*rep.rows, rep.total) for r in rep.rates if row.cells[r.key].denominator)
    return FigureTable("首检率、受检率、轮换率（按器具类别）", ("类别", "比率", "分子", "分母", "比率值"), rows,
                       "jianding oversight rates：定义见 bench/oversight/rates.toml（分母为零的行略去）")


def summary_document(campaign: Campaign, milestone: Milestone, figures: CampaignFigures, *, due: date,
                     as_of: date, header: dict[str, str], author: str = "") -> SummaryDocument:
    """The document ``milestone`` asks for (its sections in the notice's order), due ``due``, with
    ``figures`` in the sections they belong to, the campaign's targets beside 工作成效, the other
    forms of the milestone as attachments and how the draft was made in the notes."""
    if not milestone.sections:
        raise ValueError(f"事项 {milestone.key} 不要求书面材料 (milestone {milestone.key} asks for no written document); "
                         f"有书面材料的事项 (milestones with one): "
                         f"{', '.join(m.key for m in campaign.milestones if m.sections) or '无 (none)'}")
    sections = []
    for s in milestone.sections:
        hint = s.hint
        if s.key == "results" and campaign.targets:
            hint = f"{hint}（通知要求：{campaign.targets}）" if hint else f"通知要求：{campaign.targets}"
        sections.append(SummarySection(s.title, hint, figures.figures.get(s.key, ()), figures.tables.get(s.key, ())))
    scope = "、".join(x for x in (f"行政区划 {figures.division}" if figures.division else "",
                                  f"使用单位 {figures.client}" if figures.client else "") if x)
    lines = (f"（{campaign.bureau}《{campaign.name}》{campaign.document_no}）",
             f"统计期间：{cn_date(figures.start)}至{cn_date(figures.end)}" + (f"（{scope}）" if scope else ""),
             f"报送{campaign.recipient or campaign.bureau}，{cn_date(due)}前")
    others = [campaign.form(k) for k in milestone.forms if campaign.form(k).report != "summary"]
    attachments = tuple(f"{f.attachment}：{f.name}" if f.attachment else f.name for f in others)
    notes = (f"本稿由简定工作站于{cn_date(as_of)}起草：数字取自本机构台账、检定记录（含使用中检查）与登记的监督事件，"
             f"口径见各表；黄色“{TO_WRITE}”处由人工撰写。",
             *(f"{f.name}：{cmd}" for f in others
               if (cmd := form_command(campaign, milestone, f, figures.start, figures.end))),
             f"通知原文：{campaign.notice}；{milestone.source}")
    return SummaryDocument(milestone.document or milestone.name, as_of, author, lines, tuple(header.items()),
                           tuple(sections), attachments, notes)

