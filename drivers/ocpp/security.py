"""Security of the workstation's CSMS endpoint: HTTP Basic credentials per charge point and TLS.

OCPP defines three security profiles for the charger ↔ CSMS link (OCPP 1.6 Security Whitepaper
edition 3 §2.1–2.3, OCPP 2.0.1 Part 2 §A00 "Security profiles" and A00.FR.201…A00.FR.4xx):

* **profile 1** — unsecured transport (``ws://``) with HTTP Basic authentication: the charge point
  sends ``Authorization: Basic base64(<chargePointId>:<password>)`` in its WebSocket handshake; the
  username **is** the charge point identity (the last path segment of the URL), the password is the
  charger's ``AuthorizationKey`` (1.6) / ``SecurityCtrlr.BasicAuthPassword`` (2.0.1). A CSMS refuses
  wrong credentials with HTTP 401. Only for trusted networks (the whitepaper's own warning) — fine
  on the isolated verification bench, not across the Internet;
* **profile 2** — TLS (``wss://``, TLS 1.2 or newer) with a CSMS server certificate the charger
  verifies, *plus* Basic authentication as in profile 1;
* **profile 3** — TLS with client certificates (not implemented here; a verification bench does not
  run a charger PKI).

``0`` stands for "no security" (plain ``ws://``, no credentials), the factory setting of many
posts and the usual on-site bench configuration.

This module is pure (no sockets): it builds the server's :class:`ssl.SSLContext`, loads the
per-charger credentials from the station file, and checks an ``Authorization`` header with a
constant-time password comparison (:func:`hmac.compare_digest`), so that a wrong password takes as
long to refuse whether it differs in the first or the last character.

Station-file keys (the charger's ``[devices.<name>]`` section, read by :meth:`CsmsSecurity.from_config`)::

    security_profile = 2                 # 0 | 1 | 2; inferred from the keys below when absent
    credentials = { CP001 = "0123456789abcdef0123" }   # charge point id → password
    credentials_file = "/etc/jianding/ocpp-credentials.toml"  # or JSON; same table (or [credentials])
    tls_cert = "/etc/jianding/csms-cert.pem"   # server certificate chain (PEM), profile 2
    tls_key = "/etc/jianding/csms-key.pem"     # its private key (PEM)
    tls_key_password = "…"                     # optional
    ca_cert = "/etc/jianding/ca.pem"           # the CA the post (or the twin) trusts; not used by the server
"""

from __future__ import annotations

import hmac
import json
import logging
import ssl
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from websockets.exceptions import InvalidHeader
from websockets.headers import parse_authorization_basic

LOG = logging.getLogger(__name__)

SECURITY_PROFILES = (0, 1, 2)

# OCPP 2.0.1 Part 2 SecurityCtrlr.BasicAuthPassword is a passwordString of 16…40 characters; the 1.6
# Security Whitepaper §2.1 asks for an AuthorizationKey of at least 16 bytes. Shorter ones are
# accepted (a post's factory key is what it is) but logged.
MIN_PASSWORD_LENGTH = 16


@dataclass(frozen=True)
class AuthResult:
    """Outcome of checking one handshake's credentials; ``reason`` is the operator-facing text of a
    refusal (never containing the password)."""

    ok: bool
    reason: str = ""
    username: str | None = None


def passwords_match(expected: str, given: str) -> bool:
    """Constant-time comparison of two passwords (UTF-8 bytes, :func:`hmac.compare_digest`)."""
    return hmac.compare_digest(expected.encode("utf-8", "surrogateescape"), given.encode("utf-8", "surrogateescape"))


def check_basic_auth(credentials: Mapping[str, str], cp_id: str, authorization: str | None) -> AuthResult:
    """Check the ``Authorization`` header of the WebSocket handshake of charge point ``cp_id``
    against ``credentials`` (charge point id → password).

    Per OCPP 1.6 Security Whitepaper §2.1 and OCPP 2.0.1 A00.FR.203/204 the username must be the
    charge point's identity — the id in the URL — so one post cannot log in under another's name.
    An unknown charge point is refused after the same constant-time comparison as a known one, so
    that timing does not reveal which ids exist.
    """
    if not authorization:
        return AuthResult(False, "缺少认证信息 (no HTTP Basic credentials sent — set the post's password)")
    try:
        username, password = parse_authorization_basic(authorization)
    except InvalidHeader:
        return AuthResult(False, "认证头格式错误 (malformed or non-Basic Authorization header)")
    expected = credentials.get(cp_id)
    match = passwords_match(expected if expected is not None else "\x00" * max(len(password), 1), password)
    if username != cp_id:
        return AuthResult(
            False,
            f"用户名与充电桩编号不符 (username {username!r} is not the charge point id {cp_id!r})",
            username,
        )
    if expected is None:
        return AuthResult(False, f"未登记的充电桩 (unknown charge point {cp_id!r}: no password configured)", username)
    if not match:
        return AuthResult(False, "密码错误 (wrong password)", username)
    return AuthResult(True, "", username)


