"""The same ModbusMeter over Modbus RTU, through a virtual null-modem cable made of two ptys.

``PtyLink`` opens two pseudo-terminals with ``os.openpty()`` and copies bytes between their master
ends; the twin's pymodbus serial server opens one slave (``/dev/pts/N``) with pyserial and the
driver opens the other, so every byte crosses a real tty in RTU framing with CRCs. No socat.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator

import pytest

from drivers.errors import DeviceError, DeviceTimeout, Disconnected, ProtocolError
from drivers.meters.modbus_meter import ModbusMeter
from hardware_sim.physics import Rig
from hardware_sim.ref_meter import PtyLink, RefMeterTwin

pytestmark = [
    pytest.mark.timeout(30),
    pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX only"),
]

TIMEOUT_S = 0.25
RETRIES = 2


@pytest.fixture
def rig() -> Rig:
    return Rig(speed=2000, dut_error_pct=0.3, seed=1148)


@pytest.fixture
async def link() -> AsyncIterator[PtyLink]:
    cable = await PtyLink().open()
    yield cable
    cable.close()


@pytest.fixture
async def twin(rig: Rig, link: PtyLink) -> AsyncIterator[RefMeterTwin]:
    t = RefMeterTwin(rig)
    await t.serve_rtu(link.path_a, baudrate=19200)
    yield t
    await t.stop()


def make_meter(path: str, map_name: str = "jianding_sim_ref", **extra: object) -> ModbusMeter:
    cfg: dict[str, object] = {"map": map_name, "transport": "rtu", "port": path, "baudrate": 19200,
                              "parity": "N", "stopbits": 1, "device_id": 1, "timeout_s": TIMEOUT_S,
                              "retries": RETRIES}
    cfg.update(extra)
    return ModbusMeter.from_config("ref", cfg)


@pytest.fixture
async def meter(twin: RefMeterTwin, link: PtyLink) -> AsyncIterator[ModbusMeter]:
    m = make_meter(link.path_b)
    await m.connect()
    yield m
    await m.close()


def assert_names_device(exc: DeviceError, path: str) -> None:
    assert exc.device == "ref"
    assert str(exc).startswith("ref: ")
    assert f"{path} 19200 8N1, device 1" in str(exc)


async def test_values_load_and_energy_over_rtu(meter: ModbusMeter, rig: Rig) -> None:
    inst = await meter.read_instantaneous()
    assert (inst.voltage_v, inst.current_a, inst.frequency_hz) == (220.0, 0.0, 50.0)
    await meter.set_load(8.0, 0.9)
    rig.circuit.set_contactor(True)
    inst = await meter.read_instantaneous()
    assert inst.current_a == 8.0
    assert inst.power_factor == pytest.approx(0.9, abs=1e-6)
    e1 = await meter.read_energy_wh()
    await asyncio.sleep(0.03)
    assert await meter.read_energy_wh() > e1
    await meter.load_off()
    assert rig.circuit.current_a == 0.0


async def test_full_gate_over_rtu(meter: ModbusMeter, rig: Rig) -> None:
    await meter.set_load(1.0)
    rig.circuit.set_contactor(True)
    await meter.start_gate(5)
    deadline = time.monotonic() + 5
    while not (await meter.gate_status()).done:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)
    result = await meter.read_gate()
    assert result.dut_pulses == 5
    error_pct = ((result.dut_pulses / rig.dut_constant) / (result.std_pulses / result.std_constant) - 1) * 100
    assert error_pct == pytest.approx(rig.dut_error_pct, abs=0.1)


async def test_crc_corrupted_reply_is_retried(meter: ModbusMeter, twin: RefMeterTwin) -> None:
    twin.faults.garbage_replies = 1
    assert (await meter.read_instantaneous()).voltage_v == 220.0
    assert twin.stats.garbled == 1
    assert meter.transport.stats.garbled == 1
    assert meter.transport.stats.attempts == 2


async def test_crc_errors_beyond_retries_are_reported(meter: ModbusMeter, twin: RefMeterTwin,
                                                      link: PtyLink) -> None:
    twin.faults.garbage_replies = RETRIES + 1
    with pytest.raises(ProtocolError) as info:
        await meter.read_energy_wh()
    assert_names_device(info.value, link.path_b)
    assert "CRC" in str(info.value)
    assert "3 of 3 attempts garbled" in str(info.value)
    assert (await meter.read_instantaneous()).voltage_v == 220.0  # the line is clean again


async def test_silent_meter_times_out(meter: ModbusMeter, twin: RefMeterTwin, link: PtyLink) -> None:
    twin.faults.silent = True
    t0 = time.monotonic()
    with pytest.raises(DeviceTimeout) as info:
        await meter.gate_status()
    assert time.monotonic() - t0 <= meter.transport.call_deadline_s
    assert_names_device(info.value, link.path_b)
    assert "RS-485" in str(info.value)
    twin.faults.silent = False
    assert (await meter.gate_status()).target_pulses == 0


async def test_cut_cable_times_out_then_recovers(meter: ModbusMeter, link: PtyLink) -> None:
    link.paused = True
    with pytest.raises(DeviceTimeout):
        await meter.read_energy_wh()
    link.paused = False
    await asyncio.sleep(0.02)
    assert (await meter.read_instantaneous()).voltage_v == 220.0


async def test_other_device_address_stays_silent(twin: RefMeterTwin, link: PtyLink) -> None:
    m = make_meter(link.path_b, device_id=2, retries=0)
    with pytest.raises(DeviceTimeout, match="device 2"):
        await m.read_energy_wh()
    assert twin.stats.ignored == 1
    await m.close()


async def test_unplugged_adapter_is_disconnected(meter: ModbusMeter, link: PtyLink) -> None:
    assert (await meter.read_instantaneous()).voltage_v == 220.0
    link.close()  # both pseudo-terminals vanish, like a USB/RS-485 adapter pulled out
    await asyncio.sleep(0.05)
    with pytest.raises(Disconnected) as info:
        await meter.read_energy_wh()
    assert_names_device(info.value, link.path_b)
    assert "USB/RS-485 adapter" in str(info.value)


async def test_missing_serial_port_is_disconnected() -> None:
    m = make_meter("/dev/does-not-exist-jianding")
    with pytest.raises(Disconnected, match="cannot open serial port"):
        await m.connect()
    await m.close()


async def test_sdm630_over_rtu(rig: Rig, link: PtyLink) -> None:
    twin = RefMeterTwin(rig, register_map="eastron_sdm630")
    await twin.serve_rtu(link.path_a, baudrate=19200)
    m = make_meter(link.path_b, map_name="eastron_sdm630")
    try:
        rig.circuit.set_load(32.0, 1.0)
        rig.circuit.set_contactor(True)
        inst = await m.read_instantaneous()
        assert (inst.voltage_v, inst.current_a, inst.active_power_w) == (220.0, 32.0, 7040.0)
    finally:
        await m.close()
        await twin.stop()
