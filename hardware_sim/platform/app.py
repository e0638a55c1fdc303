"""The reference platform's HTTP application (``create_app``): API v1 of ``sync/API.md``, the public
lookup page, and the reference-server-only admin and fault-injection endpoints.

Request handling in short:

* Every ``/api/v1`` call but the public certificate lookup needs ``Authorization: Bearer <token>``;
  the token names the institution (401 without or with an unknown token, 403 for another
  institution's booking).
* Every POST needs ``Idempotency-Key``. The stored (institution, key) → (body SHA-256, response) is
  written in the same transaction as the effect, so a key is either fully done or not at all; a
  replay with the same body returns the stored response with 200 and ``"duplicate": true``, another
  body under the same key is 409. A 4xx is never stored (a corrected body may reuse the key).
* Results are unique on (institution, uid) in the database. Two concurrent requests for the same uid
  (two workstations, a retry racing its original) both try to INSERT; the loser gets an
  IntegrityError, rolls back, retries, and answers from the stored row as a duplicate.
* Handlers that touch the database run in worker threads (blocking sqlalchemy), so requests really
  run concurrently and the constraint — not the event loop — is what keeps results exactly once.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import json
import secrets
import threading
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, TypeVar

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import func, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hardware_sim.platform.models import (
    ApiToken,
    BookingRow,
    IdempotencyRecord,
    Institution,
    InstitutionKey,
    LedgerRow,
    ResultRow,
    aware,
    make_engine,
    utcnow,
)
from hardware_sim.platform.rectifications import STATUSES, RectificationConflict, list_items, store_step
from sync.schemas import (
    DECISION_STATUS,
    IDEMPOTENCY_HEADER,
    REPLAY_HEADER,
    Ack,
    BatchAck,
    BatchRejected,
    Booking,
    BookingDecision,
    CertificateStatus,
    ErrorBody,
    ErrorItem,
    LedgerAck,
    LedgerInstrument,
    LedgerUpload,
    RecordPayload,
    RectificationUpload,
    ResultUpload,
    body_sha256,
    error_items,
    key_id_of,
)
from sync.seal import canonical_bytes, check_seal

MAX_BODY_BYTES = 64 * 1024 * 1024
M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


class ApiError(Exception):
    """An error answered as :class:`ErrorBody` with the given HTTP status."""

    def __init__(self, status: int, field: str, message: str, headers: dict[str, str] | None = None,
                 items: list[ErrorItem] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.items = items if items is not None else [ErrorItem(field=field, message=message)]
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        """The JSON response for this error."""
        return JSONResponse(ErrorBody(errors=self.items).model_dump(), status_code=self.status, headers=self.headers)


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# ------------------------------------------------------------------------------------ fault injection

@dataclass
class Faults:
    """Faults the reference server injects into ``/api/…`` requests, set through ``POST /admin/faults``.

    ``fail_next``: answer the next n API requests with HTTP 500 before doing anything.
    ``delay_s``: wait this long before handling every API request (until set back to 0).
    ``drop_after_commit_next``: for the next n API POSTs, handle and commit normally, then close the
    connection without sending a response (the client cannot know the platform has the data).
    """

    fail_next: int = 0
    delay_s: float = 0.0
    drop_after_commit_next: int = 0
    failed: int = 0  # counters, for tests and the operator
    dropped: int = 0


class FaultInjector:
    """Raw ASGI middleware (outermost, next to uvicorn) applying :class:`Faults` to API requests."""

    def __init__(self, app: ASGIApp, faults: Faults) -> None:
        self.app = app
        self.faults = faults
        self.lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass through, delay, fail or drop one request."""
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith("/api/"):
            await self.app(scope, receive, send)
            return
        if self.faults.delay_s > 0:
            await asyncio.sleep(self.faults.delay_s)
        with self.lock:
            fail = self.faults.fail_next > 0
            if fail:
                self.faults.fail_next -= 1
                self.faults.failed += 1
            drop = not fail and scope.get("method") == "POST" and self.faults.drop_after_commit_next > 0
            if drop:
                self.faults.drop_after_commit_next -= 1
                self.faults.dropped += 1
        if fail:
            body = ErrorBody(errors=[ErrorItem(field="(server)", message="平台内部错误（注入故障） (injected HTTP 500)")])
            await JSONResponse(body.model_dump(), status_code=500)(scope, receive, send)
            return
        if not drop:
            await self.app(scope, receive, send)
            return

        async def swallow(_message: Message) -> None:
            return None

        await self.app(scope, receive, swallow)  # handled and committed; the response goes nowhere
        await _abort_connection(send)


