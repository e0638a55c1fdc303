"""``listen`` (jianding charger listen) against an AC post twin in-process, over a real WebSocket."""

from __future__ import annotations

import asyncio
import io
import re
from pathlib import Path

import pytest

from bench.charger_listen import format_kwh, listen, listen_security
from bench.cli import main as cli_main
from bench.station import StationError
from drivers.ocpp.security import UNSECURED_WARNING, CsmsSecurity
from hardware_sim.ac_post import AcPostFaults, AcPostTwin
from hardware_sim.physics import Rig
from hardware_sim.pki import make_test_pki

pytestmark = pytest.mark.timeout(20)


async def test_listen_prints_boot_data_and_kwh_reading() -> None:
    rig = Rig(speed=100.0)
    rig.circuit.set_load(16.0)
    out = io.StringIO()
    twins: list[AcPostTwin] = []
    tasks: list[asyncio.Task[None]] = []

    def start_twin(port: int) -> None:
        twin = AcPostTwin(rig, f"ws://127.0.0.1:{port}", charge_point_id="CP007", serial="SN-7")
        twins.append(twin)
        tasks.append(asyncio.get_running_loop().create_task(twin.run()))

    try:
        await listen("127.0.0.1", 0, out=out, duration_s=1.5, on_listening=start_twin)
    finally:
        for twin in twins:
            await twin.stop()
        await asyncio.gather(*tasks)

    text = out.getvalue()
    assert "CSMS 监听中 (listening)" in text
    boot = next(line for line in text.splitlines() if "已连接 (connected)" in line)
    for expected in (
        "充电桩 CP007",
        "厂商 (vendor) JD-SIM",
        "型号 (model) AC7K-SIM",
        "序列号 (serial) SN-7",
        "固件 (firmware) 1.0.0-sim",
        "电能表型号 (meter type) DDSU666-SIM",
        "电能表编号 (meter serial) MTR0001",
    ):
        assert expected in boot
    assert "状态 (status) Available" in text
    # the probe's triggered MeterValues shows the register in kWh with the charger's timestamp
    match = re.search(
        r"电能示值 \(energy register\) (\d+\.\d{3,}) kWh \[Energy\.Active\.Import\.Register, Trigger", text
    )
    assert match is not None, text
    assert float(match.group(1)) == pytest.approx(rig.dut.energy_wh() / 1000, abs=0.002)  # contactor open
    assert "已断开 (disconnected)" in text and text.rstrip().endswith("CSMS 已停止 (stopped)")


def test_format_kwh() -> None:
    assert format_kwh(12.345) == "12.345"
    assert format_kwh(12.0) == "12.000"
    assert format_kwh(0.0123456) == "0.012346"


# --------------------------------------------------------------------------------------------
# Security: the station's options and default (issue 13, line 6)
# --------------------------------------------------------------------------------------------

PASSWORD = "CP007-password-0123456"


def _station(tmp_path: Path, lines: str, *, sim: bool = False) -> Path:
    (tmp_path / "ocpp.toml").write_text(f'[credentials]\nCP007 = "{PASSWORD}"\n', "utf-8")
    path = tmp_path / "site.toml"
    path.write_text(
        f'[devices.charger]\ndriver = "ocpp"\nroles = ["charger"]\nhost = "127.0.0.1"\nport = 0\n'
        f'charge_point_id = "CP007"\n{lines}\n[sim]\nenabled = {"true" if sim else "false"}\n',
        "utf-8",
    )
    return path


def test_listen_security_default_is_the_stations(tmp_path: Path) -> None:
    with pytest.raises(StationError, match=r"^jianding charger listen 未配置充电桩认证 .* --credentials-file"):
        listen_security()
    with pytest.raises(StationError, match=r"site.toml: \[devices.charger\] security_profile = 0 须同时设 accept_unsecured"):
        listen_security(str(_station(tmp_path, "security_profile = 0")))
    unsecured, _ = listen_security(flags={"security_profile": 0, "accept_unsecured": True})
    assert unsecured.profile == 0 and unsecured.warning == UNSECURED_WARNING
    secured, section = listen_security(str(_station(tmp_path, 'credentials_file = "ocpp.toml"')))
    assert secured.profile == 1 and dict(secured.credentials or {}) == {"CP007": PASSWORD}
    assert section["host"] == "127.0.0.1" and secured.warning == ""
    simulated, _ = listen_security(str(_station(tmp_path, "", sim=True)))
    assert simulated.profile == 0 and simulated.warning == ""  # a simulated station, as in a run
    pki = make_test_pki(tmp_path)  # flags mirror the keys and override the station's
    tls, _ = listen_security(str(_station(tmp_path, 'credentials_file = "ocpp.toml"')),
                             flags={"tls_cert": str(pki.server_cert), "tls_key": str(pki.server_key),
                                    "security_profile": None})
    assert tls.profile == 2 and tls.ssl_context is not None


