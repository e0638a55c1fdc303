"""Offline verification of an issued certificate: from its PDF (``jianding certificate verify
FILE.pdf``) or from its QR (``--qr "https://…/c/…#JDQ1;…"``, offline with the public keys; or the
old ``--qr "JDC1|…"`` text, against the store). Says exactly what does not match: the key,
the signature, the content hash, a QR field, a line of the printed text, the store's record, or the
certificate's status (superseded, revoked).

The PDF check: the sealed canonical content and QR text are read from the file; the key id must be
known (a ``keys export`` file, or the store's registered keys); the QR's content hash must be the
SHA-256 of the content and its signature valid over it; then the certificate is rendered again from
the content (rendering is deterministic) and its text (``pdftotext -layout``) compared line by line
with the file's; every page is rendered to pixels and compared with the re-rendering, and the
printed QR code is decoded and must be the sealed QR text — what a reader sees, not only the text
(:mod:`bench.page_check`: a QR pasted over or removed, an image swapped, a line drawn, a page added
or removed are named by page and region).
"""

from __future__ import annotations

import base64
import dataclasses
import difflib
import hashlib
import json
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlmodel import select

from bench.certificates import Certificates, content_record, display_number
from bench.page_check import Page, page_differences, printed_codes, render_pages
from bench.signing import (
    Signed,
    SigningError,
    canonical_bytes,
    claim_disagreements,
    parse_qr,
    public_from_b64,
    read_seal,
    seal_pdf,
    signature_valid,
    unb64url,
)
from bench.store import Store
from bench.store.chain import Break
from bench.store.models import CertificateEvent
from reports.raster import PageRenderError

KEYS_FORMAT = "jianding-keys/1"


@dataclass
class Verdict:
    """The outcome of a verification: what matched (``checks``) and what did not (``problems``)."""

    subject: str
    checks: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.problems

    def lines(self) -> list[str]:
        """The report, one line each: ✓ checks, ✗ problems, · notes, then the verdict."""
        out = [f"✓ {c}" for c in self.checks] + [f"✗ {p}" for p in self.problems] + [f"· {n}" for n in self.notes]
        out.append(f"{'通过' if self.ok else '未通过'} ({'VALID' if self.ok else 'NOT VALID'}): {self.subject}")
        return out


def keys_from_store(store: Store) -> dict[str, Ed25519PublicKey]:
    """The store's registered public keys by key id."""
    return {k.key_id: public_from_b64(k.public_key) for k in store.signing_keys()}


def export_keys(store: Store) -> dict[str, Any]:
    """The public keys as a JSON document an offline verifier loads with ``--keys``; each key also in
    hex (``public_key_hex``), the form the platform registers (sync/API.md §5.1)."""
    return {"format": KEYS_FORMAT, "keys": [{"key_id": k.key_id, "algorithm": k.algorithm, "public_key": k.public_key,
                                             "public_key_hex": base64.b64decode(k.public_key).hex(),
                                             "institution": k.institution} for k in store.signing_keys()]}


