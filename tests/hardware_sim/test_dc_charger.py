"""DcChargerTwin (the charger side of GB/T 27930-2015) on python-can's ``virtual`` bus.

Some tests script the BMS side by hand with the shared codecs (what a foreign BMS would put on the
wire); the others use the workstation's BMS driver as the counterpart and check the twin's physics:
the rig's voltage and current follow BCL within the CML limits, CCS reports them, CSD carries the
DUT meter's session energy, the charger's own timeouts end in CEM, a BEM switches the output off.
"""

from __future__ import annotations

import asyncio
import math
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import can
import pytest

from drivers.gbt27930 import messages as msgs
from drivers.gbt27930 import tp
from drivers.gbt27930.bms import BatteryParams, GbtBms
from drivers.transports.can_bus import CanLink
from hardware_sim.dc_charger import CHARGER_TIMEOUTS, DcChargerFaults, DcChargerTwin, main
from hardware_sim.physics import Rig

pytestmark = pytest.mark.timeout(30)


def _channel() -> str:
    return f"dcc-{uuid.uuid4().hex[:12]}"


class Wire:
    """A bus object on the twin's channel: records every frame and sends as the BMS would."""

    def __init__(self, channel: str) -> None:
        self.bus = can.Bus(interface="virtual", channel=channel)
        self.frames: list[can.Message] = []
        self.notifier = can.Notifier(self.bus, [self.frames.append], timeout=0.05)

    def send(self, name: str, **fields: Any) -> None:
        self.send_raw(msgs.can_id(name), msgs.encode(name, **fields))

    def send_raw(self, arbitration_id: int, data: bytes) -> None:
        self.bus.send(can.Message(arbitration_id=arbitration_id, data=data, is_extended_id=True))

    def named(self, name: str, since: float = 0.0) -> list[can.Message]:
        return [m for m in list(self.frames)
                if m.is_extended_id and m.timestamp >= since and msgs.name_for(m.arbitration_id) == name]

    def decoded(self, name: str, since: float = 0.0) -> list[dict[str, Any]]:
        return [msgs.decode(name, bytes(m.data)) for m in self.named(name, since)]

    async def send_multipacket(self, name: str, payload: bytes, timeout_s: float = 3.0) -> None:
        """Send ``payload`` as message ``name`` with J1939-21 RTS/CTS, as the BMS does."""
        loop = asyncio.get_running_loop()
        tx = tp.TpTransmitter(msgs.BMS_SA, msgs.CHARGER_SA)
        seen = len(self.frames)
        actions = tx.start(msgs.SPECS[name].pgn, payload, loop.time())
        deadline = loop.time() + timeout_s
        while loop.time() < deadline:
            for action in actions:
                if isinstance(action, tp.Send):
                    self.send_raw(action.arbitration_id, action.data)
                elif isinstance(action, tp.Complete):
                    return
                else:
                    raise AssertionError(f"transfer of {name} failed: {action}")
            await asyncio.sleep(0.005)
            new, seen = self.frames[seen:], len(self.frames)
            actions = [a for m in new for a in tx.on_frame(m.arbitration_id, bytes(m.data), loop.time())]
            actions += tx.poll(loop.time())
        raise AssertionError(f"transfer of {name} not finished within {timeout_s} s")

    def close(self) -> None:
        self.notifier.stop(1.0)
        self.bus.shutdown()


@dataclass
class Setup:
    channel: str
    rig: Rig
    twin: DcChargerTwin
    wire: Wire
    task: asyncio.Task[None]
    bms: GbtBms | None = None


SetupFactory = Callable[..., Awaitable[Setup]]


