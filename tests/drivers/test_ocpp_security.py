"""OCPP security profiles 1 and 2 on the workstation's CSMS, over real sockets on 127.0.0.1.

Profile 1 — HTTP Basic authentication in the WebSocket handshake (username = charge point id):
right password accepted; wrong password, unknown charge point, foreign username and missing
credentials refused with 401, logged, and emitted as :class:`ChargerRejected`. Profile 2 — TLS with
a server certificate from a throwaway CA (:mod:`hardware_sim.pki`) (nothing is checked in): a
client trusting the CA connects over ``wss://``, one that does not fails the handshake; TLS and
Basic auth together, configured the way a station file does it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.headers import build_authorization_basic

from drivers.ocpp.csms import ChargerConnected, ChargerRejected, Csms, CsmsEvent
from drivers.ocpp.link import OcppChargerLink
from drivers.ocpp.security import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    PASSWORD_LIMITS,
    UNSECURED_WARNING,
    CsmsSecurity,
    check_basic_auth,
    client_ssl_context,
    load_credentials,
    server_ssl_context,
)
from hardware_sim.ac_post import AcPostFaults, AcPostTwin
from hardware_sim.physics import Rig
from hardware_sim.pki import TestPki as Pki
from hardware_sim.pki import make_test_pki

pytestmark = pytest.mark.timeout(20)

PASSWORD = "correct-horse-battery-staple"
CREDENTIALS = {"CP1": PASSWORD, "CP2": "another-password-0123"}


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A CA, a CSMS server certificate for 127.0.0.1/localhost signed by it, and an unrelated CA."""
    return make_test_pki(tmp_path_factory.mktemp("pki"))


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": build_authorization_basic(user, password)}


# --------------------------------------------------------------------------------------------
# Profile 1: HTTP Basic authentication
# --------------------------------------------------------------------------------------------


@pytest.fixture
async def csms_p1() -> AsyncIterator[tuple[Csms, list[CsmsEvent]]]:
    events: list[CsmsEvent] = []
    server = Csms("127.0.0.1", 0, on_event=events.append, credentials=CREDENTIALS, call_timeout_s=2.0)
    await server.start()
    try:
        yield server, events
    finally:
        await server.stop()


async def test_profile1_right_password_is_accepted(csms_p1: tuple[Csms, list[CsmsEvent]]) -> None:
    server, events = csms_p1
    async with connect(
        f"ws://127.0.0.1:{server.port}/CP1",
        subprotocols=["ocpp2.0.1"],  # type: ignore[list-item]
        additional_headers=basic("CP1", PASSWORD),
    ) as ws:
        await ws.send(json.dumps([2, "h", "Heartbeat", {}]))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))[0] == 3
    assert not any(isinstance(e, ChargerRejected) for e in events)


@pytest.mark.parametrize(
    ("path_id", "headers", "reason"),
    [
        ("CP1", basic("CP1", "wrong-password-123456"), "wrong password"),
        ("CP9", basic("CP9", PASSWORD), "unknown charge point"),
        ("CP1", basic("CP2", "another-password-0123"), "is not the charge point id"),  # CP2 posing as CP1
        ("CP1", None, "no HTTP Basic credentials"),
        ("CP1", {"Authorization": "Bearer abc"}, "malformed or non-Basic"),
    ],
)
async def test_profile1_refusals_are_401_logged_and_emitted(
    csms_p1: tuple[Csms, list[CsmsEvent]],
    caplog: pytest.LogCaptureFixture,
    path_id: str,
    headers: dict[str, str] | None,
    reason: str,
) -> None:
    server, events = csms_p1
    with caplog.at_level(logging.WARNING, logger="drivers.ocpp.csms16"), pytest.raises(InvalidStatus) as exc:
        async with connect(
            f"ws://127.0.0.1:{server.port}/{path_id}",
            subprotocols=["ocpp1.6"],  # type: ignore[list-item]
            additional_headers=headers,
        ):
            pass
    response = exc.value.response
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    rejected = [e for e in events if isinstance(e, ChargerRejected)]
    assert len(rejected) == 1
    assert rejected[0].cp_id == path_id and rejected[0].status == 401 and reason in rejected[0].reason
    assert rejected[0].remote is not None and rejected[0].remote.startswith("127.0.0.1:")
    records = [r for r in caplog.records if "refused (HTTP 401)" in r.getMessage()]
    assert records and reason in records[0].getMessage()
    assert all(PASSWORD not in r.getMessage() for r in caplog.records)  # never log a password
    assert server.connected(path_id) is None


