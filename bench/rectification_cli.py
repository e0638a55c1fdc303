"""``jianding oversight rectification …`` — 整改 items: list, show, open, report, verify, close.

    jianding oversight rectification list [--status S] [--overdue] [--owner U] [--division D] [--kind K]
                                          [--from DATE] [--as-of DATE] [--pdf F] [--xlsx F]
    jianding oversight rectification show ITEM
    jianding oversight rectification scan [--as-of DATE] [--deadline DATE] [--kind K]     超期 → items
    jianding oversight rectification open --event ID [--owner U] [--deadline DATE]        event → item
    jianding oversight rectification rectify ITEM --unit OWNER --evidence TEXT [--file F]
    jianding oversight rectification verify ITEM --party BUREAU [--reject --note WHY]
    jianding oversight rectification close ITEM --party BUREAU                 (verify, accepted)
    jianding oversight rectification withdraw ITEM --reason WHY

Every step is the logged-in account's (bench.account_cli: ``JIANDING_USER`` / ``JIANDING_PASSWORD``,
or a prompt on a terminal), never a name typed on the command line; the roles each step needs are
bench.accounts.ACTION_ROLES: 立项 (scan, open) 核验员 / 批准人 / administrator; recording the
owner's report any account; 核查 (verify, close) 核验员 or 批准人, never who recorded the report;
撤销 (withdraw) 批准人 or administrator.

An ITEM is its number (ZG-…; a unique prefix will do). Failed verifications and in-service
inspections open their items when their notice is issued. Rules and deadlines:
bench/rectification_rules.toml; docs/oversight.md §6.
"""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from bench.account_cli import login_for, refuse_by
from bench.cli_args import iso_date, open_store, write_document
from bench.rectification import (
    ACTION_ZH,
    KINDS,
    STATUS_EN,
    STATUS_ZH,
    Item,
    evidence_intact,
    get_item,
    rectify,
    verify,
    withdraw,
)
from bench.rectification_report import open_from_event, rectification_table, scan, select_items


def line(item: Item, status: str, as_of: date) -> str:
    """One item on one line: number, status, kind, owner, instrument, deadline (days left or over)."""
    o = item.opened
    days = (item.deadline - as_of).days
    due = ""
    if status in ("open", "overdue"):
        due = f"剩 {days} 天 (days left)" if days >= 0 else f"逾期 {-days} 天 (days over)"
    return (f"{o.item_no}  {STATUS_ZH[status]:<6} {item.kind_zh:<8} {o.owner:<14} {o.category} {o.serial}  "
            f"期限 {item.deadline} {due}".rstrip())


def _show(item: Item, as_of: date) -> None:
    o = item.opened
    status = item.status_on(as_of) or item.status
    print(f"整改项 (item) {o.item_no}  {STATUS_ZH[status]} ({STATUS_EN[status]})")
    print(f"  问题类别 (kind)    {item.kind_zh}")
    print(f"  问题 (finding)     {o.finding}")
    print(f"  使用单位 (owner)   {o.owner}" + (f"  {o.location}" if o.location else ""))
    if o.serial or o.category:
        print(f"  器具 (instrument)  {o.category} {o.serial}")
    print(f"  立项 (opened)      {o.acted_on} {o.actor}" + (f"（{o.party}）" if o.party else ""))
    print(f"  整改期限 (deadline) {item.deadline} — {o.deadline_rule}")
    if o.note:
        print(f"  整改要求 (asked)   {o.note}")
    for e in item.steps[1:]:
        who = f"{e.actor}" + (f"（{e.party}）" if e.party else "")
        print(f"  {e.acted_on} {ACTION_ZH[e.action]} ({e.action}) {who}" + (f"：{e.evidence}" if e.evidence else "")
              + (f"：{e.note}" if e.note else ""))
        if e.evidence_file:
            intact = evidence_intact(e)
            state = {True: "文件未变 (file unchanged)", False: "文件已被修改 (FILE CHANGED since reported)",
                     None: "文件不在本机或无指纹 (not on this machine / no fingerprint)"}[intact]
            print(f"      证明材料 (evidence file) {e.evidence_file} — {state}")
    if item.rectified_late:
        print("  逾期整改 (rectified after the deadline)")


