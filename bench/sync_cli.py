"""``jianding sync …`` and ``jianding tasks …``: the management platform from the workstation.

    jianding sync status                       outbox counts (pending / done / rejected), the oldest
                                               pending item with its last error, every rejected item
    jianding sync push [--max N] [--no-batch]  send what is pending now, with a progress line
    jianding sync pull                         fetch new bookings into the task list (先约先检)
    jianding sync run [--interval S]           the background worker, in the foreground (Ctrl-C stops)
    jianding sync ledger [SERIAL …]            queue the ledger (台账) for upload
    jianding sync retry ID                     put a rejected item back in the queue
    jianding tasks list [--status S] | show ID
    jianding tasks accept ID [--planned-date D]               受理
    jianding tasks refuse ID --reason …                       不予受理
    jianding tasks reassign ID --reason …                     申请重新指派

Re-queueing and the decisions on bookings are the logged-in account's (bench.account_cli:
``JIANDING_USER`` / ``JIANDING_PASSWORD``, or a prompt on a terminal), never a name typed on the
command line: deciding a booking needs 检定员 or administrator, re-queueing 检定员, 批准人 or
administrator (bench.accounts.ACTION_ROLES); the account is the audited actor.

Platform settings: ``--config FILE`` (a TOML file with ``[platform] url, token, institution_code``;
a station file will do), ``JIANDING_PLATFORM_URL`` / ``JIANDING_PLATFORM_TOKEN``, or ``--url`` /
``--token``. See docs/platform-sync.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from typing import Any

from bench.account_cli import login_for, refuse_by
from bench.store import Store
from bench.store.models import OutboxItem
from bench.sync_worker import (
    PlatformConfig,
    SyncWorker,
    enqueue_ledger,
    load_platform_section,
    make_outbox,
    platform_config,
    pull_tasks,
)
from sync.errors import PlatformError
from sync.outbox import DrainReport, aware

STATUS_ZH = {"pending": "待上传", "done": "已确认", "rejected": "被退回"}
TASK_ZH = {"booked": "待受理", "accepted": "已受理", "refused": "不予受理", "reassign_requested": "申请重新指派",
           "completed": "已完成"}


def _store(args: argparse.Namespace) -> Store:
    return Store(args.db) if args.db else Store()


def _config(args: argparse.Namespace) -> PlatformConfig:
    return platform_config(load_platform_section(getattr(args, "config", None)), url=getattr(args, "url", None),
                           token=getattr(args, "token", None), timeout_s=getattr(args, "timeout", None))


def _progress_line(report: DrainReport, store: Store) -> str:
    counts = store.outbox_counts()
    return (f"上传 (upload): 已确认 {report.acked} (acked), 重复确认 {report.duplicates} (duplicate acks), "
            f"退回 {report.rejected} (rejected), 待传 {counts['pending']} (pending), 请求 {report.requests} (requests)")


def _item_line(row: OutboxItem) -> str:
    when = aware(row.created_at).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    return (f"#{row.id:<6} {row.kind:<8} {row.key:<44} {STATUS_ZH.get(row.status, row.status)} ({row.status}) "
            f"写入 {when} 尝试 {row.attempts} 次 (attempts)")


# -- sync ---------------------------------------------------------------------------------------------
def cmd_sync(args: argparse.Namespace) -> int:
    """Status, push, pull, the worker, ledger upload and re-queueing."""
    store = _store(args)
    if args.action == "status":
        return _status(store)
    if args.action == "ledger":
        row = enqueue_ledger(store, args.serials or None)
        n = len(json.loads(row.payload_json)["instruments"])
        print(f"台账已排队上传 (ledger queued): {n} 台器具 (instruments), #{row.id} {row.key}")
        return 0
    if args.action == "retry":
        row = store.outbox_requeue(args.item, login_for(store, "outbox.retry").name)
        print(f"已重新排队 (re-queued): {_item_line(row)}")
        return 0
    cfg = _config(args)
    with cfg.client() as client:
        if args.action == "pull":
            try:
                new, updated = pull_tasks(store, client)
            except PlatformError as e:
                print(f"拉取预约失败 (pull failed): {e}", file=sys.stderr)
                return 3
            print(f"预约已同步 (bookings pulled): 新 {new} (new), 更新 {updated} (updated)")
            for t in store.tasks("booked")[:20]:
                print("  " + _task_line(t))
            return 0
        outbox = make_outbox(store, client, batch_size=args.batch_size)
        if args.action == "push":
            return _push(store, outbox, args)
        return _run_worker(store, outbox, args)


def _push(store: Store, outbox: Any, args: argparse.Namespace) -> int:
    start = time.monotonic()
    last = [0.0]

    def progress(report: DrainReport) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.5 or report.error:
            last[0] = now
            print(_progress_line(report, store), flush=True)

    report = outbox.drain(max_items=args.max, batching=not args.no_batch, progress=progress, force=True)
    print(_progress_line(report, store) + f" — {time.monotonic() - start:.1f} s", flush=True)
    if report.error:
        print(f"平台不可用，稍后重试 (platform unavailable; items stay pending): {report.error}", file=sys.stderr)
        return 3
    if report.rejected:
        print(f"有 {report.rejected} 项被平台退回，见 jianding sync status (rejected items: see sync status)",
              file=sys.stderr)
    return 0


def _run_worker(store: Store, outbox: Any, args: argparse.Namespace) -> int:
    worker = SyncWorker(outbox, interval_s=args.interval,
                        on_report=lambda r: print(_progress_line(r, store) + (f" — {r.error}" if r.error else ""),
                                                  flush=True)).start()
    print(f"同步服务运行中 (sync worker running, every ≤ {args.interval:g} s); Ctrl-C 停止 (stops)", flush=True)
    started = time.monotonic()
    try:
        while not args.duration or time.monotonic() - started < args.duration:
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        worker.stop()
    return 0


def _status(store: Store) -> int:
    counts = store.outbox_counts()
    print("  ".join(f"{STATUS_ZH[k]} ({k}) {v}" for k, v in counts.items()))
    oldest = store.outbox_items("pending", limit=1)
    if oldest:
        row = oldest[0]
        print(f"最早待上传 (oldest pending): {_item_line(row)}")
        if row.next_attempt_at:
            print(f"  下次尝试 (next attempt): {aware(row.next_attempt_at).astimezone():%Y-%m-%d %H:%M:%S}")
        if row.last_error:
            print(f"  上次错误 (last error): {row.last_error}")
    rejected = store.outbox_items("rejected")
    if rejected:
        print(f"被平台退回，需处理 (rejected by the platform, needs the operator): {len(rejected)}")
        for row in rejected:
            print("  " + _item_line(row))
            for line in row.last_error.splitlines():
                print(f"      {line}")
        print("  修正后重新排队 (after fixing, re-queue): jianding sync retry ID")
    return 0 if not rejected else 1


# -- tasks --------------------------------------------------------------------------------------------
def _task_line(t: Any) -> str:
    b = json.loads(t.booking_json or "{}")
    n = len(b.get("instruments", []))
    return (f"{t.seq:>5}  {t.booking_id:<14} {TASK_ZH.get(t.status, t.status)} ({t.status})  "
            f"{b.get('user_unit', '')}  预约日期 {b.get('requested_date') or '—'}  {b.get('delivery_mode', '')}  "
            f"{n} 台 (instruments)" + (f"  检定 (run) {t.run_id[:8]}" if t.run_id else "")
            + (f"  理由 (reason): {t.reason}" if t.reason else ""))


def cmd_tasks(args: argparse.Namespace) -> int:
    """The task list (bookings pulled from the platform) and the decisions on them."""
    store = _store(args)
    if args.action == "list":
        tasks = store.tasks(args.status)
        if not tasks:
            print("任务列表为空 (no tasks); 拉取预约 (pull bookings): jianding sync pull")
        for t in tasks:
            print(_task_line(t))
        return 0
    if args.action == "show":
        t = store.get_task(args.booking_id)
        print(_task_line(t))
        b = json.loads(t.booking_json or "{}")
        for k in ("contact", "phone", "site_address", "division_code", "submitted_at"):
            if b.get(k):
                print(f"  {k}: {b[k]}")
        for i in b.get("instruments", []):
            print(f"  - {i.get('name', '')} {i.get('model', '')} {i.get('serial', '')} {i.get('accuracy_class', '')}")
        return 0
    decision = {"accept": "accept", "refuse": "refuse", "reassign": "reassign"}[args.action]
    planned = date.fromisoformat(args.planned_date) if getattr(args, "planned_date", None) else None
    by = login_for(store, "task.decide")
    task, row = store.decide_task(args.booking_id, decision, args.reason or "", by.name, planned_date=planned)
    print(f"{TASK_ZH[task.status]} ({task.status}): {task.booking_id} — 待上传 (queued for the platform) #{row.id}")
    return 0


def register(sub: Any) -> None:
    """Add the ``sync`` and ``tasks`` sub-commands to the ``jianding`` parser."""
    s = sub.add_parser("sync", help="管理平台同步 (management platform: outbox, bookings)")
    ss = s.add_subparsers(dest="action", required=True)
    ss.add_parser("status", help="待上传 / 已确认 / 被退回 (outbox status)")
    push = ss.add_parser("push", help="立即上传 (send what is pending now)")
    push.add_argument("--max", type=int, help="最多上传条数 (at most N items)")
    push.add_argument("--no-batch", action="store_true", help="逐条上传 (one request per result)")
    ss.add_parser("pull", help="拉取预约到任务列表 (fetch bookings into tasks)")
    run = ss.add_parser("run", help="后台同步服务 (the sync worker, in the foreground)")
    run.add_argument("--interval", type=float, default=30.0, help="最长间隔秒数 (longest sleep, s)")
    run.add_argument("--duration", type=float, help="运行秒数后退出 (stop after N s)")
    led = ss.add_parser("ledger", help="上传台账 (queue the ledger for upload)")
    led.add_argument("serials", nargs="*", help="出厂编号 (serials; default: the whole ledger)")
    rt = ss.add_parser("retry", help="被退回项重新排队 (re-queue a rejected item)")
    rt.add_argument("item", type=int)
    refuse_by(rt)
    for sp in (push, ss.choices["pull"], run):
        sp.add_argument("--config", help="含 [platform] 的 TOML 文件 (a TOML file with [platform]; a station file)")
        sp.add_argument("--url", help="平台地址 (platform URL)")
        sp.add_argument("--token", help="访问令牌 (token; better: JIANDING_PLATFORM_TOKEN)")
        sp.add_argument("--timeout", type=float, help="每次请求超时秒数 (per-request timeout, s)")
        sp.add_argument("--batch-size", type=int, default=100, help="每批条数 (results per batch request)")
    s.set_defaults(func=cmd_sync)

    t = sub.add_parser("tasks", help="任务列表：平台预约 (tasks: bookings from the platform)")
    ts = t.add_subparsers(dest="action", required=True)
    tl = ts.add_parser("list", help="按预约顺序 (in booking order)")
    tl.add_argument("--status", choices=sorted(TASK_ZH))
    tsh = ts.add_parser("show")
    tsh.add_argument("booking_id")
    for name, zh, need_reason in (("accept", "受理", False), ("refuse", "不予受理", True),
                                  ("reassign", "申请重新指派", True)):
        sp = ts.add_parser(name, help=f"{zh} ({name})")
        sp.add_argument("booking_id")
        sp.add_argument("--reason", required=need_reason, help="理由 (reason)" + ("，必填 (required)" if need_reason else ""))
        refuse_by(sp)
        if name == "accept":
            sp.add_argument("--planned-date", help="计划检定日期 YYYY-MM-DD (planned date)")
    t.set_defaults(func=cmd_tasks)

