"""``jianding certificate …``, ``jianding audit verify`` and ``jianding keys …``: the approval chain,
signed certificates and their offline verification, and the store's hash chains.

    jianding certificate list|show NO                   certificates and their approval status
    jianding certificate check|approve|issue NO           核验 / 批准 / 签发 as the logged-in account
    jianding certificate amend NO --set instrument.client=… --reason …   a new version (批准人)
    jianding certificate revoke NO --reason …            注销 (批准人)
    jianding certificate verify FILE.pdf [--keys FILE] | --qr URL|"JDC1|…"   verify offline
    jianding audit verify                                recompute every hash chain of the store
    jianding keys init|list|export [FILE]                the institution's Ed25519 signing key

Every act of the approval chain is the logged-in account's (bench.account_cli: JIANDING_USER and
JIANDING_PASSWORD, or a prompt on a terminal), never a name on the command line; it must hold the
role (核验员 checks, 批准人 approves, issues, amends and revokes) and is signed (bench.certificates).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bench.account_cli import login
from bench.accounts import ROLES, AccountError, demo_signers
from bench.certificates import ApprovalError, Certificates, CertificateState, display_number
from bench.signing import SigningError
from bench.store import Store
from bench.store.db import default_db_path, documents_dir


def _store(args: argparse.Namespace) -> Store:
    return Store(args.db) if args.db else Store()


def _service(args: argparse.Namespace) -> Certificates:
    store = _store(args)
    out = Path(args.out) if getattr(args, "out", None) else documents_dir(store.path)
    key = Path(args.key) if getattr(args, "key", None) else None
    return Certificates(store, out, key)


def _line(st: CertificateState) -> str:
    rec = st.record
    issued = st.issued
    return (f"{display_number(st.row.number, st.row.version):<18} {st.status:<10} {st.row.kind:<11} "
            f"{rec.instrument.serial:<14} {rec.conclusion:<4} 检定员 {st.row.verifier:<6} "
            f"核验员 {st.actor('checked') or '—':<6} 批准人 {st.actor('approved') or '—':<6} "
            f"{issued.document_path if issued else ''}")


def cmd_certificate(args: argparse.Namespace) -> int:
    """The approval chain and verification of certificates."""
    if args.action == "verify":
        return _verify(args)
    svc = _service(args)
    try:
        if args.action == "list":
            for st in svc.all():
                if not args.status or st.status == args.status:
                    print(_line(st))
            return 0
        if args.action == "show":
            for st in svc.versions(args.number):
                print(_line(st))
                if st.row.reason:
                    print(f"    更正原因 (reason): {st.row.reason}")
                for e in st.events:
                    print(f"    {e.at:%Y-%m-%d %H:%M:%S}Z  {e.action:<10} {e.actor:<8} {e.detail}")
                for o in svc.signoffs(st):
                    print(f"    签署 (signed) {o.action:<9} 账户 #{o.account_id} {o.account} ({ROLES[o.role]}) "
                          f"{o.at:%Y-%m-%d %H:%M:%S}Z 内容 {o.content_hash[:16]}… 密钥 {o.key_id}")
                if st.issued:
                    print(f"    二维码 (QR): {st.issued.qr_text}")
            return 0
        by = login(svc.store, "checker" if args.action == "check" else "approver")
        if args.action == "check":
            st = svc.check(args.number, by)
        elif args.action == "approve":
            st = svc.approve(args.number, by)
        elif args.action == "issue":
            st, path = svc.issue(args.number, by)
            print(f"已签发 (issued) {display_number(st.row.number, st.row.version)} → {path}")
            print(f"二维码 (QR): {st.issued.qr_text if st.issued else ''}")
            return 0
        elif args.action == "amend":
            changes = dict(_pair(s) for s in args.set or [])
            st, path = svc.amend(args.number, changes, args.reason, by)
            print(f"已建更正稿 (amendment drafted) {display_number(st.row.number, st.row.version)} → {path}")
            print("  须再经核验、批准后签发 (needs check and approval before issue)")
            return 0
        else:
            st = svc.revoke(args.number, by, args.reason)
    except (ApprovalError, SigningError, AccountError) as e:
        print(f"拒绝 (refused): {e}")
        return 2
    print(_line(st))
    return 0


def _pair(text: str) -> tuple[str, str]:
    if "=" not in text:
        raise ValueError(f"--set expects FIELD=VALUE, got {text!r}")
    k, v = text.split("=", 1)
    return k.strip(), v


def _verify(args: argparse.Namespace) -> int:
    from bench.cert_verify import keys_from_store, load_keys, verify_pdf, verify_qr

    store = _store(args) if (args.db or default_db_path().exists()) and not args.offline else None
    keys: dict[str, Any] = keys_from_store(store) if store is not None else {}
    if args.keys:
        try:
            keys.update(load_keys(Path(args.keys)))
        except SigningError as e:
            print(f"错误 (error): {e}", file=sys.stderr)
            return 2
    if args.qr:
        verdict = verify_qr(args.qr, store, keys)
    elif args.file:
        verdict = verify_pdf(Path(args.file).read_bytes(), keys, store, subject=args.file)
    else:
        print("错误 (error): 请给出 FILE.pdf 或 --qr TEXT (give a PDF file or --qr TEXT)")
        return 2
    for line in verdict.lines():
        print(line)
    return 0 if verdict.ok else 2


def cmd_audit(args: argparse.Namespace) -> int:
    """Recompute every hash chain; print each broken row. Exit 0 when intact, 2 otherwise."""
    store = _store(args)
    broken = 0
    for table, (count, breaks) in store.verify_chains().items():
        state = "完好 intact" if not breaks else f"{len(breaks)} 处异常 (breaks)"
        print(f"{table:<17} {count:>7} 行 (rows)  {state}")
        for b in breaks:
            print(f"  ✗ {b}")
        broken += len(breaks)
    from bench.cert_verify import verify_anchors

    anchors = verify_anchors(store)
    issued = sum(1 for st in Certificates(store, Path(".")).all() if st.issued)
    print(f"{'anchors':<17} {issued:>7} 份证书 (certificates)  "
          f"{'完好 intact' if not anchors else f'{len(anchors)} 处异常 (breaks)'}")
    for b in anchors:
        print(f"  ✗ {b}")
    broken += len(anchors)
    from bench.signoffs import signoff_problems

    forged = signoff_problems(store)
    print(f"{'signatures':<17} {'':>7}   签署签名 (sign-off signatures)  "
          f"{'完好 intact' if not forged else f'{len(forged)} 处异常 (breaks)'}")
    for b in forged:
        print(f"  ✗ {b}")
    broken += len(forged)
    if broken:
        print(f"审计链被破坏：{broken} 处 (the audit chain is broken in {broken} place(s))")
        return 2
    print("审计链完好 (all chains intact)")
    return 0


def cmd_keys(args: argparse.Namespace) -> int:
    """The institution's signing key: create it, list registered keys, export the public ones."""
    from bench.cert_verify import export_keys

    svc = _service(args)
    if args.action == "init":
        try:
            kid = svc.init_key(args.institution or "")
        except SigningError as e:
            print(f"拒绝 (refused): {e}")
            return 2
        print(f"已生成签名密钥 (signing key created) {kid}: {svc.key_path} (权限 0600, 请妥善备份 — back it up safely)")
        return 0
    if args.action == "list":
        for k in svc.store.signing_keys():
            print(f"{k.key_id}  {k.algorithm}  {k.created_at:%Y-%m-%d}  {k.institution}")
        return 0
    text = json.dumps(export_keys(svc.store), ensure_ascii=False, indent=2)
    if args.file:
        Path(args.file).write_text(text + "\n", "utf-8")
        print(f"已导出公钥 (public keys exported) → {args.file}")
    else:
        print(text)
    return 0


