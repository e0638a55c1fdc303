"""The institution's signing key (Ed25519, ``cryptography``) and the act of signing a certificate's
canonical content. The format the signature travels in — canonical content, QR text, the seal in
the PDF and the checks on them — lives in :mod:`sync.seal` (the platform verifies with it too) and
is re-exported here for the workstation's modules.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from sync.seal import (
    QR_PREFIX,
    Signed,
    SigningError,
    b64url,
    canonical_bytes,
    claim_disagreements,
    claim_message,
    claim_text,
    key_id,
    parse_qr,
    raw_public,
    read_seal,
    seal_pdf,
    signature_valid,
    unb64url,
)

__all__ = ["KEY_FILE", "QR_PREFIX", "Signed", "SigningError", "b64url", "canonical_bytes", "claim_disagreements",
           "create_key",
           "default_key_path", "key_id", "load_key", "parse_qr", "public_from_b64", "raw_public", "read_seal",
           "seal_pdf", "sign", "signature_valid", "unb64url"]

KEY_FILE = "institution_ed25519.pem"


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


def sign(key: Ed25519PrivateKey, number: str, version: int, content: dict[str, Any], *, lookup_url: str = "") -> Signed:
    """Sign a certificate's canonical ``content``: with the institution's ``lookup_url`` the QR is
    the URL of its public lookup page carrying the signed claim (number, serial, conclusion,
    validity, content hash — sync.seal); without one, the old text form signing the content itself."""
    data = canonical_bytes(content)
    kid, digest = key_id(key.public_key()), hashlib.sha256(data).hexdigest()
    if not lookup_url:
        return Signed(number, version, kid, digest, key.sign(data))
    base = lookup_url.rstrip("/")
    claim = claim_text(content, kid, digest)
    return Signed(number, version, kid, digest, key.sign(claim_message(base, claim)), claim, base)
