"""A local OCPP 1.6J central system (CSMS) for the verification workstation.

The workstation *is* the charger's central system during a verification: the technician points the
post's backend URL at ``ws://<workstation>:<port>/<chargePointId>`` and this module

* accepts the WebSocket (subprotocol ``ocpp1.6``, OCPP-J 1.6 §3) and answers the post's requests
  (BootNotification, Heartbeat, StatusNotification, Authorize, Start/StopTransaction, MeterValues,
  DataTransfer — OCPP 1.6 §4);
* sends the commands a procedure needs (RemoteStart/StopTransaction, Change/GetConfiguration,
  TriggerMessage — OCPP 1.6 §5), always with ``suppress=False`` and a deadline, turning every
  ``ocpp`` / ``websockets`` failure into a :mod:`drivers.errors` type that names the charger;
* parses every sampled value with the defaults of OCPP 1.6 §7.43 (a bare ``{"value": "1234"}`` is
  ``Energy.Active.Import.Register`` in ``Wh``, context ``Sample.Periodic``, format ``Raw``) and
  normalises energy to Wh/kWh and active power to W;
* emits immutable events (:class:`CsmsEvent` subclasses) as things happen, to a callback and to
  subscribers, and lets drivers *expect* an event before sending the command that causes it (no
  race, no polling);
* answers every malformed frame with a CALLERROR and keeps the session alive. The ``ocpp`` library
  (2.1.0) silently drops frames it cannot unpack (invalid JSON, not an array, missing elements),
  uses the OCPP 2.0 names ``FormatViolation``/``OccurrenceConstraintViolation`` instead of 1.6's
  ``FormationViolation``/``OccurenceConstraintViolation`` (OCPP-J 1.6 §4.2.3, errata 5.1/5.2),
  swaps ``NotImplemented`` (action not known) and ``NotSupported`` (known but not supported), and
  lets a non-string action crash the receive loop; :class:`ChargePointSession` fixes all four.

The server (:class:`Csms16`) is version-neutral: it picks a session class per connection by the
negotiated WebSocket subprotocol (OCPP-J 1.6 §3.1, OCPP 2.0.1 Part 4 §3.1.2) from
:attr:`Csms16.SESSION_CLASSES`. ``Csms16`` itself knows only ``ocpp1.6``;
:class:`drivers.ocpp.csms.Csms` adds ``ocpp2.0.1`` (:mod:`drivers.ocpp.csms201`). Both check HTTP
Basic credentials at the handshake and can listen on TLS (security profiles 1 and 2, OCPP 1.6
Security Whitepaper §2 / OCPP 2.0.1 Part 2 §A00; see :mod:`drivers.ocpp.security`). The events and
the generic session machinery (:class:`SessionCore`) live here and are shared by both versions.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import ssl
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import Enum
from typing import Any, ClassVar, TypeVar
from urllib.parse import unquote, urlsplit

from ocpp.exceptions import (
    FormationViolationError,
    OCPPError,
    PropertyConstraintViolationError,
    UnknownCallErrorCodeError,
)
from ocpp.exceptions import (
    ValidationError as OcppValidationError,
)
from ocpp.messages import CallError, MessageType, unpack
from ocpp.routing import on
from ocpp.v16 import ChargePoint as _V16ChargePoint
from ocpp.v16 import call, call_result
from ocpp.v16.datatypes import IdTagInfo
from ocpp.v16.enums import (
    Action,
    AuthorizationStatus,
    ConfigurationStatus,
    DataTransferStatus,
    MessageTrigger,
    RegistrationStatus,
    RemoteStartStopStatus,
    TriggerMessageStatus,
)
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed, NegotiationError
from websockets.headers import build_www_authenticate_basic
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from drivers.errors import DeviceRefused, DeviceTimeout, Disconnected, ProtocolError
from drivers.ocpp.security import check_basic_auth
from drivers.roles import ChargerInfo

LOG = logging.getLogger(__name__)

SUBPROTOCOL = "ocpp1.6"

# OCPP 1.6 §7.43 SampledValue defaults: a value without these fields means exactly this.
DEFAULT_MEASURAND = "Energy.Active.Import.Register"
DEFAULT_UNIT = "Wh"
DEFAULT_CONTEXT = "Sample.Periodic"
DEFAULT_FORMAT = "Raw"
DEFAULT_LOCATION = "Outlet"

# The ocpp library raises OCPP 2.0 error names; OCPP-J 1.6 §4.2.3 (with its errata sheet, "known
# issues that will not be fixed" 5.1/5.2) spells them differently.
_CALLERROR_CODES_16 = {
    "FormatViolation": "FormationViolation",
    "OccurrenceConstraintViolation": "OccurenceConstraintViolation",
    "RpcFrameworkError": "ProtocolError",
    "MessageTypeNotSupported": "NotSupported",
}

# A CALLERROR answering a frame whose message id cannot be read uses "-1" (the convention OCPP 2.x
# RPC framework states; OCPP-J 1.6 is silent on it).
UNKNOWN_MESSAGE_ID = "-1"


def _utcnow() -> datetime:
    return datetime.now(UTC)


def iso8601(ts: datetime) -> str:
    """Format a timestamp the way OCPP 1.6 §7 wants it: UTC, ISO 8601, milliseconds, ``Z``."""
    ts = ts.astimezone(UTC)
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def parse_ocpp_datetime(text: str) -> datetime:
    """Parse an OCPP ``dateTime`` (ISO 8601). A value without zone is taken as UTC, as OCPP 1.6
    §7 recommends UTC throughout; raises ``ValueError`` when it is not a date-time at all."""
    if not isinstance(text, str):
        raise ValueError(f"timestamp must be a string, got {text!r}")
    ts = datetime.fromisoformat(text.strip())
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts


def _ts_or_callerror(text: str, what: str) -> datetime:
    try:
        return parse_ocpp_datetime(text)
    except ValueError as exc:
        raise PropertyConstraintViolationError(
            description=f"{what} is not an ISO 8601 date-time", details={"value": str(text)}
        ) from exc


def charger_label(cp_id: str) -> str:
    """How errors name a charger to the operator (``充电桩 CP001``)."""
    return f"充电桩 {cp_id}"


def disconnect_detail(code: int | None, reason: str | None = None) -> str:
    """Operator message for a lost charger WebSocket (code per RFC 6455 §7.4)."""
    what = f"code {code}" if code is not None else "no close code"
    if reason:
        what += f", {reason}"
    return (
        f"WebSocket 连接已断开 (WebSocket connection lost, {what}) — "
        "请检查充电桩网络 (check the post's network); 测试已暂停, 充电桩重连后可继续 "
        "(the run is paused and can be resumed once the post reconnects)"
    )


# --------------------------------------------------------------------------------------------
# Events
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CsmsEvent:
    """Something that happened on the CSMS, stamped with the workstation's UTC time of arrival."""

    cp_id: str
    received_at: datetime = field(default_factory=_utcnow, kw_only=True)


@dataclass(frozen=True)
class ReplyLate(CsmsEvent):
    """The post answered a CALL after the CSMS had given up on it: ``action`` answered
    ``delay_s`` after it was sent, past the deadline ``deadline_s`` (the command was reported as
    not answered in time; this says it was late, not lost)."""

    action: str
    delay_s: float
    deadline_s: float


@dataclass(frozen=True)
class ChargerSocketOpened(CsmsEvent):
    """A charge point opened its WebSocket (OCPP-J 1.6 §3.1); identity follows with a BootNotification."""

    remote: str
    subprotocol: str | None


@dataclass(frozen=True)
class ChargerRejected(CsmsEvent):
    """A WebSocket handshake was refused: no charge point id in the URL (404), no OCPP subprotocol
    this CSMS speaks (400), or failed HTTP Basic authentication (401 — unknown charge point, wrong
    password, username not the charge point id; OCPP 1.6 Security Whitepaper §2.1, OCPP 2.0.1
    A00.FR.2xx). ``status`` is the HTTP status answered, ``remote`` the peer's address."""

    path: str
    reason: str
    status: int | None = None
    remote: str | None = None


