"""``jianding`` — the workstation's command line.

    jianding demo [ac|dc|fuel|meter|water|gas] [--fail]   a complete run on simulated hardware
    jianding verify REGULATION --station FILE    a run against a station file's devices (jjg1148 … jjg577)
    jianding resume [RUN_ID] [--auto-approve]    finish an interrupted run from its last persisted step
                                                 (also one killed between its last step and its record,
                                                 or mid-issue: docs/architecture.md "Runs that always finish")
    jianding gui [--sim]                         the operator GUI (PySide6; --sim: demo stations on twins)
    jianding runs | jianding show RUN_ID         runs and their results
    jianding charger listen --station F          a bare OCPP CSMS (the station's security): is the post talking to us?
    jianding standards add|list|setup-add|assign reference standards, their calibrations and 计量标准装置
    jianding instruments list                    the ledger (台账)
    jianding ledger template|export|import FILE.xlsx [--update]   the ledger in Excel (bench/ledger_cli.py)
    jianding account add|list|passwd|roles|disable   accounts and roles (bench/account_cli.py)
    jianding certificate list|show|check|approve|issue|amend|revoke|verify   approval chain, signed
                                                 certificates, offline verification (bench/cert_cli.py)
    jianding audit verify | jianding keys init|list|export   hash chains; the signing key
    jianding sync status|push|pull|run|ledger|retry   the management platform (bench/sync_cli.py)
    jianding tasks list|show|accept|refuse|reassign   bookings pulled from the platform
    jianding oversight overdue|sampling|three-meters|analysis|record|rectification   bureau reports, 整改 (bench/oversight_cli.py)
    jianding oversight campaign|summary                               campaign calendar, 工作总结 (bench/campaign_cli.py)
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import re
import sys
from datetime import date
from pathlib import Path
from typing import Any

from bench import __version__
from bench.account_cli import login_if_accounts
from bench.account_cli import register as register_accounts
from bench.accounts import AccountError, demo_signers
from bench.catalog import editions_help, purpose_choices, purpose_zh, regulations, verification_type_keys
from bench.cert_cli import issue_drafts
from bench.cert_cli import register as register_certificates
from bench.cli_errors import (
    EXIT_DEVICE,
    EXIT_INTERRUPTED,
    EXIT_REFUSED,
    EXIT_UNEXPECTED,
    os_error_line,
    quiet_broken_pipe,
    unexpected_line,
)
from bench.controller import Controller, RunRequest, RunSummary
from bench.demo_seed import DEMO_STANDARDS as DEMO_STANDARDS  # re-exported: tests and benchmarks seed with it
from bench.demo_seed import seed_demo_standards
from bench.display import ConsoleDisplay, bench_table, pad, results_table, width
from bench.ledger_cli import register as register_ledger
from bench.operators import AutoOperator, ConsoleOperator
from bench.oversight_cli import register as register_oversight
from bench.retest import parse_positions
from bench.station import StationError, example_station_path, load_station
from bench.store import StandardNotUsable, Store
from bench.store.models import RUN_STATUSES
from bench.sync_cli import register as register_sync
from drivers.errors import DeviceError
from procedures.engine.remaining import mmss
from procedures.records import VerificationRecord

DEMO_KINDS = {"ac": ("jjg1148", "JJG 1148-2022", "模拟交流充电桩"), "dc": ("jjg1149", "JJG 1149-2022", "模拟直流充电机 (BMS over CAN)"),
              "fuel": ("jjg443", "JJG 443-2023", "模拟燃油加油机 (串口 JD-DSP/1 + 标准金属量器)"),
              "water": ("jjg162", "JJG 162-2019", "模拟水表检定装置 (多表位, 称重法/标准表法)"),
              "gas": ("jjg577", "JJG 577-2012", "模拟膜式燃气表检定装置 (多表位, 钟罩/标准表法)"),
              "meter": ("jjg596", "JJG 596-2012", "模拟电能表检定装置 (24 表位)")}
DEMO_FAIL = {"ac": {"ac_post": {"error_pct": 2.6, "clock_offset_s": 7.5, "amount_error_yuan": 0.05, "tamper_signed": True}},
             "dc": {"ac_post": {"error_pct": 2.6, "clock_offset_s": 7.5, "amount_error_yuan": 0.05, "tamper_signed": True}},
             "fuel": {"dispenser": {"error_pct": 0.4}},
             # benches: one meter out of tolerance, one whose register runs 3 % ahead of its pulses
             # (fails the constant test only) and one position whose counter stops (re-test)
             "meter": {"meter_bench": {"errors_pct": [0.1] * 4 + [2.7] + [0.1] * 19, "stuck": [7],
                                       "register_error_pct": {"9": 3.0}}},
             "water": {"flow_bench": {"no_pulses": [3]}},
             "gas": {"flow_bench": {"curves": {"2": {"0.00625": 4.0, "0.2": 2.2, "1.0": 1.9}}, "no_pulses": [4]}}}
DEMO_ENTRIES = {"环境温度": "23.5 °C", "相对湿度": "55 %", "兆欧表试验电压": "500 V", "绝缘电阻示值": "200 MΩ"}


def _store(args: argparse.Namespace) -> Store:
    return Store(args.db) if args.db else Store()


def _controller(args: argparse.Namespace, *, login: bool = False) -> Controller:
    """The controller over the store; with ``login``, acting as the logged-in 检定员 when the store
    has real accounts (bench.account_cli: JIANDING_USER/JIANDING_PASSWORD or a prompt)."""
    out = Path(args.out) if getattr(args, "out", None) else None  # None: beside the database
    store = _store(args)
    account = login_if_accounts(store, "verifier") if login else None
    return Controller(store, out, actor=getattr(args, "operator_name", None) or "operator", account=account)


def _finish(summary: RunSummary, ctl: Controller) -> int:
    print()
    if summary.status == "finished" and summary.positions:
        print(bench_table(summary.positions))
        out = {p.document.parent for p in summary.positions if p.document is not None}
        if out:
            print(f"文件目录 (documents in): {', '.join(str(d) for d in sorted(out))}")
        retest = [str(p.position) for p in summary.positions if p.status == "retest"]
        if retest:
            print(f"需复检表位 (positions to re-test): {', '.join(retest)} — 复检: 同一命令加 --retest-of "
                  f"{summary.run_id[:8]} --positions {','.join(retest)} (the same command with these options)")
        return 0
    if summary.status == "finished" and summary.record is not None:
        print(results_table(summary.record))
        rec = summary.record
        title = rec.document.title if rec.document else "检定证书" if rec.passed else "检定结果通知书"
        english = {"certificate": "verification certificate", "notice": "notice of failure",
                   "inspection": "in-service inspection result: no new validity"}[rec.kind]
        print(f"\n{title} ({english}): {rec.certificate_no}")
        if rec.as_found is not None:
            found = rec.as_found
            until = found.service_life_until or found.valid_until
            print(f"所持检定证书 (certificate held): {found.certificate_no or '—'}"
                  + (f"，{'使用期限至' if found.service_life_until else '有效期至'} {until}" if until else "")
                  + f"；{found.status}")
        print(f"文件 (file): {summary.document}")
        return 0
    if summary.status == "paused":
        print(f"⏸ 检定已暂停，已测数据已保存 (paused; readings taken are on disk): {summary.message}")
        print(f"  排除故障后继续 (after fixing the fault): jianding resume {summary.run_id[:8]}"
              + (f" --db {ctl.store.path}" if ctl.store.path else ""))
        return 3
    if summary.status == "void":
        print(f"✗ 本次检定无效，不出具证书或通知书 (the run is void: no certificate, no notice): {summary.message}")
        print("  原始数据已保存；条件满足后重新检定 (readings kept; verify again once the conditions are met)")
        return 5
    print(f"检定未完成 (run {summary.status}): {summary.message}")
    return 4


async def _execute(ctl: Controller, run_id: str, operator: object) -> RunSummary:
    display = ConsoleDisplay(ctl.bus, echo_answers=not isinstance(operator, ConsoleOperator))
    try:
        return await ctl.execute(run_id, operator)  # type: ignore[arg-type]
    finally:
        display.close()


def _run(ctl: Controller, run_id: str, operator: object, issue: bool = False) -> int:
    try:
        summary = asyncio.run(_execute(ctl, run_id, operator))
    except KeyboardInterrupt:
        ctl.abort()
        print("\n已中断；可用 jianding resume 继续 (interrupted; resume with jianding resume)")
        return 130
    if issue and summary.status == "finished":
        _issue(ctl, summary)
    elif summary.status == "finished":
        print("证书为草稿，待核验、批准后签发 (drafts await check and approval): jianding certificate check|approve|issue")
    return _finish(summary, ctl)


def _issue(ctl: Controller, summary: RunSummary) -> None:
    """Check, approve and issue the run's drafts as the station's [people] (demo, --auto-approve);
    the summary then points at the issued documents."""
    issued = issue_drafts(ctl, summary.run_id)
    if summary.record is not None and summary.record.certificate_no in issued:
        summary.document = issued[summary.record.certificate_no]
    summary.positions = [dataclasses.replace(p, document=issued.get(p.certificate_no, p.document))
                         for p in summary.positions]


def cmd_demo(args: argparse.Namespace) -> int:
    """Seed the demo standards if needed, then run JJG 1148 (ac), JJG 1149 (dc) or JJG 443 (fuel) on twins,
    as the demo accounts of the station's [people] (bench.accounts.demo_signers: a store with real
    accounts is refused)."""
    ctl = _controller(args)
    regulation, code, what = DEMO_KINDS[args.kind]
    station = load_station(args.station or example_station_path(args.kind))
    ctl.account = demo_signers(ctl.store, station.raw.get("people", {}))["verifier"]
    ctl.actor = ctl.account.name
    for serial in seed_demo_standards(ctl.store, station.standards()):
        print(f"已登记模拟标准器 (demo standard entered on the ledger): {serial}")
    overrides: dict[str, object] = {}
    if args.speed:
        overrides["speed"] = args.speed
    post: dict[str, object] = {}
    if args.ocpp:
        post["ocpp_version"] = args.ocpp
    if post:
        overrides["ac_post"] = post
    if args.input:
        if args.kind != "fuel":
            raise StationError("--input applies to the fuel demo only")
        _set_input(station, args.input)
    if args.fail:
        for section, values in DEMO_FAIL[args.kind].items():
            overrides[section] = {**overrides.get(section, {}), **values}  # type: ignore[dict-item]
    print(f"简定 Jianding {__version__} — 演示 (demo): {code} {what}")
    print(f"数据库 (database): {ctl.store.path}")
    run_id = ctl.prepare(RunRequest(station=station, regulation=regulation, edition=args.edition,
                                    verification_type=args.type, sim_overrides=overrides, task_id=args.task,
                                    purpose=args.purpose, **retest_args(args)))
    return _run(ctl, run_id, AutoOperator(demo_entries(ctl)), issue=True)


def _set_input(station: Any, mode: str) -> None:
    """Choose the JJG 443 input path on a station: ``manual`` also removes the dispenser's serial
    device, as on a site whose dispenser has no interface."""
    station.raw.setdefault("procedure", {})["input"] = mode
    if mode == "manual":
        station.raw["devices"] = {k: v for k, v in station.raw.get("devices", {}).items()
                                  if v.get("driver") != "serial_dispenser"}
        station.devices = [d for d in station.devices if d.driver != "serial_dispenser"]


def demo_entries(ctl: Controller) -> dict[str, Any]:
    """The demo operator's answers; display values are read off the simulated post's screen, the
    standard metal can's neck scale and thermometers off the simulated can (a technician reads
    them in reality; JJG 443 prompts start with the keys below)."""

    def sim() -> Any:
        if ctl.sim is None:
            raise RuntimeError("no simulated instrument to read from")
        return ctl.sim

    def screen() -> Any:
        return sim().display()

    def period(prompt: Any, field: int) -> Any:
        i = int(re.search(r"时段 (\d+)", prompt.text).group(1))  # type: ignore[union-attr]
        return screen().periods[i - 1][field]

    return {**DEMO_ENTRIES,
            "充电桩显示时间": lambda prompt: f"{sim().display_clock(prompt.mark_time):%H:%M:%S}",
            "充电桩显示金额": lambda: f"{screen().amount_yuan:.2f}",
            "充电桩显示本次充电电量": lambda: f"{screen().session_kwh:.3f} kWh",
            "充电桩显示充电时长": lambda: _hms(screen().duration_s),
            "本次充电跨越的电价时段数": lambda: str(len(screen().periods)),
            "时段": lambda prompt: (f"{period(prompt, 1):.3f} kWh" if "电量" in prompt.text
                                  else f"{period(prompt, 2):g}"),
            "服务费单价": lambda: f"{screen().service_fee_yuan_per_kwh:g}",
            "标准金属量器颈部读数": lambda: f"{sim().can_reading().h_mm:g} mm",
            "油枪出口油温": lambda: f"{sim().fuel_temperature():.1f} °C",
            "量器内油温": lambda: f"{sim().can_reading().t_b_c:.1f} °C",
            "温度计分度值": "0.1 °C",
            # the dispenser's display, as the technician reads it (with an interface the prompt also
            # shows what the interface reported); without an interface the technician first follows
            # the prompt's instruction ("以约 57 L/min 加油 20 L …")
            "加油机显示体积": lambda prompt: _read_display(sim(), prompt.text),
            "加油机显示金额": lambda: f"{sim().dispenser_display()[1]:.2f} 元",
            "加油流量": lambda: f"{sim().last_delivery()[3]:.1f} L/min",
            "加油机单价": lambda: f"{sim().last_delivery()[2]:.2f} 元/L",
            # a gas bench without differential-pressure sensors: the manometer across each meter
            "压力损失": lambda prompt: _manometer(sim(), prompt.text),
            # a bench without the meters' port: the technician reads each meter's display
            "电能表示值": lambda prompt: f"{sim().meter_register(int(prompt.text.split()[2]))} kWh"}


def _manometer(sim: Any, prompt: str) -> str:
    """The simulated manometer across the meter of the position the prompt names, Pa."""
    m = re.search(r"表位 (\d+)", prompt)
    if m is None:
        raise KeyError(f"no position in prompt {prompt!r}")
    return f"{sim.pressure_loss(int(m.group(1))):.0f} Pa"


def _hms(seconds: float) -> str:
    """A duration as a display shows it: h:mm:ss."""
    total = int(seconds)
    return f"{total // 3600}:{total % 3600 // 60:02d}:{total % 60:02d}"


def _read_display(sim: Any, prompt: str) -> str:
    """The simulated dispenser's display volume; when the prompt asks for a delivery by hand (a
    dispenser without an interface), deliver it first."""
    m = re.search(r"以约 ([\d.]+) L/min 加油 ([\d.]+) L", prompt)
    if m is not None:
        sim.manual_delivery(float(m.group(2)), float(m.group(1)))
    return f"{sim.dispenser_display()[0]:.2f} L"


def cmd_verify(args: argparse.Namespace) -> int:
    """A run against the station file's devices, as the logged-in 检定员 (in a store with accounts)."""
    ctl = _controller(args, login=True)
    station = load_station(args.station)
    run_id = ctl.prepare(RunRequest(station=station, regulation=args.regulation, edition=args.edition,
                                    verification_type=args.type, instrument_serial=args.instrument,
                                    task_id=args.task, purpose=args.purpose, adjusts_run=args.after_adjustment,
                                    adjustment_note=args.adjustment or "", **retest_args(args)))
    operator = AutoOperator(demo_entries(ctl)) if args.auto else ConsoleOperator()
    return _run(ctl, run_id, operator, issue=args.auto_approve)


