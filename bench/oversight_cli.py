"""``jianding oversight …`` — the reports the supervising bureaus ask for, as text, PDF and Excel.

    jianding oversight overdue      [--as-of DATE] [--soon-days N]     应检未检 / 超期未检
    jianding oversight sampling     [--seed N] [--rate 0.05] [--plan KEY] 抽查方案 (chargers; 三表 by batch)
    jianding oversight three-meters [--from DATE] [--to DATE] [--form KEY] 民用“三表”计量专项监督检查统计表
    jianding oversight analysis     [--from DATE] [--to DATE] [--seed N] results by brand and model
    jianding oversight fuel-stations [--from DATE] [--to DATE] [--form KEY] 加油站在用强检计量器具统计表
    jianding oversight ledger-form  [--as-of DATE] [--form KEY]        在用强检计量器具台账 (附件1)
    jianding oversight rates        [--from DATE] [--to DATE] [--by category|division|client]  首检率/受检率/轮换率
    jianding oversight forms                                            the bureaus' forms shipped
    jianding oversight record KIND --category 水表 --count N [--date DATE] [--note TEXT] [--location PLACE]
    jianding oversight campaign list|show NAME|done NAME MILESTONE     专项工作日历 (bench/campaign_cli.py)
    jianding oversight summary --campaign NAME --out FILE.docx          工作总结 (Word)
    jianding oversight rectification list|show|scan|open|rectify|verify|close|withdraw   整改 (rectification_cli)

Every report takes ``--division CODE`` and ``--client NAME`` filters, ``--institution NAME`` and
writes ``--pdf FILE`` and/or ``--xlsx FILE``; a bureau's form prints English only with ``--english``
(after the form). Rules and sources: docs/oversight.md.
"""

from __future__ import annotations

import argparse
import secrets
from datetime import date
from typing import Any

from bench.account_cli import login_for, refuse_operator
from bench.campaign_cli import register as register_campaign
from bench.cli_args import iso_date as _date
from bench.cli_args import open_store as _store
from bench.cli_args import write_document
from bench.oversight import (
    EVENT_KINDS,
    PLANS,
    analysis,
    analysis_document,
    batch_plan,
    batch_plan_document,
    forms,
    fuel_stations,
    fuel_stations_document,
    ledger_form,
    ledger_form_document,
    load_form,
    overdue,
    overdue_document,
    rates,
    rates_document,
    record_event,
    sampling_document,
    sampling_plan,
    station_key,
    three_meters,
    three_meters_document,
)
from bench.oversight.rates import BY
from bench.rectification_cli import register as register_rectification
from reports.forms import FormDocument
from reports.oversight import OversightDocument


def _as_of(args: argparse.Namespace) -> date:
    return args.as_of or date.today()


def _period(args: argparse.Namespace) -> tuple[date, date]:
    end = args.to or _as_of(args)
    start = args.start or date(end.year, 1, 1)
    if start > end:
        raise ValueError(f"起始日期晚于截止日期 (--from {start} is after --to {end})")
    return start, end


def _emit(doc: OversightDocument | FormDocument, args: argparse.Namespace, limit: int = 20) -> int:
    """Print the summary and the first rows; write the PDF and Excel files asked for (a bureau's form
    as the form, :mod:`reports.forms`)."""
    print(f"{doc.title_zh} ({doc.title_en})  截止 (as of) {doc.as_of}" + (f"  期间 (period) {doc.period}" if doc.period else ""))
    for line in (doc.lines(doc.summary) if isinstance(doc, FormDocument) else doc.summary):
        print(f"  {line}")
    if doc.rows:
        print("  " + " | ".join(c.zh for c in doc.columns))
        for row in doc.rows[:limit]:
            print("  " + " | ".join("" if v is None else str(v) for v in row))
        if len(doc.rows) > limit:
            print(f"  … 共 {len(doc.rows)} 行 (rows); 全部见文件 (all rows in the files)")
    write_document(doc, args.pdf, args.xlsx)
    return 0


def cmd_overdue(args: argparse.Namespace) -> int:
    """应检未检 / 超期未检 as of a date."""
    rep = overdue(_store(args), _as_of(args), soon_days=args.soon_days, division=args.division, client=args.client)
    return _emit(overdue_document(rep, args.institution), args)


def cmd_sampling(args: argparse.Namespace) -> int:
    """A sampling plan from a seed (a new random seed, printed, when none is given): the chargers', or
    with ``--plan`` a 三表 plan by batch (sampling_plans.toml)."""
    seed = args.seed if args.seed is not None else secrets.randbits(32)
    if args.plan and args.plan != "chargers":
        code = _emit(_batch_plan(args, seed), args)
    else:
        plan = sampling_plan(_store(args), seed, rate=args.rate, division=args.division, client=args.client)
        code = _emit(sampling_document(plan, args.institution, _as_of(args)), args)
    if args.seed is None:
        print(f"复现此方案 (to reproduce this plan): --seed {seed}")
    return code