@dataclass(frozen=True)
class ChargerConnected(CsmsEvent):
    """The charger identified itself: on its BootNotification (OCPP 1.6 §4.2, ``via_boot``), or on
    a reconnect without reboot when the CSMS already knows it from an earlier boot."""

    info: ChargerInfo
    via_boot: bool = True


@dataclass(frozen=True)
class ChargerDisconnected(CsmsEvent):
    """The charger's WebSocket closed; ``replaced`` when a newer connection of the same id took over."""

    code: int | None
    reason: str = ""
    replaced: bool = False


_MESSAGE_OF_EVENT = {"StatusChanged": "StatusNotification", "MeterReading": "MeterValues",
                     "TransactionStarted": "StartTransaction", "TransactionStopped": "StopTransaction",
                     "TransactionUpdated": "TransactionEvent"}
"""The OCPP message an event came in (1.6 names; 2.0.1 carries transactions in TransactionEvent)."""


@dataclass(frozen=True)
class EarlyTimestamp:
    """A charger timestamp that arrived before the CSMS gave the charger any time: the message it
    came in, the charger's clock and the time standard at its arrival (a clock reading as found)."""

    message: str
    charger_time: datetime
    stamped_at: datetime


@dataclass(frozen=True)
class StatusChanged(CsmsEvent):
    """StatusNotification (OCPP 1.6 §4.9): connector status and error; ``timestamp`` is the charger's clock.

    For OCPP 2.0.1 (StatusNotificationRequest, Part 2 §G01) ``connector_id`` is the **EVSE id** (what
    RequestStartTransaction addresses), ``evse_connector_id`` the connector within that EVSE,
    ``status`` the ``connectorStatus`` and ``error_code`` ``"NoError"`` (2.0.1 reports faults
    through NotifyEvent instead).
    """

    connector_id: int
    status: str
    error_code: str
    timestamp: datetime | None = None
    info: str | None = None
    vendor_error_code: str | None = None
    evse_connector_id: int | None = None


@dataclass(frozen=True)
class TransactionStarted(CsmsEvent):
    """StartTransaction (OCPP 1.6 §4.8) or TransactionEvent ``Started`` (OCPP 2.0.1 §E01–E04).

    ``meter_start_wh`` is the register in Wh (1.6 ``meterStart``; 2.0.1: the
    ``Energy.Active.Import.Register`` sample of the event, ``None`` when the station sent none —
    ``SampledDataCtrlr.TxStartedMeasurands`` empty), ``timestamp`` the charger's clock;
    ``authorized`` is whether the CSMS accepted the id tag (``True`` when none was presented).
    ``transaction_id`` is an ``int`` assigned by the CSMS in 1.6 and the station's ``str`` in
    2.0.1; ``connector_id`` is the connector (1.6) or the EVSE id (2.0.1), ``evse_connector_id``
    the 2.0.1 connector within the EVSE; ``remote_start_id`` links a 2.0.1 transaction to the
    RequestStartTransaction that caused it; ``trigger_reason`` is the 2.0.1 ``triggerReason``
    (``RemoteStart``, ``Authorized``, ``CablePluggedIn`` …), ``None`` for 1.6.
    """

    transaction_id: int | str
    connector_id: int
    id_tag: str
    meter_start_wh: float | None
    timestamp: datetime
    authorized: bool = True
    remote_start_id: int | None = None
    evse_connector_id: int | None = None
    trigger_reason: str | None = None


@dataclass(frozen=True)
class TransactionUpdated(CsmsEvent):
    """TransactionEvent ``Updated`` (OCPP 2.0.1 §E, TransactionEventRequest): a running transaction
    changed — periodic meter values (``MeterValuePeriodic``), a triggered sample (``Trigger``), a
    charging-state change, or ``RemoteStart`` when a RequestStartTransaction authorised a
    transaction the station had already started (cable plugged in first, §F01.FR.xx). Its sampled
    values arrive as separate :class:`MeterReading` events."""

    transaction_id: str
    connector_id: int | None
    trigger_reason: str
    seq_no: int
    timestamp: datetime
    charging_state: str | None = None
    id_tag: str | None = None
    remote_start_id: int | None = None
    offline: bool = False


@dataclass(frozen=True)
class MeterReading(CsmsEvent):
    """One sampled value of MeterValues or StopTransaction.transactionData (OCPP 1.6 §4.7, §7.43),
    or of a 2.0.1 MeterValuesRequest / TransactionEventRequest meterValue (OCPP 2.0.1 §2 SampledValueType).

    Omitted fields carry the spec defaults. ``value`` is the number the charger sent (a string in
    1.6, kept verbatim in ``raw_value``; ``None`` for a 1.6 ``SignedData`` value); in 2.0.1 it is
    already scaled by ``unitOfMeasure.multiplier`` (``value = wire value × 10^multiplier`` in
    ``unit``), the multiplier kept in ``multiplier``. ``value_wh``/``value_kwh`` are set for
    active-energy measurands in Wh or kWh, ``value_w`` for active power in W or kW.

    ``signed_data`` carries a signed meter value verbatim for the OCMF verifier: the 1.6
    ``format=SignedData`` value string (``format`` is then ``"SignedData"``), or the 2.0.1
    ``signedMeterValue`` object with its wire (camelCase) keys ``signedMeterData``,
    ``signingMethod``, ``encodingMethod``, ``publicKey`` (``format`` stays ``"Raw"``: the 2.0.1
    value is still a number). ``trigger_reason`` is the 2.0.1 TransactionEvent's ``triggerReason``
    (``Trigger`` for a TriggerMessage answer), ``None`` otherwise. For 2.0.1 ``connector_id`` is the
    EVSE id and ``transaction_id`` the station's string.
    """

    connector_id: int | None
    transaction_id: int | str | None
    timestamp: datetime
    measurand: str
    value: float | None
    unit: str
    phase: str | None
    context: str
    location: str
    format: str
    raw_value: str
    value_wh: float | None
    value_kwh: float | None
    value_w: float | None = None
    signed_data: dict[str, Any] | str | None = None
    multiplier: int = 0
    trigger_reason: str | None = None


@dataclass(frozen=True)
class TransactionStopped(CsmsEvent):
    """StopTransaction (OCPP 1.6 §4.10) or TransactionEvent ``Ended`` (OCPP 2.0.1 §E06).

    ``meter_stop_wh`` in Wh (1.6 ``meterStop``; 2.0.1: the event's ``Energy.Active.Import.Register``
    sample, ``None`` when it carries none), ``timestamp`` the charger's clock, ``reason`` the 1.6
    ``reason`` / 2.0.1 ``stoppedReason`` (``Local`` when omitted, as 2.0.1 §2 TransactionType
    says); ``trigger_reason`` is the 2.0.1 ``triggerReason``."""

    transaction_id: int | str
    meter_stop_wh: float | None
    reason: str | None
    timestamp: datetime
    id_tag: str | None = None
    trigger_reason: str | None = None

    @property
    def tx(self) -> int | str:
        """Alias of ``transaction_id``."""
        return self.transaction_id


@dataclass(frozen=True)
class CallErrorSent(CsmsEvent):
    """The CSMS answered a charger's frame with a CALLERROR (OCPP-J 1.6 §4.2.3)."""

    detail: str
    unique_id: str = UNKNOWN_MESSAGE_ID
    error_code: str = ""


EventT = TypeVar("EventT", bound=CsmsEvent)

# --------------------------------------------------------------------------------------------
# MeterValues parsing (pure)
# --------------------------------------------------------------------------------------------

_ACTIVE_ENERGY = ("Energy.Active.Import", "Energy.Active.Export")
_ACTIVE_POWER = ("Power.Active.Import", "Power.Active.Export")


