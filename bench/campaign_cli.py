"""``jianding oversight campaign …`` and ``jianding oversight summary`` — the bureaus' campaigns: what
is due, done and late, and the 工作总结 drafted as Word.

    jianding oversight campaign list [--as-of DATE]
    jianding oversight campaign show NAME [--as-of DATE]
    jianding oversight campaign done NAME MILESTONE[@DATE] [--due DATE] [--date DATE] [--note TEXT] [--withdraw]
    jianding oversight summary --campaign NAME [--milestone KEY] [--from DATE] [--to DATE] --out FILE.docx

NAME is a shipped campaign (bench/campaigns/*.toml) or a campaign file's path. Rules: docs/oversight.md,
"Campaigns".
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from bench.account_cli import login_for, refuse_operator
from bench.campaign import (
    STATUS_EN,
    Calendar,
    Campaign,
    CampaignError,
    Deadline,
    calendar,
    campaigns,
    find_campaign,
    form_command,
    mark_done,
    mark_drafted,
    resolve,
)
from bench.campaign_summary import campaign_figures, summary_document
from bench.store import Store
from reports.summary import write_docx


def _store(args: argparse.Namespace) -> Store:
    return Store(args.db) if getattr(args, "db", None) else Store()


def _as_of(args: argparse.Namespace) -> date:
    return args.as_of or date.today()


def _when(d: Deadline) -> str:
    """Days left or late, and what is on record."""
    if d.done_on:
        return f"{d.done_on} 完成 (done)" + (f" — {d.note}" if d.note else "")
    left = (f"还有 {d.days_left} 天 (days left)" if d.days_left > 0 else "今日截止 (due today)" if d.days_left == 0
            else f"已逾期 {-d.days_left} 天 (days late)")
    return left + (f"；{d.drafted_on} 已起草 (drafted): {d.note}" if d.drafted_on else "")


def _line(d: Deadline) -> str:
    return f"  {d.status} ({STATUS_EN[d.status]})  {d.due}  {d.key:<26} {d.milestone.name}  {_when(d)}"


def _counts(cal: Calendar) -> str:
    return "，".join(f"{s} {n}" for s, n in cal.counts().items())


def cmd_list(args: argparse.Namespace) -> int:
    """Every shipped campaign with its counts and next deadline as of a day."""
    store, day = _store(args), _as_of(args)
    for c in campaigns():
        cal = calendar(store, c, day)
        nxt = cal.next
        print(f"{c.key}  {c.name}  {c.start} 至 {c.end}  {c.bureau}")
        print(f"  {_counts(cal)}" + (f"；下一截止 (next) {nxt.due} {nxt.milestone.name}" if nxt else ""))
    return 0


def _period_end(c: Campaign, d: Deadline) -> date:
    return min(d.due, c.end)


def cmd_show(args: argparse.Namespace) -> int:
    """A campaign's deadlines as of a day: the next first, then late, due and done; the forms each asks for."""
    c = find_campaign(args.name)
    cal = calendar(_store(args), c, _as_of(args))
    print(f"{c.name}" + (f" ({c.name_en})" if c.name_en else "") + (f"  {c.document_no}" if c.document_no else "")
          + f"  {c.bureau}")
    phase = cal.phase
    print(f"期间 (period) {c.start} 至 {c.end}" + (f"；当前阶段 (phase) {phase.name} {phase.start} 至 {phase.end}" if phase else ""))
    print(f"器具类别 (categories): {'、'.join(c.categories)}" + (f"；报送 (to) {c.recipient}" if c.recipient else ""))
    print(f"截止 (as of) {cal.as_of}: {_counts(cal)}")
    nxt = cal.next
    print(f"下一截止 (next deadline): {nxt.due} {nxt.milestone.name} — {_when(nxt)}" if nxt
          else "下一截止 (next deadline): 无 (none)")
    for d in cal.ordered():
        print(_line(d))
    shown: set[str] = set()
    for d in cal.ordered():
        m = d.milestone
        if m.key in shown or not m.forms or not d.open:
            continue
        shown.add(m.key)
        print(f"报送材料 (to send) {m.key} {d.milestone.name}:")
        for f in (c.form(k) for k in m.forms):
            cmd = form_command(c, m, f, c.start, _period_end(c, d))
            print(f"  {f.attachment + ' ' if f.attachment else ''}{f.name}" + (f": {cmd}" if cmd else "：人工准备 (prepared by hand)"))
    return 0


def cmd_done(args: argparse.Namespace) -> int:
    """Record that a deadline was done — its report sent (or, with --withdraw, that such a record was wrong)."""
    c = find_campaign(args.name)
    store = _store(args)
    by = login_for(store, "campaign.done")  # the 批准人 (or administrator) records the report sent
    d = mark_done(store, c, args.milestone, args.date or date.today(), due=args.due, note=args.note,
                  actor=by.name, withdraw=args.withdraw)
    verb = "已撤销完成记录 (withdrawn)" if args.withdraw else "已记为完成 (recorded as done)"
    print(f"{verb}: {c.key} {d.key} {d.milestone.name}（截止 {d.due}）→ {d.status} ({STATUS_EN[d.status]})")
    return 0