def cmd_three_meters(args: argparse.Namespace) -> int:
    """The 民用“三表” statistics form for a period (``--form`` a bureau's variant)."""
    start, end = _period(args)
    table = three_meters(_store(args), start, end, division=args.division, client=args.client, header=_header(args),
                         form=_form(args))
    return _emit(three_meters_document(table, args.institution, english=args.english), args)


def _header(args: argparse.Namespace) -> dict[str, str]:
    return {"填报单位（盖章）": args.unit or args.institution, "填报日期": _as_of(args).isoformat(),
            "填报人": args.reporter, "联系方式": args.contact}


def cmd_fuel_stations(args: argparse.Namespace) -> int:
    """The fuel-station table (加油站在用强检计量器具专项监督检查统计表) for a period."""
    start, end = _period(args)
    table = fuel_stations(_store(args), start, end, division=args.division, client=args.client,
                          header=_header(args), form=_form(args))
    return _emit(fuel_stations_document(table, args.institution, english=args.english), args)


def cmd_analysis(args: argparse.Namespace) -> int:
    """Results by brand and model for a period: all verifications, or a sampling plan's items."""
    store = _store(args)
    start, end = _period(args)
    ids = None
    scope = ""
    if args.seed is not None:
        plan = sampling_plan(store, args.seed, rate=args.rate, division=args.division, client=args.client)
        ids = [i.id or 0 for i in plan.selected]
        scope = f"抽查方案 (sampling plan) seed {args.seed}: {len(ids)} 台"
    rep = analysis(store, start, end, instrument_ids=ids, categories=args.category or None, division=args.division,
                   client=args.client, scope=scope)
    return _emit(analysis_document(rep, args.institution), args)


def cmd_record(args: argparse.Namespace) -> int:
    """Append an oversight event (hash-chained; a correction is a negative count). ``--location``
    names one station of a user unit (stored as 单位／地点, see bench.oversight.station_key)."""
    if args.location and not args.client:
        raise ValueError("--location 须与 --client 同用 (--location needs --client)")
    who = station_key(args.client, args.location) if args.location else args.client or ""
    store = _store(args)
    by = login_for(store, "oversight.record")
    ev = record_event(store, args.kind, args.category, args.count, args.date or date.today(), note=args.note,
                      division_code=args.division or "", client=who, actor=by.name)
    zh, en = EVENT_KINDS[ev.kind]
    print(f"已登记 (recorded) #{ev.id}: {zh} ({en}) {ev.category} × {ev.count} {ev.occurred_on}"
          + (f" — {ev.note}" if ev.note else ""))
    return 0


# -- the bureaus' forms, rates and the 三表 sampling plans (issue 16) ----------------------------------------
def _form(args: argparse.Namespace) -> Any:
    """The form ``--form`` names (None: the report's default form)."""
    return load_form(args.form) if getattr(args, "form", None) else None


def form_options(sp: argparse.ArgumentParser) -> None:
    """``--form KEY`` and ``--english`` of a report that fills a bureau's form."""
    sp.add_argument("--form", help="统计表 (form key, bench/oversight/forms/; `jianding oversight forms` lists them)")
    sp.add_argument("--english", action="store_true",
                    help="附英文栏目对照（表外）(add the English column key, outside the form)")


def _batch_plan(args: argparse.Namespace, seed: int) -> OversightDocument:
    """The 三表 sampling plan ``--plan`` on ``--as-of``, drawn from ``seed``."""
    plan = batch_plan(_store(args), args.plan, seed, _as_of(args), rate=args.rate, division=args.division,
                      client=args.client)
    return batch_plan_document(plan, args.institution)


def cmd_ledger_form(args: argparse.Namespace) -> int:
    """The 在用强检计量器具台账 (a campaign's 附件1) on a date."""
    table = ledger_form(_store(args), _as_of(args), division=args.division, client=args.client,
                        header=_header(args), form=_form(args))
    return _emit(ledger_form_document(table, args.institution, english=args.english), args)


def cmd_rates(args: argparse.Namespace) -> int:
    """首检率, 受检率 and 轮换率 of a period by category, district or user unit."""
    start, end = _period(args)
    household = True if args.household else None
    rep = rates(_store(args), start, end, by=args.by, categories=args.category or None, household=household,
                division=args.division, client=args.client)
    return _emit(rates_document(rep, args.institution), args)


def cmd_forms(args: argparse.Namespace) -> int:
    """List the bureaus' forms shipped: key, report, attachment and title, source."""
    for key, form in forms().items():
        print(f"{key}  [{form.report}]  {form.attachment} {form.title}  — {form.source}")
    return 0