def cmd_list(args: argparse.Namespace) -> int:
    """Items with their status as of a date, filtered; the table as PDF / Excel when asked."""
    store = open_store(args)
    as_of = args.as_of or date.today()
    filters: dict[str, Any] = {"status": args.status, "overdue_only": args.overdue, "owner": args.owner,
                               "division": args.division, "kind": args.kind, "start": args.start}
    chosen = select_items(store, as_of, **filters)
    for item, now in chosen:
        print(line(item, now, as_of))
    print(f"共 {len(chosen)} 项 (items)，截至 (as of) {as_of}")
    if args.pdf or args.xlsx:
        write_document(rectification_table(store, as_of, institution=args.institution, **filters), args.pdf, args.xlsx)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    """One item with every step."""
    _show(get_item(open_store(args), args.item), args.as_of or date.today())
    return 0


def cmd_scan(args: argparse.Namespace) -> int:
    """Open the items of the instruments overdue as of a date (once per finding)."""
    as_of = args.as_of or date.today()
    store = open_store(args)
    by = login_for(store, "rectification.open").name
    opened = scan(store, as_of, by=by, party=args.party, deadline=args.deadline, kinds=args.kind,
                  division=args.division, client=args.client)
    for item in opened:
        print(f"已立项 (opened) {line(item, 'open', as_of)}")
    print(f"新立整改项 {len(opened)} 项 (items opened)")
    return 0


def cmd_open(args: argparse.Namespace) -> int:
    """Open the item of a recorded oversight event."""
    store = open_store(args)
    item = open_from_event(store, args.event, by=login_for(store, "rectification.open").name, on=args.date, party=args.party,
                           deadline=args.deadline, owner=args.owner)
    print(f"已立项 (opened) {line(item, 'open', item.opened.acted_on)}")
    return 0


def cmd_rectify(args: argparse.Namespace) -> int:
    """The owner reports the rectification."""
    store = open_store(args)
    item = rectify(store, args.item, unit=args.unit, by=login_for(store, "rectification.rectify").name,
                   evidence=args.evidence, file=args.file or "", on=args.date)
    print(f"已报告整改 (rectified) {item.no}：{STATUS_ZH[item.status]}" + ("（逾期整改 late）" if item.rectified_late else ""))
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    """The bureau or institution verifies the rectification: closed, or back to open (--reject)."""
    accept = not getattr(args, "reject", False)
    store = open_store(args)
    item = verify(store, args.item, party=args.party, by=login_for(store, "rectification.verify").name, accept=accept,
                  note=args.note, on=args.date)
    print(f"{ACTION_ZH[item.steps[-1].action]} ({item.steps[-1].action}) {item.no}：{STATUS_ZH[item.status]}")
    return 0


def cmd_withdraw(args: argparse.Namespace) -> int:
    """Withdraw an item whose finding is void."""
    store = open_store(args)
    item = withdraw(store, args.item, by=login_for(store, "rectification.withdraw").name, reason=args.reason,
                    party=args.party, on=args.date)
    print(f"已撤销 (withdrawn) {item.no}")
    return 0