def retest_args(args: argparse.Namespace) -> dict[str, Any]:
    """``--retest-of RUN --positions 3,17`` as the RunRequest's follow-up fields (bench/retest.py):
    both or neither."""
    if bool(args.retest_of) != bool(args.positions):
        raise StationError("复检须同时给出 --retest-of RUN 和 --positions 3,17 (a re-test names the run and its positions)")
    if not args.retest_of:
        return {}
    return {"retest_of": args.retest_of, "positions": parse_positions(args.positions)}


def cmd_plan(args: argparse.Namespace) -> int:
    """The real-time plan of a verification on real hardware: each step's minimum duration, why,
    and the total (nothing is run or stored)."""
    ctl = _controller(args)
    station = load_station(args.station)
    procedure, steps = ctl.plan(RunRequest(station=station, regulation=args.regulation, edition=args.edition,
                                           verification_type=args.type, instrument_serial=args.instrument))
    print(f"{procedure.code} {procedure.verification_type_zh()} — 实际硬件最短用时 (minimum real time, no simulation speed-up)")
    width_title = max((width(s.title) for s in steps), default=10)
    for s in steps:
        print(f"  {pad(s.title, width_title)}  {mmss(s.seconds):>12}  {s.why}")
    total = sum(s.seconds for s in steps)
    print(f"  {pad('合计 (total)', width_title)}  {mmss(total):>12}")
    return 0


