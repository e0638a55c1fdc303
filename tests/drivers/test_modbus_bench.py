"""ModbusBench against the meter-bench twin, at the wire: real Modbus TCP on 127.0.0.1 (and RTU
through a pseudo-terminal cable), no Python-level mocks.

A 24-position bench: the source applies Ib at cos φ = 1 (or 0.5L), every position runs a gate of N
pulses, and the errors computed from the counts with ``procedures.metrology.bench.pulse_errors``
(γ = (m0 − m)/m, m0 = C0·N/C_L) must equal each position's configured true error within the noise.
Faults are injected by the twin: on positions (stuck, dead, pulse dropouts), on the source (never
settles, trips), and on the whole bench's reply frames (silent, garbage, dropped connections).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from drivers.benches.modbus_bench import ModbusBench
from drivers.errors import DeviceError, DeviceRefused, DeviceTimeout, Disconnected, ProtocolError
from drivers.meters.register_map import RegisterMapError, load_map, parse_map
from drivers.roles import EnergyStandard, MultiPositionCounter, PositionReading, PowerSource
from hardware_sim.meter_bench import (
    GATE_ARMED,
    GATE_IDLE,
    SOURCE_OFF,
    SOURCE_SETTLED,
    BenchFaults,
    MeterBenchTwin,
)
from hardware_sim.ref_meter import PtyLink
from procedures.metrology.bench import pulse_errors

pytestmark = pytest.mark.timeout(30)

POSITIONS = 24
TIMEOUT_S = 0.25
RETRIES = 2
SPEED = 400.0  # simulation seconds per wall second: a 20-pulse gate at Ib takes ~0.1 s
IB_A = 5.0  # a 5(60) A single-phase meter
UN_V = 220.0
TRUE_ERRORS = [round(-0.46 + 0.04 * i, 2) for i in range(POSITIONS)]  # −0.46 … +0.46 %
CONSTANTS = [1600.0] * 16 + [3200.0] * 8  # two meter types on one bench
NOISE_PCT = 0.01
# noise (5σ) + one standard pulse in ~6000 + the standard's own small error and noise
TOLERANCE_PCT = 0.07
REPO = Path(__file__).resolve().parents[2]


def make_twin(positions: int = POSITIONS, faults: BenchFaults | None = None, **kw: object) -> MeterBenchTwin:
    args: dict[str, object] = {"seed": 596, "speed": SPEED, "constants": CONSTANTS[:positions],
                               "true_errors_pct": TRUE_ERRORS[:positions], "noise_pct": NOISE_PCT}
    args.update(kw)
    return MeterBenchTwin(positions, faults=faults, **args)  # type: ignore[arg-type]


@pytest.fixture
def faults() -> BenchFaults:
    return BenchFaults()


@pytest.fixture
async def twin(faults: BenchFaults) -> AsyncIterator[MeterBenchTwin]:
    t = make_twin(faults=faults)
    await t.serve_tcp("127.0.0.1", 0)
    yield t
    await t.stop()


def make_bench(port: int, positions: int = POSITIONS, **extra: object) -> ModbusBench:
    cfg: dict[str, object] = {"map": "jianding_sim_bench", "transport": "tcp", "host": "127.0.0.1",
                              "port": port, "device_id": 1, "positions": positions, "timeout_s": TIMEOUT_S,
                              "retries": RETRIES, "settle_timeout_s": 5.0, "poll_interval_s": 0.01}
    cfg.update(extra)
    return ModbusBench.from_config("bench", cfg)


@pytest.fixture
async def bench(twin: MeterBenchTwin) -> AsyncIterator[ModbusBench]:
    assert twin.port
    b = make_bench(twin.port)
    await b.connect()
    yield b
    await b.close()


def assert_names_device(exc: DeviceError, port: int) -> None:
    assert exc.device == "bench"
    assert str(exc).startswith("bench: ")
    assert f"127.0.0.1:{port}, device 1" in str(exc)


async def wait_gates(bench: ModbusBench, within_s: float = 8.0) -> list[PositionReading]:
    """Poll until every position's gate finished or gave up, then read them all."""
    deadline = time.monotonic() + within_s
    while not all(await bench.gates_done()):
        assert time.monotonic() < deadline, "gates did not finish"
        await asyncio.sleep(0.01)
    return await bench.read_gates()


