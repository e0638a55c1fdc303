"""The signing primitives: key id, key file, canonical bytes, QR text, and the seal in the PDF."""

from __future__ import annotations

import base64
import hashlib
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench.signing import (
    SigningError,
    canonical_bytes,
    create_key,
    key_id,
    load_key,
    parse_qr,
    raw_public,
    read_seal,
    seal_pdf,
    sign,
    signature_valid,
)

# RFC 8032 §7.1 TEST 1: the secret key 9d61b19d… has the public key d75a9801…
RFC8032_SECRET = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC8032_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")


def test_key_id_is_first_16_hex_of_sha256_of_the_raw_public_key() -> None:
    key = Ed25519PrivateKey.from_private_bytes(RFC8032_SECRET)
    assert raw_public(key.public_key()) == RFC8032_PUBLIC
    assert key_id(key.public_key()) == hashlib.sha256(RFC8032_PUBLIC).hexdigest()[:16]


def test_key_file_is_private_and_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "k" / "key.pem"
    key = create_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert raw_public(load_key(path).public_key()) == raw_public(key.public_key())
    with pytest.raises(SigningError, match="不覆盖"):
        create_key(path)
    with pytest.raises(SigningError, match="keys init"):
        load_key(tmp_path / "none.pem")


def test_canonical_bytes_sorted_compact_utf8() -> None:
    assert canonical_bytes({"b": 1, "a": "合格", "c": [1.5, None]}) == '{"a":"合格","b":1,"c":[1.5,null]}'.encode()


def test_qr_text_round_trip_and_signature_over_the_canonical_bytes() -> None:
    key = Ed25519PrivateKey.from_private_bytes(RFC8032_SECRET)
    content = {"number": "JD2026-00001", "version": 1, "x": "合格"}
    signed = sign(key, "JD2026-00001", 1, content)
    qr = signed.qr_text
    parts = qr.split("|")
    assert parts[:4] == ["JDC1", "JD2026-00001", "1", key_id(key.public_key())]
    assert base64.urlsafe_b64decode(parts[4] + "=").hex() == hashlib.sha256(canonical_bytes(content)).hexdigest()
    back = parse_qr(qr)
    assert back == signed
    assert signature_valid(key.public_key(), back.signature, canonical_bytes(content))
    assert not signature_valid(key.public_key(), back.signature, canonical_bytes({**content, "x": "不合格"}))
    for bad in ("JDC2|a|1|k|h|s", "JDC1|a|x|k|h|s", "hello"):
        with pytest.raises(SigningError):
            parse_qr(bad)


def test_seal_is_an_incremental_update_readable_by_poppler(tmp_path: Path) -> None:
    import subprocess

    from reports.certificate import render_document
    from reports.samples import sample_record

    pdf = render_document(sample_record())
    content = canonical_bytes({"a": "合格"})
    sealed = seal_pdf(pdf, content, "JDC1|JD1|1|k|h|s")
    assert sealed.startswith(pdf)  # the rendered bytes stay untouched in front
    assert read_seal(sealed) == (content, "JDC1|JD1|1|k|h|s")
    (tmp_path / "s.pdf").write_bytes(sealed)
    info = subprocess.run(["pdfinfo", str(tmp_path / "s.pdf")], capture_output=True, text=True, check=True).stdout
    assert "检定证书" in info and "Syntax Error" not in info
    with pytest.raises(SigningError, match="no Jianding certificate seal"):
        read_seal(pdf)