def load_keys(path: Path) -> dict[str, Ed25519PublicKey]:
    """Public keys from a ``keys export`` file."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        data = None
    if not isinstance(data, dict) or data.get("format") != KEYS_FORMAT:
        raise SigningError(f"{path} 不是公钥文件 (not a Jianding keys file)")
    return {k["key_id"]: public_from_b64(k["public_key"]) for k in data["keys"]}


def pdf_text(pdf: bytes) -> str:
    """The text of a PDF as ``pdftotext -layout`` lays it out (poppler-utils)."""
    with tempfile.TemporaryDirectory() as d:
        src = Path(d) / "in.pdf"
        src.write_bytes(pdf)
        done = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(src), "-"], capture_output=True, check=False)
    if done.returncode != 0:
        raise SigningError(f"pdftotext 无法读取该文件 (pdftotext cannot read the file: "
                           f"{done.stderr.decode(errors='replace').strip()})")
    return done.stdout.decode("utf-8", errors="replace")


def text_differences(actual: str, expected: str, limit: int = 20) -> list[str]:
    """Lines of ``actual`` that differ from ``expected``, each with its page and line number."""

    def numbered(text: str) -> list[tuple[str, str]]:
        out = []
        for p, page in enumerate(text.split("\f"), start=1):
            for n, line in enumerate(page.splitlines(), start=1):
                if line.strip():
                    out.append((f"第 {p} 页 第 {n} 行 (page {p} line {n})", " ".join(line.split())))
        return out

    a, e = numbered(actual), numbered(expected)
    diffs: list[str] = []
    matcher = difflib.SequenceMatcher(a=[t for _, t in a], b=[t for _, t in e], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        for k in range(max(i2 - i1, j2 - j1)):
            where = a[i1 + k][0] if i1 + k < i2 else (e[j1 + k][0] if j1 + k < j2 else "")
            got = a[i1 + k][1] if i1 + k < i2 else "(缺失 missing)"
            want = e[j1 + k][1] if j1 + k < j2 else "(多出 extra)"
            diffs.append(f"{where}: 文件为 (file has) «{got}»，应为 (signed content gives) «{want}»")
    if len(diffs) > limit:
        diffs = [*diffs[:limit], f"…… 另有 {len(diffs) - limit} 处不同 (and {len(diffs) - limit} more)"]
    return diffs


def _check_signature(v: Verdict, content: bytes, qr_text: str, keys: dict[str, Ed25519PublicKey]) -> dict[str, Any] | None:
    """Key id, content hash, signature and QR fields; the parsed content when it is readable."""
    try:
        signed = parse_qr(qr_text)
    except SigningError as e:
        v.problems.append(str(e))
        return None
    try:
        data = json.loads(content.decode("utf-8"))
    except ValueError:
        v.problems.append("证书内容不是有效的 JSON (the embedded content is not valid JSON)")
        return None
    if canonical_bytes(data) != content:
        v.problems.append("证书内容不是规范形式 (the embedded content is not in canonical form)")
    digest = hashlib.sha256(content).hexdigest()
    if digest == signed.content_hash:
        v.checks.append(f"内容哈希一致 (content hash matches) {digest[:16]}…")
    else:
        v.problems.append(f"内容哈希不符：二维码为 {signed.content_hash[:16]}…，内容为 {digest[:16]}… "
                          "(the content hash in the QR code does not match the embedded content)")
    key = keys.get(signed.key_id)
    if key is None:
        v.problems.append(f"未知签名密钥 {signed.key_id}：不是本机构登记的公钥 (key id {signed.key_id} is not a "
                          "known key of the institution)")
    elif signature_valid(key, signed.signature, signed.message(content)):
        v.checks.append(f"签名有效 (signature valid), 密钥 (key) {signed.key_id}")
    else:
        v.problems.append(f"签名无效：内容被改动或非本机构签发 (the signature does not verify with key "
                          f"{signed.key_id}: the content was altered or not signed by the institution)")
    for name, qr_value, content_value in (("证书编号 number", signed.number, data.get("number")),
                                          ("版本 version", signed.version, data.get("version")),
                                          ("密钥 key_id", signed.key_id, data.get("key_id"))):
        if qr_value != content_value:
            v.problems.append(f"二维码与内容不符：{name} 二维码为 {qr_value!r}，内容为 {content_value!r} "
                              f"(QR and content disagree on {name.split()[-1]})")
    if isinstance(data, dict):
        v.problems.extend(claim_disagreements(signed, data))
    return data


def _check_store(v: Verdict, store: Store, number: str, version: int, content_hash: str,
                 pdf_sha256: str | None = None) -> None:
    """The store's record of the certificate: issued with this content, current status."""
    try:
        st = Certificates(store, Path(".")).get(number, version)
    except LookupError:
        v.notes.append(f"本地数据库无此证书 (not in this store): {display_number(number, version)}")
        return
    issued = st.issued
    if issued is None:
        v.problems.append(f"数据库中该证书未签发 (the store has {number} v{version} as {st.status}, not issued)")
        return
    if issued.content_hash != content_hash:
        v.problems.append(f"与数据库记录不符：签发内容哈希为 {issued.content_hash[:16]}… (the store's issued content "
                          "differs)")
    else:
        v.checks.append("与数据库签发记录一致 (matches the store's issue record)")
    if pdf_sha256 is not None and issued.pdf_sha256 and issued.pdf_sha256 != pdf_sha256:
        v.notes.append("文件字节与签发时不同 (the file's bytes differ from the issued PDF's SHA-256)")
    if st.status == "superseded":
        newer = Certificates(store, Path(".")).get(number)
        v.problems.append(f"已被替代 (superseded) by {display_number(newer.row.number, newer.row.version)}")
    elif st.status == "revoked":
        reason = next((e.detail for e in st.events if e.action == "revoked"), "")
        v.problems.append(f"已注销 (revoked): {reason}")
    else:
        v.checks.append(f"状态 (status): {st.status}")


