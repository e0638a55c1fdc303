"""Each oversight report as a document for ``reports`` to render: the generic reports (overdue,
sampling plans, analysis, rates) as :class:`reports.oversight.OversightDocument`, the bureaus' forms
(三表, 加油站, 台账) as :class:`reports.forms.FormDocument` — exactly the form, English only when asked
and outside it, the summary and the sources of the numbers on a page after it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from bench.catalog import purpose_zh
from bench.oversight.analysis import AnalysisReport
from bench.oversight.form import Form, total_row
from bench.oversight.fuel_stations import FuelStationsTable
from bench.oversight.ledger_form import LedgerFormTable
from bench.oversight.overdue import STATUS_EN, OverdueReport
from bench.oversight.rates import RatesReport, rate_columns
from bench.oversight.rules import EVENT_KINDS, RULES, filters
from bench.oversight.sampling import BatchPlan, SamplingPlan
from bench.oversight.three_meters import ThreeMetersTable
from reports.forms import FormDocument
from reports.oversight import Column, Histogram, OversightDocument


def iso(value: date | None) -> str:
    """A date as YYYY-MM-DD, "" for none."""
    return value.isoformat() if value else ""


def rounded(value: float | None, digits: int = 3) -> float | None:
    """A statistic rounded for the table (None stays None)."""
    return None if value is None else round(value, digits)


def overdue_document(rep: OverdueReport, institution: str) -> OversightDocument:
    """The overdue report as a document (one row per instrument, worst status first)."""
    cols = (
        Column("status", "状态", "Status", 11), Column("category", "器具类别", "Category", 10),
        Column("manufacturer", "制造单位", "Manufacturer", 12), Column("model", "型号规格", "Model", 10),
        Column("serial", "出厂编号", "Serial", 13), Column("client", "使用单位", "User unit", 14),
        Column("division", "行政区划", "Division", 8), Column("last", "最近检定", "Last verified", 10, "date"),
        Column("conclusion", "结论", "Result", 6), Column("due_kind", "期限", "Term", 7),
        Column("due", "到期日", "Due", 10, "date"), Column("days", "剩余天数", "Days left", 6, "int"),
        Column("inspected", "最近使用中检查", "Last inspected", 10, "date"),
        Column("inspection", "检查结论", "Result", 6),
    )
    rows = tuple((r.status, r.instrument.category, r.instrument.manufacturer, r.instrument.model,
                  r.instrument.serial, r.instrument.client, r.instrument.division_code, iso(r.last_verified),
                  r.last_conclusion, r.due_kind, iso(r.due), r.days_left, iso(r.last_inspected),
                  r.inspection_conclusion) for r in rep.rows)
    counts = rep.counts()
    summary = (f"台账器具 {len(rep.rows)} 台 (instruments on the ledger)",
               *(f"{s} ({STATUS_EN[s]}): {n}" for s, n in counts.items()))
    rules = sorted({f"{r.instrument.category}: {r.rule}" for r in rep.rows})
    notes = (f"即将到期：{rep.soon_days} 日内到期 (due within {rep.soon_days} days)",
             "到期日：期限为“有效期”者为有效期至，为“使用期限”者为使用期限至（到期更换）(due: the end of the validity, "
             "or of the service life)",
             "应检未检：台账中无完成的检定；超期未检：超过有效期；到期未轮换：只做首次检定、限期使用的器具超过使用期限；"
             "使用中检查不合格：最近检定后的使用中检查不合格 (never verified / past due / past its service life / "
             "failed an in-service inspection since its last verification)",
             "使用中检查不延长有效期或使用期限：有效期自最近一次检定起算，使用期限自首次检定起算 (an in-service inspection "
             "renews nothing: a period runs from the last verification, a service life from the first)", *rules)
    return OversightDocument(
        key="overdue", title_zh="应检未检、超期未检情况报告", title_en="Instruments not verified or overdue",
        institution=institution, as_of=rep.as_of, period="", filters=filters(rep.division, rep.client),
        summary=summary, columns=cols, rows=rows, notes=notes, landscape=True)


def sampling_document(plan: SamplingPlan, institution: str, as_of: date) -> OversightDocument:
    """The sampling plan as a document (one row per instrument drawn) with its seed and the checks."""
    cols = (
        Column("no", "序号", "No.", 5, "int"), Column("manufacturer", "制造单位 (品牌)", "Brand", 18),
        Column("model", "型号规格", "Model", 14), Column("category", "器具类别", "Category", 12),
        Column("population", "该型号在用数", "Filed", 9, "int"), Column("quota", "抽样数", "Drawn", 7, "int"),
        Column("serial", "出厂编号", "Serial", 16), Column("client", "使用单位", "User unit", 20),
        Column("location", "安装地点", "Location", 20),
    )
    rows = []
    for g in plan.groups:
        for inst in g.selected:
            rows.append((len(rows) + 1, g.manufacturer, g.model, g.category, g.population, g.quota, inst.serial,
                         inst.client, inst.location))
    summary = (
        f"随机种子 (seed): {plan.seed}",
        f"在用充电设施 {plan.population} 台，品牌型号 {len(plan.groups)} 组 (filed chargers, brand+model groups)",
        f"抽样数 {plan.size} = max(⌈{plan.rate:.0%} × {plan.population}⌉, {len(plan.groups)}) (sample size)",
        f"覆盖全部品牌型号 (covers every brand and model): {'是 yes' if plan.covers_every_group else '否 NO'}",
        f"不少于 {plan.rate:.0%} (at least the rate): {'是 yes' if plan.meets_rate else '否 NO'}",
    )
    notes = (str(RULES["sampling"]["source"]),
             "每组至少 1 台，其余按各组在用数比例以最大余数法分配；同一台账与种子得到同一方案 "
             "(one per group, the rest in proportion by largest remainder; numpy default_rng(seed))")
    return OversightDocument(
        key="sampling", title_zh="充电设施监督抽查方案", title_en="Sampling plan for chargers",
        institution=institution, as_of=as_of, period="", filters=filters(plan.division, plan.client),
        summary=summary, columns=cols, rows=tuple(rows), notes=notes, landscape=True)



def analysis_document(rep: AnalysisReport, institution: str) -> OversightDocument:
    """The analysis report as a document: a row per brand + model, a histogram per group."""
    cols = (
        Column("manufacturer", "制造单位 (品牌)", "Brand", 18), Column("model", "型号规格", "Model", 14),
        Column("category", "器具类别", "Category", 12), Column("item", "误差项目", "Error item", 10),
        Column("count", "检定数", "Verified", 7, "int"), Column("passed", "合格数", "Passed", 7, "int"),
        Column("rate", "合格率 %", "Pass rate %", 8, "float"), Column("mean", "平均误差", "Mean error", 9, "float"),
        Column("std", "标准偏差", "Std dev", 9, "float"), Column("mean_abs", "平均|误差|", "Mean |error|", 9, "float"),
        Column("max_abs", "最大|误差|", "Max |error|", 9, "float"), Column("mpe", "MPE ±", "MPE", 7, "float"),
    )
    rows = tuple((g.manufacturer, g.model, g.category, g.item, g.count, g.passed, round(100 * g.pass_rate, 1),
                  rounded(g.mean), rounded(g.std), rounded(g.mean_abs), rounded(g.max_abs), g.mpe) for g in rep.groups)
    total = sum(g.count for g in rep.groups)
    passed = sum(g.passed for g in rep.groups)
    summary = (f"范围 (scope): {rep.scope}",
               f"检定 {total} 台，合格 {passed} 台，合格率 {100 * passed / total if total else 0:.1f} % "
               f"(verified, passed, pass rate)",
               f"品牌型号 {len(rep.groups)} 组 (brand+model groups)")
    charts = tuple(Histogram(f"{g.category} {g.manufacturer} {g.model}", rep.edges, rep.histogram(g), g.unit or "%", g.mpe)
                   for g in rep.groups if g.errors and rep.edges)
    notes = ("误差取各器具主要误差项目中绝对值最大的测量点误差 (the instrument's error: its largest |error| over the "
             "test points of the main item); 标准偏差按 n−1 计算 (sample standard deviation)",)
    return OversightDocument(
        key="analysis", title_zh="检定结果分析报告（按品牌型号）", title_en="Verification results by brand and model",
        institution=institution, as_of=rep.end, period=f"{rep.start.isoformat()} 至 {rep.end.isoformat()}",
        filters=(), summary=summary, columns=cols, rows=rows, notes=notes, charts=charts, landscape=True)



def batch_plan_document(plan: BatchPlan, institution: str) -> OversightDocument:
    """A 三表 sampling plan as a document: one row per meter drawn, batch by batch, with its seed, the
    rule and the check that every batch holds at least the rate."""
    cols = (
        Column("no", "序号", "No.", 5, "int"), Column("batch", "批次", "Batch", 24),
        Column("population", "批次数量", "In batch", 8, "int"), Column("quota", "抽样数", "Drawn", 7, "int"),
        Column("serial", "出厂编号", "Serial", 16), Column("manufacturer", "制造单位", "Manufacturer", 16),
        Column("model", "型号规格", "Model", 12), Column("client", "使用单位", "User unit", 18),
        Column("location", "安装地点", "Location", 18),
    )
    rows = []
    for b in plan.batches:
        for inst in b.selected:
            rows.append((len(rows) + 1, b.label, b.population, b.quota, inst.serial, inst.manufacturer, inst.model,
                         inst.client, inst.location))
    p = plan.plan
    rate = float(p["rate"])
    summary = (
        f"随机种子 (seed): {plan.seed}",
        f"方案 (plan): {p['key']} — {p['zh']} ({p['en']})",
        f"总体 {plan.population} 台，批次 {len(plan.batches)} 个，抽样 {plan.size} 台 (population, batches, drawn)",
        f"每批抽样数 = max(⌈{rate:.0%} × 批次数量⌉, {p.get('min_per_batch', 1)})，不超过批次数量 "
        f"(per batch: max(⌈rate × N⌉, minimum), at most N)",
        f"每批不少于 {rate:.0%} (every batch at least the rate): {'是 yes' if plan.meets_rate else '否 NO'}",
        *(f"批次 {b.label}: {b.population} 台，抽 {b.quota} 台 (batch: meters, drawn)" for b in plan.batches),
    )
    notes = (str(p["source"]),
             "批次：" + "；否则 ".join(" + ".join(fields) for fields in p["batch_by"])
             + " (the batch: the first complete set of fields)",
             "各批次按批次号排序，批内按出厂编号排序，numpy default_rng(seed) 无放回抽取；同一台账、日期与种子得到同一方案 "
             "(batches in order, members by serial; the same ledger, date and seed give the same plan)")
    return OversightDocument(
        key=f"sampling-{p['key']}", title_zh=f"{p['zh']}方案", title_en=f"Sampling plan: {p['en']}",
        institution=institution, as_of=plan.as_of, period="", filters=filters(plan.division, plan.client),
        summary=summary, columns=cols, rows=tuple(rows), notes=notes, landscape=True)


# -- the bureaus' forms ----------------------------------------------------------------------------------
def form_document(form: Form, rows: Sequence[dict[str, Any]], header: dict[str, str], as_of: date, *,
                  period: str = "", institution: str = "", summary: Sequence[tuple[str, str]] = (),
                  notes: Sequence[tuple[str, str]] = (), english: bool = False) -> FormDocument:
    """A filled form as a document: its rows (and its 合计 row when the form has one) in its columns,
    its header fields, the summary and notes (Chinese, English) printed after it, the form's source
    and the sources of its columns (:func:`column_sources`) among the notes."""
    body = [*rows, total_row(form, rows)] if form.total and rows else list(rows)
    cols = tuple(Column(c.key, c.text, c.en, max(round(c.width), 3), "int" if c.type == "int" else "text")
                 for c in form.columns)
    return FormDocument(
        key=form.key, attachment=form.attachment, title=form.title, title_en=form.title_en,
        header=tuple((k, header.get(k, "")) for k in form.header), grid=form.header_grid(), spans=form.spans(),
        columns=cols, rows=tuple(tuple(r[c.key] for c in form.columns) for r in body), as_of=as_of, period=period,
        institution=institution, summary=tuple(summary),
        notes=((form.source, "the form and its source"), *notes, *column_sources(form)), english=english)


STORE_SOURCES: dict[str, str] = {
    "household_in_use": "期末在用的民用表（台账投用日期在期末或之前且未在原地点换装）",
    "sampled_uninstalled": "本期检定目的为“监督抽查”、检定时尚未安装的民用表台数",
    "sampled_uninstalled_failed": "其中最近一次抽查检定不合格的台数",
    "sampled_in_use": "本期检定目的为“监督抽查”、检定时已安装的民用表台数",
    "sampled_in_use_failed": "其中最近一次抽查检定不合格的台数",
    "complaint_verified": "本期检定目的为“投诉举报”的民用表台数",
    "complaint_verified_failed": "其中最近一次投诉检定不合格的台数",
    "in_use": "期末在用的加油机台数（台账）",
    "verified": "其中本期经检定（不含使用中检查）的台数",
    "never_verified": "其中期末应检未检的台数",
    "overdue": "其中期末超期未检的台数",
    "failed": "其中本期最近一次检定或使用中检查不合格的台数",
    "seals_intact_verified": "其中本期最近一次检定或检查时铅封完好的台数（JJG 443 外观检查记录）",
}
"""Where a form's store metric comes from, as the notes page says it (docs/oversight.md in full)."""