def register(sub: Any) -> None:
    """Add the ``certificate``, ``audit`` and ``keys`` sub-commands to the ``jianding`` parser."""
    c = sub.add_parser("certificate", help="证书审批与验证 (certificate approval chain and verification)")
    cs = c.add_subparsers(dest="action", required=True)
    ls = cs.add_parser("list", help="证书列表 (list certificates)")
    ls.add_argument("--status", choices=["draft", "checked", "approved", "issued", "superseded", "revoked"])
    sh = cs.add_parser("show", help="证书各版本及审批记录 (versions and approval events)")
    sh.add_argument("number")
    for name, zh in (("check", "核验"), ("approve", "批准"), ("issue", "签发")):
        sp = cs.add_parser(name, help=f"{zh} ({name})")
        sp.add_argument("number")
    am = cs.add_parser("amend", help="更正：签发新版本并替代原证书 (amend: a new superseding version)")
    am.add_argument("number")
    am.add_argument("--set", action="append", metavar="FIELD=VALUE",
                    help="e.g. instrument.client=某公司 (a field of the record, dotted path)")
    am.add_argument("--reason", required=True)
    rv = cs.add_parser("revoke", help="注销 (revoke an issued certificate)")
    rv.add_argument("number")
    rv.add_argument("--reason", required=True)
    ve = cs.add_parser("verify", help="离线验证证书 PDF 或二维码 (verify a certificate PDF or QR text)")
    ve.add_argument("file", nargs="?")
    ve.add_argument("--qr", help="二维码内容：查询网址 https://…/c/…#JDQ1;… 或旧式 JDC1|… (the scanned QR: the "
                    "lookup URL, checked offline with --keys; or an old JDC1 text, checked against the store)")
    ve.add_argument("--keys", help="公钥文件 (public keys from jianding keys export)")
    ve.add_argument("--offline", action="store_true", help="不使用数据库 (do not consult the store)")
    for sp in (*cs.choices.values(),):
        sp.add_argument("--out", help="证书输出目录，默认在数据库旁 <库名>-documents/ (where documents are written; default beside the database)")
        sp.add_argument("--key", help="签名私钥 PEM (private signing key; default beside the database)")
    c.set_defaults(func=cmd_certificate)

    a = sub.add_parser("audit", help="审计链 (audit chain)")
    a.add_argument("action", choices=["verify"], help="重新计算所有哈希链 (recompute every hash chain)")
    a.set_defaults(func=cmd_audit)

    k = sub.add_parser("keys", help="签名密钥 (the institution's signing key)")
    k.add_argument("action", choices=["init", "list", "export"])
    k.add_argument("file", nargs="?", help="export: 输出文件 (output file; default stdout)")
    k.add_argument("--institution", help="init: 机构名称 (institution name)")
    k.add_argument("--key", help="私钥文件路径 (private key path; default beside the database)")
    k.set_defaults(func=cmd_keys)