def verify_pdf(pdf: bytes, keys: dict[str, Ed25519PublicKey], store: Store | None = None,
               subject: str = "") -> Verdict:
    """Verify a certificate PDF offline; ``store`` (optional) adds its record and status."""
    from reports.certificate import render_document

    v = Verdict(subject or "PDF")
    try:
        content, qr_text = read_seal(pdf)
    except SigningError as e:
        v.problems.append(str(e))
        return v
    data = _check_signature(v, content, qr_text, keys)
    if data is None:
        return v
    v.subject = f"{subject} {display_number(str(data.get('number')), int(data.get('version') or 1))}".strip()
    try:
        expected = seal_pdf(render_document(content_record(data), qr_payload=qr_text), content, qr_text)
    except (SigningError, KeyError, TypeError, ValueError, OSError) as e:
        v.problems.append(f"无法由内容重新生成证书 (cannot re-render from the content: {e})")
        return v
    diffs = text_differences(pdf_text(pdf), pdf_text(expected))
    if diffs:
        v.problems.append(f"页面文字与签名内容不符，共 {len(diffs)} 处 (the printed text differs from the signed "
                          "content):")
        v.problems.extend(f"  {d}" for d in diffs)
    else:
        v.checks.append("页面文字与签名内容一致 (printed text matches the signed content)")
        if pdf == expected:
            v.checks.append("文件与重新生成的证书逐字节一致 (byte-identical to the re-rendered certificate)")
        else:
            v.notes.append("文件字节与重新生成的不同，文字一致 (bytes differ from the re-rendering; text identical)")
    _check_pages(v, pdf, expected, qr_text)
    if store is not None:
        signed = parse_qr(qr_text)
        _check_store(v, store, signed.number, signed.version, hashlib.sha256(content).hexdigest(),
                     hashlib.sha256(pdf).hexdigest())
    return v


def _check_pages(v: Verdict, pdf: bytes, expected: bytes, qr_text: str) -> None:
    """The pages as a reader sees them: pixels against the re-rendering, and the printed QR code."""
    try:
        actual_pages, expected_pages = render_pages(pdf), render_pages(expected)
    except PageRenderError as e:
        v.problems.append(str(e))
        return
    diffs = page_differences(actual_pages, expected_pages)
    if diffs:
        v.problems.extend(diffs)
    else:
        v.checks.append(f"每页图像与重新生成的证书一致 (every page's image matches the re-rendered certificate, "
                        f"{len(actual_pages)} pages)")
    _check_printed_qr(v, actual_pages, expected_pages, qr_text)


def _check_printed_qr(v: Verdict, actual: list[Page], expected: list[Page], qr_text: str) -> None:
    """Each printed QR code decoded as a phone would: where the certificate prints its QR, the file
    must carry the sealed QR text; any other code is named (another certificate's, or foreign)."""
    wanted = sorted({n for n, text in printed_codes(expected) if text == qr_text})
    found = printed_codes(actual)
    for n in wanted:
        if (n, qr_text) in found:
            v.checks.append(f"第 {n} 页 印刷二维码为本证书的 (page {n}: the printed QR code is this certificate's)")
        elif not any(page == n for page, _ in found):  # another code in its place is named below
            v.problems.append(f"第 {n} 页 印刷二维码缺失或无法识读 (page {n}: the printed QR code is missing or "
                              "unreadable)")
    for n, text in found:
        if text == qr_text:
            continue
        try:
            other = parse_qr(text)
        except SigningError:
            v.problems.append(f"第 {n} 页 印刷二维码不是证书二维码 (page {n}: a printed QR code is not a certificate's: "
                              f"«{text[:60]}»)")
            continue
        if (other.number, other.version) != (parse_qr(qr_text).number, parse_qr(qr_text).version):
            v.problems.append(f"第 {n} 页 印刷二维码属于另一证书 {display_number(other.number, other.version)} "
                              f"(page {n}: the printed QR code belongs to another certificate)")
        else:
            v.problems.append(f"第 {n} 页 印刷二维码与本证书签名的二维码不同 (page {n}: the printed QR code differs "
                              "from the certificate's signed QR text)")


def verify_qr(qr_text: str, store: Store | None, keys: dict[str, Ed25519PublicKey] | None = None) -> Verdict:
    """Verify a scanned QR: the URL form offline from its own signed claim (the institution's public
    key is all it needs) — then, with a store, like the old text form: against the issued record's
    content, hash, signature and status. The old ``JDC1|…`` text signs the content, which only the
    store holds, so it needs the store."""
    v = Verdict(qr_text[:40])
    try:
        signed = parse_qr(qr_text)
    except SigningError as e:
        v.problems.append(str(e))
        return v
    v.subject = display_number(signed.number, signed.version)
    keys = keys if keys is not None else (keys_from_store(store) if store is not None else {})
    if signed.claim:
        _check_claim(v, signed, keys)
    if store is None:
        if not signed.claim:
            v.problems.append("旧式二维码文本须与数据库核对 (an old JDC1 text signs the content, which only the store "
                              "holds: verify it with the store)")
        return v
    try:
        st = Certificates(store, Path(".")).get(signed.number, signed.version)
    except LookupError:
        v.problems.append(f"数据库中无此证书 (no such certificate in the store): {v.subject}")
        return v
    issued = st.issued
    if issued is None:
        v.problems.append(f"该证书未签发 (not issued; status {st.status})")
        return v
    content = issued.content_json.encode("utf-8")
    _check_signature(v, content, qr_text, keys)
    if issued.qr_text != qr_text:
        v.problems.append("二维码与数据库签发记录不符 (the QR text differs from the one issued)")
    if base64.urlsafe_b64encode(signed.signature).rstrip(b"=").decode() != issued.signature:
        v.problems.append("签名与数据库签发记录不符 (the signature differs from the one issued)")
    if hashlib.sha256(content).hexdigest() != issued.content_hash:
        v.problems.append("数据库签发内容与其哈希不符 (the store's issued content does not match its hash)")
    _check_store(v, store, signed.number, signed.version, signed.content_hash)
    return v