def column_sources(form: Form) -> tuple[tuple[str, str], ...]:
    """One note per count column: its label and where its number comes from — the store's count
    and/or the recorded event kinds added (or subtracted)."""
    out = []
    for c in form.columns:
        parts = []
        if c.store and c.store in STORE_SOURCES:
            parts.append(STORE_SOURCES[c.store])
        elif c.store:
            parts.append(f"台账字段 {c.store}")
        if c.events:
            parts.append("加登记事件 " + "、".join(EVENT_KINDS[k][0] + f" ({k})" for k in c.events))
        if c.subtract:
            parts.append("减登记事件 " + "、".join(EVENT_KINDS[k][0] + f" ({k})" for k in c.subtract))
        if c.at_most:
            parts.append("不得大于 " + "、".join(form.column(k).text for k in c.at_most))
        if parts and c.type == "int":
            out.append((f"{c.text}：" + "；".join(parts), c.en))
    return tuple(out)


def three_meters_document(table: ThreeMetersTable, institution: str, *, english: bool = False) -> FormDocument:
    """The 民用“三表” form, filled: the form's rows; beside it, per kind, the verifications of the
    period (first verifications among them), runs by purpose, meters past their service life and
    meters whose 民用 is not said (not counted)."""
    summary = []
    for kind, v in table.extra.items():
        purposes = "，".join(f"{purpose_zh(k) or '未注明'} {n}" for k, n in table.purposes.get(kind, {}).items())
        summary.append((f"{kind}：本期检定 {v['verified']} 台（不合格 {v['failed']}），其中首次检定 {v['first']} 台"
                        f"（不合格 {v['first_failed']}）；到期未轮换 {v['due_rotation']} 台；按检定目的：{purposes or '无'}",
                        "verified (failed), first verifications (failed), service life ended, runs by purpose"))
        if v["unclassified"]:
            summary.append((f"{kind}：台账未注明是否民用 {v['unclassified']} 台，未计入本表",
                            "meters whose household flag is not set are not counted"))
        if v["installed_unverified"]:
            summary.append((f"{kind}：在用民用表中本工作站无投用前首次检定合格记录 {v['installed_unverified']} 台"
                            "（可能未经检定就安装使用，或在他处检定，请核查）",
                            "in service without a passing first verification here before commissioning: to check"))
    return form_document(table.form, table.rows, table.header, table.end,
                         period=f"{table.start.isoformat()} 至 {table.end.isoformat()}", institution=institution,
                         summary=summary, english=english)


