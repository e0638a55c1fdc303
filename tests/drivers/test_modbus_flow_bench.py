"""ModbusFlowBench against the flow-bench twin, at the wire: real Modbus TCP on 127.0.0.1 (and RTU
through a pseudo-terminal cable), no Python-level mocks.

Each position's meter has a configured true error (a curve over the flow plus an offset); the error
computed from the counts, E = (V_i − V_a)/V_a with V_i = N/K and V_a the true volume (the master
meter's reading divided by its own 1 + e_std), must equal it within one pulse (1/(V·K) ≈ 0.1 % for
10 L at 100 imp/L). Faults: per position (no pulses, stuck counter, dead counter, pulse dropouts)
reported for that position only; whole bench (bench fault, silence, garbage, refusal, timeout)
raised as typed errors naming the device; a bench that runs without flow (pump or valve stuck)
stopped within seconds as ``NoFlow``, not after the test's deadline; each meter's pressure loss.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from drivers.benches.modbus_flow_bench import ModbusFlowBench
from drivers.errors import DeviceError, DeviceRefused, DeviceTimeout, NoFlow, ProtocolError
from drivers.roles import FlowBench, FlowStandard
from hardware_sim.flow_bench import IDLE, Conditions, FlowBenchFaults, FlowBenchTwin
from hardware_sim.ref_meter import PtyLink

pytestmark = pytest.mark.timeout(30)

POSITIONS = 20
K = 100.0  # imp/L
CURVE = {0.01: 2.0, 1.0: 0.5}  # % by flow as a fraction of Q3
OFFSETS = [0.0, 0.3, -0.3, 0.6]
Q3 = 2.5
STD_ERR = 0.05


def true_error(position: int, fraction: float) -> float:
    """The twin's configured error, hand-interpolated (CURVE is linear between 0.01 and 1.0)."""
    base = 2.0 + (0.5 - 2.0) * (min(max(fraction, 0.01), 1.0) - 0.01) / 0.99
    return base + OFFSETS[(position - 1) % len(OFFSETS)]


def make_twin(faults: FlowBenchFaults | None = None, **kw: object) -> FlowBenchTwin:
    args: dict[str, object] = {"speed": 4000.0, "seed": 162, "nominal_flow_m3_h": Q3, "error_curve_pct": CURVE,
                               "offsets_pct": OFFSETS, "noise_pct": 0.0, "pulses_per_l": K,
                               "std_error_pct": STD_ERR, "faults": faults}
    args.update(kw)
    return FlowBenchTwin(POSITIONS, **args)  # type: ignore[arg-type]


@pytest.fixture
async def twin() -> AsyncIterator[FlowBenchTwin]:
    t = make_twin(FlowBenchFaults())
    await t.serve_tcp("127.0.0.1", 0)
    yield t
    await t.stop()


@pytest.fixture
async def bench(twin: FlowBenchTwin) -> AsyncIterator[ModbusFlowBench]:
    b = ModbusFlowBench.from_config("水表台 bench", {"map": "jianding_sim_flow_bench", "port": twin.port,
                                                 "timeout_s": 0.25, "retries": 1, "poll_s": 0.01})
    await b.connect()
    yield b
    await b.close()


async def test_roles_and_connect(bench: ModbusFlowBench) -> None:
    assert isinstance(bench, FlowBench) and isinstance(bench, FlowStandard)
    assert bench.positions == POSITIONS  # taken from the bench's positions_installed
    assert bench.kind == "master_meter" and bench.medium == "water"


@pytest.mark.parametrize("flow", [2.5, 0.04, 0.025])
async def test_counts_match_each_positions_true_error(bench: ModbusFlowBench, flow: float) -> None:
    await bench.begin()
    run = await bench.run_test(flow, 10.0)
    std = await bench.measured()
    assert std.kind == "master_meter" and std.volume_l is not None
    v_true = std.volume_l / (1 + STD_ERR / 100)
    assert std.volume_l >= 10.0  # the test stops once the standard has measured the target (+ run-down)
    tol = 100.0 / (v_true * K) + 1e-6  # one pulse, percent
    for r in run.positions:
        assert r.ok, r.fault
        e = (r.dut_pulses / r.std_constant - v_true) / v_true * 100  # type: ignore[operator]
        assert e == pytest.approx(true_error(r.position, flow / Q3), abs=tol), r.position
    assert run.conditions.temperature_c == pytest.approx(20.0)
    assert run.target_volume_l == 10.0 and run.duration_s > 0
    assert run.conditions.flow_m3_h == pytest.approx(flow, rel=0.2)