def test_cli_listen_without_credentials_is_one_line_refusal(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["charger", "listen", "--port", "0", "--duration", "0.1"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and err.startswith("错误 (error): jianding charger listen 未配置充电桩认证")


async def _listen_with(security: CsmsSecurity, twins: list[AcPostTwin], out: io.StringIO, rig: Rig,
                       scheme: str, twin_args: list[dict[str, object]]) -> None:
    tasks: list[asyncio.Task[None]] = []

    def start(port: int) -> None:
        for kwargs in twin_args:
            twin = AcPostTwin(rig, f"{scheme}://127.0.0.1:{port}", **kwargs)  # type: ignore[arg-type]
            twins.append(twin)
            tasks.append(asyncio.get_running_loop().create_task(twin.run()))

    try:
        await listen("127.0.0.1", 0, out=out, duration_s=1.5, on_listening=start, probe=False, security=security)
    finally:
        for twin in twins:
            await twin.stop()
        await asyncio.gather(*tasks)


async def test_listen_profile1_admits_the_post_and_refuses_an_impostor(tmp_path: Path) -> None:
    security, _ = listen_security(str(_station(tmp_path, 'credentials_file = "ocpp.toml"')))
    out, twins, rig = io.StringIO(), [], Rig(speed=100.0)
    await _listen_with(security, twins, out, rig, "ws", [
        {"charge_point_id": "CP007", "serial": "SN-7", "basic_auth_password": PASSWORD},
        {"charge_point_id": "CP007", "serial": "FAKE", "basic_auth_password": "guessed-password-0000",
         "faults": AcPostFaults(reconnect_after_s=5.0)},
    ])
    text = out.getvalue()
    assert "安全等级 (security profile) 1, HTTP Basic 认证 (auth)" in text and "⚠" not in text
    assert "序列号 (serial) SN-7" in text and "FAKE" not in text
    assert re.search(r"连接被拒绝 \(handshake rejected\) HTTP 401 /CP007 .*\(wrong password\)", text), text
    assert PASSWORD not in text and "guessed-password" not in text


async def test_listen_profile2_over_tls_and_profile0_warning(tmp_path: Path) -> None:
    pki = make_test_pki(tmp_path)
    security, _ = listen_security(str(_station(tmp_path, f'credentials_file = "ocpp.toml"\ntls_cert = '
                                               f'"{pki.server_cert.name}"\ntls_key = "{pki.server_key.name}"')))
    out, twins, rig = io.StringIO(), [], Rig(speed=100.0)
    await _listen_with(security, twins, out, rig, "wss", [
        {"charge_point_id": "CP007", "serial": "SN-7", "basic_auth_password": PASSWORD, "ca_cert": pki.ca_cert},
        {"charge_point_id": "CP007", "serial": "FAKE", "ca_cert": pki.ca_cert,
         "faults": AcPostFaults(reconnect_after_s=5.0)},
    ])
    text = out.getvalue()
    assert "wss://127.0.0.1:" in text and "安全等级 (security profile) 2" in text
    assert "序列号 (serial) SN-7" in text and "FAKE" not in text
    assert "HTTP 401 /CP007" in text and "no HTTP Basic credentials" in text

    unsecured, _ = listen_security(flags={"security_profile": 0, "accept_unsecured": True})
    out = io.StringIO()
    await _listen_with(unsecured, [], out, rig, "ws", [{"charge_point_id": "CP007", "serial": "SN-7"}])
    first = out.getvalue().splitlines()[0]
    assert first.endswith(f"⚠ {UNSECURED_WARNING}")  # before anything else
    assert "安全等级 (security profile) 0" in out.getvalue()
