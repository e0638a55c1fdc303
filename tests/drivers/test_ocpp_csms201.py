"""Csms with OCPP 2.0.1 over a real WebSocket on 127.0.0.1: a raw ``websockets`` client speaks
ocpp2.0.1 (or ocpp1.6) frames.

No mocks: what is asserted is what goes over the wire (OCPP 2.0.1 Part 4 §4 frames, Part 2
messages) and the events the CSMS emits — the same event classes as for OCPP 1.6.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from drivers.errors import DeviceRefused
from drivers.ocpp.csms import (
    CallErrorSent,
    ChargePointSession,
    ChargePointSession201,
    ChargerConnected,
    ChargerRejected,
    Csms,
    Csms16,
    CsmsEvent,
    MeterReading,
    StatusChanged,
    TransactionStarted,
    TransactionStopped,
    TransactionUpdated,
    VariableRef,
)
from drivers.ocpp.csms201 import parse_sampled_value_201

pytestmark = pytest.mark.timeout(20)

BOOT_201 = {
    "chargingStation": {
        "model": "AC7-201",
        "vendorName": "ACME",
        "serialNumber": "SN201",
        "firmwareVersion": "2.0.1-fw",
    },
    "reason": "PowerUp",
}
TS = "2025-03-01T08:00:00.000Z"


@pytest.fixture
async def csms() -> AsyncIterator[tuple[Csms, list[CsmsEvent]]]:
    events: list[CsmsEvent] = []
    server = Csms("127.0.0.1", 0, on_event=events.append, call_timeout_s=2.0)
    await server.start()
    try:
        yield server, events
    finally:
        await server.stop()


def url(server: Csms16, cp_id: str) -> str:
    return f"ws://127.0.0.1:{server.port}/{cp_id}"


async def rpc(ws: ClientConnection, frame: Any) -> list[Any]:
    """Send one frame (raw text or a JSON-able list) and return the decoded reply."""
    await ws.send(frame if isinstance(frame, str) else json.dumps(frame))
    return json.loads(await asyncio.wait_for(ws.recv(), timeout=5))


async def answer_next(ws: ClientConnection, reply_for: Callable[[list[Any]], Any]) -> list[Any]:
    """Read the CSMS's next CALL, answer it with ``reply_for(frame)``, return the CALL."""
    frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
    await ws.send(json.dumps(reply_for(frame)))
    return frame


def tx_event(event_type: str, seq: int, trigger: str, tx: str = "TX-1", **extra: Any) -> dict[str, Any]:
    return {
        "eventType": event_type,
        "timestamp": TS,
        "triggerReason": trigger,
        "seqNo": seq,
        "transactionInfo": {"transactionId": tx, **extra.pop("info", {})},
        **extra,
    }


# --------------------------------------------------------------------------------------------
# Subprotocol selection
# --------------------------------------------------------------------------------------------


async def test_subprotocol_selects_the_session_version(csms: tuple[Csms, list[CsmsEvent]]) -> None:
    server, events = csms
    assert server.subprotocols == ("ocpp2.0.1", "ocpp1.6")
    async with connect(url(server, "CP16"), subprotocols=["ocpp1.6"]) as ws:  # type: ignore[list-item]
        assert ws.subprotocol == "ocpp1.6"
        session = await server.wait_for("CP16", 2)
        assert type(session) is ChargePointSession and session.ocpp_version == "1.6"
        # a 1.6 BootNotification is understood, a 2.0.1 one is not (wrong schema for 1.6)
        reply = await rpc(ws, [2, "b16", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}])
        assert reply[0] == 3 and reply[2]["status"] == "Accepted"
        reply = await rpc(ws, [2, "b201", "BootNotification", BOOT_201])
        assert reply[0] == 4
    async with connect(url(server, "CP201"), subprotocols=["ocpp2.0.1"]) as ws:  # type: ignore[list-item]
        assert ws.subprotocol == "ocpp2.0.1"
        session = await server.wait_for("CP201", 2)
        assert type(session) is ChargePointSession201 and session.ocpp_version == "2.0.1"
        reply = await rpc(ws, [2, "b", "BootNotification", BOOT_201])
        assert reply[0] == 3 and reply[2]["status"] == "Accepted"
    # a client offering both gets the server's preference, 2.0.1
    async with connect(url(server, "CPBOTH"), subprotocols=["ocpp1.6", "ocpp2.0.1"]) as ws:  # type: ignore[list-item]
        assert ws.subprotocol == "ocpp2.0.1"
    # neither: refused with 400 and an event naming what was expected
    with pytest.raises(InvalidStatus) as exc:
        async with connect(url(server, "CPX"), subprotocols=["ocpp2.1"]):  # type: ignore[list-item]
            pass
    assert exc.value.response.status_code == 400
    rejected = [e for e in events if isinstance(e, ChargerRejected)]
    assert rejected and rejected[-1].cp_id == "CPX" and "ocpp2.0.1 / ocpp1.6" in rejected[-1].reason
    assert rejected[-1].status == 400


