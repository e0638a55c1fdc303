"""A DC reference meter (map current_kind = "DC") over Modbus TCP against the twin: DC
instantaneous values (power factor 1, frequency 0), energy, and a pulse-comparison gate."""

from __future__ import annotations

import asyncio

import pytest

from drivers.meters.modbus_meter import ModbusMeter
from drivers.meters.register_map import RegisterMapError, load_map, parse_map
from hardware_sim.physics import Rig
from hardware_sim.ref_meter import RefMeterTwin
from procedures.metrology import pulse_comparison_error

pytestmark = pytest.mark.timeout(30)


async def test_dc_meter_reads_and_gates() -> None:
    rig = Rig(speed=3000, voltage_v=500.0, dut_error_pct=-0.4, dut_noise_pct=0.0, std_noise_pct=0.0)
    twin = RefMeterTwin(rig, register_map="jianding_sim_dc_ref")
    await twin.serve_tcp("127.0.0.1", 0)
    meter = ModbusMeter.from_config("dc-ref", {"map": "jianding_sim_dc_ref", "transport": "tcp",
                                               "host": "127.0.0.1", "port": twin.port, "timeout_s": 1.0})
    try:
        await meter.connect()
        rig.circuit.set_load(100.0)
        rig.circuit.set_contactor(True)
        inst = await meter.read_instantaneous()
        assert inst.voltage_v == pytest.approx(500.0) and inst.current_a == pytest.approx(100.0)
        assert inst.active_power_w == pytest.approx(50_000.0, rel=1e-6)
        assert inst.power_factor == 1.0 and inst.frequency_hz == 0.0
        assert not meter.has_load
        await meter.start_gate(5)
        for _ in range(200):
            if (await meter.gate_status()).done:
                break
            await asyncio.sleep(0.01)
        g = await meter.read_gate()
        err = pulse_comparison_error(g.std_pulses, g.dut_pulses, g.std_constant, rig.dut.constant_imp_per_kwh)
        assert err == pytest.approx(-0.4, abs=0.02)
    finally:
        await meter.close()
        await twin.stop()


def test_current_kind_validated() -> None:
    assert load_map("jianding_sim_ref").current_kind == "AC"
    bad = ('[meter]\nmodel="x"\nmaker="y"\nword_order="big"\nbyte_order="big"\ncurrent_kind="3-phase"\n'
           '[registers.voltage]\ntable="input"\naddress=0\ntype="float32"\nscale=1.0\nunit="V"\n')
    with pytest.raises(RegisterMapError, match="current_kind"):
        parse_map(bad, "bad.toml")
