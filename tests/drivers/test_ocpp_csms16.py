"""Csms16 over a real WebSocket on 127.0.0.1: a raw ``websockets`` client speaks ocpp1.6 frames.

No mocks: what is asserted is what goes over the wire (OCPP-J 1.6 §4.2 frames) and the events the
CSMS emits.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from drivers.errors import DeviceTimeout, Disconnected
from drivers.ocpp.csms16 import (
    CallErrorSent,
    ChargerConnected,
    ChargerDisconnected,
    Csms16,
    CsmsEvent,
    MeterReading,
    ReplyLate,
    TransactionStarted,
    TransactionStopped,
    parse_sampled_value,
)

pytestmark = pytest.mark.timeout(20)

BOOT = {
    "chargePointVendor": "ACME",
    "chargePointModel": "AC7",
    "chargePointSerialNumber": "SN42",
    "firmwareVersion": "1.2.3",
    "meterType": "DDSU666",
    "meterSerialNumber": "M-77",
}


@pytest.fixture
async def csms() -> AsyncIterator[tuple[Csms16, list[CsmsEvent]]]:
    events: list[CsmsEvent] = []
    server = Csms16("127.0.0.1", 0, on_event=events.append, call_timeout_s=2.0)
    await server.start()
    try:
        yield server, events
    finally:
        await server.stop()


async def rpc(ws: ClientConnection, frame: Any) -> list[Any]:
    """Send one frame (raw text or a JSON-able list) and return the decoded reply."""
    await ws.send(frame if isinstance(frame, str) else json.dumps(frame))
    reply = await asyncio.wait_for(ws.recv(), timeout=5)
    return json.loads(reply)


async def test_boot_data_arrives(csms: tuple[Csms16, list[CsmsEvent]]) -> None:
    server, events = csms
    async with connect(f"ws://127.0.0.1:{server.port}/CP042", subprotocols=["ocpp1.6"]) as ws:
        session = await server.wait_for("CP042", 2)
        with server.expect("CP042", lambda e: isinstance(e, ChargerConnected)) as exp:
            reply = await rpc(ws, [2, "b1", "BootNotification", BOOT])
            event = await exp.wait(2, "boot")
        assert reply[0] == 3 and reply[1] == "b1"
        assert reply[2]["status"] == "Accepted" and reply[2]["interval"] == server.heartbeat_interval_s
        assert isinstance(event, ChargerConnected)
        info = event.info
        assert (info.charger_id, info.vendor, info.model, info.serial) == ("CP042", "ACME", "AC7", "SN42")
        assert (info.firmware, info.meter_type, info.meter_serial) == ("1.2.3", "DDSU666", "M-77")
        assert session.info == info
    # the close reaches the CSMS as an event, and the session is gone
    with server.expect("CP042", lambda e: False) as gone:
        if server.connected("CP042") is not None:
            with pytest.raises(Disconnected):
                await gone.wait(2, "close")
    assert server.connected("CP042") is None
    assert any(isinstance(e, ChargerDisconnected) for e in events)


async def test_malformed_frames_get_callerror_and_session_survives(
    csms: tuple[Csms16, list[CsmsEvent]],
) -> None:
    server, events = csms
    async with connect(f"ws://127.0.0.1:{server.port}/CPBAD", subprotocols=["ocpp1.6"]) as ws:
        # invalid JSON: the message id cannot be read → "-1"
        reply = await rpc(ws, '[2,"x1","Heartbeat",{')
        assert reply[:3] == [4, "-1", "FormationViolation"] and isinstance(reply[4], dict)
        # valid JSON, not an array
        reply = await rpc(ws, '{"hello": 1}')
        assert reply[:3] == [4, "-1", "ProtocolError"]
        # array too short: id readable
        reply = await rpc(ws, '[2,"x2"]')
        assert reply[:3] == [4, "x2", "ProtocolError"]
        # action not known at all (OCPP-J 1.6 §4.2.3: NotImplemented)
        reply = await rpc(ws, [2, "x3", "FooBar", {}])
        assert reply[:3] == [4, "x3", "NotImplemented"]
        # an OCPP 1.6 action this CSMS does not take from a charger (NotSupported)
        reply = await rpc(ws, [2, "x4", "Reset", {"type": "Soft"}])
        assert reply[:3] == [4, "x4", "NotSupported"]
        # a non-string action used to crash the library's receive loop
        reply = await rpc(ws, [2, "x5", ["BootNotification"], {}])
        assert reply[:3] == [4, "x5", "FormationViolation"]
        # schema-invalid BootNotification: required field missing, extra field, too long
        reply = await rpc(ws, [2, "x6", "BootNotification", {"chargePointVendor": "ACME"}])
        assert reply[:3] == [4, "x6", "ProtocolError"]
        reply = await rpc(ws, [2, "x7", "BootNotification", {**BOOT, "colour": "red"}])
        assert reply[:3] == [4, "x7", "FormationViolation"]
        reply = await rpc(ws, [2, "x8", "BootNotification", {**BOOT, "chargePointVendor": "V" * 21}])
        assert reply[:3] == [4, "x8", "TypeConstraintViolation"]
        # a meter value that is not a number (Raw format)
        bad_mv = {
            "connectorId": 1,
            "meterValue": [{"timestamp": "2025-01-01T00:00:00Z", "sampledValue": [{"value": "twelve"}]}],
        }
        reply = await rpc(ws, [2, "x9", "MeterValues", bad_mv])
        assert reply[:3] == [4, "x9", "PropertyConstraintViolation"]
        # non-finite values and a negative energy register are refused too (issue 13 line 5)
        for uid, value in (("x10", "nan"), ("x11", "inf"), ("x12", "-5")):
            mv = {**bad_mv, "meterValue": [{**bad_mv["meterValue"][0], "sampledValue": [{"value": value}]}]}
            reply = await rpc(ws, [2, uid, "MeterValues", mv])
            assert reply[:3] == [4, uid, "PropertyConstraintViolation"], value
        # ... and the same socket still works
        reply = await rpc(ws, [2, "ok1", "Heartbeat", {}])
        assert reply[0] == 3 and reply[1] == "ok1" and "currentTime" in reply[2]
    sent = [e for e in events if isinstance(e, CallErrorSent)]
    assert [e.unique_id for e in sent] == ["-1", "-1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12"]


async def test_meter_values_defaults_and_units(csms: tuple[Csms16, list[CsmsEvent]]) -> None:
    server, events = csms
    async with connect(f"ws://127.0.0.1:{server.port}/CPMV", subprotocols=["ocpp1.6"]) as ws:
        await rpc(ws, [2, "b", "BootNotification", BOOT])
        payload = {
            "connectorId": 1,
            "meterValue": [
                {
                    "timestamp": "2025-03-01T08:00:00.500Z",
                    "sampledValue": [
                        {"value": "1234"},
                        {
                            "value": "12.345",
                            "unit": "kWh",
                            "measurand": "Energy.Active.Import.Register",
                            "context": "Trigger",
                            "location": "Outlet",
                            "format": "Raw",
                        },
                        {"value": "7.04", "unit": "kW", "measurand": "Power.Active.Import"},
                        {"value": "32.0", "unit": "A", "measurand": "Current.Import", "phase": "L1"},
                    ],
                }
            ],
        }
        reply = await rpc(ws, [2, "m1", "MeterValues", payload])
        assert reply == [3, "m1", {}]
    readings = [e for e in events if isinstance(e, MeterReading)]
    assert len(readings) == 4
    bare, kwh, power, current = readings
    assert bare.measurand == "Energy.Active.Import.Register" and bare.unit == "Wh"
    assert bare.context == "Sample.Periodic" and bare.format == "Raw" and bare.location == "Outlet"
    assert bare.value == 1234.0 and bare.value_wh == 1234.0 and bare.value_kwh == pytest.approx(1.234)
    assert bare.timestamp.isoformat() == "2025-03-01T08:00:00.500000+00:00"
    assert kwh.value_wh == pytest.approx(12345.0) and kwh.value_kwh == pytest.approx(12.345)
    assert kwh.context == "Trigger"
    assert power.value_w == pytest.approx(7040.0) and power.value_wh is None
    assert current.value == 32.0 and current.phase == "L1" and current.value_wh is None


async def test_transaction_start_stop_events(csms: tuple[Csms16, list[CsmsEvent]]) -> None:
    server, events = csms
    async with connect(f"ws://127.0.0.1:{server.port}/CPTX", subprotocols=["ocpp1.6"]) as ws:
        await rpc(ws, [2, "b", "BootNotification", BOOT])
        reply = await rpc(ws, [2, "a", "Authorize", {"idTag": "JIANDING"}])
        assert reply[2]["idTagInfo"]["status"] == "Accepted"
        start = {
            "connectorId": 1,
            "idTag": "JIANDING",
            "meterStart": 1000,
            "timestamp": "2025-03-01T08:00:00Z",
        }
        reply = await rpc(ws, [2, "s", "StartTransaction", start])
        tx_id = reply[2]["transactionId"]
        assert isinstance(tx_id, int) and reply[2]["idTagInfo"]["status"] == "Accepted"
        assert [t.transaction_id for t in server.open_transactions("CPTX")] == [tx_id]
        stop = {
            "meterStop": 1500,
            "timestamp": "2025-03-01T08:05:00Z",
            "transactionId": tx_id,
            "reason": "Remote",
            "transactionData": [
                {
                    "timestamp": "2025-03-01T08:05:00Z",
                    "sampledValue": [{"value": "1.500", "unit": "kWh", "context": "Transaction.End"}],
                }
            ],
        }
        reply = await rpc(ws, [2, "t", "StopTransaction", stop])
        assert reply[0] == 3
        reply = await rpc(ws, [2, "d", "DataTransfer", {"vendorId": "com.example"}])
        assert reply[2] == {"status": "UnknownVendorId"}
    started = next(e for e in events if isinstance(e, TransactionStarted))
    stopped = next(e for e in events if isinstance(e, TransactionStopped))
    end = next(e for e in events if isinstance(e, MeterReading))
    assert started.meter_start_wh == 1000 and started.connector_id == 1
    assert stopped.transaction_id == tx_id and stopped.meter_stop_wh == 1500 and stopped.reason == "Remote"
    assert end.transaction_id == tx_id and end.value_wh == pytest.approx(1500) and end.connector_id == 1
    assert server.open_transactions("CPTX") == []


async def test_negative_or_non_finite_meter_start_and_stop_are_refused_and_logged(
    csms: tuple[Csms16, list[CsmsEvent]], caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 13 line 5: a StartTransaction ``meterStart`` or StopTransaction ``meterStop`` that is
    negative, NaN, infinite or too large for a number is answered with a CALLERROR and logged; no
    transaction opens or closes on it, and the post's good frames afterwards are taken."""
    server, events = csms
    start = {"connectorId": 1, "idTag": "JIANDING", "meterStart": 1000, "timestamp": "2025-03-01T08:00:00Z"}
    async with connect(f"ws://127.0.0.1:{server.port}/CPNEG", subprotocols=["ocpp1.6"]) as ws:
        await rpc(ws, [2, "b", "BootNotification", BOOT])
        with caplog.at_level("WARNING", logger="drivers.ocpp.csms16"):
            reply = await rpc(ws, [2, "s1", "StartTransaction", {**start, "meterStart": -1}])
        assert reply[:3] == [4, "s1", "PropertyConstraintViolation"]
        assert "StartTransaction meterStart value -1 is a negative energy register" in reply[3]
        assert any("CPNEG" in r.getMessage() and "-1" in r.getMessage() for r in caplog.records)
        for uid, text in (("s2", "NaN"), ("s3", "Infinity"), ("s4", "1" + "0" * 400)):  # as raw JSON
            frame = json.dumps([2, uid, "StartTransaction", start]).replace('"meterStart": 1000', f'"meterStart": {text}')
            assert text in frame
            assert (await rpc(ws, frame))[:2] == [4, uid], text
        assert server.open_transactions("CPNEG") == []
        assert not any(isinstance(e, TransactionStarted) for e in events)

        tx_id = (await rpc(ws, [2, "s5", "StartTransaction", start]))[2]["transactionId"]
        stop = {"meterStop": -2500, "timestamp": "2025-03-01T08:05:00Z", "transactionId": tx_id}
        reply = await rpc(ws, [2, "t1", "StopTransaction", stop])
        assert reply[:3] == [4, "t1", "PropertyConstraintViolation"] and "meterStop" in reply[3]
        huge = json.dumps([2, "t2", "StopTransaction", stop]).replace('"meterStop": -2500', '"meterStop": -' + "9" * 400)
        assert (await rpc(ws, huge))[:2] == [4, "t2"]
        assert [t.transaction_id for t in server.open_transactions("CPNEG")] == [tx_id]  # still open
        assert not any(isinstance(e, TransactionStopped) for e in events)
        assert (await rpc(ws, [2, "t3", "StopTransaction", {**stop, "meterStop": 1500}]))[0] == 3
    stopped = next(e for e in events if isinstance(e, TransactionStopped))
    assert stopped.meter_stop_wh == 1500 and server.open_transactions("CPNEG") == []
    assert [e.unique_id for e in events if isinstance(e, CallErrorSent)] == ["s1", "s2", "s3", "s4", "t1", "t2"]


