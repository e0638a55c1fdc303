"""DC off-board charger twin: the CHARGER side of GB/T 27930-2015 on a python-can bus, its output
driving a shared :class:`~hardware_sim.physics.Rig` (JJG 1149-2022 bench: the charger's meter is
``rig.dut``, whose pulse output the reference-meter twin counts).

It speaks the wire protocol only (DESIGN.md: hardware_sim imports the codecs
:mod:`drivers.gbt27930.messages`/:mod:`drivers.gbt27930.tp`, never the BMS driver) and follows the
2015 charging process (protocols.md §B2):

* handshake: CHM every 250 ms until BHM; a short insulation check (``insulation_check_s``);
* recognition: CRM 0x00 every 250 ms; BRM received by J1939 TP (RTS/CTS, §B4) → CRM 0xAA;
* parameters: BCP received by TP → CTS (500 ms) and CML (250 ms) with the charger's limits;
  BRO 0xAA → CRO 0x00, then CRO 0xAA after ``cro_prepare_s``;
* charging: the first BCL closes the contactor; every BCL sets the output within the CML limits —
  ``rig.circuit.voltage_v`` = the demanded voltage in CV mode, the battery's voltage (BCP pack
  voltage, capped by the demand) in CC mode; ``rig.circuit.set_load(min(demand, max_current_a))``;
  CCS every 50 ms reports the output with small seeded noise and the charging time (rig time);
* end: BST opens the contactor → CST (10 ms) until BSD → CSD (250 ms, for ``csd_repeat_s``) with
  the session energy of ``rig.dut`` in 0.1 kWh steps, truncated, and the charger number;
* its own receive timeouts (:data:`CHARGER_TIMEOUTS`: BRM/BCP/BRO 5 s, BCL 1 s, BCS 5 s, BSD 5 s)
  → CEM with that flag, output off; a BEM from the BMS → output off. Either way it restarts the
  handshake after ``restart_after_s`` (``None``: stay stopped).

Faults on demand (:class:`DcChargerFaults`, mutable while running): ``missing_crm`` (never CRM
0xAA), ``slow_cts_s`` (CTS/CML delayed), ``garbage_frames`` (random frames on the bus),
``interrupt_tp`` (a multi-packet transfer stops mid-way: later TP.DT are ignored until the receiver
aborts), ``silent`` (sends nothing at all), ``send_cem`` (a CEM with that flag, output off).

Standalone: ``python -m hardware_sim dc-charger --interface socketcan --channel can0 [--speed 60]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import math
import random
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import can

from drivers.gbt27930 import messages as msgs
from drivers.gbt27930 import tp
from hardware_sim.faults import FaultScheduler, parse_fault_option
from hardware_sim.physics import Rig
from hardware_sim.wire import add_fault_option

LOG = logging.getLogger(__name__)

TP_CM_PGN = tp.TP_CM_PGN
TP_DT_PGN = tp.TP_DT_PGN
_TICK_S = 0.005


@dataclass
class DcChargerFaults:
    """Faults of the twin, mutable while it runs.

    ``missing_crm``: after BRM the charger keeps sending CRM 0x00 and never 0xAA.
    ``slow_cts_s``: CTS/CML start this late after BCP. ``garbage_frames``: random frames every
    ``garbage_period_s`` (unknown and 11-bit IDs, charger IDs with a wrong length, frames for
    another node). ``interrupt_tp``: multi-packet transfers stop after their first TP.DT
    (``interrupt_tp_count`` transfers, ``None`` = all while set; ``interrupt_tp_message`` limits it
    to "BRM"/"BCP"/"BCS"). ``silent``: nothing is sent any more. ``send_cem``: a CEM flag name of
    the codec (e.g. ``"bcs_timeout"``) — the charger sends CEM with it and stops its output.
    ``no_current``: charging starts (CRO, CCS) but the output delivers no current.
    ``override``: message name → fields sent in place of the twin's own in every periodic message of
    that name (``{"CCS": {"output_current_a": 12.0}}``: a positive output current, current out of
    the battery; ``None`` sends the field's 'not available' all-ones) — values a BMS must refuse.
    ``frame_delay_s``: while charging, every periodic frame (CCS) comes this much later than its
    period (a loaded controller, a congested bus). ``stuck_ccs``: CCS repeats these fields whatever
    the output does (a hung measuring board: the BMS reads a stuck voltage, current and time).
    """

    missing_crm: bool = False
    slow_cts_s: float = 0.0
    garbage_frames: bool = False
    garbage_period_s: float = 0.01
    interrupt_tp: bool = False
    interrupt_tp_count: int | None = None
    interrupt_tp_message: str | None = None
    silent: bool = False
    send_cem: str | None = None
    no_current: bool = False  # charging starts but the output delivers no current (a tripped module)
    override: dict[str, dict[str, Any]] = field(default_factory=dict)
    frame_delay_s: float = 0.0
    stuck_ccs: dict[str, Any] | None = None


@dataclass(frozen=True)
class ChargerTimeout:
    """A receive timeout of the charger and the CEM flag that reports it (GB/T 27930-2015 CEM;
    values: protocols.md §B2, 5 s in general, BCL 1 s — confidence M)."""

    key: str
    awaited: str
    seconds: float
    cem_flag: str


CHARGER_TIMEOUTS: Mapping[str, ChargerTimeout] = {
    t.key: t
    for t in (
        ChargerTimeout("brm", "BRM", 5.0, "brm_timeout"),
        ChargerTimeout("bcp", "BCP", 5.0, "bcp_timeout"),
        ChargerTimeout("bro", "BRO", 5.0, "bro_timeout"),
        ChargerTimeout("bcl", "BCL", 1.0, "bcl_timeout"),
        ChargerTimeout("bcs", "BCS", 5.0, "bcs_timeout"),
        ChargerTimeout("bsd", "BSD", 5.0, "bsd_timeout"),
    )
}


class DcChargerTwin:
    """A GB/T 27930-2015 DC charger on a python-can bus, metering ``rig`` (see the module docstring).

    ``bus_config`` are ``can.Bus`` keyword arguments (``{"interface": "virtual", "channel": "x"}``).
    The CML limits are ``min_voltage_v``..``max_voltage_v`` and ``min_current_a``..``max_current_a``.
    """

    def __init__(
        self,
        rig: Rig,
        bus_config: Mapping[str, Any],
        charger_number: str = "00000001",
        region: str = "110",
        max_voltage_v: float = 750.0,
        min_voltage_v: float = 200.0,
        max_current_a: float = 250.0,
        faults: DcChargerFaults | None = None,
        *,
        min_current_a: float = 0.0,
        insulation_check_s: float = 0.05,
        cro_prepare_s: float = 0.05,
        csd_repeat_s: float = 1.0,
        cem_repeat_s: float = 1.0,
        restart_after_s: float | None = 1.0,
        ccs_noise_pct: float = 0.05,
        seed: int = 27930,
        timeouts: Mapping[str, float] | None = None,
    ) -> None:
        self.rig = rig
        self.bus_config = dict(bus_config)
        if not (charger_number.isdigit() and int(charger_number) < 1 << 32):
            raise ValueError(f"charger_number must be decimal digits fitting 32 bits (CRM/CSD), not {charger_number!r}")
        if len(region) > 3 or not region.isascii():
            raise ValueError(f"region must be at most 3 ASCII characters (CRM), not {region!r}")
        self.charger_number = charger_number
        self._number = int(charger_number)
        self.region = region
        self.max_voltage_v, self.min_voltage_v = max_voltage_v, min_voltage_v
        self.max_current_a, self.min_current_a = max_current_a, min_current_a
        self.faults = faults or DcChargerFaults()
        self.insulation_check_s = insulation_check_s
        self.cro_prepare_s = cro_prepare_s
        self.csd_repeat_s = csd_repeat_s
        self.cem_repeat_s = cem_repeat_s
        self.restart_after_s = restart_after_s
        self.ccs_noise_pct = ccs_noise_pct
        self.timeouts = dict(CHARGER_TIMEOUTS)
        for key, seconds in (timeouts or {}).items():
            self.timeouts[key] = replace(self.timeouts[key], seconds=float(seconds))
        self._rng = random.Random(seed)
        self._garbage_rng = random.Random(seed + 1)
        # observable state
        self.stage = "off"
        self.sessions = 0
        self.brm: dict[str, Any] | None = None
        self.bcp: dict[str, Any] | None = None
        self.last_bcl: dict[str, Any] | None = None
        self.last_bcs: dict[str, Any] | None = None
        self.last_bsm: dict[str, Any] | None = None
        self.last_bst: dict[str, Any] | None = None
        self.bem_received: list[dict[str, Any]] = []
        self.cem_sent: list[str] = []
        self.tp_completed: list[str] = []
        self.tp_failed: list[str] = []
        self.frames_sent = 0
        self.frames_received = 0  # from the BMS (a fault may start after so many)
        self.garbage_sent = 0
        self.last_csd: dict[str, Any] | None = None
        # the charger's clock (its CTS and its display): the system's local time unless the
        # simulation host gives it the OCPP side's clock (one charger, one clock)
        self.clock: Callable[[], datetime] = lambda: datetime.now().replace(microsecond=0)
        self._charge_wall: tuple[float, float | None] | None = None  # monotonic start, end of the session
        # internals
        self._bus: can.BusABC | None = None
        self._notifier: can.Notifier | None = None
        self._reader: can.AsyncBufferedReader | None = None
        self._rx = tp.TpReceiver(msgs.CHARGER_SA, msgs.BMS_SA)
        self._sched: dict[str, list[Any]] = {}  # name -> [period_s, next_due, payload_fn, until]
        self._timers: list[tuple[float, Callable[[], None]]] = []
        self._deadlines: dict[str, float] = {}
        self._interrupt: int | None = None  # PGN of the transfer being interrupted
        self._interrupt_dt_seen = 0
        self._interrupts_done = 0
        self._cem_fault_sent = False
        self._charge_t0 = 0.0
        self._energy0_wh = 0.0
        self._csd_fields: dict[str, Any] | None = None
        self._next_garbage = 0.0
        self._stop = asyncio.Event()
        self._stopped = asyncio.Event()
        self._running = False

    # ---- public ----------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether :meth:`run` is serving the bus."""
        return self._running

    async def run(self) -> None:
        """Open the bus and play the charger until :meth:`stop` (restarting the handshake after every
        session or error when ``restart_after_s`` is set)."""
        loop = asyncio.get_running_loop()
        self._stop.clear()
        self._stopped.clear()
        self._bus = can.Bus(**self.bus_config)
        self._reader = can.AsyncBufferedReader()
        self._notifier = can.Notifier(self._bus, [self._reader], timeout=0.1, loop=loop)
        self._running = True
        rx = asyncio.create_task(self._rx_loop(), name="dc-charger:rx")
        try:
            self._enter_handshake(loop.time())
            while not self._stop.is_set():
                try:
                    self._tick(loop.time())
                except Exception:  # a twin must outlive its own bugs: log, keep serving
                    LOG.exception("dc-charger: tick")
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(_TICK_S):
                        await self._stop.wait()
        finally:
            rx.cancel()
            await asyncio.gather(rx, return_exceptions=True)
            self._output_off()
            self._running = False
            notifier, bus = self._notifier, self._bus
            self._notifier = self._bus = None
            with contextlib.suppress(Exception):
                await asyncio.to_thread(notifier.stop, 1.0)
            with contextlib.suppress(Exception):
                bus.shutdown()
            self.stage = "off"
            self._stopped.set()

    async def stop(self) -> None:
        """Make :meth:`run` return (output off, bus closed); waits up to 5 s for it."""
        self._stop.set()
        if self._running:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(5):
                    await self._stopped.wait()

    def request_stop(self) -> None:
        """The operator presses stop on the charger: output off, CST "manual stop" (CST byte 1
        bits 3-4), then BSD → CSD as after a BMS stop. Ignored unless charging."""
        if self.stage == "charging":
            self._end_charging(asyncio.get_running_loop().time(), {"manual_stop": 1})

    def session_energy_kwh(self) -> float:
        """The DUT meter's energy since the contactor closed, in CSD's 0.1 kWh steps, truncated."""
        return math.floor(self.session_energy_wh() / 100.0 + 1e-9) / 10.0

    def session_duration_s(self, rate_error_pct: float = 0.0) -> int:
        """The charging duration the charger's display shows for the current (or last) session,
        whole seconds of real time at its clock's rate."""
        if self._charge_wall is None:
            return 0
        start, end = self._charge_wall
        return int(((end if end is not None else time.monotonic()) - start) * (1.0 + rate_error_pct / 100.0))

    def session_energy_wh(self) -> float:
        """The DUT meter's energy since the contactor closed, full resolution (what the charger's
        own display counts, before it truncates to its display step)."""
        return max(self.rig.dut.energy_wh() - self._energy0_wh, 0.0)

    # ---- sending ---------------------------------------------------------------------------------

    def _send_raw(self, arbitration_id: int, data: bytes, *, extended: bool = True) -> None:
        if self.faults.silent or self._bus is None:
            return
        try:
            self._bus.send(can.Message(arbitration_id=arbitration_id, data=data, is_extended_id=extended))
            self.frames_sent += 1
        except can.CanError as exc:
            LOG.warning("dc-charger: send failed: %s", exc)

    def _send(self, name: str, **fields: Any) -> None:
        self._send_raw(msgs.can_id(name), msgs.encode(name, **fields))

    def _schedule(self, name: str, payload: Callable[[], dict[str, Any]], now: float, *, delay_s: float = 0.0,
                  duration_s: float | None = None) -> None:
        period = msgs.SPECS[name].period_ms / 1000.0
        start = now + delay_s
        self._sched[name] = [period, start, payload, None if duration_s is None else start + duration_s]

    def _unschedule(self, *names: str) -> None:
        for name in names:
            self._sched.pop(name, None)

    def _after(self, delay_s: float, fn: Callable[[], None], now: float) -> None:
        self._timers.append((now + delay_s, fn))

    # ---- the clock -------------------------------------------------------------------------------

    def _tick(self, now: float) -> None:
        for name, entry in list(self._sched.items()):
            period, due, payload, until = entry
            if until is not None and now > until:
                self._sched.pop(name, None)
                continue
            if now >= due:
                self._send(name, **{**payload(), **self.faults.override.get(name, {})})
                entry[1] = due + period if due + period > now - period else now + period
                if self.stage == "charging" and self.faults.frame_delay_s > 0:
                    entry[1] = now + period + self.faults.frame_delay_s
        due_timers = [t for t in self._timers if t[0] <= now]
        self._timers = [t for t in self._timers if t[0] > now]
        for _, fn in due_timers:
            fn()
        for key, deadline in list(self._deadlines.items()):
            if now > deadline and key in self._deadlines:
                self._charger_timeout(self.timeouts[key], now)
        for ev in self._rx.poll(now) or ():
            self._tp_event(ev, now)
        if self.faults.garbage_frames and now >= self._next_garbage:
            self._send_garbage()
            self._next_garbage = now + self.faults.garbage_period_s
        if self.faults.send_cem and not self._cem_fault_sent and self.stage not in ("off", "handshake", "error"):
            self._cem_fault_sent = True
            self._send_cem(self.faults.send_cem, now)

    # ---- stages ----------------------------------------------------------------------------------

    def _enter_handshake(self, now: float) -> None:
        self._reset(now)
        self.stage = "handshake"
        self._schedule("CHM", lambda: {"version": "1.1"}, now)

    def _reset(self, now: float) -> None:
        self._sched.clear()
        self._timers.clear()
        self._deadlines.clear()
        self._rx = tp.TpReceiver(msgs.CHARGER_SA, msgs.BMS_SA)
        self._interrupt = None
        self._cem_fault_sent = False
        self._csd_fields = None
        self.brm = self.bcp = self.last_bcl = self.last_bcs = self.last_bst = None

    def _crm(self, recognition: int) -> dict[str, Any]:
        return {"recognition": recognition, "charger_number": self._number, "region_code": self.region}

    def _enter_recognition(self) -> None:
        if self.stage != "insulation":
            return
        now = asyncio.get_running_loop().time()
        self.stage = "recognition"
        self._schedule("CRM", lambda: self._crm(0x00), now)
        self._deadlines["brm"] = now + self.timeouts["brm"].seconds

    def _start_cts_cml(self) -> None:
        if self.stage != "parameters" or "CML" in self._sched:
            return
        now = asyncio.get_running_loop().time()
        self._schedule("CTS", lambda: {"datetime": self.clock().replace(microsecond=0, tzinfo=None)}, now)
        self._schedule("CML", lambda: {
            "max_output_voltage_v": self.max_voltage_v, "min_output_voltage_v": self.min_voltage_v,
            "max_output_current_a": msgs.encoded_current_a(self.max_current_a),
            "min_output_current_a": msgs.encoded_current_a(self.min_current_a),
        }, now)
        self._deadlines["bro"] = now + self.timeouts["bro"].seconds

    def _cro_ready(self) -> None:
        if self.stage == "preparing":
            self.stage = "ready"
            self._schedule("CRO", lambda: {"ready": 0xAA}, asyncio.get_running_loop().time())

    def _start_charging(self, now: float) -> None:
        self._unschedule("CRO", "CTS", "CML")
        self.stage = "charging"
        self.sessions += 1
        self._charge_t0 = self.rig.clock.t()
        self._energy0_wh = self.rig.dut.energy_wh()
        self._charge_wall = (time.monotonic(), None)
        self.rig.circuit.set_contactor(not self.faults.no_current)
        self._schedule("CCS", self.ccs_fields, now)
        self._deadlines["bcs"] = now + self.timeouts["bcs"].seconds

    def _apply_demand(self, bcl: Mapping[str, Any]) -> None:
        demand_v = float(bcl.get("voltage_demand_v", 0.0))
        demand_a = msgs.charging_current_a(float(bcl.get("current_demand_a", 0.0)))
        cv = int(bcl.get("mode", 2)) == 1
        v_cap = min(max(demand_v, self.min_voltage_v), self.max_voltage_v)
        if cv:
            voltage = v_cap
        else:
            pack = float((self.bcp or {}).get("pack_voltage_v", demand_v) or demand_v)
            voltage = min(max(pack, self.min_voltage_v), v_cap)
        current = min(max(demand_a, 0.0), self.max_current_a)
        self.rig.circuit.set_load(current)
        self.rig.circuit.voltage_v = voltage

    def _charging_time_min(self) -> int:
        return int(max(self.rig.clock.t() - self._charge_t0, 0.0) // 60)

    def ccs_fields(self) -> dict[str, Any]:
        """What the next CCS carries: the output as measured, or the ``stuck_ccs`` fault's fields."""
        if self.faults.stuck_ccs is not None:
            return dict(self.faults.stuck_ccs)
        return self._ccs_fields()

    def _ccs_fields(self) -> dict[str, Any]:
        c = self.rig.circuit
        noise = self.ccs_noise_pct / 100.0
        v = c.voltage_v * (1 + self._rng.gauss(0, noise)) if noise else c.voltage_v
        i = c.current_a * (1 + self._rng.gauss(0, noise)) if noise else c.current_a
        return {"output_voltage_v": round(v, 1), "output_current_a": msgs.encoded_current_a(round(max(i, 0.0), 1)),
                "charging_time_min": self._charging_time_min(), "charging_allowed": 1}

    def _output_off(self) -> None:
        with contextlib.suppress(Exception):
            self.rig.circuit.set_contactor(False)
            self.rig.circuit.set_load(0.0)

    def _end_charging(self, now: float, cst: Mapping[str, Any]) -> None:
        if self._charge_wall is not None and self._charge_wall[1] is None:
            self._charge_wall = (self._charge_wall[0], time.monotonic())
        self._output_off()
        self._unschedule("CCS", "CRO", "CTS", "CML")
        self._deadlines.pop("bcl", None)
        self._deadlines.pop("bcs", None)
        self.stage = "ending"
        self._csd_fields = None
        self._schedule("CST", lambda: dict(cst), now)
        self._deadlines["bsd"] = now + self.timeouts["bsd"].seconds

    def _csd(self) -> dict[str, Any]:
        if self._csd_fields is None:
            self._csd_fields = {"charging_time_min": self._charging_time_min(),
                                "energy_kwh": self.session_energy_kwh(), "charger_number": self._number}
            self.last_csd = dict(self._csd_fields)
        return self._csd_fields

    def _restart_later(self, now: float, after_s: float = 0.0) -> None:
        if self.restart_after_s is not None:
            self._after(after_s + self.restart_after_s, lambda: self._enter_handshake(
                asyncio.get_running_loop().time()), now)

    def _send_cem(self, flag: str, now: float) -> None:
        LOG.warning("dc-charger: CEM %s", flag)
        self._output_off()
        self._sched.clear()
        self._deadlines.clear()
        self.stage = "error"
        self.cem_sent.append(flag)
        self._schedule("CEM", lambda: {flag: 1}, now, duration_s=self.cem_repeat_s)
        self._restart_later(now, self.cem_repeat_s)

    def _charger_timeout(self, rule: ChargerTimeout, now: float) -> None:
        LOG.warning("dc-charger: no %s within %g s", rule.awaited, rule.seconds)
        self._send_cem(rule.cem_flag, now)

    # ---- receiving -------------------------------------------------------------------------------

    async def _rx_loop(self) -> None:
        assert self._reader is not None
        loop = asyncio.get_running_loop()
        while True:
            msg = await self._reader.get_message()
            self.frames_received += 1
            try:
                self._on_frame(msg, loop.time())
            except Exception:
                LOG.exception("dc-charger: frame %s", msg)

    def _on_frame(self, msg: can.Message, now: float) -> None:
        if not msg.is_extended_id or msg.is_error_frame:
            return
        try:
            _prio, pgn, da, sa = msgs.parse_id(msg.arbitration_id)
        except Exception:
            return
        if sa != msgs.BMS_SA or da != msgs.CHARGER_SA:
            return
        data = bytes(msg.data)
        if pgn in (TP_CM_PGN, TP_DT_PGN):
            if not self._interrupting(pgn, data):
                for ev in self._rx.on_frame(msg.arbitration_id, data, now) or ():
                    self._tp_event(ev, now)
            return
        name = msgs.name_for(msg.arbitration_id)
        if name is None:
            return
        try:
            fields = msgs.decode(name, data)
        except Exception:
            return
        self._on_message(name, fields, now)

    def _interrupting(self, pgn: int, data: bytes) -> bool:
        """Fault ``interrupt_tp``: let the RTS and the first TP.DT through, drop the rest."""
        f = self.faults
        if pgn == TP_CM_PGN and data[:1] == b"\x10" and len(data) >= 8:
            self._interrupt = None
            target = int.from_bytes(data[5:8], "little")
            wanted = f.interrupt_tp_message is None or msgs.SPECS[f.interrupt_tp_message].pgn == target
            budget = f.interrupt_tp_count is None or self._interrupts_done < f.interrupt_tp_count
            if f.interrupt_tp and wanted and budget:
                self._interrupt, self._interrupt_dt_seen = target, 0
                self._interrupts_done += 1
            return False
        if pgn == TP_DT_PGN and self._interrupt is not None:
            self._interrupt_dt_seen += 1
            return self._interrupt_dt_seen > 1
        return False

    def _tp_event(self, ev: object, now: float) -> None:
        if isinstance(ev, tp.Send):
            self._send_raw(ev.arbitration_id, ev.data)
        elif isinstance(ev, tp.Complete):
            name = next((n for n, s in msgs.SPECS.items() if s.pgn == ev.pgn), None)
            if name is None:
                return
            self.tp_completed.append(name)
            try:
                fields = msgs.decode(name, bytes(ev.payload))
            except Exception:
                LOG.warning("dc-charger: undecodable %s payload %s", name, bytes(ev.payload).hex())
                return
            self._on_message(name, fields, now)
        elif isinstance(ev, tp.Failed):
            name = next((n for n, s in msgs.SPECS.items() if s.pgn == ev.pgn), hex(ev.pgn))
            self.tp_failed.append(name)
            self._interrupt = None

    def _on_message(self, name: str, f: dict[str, Any], now: float) -> None:
        stage = self.stage
        if name == "BEM":
            self.bem_received.append(f)
            if stage not in ("off", "handshake", "error", "ended"):
                LOG.warning("dc-charger: BEM %s — output off", f)
                self._output_off()
                self._sched.clear()
                self._deadlines.clear()
                self.stage = "error"
                self._restart_later(now)
            return
        if name == "BHM" and stage == "handshake":
            self._unschedule("CHM")
            self.stage = "insulation"
            self._after(self.insulation_check_s, self._enter_recognition, now)
        elif name == "BRM" and stage == "recognition":
            first = self.brm is None
            self.brm = f
            self._deadlines.pop("brm", None)
            if first and not self.faults.missing_crm:
                self._schedule("CRM", lambda: self._crm(0xAA), now)
                self._deadlines["bcp"] = now + self.timeouts["bcp"].seconds
        elif name == "BCP" and stage == "recognition" and self.brm is not None and not self.faults.missing_crm:
            self.bcp = f
            self._unschedule("CRM")
            self._deadlines.pop("bcp", None)
            self.stage = "parameters"
            self._after(max(self.faults.slow_cts_s, 0.0), self._start_cts_cml, now)
        elif name == "BRO" and stage == "parameters" and "CML" in self._sched:
            if int(f.get("ready", 0)) == 0xAA:
                self._unschedule("CTS", "CML")
                self._deadlines.pop("bro", None)
                self.stage = "preparing"
                self._schedule("CRO", lambda: {"ready": 0x00}, now)
                self._after(self.cro_prepare_s, self._cro_ready, now)
        elif name == "BCL":
            if stage == "ready":
                self._start_charging(now)
                stage = self.stage
            if stage == "charging":
                self.last_bcl = f
                self._apply_demand(f)
                self._deadlines["bcl"] = now + self.timeouts["bcl"].seconds
        elif name == "BCS" and stage == "charging":
            self.last_bcs = f
            self._deadlines["bcs"] = now + self.timeouts["bcs"].seconds
        elif name == "BSM" and stage == "charging":
            self.last_bsm = f
        elif name == "BST" and stage in ("charging", "ready", "preparing"):
            self.last_bst = f
            self._end_charging(now, {"bms_stopped": 1})
        elif name == "BST" and stage == "ending":
            self.last_bst = f  # the BMS's answer to our CST
        elif name == "BSD" and stage == "ending":
            self._unschedule("CST")
            self._deadlines.pop("bsd", None)
            self.stage = "ended"
            self._schedule("CSD", self._csd, now, duration_s=self.csd_repeat_s)
            self._restart_later(now, self.csd_repeat_s)

    # ---- faults ----------------------------------------------------------------------------------

    def _send_garbage(self) -> None:
        """One frame a BMS must ignore: an unknown 29-bit ID, an 11-bit ID, a charger message with a
        wrong length, or a well-formed message for another node."""
        rng = self._garbage_rng
        kind = rng.randrange(4)
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(9)))
        charger_msgs = [n for n, s in msgs.SPECS.items() if _sent_by_charger(s) and not s.multipacket]
        if kind == 0:
            while True:
                arb = rng.randrange(1 << 29)
                _p, pgn, _da, _sa = msgs.parse_id(arb)
                if msgs.name_for(arb) is None and pgn not in (TP_CM_PGN, TP_DT_PGN):
                    break
            self._send_raw(arb, data)
        elif kind == 1:
            self._send_raw(rng.randrange(1 << 11), data, extended=False)
        elif kind == 2:
            name = rng.choice(charger_msgs)
            length = msgs.SPECS[name].length
            self._send_raw(msgs.can_id(name), bytes(rng.randrange(256) for _ in range(rng.randrange(length))))
        else:
            name = rng.choice(charger_msgs)
            arb = (msgs.can_id(name) & ~0xFF00) | (0x57 << 8)  # same message, another destination
            self._send_raw(arb, bytes(rng.randrange(256) for _ in range(msgs.SPECS[name].length)))
        self.garbage_sent += 1