def claim_lines(signed: Signed) -> list[str]:
    """What a URL-form QR says, for a person to read: number, kind, instrument serial, conclusion,
    verification date and validity."""
    f = signed.fields
    kind = {"C": "检定证书 (certificate)", "N": "检定结果通知书 (notice)", "I": "使用中检查结果通知书 (inspection)"}
    validity = (f"有效期至 (valid until) {f['u']}" if f.get("u") else f"使用期限至 (service life until) {f['l']}"
                if f.get("l") else "无有效期 (no validity stated)")
    return [f"编号 (number): {display_number(signed.number, signed.version)}　{kind.get(f.get('t', ''), f.get('t', ''))}",
            f"出厂编号 (serial): {f.get('s', '')}",
            f"结论 (conclusion): {'合格 (pass)' if f.get('c') == 'P' else '不合格 (fail)'}",
            f"检定日期 (verified on): {f.get('d', '')}；{validity}",
            f"查询页 (lookup page): {signed.base_url}/c/{signed.token}"]


def _check_claim(v: Verdict, signed: Signed, keys: dict[str, Ed25519PublicKey]) -> None:
    """The URL form's own check: its claim signed by a known key of the institution."""
    key = keys.get(signed.key_id)
    if key is None:
        v.problems.append(f"未知签名密钥 {signed.key_id}：不是本机构登记的公钥 (key id {signed.key_id} is not a "
                          "known key of the institution; give --keys FILE from jianding keys export)")
    elif signature_valid(key, signed.signature, signed.message(b"")):
        v.checks.append(f"二维码声明签名有效 (the QR's claim is signed by key {signed.key_id})")
        v.notes.extend(claim_lines(signed))
    else:
        v.problems.append(f"二维码声明签名无效：内容或查询地址被改动 (the QR's claim does not verify with key "
                          f"{signed.key_id}: its fields or its lookup address were altered)")


def verify_anchors(store: Store, keys: dict[str, Ed25519PublicKey] | None = None) -> list[Break]:
    """What a whole-chain rewrite cannot hide: every issued certificate's signed content (checked
    with the registered keys) names each chain's head at its issue; the row at that seq must still
    carry that hash. Breaks found, in issue order."""
    keys = keys if keys is not None else keys_from_store(store)
    with store.session() as s:
        issued = list(s.exec(select(CertificateEvent).where(CertificateEvent.action == "issued")
                             .order_by(CertificateEvent.id)))  # type: ignore[arg-type]
    out: list[Break] = []
    for ev in issued:
        content = ev.content_json.encode("utf-8")
        data = json.loads(content)
        name = display_number(str(data.get("number")), int(data.get("version") or 1))
        key = keys.get(ev.key_id)
        try:
            signed = dataclasses.replace(parse_qr(ev.qr_text), signature=unb64url(ev.signature))
        except SigningError:
            signed = Signed(name, 1, ev.key_id, "", unb64url(ev.signature))  # an unreadable QR: the content itself
        if key is None or not signed.covers(key, content):
            out.append(Break("certificateevent", ev.id, "edited", f"证书 {name} 的签发内容签名无效 (the signed content "
                                                                  f"of {name} no longer verifies)"))
            continue
        for table, (seq, digest) in sorted(data.get("anchors", {}).items()):
            if seq == 0:
                continue
            row = store.chain_row(table, seq)
            if row is None:
                out.append(Break(table, None, "deleted", f"证书 {name} 锚定的第 {seq} 行不存在 (row seq {seq}, anchored "
                                                         f"by certificate {name}, is missing)"))
            elif row.row_hash != digest:
                out.append(Break(table, row.id, "edited", f"与证书 {name} 签名锚定的哈希不符：链在其签发后被重写 "
                                                          f"(seq {seq} differs from the hash certificate {name} "
                                                          "anchored: the chain was rewritten after its issue)"))
    return out
