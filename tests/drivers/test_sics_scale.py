"""SicsScale against the scale twin over a pseudo-terminal cable (PtyLink), at the wire, with the
flow-bench twin pouring water into the scale's tank (one shared FlowRig).

Hand calculation of the indication (OIML R 111 conventional mass, scale adjusted with 8000 kg/m³
weights): 10 L of water at 20 °C is m = 10 × 0.9982067 = 9.982067 kg; with ρ_a = 1.2 kg/m³ the scale
shows I = m·(1 − 1.2/998.2067)/(1 − 1.2/8000) = 9.982067 × 0.99879784/0.99985 = 9.971562 kg.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from drivers.errors import DeviceRefused, DeviceTimeout, ProtocolError
from drivers.roles import FlowStandard
from drivers.scales.sics_scale import SicsScale
from hardware_sim.flow_physics import FlowRig, LabAir
from hardware_sim.ref_meter import PtyLink
from hardware_sim.scale import ScaleTwin

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
async def link() -> AsyncIterator[PtyLink]:
    cable = await PtyLink().open()
    yield cable
    cable.close()


@pytest.fixture
async def twin(link: PtyLink) -> AsyncIterator[ScaleTwin]:
    # air at 20 °C, 101.325 kPa, humidity chosen so that ρ_a = 1.2 is not assumed: use the rig's air
    t = ScaleTwin(FlowRig(speed=600.0, air=LabAir(20.0, 101.325, 50.0)), settle_s=0.05)
    await t.serve(link.path_a)
    yield t
    await t.stop()


@pytest.fixture
async def scale(twin: ScaleTwin, link: PtyLink) -> AsyncIterator[SicsScale]:
    s = SicsScale.from_config("天平 scale", {"port": link.path_b, "timeout_s": 0.2, "retries": 1,
                                            "stable_timeout_s": 2.0, "poll_s": 0.01})
    await s.connect()
    yield s
    await s.close()


async def test_role_identity_and_weighing(twin: ScaleTwin, scale: SicsScale) -> None:
    assert isinstance(scale, FlowStandard) and scale.kind == "scale"
    assert scale.resolution == pytest.approx(0.001) and scale.capacity_kg == pytest.approx(60.0)
    await scale.begin()
    twin.rig.tank.pour(10.0, 20.0)
    std = await scale.measured()
    rho_a = twin.rig.air.density_kg_m3  # 1.19929 kg/m³ (R 111 E.3-1 at 20 °C, 1013.25 hPa, 50 %)
    assert rho_a == pytest.approx(1.19929, abs=1e-5)
    expected = 9.982067 * (1 - rho_a / 998.2067) / (1 - rho_a / 8000)  # ≈ 9.97157 kg
    assert std.mass_kg == pytest.approx(expected, abs=0.0011) and std.volume_l is None
    assert std.temperature_c == pytest.approx(20.0) and std.pressure_kpa == pytest.approx(101.325)


async def test_unstable_then_timeout(twin: ScaleTwin, scale: SicsScale) -> None:
    twin.set_unstable(60.0)
    assert await scale.weight() is None
    assert (await scale.weight_immediately())[1] is False
    with pytest.raises(DeviceTimeout, match=r"天平 scale.*不稳定"):
        await scale.measured()
    twin.set_unstable(0.0)
    assert await scale.weight() is not None


async def test_drift_visible(twin: ScaleTwin, scale: SicsScale) -> None:
    await scale.begin()
    first = (await scale.weight_immediately())[0]
    twin.set_drift(60.0)  # 60 kg per simulated minute = 1 kg per simulated second; speed 600
    import asyncio

    await asyncio.sleep(0.05)  # ≥ 30 simulated seconds → ≥ 30 kg
    later = (await scale.weight_immediately())[0]
    assert later - first > 1.0


async def test_dropped_line_then_recovery(link: PtyLink, twin: ScaleTwin, scale: SicsScale) -> None:
    await scale.begin()  # tare the empty tank (8 kg)
    link.paused = True
    with pytest.raises(DeviceTimeout) as exc:
        await scale.measured()
    assert exc.value.device == "天平 scale"
    link.paused = False
    assert (await scale.measured()).mass_kg == pytest.approx(0.0, abs=0.001)
    twin.faults.silent = True
    with pytest.raises(DeviceTimeout):
        await scale.weight()
    twin.faults.silent = False
    assert await scale.weight() == pytest.approx(0.0, abs=0.001)


async def test_garbage_retried_then_typed(twin: ScaleTwin, scale: SicsScale) -> None:
    await scale.zero()
    twin.faults.garbage_replies = 1
    assert await scale.weight() == pytest.approx(0.0, abs=0.001)  # the retry gets through
    assert scale.line.stats.garbled == 1
    twin.faults.garbage_replies = 5
    with pytest.raises(ProtocolError, match="天平 scale"):
        await scale.weight()


async def test_overload(twin: ScaleTwin, scale: SicsScale) -> None:
    twin.rig.tank.pour(70.0, 20.0)
    with pytest.raises(DeviceRefused, match="超载"):
        await scale.weight_immediately()


async def test_tare_drains_a_half_full_tank(twin: ScaleTwin, scale: SicsScale) -> None:
    twin.rig.tank.pour(40.0, 20.0)
    await scale.begin()
    assert twin.rig.tank.mass_kg == 0.0
    assert await scale.weight() == pytest.approx(0.0, abs=0.001)
