"""Dlt645Meters against the bench twin's meters on a pseudo-terminal cable (PtyLink), at the wire:
each meter answers DL/T 645-2007 at its own address with its register; a meter that is unpowered,
silent, answering with an error reply or garbled on the line becomes a clear typed error naming the
position and the meter's address, and a pulled cable reads as the line being down.

Register arithmetic (hand-worked): position 2's register advances 1 % more than its pulses
(``register_error_pct = {2: 1.0}``); every meter's true error is 0, so over the same energy E its
advance is 1.01·E against E for position 1 — the ratio 1.01 up to one last digit (0.01 kWh) of
each reading over an advance of tens of kWh (< 0.1 %).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from drivers.errors import DeviceRefused, DeviceTimeout, ProtocolError
from drivers.meters.dlt645 import Dlt645Meters, position_addresses
from drivers.roles import RegisterReader
from hardware_sim.dlt645_meters import Dlt645Line
from hardware_sim.meter_bench import BenchFaults, MeterBenchTwin
from hardware_sim.ref_meter import PtyLink

pytestmark = pytest.mark.timeout(60)

STARTS = [1234.56, 20.0, 999.99, 5.5]


@pytest.fixture
def bench() -> MeterBenchTwin:
    return MeterBenchTwin(4, speed=20000.0, true_errors_pct=0.0, noise_pct=0.0, registers_kwh=STARTS, settle_s=0.0,
                          faults=BenchFaults(register_error_pct={2: 1.0}))


@pytest.fixture
async def line(bench: MeterBenchTwin, pty_link: PtyLink) -> AsyncIterator[Dlt645Line]:
    t = Dlt645Line(bench, position_addresses({"positions": 4}))
    await t.serve(pty_link.path_a)
    yield t
    await t.stop()


@pytest.fixture
async def meters(line: Dlt645Line, pty_link: PtyLink) -> AsyncIterator[Dlt645Meters]:
    m = Dlt645Meters.from_config("表尾 meters", {"port": pty_link.path_b, "positions": 4, "timeout_s": 0.2, "retries": 2})
    await m.connect()
    yield m
    await m.close()


async def test_registers_read_from_each_meter(bench: MeterBenchTwin, meters: Dlt645Meters) -> None:
    assert isinstance(meters, RegisterReader) and meters.positions == 4
    bench.set_source(220.0, 0.0)  # voltage on: the meters wake up; no current: registers stand still
    got = await meters.read_registers([1, 2, 3, 4])
    assert [(r.position, r.energy_kwh, r.address, r.ok) for r in got] == [
        (1, 1234.56, "000000000001", True), (2, 20.0, "000000000002", True), (3, 999.99, "000000000003", True),
        (4, 5.5, "000000000004", True)]
    assert await meters.read_energy_kwh(3) == 999.99


async def test_register_advance_and_a_register_running_one_percent_fast(bench: MeterBenchTwin,
                                                                        meters: Dlt645Meters) -> None:
    bench.set_source(220.0, 0.0)
    before = {r.position: r.energy_kwh for r in await meters.read_registers([1, 2])}
    bench.set_source(220.0, 60.0)  # 13.2 kW, 20000× accelerated: tens of kWh in a few tenths of a second
    while True:  # until the bench's register has run up (the physics runs on its own clock)
        if bench.register_kwh(1) >= Decimal("1270"):
            break
        await asyncio.sleep(0.02)
    bench.set_source(220.0, 0.0)
    after = {r.position: r.energy_kwh for r in await meters.read_registers([1, 2])}
    assert after == {p: float(bench.register_kwh(p)) for p in (1, 2)}  # what the display shows
    d1, d2 = after[1] - before[1], after[2] - before[2]  # type: ignore[operator]
    assert d1 > 35.0
    assert d2 / d1 == pytest.approx(1.01, abs=0.001)


async def test_unpowered_meters_do_not_answer_the_line_reads_down(bench: MeterBenchTwin, meters: Dlt645Meters) -> None:
    with pytest.raises(DeviceTimeout) as e:  # source off: every meter is dark
        await meters.read_energy_kwh(2)
    assert "表尾 meters" in str(e.value) and "表位 2 电能表 000000000002" in str(e.value)
    with pytest.raises(DeviceTimeout, match="均无应答") as e2:
        await meters.read_registers([1, 2, 3, 4])
    assert "表位 1, 2, 3" in str(e2.value)


async def test_a_silent_meter_is_its_position_fault(bench: MeterBenchTwin, line: Dlt645Line,
                                                    meters: Dlt645Meters) -> None:
    bench.set_source(220.0, 0.0)
    line.faults.silent_meters = {3}
    got = {r.position: r for r in await meters.read_registers([1, 2, 3, 4])}
    assert got[3].energy_kwh is None and not got[3].ok
    assert got[3].fault.startswith("表位 3: 电能表 000000000003 无应答")
    assert all(got[p].ok for p in (1, 2, 4))
    line.faults.silent_meters = {1, 2, 3}  # the first three silent, the fourth answers: still a line
    with pytest.raises(DeviceTimeout, match="均无应答"):
        await meters.read_registers([1, 2, 3, 4])


async def test_error_reply_names_the_meter_and_its_error(bench: MeterBenchTwin, line: Dlt645Line,
                                                         meters: Dlt645Meters) -> None:
    bench.set_source(220.0, 0.0)
    line.faults.error_replies = {2: 0x02}
    with pytest.raises(DeviceRefused) as e:
        await meters.read_energy_kwh(2)
    text = str(e.value)
    assert "表位 2 电能表 000000000002" in text and "02H" in text and "无请求数据" in text
    got = {r.position: r for r in await meters.read_registers([1, 2])}
    assert got[1].ok and "无请求数据" in got[2].fault and got[2].fault.startswith("表位 2")
    line.faults.error_replies = {}
    from drivers.meters.dlt645_frame import data_format
    with pytest.raises(DeviceRefused, match="无请求数据"):  # an identifier the meter does not have
        await meters.read_value(1, data_format("0201FF00"))


async def test_checksum_errors_retried_then_a_protocol_error(bench: MeterBenchTwin, line: Dlt645Line,
                                                             meters: Dlt645Meters) -> None:
    bench.set_source(220.0, 0.0)
    line.faults.garbage_replies = 1
    assert await meters.read_energy_kwh(1) == 1234.56  # the retry gets a clean reply
    assert meters.stats.garbled == 1 and line.stats.garbled == 1
    line.faults.garbage_replies = 3  # every attempt of the next call (1 + 2 retries)
    with pytest.raises(ProtocolError) as e:
        await meters.read_energy_kwh(4)
    assert "表位 4 电能表 000000000004" in str(e.value) and "校验和错误" in str(e.value)
    got = await meters.read_registers([1])
    assert got[0].ok


async def test_pulled_cable_reads_as_the_line_down(bench: MeterBenchTwin, pty_link: PtyLink,
                                                  meters: Dlt645Meters) -> None:
    bench.set_source(220.0, 0.0)
    pty_link.paused = True
    with pytest.raises(DeviceTimeout, match="RS-485"):
        await meters.read_registers([1, 2, 3, 4])
    pty_link.paused = False
    assert (await meters.read_registers([4]))[0].energy_kwh == 5.5


async def test_read_address_of_the_one_meter(pty_link: PtyLink) -> None:
    one = MeterBenchTwin(1, speed=100.0, true_errors_pct=0.0, registers_kwh=1.0, settle_s=0.0)
    line = Dlt645Line(one, {1: "201907150042"})
    await line.serve(pty_link.path_a)
    m = Dlt645Meters.from_config("红外 head", {"port": pty_link.path_b, "addresses": ["201907150042"], "timeout_s": 0.2,
                                              "retries": 0})
    await m.connect()
    try:
        one.set_source(220.0, 0.0)
        assert await m.read_address() == "201907150042"
        assert await m.read_energy_kwh(1) == 1.0
    finally:
        await m.close()
        await line.stop()


def test_addresses_from_the_station_section() -> None:
    assert position_addresses({"positions": 3}) == {1: "000000000001", 2: "000000000002", 3: "000000000003"}
    assert position_addresses({"positions": 2, "address_format": "3712{position:08d}"})[2] == "371200000002"
    assert position_addresses({"addresses": ["000000000011", "", "000000000013"]}) == {1: "000000000011",
                                                                                       3: "000000000013"}
    assert position_addresses({"addresses": {"5": "000000000005"}}) == {5: "000000000005"}
    for bad, match in (({"addresses": ["1", "2"]}, "12 digits"), ({"addresses": ["000000000001"] * 2}, "repeat"),
                       ({"addresses": ["AAAAAAAAAAAA"]}, "wildcard"), ({}, "addresses")):
        with pytest.raises(ValueError, match=match):
            position_addresses(bad)
    with pytest.raises(ValueError, match="port"):
        Dlt645Meters.from_config("m", {"positions": 2})