def wire_float(raw: float) -> float:
    """A JSON number as a float; an integer too large for a float (JSON has no limit) is ``inf``,
    which :func:`check_meter_value` then refuses, rather than an OverflowError."""
    try:
        return float(raw)
    except OverflowError:
        return math.inf if raw > 0 else -math.inf


def register_wh(cp_id: str, field: str, raw: float) -> float:
    """A charger's energy register given outside a sampledValue (1.6 StartTransaction ``meterStart``,
    StopTransaction ``meterStop``; Wh) as a float — refused and logged (:func:`check_meter_value`,
    a CALLERROR) when negative, not finite or too large for a number."""
    value = wire_float(raw)
    check_meter_value(cp_id, "Energy.Active.Import.Register", value, raw, field)
    return value


def check_meter_value(cp_id: str, measurand: str, value: float, raw: object, field: str = "") -> None:
    """Refuse (and log) a value no charger may report: not a finite number (``nan``, ``inf``), or a
    negative energy register (a register counts up from zero, OCPP 1.6 §7.31 / 2.0.1 Part 2 §3
    MeasurandEnumType). Raises ``PropertyConstraintViolationError``, answered as a CALLERROR, so the
    reading never reaches a result or a display. ``field`` names where the value came from when it
    is not a sampledValue (1.6 StartTransaction ``meterStart``, StopTransaction ``meterStop``)."""
    problem = None
    if not math.isfinite(value):
        problem = "is not a finite number"
    elif value < 0 and measurand.startswith(_ACTIVE_ENERGY) and measurand.endswith("Register"):
        problem = "is a negative energy register"
    if problem:
        LOG.warning("充电桩 %s 上报的 %s 值 %r 无效，已拒绝 (charger %s sent %s value %r: %s; refused)",
                    cp_id, measurand, raw, cp_id, measurand, raw, problem)
        where = field or f"sampledValue {measurand}"
        raise PropertyConstraintViolationError(description=f"{where} value {raw!r} {problem}",
                                               details={"value": repr(raw)})


def parse_sampled_value(
    cp_id: str,
    sampled: dict[str, Any],
    *,
    timestamp: datetime,
    connector_id: int | None,
    transaction_id: int | str | None,
) -> MeterReading:
    """Turn one SampledValue (snake-cased dict) into a :class:`MeterReading`, applying the defaults
    of OCPP 1.6 §7.43 and normalising units. ``value`` is a string on the wire; a ``Raw`` value that
    is not a number raises ``PropertyConstraintViolationError`` (answered as a CALLERROR). A
    ``SignedData`` value is kept verbatim in ``raw_value`` and ``signed_data`` (both forms in use —
    the spec's hex and the OCA application note's JSON with ``signedMeterData`` — are left to the
    OCMF verifier)."""
    raw = sampled.get("value")
    raw_value = "" if raw is None else str(raw)
    measurand = sampled.get("measurand") or DEFAULT_MEASURAND
    unit = sampled.get("unit") or DEFAULT_UNIT
    context = sampled.get("context") or DEFAULT_CONTEXT
    fmt = sampled.get("format") or DEFAULT_FORMAT
    location = sampled.get("location") or DEFAULT_LOCATION
    phase = sampled.get("phase")
    value: float | None
    if fmt == "SignedData":
        value = None
    else:
        try:
            value = float(raw_value)
        except ValueError as exc:
            raise PropertyConstraintViolationError(
                description=f"sampledValue {measurand} value {raw_value!r} is not a number",
                details={"value": raw_value},
            ) from exc
        check_meter_value(cp_id, measurand, value, raw_value)
    value_wh = value_kwh = value_w = None
    if value is not None and measurand.startswith(_ACTIVE_ENERGY):
        if unit == "Wh":
            value_wh, value_kwh = value, value / 1000.0
        elif unit == "kWh":
            value_wh, value_kwh = value * 1000.0, value
    if value is not None and measurand.startswith(_ACTIVE_POWER):
        if unit == "W":
            value_w = value
        elif unit == "kW":
            value_w = value * 1000.0
    return MeterReading(
        cp_id=cp_id,
        connector_id=connector_id,
        transaction_id=transaction_id,
        timestamp=timestamp,
        measurand=measurand,
        value=value,
        unit=unit,
        phase=phase,
        context=context,
        location=location,
        format=fmt,
        raw_value=raw_value,
        value_wh=value_wh,
        value_kwh=value_kwh,
        value_w=value_w,
        signed_data=raw_value if fmt == "SignedData" else None,
    )


def parse_meter_values(
    cp_id: str,
    meter_value: Iterable[dict[str, Any]],
    *,
    connector_id: int | None,
    transaction_id: int | str | None,
) -> list[MeterReading]:
    """Every sampled value of a MeterValue[] list (OCPP 1.6 §7.33), each with its sample's timestamp."""
    readings: list[MeterReading] = []
    for mv in meter_value:
        ts = _ts_or_callerror(mv.get("timestamp", ""), "meterValue.timestamp")
        for sv in mv.get("sampled_value", []):
            readings.append(
                parse_sampled_value(
                    cp_id, sv, timestamp=ts, connector_id=connector_id, transaction_id=transaction_id
                )
            )
    return readings


# --------------------------------------------------------------------------------------------
# Waiting for events
# --------------------------------------------------------------------------------------------


class Expectation:
    """A one-shot wait for the first event of a charger that satisfies ``predicate``.

    Created by :meth:`Csms16.expect` *before* sending the command that causes the event, so that an
    answer arriving fast is not missed. If the charger disconnects meanwhile, :meth:`wait` raises
    :class:`Disconnected`. ``stamp`` (e.g. the workstation's time standard) is read at the moment
    the event matches, to pair a charger timestamp with a reference time.
    """

    def __init__(
        self,
        csms: Csms16,
        cp_id: str,
        predicate: Callable[[CsmsEvent], bool],
        stamp: Callable[[], datetime] | None = None,
    ) -> None:
        self._csms = csms
        self.cp_id = cp_id
        self._predicate = predicate
        self._stamp = stamp
        self._future: asyncio.Future[CsmsEvent] = asyncio.get_running_loop().create_future()
        self.stamped_at: datetime | None = None

    def offer(self, event: CsmsEvent) -> None:
        """Called by the CSMS for every event; completes the wait on the first match."""
        if self._future.done() or event.cp_id != self.cp_id:
            return
        if isinstance(event, ChargerDisconnected) and not event.replaced:
            self._future.set_exception(
                Disconnected(charger_label(self.cp_id), disconnect_detail(event.code, event.reason))
            )
            return
        try:
            matched = self._predicate(event)
        except Exception:  # a faulty predicate must not break event dispatch
            LOG.exception("expectation predicate failed")
            return
        if matched:
            if self._stamp is not None:
                self.stamped_at = self._stamp()
            self._future.set_result(event)

    async def wait(self, timeout_s: float, what: str) -> CsmsEvent:
        """The matching event; ``DeviceTimeout`` naming ``what`` after ``timeout_s``."""
        try:
            async with asyncio.timeout(timeout_s):
                return await asyncio.shield(self._future)
        except TimeoutError:
            raise DeviceTimeout(
                charger_label(self.cp_id), f"等待超时 (timeout): no {what} within {timeout_s:g} s"
            ) from None
        finally:
            self.close()

    def close(self) -> None:
        """Stop listening (idempotent)."""
        self._csms._expectations.discard(self)
        if not self._future.done():
            self._future.cancel()
        elif not self._future.cancelled():
            self._future.exception()  # mark retrieved

    def __enter__(self) -> Expectation:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --------------------------------------------------------------------------------------------
# Configuration snapshot
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConfigurationSnapshot:
    """GetConfiguration.conf (OCPP 1.6 §5.8): known keys → (value, readonly), and unknown keys."""

    values: dict[str, str | None]
    readonly: frozenset[str]
    unknown: tuple[str, ...]


# --------------------------------------------------------------------------------------------
# One charge point connection
# --------------------------------------------------------------------------------------------