async def test_versions_can_be_restricted() -> None:
    events: list[CsmsEvent] = []
    server = Csms("127.0.0.1", 0, on_event=events.append, versions=["1.6"])
    await server.start()
    try:
        assert server.subprotocols == ("ocpp1.6",)
        with pytest.raises(InvalidStatus):
            async with connect(url(server, "CP201"), subprotocols=["ocpp2.0.1"]):  # type: ignore[list-item]
                pass
        async with connect(url(server, "CP16"), subprotocols=["ocpp2.0.1", "ocpp1.6"]) as ws:  # type: ignore[list-item]
            assert ws.subprotocol == "ocpp1.6"
    finally:
        await server.stop()
    with pytest.raises(ValueError, match=r"ocpp2\.0\.1"):
        Csms16(versions=["2.0.1"])  # the 1.6-only server does not know 2.0.1


# --------------------------------------------------------------------------------------------
# Requests from the station
# --------------------------------------------------------------------------------------------


async def test_boot_status_heartbeat_notify(csms: tuple[Csms, list[CsmsEvent]]) -> None:
    server, events = csms
    async with connect(url(server, "CP201"), subprotocols=["ocpp2.0.1"]) as ws:  # type: ignore[list-item]
        with server.expect("CP201", lambda e: isinstance(e, ChargerConnected)) as exp:
            reply = await rpc(ws, [2, "b1", "BootNotification", BOOT_201])
            event = await exp.wait(2, "boot")
        assert reply[:2] == [3, "b1"] and reply[2]["interval"] == server.heartbeat_interval_s
        assert isinstance(event, ChargerConnected)
        info = event.info
        assert (info.vendor, info.model, info.serial, info.firmware) == ("ACME", "AC7-201", "SN201", "2.0.1-fw")
        assert info.protocol == "ocpp2.0.1" and server.info("CP201") == info
        reply = await rpc(ws, [2, "h", "Heartbeat", {}])
        assert reply[0] == 3 and reply[2]["currentTime"].endswith("Z")
        status = {"timestamp": TS, "connectorStatus": "Occupied", "evseId": 1, "connectorId": 1}
        assert (await rpc(ws, [2, "s", "StatusNotification", status])) == [3, "s", {}]
        notify = {
            "generatedAt": TS,
            "seqNo": 0,
            "eventData": [
                {
                    "eventId": 1,
                    "timestamp": TS,
                    "trigger": "Delta",
                    "actualValue": "Faulted",
                    "eventNotificationType": "HardWiredNotification",
                    "component": {"name": "Connector"},
                    "variable": {"name": "AvailabilityState"},
                }
            ],
        }
        assert (await rpc(ws, [2, "n", "NotifyEvent", notify])) == [3, "n", {}]
        auth = await rpc(ws, [2, "a", "Authorize", {"idToken": {"idToken": "JIANDING", "type": "Central"}}])
        assert auth[2] == {"idTokenInfo": {"status": "Accepted"}}
    changed = next(e for e in events if isinstance(e, StatusChanged))
    assert (changed.connector_id, changed.evse_connector_id, changed.status) == (1, 1, "Occupied")
    assert changed.timestamp == datetime(2025, 3, 1, 8, tzinfo=UTC)
    assert server.status("CP201", 1) == "Occupied"