@pytest.fixture
async def make_setup() -> AsyncIterator[SetupFactory]:
    made: list[Setup] = []

    async def factory(*, with_bms: bool = False, faults: DcChargerFaults | None = None,
                      params: BatteryParams | None = None, **twin_kwargs: Any) -> Setup:
        channel = _channel()
        rig = Rig(speed=3600.0, dut_error_pct=-0.4, dut_noise_pct=0.0)
        wire = Wire(channel)
        twin = DcChargerTwin(rig, {"interface": "virtual", "channel": channel}, faults=faults, **twin_kwargs)
        task = asyncio.create_task(twin.run())
        setup = Setup(channel, rig, twin, wire, task)
        if with_bms:
            setup.bms = GbtBms("dc-charger", CanLink("dc-charger", channel=channel), params or BatteryParams())
            await setup.bms.connect()
        made.append(setup)
        return setup

    yield factory
    for s in made:
        if s.bms is not None:
            await s.bms.close()
        await s.twin.stop()
        await asyncio.wait_for(s.task, 5)
        s.wire.close()


async def eventually(cond: Callable[[], bool], timeout_s: float = 3.0, what: str = "condition") -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not cond():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        await asyncio.sleep(0.01)


# ---- the wire, scripted by hand -----------------------------------------------------------------


async def test_handshake_and_recognition_on_the_wire(make_setup: SetupFactory) -> None:
    s = await make_setup(charger_number="00000042", region="440")
    wire = s.wire
    await eventually(lambda: len(wire.named("CHM")) >= 4, what="CHM every 250 ms")
    chm = wire.named("CHM")
    assert msgs.decode("CHM", bytes(chm[0].data)) == {"version": "1.1"}
    assert chm[0].arbitration_id == 0x1826F456 and bytes(chm[0].data) == bytes.fromhex("010100")
    period = (chm[-1].timestamp - chm[0].timestamp) / (len(chm) - 1)
    assert 0.2 <= period <= 0.3, period

    wire.send("BHM", max_allowed_voltage_v=500.0)
    await eventually(lambda: bool(wire.named("CRM")), what="CRM 0x00 after the insulation check")
    assert wire.decoded("CRM")[0] == {"recognition": 0x00, "charger_number": 42, "region_code": "440"}
    t_crm = wire.named("CRM")[0].timestamp
    await asyncio.sleep(0.1)
    assert not wire.named("CHM", since=t_crm + 0.05)  # CHM stops once BHM arrived

    brm = msgs.encode("BRM", version="1.1", battery_type=3, capacity_ah=150.0, rated_voltage_v=350.0,
                      manufacturer="ACME", vin="LWIRE000000000007")
    await wire.send_multipacket("BRM", brm)
    await eventually(lambda: any(f["recognition"] == 0xAA for f in wire.decoded("CRM")), what="CRM 0xAA")
    assert s.twin.brm is not None and s.twin.brm["vin"] == "LWIRE000000000007"
    assert s.twin.brm["manufacturer"] == "ACME" and s.twin.stage == "recognition"

    bcp = msgs.encode("BCP", max_cell_voltage_v=3.65, max_current_a=msgs.encoded_current_a(200.0),
                      nominal_energy_kwh=50.0, max_total_voltage_v=500.0, max_temperature_c=55.0,
                      soc_pct=40.0, pack_voltage_v=360.0)
    await wire.send_multipacket("BCP", bcp)
    await eventually(lambda: bool(wire.named("CML")) and bool(wire.named("CTS")), what="CTS and CML")
    cml = wire.decoded("CML")[0]
    assert cml["max_output_voltage_v"] == 750.0 and msgs.charging_current_a(cml["max_output_current_a"]) == 250.0
    assert wire.decoded("CTS")[0]["datetime"] is not None

    wire.send("BRO", ready=0xAA)
    await eventually(lambda: any(f["ready"] == 0xAA for f in wire.decoded("CRO")), what="CRO 0xAA")
    assert wire.decoded("CRO")[0]["ready"] == 0x00  # preparing first
    assert not s.rig.circuit.contactor_closed

    wire.send("BCL", voltage_demand_v=400.0, current_demand_a=msgs.encoded_current_a(25.0), mode=2)
    await eventually(lambda: s.rig.circuit.contactor_closed and s.rig.circuit.current_a == 25.0,
                     what="charging at the BCL demand")
    assert s.rig.circuit.voltage_v == 360.0  # constant current: the battery sets the voltage
    await eventually(lambda: bool(wire.named("CCS")), what="CCS")


