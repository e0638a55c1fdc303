"""The management platform's HTTP client (API v1, sync/API.md) over httpx.

Every call has a deadline (``timeout_s``: connect, read, write and pool); every POST carries the
``Idempotency-Key`` the caller gives (the outbox item's stable key), so a request repeated after a
timeout or a dropped connection is answered once by the platform. Failures come back typed
(sync.errors): unreachable, timed out or 5xx → :class:`PlatformUnavailable`; 401 →
:class:`PlatformAuthFailed`; other 4xx → :class:`PlatformRejected` with the platform's field errors.
Bodies are sent as canonical JSON (sorted keys, no whitespace), so the same payload is always the
same bytes and the platform's "same key, same body" check holds across retries and restarts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

import httpx
from pydantic import BaseModel

from sync.errors import FieldError, PlatformAuthFailed, PlatformRejected, PlatformUnavailable
from sync.schemas import (
    SCHEMA_VERSION,
    Ack,
    BatchAck,
    Booking,
    CertificateStatus,
    RectificationAck,
    RectificationState,
)

API = "/api/v1"
RETRY_STATUSES = frozenset({408, 425, 429})
"""4xx statuses that mean "not now" rather than "not this": retried like a 5xx."""


def canonical_json(payload: Any) -> bytes:
    """The body bytes of a payload: sorted keys, no whitespace, UTF-8 (the same payload always
    gives the same bytes, whatever process sends it)."""
    if isinstance(payload, BaseModel):
        payload = payload.model_dump(mode="json")
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def field_errors(body: Any) -> tuple[FieldError, ...]:
    """The field errors of an error body: ours (``{"errors": [{"field", "message"}]}``) or a
    framework's (``{"detail": [{"loc": [...], "msg": ...}]}`` / ``{"detail": "..."}``)."""
    if not isinstance(body, dict):
        return ()
    out: list[FieldError] = []
    for e in body.get("errors") or []:
        if isinstance(e, dict):
            out.append(FieldError(str(e.get("field", "")), str(e.get("message", ""))))
    detail = body.get("detail")
    if isinstance(detail, str):
        out.append(FieldError("", detail))
    elif isinstance(detail, list):
        for e in detail:
            if isinstance(e, dict):
                loc = [str(p) for p in e.get("loc", ()) if p != "body"]
                out.append(FieldError(".".join(loc), str(e.get("msg", ""))))
    return tuple(out)


