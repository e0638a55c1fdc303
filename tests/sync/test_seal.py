"""The seal format checked on its own: a genuine seal verifies; each way of breaking it is named by
the upload field it concerns (the platform's 422 and the workstation's verifier read the same)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench.signing import sign
from sync.seal import canonical_bytes, check_seal, raw_public, seal_pdf

# a minimal PDF with a classic trailer: all seal_pdf needs to append its incremental update
_PDF = (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n2 0 obj\n<< /Producer (t) >>\nendobj\n"
        b"xref\n0 3\n0000000000 65535 f \n0000000009 00000 n \n0000000048 00000 n \n"
        b"trailer\n<< /Size 3 /Root 1 0 R /Info 2 0 R >>\nstartxref\n82\n%%EOF\n")
CONTENT = {"format": "t", "number": "JD2026-00009", "version": 1, "record": {"serial": "S-1"}}


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def _sealed(key: Ed25519PrivateKey, content: dict[str, object] = CONTENT) -> tuple[bytes, str]:
    s = sign(key, "JD2026-00009", 1, content)
    return seal_pdf(_PDF, canonical_bytes(content), s.qr_text), s.qr_text


def test_a_genuine_seal_verifies_and_gives_back_the_content(key: Ed25519PrivateKey) -> None:
    pdf, qr = _sealed(key)
    check = check_seal(pdf, qr, raw_public(key.public_key()), number="JD2026-00009", version=1)
    assert check.ok and check.content == CONTENT


def test_each_break_is_named_by_its_field(key: Ed25519PrivateKey) -> None:
    pdf, qr = _sealed(key)
    public = raw_public(key.public_key())
    assert check_seal(pdf, "not ours", public, number="JD2026-00009", version=1).problems[0][0] == "qr_text"
    assert [f for f, _ in check_seal(_PDF, qr, public, number="JD2026-00009", version=1).problems] == ["pdf_base64"]
    assert [f for f, _ in check_seal(pdf, qr, public, number="JD2026-00010", version=1).problems] == ["qr_text"]
    other = raw_public(Ed25519PrivateKey.generate().public_key())  # key id and signature both wrong
    assert [f for f, _ in check_seal(pdf, qr, other, number="JD2026-00009", version=1).problems] == ["qr_text", "qr_text"]
    forged = seal_pdf(_PDF, canonical_bytes({**CONTENT, "record": {"serial": "S-2"}}), qr)
    fields = [f for f, _ in check_seal(forged, qr, public, number="JD2026-00009", version=1).problems]
    assert fields == ["pdf_base64", "qr_text"]  # the hash and the signature both give it away
