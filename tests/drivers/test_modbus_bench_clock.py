"""ModbusBench's time base and clock test against the meter-bench twin over Modbus TCP on loopback:
each meter's clock-pulse frequency gives back its true daily clock error, e = (f − f0)/f0 × 86400
(f = 1 + 0.3/86400 Hz → +0.3 s/d); no voltage → no clock pulses; a dead calculator is a fault."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from drivers.benches.modbus_bench import ModbusBench
from drivers.errors import DeviceRefused
from drivers.meters.register_map import load_map
from drivers.roles import ClockTester
from hardware_sim.meter_bench import BenchFaults, MeterBenchTwin
from procedures.metrology import daily_clock_error_s_per_day

pytestmark = pytest.mark.timeout(30)

CLOCK_ERRORS = [0.3, -0.45, 0.0, 0.12]


@pytest.fixture
async def rig() -> AsyncIterator[tuple[MeterBenchTwin, ModbusBench]]:
    twin = MeterBenchTwin(4, speed=600.0, clock_errors_s_per_day=CLOCK_ERRORS, clock_noise_s_per_day=0.0,
                          faults=BenchFaults(dead_positions={4}))
    await twin.serve_tcp("127.0.0.1", 0)
    bench = ModbusBench.from_config("bench", {"map": "jianding_sim_bench", "transport": "tcp", "host": "127.0.0.1",
                                              "port": twin.port, "positions": 4, "timeout_s": 0.5,
                                              "settle_timeout_s": 5.0, "poll_interval_s": 0.01})
    await bench.connect()
    yield twin, bench
    await bench.close()
    await twin.stop()


async def _wait_counts(bench: ModbusBench, n: int, positions: tuple[int, ...]) -> list:  # type: ignore[type-arg]
    for _ in range(400):
        got = await bench.read_clock_frequencies()
        if all(got[p - 1].measurements >= n for p in positions):
            return got
        await asyncio.sleep(0.01)
    raise AssertionError(f"clock gates did not complete: {got}")


async def test_clock_frequencies_give_the_true_daily_errors(rig: tuple[MeterBenchTwin, ModbusBench]) -> None:
    twin, bench = rig
    assert isinstance(bench, ClockTester) and bench.has_clock
    t0 = await bench.read_time_s()
    await bench.apply(220.0, 0.0, "1")
    await bench.start_clock_test(10.0)
    got = await _wait_counts(bench, 2, (1, 2, 3))
    assert await bench.read_time_s() - t0 >= 20.0  # two gates of the bench's time base
    for p in (1, 2, 3):
        assert got[p - 1].ok
        assert float(daily_clock_error_s_per_day(got[p - 1].frequency_hz, 1.0)) == pytest.approx(CLOCK_ERRORS[p - 1],
                                                                                                 abs=1e-6)
    assert not got[3].ok and "表位 4" in got[3].fault and got[3].frequency_hz is None
    await bench.stop_clock_test()
    assert twin.value("clock_control") == 0


async def test_no_voltage_no_clock_pulses(rig: tuple[MeterBenchTwin, ModbusBench]) -> None:
    _, bench = rig
    await bench.off()
    await bench.start_clock_test(5.0)
    t0 = await bench.read_time_s()
    for _ in range(400):  # until 4 gates of the time base have passed
        if await bench.read_time_s() - t0 >= 20.0:
            break
        await asyncio.sleep(0.01)
    got = await bench.read_clock_frequencies()
    assert [c.measurements for c in got[:3]] == [0, 0, 0] and not any(c.ok for c in got)


async def test_a_map_without_clock_registers_refuses() -> None:
    m = load_map("jianding_sim_bench")
    assert m.has("clock_gate_s", "clock_control", "bench_time") and m.has_position("clock_frequency", "clock_count")
    bench = ModbusBench.from_config("bench", {"map": "jianding_sim_bench", "transport": "tcp", "host": "127.0.0.1",
                                              "port": 1, "positions": 2})
    bench.has_clock = False
    with pytest.raises(DeviceRefused, match="日计时"):
        await bench.start_clock_test(60.0)
    await bench.stop_clock_test()  # nothing to stop: no request