def errors_of(readings: Sequence[PositionReading], constants: Sequence[float] = CONSTANTS) -> np.ndarray:
    """γ per position with the regulation's pulse formula (NaN where the position has no counts)."""
    m = [r.std_pulses if r.ok else np.nan for r in readings]
    n = [r.dut_pulses if r.ok else 0 for r in readings]
    return pulse_errors(m, n, [r.std_constant for r in readings], list(constants[:len(readings)]))


def expected_errors(twin: MeterBenchTwin) -> np.ndarray:
    """What the bench should measure: the meter's true error against the standard's own error."""
    e_std = twin.rig.std.error_pct / 100.0
    return ((1 + np.asarray(twin.true_errors_pct) / 100.0) / (1 + e_std) - 1) * 100.0


# ---------------------------------------------------------------------- the map (data)
def test_bench_map_layout() -> None:
    m = load_map("jianding_sim_bench")
    block = m.position_block()
    assert (block.count, block.base, block.stride) == (48, 0x1000, 16)
    assert m.position_register("gate_std_pulses", 7).address == 0x1000 + 6 * 16 + 4
    assert m.position_register("gate_std_pulses", 7).type == "uint64"
    spans = m.plan_position_reads(["gate_state", "fault_code", "gate_dut_pulses", "gate_std_pulses"], 24)
    assert [(s.address, s.count, s.positions[0], s.positions[-1]) for s in spans] == [
        (0x1000, 7 * 16 + 8, 1, 8), (0x1080, 7 * 16 + 8, 9, 16), (0x1100, 7 * 16 + 8, 17, 24)]
    assert all(s.count <= m.max_read_count for s in spans)
    # the source block is one FC16 write, in the order apply() sends it
    assert len(m.plan_writes({"source_voltage_setpoint": 220, "source_current_setpoint": 5,
                              "source_frequency_setpoint": 50, "source_pf_code": 1, "source_output": 1})) == 1
    assert set(m.enum("source_pf_code").values()) >= {"1", "0.5L", "0.8C", "0.5C", "0.8L"}
    assert m.enum_label("fault_code", 1) == "无脉冲 (no pulses within the gate)"
    assert m.enum_label("fault_code", 0x80) == "计数器无响应 (error calculator not answering)"
    assert load_map("jianding_sim_ref").positions is None  # single meters are unchanged


def test_position_span_decoding_uses_each_positions_record() -> None:
    m = load_map("jianding_sim_bench")
    (span,) = m.plan_position_reads(["fault_code", "dut_pulse_count"], [3, 4])
    assert (span.address, span.count, span.positions) == (0x1021, 16 + 9, (3, 4))
    regs = [0] * span.count
    regs[0] = 2  # position 3 fault code
    regs[7:9] = m.encode_register(m.position_block().registers["dut_pulse_count"], 123456)
    regs[16 + 7:16 + 9] = [0, 42]
    assert m.decode_position_span(span, regs) == {3: {"fault_code": 2, "dut_pulse_count": 123456},
                                                  4: {"fault_code": 0, "dut_pulse_count": 42}}
    # non-consecutive positions and a wide hole (stride − width > max_read_gap) are separate requests
    assert len(m.plan_position_reads(["fault_code"], [1, 3])) == 2
    sparse = parse_map(_HEADER.replace("max_read_gap = 16", "max_read_gap = 4") + _POSITIONS, "sparse.toml")
    assert len(sparse.plan_position_reads(["gate_state"], 4)) == 4
    # a request starting inside one quantity still refreshes it whole (the twin's side)
    assert m.positions_overlapping("input", 0x1000 + 16 + 3, 3, 24) == [
        (2, m.position_register("gate_dut_pulses", 2)), (2, m.position_register("gate_std_pulses", 2))]
    assert m.positions_overlapping("input", 0x1000, 64, 2)[-1][0] == 2  # only positions served


_HEADER = """
[meter]
model = "T-BENCH"
maker = "Test"
word_order = "big"
byte_order = "big"
max_read_gap = 16

[registers.voltage]
table = "input"
address = 0
type = "float32"
unit = "V"
"""
_POSITIONS = """
[positions]
count = 4
base = 0x100
stride = 8

[position_registers.gate_state]
table = "input"
offset = 0
type = "uint16"
unit = "1"
"""


