"""The flow-bench and scale twins: their physics (hand-worked), the counts a test produces per
position, faults for one position only, the shared tank, and both runnable alone."""

from __future__ import annotations

import asyncio
import sys

import pytest
from pymodbus.client import AsyncModbusTcpClient

from drivers.meters.register_map import load_map
from hardware_sim.flow_bench import DONE, IDLE, RUNNING, FlowBenchFaults, FlowBenchTwin, interpolate
from hardware_sim.flow_physics import FlowRig, air_density, scale_indication, water_density
from hardware_sim.scale import ScaleTwin

pytestmark = pytest.mark.timeout(30)


def test_water_density_tanaka() -> None:
    # Tanaka 2001 table values: 4 °C 999.9750, 20 °C 998.2067, 30 °C 995.6488 kg/m³
    assert water_density(20.0) == pytest.approx(998.2067, abs=5e-4)
    assert water_density(4.0) == pytest.approx(999.9750, abs=5e-4)
    assert water_density(30.0) == pytest.approx(995.6488, abs=5e-4)


def test_air_density_and_indication() -> None:
    # (0.34848·1013.25 − 0.009·50·e^(0.061·20))/293.15 = (353.0955 − 1.5242)/293.15 = 1.19929 kg/m³
    assert air_density(20.0, 101.325, 50.0) == pytest.approx(1.19929, abs=1e-5)
    # 10 kg water, ρ_a 1.2: 10·(1 − 1.2/998.2067)/(1 − 1.2/8000) = 10·0.99879784/0.99985 = 9.98948 kg
    assert scale_indication(10.0, 20.0, 1.2) == pytest.approx(9.98948, abs=1e-5)


def test_interpolate_curve() -> None:
    curve = {0.01: 3.0, 0.016: 1.0, 1.0: 0.4}
    assert interpolate(curve, 0.005) == 3.0 and interpolate(curve, 2.0) == 0.4
    assert interpolate(curve, 0.013) == pytest.approx(2.0)  # halfway between 3.0 and 1.0


async def _wait_done(twin: FlowBenchTwin) -> None:
    for _ in range(4000):  # bounded by the test timeout, not by a timed assertion
        if twin.state == DONE:
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the simulated test never finished")


async def test_counts_per_position_and_faults_on_one_position_only() -> None:
    faults = FlowBenchFaults(no_pulses={2}, stuck={3}, dead={4}, dropout_pct={5: 10.0})
    twin = FlowBenchTwin(8, speed=5000.0, nominal_flow_m3_h=2.5, error_curve_pct={1.0: 0.0},
                         curves={6: {1.0: -1.5}}, offsets_pct=0.0, noise_pct=0.0, pulses_per_l=100.0, faults=faults)
    twin.start_test(2.5, 10.0)
    await _wait_done(twin)
    v = twin._last["std_volume"]  # std_error 0: the true volume
    counts = {p: twin.position_value(p, "test_pulses") for p in range(1, 9)}
    codes = {p: twin.position_value(p, "fault_code") for p in range(1, 9)}
    assert codes == {1: 0, 2: 1, 3: 2, 4: 0x80, 5: 0, 6: 0, 7: 0, 8: 0}
    for p in (1, 7, 8):
        assert abs(counts[p] - v * 100) <= 1
    assert abs(counts[6] - v * 100 * 0.985) <= 1  # −1.5 %
    assert abs(counts[5] - v * 100 * 0.90) <= 1  # 10 % of the pulses lost
    assert counts[2] == 0 and counts[4] == 0 and 0 < counts[3] < v * 100 / 2


async def test_water_goes_into_the_shared_tank_and_the_wire_serves_it() -> None:
    rig = FlowRig(speed=5000.0)
    twin = FlowBenchTwin(2, rig=rig, noise_pct=0.0)
    scale = ScaleTwin(rig, settle_s=0.0)
    await twin.serve_tcp("127.0.0.1", 0)
    try:
        twin.start_test(2.5, 5.0)
        await _wait_done(twin)
        v = twin._last["std_volume"]
        assert rig.tank.mass_kg == pytest.approx(v / 1000 * water_density(20.0), rel=1e-9)
        assert scale.handle("S").startswith("S S")
        client = AsyncModbusTcpClient("127.0.0.1", port=twin.port)
        await client.connect()
        m = load_map("jianding_sim_flow_bench")
        reg = m.register("std_volume")
        rr = await client.read_input_registers(reg.address, count=reg.count, device_id=1)
        assert m.decode("std_volume", rr.registers) == pytest.approx(v)
        client.close()
    finally:
        await twin.stop()


def test_no_flow_fault_runs_without_flow_and_never_ends() -> None:
    rig = FlowRig(speed=1.0)
    twin = FlowBenchTwin(2, rig=rig, faults=FlowBenchFaults(no_flow=True), pressure_loss_pa=100.0)
    getters = twin._build_getters()
    twin.start_test(2.5, 5.0)  # nominal 5/(2.5/3.6) = 7.2 s of flow after 2 s of preparing
    rig.clock._wall0 -= 1000.0  # a thousand simulated seconds later
    assert twin.state == RUNNING and getters["measured_flow"]() == 0.0
    assert rig.tank.mass_kg == 0.0 and twin.position_value(1, "test_pulses") == 0
    twin.stop_flow()
    assert twin.state == IDLE
    twin.faults.no_flow = False
    twin.start_test(2.5, 5.0)
    rig.clock._wall0 -= 20.0
    assert twin.state == DONE and twin.position_value(1, "test_pulses") > 0
    # 2.5 m³/h is the nominal flow: the meter's own 100 Pa
    assert twin.position_value(2, "pressure_loss") == pytest.approx(100.0)


async def test_runnable_alone() -> None:
    for argv in (["flow-bench", "--tcp", "127.0.0.1:0", "--positions", "4", "--no-flow", "--pressure-loss", "150"],
                 ["scale"]):
        proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "hardware_sim", *argv,
                                                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            seen = b""
            while b"Ctrl-C" not in seen:
                line = await asyncio.wait_for(proc.stdout.readline(), 20)  # type: ignore[union-attr]
                assert line, (await proc.stderr.read()).decode()  # type: ignore[union-attr]
                seen += line
            assert (b"listening on Modbus TCP" in seen) or (b"open /dev/" in seen)
        finally:
            proc.terminate()
            await proc.wait()
