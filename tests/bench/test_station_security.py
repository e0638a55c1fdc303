"""Secure by default on site (issue 13, line 6), at the station and the run.

A real (non-simulated) AC station without per-post passwords is refused before a run is created,
in one line naming the station file, the section and the key. Profile 0 on a real station needs
``security_profile = 0`` and ``accept_unsecured = true`` and then warns on every run and every
resumption (console, bus event for the GUI, the run's audit trail). Passwords never reach the run's
stored station snapshot and are read again from the station file on resume. An impostor using the
post's charge point id with a wrong or no password is refused at the handshake (HTTP 401) while a
whole simulated run goes on with the genuine post — over ``ws://`` (profile 1) and ``wss://``
(profile 2) — and nothing of the impostor reaches the record.
"""

from __future__ import annotations

import asyncio
import io
import json
import socket
import threading
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import InvalidStatus

from bench.cli import demo_entries
from bench.controller import Controller, RunRequest
from bench.display import ConsoleDisplay
from bench.operators import AutoOperator
from bench.station import Station, StationError, example_station_path, load_station
from bench.station_security import REDACTED, ocpp_security, redacted, with_secrets
from bench.store import Store
from drivers.ocpp.security import UNSECURED_WARNING
from hardware_sim.ac_post import AcPostFaults, AcPostTwin
from hardware_sim.physics import Rig
from hardware_sim.pki import make_test_pki
from procedures.engine import Event, RunStarted, RunWarning

pytestmark = pytest.mark.timeout(90)

PASSWORD = "SIM0001-pass-0123456789"


def station_file(tmp_path: Path, *, sim: bool, charger: str = "", name: str = "station.toml") -> Path:
    """The shipped AC demo station as a file of its own in ``tmp_path`` (free ports, fast twins),
    simulated or not, with ``charger`` lines added to its [devices.charger] section."""
    text = example_station_path().read_text("utf-8")
    text = text.replace("port = 15020", "port = 0").replace("port = 19000", "port = 0")
    text = text.replace('charge_point_id = "SIM0001"', f'charge_point_id = "SIM0001"\n{charger}')
    text = text.replace("speed = 400 ", "speed = 3000 ")
    if not sim:  # the calibrator's port: one nothing listens on
        text = text.replace("[sim]\nenabled = true", "[sim]\nenabled = false").replace(
            "port = 0\ndevice_id", f"port = {closed_port()}\ndevice_id")
        text = text.replace("timeout_s = 1.0\nretries = 2", "timeout_s = 0.3\nretries = 0")
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def credentials_file(tmp_path: Path, password: str = PASSWORD) -> Path:
    path = tmp_path / "ocpp-credentials.toml"
    path.write_text(f'[credentials]\nSIM0001 = "{password}"\n', "utf-8")
    return path


# --------------------------------------------------------------------------------------------
# Refused before the run, warned on every run
# --------------------------------------------------------------------------------------------