@pytest.mark.parametrize(("body", "where", "why"), [
    (_POSITIONS.replace("offset = 0", "offset = 7").replace("uint16", "uint32"),
     "[position_registers.gate_state] offset", "runs past the stride"),
    (_POSITIONS.replace("base = 0x100", "base = 0"), "[registers.voltage] address", "inside the repeated"),
    (_POSITIONS.replace("stride = 8\n", ""), "[positions] stride", "missing"),
    ("\n[positions]\ncount = 2\nbase = 0\nstride = 4\n", "[position_registers]", "no position registers"),
    (_POSITIONS.replace("offset", "address"), "[position_registers.gate_state] address", "unknown key"),
    (_POSITIONS.replace('unit = "1"', 'unit = "imp"'), "[position_registers.gate_state] unit", "'1'"),
    (_POSITIONS + '\n[enums.nonesuch]\n0 = "x"\n', "[enums.nonesuch]", "no register"),
    (_POSITIONS + '\n[enums.voltage]\n0 = "x"\n', "[enums.voltage]", "integer register"),
    (_POSITIONS + '\n[enums.gate_state]\n0 = "x"\n1 = "x"\n', "[enums.gate_state] 1", "used twice"),
    (_POSITIONS + '\n[enums.gate_state]\nidle = "x"\n', "[enums.gate_state] idle", "integers"),
    (_POSITIONS + '\n[enums.gate_state]\n1 = "x"\n0x01 = "y"\n', "[enums.gate_state] 0x01", "listed twice"),
])
def test_bad_position_blocks_and_enums_name_file_and_key(body: str, where: str, why: str) -> None:
    with pytest.raises(RegisterMapError) as info:
        parse_map(_HEADER + body, "bad_bench.toml")
    msg = str(info.value)
    assert "bad_bench.toml" in msg and where in msg and why in msg


# ---------------------------------------------------------------------- configuration
def test_bench_plays_its_roles_and_checks_its_configuration() -> None:
    b = make_bench(5030)
    assert isinstance(b, PowerSource)
    assert isinstance(b, EnergyStandard)
    assert isinstance(b, MultiPositionCounter)
    assert b.positions == 24
    assert b.power_factor_code("0.5l") == b.power_factor_code("0.5L") != b.power_factor_code("0.5C")
    assert b.power_factor_code("1.0") == b.power_factor_code("1")
    with pytest.raises(ValueError, match=r"bench: power factor '0.7L' is not supported .*0\.5L, 0\.8C"):
        b.power_factor_code("0.7L")
    with pytest.raises(ValueError, match="needs positions"):
        ModbusBench.from_config("bench", {"map": "jianding_sim_bench", "port": 5030})
    with pytest.raises(ValueError, match=r"positions must be 1\.\.48"):
        make_bench(5030, positions=60)
    with pytest.raises(ValueError, match="not a meter-bench map"):
        ModbusBench.from_config("bench", {"map": "jianding_sim_ref", "port": 5030, "positions": 1})


async def test_station_wants_more_positions_than_the_bench_has() -> None:
    twin = make_twin(positions=12)
    await twin.serve_tcp("127.0.0.1", 0)
    b = make_bench(twin.port or 0, positions=24)
    try:
        with pytest.raises(DeviceRefused, match="uses 24 positions but the bench has 12"):
            await b.connect()
    finally:
        await b.close()
        await twin.stop()


# ---------------------------------------------------------------------- measuring
async def test_ib_unity_errors_match_each_positions_true_error(bench: ModbusBench, twin: MeterBenchTwin) -> None:
    await bench.apply(UN_V, IB_A, "1")
    assert twin.source_state == SOURCE_SETTLED
    inst = await bench.read_instantaneous()
    assert (inst.voltage_v, inst.current_a, inst.power_factor, inst.frequency_hz) == (UN_V, IB_A, 1.0, 50.0)
    assert inst.active_power_w == pytest.approx(UN_V * IB_A, rel=1e-4)
    await bench.start_gates(20)
    readings = await wait_gates(bench)
    assert [r.position for r in readings] == list(range(1, 25))
    assert all(r.ok and r.dut_pulses == 20 and r.std_constant == 1e6 for r in readings), readings
    np.testing.assert_allclose(errors_of(readings), expected_errors(twin), atol=TOLERANCE_PCT)
    # 24 positions: one request for C0, three for the positions (8 per request)
    before = bench.transport.stats.requests
    await bench.read_gates()
    assert bench.transport.stats.requests - before == 4
    before = bench.transport.stats.requests
    assert all(await bench.gates_done())
    assert bench.transport.stats.requests - before == 3
    # a second gate is a new measurement: same errors within the noise, not the same counts
    await bench.start_gates(20)
    again = await wait_gates(bench)
    np.testing.assert_allclose(errors_of(again), expected_errors(twin), atol=TOLERANCE_PCT)
    assert [r.std_pulses for r in again] != [r.std_pulses for r in readings]