def test_hand_interpolation() -> None:
    # 0.016·Q3: 2.0 + (0.5 − 2.0)·(0.016 − 0.01)/0.99 = 2.0 − 1.5·0.0060606 = 1.990909 %
    assert true_error(1, 0.016) == pytest.approx(1.990909, abs=1e-6)


async def test_position_faults_for_that_position_only(twin: FlowBenchTwin, bench: ModbusFlowBench) -> None:
    twin.faults.no_pulses.add(3)
    twin.faults.stuck.add(5)
    twin.faults.dead.add(7)
    twin.faults.dropout_pct[4] = 3.0
    run = await bench.run_test(2.5, 10.0)
    v_true = (await bench.measured()).volume_l / (1 + STD_ERR / 100)  # type: ignore[operator]
    by = {r.position: r for r in run.positions}
    assert by[3].fault == "表位 3: 无脉冲 (no pulses)"
    assert by[5].fault == "表位 5: 计数停滞 (stuck counter)"
    assert by[7].fault.startswith("表位 7: 表位无响应")
    assert not by[3].ok and not by[5].ok and not by[7].ok
    # dropout: 3 % of the pulses lost, no fault code — the error looks ≈ 3 % more negative
    e4 = (by[4].dut_pulses / K - v_true) / v_true * 100  # type: ignore[operator]
    assert by[4].ok and e4 == pytest.approx(true_error(4, 1.0) - 3.0, abs=0.15)
    for p in set(range(1, POSITIONS + 1)) - {3, 4, 5, 7}:
        assert by[p].ok and not by[p].fault


async def test_bench_fault_raises_naming_the_device(twin: FlowBenchTwin, bench: ModbusFlowBench) -> None:
    twin.faults.bench_fault = 1
    with pytest.raises(DeviceRefused, match=r"水表台 bench.*泵/风机故障"):
        await bench.run_test(2.5, 10.0)
    twin.faults.bench_fault = 0
    run = await bench.run_test(2.5, 5.0)  # recovers on the next test
    assert all(r.ok for r in run.positions)


async def test_setpoint_beyond_range_refused(bench: ModbusFlowBench) -> None:
    with pytest.raises(DeviceRefused) as exc:
        await bench.run_test(99.0, 10.0)
    assert exc.value.device == "水表台 bench"


async def test_deadline_closes_valves_and_times_out() -> None:
    t = make_twin(speed=1.0)  # 2 s of preparing at real speed
    await t.serve_tcp("127.0.0.1", 0)
    b = ModbusFlowBench.from_config("bench", {"map": "jianding_sim_flow_bench", "port": t.port, "poll_s": 0.01,
                                              "deadline_margin_s": 0.0})
    try:
        await b.connect()
        with pytest.raises(DeviceTimeout, match="试验未在"):
            await b.run_test(2.5, 0.01)  # nominal 0.0144 s → deadline 0.0216 s
        assert t.state == IDLE  # valves closed
        await b.stop_flow()
        await b.stop_flow()  # idempotent
    finally:
        await b.close()
        await t.stop()


async def test_silent_and_garbage(twin: FlowBenchTwin, bench: ModbusFlowBench) -> None:
    twin.faults.silent = True
    with pytest.raises(DeviceTimeout) as exc:
        await bench.conditions()
    assert exc.value.device == "水表台 bench"
    twin.faults.silent = False
    twin.faults.garbage_replies = 1  # one bad frame: the retry gets through
    assert (await bench.conditions()).pressure_kpa == pytest.approx(300.0)
    twin.faults.garbage_replies = 10
    with pytest.raises((ProtocolError, DeviceTimeout)):
        await bench.conditions()
    twin.faults.garbage_replies = 0
    assert (await bench.conditions()).temperature_c == pytest.approx(20.0)


async def test_medium_mismatch_refused(twin: FlowBenchTwin) -> None:
    b = ModbusFlowBench.from_config("bench", {"map": "jianding_sim_flow_bench", "port": twin.port, "medium": "gas"})
    with pytest.raises(DeviceRefused, match="介质不符"):
        await b.connect()
    await b.close()


async def test_measured_without_a_finished_test(bench: ModbusFlowBench) -> None:
    with pytest.raises(ProtocolError, match="没有完成的试验"):
        await bench.measured()