async def test_bem_switches_the_output_off(make_setup: SetupFactory) -> None:
    s = await make_setup(with_bms=True, restart_after_s=0.3)
    assert s.bms is not None
    await s.bms.start_session(5)
    await s.bms.set_load(40.0)
    await eventually(lambda: s.rig.circuit.current_a == 40.0, what="charging")
    s.wire.send("BEM", ccs_timeout=1)
    await eventually(lambda: not s.rig.circuit.contactor_closed, what="output off on BEM")
    assert s.twin.stage == "error" and s.twin.bem_received[-1]["ccs_timeout"] == 1
    t = s.wire.frames[-1].timestamp
    await eventually(lambda: bool(s.wire.named("CHM", since=t)), what="a new handshake after the restart delay")


# ---- physics: the output follows the BMS within the charger's limits -------------------------------


async def test_output_follows_bcl_within_cml_limits(make_setup: SetupFactory) -> None:
    s = await make_setup(with_bms=True, max_current_a=100.0, max_voltage_v=600.0, ccs_noise_pct=0.1)
    bms, rig = s.bms, s.rig
    assert bms is not None
    await bms.start_session(5)
    assert bms.charger_limits is not None and bms.charger_limits.max_current_a == 100.0

    await bms.set_load(150.0)  # more than the charger can give
    await eventually(lambda: rig.circuit.current_a == 100.0, what="current capped at the CML maximum")
    assert rig.circuit.voltage_v == 380.0 and rig.circuit.contactor_closed
    t0 = s.wire.frames[-1].timestamp
    await asyncio.sleep(0.5)
    currents = [msgs.charging_current_a(f["output_current_a"]) for f in s.wire.decoded("CCS", since=t0 + 0.1)]
    assert len(currents) >= 5
    assert all(abs(i - 100.0) <= 0.6 for i in currents), currents  # small noise only
    assert len(set(currents)) > 1  # … but noise

    await bms.request(700.0, 30.0, "CV")
    await eventually(lambda: rig.circuit.voltage_v == 600.0 and rig.circuit.current_a == 30.0,
                     what="CV demand capped at the CML maximum voltage")
    await eventually(lambda: bms.last_ccs is not None and abs(bms.last_ccs.voltage_v - 600.0) < 3.0,
                     what="CCS to report the new voltage")

    await bms.load_off()
    await eventually(lambda: rig.circuit.current_a == 0.0, what="0 A requested")
    assert rig.circuit.contactor_closed  # still charging, just no current
    await bms.stop_session(5)
    assert not rig.circuit.contactor_closed


async def test_csd_is_the_session_energy_in_tenths_of_kwh(make_setup: SetupFactory) -> None:
    s = await make_setup(with_bms=True, restart_after_s=0.2, csd_repeat_s=0.3, charger_number="87654321")
    bms, rig = s.bms, s.rig
    assert bms is not None
    await bms.start_session(5)
    await bms.set_load(200.0)
    await asyncio.sleep(0.3)
    first = await bms.stop_session(5)
    e_after_first = rig.dut.energy_wh()
    assert first.energy_kwh == math.floor(e_after_first / 100.0 + 1e-9) / 10.0
    assert first.charger_number == "87654321"
    # CSD carries the DUT meter's energy (its true error included), not the true energy
    assert rig.dut.energy_wh() == pytest.approx(rig.circuit.true_energy_wh() * (1 - 0.004))

    await bms.start_session(5)  # second session on the same rig: CSD counts from its own start
    await bms.set_load(50.0)
    await asyncio.sleep(0.3)
    second = await bms.stop_session(5)
    session_wh = rig.dut.energy_wh() - e_after_first
    assert second.energy_kwh == math.floor(session_wh / 100.0 + 1e-9) / 10.0
    assert second.charging_time_min == int(s.twin.last_csd["charging_time_min"])  # type: ignore[index]
    assert 10 <= second.charging_time_min <= 60  # ~0.4 s at 3600× is ~25 min of charging


# ---- the charger's own timeouts and the faults ----------------------------------------------------------


