"""AC charging-post twin: an OCPP 1.6J or 2.0.1 charge point whose meter is ``rig.dut`` of a shared :class:`Rig`.

It connects to a CSMS as a real post does (``ws://…/<chargePointId>``, subprotocol ``ocpp1.6`` or
``ocpp2.0.1`` by ``ocpp_version``; ``wss://`` and HTTP Basic credentials for security profiles 1
and 2 — OCPP 1.6 Security Whitepaper §2, OCPP 2.0.1 Part 2 §A00) and behaves like one.

OCPP 1.6J (default):

* BootNotification with vendor, model, serial, firmware, meter type and meter serial (OCPP 1.6
  §4.2), StatusNotification per connector (§4.9), Heartbeat at the interval the CSMS grants (§4.6);
* RemoteStartTransaction (§5.11) → Accepted, Authorize (§4.1, when ``AuthorizeRemoteTxRequests``),
  contactor closed, StartTransaction with ``meterStart`` = register in Wh (§4.8), ``Charging``;
* MeterValues every ``MeterValueSampleInterval`` seconds of *real* time during a transaction
  (§4.7, §9.1), with the measurands of ``MeterValuesSampledData``; the energy register at display
  resolution (1 Wh = 0.001 kWh, truncated as a meter display does), in kWh or Wh;
* RemoteStopTransaction (§5.12) → contactor opened, StopTransaction (reason ``Remote``, meterStop in
  Wh, transactionData), ``Finishing`` then ``Available``;
* Change/GetConfiguration (§5.3, §5.8) on a small configuration store (§9.1 keys), TriggerMessage
  (§5.17) for MeterValues, StatusNotification, Heartbeat, BootNotification.

OCPP 2.0.1 (``ocpp_version="2.0.1"``, OCPP 2.0.1 Part 2):

* BootNotification with ``chargingStation{model, vendorName, serialNumber, firmwareVersion}``
  (§B01), StatusNotification per EVSE/connector (§G01, Available/Occupied), Heartbeat (§G02);
* RequestStartTransaction (§F01) → Accepted, Authorize when ``AuthCtrlr.AuthorizeRemoteStart``,
  contactor closed, TransactionEvent ``Started`` (triggerReason RemoteStart, the idToken,
  ``remoteStartId``, the register as a ``Transaction.Begin`` sample of
  ``SampledDataCtrlr.TxStartedMeasurands``);
* TransactionEvent ``Updated`` (triggerReason MeterValuePeriodic) every
  ``SampledDataCtrlr.TxUpdatedInterval`` seconds with ``TxUpdatedMeasurands`` — energy register in
  Wh or kWh through ``unitOfMeasure`` (optionally with a ``multiplier``), Power, Current, Voltage;
* RequestStopTransaction (§F03) → TransactionEvent ``Ended`` (triggerReason RemoteStop,
  stoppedReason Remote, the final register as ``Transaction.End``), then Available;
* SetVariables / GetVariables (§B05/B06) on a small device model (``SampledDataCtrlr.*``,
  ``AlignedDataCtrlr.*``, ``OCPPCommCtrlr.HeartbeatInterval``, ``AuthCtrlr.AuthorizeRemoteStart``),
  TriggerMessage (§F06) for MeterValues, TransactionEvent, StatusNotification, Heartbeat,
  BootNotification.

Signed meter values, both versions: with ``meter_value_signer`` set, every
``Energy.Active.Import.Register`` sample in context Transaction.Begin, Transaction.End or Trigger
also carries its signed form — 1.6: an extra sampled value ``format = SignedData`` whose ``value``
is the string the signer returns; 2.0.1: ``signedMeterValue`` = the dict it returns (when
``SampledDataCtrlr.SignReadings`` is true, its default with a signer). The signer receives a dict
``{"wh", "time", "context", "id_tag", "transaction_id", "connector_id", "measurand", "unit",
"value", "charge_point_id", "meter_serial", "ocpp_version"}`` (``wh`` the register in Wh at display
resolution, ``time`` the post's clock as a ``datetime``, the same instant as the sample's timestamp).

Its clock is real UTC plus ``clock_offset_s`` (never accelerated: a procedure checks it against a
time standard; ``clock_rate_error_pct`` makes it run fast or slow); only the rig's energy may run
accelerated. With ``adopt_csms_time`` it sets its clock from the ``currentTime`` of every
BootNotification and Heartbeat answer, as many posts do — the reason the clock item reads the
display first. Its screen (:meth:`AcPostTwin.display`, :meth:`AcPostTwin.display_clock`) shows
the session energy, price, amount and charging duration, and the time of day in whole seconds in
the post's ``display_timezone``. With ``boot_on_connect`` off it behaves as a post that was already
running when it connects (a reconnect): StatusNotification (with its timestamp) first, a
BootNotification only when the CSMS triggers one.

Faults on demand: :meth:`AcPostTwin.drop_connection` (abort the TCP connection, reconnect after
``faults.reconnect_after_s`` unless ``faults.reconnect`` is off — then :meth:`reconnect_now`),
:meth:`AcPostTwin.send_malformed` (a raw invalid frame, to see the CSMS's CALLERROR), and the flags
of :class:`AcPostFaults` (``silent``: ignore CALLs; ``response_delay_s``; ``reject_remote_start``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import math
import ssl
import sys
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote
from zoneinfo import ZoneInfo

from ocpp.exceptions import OCPPError
from ocpp.routing import after, on
from ocpp.v16 import ChargePoint as _V16ChargePoint
from ocpp.v16 import call, call_result
from ocpp.v16.enums import (
    Action,
    AuthorizationStatus,
    ChargePointErrorCode,
    ChargePointStatus,
    ConfigurationStatus,
    MessageTrigger,
    Reason,
    RegistrationStatus,
    RemoteStartStopStatus,
    TriggerMessageStatus,
)
from ocpp.v201 import ChargePoint as _V201ChargePoint
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as call_result201
from ocpp.v201.enums import Action as Action201
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.headers import build_authorization_basic

from hardware_sim.faults import FaultScheduler, parse_fault_option
from hardware_sim.ocmf_signer import PAGE_PER, OcmfSigner
from hardware_sim.physics import Rig
from hardware_sim.wire import add_fault_option, broken_frame

LOG = logging.getLogger(__name__)

ENERGY_REGISTER = "Energy.Active.Import.Register"
SUPPORTED_MEASURANDS = (
    ENERGY_REGISTER,
    "Power.Active.Import",
    "Current.Import",
    "Voltage",
)
OCPP_VERSIONS = ("1.6", "2.0.1")
# Readings a signing meter signs (begin, end and on request; OCMF TX B/E/T).
SIGNED_CONTEXTS = frozenset({"Transaction.Begin", "Transaction.End", "Trigger"})

MeterValueSigner = Callable[[dict[str, Any]], dict[str, Any] | str]
"""The signing hook: reading dict (see the module docstring) → signed form (1.6 value string or
2.0.1 ``signedMeterValue`` dict; the other type is adapted)."""


def _iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


@dataclass
class AcPostFaults:
    """Faults of the twin, mutable while it runs.

    ``silent``: incoming CALLs are ignored (the CSMS's calls time out). ``response_delay_s``: CALLs
    are answered this late. ``reject_remote_start``: RemoteStartTransaction → Rejected.
    ``reconnect``/``reconnect_after_s``: what happens after the connection is lost.
    ``reboot_on_reconnect``: send a BootNotification again after a reconnect (a real post only does
    after a reboot). ``garbled_replies``: the next k answers to the CSMS's CALLs arrive broken, as
    ``garbage_kind`` says (``noise``: not JSON; ``truncated``: the first half of the frame;
    ``length``: one character lost mid-frame). ``stuck_meter_wh``: MeterValues report this energy
    register (Wh) whatever the meter counts (a hung metering board; the display still counts).
    """

    silent: bool = False
    response_delay_s: float = 0.0
    reject_remote_start: bool = False
    reconnect: bool = True
    reconnect_after_s: float = 1.0
    reboot_on_reconnect: bool = False
    amount_error_yuan: float = 0.0  # billing error shown on the display (付费金额误差)
    no_current: bool = False  # the contactor closes but the post delivers no current (a tripped output)
    garbled_replies: int = 0
    garbage_kind: str = "noise"
    stuck_meter_wh: int | None = None


@dataclass
class _ConfigEntry:
    value: str
    readonly: bool = False
    kind: str = "int"  # int | bool | csl | str


def _default_config() -> dict[str, _ConfigEntry]:
    return {
        "HeartbeatInterval": _ConfigEntry("60"),
        "MeterValueSampleInterval": _ConfigEntry("10"),
        "MeterValuesSampledData": _ConfigEntry(",".join(SUPPORTED_MEASURANDS), kind="csl"),
        "StopTxnSampledData": _ConfigEntry("Energy.Active.Import.Register", kind="csl"),
        "ClockAlignedDataInterval": _ConfigEntry("0"),
        "MeterValuesAlignedData": _ConfigEntry("Energy.Active.Import.Register", kind="csl"),
        "StopTxnAlignedData": _ConfigEntry("", kind="csl"),
        "AuthorizeRemoteTxRequests": _ConfigEntry("true", kind="bool"),
        "ConnectionTimeOut": _ConfigEntry("60"),
        "WebSocketPingInterval": _ConfigEntry("0"),
        "NumberOfConnectors": _ConfigEntry("1", readonly=True),
        "SupportedFeatureProfiles": _ConfigEntry("Core,RemoteTrigger", readonly=True, kind="str"),
        "MeterValuesSampledDataMaxLength": _ConfigEntry("4", readonly=True),
    }


def _default_variables(signing: bool) -> dict[tuple[str, str], _ConfigEntry]:
    """The 2.0.1 device-model variables the twin implements (Part 2 Appendix 3 names)."""
    all_measurands = ",".join(SUPPORTED_MEASURANDS)
    return {
        ("SampledDataCtrlr", "TxUpdatedInterval"): _ConfigEntry("10"),
        ("SampledDataCtrlr", "TxUpdatedMeasurands"): _ConfigEntry(all_measurands, kind="csl"),
        ("SampledDataCtrlr", "TxStartedMeasurands"): _ConfigEntry(ENERGY_REGISTER, kind="csl"),
        ("SampledDataCtrlr", "TxEndedMeasurands"): _ConfigEntry(ENERGY_REGISTER, kind="csl"),
        ("SampledDataCtrlr", "TxEndedInterval"): _ConfigEntry("0"),
        ("SampledDataCtrlr", "SignReadings"): _ConfigEntry("true" if signing else "false", kind="bool"),
        ("AlignedDataCtrlr", "Interval"): _ConfigEntry("0"),
        ("AlignedDataCtrlr", "Measurands"): _ConfigEntry(all_measurands, kind="csl"),
        ("AlignedDataCtrlr", "TxEndedMeasurands"): _ConfigEntry("", kind="csl"),
        ("OCPPCommCtrlr", "HeartbeatInterval"): _ConfigEntry("60"),
        ("OCPPCommCtrlr", "WebSocketPingInterval"): _ConfigEntry("0"),
        ("AuthCtrlr", "AuthorizeRemoteStart"): _ConfigEntry("true", kind="bool"),
        ("DeviceDataCtrlr", "ItemsPerMessage"): _ConfigEntry("4", readonly=True),
    }


def _validated(entry: _ConfigEntry, value: str) -> str | None:
    """``value`` normalised for ``entry``'s kind, or ``None`` when it is not acceptable."""
    if entry.kind == "int":
        try:
            number = int(value)
        except ValueError:
            return None
        return str(number) if number >= 0 else None
    if entry.kind == "bool":
        return value.lower() if value.lower() in ("true", "false") else None
    if entry.kind == "csl":
        items = [v.strip() for v in value.split(",") if v.strip()]
        return ",".join(items) if all(v in SUPPORTED_MEASURANDS for v in items) else None
    return value


@dataclass(frozen=True)
class PostDisplay:
    """The post's screen: session energy (kWh, 0.001 resolution), unit price and amount (元), the
    charging duration (whole seconds of the post's own clock) and, for time-of-use billing, the
    session's energy per tariff period with its price, and the service fee rate (元/kWh)."""

    session_kwh: float
    price_yuan_per_kwh: float
    amount_yuan: float
    duration_s: int = 0
    periods: tuple[tuple[str, float, float], ...] = ()  # (period name, kWh, 元/kWh)
    service_fee_yuan_per_kwh: float = 0.0


@dataclass
class _Transaction:
    transaction_id: int | str
    connector_id: int
    id_tag: str
    meter_start_wh: int
    remote_start_id: int | None = None
    seq_no: int = -1

    def next_seq(self) -> int:
        """The next 2.0.1 TransactionEvent ``seqNo`` (0 for Started, +1 per message, §E)."""
        self.seq_no += 1
        return self.seq_no


class _FaultyRouting:
    """Frame routing of both charge-point classes with the twin's faults applied."""

    id: str
    _twin: AcPostTwin

    async def route_message(self, raw_msg: str | bytes) -> None:
        """Apply the ``silent``/``response_delay_s`` faults, record CALLERRORs, then route."""
        frame: Any = None
        with contextlib.suppress(ValueError, TypeError):
            frame = json.loads(raw_msg)
        is_call = isinstance(frame, list) and frame[:1] == [2]
        if is_call:
            self._twin.calls_received += 1
        if isinstance(frame, list) and frame[:1] == [4]:
            self._twin._call_error_received(frame)
        if is_call and self._twin.faults.silent:
            LOG.info("%s: silent fault, ignoring %s", self.id, raw_msg)
            return
        if is_call and self._twin.faults.response_delay_s > 0:
            self._twin._spawn(self._delayed(raw_msg, self._twin.faults.response_delay_s))
            return
        await super().route_message(raw_msg)  # type: ignore[misc]

    async def _delayed(self, raw_msg: str | bytes, delay_s: float) -> None:
        await asyncio.sleep(delay_s)
        await super().route_message(raw_msg)  # type: ignore[misc]

    async def _send(self, message: str) -> None:
        """Send a frame; an answer (CALLRESULT/CALLERROR) goes out broken while ``garbled_replies``
        lasts."""
        faults = self._twin.faults
        if faults.garbled_replies > 0 and message[:2] in ("[3", "[4"):
            faults.garbled_replies -= 1
            message = broken_frame(message.encode(), faults.garbage_kind).decode("latin-1")
            LOG.info("%s: garbled reply fault, sending %r", self.id, message)
        await super()._send(message)  # type: ignore[misc]


class _PostChargePoint(_FaultyRouting, _V16ChargePoint):
    """The ``ocpp`` 1.6 charge-point object of one connection; handlers delegate to the twin."""

    def __init__(self, twin: AcPostTwin, connection: ClientConnection) -> None:
        super().__init__(twin.charge_point_id, connection, response_timeout=twin.call_timeout_s)
        self._twin = twin

    @on(Action.remote_start_transaction)
    def on_remote_start_transaction(self, id_tag: str, **kwargs: Any) -> call_result.RemoteStartTransaction:
        """RemoteStartTransaction (§5.11)."""
        ok = self._twin._accept_remote_start(kwargs.get("connector_id"))
        status = RemoteStartStopStatus.accepted if ok else RemoteStartStopStatus.rejected
        return call_result.RemoteStartTransaction(status=status)

    @after(Action.remote_start_transaction)
    def after_remote_start_transaction(self, id_tag: str, **kwargs: Any) -> None:
        """Start the transaction once Accepted has gone out."""
        if self._twin._pending_start:
            self._twin._spawn(self._twin._start_transaction(id_tag, kwargs.get("connector_id") or 1))

    @on(Action.remote_stop_transaction)
    def on_remote_stop_transaction(self, transaction_id: int, **kwargs: Any) -> Any:
        """RemoteStopTransaction (§5.12): Accepted for the running transaction."""
        tx = self._twin.transaction
        ok = tx is not None and tx.transaction_id == transaction_id
        status = RemoteStartStopStatus.accepted if ok else RemoteStartStopStatus.rejected
        return call_result.RemoteStopTransaction(status=status)

    @after(Action.remote_stop_transaction)
    def after_remote_stop_transaction(self, transaction_id: int, **kwargs: Any) -> None:
        """Stop the transaction once Accepted has gone out."""
        tx = self._twin.transaction
        if tx is not None and tx.transaction_id == transaction_id:
            self._twin._spawn(self._twin._stop_transaction(Reason.remote))

    @on(Action.change_configuration)
    def on_change_configuration(self, key: str, value: str, **kwargs: Any) -> Any:
        """ChangeConfiguration (§5.3)."""
        return call_result.ChangeConfiguration(status=self._twin._change_configuration(key, value))

    @on(Action.get_configuration)
    def on_get_configuration(self, **kwargs: Any) -> Any:
        """GetConfiguration (§5.8)."""
        known, unknown = self._twin._get_configuration(kwargs.get("key"))
        return call_result.GetConfiguration(configuration_key=known, unknown_key=unknown or None)

    @on(Action.trigger_message)
    def on_trigger_message(self, requested_message: str, **kwargs: Any) -> Any:
        """TriggerMessage (§5.17): the requested message follows the answer."""
        supported = {
            MessageTrigger.meter_values,
            MessageTrigger.status_notification,
            MessageTrigger.heartbeat,
            MessageTrigger.boot_notification,
        }
        ok = requested_message in supported
        status = TriggerMessageStatus.accepted if ok else TriggerMessageStatus.not_implemented
        return call_result.TriggerMessage(status=status)

    @after(Action.trigger_message)
    def after_trigger_message(self, requested_message: str, **kwargs: Any) -> None:
        """Send the triggered message."""
        self._twin._spawn(self._twin._triggered(requested_message, kwargs.get("connector_id")))


class _PostChargePoint201(_FaultyRouting, _V201ChargePoint):
    """The ``ocpp`` 2.0.1 charging-station object of one connection; handlers delegate to the twin."""

    def __init__(self, twin: AcPostTwin, connection: ClientConnection) -> None:
        super().__init__(twin.charge_point_id, connection, response_timeout=twin.call_timeout_s)
        self._twin = twin

    @on(Action201.request_start_transaction)
    def on_request_start_transaction(
        self, id_token: dict[str, Any], remote_start_id: int, **kwargs: Any
    ) -> call_result201.RequestStartTransaction:
        """RequestStartTransaction (§F01): Accepted when idle and the EVSE is 1."""
        ok = self._twin._accept_remote_start(kwargs.get("evse_id"))
        return call_result201.RequestStartTransaction(status="Accepted" if ok else "Rejected")

    @after(Action201.request_start_transaction)
    def after_request_start_transaction(
        self, id_token: dict[str, Any], remote_start_id: int, **kwargs: Any
    ) -> None:
        """Start the transaction once Accepted has gone out."""
        if self._twin._pending_start:
            self._twin._spawn(
                self._twin._start_transaction_201(id_token, kwargs.get("evse_id") or 1, remote_start_id)
            )

    @on(Action201.request_stop_transaction)
    def on_request_stop_transaction(self, transaction_id: str, **kwargs: Any) -> Any:
        """RequestStopTransaction (§F03): Accepted for the running transaction."""
        tx = self._twin.transaction
        ok = tx is not None and tx.transaction_id == transaction_id
        return call_result201.RequestStopTransaction(status="Accepted" if ok else "Rejected")

    @after(Action201.request_stop_transaction)
    def after_request_stop_transaction(self, transaction_id: str, **kwargs: Any) -> None:
        """End the transaction once Accepted has gone out."""
        tx = self._twin.transaction
        if tx is not None and tx.transaction_id == transaction_id:
            self._twin._spawn(self._twin._stop_transaction_201("Remote", "RemoteStop"))

    @on(Action201.set_variables)
    def on_set_variables(self, set_variable_data: list[dict[str, Any]], **kwargs: Any) -> Any:
        """SetVariables (§B05)."""
        return call_result201.SetVariables(
            set_variable_result=[self._twin._set_variable(item) for item in set_variable_data]
        )

    @on(Action201.get_variables)
    def on_get_variables(self, get_variable_data: list[dict[str, Any]], **kwargs: Any) -> Any:
        """GetVariables (§B06)."""
        return call_result201.GetVariables(
            get_variable_result=[self._twin._get_variable(item) for item in get_variable_data]
        )

    @on(Action201.trigger_message)
    def on_trigger_message(self, requested_message: str, **kwargs: Any) -> Any:
        """TriggerMessage (§F06): the requested message follows the answer; TransactionEvent only
        while a transaction runs."""
        if requested_message == "TransactionEvent":
            status = "Accepted" if self._twin.transaction is not None else "Rejected"
        elif requested_message in AcPostTwin.TRIGGERS_201:
            status = "Accepted"
        else:
            status = "NotImplemented"
        return call_result201.TriggerMessage(status=status)

    @after(Action201.trigger_message)
    def after_trigger_message(self, requested_message: str, **kwargs: Any) -> None:
        """Send the triggered message."""
        evse = kwargs.get("evse") or {}
        self._twin._spawn(self._twin._triggered_201(requested_message, evse.get("id")))


class AcPostTwin:
    """An AC charging post on OCPP 1.6J or 2.0.1 whose meter is ``rig.dut`` (see the module docstring).

    ``csms_url`` is the CSMS base URL (``ws://`` or ``wss://``); the post connects to
    ``<csms_url>/<charge_point_id>`` offering the subprotocol of ``ocpp_version`` (``"1.6"`` or
    ``"2.0.1"``). ``register_unit`` is ``"kWh"`` (3 decimals) or ``"Wh"`` (integer);
    ``energy_multiplier`` (2.0.1 only) sends the register as ``value × 10^-n`` with
    ``unitOfMeasure.multiplier = n``; ``bare_default_value`` adds one sampled value in the default
    form (1.6: ``{"value": "<Wh>"}``, §7.43; 2.0.1: ``{"value": <Wh>}``) to every meter value.

    Security: ``basic_auth_password`` sends ``Authorization: Basic <id>:<password>`` in the handshake
    (profile 1/2); for ``wss://`` the server certificate is checked against ``ca_cert`` (PEM; the
    system store when ``None``) unless an explicit ``ssl_context`` is given (profile 2). A refused
    handshake is retried like a lost connection; the last failure is in :attr:`last_error`.

    ``meter_value_signer`` signs register readings (see the module docstring).
    """

    #: Messages the 2.0.1 twin sends on TriggerMessage (§F06).
    TRIGGERS_201: ClassVar[frozenset[str]] = frozenset(
        {"MeterValues", "TransactionEvent", "StatusNotification", "Heartbeat", "BootNotification"}
    )

    def __init__(
        self,
        rig: Rig,
        csms_url: str,
        charge_point_id: str = "CP001",
        vendor: str = "JD-SIM",
        model: str = "AC7K-SIM",
        serial: str = "SIM0001",
        clock_offset_s: float = 0.0,
        register_unit: str = "kWh",
        faults: AcPostFaults | None = None,
        *,
        firmware: str = "1.0.0-sim",
        meter_type: str = "DDSU666-SIM",
        meter_serial: str = "MTR0001",
        bare_default_value: bool = False,
        call_timeout_s: float = 10.0,
        price_yuan_per_kwh: float = 1.2,
        ocpp_version: str = "1.6",
        meter_value_signer: MeterValueSigner | None = None,
        basic_auth_password: str | None = None,
        ca_cert: str | Path | None = None,
        ssl_context: ssl.SSLContext | None = None,
        energy_multiplier: int = 0,
        adopt_csms_time: bool = False,
        clock_rate_error_pct: float = 0.0,
        display_timezone: str = "Asia/Shanghai",
        boot_on_connect: bool = True,
        service_fee_yuan_per_kwh: float = 0.0,
        tariff: list[tuple[str, str, float]] | None = None,
    ) -> None:
        if register_unit not in ("kWh", "Wh"):
            raise ValueError("register_unit must be 'kWh' or 'Wh'")
        version = str(ocpp_version).lower().removeprefix("ocpp")
        if version not in OCPP_VERSIONS:
            raise ValueError(f"ocpp_version must be one of {OCPP_VERSIONS}, not {ocpp_version!r}")
        self.ocpp_version = version
        self.meter_value_signer = meter_value_signer
        self.basic_auth_password = basic_auth_password
        self.ca_cert = ca_cert
        self.ssl_context = ssl_context
        self.energy_multiplier = int(energy_multiplier)
        self.last_error: BaseException | None = None
        self.rig = rig
        self.csms_url = csms_url.rstrip("/")
        self.charge_point_id = charge_point_id
        self.vendor, self.model, self.serial = vendor, model, serial
        self.firmware, self.meter_type, self.meter_serial = firmware, meter_type, meter_serial
        self.adopt_csms_time = adopt_csms_time
        self.clock_rate_error_pct = clock_rate_error_pct
        self.display_timezone = ZoneInfo(display_timezone)
        self.clock_offset_s = clock_offset_s
        self.service_fee_yuan_per_kwh = service_fee_yuan_per_kwh
        # time-of-use tariff: (period name, "HH:MM" start on the post's clock, 元/kWh), e.g.
        # [("谷", "00:00", 0.4), ("峰", "08:00", 1.2)]; empty: one flat price
        self.tariff = sorted(((str(n), time.fromisoformat(str(t)), float(p)) for n, t, p in (tariff or [])),
                             key=lambda x: x[1])
        self._period_wh: dict[str, int] = {}
        self._period_price: dict[str, float] = {}
        self._accounted_wh = 0
        self.register_unit = register_unit
        self.bare_default_value = bare_default_value
        self.faults = faults or AcPostFaults()
        self.call_timeout_s = call_timeout_s
        self.config = _default_config()
        self.variables = _default_variables(meter_value_signer is not None)
        self.transaction: _Transaction | None = None
        self._last_meter_start_wh = 0
        self.price_yuan_per_kwh = price_yuan_per_kwh
        self.status: dict[int, str] = (
            {1: "Available"}
            if version == "2.0.1"
            else {0: ChargePointStatus.available, 1: ChargePointStatus.available}
        )
        self.boot_count = 0
        self.connection_count = 0
        self.received_call_errors: list[list[Any]] = []
        self._cp: _PostChargePoint | _PostChargePoint201 | None = None
        self._ws: ClientConnection | None = None
        self.calls_received = 0  # CALLs from the CSMS (a fault may start after so many)
        self._booted = not boot_on_connect
        self._pending_start = False
        self._tx_started_at: datetime | None = None  # the post's clock at the last transaction's start
        self._tx_duration_s: int = 0  # the last finished transaction's charging duration on the display
        self._heartbeat_s = 60.0
        self._tasks: set[asyncio.Task[Any]] = set()
        self._online = asyncio.Event()
        self._stop = asyncio.Event()
        self._reconnect_now = asyncio.Event()
        self._config_changed = asyncio.Event()
        self._call_error_waiters: list[asyncio.Future[list[Any]]] = []
        self._running: asyncio.Event | None = None

    # ---- public ----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The URL this post connects to."""
        return f"{self.csms_url}/{quote(self.charge_point_id)}"

    @property
    def subprotocol(self) -> str:
        """The WebSocket subprotocol offered (OCPP-J 1.6 §3.1.2 / OCPP 2.0.1 Part 4 §3.1.2)."""
        return "ocpp2.0.1" if self.ocpp_version == "2.0.1" else "ocpp1.6"

    def variable(self, component: str, variable: str) -> str:
        """A 2.0.1 device-model value, e.g. ``variable("SampledDataCtrlr", "TxUpdatedInterval")``."""
        return self.variables[(component, variable)].value

    @property
    def online(self) -> bool:
        """Connected and past boot."""
        return self._online.is_set()

    @property
    def clock_offset_s(self) -> float:
        """The post's clock minus real UTC now, seconds."""
        return (self.now() - datetime.now(UTC)).total_seconds()

    @clock_offset_s.setter
    def clock_offset_s(self, offset_s: float) -> None:
        self._set_clock(datetime.now(UTC) + timedelta(seconds=offset_s))

    def _set_clock(self, post_time: datetime) -> None:
        """Set the post's clock to ``post_time`` now (it runs on from there at its own rate)."""
        self._clock_base = (datetime.now(UTC), post_time)

    def now(self, at: datetime | None = None) -> datetime:
        """The post's clock at the real instant ``at`` (now by default): where it was set, plus the
        real time since then at its own rate (``clock_rate_error_pct``)."""
        real0, post0 = self._clock_base
        elapsed = ((at or datetime.now(UTC)) - real0).total_seconds()
        return post0 + timedelta(seconds=elapsed * (1.0 + self.clock_rate_error_pct / 100.0))

    def display_clock(self, at: datetime | None = None) -> datetime:
        """The time of day the post's screen shows at the real instant ``at``: its clock in
        ``display_timezone``, whole seconds (a display truncates)."""
        return self.now(at).astimezone(self.display_timezone).replace(microsecond=0)

    def _adopt(self, current_time: str | None) -> None:
        """Set the clock from the CSMS's ``currentTime`` (when ``adopt_csms_time``)."""
        if not self.adopt_csms_time or not current_time:
            return
        try:
            self._set_clock(datetime.fromisoformat(current_time.replace("Z", "+00:00")))
        except ValueError:
            LOG.warning("%s: currentTime %r not understood", self.charge_point_id, current_time)

    def register_wh(self) -> int:
        """The energy register at display resolution (1 Wh), truncated like a meter display."""
        return math.floor(self.rig.dut.energy_wh() + 1e-9)

    def display(self) -> PostDisplay:
        """What the post's screen shows for the current (or last) session: energy at 0.001 kWh,
        the unit price and the amount charged (with ``faults.amount_error_yuan`` added)."""
        self._account()
        start = self.transaction.meter_start_wh if self.transaction else self._last_meter_start_wh
        session_kwh = max(self.register_wh() - start, 0) / 1000.0
        periods = tuple((name, wh / 1000.0, self._period_price[name]) for name, wh in self._period_wh.items())
        energy_cost = sum(kwh * price for _, kwh, price in periods)
        amount = round(energy_cost + session_kwh * self.service_fee_yuan_per_kwh + self.faults.amount_error_yuan, 2)
        if self.transaction is not None and self._tx_started_at is not None:
            duration = int((self.now() - self._tx_started_at).total_seconds())
        else:
            duration = self._tx_duration_s
        return PostDisplay(round(session_kwh, 3), self._period()[1], amount, duration, periods,
                           self.service_fee_yuan_per_kwh)

    def _period(self) -> tuple[str, float]:
        """The tariff period (name, 元/kWh) at the post's clock now; flat tariff: ("平", price)."""
        if not self.tariff:
            return ("平", self.price_yuan_per_kwh)
        now = self.display_clock().time()
        name, _, price = self.tariff[-1]  # the day's last period runs on past midnight
        for n, start, p in self.tariff:
            if now >= start:
                name, price = n, p
        return name, price

    def _account(self) -> None:
        """Assign the energy since the last call to the tariff period running now (a post's
        time-of-use register), during a transaction."""
        if self.transaction is None:
            return
        wh = self.register_wh()
        delta = wh - self._accounted_wh
        if delta > 0:
            name, price = self._period()
            self._period_wh[name] = self._period_wh.get(name, 0) + delta
            self._period_price[name] = price
        self._accounted_wh = wh

    def _begin_periods(self, meter_start_wh: int) -> None:
        """A new transaction's time-of-use registers start at zero."""
        self._period_wh, self._period_price, self._accounted_wh = {}, {}, meter_start_wh

    async def _tariff_loop(self) -> None:
        """Keep the time-of-use registers current while charging (every 0.2 s of real time)."""
        while True:
            await asyncio.sleep(0.2)
            self._account()

    async def wait_online(self, timeout_s: float) -> None:
        """Wait until connected and booted; ``TimeoutError`` after ``timeout_s``."""
        async with asyncio.timeout(timeout_s):
            await self._online.wait()

    async def run(self) -> None:
        """Connect, serve, and reconnect after every loss, until :meth:`stop`."""
        self._stop.clear()
        self._running = asyncio.Event()
        try:
            while not self._stop.is_set():
                try:
                    async with connect(
                        self.url,
                        subprotocols=[self.subprotocol],  # type: ignore[list-item]
                        open_timeout=self.call_timeout_s,
                        additional_headers=self._auth_headers(),
                        ssl=self._client_ssl(),
                    ) as ws:
                        self.last_error = None
                        await self._serve(ws)
                except (OSError, InvalidHandshake, ConnectionClosed, TimeoutError) as exc:
                    self.last_error = exc
                    LOG.warning(
                        "%s: connection to %s failed or lost: %s", self.charge_point_id, self.url, exc
                    )
                if self._stop.is_set():
                    break
                await self._wait_before_reconnect()
        finally:
            self._online.clear()
            self._running.set()

    async def stop(self) -> None:
        """Close the connection and make :meth:`run` return."""
        self._stop.set()
        self._reconnect_now.set()
        ws = self._ws
        if ws is not None:
            with contextlib.suppress(Exception):
                await ws.close(1000, "charge point shutting down")
        if self._running is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(5):
                    await self._running.wait()

    def drop_connection(self) -> None:
        """Fault: abort the TCP connection without a close frame (the CSMS sees code 1006)."""
        ws = self._ws
        if ws is not None:
            LOG.info("%s: dropping the connection (fault)", self.charge_point_id)
            ws.transport.abort()

    def reconnect_now(self) -> None:
        """Reconnect at once (also when ``faults.reconnect`` is off)."""
        self._reconnect_now.set()

    async def send_malformed(
        self, raw: str = '[2,"malformed-1","Heartbeat",{', *, reply_timeout_s: float | None = 5.0
    ) -> list[Any] | None:
        """Fault: send a raw invalid frame; returns the CALLERROR frame the CSMS answers with
        (``None`` when ``reply_timeout_s`` is ``None``). Raises ``ConnectionError`` when offline."""
        ws = self._ws
        if ws is None:
            raise ConnectionError(f"{self.charge_point_id}: not connected")
        waiter: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
        if reply_timeout_s is not None:
            self._call_error_waiters.append(waiter)
        await ws.send(raw)
        if reply_timeout_s is None:
            return None
        try:
            async with asyncio.timeout(reply_timeout_s):
                return await waiter
        finally:
            with contextlib.suppress(ValueError):
                self._call_error_waiters.remove(waiter)

    # ---- connection ------------------------------------------------------------------------

    def _auth_headers(self) -> dict[str, str] | None:
        """HTTP Basic credentials: username = charge point id (OCPP 1.6 Security Whitepaper §2.1,
        OCPP 2.0.1 A00.FR.203), password = ``basic_auth_password``."""
        if self.basic_auth_password is None:
            return None
        return {"Authorization": build_authorization_basic(self.charge_point_id, self.basic_auth_password)}

    def _client_ssl(self) -> ssl.SSLContext | None:
        """For ``wss://``: the explicit context, else one trusting ``ca_cert`` (TLS 1.2+, host name
        checked — profile 2); ``None`` for ``ws://``."""
        if not self.url.lower().startswith("wss://"):
            return None
        if self.ssl_context is not None:
            return self.ssl_context
        ctx = ssl.create_default_context(cafile=None if self.ca_cert is None else str(self.ca_cert))
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        return ctx

    async def _wait_before_reconnect(self) -> None:
        if self._reconnect_now.is_set() and not self._stop.is_set():
            self._reconnect_now.clear()
            return
        timeout = self.faults.reconnect_after_s if self.faults.reconnect else None
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._reconnect_now.wait()
        self._reconnect_now.clear()

    async def _serve(self, ws: ClientConnection) -> None:
        cp: _PostChargePoint | _PostChargePoint201 = (
            _PostChargePoint201(self, ws) if self.ocpp_version == "2.0.1" else _PostChargePoint(self, ws)
        )
        self._cp, self._ws = cp, ws
        self.connection_count += 1
        reader = asyncio.create_task(cp.start())
        life = asyncio.create_task(self._life(cp))
        try:
            done, _ = await asyncio.wait({reader, life}, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                exc = task.exception()
                if exc is not None and not isinstance(exc, ConnectionClosed):
                    LOG.error("%s: session task failed: %r", self.charge_point_id, exc)
        finally:
            self._online.clear()
            self._cp = self._ws = None
            pending = [reader, life, *self._tasks]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            self._tasks.clear()

    async def _life(self, cp: _PostChargePoint | _PostChargePoint201) -> None:
        if not self._booted or self.faults.reboot_on_reconnect:
            await self._boot(cp)
        for connector in sorted(self.status):
            await self._send_status(connector, self.status[connector])
        self._online.set()
        await asyncio.gather(self._heartbeat_loop(), self._meter_loop(), self._tariff_loop())

    async def _boot(self, cp: _PostChargePoint | _PostChargePoint201) -> None:
        if isinstance(cp, _PostChargePoint201):
            await self._boot_201(cp)
            return
        while True:
            res = await cp.call(
                call.BootNotification(
                    charge_point_model=self.model,
                    charge_point_vendor=self.vendor,
                    charge_point_serial_number=self.serial,
                    firmware_version=self.firmware,
                    meter_type=self.meter_type,
                    meter_serial_number=self.meter_serial,
                ),
                suppress=False,
            )
            self._adopt(res.current_time)
            if res.interval > 0:
                self._heartbeat_s = float(res.interval)
                self.config["HeartbeatInterval"].value = str(res.interval)
            if res.status == RegistrationStatus.accepted:
                self._booted = True
                self.boot_count += 1
                return
            await asyncio.sleep(max(self._heartbeat_s, 1.0))

    async def _boot_201(self, cp: _PostChargePoint201) -> None:
        """BootNotification (2.0.1 §B01) until Accepted; Pending/Rejected retry after the interval."""
        while True:
            res = await cp.call(
                call201.BootNotification(
                    charging_station={
                        "model": self.model,
                        "vendor_name": self.vendor,
                        "serial_number": self.serial,
                        "firmware_version": self.firmware,
                    },
                    reason="PowerUp",
                ),
                suppress=False,
            )
            self._adopt(res.current_time)
            if res.interval > 0:
                self._heartbeat_s = float(res.interval)
                self.variables[("OCPPCommCtrlr", "HeartbeatInterval")].value = str(res.interval)
            if res.status == "Accepted":
                self._booted = True
                self.boot_count += 1
                return
            await asyncio.sleep(max(self._heartbeat_s, 1.0))

    def _heartbeat_interval_s(self) -> float:
        if self.ocpp_version == "2.0.1":
            text = self.variable("OCPPCommCtrlr", "HeartbeatInterval")
        else:
            text = self.config["HeartbeatInterval"].value
        return max(float(text or 0) or 60.0, 1.0)

    def _sample_interval_s(self) -> int:
        if self.ocpp_version == "2.0.1":
            return int(self.variable("SampledDataCtrlr", "TxUpdatedInterval") or 0)
        return int(self.config["MeterValueSampleInterval"].value or 0)

    async def _heartbeat_loop(self) -> None:
        while True:
            await asyncio.sleep(self._heartbeat_interval_s())
            res = await self._call(call201.Heartbeat() if self.ocpp_version == "2.0.1" else call.Heartbeat())
            if res is not None:
                self._adopt(res.current_time)

    async def _meter_loop(self) -> None:
        while True:
            interval = self._sample_interval_s()
            self._config_changed.clear()
            try:
                async with asyncio.timeout(interval if interval > 0 else None):
                    await self._config_changed.wait()
                continue  # interval changed: restart the period
            except TimeoutError:
                pass
            tx = self.transaction
            if tx is not None and self.ocpp_version == "2.0.1":
                await self._send_transaction_updated(tx, "MeterValuePeriodic", "Sample.Periodic")
            elif tx is not None:
                await self._send_meter_values(tx.connector_id, "Sample.Periodic")

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _call(self, payload: Any) -> Any:
        """A CALL to the CSMS; a CALLERROR or a timeout is logged, not fatal."""
        cp = self._cp
        if cp is None:
            return None
        try:
            return await cp.call(payload, suppress=False)
        except (OCPPError, TimeoutError) as exc:
            LOG.warning("%s: %s failed: %s", self.charge_point_id, type(payload).__name__, exc)
            return None

    def _call_error_received(self, frame: list[Any]) -> None:
        self.received_call_errors.append(frame)
        for waiter in self._call_error_waiters:
            if not waiter.done():
                waiter.set_result(frame)
        self._call_error_waiters.clear()

    # ---- behaviour -------------------------------------------------------------------------

    async def _send_status(self, connector: int, status: str) -> None:
        self.status[connector] = status
        if self.ocpp_version == "2.0.1":
            await self._call(
                call201.StatusNotification(
                    timestamp=_iso(self.now()), connector_status=status, evse_id=connector, connector_id=1
                )
            )
            return
        await self._call(
            call.StatusNotification(
                connector_id=connector,
                error_code=ChargePointErrorCode.no_error,
                status=ChargePointStatus(status),
                timestamp=_iso(self.now()),
            )
        )

    def _accept_remote_start(self, connector_id: int | None) -> bool:
        ok = (
            not self.faults.reject_remote_start
            and self.transaction is None
            and not self._pending_start
            and (connector_id or 1) == 1
        )
        self._pending_start = ok
        return ok

    async def _start_transaction(self, id_tag: str, connector: int) -> None:
        try:
            await self._send_status(connector, ChargePointStatus.preparing)
            if self.config["AuthorizeRemoteTxRequests"].value == "true":
                auth = await self._call(call.Authorize(id_tag=id_tag))
                if auth is None or auth.id_tag_info["status"] != AuthorizationStatus.accepted:
                    await self._send_status(connector, ChargePointStatus.available)
                    return
            self.rig.circuit.set_contactor(not self.faults.no_current)
            meter_start = self.meter_register_wh()
            self._tx_started_at = self.now()
            self._begin_periods(meter_start)
            res = await self._call(
                call.StartTransaction(
                    connector_id=connector, id_tag=id_tag, meter_start=meter_start, timestamp=_iso(self.now())
                )
            )
            if res is None:
                self.rig.circuit.set_contactor(False)
                await self._send_status(connector, ChargePointStatus.available)
                return
            self.transaction = _Transaction(res.transaction_id, connector, id_tag, meter_start)
            self._last_meter_start_wh = meter_start
            if res.id_tag_info["status"] != AuthorizationStatus.accepted:
                await self._stop_transaction(Reason.de_authorized)
                return
            await self._send_status(connector, ChargePointStatus.charging)
            await self._send_meter_values(connector, "Transaction.Begin")
        except asyncio.CancelledError:
            if self.transaction is None:  # connection lost before the CSMS gave a transaction id
                self.rig.circuit.set_contactor(False)
                self.status[connector] = ChargePointStatus.available
            raise
        finally:
            self._pending_start = False

    async def _stop_transaction(self, reason: str) -> None:
        tx = self.transaction
        if tx is None:
            return
        self.rig.circuit.set_contactor(False)
        meter_stop = self.meter_register_wh()
        self._end_duration()
        self.transaction = None
        stop_data = [m for m in self.config["StopTxnSampledData"].value.split(",") if m]
        data = [self._meter_value("Transaction.End", stop_data, tx)] if stop_data else None
        await self._call(
            call.StopTransaction(
                meter_stop=meter_stop,
                timestamp=_iso(self.now()),
                transaction_id=tx.transaction_id,
                reason=Reason(reason),
                transaction_data=data,
            )
        )
        await self._send_status(tx.connector_id, ChargePointStatus.finishing)
        await self._send_status(tx.connector_id, ChargePointStatus.available)

    def _end_duration(self) -> None:
        """Freeze the display's charging duration (and the time-of-use registers) at the end of a
        transaction."""
        self._account()
        if self._tx_started_at is not None:
            self._tx_duration_s = int((self.now() - self._tx_started_at).total_seconds())
        self._tx_started_at = None

    # ---- signing -------------------------------------------------------------------------------

    def _signed(
        self, context: str, wh: int, value: Any, unit: str, at: datetime, tx: _Transaction | None
    ) -> dict[str, Any] | str | None:
        """The signer's answer for a register sample in a signed context, adapted to the version:
        1.6 wants the SignedData ``value`` string, 2.0.1 a ``signedMeterValue`` object."""
        if self.meter_value_signer is None or context not in SIGNED_CONTEXTS:
            return None
        if self.ocpp_version == "2.0.1" and self.variable("SampledDataCtrlr", "SignReadings") != "true":
            return None
        reading = {
            "wh": wh,
            "time": at,
            "context": context,
            "id_tag": tx.id_tag if tx is not None else None,
            "transaction_id": None if tx is None else str(tx.transaction_id),
            "connector_id": tx.connector_id if tx is not None else 1,
            "measurand": ENERGY_REGISTER,
            "unit": unit,
            "value": value,
            "charge_point_id": self.charge_point_id,
            "meter_serial": self.meter_serial,
            "ocpp_version": self.ocpp_version,
        }
        signed = self.meter_value_signer(reading)
        if self.ocpp_version == "2.0.1":
            if isinstance(signed, str):  # a bare record: wrap it as OCPP 2.0.1 §2 SignedMeterValueType
                return {"signedMeterData": signed, "signingMethod": "", "encodingMethod": "OCMF", "publicKey": ""}
            return dict(signed)
        return signed if isinstance(signed, str) else json.dumps(signed, separators=(",", ":"))

    # ---- 1.6 meter values ----------------------------------------------------------------------

    def meter_register_wh(self) -> int:
        """The energy register MeterValues report: the meter's, or the stuck value under the
        ``stuck_meter_wh`` fault."""
        stuck = self.faults.stuck_meter_wh
        return self.register_wh() if stuck is None else int(stuck)

    def _meter_value(self, context: str, measurands: list[str], tx: _Transaction | None = None) -> dict[str, Any]:
        circuit = self.rig.circuit
        wh = self.meter_register_wh()
        at = self.now()
        sampled: list[dict[str, Any]] = []
        for measurand in measurands:
            sv: dict[str, Any] = {
                "context": context,
                "format": "Raw",
                "measurand": measurand,
                "location": "Outlet",
            }
            if measurand == ENERGY_REGISTER:
                if self.register_unit == "kWh":
                    sv.update(value=f"{wh / 1000:.3f}", unit="kWh")
                else:
                    sv.update(value=str(wh), unit="Wh")
                signed = self._signed(context, wh, sv["value"], sv["unit"], at, tx or self.transaction)
                if signed is not None:
                    sampled.append(sv)
                    sv = {
                        "value": signed,
                        "context": context,
                        "format": "SignedData",
                        "measurand": measurand,
                        "location": "Outlet",
                        "unit": sv["unit"],
                    }
            elif measurand == "Power.Active.Import":
                sv.update(value=f"{circuit.power_w * (1 + self.rig.dut.error_pct / 100):.1f}", unit="W")
            elif measurand == "Current.Import":
                sv.update(value=f"{circuit.current_a:.2f}", unit="A", phase="L1")
            elif measurand == "Voltage":
                sv.update(value=f"{circuit.voltage_v:.1f}", unit="V", phase="L1-N")
            else:
                continue
            sampled.append(sv)
        if self.bare_default_value:
            sampled.append({"value": str(wh)})
        return {"timestamp": _iso(at), "sampled_value": sampled}

    async def _send_meter_values(self, connector: int, context: str) -> None:
        measurands = [m for m in self.config["MeterValuesSampledData"].value.split(",") if m]
        tx = self.transaction
        await self._call(
            call.MeterValues(
                connector_id=connector,
                meter_value=[self._meter_value(context, measurands)],
                transaction_id=tx.transaction_id if tx is not None and tx.connector_id == connector else None,
            )
        )

    async def _triggered(self, message: str, connector_id: int | None) -> None:
        if message == MessageTrigger.meter_values:
            await self._send_meter_values(connector_id or 1, "Trigger")
        elif message == MessageTrigger.status_notification:
            for connector in [connector_id] if connector_id is not None else [0, 1]:
                await self._send_status(connector, self.status.get(connector, ChargePointStatus.available))
        elif message == MessageTrigger.heartbeat:
            await self._call(call.Heartbeat())
        elif message == MessageTrigger.boot_notification and self._cp is not None:
            await self._boot(self._cp)

    def _change_configuration(self, key: str, value: str) -> ConfigurationStatus:
        entry = self.config.get(key)
        if entry is None:
            return ConfigurationStatus.not_supported
        if entry.readonly:
            return ConfigurationStatus.rejected
        normalised = _validated(entry, value)
        if normalised is None:
            return ConfigurationStatus.rejected
        entry.value = normalised
        self._config_changed.set()
        return ConfigurationStatus.accepted

    def _get_configuration(self, keys: list[str] | None) -> tuple[list[dict[str, Any]], list[str]]:
        wanted = keys if keys else list(self.config)
        known = [
            {"key": k, "readonly": self.config[k].readonly, "value": self.config[k].value}
            for k in wanted
            if k in self.config
        ]
        return known, [k for k in wanted if k not in self.config]

    # ---- 2.0.1 transactions (Part 2 §E, §F) ------------------------------------------------

    def _measurands_201(self, component: str, variable: str) -> list[str]:
        return [m for m in self.variable(component, variable).split(",") if m]

    async def _start_transaction_201(self, id_token: dict[str, Any], evse_id: int, remote_start_id: int) -> None:
        """RequestStartTransaction accepted: (Authorize,) contactor, TransactionEvent Started with
        the Transaction.Begin register; DeAuthorized end when the CSMS refuses the token."""
        try:
            await self._send_status(evse_id, "Occupied")
            if self.variable("AuthCtrlr", "AuthorizeRemoteStart") == "true":
                auth = await self._call(call201.Authorize(id_token=id_token))
                if auth is None or auth.id_token_info["status"] != "Accepted":
                    await self._send_status(evse_id, "Available")
                    return
            self.rig.circuit.set_contactor(not self.faults.no_current)
            self._tx_started_at = self.now()
            meter_start = self.meter_register_wh()
            self._begin_periods(meter_start)
            tx = _Transaction(
                str(uuid.uuid4()), evse_id, str(id_token.get("id_token", "")), meter_start, remote_start_id
            )
            self.transaction = tx
            self._last_meter_start_wh = meter_start
            measurands = self._measurands_201("SampledDataCtrlr", "TxStartedMeasurands")
            res = await self._call(
                call201.TransactionEvent(
                    event_type="Started",
                    timestamp=_iso(self.now()),
                    trigger_reason="RemoteStart",
                    seq_no=tx.next_seq(),
                    transaction_info={
                        "transaction_id": tx.transaction_id,
                        "charging_state": "Charging",
                        "remote_start_id": remote_start_id,
                    },
                    evse={"id": evse_id, "connector_id": 1},
                    id_token=id_token,
                    meter_value=[self._meter_value_201("Transaction.Begin", measurands, tx)] if measurands else None,
                )
            )
            info = getattr(res, "id_token_info", None) or {}
            if info.get("status", "Accepted") != "Accepted":
                await self._stop_transaction_201("DeAuthorized", "Deauthorized")
        except asyncio.CancelledError:
            if self.transaction is None:  # connection lost before the transaction began
                self.rig.circuit.set_contactor(False)
                self.status[evse_id] = "Available"
            raise
        finally:
            self._pending_start = False

    async def _stop_transaction_201(self, reason: str, trigger: str) -> None:
        """TransactionEvent Ended (§E06) with the final register, then Available."""
        tx = self.transaction
        if tx is None:
            return
        self.rig.circuit.set_contactor(False)
        self._end_duration()
        self.transaction = None
        measurands = self._measurands_201("SampledDataCtrlr", "TxEndedMeasurands")
        await self._call(
            call201.TransactionEvent(
                event_type="Ended",
                timestamp=_iso(self.now()),
                trigger_reason=trigger,
                seq_no=tx.next_seq(),
                transaction_info={
                    "transaction_id": tx.transaction_id,
                    "charging_state": "EVConnected",
                    "stopped_reason": reason,
                },
                evse={"id": tx.connector_id, "connector_id": 1},
                meter_value=[self._meter_value_201("Transaction.End", measurands, tx)] if measurands else None,
            )
        )
        await self._send_status(tx.connector_id, "Available")

    async def _send_transaction_updated(self, tx: _Transaction, trigger: str, context: str) -> None:
        """TransactionEvent Updated with the TxUpdatedMeasurands (periodic, or on TriggerMessage)."""
        measurands = self._measurands_201("SampledDataCtrlr", "TxUpdatedMeasurands")
        await self._call(
            call201.TransactionEvent(
                event_type="Updated",
                timestamp=_iso(self.now()),
                trigger_reason=trigger,
                seq_no=tx.next_seq(),
                transaction_info={"transaction_id": tx.transaction_id, "charging_state": "Charging"},
                evse={"id": tx.connector_id, "connector_id": 1},
                meter_value=[self._meter_value_201(context, measurands, tx)] if measurands else None,
            )
        )

    def _register_201(self, wh: int) -> tuple[float | int, dict[str, Any]]:
        """The register as a 2.0.1 number and unitOfMeasure (Wh or kWh, ×10^-multiplier)."""
        amount = Decimal(wh) if self.register_unit == "Wh" else Decimal(wh).scaleb(-3)
        uom: dict[str, Any] = {"unit": self.register_unit}
        if self.energy_multiplier:
            amount = amount.scaleb(-self.energy_multiplier)
            uom["multiplier"] = self.energy_multiplier
        value: float | int = int(amount) if amount == amount.to_integral_value() else float(amount)
        return value, uom

    def _meter_value_201(self, context: str, measurands: list[str], tx: _Transaction | None) -> dict[str, Any]:
        """One MeterValueType (Part 2 §2): numbers, units in unitOfMeasure, the post's clock."""
        circuit = self.rig.circuit
        wh = self.meter_register_wh()
        at = self.now()
        sampled: list[dict[str, Any]] = []
        for measurand in measurands:
            sv: dict[str, Any] = {"context": context, "measurand": measurand, "location": "Outlet"}
            if measurand == ENERGY_REGISTER:
                value, uom = self._register_201(wh)
                sv.update(value=value, unit_of_measure=uom)
                signed = self._signed(context, wh, value, uom["unit"], at, tx)
                if signed is not None:
                    sv["signed_meter_value"] = signed
            elif measurand == "Power.Active.Import":
                power = round(circuit.power_w * (1 + self.rig.dut.error_pct / 100), 1)
                sv.update(value=power, unit_of_measure={"unit": "W"})
            elif measurand == "Current.Import":
                sv.update(value=round(circuit.current_a, 2), unit_of_measure={"unit": "A"}, phase="L1")
            elif measurand == "Voltage":
                sv.update(value=round(circuit.voltage_v, 1), unit_of_measure={"unit": "V"}, phase="L1-N")
            else:
                continue
            sampled.append(sv)
        if self.bare_default_value:
            sampled.append({"value": wh})
        return {"timestamp": _iso(at), "sampled_value": sampled}

    async def _triggered_201(self, message: str, evse_id: int | None) -> None:
        """The message a TriggerMessage (§F06) asked for."""
        tx = self.transaction
        if message == "MeterValues":
            evse = evse_id or (tx.connector_id if tx is not None else 1)
            measurands = self._measurands_201("AlignedDataCtrlr", "Measurands")
            await self._call(
                call201.MeterValues(
                    evse_id=evse,
                    meter_value=[self._meter_value_201("Trigger", measurands, tx if tx and tx.connector_id == evse else None)],
                )
            )
        elif message == "TransactionEvent" and tx is not None:
            await self._send_transaction_updated(tx, "Trigger", "Trigger")
        elif message == "StatusNotification":
            for evse in [evse_id] if evse_id is not None else sorted(self.status):
                await self._send_status(evse, self.status.get(evse, "Available"))
        elif message == "Heartbeat":
            await self._call(call201.Heartbeat())
        elif message == "BootNotification" and self._cp is not None:
            await self._boot(self._cp)

    # ---- 2.0.1 device model (Part 2 §B05/B06) -------------------------------------------------

    def _lookup(self, item: dict[str, Any]) -> tuple[str | None, tuple[str, str]]:
        """(unknown-status or None, key) for a SetVariableData/GetVariableData item."""
        component = str((item.get("component") or {}).get("name", ""))
        variable = str((item.get("variable") or {}).get("name", ""))
        key = (component, variable)
        if key in self.variables:
            return None, key
        if any(c == component for c, _ in self.variables):
            return "UnknownVariable", key
        return "UnknownComponent", key

    def _set_variable(self, item: dict[str, Any]) -> dict[str, Any]:
        """One SetVariableResult: Accepted, Rejected (read-only or invalid), UnknownComponent,
        UnknownVariable, NotSupportedAttributeType (only ``Actual`` is kept)."""
        status, key = self._lookup(item)
        if status is None and item.get("attribute_type", "Actual") != "Actual":
            status = "NotSupportedAttributeType"
        if status is None:
            entry = self.variables[key]
            normalised = None if entry.readonly else _validated(entry, str(item.get("attribute_value", "")))
            if normalised is None:
                status = "Rejected"
            else:
                entry.value = normalised
                self._config_changed.set()
                status = "Accepted"
        return {"attribute_status": status, "component": item["component"], "variable": item["variable"]}

    def _get_variable(self, item: dict[str, Any]) -> dict[str, Any]:
        """One GetVariableResult with the value, or the Unknown* status."""
        status, key = self._lookup(item)
        if status is None and item.get("attribute_type", "Actual") != "Actual":
            status = "NotSupportedAttributeType"
        result: dict[str, Any] = {
            "attribute_status": status or "Accepted",
            "component": item["component"],
            "variable": item["variable"],
        }
        if status is None:
            result["attribute_value"] = self.variables[key].value
        return result


def parse_tariff(text: str) -> list[tuple[str, str, float]]:
    """``"谷@00:00=0.4,峰@08:00=1.2"`` → [("谷", "00:00", 0.4), ("峰", "08:00", 1.2)]."""
    out: list[tuple[str, str, float]] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, rest = part.partition("@")
        start, _, price = rest.partition("=")
        out.append((name, start, float(price)))
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m hardware_sim ac-post --csms ws://127.0.0.1:9000 --id CP001 [--error 0.3]
    [--speed 50] [--clock-offset 2] [--load 16] [--ocpp-version 2.0.1] [--password …] [--ca-cert …]
    [--sign [--ocmf-page-per transaction]]``: run one AC post twin with its own rig until Ctrl-C.
    With no reference-meter twin there to set the load, ``--load`` sets the current; ``--sign`` makes
    it a signing post (OCMF, :class:`~hardware_sim.ocmf_signer.OcmfSigner`, its public key printed
    at start), ``--ocmf-page-per transaction`` one whose begin and end share their page number."""
    parser = argparse.ArgumentParser(
        prog="python -m hardware_sim ac-post",
        description="AC charging-post twin: an OCPP 1.6J or 2.0.1 charge point metering a simulated circuit.",
    )
    parser.add_argument("--csms", default="ws://127.0.0.1:9000", help="CSMS base URL (default %(default)s)")
    parser.add_argument("--id", default="CP001", help="charge point id (default %(default)s)")
    parser.add_argument("--error", type=float, default=0.3, help="true error of the post's meter, %%")
    parser.add_argument("--speed", type=float, default=1.0, help="energy acceleration (sim s per wall s)")
    parser.add_argument("--clock-offset", type=float, default=0.0, help="post clock minus UTC, s")
    parser.add_argument("--load", type=float, default=16.0, help="load current while charging, A")
    parser.add_argument("--voltage", type=float, default=220.0, help="supply voltage, V")
    parser.add_argument("--register-unit", choices=("kWh", "Wh"), default="kWh")
    parser.add_argument("--bare-default-value", action="store_true", help="add a default-form sampled value")
    parser.add_argument("--vendor", default="JD-SIM")
    parser.add_argument("--model", default="AC7K-SIM")
    parser.add_argument("--serial", default="SIM0001")
    parser.add_argument("--ocpp-version", choices=OCPP_VERSIONS, default="1.6", help="default %(default)s")
    parser.add_argument("--password", default=None, help="HTTP Basic password (security profile 1/2)")
    parser.add_argument("--ca-cert", default=None, help="CA certificate (PEM) to trust for wss:// (profile 2)")
    parser.add_argument("--adopt-csms-time", action="store_true",
                        help="set the clock from the CSMS's currentTime (BootNotification, Heartbeat)")
    parser.add_argument("--clock-rate-error", type=float, default=0.0, help="post clock runs fast by this %%")
    parser.add_argument("--no-boot", action="store_true",
                        help="connect as a post already running (StatusNotification first, boot only when triggered)")
    parser.add_argument("--service-fee", type=float, default=0.0, help="service fee, 元/kWh")
    parser.add_argument("--tariff", default="",
                        help="time-of-use tariff as NAME@HH:MM=PRICE,… (e.g. 谷@00:00=0.4,峰@08:00=1.2)")
    parser.add_argument("--no-current", action="store_true", help="fault: the post starts charging but delivers no current")
    parser.add_argument("--sign", action="store_true",
                        help="sign begin, end and triggered register readings (OCMF, a fresh key; printed at start)")
    parser.add_argument("--ocmf-page-per", choices=PAGE_PER, default="record",
                        help="OCMF page numbers (PG): one per record (OCMF) or one per transaction, begin and end "
                             "sharing it, as some real meters do (default %(default)s)")
    add_fault_option(parser)
    args_list = list(argv) if argv is not None else None
    if args_list and args_list[0] == "ac-post":
        args_list = args_list[1:]
    args = parser.parse_args(args_list)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("ocpp").setLevel(logging.WARNING)

    async def _run() -> None:
        rig = Rig(speed=args.speed, voltage_v=args.voltage, dut_error_pct=args.error)
        rig.circuit.set_load(args.load)
        signer = OcmfSigner(f"M-{args.serial}", page_per=args.ocmf_page_per) if args.sign else None
        twin = AcPostTwin(
            rig,
            args.csms,
            charge_point_id=args.id,
            vendor=args.vendor,
            model=args.model,
            serial=args.serial,
            clock_offset_s=args.clock_offset,
            register_unit=args.register_unit,
            bare_default_value=args.bare_default_value,
            ocpp_version=args.ocpp_version,
            basic_auth_password=args.password,
            ca_cert=args.ca_cert,
            adopt_csms_time=args.adopt_csms_time,
            clock_rate_error_pct=args.clock_rate_error,
            boot_on_connect=not args.no_boot,
            service_fee_yuan_per_kwh=args.service_fee,
            tariff=parse_tariff(args.tariff),
            meter_value_signer=signer,
        )
        twin.faults.no_current = args.no_current
        if signer is not None:
            print(f"OCMF public key (meter {signer.meter_serial}, pages per {signer.page_per}): "
                  f"{signer.public_key_hex()}", flush=True)
        print(
            f"AC post twin {args.id} → {twin.url} (OCPP {args.ocpp_version}, error {args.error} %, "
            f"speed ×{args.speed:g})",
            flush=True,
        )
        faults = FaultScheduler(log=lambda text: print(text, flush=True))
        for option in args.fault:
            faults.add(twin, parse_fault_option(option))
        faults.start()
        try:
            await twin.run()
        finally:
            await faults.stop()

    try:
        asyncio.run(_run())
    except KeyboardInterrupt:
        pass
    except ValueError as exc:
        print(f"ac-post twin: {exc}", file=sys.stderr)
        return 1
    return 0
