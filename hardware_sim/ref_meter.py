"""Twin of a reference meter / AC-post calibrator, speaking Modbus TCP and Modbus RTU.

It serves the register map ``drivers/meters/maps/jianding_sim_ref.toml`` (or any other shipped map,
e.g. ``eastron_sdm630``) from a pymodbus server, with live values taken from
:class:`hardware_sim.physics.Rig`: voltage, current, power, power factor and frequency from the
circuit, energy from the rig's standard meter element. Writing the load registers calls
``rig.circuit.set_load``; writing ``gate_target`` and ``gate_control = 1`` arms a pulse-comparison
gate that opens on the next DUT pulse edge (``rig.dut.pulses()`` increments) and closes after N DUT
pulses, when ``standard_pulses_over_gate`` gives the standard's pulses and energy.

Server API: pymodbus 3.16's ``SimDevice`` with an async ``action`` callback. The callback refreshes
the requested registers from the rig on every read and turns writes into rig actions, so the
registers are only a scratch buffer and a TCP server and an RTU server of the same twin share one
state. The callback never suspends, which keeps pymodbus's transaction-id bookkeeping correct.

Faults (:class:`RefMeterFaults`, mutable while serving) act on the *reply frames* in a small
``ServerRequestHandler`` subclass (``server_send``): ``silent`` drops every reply (and ignores
writes), ``garbage_replies = k`` corrupts the next k replies (a wrong CRC on RTU; a wrong MBAP
protocol id and scrambled payload on TCP, which a client must discard), ``latency_s`` delays each
reply. Requests for another device address are ignored, as on an RS-485 line.

:class:`PtyLink` is a virtual null-modem cable (two pseudo-terminals bridged in-process) so the RTU
side can be exercised without socat or hardware.

Standalone: ``python -m hardware_sim ref-meter --tcp 127.0.0.1:5020 [--rtu /dev/pts/N|pty]
[--speed 50] [--dut-error 0.3] [--dut-constant 1000] [--seed N] [--fault latency=0.9,after_requests=20 …]``
(faults on demand: hardware_sim/faults.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import tty
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pymodbus.constants import ExcCodes
from pymodbus.framer import FramerType
from pymodbus.pdu import ModbusPDU
from pymodbus.server import ModbusSerialServer, ModbusTcpServer
from pymodbus.server.base import ModbusBaseServer
from pymodbus.server.requesthandler import ServerRequestHandler
from pymodbus.simulator import DataType, SimData, SimDevice

from drivers.meters.register_map import Register, RegisterMap, load_map
from hardware_sim.physics import Rig, standard_pulses_over_gate
from hardware_sim.wire import TwinConsole, WireFaults, add_fault_option, broken_frame, run_twin_main

GATE_IDLE, GATE_ARMED, GATE_COUNTING, GATE_DONE = 0, 1, 2, 3
_TICK_S = 0.002  # gate update period while a gate is armed or counting
_IDLE_TICK_S = 0.02


@dataclass
class RefMeterFaults(WireFaults):
    """Faults the reference-meter twin injects on demand (the line faults of every twin: bad CRC on
    RTU, an invalid frame on TCP, silence, latency)."""


@dataclass
class TwinStats:
    """What the twin did on the wire, for tests and the console."""

    requests: int = 0
    replies: int = 0
    dropped: int = 0
    garbled: int = 0
    ignored: int = 0


class _Gate:
    """Pulse-comparison gate: armed → opens on the next DUT edge → closes after N DUT pulses.

    State is derived from ``rig.dut.pulses()`` whenever the gate is updated (every few ms by the
    twin's ticker and on every register access), and the gate edges are interpolated between
    samples of the DUT's energy, so ``duration_s`` (simulation seconds) does not depend on how often
    anyone polls.
    """

    def __init__(self, rig: Rig) -> None:
        self.rig = rig
        self.state = GATE_IDLE
        self.target = 0
        self.counted = 0
        self.std_pulses = 0
        self.std_energy_wh = 0.0
        self.duration_s = 0.0
        self._arm_pulses = 0
        self._open_index = 0
        self._t_open = 0.0
        self._last = (0.0, 0.0)

    @property
    def active(self) -> bool:
        """Armed or counting."""
        return self.state in (GATE_ARMED, GATE_COUNTING)

    def _sample(self) -> tuple[float, float]:
        return self.rig.clock.t(), self.rig.dut.energy_wh()

    def arm(self, target: int) -> None:
        """Start a new gate of ``target`` DUT pulses (forgets the previous result)."""
        self.state = GATE_ARMED
        self.target = target
        self.counted = 0
        self.std_pulses = 0
        self.std_energy_wh = 0.0
        self.duration_s = 0.0
        self._arm_pulses = self.rig.dut.pulses()
        self._last = self._sample()

    def stop(self) -> None:
        """Abort a running gate; a finished gate keeps its results."""
        if self.active:
            self.state = GATE_IDLE
            self.counted = 0

    def _edge_time(self, index: int, now: tuple[float, float]) -> float:
        """Simulation time at which the DUT emitted pulse number ``index``, interpolated."""
        energy = index * 1000.0 / self.rig.dut.constant_imp_per_kwh
        (t0, e0), (t1, e1) = self._last, now
        if e1 <= e0:
            return t1
        frac = min(1.0, max(0.0, (energy - e0) / (e1 - e0)))
        return t0 + frac * (t1 - t0)

    def update(self) -> None:
        """Advance the state machine to the DUT's current pulse count."""
        if not self.active:
            return
        pulses = self.rig.dut.pulses()
        now = self._sample()
        if self.state == GATE_ARMED and pulses > self._arm_pulses:
            self._open_index = self._arm_pulses + 1
            self._t_open = self._edge_time(self._open_index, now)
            self.state = GATE_COUNTING
        if self.state == GATE_COUNTING:
            counted = pulses - self._open_index
            if counted >= self.target:
                t_close = self._edge_time(self._open_index + self.target, now)
                self.duration_s = t_close - self._t_open
                self.counted = self.target
                self.std_pulses, self.std_energy_wh = standard_pulses_over_gate(
                    self.rig.dut, self.rig.std, self.target)
                self.state = GATE_DONE
            else:
                self.counted = counted
        self._last = now


class _TwinRequestHandler(ServerRequestHandler):
    """pymodbus's per-connection handler, with the twin's address filter and reply faults."""

    def __init__(self, owner: ModbusBaseServer, twin: RefMeterTwin, rtu: bool) -> None:
        super().__init__(owner, None, None, None)
        self._twin = twin
        self._rtu = rtu

    async def handle_request(self) -> None:
        """Ignore requests for other device addresses (a real RS-485 slave stays silent)."""
        pdu = self.last_pdu
        if pdu is None:
            return
        self._twin.stats.requests += 1
        if self._twin.faults.disconnected:  # a cut cable: no reply; TCP sees its connection go
            if not self._rtu and self.transport is not None:
                self.transport.close()
            return
        if pdu.dev_id != self._twin.device_id:
            self._twin.stats.ignored += 1
            return
        await super().handle_request()

    def server_send(self, pdu: ModbusPDU | None, addr: tuple | None) -> None:
        """Send the reply, unless the twin's faults say drop, corrupt or delay it."""
        if pdu is not None:
            self._twin._send_reply(self, pdu, addr, self._rtu)


class _TwinTcpServer(ModbusTcpServer):
    def __init__(self, twin: RefMeterTwin, device: SimDevice, address: tuple[str, int]) -> None:
        super().__init__(device, address=address)
        self._twin = twin

    def callback_new_connection(self) -> ServerRequestHandler:
        return _TwinRequestHandler(self, self._twin, rtu=False)


class _TwinSerialServer(ModbusSerialServer):
    def __init__(self, twin: RefMeterTwin, device: SimDevice, **kwargs: Any) -> None:
        super().__init__(device, framer=FramerType.RTU, **kwargs)
        self._twin = twin

    def callback_new_connection(self) -> ServerRequestHandler:
        return _TwinRequestHandler(self, self._twin, rtu=True)


def _corrupt(packet: bytes, rtu: bool, kind: str = "crc") -> bytes:
    """A reply a client must reject: for ``kind = "crc"`` RTU with a wrong CRC, TCP with a bad MBAP
    header; other kinds (truncated, wrong length, noise) as :func:`~hardware_sim.wire.broken_frame`."""
    if kind != "crc":
        return broken_frame(packet, kind)
    if rtu:
        return packet[:-2] + bytes(b ^ 0xFF for b in packet[-2:])
    return packet[:2] + b"\xff\xff" + packet[4:6] + bytes(b ^ 0x5A for b in packet[6:])


class RefMeterTwin:
    """Simulated reference meter / AC-post calibrator on Modbus TCP and/or RTU.

    ``register_map`` is a shipped map name, a path or a loaded :class:`RegisterMap`; quantities the
    twin cannot compute read as 0. ``max_load_a`` bounds the load setpoint (beyond it, a write is
    refused with ILLEGAL_VALUE, as a real load would).
    """

    def __init__(self, rig: Rig, faults: RefMeterFaults | None = None, *,
                 register_map: RegisterMap | str = "jianding_sim_ref", device_id: int = 1,
                 max_load_a: float = 80.0) -> None:
        self.rig = rig
        self.faults = faults if faults is not None else RefMeterFaults()
        self.register_map = register_map if isinstance(register_map, RegisterMap) else load_map(register_map)
        self.device_id = device_id
        self.max_load_a = max_load_a
        self.stats = TwinStats()
        self.host: str | None = None
        self.port: int | None = None
        self.rtu_path: str | None = None
        self.gate = _Gate(rig)
        self._load_a = 0.0
        self._load_pf = rig.circuit.power_factor
        self._servers: list[ModbusBaseServer] = []
        self._ticker: asyncio.Task[None] | None = None
        self._pending: set[asyncio.TimerHandle] = set()
        self._getters = self._build_getters()
        self.frozen: dict[str, float] | None = None  # the stuck fault: measured values as they stood

    # ------------------------------------------------------------------ values
    def _build_getters(self) -> dict[str, Callable[[], float]]:
        rig, circuit, gate = self.rig, self.rig.circuit, self.gate

        def power() -> float:  # the standard measures power with its own error, like energy
            return circuit.power_w * (1.0 + rig.std.error_pct / 100.0)

        return {
            "voltage": lambda: circuit.voltage_v,
            "current": lambda: circuit.current_a,
            "active_power": power,
            "active_power_total": power,
            "power_factor": lambda: circuit.power_factor,
            "frequency": lambda: circuit.frequency_hz,
            "energy_import": rig.std.energy_wh,
            "energy_total": rig.std.energy_wh,
            "gate_state": lambda: gate.state,
            "gate_dut_pulses": lambda: gate.counted,
            "gate_std_pulses": lambda: gate.std_pulses,
            "gate_std_energy": lambda: gate.std_energy_wh,
            "gate_duration": lambda: gate.duration_s,
            "std_constant": lambda: rig.std.constant_imp_per_kwh,
            "dut_pulse_count": lambda: rig.dut.pulses() % 2**32,  # free-running counter of the pulse input
            "gate_target": lambda: gate.target,
            "gate_control": lambda: 1 if gate.active else 0,
            "load_current_setpoint": lambda: self._load_a,
            "load_power_factor": lambda: self._load_pf,
        }

    def value(self, quantity: str) -> float:
        """The live value of a map quantity, in the map's unit (0 for quantities it cannot compute);
        while :meth:`freeze` holds, a measured quantity reads as it stood then."""
        if self.frozen is not None and quantity in self.frozen:
            return self.frozen[quantity]
        getter = self._getters.get(quantity)
        return float(getter()) if getter else 0.0

    STUCK = frozenset({"energy_import", "energy_total", "active_power", "active_power_total"})
    """What the stuck-value fault freezes: the meter's energy and power display registers (its
    pulse-comparison gate, separate hardware, keeps counting)."""

    def freeze(self, on: bool = True) -> None:
        """The stuck-value fault: energy and power (:data:`STUCK`) keep reading what they read now
        — a hung measuring board behind a live interface — until ``freeze(False)``."""
        self.frozen = None
        if on:
            self.frozen = {q: self.value(q) for q in self.STUCK}

    def set_load(self, current_a: float, power_factor: float = 1.0) -> None:
        """Front-panel load setting: the same as a Modbus write of the load registers."""
        if not (0.0 <= current_a <= self.max_load_a and 0.0 < power_factor <= 1.0):
            raise ValueError(f"load must be 0..{self.max_load_a:g} A at a power factor in (0, 1]")
        self.rig.circuit.set_load(current_a, power_factor)
        self._load_a, self._load_pf = current_a, power_factor

    def _overlapping(self, table: str, address: int, count: int) -> list[Register]:
        end = address + count
        return [r for r in self.register_map.in_table(table)  # type: ignore[arg-type]
                if r.address < end and r.end > address]

    # ------------------------------------------------------------------ pymodbus callback
    # The callback, the write decoding and the register layout serve every Modbus twin built on
    # this one (the meter and flow benches): a subclass says how to refresh its state
    # (``_refresh``), which per-position registers it has (``_position_registers``,
    # ``position_value``) and what a decoded write does (``_apply``).
    async def _action(self, function_code: int, start_address: int, address: int, count: int,
                      registers: list[int], set_values: list[int] | list[bool] | None) -> ExcCodes | None:
        """pymodbus SimDevice action: refresh registers on read, act on writes. Never suspends."""
        if self.faults.silent:
            return ExcCodes.DEVICE_FAILURE  # reply is dropped anyway; the write must not happen
        if set_values is not None:
            return self._write(address, [int(v) for v in set_values])
        table = "input" if function_code == 4 else "holding"
        self._refresh()
        m = self.register_map
        for reg in self._overlapping(table, address, count):
            off = reg.address - start_address
            registers[off:off + reg.count] = m.encode_register(reg, self.value(reg.quantity))
        for number, reg in m.positions_overlapping(table, address, count, self.positions):  # type: ignore[arg-type]
            off = reg.address - start_address
            registers[off:off + reg.count] = m.encode_register(reg, self.position_value(number, reg.quantity))
        return None

    def _refresh(self) -> None:
        """Bring the simulated state up to now before registers are read."""
        self.gate.update()

    positions = 0
    """Bench positions served as per-position register records (none on the reference meter)."""

    def position_value(self, number: int, quantity: str) -> float:
        """Per-position register ``quantity`` of position ``number`` (benches override)."""
        raise KeyError(quantity)

    def _write(self, address: int, values: list[int]) -> ExcCodes | None:
        """Decode a holding-register write (registers partly written keep their other words) and
        apply it, atomically: :meth:`_apply` validates everything before changing anything."""
        m = self.register_map
        new: dict[str, float] = {}
        end = address + len(values)
        for reg in self._overlapping("holding", address, len(values)):
            raw = m.encode_register(reg, self.value(reg.quantity))
            for i, a in enumerate(range(reg.address, reg.end)):
                if address <= a < end:
                    raw[i] = values[a - address]
            new[reg.quantity] = float(m.decode_register(reg, raw))
        return self._apply(new)

    def _apply(self, new: dict[str, float]) -> ExcCodes | None:
        """Act on the decoded holding registers ``new`` (quantity → value): load and gate."""
        load_a = new.get("load_current_setpoint", self._load_a)
        load_pf = new.get("load_power_factor", self._load_pf)
        target = int(new.get("gate_target", self.gate.target))
        control = new.get("gate_control")
        if not (math.isfinite(load_a) and math.isfinite(load_pf)
                and 0.0 <= load_a <= self.max_load_a and 0.0 < load_pf <= 1.0):
            return ExcCodes.ILLEGAL_VALUE
        if control is not None and (control not in (0.0, 1.0) or (control == 1.0 and target < 1)):
            return ExcCodes.ILLEGAL_VALUE
        if "load_current_setpoint" in new or "load_power_factor" in new:
            self.set_load(load_a, load_pf)
        if "gate_target" in new:
            self.gate.target = target
        if control == 1.0:
            self.gate.arm(target)
        elif control == 0.0:
            self.gate.stop()
        return None

    def _send_reply(self, handler: ServerRequestHandler, pdu: ModbusPDU, addr: tuple | None,
                    rtu: bool) -> None:
        f = self.faults
        if f.silent:
            self.stats.dropped += 1
            return
        packet = handler.framer.buildFrame(pdu)
        if f.take_garbage():
            packet = _corrupt(packet, rtu, f.garbage_kind)
            self.stats.garbled += 1
        if f.latency_s > 0:
            loop = asyncio.get_running_loop()
            holder: list[asyncio.TimerHandle] = []

            def later() -> None:
                self._pending.discard(holder[0])
                self._write_packet(handler, packet, addr)

            holder.append(loop.call_later(f.latency_s, later))
            self._pending.add(holder[0])
        else:
            self._write_packet(handler, packet, addr)

    def _write_packet(self, handler: ServerRequestHandler, packet: bytes, addr: tuple | None) -> None:
        if handler.transport is None:  # the client went away meanwhile
            return
        self.stats.replies += 1
        handler.send(packet, addr)

    # ------------------------------------------------------------------ serving
    def _device(self) -> SimDevice:
        """A pymodbus SimDevice covering every mapped register and the records of ``positions``,
        contiguous per table (a bench's records are readable whole, reserved registers included)."""
        coils = [SimData(0, values=[False] * 16, datatype=DataType.BITS)]
        blocks: list[list[SimData]] = []
        m = self.register_map
        block = m.position_block() if self.positions else None
        for table in ("holding", "input"):
            regs: list[Register] = list(m.in_table(table))  # type: ignore[arg-type]
            if block is not None:
                regs += [block.register(q, p) for p in range(1, self.positions + 1)
                         for q, r in block.registers.items() if r.table == table]
            if not regs:
                blocks.append([SimData(0, datatype=DataType.INVALID)])
                continue
            lo, hi = min(r.address for r in regs), max(r.end for r in regs)
            if block is not None and table in block.tables:
                hi = max(hi, block.record_address(self.positions) + block.stride)
            writable = {a for r in regs if r.writable for a in range(r.address, r.end)}
            segments: list[SimData] = []
            a = lo
            while a < hi:
                flag = a in writable
                b = a
                while b < hi and (b in writable) == flag:
                    b += 1
                segments.append(SimData(a, count=b - a, values=0, datatype=DataType.REGISTERS,
                                        readonly=not flag))
                a = b
            blocks.append(segments)
        return SimDevice(self.device_id, simdata=(coils, list(coils), blocks[0], blocks[1]),
                         action=self._action)

    def _start_ticker(self) -> None:
        if self._ticker is None or self._ticker.done():
            self._ticker = asyncio.create_task(self._tick(), name="ref-meter gate ticker")

    async def _tick(self) -> None:
        while True:
            if self.gate.active:
                self.gate.update()
                await asyncio.sleep(_TICK_S)
            else:
                await asyncio.sleep(_IDLE_TICK_S)

    async def serve_tcp(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen for Modbus TCP on ``host:port`` and return; ``port=0`` picks a free port (``.port``)."""
        server = _TwinTcpServer(self, self._device(), (host, port))
        try:
            await server.serve_forever(background=True)
        except RuntimeError as exc:
            raise OSError(f"ref-meter twin cannot listen on {host}:{port}: {exc}") from exc
        self._servers.append(server)
        sockets = getattr(server.transport, "sockets", None) or []
        self.host = host
        self.port = int(sockets[0].getsockname()[1]) if sockets else port
        self._start_ticker()

    async def serve_rtu(self, device_path: str, baudrate: int = 9600, parity: str = "N",
                        stopbits: int = 1) -> None:
        """Serve Modbus RTU on a serial device (real port or pseudo-terminal) and return."""
        server = _TwinSerialServer(self, self._device(), port=device_path, baudrate=baudrate,
                                   parity=parity, stopbits=stopbits, bytesize=8)
        try:
            await server.serve_forever(background=True)
        except RuntimeError as exc:
            raise OSError(f"ref-meter twin cannot open serial port {device_path}: {exc}") from exc
        self._servers.append(server)
        self.rtu_path = device_path
        self._start_ticker()

    async def serve_from_args(self, args: argparse.Namespace, console: TwinConsole, default_tcp: str, *,
                              rtu_line: bool = True) -> None:
        """Serve what a Modbus twin's command line asks (``--tcp HOST:PORT``, by default
        ``default_tcp`` unless only ``--rtu`` is given; ``--rtu DEVICE|pty`` at ``--baudrate``) and
        print where, so every Modbus twin's console starts the same way; ``rtu_line`` adds the line
        settings (``9600 8N1``) to the RTU line. A ``pty`` cable is the console's, closed on exit."""
        if args.tcp or not args.rtu:
            host, _, port = (args.tcp or default_tcp).rpartition(":")
            await self.serve_tcp(host or "127.0.0.1", int(port))
            print(f"listening on Modbus TCP {self.host}:{self.port}", flush=True)
        if args.rtu:
            path = args.rtu
            link = await console.open_pty() if path == "pty" else None
            if link is not None:
                path = link.path_a
            await self.serve_rtu(path, baudrate=args.baudrate)
            client_side = f" — open {link.path_b} in the driver" if link else ""
            line = f" {args.baudrate} 8N1" if rtu_line else ""
            print(f"serving Modbus RTU on {path}{line}{client_side}", flush=True)

    async def drop_connections(self) -> None:
        """Close every open Modbus TCP client connection (as if the network cable were pulled)."""
        for server in self._servers:
            if isinstance(server, ModbusTcpServer):
                for conn in list(server.active_connections.values()):
                    conn.close()
        await asyncio.sleep(0)

    async def stop(self) -> None:
        """Stop serving (TCP connections are closed, serial ports released); idempotent."""
        for handle in list(self._pending):
            handle.cancel()
        self._pending.clear()
        servers, self._servers = self._servers, []
        for server in servers:
            if server.reconnect_task is not None:  # a serial listener may be waiting to re-open
                server.reconnect_task.cancel()
            with contextlib.suppress(Exception):
                await server.shutdown()
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        await asyncio.sleep(0)


class PtyLink:
    """A virtual null-modem cable: two pseudo-terminals whose master ends are bridged in-process.

    Open ``path_a`` on one side (e.g. the twin's ``serve_rtu``) and ``path_b`` on the other (the
    driver); bytes written to one arrive at the other. Pure Python (``os.openpty``), POSIX only;
    runs on the current asyncio loop. ``pause()`` cuts the cable without closing the ports.
    """

    def __init__(self) -> None:
        self.path_a = ""
        self.path_b = ""
        self.paused = False
        self._fds: list[int] = []
        self._masters: tuple[int, int] = (-1, -1)
        self._out: dict[int, bytearray] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    async def open(self) -> PtyLink:
        """Create both pseudo-terminals and start bridging; returns self."""
        self._loop = asyncio.get_running_loop()
        master_a, slave_a = os.openpty()
        master_b, slave_b = os.openpty()
        self._fds = [master_a, slave_a, master_b, slave_b]
        for fd in (slave_a, slave_b):
            tty.setraw(fd)  # no echo, no line editing: a byte pipe
        for fd in (master_a, master_b):
            os.set_blocking(fd, False)
        self.path_a, self.path_b = os.ttyname(slave_a), os.ttyname(slave_b)
        self._masters = (master_a, master_b)
        self._out = {master_a: bytearray(), master_b: bytearray()}
        self._loop.add_reader(master_a, self._pump, master_a, master_b)
        self._loop.add_reader(master_b, self._pump, master_b, master_a)
        return self

    def _pump(self, src: int, dst: int) -> None:
        try:
            data = os.read(src, 4096)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:  # EIO: nobody has the other side open
            return
        if data and not self.paused:
            self._out[dst] += data
            self._flush(dst)

    def _flush(self, dst: int) -> None:
        buf = self._out[dst]
        try:
            n = os.write(dst, buf) if buf else 0
        except (BlockingIOError, InterruptedError):
            n = 0
        except OSError:
            buf.clear()
            n = 0
        del buf[:n]
        assert self._loop is not None
        if buf:
            self._loop.add_writer(dst, self._flush, dst)
        else:
            self._loop.remove_writer(dst)

    def close(self) -> None:
        """Stop bridging and close all four file descriptors; idempotent."""
        if self._loop is not None:
            for fd in self._masters:
                if fd >= 0:
                    self._loop.remove_reader(fd)
                    self._loop.remove_writer(fd)
        for fd in self._fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        self._fds = []
        self._masters = (-1, -1)


# ---------------------------------------------------------------------- command line
def _parse_args(argv: Sequence[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m hardware_sim ref-meter",
        description="Simulated reference meter / AC-post calibrator (Modbus TCP and RTU).",
    )
    p.add_argument("--tcp", metavar="HOST:PORT", help="serve Modbus TCP (default 127.0.0.1:5020 "
                   "unless only --rtu is given; port 0 picks a free port)")
    p.add_argument("--rtu", metavar="DEVICE", help="serve Modbus RTU on a serial device, or 'pty' to "
                   "create a virtual null-modem cable and print the port to open")
    p.add_argument("--baudrate", type=int, default=9600)
    p.add_argument("--device-id", type=int, default=1)
    p.add_argument("--map", default="jianding_sim_ref", help="register map name or .toml path")
    p.add_argument("--speed", type=float, default=50.0, help="simulation seconds per wall second")
    p.add_argument("--voltage", type=float, default=220.0)
    p.add_argument("--dut-error", type=float, default=0.3, help="DUT true error, percent")
    p.add_argument("--dut-constant", type=float, default=1000.0, help="DUT pulse constant, imp/kWh")
    p.add_argument("--seed", type=int, default=1148)
    p.add_argument("--load", type=float, default=0.0, help="initial load current, A")
    p.add_argument("--open-contactor", action="store_true",
                   help="leave the contactor open (by default it is closed: no charger twin here)")
    add_fault_option(p)
    return p.parse_args(list(argv))


async def _run(args: argparse.Namespace) -> None:
    rig = Rig(speed=args.speed, voltage_v=args.voltage, dut_error_pct=args.dut_error,
              dut_constant=args.dut_constant, seed=args.seed)
    rig.circuit.set_contactor(not args.open_contactor)
    twin = RefMeterTwin(rig, register_map=args.map, device_id=args.device_id)
    if args.load:
        twin.set_load(args.load)
    async with TwinConsole(twin) as console:
        console.start_faults(twin, args.fault)  # checked before anything is served
        m = twin.register_map
        print(f"ref-meter twin: {m.title} (map {m.name}), device {args.device_id}, speed ×{args.speed:g}, "
              f"DUT error {args.dut_error:+g} %, DUT constant {args.dut_constant:g} imp/kWh, "
              f"contactor {'open' if args.open_contactor else 'closed'}", flush=True)
        await twin.serve_from_args(args, console, "127.0.0.1:5020")
        print("Ctrl-C to stop.", flush=True)
        await console.wait()


def main(argv: list[str] | None = None) -> int:
    """Run the twin until Ctrl-C/SIGTERM; accepts argv with or without a leading ``ref-meter``."""
    return run_twin_main("ref-meter", argv, _parse_args, _run)


if __name__ == "__main__":
    raise SystemExit(main())
