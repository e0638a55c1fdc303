"""ModbusMeter against the reference-meter twin over real Modbus TCP on 127.0.0.1.

No Python-level mocks: the driver talks to a pymodbus server on an ephemeral port, and every fault
is injected by the twin into the frames it sends (dropped, corrupted, delayed replies) or by
closing the twin's sockets.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from drivers.errors import DeviceError, DeviceRefused, DeviceTimeout, Disconnected, ProtocolError
from drivers.meters.modbus_meter import ModbusMeter, UnsupportedFunction
from drivers.roles import EnergyStandard, LoadController, PulseCounter
from hardware_sim.physics import Rig
from hardware_sim.ref_meter import RefMeterTwin

pytestmark = pytest.mark.timeout(30)

TIMEOUT_S = 0.25
RETRIES = 2
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def rig() -> Rig:
    return Rig(speed=2000, dut_error_pct=0.3, seed=1148)


@pytest.fixture
async def twin(rig: Rig) -> AsyncIterator[RefMeterTwin]:
    t = RefMeterTwin(rig)
    await t.serve_tcp("127.0.0.1", 0)
    yield t
    await t.stop()


def make_meter(port: int, map_name: str = "jianding_sim_ref", **extra: object) -> ModbusMeter:
    cfg: dict[str, object] = {"map": map_name, "transport": "tcp", "host": "127.0.0.1", "port": port,
                              "device_id": 1, "timeout_s": TIMEOUT_S, "retries": RETRIES}
    cfg.update(extra)
    return ModbusMeter.from_config("ref", cfg)


@pytest.fixture
async def meter(twin: RefMeterTwin) -> AsyncIterator[ModbusMeter]:
    assert twin.port
    m = make_meter(twin.port)
    await m.connect()
    yield m
    await m.close()


def assert_names_device(exc: DeviceError, port: int) -> None:
    assert exc.device == "ref"
    text = str(exc)
    assert text.startswith("ref: ")
    assert f"127.0.0.1:{port}, device 1" in text


async def wait_gate_done(meter: ModbusMeter, within_s: float = 5.0) -> None:
    deadline = time.monotonic() + within_s
    while not (await meter.gate_status()).done:
        assert time.monotonic() < deadline, "gate did not finish"
        await asyncio.sleep(0.01)


def test_meter_plays_its_roles() -> None:
    m = make_meter(5020)
    assert isinstance(m, EnergyStandard)
    assert isinstance(m, PulseCounter)
    assert isinstance(m, LoadController)
    assert m.has_gate and m.has_load


async def test_instantaneous_values(meter: ModbusMeter) -> None:
    inst = await meter.read_instantaneous()
    assert inst.voltage_v == 220.0
    assert inst.frequency_hz == 50.0
    assert inst.current_a == 0.0  # contactor open: the charger has not switched on
    assert inst.active_power_w == 0.0
    assert inst.power_factor == 1.0
    assert meter.transport.stats.requests == 1  # five quantities, one request


async def test_energy_increases_while_load_on_and_contactor_closed(meter: ModbusMeter, rig: Rig) -> None:
    await meter.set_load(10.0)
    e0 = await meter.read_energy_wh()
    await asyncio.sleep(0.05)
    assert await meter.read_energy_wh() == pytest.approx(e0, abs=1e-9)  # contactor open: no energy
    rig.circuit.set_contactor(True)  # stands in for the charger
    e1 = await meter.read_energy_wh()
    await asyncio.sleep(0.05)
    e2 = await meter.read_energy_wh()
    assert e2 > e1 > e0 - 1e-9
    # 2200 W × 2000 sim-s per s: at least ~0.05 s × 1222 Wh/s
    assert e2 - e1 > 30.0
    assert e2 == pytest.approx(rig.std.energy_wh(), rel=0.05)


async def test_set_load_changes_current(meter: ModbusMeter, rig: Rig) -> None:
    rig.circuit.set_contactor(True)
    await meter.set_load(16.0, 0.8)
    assert rig.circuit.current_a == 16.0
    assert rig.circuit.power_factor == pytest.approx(0.8, abs=1e-6)
    inst = await meter.read_instantaneous()
    assert inst.current_a == 16.0
    assert inst.power_factor == pytest.approx(0.8, abs=1e-6)
    assert inst.active_power_w == pytest.approx(220.0 * 16.0 * 0.8, rel=1e-6)
    await meter.load_off()
    assert (await meter.read_instantaneous()).current_a == 0.0
    await meter.load_off()  # idempotent


async def test_out_of_range_load_is_refused_by_the_meter(meter: ModbusMeter, twin: RefMeterTwin) -> None:
    with pytest.raises(DeviceRefused) as info:
        await meter.set_load(500.0)
    assert_names_device(info.value, twin.port or 0)
    assert "illegal data value" in str(info.value)
    assert meter.transport.stats.attempts == 1  # a refusal is an answer: not retried


async def test_full_gate_measures_the_dut_error(meter: ModbusMeter, rig: Rig) -> None:
    await meter.set_load(1.0)
    rig.circuit.set_contactor(True)
    await meter.start_gate(5)
    first = await meter.gate_status()
    assert first.target_pulses == 5
    assert first.running or first.done
    await wait_gate_done(meter)
    result = await meter.read_gate()
    assert result.dut_pulses == 5
    assert result.std_constant == 1_000_000.0
    # JJG 1148 pulse method: e = (N / C_L) / (m / C0) - 1
    error_pct = ((result.dut_pulses / rig.dut_constant) / (result.std_pulses / result.std_constant) - 1) * 100
    assert error_pct == pytest.approx(rig.dut_error_pct, abs=0.1)
    assert result.ref_energy_wh == pytest.approx(result.std_pulses / result.std_constant * 1000, abs=0.002)
    # 5 Wh at 220 W is ~82 simulation seconds
    assert result.duration_s == pytest.approx(5.0 / 220.0 * 3600 / 1.003, rel=0.05)
    status = await meter.gate_status()
    assert status.done and not status.running and status.dut_pulses == 5


async def test_read_gate_without_finished_gate_is_protocol_error(meter: ModbusMeter) -> None:
    with pytest.raises(ProtocolError, match="no finished gate"):
        await meter.read_gate()


async def test_stop_gate_aborts(meter: ModbusMeter) -> None:
    await meter.start_gate(5)  # contactor open: no DUT pulses, the gate waits for its first edge
    status = await meter.gate_status()
    assert status.running and not status.done and status.dut_pulses == 0
    await meter.stop_gate()
    status = await meter.gate_status()
    assert not status.running and not status.done
    with pytest.raises(ProtocolError, match="idle"):
        await meter.read_gate()
    await meter.stop_gate()  # idempotent


async def test_twin_silent_mid_gate_gives_device_timeout(meter: ModbusMeter, twin: RefMeterTwin,
                                                         rig: Rig) -> None:
    await meter.set_load(0.2)
    rig.circuit.set_contactor(True)
    await meter.start_gate(20)
    deadline = time.monotonic() + 5
    while (await meter.gate_status()).dut_pulses == 0:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.005)
    twin.faults.silent = True
    t0 = time.monotonic()
    with pytest.raises(DeviceTimeout) as info:
        await meter.gate_status()
    elapsed = time.monotonic() - t0
    assert_names_device(info.value, twin.port or 0)
    assert "no answer within 0.25 s (3 attempts)" in str(info.value)
    assert (RETRIES + 1) * TIMEOUT_S * 0.9 <= elapsed <= meter.transport.call_deadline_s
    assert twin.stats.dropped == RETRIES + 1  # three requests reached the twin, no reply left it
    twin.faults.silent = False
    await wait_gate_done(meter)  # the meter kept counting; the driver picks up again
    assert (await meter.read_gate()).dut_pulses == 20


async def test_garbage_replies_within_retries_are_retried(meter: ModbusMeter, twin: RefMeterTwin) -> None:
    twin.faults.garbage_replies = RETRIES
    energy = await meter.read_energy_wh()
    assert energy >= 0.0
    assert twin.stats.garbled == RETRIES
    assert meter.transport.stats.garbled == RETRIES
    assert meter.transport.stats.attempts == RETRIES + 1


async def test_garbage_beyond_retries_is_protocol_error(meter: ModbusMeter, twin: RefMeterTwin) -> None:
    twin.faults.garbage_replies = RETRIES + 1
    with pytest.raises(ProtocolError) as info:
        await meter.read_instantaneous()
    assert_names_device(info.value, twin.port or 0)
    assert "3 of 3 attempts garbled" in str(info.value)
    assert twin.stats.garbled == RETRIES + 1
    # the twin is fine again: the next call works (on a fresh connection)
    assert (await meter.read_instantaneous()).voltage_v == 220.0
    assert meter.transport.stats.connects == 2


async def test_latency_below_timeout_is_tolerated_above_it_times_out(meter: ModbusMeter,
                                                                     twin: RefMeterTwin) -> None:
    twin.faults.latency_s = 0.1
    t0 = time.monotonic()
    assert (await meter.read_instantaneous()).voltage_v == 220.0
    assert time.monotonic() - t0 >= 0.1
    twin.faults.latency_s = TIMEOUT_S + 0.2
    with pytest.raises(DeviceTimeout):
        await meter.read_energy_wh()
    twin.faults.latency_s = 0.0
    # late replies to the abandoned requests must never be taken for the answer to a new one
    for _ in range(5):
        inst = await meter.read_instantaneous()
        assert (inst.voltage_v, inst.frequency_hz) == (220.0, 50.0)
    await asyncio.sleep(TIMEOUT_S + 0.25)
    assert (await meter.gate_status()).target_pulses == 0


async def test_reconnects_after_twin_comes_back(meter: ModbusMeter, twin: RefMeterTwin) -> None:
    port = twin.port or 0
    assert (await meter.read_instantaneous()).voltage_v == 220.0
    await twin.stop()
    with pytest.raises(Disconnected) as info:
        await meter.read_energy_wh()
    assert_names_device(info.value, port)
    with pytest.raises(Disconnected):  # still down: a fresh connect is refused
        await meter.read_energy_wh()
    await twin.serve_tcp("127.0.0.1", port)
    assert (await meter.read_instantaneous()).voltage_v == 220.0
    assert meter.transport.stats.connects == 2


async def test_dropped_connection_is_reopened_transparently(meter: ModbusMeter, twin: RefMeterTwin) -> None:
    assert (await meter.read_instantaneous()).voltage_v == 220.0
    await twin.drop_connections()
    await asyncio.sleep(0.05)  # the driver learns of the closed socket before its next request
    assert (await meter.read_instantaneous()).voltage_v == 220.0  # nothing was in flight: safe
    assert meter.transport.stats.connects == 2


async def test_wrong_device_address_times_out_and_says_so(twin: RefMeterTwin) -> None:
    m = make_meter(twin.port or 0, device_id=7)
    with pytest.raises(DeviceTimeout, match=r"device 7.*no answer"):
        await m.read_energy_wh()
    assert twin.stats.ignored == RETRIES + 1
    await m.close()


async def test_nobody_listening_is_disconnected() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    m = make_meter(port)
    with pytest.raises(Disconnected) as info:
        await m.connect()
    assert_names_device(info.value, port)
    assert "cannot connect" in str(info.value)
    await m.close()


async def test_sdm630_map_reads_values_and_says_gate_and_load_are_unsupported(rig: Rig) -> None:
    twin = RefMeterTwin(rig, register_map="eastron_sdm630")
    await twin.serve_tcp("127.0.0.1", 0)
    m = make_meter(twin.port or 0, map_name="eastron_sdm630")
    try:
        rig.circuit.set_load(10.0, 1.0)
        rig.circuit.set_contactor(True)
        inst = await m.read_instantaneous()
        assert (inst.voltage_v, inst.current_a, inst.active_power_w) == (220.0, 10.0, 2200.0)
        assert m.transport.stats.requests == 1  # 0x0000..0x0047 in one request
        assert await m.read_energy_wh() > 0.0  # float32 kWh on the wire, Wh here
        assert not m.has_gate and not m.has_load
        with pytest.raises(UnsupportedFunction, match="Eastron SDM630 does not support the pulse-comparison"):
            await m.start_gate(5)
        with pytest.raises(UnsupportedFunction, match="programmable load"):
            await m.set_load(5.0)
        await m.stop_gate()  # teardown paths stay harmless
        await m.load_off()
        assert m.transport.stats.requests == 2  # unsupported functions never touched the wire
    finally:
        await m.close()
        await twin.stop()


async def test_wrong_register_map_is_refused_with_a_hint(rig: Rig) -> None:
    twin = RefMeterTwin(rig, register_map="eastron_sdm630")  # an SDM630 on the wire …
    await twin.serve_tcp("127.0.0.1", 0)
    m = make_meter(twin.port or 0)  # … configured as our calibrator
    try:
        with pytest.raises(DeviceRefused) as info:
            await m.start_gate(5)
        assert_names_device(info.value, twin.port or 0)
        assert "illegal data address" in str(info.value)
        assert "wrong register map?" in str(info.value)
    finally:
        await m.close()
        await twin.stop()


async def test_standalone_twin_from_the_command_line() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    code = "import sys; from hardware_sim.ref_meter import main; sys.exit(main(sys.argv[1:]))"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, "ref-meter", "--tcp", "127.0.0.1:0", "--speed", "1000", "--load", "5",
        cwd=REPO, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    try:
        port = 0
        while not port:
            line = (await asyncio.wait_for(proc.stdout.readline(), 15)).decode()
            assert line, f"twin exited: {(await proc.stderr.read()).decode()}"
            if line.startswith("listening on Modbus TCP"):
                port = int(line.rsplit(":", 1)[1])
        m = make_meter(port)
        inst = await m.read_instantaneous()
        assert (inst.voltage_v, inst.current_a) == (220.0, 5.0)  # standalone: contactor closed
        await m.close()
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 10)
    assert proc.returncode == 0, err.decode()