async def _abort_connection(send: Send) -> None:
    """Close the client's TCP connection without a byte of response.

    uvicorn's ``send`` is a bound method of its per-request cycle, which holds the transport; aborting
    it closes the socket, and marking the cycle disconnected stops uvicorn from writing its own 500.
    Under another server (no transport reachable) an exception stands in for the drop."""
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise ConnectionAbortedError("drop-after-commit: no transport to abort")
    transport.abort()
    cycle.disconnected = True  # type: ignore[union-attr]
    await asyncio.sleep(0)


# ------------------------------------------------------------------------------------------- admin bodies

class NewInstitution(BaseModel):
    """``POST /admin/institutions``: create an institution (or add a token to an existing one)."""

    code: str = Field(min_length=1, max_length=64)
    name: str = ""
    token: str | None = Field(default=None, min_length=16)


class NewKey(BaseModel):
    """``POST /admin/institutions/{code}/keys``: register an institution's Ed25519 public key (the
    raw 32 bytes in hex, as ``jianding keys export`` prints it)."""

    public_key_hex: str = Field(pattern=r"^[0-9a-f]{64}$")


class NewBooking(BaseModel):
    """``POST /admin/bookings``: a user unit's booking arriving at the platform for an institution."""

    institution_code: str
    user_unit: str = Field(min_length=1)
    submitted_at: str | None = None  # ISO 8601 with offset; the server clock when absent
    requested_date: date | None = None
    contact: str = ""
    phone: str = ""
    site_address: str = ""
    division_code: str = ""
    delivery_mode: str = ""
    instruments: list[LedgerInstrument] = Field(default_factory=list)


class FaultSettings(BaseModel):
    """``POST /admin/faults``: fields left out keep their value."""

    fail_next: int | None = Field(default=None, ge=0)
    delay_s: float | None = Field(default=None, ge=0)
    drop_after_commit_next: int | None = Field(default=None, ge=0)


# --------------------------------------------------------------------------------------------- helpers

def _booking(row: BookingRow, duplicate: bool = False) -> Booking:
    return Booking(
        booking_id=row.booking_id, seq=row.id or 0, status=row.status,  # type: ignore[arg-type]
        submitted_at=row.submitted_at,  # type: ignore[arg-type]
        requested_date=row.requested_date, user_unit=row.user_unit,  # type: ignore[arg-type]
        contact=row.contact, phone=row.phone, site_address=row.site_address, division_code=row.division_code,
        delivery_mode=row.delivery_mode,  # type: ignore[arg-type]
        instruments=json.loads(row.instruments_json), reason=row.reason,
        planned_date=row.planned_date, decided_by=row.decided_by,  # type: ignore[arg-type]
        decided_at=row.decided_at, duplicate=duplicate)  # type: ignore[arg-type]


def _ack(row: ResultRow, duplicate: bool) -> Ack:
    return Ack(uid=row.uid, platform_id=row.platform_id, received_at=aware(row.received_at), duplicate=duplicate,
               status=row.status)  # type: ignore[arg-type]


def _parse_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(422, "(body)", f"请求体不是有效的 JSON (body is not valid JSON: {exc})") from None


def _validate(model: type[M], data: Any, prefix: str = "") -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError(422, "", "", items=error_items(exc, prefix)) from None


