"""Secure by default on site: the OCPP security of a station's chargers, checked before a run
starts, warned about on every run when a real post is verified unsecured, and kept out of what is
stored with the run.

A real (non-simulated) station's OCPP device needs per-post passwords (security profile 1, or 2
with TLS); without them the run is refused before it is created, with one line naming the station
file, the device section and the key (:func:`ocpp_security`). Profile 0 on a real station is
allowed only when asked for twice (``security_profile = 0`` and ``accept_unsecured = true``) and
then each run — and each resumption — publishes a :class:`~procedures.engine.RunWarning`, which
the console and the GUI show and the store keeps in the run's audit trail. A simulated station
(``[sim] enabled = true``: the post is a twin on loopback) may stay on profile 0 without a warning.

Passwords never reach the database: the station snapshot a run keeps (``station_json``) has its
inline ``credentials`` and ``tls_key_password`` replaced by :data:`REDACTED` (:func:`redacted`),
and a run that is executed or resumed reads them again from its station file
(:func:`with_secrets`). A ``credentials_file`` — the recommended form — is kept by name only.
The rules themselves are the driver's (:meth:`drivers.ocpp.security.CsmsSecurity.from_config`).
"""

from __future__ import annotations

import copy
from typing import Any

from bench.factory import LISTENING_DRIVERS
from bench.station import Station, StationError, load_station, parse_station
from drivers.ocpp.security import CsmsSecurity

SECRET_KEYS = ("credentials", "tls_key_password")
"""Device-section keys whose values are secrets: never stored with a run."""

REDACTED = "<未保存 not stored>"


def ocpp_security(station: Station) -> list[tuple[str, str]]:
    """Check the security of every OCPP device of ``station``: ``(section, warning)`` for each one
    the operator must be warned about (a real post on profile 0); ``StationError`` — one line,
    naming the station file, the section and the key — for a device the station may not run
    (no credentials on a real station, profile 0 without ``accept_unsecured``, an unreadable
    credentials file or TLS certificate, no password for the post's charge point id)."""
    warnings: list[tuple[str, str]] = []
    for spec in station.devices:
        if spec.driver not in LISTENING_DRIVERS:
            continue
        section = f"[devices.{spec.name}]"
        try:
            security = CsmsSecurity.from_config(
                spec.config, base_dir=station.base_dir, simulated=station.sim_enabled,
                charge_point_id=str(spec.config.get("charge_point_id", "CP001")))
        except ValueError as e:
            raise StationError(f"{station.path}: {section} {e}") from None
        if security.warning:
            warnings.append((section, security.warning))
    return warnings


def redacted(raw: dict[str, Any]) -> dict[str, Any]:
    """A copy of a station's raw table with every secret of a device section (:data:`SECRET_KEYS`)
    replaced by :data:`REDACTED` — what a run stores as its station snapshot."""
    out = copy.deepcopy(raw)
    for section in out.get("devices", {}).values():
        if not isinstance(section, dict):
            continue
        for key in SECRET_KEYS:
            value = section.get(key)
            if isinstance(value, dict):
                section[key] = dict.fromkeys(value, REDACTED)
            elif value is not None:
                section[key] = REDACTED
    return out


def _has_redacted(value: Any) -> bool:
    return value == REDACTED or (isinstance(value, dict) and REDACTED in value.values())


def with_secrets(station: Station) -> Station:
    """``station`` (a run's stored snapshot) with the secrets :func:`redacted` took out read again
    from its station file; the station itself when nothing was taken out. ``StationError`` naming
    the file, section and key when the file can no longer give them."""
    devices = station.raw.get("devices", {})
    missing = [(name, key) for name, sec in devices.items() if isinstance(sec, dict)
               for key in SECRET_KEYS if _has_redacted(sec.get(key))]
    if not missing:
        return station
    try:
        live = load_station(station.path).raw.get("devices", {})
    except StationError as e:
        name, key = missing[0]
        raise StationError(f"{station.path}: [devices.{name}] {key}: 密码未随检定保存，须从站点文件读取 "
                           f"(passwords are not stored with the run and the station file cannot give them: {e})"
                           ) from None
    raw = copy.deepcopy(station.raw)
    for name, key in missing:
        value = live.get(name, {}).get(key)
        if value is None or _has_redacted(value):
            raise StationError(f"{station.path}: [devices.{name}] {key}: 站点文件中已无此项，无法继续检定 "
                               "(no longer in the station file: the run's passwords cannot be read again)")
        raw["devices"][name][key] = copy.deepcopy(value)
    return parse_station(raw, station.path)