async def test_transaction_event_parsing(csms: tuple[Csms, list[CsmsEvent]]) -> None:
    server, events = csms
    signed = {
        "signedMeterData": "T0NNRnx7fXx7fQ==",
        "signingMethod": "ECDSA-secp256r1-SHA256",
        "encodingMethod": "OCMF",
        "publicKey": "b2NhOmJhc2UxNjphc24xOjMwNTk=",
    }
    async with connect(url(server, "CPTX"), subprotocols=["ocpp2.0.1"]) as ws:  # type: ignore[list-item]
        await rpc(ws, [2, "b", "BootNotification", BOOT_201])
        started = tx_event(
            "Started",
            0,
            "RemoteStart",
            info={"chargingState": "Charging", "remoteStartId": 7},
            evse={"id": 1, "connectorId": 1},
            idToken={"idToken": "JIANDING", "type": "Central"},
            meterValue=[
                {
                    "timestamp": TS,
                    "sampledValue": [
                        {
                            "value": 12.345,
                            "context": "Transaction.Begin",
                            "measurand": "Energy.Active.Import.Register",
                            "unitOfMeasure": {"unit": "kWh"},
                            "signedMeterValue": signed,
                        }
                    ],
                }
            ],
        )
        reply = await rpc(ws, [2, "t0", "TransactionEvent", started])
        assert reply == [3, "t0", {"idTokenInfo": {"status": "Accepted"}}]
        assert [t.transaction_id for t in server.open_transactions("CPTX")] == ["TX-1"]
        updated = tx_event(
            "Updated",
            1,
            "MeterValuePeriodic",
            info={"chargingState": "Charging"},
            meterValue=[
                {
                    "timestamp": "2025-03-01T08:01:00Z",
                    "sampledValue": [
                        {"value": 1234},  # all defaults: Energy.Active.Import.Register, Wh, Sample.Periodic
                        {"value": 12.5, "unitOfMeasure": {"multiplier": 3}},  # Wh × 10^3
                        {"value": 12500, "unitOfMeasure": {"unit": "kWh", "multiplier": -3}},  # 12.5 kWh
                        {"value": 7.04, "measurand": "Power.Active.Import", "unitOfMeasure": {"unit": "kW"}},
                        {"value": 32, "measurand": "Current.Import", "phase": "L1", "unitOfMeasure": {"unit": "A"}},
                    ],
                }
            ],
        )
        assert (await rpc(ws, [2, "t1", "TransactionEvent", updated])) == [3, "t1", {}]
        ended = tx_event(
            "Ended",
            2,
            "RemoteStop",
            info={"chargingState": "EVConnected"},  # stoppedReason omitted → Local
            meterValue=[
                {
                    "timestamp": "2025-03-01T08:05:00Z",
                    "sampledValue": [
                        {"value": 1.0, "context": "Sample.Periodic"},
                        {"value": 12600, "context": "Transaction.End"},
                    ],
                }
            ],
        )
        assert (await rpc(ws, [2, "t2", "TransactionEvent", ended])) == [3, "t2", {}]
    start = next(e for e in events if isinstance(e, TransactionStarted))
    assert start.transaction_id == "TX-1" and isinstance(start.transaction_id, str)
    assert (start.connector_id, start.evse_connector_id, start.id_tag) == (1, 1, "JIANDING")
    assert start.meter_start_wh == 12345.0 and start.remote_start_id == 7 and start.authorized
    readings = [e for e in events if isinstance(e, MeterReading)]
    begin = readings[0]
    assert begin.value == 12.345 and begin.unit == "kWh" and begin.value_wh == 12345.0
    assert begin.signed_data == signed and begin.format == "Raw" and begin.trigger_reason == "RemoteStart"
    bare, mult, neg, power, current = readings[1:6]
    assert (bare.measurand, bare.unit, bare.context, bare.location) == (
        "Energy.Active.Import.Register",
        "Wh",
        "Sample.Periodic",
        "Outlet",
    )
    assert bare.value_wh == 1234.0 and bare.multiplier == 0 and bare.signed_data is None
    assert bare.transaction_id == "TX-1" and bare.connector_id == 1  # EVSE from the open transaction
    assert mult.value == 12500.0 and mult.value_wh == 12500.0 and mult.multiplier == 3 and mult.raw_value == "12.5"
    assert neg.value == 12.5 and neg.unit == "kWh" and neg.value_wh == 12500.0 and neg.multiplier == -3
    assert power.value_w == pytest.approx(7040.0) and power.value_wh is None
    assert current.value == 32.0 and current.phase == "L1"
    update = next(e for e in events if isinstance(e, TransactionUpdated))
    assert (update.trigger_reason, update.seq_no, update.charging_state) == ("MeterValuePeriodic", 1, "Charging")
    stop = next(e for e in events if isinstance(e, TransactionStopped))
    assert stop.transaction_id == "TX-1" and stop.meter_stop_wh == 12600.0  # the Transaction.End sample
    assert stop.reason == "Local" and stop.trigger_reason == "RemoteStop"
    assert server.open_transactions("CPTX") == []
    # events in order: Started before its readings, Ended after them
    kinds = [type(e).__name__ for e in events if isinstance(e, TransactionStarted | MeterReading | TransactionStopped)]
    assert kinds[0] == "TransactionStarted" and kinds[-1] == "TransactionStopped"