def test_real_station_without_credentials_is_refused_before_the_run(store: Store, tmp_path: Path) -> None:
    path = station_file(tmp_path, sim=False)
    station = load_station(path)
    ctl = Controller(store, tmp_path / "out")
    with pytest.raises(StationError) as exc:
        ctl.prepare(RunRequest(station=station))
    message = str(exc.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: [devices.charger] 未配置充电桩认证 (no OCPP security configured)")
    assert "credentials_file" in message and "accept_unsecured = true" in message
    assert store.runs() == []  # nothing was created
    # profile 0 alone is not enough; nor is a password file without this post's id
    for lines in ("security_profile = 0", 'credentials = { OTHER01 = "another-post-password-01" }'):
        with pytest.raises(StationError, match=r"\[devices.charger\] .*(accept_unsecured = true|SIM0001)"):
            ctl.prepare(RunRequest(station=load_station(station_file(tmp_path, sim=False, charger=lines))))
    assert store.runs() == []
    # the simulated demo station keeps profile 0, silently
    assert ocpp_security(load_station(example_station_path())) == []


def test_real_station_on_profile_0_warns_on_every_run(store: Store, tmp_path: Path) -> None:
    """Acknowledged profile 0: the run is created; each execution (here: one that pauses because the
    calibrator does not answer, then its resumption) shows the warning on the console, publishes it
    for the GUI and keeps it in the run's audit trail."""
    station = load_station(station_file(tmp_path, sim=False, charger="security_profile = 0\naccept_unsecured = true"))
    ctl = Controller(store, tmp_path / "out")
    seen: list[Event] = []
    ctl.bus.add_sink(seen.append)
    out = io.StringIO()
    display = ConsoleDisplay(ctl.bus, out=out)
    run_id = ctl.prepare(RunRequest(station=station))
    for _ in range(2):
        summary = asyncio.run(ctl.execute(run_id, AutoOperator(demo_entries(ctl))))
        assert summary.status == "paused" and "reference" in summary.message  # nothing listens for the meter
    display.close()
    warnings = [e for e in seen if isinstance(e, RunWarning)]
    assert [(w.source, w.message) for w in warnings] == [("[devices.charger]", UNSECURED_WARNING)] * 2
    assert out.getvalue().count(f"⚠ [devices.charger] {UNSECURED_WARNING}") == 2
    notes = [a.detail for a in store.audit_log(run_id) if a.action == "run.warning"]
    assert notes == [f"[devices.charger]: {UNSECURED_WARNING}"] * 2


# --------------------------------------------------------------------------------------------
# Passwords are not stored with the run
# --------------------------------------------------------------------------------------------


def test_passwords_are_not_stored_with_the_run(store: Store, tmp_path: Path) -> None:
    raw = {"devices": {"charger": {"driver": "ocpp", "credentials": {"SIM0001": PASSWORD},
                                   "tls_key_password": "key-passphrase-000"}}}
    snapshot = redacted(raw)
    assert snapshot["devices"]["charger"]["credentials"] == {"SIM0001": REDACTED}
    assert snapshot["devices"]["charger"]["tls_key_password"] == REDACTED
    assert raw["devices"]["charger"]["credentials"] == {"SIM0001": PASSWORD}  # the caller's is untouched

    inline = f'credentials = {{ SIM0001 = "{PASSWORD}" }}'
    path = station_file(tmp_path, sim=True, charger=inline)
    run_id = Controller(store, tmp_path / "out").prepare(RunRequest(station=load_station(path)))
    stored = store.get_run(run_id).station_json
    assert PASSWORD not in stored and REDACTED in stored
    restored = with_secrets(Station(path=str(path), raw=json.loads(stored)))
    assert restored.raw["devices"]["charger"]["credentials"] == {"SIM0001": PASSWORD}
    assert next(d for d in restored.devices if d.name == "charger").config["credentials"] == {"SIM0001": PASSWORD}
    # the station file lost its passwords: the run cannot go on, and the message says where to look
    path.write_text(path.read_text("utf-8").replace(inline, ""), "utf-8")
    with pytest.raises(StationError, match=r"\[devices.charger\] credentials: 站点文件中已无此项"):
        with_secrets(Station(path=str(path), raw=json.loads(stored)))


# --------------------------------------------------------------------------------------------
# An impostor during a whole run
# --------------------------------------------------------------------------------------------


class Impostor:
    """An AC-post twin claiming the genuine post's charge point id, with its own meter (+9 %) and
    serial, connecting to the run's CSMS (found through the controller's SimHost) from a thread
    of its own as soon as the run starts."""

    def __init__(self, ctl: Controller, password: str | None, ca_cert: Path | None) -> None:
        self.ctl, self.password, self.ca_cert = ctl, password, ca_cert
        self.twin: AcPostTwin | None = None
        self.refusals = 0
        self.statuses: set[int] = set()
        self._started = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        ctl.bus.add_sink(self._see)

    def _see(self, event: Event) -> None:
        if isinstance(event, RunStarted) and not self._started.is_set():
            self._started.set()
            self._thread.start()

    def _run(self) -> None:
        asyncio.run(self._connect())

    async def _connect(self) -> None:
        assert self.ctl.sim is not None and self.ctl.sim.post_twin is not None
        url = self.ctl.sim.post_twin.csms_url
        self.twin = AcPostTwin(Rig(speed=3000, dut_error_pct=9.0), url, charge_point_id="SIM0001",
                               serial="IMPOSTOR-1", vendor="EVIL", basic_auth_password=self.password,
                               ca_cert=self.ca_cert, faults=AcPostFaults(reconnect_after_s=0.05))
        task = asyncio.create_task(self.twin.run())
        seen: set[int] = set()
        while not self._stop.is_set():  # count each refused handshake once
            err = self.twin.last_error
            if isinstance(err, InvalidStatus) and id(err) not in seen:
                seen.add(id(err))  # 401 from the first attempt, even while the CSMS holds the post (503)
                self.statuses.add(err.response.status_code)
                self.refusals += err.response.status_code == 401
            await asyncio.sleep(0.01)
        await self.twin.stop()
        await task

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)


@pytest.mark.parametrize(("profile", "impostor_password"), [(1, "guessed-password-0000"), (1, None), (2, None),
                                                          (2, "guessed-password-0000")])
def test_an_impostor_with_the_posts_id_is_refused_and_feeds_nothing(
    store: Store, tmp_path: Path, profile: int, impostor_password: str | None
) -> None:
    creds = credentials_file(tmp_path)
    lines = f'credentials_file = "{creds.name}"'
    ca_cert = None
    if profile == 2:
        pki = make_test_pki(tmp_path)
        lines += f'\ntls_cert = "{pki.server_cert.name}"\ntls_key = "{pki.server_key.name}"\nca_cert = "{pki.ca_cert.name}"'
        ca_cert = pki.ca_cert
    station = load_station(station_file(tmp_path, sim=True, charger=lines))
    assert ocpp_security(station) == []  # secured: nothing to warn about
    ctl = Controller(store, tmp_path / "out")
    warned: list[Any] = []
    ctl.bus.add_sink(lambda e: warned.append(e) if isinstance(e, RunWarning) else None)
    impostor = Impostor(ctl, impostor_password, ca_cert)
    run_id = ctl.prepare(RunRequest(station=station))
    try:
        summary = asyncio.run(ctl.execute(run_id, AutoOperator(demo_entries(ctl))))
    finally:
        impostor.stop()
    assert summary.status == "finished", summary.message
    assert impostor.refusals >= 1 and impostor.statuses == {401}
    assert impostor.twin is not None and not impostor.twin.online
    assert warned == []
    rec = summary.record
    assert rec is not None and rec.passed  # the genuine post's +0.35 %, not the impostor's +9 %
    for r in next(i for i in rec.items if i.key == "working_error").results:
        assert abs(r.mean - 0.35) < 0.1
    stored = json.dumps(rec.to_dict(), ensure_ascii=False) + store.get_run(run_id).station_json
    assert "IMPOSTOR" not in stored and "EVIL" not in stored and PASSWORD not in stored
    readings = store.readings(run_id)
    assert readings and not any("IMPOSTOR" in (r.extra_json or "") for r in readings)
