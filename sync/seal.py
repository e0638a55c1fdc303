"""The certificate seal as it travels: the canonical content a certificate signs, the QR text that
carries the signature, the seal that puts content and QR text into the PDF, and the checks anyone
holding the PDF and the institution's public key can make. The workstation signs with these
(``bench.signing`` keeps the private key); the platform verifies uploads with them; both read the
same format, so it is written once, here, and documented in sync/API.md.

* Key id: the first 16 hex digits of SHA-256 over the raw 32-byte Ed25519 public key.
* Canonical content: JSON with sorted keys, no whitespace, UTF-8 (``canonical_bytes``).
* QR (a phone opens it): ``{base}/c/{token}#{claim};g={b64url signature}``, an https URL of the
  platform's public lookup page (``base``: the institution profile's ``lookup_url``) whose fragment —
  never sent to the server — carries the signed claim ``JDQ1;t=…;n=…;v=…;s=…;c=…;d=…;u=…|l=…;k=…;h=…``
  (kind C/N/I, number, version, instrument serial, conclusion P/F, verification date, valid until or
  service life until, key id, b64url SHA-256 of the canonical content; values percent-encoded).
  The signature is over the UTF-8 of ``{base}/c/#{claim}`` (the URL without its token: the claim
  is bound to the institution's lookup address); ``token`` = b64url of the first 16 bytes of
  SHA-256 over ``JDT1`` + the signature (22 characters; nobody can derive it without the QR).
  Offline, a verifier with the institution's public key checks the claim and reads number, serial,
  conclusion and validity; online the page shows the certificate's status.
* Old QR text (certificates issued before the URL form, and an institution without a lookup URL):
  ``JDC1|<number>|<version>|<key_id>|<b64url SHA-256 of the content>|<b64url signature>``, the
  signature being over the canonical content bytes. Both forms are read by :func:`parse_qr`.
* Seal: a PDF incremental update (the rendered bytes are kept untouched in front) replacing the
  document information dictionary with one that also holds ``/JiandingContent`` (the canonical
  content) and ``/JiandingQR`` (the QR text), both as hex strings.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

QR_PREFIX = "JDC1"
CLAIM_PREFIX = "JDQ1"
TOKEN_PREFIX = b"JDT1"
KIND_CODES = {"certificate": "C", "notice": "N", "inspection": "I"}
LOOPBACK = re.compile(r"^http://(127\.0\.0\.1|localhost)(:\d+)?(/|$)")
"""A lookup address a phone never reaches: the reference platform on this machine (tests, demos);
accepted besides https:// so the whole path can be tested over real HTTP without a certificate."""
_URL = re.compile(r"^((?:https://|http://(?:127\.0\.0\.1|localhost)(?::\d+)?)[^#\s]*?)/c/([A-Za-z0-9_-]{22})#("
                  + CLAIM_PREFIX + r";[^#\s]*);g=([A-Za-z0-9_-]+)$")


def is_lookup_url(text: str) -> bool:
    """True when ``text`` is an address the URL-form QR may use: https://, or the loopback platform."""
    return text.startswith("https://") or LOOPBACK.match(text) is not None


class SigningError(Exception):
    """No usable signing key, or a malformed QR text / sealed PDF."""


def b64url(data: bytes) -> str:
    """Base64url without padding (QR-friendly)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    """Inverse of :func:`b64url`."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def canonical_bytes(content: dict[str, Any]) -> bytes:
    """The bytes a certificate's signature covers: sorted keys, no whitespace, UTF-8."""
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def raw_public(key: Ed25519PublicKey) -> bytes:
    """The raw 32-byte public key."""
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public: Ed25519PublicKey | bytes) -> str:
    """First 16 hex digits of SHA-256 over the raw public key."""
    raw = public if isinstance(public, bytes) else raw_public(public)
    return hashlib.sha256(raw).hexdigest()[:16]


def lookup_token(signature: bytes) -> str:
    """The public lookup token of a certificate's URL-form QR: b64url of the first 16 bytes of
    SHA-256 over ``JDT1`` + its signature — as unguessable as the signature, derived by anyone who
    holds the QR (the platform recomputes it from the upload)."""
    return b64url(hashlib.sha256(TOKEN_PREFIX + signature).digest()[:16])