async def test_profile1_twin_with_and_without_the_password(csms_p1: tuple[Csms, list[CsmsEvent]]) -> None:
    server, events = csms_p1
    rig = Rig(speed=50.0)
    good = AcPostTwin(rig, server.url, charge_point_id="CP1", basic_auth_password=PASSWORD, ocpp_version="2.0.1")
    bad = AcPostTwin(
        rig,
        server.url,
        charge_point_id="CP2",
        basic_auth_password="not-the-password",
        faults=AcPostFaults(reconnect_after_s=5.0),
    )
    tasks = [asyncio.create_task(good.run()), asyncio.create_task(bad.run())]
    try:
        with server.expect("CP1", lambda e: isinstance(e, ChargerConnected)) as booted:
            await booted.wait(5, "boot of CP1")
        for _ in range(100):
            if bad.last_error is not None:
                break
            await asyncio.sleep(0.02)
        assert isinstance(bad.last_error, InvalidStatus) and bad.last_error.response.status_code == 401
        assert not bad.online and server.connected("CP2") is None
        assert any(isinstance(e, ChargerRejected) and e.cp_id == "CP2" for e in events)
    finally:
        for twin in (good, bad):
            await twin.stop()
        await asyncio.gather(*tasks)


# --------------------------------------------------------------------------------------------
# Profile 2: TLS
# --------------------------------------------------------------------------------------------


async def test_profile2_tls_trusting_the_ca_works_others_fail(pki: Pki) -> None:
    server = Csms("127.0.0.1", 0, ssl_context=server_ssl_context(pki.server_cert, pki.server_key))
    await server.start()
    try:
        assert server.url.startswith("wss://127.0.0.1:")
        async with connect(
            f"{server.url}/CPTLS", subprotocols=["ocpp2.0.1"], ssl=client_ssl_context(pki.ca_cert)  # type: ignore[list-item]
        ) as ws:
            assert ws.subprotocol == "ocpp2.0.1"
            await ws.send(json.dumps([2, "h", "Heartbeat", {}]))
            assert json.loads(await asyncio.wait_for(ws.recv(), 5))[0] == 3
            tls = ws.transport.get_extra_info("ssl_object")
            assert tls is not None and tls.version() in ("TLSv1.2", "TLSv1.3")
        for untrusting in (client_ssl_context(pki.rogue_ca_cert), client_ssl_context(None)):
            with pytest.raises(ssl.SSLCertVerificationError):
                async with connect(f"{server.url}/CPTLS", subprotocols=["ocpp2.0.1"], ssl=untrusting):  # type: ignore[list-item]
                    pass
        # plain ws:// against the TLS port does not get a WebSocket either
        with pytest.raises(Exception):  # noqa: B017 - the exact error depends on timing
            async with connect(
                f"ws://127.0.0.1:{server.port}/CPTLS", subprotocols=["ocpp2.0.1"], open_timeout=2  # type: ignore[list-item]
            ):
                pass
        assert server.connected("CPTLS") is None
    finally:
        await server.stop()