async def test_gas_bell_prover_over_rtu_with_pt_correction() -> None:
    # JJG 577: V_ref = V_s·(p_s/p_m)·(T_m/T_s). Here T_m = 20.3 °C, T_s = 20.1 °C, p_m = 101.8 kPa,
    # p_s = 101.6 kPa: (101.6/101.8)·(293.45/293.25) = 0.9980354·1.0006820 = 0.998716, so without the
    # correction every error would read ≈ +0.13 % high.
    cond = Conditions(20.3, 101.8, 20.1, 101.6)
    t = FlowBenchTwin(6, medium="gas", speed=4000.0, nominal_flow_m3_h=4.0, error_curve_pct={1.0: 0.4},
                      noise_pct=0.0, pulses_per_l=100.0, conditions=cond,
                      pressure_loss_pa=[120.0, 120.0, 250.0, 120.0, 120.0, 120.0])
    link = await PtyLink().open()
    await t.serve_rtu(link.path_a, baudrate=19200)
    b = ModbusFlowBench.from_config("燃气表台 bench", {"map": "jianding_sim_flow_bench", "transport": "rtu",
                                                    "port": link.path_b, "baudrate": 19200, "medium": "gas",
                                                    "poll_s": 0.01}, positions=6)
    try:
        await b.connect()
        assert b.kind == "bell_prover"
        run = await b.run_test(4.0, 20.0)
        std = await b.measured()
        assert std.kind == "bell_prover" and std.temperature_c == pytest.approx(20.1, abs=1e-4)
        factor = (std.pressure_kpa / run.conditions.pressure_kpa) * (
            (run.conditions.temperature_c + 273.15) / (std.temperature_c + 273.15))
        assert factor == pytest.approx(0.998716, abs=2e-6)
        v_ref = std.volume_l * factor  # type: ignore[operator]
        for r in run.positions:
            e = (r.dut_pulses / 100.0 - v_ref) / v_ref * 100  # type: ignore[operator]
            assert e == pytest.approx(0.4, abs=0.06)
        # pressure loss at qmax is the meter's own; at 0.2·qmax it is (0.2)² of it: 120 → 4.8 Pa
        assert [r.pressure_loss_pa for r in run.positions] == pytest.approx([120.0, 120.0, 250.0, 120.0, 120.0, 120.0])
        low = await b.run_test(0.8, 5.0)
        assert low.positions[0].pressure_loss_pa == pytest.approx(4.8)
    finally:
        await b.close()
        await t.stop()
        link.close()


@pytest.mark.parametrize("transport", ["tcp", "rtu"])
async def test_no_flow_stops_the_test_within_seconds_naming_the_bench(transport: str) -> None:
    # Q1 of a Q3 = 2.5 meter, 10 L: nominal 10/(0.025·1000)·3600 = 1440 s, so the deadline would be
    # 1440·1.5 + 30 = 2190 s of waiting; with the pump stuck the driver gives up after no_flow_s.
    t = make_twin(FlowBenchFaults(no_flow=True))
    link = None
    cfg: dict[str, object] = {"map": "jianding_sim_flow_bench", "poll_s": 0.01, "no_flow_s": 0.3}
    if transport == "tcp":
        await t.serve_tcp("127.0.0.1", 0)
        cfg["port"] = t.port
    else:
        link = await PtyLink().open()
        await t.serve_rtu(link.path_a, baudrate=19200)
        cfg.update(transport="rtu", port=link.path_b, baudrate=19200)
    b = ModbusFlowBench.from_config("水表台 bench", cfg, positions=4)
    try:
        await b.connect()
        assert b.test_deadline_s(0.025, 10.0) == pytest.approx(2190.0)
        with pytest.raises(NoFlow) as exc:
            await b.run_test(0.025, 10.0)
        assert isinstance(exc.value, DeviceError) and exc.value.device == "水表台 bench"
        assert "无流量" in str(exc.value) and "设定 0.025 m³/h" in str(exc.value)
        assert t.state == IDLE  # the valves were closed
        t.faults.no_flow = False  # the pump fixed: the next test runs
        run = await b.run_test(2.5, 5.0)
        assert all(r.ok for r in run.positions)
    finally:
        await b.close()
        await t.stop()
        if link is not None:
            link.close()


def test_no_flow_settings_refused_when_meaningless() -> None:
    with pytest.raises(ValueError, match="no_flow"):
        ModbusFlowBench.from_config("b", {"map": "jianding_sim_flow_bench", "port": 1, "no_flow_fraction": 1.5})