def claim_text(content: dict[str, Any], key: str, content_hash: str) -> str:
    """The claim the URL-form QR carries for signed ``content`` (kind, number, version, serial,
    conclusion, verification date, validity, key id, content hash), values percent-encoded."""
    record = content.get("record") or {}
    passed = all(i.get("verdict") in ("pass", "n/a") for i in record.get("items", ()))
    fields = [("t", KIND_CODES.get(str(content.get("kind")), "C")), ("n", str(content.get("number", ""))),
              ("v", str(content.get("version", 1))), ("s", str((record.get("instrument") or {}).get("serial", ""))),
              ("c", "P" if passed else "F"), ("d", str(record.get("verified_on") or ""))]
    if record.get("service_life_until"):
        fields.append(("l", str(record["service_life_until"])))
    elif record.get("valid_until") and content.get("kind") == "certificate":
        fields.append(("u", str(record["valid_until"])))
    fields += [("k", key), ("h", b64url(bytes.fromhex(content_hash)))]
    return ";".join([CLAIM_PREFIX, *(f"{k}={quote(v, safe='-._~:')}" for k, v in fields)])


def claim_fields(claim: str) -> dict[str, str]:
    """The fields of a claim text, decoded (``{"n": number, "s": serial, …}``)."""
    parts = claim.split(";")
    if not parts or parts[0] != CLAIM_PREFIX:
        raise SigningError(f"不是简定证书声明 (not a Jianding claim: {claim[:30]!r})")
    out: dict[str, str] = {}
    for part in parts[1:]:
        key, sep, value = part.partition("=")
        if not sep:
            raise SigningError(f"二维码内容损坏 (malformed claim field {part!r})")
        out[key] = unquote(value)
    return out


@dataclass(frozen=True)
class Signed:
    """A signature with everything the QR code carries: over the canonical content (the old
    ``JDC1|…`` text form, ``claim`` empty) or over the claim bound to the lookup address (the URL
    form: ``claim`` and ``base_url`` set)."""

    number: str
    version: int
    key_id: str
    content_hash: str  # SHA-256 hex of the canonical bytes
    signature: bytes
    claim: str = ""
    base_url: str = ""

    @property
    def qr_text(self) -> str:
        """The URL ``{base}/c/{token}#{claim};g={signature}``, or the old text
        ``JDC1|number|version|key_id|b64url(hash)|b64url(signature)`` without a claim."""
        if self.claim:
            return f"{self.base_url}/c/{self.token}#{self.claim};g={b64url(self.signature)}"
        digest = bytes.fromhex(self.content_hash)
        return "|".join((QR_PREFIX, self.number, str(self.version), self.key_id, b64url(digest), b64url(self.signature)))

    @property
    def token(self) -> str:
        """The public lookup token (URL form; "" for the old text form, whose token the platform
        derives from the whole text: sync.schemas.qr_token)."""
        return lookup_token(self.signature) if self.claim else ""

    @property
    def fields(self) -> dict[str, str]:
        """The claim's fields (URL form), {} for the old text form."""
        return claim_fields(self.claim) if self.claim else {}

    def covers(self, public: Ed25519PublicKey, content: bytes) -> bool:
        """True when this signature, by ``public``, vouches for ``content``: over the content itself
        (text form), or over a claim whose content hash is the content's (URL form)."""
        hashed = not self.claim or hashlib.sha256(content).hexdigest() == self.content_hash
        return hashed and signature_valid(public, self.signature, self.message(content))

    def message(self, content: bytes) -> bytes:
        """The bytes the signature covers: the claim bound to the lookup address (URL form), else
        the canonical content itself."""
        return claim_message(self.base_url, self.claim) if self.claim else content


def claim_message(base_url: str, claim: str) -> bytes:
    """What a URL-form QR's signature covers: ``{base}/c/#{claim}`` (the URL without its token)."""
    return f"{base_url}/c/#{claim}".encode()