class Platform:
    """The state behind one app: engine, admin token, faults; and the request logic."""

    def __init__(self, database_url: str, admin_token: str) -> None:
        self.engine: Engine = make_engine(database_url)
        self.admin_token = admin_token
        self.faults = Faults()

    # --- auth
    def institution_for(self, authorization: str | None) -> Institution:
        """The institution owning the bearer token, or 401."""
        challenge = {"WWW-Authenticate": "Bearer"}
        if not authorization or not authorization.lower().startswith("bearer "):
            raise ApiError(401, "Authorization", "缺少访问令牌 (missing bearer token)", challenge)
        digest = _hash_token(authorization[7:].strip())
        with Session(self.engine) as s:
            inst = s.exec(select(Institution).join(ApiToken, col(ApiToken.institution_id) == col(Institution.id))
                          .where(ApiToken.token_sha256 == digest)).first()
        if inst is None:
            raise ApiError(401, "Authorization", "访问令牌无效 (invalid token)", challenge)
        return inst

    def check_admin(self, authorization: str | None) -> None:
        """401 unless the admin bearer token is given."""
        expected = f"Bearer {self.admin_token}"
        if not authorization or not secrets.compare_digest(authorization.strip(), expected):
            raise ApiError(401, "Authorization", "管理令牌无效 (invalid admin token)", {"WWW-Authenticate": "Bearer"})

    # --- idempotency
    def idempotent(self, inst: Institution, key: str | None, body: bytes,
                   work: Callable[[Session], tuple[int, BaseModel]]) -> Response:
        """Run ``work`` exactly once per (institution, key), storing its response in the same
        transaction; answer replays from the store. An IntegrityError (a concurrent duplicate) rolls
        back and runs again, which then finds the stored row."""
        if not key or not key.strip() or len(key) > 200:
            raise ApiError(422, IDEMPOTENCY_HEADER, "缺少或无效的幂等键 (missing or invalid Idempotency-Key header)")
        digest = body_sha256(body)
        for _attempt in range(5):
            with Session(self.engine) as s:
                stored = s.exec(select(IdempotencyRecord).where(IdempotencyRecord.institution_id == inst.id,
                                                                IdempotencyRecord.key == key)).first()
                if stored is not None:
                    return self._replay(stored, digest, key)
                try:
                    status, model = work(s)
                    payload = model.model_dump(mode="json")
                    s.add(IdempotencyRecord(institution_id=inst.id or 0, key=key, body_sha256=digest,
                                            status_code=status, response_json=json.dumps(payload, ensure_ascii=False)))
                    s.commit()
                except IntegrityError:
                    s.rollback()
                    continue
                return JSONResponse(payload, status_code=status)
        raise ApiError(503, "(server)", "并发冲突，请重试 (concurrent conflict, retry)")

    @staticmethod
    def _replay(stored: IdempotencyRecord, digest: str, key: str) -> Response:
        if stored.body_sha256 != digest:
            raise ApiError(409, IDEMPOTENCY_HEADER,
                           f"幂等键 {key} 已用于另一个请求体 (Idempotency-Key {key} was used with a different body)")
        payload = json.loads(stored.response_json)
        if isinstance(payload, dict):
            payload["duplicate"] = True
        return JSONResponse(payload, status_code=200, headers={REPLAY_HEADER: "true"})

    # --- results
    def store_result(self, s: Session, inst: Institution, up: ResultUpload) -> tuple[int, Ack]:
        """Insert one result, or answer from the stored one; link and complete its booking."""
        self.check_signature(s, inst, up)
        if up.booking_id is not None:
            booking = s.exec(select(BookingRow).where(BookingRow.booking_id == up.booking_id)).first()
            if booking is None:
                raise ApiError(422, "booking_id", f"未知预约 {up.booking_id} (unknown booking)")
            if booking.institution_id != inst.id:
                raise ApiError(403, "booking_id", f"预约 {up.booking_id} 不属于本机构 (booking of another institution)")
        existing = s.exec(select(ResultRow).where(ResultRow.institution_id == inst.id, ResultRow.uid == up.uid)).first()
        if existing is not None:
            if up.status == "revoked" and existing.status == "issued":
                changed = s.exec(update(ResultRow).where(col(ResultRow.id) == existing.id, col(ResultRow.status) == "issued")
                                 .values(status="revoked", revoked_at=utcnow()))  # type: ignore[call-overload]
                s.refresh(existing)
                return (201, _ack(existing, duplicate=False)) if changed.rowcount else (200, _ack(existing, True))
            return 200, _ack(existing, duplicate=True)
        now = utcnow()
        row = ResultRow(
            institution_id=inst.id or 0, uid=up.uid, certificate_no=up.certificate_no, version=up.version,
            status=up.status, supersedes=up.supersedes, booking_id=up.booking_id, purpose=up.purpose, token=up.token,
            qr_text=up.qr_text,
            key_id=up.key_id, public_key_hex=up.public_key_hex, pdf_sha256=up.pdf_sha256, pdf=up.pdf_bytes,
            record_json=json.dumps(up.record.model_dump(mode="json"), ensure_ascii=False),
            issued_at=up.issued_at.isoformat(), received_at=now, revoked_at=now if up.status == "revoked" else None)
        s.add(row)
        s.flush()  # the unique constraint speaks here (IntegrityError → retried by the caller)
        if up.booking_id is not None:
            s.exec(update(BookingRow).where(col(BookingRow.booking_id) == up.booking_id,  # type: ignore[call-overload]
                                            col(BookingRow.status).in_(("booked", "accepted")))
                   .values(status="completed"))
        return 201, _ack(row, duplicate=False)

    @staticmethod
    def check_signature(s: Session, inst: Institution, up: ResultUpload) -> None:
        """For an institution that registered signing keys: the upload must be signed by one of them,
        its PDF must carry the seal its QR text describes, and the record sent must be the record
        signed. Each failure is a 422 naming the field. An institution with no key registered is
        trusted on its token alone (the platform cannot check what it has no key for)."""
        keys = {k.key_id for k in s.exec(select(InstitutionKey).where(InstitutionKey.institution_id == inst.id))}
        if not keys:
            return
        if up.key_id not in keys:
            raise ApiError(422, "public_key_hex", f"签名密钥 {up.key_id} 未在平台登记 (the signing key is not registered "
                                                  f"for institution {inst.code}; registered: {', '.join(sorted(keys))})")
        check = check_seal(up.pdf_bytes, up.qr_text, bytes.fromhex(up.public_key_hex), number=up.certificate_no,
                           version=up.version)
        problems = list(check.problems)
        signed_record = (check.content or {}).get("record")
        if check.content is not None and (
                not isinstance(signed_record, dict)
                or canonical_bytes(signed_record) != canonical_bytes(up.record.model_dump(mode="json", exclude_unset=True))):
            problems.append(("record", "上传的检定记录与证书所签内容不同 (the record sent is not the record signed)"))
        if problems:
            raise ApiError(422, problems[0][0], problems[0][1],
                           items=[ErrorItem(field=f, message=m) for f, m in problems])

    def store_batch(self, s: Session, inst: Institution, items: list[Any]) -> tuple[int, BatchAck]:
        """Store each valid item (de-duplicated per uid); collect the invalid ones as rejected."""
        out = BatchAck()
        for i, item in enumerate(items):
            uid = item.get("uid") if isinstance(item, dict) else None
            try:
                up = _validate(ResultUpload, item)
                _status, ack = self.store_result(s, inst, up)
            except ApiError as exc:
                out.rejected.append(BatchRejected(uid=uid if isinstance(uid, str) else None, index=i, errors=exc.items))
                continue
            out.acks.append(ack)
        return 200, out

    # --- bookings
    def decide(self, s: Session, inst: Institution, booking_id: str, d: BookingDecision) -> tuple[int, Booking]:
        """Apply a decision to a booked booking; the same decision again is a no-op; another is 409."""
        row = self.booking_of(s, inst, booking_id)
        target = DECISION_STATUS[d.decision]
        if row.status == target or (d.decision == "accept" and row.status == "completed"):
            return 200, _booking(row, duplicate=True)
        if row.status != "booked":
            raise ApiError(409, "decision", f"预约 {booking_id} 已是 {row.status}，不能再 {d.decision} "
                                            f"(booking already {row.status}; conflicting decision)")
        changed = s.exec(update(BookingRow).where(col(BookingRow.id) == row.id,  # type: ignore[call-overload]
                                                  col(BookingRow.status) == "booked")
                         .values(status=target, reason=d.reason, decided_by=d.decided_by,
                                 decided_at=d.decided_at.isoformat(),
                                 planned_date=d.planned_date.isoformat() if d.planned_date else None))
        if not changed.rowcount:  # another request decided it meanwhile
            s.rollback()
            row = self.booking_of(s, inst, booking_id)
            if row.status == target:
                return 200, _booking(row, duplicate=True)
            raise ApiError(409, "decision", f"预约 {booking_id} 已是 {row.status} (booking already {row.status})")
        s.refresh(row)
        return 200, _booking(row)

    @staticmethod
    def booking_of(s: Session, inst: Institution, booking_id: str) -> BookingRow:
        """The booking, 404 if unknown, 403 if another institution's."""
        row = s.exec(select(BookingRow).where(BookingRow.booking_id == booking_id)).first()
        if row is None:
            raise ApiError(404, "booking_id", f"未知预约 {booking_id} (unknown booking)")
        if row.institution_id != inst.id:
            raise ApiError(403, "booking_id", f"预约 {booking_id} 不属于本机构 (booking of another institution)")
        return row

    # --- ledger
    def upsert_ledger(self, s: Session, inst: Institution, body: LedgerUpload) -> tuple[int, LedgerAck]:
        """Insert or update each instrument by (institution, serial)."""
        for item in body.instruments:
            row = s.exec(select(LedgerRow).where(LedgerRow.institution_id == inst.id,
                                                 LedgerRow.serial == item.serial)).first()
            if row is None:
                row = LedgerRow(institution_id=inst.id or 0, serial=item.serial)
            for name, value in item.model_dump().items():
                setattr(row, name, value)
            row.updated_at = utcnow()
            s.add(row)
            s.flush()
        return 200, LedgerAck(accepted=len(body.instruments))

    # --- certificates
    def certificate(self, token: str) -> CertificateStatus | None:
        """The public status of the version with this QR token, derived from every version of its number:
        revoked if that version was revoked, superseded if a higher version (or one naming it in
        ``supersedes``) is held, else valid."""
        with Session(self.engine) as s:
            row = s.exec(select(ResultRow).where(ResultRow.token == token).order_by(col(ResultRow.id))).first()
            if row is None:
                return None
            inst = s.get(Institution, row.institution_id)
            versions = s.exec(select(ResultRow).where(ResultRow.institution_id == row.institution_id,
                                                      ResultRow.certificate_no == row.certificate_no)).all()
        newer = sorted((v for v in versions if v.version > row.version or v.supersedes == row.uid),
                       key=lambda v: v.version)
        status = "revoked" if row.status == "revoked" else ("superseded" if newer else "valid")
        record = RecordPayload.model_validate(json.loads(row.record_json))
        return CertificateStatus(
            token=token, certificate_no=row.certificate_no, version=row.version, uid=row.uid,
            status=status,  # type: ignore[arg-type]
            latest_version=max(v.version for v in versions), kind=record.kind,  # type: ignore[arg-type]
            instrument_name=record.instrument.name, instrument_model=record.instrument.model,
            instrument_serial=record.instrument.serial, conclusion=record.conclusion,
            verified_on=record.verified_on, valid_until=record.valid_until,
            service_life_until=record.service_life_until,
            **({"found_certificate_no": found.certificate_no, "found_valid_until": found.valid_until,
                "found_service_life_until": found.service_life_until, "found_status": found.status}
               if (found := record.as_found) is not None else {}),
            issuer=record.institution.name or (inst.name if inst else ""),
            institution_code=inst.code if inst else "", pdf_sha256=row.pdf_sha256,
            issued_at=row.issued_at,  # type: ignore[arg-type]
            received_at=aware(row.received_at), superseded_by=newer[-1].uid if newer else None)

    def newer_token(self, status: CertificateStatus) -> str | None:
        """The lookup token of the version that superseded this one (for a link on the page)."""
        if status.superseded_by is None:
            return None
        with Session(self.engine) as s:
            row = s.exec(select(ResultRow).where(ResultRow.uid == status.superseded_by)).first()
        return row.token if row is not None else None


