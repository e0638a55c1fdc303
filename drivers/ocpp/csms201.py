"""The OCPP 2.0.1 half of the workstation's CSMS: one :class:`ChargePointSession201` per WebSocket
that negotiated the subprotocol ``ocpp2.0.1`` (OCPP 2.0.1 Part 4 §3.1.2).

It answers what a charging station sends (OCPP 2.0.1 Part 2):

* BootNotification (§B01), Heartbeat (§G02), StatusNotification (§G01), Authorize (§C01),
  NotifyEvent (§N07, logged), SecurityEventNotification (§A04, logged), Firmware/LogStatusNotification;
* **TransactionEvent** (§E01–E07) ``Started`` / ``Updated`` / ``Ended``, turned into the *same*
  events as 1.6 — :class:`TransactionStarted`, :class:`TransactionUpdated`, :class:`MeterReading`,
  :class:`TransactionStopped` — with the station's string ``transactionId`` and the EVSE id in
  ``connector_id``;
* MeterValues (§J01) outside transactions, e.g. after TriggerMessage.

Every ``SampledValue`` is read by the 2.0.1 rules (Part 2 §2 SampledValueType, protocols.md §A3):
``value`` is a JSON **number**; ``unitOfMeasure.unit`` defaults to ``Wh`` and
``unitOfMeasure.multiplier`` (default 0) scales it by 10^n; ``measurand`` defaults to
``Energy.Active.Import.Register``, ``context`` to ``Sample.Periodic``, ``location`` to ``Outlet``;
``signedMeterValue`` is kept raw (camelCase keys) in :attr:`MeterReading.signed_data` for the OCMF
verifier. Scaling uses :class:`decimal.Decimal`, so ``12.345 kWh`` is exactly ``12345 Wh``.

Commands (with ``suppress=False`` and a deadline, every failure a :mod:`drivers.errors` type):
RequestStartTransaction (§F01), RequestStopTransaction (§F03), SetVariables (§B05), GetVariables
(§B06) — e.g. ``SampledDataCtrlr.TxUpdatedInterval`` and ``TxUpdatedMeasurands`` — and
TriggerMessage (§F06). The 1.6-shaped methods of :class:`~drivers.ocpp.csms16.SessionCore`
(``remote_start_transaction``, ``change_configuration`` with 1.6 key names mapped to 2.0.1
variables, …) are implemented on top of them, so :class:`~drivers.ocpp.link.OcppChargerLink`
drives either version unchanged.

Malformed frames get CALLERRORs with the 2.0.1 RPC-framework codes (Part 4 §4.3): unreadable or
non-array frames and a missing message id → ``RpcFrameworkError`` (message id ``"-1"``), an unknown
message type → ``MessageTypeNotSupported``, schema violations → ``FormatViolation`` /
``TypeConstraintViolation`` / ``OccurrenceConstraintViolation`` (a required field missing), and
the session goes on.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, ClassVar

from ocpp.exceptions import OCPPError, PropertyConstraintViolationError
from ocpp.exceptions import ProtocolError as OcppProtocolError
from ocpp.routing import on
from ocpp.v201 import ChargePoint as _V201ChargePoint
from ocpp.v201 import call, call_result
from ocpp.v201.enums import (
    Action,
    AuthorizationStatusEnumType,
    DataTransferStatusEnumType,
    IdTokenEnumType,
    RegistrationStatusEnumType,
    RequestStartStopStatusEnumType,
    TriggerMessageStatusEnumType,
)

from drivers.errors import DeviceRefused
from drivers.ocpp.csms16 import (
    DEFAULT_CONTEXT,
    DEFAULT_LOCATION,
    DEFAULT_MEASURAND,
    ChargerConnected,
    ConfigurationSnapshot,
    MeterReading,
    SessionCore,
    StatusChanged,
    TransactionStarted,
    TransactionStopped,
    TransactionUpdated,
    _ts_or_callerror,
    check_meter_value,
    wire_float,
)
from drivers.roles import ChargerInfo

LOG = logging.getLogger(__name__)

SUBPROTOCOL_201 = "ocpp2.0.1"

# OCPP 2.0.1 Part 2 §2 UnitOfMeasureType: unit default "Wh", multiplier default 0.
DEFAULT_UNIT_201 = "Wh"
DEFAULT_MULTIPLIER = 0

# OCPP 2.0.1 TransactionType.stoppedReason "may only be omitted when the Reason is Local".
DEFAULT_STOPPED_REASON = "Local"

# The library spells some error codes the 1.6 way in places; 2.0.1 (Part 4 §4.3) uses these.
_CALLERROR_CODES_201 = {
    "FormationViolation": "FormatViolation",
    "OccurenceConstraintViolation": "OccurrenceConstraintViolation",
}

_ACTIVE_ENERGY = ("Energy.Active.Import", "Energy.Active.Export")
_ACTIVE_POWER = ("Power.Active.Import", "Power.Active.Export")
_SIGNED_KEYS = {
    "signed_meter_data": "signedMeterData",
    "signing_method": "signingMethod",
    "encoding_method": "encodingMethod",
    "public_key": "publicKey",
}


# --------------------------------------------------------------------------------------------
# SampledValue parsing (pure)
# --------------------------------------------------------------------------------------------


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def signed_meter_value_wire(signed: Mapping[str, Any]) -> dict[str, Any]:
    """A ``signedMeterValue`` as it was on the wire (camelCase keys), from the snake_case dict the
    ``ocpp`` library hands to a handler."""
    return {_SIGNED_KEYS.get(k, _camel(k)): v for k, v in signed.items()}


def parse_sampled_value_201(
    cp_id: str,
    sampled: Mapping[str, Any],
    *,
    timestamp: datetime,
    connector_id: int | None,
    transaction_id: str | None,
    trigger_reason: str | None = None,
) -> MeterReading:
    """Turn one 2.0.1 SampledValue (snake-cased dict) into a :class:`MeterReading`: defaults of
    Part 2 §2 SampledValueType/UnitOfMeasureType applied, ``value × 10^multiplier`` in ``unit``,
    energy normalised to Wh/kWh and active power to W. A value that is not a finite number raises
    ``PropertyConstraintViolationError`` (answered as a CALLERROR)."""
    raw = sampled.get("value")
    measurand = sampled.get("measurand") or DEFAULT_MEASURAND
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise PropertyConstraintViolationError(
            description=f"sampledValue {measurand} value {raw!r} is not a finite number",
            details={"value": repr(raw)},
        )
    check_meter_value(cp_id, measurand, wire_float(raw), raw)  # nan / inf as sent: refused and logged
    uom = sampled.get("unit_of_measure") or {}
    unit = str(uom.get("unit") or DEFAULT_UNIT_201)
    multiplier = uom.get("multiplier")
    if multiplier is not None and (isinstance(multiplier, bool) or not isinstance(multiplier, int)
                                   or not -20 <= multiplier <= 20):
        raise PropertyConstraintViolationError(description=f"unitOfMeasure multiplier {multiplier!r} is not an "
                                                           "integer in -20…20", details={"multiplier": repr(multiplier)})
    multiplier = DEFAULT_MULTIPLIER if multiplier is None else int(multiplier)
    raw_value = json.dumps(raw)
    try:
        scaled = Decimal(raw_value).scaleb(multiplier)
    except InvalidOperation as exc:  # pragma: no cover - json.dumps of a finite number always parses
        raise PropertyConstraintViolationError(description=f"value {raw_value} unreadable") from exc
    value = float(scaled)
    check_meter_value(cp_id, measurand, value, raw)
    value_wh = value_kwh = value_w = None
    if measurand.startswith(_ACTIVE_ENERGY):
        if unit == "Wh":
            value_wh, value_kwh = value, float(scaled.scaleb(-3))
        elif unit == "kWh":
            value_wh, value_kwh = float(scaled.scaleb(3)), value
    if measurand.startswith(_ACTIVE_POWER):
        if unit == "W":
            value_w = value
        elif unit == "kW":
            value_w = float(scaled.scaleb(3))
    signed = sampled.get("signed_meter_value")
    return MeterReading(
        cp_id=cp_id,
        connector_id=connector_id,
        transaction_id=transaction_id,
        timestamp=timestamp,
        measurand=measurand,
        value=value,
        unit=unit,
        phase=sampled.get("phase"),
        context=sampled.get("context") or DEFAULT_CONTEXT,
        location=sampled.get("location") or DEFAULT_LOCATION,
        format="Raw",
        raw_value=raw_value,
        value_wh=value_wh,
        value_kwh=value_kwh,
        value_w=value_w,
        signed_data=signed_meter_value_wire(signed) if isinstance(signed, Mapping) else None,
        multiplier=multiplier,
        trigger_reason=trigger_reason,
    )


def parse_meter_values_201(
    cp_id: str,
    meter_value: Iterable[Mapping[str, Any]],
    *,
    connector_id: int | None,
    transaction_id: str | None,
    trigger_reason: str | None = None,
) -> list[MeterReading]:
    """Every sampled value of a 2.0.1 MeterValueType[] list, each with its sample's timestamp."""
    readings: list[MeterReading] = []
    for mv in meter_value:
        ts = _ts_or_callerror(mv.get("timestamp", ""), "meterValue.timestamp")
        for sv in mv.get("sampled_value", []):
            readings.append(
                parse_sampled_value_201(
                    cp_id,
                    sv,
                    timestamp=ts,
                    connector_id=connector_id,
                    transaction_id=transaction_id,
                    trigger_reason=trigger_reason,
                )
            )
    return readings


