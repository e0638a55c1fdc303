"""``ChargerLink`` over OCPP 1.6J or 2.0.1: the workstation drives one charge point through its CSMS.

What a procedure needs from an AC post under test, and how it is asked for (OCPP 1.6 § / 2.0.1 §):

* identity — the BootNotification (1.6 §4.2 / 2.0.1 §B01), or the identity remembered from it when
  the post reconnects without rebooting;
* a transaction — RemoteStartTransaction (1.6 §5.11) / RequestStartTransaction (2.0.1 §F01), then
  the post's StartTransaction (§4.8) / TransactionEvent Started (§E01) for that connector/EVSE,
  after setting the sampling interval: ``MeterValueSampleInterval`` with ChangeConfiguration (1.6
  §5.3, §9.1) / ``SampledDataCtrlr.TxUpdatedInterval`` with SetVariables (2.0.1 §B05);
* a *fresh* register reading — TriggerMessage(MeterValues) (1.6 §5.17 / 2.0.1 §F06) and the next
  ``Energy.Active.Import.Register`` sample (1.6 §4.7 / 2.0.1 §J01, or a TransactionEvent with
  triggerReason Trigger), in Wh;
* the post's clock — the timestamp of that triggered MeterValues (or of a triggered
  StatusNotification) paired with the workstation's time standard at its arrival;
* the post's clock **as found** — a timestamp the post sent before our CSMS gave it any time
  (:meth:`OcppChargerLink.clock_as_found`). Every BootNotification and Heartbeat answer carries our
  ``currentTime`` (1.6 §4.2/§4.6, 2.0.1 §B01/§G02) and many posts set their clock from it, so a
  link built from a station file **holds** its CSMS (handshakes answered HTTP 503, the post
  retries) until the procedure first waits for the post (:meth:`wait_connected`): the clock item
  reads the display first, before anything of ours can have set it. The heartbeat interval granted
  is long by default (``heartbeat_interval_s`` 3600) so that no time is given while measuring.

The version is whatever the post negotiated (see :mod:`drivers.ocpp.csms`); both session classes
offer the same 1.6-shaped commands (:class:`~drivers.ocpp.csms16.SessionCore`), so this module has
no version branches beyond recognising a 2.0.1 RemoteStart on a transaction already running.

Every call has a deadline; every failure is a :mod:`drivers.errors` type naming the charger. When
the post drops its WebSocket, the next call raises ``Disconnected``; once the post is back
(:meth:`OcppChargerLink.wait_connected`), the link works again and an open transaction carries on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from drivers.errors import DeviceError, DeviceRefused, DeviceTimeout, Disconnected
from drivers.ocpp.csms import Csms
from drivers.ocpp.csms16 import (
    ChargerConnected,
    ChargerSocketOpened,
    ConfigurationSnapshot,
    Csms16,
    CsmsEvent,
    MeterReading,
    SessionCore,
    StatusChanged,
    TransactionStarted,
    TransactionStopped,
    TransactionUpdated,
    charger_label,
    disconnect_detail,
    normalise_subprotocol,
)
from drivers.ocpp.security import CsmsSecurity
from drivers.ocpp.signed import NOTE_EMBEDDED_KEY, SignedValueError, parse_signed_value, verify_transaction
from drivers.roles import ChargerInfo, ClockReading, SignedMeterSummary

LOG = logging.getLogger(__name__)

ENERGY_REGISTER = "Energy.Active.Import.Register"

# Station-file ``protocol`` values meaning "whatever the post negotiates".
_ANY_VERSION = ("auto", "any", "ocpp")


def versions_from_config(protocol: object) -> tuple[str, ...]:
    """The subprotocols a station-file ``protocol`` allows: ``"ocpp1.6"``, ``"ocpp2.0.1"``,
    ``"auto"`` (both, 2.0.1 preferred) or a list; ``ValueError`` for anything else."""
    items: list[object] = []
    if isinstance(protocol, str):
        items = [protocol]
    elif isinstance(protocol, list | tuple):
        items = list(protocol)
    if not items:
        raise ValueError(f"protocol must be ocpp1.6, ocpp2.0.1, auto or a list of them, not {protocol!r}")
    if any(str(item).strip().lower() in _ANY_VERSION for item in items):
        return tuple(Csms.SESSION_CLASSES)
    out = tuple(dict.fromkeys(normalise_subprotocol(str(item)) for item in items))
    unknown = [v for v in out if v not in Csms.SESSION_CLASSES]
    if unknown:
        raise ValueError(
            f"protocol {protocol!r}: OcppChargerLink speaks {', '.join(Csms.SESSION_CLASSES)} (or auto), "
            f"not {', '.join(unknown)}"
        )
    return out


def _utc_now() -> datetime:
    return datetime.now(UTC)


class OcppChargerLink:
    """:class:`drivers.roles.ChargerLink` for one OCPP 1.6J or 2.0.1 charge point on a CSMS
    (:class:`~drivers.ocpp.csms.Csms`, or a 1.6-only :class:`Csms16`).

    The CSMS may be shared by several links (one per post) or owned by this link
    (:meth:`from_config`), in which case :meth:`connect` starts it and :meth:`close` stops it.
    ``time_source`` is the workstation's time standard used by :meth:`read_clock`.

    A triggered reading is recognised by its context ``Trigger`` (OCPP 1.6 §7.35 ReadingContext), so
    that a periodic or Transaction.Begin sample already on its way is not taken for the fresh one.
    For a post that does not tag triggered samples, ``strict_trigger_context=False`` accepts the
    first sample of any context that arrives after the request. A 2.0.1 TransactionEvent with
    triggerReason ``Trigger`` counts as triggered whatever its samples' context.
    """

    IDENTIFY_AFTER_S = 3.0
    """A post connected without a BootNotification is asked for one after this long."""

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
        self._transaction_id: int | str | None = None
        self._connector_id = 1
        self._last_transaction: int | str | None = None
        self._signed: dict[int | str, list[tuple[Any, str]]] = {}
        self._unsubscribe: Callable[[], None] | None = None
        self.ocmf_public_key: str | None = None  # from configuration, for posts that do not embed theirs
        self.security = CsmsSecurity(  # what the CSMS enforces (set by from_config; else from the CSMS)
            2 if csms.ssl_context is not None else 1 if csms.credentials is not None else 0,
            csms.credentials,
            csms.ssl_context,
        )

    @classmethod
    def from_config(
        cls,
        name: str,
        cfg: Mapping[str, Any],
        *,
        time_source: Callable[[], datetime] | None = None,
        base_dir: str | Path | None = None,
        simulated: bool = False,
    ) -> OcppChargerLink:
        """Build a link owning its own CSMS from a station-file section, e.g.
        ``{"protocol": "auto", "host": "0.0.0.0", "port": 9000, "charge_point_id": "CP001",
        "id_tag": "JIANDING", "call_timeout_s": 10, "meter_value_interval_s": 1}``.

        ``protocol``: ``"ocpp1.6"``, ``"ocpp2.0.1"`` or ``"auto"`` (default: both offered, the post
        chooses). Security keys (:meth:`drivers.ocpp.security.CsmsSecurity.from_config`):
        ``security_profile`` 0 | 1 | 2, ``credentials`` (charge point id → password) or
        ``credentials_file``, ``tls_cert``/``tls_key``, ``accept_unsecured``; relative file names
        are taken from ``base_dir`` (the current directory when ``None``). Secure by default: a
        section without security keys is refused unless ``simulated`` (the post is a twin), and the
        credentials must hold a password for ``charge_point_id``; the resulting
        :class:`~drivers.ocpp.security.CsmsSecurity` is :attr:`security`. ``hold_until_used`` (default true): the
        CSMS answers no post until the procedure first waits for it (the clock as found, module
        docstring). Raises ``ValueError`` naming the section."""
        try:
            versions = versions_from_config(cfg.get("protocol", "auto"))
            security = CsmsSecurity.from_config(
                cfg, base_dir=base_dir, simulated=simulated, charge_point_id=str(cfg.get("charge_point_id", "CP001"))
            )
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from None
        if security.profile == 1:
            LOG.warning(
                "%s: OCPP security profile 1: Basic-auth passwords cross the network unencrypted "
                "(OCPP 1.6 Security Whitepaper §2.1: trusted networks only)",
                name,
            )
        call_timeout_s = float(cfg.get("call_timeout_s", 10.0))
        csms = Csms(
            host=str(cfg.get("host", "0.0.0.0")),
            port=int(cfg.get("port", 9000)),
            call_timeout_s=call_timeout_s,
            heartbeat_interval_s=int(cfg.get("heartbeat_interval_s", 3600)),
            accepted_id_tags=cfg.get("accepted_id_tags"),
            versions=versions,
            ssl_context=security.ssl_context,
            credentials=security.credentials,
        )
        link = cls(
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
        link.ocmf_public_key = cfg.get("ocmf_public_key")
        link.security = security
        if time_source is not None:
            csms.clock = time_source
        if cfg.get("hold_until_used", True):
            csms.hold()
        return link

    # ---- Device ----------------------------------------------------------------------------

    async def connect(self) -> None:
        """Start the CSMS when this link owns it (the post then connects to us); collect the
        signed meter values the post sends, per transaction."""
        if self._unsubscribe is None:
            self._unsubscribe = self.csms.subscribe(self._collect_signed)
        if self.owns_csms:
            await self.csms.start()

    def _collect_signed(self, event: CsmsEvent) -> None:
        if isinstance(event, MeterReading) and event.cp_id == self.charge_point_id and event.signed_data:
            tx = event.transaction_id if event.transaction_id is not None else self._last_transaction
            if tx is not None:
                self._signed.setdefault(tx, []).append((event.signed_data, self.ocpp_version or "1.6"))

    async def signed_meter_values(self) -> SignedMeterSummary:
        """Check the OCMF signed meter values of the last transaction (OCMF, pyocmf): valid,
        invalid (and why) or absent, with the signed start and stop readings and the verdict's
        notes (e.g. a page number repeated on begin and end: valid, as the S.A.F.E.
        Transparenzsoftware reads it; and, with no ``ocmf_public_key`` configured, that the key was
        the one the post sent itself)."""
        tx = self._last_transaction
        raw = self._signed.get(tx, []) if tx is not None else []
        if not raw:
            return SignedMeterSummary("absent", "未收到签名电能数据 (no signed meter values received)")
        records: list[str] = []
        key: bytes | str | None = self.ocmf_public_key
        problems: list[str] = []
        for value, version in raw:
            try:
                reading = parse_signed_value(value, ocpp_version=version)
            except SignedValueError as exc:
                problems.append(str(exc))
                continue
            records.append(reading.ocmf)
            key = key or reading.public_key
        if not records:
            return SignedMeterSummary("invalid", "；".join(problems), records=len(raw))
        verdict = verify_transaction(records, key)
        reason = "；".join([verdict.reason, *problems]) if problems else verdict.reason
        notes = verdict.notes
        if self.ocmf_public_key is None and key is not None and verdict.status != "absent":
            notes = (*notes, NOTE_EMBEDDED_KEY)
        return SignedMeterSummary(
            "invalid" if problems and verdict.status == "valid" else verdict.status, reason,
            float(verdict.start_wh) if verdict.start_wh is not None else None,
            float(verdict.stop_wh) if verdict.stop_wh is not None else None,
            verdict.meter_serial, len(records), notes)

    async def close(self) -> None:
        """Stop an owned CSMS; never raises (a running transaction is left to ``stop_charging``)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
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

    @property
    def ocpp_version(self) -> str | None:
        """``"1.6"`` or ``"2.0.1"`` — the version of the post's open session (``None`` offline)."""
        session = self.csms.connected(self.charge_point_id)
        return None if session is None else session.ocpp_version

    def _session(self) -> SessionCore:
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
        self.csms.admit()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        asked_boot = False
        while True:
            with self.csms.expect(cp, lambda e: isinstance(e, ChargerConnected | ChargerSocketOpened)) as exp:
                info = self.csms.info(cp)
                session = self.csms.connected(cp)
                if session is not None and info is not None:
                    return info
                wait = max(0.0, deadline - loop.time())
                if session is not None and not asked_boot:
                    # connected without booting (it was running before: a reconnect to us) and
                    # unknown to this CSMS: ask for its BootNotification (1.6 §5.17, 2.0.1 §F06)
                    wait = min(wait, self.IDENTIFY_AFTER_S)
                try:
                    event = await exp.wait(
                        wait, f"BootNotification (充电桩未连接 — set its CSMS URL to {self.csms.url}/{cp})"
                    )
                except Disconnected:  # an old socket closing while we wait for the new one
                    continue
                except DeviceTimeout:
                    if session is None or asked_boot or loop.time() >= deadline:
                        raise
                    asked_boot = True
                    with contextlib.suppress(DeviceError):
                        await session.trigger_message("BootNotification")
                    continue
            if isinstance(event, ChargerSocketOpened):
                continue  # connected: identified by its BootNotification, or asked for one
            assert isinstance(event, ChargerConnected)
            return event.info

    async def clock_as_found(self) -> ClockReading | None:
        """The earliest timestamp the post sent before this CSMS gave it any time, with the time
        standard at its arrival (None when it sent none — e.g. it booted on connecting, and a
        BootNotification carries no time)."""
        early = self.csms.early_timestamps(self.charge_point_id)
        if not early:
            return None
        first = early[0]
        return ClockReading(charger_time=first.charger_time, reference_time=first.stamped_at,
                            source=f"OCPP {first.message} 时间戳，早于本机校时 (timestamp sent before any CSMS time)")

    async def start_charging(self, connector_id: int = 1, id_tag: str | None = None) -> str:
        """Set the sampling interval, send RemoteStartTransaction (1.6) / RequestStartTransaction
        (2.0.1) and wait for the post's StartTransaction / TransactionEvent on ``connector_id`` (the
        EVSE id in 2.0.1); returns the transaction id. A transaction already open on that connector
        (e.g. after a reconnect) is adopted rather than started twice; in 2.0.1 a transaction the
        station had already begun (cable first) counts when it reports RemoteStart (§F02)."""
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
                self._transaction_id = self._last_transaction = tx.transaction_id
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
            if isinstance(e, TransactionUpdated):
                return e.trigger_reason == "RemoteStart" and e.connector_id == connector_id
            return isinstance(e, TransactionStarted) and e.connector_id == connector_id

        with self.csms.expect(cp, started) as exp:
            await session.remote_start_transaction(tag, connector_id)
            event = await exp.wait(
                self.transaction_timeout_s, f"StartTransaction on connector {connector_id}"
            )
        if isinstance(event, TransactionUpdated):
            self._transaction_id, self._connector_id = event.transaction_id, connector_id
            self._last_transaction = event.transaction_id
            return str(event.transaction_id)
        assert isinstance(event, TransactionStarted)
        if not event.authorized:
            raise DeviceRefused(self.label, f"StartTransaction with idTag {event.id_tag} was not authorised")
        self._transaction_id, self._connector_id = event.transaction_id, connector_id
        self._last_transaction = event.transaction_id
        return str(event.transaction_id)

    async def stop_charging(self) -> None:
        """RemoteStopTransaction / RequestStopTransaction and wait for StopTransaction /
        TransactionEvent Ended; a no-op when no transaction is open.

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
        """ChangeConfiguration (OCPP 1.6 §5.3) / SetVariables (2.0.1 §B05, 1.6 key names mapped,
        or ``Component.Variable``); Accepted/RebootRequired or ``DeviceRefused``."""
        return await self._session().change_configuration(key, value)

    async def get_configuration(self, keys: Sequence[str] | None = None) -> ConfigurationSnapshot:
        """GetConfiguration (OCPP 1.6 §5.8) / GetVariables (2.0.1 §B06)."""
        return await self._session().get_configuration(keys)

    # ---- internals -------------------------------------------------------------------------

    def _fresh(self, reading: MeterReading) -> bool:
        return (
            reading.context == "Trigger"
            or reading.trigger_reason == "Trigger"
            or not self.strict_trigger_context
        )

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