# ------------------------------------------------------------------------------------------ the page

_STATE_STYLE = {"valid": ("有效", "VALID", "#1b7f3b"), "superseded": ("已被替代", "SUPERSEDED", "#b36b00"),
                "revoked": ("已撤销", "REVOKED", "#b00020")}


def render_page(st: CertificateStatus, newer_token: str | None) -> str:
    """The public lookup page for one certificate version: Chinese first, English beside it."""
    zh, en, colour = _STATE_STYLE[st.status]
    e = html.escape
    kind = {"certificate": "检定证书 (verification certificate)", "notice": "检定结果通知书 (notice of failure)",
            "inspection": "使用中检查结果通知书 (result of an in-service inspection: it renews no validity)"}[st.kind]
    note = {"valid": "本证书为该编号的现行版本。 (This is the current version of this certificate.)",
            "superseded": f"本版本已被第 {st.latest_version} 版替代，请以新版本为准。 "
                          f"(This version was superseded by version {st.latest_version}.)",
            "revoked": "本证书已被签发机构撤销，不再有效。 (The issuer has revoked this certificate.)"}[st.status]
    link = (f'<p><a href="/c/{e(newer_token)}">查看现行版本 (view the current version)</a></p>'
            if newer_token and st.status == "superseded" else "")
    rows = [("证书编号 (certificate no.)", st.certificate_no), ("版本 (version)", str(st.version)),
            ("文书类型 (document)", kind), ("器具名称 (instrument)", st.instrument_name),
            ("型号规格 (model)", st.instrument_model), ("出厂编号 (serial no.)", st.instrument_serial),
            ("检定结论 (conclusion)", st.conclusion), ("检定日期 (verified on)", st.verified_on.isoformat())]
    if st.kind == "inspection":
        found = (f"使用期限至 {st.found_service_life_until.isoformat()}" if st.found_service_life_until
                 else f"有效期至 {st.found_valid_until.isoformat()}" if st.found_valid_until else "—")
        rows[-2:] = [("检查结论 (conclusion)", st.conclusion), ("检查日期 (inspected on)", st.verified_on.isoformat()),
                     ("所持检定证书 (certificate held)", st.found_certificate_no or "—"),
                     ("证书有效期（检查时） (validity as found)", f"{found}；{st.found_status}" if st.found_status else found)]
    elif st.service_life_until:
        rows.append(("使用期限至 (service life until, replaced when due)", st.service_life_until.isoformat()))
    else:
        rows.append(("有效期至 (valid until)", st.valid_until.isoformat() if st.valid_until else "—"))
    rows += [("签发机构 (issuer)", st.issuer), ("PDF SHA-256", st.pdf_sha256)]
    body = "\n".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in rows)
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>证书查询 {e(st.certificate_no)} — {zh}</title>
<style>body{{font-family:sans-serif;max-width:40em;margin:1em auto;padding:0 1em}}
.state{{color:#fff;background:{colour};padding:.6em 1em;font-size:1.4em;border-radius:.3em}}
th{{text-align:left;padding-right:1em;vertical-align:top}}td{{word-break:break-all}}</style></head>
<body><h1>计量检定证书查询 (certificate lookup)</h1>
<p class="state" id="status" data-status="{st.status}">状态：{zh} ({en})</p>
<p>{e(note)}</p>{link}
<table>{body}</table>
<div id="qr" data-number="{e(st.certificate_no)}" data-version="{st.version}" data-serial="{e(st.instrument_serial)}"></div>
{FRAGMENT_SCRIPT}</body></html>
"""


FRAGMENT_SCRIPT = """<script>
/* The part of the scanned URL after '#' never reaches this server: it is the certificate's signed
   claim (sync/API.md §5.7). Shown here beside the platform's record, and compared with it. */
(function () {
  var h = window.location.hash, box = document.getElementById("qr");
  if (!box || h.indexOf("#JDQ1;") !== 0) { return; }
  var f = {}, parts = h.slice(1).split(";");
  for (var i = 1; i < parts.length; i++) {
    var kv = parts[i].split("=");
    try { f[kv[0]] = decodeURIComponent(kv.slice(1).join("=")); } catch (err) { f[kv[0]] = kv[1]; }
  }
  var same = f.n === box.getAttribute("data-number") && f.v === box.getAttribute("data-version")
    && f.s === box.getAttribute("data-serial");
  var p = document.createElement("p");
  p.textContent = "二维码所载 (carried by the QR code): " + f.n + " 第 " + f.v + " 版, 出厂编号 (serial) " + f.s
    + ", 结论 (conclusion) " + (f.c === "P" ? "合格" : "不合格") + ", 检定日期 " + f.d
    + (f.u ? ", 有效期至 " + f.u : f.l ? ", 使用期限至 " + f.l : "") + " — "
    + (same ? "与平台记录一致 (matches the platform's record)"
            : "与平台记录不符，请联系签发机构 (differs from the platform's record: contact the issuer)");
  p.style.color = same ? "#1b7f3b" : "#b00020";
  box.appendChild(p);
})();
</script>"""


def _not_found_page(token: str) -> str:
    return (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>未找到证书</title></head>'
            f"<body><h1>未找到该证书 (certificate not found)</h1><p>查询码 (token): {html.escape(token)}</p>"
            f"<p>请核对二维码，或联系签发机构。 (Check the QR code or contact the issuer.)</p></body></html>")


# -------------------------------------------------------------------------------------------- the app

def create_app(database_url: str, admin_token: str) -> FastAPI:
    """The reference platform as an ASGI app over ``database_url`` (tables created if missing).

    ``app.state.platform`` holds the :class:`Platform` (engine, faults). The returned app is wrapped
    by the fault injector (``app.state.asgi``) — serve ``app.state.asgi`` to have faults applied;
    :class:`~hardware_sim.platform.server.PlatformServer` does."""
    platform = Platform(database_url, admin_token)
    app = FastAPI(title="Jianding reference platform", version="1", docs_url="/docs", redoc_url=None)
    app.state.platform = platform
    app.state.asgi = FaultInjector(app, platform.faults)

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return exc.response()

    @app.exception_handler(RequestValidationError)
    async def _request_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        items = []
        for err in exc.errors():
            loc = [str(p) for p in err.get("loc", ()) if p not in ("query", "path", "header", "body")]
            items.append(ErrorItem(field=".".join(loc) or "(request)", message=f"取值无效 ({err.get('msg', '')})"))
        return JSONResponse(ErrorBody(errors=items).model_dump(), status_code=422)

    async def body_of(request: Request) -> bytes:
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            raise ApiError(413, "(body)", "请求体过大 (body too large)")
        return body

    async def in_thread(fn: Callable[..., T], *args: Any) -> T:
        return await run_in_threadpool(fn, *args)

    def auth(request: Request) -> Awaitable[Institution]:
        return in_thread(platform.institution_for, request.headers.get("authorization"))

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "api": "v1"}

    @app.post("/api/v1/results")
    async def post_result(request: Request) -> Response:
        inst = await auth(request)
        body = await body_of(request)
        up = _validate(ResultUpload, _parse_json(body))
        return await in_thread(platform.idempotent, inst, request.headers.get(IDEMPOTENCY_HEADER), body,
                               lambda s: platform.store_result(s, inst, up))

    @app.post("/api/v1/results:batch")
    async def post_batch(request: Request) -> Response:
        inst = await auth(request)
        body = await body_of(request)
        data = _parse_json(body)
        if not isinstance(data, dict) or not isinstance(data.get("items"), list):
            raise ApiError(422, "items", "应为数组 (items must be an array of results)")
        items = data["items"]
        if not 1 <= len(items) <= 500:
            raise ApiError(422, "items", "每批 1–500 条 (a batch holds 1 to 500 items)")
        return await in_thread(platform.idempotent, inst, request.headers.get(IDEMPOTENCY_HEADER), body,
                               lambda s: platform.store_batch(s, inst, items))

    @app.post("/api/v1/ledger")
    async def post_ledger(request: Request) -> Response:
        inst = await auth(request)
        body = await body_of(request)
        ledger = _validate(LedgerUpload, _parse_json(body))
        return await in_thread(platform.idempotent, inst, request.headers.get(IDEMPOTENCY_HEADER), body,
                               lambda s: platform.upsert_ledger(s, inst, ledger))

    @app.get("/api/v1/bookings")
    async def get_bookings(request: Request, status: str | None = None, after_seq: int = Query(0, ge=0),
                           limit: int = Query(100, ge=1, le=1000)) -> Response:
        inst = await auth(request)
        if status is not None and status not in ("booked", "accepted", "refused", "reassign_requested", "completed"):
            raise ApiError(422, "status", f"未知状态 {status} (unknown status)")

        def work() -> list[dict[str, Any]]:
            with Session(platform.engine) as s:
                q = select(BookingRow).where(BookingRow.institution_id == inst.id, col(BookingRow.id) > after_seq)
                if status is not None:
                    q = q.where(BookingRow.status == status)
                rows = s.exec(q.order_by(col(BookingRow.id)).limit(limit)).all()
                return [_booking(r).model_dump(mode="json") for r in rows]

        return JSONResponse(await in_thread(work))

    @app.get("/api/v1/bookings/{booking_id}")
    async def get_booking(request: Request, booking_id: str) -> Response:
        inst = await auth(request)

        def work() -> dict[str, Any]:
            with Session(platform.engine) as s:
                return _booking(platform.booking_of(s, inst, booking_id)).model_dump(mode="json")

        return JSONResponse(await in_thread(work))

    @app.post("/api/v1/bookings/{booking_id}/decision")
    async def post_decision(request: Request, booking_id: str) -> Response:
        inst = await auth(request)
        body = await body_of(request)
        decision = _validate(BookingDecision, _parse_json(body))

        def check() -> None:
            with Session(platform.engine) as s:
                platform.booking_of(s, inst, booking_id)

        await in_thread(check)  # 404/403 before the idempotency store sees the key
        return await in_thread(platform.idempotent, inst, request.headers.get(IDEMPOTENCY_HEADER), body,
                               lambda s: platform.decide(s, inst, booking_id, decision))

    @app.post("/api/v1/rectifications")
    async def post_rectification(request: Request) -> Response:
        inst = await auth(request)
        body = await body_of(request)
        up = _validate(RectificationUpload, _parse_json(body))

        def work(s: Session) -> tuple[int, BaseModel]:
            try:
                return store_step(s, inst.id or 0, up)
            except RectificationConflict as exc:
                raise ApiError(409, exc.field, str(exc)) from None

        return await in_thread(platform.idempotent, inst, request.headers.get(IDEMPOTENCY_HEADER), body, work)

    @app.get("/api/v1/rectifications")
    async def get_rectifications(request: Request, status: str | None = None, user_unit: str | None = None) -> Response:
        inst = await auth(request)
        if status is not None and status not in STATUSES:
            raise ApiError(422, "status", f"未知状态 {status} (unknown status; one of {', '.join(STATUSES)})")

        def work() -> list[dict[str, Any]]:
            with Session(platform.engine) as s:
                return [r.model_dump(mode="json") for r in list_items(s, inst.id or 0, status=status,
                                                                       user_unit=user_unit)]

        return JSONResponse(await in_thread(work))

    @app.get("/api/v1/certificates/{token}")
    async def get_certificate(token: str) -> Response:
        st = await in_thread(platform.certificate, token)
        if st is None:
            raise ApiError(404, "token", "未找到该证书 (certificate not found)")
        return JSONResponse(st.model_dump(mode="json"))

    @app.get("/c/{token}", response_class=HTMLResponse)
    async def certificate_page(token: str) -> Response:
        st = await in_thread(platform.certificate, token)
        if st is None:
            return HTMLResponse(_not_found_page(token), status_code=404)
        newer = await in_thread(platform.newer_token, st)
        return HTMLResponse(render_page(st, newer))

    # --- reference-server-only administration (see sync/API.md, "Reference server only")
    @app.post("/admin/institutions/{code}/keys", status_code=201)
    async def admin_institution_key(request: Request, code: str, body: NewKey) -> Response:
        platform.check_admin(request.headers.get("authorization"))

        def work() -> tuple[int, dict[str, str]]:
            kid = key_id_of(body.public_key_hex)
            with Session(platform.engine) as s:
                inst = s.exec(select(Institution).where(Institution.code == code)).first()
                if inst is None:
                    raise ApiError(404, "code", f"未知机构 {code} (unknown institution)")
                known = s.exec(select(InstitutionKey).where(InstitutionKey.institution_id == inst.id,
                                                            InstitutionKey.key_id == kid)).first()
                if known is None:
                    s.add(InstitutionKey(institution_id=inst.id or 0, key_id=kid, public_key_hex=body.public_key_hex))
                    s.commit()
            return (201 if known is None else 200), {"institution_code": code, "key_id": kid}

        status, payload = await in_thread(work)
        return JSONResponse(payload, status_code=status)

    @app.post("/admin/institutions", status_code=201)
    async def admin_institution(request: Request, body: NewInstitution) -> Response:
        platform.check_admin(request.headers.get("authorization"))

        def work() -> tuple[int, dict[str, str]]:
            token = body.token or secrets.token_urlsafe(32)
            with Session(platform.engine) as s:
                inst = s.exec(select(Institution).where(Institution.code == body.code)).first()
                status = 200 if inst is not None else 201
                if inst is None:
                    inst = Institution(code=body.code, name=body.name)
                    s.add(inst)
                    s.flush()
                s.add(ApiToken(institution_id=inst.id or 0, token_sha256=_hash_token(token)))
                s.commit()
            return status, {"institution_code": body.code, "token": token}

        try:
            status, payload = await in_thread(work)
        except IntegrityError:
            raise ApiError(409, "code", "机构或令牌已存在 (institution or token exists)") from None
        return JSONResponse(payload, status_code=status)

    @app.post("/admin/bookings", status_code=201)
    async def admin_booking(request: Request, body: NewBooking) -> Response:
        platform.check_admin(request.headers.get("authorization"))

        def work() -> dict[str, Any]:
            with Session(platform.engine) as s:
                inst = s.exec(select(Institution).where(Institution.code == body.institution_code)).first()
                if inst is None:
                    raise ApiError(422, "institution_code", f"未知机构 {body.institution_code} (unknown institution)")
                row = BookingRow(
                    booking_id="pending-" + secrets.token_hex(8), institution_id=inst.id or 0,
                    submitted_at=body.submitted_at or utcnow().isoformat(),
                    requested_date=body.requested_date.isoformat() if body.requested_date else None,
                    user_unit=body.user_unit, contact=body.contact, phone=body.phone, site_address=body.site_address,
                    division_code=body.division_code, delivery_mode=body.delivery_mode,
                    instruments_json=json.dumps([i.model_dump() for i in body.instruments], ensure_ascii=False))
                s.add(row)
                s.flush()
                row.booking_id = f"BK{row.id:08d}"
                s.add(row)
                s.commit()
                s.refresh(row)
                return _booking(row).model_dump(mode="json")

        return JSONResponse(await in_thread(work), status_code=201)

    @app.get("/admin/results/count")
    async def admin_count(request: Request, institution_code: str | None = None) -> dict[str, int]:
        platform.check_admin(request.headers.get("authorization"))

        def work() -> dict[str, int]:
            with Session(platform.engine) as s:
                q = select(func.count(col(ResultRow.id)), func.count(func.distinct(col(ResultRow.uid))))
                if institution_code is not None:
                    q = q.join(Institution, col(Institution.id) == col(ResultRow.institution_id)).where(
                        Institution.code == institution_code)
                count, distinct = s.exec(q).one()
            return {"count": int(count), "distinct_uids": int(distinct)}

        return await in_thread(work)

    @app.get("/admin/results")
    async def admin_results(request: Request, institution_code: str | None = None) -> list[dict[str, Any]]:
        platform.check_admin(request.headers.get("authorization"))

        def work() -> list[dict[str, Any]]:
            with Session(platform.engine) as s:
                q = select(ResultRow, Institution.code).join(Institution, col(Institution.id) == col(ResultRow.institution_id))
                if institution_code is not None:
                    q = q.where(Institution.code == institution_code)
                return [{"institution_code": code, "uid": r.uid, "status": r.status, "platform_id": r.platform_id,
                         "received_at": aware(r.received_at).isoformat(), "booking_id": r.booking_id,
                         "purpose": r.purpose}
                        for r, code in s.exec(q.order_by(col(ResultRow.id))).all()]

        return await in_thread(work)

    @app.get("/admin/faults")
    async def admin_get_faults(request: Request) -> dict[str, Any]:
        platform.check_admin(request.headers.get("authorization"))
        return asdict(platform.faults)

    @app.post("/admin/faults")
    async def admin_faults(request: Request, body: FaultSettings) -> dict[str, Any]:
        platform.check_admin(request.headers.get("authorization"))
        injector: FaultInjector = app.state.asgi
        with injector.lock:
            for name, value in body.model_dump(exclude_none=True).items():
                setattr(platform.faults, name, value)
        return asdict(platform.faults)

    return app