def register_forms(ovs: Any, common: Any, period: Any, reporting: Any) -> None:
    """Add ``ledger-form``, ``rates`` and ``forms`` to the ``oversight`` sub-parsers (``common``,
    ``period`` and ``reporting`` add the shared options)."""
    lf = ovs.add_parser("ledger-form", help="在用强检计量器具台账 (the ledger of instruments in use, a campaign's 附件1)")
    common(lf)
    reporting(lf)
    form_options(lf)
    lf.set_defaults(func=cmd_ledger_form)

    ra = ovs.add_parser("rates", help="首检率、受检率、轮换率 (first-verification, coverage and rotation rates)")
    common(ra)
    period(ra)
    ra.add_argument("--by", choices=sorted(BY), default="category",
                    help="分组 (group by category, by category + division, or by category + user unit)")
    ra.add_argument("--category", action="append", help="器具类别 (category; repeatable; default all)")
    ra.add_argument("--household", action="store_true", help="只计民用 (household meters only)")
    ra.set_defaults(func=cmd_rates)

    fo = ovs.add_parser("forms", help="列出统计表 (list the bureaus' forms shipped)")
    fo.set_defaults(func=cmd_forms)


def register(sub: Any) -> None:
    """Add the ``oversight`` command to the top-level sub-parsers of ``jianding``."""
    ov = sub.add_parser("oversight", help="监督报告：超期未检、抽查方案、民用三表统计、加油站统计、分析报告 (oversight reports)")
    ovs = ov.add_subparsers(dest="oversight_cmd", required=True)
    register_rectification(ovs)

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--as-of", type=_date, help="统计截止日期 (as-of date, YYYY-MM-DD; default today)")
        sp.add_argument("--division", help="行政区划代码 (GB/T 2260; 430600 covers 4306xx)")
        sp.add_argument("--client", help="使用单位 (user unit)")
        sp.add_argument("--institution", default="", help="出具单位名称 (institution printed on the report)")
        sp.add_argument("--pdf", help="写出 PDF (write a PDF file)")
        sp.add_argument("--xlsx", help="写出 Excel (write an .xlsx file)")

    def period(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--from", dest="start", type=_date, help="统计起始日期 (default: 1 January of --to's year)")
        sp.add_argument("--to", type=_date, help="统计截止日期 (default: --as-of or today)")

    def reporting(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--unit", default="", help="填报单位 (reporting unit; default --institution)")
        sp.add_argument("--reporter", default="", help="填报人 (reporter)")
        sp.add_argument("--contact", default="", help="联系方式 (contact)")

    o = ovs.add_parser("overdue", help="应检未检、超期未检 (never verified, overdue, due soon)")
    common(o)
    o.add_argument("--soon-days", type=int, help="即将到期天数 (due-soon window; default from oversight_rules.toml)")
    o.set_defaults(func=cmd_overdue)

    s = ovs.add_parser("sampling", help="充电设施抽查方案 (sampling plan: ≥ 5 %%, every brand and model)")
    common(s)
    s.add_argument("--seed", type=int, help="随机种子 (seed; the same seed gives the same plan)")
    s.add_argument("--rate", type=float, help="抽样比例 (rate; default 0.05, or the plan's)")
    s.add_argument("--plan", choices=["chargers", *sorted(PLANS)],
                   help="抽查方案 (plan: chargers, or a 三表 plan by batch of sampling_plans.toml)")
    s.set_defaults(func=cmd_sampling)

    t = ovs.add_parser("three-meters", help="民用“三表”统计表 (household meters statistics table)")
    common(t)
    period(t)
    reporting(t)
    form_options(t)
    t.set_defaults(func=cmd_three_meters)

    f = ovs.add_parser("fuel-stations", help="加油站在用强检计量器具统计表 (fuel-station table, per station)")
    common(f)
    period(f)
    reporting(f)
    form_options(f)
    f.set_defaults(func=cmd_fuel_stations)
    register_forms(ovs, common, period, reporting)

    a = ovs.add_parser("analysis", help="检定结果分析 (results by brand and model, error distributions)")
    common(a)
    period(a)
    a.add_argument("--seed", type=int, help="只分析该种子抽查方案中的器具 (only the items of the sampling plan of this seed)")
    a.add_argument("--rate", type=float, help="抽样比例 (with --seed)")
    a.add_argument("--category", action="append", help="器具类别 (category; repeatable; default all)")
    a.set_defaults(func=cmd_analysis)

    r = ovs.add_parser("record", help="登记监督事件 (record an oversight event: complaint, violation, case …)")
    r.add_argument("kind", choices=sorted(EVENT_KINDS))
    r.add_argument("--category", required=True, help="器具种类 (电能表, 水表, 燃气表, 加油站 or a ledger category)")
    r.add_argument("--count", type=int, default=1, help="数量 (count; a correction is negative)")
    r.add_argument("--date", type=_date, help="发生日期 (date, YYYY-MM-DD; default today)")
    r.add_argument("--note", default="", help="说明 (note)")
    r.add_argument("--division", help="行政区划代码 (division code)")
    r.add_argument("--client", help="使用单位 (user unit)")
    r.add_argument("--location", help="加油站地点：单位有多座加油站时指明其一 (station location, with --client)")
    refuse_operator(r)  # 登记人 is the logged-in account
    r.set_defaults(func=cmd_record)
    register_campaign(ovs, _date)
