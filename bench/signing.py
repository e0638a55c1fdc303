"""The institution's signing key (Ed25519, ``cryptography``), the canonical content a certificate
signs, the QR text that carries the signature, and the seal that puts content and QR text into the
PDF so the certificate verifies offline.

* Key id: the first 16 hex digits of SHA-256 over the raw 32-byte public key.
* Canonical content: JSON with sorted keys, no whitespace, UTF-8 (``canonical_bytes``).
* QR text: ``JDC1|<number>|<version>|<key_id>|<b64url SHA-256 of the content>|<b64url signature>``,
  the signature being over the canonical content bytes.
* Seal: a PDF incremental update (the rendered bytes are kept untouched in front) replacing the
  document information dictionary with one that also holds ``/JiandingContent`` (the canonical
  content) and ``/JiandingQR`` (the QR text), both as hex strings.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

QR_PREFIX = "JDC1"
KEY_FILE = "institution_ed25519.pem"


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


def default_key_path(db_path: Path) -> Path:
    """Where the private key lives unless the station names one: beside the database (the platform
    data directory for the default database)."""
    return db_path.parent / "keys" / KEY_FILE


def create_key(path: Path) -> Ed25519PrivateKey:
    """Create a new private key at ``path`` (PEM, PKCS#8, mode 0600); refuses to overwrite one."""
    if path.exists():
        raise SigningError(f"签名密钥已存在，不覆盖 (a signing key already exists at {path}; not overwritten)")
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    return key


def load_key(path: Path) -> Ed25519PrivateKey:
    """The private key at ``path``."""
    if not path.exists():
        raise SigningError(f"未找到签名密钥 {path}，请先运行 jianding keys init (no signing key at {path}; "
                           "create one with: jianding keys init)")
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningError(f"{path} 不是 Ed25519 私钥 (not an Ed25519 private key)")
    return key


def public_from_b64(text: str) -> Ed25519PublicKey:
    """A public key from its raw bytes in base64."""
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(text))


@dataclass(frozen=True)
class Signed:
    """A signature over canonical content, with everything the QR code carries."""

    number: str
    version: int
    key_id: str
    content_hash: str  # SHA-256 hex of the canonical bytes
    signature: bytes

    @property
    def qr_text(self) -> str:
        """``JDC1|number|version|key_id|b64url(hash)|b64url(signature)``."""
        digest = bytes.fromhex(self.content_hash)
        return "|".join((QR_PREFIX, self.number, str(self.version), self.key_id, b64url(digest), b64url(self.signature)))


def sign(key: Ed25519PrivateKey, number: str, version: int, content: dict[str, Any]) -> Signed:
    """Sign the canonical bytes of ``content``."""
    data = canonical_bytes(content)
    return Signed(number, version, key_id(key.public_key()), hashlib.sha256(data).hexdigest(), key.sign(data))


def parse_qr(text: str) -> Signed:
    """The fields of a QR text; :class:`SigningError` when it is not one of ours."""
    parts = text.strip().split("|")
    if len(parts) != 6 or parts[0] != QR_PREFIX:
        raise SigningError(f"不是简定证书二维码 (not a Jianding certificate QR text: {text[:40]!r})")
    try:
        return Signed(parts[1], int(parts[2]), parts[3], unb64url(parts[4]).hex(), unb64url(parts[5]))
    except ValueError as e:
        raise SigningError(f"二维码内容损坏 (malformed QR text: {e})") from e


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