def parse_qr(text: str) -> Signed:
    """The fields of a QR (the URL form or the old text form); :class:`SigningError` when it is not
    one of ours, is malformed, or its token is not the one its signature gives."""
    text = text.strip()
    if is_lookup_url(text):
        m = _URL.match(text)
        if m is None:
            raise SigningError(f"不是简定证书查询网址 (not a Jianding certificate URL: {text[:60]!r})")
        base, token, claim, sig = m.groups()
        try:
            signature = unb64url(sig)
            f = claim_fields(claim)
            signed = Signed(f["n"], int(f["v"]), f["k"], unb64url(f["h"]).hex(), signature, claim, base)
        except (KeyError, ValueError) as e:
            raise SigningError(f"二维码内容损坏 (malformed QR claim: {e})") from e
        if signed.token != token:
            raise SigningError("查询码与签名不符 (the URL's token is not the one its signature gives)")
        return signed
    parts = text.split("|")
    if len(parts) != 6 or parts[0] != QR_PREFIX:
        raise SigningError(f"不是简定证书二维码 (not a Jianding certificate QR text: {text[:40]!r})")
    try:
        return Signed(parts[1], int(parts[2]), parts[3], unb64url(parts[4]).hex(), unb64url(parts[5]))
    except ValueError as e:
        raise SigningError(f"二维码内容损坏 (malformed QR text: {e})") from e


def claim_disagreements(signed: Signed, content: dict[str, Any]) -> list[str]:
    """Where a URL-form QR's claim says something other than the signed content would (kind,
    serial, conclusion, dates; number, version, key and hash are checked by the callers against
    the upload and the content): each as one line; [] for the old text form."""
    if not signed.claim:
        return []
    expected = claim_fields(claim_text(content, str(content.get("key_id", "")),
                                       hashlib.sha256(canonical_bytes(content)).hexdigest()))
    names = {"t": "种类 kind", "s": "出厂编号 serial", "c": "结论 conclusion", "d": "检定日期 date",
             "u": "有效期至 valid-until", "l": "使用期限至 service-life"}
    got = signed.fields
    return [f"二维码与内容不符：{zh} 二维码为 {got.get(k, '—')!r}，内容为 {expected.get(k, '—')!r} "
            f"(the QR's claim disagrees with the content on {zh.split()[-1]})"
            for k, zh in names.items() if got.get(k) != expected.get(k)]


def signature_valid(public: Ed25519PublicKey, signature: bytes, data: bytes) -> bool:
    """True when ``signature`` is the key's signature over ``data``."""
    try:
        public.verify(signature, data)
    except InvalidSignature:
        return False
    return True


# -- the seal inside the PDF -------------------------------------------------------------------------

_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")
_TRAILER = re.compile(rb"trailer\s*<<(.*?)>>\s*startxref", re.S)


def _ref(trailer: bytes, name: bytes) -> int:
    m = re.search(rb"/" + name + rb"\s+(\d+)\s+0\s+R", trailer)
    if m is None:
        raise SigningError(f"PDF trailer has no /{name.decode()}")
    return int(m.group(1))


def seal_pdf(pdf: bytes, content: bytes, qr_text: str) -> bytes:
    """Append an incremental update to ``pdf`` whose information dictionary also carries the
    canonical content and the QR text (the rendered bytes stay as they were, in front)."""
    m = _STARTXREF.search(pdf)
    trailers = _TRAILER.findall(pdf)
    if m is None or not trailers:
        raise SigningError("not a PDF this program wrote (no classic trailer)")
    trailer = trailers[-1]
    info_no, size = _ref(trailer, b"Info"), int(re.search(rb"/Size\s+(\d+)", trailer).group(1))  # type: ignore[union-attr]
    obj = re.search(rb"\n" + str(info_no).encode() + rb" 0 obj\s*<<(.*?)>>\s*endobj", pdf, re.S)
    old_info = obj.group(1).strip() if obj else b""
    body = (old_info + b"\n/JiandingContent <" + content.hex().encode() + b">\n/JiandingQR <"
            + qr_text.encode("utf-8").hex().encode() + b">")
    update = b"\n" if not pdf.endswith(b"\n") else b""
    offset = len(pdf) + len(update)
    update += str(info_no).encode() + b" 0 obj\n<<\n" + body + b"\n>>\nendobj\n"
    xref_at = len(pdf) + len(update)
    id_part = re.search(rb"/ID\s*\[[^\]]*\]", trailer)
    new_trailer = (b"/Size " + str(size).encode() + b" /Root " + str(_ref(trailer, b"Root")).encode() + b" 0 R /Info "
                   + str(info_no).encode() + b" 0 R /Prev " + m.group(1)
                   + ((b" " + id_part.group(0)) if id_part else b""))
    update += (b"xref\n" + str(info_no).encode() + b" 1\n" + f"{offset:010d} 00000 n \n".encode()
               + b"trailer\n<< " + new_trailer + b" >>\nstartxref\n" + str(xref_at).encode() + b"\n%%EOF\n")
    return pdf + update


