"""The approval chain of certificates (检定证书), notices (检定结果通知书) and in-service inspection results
(使用中检查结果通知书, a signed document of the institution like the others): the 检定员 performs,
the 核验员 checks, the 批准人 approves, then the certificate is issued, signed with the institution's
key (Ed25519) and sealed. One person never holds two roles on one certificate; nothing is issued
before approval; every action is audited with who and when. An issued certificate is never edited:
an amendment is a new version that references and supersedes it.

Status of a version: ``draft`` → ``checked`` → ``approved`` → ``issued``; an issued one can become
``superseded`` (by its amendment's issue) or ``revoked``. Certificate rows and their events are
append-only and hash-chained in the store (bench.store.chain).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlmodel import select

from bench.accounts import Account, AccountError, Accounts
from bench.faults import boundary
from bench.institution import InstitutionProfile
from bench.names import normalised, same_name
from bench.rectification_documents import issue_rows
from bench.signing import (
    SigningError,
    b64url,
    canonical_bytes,
    create_key,
    default_key_path,
    key_id,
    load_key,
    raw_public,
    seal_pdf,
    sign,
)
from bench.signoffs import signoff_row, signoffs_of
from bench.station import parse_station
from bench.store import Store
from bench.store.models import AuditEntry, Certificate, CertificateEvent, SigningKey, SignOff, utcnow
from bench.store.sync_repo import Tx
from bench.sync_worker import result_key
from procedures.records import People, VerificationRecord

FORMAT = "jianding-certificate/1"
STATUS_AFTER = {"checked": "checked", "approved": "approved", "issued": "issued", "superseded": "superseded",
                "revoked": "revoked"}


STAGING = ".issuing"
"""The folder (under the documents folder) where a signed PDF waits for its issue mark to commit."""

FIXED_FIELDS = ("document", "validity_kind")
"""Record fields an amendment never changes: which document it is and the kind of validity it states."""


class ApprovalError(Exception):
    """An approval-chain rule would be broken (wrong order, one person in two roles, …)."""


def display_number(number: str, version: int) -> str:
    """The number printed on a version: the first keeps the number, later ones add -V<n>."""
    return number if version == 1 else f"{number}-V{version}"


@dataclass(frozen=True)
class CertificateState:
    """One version of a certificate with its events, as the store holds them."""

    row: Certificate
    events: tuple[CertificateEvent, ...]

    @property
    def status(self) -> str:
        """draft, checked, approved, issued, superseded or revoked."""
        status = "draft"
        for e in self.events:
            status = STATUS_AFTER.get(e.action, status)
        return status

    def actor(self, action: str) -> str:
        """Who did ``action`` on this version ("" when nobody yet)."""
        return next((e.actor for e in reversed(self.events) if e.action == action), "")

    @property
    def issued(self) -> CertificateEvent | None:
        """The issue event (signed content, signature, PDF hash), once issued."""
        return next((e for e in self.events if e.action == "issued"), None)

    @property
    def record(self) -> VerificationRecord:
        """The record this version was drafted from."""
        return VerificationRecord.from_dict(json.loads(self.row.record_json))


@dataclass(frozen=True)
class IssuedCertificate:
    """What an issue (or a revocation) produced, handed to the outbox hook inside the issuing
    transaction: the version's row, its issued event (id assigned), the record as issued, the sealed
    PDF, the signer's raw public key (hex), the version it supersedes, the booking its run served and
    why the run was made (its purpose, bench/purposes.toml)."""

    row: Certificate
    event: CertificateEvent
    record: VerificationRecord
    pdf: bytes
    public_key_hex: str
    supersedes: Certificate | None
    booking_id: str | None
    status: str = "issued"  # issued | revoked
    at: datetime | None = None
    upload: dict[str, Any] | None = None  # revoked: the issued version's queued upload, repeated
    purpose: str = ""  # the run's purpose (first, periodic, sampling, complaint …)


OutboxHook = Callable[[IssuedCertificate], list[Any]]
"""Rows to write in the same transaction as an issue or revocation (by default bench.rectification_documents.issue_rows:
the platform upload's outbox row, and the rectification item a failed document opens or a revocation
withdraws); it may raise, and then nothing of the issue is written."""


def signers(frozen: People, actual: People) -> People:
    """Who signs, with their images: ``actual`` (the people who acted, their images from the
    institution profile); a signer without an image there keeps the one the frozen record gave the
    same person (a record made before institution profiles)."""
    images = {}
    for role in ("verifier", "checker", "approver"):
        image = getattr(actual, f"{role}_signature")
        if not image and normalised(getattr(frozen, role)) == normalised(getattr(actual, role)):
            image = getattr(frozen, f"{role}_signature")
        images[f"{role}_signature"] = image
    return dataclasses.replace(actual, **images)


def draft_record(record: VerificationRecord, verifier: str) -> VerificationRecord:
    """The record as a draft shows it: nobody's signature but the 检定员's (nothing is signed
    before approval); the draft rendering marks every page 草稿 未批准."""
    return dataclasses.replace(
        record, people=People(verifier=verifier, verifier_signature=record.people.verifier_signature
                              if normalised(record.people.verifier) == normalised(verifier) else ""))


def apply_changes(record: dict[str, Any], changes: dict[str, str]) -> dict[str, Any]:
    """A copy of a record dict with dotted-path fields replaced (``instrument.client=…``); only
    existing scalar fields may change, so an amendment cannot invent structure."""
    out = json.loads(json.dumps(record))
    for path in changes:
        if path.split(".")[0] in FIXED_FIELDS:
            raise ApprovalError(f"不能更正字段 {path!r}：它决定文书的种类与有效期的性质 (field {path!r} decides what "
                                "the document is; it cannot be amended)")
    for path, value in changes.items():
        node: Any = out
        keys = path.split(".")
        for k in keys[:-1]:
            if not isinstance(node, dict) or k not in node:
                raise ApprovalError(f"无此字段 (no field {path!r} in the record)")
            node = node[k]
        if not isinstance(node, dict) or keys[-1] not in node:
            raise ApprovalError(f"无此字段 (no field {path!r} in the record)")
        if isinstance(node[keys[-1]], dict | list):
            raise ApprovalError(f"不能修改字段 {path!r} (field {path!r} is not a scalar field of the record)")
        old = node[keys[-1]]
        node[keys[-1]] = type(old)(value) if isinstance(old, int | float) and not isinstance(old, bool) else value
    kind = (out.get("document") or {}).get("kind") or ("certificate" if record.get("valid_until") else "")
    if kind in ("inspection", "notice") and any(out.get(k) for k in ("valid_until", "service_life_until")):
        raise ApprovalError("使用中检查结果与检定结果通知书不给出有效期或使用期限 (an in-service inspection result or a "
                            "notice states no validity; an amendment cannot add one)")
    return out


class Certificates:
    """Certificates in a store: drafting, the approval chain, issue with signature, amendment."""

    def __init__(self, store: Store, out_dir: Path, key_path: Path | None = None,
                 outbox_hook: OutboxHook | None = None) -> None:
        self.store = store
        self.out_dir = out_dir
        self.key_path = key_path or default_key_path(store.path)
        self.outbox_hook = outbox_hook or issue_rows(store)

    # -- reading ----------------------------------------------------------------------------------
    def versions(self, number: str) -> list[CertificateState]:
        """Every version of a certificate, oldest first."""
        with self.store.session() as s:
            rows = list(s.exec(select(Certificate).where(Certificate.number == number)
                               .order_by(Certificate.version)))  # type: ignore[arg-type]
            if not rows:
                raise LookupError(f"无此证书 (no certificate {number})")
            return [self._state(s, r) for r in rows]

    def get(self, number: str, version: int | None = None) -> CertificateState:
        """One version (the newest when ``version`` is None)."""
        versions = self.versions(number)
        if version is None:
            return versions[-1]
        for v in versions:
            if v.row.version == version:
                return v
        raise LookupError(f"证书 {number} 无第 {version} 版 (certificate {number} has no version {version})")

    def all(self) -> list[CertificateState]:
        """Every certificate version, newest first."""
        with self.store.session() as s:
            rows = list(s.exec(select(Certificate).order_by(Certificate.id.desc())))  # type: ignore[union-attr]
            return [self._state(s, r) for r in rows]

    @staticmethod
    def _state(s: Any, row: Certificate) -> CertificateState:
        events = s.exec(select(CertificateEvent).where(CertificateEvent.certificate_id == row.id)
                        .order_by(CertificateEvent.id))  # type: ignore[arg-type]
        return CertificateState(row, tuple(events))

    # -- keys -------------------------------------------------------------------------------------
    def init_key(self, institution: str = "") -> str:
        """Create the institution's key and register its public half; the key id."""
        key = create_key(self.key_path)
        return self.register_key(key.public_key(), institution)

    def register_key(self, public: Any, institution: str = "") -> str:
        """Enter a public key in the store (idempotent); its key id."""
        kid = key_id(public)
        if not any(k.key_id == kid for k in self.store.signing_keys()):
            self.store.add_signing_key(SigningKey(key_id=kid, public_key=base64.b64encode(raw_public(public)).decode(),
                                                  institution=institution))
            self.store.audit("system", "key.register", detail=f"Ed25519 {kid} {institution}".strip())
        return kid

    def _profile(self, run_id: str) -> InstitutionProfile:
        """The institution profile of the run's station as the run keeps it (bench.institution)."""
        run = self.store.get_run(run_id)
        return parse_station(json.loads(run.station_json or "{}"), run.station_path).institution

    def _station_key_path(self, run_id: str) -> Path:
        """The institution profile's signing_key when it names one, else ours."""
        named = self._profile(run_id).signing_key
        return Path(named).expanduser() if named else self.key_path

    def _signing_key(self, auto_create: bool, institution: str, path: Path) -> Any:
        if not path.exists() and auto_create:
            self.register_key(create_key(path).public_key(), institution)
        key = load_key(path)
        self.register_key(key.public_key(), institution)
        return key

    # -- the chain --------------------------------------------------------------------------------
    def draft(self, record: VerificationRecord, *, run_id: str, position: int | None, verifier: str,
              actor: str, supersedes: CertificateState | None = None, reason: str = "",
              tx: Tx | None = None) -> tuple[CertificateState, Path]:
        """Enter a new certificate version from a frozen record and write its draft PDF (marked
        草稿 未批准, no QR code, no signatures but the 检定员's). The row, its audit entry and the PDF
        go together: the PDF is written before the transaction commits (``tx``: the caller's, which
        freezes the record and finishes the run in the same commit), so a draft row never exists
        without its PDF; a crash before the commit leaves at most a PDF that the retry overwrites."""
        if not verifier.strip():
            raise ApprovalError("检定员姓名为空 (the 检定员 who performed the verification must be named)")
        version = supersedes.row.version + 1 if supersedes else 1
        row = Certificate(number=record.certificate_no if supersedes is None else supersedes.row.number,
                          version=version, supersedes_id=supersedes.row.id if supersedes else None, run_id=run_id,
                          position=position, kind=record.kind,
                          record_json=json.dumps(record.to_dict(), ensure_ascii=False), verifier=verifier,
                          reason=reason, created_by=actor)
        with nullcontext(tx) if tx is not None else self.store.transaction() as t:
            t.add(row, AuditEntry(actor=actor, action="certificate.draft", run_id=run_id,
                                  detail=f"{display_number(row.number, version)} 检定员 {verifier}"
                                         + (f"；{reason}" if reason else "")))
            path = self._draft_path(row)
            shown = dataclasses.replace(record, certificate_no=display_number(row.number, version))
            self._write(path, self._render(draft_record(shown, verifier), draft=True))
        return CertificateState(row, ()), path

    def check(self, number: str, by: Account, *, auto_create_key: bool = False) -> CertificateState:
        """核验 by the logged-in ``by``, who must hold 核验员 and not be the certificate's 检定员; the
        sign-off is signed and recorded (:class:`~bench.store.models.SignOff`)."""
        st = self.get(number)
        self._expect(st, "draft", "核验 (check)")
        person = self._signer(st, by, "checker")
        return self._event(st, "checked", person, signoff=(by, "checker", auto_create_key))

    def approve(self, number: str, by: Account, *, auto_create_key: bool = False) -> CertificateState:
        """批准 by the logged-in ``by``, who must hold 批准人 and be neither the 检定员 nor the 核验员."""
        st = self.get(number)
        self._expect(st, "checked", "批准 (approve)")
        person = self._signer(st, by, "approver")
        return self._event(st, "approved", person, signoff=(by, "approver", auto_create_key))

    def issue(self, number: str, by: Account, *, auto_create_key: bool = False) -> tuple[CertificateState, Path]:
        """签发: sign the approved version's canonical content, render it with its QR code, seal the
        PDF, and mark the version it amends superseded. Refused before approval; only a 批准人 who
        is neither the 检定员 nor the 核验员 issues. Idempotent and resumable: a version already marked
        issued is completed (:meth:`complete`), not signed again."""
        st = self.get(number)
        if st.status == "issued":
            return self.complete(number, st.row.version)
        self._expect(st, "approved", "签发 (issue)")
        person = self._signer(st, by, "approver")
        rec = st.record
        checker, approver = st.actor("checked"), st.actor("approved")
        people = signers(rec.people, self._profile(st.row.run_id).people(st.row.verifier, checker, approver))
        old = self._superseded(st)
        flags = rec.flags
        if old is not None:
            flags = (*flags, f"本{rec.document.noun if rec.document else '证书' if st.row.kind == 'certificate' else '通知书'}替代 "
                             f"{display_number(old.row.number, old.row.version)}，原件作废 (supersedes "
                             f"{display_number(old.row.number, old.row.version)}): {st.row.reason}")
        rec = dataclasses.replace(rec, certificate_no=display_number(st.row.number, st.row.version), people=people,
                                  flags=flags)
        key = self._signing_key(auto_create_key, rec.institution.name, self._station_key_path(st.row.run_id))
        content = {
            "format": FORMAT, "number": st.row.number, "version": st.row.version, "kind": st.row.kind,
            "supersedes": ({"number": old.row.number, "version": old.row.version} if old else None),
            "issued_on": date.today().isoformat(), "issuer": rec.institution.name, "key_id": key_id(key.public_key()),
            "signers": {"verifier": people.verifier, "checker": people.checker, "approver": people.approver},
            "record": rec.to_dict(),
            # the store's chain heads at issue: a history rewritten later no longer matches them
            "anchors": self.store.chain_heads(),
        }
        signed = sign(key, st.row.number, st.row.version, content, lookup_url=rec.institution.lookup_url)
        boundary(f"{display_number(st.row.number, st.row.version)} signed, before the PDF write")
        pdf = seal_pdf(self._render(rec, signed.qr_text), canonical_bytes(content), signed.qr_text)
        path = self._issued_path(st.row)
        # staged, not published: until the issue mark commits, the signed PDF is not where a
        # certificate is looked for (a crash here leaves an approved certificate and a stale file in
        # the staging folder that the next issue overwrites)
        self._write(self._staged_path(st.row), pdf)
        boundary(f"{display_number(st.row.number, st.row.version)} PDF written, before the issue mark")
        event = CertificateEvent(
            certificate_id=st.row.id or 0, action="issued", actor=person, at=utcnow(),
            detail=f"签名密钥 (key) {signed.key_id}", content_json=canonical_bytes(content).decode("utf-8"),
            content_hash=signed.content_hash, key_id=signed.key_id, signature=b64url(signed.signature),
            qr_text=signed.qr_text, pdf_sha256=hashlib.sha256(pdf).hexdigest(), document_path=str(path))
        run = self.store.get_run(st.row.run_id)
        # ONE transaction: the issue event, its audit entry, the platform upload's outbox row, the
        # superseded mark and the run's (or position's) document path: a crash leaves all or none
        with self.store.transaction() as tx:
            tx.add(event, signoff_row(st.row, "issued", by, "approver", key), AuditEntry(
                actor=person, action="certificate.issue", run_id=st.row.run_id,
                detail=f"{display_number(st.row.number, st.row.version)} → {path} (key {signed.key_id})"))
            tx.add(*self.outbox_hook(IssuedCertificate(
                st.row, event, rec, pdf, raw_public(key.public_key()).hex(), old.row if old else None, run.booking_id,
                "issued", event.at, purpose=run.purpose)))
            if old is not None:
                tx.add(CertificateEvent(certificate_id=old.row.id or 0, action="superseded", actor=person,
                                        detail=f"被 {display_number(st.row.number, st.row.version)} 替代 (superseded)"),
                       AuditEntry(actor=person, action="certificate.superseded", run_id=old.row.run_id,
                                  detail=f"{display_number(old.row.number, old.row.version)} → "
                                         f"{display_number(st.row.number, st.row.version)}"))
            if st.row.position is None:
                tx.update_run(st.row.run_id, document_path=str(path))
            else:
                tx.update_position(st.row.run_id, st.row.position, document_path=str(path))
        boundary(f"{display_number(st.row.number, st.row.version)} marked issued, before the PDF is published")
        return self.complete(number, st.row.version)

    def unfinished(self, st: CertificateState) -> bool:
        """Whether a crash left this version's issue half done: marked issued with its PDF not in
        place (or its draft PDF not removed) — :meth:`complete` finishes it."""
        issued = st.issued if st.status == "issued" else None
        return issued is not None and (not Path(issued.document_path).exists() or self._draft_path(st.row).exists())

    def complete(self, number: str, version: int | None = None) -> tuple[CertificateState, Path]:
        """Finish an issue the store has marked (idempotent; what a crash after the issue mark left
        undone): the signed PDF is put where the issue event says, from the staging folder when its
        hash is the one signed for, else rebuilt from the signed content (the rendering is
        deterministic) and refused unless its SHA-256 is the issued one; then the draft PDF goes.
        The state and the issued PDF's path."""
        st = self.get(number, version)
        issued = st.issued
        if issued is None:
            raise ApprovalError(f"证书 {display_number(st.row.number, st.row.version)} 当前状态为 {st.status}，"
                                "尚未签发 (not issued yet)")
        path = Path(issued.document_path)
        if not (path.exists() and _sha256(path) == issued.pdf_sha256):
            staged = self._staged_path(st.row)
            if not (staged.exists() and _sha256(staged) == issued.pdf_sha256):
                content = json.loads(issued.content_json)
                pdf = seal_pdf(self._render(content_record(content), issued.qr_text),
                               issued.content_json.encode("utf-8"), issued.qr_text)
                if hashlib.sha256(pdf).hexdigest() != issued.pdf_sha256:
                    raise SigningError(f"证书 {display_number(st.row.number, st.row.version)} 的文件无法按签发内容"
                                       f"重建 (the issued PDF cannot be rebuilt from its signed content)")
                self._write(staged, pdf)
            path.parent.mkdir(parents=True, exist_ok=True)
            staged.replace(path)
            _sync_dir(path.parent)
        boundary(f"{display_number(st.row.number, st.row.version)} PDF published")
        self._draft_path(st.row).unlink(missing_ok=True)
        try:
            self._staged_path(st.row).parent.rmdir()  # the staging folder, when nothing else waits there
        except OSError:
            pass
        return st, path

    def amend(self, number: str, changes: dict[str, str], reason: str, by: Account) -> tuple[CertificateState, Path]:
        """更正: a new draft version of an issued certificate with ``changes`` applied, opened by a
        批准人 (``by``); it goes through check, approval and issue again, and supersedes the old one
        when issued."""
        if not reason.strip():
            raise ApprovalError("更正须说明原因 (an amendment needs a reason)")
        st = self.get(number)
        self._expect(st, "issued", "更正 (amend)")
        person = self._authorised(by, "approver")
        record = VerificationRecord.from_dict(apply_changes(json.loads(st.row.record_json), changes))
        return self.draft(record, run_id=st.row.run_id, position=st.row.position, verifier=st.row.verifier,
                          actor=person, supersedes=st, reason=reason)

    def revoke(self, number: str, by: Account, reason: str) -> CertificateState:
        """注销 by a 批准人 (``by``): withdraw an issued certificate (the record stays; verifiers are
        told it is revoked)."""
        if not reason.strip():
            raise ApprovalError("注销须说明原因 (a revocation needs a reason)")
        st = self.get(number)
        self._expect(st, "issued", "注销 (revoke)")
        person = self._authorised(by, "approver")
        issued = st.issued
        assert issued is not None
        event = CertificateEvent(certificate_id=st.row.id or 0, action="revoked", actor=person, detail=reason)
        path = Path(issued.document_path)
        pdf = path.read_bytes() if path.exists() else b""
        public = next((k.public_key for k in self.store.signing_keys() if k.key_id == issued.key_id), "")
        queued = self.store.outbox_item(result_key(f"{st.row.number}/v{st.row.version}", "issued"))
        run = self.store.get_run(st.row.run_id)
        with self.store.transaction() as tx:  # the revocation and its upload to the platform, together
            tx.add(event, AuditEntry(actor=person, action="certificate.revoked", run_id=st.row.run_id,
                                     detail=f"{display_number(st.row.number, st.row.version)}：{reason}"))
            tx.add(*self.outbox_hook(IssuedCertificate(
                st.row, issued, content_record(json.loads(issued.content_json)), pdf,
                base64.b64decode(public).hex() if public else "", None,
                run.booking_id, "revoked", event.at, json.loads(queued.payload_json) if queued else None,
                purpose=run.purpose)))
        return self.get(st.row.number, st.row.version)

    # -- helpers ----------------------------------------------------------------------------------
    @staticmethod
    def _expect(st: CertificateState, status: str, what: str) -> None:
        if st.status != status:
            raise ApprovalError(f"证书 {display_number(st.row.number, st.row.version)} 当前状态为 {st.status}，"
                                f"不能{what} (needs status {status})")

    def _event(self, st: CertificateState, action: str, person: str, detail: str = "",
               signoff: tuple[Account, str, bool] | None = None) -> CertificateState:
        """The event, its audit entry and (for a sign-off) the signed :class:`SignOff`, in one transaction."""
        if not person.strip():
            raise ApprovalError("须填写操作人姓名 (the person acting must be named)")
        rows: list[Any] = [CertificateEvent(certificate_id=st.row.id or 0, action=action, actor=person, detail=detail),
                           AuditEntry(actor=person, action=f"certificate.{action}", run_id=st.row.run_id,
                                      detail=f"{display_number(st.row.number, st.row.version)}"
                                             + (f"：{detail}" if detail else ""))]
        if signoff is not None:
            account, role, auto_create = signoff
            key = self._signing_key(auto_create, st.record.institution.name, self._station_key_path(st.row.run_id))
            rows.append(signoff_row(st.row, action, account, role, key))
        with self.store.transaction() as tx:  # the step, its audit entry and its sign-off, together
            tx.add(*rows)
        boundary(f"{display_number(st.row.number, st.row.version)} {action}")
        return self.get(st.row.number, st.row.version)

    def _signer(self, st: CertificateState, by: Account, role: str) -> str:
        """The name ``by`` signs under, once the rules hold: the account is enabled and holds
        ``role`` now (bench.accounts), and it is neither the certificate's 检定员 nor (approving or
        issuing) its 核验员 — compared by account and by NFKC-normalised name (JJF 1069: three
        different people)."""
        account = self._account(by, role)
        number = display_number(st.row.number, st.row.version)
        earlier = [("检定员", "verifier", st.row.verifier, None)]
        if role == "approver":
            checked = next((o for o in reversed(self.signoffs(st)) if o.action == "checked"), None)
            earlier.append(("核验员", "checker", st.actor("checked"), checked.account_id if checked else None))
        for role_zh, role_en, name, account_id in earlier:
            if account.id == account_id or (name and same_name(account.name, name)):
                what = "check" if role == "checker" else "approve or issue"
                zh = "核验员" if role == "checker" else "批准人"
                raise ApprovalError(f"{account.name} 是本证书的{role_zh}，不能兼任{zh} (the {role_en} of {number} "
                                    f"cannot also {what} it)")
        return account.name

    def _account(self, by: Account, role: str) -> Account:
        """``by`` as the store holds it now: enabled and holding ``role`` (else ApprovalError)."""
        try:
            return Accounts(self.store).require(by, role)
        except AccountError as e:
            raise ApprovalError(str(e)) from e

    def _authorised(self, by: Account, role: str) -> str:
        """The name of ``by`` once it is enabled and holds ``role``."""
        return self._account(by, role).name

    def signoffs(self, st: CertificateState) -> list[SignOff]:
        """The signed sign-offs of one version, oldest first (bench.signoffs)."""
        return signoffs_of(self.store, st.row.id)

    def _superseded(self, st: CertificateState) -> CertificateState | None:
        if st.row.supersedes_id is None:
            return None
        return next(v for v in self.versions(st.row.number) if v.row.id == st.row.supersedes_id)

    def _draft_path(self, row: Certificate) -> Path:
        return (self.out_dir / f"{display_number(row.number, row.version)}.draft.pdf").resolve()

    def _issued_path(self, row: Certificate) -> Path:
        return (self.out_dir / f"{display_number(row.number, row.version)}.pdf").resolve()

    def _staged_path(self, row: Certificate) -> Path:
        """Where an issue writes its signed PDF before the issue mark commits (a hidden folder)."""
        return (self.out_dir / STAGING / f"{display_number(row.number, row.version)}.pdf").resolve()

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        """Write a file whole or not at all (a temporary file synced, then renamed over)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)
        _sync_dir(path.parent)

    @staticmethod
    def _render(record: VerificationRecord, qr_text: str | None = None, *, draft: bool = False) -> bytes:
        from reports.certificate import render_document

        return render_document(record, qr_payload=qr_text, draft=draft)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _sync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX; a no-op where directories cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def content_record(content: dict[str, Any]) -> VerificationRecord:
    """The record a signed canonical content renders (for re-rendering when verifying)."""
    if content.get("format") != FORMAT:
        raise SigningError(f"未知的证书内容格式 (unknown content format {content.get('format')!r})")
    return VerificationRecord.from_dict(content["record"])