def _salvage(raw: str | bytes) -> tuple[Any, str]:
    """Best-effort (message type, unique id) of a frame that failed to unpack."""
    try:
        data = json.loads(raw)
    except (ValueError, TypeError):
        return None, UNKNOWN_MESSAGE_ID
    if isinstance(data, list) and data:
        uid = data[1] if len(data) > 1 and isinstance(data[1], str) and data[1] else UNKNOWN_MESSAGE_ID
        return data[0], uid
    return None, UNKNOWN_MESSAGE_ID


class SessionCore:
    """The version-independent half of the CSMS side of one charge point's WebSocket.

    Mixed in before an ``ocpp`` ``ChargePoint`` class (``ocpp.v16`` or ``ocpp.v201``), it adds what
    the library lacks: a CALLERROR for every malformed CALL with the error names of the negotiated
    version (OCPP-J 1.6 §4.2.3; OCPP 2.0.1 Part 4 §4.3), a fast failure of the pending call when
    the answer is garbage, :class:`CallErrorSent` events, and :meth:`request` — one CALL with a
    deadline whose every failure is a :mod:`drivers.errors` type naming the charger.

    A session lives as long as its WebSocket; the charger's identity and open transactions are kept
    by the :class:`Csms16` server across reconnections. Subclasses set the class attributes below.
    """

    #: The OCPP version as the ``ocpp`` library names it (``"1.6"``, ``"2.0.1"``).
    ocpp_version: ClassVar[str] = "1.6"
    #: The WebSocket subprotocol this session class serves.
    subprotocol: ClassVar[str] = SUBPROTOCOL
    #: Every action of the version, to tell NotImplemented (unknown) from NotSupported (known).
    actions: ClassVar[type[Enum]] = Action
    #: Library error code → this version's wire spelling.
    callerror_names: ClassVar[Mapping[str, str]] = _CALLERROR_CODES_16

    # provided by ocpp.charge_point.ChargePoint
    route_map: dict[str, dict[str, Any]]
    _response_queue: asyncio.Queue[Any]
    _connection: Any

    def __init__(self, cp_id: str, connection: ServerConnection, csms: Csms16) -> None:
        super().__init__(cp_id, connection, response_timeout=csms.call_timeout_s + 5.0)  # type: ignore[call-arg]
        self.cp_id = cp_id
        self.label = charger_label(cp_id)
        self._csms = csms
        self._closed = asyncio.Event()
        self.close_code: int | None = None
        self.close_reason: str = ""
        # late vs silent: when a frame last arrived, the CALLs in flight (id → action, sent at) and
        # those given up on (id → action, sent at, deadline), whose answers may still come, late
        self.last_frame_at: float | None = None
        self.last_malformed_at: float | None = None  # a frame that did not unpack (a garbled answer?)
        self._in_flight: dict[str, tuple[str, float]] = {}
        self._given_up: dict[str, tuple[str, float, float]] = {}
        self.late_replies: list[ReplyLate] = []

    # ---- state ---------------------------------------------------------------------------

    @property
    def info(self) -> ChargerInfo | None:
        """What the charger reported in its last BootNotification (kept across reconnections)."""
        return self._csms.info(self.cp_id)

    @property
    def closed(self) -> bool:
        """Whether this WebSocket has gone."""
        return self._closed.is_set()

    def _mark_closed(self, code: int | None, reason: str) -> None:
        self.close_code, self.close_reason = code, reason
        self._closed.set()

    def _emit(self, event: CsmsEvent) -> None:
        self._csms._emit(event)

    # ---- version hooks -------------------------------------------------------------------

    def _unpack_error(self, error: OCPPError, message_type: Any) -> tuple[str, str]:
        """(code, description) for a frame the library could not unpack (1.6: the library's own,
        the code renamed on send)."""
        return str(error.code), str(error.description)

    def _bad_call_code(self, what: str) -> str:
        """Code for a CALL whose action (``what == "action"``) or payload has the wrong JSON type."""
        return FormationViolationError.code

    def _validation_error_code(self, error: OCPPError) -> str:
        """Code for a CALL that failed schema validation (1.6: the library's mapping, kept as the
        existing tests pin it)."""
        return str(error.code)

    # ---- frames in and out ---------------------------------------------------------------

    async def route_message(self, raw_msg: str | bytes) -> None:
        """Route one frame (see the module docstring for what is added to the library's routing).

        Every malformed CALL gets a CALLERROR; a malformed CALLRESULT/CALLERROR is not answered
        (OCPP-J 1.6 §4.2, OCPP 2.0.1 Part 4 §4.2: only a CALL is answered) but fails the pending
        call fast.
        """
        self.last_frame_at = asyncio.get_running_loop().time()
        try:
            msg = unpack(raw_msg)
        except OCPPError as error:
            self.last_malformed_at = self.last_frame_at
            mtype, uid = _salvage(raw_msg)
            text = raw_msg if isinstance(raw_msg, str) else repr(raw_msg)
            LOG.warning("%s: unparseable frame %.200s: %s", self.cp_id, text, error)
            if mtype in (MessageType.CallResult, MessageType.CallError):
                self._response_queue.put_nowait(
                    CallError(uid, "ProtocolError", f"malformed response frame: {error.description}", {})
                )
                return
            details = {k: v for k, v in error.details.items() if k != "ocpp_message"}
            code, description = self._unpack_error(error, mtype)
            await self._send_call_error(uid, code, description, details)
            return

        if msg.message_type_id != MessageType.Call:
            uid = msg.unique_id if isinstance(msg.unique_id, str) else ""
            self._in_flight.pop(uid, None)
            if uid in self._given_up:
                self._late(uid)
                return
            self._response_queue.put_nowait(msg)
            return
        if not isinstance(msg.action, str) or not isinstance(msg.payload, dict):
            what = "action" if not isinstance(msg.action, str) else "payload"
            await self._send_call_error(
                msg.unique_id if isinstance(msg.unique_id, str) else UNKNOWN_MESSAGE_ID,
                self._bad_call_code(what),
                f"CALL {what} has the wrong JSON type",
                {},
            )
            return
        if msg.action not in self.route_map or "_on_action" not in self.route_map[msg.action]:
            # OCPP-J 1.6 §4.2.3, OCPP 2.0.1 Part 4 §4.3: NotImplemented = action not known,
            # NotSupported = known, not supported.
            try:
                self.actions(msg.action)
            except ValueError:
                code, text = "NotImplemented", f"Requested Action {msg.action!r} is not known by receiver"
            else:
                code, text = "NotSupported", f"{msg.action} is recognized but not supported by this CSMS"
            await self._send_call_error(msg.unique_id, code, text, {})
            return
        try:
            await self._handle_call(msg)  # type: ignore[attr-defined]
        except OCPPError as error:
            details = {k: v for k, v in error.details.items() if k != "ocpp_message"}
            code = self._validation_error_code(error)
            await self._send(CallError(msg.unique_id, code, error.description, details).to_json())
        except ConnectionClosed:
            raise
        except Exception as error:  # never let one frame end the session
            LOG.exception("%s: error handling %s", self.cp_id, msg.action)
            await self._send(msg.create_call_error(error).to_json())

    async def _send_call_error(self, uid: str, code: str, description: str, details: dict[str, Any]) -> None:
        await self._send(CallError(uid, code, description, details).to_json())

    def _late(self, uid: str) -> None:
        """An answer to a CALL given up on arrived: record and report how late it was."""
        action, sent_at, deadline = self._given_up.pop(uid)
        delay = asyncio.get_running_loop().time() - sent_at
        late = ReplyLate(self.cp_id, action=action, delay_s=delay, deadline_s=deadline)
        self.late_replies.append(late)
        LOG.warning("%s: %s answered %.1f s after it was sent (deadline %g s)", self.cp_id, action, delay, deadline)
        self._emit(late)

    async def _send(self, message: str) -> None:
        """Send a frame; CALLERRORs get this version's error names and are reported as events."""
        if message.startswith("[2,"):
            try:
                frame = json.loads(message)
                self._in_flight[str(frame[1])] = (str(frame[2]), asyncio.get_running_loop().time())
            except (ValueError, IndexError, TypeError):
                LOG.exception("could not note CALL %s", message)
        if message.startswith("[4,"):
            try:
                frame = json.loads(message)
                frame[2] = self.callerror_names.get(frame[2], frame[2])
                if not isinstance(frame[4], dict):
                    frame[4] = {}
                message = json.dumps(frame, separators=(",", ":"), default=str)
                self._emit(
                    CallErrorSent(
                        self.cp_id,
                        detail=f"{frame[2]}: {frame[3]}",
                        unique_id=str(frame[1]),
                        error_code=frame[2],
                    )
                )
            except (ValueError, IndexError, TypeError):
                LOG.exception("could not normalise CALLERROR %s", message)
        await super()._send(message)  # type: ignore[misc]

    # ---- one command --------------------------------------------------------------------

    def _disconnected(self) -> Disconnected:
        return Disconnected(self.label, disconnect_detail(self.close_code, self.close_reason))

    def _no_answer(self, action: str, timeout: float, started: float) -> str:
        """Why ``action`` got no answer in time, as far as the wire tells: the post sent malformed
        frames meanwhile (garbled answers), other frames (it is alive: answering late or dropping this call) or nothing at all
        (connected but silent); with the late answers seen before on this connection. The CALL
        is remembered, so an answer arriving later is reported as late (``ReplyLate``)."""
        for uid, (name, sent_at) in list(self._in_flight.items()):
            if name == action and sent_at >= started:
                del self._in_flight[uid]
                self._given_up[uid] = (name, sent_at, timeout)
        if self.last_malformed_at is not None and self.last_malformed_at >= started:
            text = (f"{action} 应答报文错误 (no valid answer to {action} within {timeout:g} s: the post sent "
                    "malformed frames meanwhile — garbled answers; check the post's network and firmware)")
        elif self.last_frame_at is not None and self.last_frame_at >= started:
            text = (f"{action} 应答超时 (no answer to {action} within {timeout:g} s, though the post sent "
                    "other messages meanwhile — it answers late or dropped the command)")
        else:
            text = (f"{action} 无应答 (no answer within {timeout:g} s, nothing received from the post "
                    "meanwhile — connected but silent)")
        if self.late_replies:
            last = self.late_replies[-1]
            text += (f"; 此前应答迟到 (an earlier answer came late: {last.action} after {last.delay_s:.1f} s, "
                     f"deadline {last.deadline_s:g} s)")
        return text

    async def request(self, payload: Any, timeout_s: float | None = None) -> Any:
        """Send one CALL and return its CALLRESULT payload, within ``timeout_s`` (default: the
        CSMS's call timeout). Raises ``Disconnected`` (socket gone, also while waiting),
        ``DeviceTimeout``, ``DeviceRefused`` (CALLERROR NotImplemented/NotSupported) or
        ``ProtocolError`` (any other CALLERROR, or an answer failing the schema)."""
        action = type(payload).__name__
        if self.closed:
            raise self._disconnected()
        timeout = self._csms.call_timeout_s if timeout_s is None else timeout_s
        started = asyncio.get_running_loop().time()
        call_task = asyncio.ensure_future(self.call(payload, suppress=False))  # type: ignore[attr-defined]
        closed_task = asyncio.ensure_future(self._closed.wait())
        try:
            done, _ = await asyncio.wait(
                {call_task, closed_task}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            closed_task.cancel()
            if not call_task.done():
                call_task.cancel()
        if call_task not in done:
            if self.closed:
                raise self._disconnected()
            raise DeviceTimeout(self.label, self._no_answer(action, timeout, started))
        try:
            return call_task.result()
        except ConnectionClosed:
            raise self._disconnected() from None
        except TimeoutError:
            raise DeviceTimeout(self.label, f"{action} 无应答 (no answer within {timeout:g} s)") from None
        except OCPPError as error:
            code = getattr(error, "code", type(error).__name__)
            detail = f"{action}: CALLERROR {code} — {error.description} {error.details or ''}".rstrip()
            if code in ("NotImplemented", "NotSupported"):
                raise DeviceRefused(self.label, f"不支持 (not supported) {detail}") from None
            raise ProtocolError(self.label, detail) from None
        except (UnknownCallErrorCodeError, OcppValidationError, TypeError) as error:
            raise ProtocolError(self.label, f"{action}: invalid answer — {error}") from None

    # ---- the commands a ChargerLink needs, in 1.6 terms; each version implements them ------

    async def remote_start_transaction(self, id_tag: str, connector_id: int | None = 1) -> None:
        """Ask the charger to start a transaction for ``id_tag`` on ``connector_id`` (1.6
        RemoteStartTransaction §5.11; 2.0.1 RequestStartTransaction §F01); ``DeviceRefused`` unless
        Accepted. The transaction itself is reported later (:class:`TransactionStarted`)."""
        raise NotImplementedError

    async def remote_stop_transaction(self, transaction_id: int | str) -> None:
        """Ask the charger to stop a transaction (1.6 RemoteStopTransaction §5.12; 2.0.1
        RequestStopTransaction §F03); ``DeviceRefused`` unless Accepted."""
        raise NotImplementedError

    async def change_configuration(self, key: str, value: str) -> str:
        """Set one configuration value (1.6 ChangeConfiguration §5.3; 2.0.1 SetVariables §B05 with
        1.6 key names mapped); returns Accepted or RebootRequired, ``DeviceRefused`` otherwise."""
        raise NotImplementedError

    async def get_configuration(self, keys: Sequence[str] | None = None) -> ConfigurationSnapshot:
        """Read configuration values (1.6 GetConfiguration §5.8; 2.0.1 GetVariables §B06)."""
        raise NotImplementedError

    async def trigger_message(self, message: str, connector_id: int | None = None) -> None:
        """TriggerMessage (1.6 §5.17; 2.0.1 §F06) for a connector / EVSE; ``DeviceRefused`` unless
        Accepted. The triggered message arrives later as an ordinary request."""
        raise NotImplementedError


class ChargePointSession(SessionCore, _V16ChargePoint):
    """The CSMS side of one OCPP 1.6J charge point's WebSocket: handlers for the post's requests
    (OCPP 1.6 §4) and deadline-bound commands to it (§5) that raise :mod:`drivers.errors` types.

    A session lives as long as its WebSocket; the charger's identity and open transactions are kept
    by :class:`Csms16` across reconnections.
    """

    # ---- requests from the charge point (OCPP 1.6 §4) -------------------------------------

    @on(Action.boot_notification)
    def on_boot_notification(
        self, charge_point_vendor: str, charge_point_model: str, **kwargs: Any
    ) -> call_result.BootNotification:
        """BootNotification (§4.2): record identity, accept, give the heartbeat interval."""
        info = ChargerInfo(
            charger_id=self.cp_id,
            vendor=charge_point_vendor,
            model=charge_point_model,
            serial=kwargs.get("charge_point_serial_number") or kwargs.get("charge_box_serial_number"),
            firmware=kwargs.get("firmware_version"),
            meter_type=kwargs.get("meter_type"),
            meter_serial=kwargs.get("meter_serial_number"),
            protocol=SUBPROTOCOL,
        )
        self._csms._infos[self.cp_id] = info
        self._emit(ChargerConnected(self.cp_id, info=info, via_boot=True))
        return call_result.BootNotification(
            current_time=self._csms.give_time(self.cp_id),
            interval=self._csms.heartbeat_interval_s,
            status=RegistrationStatus.accepted,
        )

    @on(Action.heartbeat)
    def on_heartbeat(self, **kwargs: Any) -> call_result.Heartbeat:
        """Heartbeat (§4.6): the CSMS's current time."""
        return call_result.Heartbeat(current_time=self._csms.give_time(self.cp_id))

    @on(Action.status_notification)
    def on_status_notification(
        self, connector_id: int, error_code: str, status: str, **kwargs: Any
    ) -> call_result.StatusNotification:
        """StatusNotification (§4.9): record the connector's status."""
        ts_text = kwargs.get("timestamp")
        ts = _ts_or_callerror(ts_text, "timestamp") if ts_text is not None else None
        self._csms._status[(self.cp_id, connector_id)] = status
        self._emit(
            StatusChanged(
                self.cp_id,
                connector_id=connector_id,
                status=status,
                error_code=error_code,
                timestamp=ts,
                info=kwargs.get("info"),
                vendor_error_code=kwargs.get("vendor_error_code"),
            )
        )
        return call_result.StatusNotification()

    @on(Action.authorize)
    def on_authorize(self, id_tag: str, **kwargs: Any) -> call_result.Authorize:
        """Authorize (§4.1): Accepted for tags on the allow list (all tags when there is none)."""
        return call_result.Authorize(id_tag_info=IdTagInfo(status=self._csms._authorize(id_tag)))

    @on(Action.start_transaction)
    def on_start_transaction(
        self, connector_id: int, id_tag: str, meter_start: int, timestamp: str, **kwargs: Any
    ) -> call_result.StartTransaction:
        """StartTransaction (§4.8): assign a transaction id and record ``meterStart`` (Wh).

        A transaction id is returned even for a refused tag, as §4.8 requires; the post then ends it.
        A negative ``meterStart`` (the register counts up from zero, §6.47) is refused and logged
        before any transaction is opened (a CALLERROR; a non-integer one the schema already refuses).
        """
        ts = _ts_or_callerror(timestamp, "timestamp")
        meter_start_wh = register_wh(self.cp_id, "StartTransaction meterStart", meter_start)
        status = self._csms._authorize(id_tag)
        tx_id = self._csms._next_transaction_id()
        event = TransactionStarted(
            self.cp_id,
            transaction_id=tx_id,
            connector_id=connector_id,
            id_tag=id_tag,
            meter_start_wh=meter_start_wh,
            timestamp=ts,
            authorized=status == AuthorizationStatus.accepted,
        )
        if event.authorized:
            self._csms._open_tx.setdefault(self.cp_id, {})[tx_id] = event
        self._emit(event)
        return call_result.StartTransaction(transaction_id=tx_id, id_tag_info=IdTagInfo(status=status))

    @on(Action.stop_transaction)
    def on_stop_transaction(
        self, meter_stop: int, timestamp: str, transaction_id: int, **kwargs: Any
    ) -> call_result.StopTransaction:
        """StopTransaction (§4.10): record ``meterStop`` (Wh) and the transaction data.

        Accepted even for an unknown transaction id, so that the post can clear its queue (§4.10).
        A negative ``meterStop`` is refused and logged (a CALLERROR) before the transaction is closed
        or any of its data is taken.
        """
        ts = _ts_or_callerror(timestamp, "timestamp")
        meter_stop_wh = register_wh(self.cp_id, "StopTransaction meterStop", meter_stop)
        started = self._csms._open_tx.get(self.cp_id, {}).pop(transaction_id, None)
        connector = started.connector_id if started else None
        readings = parse_meter_values(
            self.cp_id,
            kwargs.get("transaction_data") or [],
            connector_id=connector,
            transaction_id=transaction_id,
        )
        for reading in readings:
            self._emit(reading)
        id_tag = kwargs.get("id_tag")
        self._emit(
            TransactionStopped(
                self.cp_id,
                transaction_id=transaction_id,
                meter_stop_wh=meter_stop_wh,
                reason=kwargs.get("reason"),
                timestamp=ts,
                id_tag=id_tag,
            )
        )
        info = IdTagInfo(status=self._csms._authorize(id_tag)) if id_tag else None
        return call_result.StopTransaction(id_tag_info=info)

    @on(Action.meter_values)
    def on_meter_values(
        self, connector_id: int, meter_value: list[dict[str, Any]], **kwargs: Any
    ) -> call_result.MeterValues:
        """MeterValues (§4.7): every sampled value becomes a :class:`MeterReading` event."""
        readings = parse_meter_values(
            self.cp_id, meter_value, connector_id=connector_id, transaction_id=kwargs.get("transaction_id")
        )
        for reading in readings:
            self._emit(reading)
        return call_result.MeterValues()

    @on(Action.data_transfer)
    def on_data_transfer(self, vendor_id: str, **kwargs: Any) -> call_result.DataTransfer:
        """DataTransfer (§4.3): this CSMS knows no vendor extensions."""
        return call_result.DataTransfer(status=DataTransferStatus.unknown_vendor_id)

    @on(Action.diagnostics_status_notification)
    def on_diagnostics_status_notification(self, status: str, **kwargs: Any) -> Any:
        """DiagnosticsStatusNotification (§4.4): acknowledged."""
        return call_result.DiagnosticsStatusNotification()

    @on(Action.firmware_status_notification)
    def on_firmware_status_notification(self, status: str, **kwargs: Any) -> Any:
        """FirmwareStatusNotification (§4.5): acknowledged."""
        return call_result.FirmwareStatusNotification()

    # ---- commands to the charge point (OCPP 1.6 §5) ---------------------------------------

    async def remote_start_transaction(self, id_tag: str, connector_id: int | None = 1) -> None:
        """RemoteStartTransaction (§5.11); ``DeviceRefused`` unless Accepted."""
        res = await self.request(call.RemoteStartTransaction(id_tag=id_tag, connector_id=connector_id))
        if res.status != RemoteStartStopStatus.accepted:
            raise DeviceRefused(
                self.label,
                f"RemoteStartTransaction {res.status} (connector {connector_id}, idTag {id_tag}) — "
                "拒绝远程启动: 检查充电枪是否已插好、是否已有交易 (check the plug and any running transaction)",
            )

    async def remote_stop_transaction(self, transaction_id: int | str) -> None:
        """RemoteStopTransaction (§5.12); ``DeviceRefused`` unless Accepted. 1.6 transaction ids are
        integers; a string is converted (``ProtocolError`` when it is not an integer)."""
        try:
            tx_id = int(transaction_id)
        except ValueError:
            raise ProtocolError(self.label, f"OCPP 1.6 transaction id must be an integer, not {transaction_id!r}") from None
        res = await self.request(call.RemoteStopTransaction(transaction_id=tx_id))
        if res.status != RemoteStartStopStatus.accepted:
            raise DeviceRefused(
                self.label, f"RemoteStopTransaction {res.status} (transaction {transaction_id})"
            )

    async def change_configuration(self, key: str, value: str) -> str:
        """ChangeConfiguration (§5.3); returns Accepted or RebootRequired, ``DeviceRefused`` for
        Rejected/NotSupported."""
        res = await self.request(call.ChangeConfiguration(key=key, value=str(value)))
        if res.status not in (ConfigurationStatus.accepted, ConfigurationStatus.reboot_required):
            raise DeviceRefused(self.label, f"ChangeConfiguration {key}={value}: {res.status}")
        return str(res.status)

    async def get_configuration(self, keys: Sequence[str] | None = None) -> ConfigurationSnapshot:
        """GetConfiguration (§5.8) for ``keys`` (all keys when ``None``)."""
        res = await self.request(call.GetConfiguration(key=list(keys) if keys else None))
        values: dict[str, str | None] = {}
        readonly: set[str] = set()
        for item in res.configuration_key or []:
            values[item["key"]] = item.get("value")
            if item.get("readonly"):
                readonly.add(item["key"])
        return ConfigurationSnapshot(values, frozenset(readonly), tuple(res.unknown_key or ()))

    async def trigger_message(self, message: MessageTrigger | str, connector_id: int | None = None) -> None:
        """TriggerMessage (§5.17); ``DeviceRefused`` unless Accepted. The triggered message itself
        arrives later as an ordinary request (use :meth:`Csms16.expect` before calling)."""
        res = await self.request(
            call.TriggerMessage(requested_message=MessageTrigger(message), connector_id=connector_id)
        )
        if res.status != TriggerMessageStatus.accepted:
            raise DeviceRefused(self.label, f"TriggerMessage {message}: {res.status}")


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


def normalise_subprotocol(version: str) -> str:
    """``"1.6"``, ``"ocpp16"``, ``"ocpp1.6j"`` → ``"ocpp1.6"``; ``"2.0.1"``, ``"ocpp201"`` →
    ``"ocpp2.0.1"`` (the WebSocket subprotocol names of OCPP-J 1.6 §3.1 / OCPP 2.0.1 Part 4 §3.1.2)."""
    text = str(version).strip().lower().removeprefix("ocpp").removesuffix("j").replace("v", "")
    return {"1.6": "ocpp1.6", "16": "ocpp1.6", "2.0.1": "ocpp2.0.1", "201": "ocpp2.0.1"}.get(
        text, str(version)
    )


class Csms16:
    """A local OCPP central system on ``ws://host:port/<chargePointId>`` (``wss://`` with TLS).

    The class itself serves OCPP 1.6J only; :class:`drivers.ocpp.csms.Csms` registers OCPP 2.0.1
    as well. Per connection the WebSocket subprotocol is negotiated from ``versions`` (the
    server's preference order, RFC 6455 §4.2.2: the server picks one the client offered) and the
    session class of :attr:`SESSION_CLASSES` for it serves the connection.

    ``on_event`` receives every :class:`CsmsEvent` synchronously on the event loop (keep it short;
    exceptions are logged, never propagated). More listeners can :meth:`subscribe`. Charger
    identity, connector status and open transactions survive WebSocket reconnections.

    Security (see :mod:`drivers.ocpp.security`): with ``credentials`` (charge point id →
    password) every handshake must carry HTTP Basic credentials whose username is the charge point
    id (profile 1); with ``ssl_context`` the server speaks TLS (profile 2 together with
    credentials). A refused handshake is answered 401, logged and emitted as :class:`ChargerRejected`.
    """

    #: Subprotocol → session class, in the server's order of preference.
    SESSION_CLASSES: ClassVar[Mapping[str, type[SessionCore]]] = {SUBPROTOCOL: ChargePointSession}

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 9000,
        on_event: Callable[[CsmsEvent], None] | None = None,
        *,
        call_timeout_s: float = 10.0,
        heartbeat_interval_s: int = 60,
        accepted_id_tags: Collection[str] | None = None,
        strict_subprotocol: bool = True,
        versions: Sequence[str] | None = None,
        ssl_context: ssl.SSLContext | None = None,
        credentials: Mapping[str, str] | None = None,
        auth_realm: str = "OCPP",
    ) -> None:
        self.host = host
        self.port = port
        self.call_timeout_s = call_timeout_s
        self.heartbeat_interval_s = heartbeat_interval_s
        self.accepted_id_tags = None if accepted_id_tags is None else frozenset(accepted_id_tags)
        self.strict_subprotocol = strict_subprotocol
        chosen = [normalise_subprotocol(v) for v in (versions or list(self.SESSION_CLASSES))]
        unknown = [v for v in chosen if v not in self.SESSION_CLASSES]
        if unknown or not chosen:
            raise ValueError(
                f"{type(self).__name__} speaks {', '.join(self.SESSION_CLASSES)}; not {unknown or 'nothing'}"
            )
        self.subprotocols: tuple[str, ...] = tuple(dict.fromkeys(chosen))
        self.ssl_context = ssl_context
        self.credentials: Mapping[str, str] | None = None if credentials is None else dict(credentials)
        self.auth_realm = auth_realm
        self._on_event = on_event
        self._listeners: list[Callable[[CsmsEvent], None]] = []
        self._expectations: set[Expectation] = set()
        self._server: Server | None = None
        self._sessions: dict[str, SessionCore] = {}
        self._infos: dict[str, ChargerInfo] = {}
        self._status: dict[tuple[str, int], str] = {}
        self._open_tx: dict[str, dict[int | str, TransactionStarted]] = {}
        self._tx_seq: dict[tuple[str, str], int] = {}
        self._last_close: dict[str, tuple[int | None, str]] = {}
        self._tx_counter = int(time.time()) % 1_000_000_000
        self.admitting = True
        self.clock: Callable[[], datetime] = _utcnow
        self._time_given: dict[str, datetime] = {}
        self._early_stamps: dict[str, list[EarlyTimestamp]] = {}

    # ---- life cycle ------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether the server is listening."""
        return self._server is not None

    @property
    def url(self) -> str:
        """Base URL chargers are configured with (append ``/<chargePointId>``); ``wss`` with TLS."""
        return f"{'wss' if self.ssl_context is not None else 'ws'}://{self.host}:{self.port}"

    async def start(self) -> None:
        """Listen; port 0 picks an ephemeral port, published in :attr:`port`. Idempotent."""
        if self._server is not None:
            return
        try:
            self._server = await serve(
                self._serve_connection,
                self.host,
                self.port,
                subprotocols=[Subprotocol(p) for p in self.subprotocols],
                select_subprotocol=self._select_subprotocol,
                process_request=self._process_request,
                ssl=self.ssl_context,
            )
        except OSError as exc:
            raise Disconnected(
                f"CSMS {self.host}:{self.port}",
                f"cannot listen (端口被占用或地址无效 — port in use or bad address): {exc}",
            ) from exc
        self.port = self._server.sockets[0].getsockname()[1]
        LOG.info(
            "OCPP CSMS (%s%s) listening on %s",
            ", ".join(self.subprotocols),
            ", Basic auth" if self.credentials is not None else "",
            self.url,
        )

    async def stop(self) -> None:
        """Close every charger connection and stop listening. Never raises."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), timeout=5.0)

    # ---- the chargers' clocks as found --------------------------------------------------------

    def hold(self) -> None:
        """Answer no charger's handshake (HTTP 503, the post retries) until :meth:`admit`: the
        workstation reads a post's clock as found before anything of ours can set it (every
        BootNotification and Heartbeat answer carries our current time, OCPP 1.6 §4.2/§4.6,
        2.0.1 §B01/§G02, and many posts set their clock from it)."""
        self.admitting = False

    def admit(self) -> None:
        """Answer chargers' handshakes again (see :meth:`hold`)."""
        self.admitting = True

    def give_time(self, cp_id: str) -> str:
        """Our current time for a BootNotification or Heartbeat answer to ``cp_id`` (OCPP
        ``currentTime``), remembering when ``cp_id`` first received it."""
        now = _utcnow()
        self._time_given.setdefault(cp_id, now)
        return iso8601(now)

    def time_given(self, cp_id: str) -> datetime | None:
        """When this CSMS first gave ``cp_id`` its time (None: never — its clock is as found)."""
        return self._time_given.get(cp_id)

    def early_timestamps(self, cp_id: str) -> list[EarlyTimestamp]:
        """The charger timestamps ``cp_id`` sent before this CSMS gave it any time, in arrival
        order, each paired with :attr:`clock` (the time standard) at its arrival."""
        return list(self._early_stamps.get(cp_id, ()))

    def _note_timestamp(self, event: CsmsEvent) -> None:
        """Keep a charger timestamp that arrived before we gave the charger our time."""
        ts = getattr(event, "timestamp", None)
        if isinstance(ts, datetime) and event.cp_id not in self._time_given:
            message = _MESSAGE_OF_EVENT.get(type(event).__name__, type(event).__name__)
            self._early_stamps.setdefault(event.cp_id, []).append(EarlyTimestamp(message, ts, self.clock()))

    # ---- queries ---------------------------------------------------------------------------

    def connected(self, cp_id: str) -> SessionCore | None:
        """The open session of ``cp_id``, or ``None``."""
        session = self._sessions.get(cp_id)
        return session if session is not None and not session.closed else None

    def info(self, cp_id: str) -> ChargerInfo | None:
        """Identity from the charger's last BootNotification, if any."""
        return self._infos.get(cp_id)

    def status(self, cp_id: str, connector_id: int) -> str | None:
        """Last reported status of a connector."""
        return self._status.get((cp_id, connector_id))

    def open_transactions(self, cp_id: str) -> list[TransactionStarted]:
        """Transactions started and not yet stopped on ``cp_id``."""
        return list(self._open_tx.get(cp_id, {}).values())

    def last_close(self, cp_id: str) -> tuple[int | None, str] | None:
        """(close code, reason) of the charger's last lost WebSocket."""
        return self._last_close.get(cp_id)

    async def wait_for(self, cp_id: str, timeout_s: float) -> SessionCore:
        """Wait until ``cp_id`` has an open WebSocket; ``DeviceTimeout`` after ``timeout_s``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            with self.expect(cp_id, lambda e: isinstance(e, ChargerSocketOpened)) as exp:
                session = self.connected(cp_id)
                if session is not None:
                    return session
                with contextlib.suppress(Disconnected):  # an old socket closing meanwhile
                    await exp.wait(
                        max(0.0, deadline - loop.time()),
                        f"WebSocket connection (充电桩未连接 — set its CSMS URL to {self.url}/{cp_id})",
                    )

    # ---- events ----------------------------------------------------------------------------

    def subscribe(self, listener: Callable[[CsmsEvent], None]) -> Callable[[], None]:
        """Add an event listener; returns the function that removes it."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            """Remove the listener (idempotent)."""
            with contextlib.suppress(ValueError):
                self._listeners.remove(listener)

        return unsubscribe

    def expect(
        self,
        cp_id: str,
        predicate: Callable[[CsmsEvent], bool],
        *,
        stamp: Callable[[], datetime] | None = None,
    ) -> Expectation:
        """Start waiting for an event of ``cp_id`` (see :class:`Expectation`)."""
        exp = Expectation(self, cp_id, predicate, stamp)
        self._expectations.add(exp)
        return exp

    def _emit(self, event: CsmsEvent) -> None:
        self._note_timestamp(event)
        for exp in list(self._expectations):
            exp.offer(event)
        for listener in ([self._on_event] if self._on_event else []) + list(self._listeners):
            try:
                listener(event)
            except Exception:
                LOG.exception("CSMS event listener failed on %s", type(event).__name__)

    # ---- helpers ---------------------------------------------------------------------------

    def _authorize(self, id_tag: str) -> AuthorizationStatus:
        if self.accepted_id_tags is None or id_tag in self.accepted_id_tags:
            return AuthorizationStatus.accepted
        return AuthorizationStatus.invalid

    def _next_transaction_id(self) -> int:
        self._tx_counter += 1
        return self._tx_counter

    @staticmethod
    def _cp_id_from_path(path: str) -> str:
        return unquote(urlsplit(path).path.rstrip("/").rsplit("/", 1)[-1])

    @staticmethod
    def _remote(connection: ServerConnection) -> str:
        remote = connection.remote_address
        return f"{remote[0]}:{remote[1]}" if remote else "?"

    def _reject(self, cp_id: str, path: str, reason: str, status: int, remote: str) -> None:
        LOG.warning("handshake of %r from %s refused (HTTP %d): %s", cp_id or path, remote, status, reason)
        self._emit(ChargerRejected(cp_id, path=path, reason=reason, status=status, remote=remote))

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        """Before the WebSocket upgrade: the URL must name a charge point (OCPP-J 1.6 §3.1.1,
        OCPP 2.0.1 Part 4 §3.1.1), and with :attr:`credentials` its HTTP Basic credentials must be
        right (OCPP 1.6 Security Whitepaper §2.1, OCPP 2.0.1 A00.FR.201–206) — else 401 with a
        ``WWW-Authenticate: Basic`` challenge (RFC 7617). Credentials are checked before a held
        CSMS answers 503, so that an impostor is refused and logged from its first attempt."""
        cp_id = self._cp_id_from_path(request.path)
        remote = self._remote(connection)
        if not cp_id:
            reason = "URL 中缺少充电桩编号 (no charge point id in the URL path)"
            self._reject("", request.path, reason, 404, remote)
            return connection.respond(404, "OCPP-J: ws://host:port/<chargePointId>\n")
        if self.credentials is not None:
            result = check_basic_auth(self.credentials, cp_id, request.headers.get("Authorization"))
            if not result.ok:
                self._reject(cp_id, request.path, result.reason, 401, remote)
                response = connection.respond(401, "OCPP: HTTP Basic authentication failed\n")
                response.headers["WWW-Authenticate"] = build_www_authenticate_basic(self.auth_realm)
                return response
        if not self.admitting:
            LOG.info("%s from %s held (HTTP 503): its clock is read as found first", cp_id, remote)
            response = connection.respond(503, "OCPP: the workstation reads the clock first; retry shortly\n")
            response.headers["Retry-After"] = "1"
            return response
        return None

    def _select_subprotocol(
        self, connection: ServerConnection, subprotocols: Sequence[Subprotocol]
    ) -> Subprotocol | None:
        """The first of the server's :attr:`subprotocols` the client offered; without one, 400
        (OCPP-J 1.6 §3.1.2, OCPP 2.0.1 Part 4 §3.1.2) unless ``strict_subprotocol`` is off, in
        which case the connection is served as the server's 1.6 (or first) version."""
        for candidate in self.subprotocols:
            if candidate in subprotocols:
                return Subprotocol(candidate)
        path = connection.request.path if connection.request else ""
        if not self.strict_subprotocol:
            LOG.warning(
                "%s offered subprotocols %s; accepting without one of %s",
                path,
                list(subprotocols),
                list(self.subprotocols),
            )
            return None
        wanted = " / ".join(self.subprotocols)
        reason = f"未提供子协议 {wanted} (offered {list(subprotocols) or 'none'})"
        self._reject(self._cp_id_from_path(path), path, reason, 400, self._remote(connection))
        raise NegotiationError(f"expected subprotocol {wanted}")

    def _session_class(self, subprotocol: str | None) -> type[SessionCore]:
        if subprotocol in self.SESSION_CLASSES:
            return self.SESSION_CLASSES[subprotocol]
        fallback = SUBPROTOCOL if SUBPROTOCOL in self.subprotocols else self.subprotocols[0]
        return self.SESSION_CLASSES[fallback]

    async def _serve_connection(self, ws: ServerConnection) -> None:
        cp_id = self._cp_id_from_path(ws.request.path if ws.request else "")
        old = self._sessions.get(cp_id)
        session_class = self._session_class(ws.subprotocol)
        session = session_class(cp_id, ws, self)
        self._sessions[cp_id] = session
        if old is not None and not old.closed:
            LOG.warning("%s: new connection replaces the old one", cp_id)
            await old._connection.close(1000, "replaced by a new connection")
        self._emit(ChargerSocketOpened(cp_id, remote=self._remote(ws), subprotocol=ws.subprotocol))
        known = self._infos.get(cp_id)
        if known is not None:
            if known.protocol != session_class.subprotocol:  # came back speaking another version
                known = self._infos[cp_id] = replace(known, protocol=session_class.subprotocol)
            self._emit(ChargerConnected(cp_id, info=known, via_boot=False))
        code: int | None = None
        reason = ""
        try:
            await session.start()
        except ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd is not None else 1006
            reason = exc.rcvd.reason if exc.rcvd is not None else ""
        except Exception:
            LOG.exception("%s: session failed", cp_id)
            code, reason = 1011, "CSMS internal error"
        finally:
            session._mark_closed(code if code is not None else ws.close_code, reason)
            replaced = self._sessions.get(cp_id) is not session
            if not replaced:
                del self._sessions[cp_id]
                self._last_close[cp_id] = (session.close_code, reason)
            self._emit(ChargerDisconnected(cp_id, code=session.close_code, reason=reason, replaced=replaced))
