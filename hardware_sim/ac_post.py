"""AC charging-post twin: an OCPP 1.6J charge point whose meter is ``rig.dut`` of a shared :class:`Rig`.

It connects to a CSMS as a real post does (``ws://…/<chargePointId>``, subprotocol ``ocpp1.6``)
and behaves like one:

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

Its clock is real UTC plus ``clock_offset_s`` (never accelerated: a procedure checks it against a
time standard); only the rig's energy may run accelerated.

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
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

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
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from hardware_sim.physics import Rig

LOG = logging.getLogger(__name__)

SUPPORTED_MEASURANDS = (
    "Energy.Active.Import.Register",
    "Power.Active.Import",
    "Current.Import",
    "Voltage",
)


def _iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


@dataclass
class AcPostFaults:
    """Faults of the twin, mutable while it runs.

    ``silent``: incoming CALLs are ignored (the CSMS's calls time out). ``response_delay_s``: CALLs
    are answered this late. ``reject_remote_start``: RemoteStartTransaction → Rejected.
    ``reconnect``/``reconnect_after_s``: what happens after the connection is lost.
    ``reboot_on_reconnect``: send a BootNotification again after a reconnect (a real post only does
    after a reboot).
    """

    silent: bool = False
    response_delay_s: float = 0.0
    reject_remote_start: bool = False
    reconnect: bool = True
    reconnect_after_s: float = 1.0
    reboot_on_reconnect: bool = False
    amount_error_yuan: float = 0.0  # billing error shown on the display (付费金额误差)


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


@dataclass(frozen=True)
class PostDisplay:
    """The post's screen: session energy (kWh, 0.001 resolution), unit price and amount (元)."""

    session_kwh: float
    price_yuan_per_kwh: float
    amount_yuan: float


@dataclass
class _Transaction:
    transaction_id: int
    connector_id: int
    id_tag: str
    meter_start_wh: int


class _PostChargePoint(_V16ChargePoint):
    """The ``ocpp`` charge-point object of one connection; handlers delegate to the twin."""

    def __init__(self, twin: AcPostTwin, connection: ClientConnection) -> None:
        super().__init__(twin.charge_point_id, connection, response_timeout=twin.call_timeout_s)
        self._twin = twin

    async def route_message(self, raw_msg: str | bytes) -> None:
        """Apply the ``silent``/``response_delay_s`` faults, record CALLERRORs, then route."""
        frame: Any = None
        with contextlib.suppress(ValueError, TypeError):
            frame = json.loads(raw_msg)
        is_call = isinstance(frame, list) and frame[:1] == [2]
        if isinstance(frame, list) and frame[:1] == [4]:
            self._twin._call_error_received(frame)
        if is_call and self._twin.faults.silent:
            LOG.info("%s: silent fault, ignoring %s", self.id, raw_msg)
            return
        if is_call and self._twin.faults.response_delay_s > 0:
            self._twin._spawn(self._delayed(raw_msg, self._twin.faults.response_delay_s))
            return
        await super().route_message(raw_msg)

    async def _delayed(self, raw_msg: str | bytes, delay_s: float) -> None:
        await asyncio.sleep(delay_s)
        await super().route_message(raw_msg)

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


class AcPostTwin:
    """An AC charging post on OCPP 1.6J whose meter is ``rig.dut`` (see the module docstring).

    ``csms_url`` is the CSMS base URL; the post connects to ``<csms_url>/<charge_point_id>``.
    ``register_unit`` is ``"kWh"`` (3 decimals) or ``"Wh"`` (integer); ``bare_default_value`` adds
    one sampled value in the default form ``{"value": "<Wh>"}`` (OCPP 1.6 §7.43) to every MeterValues.
    """

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
    ) -> None:
        if register_unit not in ("kWh", "Wh"):
            raise ValueError("register_unit must be 'kWh' or 'Wh'")
        self.rig = rig
        self.csms_url = csms_url.rstrip("/")
        self.charge_point_id = charge_point_id
        self.vendor, self.model, self.serial = vendor, model, serial
        self.firmware, self.meter_type, self.meter_serial = firmware, meter_type, meter_serial
        self.clock_offset_s = clock_offset_s
        self.register_unit = register_unit
        self.bare_default_value = bare_default_value
        self.faults = faults or AcPostFaults()
        self.call_timeout_s = call_timeout_s
        self.config = _default_config()
        self.transaction: _Transaction | None = None
        self._last_meter_start_wh = 0
        self.price_yuan_per_kwh = price_yuan_per_kwh
        self.status: dict[int, str] = {0: ChargePointStatus.available, 1: ChargePointStatus.available}
        self.boot_count = 0
        self.connection_count = 0
        self.received_call_errors: list[list[Any]] = []
        self._cp: _PostChargePoint | None = None
        self._ws: ClientConnection | None = None
        self._booted = False
        self._pending_start = False
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
    def online(self) -> bool:
        """Connected and past boot."""
        return self._online.is_set()

    def now(self) -> datetime:
        """The post's clock: real UTC plus ``clock_offset_s``."""
        return datetime.now(UTC) + timedelta(seconds=self.clock_offset_s)

    def register_wh(self) -> int:
        """The energy register at display resolution (1 Wh), truncated like a meter display."""
        return math.floor(self.rig.dut.energy_wh() + 1e-9)

    def display(self) -> PostDisplay:
        """What the post's screen shows for the current (or last) session: energy at 0.001 kWh,
        the unit price and the amount charged (with ``faults.amount_error_yuan`` added)."""
        start = self.transaction.meter_start_wh if self.transaction else self._last_meter_start_wh
        session_kwh = max(self.register_wh() - start, 0) / 1000.0
        amount = round(session_kwh * self.price_yuan_per_kwh + self.faults.amount_error_yuan, 2)
        return PostDisplay(round(session_kwh, 3), self.price_yuan_per_kwh, amount)

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
                        self.url, subprotocols=["ocpp1.6"], open_timeout=self.call_timeout_s
                    ) as ws:
                        await self._serve(ws)
                except (OSError, InvalidHandshake, ConnectionClosed, TimeoutError) as exc:
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
        cp = _PostChargePoint(self, ws)
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

    async def _life(self, cp: _PostChargePoint) -> None:
        if not self._booted or self.faults.reboot_on_reconnect:
            await self._boot(cp)
        for connector in (0, 1):
            await self._send_status(connector, self.status[connector])
        self._online.set()
        await asyncio.gather(self._heartbeat_loop(cp), self._meter_loop())

    async def _boot(self, cp: _PostChargePoint) -> None:
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
            if res.interval > 0:
                self._heartbeat_s = float(res.interval)
                self.config["HeartbeatInterval"].value = str(res.interval)
            if res.status == RegistrationStatus.accepted:
                self._booted = True
                self.boot_count += 1
                return
            await asyncio.sleep(max(self._heartbeat_s, 1.0))

    async def _heartbeat_loop(self, cp: _PostChargePoint) -> None:
        while True:
            await asyncio.sleep(max(float(self.config["HeartbeatInterval"].value or 0) or 60.0, 1.0))
            await self._call(call.Heartbeat())

    async def _meter_loop(self) -> None:
        while True:
            interval = int(self.config["MeterValueSampleInterval"].value or 0)
            self._config_changed.clear()
            try:
                async with asyncio.timeout(interval if interval > 0 else None):
                    await self._config_changed.wait()
                continue  # interval changed: restart the period
            except TimeoutError:
                pass
            tx = self.transaction
            if tx is not None:
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
            self.rig.circuit.set_contactor(True)
            meter_start = self.register_wh()
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
        meter_stop = self.register_wh()
        self.transaction = None
        stop_data = [m for m in self.config["StopTxnSampledData"].value.split(",") if m]
        data = [self._meter_value("Transaction.End", stop_data)] if stop_data else None
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

    def _meter_value(self, context: str, measurands: list[str]) -> dict[str, Any]:
        circuit = self.rig.circuit
        wh = self.register_wh()
        sampled: list[dict[str, Any]] = []
        for measurand in measurands:
            sv: dict[str, Any] = {
                "context": context,
                "format": "Raw",
                "measurand": measurand,
                "location": "Outlet",
            }
            if measurand == "Energy.Active.Import.Register":
                if self.register_unit == "kWh":
                    sv.update(value=f"{wh / 1000:.3f}", unit="kWh")
                else:
                    sv.update(value=str(wh), unit="Wh")
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
        return {"timestamp": _iso(self.now()), "sampled_value": sampled}

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
        if entry.kind == "int":
            try:
                if int(value) < 0:
                    return ConfigurationStatus.rejected
            except ValueError:
                return ConfigurationStatus.rejected
            value = str(int(value))
        elif entry.kind == "bool":
            if value.lower() not in ("true", "false"):
                return ConfigurationStatus.rejected
            value = value.lower()
        elif entry.kind == "csl":
            items = [v.strip() for v in value.split(",") if v.strip()]
            if any(v not in SUPPORTED_MEASURANDS for v in items):
                return ConfigurationStatus.rejected
            value = ",".join(items)
        entry.value = value
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


def main(argv: list[str] | None = None) -> int:
    """``python -m hardware_sim ac-post --csms ws://127.0.0.1:9000 --id CP001 [--error 0.3]
    [--speed 50] [--clock-offset 2] [--load 16]``: run one AC post twin with its own rig until
    Ctrl-C. With no reference-meter twin there to set the load, ``--load`` sets the current."""
    parser = argparse.ArgumentParser(
        prog="python -m hardware_sim ac-post",
        description="AC charging-post twin: an OCPP 1.6J charge point metering a simulated circuit.",
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
    args_list = list(argv) if argv is not None else None
    if args_list and args_list[0] == "ac-post":
        args_list = args_list[1:]
    args = parser.parse_args(args_list)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("ocpp").setLevel(logging.WARNING)

    async def _run() -> None:
        rig = Rig(speed=args.speed, voltage_v=args.voltage, dut_error_pct=args.error)
        rig.circuit.set_load(args.load)
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
        )
        print(
            f"AC post twin {args.id} → {twin.url} (error {args.error} %, speed ×{args.speed:g})", flush=True
        )
        await twin.run()

    try:
        asyncio.run(_run())
    except KeyboardInterrupt:
        pass
    return 0
