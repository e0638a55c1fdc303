"""``jianding ocmf`` — check signed meter values (OCMF) by hand.

    jianding ocmf verify 'OCMF|{…}|{…}' --public-key HEX|FILE      one record (or several: a transaction)
    jianding ocmf verify records.txt --public-key HEX|FILE          one OCMF record per line
    jianding ocmf verify FILE.xml [--public-key HEX|FILE]           a S.A.F.E. transparency-software file

For each value it prints 有效 valid / 无效 invalid (and why), the meter serial, the readings and the
start and stop registers; records given together (or sharing a transactionId in an XML file) are
also checked as one transaction (pagination continuous, B first, E last, one meter serial).

Exit codes: 0 every value valid; 1 any value or transaction invalid; 2 usage or file errors, and
also when nothing is invalid but something could not be checked for want of a public key.
The verification itself is :mod:`drivers.ocpp.signed` (pyocmf underneath).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from drivers.ocpp.signed import (
    OcmfVerdict,
    SignedValueError,
    normalise_public_key,
    verify_ocmf,
    verify_transaction,
    verify_xml_report,
)

_STATUS = {"valid": "有效 valid", "invalid": "无效 invalid", "absent": "未验证 not verified"}


class _UsageError(Exception):
    """A bad argument or unreadable input: exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    """The ``jianding ocmf`` argument parser (sub-command ``verify``)."""
    p = argparse.ArgumentParser(prog="jianding ocmf", description="OCMF 签名电能数据 (signed meter values)")
    sub = p.add_subparsers(dest="command", required=True)
    v = sub.add_parser("verify", help="验证签名 (verify records or a S.A.F.E. XML file)")
    v.add_argument("source", nargs="+",
                   help="an OCMF record ('OCMF|…|…' or hex), several records of one transaction, "
                        "a text file with one record per line, or a S.A.F.E. .xml file")
    v.add_argument("--public-key", "-k", dest="public_key",
                   help="the meter's public key: hex or base64 DER, PEM, oca:base16:asn1:…, or a file holding one")
    return p


def _is_file(text: str) -> bool:
    """Whether ``text`` names an existing file (a long key or record is not a path: no OSError)."""
    try:
        return len(text) < 4096 and Path(text).is_file()
    except (OSError, ValueError):
        return False


def _read_key(text: str | None) -> bytes | None:
    if text is None:
        return None
    try:
        raw = Path(text).read_bytes() if _is_file(text) else text.encode("utf-8")
    except OSError as exc:
        raise _UsageError(f"cannot read public key file {text}: {exc}") from None
    try:
        return normalise_public_key(raw)
    except SignedValueError as exc:
        raise _UsageError(f"public key unreadable (公钥无法解析): {exc}") from None


def _is_record(text: str) -> bool:
    t = text.strip()
    if t.startswith("OCMF|"):
        return True
    compact = "".join(t.split())
    return len(compact) > 10 and all(c in "0123456789abcdefABCDEF" for c in compact) and \
        compact[:10].upper() == "4F434D467C"  # "OCMF|" hex-encoded


def _is_xml(path: Path) -> bool:
    if path.suffix.lower() == ".xml":
        return True
    head = path.read_bytes()[:64].lstrip(b"\xef\xbb\xbf").lstrip()
    return head.startswith(b"<")


def _fmt_wh(value: object) -> str:
    return "-" if value is None else f"{value} Wh"


def print_verdict(label: str, verdict: OcmfVerdict, out: TextIO) -> None:
    """Print one verdict as the operator reads it: status and why, serial, readings, start/stop."""
    print(label, file=out)
    print(f"  {_STATUS[verdict.status]}: {verdict.reason}", file=out)
    facts = []
    if verdict.meter_serial:
        facts.append(f"表号 meter serial: {verdict.meter_serial}")
    if verdict.signature_algorithm:
        facts.append(f"签名算法 algorithm: {verdict.signature_algorithm}")
    if any(verdict.pagination):
        facts.append(f"分页 pagination: {', '.join(verdict.pagination)}")
    for fact in facts:
        print(f"  {fact}", file=out)
    if verdict.readings:
        print("  读数 readings:", file=out)
        for r in verdict.readings:
            value = "-" if r.value is None else f"{r.value} {r.unit}"
            print(f"    {r.tx or '-':<2} {r.time.isoformat(sep=' ')}  {value:<14} {r.obis}", file=out)
    if verdict.start_wh is not None or verdict.stop_wh is not None:
        line = f"  起始 start: {_fmt_wh(verdict.start_wh)}   结束 stop: {_fmt_wh(verdict.stop_wh)}"
        if verdict.energy_wh is not None:
            line += f"   电量 energy: {verdict.energy_wh} Wh"
        print(line, file=out)
    for note in verdict.notes:
        print(f"  注 note: {note}", file=out)