def issue_drafts(ctl: Any, run_id: str) -> dict[str, Path]:
    """Check, approve and issue every draft of a run as the demo's accounts for the station's
    [people] (the demo and ``verify --auto-approve``: bench.accounts.demo_signers), taking on any a
    crash left part way (checked, approved, or issued with its PDF not yet in place); certificate
    number → issued PDF. Nothing is issued in a store with real accounts, or when the station names
    no checker or approver, or one person in two roles (the drafts stay for the logged-in people)."""
    station = json.loads(ctl.store.get_run(run_id).station_json or "{}")
    try:
        signers = demo_signers(ctl.store, station.get("people", {}))
    except AccountError as e:
        print(f"证书未自动签发，草稿待审批 (not issued; the drafts await approval): {e}")
        return {}
    out: dict[str, Path] = {}
    for st in ctl.certificates.all():  # a crash may have left one checked, approved or issued without its PDF
        if st.row.run_id != run_id or not (st.status in ("draft", "checked", "approved")
                                           or ctl.certificates.unfinished(st)):
            continue
        try:
            out[st.row.number] = ctl.approve_and_issue(st.row.number, signers["checker"], signers["approver"])
        except (ApprovalError, SigningError) as e:
            print(f"证书 {st.row.number} 未签发，草稿待审批 (not issued; the draft awaits approval): {e}")
    return out