def read_seal(pdf: bytes) -> tuple[bytes, str]:
    """The canonical content and QR text sealed into a PDF (the last ones written)."""
    contents = re.findall(rb"/JiandingContent\s*<([0-9a-fA-F\s]*)>", pdf)
    qrs = re.findall(rb"/JiandingQR\s*<([0-9a-fA-F\s]*)>", pdf)
    if not contents or not qrs:
        raise SigningError("PDF 中无证书签名数据 (the PDF carries no Jianding certificate seal)")
    try:
        content = bytes.fromhex(re.sub(rb"\s", b"", contents[-1]).decode())
        qr = bytes.fromhex(re.sub(rb"\s", b"", qrs[-1]).decode()).decode("utf-8")
    except ValueError as e:
        raise SigningError(f"PDF 中的签名数据损坏 (the seal in the PDF is malformed: {e})") from e
    return content, qr


# -- checking a sealed certificate -------------------------------------------------------------------

@dataclass(frozen=True)
class SealCheck:
    """What checking a sealed PDF against its QR text and a public key found: each problem as
    (field, message) — the field is the upload's (``qr_text``, ``pdf_base64``) — and the signed
    content when the seal could be read (for comparing with what else was sent)."""

    problems: tuple[tuple[str, str], ...]
    content: dict[str, Any] | None

    @property
    def ok(self) -> bool:
        """True when the seal verifies: the content is the one signed, by this key, for this number."""
        return not self.problems


def check_seal(pdf: bytes, qr_text: str, public_key_raw: bytes, *, number: str, version: int) -> SealCheck:
    """Check a certificate as uploaded: the QR text is ours and names ``number``/``version`` and
    the key's id; the PDF carries a seal with that same QR text; the sealed content hashes to the
    QR's hash; and the signature over it verifies with ``public_key_raw``. Why: whoever holds the
    PDF (the platform, an inspector) can tell a genuine certificate from an altered or forged one
    without trusting the channel it came by."""
    problems: list[tuple[str, str]] = []
    try:
        qr = parse_qr(qr_text)
    except SigningError as e:
        return SealCheck((("qr_text", str(e)),), None)
    if (qr.number, qr.version) != (number, version):
        problems.append(("qr_text", f"二维码为 {qr.number} 第 {qr.version} 版，与上传的 {number} 第 {version} 版不符 "
                                    f"(QR names another certificate or version)"))
    kid = key_id(public_key_raw)
    if qr.key_id != kid:
        problems.append(("qr_text", f"二维码密钥标识 {qr.key_id} 与公钥 {kid} 不符 (QR key id differs from the public key)"))
    try:
        content, sealed_qr = read_seal(pdf)
    except SigningError as e:
        return SealCheck((*problems, ("pdf_base64", str(e))), None)
    if sealed_qr != qr_text.strip():
        problems.append(("pdf_base64", "PDF 中封存的二维码内容与上传的不同 (the PDF's seal carries another QR text)"))
    if hashlib.sha256(content).hexdigest() != qr.content_hash:
        problems.append(("pdf_base64", "PDF 中封存的内容与二维码摘要不符 (sealed content does not match the QR hash)"))
    try:
        public = Ed25519PublicKey.from_public_bytes(public_key_raw)
    except ValueError as e:
        return SealCheck((*problems, ("public_key_hex", f"公钥无效 (invalid Ed25519 public key: {e})")), None)
    if not signature_valid(public, qr.signature, qr.message(content)):
        problems.append(("qr_text", "签名验证失败：内容不是此密钥所签 (the signature does not verify with this key)"))
    try:
        parsed = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return SealCheck((*problems, ("pdf_base64", "封存内容不是 JSON (sealed content is not JSON)")), None)
    if not isinstance(parsed, dict):
        return SealCheck(tuple(problems), None)
    problems += [("qr_text", line) for line in claim_disagreements(qr, parsed)]
    return SealCheck(tuple(problems), parsed)
