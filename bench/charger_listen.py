"""``jianding charger listen``: the technician's first on-site check of an OCPP 1.6J or 2.0.1 post.

Runs the workstation's CSMS alone (both versions offered; the post's WebSocket subprotocol picks
one) and prints, as they happen, every charger that connects (its BootNotification: vendor,
model, serial, firmware, meter type and serial — the last two 1.6 only — and the OCPP version),
refused handshakes (e.g. a wrong Basic-auth password), status changes, transactions and meter
readings — energy in kWh, marked when signed — with the time each arrived. Nothing is recorded;
this only proves that the post reaches the workstation and that its meter values make sense
before a verification is started. By default, each post that identifies itself is asked once for
a fresh MeterValues (TriggerMessage, OCPP 1.6 §5.17 / 2.0.1 §F06) so that its register shows up
even when no transaction runs.

Security is a station's (:mod:`bench.station_security`, :mod:`drivers.ocpp.security`): the same
keys, read from the OCPP device section of a station file (``--station``, ``--device``) or given as
flags mirroring them (``--security-profile``, ``--credentials-file``, ``--tls-cert``, ``--tls-key``,
``--accept-unsecured``); the same default — no credentials, no listening, unless profile 0 is asked
for with its acknowledgement, and then a warning is printed first (:func:`listen_security`).
Passwords come only from a file, never from the command line (which other users can see).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from bench.station import StationError, load_station
from drivers.errors import DeviceError
from drivers.ocpp.csms import (
    CallErrorSent,
    ChargerConnected,
    ChargerDisconnected,
    ChargerRejected,
    ChargerSocketOpened,
    Csms,
    CsmsEvent,
    MeterReading,
    ReplyLate,
    StatusChanged,
    TransactionStarted,
    TransactionStopped,
    TransactionUpdated,
)
from drivers.ocpp.security import CsmsSecurity


def listen_security(
    station_path: str | None = None,
    device: str | None = None,
    flags: dict[str, Any] | None = None,
) -> tuple[CsmsSecurity, dict[str, Any]]:
    """The security ``charger listen`` enforces, and the station's OCPP section (``{}`` without
    ``station_path``) for its host, port and protocol.

    With ``station_path``: the security keys of its OCPP device section (``device`` names it when
    the station has several), resolved as for a run (relative files beside the station file,
    profile 0 silent only on a simulated station). ``flags`` (``security_profile``,
    ``credentials_file``, ``tls_cert``, ``tls_key``, ``accept_unsecured``; ``None`` values ignored)
    override the section's keys; without a station they are the whole configuration, taken as a
    real site. ``StationError`` in one line naming the file (or ``--flag``) and key."""
    section: dict[str, Any] = {}
    base_dir: Path | None = None
    simulated = False
    where = "jianding charger listen"
    if station_path is not None:
        station = load_station(station_path)
        ocpp = [d for d in station.devices if d.driver == "ocpp" and (device is None or d.name == device)]
        if not ocpp:
            raise StationError(f"{station.path}: 无 OCPP 设备 (no [devices.*] section with driver = \"ocpp\""
                               + (f" named {device!r})" if device else ")"))
        if len(ocpp) > 1:
            raise StationError(f"{station.path}: 有多个 OCPP 设备，请用 --device 指定 (several OCPP devices: "
                               f"name one with --device: {', '.join(d.name for d in ocpp)})")
        section, base_dir, simulated = dict(ocpp[0].config), station.base_dir, station.sim_enabled
        where = f"{station.path}: [devices.{ocpp[0].name}]"
    cfg = {**section, **{k: v for k, v in (flags or {}).items() if v is not None}}
    try:
        return CsmsSecurity.from_config(cfg, base_dir=base_dir, simulated=simulated), section
    except ValueError as e:
        hint = "" if station_path is not None else " — flags --credentials-file / --security-profile 0 --accept-unsecured"
        raise StationError(f"{where} {e}{hint}") from None


def format_kwh(kwh: float) -> str:
    """kWh with at least three decimals (the usual display resolution), more only when present."""
    text = f"{kwh:.6f}".rstrip("0")
    whole, _, frac = text.partition(".")
    return f"{whole}.{frac.ljust(3, '0')}"


_LABELS = {
    "Current.Import": "电流 (current)",
    "Current.Export": "反向电流 (export current)",
    "Current.Offered": "可用电流 (current offered)",
    "Voltage": "电压 (voltage)",
    "Frequency": "频率 (frequency)",
    "Power.Factor": "功率因数 (power factor)",
    "Power.Offered": "可用功率 (power offered)",
    "Temperature": "温度 (temperature)",
    "SoC": "荷电状态 (SoC)",
}


def _kwh_or_dash(wh: float | None) -> str:
    return "-" if wh is None else f"{format_kwh(wh / 1000)} kWh"


# TransactionEvent trigger reasons whose news is already in the readings printed with them.
_QUIET_TRIGGERS = {"MeterValuePeriodic", "MeterValueClock", "Trigger", "SignedDataReceived"}


def _clock(ts: datetime | None, received_at: datetime | None = None) -> str:
    if ts is None:
        return "-"
    text = ts.astimezone().strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    if received_at is not None:
        text += f", 时钟偏差约 (clock offset ≈) {(ts - received_at).total_seconds():+.1f} s"
    return text


def format_event(event: CsmsEvent) -> str | None:
    """One printed line per event (Chinese first, English in brackets); ``None`` to print nothing."""
    cp = f"充电桩 {event.cp_id}"
    match event:
        case ChargerSocketOpened():
            return f"{cp} WebSocket 已连接 (socket open) 来自 (from) {event.remote}, 子协议 (subprotocol) {event.subprotocol}"
        case ChargerRejected():
            status = f" HTTP {event.status}" if event.status else ""
            remote = f" 来自 (from) {event.remote}" if event.remote else ""
            return f"连接被拒绝 (handshake rejected){status} {event.path}{remote}: {event.reason}"
        case ChargerConnected():
            i = event.info
            how = (
                "启动通知 (BootNotification)"
                if event.via_boot
                else "重连, 沿用上次启动信息 (reconnected, no reboot)"
            )
            return (
                f"{cp} 已连接 (connected) [{how}]: 厂商 (vendor) {i.vendor}, 型号 (model) {i.model}, "
                f"序列号 (serial) {i.serial or '-'}, 固件 (firmware) {i.firmware or '-'}, "
                f"电能表型号 (meter type) {i.meter_type or '-'}, 电能表编号 (meter serial) {i.meter_serial or '-'}, "
                f"协议 (protocol) {i.protocol}"
            )
        case ChargerDisconnected():
            why = "被新连接替换 (replaced by a new connection)" if event.replaced else event.reason or "-"
            return f"{cp} 已断开 (disconnected) code {event.code}: {why}"
        case StatusChanged():
            err = "" if event.error_code == "NoError" else f", 故障 (error) {event.error_code}"
            info = f", {event.info}" if event.info else ""
            return (
                f"{cp} 枪 {event.connector_id} 状态 (status) {event.status}{err}{info}"
                f" [充电桩时间 (charger time) {_clock(event.timestamp, event.received_at)}]"
            )
        case TransactionStarted():
            ok = "" if event.authorized else " — 卡号未授权 (idTag not accepted)"
            return (
                f"{cp} 交易开始 (transaction started) #{event.transaction_id} 枪 {event.connector_id}, "
                f"卡号 (idTag) {event.id_tag or '-'}, 起始读数 (meter start) {_kwh_or_dash(event.meter_start_wh)}"
                f" [充电桩时间 (charger time) {_clock(event.timestamp)}]{ok}"
            )
        case TransactionUpdated():
            if event.trigger_reason in _QUIET_TRIGGERS:
                return None
            state = f", 充电状态 (charging state) {event.charging_state}" if event.charging_state else ""
            return (
                f"{cp} 交易更新 (transaction updated) #{event.transaction_id}: {event.trigger_reason}{state}"
                f" [充电桩时间 (charger time) {_clock(event.timestamp)}]"
            )
        case TransactionStopped():
            return (
                f"{cp} 交易结束 (transaction stopped) #{event.transaction_id}, "
                f"结束读数 (meter stop) {_kwh_or_dash(event.meter_stop_wh)}, "
                f"原因 (reason) {event.reason or '-'} [充电桩时间 (charger time) {_clock(event.timestamp)}]"
            )
        case MeterReading():
            return _format_reading(cp, event)
        case ReplyLate():
            return (f"{cp} 应答迟到 (late answer): {event.action} {event.delay_s:.1f} s "
                    f"(时限 deadline {event.deadline_s:g} s)")
        case CallErrorSent():
            return f"{cp} 报文错误, 已回复 CALLERROR (malformed frame answered) [{event.unique_id}] {event.detail}"
    return None


def _format_reading(cp: str, r: MeterReading) -> str:
    where = f"枪 {r.connector_id}" if r.connector_id is not None else "-"
    tx = f" 交易 #{r.transaction_id}" if r.transaction_id is not None else ""
    tail = f" [{r.measurand}, {r.context}, 充电桩时间 (charger time) {_clock(r.timestamp)}]"
    if r.value_kwh is not None:
        tail = (
            f" [{r.measurand}, {r.context}, 充电桩时间 (charger time) {_clock(r.timestamp, r.received_at)}]"
        )
        signed = " 带签名 (signed)" if r.signed_data is not None else ""
        return f"{cp} {where}{tx} 电能示值 (energy register) {format_kwh(r.value_kwh)} kWh{signed}{tail}"
    if r.value_w is not None:
        return f"{cp} {where}{tx} 功率 (power) {r.value_w:.1f} W{tail}"
    if r.value is None:
        return f"{cp} {where}{tx} 签名数据 (signed data) {r.raw_value[:60]}…{tail}"
    phase = f" {r.phase}" if r.phase else ""
    label = _LABELS.get(r.measurand, r.measurand)
    return f"{cp} {where}{tx} {label}{phase} {r.raw_value} {r.unit}{tail}"


async def listen(
    host: str,
    port: int,
    *,
    out: TextIO = sys.stdout,
    duration_s: float | None = None,
    probe: bool = True,
    on_listening: Callable[[int], None] | None = None,
    versions: Sequence[str] | None = None,
    ssl_context: ssl.SSLContext | None = None,
    credentials: Mapping[str, str] | None = None,
    security: CsmsSecurity | None = None,
) -> None:
    """Run a CSMS on ``host:port`` and print what chargers do, for ``duration_s`` seconds (until
    cancelled when ``None``). ``probe`` asks each identified charger once for a fresh MeterValues.
    ``on_listening`` receives the actual port (useful with port 0). ``versions`` limits the OCPP
    versions offered (default: 2.0.1 and 1.6); ``security`` (:func:`listen_security`) — or its
    parts ``ssl_context`` and ``credentials`` — applies security profiles 1/2 (see
    :mod:`drivers.ocpp.security`); its warning, if any, is printed before anything else."""
    if security is not None:
        ssl_context, credentials = security.ssl_context, security.credentials
    loop = asyncio.get_running_loop()
    probes: set[asyncio.Task[Any]] = set()

    def say(line: str) -> None:
        stamp = datetime.now().astimezone().strftime("%H:%M:%S.%f")[:-3]
        out.write(f"[{stamp}] {line}\n")
        out.flush()

    csms: Csms

    async def ask_for_meter_values(cp_id: str) -> None:
        session = csms.connected(cp_id)
        if session is None:
            return
        try:
            await session.trigger_message("MeterValues", 1)
        except DeviceError as exc:
            say(f"充电桩 {cp_id} 未能触发电能读数 (could not trigger MeterValues): {exc.detail}")

    def on_event(event: CsmsEvent) -> None:
        line = format_event(event)
        if line is not None:
            say(line)
        if probe and isinstance(event, ChargerConnected):
            task = loop.create_task(ask_for_meter_values(event.cp_id))
            probes.add(task)
            task.add_done_callback(probes.discard)

    if security is not None and security.warning:
        say(f"⚠ {security.warning}")
    csms = Csms(host, port, on_event=on_event, versions=versions, ssl_context=ssl_context, credentials=credentials)
    await csms.start()
    offered = " / ".join(p.removeprefix("ocpp") for p in csms.subprotocols)
    profile = 2 if ssl_context is not None and credentials is not None else 1 if credentials is not None else 0
    auth = f", 安全等级 (security profile) {profile}" + (", HTTP Basic 认证 (auth)" if credentials is not None else "")
    say(
        f"CSMS 监听中 (listening): {csms.url}/<充电桩编号 charge point id>, OCPP {offered}{auth} — "
        "请将充电桩后台地址设为此地址 (set the post's CSMS URL to it); Ctrl-C 结束 (to stop)"
    )
    if on_listening is not None:
        on_listening(csms.port)
    try:
        if duration_s is None:
            await asyncio.Event().wait()
        else:
            await asyncio.sleep(duration_s)
    finally:
        for task in list(probes):
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.gather(*probes, return_exceptions=True)
        await csms.stop()
        say("CSMS 已停止 (stopped)")
