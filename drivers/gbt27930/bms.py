"""The workstation as the vehicle's BMS on GB/T 27930-2015, so a DC charger (JJG 1149-2022) delivers
energy into the load while a DC reference meter measures it.

:class:`GbtBms` implements :class:`~drivers.roles.BmsLink` and :class:`~drivers.roles.LoadController`
over a :class:`~drivers.transports.can_bus.CanLink`, with the 2015 charging process (protocols.md §B2):

============  ==============================================  =======================================
stage         BMS sends (period)                              BMS waits for (timeout, BEM flag)
============  ==============================================  =======================================
handshake     BHM (250 ms) after the first CHM                CRM 0x00 (5 s)
recognition   BRM (250 ms, J1939 TP)                          CRM 0xAA (5 s)
parameters    BCP (500 ms, TP), then BRO 0xAA (250 ms)        CML (5 s), CRO (5 s), CRO 0xAA (60 s)
charging      BCL (50 ms), BCS (250 ms, TP), BSM (250 ms)     CCS (1 s, each one)
end           BST (10 ms), then BSD (250 ms)                  CST (5 s), CSD (5 s)
============  ==============================================  =======================================

The timeouts are data (:data:`TIMEOUTS`, each with its clause and confidence) and configurable per
station. When one expires the BMS sends BEM with that message's 2-bit flag set to "timeout"
(01) for ``bem_repeat_s`` at BEM's 250 ms period, stops its other messages and raises
:class:`~drivers.errors.DeviceTimeout` naming the device, the stage and the message, e.g.
``充电机 dc-charger: 充电阶段 1 s 内未收到 CCS (no CCS within 1 s while charging) — BEM sent``.
A CEM from the charger becomes :class:`~drivers.errors.ProtocolError` naming the timeout the
charger reported. Frames that are not valid charger→BMS messages are ignored and counted
(:class:`BmsStats`). A multi-packet transfer (BRM/BCP/BCS) that fails is retried once at once;
a second failure is reported as ProtocolError (BEM has no flag for it, so no BEM is sent).

Faults found in the background (a CCS timeout while charging, a CEM) are kept and raised by the
next call (:meth:`GbtBms.charger_status`, :meth:`GbtBms.request`, :meth:`GbtBms.stop_session` …),
so the procedure learns of them at its next step.

Field names and scaling come from the shared codec :mod:`drivers.gbt27930.messages` (also used by
the charger twin), the transport protocol from :mod:`drivers.gbt27930.tp`.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import can

from drivers.errors import DeviceError, DeviceTimeout, Disconnected, ProtocolError
from drivers.gbt27930 import messages as msgs
from drivers.gbt27930 import tp
from drivers.roles import ChargerInfo, ClockReading, DcChargerStatus, DcSessionSummary
from drivers.transports.can_bus import CanLink

LOG = logging.getLogger(__name__)

PROTOCOL = "gbt27930-2015"
TP_CM_PGN = tp.TP_CM_PGN  # J1939-21 TP.CM (protocols.md §B4)
TP_DT_PGN = tp.TP_DT_PGN  # J1939-21 TP.DT


# ---- timeouts as data ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TimeoutRule:
    """One receive timeout of the BMS: which charger message it waits for, in which stage, how long,
    and which BEM flag reports it (GB/T 27930-2015 BEM, protocols.md §B3 "BEM/CEM: 2-bit
    receive-timeout flags").

    ``clause`` and ``confidence`` record where the number comes from: no copy of the standard was
    available, so values marked M/L are cross-checked implementations, not the official text
    (protocols.md §G2) — which is why every value can be overridden in the station file.
    """

    key: str
    awaited: str
    stage_zh: str
    stage_en: str
    seconds: float
    bem_flag: str
    clause: str
    confidence: str


#: The BMS's receive timeouts. Keys are what a station file's ``[devices.<bms>.timeouts]`` overrides
#: (``ccs = 1.0`` or ``ccs_s = 1.0``).
TIMEOUTS: Mapping[str, TimeoutRule] = {
    rule.key: rule
    for rule in (
        TimeoutRule("crm_00", "CRM 0x00", "握手阶段", "during handshake", 5.0, "crm_00_timeout",
                    "GB/T 27930-2015 ch. 8 general 5 s (protocols.md §B2); counted from the last CHM, "
                    "since the charger runs its insulation check between BHM and CRM", "M"),
        TimeoutRule("crm_aa", "CRM 0xAA", "辨识阶段", "during recognition", 5.0, "crm_aa_timeout",
                    "GB/T 27930-2015 ch. 8 general 5 s (protocols.md §B2)", "M"),
        TimeoutRule("cml", "CML", "参数配置阶段", "during parameter configuration", 5.0, "cts_cml_timeout",
                    "GB/T 27930-2015 ch. 8 general 5 s; BEM byte 2 flag 'CTS/CML timeout'", "M"),
        TimeoutRule("cro", "CRO", "参数配置阶段", "during parameter configuration", 5.0, "cro_timeout",
                    "GB/T 27930-2015 ch. 8 general 5 s, after BRO 0xAA", "M"),
        TimeoutRule("cro_aa", "CRO 0xAA", "参数配置阶段", "during parameter configuration", 60.0, "cro_timeout",
                    "charger preparation after CRO 0x00: 60 s in implementations, not confirmed", "L"),
        TimeoutRule("ccs", "CCS", "充电阶段", "while charging", 1.0, "ccs_timeout",
                    "GB/T 27930-2015 pp. 12-13: CCS 1 s (protocols.md §B2, lonlionl fake_bms.py)", "M"),
        TimeoutRule("cst", "CST", "充电结束阶段", "after BST", 5.0, "cst_timeout",
                    "GB/T 27930-2015 ch. 8 general 5 s", "M"),
        TimeoutRule("csd", "CSD", "充电结束阶段", "after CST (BSD sent)", 5.0, "csd_timeout",
                    "GB/T 27930-2015 ch. 8 general 5 s (some implementations wait 10 s)", "M"),
    )
}


def timeouts_from_config(overrides: Mapping[str, Any] | None) -> dict[str, TimeoutRule]:
    """The timeout table with a station file's overrides applied (``{"ccs": 1.0, "crm_aa_s": 5}``);
    an unknown key or a non-positive value raises ``ValueError``."""
    table = dict(TIMEOUTS)
    for raw_key, value in (overrides or {}).items():
        key = raw_key.removesuffix("_s")
        if key not in table:
            raise ValueError(f"unknown GB/T 27930 timeout {raw_key!r}; known: {', '.join(sorted(table))}")
        seconds = float(value)
        if not seconds > 0:
            raise ValueError(f"timeout {raw_key!r} must be positive, not {value!r}")
        table[key] = replace(table[key], seconds=seconds)
    return table


# ---- battery parameters --------------------------------------------------------------------------

BATTERY_TYPES: Mapping[str, int] = {
    "lead_acid": 0x01, "nimh": 0x02, "lfp": 0x03, "lmo": 0x04, "lco": 0x05, "ncm": 0x06,
    "polymer": 0x07, "lto": 0x08, "other": 0xFF,
}


@dataclass
class BatteryParams:
    """The simulated vehicle battery the BMS announces (BHM, BRM, BCP) and reports (BCS, BSM, BSD).

    Values follow the message layouts of GB/T 27930-2015 (protocols.md §B3): BHM/BCP maximum total
    voltage, BRM type/capacity/rated voltage/VIN/BMS version, BCP maximum cell voltage, current,
    energy, temperature, SOC and pack voltage. ``request_voltage_v``/``request_current_a`` are the
    BCL demand used until :meth:`GbtBms.request` or :meth:`GbtBms.set_load` sets another.
    ``battery_type`` is a name of :data:`BATTERY_TYPES` or the BRM code. ``bms_version`` is the BMS
    software version as BRM carries it (bytes 42-47: build date and serial), written
    ``"YYYY-MM-DD#serial"``.
    """

    battery_type: str | int = "lfp"
    capacity_ah: float = 200.0
    rated_voltage_v: float = 400.0
    max_cell_voltage_v: float = 3.65
    max_charge_current_a: float = 250.0
    max_total_voltage_v: float = 750.0
    nominal_energy_kwh: float = 80.0
    max_temperature_c: float = 55.0
    soc_pct: float = 50.0
    pack_voltage_v: float = 380.0
    vin: str = "LJDSIM00000000001"
    bms_version: str = "2026-01-15#1"
    manufacturer: str = "JDSM"
    request_voltage_v: float = 400.0
    request_current_a: float = 10.0
    cell_voltage_v: float = 3.35
    temperature_c: float = 25.0

    def __post_init__(self) -> None:
        if isinstance(self.battery_type, str) and self.battery_type.lower() not in BATTERY_TYPES:
            raise ValueError(f"battery_type {self.battery_type!r} unknown; one of {', '.join(BATTERY_TYPES)}")
        if len(self.vin) > 17 or not self.vin.isascii():
            raise ValueError(f"VIN must be at most 17 ASCII characters, not {self.vin!r}")
        for name in ("capacity_ah", "rated_voltage_v", "max_cell_voltage_v", "max_charge_current_a",
                     "max_total_voltage_v", "nominal_energy_kwh", "pack_voltage_v", "request_voltage_v"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, not {getattr(self, name)!r}")
        self.bms_software()  # validates the format
        if not 0 <= self.soc_pct <= 100:
            raise ValueError(f"soc_pct must be 0..100, not {self.soc_pct!r}")
        if not 0 <= self.request_current_a <= self.max_charge_current_a:
            raise ValueError("request_current_a must be 0..max_charge_current_a")
        if self.request_voltage_v > self.max_total_voltage_v:
            raise ValueError("request_voltage_v must not exceed max_total_voltage_v")

    def bms_software(self) -> dict[str, int]:
        """BRM's BMS software-version fields from ``bms_version`` ("YYYY-MM-DD#serial")."""
        try:
            date, serial = self.bms_version.split("#")
            year, month, day = (int(x) for x in date.split("-"))
            return {"bms_sw_year": year, "bms_sw_month": month, "bms_sw_day": day, "bms_sw_serial": int(serial)}
        except ValueError:
            raise ValueError(f'bms_version must read "YYYY-MM-DD#serial", not {self.bms_version!r}') from None

    @property
    def battery_type_code(self) -> int:
        """BRM byte 4 battery-type code."""
        if isinstance(self.battery_type, int):
            return self.battery_type
        return BATTERY_TYPES[self.battery_type.lower()]

    @classmethod
    def from_dict(cls, cfg: Mapping[str, Any]) -> BatteryParams:
        """Build from a station-file table; unknown keys are ignored, bad values raise ValueError."""
        known = {f.name: f for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in cfg.items():
            if key not in known:
                continue
            if key == "battery_type":
                kwargs[key] = value if isinstance(value, int) else str(value)
            elif key in ("vin", "bms_version", "manufacturer"):
                kwargs[key] = str(value)
            else:
                kwargs[key] = float(value)
        return cls(**kwargs)


# ---- state ---------------------------------------------------------------------------------------


class Stage(enum.StrEnum):
    """Where the BMS is in the GB/T 27930-2015 charging process."""

    IDLE = "idle"
    HANDSHAKE = "handshake"
    RECOGNITION = "recognition"
    PARAMETERS = "parameters"
    CHARGING = "charging"
    ENDING = "ending"
    ENDED = "ended"
    FAULT = "fault"

    @property
    def zh(self) -> str:
        """The stage's name as the standard says it."""
        return {
            "idle": "空闲", "handshake": "握手阶段", "recognition": "辨识阶段", "parameters": "参数配置阶段",
            "charging": "充电阶段", "ending": "充电结束阶段", "ended": "充电结束", "fault": "故障",
        }[self.value]


@dataclass
class BmsStats:
    """What happened on the wire: for diagnostics and tests.

    ``garbage``: frames ignored because they are not a valid charger→BMS message (unknown or
    standard ID, wrong length, undecodable); ``foreign``: well-formed J1939 frames addressed to
    another node; ``error_frames``: CAN error frames; ``tp_retries``/``tp_failures``: multi-packet
    transfers repeated once / failed twice; ``refused``: charger messages holding an impossible value
    (messages.impossible: a positive CCS output current, a 'not available' voltage, …), not used.
    """

    frames_rx: int = 0
    garbage: int = 0
    refused: int = 0
    foreign: int = 0
    error_frames: int = 0
    tp_transfers: int = 0
    tp_retries: int = 0
    tp_failures: int = 0
    bem_sent: int = 0
    cem_received: int = 0
    sent: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ChargerLimits:
    """The charger's output range from CML, currents as positive charging magnitudes (the wire
    carries them negative, GB/T 27930-2015 4.5)."""

    max_voltage_v: float
    min_voltage_v: float
    max_current_a: float
    min_current_a: float

    @classmethod
    def from_cml(cls, f: Mapping[str, Any]) -> ChargerLimits:
        """From a decoded CML."""
        return cls(
            max_voltage_v=float(f["max_output_voltage_v"]),
            min_voltage_v=float(f["min_output_voltage_v"]),
            max_current_a=msgs.charging_current_a(float(f["max_output_current_a"])),
            min_current_a=msgs.charging_current_a(float(f["min_output_current_a"])),
        )


@dataclass
class _Demand:
    voltage_v: float
    current_a: float
    mode: str


#: Text for a CEM flag the charger may report (GB/T 27930-2015 CEM: the charger's receive timeouts).
CEM_FLAG_TEXT: Mapping[str, tuple[str, str]] = {
    "brm_timeout": ("BRM", "辨识阶段"),
    "bcp_timeout": ("BCP", "参数配置阶段"),
    "bro_timeout": ("BRO", "参数配置阶段"),
    "bcs_timeout": ("BCS", "充电阶段"),
    "bcl_timeout": ("BCL", "充电阶段"),
    "bst_timeout": ("BST", "充电阶段"),
    "bsd_timeout": ("BSD", "充电结束阶段"),
}


class GbtBms:
    """The workstation as a GB/T 27930-2015 BMS on one CAN link (see the module docstring).

    ``name`` is the device's name in the station file (the charger under test); errors read
    ``充电机 <name>: …``. ``timeouts`` overrides :data:`TIMEOUTS` (``{"ccs": 1.0}``);
    ``bem_repeat_s`` is how long BEM keeps being sent after a timeout.
    """

    def __init__(
        self,
        name: str,
        link: CanLink,
        params: BatteryParams | None = None,
        *,
        timeouts: Mapping[str, Any] | None = None,
        bem_repeat_s: float = 1.0,
        poll_s: float = 0.02,
    ) -> None:
        self.name = name
        self.link = link
        self.params = params or BatteryParams()
        self.timeouts = timeouts_from_config(timeouts)
        self.bem_repeat_s = bem_repeat_s
        self.poll_s = poll_s
        self.stats = BmsStats()
        self.stage = Stage.IDLE
        self.charger_number: str | None = None
        self.charger_region: str | None = None
        self.charger_limits: ChargerLimits | None = None
        self.charger_time: ClockReading | None = None
        self.charger_timezone: tzinfo = ZoneInfo("Asia/Shanghai")  # CTS is local time (station config)
        self.time_source: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.last_ccs: DcChargerStatus | None = None
        self.refused: dict[str, str] = {}  # message name → the line of its last refused frame
        self.summary: DcSessionSummary | None = None
        self.fault: DeviceError | None = None
        self._demand = _Demand(self.params.request_voltage_v, self.params.request_current_a, "CC")
        self._rx_task: asyncio.Task[None] | None = None
        self._periodic: dict[str, asyncio.Task[None]] = {}
        self._tp = tp.TpTransmitter(msgs.BMS_SA, msgs.CHARGER_SA)
        self._tp_job: tuple[str, bytes, int, bool] | None = None  # name, payload, pgn, retried
        self._deadline: tuple[TimeoutRule, float] | None = None
        self._changed = asyncio.Event()
        self._first_ccs = False
        self._ended_by_charger = False
        self._bst_fields: dict[str, Any] = {}
        self._cst_fields: dict[str, Any] | None = None
        self._closing = False

    # ---- configuration -----------------------------------------------------------------------

    @classmethod
    def from_config(cls, name: str, cfg: Mapping[str, Any]) -> GbtBms:
        """Build the CAN link and battery from a station-file section, e.g.::

            [devices.charger]
            driver = "gbt27930_bms"
            interface = "socketcan"
            channel = "can0"
            bitrate = 250000
            [devices.charger.battery]
            max_total_voltage_v = 750
            request_current_a = 100
            [devices.charger.timeouts]
            ccs = 1.0

        Battery keys may also sit flat in the section. Every key that is neither a battery field nor
        a BMS option goes to :meth:`CanLink.from_config` (python-can options)."""
        battery_keys = {f.name for f in fields(BatteryParams)}
        own = battery_keys | {"battery", "timeouts", "bem_repeat_s", "poll_s", "protocol", "charger_timezone"}
        protocol = str(cfg.get("protocol", PROTOCOL)).lower()
        if protocol not in (PROTOCOL, "gbt27930", "gb/t27930-2015"):
            raise ValueError(f"{name}: GbtBms speaks {PROTOCOL}, not {protocol!r}")
        battery_cfg = {k: v for k, v in cfg.items() if k in battery_keys}
        battery_cfg.update(dict(cfg.get("battery") or {}))
        link = CanLink.from_config(name, {k: v for k, v in cfg.items() if k not in own})
        bms = cls(
            name,
            link,
            BatteryParams.from_dict(battery_cfg),
            timeouts=cfg.get("timeouts"),
            bem_repeat_s=float(cfg.get("bem_repeat_s", 1.0)),
            poll_s=float(cfg.get("poll_s", 0.02)),
        )
        try:
            bms.charger_timezone = ZoneInfo(str(cfg.get("charger_timezone", "Asia/Shanghai")))
        except (KeyError, ValueError) as exc:  # ZoneInfoNotFoundError is a KeyError
            raise ValueError(f"{name}: charger_timezone {cfg.get('charger_timezone')!r} unknown") from exc
        return bms

    # ---- errors ------------------------------------------------------------------------------

    def _error(self, cls: type[DeviceError], detail: str) -> DeviceError:
        """An error reading ``充电机 <name>: <detail>`` whose ``device`` stays the station name."""
        exc = cls(f"充电机 {self.name}", detail)
        exc.device = self.name
        return exc

    def _fail(self, exc: DeviceError) -> None:
        """Record the first fault, stop sending the stage's messages and wake every waiter.

        A link error (raised by :class:`CanLink` with the bare device name) is re-raised in the
        BMS's words: ``充电机 <name>: <stage>: <link detail>``."""
        if not str(exc).startswith("充电机 "):
            exc = self._error(type(exc), f"{self.stage.zh}: {exc.detail}")
        if self.fault is None:
            self.fault = exc
            LOG.error("%s", exc)
        self.stage = Stage.FAULT
        self._deadline = None
        self._stop_all_periodic(keep=("BEM",))
        self._notify()

    def _raise_fault(self) -> None:
        if self.fault is not None:
            raise self.fault

    # ---- life cycle --------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """The CAN link is open and the receive task running."""
        return self.link.connected and self._rx_task is not None and not self._rx_task.done()

    async def connect(self) -> None:
        """Open the CAN link and start listening; ``Disconnected`` if the adapter cannot be opened."""
        self._closing = False
        await self.link.connect()
        if self._rx_task is None or self._rx_task.done():
            self._changed = asyncio.Event()
            self._rx_task = asyncio.create_task(self._rx_loop(), name=f"{self.name}:gbt-rx")

    async def close(self) -> None:
        """Stop every periodic sender and the receive task, then close the link; never raises.

        If the charger is still charging, one BST goes out first (best effort) so it stops its
        output at once instead of after its own BCL timeout."""
        self._closing = True
        if self.stage == Stage.CHARGING:
            with contextlib.suppress(Exception):
                self._send("BST", self._bst_payload())
        tasks = [*self._periodic.values()]
        self._periodic.clear()
        if self._rx_task is not None:
            tasks.append(self._rx_task)
            self._rx_task = None
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._deadline = None
        if self.stage not in (Stage.ENDED, Stage.FAULT):
            self.stage = Stage.IDLE
        self._notify()
        with contextlib.suppress(Exception):
            await self.link.close()

    # ---- BmsLink -----------------------------------------------------------------------------

    async def start_session(self, timeout_s: float) -> ChargerInfo:
        """Handshake → recognition → parameter configuration → charging, until the first CCS has
        arrived; returns the charger's identity from CRM (charger number; the region code is in
        :attr:`charger_region`). Idempotent while charging.

        Raises the stage's :class:`DeviceTimeout` (with BEM sent) when a standard timeout expires,
        :class:`ProtocolError` for a CEM or a failed multi-packet transfer, and
        :class:`DeviceTimeout` when the whole start takes longer than ``timeout_s`` (e.g. no CHM:
        the charger is not there or not started)."""
        if self.stage == Stage.CHARGING and self.fault is None and self._first_ccs:
            return self._charger_info()
        if not self.connected:
            await self.connect()
        self._reset_session()
        self.stage = Stage.HANDSHAKE
        LOG.info("%s: waiting for the charger's handshake (CHM)", self.name)
        try:
            await self._wait_until(lambda: self.stage == Stage.CHARGING and self._first_ccs, timeout_s)
        except TimeoutError:
            stage = self.stage
            waiting = {
                Stage.HANDSHAKE: "CHM/CRM (charger not started, not connected, or wrong CAN channel/bit rate?)",
                Stage.RECOGNITION: "CRM 0xAA", Stage.PARAMETERS: "CML/CRO", Stage.CHARGING: "CCS",
            }.get(stage, stage.value)
            self._abort_session()
            raise self._error(
                DeviceTimeout,
                f"{stage.zh} {timeout_s:g} s 内未完成充电启动 (charging did not start within {timeout_s:g} s; "
                f"stuck in {stage.value}, waiting for {waiting})",
            ) from None
        return self._charger_info()

    async def request(self, voltage_v: float, current_a: float, mode: str = "CC") -> None:
        """Set the BCL demand: voltage and current, constant current ("CC") or voltage ("CV");
        sent from the next 50 ms BCL on. Raises the session's fault if there is one and
        ``ValueError`` for a demand outside the battery's limits (BCP)."""
        mode = mode.upper()
        if mode not in ("CC", "CV"):
            raise ValueError(f'mode must be "CC" or "CV", not {mode!r}')
        if not 0 < voltage_v <= self.params.max_total_voltage_v:
            raise ValueError(f"voltage {voltage_v} V outside 0..{self.params.max_total_voltage_v} V (BCP limit)")
        if not 0 <= current_a <= self.params.max_charge_current_a:
            raise ValueError(f"current {current_a} A outside 0..{self.params.max_charge_current_a} A (BCP limit)")
        self._raise_fault()
        self._demand = _Demand(float(voltage_v), float(current_a), mode)
        if self.stage == Stage.CHARGING:
            try:
                self._send("BCL", self._bcl_payload())  # at once; the 50 ms schedule continues
            except DeviceError as exc:
                self._fail(exc)
                self._raise_fault()

    async def clock_as_found(self) -> ClockReading | None:
        """The charger's clock from the CTS of this session (GB/T 27930-2015 CTS, sent by the
        charger; the BMS never sends time), with the time standard at its arrival; None when the
        charger sent none (all FF) or no session has reached the parameter stage."""
        return self.charger_time

    async def charger_status(self) -> DcChargerStatus:
        """The latest CCS. Raises the session's fault (e.g. the CCS timeout, with BEM sent),
        :class:`DeviceTimeout` when no CCS has arrived yet, and :class:`ProtocolError` when the
        charger itself ended the session (CST) or no session is charging."""
        self._check_deadline(asyncio.get_running_loop().time())
        self._raise_fault()
        if self._ended_by_charger:
            raise self._error(ProtocolError, f"充电机主动中止充电 (the charger stopped charging: "
                                             f"CST {', '.join(self._stop_reasons()) or 'no reason given'})")
        if self.stage != Stage.CHARGING:
            raise self._error(ProtocolError, f"{self.stage.zh}: 未在充电 (no session is charging; stage "
                                             f"{self.stage.value}) — start_session() first")
        if self.last_ccs is None:
            raise self._error(DeviceTimeout, f"{self.stage.zh}: 尚未收到 CCS (no CCS yet; stage {self.stage.value})")
        return self.last_ccs

    async def stop_session(self, timeout_s: float) -> DcSessionSummary:
        """End charging: BST (10 ms) until CST, then BSD (250 ms) until CSD; returns the CSD
        statistics (energy in 0.1 kWh, time, charger number) with the BST/CST reasons.

        Idempotent: after the end it returns the same summary; when no session is running it stops
        whatever is being sent and returns an empty summary. A fault of the session is raised
        (there is no CSD to return)."""
        if self.summary is not None and self.stage == Stage.ENDED:
            return self.summary
        if self.fault is not None:
            self._stop_all_periodic(keep=("BEM",))
            raise self.fault
        if self.stage == Stage.CHARGING:
            self._enter_ending_by_bms()
        elif self.stage != Stage.ENDING:
            self._abort_session()
            return DcSessionSummary(0.0, 0, self.charger_number or "", ("no session running",))
        try:
            await self._wait_until(lambda: self.stage == Stage.ENDED, timeout_s)
        except TimeoutError:
            stage = self.stage
            self._abort_session()
            raise self._error(
                DeviceTimeout,
                f"{stage.zh} {timeout_s:g} s 内未收到 CST/CSD (no CST/CSD within {timeout_s:g} s)",
            ) from None
        assert self.summary is not None
        return self.summary

    # ---- LoadController ------------------------------------------------------------------------

    async def set_load(self, current_a: float, power_factor: float = 1.0) -> None:
        """The DC "load" is the battery's demand: request ``current_a`` at the configured voltage
        (``params.request_voltage_v``) in constant-current mode. ``power_factor`` has no meaning on
        DC and is ignored."""
        await self.request(self.params.request_voltage_v, current_a, "CC")

    async def load_off(self) -> None:
        """Request 0 A (teardown path): idempotent and silent when no session is running."""
        self._demand = _Demand(self._demand.voltage_v, 0.0, self._demand.mode)
        if self.stage == Stage.CHARGING and self.fault is None:
            with contextlib.suppress(DeviceError):
                self._send("BCL", self._bcl_payload())

    # ---- session helpers -------------------------------------------------------------------------

    def _charger_info(self) -> ChargerInfo:
        number = self.charger_number or ""
        return ChargerInfo(charger_id=number, vendor="", model="", serial=number or None, protocol=PROTOCOL)

    def _reset_session(self) -> None:
        self._stop_all_periodic()
        self.fault = None
        self.summary = None
        self.last_ccs = None
        self.refused = {}
        self.charger_number = self.charger_region = None
        self.charger_limits = None
        self.charger_time = None
        self._first_ccs = False
        self._ended_by_charger = False
        self._cst_fields = None
        self._bst_fields = {}
        self._deadline = None
        self._tp_job = None
        self._tp = tp.TpTransmitter(msgs.BMS_SA, msgs.CHARGER_SA)

    def _abort_session(self) -> None:
        """Stop sending without a fault (a caller's deadline or a stop before charging)."""
        self._stop_all_periodic()
        self._deadline = None
        if self.stage not in (Stage.FAULT, Stage.ENDED):
            self.stage = Stage.IDLE
        self._notify()

    def _notify(self) -> None:
        ev, self._changed = self._changed, asyncio.Event()
        ev.set()

    async def _wait_until(self, cond: Callable[[], bool], timeout_s: float) -> None:
        """Wait until ``cond()`` holds; raise the session's fault as soon as there is one, a
        :class:`Disconnected` if the receive task ended, ``TimeoutError`` after ``timeout_s``."""
        async with asyncio.timeout(timeout_s):
            while True:
                self._raise_fault()
                if cond():
                    return
                if self._rx_task is None or self._rx_task.done():
                    raise self._error(Disconnected, "CAN link closed")
                await self._changed.wait()

    def _arm(self, key: str, now: float | None = None) -> None:
        rule = self.timeouts[key]
        now = asyncio.get_running_loop().time() if now is None else now
        self._deadline = (rule, now + rule.seconds)

    def _check_deadline(self, now: float) -> None:
        if self._deadline is not None and now > self._deadline[1] and self.fault is None:
            self._on_timeout(self._deadline[0])

    def _on_timeout(self, rule: TimeoutRule) -> None:
        """The standard's reaction to a receive timeout: BEM with the message's flag, stop."""
        self._deadline = None
        self._stop_all_periodic()
        bem = self._bem_payload(rule.bem_flag)
        self._start_periodic("BEM", lambda: self._send("BEM", bem), duration_s=self.bem_repeat_s)
        refused = [line for name, line in self.refused.items() if name in rule.awaited.split("/")]
        self._fail(self._error(
            DeviceTimeout,
            f"{rule.stage_zh} {rule.seconds:g} s 内未收到{'有效的 ' if refused else ' '}{rule.awaited} "
            f"(no {'valid ' if refused else ''}{rule.awaited} within {rule.seconds:g} s {rule.stage_en}) — BEM sent"
            + (f"; 最近 (last): {refused[-1]}" if refused else ""),
        ))

    # ---- stage transitions ---------------------------------------------------------------------

    def _enter_handshake(self, now: float) -> None:
        self._start_periodic("BHM", lambda: self._send("BHM", self._bhm_payload()))
        self._arm("crm_00", now)

    def _enter_recognition(self, now: float) -> None:
        self._stop_periodic("BHM")
        self.stage = Stage.RECOGNITION
        LOG.info("%s: CRM 0x00 — sending BRM", self.name)
        self._start_periodic("BRM", lambda: self._tp_send("BRM", self._brm_payload()))
        self._arm("crm_aa", now)

    def _enter_parameters(self, now: float) -> None:
        self._stop_periodic("BHM")
        self._stop_periodic("BRM")
        self.stage = Stage.PARAMETERS
        LOG.info("%s: CRM 0xAA (charger %s, region %s) — sending BCP", self.name, self.charger_number,
                 self.charger_region)
        self._start_periodic("BCP", lambda: self._tp_send("BCP", self._bcp_payload()))
        self._arm("cml", now)

    def _enter_ready(self, now: float) -> None:
        self._stop_periodic("BCP")
        LOG.info("%s: CML %s — BMS ready (BRO 0xAA)", self.name, self.charger_limits)
        self._start_periodic("BRO", lambda: self._send("BRO", msgs.encode("BRO", ready=0xAA)))
        self._arm("cro", now)

    def _enter_charging(self, now: float) -> None:
        self._stop_periodic("BRO")
        self.stage = Stage.CHARGING
        LOG.info("%s: CRO 0xAA — charging (BCL %s)", self.name, self._demand)
        self._start_periodic("BCL", lambda: self._send("BCL", self._bcl_payload()))
        self._start_periodic("BCS", lambda: self._tp_send("BCS", self._bcs_payload()))
        self._start_periodic("BSM", lambda: self._send("BSM", self._bsm_payload()))
        self._arm("ccs", now)

    def _enter_ending_by_bms(self) -> None:
        for name in ("BCL", "BCS", "BSM"):
            self._stop_periodic(name)
        self.stage = Stage.ENDING
        self._bst_fields = self._bst_reason_fields(charger_stopped=False)
        LOG.info("%s: stopping — BST", self.name)
        self._start_periodic("BST", lambda: self._send("BST", self._bst_payload()))
        self._arm("cst")

    def _on_cst(self, fields_: dict[str, Any], now: float) -> None:
        self._cst_fields = fields_
        if self.stage == Stage.CHARGING:  # the charger stops first: answer with BST, then BSD
            self._ended_by_charger = True
            for name in ("BCL", "BCS", "BSM"):
                self._stop_periodic(name)
            self.stage = Stage.ENDING
            self._bst_fields = self._bst_reason_fields(charger_stopped=True)
            self._send("BST", self._bst_payload())
            LOG.warning("%s: the charger stopped charging (CST %s)", self.name, self._stop_reasons())
        elif self.stage != Stage.ENDING or "BSD" in self._periodic:
            return
        self._stop_periodic("BST")
        self._start_periodic("BSD", lambda: self._send("BSD", self._bsd_payload()))
        self._arm("csd", now)

    def _on_csd(self, fields_: dict[str, Any]) -> None:
        self._stop_periodic("BSD")
        self._deadline = None
        number = fields_.get("charger_number", self.charger_number or "")
        self.summary = DcSessionSummary(
            energy_kwh=round(float(fields_["energy_kwh"]), 1),
            charging_time_min=int(fields_["charging_time_min"]),
            charger_number=_as_number(number),
            stop_reasons=tuple(self._stop_reasons()),
        )
        self.stage = Stage.ENDED
        LOG.info("%s: CSD %s", self.name, self.summary)

    def _on_cem(self, fields_: dict[str, Any]) -> None:
        self.stats.cem_received += 1
        if self.stage in (Stage.IDLE, Stage.ENDED, Stage.FAULT):
            return
        reported = describe_cem(fields_)
        stage = self.stage
        self._stop_all_periodic()
        self._fail(self._error(
            ProtocolError,
            f"{stage.zh}: 充电机报告通信超时 CEM — {'; '.join(reported) or '未给出原因'} "
            f"(the charger reported a receive timeout: {'; '.join(_cem_en(fields_)) or 'no flag set'}) "
            f"while the BMS was in {stage.value}",
        ))

    # ---- receiving -----------------------------------------------------------------------------

    async def _rx_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                msg = await self.link.recv(self.poll_s)
            except ProtocolError as exc:  # an error frame: counted; a dead bus shows up as timeouts
                self.stats.error_frames += 1
                LOG.warning("%s", exc)
                msg = None
            except Disconnected as exc:
                if not self._closing:
                    self._fail(exc)
                return
            now = loop.time()
            if msg is not None:
                try:
                    self._on_frame(msg, now)
                except DeviceError as exc:  # a send in a reaction failed (link gone)
                    self._fail(exc)
            try:
                self._tp_events(self._tp.poll(now))
            except DeviceError as exc:
                self._fail(exc)
            self._check_deadline(now)

    def _on_frame(self, msg: can.Message, now: float) -> None:
        self.stats.frames_rx += 1
        if not msg.is_extended_id or msg.is_remote_frame:
            self.stats.garbage += 1
            return
        arb = msg.arbitration_id
        data = bytes(msg.data)
        try:
            _prio, pgn, da, sa = msgs.parse_id(arb)
        except Exception:
            self.stats.garbage += 1
            return
        if sa != msgs.CHARGER_SA or da != msgs.BMS_SA:
            self.stats.foreign += 1
            return
        if pgn in (TP_CM_PGN, TP_DT_PGN):
            self._tp_events(self._tp.on_frame(arb, data, now))
            return
        name = msgs.name_for(arb)
        if name is None or msgs.SPECS[name].sender != "charger":
            self.stats.garbage += 1
            return
        try:
            fields_ = msgs.decode(name, data)
        except Exception:
            self.stats.garbage += 1
            return
        impossible = msgs.impossible(name, fields_)
        if impossible:
            self._refuse(name, f"#{self.stats.frames_rx} {arb:08X}#{data.hex().upper()}", impossible)
            return
        self._dispatch(name, fields_, now)
        self._notify()

    def _refuse(self, name: str, frame: str, reasons: list[str]) -> None:
        """A charger message with an impossible value (messages.impossible) is not used: counted,
        logged in one line naming the message and the frame (number since the session opened, ID and
        data), and kept so that the timeout it may lead to (no valid CCS within 1 s) says why."""
        self.stats.refused += 1
        line = (f"{name} 帧 {frame} 含不可能的值，已拒绝 (frame refused, impossible value): " + "; ".join(reasons))
        self.refused[name] = line
        LOG.warning("充电机 %s: %s", self.name, line)

    def _dispatch(self, name: str, f: dict[str, Any], now: float) -> None:
        stage = self.stage
        if name == "CEM":
            self._on_cem(f)
        elif stage in (Stage.IDLE, Stage.ENDED, Stage.FAULT):
            return
        elif name == "CHM":
            if stage == Stage.HANDSHAKE:
                if "BHM" not in self._periodic:
                    LOG.info("%s: CHM — sending BHM", self.name)
                    self._enter_handshake(now)
                else:
                    self._arm("crm_00", now)  # the charger is alive: insulation check under way
        elif name == "CRM":
            self.charger_number = _as_number(f.get("charger_number", ""))
            self.charger_region = str(f.get("region_code", "")).strip() or None
            recognised = int(f.get("recognition", 0)) == 0xAA
            if stage == Stage.HANDSHAKE and not recognised:
                self._enter_recognition(now)  # also without CHM: a 2011 charger starts with CRM
            elif stage in (Stage.HANDSHAKE, Stage.RECOGNITION) and recognised:
                self._enter_parameters(now)
        elif name == "CML":
            if stage == Stage.PARAMETERS and self.charger_limits is None:
                try:
                    self.charger_limits = ChargerLimits.from_cml(f)
                except (KeyError, TypeError, ValueError):
                    self.stats.garbage += 1
                    return
                self._enter_ready(now)
        elif name == "CTS":
            when = f.get("datetime")
            if isinstance(when, datetime) and self.charger_time is None:  # all FF: no time sent
                self.charger_time = ClockReading(
                    charger_time=when.replace(tzinfo=self.charger_timezone), reference_time=self.time_source(),
                    source="GB/T 27930 CTS 充电机时间 (charger time sync, sent before any time from us)")
        elif name == "CRO":
            if stage == Stage.PARAMETERS and self.charger_limits is not None:
                if int(f.get("ready", 0)) == 0xAA:
                    self._enter_charging(now)
                elif self._deadline is not None and self._deadline[0].key == "cro":
                    self._arm("cro_aa", now)  # the charger is preparing
        elif name == "CCS":
            if stage == Stage.CHARGING:
                self.last_ccs = DcChargerStatus(
                    voltage_v=float(f["output_voltage_v"]),
                    current_a=msgs.charging_current_a(float(f["output_current_a"])),
                    charging_time_min=int(f["charging_time_min"]),
                    charging_allowed=bool(f.get("charging_allowed", True)),
                )
                self._first_ccs = True
                self._arm("ccs", now)
        elif name == "CST":
            if stage in (Stage.CHARGING, Stage.ENDING):
                self._on_cst(f, now)
        elif name == "CSD" and stage == Stage.ENDING and self._cst_fields is not None:
            self._on_csd(f)

    # ---- transport protocol ----------------------------------------------------------------------

    def _tp_send(self, name: str, payload: bytes) -> None:
        """Start a multi-packet transfer of ``name`` unless one is under way (then skip this period)."""
        if self._tp.busy:
            return
        pgn = msgs.SPECS[name].pgn
        self._tp_job = (name, payload, pgn, False)
        self.stats.tp_transfers += 1
        self._count(name)
        self._tp_events(self._tp.start(pgn, payload, asyncio.get_running_loop().time()))

    def _tp_events(self, events: Iterable[object] | None) -> None:
        for ev in events or ():
            if isinstance(ev, tp.Send):
                self.link.send(ev.arbitration_id, ev.data)
            elif isinstance(ev, tp.Failed):
                self._tp_failed(ev)
            elif isinstance(ev, tp.Complete):
                self._tp_job = None

    def _tp_failed(self, ev: tp.Failed) -> None:
        job = self._tp_job
        self._tp_job = None
        if job is None or job[2] != ev.pgn:
            return
        name, payload, pgn, retried = job
        if name not in self._periodic or self.fault is not None:
            return  # the stage moved on: a late failure of an old transfer does not matter
        if not retried:
            self.stats.tp_retries += 1
            LOG.warning("%s: multi-packet transfer of %s failed (%s) — retrying once", self.name, name, ev.reason)
            self._tp_job = (name, payload, pgn, True)
            self._tp_events(self._tp.start(pgn, payload, asyncio.get_running_loop().time()))
            return
        self.stats.tp_failures += 1
        stage = self.stage
        self._fail(self._error(
            ProtocolError,
            f"{stage.zh}: {name} 多包传输两次中断 ({ev.reason}) (multi-packet transfer of {name} interrupted "
            f"twice: {ev.reason}; J1939 TP RTS/CTS, protocols.md §B4) — no BEM flag exists for this",
        ))

    # ---- sending ---------------------------------------------------------------------------------

    def _count(self, name: str) -> None:
        self.stats.sent[name] = self.stats.sent.get(name, 0) + 1

    def _send(self, name: str, payload: bytes) -> None:
        self.link.send(msgs.can_id(name), payload)
        self._count(name)
        if name == "BEM":
            self.stats.bem_sent += 1

    def _start_periodic(self, name: str, fn: Callable[[], None], *, duration_s: float | None = None) -> None:
        """Send ``name`` now and then every ``SPECS[name].period_ms`` (absolute schedule, no drift)."""
        self._stop_periodic(name)
        period_s = msgs.SPECS[name].period_ms / 1000.0
        self._periodic[name] = asyncio.create_task(
            self._periodic_loop(name, period_s, fn, duration_s), name=f"{self.name}:{name}"
        )

    async def _periodic_loop(self, name: str, period_s: float, fn: Callable[[], None],
                             duration_s: float | None) -> None:
        loop = asyncio.get_running_loop()
        start = next_t = loop.time()
        try:
            while duration_s is None or loop.time() - start <= duration_s:
                try:
                    fn()
                except DeviceError as exc:
                    self._periodic.pop(name, None)
                    self._fail(exc)
                    return
                next_t += period_s
                now = loop.time()
                if next_t < now - period_s:  # far behind (loaded machine): resynchronise
                    next_t = now
                await asyncio.sleep(max(0.0, next_t - now))
        finally:
            if self._periodic.get(name) is asyncio.current_task():
                del self._periodic[name]

    def _stop_periodic(self, name: str) -> None:
        task = self._periodic.pop(name, None)
        if task is not None:
            task.cancel()

    def _stop_all_periodic(self, keep: tuple[str, ...] = ()) -> None:
        for name in list(self._periodic):
            if name not in keep:
                self._stop_periodic(name)

    # ---- payloads --------------------------------------------------------------------------------

    def _bhm_payload(self) -> bytes:
        return msgs.encode("BHM", max_allowed_voltage_v=self.params.max_total_voltage_v)

    def _brm_payload(self) -> bytes:
        p = self.params
        return msgs.encode(
            "BRM",
            version="1.1",
            battery_type=p.battery_type_code,
            capacity_ah=p.capacity_ah,
            rated_voltage_v=p.rated_voltage_v,
            manufacturer=p.manufacturer,
            property_right=1,
            vin=p.vin,
            **p.bms_software(),
        )

    def _bcp_payload(self) -> bytes:
        p = self.params
        return msgs.encode(
            "BCP",
            max_cell_voltage_v=p.max_cell_voltage_v,
            max_current_a=msgs.encoded_current_a(p.max_charge_current_a),
            nominal_energy_kwh=p.nominal_energy_kwh,
            max_total_voltage_v=p.max_total_voltage_v,
            max_temperature_c=p.max_temperature_c,
            soc_pct=p.soc_pct,
            pack_voltage_v=p.pack_voltage_v,
        )

    def _bcl_payload(self) -> bytes:
        d = self._demand
        return msgs.encode("BCL", voltage_demand_v=d.voltage_v, current_demand_a=msgs.encoded_current_a(d.current_a),
                           mode=1 if d.mode == "CV" else 2)

    def _bcs_payload(self) -> bytes:
        p = self.params
        ccs = self.last_ccs
        current = ccs.current_a if ccs is not None else 0.0
        remaining_kwh = p.nominal_energy_kwh * (100.0 - p.soc_pct) / 100.0
        power_kw = (ccs.voltage_v * current / 1000.0) if ccs is not None else 0.0
        remaining_min = min(600, math.ceil(remaining_kwh / power_kw * 60)) if power_kw > 0.1 else 600
        return msgs.encode(
            "BCS",
            measured_voltage_v=ccs.voltage_v if ccs is not None else p.pack_voltage_v,
            measured_current_a=msgs.encoded_current_a(current),
            highest_cell_voltage_v=p.cell_voltage_v,
            highest_cell_group=1,
            soc_pct=round(p.soc_pct),
            remaining_time_min=remaining_min,
        )

    def _bsm_payload(self) -> bytes:
        t = self.params.temperature_c
        return msgs.encode(
            "BSM",
            highest_cell_number=1,
            max_temperature_c=t,
            max_temperature_probe=1,
            min_temperature_c=t,
            min_temperature_probe=2,
            charging_allowed=1,
        )

    def _bst_reason_fields(self, *, charger_stopped: bool) -> dict[str, Any]:
        # The workstation ends a verification session like a vehicle that reached its target SOC
        # (BST byte 1 bits 1-2); after a charger's CST it reports "charger stopped" (bits 7-8).
        return {"charger_stopped": 1} if charger_stopped else {"soc_target_reached": 1}

    def _bst_payload(self) -> bytes:
        return msgs.encode("BST", **(self._bst_fields or self._bst_reason_fields(charger_stopped=False)))

    def _bsd_payload(self) -> bytes:
        p = self.params
        return msgs.encode(
            "BSD",
            soc_pct=round(p.soc_pct),
            min_cell_voltage_v=p.cell_voltage_v,
            max_cell_voltage_v=p.cell_voltage_v,
            min_temperature_c=p.temperature_c,
            max_temperature_c=p.temperature_c,
        )

    def _bem_payload(self, flag: str) -> bytes:
        return msgs.encode("BEM", **{flag: 1})

    def _stop_reasons(self) -> list[str]:
        reasons = [f"BST: {r}" for r in _flags_set(self._bst_fields)]
        if self._cst_fields is not None:
            reasons += [f"CST: {r}" for r in _flags_set(self._cst_fields)]
        return reasons


# ---- helpers ---------------------------------------------------------------------------------------


def _as_number(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return value.hex()
    if isinstance(value, int):
        return f"{value:08d}"
    return str(value)


def _flags_set(fields_: Mapping[str, Any]) -> list[str]:
    """Names of the 2-bit flags of a decoded BST/CST/BEM/CEM that are not 00 (normal).
    01 is "triggered"/"timeout", 10 "untrusted" (protocols.md §B3)."""
    out = []
    for key, value in fields_.items():
        if isinstance(value, int) and not isinstance(value, bool) and value in (1, 2):
            out.append(key if value == 1 else f"{key} (untrusted)")
        elif value is True:
            out.append(key)
    return out


def describe_cem(fields_: Mapping[str, Any]) -> list[str]:
    """The charger's reported receive timeouts in Chinese: ``["参数配置阶段未收到 BCP 超时"]``."""
    out = []
    for key in _flags_set(fields_):
        base = key.removesuffix(" (untrusted)")
        msg, stage = CEM_FLAG_TEXT.get(base, (base, ""))
        out.append(f"{stage}接收 {msg} 超时" if key == base else f"{stage}{msg} 不可信")
    return out


def _cem_en(fields_: Mapping[str, Any]) -> list[str]:
    out = []
    for key in _flags_set(fields_):
        base = key.removesuffix(" (untrusted)")
        msg = CEM_FLAG_TEXT.get(base, (base, ""))[0]
        out.append(f"no {msg} received in time" if key == base else f"{msg} untrusted")
    return out


def from_config(name: str, cfg: Mapping[str, Any]) -> GbtBms:
    """Module-level alias of :meth:`GbtBms.from_config` (the factory's calling convention)."""
    return GbtBms.from_config(name, cfg)