def register(ovs: Any) -> None:
    """Add ``rectification`` to the sub-parsers of ``jianding oversight``."""
    rc = ovs.add_parser("rectification", help="整改：立项、报告整改、核查关闭 (rectification items)")
    rcs = rc.add_subparsers(dest="rectification_cmd", required=True)

    ls = rcs.add_parser("list", help="整改项列表 (items, filtered; --pdf/--xlsx the table)")
    ls.add_argument("--status", choices=["open", "rectified", "closed", "withdrawn"],
                    help="状态: open 待整改(含逾期) / rectified 已整改待核查 / closed 已验证关闭 / withdrawn 已撤销")
    ls.add_argument("--overdue", action="store_true", help="仅逾期未整改 (open after the deadline)")
    ls.add_argument("--owner", help="使用单位 (owner)")
    ls.add_argument("--division", help="行政区划代码 (GB/T 2260; 430600 covers 4306xx)")
    ls.add_argument("--kind", choices=sorted(KINDS), help="问题类别 (finding kind)")
    ls.add_argument("--from", dest="start", type=iso_date, help="立项起始日期 (items opened from this date)")
    ls.add_argument("--as-of", type=iso_date, help="状态截止日期 (status as of; default today)")
    ls.add_argument("--institution", default="", help="出具单位名称 (printed on the table)")
    ls.add_argument("--pdf", help="写出 PDF (write the table as PDF)")
    ls.add_argument("--xlsx", help="写出 Excel (write the table as .xlsx)")
    ls.set_defaults(func=cmd_list)

    sh = rcs.add_parser("show", help="整改项详情 (one item with every step)")
    sh.add_argument("item", help="整改编号 ZG-… (a unique prefix will do)")
    sh.add_argument("--as-of", type=iso_date, help="状态截止日期 (default today)")
    sh.set_defaults(func=cmd_show)

    sc = rcs.add_parser("scan", help="超期未检、应检未检、到期未轮换 → 整改项 (open items of overdue instruments)")
    refuse_by(sc)
    sc.add_argument("--party", default="", help="立项单位 (the bureau or institution opening them)")
    sc.add_argument("--as-of", type=iso_date, help="按此日期的超期状态 (overdue as of; default today)")
    sc.add_argument("--deadline", type=iso_date, help="统一整改期限 (a campaign's date instead of the rules' days)")
    sc.add_argument("--kind", action="append", choices=[k for k, v in KINDS.items() if v.source == "scan"],
                    help="只立此类 (only this kind; repeatable)")
    sc.add_argument("--division", help="行政区划代码 (division)")
    sc.add_argument("--client", help="使用单位 (user unit)")
    sc.set_defaults(func=cmd_scan)

    op = rcs.add_parser("open", help="由监督事件立项 (open the item of a recorded oversight event)")
    op.add_argument("--event", type=int, required=True, help="监督事件编号 (the # jianding oversight record printed)")
    refuse_by(op)
    op.add_argument("--party", default="", help="立项单位 (the bureau or institution)")
    op.add_argument("--owner", help="使用单位，事件未写明时 (owner, when the event names none)")
    op.add_argument("--date", type=iso_date, help="立项日期 (default today)")
    op.add_argument("--deadline", type=iso_date, help="整改期限 (a set date instead of the rules' days)")
    op.set_defaults(func=cmd_open)

    rt = rcs.add_parser("rectify", help="使用单位报告整改 (the owner reports its rectification)")
    rt.add_argument("item")
    rt.add_argument("--unit", required=True, help="使用单位：须为本项的责任单位 (the owner, as on the item)")
    refuse_by(rt)
    rt.add_argument("--evidence", required=True, help="整改情况 (what was done)")
    rt.add_argument("--file", help="证明材料：文件路径或文书编号 (a file, fingerprinted, or a document reference)")
    rt.add_argument("--date", type=iso_date, help="整改日期 (default today)")
    rt.set_defaults(func=cmd_rectify)

    for name, helptext in (("verify", "核查整改：通过则验证关闭，--reject 退回 (verify: close, or reject)"),
                           ("close", "验证关闭 (verify and close; the same as verify without --reject)")):
        v = rcs.add_parser(name, help=helptext)
        v.add_argument("item")
        v.add_argument("--party", required=True, help="核查单位：监管部门或检定机构，不能是使用单位 (the bureau or institution)")
        refuse_by(v)
        v.add_argument("--note", default="", help="核查意见 (a note; the reason when rejecting)")
        v.add_argument("--date", type=iso_date, help="核查日期 (default today)")
        if name == "verify":
            v.add_argument("--reject", action="store_true", help="整改不到位，退回 (not rectified: back to open)")
        v.set_defaults(func=cmd_verify)

    w = rcs.add_parser("withdraw", help="撤销整改项 (withdraw: the finding is void)")
    w.add_argument("item")
    refuse_by(w)
    w.add_argument("--reason", required=True, help="理由 (why)")
    w.add_argument("--party", default="", help="单位 (on whose behalf)")
    w.add_argument("--date", type=iso_date, help="日期 (default today)")
    w.set_defaults(func=cmd_withdraw)
