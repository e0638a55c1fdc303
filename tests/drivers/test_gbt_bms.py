"""GbtBms (driver, the workstation as BMS) against DcChargerTwin (simulated charger) over python-can's
``virtual`` bus: real GB/T 27930-2015 frames in one process, a unique channel per test.

A second bus object on the same channel (:class:`Spy`) records every frame, so the tests check what
actually went over the wire (BEM flags, message periods, TP aborts) rather than driver internals.
The rig runs at 3600× so a second of charging is an hour of energy; the protocol's own timing
(periods, timeouts) is real time, shortened through the station-configurable timeout table where a
test would otherwise wait 5 s.
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

from drivers.errors import DeviceTimeout, Disconnected, ProtocolError
from drivers.gbt27930 import messages as msgs
from drivers.gbt27930 import tp
from drivers.gbt27930.bms import TIMEOUTS, BatteryParams, GbtBms, Stage, timeouts_from_config
from drivers.roles import BmsLink, LoadController
from drivers.transports.can_bus import CanLink
from hardware_sim.dc_charger import DcChargerFaults, DcChargerTwin
from hardware_sim.physics import Rig

pytestmark = pytest.mark.timeout(30)

NAME = "dc-charger"


def _channel() -> str:
    return f"gbt-{uuid.uuid4().hex[:12]}"


class Spy:
    """A second bus on the same virtual channel that records every frame with its send time."""

    def __init__(self, channel: str) -> None:
        self.bus = can.Bus(interface="virtual", channel=channel)
        self.frames: list[can.Message] = []
        self.notifier = can.Notifier(self.bus, [self.frames.append], timeout=0.05)

    def send(self, arbitration_id: int, data: bytes, *, extended: bool = True, error: bool = False) -> None:
        self.bus.send(can.Message(arbitration_id=arbitration_id, data=data, is_extended_id=extended,
                                  is_error_frame=error))

    def named(self, name: str, since: float = 0.0) -> list[can.Message]:
        return [m for m in list(self.frames)
                if m.is_extended_id and m.timestamp >= since and msgs.name_for(m.arbitration_id) == name]

    def decoded(self, name: str, since: float = 0.0) -> list[dict[str, Any]]:
        return [msgs.decode(name, bytes(m.data)) for m in self.named(name, since)]

    def close(self) -> None:
        self.notifier.stop(1.0)
        self.bus.shutdown()


@dataclass
class Bench:
    channel: str
    rig: Rig
    twin: DcChargerTwin
    bms: GbtBms
    spy: Spy
    task: asyncio.Task[None]


BenchFactory = Callable[..., Awaitable[Bench]]


@pytest.fixture
async def make_bench() -> AsyncIterator[BenchFactory]:
    made: list[Bench] = []

    async def factory(
        *,
        faults: DcChargerFaults | None = None,
        timeouts: dict[str, float] | None = None,
        params: BatteryParams | None = None,
        **twin_kwargs: Any,
    ) -> Bench:
        channel = _channel()
        rig = Rig(speed=3600.0, dut_error_pct=0.3, dut_noise_pct=0.0)
        spy = Spy(channel)
        twin = DcChargerTwin(rig, {"interface": "virtual", "channel": channel}, faults=faults, **twin_kwargs)
        task = asyncio.create_task(twin.run())
        bms = GbtBms(NAME, CanLink(NAME, interface="virtual", channel=channel), params or BatteryParams(),
                     timeouts=timeouts)
        await bms.connect()
        bench = Bench(channel, rig, twin, bms, spy, task)
        made.append(bench)
        return bench

    yield factory
    for b in made:
        await b.bms.close()
        await b.twin.stop()
        await asyncio.wait_for(b.task, 5)
        b.spy.close()


async def eventually(cond: Callable[[], bool], timeout_s: float = 3.0, what: str = "condition") -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not cond():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        await asyncio.sleep(0.01)


def mean_period_s(frames: list[can.Message]) -> float:
    times = sorted(m.timestamp for m in frames)
    assert len(times) >= 3, f"only {len(times)} frames"
    return (times[-1] - times[0]) / (len(times) - 1)


def tp_rts(spy: Spy, pgn: int, since: float) -> list[can.Message]:
    rts_id = msgs.build_id(7, tp.TP_CM_PGN, msgs.CHARGER_SA, msgs.BMS_SA)
    return [m for m in list(spy.frames) if m.arbitration_id == rts_id and m.timestamp >= since
            and m.data[0] == 0x10 and int.from_bytes(m.data[5:8], "little") == pgn]


def bem_flags(spy: Spy) -> list[str]:
    """Flags set (01 = timeout) in the BEM frames seen on the bus."""
    return sorted({k for f in spy.decoded("BEM") for k, v in f.items() if v == 1})


# ---- the whole session ---------------------------------------------------------------------------


async def test_full_session_energy_and_identity(make_bench: BenchFactory) -> None:
    b = await make_bench(charger_number="12345678", region="320")
    bms, rig = b.bms, b.rig
    assert isinstance(bms, BmsLink) and isinstance(bms, LoadController)

    info = await bms.start_session(5)
    assert (info.charger_id, info.protocol) == ("12345678", "gbt27930-2015")
    assert bms.charger_region == "320" and bms.stage == Stage.CHARGING
    assert bms.charger_limits is not None and bms.charger_limits.max_current_a == 250.0
    # what the charger received in recognition and parameter configuration
    assert b.twin.brm is not None and b.twin.brm["vin"] == "LJDSIM00000000001"
    assert b.twin.bcp is not None and b.twin.bcp["pack_voltage_v"] == 380.0
    assert [f["max_allowed_voltage_v"] for f in b.spy.decoded("BHM")][:1] == [750.0]

    await bms.set_load(120.0)
    await eventually(lambda: rig.circuit.current_a == 120.0, what="the rig's current to follow BCL")
    assert rig.circuit.contactor_closed and rig.circuit.voltage_v == 380.0  # CC: the pack's voltage
    await eventually(lambda: bms.last_ccs is not None and abs(bms.last_ccs.current_a - 120.0) < 0.6,
                     what="CCS to report 120 A")
    status = await bms.charger_status()
    assert status.charging_allowed and abs(status.voltage_v - 380.0) < 2.0

    await bms.request(420.0, 60.0, "CV")
    await eventually(lambda: rig.circuit.voltage_v == 420.0 and rig.circuit.current_a == 60.0,
                     what="CV demand applied")
    await asyncio.sleep(0.3)

    summary = await bms.stop_session(5)
    assert not rig.circuit.contactor_closed
    dut_kwh = rig.dut.energy_wh() / 1000.0
    assert dut_kwh > 5.0  # accelerated: a real amount of energy went through
    assert summary.energy_kwh == math.floor(rig.dut.energy_wh() / 100.0 + 1e-9) / 10.0
    assert abs(summary.energy_kwh - dut_kwh) < 0.1
    assert summary.charger_number == "12345678"
    assert summary.charging_time_min == int(b.twin.last_csd["charging_time_min"])  # type: ignore[index]
    assert summary.stop_reasons == ("BST: soc_target_reached", "CST: bms_stopped")
    assert await bms.stop_session(5) is summary  # idempotent
    await bms.load_off()  # teardown path after the end: silent no-op
    with pytest.raises(ProtocolError, match="no session is charging"):
        await bms.charger_status()
    assert bms.stats.garbage == 0 and bms.stats.tp_retries == 0


async def test_message_periods(make_bench: BenchFactory) -> None:
    b = await make_bench()
    await b.bms.start_session(5)
    await b.bms.set_load(50.0)
    loop = asyncio.get_running_loop()
    t0 = b.spy.frames[-1].timestamp
    start = loop.time()
    await asyncio.sleep(1.6)
    assert loop.time() - start >= 1.6
    bcl = b.spy.named("BCL", since=t0)
    bsm = b.spy.named("BSM", since=t0)
    bcs = tp_rts(b.spy, msgs.SPECS["BCS"].pgn, since=t0)
    ccs = b.spy.named("CCS", since=t0)
    assert 0.040 <= mean_period_s(bcl) <= 0.065, mean_period_s(bcl)
    assert 0.20 <= mean_period_s(bsm) <= 0.30, mean_period_s(bsm)
    assert 0.20 <= mean_period_s(bcs) <= 0.30, mean_period_s(bcs)
    assert 0.040 <= mean_period_s(ccs) <= 0.065, mean_period_s(ccs)
    assert len(bcl) >= 20 and len(bsm) >= 5
    # every BCS multi-packet transfer was acknowledged by the charger
    assert b.bms.stats.tp_failures == 0 and "BCS" in b.twin.tp_completed
    assert b.twin.last_bcs is not None and b.twin.last_bcs["soc_pct"] == 50.0


async def test_second_session_after_restart(make_bench: BenchFactory) -> None:
    b = await make_bench(restart_after_s=0.2, csd_repeat_s=0.3)
    await b.bms.start_session(5)
    first = await b.bms.stop_session(5)
    await b.bms.start_session(5)  # the charger restarts its handshake; the BMS starts afresh
    assert b.twin.sessions == 2
    second = await b.bms.stop_session(5)
    assert second is not first and b.bms.stage == Stage.ENDED


async def test_charger_stops_first(make_bench: BenchFactory) -> None:
    b = await make_bench()
    await b.bms.start_session(5)
    b.twin.request_stop()
    await eventually(lambda: b.bms.stage in (Stage.ENDING, Stage.ENDED), what="the BMS to see CST")
    with pytest.raises(ProtocolError, match="charger stopped charging") as err:
        await b.bms.charger_status()
    assert "manual_stop" in str(err.value)
    summary = await b.bms.stop_session(5)
    assert summary.stop_reasons == ("BST: charger_stopped", "CST: manual_stop")
    assert b.spy.decoded("BST")[0]["charger_stopped"] == 1


# ---- faults of the charger: the standard's reaction and a clear message ----------------------------


async def test_missing_crm_aa_sends_bem_and_times_out(make_bench: BenchFactory) -> None:
    b = await make_bench(faults=DcChargerFaults(missing_crm=True), timeouts={"crm_aa": 0.6})
    with pytest.raises(DeviceTimeout) as err:
        await b.bms.start_session(5)
    assert str(err.value) == ("充电机 dc-charger: 辨识阶段 0.6 s 内未收到 CRM 0xAA "
                              "(no CRM 0xAA within 0.6 s during recognition) — BEM sent")
    assert err.value.device == NAME
    await eventually(lambda: bool(b.spy.named("BEM")), what="BEM on the bus")
    assert bem_flags(b.spy) == ["crm_aa_timeout"]
    assert b.bms.stage == Stage.FAULT
    await eventually(lambda: bool(b.twin.bem_received), what="the charger to receive BEM")


async def test_slow_cts_cml_within_timeout_is_fine(make_bench: BenchFactory) -> None:
    b = await make_bench(faults=DcChargerFaults(slow_cts_s=0.4))
    loop = asyncio.get_running_loop()
    start = loop.time()
    await b.bms.start_session(5)
    assert loop.time() - start >= 0.4
    assert not b.spy.named("BEM")


async def test_slow_cts_cml_beyond_timeout(make_bench: BenchFactory) -> None:
    b = await make_bench(faults=DcChargerFaults(slow_cts_s=2.0), timeouts={"cml": 0.8})
    with pytest.raises(DeviceTimeout, match=r"参数配置阶段 0\.8 s 内未收到 CML .*— BEM sent"):
        await b.bms.start_session(5)
    await eventually(lambda: bool(b.spy.named("BEM")), what="BEM")
    assert bem_flags(b.spy) == ["cts_cml_timeout"]
    assert len(b.spy.named("BCP")) == 0  # BCP is multi-packet: it never travels as a single frame
    assert len(tp_rts(b.spy, msgs.SPECS["BCP"].pgn, 0.0)) >= 2  # repeated every 500 ms meanwhile


async def test_garbage_frames_are_ignored_and_counted(make_bench: BenchFactory) -> None:
    b = await make_bench(faults=DcChargerFaults(garbage_frames=True, garbage_period_s=0.005))
    await b.bms.start_session(5)
    await b.bms.set_load(80.0)
    await asyncio.sleep(0.4)
    summary = await b.bms.stop_session(5)
    stats = b.bms.stats
    assert b.twin.garbage_sent > 50
    assert stats.garbage > 10 and stats.foreign > 5, stats
    assert summary.energy_kwh == math.floor(b.rig.dut.energy_wh() / 100.0 + 1e-9) / 10.0
    assert not b.spy.named("BEM")


async def test_interrupted_transfer_is_retried_once(make_bench: BenchFactory) -> None:
    b = await make_bench(faults=DcChargerFaults(interrupt_tp=True, interrupt_tp_count=1))
    await b.bms.start_session(8)
    assert b.bms.stats.tp_retries == 1 and b.bms.stats.tp_failures == 0
    assert b.twin.tp_failed == ["BRM"]
    abort_id = msgs.build_id(7, tp.TP_CM_PGN, msgs.BMS_SA, msgs.CHARGER_SA)
    assert any(m.arbitration_id == abort_id and m.data[0] == 0xFF for m in b.spy.frames)


async def test_interrupted_transfer_twice_is_reported(make_bench: BenchFactory) -> None:
    b = await make_bench(faults=DcChargerFaults(interrupt_tp=True))
    with pytest.raises(ProtocolError) as err:
        await b.bms.start_session(8)
    text = str(err.value)
    assert text.startswith("充电机 dc-charger: 辨识阶段: BRM 多包传输两次中断")
    assert "multi-packet transfer of BRM interrupted twice" in text
    assert b.bms.stats.tp_retries == 1 and b.bms.stats.tp_failures == 1
    assert not b.spy.named("BEM")  # BEM has no flag for a transport failure


async def test_silent_charger_while_charging(make_bench: BenchFactory) -> None:
    b = await make_bench()
    bms = b.bms
    await bms.start_session(5)
    await bms.set_load(100.0)
    await eventually(lambda: b.rig.circuit.current_a == 100.0, what="charging at 100 A")
    loop = asyncio.get_running_loop()
    b.twin.faults.silent = True
    start = loop.time()
    await eventually(lambda: bms.fault is not None, timeout_s=4.0, what="the CCS timeout")
    elapsed = loop.time() - start
    assert 0.9 <= elapsed <= 2.5, elapsed
    expected = "充电机 dc-charger: 充电阶段 1 s 内未收到 CCS (no CCS within 1 s while charging) — BEM sent"
    with pytest.raises(DeviceTimeout) as err:
        await bms.charger_status()
    assert str(err.value) == expected
    with pytest.raises(DeviceTimeout):
        await bms.request(400.0, 10.0)
    with pytest.raises(DeviceTimeout):
        await bms.stop_session(2)
    await eventually(lambda: len(b.spy.named("BEM")) >= 3, what="BEM repeated at 250 ms")
    assert bem_flags(b.spy) == ["ccs_timeout"]
    # the BMS stopped its charging messages; the charger took the BEM and opened its contactor
    t_fault = b.spy.named("BEM")[0].timestamp
    assert not b.spy.named("BCL", since=t_fault + 0.1)
    await eventually(lambda: not b.rig.circuit.contactor_closed, what="the contactor to open on BEM")


async def test_impossible_ccs_values_are_refused_and_logged(make_bench: BenchFactory,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    """Issue 13 line 5: a CCS whose output current is positive (current out of the battery, GB/T
    27930-2015 4.5) or whose voltage is 'not available' is never taken as the charger's status:
    each such frame is refused with one line naming the message and the frame; a charger that only
    sends such frames ends in the CCS timeout, which names the last refused frame."""
    b = await make_bench()
    bms = b.bms
    await bms.start_session(5)
    await bms.set_load(100.0)
    await eventually(lambda: bms.last_ccs is not None and abs(bms.last_ccs.current_a - 100.0) < 0.6,
                     what="CCS to report 100 A")
    good = bms.last_ccs
    with caplog.at_level("WARNING", logger="drivers.gbt27930.bms"):
        b.twin.faults.override = {"CCS": {"output_voltage_v": None}}  # 0xFFFF: not available
        await eventually(lambda: bms.stats.refused >= 2, what="two refused CCS")
        b.twin.faults.override = {}
        refused_before = bms.stats.refused
        await eventually(lambda: bms.last_ccs is not good, what="a valid CCS again")
        assert bms.fault is None and abs(bms.last_ccs.voltage_v - 380.0) < 2.0  # a short burst is not fatal
        line = next(r.getMessage() for r in caplog.records if "CCS 帧 #" in r.getMessage())
        assert line.startswith("充电机 dc-charger: CCS 帧 #") and "1812F456#FFFF" in line
        assert "CCS.output_voltage_v=6553.5 V 为不可用值" in line and "\n" not in line

        b.twin.faults.override = {"CCS": {"output_current_a": 12.0}}  # +12 A: out of the battery
        await eventually(lambda: bms.fault is not None, timeout_s=4.0, what="the CCS timeout")
    assert bms.stats.refused > refused_before
    assert bms.last_ccs.current_a >= 0  # the refused value never became the status
    with pytest.raises(DeviceTimeout) as err:
        await bms.charger_status()
    text = str(err.value)
    assert text.startswith("充电机 dc-charger: 充电阶段 1 s 内未收到有效的 CCS (no valid CCS within 1 s while charging)")
    assert "CCS 帧 #" in text and "CCS.output_current_a=12 A 超出 -400…0 A" in text and "\n" not in text
    await eventually(lambda: bool(bem_flags(b.spy)), what="the BEM on the bus")  # sent as the fault is set
    assert bem_flags(b.spy) == ["ccs_timeout"]


async def test_impossible_csd_energy_is_refused(make_bench: BenchFactory) -> None:
    """A CSD whose output energy is beyond the standard's 0-1000 kWh is not the session's summary:
    the end waits for a valid CSD and, without one, names the refused frame."""
    b = await make_bench(timeouts={"csd": 0.5})
    await b.bms.start_session(5)
    b.twin.faults.override = {"CSD": {"energy_kwh": 1500.0}}
    with pytest.raises(DeviceTimeout) as err:
        await b.bms.stop_session(5)
    text = str(err.value)
    assert "未收到有效的 CSD" in text and "CSD.energy_kwh=1500 kWh 超出 0…1000 kWh" in text
    assert b.bms.summary is None and b.bms.stats.refused >= 1


async def test_charger_cem_is_a_protocol_error(make_bench: BenchFactory) -> None:
    b = await make_bench()
    await b.bms.start_session(5)
    b.twin.faults.send_cem = "bcs_timeout"
    await eventually(lambda: b.bms.fault is not None, what="the CEM")
    with pytest.raises(ProtocolError) as err:
        await b.bms.charger_status()
    text = str(err.value)
    assert text.startswith("充电机 dc-charger: 充电阶段: 充电机报告通信超时 CEM — 充电阶段接收 BCS 超时")
    assert "the charger reported a receive timeout: no BCS received in time" in text
    assert b.bms.stats.cem_received >= 1
    t_fault = b.spy.named("CEM")[0].timestamp
    await asyncio.sleep(0.2)
    assert not b.spy.named("BCL", since=t_fault + 0.1)
    assert not b.spy.named("BEM")  # the charger reported; the BMS has nothing to add


async def test_no_charger_at_all(make_bench: BenchFactory) -> None:
    b = await make_bench(faults=DcChargerFaults(silent=True))
    with pytest.raises(DeviceTimeout, match="stuck in handshake, waiting for CHM/CRM"):
        await b.bms.start_session(0.6)
    assert b.bms.stage == Stage.IDLE and not b.spy.named("BHM")


async def test_cst_timeout_after_bst(make_bench: BenchFactory) -> None:
    b = await make_bench(timeouts={"cst": 0.4})
    await b.bms.start_session(5)
    b.twin.faults.silent = True
    with pytest.raises(DeviceTimeout, match=r"充电结束阶段 0\.4 s 内未收到 CST \(no CST within 0\.4 s after BST\)"):
        await b.bms.stop_session(5)
    await eventually(lambda: bool(b.spy.named("BEM")), what="BEM")
    assert bem_flags(b.spy) == ["cst_timeout"]
    assert len(b.spy.named("BST")) >= 10  # BST every 10 ms meanwhile


async def test_error_frames_are_counted_not_fatal(make_bench: BenchFactory) -> None:
    b = await make_bench()
    await b.bms.start_session(5)
    for _ in range(3):
        b.spy.send(0x20000080, bytes(8), extended=True, error=True)
    await eventually(lambda: b.bms.stats.error_frames == 3, what="error frames counted")
    assert (await b.bms.charger_status()).charging_allowed


async def test_adapter_lost_while_charging(make_bench: BenchFactory) -> None:
    b = await make_bench()
    await b.bms.start_session(5)
    bus = b.bms.link._bus
    assert bus is not None
    bus.shutdown()  # the USB adapter disappears under python-can
    await eventually(lambda: b.bms.fault is not None, what="the lost link")
    with pytest.raises(Disconnected) as err:
        await b.bms.charger_status()
    # whichever noticed first — a periodic send or the Notifier — the message says what happened
    assert str(err.value).startswith("充电机 dc-charger: 充电阶段: CAN virtual ")
    assert "closed bus" in str(err.value)


# ---- life cycle -------------------------------------------------------------------------------------


async def test_close_while_charging_stops_everything(make_bench: BenchFactory) -> None:
    b = await make_bench()
    await b.bms.start_session(5)
    await b.bms.set_load(30.0)
    await b.bms.close()
    await b.bms.close()  # idempotent
    await eventually(lambda: not b.rig.circuit.contactor_closed, what="the charger to stop on BST")
    await b.twin.stop()
    await asyncio.wait_for(b.task, 5)
    others = {t for t in asyncio.all_tasks() if t is not asyncio.current_task()}
    assert not others, others
    await b.bms.load_off()  # teardown path on a closed BMS: no error


async def test_close_when_never_connected() -> None:
    bms = GbtBms(NAME, CanLink(NAME, interface="virtual", channel=_channel()))
    await bms.close()
    assert bms.stage == Stage.IDLE


async def test_request_validation(make_bench: BenchFactory) -> None:
    b = await make_bench(faults=DcChargerFaults(silent=True))
    with pytest.raises(ValueError, match="current"):
        await b.bms.request(400.0, 300.0)
    with pytest.raises(ValueError, match="voltage"):
        await b.bms.request(800.0, 10.0)
    with pytest.raises(ValueError, match="mode"):
        await b.bms.request(400.0, 10.0, "CP")
    await b.bms.request(400.0, 10.0, "cv")  # before a session: the demand for the next one


# ---- configuration ----------------------------------------------------------------------------------


def test_from_config_builds_link_battery_and_timeouts() -> None:
    bms = GbtBms.from_config(NAME, {
        "driver": "gbt27930_bms",
        "roles": ["bms", "load"],
        "interface": "virtual",
        "channel": "cfg-test",
        "bitrate": 250000,
        "receive_own_messages": False,
        "request_current_a": 20,
        "battery": {"battery_type": "ncm", "max_total_voltage_v": 500, "vin": "LTEST000000000042"},
        "timeouts": {"ccs": 1.5, "crm_00_s": 30},
    })
    assert (bms.link.interface, bms.link.channel, bms.link.bitrate) == ("virtual", "cfg-test", 250000)
    assert bms.link.bus_kwargs == {"receive_own_messages": False}
    assert bms.params.battery_type_code == 0x06 and bms.params.max_total_voltage_v == 500.0
    assert bms.params.request_current_a == 20.0 and bms.params.vin == "LTEST000000000042"
    assert bms.timeouts["ccs"].seconds == 1.5 and bms.timeouts["crm_00"].seconds == 30.0
    assert bms.timeouts["cst"].seconds == TIMEOUTS["cst"].seconds == 5.0


def test_timeout_table_documents_its_sources() -> None:
    assert TIMEOUTS["ccs"].seconds == 1.0 and TIMEOUTS["ccs"].bem_flag == "ccs_timeout"
    for rule in TIMEOUTS.values():
        assert rule.clause and rule.confidence in ("H", "M", "L")
        assert rule.bem_flag in msgs.fields("BEM")
    with pytest.raises(ValueError, match="unknown GB/T 27930 timeout"):
        timeouts_from_config({"ccx": 1})
    with pytest.raises(ValueError, match="positive"):
        timeouts_from_config({"ccs": 0})


def test_battery_params_validation() -> None:
    with pytest.raises(ValueError, match="VIN"):
        BatteryParams(vin="X" * 18)
    with pytest.raises(ValueError, match="battery_type"):
        BatteryParams(battery_type="unobtainium")
    with pytest.raises(ValueError, match="bms_version"):
        BatteryParams(bms_version="v1")
    assert BatteryParams(bms_version="2025-12-31#7").bms_software() == {
        "bms_sw_year": 2025, "bms_sw_month": 12, "bms_sw_day": 31, "bms_sw_serial": 7}


# ---- the CAN link alone -----------------------------------------------------------------------------


async def test_can_link_roundtrip_and_silence() -> None:
    channel = _channel()
    a = CanLink.from_config("a", {"interface": "virtual", "channel": channel})
    b = CanLink("b", interface="virtual", channel=channel)
    await a.connect()
    await b.connect()
    try:
        a.send(0x1826F456, b"\x01\x01\x00")
        msg = await b.recv(1.0)
        assert msg is not None and msg.is_extended_id and msg.arbitration_id == 0x1826F456
        assert bytes(msg.data) == b"\x01\x01\x00"
        assert await b.recv(0.05) is None
        assert (a.stats.sent, b.stats.received) == (1, 1)
    finally:
        await a.close()
        await b.close()


async def test_can_link_error_frame_is_protocol_error() -> None:
    channel = _channel()
    link = CanLink("bms", channel=channel)
    spy = Spy(channel)
    await link.connect()
    try:
        spy.send(0x20000004, bytes(8), error=True)
        with pytest.raises(ProtocolError, match="CAN error frame"):
            await link.recv(1.0)
        spy.send(0x1826F456, b"\x01\x01\x00")
        assert await link.recv(1.0) is not None  # reading goes on
        assert link.stats.error_frames == 1
    finally:
        await link.close()
        spy.close()


async def test_can_link_dead_notifier_is_disconnected() -> None:
    link = CanLink("bms", channel=_channel())
    await link.connect()
    assert link._bus is not None
    link._bus.shutdown()
    with pytest.raises(Disconnected, match=r"python-can Notifier reading the bus has stopped.*closed bus"):
        await link.recv(2.0)
    assert not link.connected
    with pytest.raises(Disconnected):
        link.send(0x1826F456, b"\x00")
    await link.close()


async def test_can_link_open_failures_are_disconnected() -> None:
    link = CanLink("bms", interface="no-such-backend", channel="can9")
    with pytest.raises(Disconnected, match="cannot open CAN no-such-backend can9"):
        await link.connect()
    closed = CanLink("bms", channel=_channel())
    with pytest.raises(Disconnected, match="not open"):
        closed.send(0x1826F456, b"\x00")
    with pytest.raises(Disconnected, match="not open"):
        await closed.recv(0.01)