class PlatformClient:
    """A connection to one platform as one institution (its bearer token)."""

    def __init__(self, base_url: str, token: str, timeout_s: float = 10.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self._http = httpx.Client(base_url=self.base_url, timeout=httpx.Timeout(timeout_s), transport=transport,
                                  headers={"Authorization": f"Bearer {token}", "Accept": "application/json",
                                           "User-Agent": "jianding-sync/1"})

    # -- lifecycle ----------------------------------------------------------------------------------
    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> PlatformClient:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- the API ------------------------------------------------------------------------------------
    def post_result(self, upload: BaseModel | Mapping[str, Any], key: str) -> Ack:
        """``POST /results``: one certificate version (or its revocation); the platform's Ack
        (``duplicate`` true when it already held this key with this body)."""
        return Ack.model_validate(self._request("POST", f"{API}/results", upload, key))

    def post_results_batch(self, uploads: Sequence[BaseModel | Mapping[str, Any]], key: str) -> BatchAck:
        """``POST /results:batch``: many results in one request (one key for the batch; the platform
        also de-duplicates by each item's uid); an Ack per accepted item, errors per refused one."""
        items = [u.model_dump(mode="json") if isinstance(u, BaseModel) else dict(u) for u in uploads]
        return BatchAck.model_validate(self._request("POST", f"{API}/results:batch", {"schema_version": SCHEMA_VERSION, "items": items}, key))

    def post_ledger(self, upload: BaseModel | Mapping[str, Any], key: str) -> dict[str, Any]:
        """``POST /ledger``: upsert instruments of the institution's ledger; ``{"accepted": n}``."""
        body = self._request("POST", f"{API}/ledger", upload, key)
        return dict(body) if isinstance(body, dict) else {"accepted": body}

    def get_bookings(self, *, status: str | None = "booked", after_seq: int = 0, limit: int = 100) -> list[Booking]:
        """``GET /bookings``: the institution's bookings with ``seq > after_seq`` in booking order
        (先约先检), at most ``limit``."""
        params: dict[str, Any] = {"after_seq": after_seq, "limit": limit}
        if status:
            params["status"] = status
        body = self._request("GET", f"{API}/bookings", None, None, params=params)
        rows = body.get("bookings", body.get("items", [])) if isinstance(body, dict) else body
        return [Booking.model_validate(b) for b in rows]

    def post_decision(self, booking_id: str, decision: BaseModel | Mapping[str, Any], key: str) -> Booking:
        """``POST /bookings/{id}/decision``: 受理 (accept), 不予受理 (refuse) or 申请重新指派
        (reassign); the booking with its new status."""
        return Booking.model_validate(self._request("POST", f"{API}/bookings/{booking_id}/decision", decision, key))

    def post_rectification(self, upload: BaseModel | Mapping[str, Any], key: str) -> RectificationAck:
        """``POST /rectifications``: one step of a rectification item (整改); the item's status the
        platform now holds (``duplicate`` when it already held this step)."""
        return RectificationAck.model_validate(self._request("POST", f"{API}/rectifications", upload, key))

    def get_rectifications(self, *, status: str | None = None, user_unit: str | None = None) -> list[RectificationState]:
        """``GET /rectifications``: the institution's rectification items as the platform holds them
        (``status``: open, overdue, rectified, closed, withdrawn)."""
        params = {k: v for k, v in (("status", status), ("user_unit", user_unit)) if v}
        body = self._request("GET", f"{API}/rectifications", None, None, params=params)
        return [RectificationState.model_validate(r) for r in body]

    def certificate_status(self, token: str) -> CertificateStatus:
        """``GET /certificates/{token}`` (public): valid, superseded or revoked."""
        return CertificateStatus.model_validate(self._request("GET", f"{API}/certificates/{token}", None, None))

    # -- plumbing -----------------------------------------------------------------------------------
    def _request(self, method: str, path: str, payload: Any, key: str | None,
                 params: Mapping[str, Any] | None = None) -> Any:
        headers: dict[str, str] = {}
        content: bytes | None = None
        if payload is not None:
            content = canonical_json(payload)
            headers["Content-Type"] = "application/json"
        if key is not None:
            headers["Idempotency-Key"] = key
        where = f"{method} {self.base_url}{path}"
        try:
            resp = self._http.request(method, path, content=content, headers=headers, params=params)
        except httpx.TimeoutException as e:
            raise PlatformUnavailable(f"平台无应答，超时 {self.timeout_s:g} s (platform timed out: {where}: "
                                      f"{type(e).__name__})") from e
        except httpx.TransportError as e:
            raise PlatformUnavailable(f"无法连接平台 (platform unreachable: {where}: {type(e).__name__}: {e})") from e
        try:
            body = resp.json() if resp.content else None
        except ValueError:
            body = None
        status = resp.status_code
        if 200 <= status < 300:
            if body is None:
                raise PlatformUnavailable(f"平台应答不是 JSON (platform answered {status} without JSON: {where})",
                                          status)
            return body
        if status == 401:
            raise PlatformAuthFailed(f"平台拒绝令牌，请检查 [platform] token (platform refused the token: {where})",
                                     status)
        if status >= 500 or status in RETRY_STATUSES:
            raise PlatformUnavailable(f"平台暂时不可用 HTTP {status} (platform unavailable: {where})", status)
        errors = field_errors(body)
        what = {403: "无权操作 (forbidden)", 404: "不存在 (not found)", 409: "冲突 (conflict)",
                422: "数据校验未通过 (validation failed)"}.get(status, "被拒绝 (rejected)")
        raise PlatformRejected(f"平台{what}: {where}", status, errors)