async def test_half_lagging_applies_cos_phi_and_measures(bench: ModbusBench, twin: MeterBenchTwin) -> None:
    await bench.apply(UN_V, IB_A, "0.5L")
    inst = await bench.read_instantaneous()
    assert inst.power_factor == 0.5
    assert inst.active_power_w == pytest.approx(UN_V * IB_A * 0.5, rel=1e-4)
    assert twin.rig.circuit.power_w == pytest.approx(550.0)
    await bench.start_gates(10)
    readings = await wait_gates(bench)
    assert all(r.ok for r in readings)
    np.testing.assert_allclose(errors_of(readings), expected_errors(twin), atol=TOLERANCE_PCT)


async def test_stuck_and_dead_positions_are_faults_the_others_have_results(
        bench: ModbusBench, twin: MeterBenchTwin, faults: BenchFaults) -> None:
    faults.stuck.add(7)
    faults.dead_positions.add(12)
    await bench.apply(UN_V, IB_A, "1")
    await bench.start_gates(20)
    readings = await wait_gates(bench)
    assert readings[6].fault == "表位 7: 无脉冲 (no pulses within the gate)"
    assert readings[11].fault == "表位 12: 计数器无响应 (error calculator not answering)"
    assert not readings[6].ok and readings[6].dut_pulses is None and readings[6].std_pulses is None
    others = [r for r in readings if r.position not in (7, 12)]
    assert all(r.ok for r in others)
    errors = errors_of(readings)
    assert np.isnan(errors[6]) and np.isnan(errors[11])
    good = np.isfinite(errors)
    np.testing.assert_allclose(errors[good], expected_errors(twin)[good], atol=TOLERANCE_PCT)
    totals = await bench.read_totals()
    assert totals[11].fault == "表位 12: 计数器无响应 (error calculator not answering)"
    assert totals[6].ok and totals[6].dut_pulses == 0  # the stuck meter's total never moved
    # the calculator answers again: it restarted, position 12 measures in the next gate
    faults.dead_positions.clear()
    faults.stuck.clear()
    await bench.start_gates(10)
    readings = await wait_gates(bench)
    assert all(r.ok for r in readings), [r.fault for r in readings if not r.ok]


async def test_pulses_stopping_mid_gate_is_its_own_fault(bench: ModbusBench, twin: MeterBenchTwin,
                                                         faults: BenchFaults) -> None:
    await bench.apply(UN_V, IB_A, "1")
    await bench.start_gates(200)
    deadline = time.monotonic() + 5
    while (await bench.read_positions("gate_dut_pulses"))[3]["gate_dut_pulses"] < 2:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)
    faults.stuck.add(3)
    while not (await bench.gates_done())[2]:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)
    assert (await bench.read_gates())[2].fault == "表位 3: 脉冲中断 (pulses stopped during the gate)"
    await bench.stop_gates()


async def test_pulse_dropouts_shift_only_that_positions_error(bench: ModbusBench, twin: MeterBenchTwin,
                                                              faults: BenchFaults) -> None:
    faults.pulse_dropouts[5] = 0.1  # one pulse in ten never reaches the calculator
    await bench.apply(UN_V, IB_A, "1")
    await bench.start_gates(20)
    readings = await wait_gates(bench)
    assert all(r.ok for r in readings)
    errors, expected = errors_of(readings), expected_errors(twin)
    # 20 counted pulses span 22 or 23 real ones: about −10 %, give or take one pulse
    assert -14.0 < errors[4] < -8.0
    others = np.arange(POSITIONS) != 4
    np.testing.assert_allclose(errors[others], expected[others], atol=TOLERANCE_PCT)