async def test_id_tag_allow_list() -> None:
    server = Csms16("127.0.0.1", 0, accepted_id_tags={"JIANDING"})
    await server.start()
    try:
        async with connect(f"ws://127.0.0.1:{server.port}/CPA", subprotocols=["ocpp1.6"]) as ws:
            assert (await rpc(ws, [2, "1", "Authorize", {"idTag": "JIANDING"}]))[2]["idTagInfo"][
                "status"
            ] == ("Accepted")
            assert (await rpc(ws, [2, "2", "Authorize", {"idTag": "STRANGER"}]))[2]["idTagInfo"][
                "status"
            ] == ("Invalid")
    finally:
        await server.stop()


async def test_outgoing_call_errors_become_typed(csms: tuple[Csms16, list[CsmsEvent]]) -> None:
    """A silent charger → DeviceTimeout; a CALLERROR answer → DeviceRefused/ProtocolError; a drop
    while a call is in flight → Disconnected naming the charger, at once (not after the timeout)."""
    from ocpp.v16.enums import MessageTrigger

    from drivers.errors import DeviceRefused, ProtocolError

    server, _ = csms
    async with connect(f"ws://127.0.0.1:{server.port}/CPQ", subprotocols=["ocpp1.6"]) as ws:
        session = await server.wait_for("CPQ", 2)
        # silent: the client reads the CALL but never answers
        server.call_timeout_s = 0.3
        with pytest.raises(DeviceTimeout, match="CPQ"):
            await session.trigger_message(MessageTrigger.status_notification, 1)
        server.call_timeout_s = 2.0
        assert json.loads(await ws.recv())[2] == "TriggerMessage"

        async def answer_next(reply_for: Any) -> None:
            frame = json.loads(await ws.recv())
            await ws.send(json.dumps(reply_for(frame[1])))

        task = asyncio.create_task(answer_next(lambda uid: [4, uid, "NotImplemented", "no", {}]))
        with pytest.raises(DeviceRefused, match="CPQ"):
            await session.trigger_message(MessageTrigger.meter_values, 1)
        await task
        task = asyncio.create_task(answer_next(lambda uid: [4, uid, "InternalError", "boom", {}]))
        with pytest.raises(ProtocolError, match="InternalError"):
            await session.trigger_message(MessageTrigger.meter_values, 1)
        await task
        task = asyncio.create_task(answer_next(lambda uid: [3, uid, {"status": "Bogus"}]))
        with pytest.raises(ProtocolError, match="CPQ"):
            await session.trigger_message(MessageTrigger.meter_values, 1)
        await task
        task = asyncio.create_task(answer_next(lambda uid: [3, uid, {"status": "Rejected"}]))
        with pytest.raises(DeviceRefused, match="Rejected"):
            await session.trigger_message(MessageTrigger.meter_values, 1)
        await task

        async def drop_after_request() -> None:
            await ws.recv()
            ws.transport.abort()

        task = asyncio.create_task(drop_after_request())
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        with pytest.raises(Disconnected, match=r"CPQ.*1006"):
            await session.trigger_message(MessageTrigger.meter_values, 1)
        assert loop.time() - t0 < 1.5  # well under the 2 s call timeout
        await task
    with pytest.raises(Disconnected, match="CPQ"):
        await session.trigger_message(MessageTrigger.meter_values, 1)


