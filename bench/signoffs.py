"""Signed sign-offs (签署): each check (核验), approval (批准) and issue (签发) of a certificate
version as a statement — certificate number and version, action, account number and name, role,
time, SHA-256 of the version's frozen record — signed with the institution's Ed25519 key and kept
in the append-only, hash-chained ``signoff`` table (migration 0009). ``jianding audit verify``
checks every signature against the registered public keys (:func:`signoff_problems`), so a sign-off
rewritten with its chain recomputed is still caught unless the private key was used.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from sqlmodel import select

from bench.accounts import Account
from bench.signing import b64url, canonical_bytes, key_id, public_from_b64, unb64url
from bench.store import Store
from bench.store.models import Certificate, SignOff, utcnow

SIGNOFF_FORMAT = "jianding-signoff/1"


def signoff_row(row: Certificate, action: str, account: Account, role: str, key: Any) -> SignOff:
    """The signed sign-off of ``account`` acting as ``role`` on the certificate version ``row``
    (to be written in the caller's transaction, with the approval event it signs)."""
    at = utcnow()
    statement = {"format": SIGNOFF_FORMAT, "number": row.number, "version": row.version, "action": action,
                 "account_id": account.id, "account": account.name, "role": role, "at": at.isoformat(),
                 "content_hash": hashlib.sha256(row.record_json.encode("utf-8")).hexdigest()}
    data = canonical_bytes(statement)
    return SignOff(certificate_id=row.id or 0, number=row.number, version=row.version, action=action,
                   account_id=account.id, account=account.name, role=role, at=at,
                   content_hash=statement["content_hash"], statement_json=data.decode("utf-8"),
                   key_id=key_id(key.public_key()), signature=b64url(key.sign(data)))


def signoffs_of(store: Store, certificate_id: int | None) -> list[SignOff]:
    """The sign-offs of one certificate version, oldest first."""
    with store.session() as s:
        return list(s.exec(select(SignOff).where(SignOff.certificate_id == certificate_id)
                           .order_by(SignOff.id)))  # type: ignore[arg-type]


def signoff_problems(store: Store) -> list[str]:
    """Every sign-off whose signature does not verify with its registered key, or whose columns
    disagree with the statement signed, or whose content hash is not its version's record; one
    line each (empty when all hold)."""
    keys = {k.key_id: public_from_b64(k.public_key) for k in store.signing_keys()}
    with store.session() as s:
        rows = list(s.exec(select(SignOff).order_by(SignOff.id)))  # type: ignore[arg-type]
        records = {c.id: c.record_json for c in s.exec(select(Certificate))}
    out: list[str] = []
    for o in rows:
        where = f"signoff id {o.id} ({o.number} v{o.version} {o.action} {o.account})"
        key = keys.get(o.key_id)
        try:
            if key is None:
                raise InvalidSignature
            key.verify(unb64url(o.signature), o.statement_json.encode("utf-8"))
        except (InvalidSignature, ValueError):
            out.append(f"{where}: 签名无效或密钥未登记 (signature invalid or key {o.key_id} unknown)")
            continue
        st = json.loads(o.statement_json)
        shown = {"number": o.number, "version": o.version, "action": o.action, "account_id": o.account_id,
                 "account": o.account, "role": o.role, "content_hash": o.content_hash}
        wrong = [k for k, v in shown.items() if st.get(k) != v]
        record = records.get(o.certificate_id, "")
        if hashlib.sha256(record.encode("utf-8")).hexdigest() != o.content_hash:
            wrong.append("record")
        if wrong:
            out.append(f"{where}: 与签署内容不符 (differs from the signed statement): {', '.join(wrong)}")
    return out