async def test_profile2_with_basic_auth_from_station_config(pki: Pki, tmp_path: Path) -> None:
    """Security profile 2 set up as in a station file: TLS certificate and key, a credentials
    file; the 2.0.1 twin trusts the CA and sends its password; a wrong password is still 401."""
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "ocpp.toml").write_text(f'[credentials]\nCPS = "{PASSWORD}"\n', "utf-8")
    link = OcppChargerLink.from_config(
        "charger",
        {
            "host": "127.0.0.1",
            "port": 0,
            "charge_point_id": "CPS",
            "call_timeout_s": 2,
            "security_profile": 2,
            "credentials_file": "secrets/ocpp.toml",
            "tls_cert": str(pki.server_cert),
            "tls_key": str(pki.server_key),
        },
        base_dir=tmp_path,
    )
    await link.connect()
    events: list[CsmsEvent] = []
    link.csms.subscribe(events.append)
    rig = Rig(speed=200.0)
    twin = AcPostTwin(
        rig,
        link.csms.url,
        charge_point_id="CPS",
        ocpp_version="2.0.1",
        basic_auth_password=PASSWORD,
        ca_cert=pki.ca_cert,
    )
    intruder = AcPostTwin(
        rig,
        link.csms.url,
        charge_point_id="CPS",
        basic_auth_password="guessed-password-000",
        ca_cert=pki.ca_cert,
        faults=AcPostFaults(reconnect_after_s=5.0),
    )
    task = asyncio.create_task(twin.run())
    try:
        assert link.csms.url.startswith("wss://")
        info = await link.wait_connected(5)
        assert info.protocol == "ocpp2.0.1"
        rig.circuit.set_load(16.0)
        tx = await link.start_charging()
        assert await link.read_energy_register_wh() >= 0
        await link.stop_charging()
        assert link.transaction_id is None and tx
        intruder_task = asyncio.create_task(intruder.run())
        try:
            for _ in range(100):
                if intruder.last_error is not None:
                    break
                await asyncio.sleep(0.02)
            assert isinstance(intruder.last_error, InvalidStatus)
            assert intruder.last_error.response.status_code == 401
        finally:
            await intruder.stop()
            await intruder_task
        refused = [e for e in events if isinstance(e, ChargerRejected)]
        assert refused and refused[0].reason.endswith("(wrong password)")
        assert link.csms.connected("CPS") is not None  # the genuine post stays connected
    finally:
        await twin.stop()
        await task
        await link.close()


# --------------------------------------------------------------------------------------------
# Configuration and credential checks (pure)
# --------------------------------------------------------------------------------------------


def test_check_basic_auth() -> None:
    ok = check_basic_auth(CREDENTIALS, "CP1", build_authorization_basic("CP1", PASSWORD))
    assert ok.ok and ok.username == "CP1"
    assert not check_basic_auth(CREDENTIALS, "CP1", build_authorization_basic("CP1", PASSWORD + "x")).ok
    assert not check_basic_auth(CREDENTIALS, "CP1", build_authorization_basic("CP1", "")).ok
    assert "unknown" in check_basic_auth(CREDENTIALS, "CPX", build_authorization_basic("CPX", "p")).reason


def test_security_from_config(pki: Pki, tmp_path: Path) -> None:
    assert CsmsSecurity.from_config({}, simulated=True).profile == 0
    inferred = CsmsSecurity.from_config({"credentials": {"CP1": PASSWORD}})
    assert inferred.profile == 1 and inferred.ssl_context is None and inferred.scheme == "ws"
    tls = CsmsSecurity.from_config(
        {"credentials": CREDENTIALS, "tls_cert": str(pki.server_cert), "tls_key": str(pki.server_key)}
    )
    assert tls.profile == 2 and tls.scheme == "wss" and dict(tls.credentials or {}) == CREDENTIALS
    assert tls.ssl_context is not None and tls.ssl_context.minimum_version == ssl.TLSVersion.TLSv1_2
    bad: list[dict[str, Any]] = [
        {"security_profile": 0, "credentials": CREDENTIALS},
        {"security_profile": 1},
        {"security_profile": 1, "credentials": CREDENTIALS, "tls_cert": str(pki.server_cert)},
        {"security_profile": 2, "credentials": CREDENTIALS},
        {"security_profile": 3, "credentials": CREDENTIALS},
        {"security_profile": "high"},
        {"security_profile": 1, "credentials": {"CP1": ""}},
        {"security_profile": 2, "credentials": CREDENTIALS, "tls_cert": "/nonexistent.pem", "tls_key": "/x.pem"},
    ]
    for cfg in bad:
        with pytest.raises(ValueError):
            CsmsSecurity.from_config(cfg)
    (tmp_path / "c.json").write_text(json.dumps({"CP1": "from-file-password-1", "CP3": "third-password-0003"}))
    creds = load_credentials({"CP1": "inline-wins-password"}, tmp_path / "c.json")
    assert creds == {"CP1": "inline-wins-password", "CP3": "third-password-0003"}
    with pytest.raises(ValueError, match="protocol"):
        OcppChargerLink.from_config("charger", {"protocol": "ocpp3.0"})
    with pytest.raises(ValueError, match="charger: security_profile"):
        OcppChargerLink.from_config("charger", {"security_profile": 2, "credentials": CREDENTIALS})