def fuel_stations_document(table: FuelStationsTable, institution: str, *, english: bool = False) -> FormDocument:
    """The fuel-station form, filled: one row per station and the 合计; beside it the stations and
    dispensers counted and the events that named no station."""
    summary = [(f"加油站 {len(table.rows)} 座，在用加油机 {table.dispensers} 台", "stations, dispensers in service")]
    if table.unassigned:
        kinds = "，".join(f"{EVENT_KINDS.get(k, (k, k))[0]} {n}" for k, n in table.unassigned.items())
        summary.append((f"未能归入加油站的事件：{kinds} — 登记时请用 --client 单位 [--location 地点]",
                        "events naming no station of the table; record with --client UNIT [--location PLACE]"))
    return form_document(table.form, table.rows, table.header, table.end,
                         period=f"{table.start.isoformat()} 至 {table.end.isoformat()}", institution=institution,
                         summary=summary, english=english)


def ledger_form_document(table: LedgerFormTable, institution: str, *, english: bool = False) -> FormDocument:
    """The 台账 form, filled: one row per instrument in service."""
    summary = [(f"在用强检计量器具 {len(table.rows)} 台", "instruments in service")]
    return form_document(table.form, table.rows, table.header, table.as_of, institution=institution,
                         summary=summary, english=english)