async def test_read_totals_advance_with_energy(bench: ModbusBench, twin: MeterBenchTwin) -> None:
    first = await bench.read_totals()
    assert all(r.ok for r in first)
    e0 = await bench.read_energy_wh()
    await bench.apply(UN_V, IB_A, "1")
    deadline = time.monotonic() + 5
    while await bench.read_energy_wh() - e0 < 40.0:  # ≥ 64 pulses at 1600 imp/kWh
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)
    await bench.off()  # freeze every counter: the reads below no longer race the pulses
    second = await bench.read_totals()
    std_delta = second[0].std_pulses - first[0].std_pulses  # type: ignore[operator]
    assert std_delta == pytest.approx((await bench.read_energy_wh() - e0) * 1000, rel=0.1)
    ratio = 1 + expected_errors(twin) / 100
    for a, b, c_l, k in zip(first, second, CONSTANTS, ratio, strict=True):
        dut_delta = b.dut_pulses - a.dut_pulses  # type: ignore[operator]
        # DUT pulses = standard energy × C_L × (1 + γ), to within a pulse's quantisation
        assert dut_delta == pytest.approx(std_delta / b.std_constant * c_l * k, abs=3), b.position


async def test_stop_gates_aborts_and_is_idempotent(bench: ModbusBench) -> None:
    await bench.start_gates(5)  # outputs off: no pulses, every gate waits for its first edge
    assert await bench.gates_done() == [False] * POSITIONS
    states = await bench.read_positions("gate_state")
    assert {v["gate_state"] for v in states.values()} == {GATE_ARMED}
    readings = await bench.read_gates()
    assert all(r.fault.endswith("检定未完成 (gate not finished: 等待首脉冲 (armed, waiting for the first "
                                "pulse), 0 pulses counted)") for r in readings), readings[0]
    await bench.stop_gates()
    states = await bench.read_positions("gate_state")
    assert {v["gate_state"] for v in states.values()} == {GATE_IDLE}
    await bench.stop_gates()
    # mid-gate: counting positions stop and never finish
    await bench.apply(UN_V, IB_A, "1")
    await bench.start_gates(500)
    deadline = time.monotonic() + 5
    while not any(v["gate_dut_pulses"] for v in (await bench.read_positions("gate_dut_pulses")).values()):
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)
    await bench.stop_gates()
    assert {v["gate_state"] for v in (await bench.read_positions("gate_state")).values()} == {GATE_IDLE}
    assert not any(await bench.gates_done())


async def test_off_is_idempotent_and_stops_the_energy(bench: ModbusBench, twin: MeterBenchTwin) -> None:
    await bench.off()  # already off
    await bench.apply(UN_V, IB_A, "0.8C", frequency_hz=50.0)
    assert twin.rig.circuit.power_factor == 0.8
    await bench.off()
    assert twin.source_state == SOURCE_OFF
    inst = await bench.read_instantaneous()
    assert (inst.voltage_v, inst.current_a, inst.active_power_w) == (0.0, 0.0, 0.0)
    e1 = await bench.read_energy_wh()
    await asyncio.sleep(0.05)  # checking that nothing happens: there is no event to poll for
    assert await bench.read_energy_wh() == pytest.approx(e1, abs=1e-9)
    await bench.off()


async def test_source_refusals_trips_and_settling_deadline(bench: ModbusBench, twin: MeterBenchTwin,
                                                           faults: BenchFaults) -> None:
    with pytest.raises(DeviceRefused) as info:
        await bench.apply(UN_V, 500.0, "1")
    assert_names_device(info.value, twin.port or 0)
    assert "illegal data value" in str(info.value)
    assert twin.source_state == SOURCE_OFF  # nothing of a refused write was applied
    with pytest.raises(ValueError, match="not supported"):
        await bench.apply(UN_V, IB_A, "0.7L")
    with pytest.raises(ValueError, match="must be finite"):
        await bench.apply(UN_V, -1.0)
    faults.source_unstable = True
    bench.settle_timeout_s = 0.3
    t0 = time.monotonic()
    with pytest.raises(DeviceTimeout, match=r"bench: .*功率源未稳定 \(source did not settle within 0.3 s\) "
                                            r"applying 220 V, 5 A, cosφ 1, 50 Hz; last state: 调整中"):
        await bench.apply(UN_V, IB_A)
    assert time.monotonic() - t0 < 0.3 + bench.transport.call_deadline_s
    faults.source_unstable = False
    faults.source_trip = True
    with pytest.raises(DeviceRefused, match="source protection tripped"):
        await bench.apply(UN_V, IB_A)
    await bench.off()  # a tripped source is off: teardown still works
    faults.source_trip = False
    await bench.apply(UN_V, IB_A)