def test_real_station_is_secure_by_default() -> None:
    """Issue 13 line 6: no security keys on a real station is refused; a twin may go unsecured."""
    with pytest.raises(ValueError, match=r"^未配置充电桩认证 .*credentials_file.*accept_unsecured = true"):
        CsmsSecurity.from_config({})
    with pytest.raises(ValueError, match=r"^charger: 未配置充电桩认证"):
        OcppChargerLink.from_config("charger", {"charge_point_id": "CP1"})
    sim = CsmsSecurity.from_config({}, simulated=True)
    assert (sim.profile, sim.credentials, sim.ssl_context, sim.warning) == (0, None, None, "")
    assert CsmsSecurity.from_config({"security_profile": 0}, simulated=True).warning == ""
    link = OcppChargerLink.from_config("charger", {"charge_point_id": "CP1", "credentials": CREDENTIALS})
    assert link.security.profile == 1 and link.csms.credentials == CREDENTIALS


def test_profile0_needs_both_keys_and_warns() -> None:
    with pytest.raises(ValueError, match="accept_unsecured = true"):
        CsmsSecurity.from_config({"security_profile": 0})
    with pytest.raises(ValueError, match="no OCPP security configured"):
        CsmsSecurity.from_config({"accept_unsecured": True})  # the acknowledgement alone is not the setting
    with pytest.raises(ValueError, match="TOML boolean"):
        CsmsSecurity.from_config({"security_profile": 0, "accept_unsecured": "true"})
    with pytest.raises(ValueError, match="only with profile 0"):
        CsmsSecurity.from_config({"security_profile": 1, "credentials": CREDENTIALS, "accept_unsecured": True})
    with pytest.raises(ValueError, match="must be 0, 1 or 2"):
        CsmsSecurity.from_config({"security_profile": True, "accept_unsecured": True})
    unsecured = CsmsSecurity.from_config({"security_profile": 0, "accept_unsecured": True})
    assert unsecured.profile == 0 and unsecured.credentials is None
    assert unsecured.warning == UNSECURED_WARNING and unsecured.warning.startswith("警告：OCPP 安全等级 0")
    link = OcppChargerLink.from_config("charger", {"security_profile": 0, "accept_unsecured": True})
    assert link.security.warning == UNSECURED_WARNING and link.csms.credentials is None


def test_password_for_the_post_and_its_length() -> None:
    """The post's own id needs a password; lengths outside 16–40 (security_limits.toml) are refused
    naming the entry, never the password."""
    assert (MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH) == (16, 40)
    assert "AuthorizationKey" in PASSWORD_LIMITS["source"] and "A00.FR.205" in PASSWORD_LIMITS["source"]
    with pytest.raises(ValueError, match="no password for charge point id 'CP7'"):
        CsmsSecurity.from_config({"credentials": CREDENTIALS}, charge_point_id="CP7")
    assert CsmsSecurity.from_config({"credentials": CREDENTIALS}, charge_point_id="CP1").profile == 1
    for ok in ("a" * 16, "b" * 40):
        assert load_credentials({"CP1": ok}) == {"CP1": ok}
    for bad in ("short-secret-15", "x" * 41):
        with pytest.raises(ValueError, match=r"password of 'CP1' is \d+ characters, not 16–40") as exc:
            load_credentials({"CP1": bad})
        assert bad not in str(exc.value)