def register_reading_wh(readings: Sequence[MeterReading], prefer_context: str | None = None) -> float | None:
    """The total ``Energy.Active.Import.Register`` (no phase) among ``readings``, in Wh — the one in
    ``prefer_context`` if there is one, else the last; ``None`` when there is none."""
    totals = [
        r
        for r in readings
        if r.measurand == DEFAULT_MEASURAND and r.value_wh is not None and r.phase is None
    ]
    preferred = [r for r in totals if r.context == prefer_context]
    chosen = (preferred or totals)[-1:] if totals else []
    return chosen[0].value_wh if chosen else None


# --------------------------------------------------------------------------------------------
# Device-model variables (OCPP 2.0.1 Part 1 §4, Part 2 §B05/B06)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VariableRef:
    """A component/variable pair of the 2.0.1 device model, e.g.
    ``VariableRef("SampledDataCtrlr", "TxUpdatedInterval")``; ``str()`` gives
    ``"SampledDataCtrlr.TxUpdatedInterval"`` and :meth:`of` parses it back."""

    component: str
    variable: str
    component_instance: str | None = None
    variable_instance: str | None = None
    evse_id: int | None = None

    @classmethod
    def of(cls, ref: str | VariableRef) -> VariableRef:
        """``"Component.Variable"`` (or a ref) → ref; ``ValueError`` without a dot."""
        if isinstance(ref, VariableRef):
            return ref
        component, dot, variable = str(ref).partition(".")
        if not dot or not component or not variable:
            raise ValueError(f"{ref!r} is not Component.Variable")
        return cls(component, variable)

    @classmethod
    def from_wire(cls, component: Mapping[str, Any], variable: Mapping[str, Any]) -> VariableRef:
        """From the (snake-cased) ComponentType / VariableType of an answer."""
        evse = component.get("evse") or {}
        return cls(
            str(component.get("name", "")),
            str(variable.get("name", "")),
            component.get("instance"),
            variable.get("instance"),
            evse.get("id"),
        )

    def wire(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """(ComponentType, VariableType) dicts for a request."""
        component: dict[str, Any] = {"name": self.component}
        if self.component_instance is not None:
            component["instance"] = self.component_instance
        if self.evse_id is not None:
            component["evse"] = {"id": self.evse_id}
        variable: dict[str, Any] = {"name": self.variable}
        if self.variable_instance is not None:
            variable["instance"] = self.variable_instance
        return component, variable

    def __str__(self) -> str:
        comp = self.component + (f"[{self.component_instance}]" if self.component_instance else "")
        var = self.variable + (f"[{self.variable_instance}]" if self.variable_instance else "")
        return f"{comp}.{var}"


@dataclass(frozen=True)
class VariableResult:
    """One entry of a SetVariables / GetVariables answer: ``status`` is the ``attributeStatus``
    (Accepted, Rejected, UnknownComponent, UnknownVariable, NotSupportedAttributeType,
    RebootRequired), ``value`` the ``attributeValue`` of a GetVariables answer."""

    ref: VariableRef
    status: str
    value: str | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        """Accepted (or RebootRequired for a set)."""
        return self.status in ("Accepted", "RebootRequired")


# OCPP 1.6 configuration keys (§9.1) → their OCPP 2.0.1 device-model variables (Part 2 Appendix 3
# "Standardized Components/Variables"), so that 1.6-shaped code (ChangeConfiguration) works on 2.0.1.
LEGACY_KEYS: Mapping[str, VariableRef] = {
    "MeterValueSampleInterval": VariableRef("SampledDataCtrlr", "TxUpdatedInterval"),
    "MeterValuesSampledData": VariableRef("SampledDataCtrlr", "TxUpdatedMeasurands"),
    "StopTxnSampledData": VariableRef("SampledDataCtrlr", "TxEndedMeasurands"),
    "ClockAlignedDataInterval": VariableRef("AlignedDataCtrlr", "Interval"),
    "MeterValuesAlignedData": VariableRef("AlignedDataCtrlr", "Measurands"),
    "StopTxnAlignedData": VariableRef("AlignedDataCtrlr", "TxEndedMeasurands"),
    "HeartbeatInterval": VariableRef("OCPPCommCtrlr", "HeartbeatInterval"),
    "WebSocketPingInterval": VariableRef("OCPPCommCtrlr", "WebSocketPingInterval"),
    "ConnectionTimeOut": VariableRef("TxCtrlr", "EVConnectionTimeOut"),
    "AuthorizeRemoteTxRequests": VariableRef("AuthCtrlr", "AuthorizeRemoteStart"),
    "LocalAuthorizeOffline": VariableRef("AuthCtrlr", "LocalAuthorizeOffline"),
    "LocalPreAuthorize": VariableRef("AuthCtrlr", "LocalPreAuthorize"),
    "StopTransactionOnInvalidId": VariableRef("TxCtrlr", "StopTxOnInvalidId"),
}


def variable_for_key(key: str | VariableRef) -> VariableRef:
    """A 1.6 key name (:data:`LEGACY_KEYS`), ``"Component.Variable"`` or a ref → the 2.0.1 ref;
    ``ValueError`` for a bare name that is not a known 1.6 key."""
    if isinstance(key, VariableRef):
        return key
    if key in LEGACY_KEYS:
        return LEGACY_KEYS[key]
    return VariableRef.of(key)


def attribute_value(value: object) -> str:
    """A Python value as a 2.0.1 ``attributeValue`` string: booleans ``true``/``false``, sequences
    as comma-separated lists (MemberList/SequenceList), everything else ``str()``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(attribute_value(v) for v in value)
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


@dataclass(frozen=True)
class RequestStartResult:
    """RequestStartTransactionResponse (§F01): ``transaction_id`` is set when the station had
    already started a transaction on the EVSE (the cable was plugged in first)."""

    status: str
    remote_start_id: int
    transaction_id: str | None = None


# --------------------------------------------------------------------------------------------
# The session
# --------------------------------------------------------------------------------------------


class ChargePointSession201(SessionCore, _V201ChargePoint):
    """The CSMS side of one OCPP 2.0.1 charging station's WebSocket (see the module docstring).

    Events and shared state (identity, statuses, open transactions) are the server's, exactly as for
    a 1.6 session, so a listener does not care which version a post speaks.
    """

    ocpp_version: ClassVar[str] = "2.0.1"
    subprotocol: ClassVar[str] = SUBPROTOCOL_201
    actions: ClassVar[type[Enum]] = Action
    callerror_names: ClassVar[Mapping[str, str]] = _CALLERROR_CODES_201

    # ---- version hooks (OCPP 2.0.1 Part 4 §4.3 RPC framework error codes) ----------------

    def _unpack_error(self, error: OCPPError, message_type: Any) -> tuple[str, str]:
        """Unreadable frame → ``RpcFrameworkError``; an unknown MessageTypeId →
        ``MessageTypeNotSupported`` (Part 4 §4.1.3, §4.3)."""
        cause = str((error.details or {}).get("cause", error.description))
        if isinstance(error, PropertyConstraintViolationError):  # the library's "MessageTypeId isn't valid"
            return "MessageTypeNotSupported", f"A message with this MessageTypeId is not supported: {cause}"
        return "RpcFrameworkError", f"Content of the frame is not a valid RPC message: {cause}"

    def _bad_call_code(self, what: str) -> str:
        """A non-string action is not a valid RPC request (``RpcFrameworkError``); a payload that is
        not an object is a ``FormatViolation``."""
        return "RpcFrameworkError" if what == "action" else "FormatViolation"

    def _validation_error_code(self, error: OCPPError) -> str:
        """The library reports a missing required field as ``ProtocolError``; 2.0.1 calls that an
        ``OccurrenceConstraintViolation``."""
        if isinstance(error, OcppProtocolError):
            return "OccurrenceConstraintViolation"
        return str(error.code)

    # ---- shared state --------------------------------------------------------------------

    def _id_token_status(self, id_token: Mapping[str, Any] | None) -> str | None:
        if not id_token:
            return None
        if id_token.get("type") == IdTokenEnumType.no_authorization:
            return AuthorizationStatusEnumType.accepted.value
        return str(self._csms._authorize(str(id_token.get("id_token", ""))).value)

    def _check_seq(self, tx_id: str, seq_no: int, event_type: str) -> None:
        key = (self.cp_id, tx_id)
        last = self._csms._tx_seq.get(key)
        if last is not None and seq_no != last + 1:
            LOG.warning(
                "%s: transaction %s %s seqNo %d after %d — messages lost or repeated (OCPP 2.0.1 E07)",
                self.cp_id,
                tx_id,
                event_type,
                seq_no,
                last,
            )
        self._csms._tx_seq[key] = seq_no
        if event_type == "Ended":
            self._csms._tx_seq.pop(key, None)

    # ---- requests from the charging station (OCPP 2.0.1 Part 2) ---------------------------

    @on(Action.boot_notification)
    def on_boot_notification(
        self, charging_station: dict[str, Any], reason: str, **kwargs: Any
    ) -> call_result.BootNotification:
        """BootNotification (§B01): record identity, accept, give the heartbeat interval."""
        info = ChargerInfo(
            charger_id=self.cp_id,
            vendor=str(charging_station.get("vendor_name", "")),
            model=str(charging_station.get("model", "")),
            serial=charging_station.get("serial_number"),
            firmware=charging_station.get("firmware_version"),
            protocol=SUBPROTOCOL_201,
        )
        self._csms._infos[self.cp_id] = info
        self._emit(ChargerConnected(self.cp_id, info=info, via_boot=True))
        LOG.info("%s: BootNotification (reason %s)", self.cp_id, reason)
        return call_result.BootNotification(
            current_time=self._csms.give_time(self.cp_id),
            interval=self._csms.heartbeat_interval_s,
            status=RegistrationStatusEnumType.accepted,
        )

    @on(Action.heartbeat)
    def on_heartbeat(self, **kwargs: Any) -> call_result.Heartbeat:
        """Heartbeat (§G02): the CSMS's current time."""
        return call_result.Heartbeat(current_time=self._csms.give_time(self.cp_id))

    @on(Action.status_notification)
    def on_status_notification(
        self, timestamp: str, connector_status: str, evse_id: int, connector_id: int, **kwargs: Any
    ) -> call_result.StatusNotification:
        """StatusNotification (§G01): record the EVSE's connector status."""
        ts = _ts_or_callerror(timestamp, "timestamp")
        self._csms._status[(self.cp_id, evse_id)] = connector_status
        self._emit(
            StatusChanged(
                self.cp_id,
                connector_id=evse_id,
                status=connector_status,
                error_code="NoError",
                timestamp=ts,
                evse_connector_id=connector_id,
            )
        )
        return call_result.StatusNotification()

    @on(Action.authorize)
    def on_authorize(self, id_token: dict[str, Any], **kwargs: Any) -> call_result.Authorize:
        """Authorize (§C01): Accepted for tokens on the allow list (all when there is none)."""
        return call_result.Authorize(id_token_info={"status": self._id_token_status(id_token)})

    @on(Action.transaction_event)
    def on_transaction_event(
        self,
        event_type: str,
        timestamp: str,
        trigger_reason: str,
        seq_no: int,
        transaction_info: dict[str, Any],
        **kwargs: Any,
    ) -> call_result.TransactionEvent:
        """TransactionEvent (§E01–E07): Started → :class:`TransactionStarted`, Updated →
        :class:`TransactionUpdated`, Ended → :class:`TransactionStopped`, and one
        :class:`MeterReading` per sampled value. The first event of a transaction the CSMS did not
        see start (it started while the CSMS was away) opens it, with ``meter_start_wh`` only if a
        ``Transaction.Begin`` register sample is present."""
        ts = _ts_or_callerror(timestamp, "timestamp")
        tx_id = str(transaction_info["transaction_id"])
        open_tx = self._csms._open_tx.setdefault(self.cp_id, {})
        known = open_tx.get(tx_id)
        evse = kwargs.get("evse") or {}
        connector = evse.get("id") if evse.get("id") is not None else (known.connector_id if known else None)
        id_token = kwargs.get("id_token")
        id_tag = str(id_token.get("id_token", "")) if id_token else None
        status = self._id_token_status(id_token)
        remote_start_id = transaction_info.get("remote_start_id")
        readings = parse_meter_values_201(
            self.cp_id,
            kwargs.get("meter_value") or [],
            connector_id=connector,
            transaction_id=tx_id,
            trigger_reason=trigger_reason,
        )
        self._check_seq(tx_id, seq_no, event_type)
        if event_type == "Ended":
            for reading in readings:
                self._emit(reading)
            open_tx.pop(tx_id, None)
            self._emit(
                TransactionStopped(
                    self.cp_id,
                    transaction_id=tx_id,
                    meter_stop_wh=register_reading_wh(readings, "Transaction.End"),
                    reason=transaction_info.get("stopped_reason") or DEFAULT_STOPPED_REASON,
                    timestamp=ts,
                    id_tag=id_tag,
                    trigger_reason=trigger_reason,
                )
            )
        else:
            if known is None:
                begin = [r for r in readings if event_type == "Started" or r.context == "Transaction.Begin"]
                started = TransactionStarted(
                    self.cp_id,
                    transaction_id=tx_id,
                    connector_id=connector if connector is not None else 1,
                    id_tag=id_tag or "",
                    meter_start_wh=register_reading_wh(begin, "Transaction.Begin"),
                    timestamp=ts,
                    authorized=status in (None, AuthorizationStatusEnumType.accepted.value),
                    remote_start_id=remote_start_id,
                    evse_connector_id=evse.get("connector_id"),
                    trigger_reason=trigger_reason,
                )
                if started.authorized:
                    open_tx[tx_id] = started
                if event_type != "Started":
                    LOG.warning("%s: %s event for transaction %s not seen starting", self.cp_id, event_type, tx_id)
                self._emit(started)
            elif event_type == "Started":
                LOG.warning("%s: transaction %s reported Started again (seqNo %d)", self.cp_id, tx_id, seq_no)
            if event_type == "Updated":
                self._emit(
                    TransactionUpdated(
                        self.cp_id,
                        transaction_id=tx_id,
                        connector_id=connector,
                        trigger_reason=trigger_reason,
                        seq_no=seq_no,
                        timestamp=ts,
                        charging_state=transaction_info.get("charging_state"),
                        id_tag=id_tag,
                        remote_start_id=remote_start_id,
                        offline=bool(kwargs.get("offline", False)),
                    )
                )
            for reading in readings:
                self._emit(reading)
        return call_result.TransactionEvent(id_token_info={"status": status} if status is not None else None)

    @on(Action.meter_values)
    def on_meter_values(
        self, evse_id: int, meter_value: list[dict[str, Any]], **kwargs: Any
    ) -> call_result.MeterValues:
        """MeterValues (§J01): every sampled value becomes a :class:`MeterReading` (``connector_id``
        = ``evseId``; 0 is the station's main meter)."""
        for reading in parse_meter_values_201(self.cp_id, meter_value, connector_id=evse_id, transaction_id=None):
            self._emit(reading)
        return call_result.MeterValues()

    @on(Action.notify_event)
    def on_notify_event(
        self, generated_at: str, seq_no: int, event_data: list[dict[str, Any]], **kwargs: Any
    ) -> call_result.NotifyEvent:
        """NotifyEvent (§N07): accepted and logged (component.variable = actualValue, trigger)."""
        for item in event_data:
            LOG.info(
                "%s: NotifyEvent %s.%s = %r (%s)",
                self.cp_id,
                (item.get("component") or {}).get("name"),
                (item.get("variable") or {}).get("name"),
                item.get("actual_value"),
                item.get("trigger"),
            )
        return call_result.NotifyEvent()

    @on(Action.security_event_notification)
    def on_security_event_notification(self, type: str, timestamp: str, **kwargs: Any) -> Any:
        """SecurityEventNotification (§A04): accepted and logged as a warning."""
        LOG.warning("%s: security event %s at %s %s", self.cp_id, type, timestamp, kwargs.get("tech_info") or "")
        return call_result.SecurityEventNotification()

    @on(Action.firmware_status_notification)
    def on_firmware_status_notification(self, status: str, **kwargs: Any) -> Any:
        """FirmwareStatusNotification (§L01): acknowledged."""
        return call_result.FirmwareStatusNotification()

    @on(Action.log_status_notification)
    def on_log_status_notification(self, status: str, **kwargs: Any) -> Any:
        """LogStatusNotification (§N01): acknowledged."""
        return call_result.LogStatusNotification()

    @on(Action.data_transfer)
    def on_data_transfer(self, vendor_id: str, **kwargs: Any) -> call_result.DataTransfer:
        """DataTransfer (§P01): this CSMS knows no vendor extensions."""
        return call_result.DataTransfer(status=DataTransferStatusEnumType.unknown_vendor_id)

    # ---- commands to the charging station ------------------------------------------------

    async def request_start_transaction(
        self,
        id_token: str,
        evse_id: int | None = 1,
        *,
        token_type: str = IdTokenEnumType.central.value,
        remote_start_id: int | None = None,
    ) -> RequestStartResult:
        """RequestStartTransaction (§F01/F02) for ``id_token`` on ``evse_id``; ``DeviceRefused``
        unless Accepted. The transaction is reported later by TransactionEvent (Started, or Updated
        with triggerReason RemoteStart when it was already running) carrying ``remote_start_id``."""
        rid = remote_start_id if remote_start_id is not None else self._csms._next_transaction_id()
        res = await self.request(
            call.RequestStartTransaction(
                id_token={"id_token": id_token, "type": token_type}, remote_start_id=rid, evse_id=evse_id
            )
        )
        if res.status != RequestStartStopStatusEnumType.accepted:
            raise DeviceRefused(
                self.label,
                f"RequestStartTransaction {res.status} (EVSE {evse_id}, idToken {id_token}) — "
                "拒绝远程启动: 检查充电枪是否已插好、是否已有交易 (check the plug and any running transaction)",
            )
        return RequestStartResult(str(res.status), rid, res.transaction_id)

    async def request_stop_transaction(self, transaction_id: str) -> None:
        """RequestStopTransaction (§F03); ``DeviceRefused`` unless Accepted."""
        res = await self.request(call.RequestStopTransaction(transaction_id=str(transaction_id)))
        if res.status != RequestStartStopStatusEnumType.accepted:
            raise DeviceRefused(self.label, f"RequestStopTransaction {res.status} (transaction {transaction_id})")

    async def set_variables(self, values: Mapping[str | VariableRef, object]) -> list[VariableResult]:
        """SetVariables (§B05): each ``Component.Variable`` (or ref) → value (see
        :func:`attribute_value`); returns one result per item, in request order. Refusals are
        results, not exceptions — see :meth:`set_variable` for the raising form."""
        refs = [(VariableRef.of(k), attribute_value(v)) for k, v in values.items()]
        data = []
        for ref, value in refs:
            component, variable = ref.wire()
            data.append({"attribute_value": value, "component": component, "variable": variable})
        res = await self.request(call.SetVariables(set_variable_data=data))
        by_ref = {
            VariableRef.from_wire(r["component"], r["variable"]): r for r in res.set_variable_result or []
        }
        out: list[VariableResult] = []
        for ref, _ in refs:
            r = by_ref.get(ref)
            if r is None:
                out.append(VariableResult(ref, "Missing", reason="not in the SetVariables answer"))
                continue
            info = r.get("attribute_status_info") or {}
            out.append(VariableResult(ref, str(r["attribute_status"]), reason=info.get("reason_code")))
        return out

    async def set_variable(self, ref: str | VariableRef, value: object) -> str:
        """One SetVariables item; returns Accepted or RebootRequired, ``DeviceRefused`` naming the
        status (Rejected, UnknownComponent, UnknownVariable, NotSupportedAttributeType) otherwise."""
        (result,) = await self.set_variables({VariableRef.of(ref): value})
        if not result.ok:
            hint = "" if result.status == "Rejected" else " (NotSupported)"
            raise DeviceRefused(
                self.label, f"SetVariables {result.ref}={attribute_value(value)}: {result.status}{hint}"
            )
        return result.status

    async def get_variables(self, refs: Sequence[str | VariableRef]) -> list[VariableResult]:
        """GetVariables (§B06) for ``refs``; one result per item, in request order."""
        wanted = [VariableRef.of(r) for r in refs]
        data = []
        for ref in wanted:
            component, variable = ref.wire()
            data.append({"component": component, "variable": variable})
        res = await self.request(call.GetVariables(get_variable_data=data))
        by_ref = {
            VariableRef.from_wire(r["component"], r["variable"]): r for r in res.get_variable_result or []
        }
        out: list[VariableResult] = []
        for ref in wanted:
            r = by_ref.get(ref)
            if r is None:
                out.append(VariableResult(ref, "Missing", reason="not in the GetVariables answer"))
                continue
            info = r.get("attribute_status_info") or {}
            out.append(
                VariableResult(ref, str(r["attribute_status"]), r.get("attribute_value"), info.get("reason_code"))
            )
        return out

    async def trigger_message(self, message: str, connector_id: int | None = None) -> None:
        """TriggerMessage (§F06) for EVSE ``connector_id`` (the whole station when ``None``);
        ``DeviceRefused`` unless Accepted. MeterValues is answered by a MeterValuesRequest (or, for a
        running transaction, a TransactionEvent with triggerReason Trigger); StatusNotification needs
        a connector, so connector 1 of the EVSE is asked for."""
        evse: dict[str, Any] | None = None
        if connector_id is not None:
            evse = {"id": connector_id}
            if str(message) == "StatusNotification":
                evse["connector_id"] = 1
        res = await self.request(call.TriggerMessage(requested_message=str(message), evse=evse))
        if res.status != TriggerMessageStatusEnumType.accepted:
            raise DeviceRefused(self.label, f"TriggerMessage {message}: {res.status}")

    # ---- the 1.6-shaped commands of SessionCore ------------------------------------------

    async def remote_start_transaction(self, id_tag: str, connector_id: int | None = 1) -> None:
        """RequestStartTransaction for ``id_tag`` on EVSE ``connector_id`` (see
        :meth:`request_start_transaction`)."""
        await self.request_start_transaction(id_tag, connector_id)

    async def remote_stop_transaction(self, transaction_id: int | str) -> None:
        """RequestStopTransaction (see :meth:`request_stop_transaction`)."""
        await self.request_stop_transaction(str(transaction_id))

    async def change_configuration(self, key: str, value: str) -> str:
        """SetVariables for a 1.6 key name (mapped by :data:`LEGACY_KEYS`, e.g.
        ``MeterValueSampleInterval`` → ``SampledDataCtrlr.TxUpdatedInterval``) or a
        ``Component.Variable``; Accepted/RebootRequired or ``DeviceRefused``."""
        try:
            ref = variable_for_key(key)
        except ValueError:
            raise DeviceRefused(
                self.label,
                f"SetVariables {key}: NotSupported — no OCPP 2.0.1 variable known for this 1.6 key; "
                "name it as Component.Variable",
            ) from None
        return await self.set_variable(ref, value)

    async def get_configuration(self, keys: Sequence[str] | None = None) -> ConfigurationSnapshot:
        """GetVariables for 1.6 key names or ``Component.Variable`` names (every key of
        :data:`LEGACY_KEYS` when ``None``), as a :class:`ConfigurationSnapshot` keyed by the names
        asked for. 2.0.1 reports mutability only in reports, so ``readonly`` is empty."""
        names = list(keys) if keys else list(LEGACY_KEYS)
        mapped: dict[str, VariableRef] = {}
        unknown: list[str] = []
        for name in names:
            try:
                mapped[name] = variable_for_key(name)
            except ValueError:
                unknown.append(name)
        values: dict[str, str | None] = {}
        if mapped:
            results = await self.get_variables(list(mapped.values()))
            for name, result in zip(mapped, results, strict=True):
                if result.status == "Accepted":
                    values[name] = result.value
                else:
                    unknown.append(name)
        return ConfigurationSnapshot(values, frozenset(), tuple(unknown))