async def test_transaction_event_with_a_negative_or_non_finite_register_is_refused(
    csms: tuple[Csms, list[CsmsEvent]], caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 13 line 5, 2.0.1's meterStart / meterStop: the Transaction.Begin and Transaction.End
    registers of a TransactionEvent. A negative, NaN or too-large one is a CALLERROR, logged; no
    transaction opens on it, an open one is not ended by it."""
    server, events = csms

    def register(value: Any, context: str) -> list[dict[str, Any]]:
        return [{"timestamp": TS, "sampledValue": [{"value": value, "context": context}]}]

    async with connect(url(server, "CPNEG"), subprotocols=["ocpp2.0.1"]) as ws:  # type: ignore[list-item]
        await rpc(ws, [2, "b", "BootNotification", BOOT_201])
        started = tx_event("Started", 0, "RemoteStart", evse={"id": 1, "connectorId": 1},
                           meterValue=register(-5, "Transaction.Begin"))
        with caplog.at_level("WARNING"):
            reply = await rpc(ws, [2, "s1", "TransactionEvent", started])
        assert reply[:3] == [4, "s1", "PropertyConstraintViolation"] and "negative energy register" in reply[3]
        assert any("CPNEG" in r.getMessage() for r in caplog.records)
        for uid, text in (("s2", "NaN"), ("s3", "-Infinity"), ("s4", "1" + "0" * 400)):
            frame = json.dumps([2, uid, "TransactionEvent", {**started, "meterValue": register(7, "Transaction.Begin")}])
            assert (await rpc(ws, frame.replace('"value": 7', f'"value": {text}')))[:2] == [4, uid], text
        assert server.open_transactions("CPNEG") == []
        ok = {**started, "meterValue": register(1000, "Transaction.Begin")}
        assert (await rpc(ws, [2, "s5", "TransactionEvent", ok]))[0] == 3
        ended = tx_event("Ended", 1, "RemoteStop", meterValue=register(-1, "Transaction.End"))
        assert (await rpc(ws, [2, "e1", "TransactionEvent", ended]))[:3] == [4, "e1", "PropertyConstraintViolation"]
        assert [t.transaction_id for t in server.open_transactions("CPNEG")] == ["TX-1"]  # not ended by it
        assert (await rpc(ws, [2, "e2", "TransactionEvent", {**ended, "meterValue": register(1500, "Transaction.End")}]))[0] == 3
    assert next(e for e in events if isinstance(e, TransactionStopped)).meter_stop_wh == 1500.0
    assert [e.unique_id for e in events if isinstance(e, CallErrorSent)] == ["s1", "s2", "s3", "s4", "e1"]


async def test_refused_token_and_meter_values(csms: tuple[Csms, list[CsmsEvent]]) -> None:
    server, events = csms
    server.accepted_id_tags = frozenset({"JIANDING"})
    async with connect(url(server, "CPMV"), subprotocols=["ocpp2.0.1"]) as ws:  # type: ignore[list-item]
        started = tx_event("Started", 0, "Authorized", tx="TX-9", idToken={"idToken": "STRANGER", "type": "ISO14443"})
        reply = await rpc(ws, [2, "t", "TransactionEvent", started])
        assert reply[2] == {"idTokenInfo": {"status": "Invalid"}}
        assert server.open_transactions("CPMV") == []  # a refused transaction is not kept open
        mv = {
            "evseId": 1,
            "meterValue": [{"timestamp": TS, "sampledValue": [{"value": 0.5, "context": "Trigger", "unitOfMeasure": {"unit": "kWh"}}]}],
        }
        assert (await rpc(ws, [2, "m", "MeterValues", mv])) == [3, "m", {}]
    refused = next(e for e in events if isinstance(e, TransactionStarted))
    assert not refused.authorized and refused.meter_start_wh is None
    reading = next(e for e in events if isinstance(e, MeterReading))
    assert (reading.connector_id, reading.transaction_id, reading.context, reading.value_wh) == (1, None, "Trigger", 500.0)


async def test_malformed_frames_get_callerror_and_session_survives(
    csms: tuple[Csms, list[CsmsEvent]],
) -> None:
    server, events = csms
    async with connect(url(server, "CPBAD"), subprotocols=["ocpp2.0.1"]) as ws:  # type: ignore[list-item]
        # OCPP 2.0.1 Part 4 §4.3: an unreadable frame is an RpcFrameworkError with message id "-1"
        reply = await rpc(ws, '[2,"x1","Heartbeat",{')
        assert reply[:3] == [4, "-1", "RpcFrameworkError"] and isinstance(reply[4], dict)
        assert (await rpc(ws, '{"hello": 1}'))[:3] == [4, "-1", "RpcFrameworkError"]
        assert (await rpc(ws, '[2,"x2"]'))[:3] == [4, "x2", "RpcFrameworkError"]
        assert (await rpc(ws, [7, "x3", "Heartbeat", {}]))[:3] == [4, "x3", "MessageTypeNotSupported"]
        assert (await rpc(ws, [2, "x4", "FooBar", {}]))[:3] == [4, "x4", "NotImplemented"]
        # a 2.0.1 action a CSMS is not sent (it is CSMS → station): known, not supported
        assert (await rpc(ws, [2, "x5", "Reset", {"type": "Immediate"}]))[:3] == [4, "x5", "NotSupported"]
        assert (await rpc(ws, [2, "x6", ["Heartbeat"], {}]))[:3] == [4, "x6", "RpcFrameworkError"]
        assert (await rpc(ws, [2, "x7", "Heartbeat", []]))[:3] == [4, "x7", "FormatViolation"]
        # schema violations with the 2.0.1 names
        reply = await rpc(ws, [2, "x8", "BootNotification", {"reason": "PowerUp"}])
        assert reply[:3] == [4, "x8", "OccurrenceConstraintViolation"]
        reply = await rpc(ws, [2, "x9", "BootNotification", {**BOOT_201, "colour": "red"}])
        assert reply[:3] == [4, "x9", "FormatViolation"]
        bad_seq = tx_event("Started", 0, "RemoteStart")
        bad_seq["seqNo"] = "zero"
        assert (await rpc(ws, [2, "x10", "TransactionEvent", bad_seq]))[:3] == [4, "x10", "TypeConstraintViolation"]
        string_value = {"evseId": 1, "meterValue": [{"timestamp": TS, "sampledValue": [{"value": "12"}]}]}
        assert (await rpc(ws, [2, "x11", "MeterValues", string_value]))[:3] == [4, "x11", "TypeConstraintViolation"]
        # NaN is read by Python's JSON parser and passes the schema; the handler refuses it
        nan = json.dumps([2, "x12", "MeterValues", {"evseId": 1, "meterValue": [
            {"timestamp": TS, "sampledValue": [{"value": float("nan")}]}]}])
        assert "NaN" in nan
        assert (await rpc(ws, nan))[:3] == [4, "x12", "PropertyConstraintViolation"]
        bad_time = {"evseId": 1, "meterValue": [{"timestamp": "yesterday", "sampledValue": [{"value": 1}]}]}
        assert (await rpc(ws, [2, "x13", "MeterValues", bad_time]))[:3] == [4, "x13", "PropertyConstraintViolation"]
        # ... and the same socket still works
        reply = await rpc(ws, [2, "ok1", "Heartbeat", {}])
        assert reply[:2] == [3, "ok1"]
    sent = [e.unique_id for e in events if isinstance(e, CallErrorSent)]
    assert sent == ["-1", "-1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13"]
    assert not any(isinstance(e, MeterReading) for e in events)


def test_parse_sampled_value_defaults_and_multiplier() -> None:
    ts = datetime(2025, 1, 1, tzinfo=UTC)
    bare = parse_sampled_value_201("CP", {"value": 1500}, timestamp=ts, connector_id=1, transaction_id="T")
    assert (bare.measurand, bare.unit, bare.multiplier, bare.context) == (
        "Energy.Active.Import.Register",
        "Wh",
        0,
        "Sample.Periodic",
    )
    assert bare.value_wh == 1500.0 and bare.value_kwh == 1.5
    # exact decimal scaling: 0.1 + 0.2 style float noise must not appear
    kwh = parse_sampled_value_201(
        "CP", {"value": 0.3, "unit_of_measure": {"unit": "kWh", "multiplier": 1}}, timestamp=ts, connector_id=1, transaction_id=None
    )
    assert kwh.value == 3.0 and kwh.value_wh == 3000.0
    with pytest.raises(Exception, match="not a finite number"):
        parse_sampled_value_201("CP", {"value": True}, timestamp=ts, connector_id=1, transaction_id=None)


# --------------------------------------------------------------------------------------------
# Commands to the station
# --------------------------------------------------------------------------------------------


async def test_set_and_get_variables_round_trip(csms: tuple[Csms, list[CsmsEvent]]) -> None:
    server, _ = csms
    async with connect(url(server, "CPVAR"), subprotocols=["ocpp2.0.1"]) as ws:  # type: ignore[list-item]
        session = await server.wait_for("CPVAR", 2)
        assert isinstance(session, ChargePointSession201)

        def set_reply(frame: list[Any]) -> list[Any]:
            results = []
            for item in frame[3]["setVariableData"]:
                known = item["component"]["name"] == "SampledDataCtrlr"
                status = "Accepted" if known else "UnknownComponent"
                results.append({"attributeStatus": status, "component": item["component"], "variable": item["variable"]})
            return [3, frame[1], {"setVariableResult": list(reversed(results))}]  # any order

        task = asyncio.create_task(answer_next(ws, set_reply))
        results = await session.set_variables(
            {
                "SampledDataCtrlr.TxUpdatedInterval": 5,
                VariableRef("SampledDataCtrlr", "TxUpdatedMeasurands"): ["Energy.Active.Import.Register", "Voltage"],
                "SampledDataCtrlr.SignReadings": True,
                "NoSuchCtrlr.Foo": "x",
            }
        )
        frame = await task
        assert frame[2] == "SetVariables"
        data = frame[3]["setVariableData"]
        assert data[0] == {
            "attributeValue": "5",
            "component": {"name": "SampledDataCtrlr"},
            "variable": {"name": "TxUpdatedInterval"},
        }
        assert data[1]["attributeValue"] == "Energy.Active.Import.Register,Voltage"
        assert data[2]["attributeValue"] == "true"
        assert [(str(r.ref), r.status) for r in results] == [
            ("SampledDataCtrlr.TxUpdatedInterval", "Accepted"),
            ("SampledDataCtrlr.TxUpdatedMeasurands", "Accepted"),
            ("SampledDataCtrlr.SignReadings", "Accepted"),
            ("NoSuchCtrlr.Foo", "UnknownComponent"),
        ]

        def get_reply(frame: list[Any]) -> list[Any]:
            results = []
            for item in frame[3]["getVariableData"]:
                if item["variable"]["name"] == "TxUpdatedInterval":
                    results.append({"attributeStatus": "Accepted", "attributeValue": "5", **item})
                else:
                    results.append({"attributeStatus": "UnknownVariable", **item})
            return [3, frame[1], {"getVariableResult": results}]

        task = asyncio.create_task(answer_next(ws, get_reply))
        got = await session.get_variables(["SampledDataCtrlr.TxUpdatedInterval", "SampledDataCtrlr.Nope"])
        frame = await task
        assert frame[3]["getVariableData"][0] == {
            "component": {"name": "SampledDataCtrlr"},
            "variable": {"name": "TxUpdatedInterval"},
        }
        assert [(r.status, r.value) for r in got] == [("Accepted", "5"), ("UnknownVariable", None)]

        # the 1.6-shaped façade maps MeterValueSampleInterval to SampledDataCtrlr.TxUpdatedInterval
        task = asyncio.create_task(answer_next(ws, set_reply))
        assert await session.change_configuration("MeterValueSampleInterval", "2") == "Accepted"
        assert (await task)[3]["setVariableData"][0]["variable"] == {"name": "TxUpdatedInterval"}
        task = asyncio.create_task(answer_next(ws, get_reply))
        snap = await session.get_configuration(["MeterValueSampleInterval", "StopTxnSampledData", "Bogus"])
        await task
        assert snap.values == {"MeterValueSampleInterval": "5"}
        assert set(snap.unknown) == {"StopTxnSampledData", "Bogus"}

        def rejected(frame: list[Any]) -> list[Any]:
            item = frame[3]["setVariableData"][0]
            return [3, frame[1], {"setVariableResult": [{"attributeStatus": "Rejected", **{k: item[k] for k in ("component", "variable")}}]}]

        task = asyncio.create_task(answer_next(ws, rejected))
        with pytest.raises(DeviceRefused, match="Rejected"):
            await session.set_variable("SampledDataCtrlr.TxUpdatedInterval", -1)
        await task
        with pytest.raises(DeviceRefused, match="NotSupported"):
            await session.change_configuration("NoSuchOneSixKey", "1")  # not sent at all


async def test_request_start_stop_and_trigger_on_the_wire(csms: tuple[Csms, list[CsmsEvent]]) -> None:
    server, _ = csms
    async with connect(url(server, "CPCMD"), subprotocols=["ocpp2.0.1"]) as ws:  # type: ignore[list-item]
        session = await server.wait_for("CPCMD", 2)
        assert isinstance(session, ChargePointSession201)
        task = asyncio.create_task(
            answer_next(ws, lambda f: [3, f[1], {"status": "Accepted", "transactionId": "ALREADY-1"}])
        )
        result = await session.request_start_transaction("JIANDING", 1)
        frame = await task
        assert frame[2] == "RequestStartTransaction"
        assert frame[3]["idToken"] == {"idToken": "JIANDING", "type": "Central"} and frame[3]["evseId"] == 1
        assert frame[3]["remoteStartId"] == result.remote_start_id and result.transaction_id == "ALREADY-1"

        task = asyncio.create_task(answer_next(ws, lambda f: [3, f[1], {"status": "Rejected"}]))
        with pytest.raises(DeviceRefused, match="RequestStartTransaction Rejected"):
            await session.remote_start_transaction("JIANDING", 1)
        await task

        task = asyncio.create_task(answer_next(ws, lambda f: [3, f[1], {"status": "Accepted"}]))
        await session.remote_stop_transaction("TX-77")
        frame = await task
        assert frame[2:] == ["RequestStopTransaction", {"transactionId": "TX-77"}]

        task = asyncio.create_task(answer_next(ws, lambda f: [3, f[1], {"status": "Accepted"}]))
        await session.trigger_message("MeterValues", 1)
        assert (await task)[2:] == ["TriggerMessage", {"requestedMessage": "MeterValues", "evse": {"id": 1}}]
        task = asyncio.create_task(answer_next(ws, lambda f: [3, f[1], {"status": "Accepted"}]))
        await session.trigger_message("StatusNotification", 1)
        assert (await task)[3]["evse"] == {"id": 1, "connectorId": 1}
        task = asyncio.create_task(answer_next(ws, lambda f: [3, f[1], {"status": "NotImplemented"}]))
        with pytest.raises(DeviceRefused, match="NotImplemented"):
            await session.trigger_message("LogStatusNotification")
        await task


@pytest.mark.parametrize("sampled", [
    {"value": 1e308, "unit_of_measure": {"multiplier": 9}},  # overflows to inf once scaled
    {"value": -5},  # a negative energy register
    {"value": 5, "unit_of_measure": {"multiplier": "three"}},
    {"value": 5, "unit_of_measure": {"multiplier": 10**6}},
])
def test_non_finite_negative_or_malformed_values_are_refused(sampled: dict[str, Any]) -> None:
    """Issue 13 line 5: such a value never becomes a reading; it is answered as a CALLERROR."""
    from ocpp.exceptions import PropertyConstraintViolationError
    ts = datetime(2025, 1, 1, tzinfo=UTC)
    with pytest.raises(PropertyConstraintViolationError):
        parse_sampled_value_201("CP", sampled, timestamp=ts, connector_id=1, transaction_id="T")