def _milestone_key(c: Campaign, key: str | None) -> str:
    if key:
        return key
    written = [m for m in c.milestones if m.sections]
    if not written:
        raise CampaignError(f"专项 {c.key} 无书面材料事项 (no milestone asks for a written document)")
    return next((m.key for m in written if m.key == "summary"), written[-1].key)


def cmd_summary(args: argparse.Namespace) -> int:
    """Draft a milestone's written document (the 工作总结 by default) as Word and record the draft."""
    store, day = _store(args), _as_of(args)
    by = login_for(store, "campaign.draft")  # the 起草人 is the logged-in account
    c = find_campaign(args.campaign)
    deadline = resolve(calendar(store, c, day), _milestone_key(c, args.milestone), args.due)
    end = args.to or min(day, c.end)
    start = args.start or c.start
    if start > end:
        raise ValueError(f"起始日期 {start} 晚于截止日期 {end} (the period starts after it ends; --from/--to)")
    figures = campaign_figures(store, c, start, end, division=args.division, client=args.client)
    header = {"填报单位（盖章）": args.unit or args.institution, "填报日期": day.isoformat(),
              "填报人": args.reporter, "联系方式": args.contact}
    doc = summary_document(c, deadline.milestone, figures, due=deadline.due, as_of=day, header=header,
                           author=args.unit or args.institution)
    path = write_docx(doc, args.out)
    mark_drafted(store, c, deadline, day, note=str(Path(path)), actor=by.name)
    print(f"{doc.title}  统计期间 (period) {start} 至 {end}  截止 (due) {deadline.due}")
    for s in doc.sections:
        print(f"  {s.title}: {len(s.figures)} 项数据, {len(s.tables)} 张表 (figures, tables)")
    print(f"Word: {path}")
    print(f"已记为起草 (recorded as drafted): {deadline.key}；报送后记为完成 (once sent, record it done): "
          f"jianding oversight campaign done {c.key} {deadline.key}")
    return 0


def register(ovs: Any, date_type: Callable[[str], date]) -> None:
    """Add ``campaign`` and ``summary`` to the sub-parsers of ``jianding oversight`` (``date_type``
    parses a YYYY-MM-DD argument with the oversight commands' message)."""
    cp = ovs.add_parser("campaign", help="专项工作日历：待完成、已完成、逾期 (campaign calendar: due, done, late)")
    cps = cp.add_subparsers(dest="campaign_cmd", required=True)
    as_of = "日历日期 (the day the calendar stands on, YYYY-MM-DD; default today)"
    ls = cps.add_parser("list", help="全部专项及下一截止 (every campaign and its next deadline)")
    ls.add_argument("--as-of", type=date_type, help=as_of)
    ls.set_defaults(func=cmd_list)
    sh = cps.add_parser("show", help="一个专项的截止事项：下一截止在前 (a campaign's deadlines, the next first)")
    sh.add_argument("name", help="专项 (campaign key, or a campaign .toml file)")
    sh.add_argument("--as-of", type=date_type, help=as_of)
    sh.set_defaults(func=cmd_show)
    dn = cps.add_parser("done", help="记为完成：材料已报送 (record a deadline done: its report sent)")
    dn.add_argument("name", help="专项 (campaign key, or a campaign .toml file)")
    dn.add_argument("milestone", help="事项 (milestone key, e.g. summary; progress@2024-06-28 for one deadline)")
    dn.add_argument("--due", type=date_type, help="周期事项的哪一期 (which deadline of a recurring milestone)")
    dn.add_argument("--date", type=date_type, help="完成（报送）日期 (the day it was done; default today)")
    dn.add_argument("--note", default="", help="说明：报送了什么、如何报送 (what was sent, how; with --withdraw: why)")
    dn.add_argument("--withdraw", action="store_true", help="撤销错误的完成记录 (withdraw a wrong record; needs --note)")
    refuse_operator(dn)  # 登记人 is the logged-in account
    dn.set_defaults(func=cmd_done)

    su = ovs.add_parser("summary", help="起草工作总结 Word (draft a campaign's 工作总结 as Word, figures filled in)")
    su.add_argument("--campaign", required=True, help="专项 (campaign key, or a campaign .toml file)")
    su.add_argument("--milestone", help="事项 (default: summary; e.g. progress for a 工作进展情况)")
    su.add_argument("--due", type=date_type, help="周期事项的哪一期 (which deadline of a recurring milestone)")
    su.add_argument("--out", required=True, help="写出 Word 文件 (.docx)")
    su.add_argument("--as-of", type=date_type, help="填报日期 (drafting day; default today)")
    su.add_argument("--from", dest="start", type=date_type, help="统计起始日期 (default: the campaign's start)")
    su.add_argument("--to", type=date_type, help="统计截止日期 (default: --as-of, at most the campaign's end)")
    su.add_argument("--division", help="行政区划代码 (GB/T 2260; 430600 covers 4306xx)")
    su.add_argument("--client", help="使用单位 (user unit)")
    su.add_argument("--institution", default="", help="出具单位名称 (institution)")
    su.add_argument("--unit", default="", help="填报单位 (reporting unit; default --institution)")
    su.add_argument("--reporter", default="", help="填报人 (reporter)")
    su.add_argument("--contact", default="", help="联系方式 (contact)")
    refuse_operator(su)  # 起草人 is the logged-in account
    su.set_defaults(func=cmd_summary)