# ---------------------------------------------------------------------- whole-bench faults
async def test_whole_bench_silence_is_device_timeout_naming_the_device(bench: ModbusBench,
                                                                      twin: MeterBenchTwin,
                                                                      faults: BenchFaults) -> None:
    faults.silent = True
    t0 = time.monotonic()
    with pytest.raises(DeviceTimeout) as info:
        await bench.read_gates()
    assert_names_device(info.value, twin.port or 0)
    assert "多表位检定装置 Jianding SIM-BENCH" in str(info.value)
    assert "no answer within 0.25 s (3 attempts)" in str(info.value)
    assert time.monotonic() - t0 <= bench.transport.call_deadline_s
    with pytest.raises(DeviceTimeout):
        await bench.start_gates(5)
    assert twin.source_state == SOURCE_OFF and not any(p.active for p in twin.bench)  # no write happened
    faults.silent = False
    assert len(await bench.read_gates()) == POSITIONS


async def test_garbage_within_retries_is_retried_beyond_is_protocol_error(bench: ModbusBench,
                                                                          twin: MeterBenchTwin,
                                                                          faults: BenchFaults) -> None:
    faults.garbage_replies = RETRIES
    assert len(await bench.read_totals()) == POSITIONS
    assert twin.stats.garbled == RETRIES
    assert bench.transport.stats.garbled == RETRIES
    faults.garbage_replies = RETRIES + 1
    with pytest.raises(ProtocolError) as info:
        await bench.gates_done()
    assert_names_device(info.value, twin.port or 0)
    assert "3 of 3 attempts garbled" in str(info.value)
    assert len(await bench.gates_done()) == POSITIONS  # fine again, on a fresh connection


async def test_dropped_connection_is_reopened(bench: ModbusBench, twin: MeterBenchTwin) -> None:
    await bench.apply(UN_V, IB_A)
    await twin.drop_connections()
    deadline = time.monotonic() + 5
    while True:
        try:
            inst = await bench.read_instantaneous()
            break
        except Disconnected as exc:  # a request in flight when the link dropped is not repeated
            assert exc.device == "bench"
            assert time.monotonic() < deadline
    assert inst.current_a == IB_A
    assert bench.transport.stats.connects == 2


# ---------------------------------------------------------------------- RTU and standalone
@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX only")
async def test_bench_over_rtu_through_a_pty_cable() -> None:
    link = await PtyLink().open()
    twin = make_twin(positions=12)
    await twin.serve_rtu(link.path_a, baudrate=115200)
    bench = ModbusBench.from_config("bench", {
        "map": "jianding_sim_bench", "transport": "rtu", "port": link.path_b, "baudrate": 115200,
        "device_id": 1, "positions": 12, "timeout_s": 0.5, "retries": RETRIES, "poll_interval_s": 0.01})
    try:
        await bench.connect()
        await bench.apply(UN_V, IB_A, "1")
        twin.faults.garbage_replies = 1  # one bad CRC: retried
        await bench.start_gates(10)
        readings = await wait_gates(bench)
        assert all(r.ok for r in readings)
        np.testing.assert_allclose(errors_of(readings, CONSTANTS[:12]), expected_errors(twin),
                                   atol=TOLERANCE_PCT)
        assert bench.transport.stats.garbled == 1
        await bench.off()
    finally:
        await bench.close()
        await twin.stop()
        link.close()


async def test_standalone_twin_from_the_command_line() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    code = "import sys; from hardware_sim.meter_bench_cli import main; sys.exit(main(sys.argv[1:]))"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, "meter-bench", "--tcp", "127.0.0.1:0", "--positions", "6",
        "--speed", "400", "--dead", "2", "--stuck", "3", "--dropout", "4:0.5", "--errors", "0.1",
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
        b = make_bench(port, positions=6)
        await b.connect()
        totals = await b.read_totals()
        assert [r.ok for r in totals] == [True, False, True, True, True, True]
        await b.close()
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 10)
    assert proc.returncode == 0, err.decode()