def cmd_resume(args: argparse.Namespace) -> int:
    """Finish an interrupted run (as the logged-in 检定员, in a store with accounts)."""
    ctl = _controller(args, login=True)
    if args.run_id:
        run = ctl.store.get_run(args.run_id)
    else:
        pending = [r for r in ctl.store.runs() if r.status in ("paused", "running")] or issuing(ctl, args.auto_approve)
        if not pending:
            print("没有待继续的检定 (no interrupted run)")
            return 1
        run = pending[0]
    print(f"继续检定 (resuming) {run.id[:8]} {run.regulation} — {run.message or run.status}")
    operator = ConsoleOperator() if args.interactive else AutoOperator(demo_entries(ctl))
    return _run(ctl, run.id, operator, issue=args.auto_approve)


def issuing(ctl: Controller, auto_approve: bool) -> list[Any]:
    """Finished runs whose issuing a crash interrupted, newest first: a certificate marked issued
    with its PDF not in place, or (when ``auto_approve`` goes on with the chain) one checked or
    approved but not issued."""
    started = ("checked", "approved") if auto_approve else ()
    ids = {st.row.run_id for st in ctl.certificates.all() if st.status in started or ctl.certificates.unfinished(st)}
    return [r for r in ctl.store.runs(status="finished") if r.id in ids]


