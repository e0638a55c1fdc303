"""Link health (issue 17): reply times and retries of a device's link, counted by hand, and at the
wire — a reference meter twin answering late over Modbus TCP and a scale twin on a serial line."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from drivers.errors import DeviceTimeout
from drivers.link_health import LinkHealth, link_health
from drivers.meters.modbus_meter import ModbusMeter
from hardware_sim.physics import Rig
from hardware_sim.ref_meter import RefMeterTwin

pytestmark = pytest.mark.timeout(30)


def test_slow_and_retried_replies_by_hand() -> None:
    h = LinkHealth("ref", deadline_s=1.0)  # slow above 0.5 s
    for t in (0.02, 0.04, 0.03):
        h.record(t)
    assert not h.troubled and h.typical_s == pytest.approx(0.03) and h.lost_s == 0.0
    h.record(0.83)  # slow: 0.80 s beyond a typical answer
    assert h.troubled and h.slow_replies == 1 and h.lost_s == pytest.approx(0.80)
    h.record(1.05, attempts=2)  # answered on the second attempt: 1.02 s lost
    assert h.retried == 1 and h.slow_replies == 2 and h.lost_s == pytest.approx(1.82)
    assert h.median_s == pytest.approx(0.04) and h.worst_s == pytest.approx(1.05)
    text = h.describe()
    assert "worst 1.05 s, deadline 1 s" in text and "2 of 5 replies over 50%" in text and "1 needed a retry" in text


def test_slow_share_is_the_stations() -> None:
    h = LinkHealth("ref", deadline_s=1.0, slow_share=0.9)
    h.record(0.83)
    assert not h.troubled


@pytest.fixture
async def twin() -> AsyncIterator[RefMeterTwin]:
    t = RefMeterTwin(Rig(speed=2000, seed=1148))
    await t.serve_tcp("127.0.0.1", 0)
    yield t
    await t.stop()


async def test_replies_just_under_the_deadline_are_counted_at_the_wire(twin: RefMeterTwin) -> None:
    meter = ModbusMeter.from_config("ref", {"map": "jianding_sim_ref", "transport": "tcp", "host": "127.0.0.1",
                                            "port": twin.port, "timeout_s": 0.4, "retries": 2})
    await meter.connect()
    try:
        health = link_health(meter)
        assert health is not None and health.deadline_s == 0.4
        await meter.read_energy_wh()
        assert not health.troubled
        twin.faults.latency_s = 0.3  # 75 % of the deadline: answered, slowly
        await meter.read_energy_wh()
        await meter.read_energy_wh()
        assert health.slow_replies == 2 and health.retried == 0 and health.worst_s >= 0.3
        assert health.lost_s >= 0.5
    finally:
        await meter.close()


async def test_a_device_given_up_on_is_not_tried_again(twin: RefMeterTwin) -> None:
    meter = ModbusMeter.from_config("ref", {"map": "jianding_sim_ref", "transport": "tcp", "host": "127.0.0.1",
                                            "port": twin.port, "timeout_s": 0.3, "retries": 2})
    await meter.connect()
    try:
        health = link_health(meter)
        assert health is not None
        await meter.read_energy_wh()
        seen = twin.stats.requests
        health.give_up("参考表无应答 (no answer)")
        with pytest.raises(DeviceTimeout, match=r"not tried again: 参考表无应答"):
            await meter.read_energy_wh()
        assert twin.stats.requests == seen  # nothing went on the wire
    finally:
        await meter.close()


async def test_a_timeout_says_late_or_silent_from_the_links_history(twin: RefMeterTwin) -> None:
    """Late vs silent on Modbus (issue 17 line 4): after replies close to the deadline, a timeout
    says the device is probably answering late; after quick replies, that it is silent now."""
    meter = ModbusMeter.from_config("ref", {"map": "jianding_sim_ref", "transport": "tcp", "host": "127.0.0.1",
                                            "port": twin.port, "timeout_s": 0.3, "retries": 0})
    await meter.connect()
    try:
        await meter.read_energy_wh()
        twin.faults.silent = True
        with pytest.raises(DeviceTimeout, match=r"silent, not slow") as silent:
            await meter.read_energy_wh()
        assert "late" not in str(silent.value)
        twin.faults.silent = False
        twin.faults.latency_s = 0.25  # answered, at 83 % of the deadline
        await meter.read_energy_wh()
        twin.faults.latency_s = 0.6  # now past it
        with pytest.raises(DeviceTimeout, match=r"probably answering late, not silent"):
            await meter.read_energy_wh()
    finally:
        await meter.close()