def _sent_by_charger(spec: msgs.MessageSpec) -> bool:
    return spec.sender == "charger"


# ---- standalone ----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """``python -m hardware_sim dc-charger --interface socketcan --channel can0 [--bitrate 250000]
    [--speed 60] [--error 0.3] [--charger-number 00000001] [--region 110] [--max-current 250]``:
    run one DC charger twin with its own rig until Ctrl-C (or ``--duration`` seconds)."""
    parser = argparse.ArgumentParser(
        prog="python -m hardware_sim dc-charger",
        description="DC charger twin: the charger side of GB/T 27930-2015 on a CAN bus (python-can).",
    )
    parser.add_argument("--interface", default="socketcan", help="python-can interface (default %(default)s)")
    parser.add_argument("--channel", default="can0", help="python-can channel (default %(default)s)")
    parser.add_argument("--bitrate", type=int, default=250_000, help="bit rate (default %(default)s)")
    parser.add_argument("--speed", type=float, default=1.0, help="energy acceleration (sim s per wall s)")
    parser.add_argument("--error", type=float, default=0.3, help="true error of the charger's meter, %%")
    parser.add_argument("--charger-number", default="00000001")
    parser.add_argument("--region", default="110")
    parser.add_argument("--max-voltage", type=float, default=750.0)
    parser.add_argument("--min-voltage", type=float, default=200.0)
    parser.add_argument("--max-current", type=float, default=250.0)
    parser.add_argument("--garbage", action="store_true", help="inject garbage frames (fault)")
    parser.add_argument("--duration", type=float, default=None, help="stop after this many seconds")
    add_fault_option(parser)
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and args_list[0] == "dc-charger":
        args_list = args_list[1:]
    args = parser.parse_args(args_list)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    async def _run() -> None:
        rig = Rig(speed=args.speed, dut_error_pct=args.error)
        twin = DcChargerTwin(
            rig,
            {"interface": args.interface, "channel": args.channel, "bitrate": args.bitrate},
            charger_number=args.charger_number,
            region=args.region,
            max_voltage_v=args.max_voltage,
            min_voltage_v=args.min_voltage,
            max_current_a=args.max_current,
            faults=DcChargerFaults(garbage_frames=args.garbage),
        )
        print(f"DC charger twin {args.charger_number} on {args.interface} {args.channel} "
              f"(error {args.error} %, speed ×{args.speed:g})", flush=True)
        faults = FaultScheduler(log=lambda text: print(text, flush=True))
        for option in args.fault:
            faults.add(twin, parse_fault_option(option))
        task = asyncio.create_task(twin.run())
        faults.start()
        if args.duration is not None:
            await asyncio.sleep(args.duration)
            await twin.stop()
        await task
        await faults.stop()

    try:
        asyncio.run(_run())
    except KeyboardInterrupt:
        pass
    except (can.CanError, OSError, ValueError) as exc:
        print(f"dc-charger twin: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