def rates_document(rep: RatesReport, institution: str) -> OversightDocument:
    """The rates as a document: a row per group and the 合计, per rate its denominator, numerator and
    per cent; the definitions (numerator ÷ denominator, which instruments) and sources as notes."""
    cols = tuple(Column(c["key"], c["zh"], c["en"], c["width"], c.get("kind", "text")) for c in rate_columns(rep))
    rows = []
    for row in (*rep.rows, rep.total):
        values: list[Any] = list(row.group) + [""] * (1 + (rep.by != "category") - len(row.group))
        for r in rep.rates:
            cell = row.cells[r.key]
            values += [cell.denominator, cell.numerator, cell.percent()]
        rows.append(tuple(values))
    low = rep.below_target()
    summary = (
        *(f"{r.zh} = {r.numerator_zh} ÷ {r.denominator_zh}；合计 {rep.total.cells[r.key].numerator}/"
          f"{rep.total.cells[r.key].denominator}" + (f" = {rep.total.cells[r.key].percent()} %"
                                                     if rep.total.cells[r.key].value is not None else "（无应计器具）")
          + f"，目标 {r.target:.0%} ({r.en}: target)" for r in rep.rates),
        f"未达目标 (below target): {len(low)} 项" + ("：" + "；".join(f"{' '.join(row.group)} {r.zh}" for row, r in low)
                                                    if low else ""),
        f"台账未填投用日期 {rep.undated} 台：不计入首检率 (instruments without a commissioning date)",
    )
    notes = (*(f"{r.zh}：{r.definition}。来源：{r.source}" for r in rep.rates),
             "“—”：该组无应计器具 (nothing due in the group)")
    scope = [*filters(rep.division, rep.client)]
    if rep.household is not None:
        scope.append(("民用 (household)", "是" if rep.household else "否"))
    return OversightDocument(
        key="rates", title_zh="首检率、受检率、轮换率统计", title_en="First-verification, coverage and rotation rates",
        institution=institution, as_of=rep.end, period=f"{rep.start.isoformat()} 至 {rep.end.isoformat()}",
        filters=tuple(scope), summary=summary, columns=cols, rows=tuple(rows), notes=notes, landscape=True)