async def test_silent_late_and_busy_posts_are_told_apart(csms: tuple[Csms16, list[CsmsEvent]]) -> None:
    """Late vs silent (issue 17): a post that sends nothing is "connected but silent"; one that
    sends other frames but not this answer "answers late or dropped the command"; an answer that
    arrives after the deadline is reported as a ``ReplyLate`` with its delay, is not taken as the
    answer to the next command, and the next timeout mentions it."""
    from ocpp.v16.enums import MessageTrigger

    server, events = csms
    server.call_timeout_s = 0.3
    async with connect(f"ws://127.0.0.1:{server.port}/CPL", subprotocols=["ocpp1.6"]) as ws:
        session = await server.wait_for("CPL", 2)
        with pytest.raises(DeviceTimeout, match="connected but silent") as silent:
            await session.trigger_message(MessageTrigger.status_notification, 1)
        assert "无应答" in str(silent.value)
        first = json.loads(await ws.recv())  # the CALL it never answered in time
        await asyncio.sleep(0.2)
        await ws.send(json.dumps([3, first[1], {"status": "Accepted"}]))  # now, 0.5 s after it was sent
        for _ in range(50):
            if session.late_replies:
                break
            await asyncio.sleep(0.02)
        [late] = [e for e in events if isinstance(e, ReplyLate)]
        assert late.action == "TriggerMessage" and late.deadline_s == 0.3 and 0.4 < late.delay_s < 2.0

        async def busy_but_not_answering() -> None:
            await ws.recv()  # the next CALL: not answered, but a heartbeat goes out meanwhile
            await ws.send(json.dumps([2, "hb-1", "Heartbeat", {}]))
            await ws.recv()  # the heartbeat's answer

        task = asyncio.create_task(busy_but_not_answering())
        with pytest.raises(DeviceTimeout, match="answers late or dropped the command") as busy:
            await session.trigger_message(MessageTrigger.meter_values, 1)
        await task
        assert "应答超时" in str(busy.value) and "an earlier answer came late: TriggerMessage after" in str(busy.value)


