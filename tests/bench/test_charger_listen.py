"""``listen`` (jianding charger listen) against an AC post twin in-process, over a real WebSocket."""

from __future__ import annotations

import asyncio
import io
import re

import pytest

from bench.charger_listen import format_kwh, listen
from hardware_sim.ac_post import AcPostTwin
from hardware_sim.physics import Rig

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
