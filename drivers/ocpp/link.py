"""``ChargerLink`` over OCPP 1.6J: the workstation drives one charge point through :class:`Csms16`.

What a procedure needs from an AC post under test, and how it is asked for:

* identity — the BootNotification (OCPP 1.6 §4.2), or the identity remembered from it when the
  post reconnects without rebooting;
* a transaction — RemoteStartTransaction (§5.11), then the post's StartTransaction (§4.8) for that
  connector, after setting ``MeterValueSampleInterval`` with ChangeConfiguration (§5.3, §9.1);
* a *fresh* register reading — TriggerMessage(MeterValues) (§5.17) and the next
  ``Energy.Active.Import.Register`` sample (§4.7), in Wh;
* the post's clock — the timestamp of that triggered MeterValues (or of a triggered
  StatusNotification) paired with the workstation's time standard at its arrival.

Every call has a deadline; every failure is a :mod:`drivers.errors` type naming the charger. When
the post drops its WebSocket, the next call raises ``Disconnected``; once the post is back
(:meth:`OcppChargerLink.wait_connected`), the link works again and an open transaction carries on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from drivers.errors import DeviceRefused, Disconnected
from drivers.ocpp.csms16 import (
    ChargePointSession,
    ChargerConnected,
    ConfigurationSnapshot,
    Csms16,
    CsmsEvent,
    MeterReading,
    StatusChanged,
    TransactionStarted,
    TransactionStopped,
    charger_label,
    disconnect_detail,
)
from drivers.roles import ChargerInfo, ClockReading

LOG = logging.getLogger(__name__)

ENERGY_REGISTER = "Energy.Active.Import.Register"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class OcppChargerLink:
    """:class:`drivers.roles.ChargerLink` for one OCPP 1.6J charge point on a :class:`Csms16`.

    The CSMS may be shared by several links (one per post) or owned by this link
    (:meth:`from_config`), in which case :meth:`connect` starts it and :meth:`close` stops it.
    ``time_source`` is the workstation's time standard used by :meth:`read_clock`.

    A triggered reading is recognised by its context ``Trigger`` (OCPP 1.6 §7.35 ReadingContext), so
    that a periodic or Transaction.Begin sample already on its way is not taken for the fresh one.
    For a post that does not tag triggered samples, ``strict_trigger_context=False`` accepts the
    first sample of any context that arrives after the request.
    """

    def __init__(
        self,
        name: str,
        csms: Csms16,
        charge_point_id: str,
        *,
        id_tag: str = "JIANDING",
        call_timeout_s: float = 10.0,
        meter_value_interval_s: int | None = 1,
        transaction_timeout_s: float | None = None,
        owns_csms: bool = False,
        time_source: Callable[[], datetime] | None = None,
        strict_trigger_context: bool = True,
    ) -> None:
        self.name = name
        self.csms = csms
        self.charge_point_id = charge_point_id
        self.id_tag = id_tag
        self.call_timeout_s = call_timeout_s
        self.meter_value_interval_s = meter_value_interval_s
        self.transaction_timeout_s = transaction_timeout_s or max(3 * call_timeout_s, 15.0)
        self.owns_csms = owns_csms
        self.time_source = time_source or _utc_now
        self.strict_trigger_context = strict_trigger_context
        self.label = charger_label(charge_point_id)
        self._transaction_id: int | None = None
        self._connector_id = 1

    @classmethod
    def from_config(
        cls, name: str, cfg: Mapping[str, Any], *, time_source: Callable[[], datetime] | None = None
    ) -> OcppChargerLink:
        """Build a link owning its own CSMS from a station-file section, e.g.
        ``{"protocol": "ocpp1.6", "host": "0.0.0.0", "port": 9000, "charge_point_id": "CP001",
        "id_tag": "JIANDING", "call_timeout_s": 10, "meter_value_interval_s": 1}``."""
        protocol = str(cfg.get("protocol", "ocpp1.6")).lower()
        if protocol not in ("ocpp1.6", "ocpp16", "ocpp1.6j"):
            raise ValueError(f"{name}: OcppChargerLink speaks ocpp1.6, not {protocol!r}")
        call_timeout_s = float(cfg.get("call_timeout_s", 10.0))
        csms = Csms16(
            host=str(cfg.get("host", "0.0.0.0")),
            port=int(cfg.get("port", 9000)),
            call_timeout_s=call_timeout_s,
            heartbeat_interval_s=int(cfg.get("heartbeat_interval_s", 60)),
            accepted_id_tags=cfg.get("accepted_id_tags"),
        )
        return cls(
            name,
            csms,
            str(cfg.get("charge_point_id", "CP001")),
            id_tag=str(cfg.get("id_tag", "JIANDING")),
            call_timeout_s=call_timeout_s,
            meter_value_interval_s=(
                None
                if cfg.get("meter_value_interval_s", 1) is None
                else int(cfg.get("meter_value_interval_s", 1))
            ),
            transaction_timeout_s=cfg.get("transaction_timeout_s"),
            owns_csms=True,
            time_source=time_source,
            strict_trigger_context=bool(cfg.get("strict_trigger_context", True)),
        )

    # ---- Device ----------------------------------------------------------------------------

    async def connect(self) -> None:
        """Start the CSMS when this link owns it (the post then connects to us)."""
        if self.owns_csms:
            await self.csms.start()

    async def close(self) -> None:
        """Stop an owned CSMS; never raises (a running transaction is left to ``stop_charging``)."""
        if self.owns_csms:
            try:
                await self.csms.stop()
            except Exception:  # close never raises
                LOG.exception("%s: stopping the CSMS failed", self.name)

    # ---- ChargerLink -----------------------------------------------------------------------

    @property
    def transaction_id(self) -> str | None:
        """The transaction this link started and has not yet seen stop."""
        return None if self._transaction_id is None else str(self._transaction_id)

    def _session(self) -> ChargePointSession:
        session = self.csms.connected(self.charge_point_id)
        if session is not None:
            return session
        last = self.csms.last_close(self.charge_point_id)
        if last is not None:
            raise Disconnected(self.label, disconnect_detail(*last))
        raise Disconnected(
            self.label,
            f"未连接 (not connected) — set the post's CSMS URL to {self.csms.url}/{self.charge_point_id}",
        )

    async def wait_connected(self, timeout_s: float) -> ChargerInfo:
        """Wait until the post is connected and identified (BootNotification, or a reconnect of a
        post that booted earlier); returns its identity. ``DeviceTimeout`` after ``timeout_s``."""
        cp = self.charge_point_id
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            with self.csms.expect(cp, lambda e: isinstance(e, ChargerConnected)) as exp:
                info = self.csms.info(cp)
                if self.csms.connected(cp) is not None and info is not None:
                    return info
                try:
                    event = await exp.wait(
                        max(0.0, deadline - loop.time()),
                        f"BootNotification (充电桩未连接 — set its CSMS URL to {self.csms.url}/{cp})",
                    )
                except Disconnected:  # an old socket closing while we wait for the new one
                    continue
            assert isinstance(event, ChargerConnected)
            return event.info

    async def start_charging(self, connector_id: int = 1, id_tag: str | None = None) -> str:
        """Set ``MeterValueSampleInterval``, send RemoteStartTransaction and wait for the post's
        StartTransaction on ``connector_id``; returns the transaction id. A transaction already open
        on that connector (e.g. after a reconnect) is adopted rather than started twice."""
        cp = self.charge_point_id
        tag = id_tag or self.id_tag
        self._connector_id = connector_id
        for tx in self.csms.open_transactions(cp):
            if tx.connector_id == connector_id:
                LOG.info(
                    "%s: adopting open transaction %s on connector %s",
                    self.name,
                    tx.transaction_id,
                    connector_id,
                )
                self._transaction_id = tx.transaction_id
                return str(tx.transaction_id)
        session = self._session()
        if self.meter_value_interval_s is not None:
            try:
                await session.change_configuration(
                    "MeterValueSampleInterval", str(self.meter_value_interval_s)
                )
            except DeviceRefused as exc:  # the triggered reading still works without periodic samples
                LOG.warning("%s: %s", self.name, exc)

        def started(e: CsmsEvent) -> bool:
            return isinstance(e, TransactionStarted) and e.connector_id == connector_id

        with self.csms.expect(cp, started) as exp:
            await session.remote_start_transaction(tag, connector_id)
            event = await exp.wait(
                self.transaction_timeout_s, f"StartTransaction on connector {connector_id}"
            )
        assert isinstance(event, TransactionStarted)
        if not event.authorized:
            raise DeviceRefused(self.label, f"StartTransaction with idTag {event.id_tag} was not authorised")
        self._transaction_id, self._connector_id = event.transaction_id, connector_id
        return str(event.transaction_id)

    async def stop_charging(self) -> None:
        """RemoteStopTransaction and wait for StopTransaction; a no-op when no transaction is open.

        Also stops a transaction that opened on this link's connector after ``start_charging`` gave
        up waiting for it (a late StartTransaction), so that teardown leaves the post idle."""
        open_tx = {t.transaction_id: t for t in self.csms.open_transactions(self.charge_point_id)}
        tx_id = self._transaction_id
        if tx_id not in open_tx:
            tx_id = next((t for t, s in open_tx.items() if s.connector_id == self._connector_id), None)
        if tx_id is None:
            self._transaction_id = None
            return
        session = self._session()

        def stopped(e: CsmsEvent) -> bool:
            return isinstance(e, TransactionStopped) and e.transaction_id == tx_id

        with self.csms.expect(self.charge_point_id, stopped) as exp:
            try:
                await session.remote_stop_transaction(tx_id)
            except DeviceRefused:
                if tx_id not in {t.transaction_id for t in self.csms.open_transactions(self.charge_point_id)}:
                    self._transaction_id = None  # it stopped meanwhile
                    return
                raise
            await exp.wait(self.transaction_timeout_s, f"StopTransaction of transaction {tx_id}")
        self._transaction_id = None

    async def read_energy_register_wh(self) -> float:
        """TriggerMessage(MeterValues) and the next energy-register sample of the connector, Wh."""
        reading = await self._triggered_reading()
        assert reading.value_wh is not None
        return reading.value_wh

    async def read_clock(self) -> ClockReading:
        """The post's clock: the timestamp of a triggered MeterValues (StatusNotification if the post
        refuses to trigger MeterValues) against the time standard read when it arrived."""
        try:
            reading, stamped = await self._triggered(
                "MeterValues",
                lambda e: isinstance(e, MeterReading) and self._fresh(e),
                stamp=self.time_source,
            )
            charger_time = reading.timestamp
        except DeviceRefused:
            reading, stamped = await self._triggered(
                "StatusNotification",
                lambda e: isinstance(e, StatusChanged) and e.timestamp is not None,
                stamp=self.time_source,
            )
            assert isinstance(reading, StatusChanged) and reading.timestamp is not None
            charger_time = reading.timestamp
        assert stamped is not None
        return ClockReading(charger_time=charger_time, reference_time=stamped)

    # ---- extras for procedures and the CLI -------------------------------------------------

    async def change_configuration(self, key: str, value: str) -> str:
        """ChangeConfiguration (OCPP 1.6 §5.3); Accepted/RebootRequired or ``DeviceRefused``."""
        return await self._session().change_configuration(key, value)

    async def get_configuration(self, keys: Sequence[str] | None = None) -> ConfigurationSnapshot:
        """GetConfiguration (OCPP 1.6 §5.8)."""
        return await self._session().get_configuration(keys)

    # ---- internals -------------------------------------------------------------------------

    def _fresh(self, reading: MeterReading) -> bool:
        return reading.context == "Trigger" or not self.strict_trigger_context

    async def _triggered_reading(self) -> MeterReading:
        connector = self._connector_id

        def is_register(e: CsmsEvent) -> bool:
            return (
                isinstance(e, MeterReading)
                and e.measurand == ENERGY_REGISTER
                and e.value_wh is not None
                and e.connector_id in (connector, None)
                and self._fresh(e)
            )

        reading, _ = await self._triggered(
            "MeterValues",
            is_register,
            what=f"{ENERGY_REGISTER} sample in context Trigger (check MeterValuesSampledData; "
            "for a post that does not tag triggered samples set strict_trigger_context = false)",
        )
        assert isinstance(reading, MeterReading)
        return reading

    async def _triggered(
        self,
        message: str,
        predicate: Callable[[CsmsEvent], bool],
        *,
        what: str | None = None,
        stamp: Callable[[], datetime] | None = None,
    ) -> tuple[Any, datetime | None]:
        what = what or message
        session = self._session()
        with self.csms.expect(self.charge_point_id, predicate, stamp=stamp) as exp:
            await session.trigger_message(message, self._connector_id)
            event = await exp.wait(self.call_timeout_s, f"{what} after TriggerMessage({message})")
            return event, exp.stamped_at
