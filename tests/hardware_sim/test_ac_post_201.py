"""OcppChargerLink (driver) against AcPostTwin(ocpp_version="2.0.1") over a real WebSocket on 127.0.0.1.

The same link that drives a 1.6 post (tests/hardware_sim/test_ac_post.py) drives a 2.0.1 station:
RequestStartTransaction + TransactionEvent Started, TriggerMessage MeterValues, SetVariables for
``SampledDataCtrlr.TxUpdatedInterval``, RequestStopTransaction + TransactionEvent Ended. The twin's
meter is ``rig.dut`` of a shared, accelerated :class:`Rig`. Also: signed meter values in both
versions through the ``meter_value_signer`` hook.
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from bench.charger_listen import listen
from drivers.errors import DeviceRefused, Disconnected
from drivers.ocpp.csms import (
    ChargePointSession201,
    ChargerDisconnected,
    CsmsEvent,
    MeterReading,
    TransactionStarted,
    TransactionStopped,
    TransactionUpdated,
)
from drivers.ocpp.link import OcppChargerLink
from drivers.roles import ChargerLink
from hardware_sim.ac_post import AcPostFaults, AcPostTwin
from hardware_sim.physics import Rig

pytestmark = pytest.mark.timeout(20)

CLOCK_OFFSET_S = 2.0
REGISTER = "Energy.Active.Import.Register"


@dataclass
class Bench:
    rig: Rig
    link: OcppChargerLink
    twin: AcPostTwin
    events: list[CsmsEvent]
    task: asyncio.Task[None]

    async def close(self) -> None:
        await self.twin.stop()
        await asyncio.wait_for(self.task, 5)
        await self.link.close()


async def make_bench(**twin_kwargs: Any) -> Bench:
    rig = Rig(speed=200.0, dut_error_pct=0.3)
    link = OcppChargerLink.from_config(
        "charger",
        {
            "protocol": "auto",
            "host": "127.0.0.1",
            "port": 0,
            "charge_point_id": "CP201",
            "call_timeout_s": 2,
            "meter_value_interval_s": 1,
        },
        simulated=True,  # the post is a twin: profile 0 without a warning
    )
    await link.connect()
    events: list[CsmsEvent] = []
    link.csms.subscribe(events.append)
    twin_kwargs.setdefault("ocpp_version", "2.0.1")
    twin = AcPostTwin(
        rig,
        f"ws://127.0.0.1:{link.csms.port}",
        charge_point_id="CP201",
        clock_offset_s=CLOCK_OFFSET_S,
        faults=AcPostFaults(reconnect_after_s=0.1),
        **twin_kwargs,
    )
    return Bench(rig, link, twin, events, asyncio.create_task(twin.run()))


@pytest.fixture
async def bench() -> AsyncIterator[Bench]:
    b = await make_bench()
    try:
        yield b
    finally:
        await b.close()


async def test_link_full_cycle_201(bench: Bench) -> None:
    link, rig, twin = bench.link, bench.rig, bench.twin
    assert isinstance(link, ChargerLink)
    info = await link.wait_connected(5)
    assert (info.charger_id, info.vendor, info.model, info.serial, info.firmware) == (
        "CP201",
        "JD-SIM",
        "AC7K-SIM",
        "SIM0001",
        "1.0.0-sim",
    )
    assert info.protocol == "ocpp2.0.1" and link.ocpp_version == "2.0.1"

    rig.circuit.set_load(32.0)
    assert not rig.circuit.contactor_closed
    tx = await link.start_charging()
    assert rig.circuit.contactor_closed and link.transaction_id == tx
    assert twin.transaction is not None and twin.transaction.transaction_id == tx  # the station's id
    # set by start_charging through SetVariables (MeterValueSampleInterval mapped)
    assert twin.variable("SampledDataCtrlr", "TxUpdatedInterval") == "1"
    started = next(e for e in bench.events if isinstance(e, TransactionStarted))
    assert started.transaction_id == tx and started.trigger_reason == "RemoteStart"
    assert started.remote_start_id is not None and started.meter_start_wh is not None
    e0 = await link.read_energy_register_wh()
    assert e0 >= started.meter_start_wh

    # the register grows while the load draws: a periodic TransactionEvent Updated shows it
    with link.csms.expect(
        "CP201",
        lambda e: (
            isinstance(e, MeterReading)
            and e.context == "Sample.Periodic"
            and e.trigger_reason == "MeterValuePeriodic"
            and e.value_wh is not None
            and e.value_wh > e0
        ),
    ) as grown:
        await grown.wait(5, "a larger periodic register sample")
    updates = [e for e in bench.events if isinstance(e, TransactionUpdated)]
    assert updates and updates[0].seq_no == 1 and updates[0].transaction_id == tx

    rig.circuit.set_load(0.0)  # freeze the energy so that register and truth can be compared
    register = await link.read_energy_register_wh()
    true_dut = rig.dut.energy_wh()
    assert register > e0
    assert 0.0 <= true_dut - register < 1.0 + 1e-6  # display resolution 0.001 kWh, truncated

    clock = await link.read_clock()
    assert clock.offset_s == pytest.approx(CLOCK_OFFSET_S, abs=0.5)

    # configuration through the 1.6-shaped link API and SetVariables/GetVariables directly
    assert await link.change_configuration("MeterValueSampleInterval", "5") == "Accepted"
    snap = await link.get_configuration(["MeterValueSampleInterval", "SampledDataCtrlr.TxEndedMeasurands", "Nope"])
    assert snap.values == {"MeterValueSampleInterval": "5", "SampledDataCtrlr.TxEndedMeasurands": REGISTER}
    assert snap.unknown == ("Nope",)
    session = link.csms.connected("CP201")
    assert isinstance(session, ChargePointSession201)
    results = await session.set_variables(
        {
            "SampledDataCtrlr.TxUpdatedMeasurands": [REGISTER, "Power.Active.Import"],
            "DeviceDataCtrlr.ItemsPerMessage": 9,  # read-only
            "SampledDataCtrlr.NoSuchVariable": 1,
            "NoSuchCtrlr.X": 1,
            "OCPPCommCtrlr.HeartbeatInterval": -5,  # invalid
        }
    )
    assert [r.status for r in results] == ["Accepted", "Rejected", "UnknownVariable", "UnknownComponent", "Rejected"]
    got = await session.get_variables(["SampledDataCtrlr.TxUpdatedMeasurands", "AuthCtrlr.AuthorizeRemoteStart"])
    assert [(r.status, r.value) for r in got] == [
        ("Accepted", f"{REGISTER},Power.Active.Import"),
        ("Accepted", "true"),
    ]
    with pytest.raises(DeviceRefused, match="Rejected"):
        await link.change_configuration("DeviceDataCtrlr.ItemsPerMessage", "2")
    with pytest.raises(DeviceRefused, match="NotSupported"):
        await link.change_configuration("SampledDataCtrlr.NoSuchVariable", "1")

    # TriggerMessage(TransactionEvent): an Updated with triggerReason Trigger
    with link.csms.expect(
        "CP201", lambda e: isinstance(e, TransactionUpdated) and e.trigger_reason == "Trigger"
    ) as trig:
        await session.trigger_message("TransactionEvent", 1)
        await trig.wait(3, "triggered TransactionEvent")

    with link.csms.expect("CP201", lambda e: isinstance(e, TransactionStopped)) as stopped_exp:
        await link.stop_charging()
        stopped = await stopped_exp.wait(3, "Ended")
    assert not rig.circuit.contactor_closed and link.transaction_id is None
    assert isinstance(stopped, TransactionStopped)
    assert stopped.transaction_id == tx and stopped.reason == "Remote" and stopped.trigger_reason == "RemoteStop"
    assert stopped.meter_stop_wh == register
    assert link.csms.open_transactions("CP201") == []
    await link.stop_charging()  # idempotent
    # a stopped transaction cannot be triggered
    with pytest.raises(DeviceRefused, match="Rejected"):
        await session.trigger_message("TransactionEvent", 1)


async def test_drop_then_reconnect_201(bench: Bench) -> None:
    link, twin = bench.link, bench.twin
    await link.wait_connected(5)
    bench.rig.circuit.set_load(16.0)
    tx = await link.start_charging()
    before = 0.0
    for _ in range(200):  # some energy on the register first (a loaded machine may take a while)
        before = await link.read_energy_register_wh()
        if before > 0:
            break
        await asyncio.sleep(0.02)
    assert before > 0

    twin.faults.reconnect = False
    with link.csms.expect("CP201", lambda e: False) as lost:
        twin.drop_connection()
        with pytest.raises(Disconnected):
            await lost.wait(5, "the drop")
    with pytest.raises(Disconnected, match=r"充电桩 CP201.*1006"):
        await link.read_energy_register_wh()
    assert any(isinstance(e, ChargerDisconnected) and e.code == 1006 for e in bench.events)

    twin.reconnect_now()
    info = await link.wait_connected(5)  # reconnect without reboot: identity remembered
    await twin.wait_online(5)
    assert info.protocol == "ocpp2.0.1" and twin.boot_count == 1 and twin.connection_count == 2
    assert await link.read_energy_register_wh() >= before  # works again, same transaction still open
    assert link.transaction_id == tx and twin.transaction is not None
    await link.stop_charging()
    assert not bench.rig.circuit.contactor_closed and twin.transaction is None


async def test_malformed_frame_and_refused_start_201(bench: Bench) -> None:
    link, twin = bench.link, bench.twin
    await link.wait_connected(5)
    await twin.wait_online(5)
    reply = await twin.send_malformed()
    assert reply is not None and reply[:3] == [4, "-1", "RpcFrameworkError"]
    reply = await twin.send_malformed('[2,"m2","NoSuchAction",{}]')
    assert reply is not None and reply[:3] == [4, "m2", "NotImplemented"]
    assert await link.read_energy_register_wh() >= 0  # the session goes on
    twin.faults.reject_remote_start = True
    with pytest.raises(DeviceRefused, match="RequestStartTransaction Rejected"):
        await link.start_charging()
    assert not bench.rig.circuit.contactor_closed


async def test_register_in_wh_with_multiplier_and_default_form() -> None:
    b = await make_bench(register_unit="Wh", energy_multiplier=3, bare_default_value=True)
    try:
        await b.link.wait_connected(5)
        b.rig.circuit.set_load(10.0)
        await b.link.start_charging()
        b.rig.circuit.set_load(0.0)
        register = await b.link.read_energy_register_wh()
        assert register == int(register) and 0 <= b.rig.dut.energy_wh() - register < 1.0
        triggered = [e for e in b.events if isinstance(e, MeterReading) and e.context == "Trigger"]
        explicit = [e for e in triggered if e.measurand == REGISTER and e.multiplier == 3]
        # value × 10^3 Wh: the wire carries the register in kWh-sized numbers, exactly rescaled
        assert any(e.unit == "Wh" and e.value_wh == register and float(e.raw_value) * 1000 == pytest.approx(register)
                   for e in explicit)
        bare = [e for e in b.events if isinstance(e, MeterReading) and e.context == "Sample.Periodic" and e.multiplier == 0]
        assert any(e.measurand == REGISTER and e.unit == "Wh" for e in bare)  # {"value": n} by the defaults
        await b.link.stop_charging()
    finally:
        await b.close()


class RecordingSigner:
    """A stand-in for the OCMF signer: records what it is given, returns a recognisable signed form."""

    def __init__(self, form: str) -> None:
        self.form = form
        self.readings: list[dict[str, Any]] = []

    def __call__(self, reading: dict[str, Any]) -> dict[str, Any] | str:
        self.readings.append(reading)
        data = f"OCMF|{reading['context']}|{reading['wh']}"
        if self.form == "dict":
            return {"signedMeterData": data, "signingMethod": "TEST", "encodingMethod": "OCMF", "publicKey": "KEY"}
        return data


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_signed_meter_values_reach_the_csms(version: str) -> None:
    signer = RecordingSigner("dict" if version == "2.0.1" else "str")
    b = await make_bench(ocpp_version=version, meter_value_signer=signer)
    try:
        await b.link.wait_connected(5)
        b.rig.circuit.set_load(16.0)
        with b.link.csms.expect(
            "CP201", lambda e: isinstance(e, MeterReading) and e.context == "Transaction.Begin"
        ) as begun:  # 1.6 sends it in a MeterValues after StartTransaction
            tx = await b.link.start_charging()
            await begun.wait(3, "Transaction.Begin sample")
        await b.link.read_energy_register_wh()
        with b.link.csms.expect("CP201", lambda e: isinstance(e, TransactionStopped)) as done:
            await b.link.stop_charging()
            await done.wait(3, "stop")
    finally:
        await b.close()
    signed = [e for e in b.events if isinstance(e, MeterReading) and e.signed_data is not None]
    contexts = [e.context for e in signed]
    assert contexts[0] == "Transaction.Begin" and contexts[-1] == "Transaction.End" and "Trigger" in contexts
    assert [r["context"] for r in signer.readings] == contexts  # one signed value per signed reading
    for reading, event in zip(signer.readings, signed, strict=True):
        assert reading["measurand"] == REGISTER and reading["ocpp_version"] == version
        assert isinstance(reading["wh"], int) and reading["meter_serial"] == "MTR0001"
        assert reading["time"].tzinfo is not None
        if version == "2.0.1":
            assert event.signed_data == {
                "signedMeterData": f"OCMF|{event.context}|{reading['wh']}",
                "signingMethod": "TEST",
                "encodingMethod": "OCMF",
                "publicKey": "KEY",
            }
            assert event.value_wh == reading["wh"]  # the signed sample is also a plain number
        else:
            assert event.format == "SignedData" and event.value is None
            assert event.signed_data == event.raw_value == f"OCMF|{event.context}|{reading['wh']}"
    end = signer.readings[-1]
    assert end["transaction_id"] == str(tx) and end["id_tag"] == "JIANDING"
    # periodic samples are not signed
    assert not any(e.context == "Sample.Periodic" for e in signed)


async def test_signer_returning_the_other_form_is_adapted() -> None:
    """A 1.6 post given a dict signer sends it as JSON (the OCA application-note form)."""
    b = await make_bench(ocpp_version="1.6", meter_value_signer=RecordingSigner("dict"))
    try:
        await b.link.wait_connected(5)
        await b.link.read_energy_register_wh()
    finally:
        await b.close()
    signed = next(e for e in b.events if isinstance(e, MeterReading) and e.signed_data is not None)
    assert isinstance(signed.signed_data, str) and json.loads(signed.signed_data)["encodingMethod"] == "OCMF"


async def test_listen_shows_a_201_post() -> None:
    rig = Rig(speed=100.0)
    out = io.StringIO()
    twins: list[AcPostTwin] = []
    tasks: list[asyncio.Task[None]] = []

    def start_twin(port: int) -> None:
        twin = AcPostTwin(rig, f"ws://127.0.0.1:{port}", charge_point_id="CP2X", ocpp_version="2.0.1")
        twins.append(twin)
        tasks.append(asyncio.get_running_loop().create_task(twin.run()))

    try:
        await listen("127.0.0.1", 0, out=out, duration_s=1.0, on_listening=start_twin)
    finally:
        for twin in twins:
            await twin.stop()
        await asyncio.gather(*tasks)
    text = out.getvalue()
    assert "OCPP 2.0.1 / 1.6" in text
    assert "协议 (protocol) ocpp2.0.1" in text and "状态 (status) Available" in text
    assert "电能示值 (energy register)" in text and "Trigger" in text