async def test_bcl_timeout_ends_in_cem(make_setup: SetupFactory) -> None:
    s = await make_setup(with_bms=True, restart_after_s=0.3)
    assert s.bms is not None
    await s.bms.start_session(5)
    await s.bms.set_load(60.0)
    await eventually(lambda: s.rig.circuit.current_a == 60.0, what="charging")
    await s.bms.link.close()  # the vehicle side goes quiet without BST
    loop = asyncio.get_running_loop()
    start = loop.time()
    await eventually(lambda: bool(s.wire.named("CEM")), timeout_s=3.0, what="CEM")
    assert 0.9 <= loop.time() - start <= 2.5
    assert s.wire.decoded("CEM")[0]["bcl_timeout"] == 1
    assert s.twin.cem_sent == ["bcl_timeout"]
    assert not s.rig.circuit.contactor_closed and s.rig.circuit.current_a == 0.0
    assert CHARGER_TIMEOUTS["bcl"].seconds == 1.0


async def test_send_cem_fault(make_setup: SetupFactory) -> None:
    s = await make_setup(with_bms=True)
    assert s.bms is not None
    await s.bms.start_session(5)
    s.twin.faults.send_cem = "bst_timeout"
    await eventually(lambda: len(s.wire.named("CEM")) >= 2, what="CEM repeated")
    assert {k for k, v in s.wire.decoded("CEM")[0].items() if v == 1} == {"bst_timeout"}
    assert not s.rig.circuit.contactor_closed


async def test_garbage_frames_on_the_bus(make_setup: SetupFactory) -> None:
    s = await make_setup(faults=DcChargerFaults(garbage_frames=True, garbage_period_s=0.005))
    await eventually(lambda: s.twin.garbage_sent >= 100, what="garbage")
    frames = list(s.wire.frames)
    assert any(not m.is_extended_id for m in frames)  # 11-bit identifiers
    short = [m for m in frames if m.is_extended_id and (n := msgs.name_for(m.arbitration_id))
             and n != "CHM" and len(m.data) < msgs.SPECS[n].length]
    assert short  # charger messages with a wrong length
    assert s.wire.named("CHM")  # and the charger still does its handshake


async def test_interrupt_tp_aborts_after_the_first_packet(make_setup: SetupFactory) -> None:
    s = await make_setup(faults=DcChargerFaults(interrupt_tp=True, interrupt_tp_message="BRM"))
    await eventually(lambda: bool(s.wire.named("CHM")), what="CHM")
    s.wire.send("BHM", max_allowed_voltage_v=500.0)
    await eventually(lambda: bool(s.wire.named("CRM")), what="CRM 0x00")
    brm = msgs.encode("BRM", version="1.1", battery_type=3, capacity_ah=150.0, rated_voltage_v=350.0)
    with pytest.raises(AssertionError, match="aborted by the receiver"):
        await s.wire.send_multipacket("BRM", brm)
    assert s.twin.tp_failed == ["BRM"] and s.twin.brm is None


async def test_silent_sends_nothing(make_setup: SetupFactory) -> None:
    s = await make_setup(faults=DcChargerFaults(silent=True))
    await asyncio.sleep(0.4)
    assert not s.wire.frames and s.twin.frames_sent == 0
    s.twin.faults.silent = False
    await eventually(lambda: bool(s.wire.named("CHM")), what="CHM once the fault is cleared")


# ---- construction and the command line -------------------------------------------------------------


def test_constructor_validates_identity() -> None:
    with pytest.raises(ValueError, match="charger_number"):
        DcChargerTwin(Rig(), {"interface": "virtual", "channel": "x"}, charger_number="A1")
    with pytest.raises(ValueError, match="region"):
        DcChargerTwin(Rig(), {"interface": "virtual", "channel": "x"}, region="1100")


async def test_main_runs_standalone() -> None:
    channel = _channel()
    wire = Wire(channel)
    try:
        rc = await asyncio.to_thread(
            main, ["dc-charger", "--interface", "virtual", "--channel", channel, "--duration", "0.6"]
        )
        assert rc == 0
        assert len(wire.named("CHM")) >= 2
        assert await asyncio.to_thread(main, ["--interface", "no-such-backend", "--duration", "0.1"]) == 1
    finally:
        wire.close()
