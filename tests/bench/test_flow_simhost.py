"""The shipped water and gas stations on their twins (SimHost), through the factory's drivers, at
the wire: a test on every position, the standard's reading, and the SimHost fault hooks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench.factory import build_device
from bench.simhost import SimHost, use_ephemeral_ports
from bench.station import StationError, load_station, parse_station
from drivers.errors import DeviceTimeout

pytestmark = pytest.mark.timeout(60)
STATIONS = Path(__file__).resolve().parents[2] / "bench" / "stations"


async def _devices(host: SimHost) -> dict[str, Any]:
    devs = {d.name: build_device(d) for d in host.station.devices}
    for dev in devs.values():
        await dev.connect()
    return devs


async def test_water_station_gravimetric_with_faults() -> None:
    station = load_station(STATIONS / "water_demo.toml")
    assert len(station.bench_serials()) == 20
    assert {"q3_m3_h", "ratio_r", "dn_mm", "scale_interval_l", "pulses_per_l"} <= set(station.section("instrument"))
    use_ephemeral_ports(station)
    host = SimHost(station).start()
    devs: dict[str, Any] = {}
    try:
        devs = await _devices(host)
        bench, scale = devs["bench"], devs["scale"]
        assert bench.positions == 20 and scale.kind == "scale"
        await scale.begin()
        run = await bench.run_test(2.5, 10.0)
        std = await scale.measured()
        assert all(r.ok for r in run.positions)
        assert std.mass_kg == pytest.approx(10.3, abs=0.1) and std.temperature_c == pytest.approx(20.5)
        host.set_position_fault(3, "no_pulses")
        host.set_position_fault(5, "stuck")
        await scale.begin()
        run = await bench.run_test(2.5, 10.0)
        faulty = {r.position for r in run.positions if not r.ok}
        assert faulty == {3, 5}
        host.cut_serial_line(True)
        with pytest.raises(DeviceTimeout) as exc:
            await scale.measured()
        assert exc.value.device == "scale"
        host.cut_serial_line(False)
        assert (await scale.measured()).mass_kg == pytest.approx(std.mass_kg, abs=0.1)
    finally:
        for dev in devs.values():
            await dev.close()
        host.stop()


async def test_gas_station_bell_prover_and_lab_air() -> None:
    station = load_station(STATIONS / "gas_demo.toml")
    assert {"qmax_m3_h", "qmin_m3_h", "cyclic_volume_l", "pulses_per_l"} <= set(station.section("instrument"))
    use_ephemeral_ports(station)
    host = SimHost(station).start()
    devs: dict[str, Any] = {}
    try:
        devs = await _devices(host)
        bench = devs["bench"]
        assert bench.kind == "bell_prover" and bench.positions == 6
        host.set_lab_air(temperature_c=26.0, humidity_pct=80.0)
        cond = await bench.conditions()
        assert cond.ambient_temperature_c == pytest.approx(26.0) and cond.ambient_humidity_pct == pytest.approx(80.0)
        run = await bench.run_test(4.0, 10.0)
        std = await bench.measured()
        assert std.kind == "bell_prover" and std.volume_l == pytest.approx(10.0, rel=0.1)
        assert len(run.positions) == 6 and all(r.ok for r in run.positions)
    finally:
        for dev in devs.values():
            await dev.close()
        host.stop()


def test_bad_scale_section_is_a_station_error() -> None:
    station = parse_station({"devices": {"scale": {"driver": "sics_scale", "roles": ["flow_standard"]}}})
    with pytest.raises(StationError, match="scale"):
        build_device(station.devices[0])
