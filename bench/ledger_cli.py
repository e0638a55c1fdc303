"""``jianding ledger template|export|import`` — the instrument ledger (台账) in Excel.

    jianding ledger template FILE.xlsx             the empty batch-import template (with 填写说明)
    jianding ledger export FILE.xlsx               the whole ledger in the template's layout
    jianding ledger import FILE.xlsx [--update]    check every cell; enter all rows or none

``import`` exits 0 when the file was entered and 2 when it had errors (one per line on stderr,
each with its row and column); nothing is entered then.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bench.account_cli import login_for, refuse_operator
from bench.ledger_excel import export_ledger, import_ledger, write_template
from bench.store import Store


def _store(args: argparse.Namespace) -> Store:
    return Store(args.db) if getattr(args, "db", None) else Store()


def _xlsx(path: str) -> Path:
    p = Path(path)
    if p.suffix.lower() != ".xlsx":
        raise ValueError(f"文件须为 .xlsx (the file must be .xlsx): {p}")
    return p


def cmd_template(args: argparse.Namespace) -> int:
    """Write the empty import template."""
    path = write_template(_xlsx(args.file))
    print(f"已生成台账导入模板 (template written): {path}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Export the whole ledger to Excel."""
    path = _xlsx(args.file)
    n = export_ledger(_store(args), path)
    print(f"已导出 {n} 台器具 (exported {n} instruments): {path}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """Import a filled template: all rows or, with any error, none (exit 2, errors one per line)."""
    path = _xlsx(args.file)
    if not path.exists():
        raise LookupError(f"文件不存在 (no such file): {path}")
    store = _store(args)
    by = login_for(store, "ledger.import")  # the 检定员 or administrator who keeps the ledger
    report = import_ledger(store, path, update=args.update, actor=by.name)
    for w in report.warnings:
        print(f"提示 (warning): {w}", file=sys.stderr)
    if len(report.errors) == 1 and not report.errors[0].row:  # the file itself: one line
        print(f"错误 (error): {report.errors[0].message}；未导入任何数据 (nothing imported)", file=sys.stderr)
        return 2
    for e in report.errors:
        print(str(e), file=sys.stderr)
    if report.errors:
        print(report.summary(), file=sys.stderr)
        return 2
    print(report.summary())
    for label, serials in (("新增 (added)", report.added), ("更新 (updated)", report.updated)):
        if serials:
            print(f"  {label}: {', '.join(serials)}")
    return 0


def register(sub: Any) -> None:
    """Add the ``ledger`` command to the top-level sub-parsers of ``jianding``."""
    lg = sub.add_parser("ledger", help="器具台账 Excel 导入导出 (instrument ledger in Excel)")
    lgs = lg.add_subparsers(dest="ledger_cmd", required=True)
    t = lgs.add_parser("template", help="生成批量导入模板 (write the empty import template)")
    t.add_argument("file", help="FILE.xlsx")
    t.set_defaults(func=cmd_template)
    e = lgs.add_parser("export", help="导出台账 (export the ledger)")
    e.add_argument("file", help="FILE.xlsx")
    e.set_defaults(func=cmd_export)
    i = lgs.add_parser("import", help="导入台账：任何一格有错则全部不导入 (import; any error and nothing is entered)")
    i.add_argument("file", help="FILE.xlsx")
    i.add_argument("--update", action="store_true",
                   help="更新台账中已有出厂编号的器具 (update instruments whose serial is already on the ledger)")
    refuse_operator(i)  # who imports is the logged-in account (JIANDING_USER / JIANDING_PASSWORD or a prompt)
    i.set_defaults(func=cmd_import)
