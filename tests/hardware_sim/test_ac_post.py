"""OcppChargerLink (driver) against AcPostTwin (simulated post) over a real WebSocket on 127.0.0.1.

The twin's meter is ``rig.dut`` of a shared, accelerated :class:`Rig`; the test sets the load on
the rig's circuit as the reference-meter twin would.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pytest

from drivers.errors import DeviceRefused, DeviceTimeout, Disconnected
from drivers.ocpp.csms16 import ChargerDisconnected, CsmsEvent, MeterReading, StatusChanged
from drivers.ocpp.link import OcppChargerLink
from drivers.roles import ChargerLink
from hardware_sim.ac_post import AcPostFaults, AcPostTwin, main
from hardware_sim.physics import Rig

pytestmark = pytest.mark.timeout(20)

CLOCK_OFFSET_S = 2.0


@dataclass
class Bench:
    rig: Rig
    link: OcppChargerLink
    twin: AcPostTwin
    events: list[CsmsEvent]


async def _bench(**twin_kwargs: object) -> tuple[Bench, asyncio.Task[None]]:
    rig = Rig(speed=200.0, dut_error_pct=0.3)
    link = OcppChargerLink.from_config(
        "charger",
        {
            "protocol": "ocpp1.6",
            "host": "127.0.0.1",
            "port": 0,
            "charge_point_id": "CP001",
            "id_tag": "JIANDING",
            "call_timeout_s": 2,
            "meter_value_interval_s": 1,
        },
        simulated=True,  # the post is a twin: profile 0 without a warning
    )
    await link.connect()
    events: list[CsmsEvent] = []
    link.csms.subscribe(events.append)
    twin = AcPostTwin(
        rig,
        f"ws://127.0.0.1:{link.csms.port}",
        clock_offset_s=CLOCK_OFFSET_S,
        faults=AcPostFaults(reconnect_after_s=0.1),
        **twin_kwargs,  # type: ignore[arg-type]
    )
    return Bench(rig, link, twin, events), asyncio.create_task(twin.run())


@pytest.fixture
async def bench() -> AsyncIterator[Bench]:
    b, task = await _bench()
    try:
        yield b
    finally:
        await b.twin.stop()
        await asyncio.wait_for(task, 5)
        await b.link.close()


async def test_link_full_cycle(bench: Bench) -> None:
    link, rig, twin = bench.link, bench.rig, bench.twin
    assert isinstance(link, ChargerLink)
    info = await link.wait_connected(5)
    assert (info.charger_id, info.vendor, info.model, info.serial) == (
        "CP001",
        "JD-SIM",
        "AC7K-SIM",
        "SIM0001",
    )
    assert info.meter_type == twin.meter_type and info.meter_serial == twin.meter_serial

    rig.circuit.set_load(32.0)
    assert not rig.circuit.contactor_closed
    tx = await link.start_charging()
    assert rig.circuit.contactor_closed and link.transaction_id == tx
    assert twin.config["MeterValueSampleInterval"].value == "1"  # set by start_charging
    e0 = await link.read_energy_register_wh()

    # the register grows while the load draws: wait for a periodic sample showing it
    with link.csms.expect(
        "CP001",
        lambda e: (
            isinstance(e, MeterReading)
            and e.context == "Sample.Periodic"
            and e.value_wh is not None
            and e.value_wh > e0
        ),
    ) as grown:
        await grown.wait(5, "a larger periodic register sample")

    rig.circuit.set_load(0.0)  # freeze the energy so that register and truth can be compared
    register = await link.read_energy_register_wh()
    true_dut = rig.dut.energy_wh()
    assert register > e0
    assert 0.0 <= true_dut - register < 1.0 + 1e-6  # display resolution 0.001 kWh, truncated

    clock = await link.read_clock()
    assert clock.offset_s == pytest.approx(CLOCK_OFFSET_S, abs=0.5)

    assert await link.change_configuration("MeterValueSampleInterval", "5") == "Accepted"
    snap = await link.get_configuration(["MeterValueSampleInterval", "NoSuchKey"])
    assert snap.values == {"MeterValueSampleInterval": "5"} and snap.unknown == ("NoSuchKey",)
    with pytest.raises(DeviceRefused, match="NotSupported"):
        await link.change_configuration("NoSuchKey", "1")
    with pytest.raises(DeviceRefused, match="Rejected"):
        await link.change_configuration("NumberOfConnectors", "2")
    everything = await link.get_configuration()
    assert "NumberOfConnectors" in everything.readonly and "ClockAlignedDataInterval" in everything.values

    await link.stop_charging()
    assert not rig.circuit.contactor_closed and link.transaction_id is None
    await link.stop_charging()  # idempotent


async def test_drop_then_reconnect(bench: Bench) -> None:
    link, twin = bench.link, bench.twin
    await link.wait_connected(5)
    bench.rig.circuit.set_load(16.0)
    with link.csms.expect(
        "CP001", lambda e: isinstance(e, StatusChanged) and e.status == "Charging"
    ) as charging:
        tx = await link.start_charging()
        await charging.wait(5, "Charging status")  # the post has taken the transaction id

    twin.faults.reconnect = False
    with link.csms.expect("CP001", lambda e: False) as lost:
        twin.drop_connection()
        with pytest.raises(Disconnected):
            await lost.wait(5, "the drop")
    with pytest.raises(Disconnected, match=r"充电桩 CP001.*1006") as excinfo:
        await link.read_energy_register_wh()
    assert excinfo.value.device == "充电桩 CP001"
    assert any(isinstance(e, ChargerDisconnected) and e.code == 1006 for e in bench.events)

    twin.reconnect_now()
    info = await link.wait_connected(5)  # reconnect without reboot: identity remembered
    await twin.wait_online(5)
    assert info.vendor == "JD-SIM" and twin.boot_count == 1 and twin.connection_count == 2
    assert await link.read_energy_register_wh() > 0  # works again, same transaction still open
    assert link.transaction_id == tx
    await link.stop_charging()
    assert not bench.rig.circuit.contactor_closed


async def test_silent_post_times_out_then_recovers(bench: Bench) -> None:
    link, twin = bench.link, bench.twin
    await link.wait_connected(5)
    twin.faults.silent = True
    link.csms.call_timeout_s = 0.3
    with pytest.raises(DeviceTimeout, match="CP001"):
        await link.read_energy_register_wh()
    twin.faults.silent = False
    link.csms.call_timeout_s = 2.0
    assert await link.read_energy_register_wh() >= 0


async def test_malformed_frame_from_post_gets_callerror(bench: Bench) -> None:
    link, twin = bench.link, bench.twin
    await link.wait_connected(5)
    await twin.wait_online(5)
    reply = await twin.send_malformed()
    assert reply is not None and reply[:3] == [4, "-1", "FormationViolation"]
    reply = await twin.send_malformed('[2,"m2","NoSuchAction",{}]')
    assert reply is not None and reply[:3] == [4, "m2", "NotImplemented"]
    assert await link.read_energy_register_wh() >= 0  # the session goes on


async def test_remote_start_rejected() -> None:
    b, task = await _bench()
    try:
        b.twin.faults.reject_remote_start = True
        await b.link.wait_connected(5)
        with pytest.raises(DeviceRefused, match="RemoteStartTransaction Rejected"):
            await b.link.start_charging()
        assert not b.rig.circuit.contactor_closed
    finally:
        await b.twin.stop()
        await asyncio.wait_for(task, 5)
        await b.link.close()


async def test_register_in_wh_and_default_form_value() -> None:
    b, task = await _bench(register_unit="Wh", bare_default_value=True)
    try:
        await b.link.wait_connected(5)
        b.rig.circuit.set_load(10.0)
        await b.link.start_charging()
        b.rig.circuit.set_load(0.0)
        register = await b.link.read_energy_register_wh()
        assert register == int(register) and 0 <= b.rig.dut.energy_wh() - register < 1.0
        triggered = [e for e in b.events if isinstance(e, MeterReading) and e.context == "Trigger"]
        explicit = [e for e in triggered if e.measurand == "Energy.Active.Import.Register" and e.unit == "Wh"]
        # the bare {"value": ...} parses to the same register reading by the §7.43 defaults
        assert any(e.location == "Outlet" and e.value_wh == register for e in explicit)
        defaults = [
            e
            for e in b.events
            if isinstance(e, MeterReading)
            and e.context == "Sample.Periodic"
            and e.measurand == "Energy.Active.Import.Register"
            and e.unit == "Wh"
        ]
        assert defaults  # the bare value has no context: Sample.Periodic by default
        await b.link.stop_charging()
    finally:
        await b.twin.stop()
        await asyncio.wait_for(task, 5)
        await b.link.close()


def test_main_help_exits_cleanly(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["ac-post", "--help"])
    assert exc.value.code == 0
    assert "--clock-offset" in capsys.readouterr().out


async def test_command_line_post_signing_one_page_per_transaction() -> None:
    """``python -m hardware_sim ac-post --sign --ocmf-page-per transaction``, a process of its own,
    over a real WebSocket: begin and end arrive on one OCMF page and the link records the session
    as valid, with the repeated page as a note."""
    link = OcppChargerLink.from_config("charger", {"protocol": "ocpp1.6", "host": "127.0.0.1", "port": 0,
                                                   "charge_point_id": "CP001", "call_timeout_s": 5},
                                      simulated=True)
    await link.connect()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hardware_sim", "ac-post", "--csms", f"ws://127.0.0.1:{link.csms.port}",
        "--speed", "500", "--sign", "--ocmf-page-per", "transaction",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
    try:
        assert proc.stdout is not None
        key_line = (await asyncio.wait_for(proc.stdout.readline(), 10)).decode()
        assert key_line.startswith("OCMF public key (meter M-SIM0001, pages per transaction): 3059")
        await link.wait_connected(10)

        def signed_begin(e: CsmsEvent) -> bool:
            return isinstance(e, MeterReading) and e.context == "Transaction.Begin" and e.signed_data is not None

        with link.csms.expect("CP001", signed_begin) as begun:
            await link.start_charging()
            await begun.wait(10, "signed Transaction.Begin sample")
        await link.read_energy_register_wh()  # a triggered, signed reading in between
        await link.stop_charging()
        sv = await link.signed_meter_values()
        assert sv.status == "valid", sv.reason
        assert sv.records == 3 and sv.stop_wh is not None and sv.start_wh is not None and sv.stop_wh > sv.start_wh
        assert sv.notes[0] == "页码重复 T1 (repeated page number: same PG on record 1 to record 3, begin to end)"
        assert "公钥取自记录本身" in sv.notes[-1]  # no ocmf_public_key configured: the post's own key
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 10)
        await link.close()


async def test_teardown_stops_a_transaction_that_started_late(bench: Bench) -> None:
    link = bench.link
    await link.wait_connected(5)
    link.transaction_timeout_s = 0.0005  # give up before the post's StartTransaction arrives
    with link.csms.expect(
        "CP001", lambda e: isinstance(e, StatusChanged) and e.status == "Charging"
    ) as charging:
        with pytest.raises(DeviceTimeout, match="StartTransaction"):
            await link.start_charging()
        assert link.transaction_id is None
        await charging.wait(5, "the late transaction")
    assert bench.rig.circuit.contactor_closed
    link.transaction_timeout_s = 5.0
    await link.stop_charging()  # teardown finds the open transaction on its connector
    assert not bench.rig.circuit.contactor_closed
    assert link.csms.open_transactions("CP001") == []


async def _until(condition: Callable[[], bool], timeout_s: float = 3.0) -> None:
    """Wait for the twin to get there (it handles the CSMS's answer a moment after the CSMS sent it)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    for _ in range(int(timeout_s / 0.02) + 1):
        if condition():
            return
        await asyncio.sleep(0.02)
    assert condition(), f"not reached within {timeout_s} s (deadline {deadline})"


async def test_held_csms_answers_no_post_until_used_and_remembers_giving_its_time() -> None:
    """A link from a station file holds its CSMS: the post is answered HTTP 503 (and retries) until the
    procedure first waits for it, so nothing of ours can set its clock before it is read; then the
    BootNotification answer gives our time — a post that adopts it is on our clock from then on."""
    b, task = await _bench(adopt_csms_time=True)
    try:
        await asyncio.sleep(0.5)
        assert not b.twin.online and b.link.csms.time_given("CP001") is None
        assert "503" in str(b.twin.last_error)
        assert abs(b.twin.clock_offset_s - CLOCK_OFFSET_S) < 0.05  # still its own clock
        await b.link.wait_connected(5)
        assert b.link.csms.time_given("CP001") is not None
        await _until(lambda: abs(b.twin.clock_offset_s) < 0.5)  # adopted our currentTime
        assert b.link.csms.early_timestamps("CP001") == []  # it booted first: no time of its own was sent
        assert await b.link.clock_as_found() is None
    finally:
        await b.twin.stop()
        await asyncio.wait_for(task, 5)
        await b.link.close()


async def test_post_reconnecting_without_reboot_sends_its_time_before_ours() -> None:
    b, task = await _bench(adopt_csms_time=True, boot_on_connect=False)
    try:
        info = await b.link.wait_connected(8)  # identified through a triggered BootNotification
        assert info.serial == "SIM0001"
        await _until(lambda: b.twin.boot_count == 1)
        reading = await b.link.clock_as_found()
        assert reading is not None and "StatusNotification" in reading.source
        assert abs(reading.offset_s - CLOCK_OFFSET_S) < 0.5  # its own clock, before ours reached it
        await _until(lambda: abs(b.twin.clock_offset_s) < 0.5)  # and after the triggered boot it runs on ours
    finally:
        await b.twin.stop()
        await asyncio.wait_for(task, 5)
        await b.link.close()


async def test_post_display_shows_duration_periods_and_no_current_fault() -> None:
    b, task = await _bench(tariff=[("谷", "00:00", 0.4)], service_fee_yuan_per_kwh=0.6, clock_rate_error_pct=10.0)
    try:
        await b.link.wait_connected(5)
        b.rig.circuit.set_load(32.0)
        await b.link.start_charging()
        await asyncio.sleep(1.5)
        shown = b.twin.display()
        assert shown.periods and shown.periods[0][0] == "谷" and shown.periods[0][2] == 0.4
        assert shown.amount_yuan == round(shown.periods[0][1] * 0.4 + shown.session_kwh * 0.6, 2)
        assert shown.duration_s >= 1  # 1.5 s of real time on a clock 10 % fast: 1 s shown
        await b.link.stop_charging()
        b.twin.faults.no_current = True
        before = b.twin.register_wh()
        await b.link.start_charging()
        await asyncio.sleep(0.5)
        assert b.twin.register_wh() == before  # charging, but no energy flows
        await b.link.stop_charging()
    finally:
        await b.twin.stop()
        await asyncio.wait_for(task, 5)
        await b.link.close()
