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
posts. Anyone who knows the post's charge point id (it is printed on the post) can connect as the
post and feed a verification with its own numbers, so on a real site it is **not** the default:
:meth:`CsmsSecurity.from_config` refuses a section with no security keys, and profile 0 must be
asked for twice — ``security_profile = 0`` *and* ``accept_unsecured = true`` — and then carries an
operator-facing :attr:`CsmsSecurity.warning` that the workstation shows on every run. Only a
simulated station (``simulated=True``: the post is a twin on loopback) defaults to profile 0, silently.

This module is pure (no sockets): it builds the server's :class:`ssl.SSLContext`, loads the
per-charger credentials from the station file, and checks an ``Authorization`` header with a
constant-time password comparison (:func:`hmac.compare_digest`), so that a wrong password takes as
long to refuse whether it differs in the first or the last character. Passwords never appear in a
message or a log line. Their length limits (16–40 characters) and the 2.0.1 character set are data,
with their source: ``security_limits.toml`` beside this module.

Station-file keys (the charger's ``[devices.<name>]`` section, read by :meth:`CsmsSecurity.from_config`)::

    security_profile = 2                 # 0 | 1 | 2; inferred from the keys below when absent
    credentials_file = "ocpp-credentials.toml"  # TOML or JSON: charge point id → password (or under [credentials])
    credentials = { CP001 = "0123456789abcdef0123" }   # inline (not kept with the run; see docs)
    tls_cert = "/etc/jianding/csms-cert.pem"   # server certificate chain (PEM), profile 2
    tls_key = "/etc/jianding/csms-key.pem"     # its private key (PEM)
    tls_key_password = "…"                     # optional
    ca_cert = "/etc/jianding/ca.pem"           # the CA the post (or the twin) trusts; not used by the server
    accept_unsecured = true                    # only with security_profile = 0: the acknowledgement
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

LIMITS_FILE = Path(__file__).with_name("security_limits.toml")


def _password_limits() -> dict[str, Any]:
    """The [password] table of ``security_limits.toml`` (lengths, character set, their source)."""
    with LIMITS_FILE.open("rb") as f:
        return dict(tomllib.load(f)["password"])


PASSWORD_LIMITS = _password_limits()
MIN_PASSWORD_LENGTH = int(PASSWORD_LIMITS["min_length"])
MAX_PASSWORD_LENGTH = int(PASSWORD_LIMITS["max_length"])
PASSWORD_CHARSET = frozenset(str(PASSWORD_LIMITS["charset"]))

UNSECURED_WARNING = (
    "警告：OCPP 安全等级 0，无认证、未加密，知道充电桩编号者即可冒充该桩 (warning: OCPP security profile 0 — "
    "no authentication, no encryption: anyone who knows the charge point id can pose as the post; "
    "set credentials_file for security profile 1 or 2)"
)
"""What the operator is shown on every run of a real station on profile 0."""

NO_SECURITY = (
    "未配置充电桩认证 (no OCPP security configured): 现场工作站须为每台充电桩设密码 credentials_file "
    "(安全等级 1，加 tls_cert/tls_key 为等级 2)；确需无认证时设 security_profile = 0 且 accept_unsecured = true "
    "(a real station needs per-post passwords: set credentials_file, or security_profile = 0 with "
    "accept_unsecured = true to run unsecured)"
)


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
    """Each password a non-empty string of ``MIN_PASSWORD_LENGTH``…``MAX_PASSWORD_LENGTH``
    characters (``security_limits.toml``); ``ValueError`` naming the entry, never the password.
    Characters outside the OCPP 2.0.1 passwordString set are logged, not refused."""
    out: dict[str, str] = {}
    for cp_id, password in table.items():
        if not isinstance(password, str) or not password:
            raise ValueError(f"{where}: password of {cp_id!r} must be a non-empty string")
        if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
            raise ValueError(
                f"{where}: 充电桩 {cp_id} 的密码长度 {len(password)} 不在 {MIN_PASSWORD_LENGTH}–{MAX_PASSWORD_LENGTH} "
                f"字符内 (password of {cp_id!r} is {len(password)} characters, not {MIN_PASSWORD_LENGTH}–"
                f"{MAX_PASSWORD_LENGTH}: OCPP 1.6 Security Whitepaper AuthorizationKey, 2.0.1 A00.FR.205)"
            )
        if not set(password) <= PASSWORD_CHARSET:
            LOG.warning(
                "%s: password of %s has characters outside the OCPP 2.0.1 passwordString set (%s); "
                "a 2.0.1 post cannot be set to it",
                where,
                cp_id,
                PASSWORD_LIMITS["charset_source"],
            )
        out[str(cp_id)] = password
    return out


@dataclass(frozen=True)
class CsmsSecurity:
    """What the CSMS enforces: the profile, the credentials table (``None`` = no authentication)
    and the server TLS context (``None`` = plain ``ws://``); ``warning`` is the operator-facing
    text to show on every run ("" unless a real station runs unsecured)."""

    profile: int = 0
    credentials: Mapping[str, str] | None = None
    ssl_context: ssl.SSLContext | None = None
    warning: str = ""

    @property
    def scheme(self) -> str:
        """``wss`` with TLS, else ``ws``."""
        return "wss" if self.ssl_context is not None else "ws"

    @classmethod
    def from_config(
        cls,
        cfg: Mapping[str, Any],
        *,
        base_dir: str | Path | None = None,
        simulated: bool = False,
        charge_point_id: str | None = None,
    ) -> CsmsSecurity:
        """Read the security keys of a station-file section (see the module docstring).

        ``security_profile`` defaults to what the keys imply (TLS certificate → 2, credentials →
        1). With no security key at all a real station (``simulated`` false) is refused — secure
        by default; a simulated one gets profile 0. Profile 0 on a real station needs
        ``accept_unsecured = true`` (a TOML boolean) and then carries :data:`UNSECURED_WARNING`.
        Contradictions are errors, not silent downgrades: profile 1 and 2 need credentials (with a
        password for ``charge_point_id`` when given), profile 2 needs ``tls_cert``/``tls_key``,
        profile 0 and 1 must not name a server certificate, profile 0 must not name credentials,
        ``accept_unsecured`` goes only with profile 0. Raises ``ValueError`` naming the key."""
        has_tls = bool(cfg.get("tls_cert") or cfg.get("tls_key"))
        has_creds = cfg.get("credentials") is not None or cfg.get("credentials_file") is not None
        accept = cfg.get("accept_unsecured", False)
        if not isinstance(accept, bool):
            raise ValueError(f"accept_unsecured 须为 true 或 false (must be a TOML boolean, not {accept!r})")
        raw_profile = cfg.get("security_profile")
        if raw_profile is None:
            if not (has_tls or has_creds) and not simulated:
                raise ValueError(NO_SECURITY)
            profile = 2 if has_tls else 1 if has_creds else 0
        else:
            if isinstance(raw_profile, bool) or not isinstance(raw_profile, int | str):
                raise ValueError(f"security_profile must be 0, 1 or 2, not {raw_profile!r}")
            try:
                profile = int(raw_profile)
            except (TypeError, ValueError):
                raise ValueError(f"security_profile must be 0, 1 or 2, not {raw_profile!r}") from None
        if profile not in SECURITY_PROFILES:
            raise ValueError(
                f"security_profile {profile} is not supported (0 = none, 1 = Basic auth, 2 = TLS + Basic auth; "
                "profile 3, client certificates, is not implemented)"
            )
        if accept and profile != 0:
            raise ValueError(f"accept_unsecured = true 仅用于 security_profile = 0 (only with profile 0, not {profile})")
        if profile == 0:
            if has_creds or has_tls:
                raise ValueError(
                    "security_profile = 0 but credentials or a TLS certificate are configured — "
                    "set security_profile = 1 (Basic auth) or 2 (TLS + Basic auth)"
                )
            if simulated:
                return cls(0)
            if not accept:
                raise ValueError(
                    "security_profile = 0 须同时设 accept_unsecured = true 以确认无认证运行 (profile 0 on a real "
                    "station needs accept_unsecured = true: anyone knowing the charge point id could pose as the post)"
                )
            return cls(0, warning=UNSECURED_WARNING)
        creds = load_credentials(cfg.get("credentials"), cfg.get("credentials_file"), base_dir=base_dir)
        if not creds:
            raise ValueError(
                f"security_profile = {profile} needs credentials (charge point id → password) or credentials_file"
            )
        if profile == 1 and has_tls:
            raise ValueError("tls_cert/tls_key are configured but security_profile = 1 — use 2 for TLS")
        cert, key = cfg.get("tls_cert"), cfg.get("tls_key")
        if profile == 2 and (not cert or not key):
            raise ValueError("security_profile = 2 needs tls_cert and tls_key (PEM files of the CSMS certificate)")
        if charge_point_id is not None and charge_point_id not in creds:
            where = cfg.get("credentials_file") or "credentials"
            raise ValueError(
                f"{where}: 无充电桩 {charge_point_id} 的密码 (no password for charge point id {charge_point_id!r})"
            )
        if profile == 1:
            return cls(1, creds)
        ctx = server_ssl_context(
            _resolve(cert, base_dir), _resolve(key, base_dir), key_password=cfg.get("tls_key_password")
        )
        return cls(2, creds, ctx)