def server_ssl_context(
    cert_file: str | Path, key_file: str | Path | None = None, *, key_password: str | None = None
) -> ssl.SSLContext:
    """The CSMS's TLS context for security profile 2: server certificate chain and key (PEM),
    TLS 1.2 minimum (OCPP 1.6 Security Whitepaper §2.2 / OCPP 2.0.1 A00.FR.310: "TLS v1.2 or
    above"), no client certificate requested (that is profile 3). Raises ``ValueError`` naming the
    file when the certificate or key cannot be loaded."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        ctx.load_cert_chain(str(cert_file), None if key_file is None else str(key_file), password=key_password)
    except (OSError, ssl.SSLError) as exc:
        raise ValueError(f"cannot load TLS certificate {cert_file} / key {key_file}: {exc}") from exc
    return ctx


def client_ssl_context(ca_file: str | Path | None = None) -> ssl.SSLContext:
    """A charger-side TLS context that trusts ``ca_file`` (PEM; the system store when ``None``),
    verifies the server's host name and requires TLS 1.2 — what a post does in profile 2."""
    ctx = ssl.create_default_context(cafile=None if ca_file is None else str(ca_file))
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def _resolve(path: str | Path, base_dir: str | Path | None) -> Path:
    p = Path(path).expanduser()
    return p if p.is_absolute() or base_dir is None else Path(base_dir) / p


def load_credentials(
    credentials: Mapping[str, Any] | None = None,
    credentials_file: str | Path | None = None,
    *,
    base_dir: str | Path | None = None,
) -> dict[str, str]:
    """Charge point id → password, from an inline table and/or a TOML or JSON file (a top-level
    table, or one under ``credentials``); inline entries win. A relative file name is taken
    relative to ``base_dir`` (the current directory when ``None``). Raises ``ValueError`` naming
    the file or the entry that is wrong."""
    merged: dict[str, str] = {}
    if credentials_file is not None:
        path = _resolve(credentials_file, base_dir)
        try:
            text = path.read_text("utf-8")
            data: Any = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
        except (OSError, ValueError) as exc:
            raise ValueError(f"credentials_file {path}: {exc}") from exc
        if isinstance(data, dict) and isinstance(data.get("credentials"), dict):
            data = data["credentials"]
        if not isinstance(data, dict):
            raise ValueError(f"credentials_file {path}: expected a table charge point id → password")
        merged.update(_checked(data, str(path)))
    if credentials is not None:
        if not isinstance(credentials, Mapping):
            raise ValueError("credentials must be a table charge point id → password")
        merged.update(_checked(credentials, "credentials"))
    return merged


def _checked(table: Mapping[str, Any], where: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for cp_id, password in table.items():
        if not isinstance(password, str) or not password:
            raise ValueError(f"{where}: password of {cp_id!r} must be a non-empty string")
        if len(password) < MIN_PASSWORD_LENGTH:
            LOG.warning(
                "%s: password of %s is shorter than %d characters (OCPP 2.0.1 BasicAuthPassword, "
                "1.6 Security Whitepaper AuthorizationKey)",
                where,
                cp_id,
                MIN_PASSWORD_LENGTH,
            )
        out[str(cp_id)] = password
    return out


@dataclass(frozen=True)
class CsmsSecurity:
    """What the CSMS enforces: the profile, the credentials table (``None`` = no authentication)
    and the server TLS context (``None`` = plain ``ws://``)."""

    profile: int = 0
    credentials: Mapping[str, str] | None = None
    ssl_context: ssl.SSLContext | None = None

    @property
    def scheme(self) -> str:
        """``wss`` with TLS, else ``ws``."""
        return "wss" if self.ssl_context is not None else "ws"

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any], *, base_dir: str | Path | None = None) -> CsmsSecurity:
        """Read the security keys of a station-file section (see the module docstring).

        ``security_profile`` defaults to what the keys imply (TLS certificate → 2, credentials →
        1, else 0). Contradictions are errors, not silent downgrades: profile 1 and 2 need
        credentials, profile 2 needs ``tls_cert``/``tls_key``, profile 0 and 1 must not name a
        server certificate, profile 0 must not name credentials. Raises ``ValueError``."""
        has_tls = bool(cfg.get("tls_cert") or cfg.get("tls_key"))
        has_creds = cfg.get("credentials") is not None or cfg.get("credentials_file") is not None
        raw_profile = cfg.get("security_profile")
        if raw_profile is None:
            profile = 2 if has_tls else 1 if has_creds else 0
        else:
            try:
                profile = int(raw_profile)
            except (TypeError, ValueError):
                raise ValueError(f"security_profile must be 0, 1 or 2, not {raw_profile!r}") from None
        if profile not in SECURITY_PROFILES:
            raise ValueError(
                f"security_profile {profile} is not supported (0 = none, 1 = Basic auth, 2 = TLS + Basic auth; "
                "profile 3, client certificates, is not implemented)"
            )
        if profile == 0:
            if has_creds or has_tls:
                raise ValueError(
                    "security_profile = 0 but credentials or a TLS certificate are configured — "
                    "set security_profile = 1 (Basic auth) or 2 (TLS + Basic auth)"
                )
            return cls(0)
        creds = load_credentials(cfg.get("credentials"), cfg.get("credentials_file"), base_dir=base_dir)
        if not creds:
            raise ValueError(
                f"security_profile = {profile} needs credentials (charge point id → password) or credentials_file"
            )
        if profile == 1:
            if has_tls:
                raise ValueError("tls_cert/tls_key are configured but security_profile = 1 — use 2 for TLS")
            LOG.warning(
                "OCPP security profile 1: Basic-auth passwords cross the network unencrypted "
                "(OCPP 1.6 Security Whitepaper §2.1: trusted networks only)"
            )
            return cls(1, creds)
        cert, key = cfg.get("tls_cert"), cfg.get("tls_key")
        if not cert or not key:
            raise ValueError("security_profile = 2 needs tls_cert and tls_key (PEM files of the CSMS certificate)")
        ctx = server_ssl_context(
            _resolve(cert, base_dir), _resolve(key, base_dir), key_password=cfg.get("tls_key_password")
        )
        return cls(2, creds, ctx)