def cmd_runs(args: argparse.Namespace) -> int:
    """List runs."""
    store = _store(args)
    for r in store.runs(args.status):
        seats = store.positions(r.id)
        what = f"{len(seats)} 表位" if seats else store.get_instrument(r.instrument_id).serial
        tail = r.message if r.status == "void" else (r.certificate_no or "")
        if r.retest_of:
            tail = f"复检自 (re-test of) {r.retest_of[:8]} {tail}".rstrip()
        print(f"{r.id[:8]}  {r.started_at:%Y-%m-%d %H:%M}  {r.regulation:<8} {purpose_zh(r.purpose):<6} "
              f"{r.status:<9} {what:<12} {r.conclusion or '':<4} {tail}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    """Show one run's results and raw readings."""
    store = _store(args)
    run = store.get_run(args.run_id)
    seats = store.positions(run.id)
    tampered = store.version_breaks([run, *seats, *(i for i in store.instruments() if i.id == run.instrument_id)])
    for b in tampered:
        print(f"⚠ 数据库中此行与其记录的版本不符 (this row differs from its recorded version): {b}")
    if run.record_json:
        print(results_table(VerificationRecord.from_dict(json.loads(run.record_json))))
        print(f"文件 (file): {run.document_path}")
    elif seats:
        print(f"run {run.id[:8]}: {run.status} {run.conclusion} {run.message}")
        if run.retest_of:
            print(f"复检自 (re-test of) {run.retest_of[:8]}")
        follow = {p.position: r for r in store.runs() if r.retest_of == run.id for p in store.positions(r.id)}
        for seat in seats:
            serial = store.get_instrument(seat.instrument_id).serial
            later = f"  → 复检 (re-tested in) {follow[seat.position].id[:8]}" if seat.position in follow else ""
            print(f"  表位 {seat.position:>2}  {serial:<14} {seat.status:<9} {seat.conclusion:<4} "
                  f"{seat.certificate_no or seat.message}{later}")
    else:
        print(f"run {run.id[:8]}: {run.status} {run.message}")
        for res in store.results(run.id):
            print(f"  {res.item:<18} {res.label:<30} {res.rounded:>8} {res.unit}  {res.verdict}")
    if args.readings:
        for rd in store.readings(run.id):
            print(f"  #{rd.id:<5} {rd.taken_at:%H:%M:%S} {rd.step_key:<18} {rd.key:<16} {rd.value:>14g} {rd.unit:<4} {rd.source}")
    if args.original_record:
        if tampered:
            print("拒绝输出原始记录：数据被改动，请运行 jianding audit verify (refused: the run's data was changed "
                  "behind the store's back; run jianding audit verify)", file=sys.stderr)
            return 2
        return _write_original_record(store, run, seats, args)
    return 0


def _write_original_record(store: Store, run: Any, seats: list[Any], args: argparse.Namespace) -> int:
    """Write the run's 原始记录 (every raw reading as taken) for a finished run; on a bench, the
    record of one position (``--position``) heads the batch's readings."""
    from reports.original_record import render_original_record

    if seats:
        chosen = [s for s in seats if s.position == args.position] if args.position else seats[:1]
        if not chosen or not chosen[0].record_json:
            print(f"表位 {args.position} 无检定记录 (no record for that position)", file=sys.stderr)
            return 2
        record_json = chosen[0].record_json
    else:
        record_json = run.record_json
    if not record_json:
        print(f"检定未完成，无原始记录 (run {run.id[:8]} is {run.status}: no frozen record yet)", file=sys.stderr)
        return 2
    readings = [{"step": r.step_key, "key": r.key, "quantity": r.quantity, "value": r.value, "unit": r.unit,
                 "source": r.source, "taken_at": r.taken_at, "extra": json.loads(r.extra_json or "{}")}
                for r in store.readings(run.id)]
    results = [{"step": r.step_key, "name": r.name, "label": r.label, "unit": r.unit, "values": json.loads(r.values_json),
                "mean": r.mean, "rounded": r.rounded, "position": r.position} for r in store.results(run.id)]
    out = Path(args.original_record)
    out.write_bytes(render_original_record(VerificationRecord.from_dict(json.loads(record_json)), readings, results))
    print(f"原始记录 (original record): {out} — {len(readings)} 个读数 (readings)")
    return 0


def cmd_listen(args: argparse.Namespace) -> int:
    """Run the bare CSMS and print what chargers say."""
    from bench.charger_listen import listen, listen_security
    from drivers.ocpp.link import versions_from_config

    flags = {"security_profile": args.security_profile, "credentials_file": args.credentials_file,
             "tls_cert": args.tls_cert, "tls_key": args.tls_key, "accept_unsecured": args.accept_unsecured or None}
    security, section = listen_security(args.station, args.device, flags)
    host = args.host or str(section.get("host", "0.0.0.0"))
    port = args.port if args.port is not None else int(section.get("port", 9000))
    versions = versions_from_config(section.get("protocol", "auto"))
    try:
        asyncio.run(listen(host, port, duration_s=args.duration, versions=versions, security=security))
    except KeyboardInterrupt:
        pass
    return 0


def cmd_can_decode(args: argparse.Namespace) -> int:
    """Decode a recorded CAN trace (GB/T 27930)."""
    from bench.can_decode import main as decode

    only = {n.strip().upper() for n in args.only.split(",")} if args.only else None
    return int(decode(args.file, only=only))


def cmd_ocmf(args: argparse.Namespace) -> int:
    """Verify OCMF signed meter values (a string with a key, or an S.A.F.E. XML file)."""
    from bench.ocmf_cli import main as ocmf

    return int(ocmf(args.ocmf_args))


def cmd_standards(args: argparse.Namespace) -> int:
    """Add or list reference standards and the 计量标准装置 they belong to."""
    store = _store(args)
    if args.action == "add":
        store.add_standard(name=args.name, model=args.model, serial=args.serial, certificate_no=args.certificate,
                           calibrated_on=date.fromisoformat(args.calibrated), valid_until=date.fromisoformat(args.valid_until),
                           accuracy=args.accuracy or "", measuring_range=args.range or "", setup=args.setup)
        print(f"已登记 (entered) {args.serial}")
        return 0
    if args.action == "setup-add":
        store.add_setup(name=args.name, certificate_no=args.certificate, valid_until=date.fromisoformat(args.valid_until),
                        certificate_kind=SETUP_KINDS[args.kind], issued_by=args.issued_by or "")
        print(f"已登记计量标准装置 (standard setup entered) {args.name} {args.certificate}")
        return 0
    if args.action == "assign":
        store.assign_setup(args.serial, args.setup)
        print(f"{args.serial} → 装置 (setup) {args.setup}")
        return 0
    today = date.today()
    setups = {row.id: row for row in store.setups()}
    for row in setups.values():
        state = "有效 valid" if row.valid_until >= today else "过期 EXPIRED"
        print(f"装置 {row.name}  {row.certificate_kind} {row.certificate_no}  有效期至 {row.valid_until}  {state}")
    for s in store.standards():
        state = "有效 valid" if s.valid_until >= today else "过期 EXPIRED"
        setup = setups.get(s.setup_id) if s.setup_id is not None else None
        print(f"{s.serial:<18} {s.name:<24} 证书 {s.certificate_no:<20} 有效期至 {s.valid_until}  {state}"
              + (f"  装置 {setup.certificate_no}" if setup else ""))
    return 0


SETUP_KINDS = {"assessment": "计量标准考核证书", "public": "社会公用计量标准证书"}
"""``--kind`` of ``standards setup-add``: the certificate that authorises a 计量标准装置."""


def cmd_gui(args: argparse.Namespace) -> int:
    """Open the PySide6 GUI (``jianding gui [--sim]``). bench may not import gui (the layers
    contract: gui > bench), so the GUI is found at run time with importlib, never imported here."""
    import importlib

    argv = (["--db", args.db] if args.db else []) + (["--sim"] if args.sim else [])
    argv += [a for path in args.station for a in ("--station", path)]
    argv += (["--out", args.out] if args.out else []) + (["--operator-name", args.operator_name] if args.operator_name else [])
    return int(importlib.import_module("gui.app").main(argv))


def cmd_instruments(args: argparse.Namespace) -> int:
    """List the ledger."""
    for i in _store(args).instruments():
        print(f"{i.id:<4} {i.category:<8} {i.name:<16} {i.model:<12} {i.serial:<12} {i.accuracy_class:<3} {i.client}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and docs)."""
    p = argparse.ArgumentParser(prog="jianding", description="简定 — 法定计量检定工作站 (legal-metrology verification workstation)")
    p.add_argument("--version", action="version", version=f"jianding {__version__}")
    p.add_argument("--db", help="数据库文件 (SQLite database file; default: the user data directory)")
    p.add_argument("--debug", action="store_true", help="出错时显示完整的调用栈 (show the full traceback on an error)")
    sub = p.add_subparsers(dest="command", required=True)

    def run_opts(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--out", help="证书输出目录，默认在数据库旁 <库名>-documents/ (where documents are written; default beside the database)")
        # choices read from the regulations' tables (bench.catalog, as the GUI's run form offers them)
        sp.add_argument("--type", default="first", choices=verification_type_keys(),
                        help="检定类别: 首次检定 / 后续检定 / 使用中检查 (as the regulation's table offers)")
        sp.add_argument("--edition", default=None,
                        help=f"规程版本 (regulation edition): {editions_help()}; "
                             "default: the regulation's current edition (listed first)")
        sp.add_argument("--task", help="平台预约号：本次检定服务的任务 (the accepted booking this run serves)")
        sp.add_argument("--purpose", choices=[c.key for c in purpose_choices()],
                        help="检定目的 (why the run is made): " + "; ".join(f"{c.key} {c.zh}" for c in purpose_choices())
                             + " — default by verification type (first → first, subsequent → periodic, in_use → sampling)")
        sp.add_argument("--retest-of", metavar="RUN",
                        help="复检: 重新检定该次多表位检定中需复检的表位，作为与之关联的新检定 (re-test positions of this "
                             "finished bench run as a follow-up run linked to it; with --positions)")
        sp.add_argument("--positions", metavar="3,17",
                        help="复检的表位，例如 3,17 或 20-22 (the positions re-tested, with --retest-of)")

    d = sub.add_parser("demo", help="演示: 充电桩、加油机、电能表、水表、燃气表 on simulated hardware")
    d.add_argument("kind", nargs="?", default="ac", choices=sorted(DEMO_KINDS),
                   help="ac: 交流充电桩; dc: 非车载充电机; fuel: 燃油加油机; meter: 电能表; water: 水表; gas: 膜式燃气表")
    run_opts(d)
    d.add_argument("--fail", action="store_true", help="模拟不合格器具 (a failing instrument; fuel: true error +0.4 %%)")
    d.add_argument("--ocpp", choices=["1.6", "2.0.1"], help="模拟充电桩的 OCPP 版本 (the simulated post's OCPP version)")
    d.add_argument("--speed", type=float, help="仿真加速倍数 (simulation speed-up)")
    d.add_argument("--input", choices=["interface", "manual"],
                   help="加油机数据来源 (fuel): interface = 串口读取; manual = 无接口，全部人工录入")
    d.add_argument("--station", help="station file (default: the shipped demo station)")
    d.set_defaults(func=cmd_demo)

    v = sub.add_parser("verify", help="检定: run a regulation against a station's devices")
    v.add_argument("regulation", choices=regulations())
    v.add_argument("--station", required=True, help="station file (TOML)")
    v.add_argument("--instrument", help="被检器具出厂编号 (serial on the ledger)")
    v.add_argument("--auto", action="store_true", help="answer prompts automatically (scripted runs)")
    v.add_argument("--auto-approve", action="store_true",
                   help="以演示账户（站点 [people]）核验批准并签发；有正式账户的数据库不适用 (check, approve and issue as "
                        "the demo accounts of the station's [people]; refused in a store with real accounts)")
    v.add_argument("--after-adjustment", metavar="RUN",
                   help="调整后重新检定：此前不合格的检定编号 (re-verify after adjustment the instrument that failed RUN)")
    v.add_argument("--adjustment", help="调整或修理情况，印于记录 (what was adjusted or repaired; printed on the record)")
    run_opts(v)
    v.set_defaults(func=cmd_verify)

    pl = sub.add_parser("plan", help="实时计划: 各步骤在实际硬件上的最短用时及原因 (real-time plan of a run)")
    pl.add_argument("regulation", choices=regulations())
    pl.add_argument("--station", required=True, help="station file (TOML)")
    pl.add_argument("--instrument", help="被检器具出厂编号 (serial on the ledger; else the station's [instrument])")
    pl.add_argument("--type", default="first", choices=verification_type_keys())
    pl.add_argument("--edition", default=None, help=f"规程版本 (regulation edition): {editions_help()}")
    pl.set_defaults(func=cmd_plan)

    r = sub.add_parser("resume", help="继续中断的检定或签发 (resume an interrupted run or its issuing)")
    r.add_argument("run_id", nargs="?")
    r.add_argument("--out")
    r.add_argument("--interactive", action="store_true", help="ask the operator on the console")
    r.add_argument("--auto-approve", action="store_true",
                   help="以演示账户（站点 [people]）核验批准并签发；有正式账户的数据库不适用 (check, approve and issue as "
                        "the demo accounts of the station's [people]; refused in a store with real accounts)")
    r.set_defaults(func=cmd_resume)

    ls = sub.add_parser("runs", help="检定记录列表 (list runs)")
    ls.add_argument("--status", choices=RUN_STATUSES, help="只列出该状态的检定 (only runs in this status)")
    ls.set_defaults(func=cmd_runs)

    sh = sub.add_parser("show", help="显示检定结果 (show a run)")
    sh.add_argument("run_id")
    sh.add_argument("--readings", action="store_true", help="also list raw readings")
    sh.add_argument("--original-record", metavar="FILE.pdf", help="写出原始记录 (write the run's original record)")
    sh.add_argument("--position", type=int, help="多表位: 表位号 (bench run: the position whose record heads it)")
    sh.set_defaults(func=cmd_show)

    ch = sub.add_parser("charger", help="充电桩工具 (charger tools)")
    chs = ch.add_subparsers(dest="charger_cmd", required=True)
    li = chs.add_parser("listen", help="运行本地 CSMS 并打印充电桩消息 (run a bare CSMS)")
    li.add_argument("--host", help="listen address (default: the station's, else 0.0.0.0)")
    li.add_argument("--port", type=int, help="TCP port (default: the station's, else 9000)")
    li.add_argument("--duration", type=float, help="stop after N seconds")
    li.add_argument("--station", help="站点文件: 用其 OCPP 设备的地址与安全设置 (use the OCPP device section of a station file)")
    li.add_argument("--device", help="站点文件中的 OCPP 设备名 (the [devices.NAME] section, when there are several)")
    li.add_argument("--security-profile", type=int, choices=(0, 1, 2),
                    help="OCPP 安全等级 (security profile): 1 Basic 认证, 2 TLS + Basic 认证, 0 无 (needs --accept-unsecured)")
    li.add_argument("--credentials-file", help="充电桩编号 → 密码 (TOML/JSON file: charge point id → password)")
    li.add_argument("--tls-cert", help="CSMS 证书 PEM (server certificate chain, profile 2)")
    li.add_argument("--tls-key", help="CSMS 私钥 PEM (its private key, profile 2)")
    li.add_argument("--accept-unsecured", action="store_true",
                    help="确认以安全等级 0 运行 (acknowledge security profile 0: no authentication, no TLS)")
    li.set_defaults(func=cmd_listen)

    st = sub.add_parser("standards", help="标准器台账 (reference standards)")
    sts = st.add_subparsers(dest="action", required=True)
    sts.add_parser("list").set_defaults(func=cmd_standards)
    sa = sts.add_parser("add")
    for flag in ("name", "model", "serial", "certificate", "calibrated", "valid-until"):
        sa.add_argument(f"--{flag}", required=True)
    sa.add_argument("--accuracy")
    sa.add_argument("--range")
    sa.add_argument("--setup", help="所属计量标准装置的证书编号 (certificate No. of the standard setup it belongs to)")
    sa.set_defaults(func=cmd_standards)
    su = sts.add_parser("setup-add", help="登记计量标准装置及其考核证书 (enter a standard setup and its certificate)")
    for flag in ("name", "certificate", "valid-until"):
        su.add_argument(f"--{flag}", required=True)
    su.add_argument("--kind", choices=sorted(SETUP_KINDS), default="assessment",
                    help="assessment: 计量标准考核证书; public: 社会公用计量标准证书")
    su.add_argument("--issued-by")
    su.set_defaults(func=cmd_standards)
    sg = sts.add_parser("assign", help="将标准器归入计量标准装置 (make a standard a main instrument of a setup)")
    sg.add_argument("--serial", required=True)
    sg.add_argument("--setup", required=True)
    sg.set_defaults(func=cmd_standards)

    can = sub.add_parser("can", help="CAN 工具 (GB/T 27930 tools)")
    cans = can.add_subparsers(dest="can_cmd", required=True)
    dec = cans.add_parser("decode", help="解码 CAN 记录 (decode a candump/ASC/BLF trace, one JSON line per message)")
    dec.add_argument("file")
    dec.add_argument("--only", help="comma-separated message names, e.g. BCL,CCS,CSD")
    dec.set_defaults(func=cmd_can_decode)

    oc = sub.add_parser("ocmf", help="OCMF 签名电能数据 (signed meter values)")
    oc.add_argument("ocmf_args", nargs=argparse.REMAINDER, help="verify 'OCMF|…|…' --public-key KEY | verify FILE.xml")
    oc.set_defaults(func=cmd_ocmf)

    ins = sub.add_parser("instruments", help="器具台账 (instrument ledger)")
    ins.add_argument("action", choices=["list"])
    ins.set_defaults(func=cmd_instruments)
    register_ledger(sub)
    register_certificates(sub)
    register_accounts(sub)
    register_oversight(sub)
    register_sync(sub)
    g = sub.add_parser("gui", help="图形界面 (the operator GUI, PySide6)")
    g.add_argument("--sim", action="store_true", help="启动模拟设备 (offer the demo stations on twins)")
    g.add_argument("--station", action="append", default=[], help="station file(s) to offer (TOML)")
    g.add_argument("--out", help="证书输出目录，默认在数据库旁 <库名>-documents/ (where documents are written; default beside the database)")
    g.add_argument("--operator-name", help="检定员 (who runs the workstation)")
    g.set_defaults(func=cmd_gui)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``jianding`` console script. Every error ends as one line on stderr and an
    exit status (bench/cli_errors.py); ``--debug`` shows the traceback instead."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")  # type: ignore[union-attr]
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    # In-process twins retry while the workstation's CSMS starts; their warnings are not the operator's.
    logging.getLogger("hardware_sim").setLevel(logging.ERROR)
    try:
        status = int(args.func(args))
        sys.stdout.flush()  # a reader gone (| head) shows here, not in the interpreter's exit
        return status
    except BrokenPipeError:
        return quiet_broken_pipe()
    except Exception as e:
        if args.debug:
            raise
        line, status = _error_line(e)
        print(line, file=sys.stderr)
        return status
    except KeyboardInterrupt:
        if args.debug:
            raise
        print("已中断 (interrupted)", file=sys.stderr)
        return EXIT_INTERRUPTED


def _error_line(e: Exception) -> tuple[str, int]:
    """The one line and exit status of an error that ended a command."""
    if isinstance(e, StandardNotUsable | StationError | LookupError | ValueError | AccountError):
        return f"错误 (error): {e}", EXIT_REFUSED
    if isinstance(e, DeviceError):
        return f"设备故障 (device fault): {e}", EXIT_DEVICE
    if isinstance(e, OSError) and e.filename:
        return os_error_line(e), EXIT_REFUSED
    return unexpected_line(e), EXIT_UNEXPECTED


if __name__ == "__main__":
    sys.exit(main())