def _exit_code(verdicts: list[OcmfVerdict]) -> int:
    if any(v.status == "invalid" for v in verdicts):
        return 1
    if any(v.status == "absent" for v in verdicts):
        return 2
    return 0


def _verify_xml(path: Path, key: bytes | None, out: TextIO) -> int:
    try:
        report = verify_xml_report(path, key)
    except (OSError, SignedValueError) as exc:
        raise _UsageError(f"cannot read {path}: {exc}") from None
    entries = [*report.values, *report.transactions]
    for label, verdict in entries:
        print_verdict(f"{path.name}: {label}", verdict, out)
        print(file=out)
    verdicts = [v for _, v in entries]
    _summary(verdicts, out)
    code = _exit_code(verdicts)
    if code == 2:
        print("无公钥，无法验证 (no public key in the file: give --public-key)", file=out)
    return code


def _records_from(sources: list[str]) -> list[str]:
    records: list[str] = []
    for source in sources:
        if _is_record(source):
            records.append(source.strip())
            continue
        path = Path(source)
        if not _is_file(source):
            raise _UsageError(f"neither an OCMF record nor a file: {source[:60]!r}")
        try:
            lines = path.read_text("utf-8-sig").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise _UsageError(f"cannot read {path}: {exc}") from None
        found = [line.strip() for line in lines if _is_record(line)]
        if not found:
            raise _UsageError(f"no OCMF record in {path}")
        records.extend(found)
    return records


def _summary(verdicts: list[OcmfVerdict], out: TextIO) -> None:
    counts = {s: sum(v.status == s for v in verdicts) for s in _STATUS}
    parts = [f"{n} {_STATUS[s]}" for s, n in counts.items() if n]
    print(f"结论 result: {', '.join(parts)}", file=out)


def _verify(args: argparse.Namespace, out: TextIO) -> int:
    key = _read_key(args.public_key)
    sources: list[str] = args.source
    if len(sources) == 1 and not _is_record(sources[0]):
        if _is_file(sources[0]) and _is_xml(Path(sources[0])):
            return _verify_xml(Path(sources[0]), key, out)
    elif any(not _is_record(s) and _is_file(s) and _is_xml(Path(s)) for s in sources):
        raise _UsageError("give an XML file on its own")
    records = _records_from(sources)
    verdicts = [verify_ocmf(r, key) for r in records]
    for i, verdict in enumerate(verdicts, start=1):
        print_verdict(f"record {i}" if len(records) > 1 else "OCMF record", verdict, out)
        print(file=out)
    if len(records) > 1:
        transaction = verify_transaction(records, key)
        print_verdict("transaction (交易)", transaction, out)
        print(file=out)
        verdicts.append(transaction)
    _summary(verdicts, out)
    code = _exit_code(verdicts)
    if code == 2:
        print("无公钥，无法验证 (no public key: give --public-key)", file=out)
    return code


def main(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    """Run ``jianding ocmf`` with ``argv`` such as ``["verify", "FILE.xml"]``; print to ``out``
    (standard output by default); return the exit code (0 valid, 1 invalid, 2 usage/file error)."""
    stream = out if out is not None else sys.stdout
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage to stderr
        return int(exc.code) if isinstance(exc.code, int) else 2
    try:
        if args.command == "verify":
            return _verify(args, stream)
    except (_UsageError, OSError) as exc:
        print(f"错误 (error): {exc}", file=sys.stderr)
        return 2
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
