"""ModbusBench against the meter-bench twin at the wire (Modbus TCP on loopback): a three-phase
source loading all elements or one alone, meters whose elements have errors of their own, a source
that delivers no current, and the registers that run with the meters' energy.

Hand-worked: 220 V, 5 A, cos φ 1 — balanced on three elements P = 3 × 220 × 5 = 3300 W; element B
alone 1100 W (the standard's own +0.002 % aside). A meter with element errors +2.8, −1.2, −1.0 %
has −1.2 % with B alone and (2.8 − 1.2 − 1.0)/3 = +0.2 % balanced (noise 0; one standard pulse in
≈ 12 500 → ±0.01 %).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from drivers.benches.modbus_bench import ModbusBench
from drivers.errors import DeviceRefused
from hardware_sim.meter_bench import BenchFaults, MeterBenchTwin
from procedures.metrology.bench import pulse_errors
from tests.drivers.test_modbus_bench import make_bench, wait_gates

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
async def three() -> AsyncIterator[MeterBenchTwin]:
    t = MeterBenchTwin(3, seed=5, speed=400.0, true_errors_pct=0.1, noise_pct=0.0, std_noise_pct=0.0, phases=3,
                       element_errors_pct={2: [2.8, -1.2, -1.0]}, settle_s=0.1)
    await t.serve_tcp("127.0.0.1", 0)
    yield t
    await t.stop()


@pytest.fixture
async def bench3(three: MeterBenchTwin) -> AsyncIterator[ModbusBench]:
    b = make_bench(three.port, positions=3)
    await b.connect()
    yield b
    await b.close()


def _errors(readings: list) -> list[float]:
    return [float(pulse_errors(r.std_pulses, r.dut_pulses, r.std_constant, 1600.0)[()]) for r in readings]


async def test_balanced_load_and_one_element_alone(three: MeterBenchTwin, bench3: ModbusBench) -> None:
    await bench3.apply(220.0, 5.0, "1")
    assert (await bench3.read_instantaneous()).active_power_w == pytest.approx(3300.0, rel=1e-4)
    await bench3.start_gates(20)
    balanced = _errors(await wait_gates(bench3))
    assert balanced == pytest.approx([0.1, 0.2, 0.1], abs=0.01)
    await bench3.apply(220.0, 5.0, "1", phase="B")
    assert (await bench3.read_instantaneous()).active_power_w == pytest.approx(1100.0, rel=1e-4)
    assert three.rig.circuit.loaded == (False, True, False)
    await bench3.start_gates(20)
    assert _errors(await wait_gates(bench3)) == pytest.approx([0.1, -1.2, 0.1], abs=0.01)
    await bench3.apply(220.0, 5.0, "1", phase="A")
    await bench3.start_gates(20)
    assert _errors(await wait_gates(bench3))[1] == pytest.approx(2.8, abs=0.01)
    with pytest.raises(ValueError, match="A, B or C"):
        await bench3.apply(220.0, 5.0, "1", phase="D")
    await bench3.off()


async def test_a_single_phase_source_cannot_load_phase_b() -> None:
    one = MeterBenchTwin(2, speed=400.0, true_errors_pct=0.0, settle_s=0.1)
    await one.serve_tcp("127.0.0.1", 0)
    b = make_bench(one.port, positions=2)
    await b.connect()
    try:
        await b.apply(220.0, 5.0, "1", phase="A")  # its only element
        with pytest.raises(DeviceRefused):
            await b.apply(220.0, 5.0, "1", phase="B")
    finally:
        await b.close()
        await one.stop()


async def test_source_delivering_no_current() -> None:
    faults = BenchFaults(source_no_current=True)
    t = MeterBenchTwin(2, speed=400.0, true_errors_pct=0.0, settle_s=0.1, faults=faults)
    await t.serve_tcp("127.0.0.1", 0)
    b = make_bench(t.port, positions=2)
    await b.connect()
    try:
        await b.apply(220.0, 5.0, "1")  # it settles at its setpoints …
        inst = await b.read_instantaneous()
        assert inst.voltage_v == pytest.approx(220.0) and inst.current_a == 0.0 and inst.active_power_w == 0.0
        assert (await b.read_quantities("source_current_setpoint"))["source_current_setpoint"] == 5.0
        faults.source_no_current = False  # … until the current circuit closes again
        assert (await b.read_instantaneous()).active_power_w == pytest.approx(1100.0, rel=1e-4)
    finally:
        await b.close()
        await t.stop()