async def test_handshake_without_subprotocol_is_rejected(csms: tuple[Csms16, list[CsmsEvent]]) -> None:
    server, events = csms
    with pytest.raises(InvalidStatus):
        async with connect(f"ws://127.0.0.1:{server.port}/CPNOSUB"):
            pass
    assert any(getattr(e, "reason", "").startswith("未提供子协议") for e in events)


def test_signed_data_value_is_kept_verbatim() -> None:
    from datetime import UTC, datetime

    reading = parse_sampled_value(
        "CP",
        {"value": '{"signedMeterData": "abc"}', "format": "SignedData"},
        timestamp=datetime(2025, 1, 1, tzinfo=UTC),
        connector_id=1,
        transaction_id=None,
    )
    assert reading.value is None and reading.value_wh is None and reading.raw_value.startswith("{")


async def test_second_connection_replaces_the_first(csms: tuple[Csms16, list[CsmsEvent]]) -> None:
    server, events = csms
    url = f"ws://127.0.0.1:{server.port}/CPDUP"
    async with connect(url, subprotocols=["ocpp1.6"]) as first:
        await rpc(first, [2, "b", "BootNotification", BOOT])
        old = await server.wait_for("CPDUP", 2)
        with server.expect("CPDUP", lambda e: isinstance(e, ChargerConnected) and not e.via_boot) as back:
            async with connect(url, subprotocols=["ocpp1.6"]) as second:
                again = await back.wait(2, "reconnect")  # identity remembered, no reboot needed
                assert isinstance(again, ChargerConnected) and again.info.vendor == "ACME"
                new = server.connected("CPDUP")
                assert new is not None and new is not old
                reply = await rpc(second, [2, "h", "Heartbeat", {}])
                assert reply[0] == 3
                await first.wait_closed()
                assert first.close_code == 1000 and old.closed
    replaced = [e for e in events if isinstance(e, ChargerDisconnected) and e.replaced]
    assert len(replaced) == 1


async def test_wait_for_times_out_with_the_url_to_configure(csms: tuple[Csms16, list[CsmsEvent]]) -> None:
    server, _ = csms
    with pytest.raises(DeviceTimeout, match=rf"CPNONE.*ws://127\.0\.0\.1:{server.port}/CPNONE"):
        await server.wait_for("CPNONE", 0.2)
