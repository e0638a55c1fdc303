"""Modbus TCP / RTU transport: a thin async wrapper over pymodbus that speaks our exceptions.

pymodbus quirks stop here. A caller sees only:

* :class:`~drivers.errors.DeviceTimeout` — nothing (valid) came back within ``timeout_s`` on every
  attempt, or a gateway reported that the meter behind it is silent;
* :class:`~drivers.errors.ProtocolError` — bytes came back but never a valid reply (CRC error,
  garbage, wrong length) after ``retries`` retries, or an unknown exception code;
* :class:`~drivers.errors.DeviceRefused` — the meter answered with a Modbus exception (illegal
  address, illegal value …): it understood and refused, so it is not retried;
* :class:`~drivers.errors.Disconnected` — the socket closed or the serial port vanished, or the link
  cannot be opened.

Behaviour is explicit rather than left to pymodbus defaults: pymodbus's own retries are 0 and its
automatic reconnect is off; *we* retry (``retries`` times, after a silent or garbled attempt) and
we reconnect lazily at the start of the next call after a link was lost. Reconnecting is always
safe for Modbus (every request stands alone); a request that was in flight when the link dropped
is not repeated — the caller gets ``Disconnected`` and decides. Over TCP, a retry after an
unanswered attempt goes out on a fresh connection, and a call that ends in a timeout or a protocol
error drops its socket, so a late reply can never be taken for the answer to another request (over
RTU, which has no transaction ids, a late reply to the same request is simply accepted).

pymodbus reports a garbled reply exactly like silence (it discards the bytes and times out). We
tell them apart with pymodbus's ``trace_packet`` hook, which sees every received byte.

Every attempt has two deadlines: pymodbus's own ``timeout`` and, as a backstop in case pymodbus
ever hangs, our own asyncio deadline slightly longer (``asyncio.wait(..., timeout=)`` on the
request task raced against a "link lost" future — the guarantee of ``asyncio.wait_for`` without a
second task per request). A call therefore returns within about ``(retries + 1) × timeout_s``
(exactly: :attr:`ModbusTransport.call_deadline_s`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pymodbus.client import AsyncModbusSerialClient, AsyncModbusTcpClient
from pymodbus.exceptions import ConnectionException, ModbusException, ModbusIOException
from pymodbus.framer import FramerType
from pymodbus.pdu import ModbusPDU

from drivers.errors import DeviceError, DeviceRefused, DeviceTimeout, Disconnected, ProtocolError
from drivers.link_health import SLOW_SHARE, LinkHealth

RegisterTable = Literal["input", "holding"]

# pymodbus logs every timeout and stray frame at ERROR level; we turn those events into exceptions,
# so keep its chatter out of the console unless the application configures logging itself.
logging.getLogger("pymodbus").addHandler(logging.NullHandler())

_EXCEPTION_TEXT: Mapping[int, str] = {
    0x01: "illegal function — this model does not support the request",
    0x02: "illegal data address — register not present on this model (wrong register map?)",
    0x03: "illegal data value — value out of range for the meter",
    0x04: "device failure — the meter reports an internal fault",
    0x05: "acknowledge — the meter is busy with a long operation, try again",
    0x06: "device busy — try again",
    0x08: "memory parity error in the meter",
    0x0A: "gateway path unavailable — the gateway has no route to this device address",
    0x0B: "gateway target failed to respond — the gateway got no answer from the meter",
}


@dataclass(frozen=True)
class ModbusConfig:
    """Where a Modbus device is and how patient to be with it.

    ``port`` is the TCP port for ``transport="tcp"`` and the serial device path for ``"rtu"``.
    """

    transport: Literal["tcp", "rtu"] = "tcp"
    host: str = "127.0.0.1"
    port: int | str = 502
    baudrate: int = 9600
    parity: Literal["N", "E", "O"] = "N"
    stopbits: int = 1
    bytesize: int = 8
    device_id: int = 1
    timeout_s: float = 1.0
    retries: int = 2
    slow_share: float = SLOW_SHARE  # replies over this share of timeout_s are reported as slow

    def __post_init__(self) -> None:
        if not 0 < self.slow_share <= 1:
            raise ValueError(f"slow_share must be in (0, 1], not {self.slow_share!r}")
        if self.transport not in ("tcp", "rtu"):
            raise ValueError(f'transport must be "tcp" or "rtu", not {self.transport!r}')
        if self.transport == "tcp" and (not isinstance(self.port, int) or not 0 < self.port < 65536):
            raise ValueError(f"port must be a TCP port number 1..65535 for Modbus TCP, not {self.port!r}")
        if self.transport == "rtu" and (not isinstance(self.port, str) or not self.port):
            raise ValueError(f"port must be a serial device path for Modbus RTU, not {self.port!r}")
        if self.parity not in ("N", "E", "O"):
            raise ValueError(f'parity must be "N", "E" or "O", not {self.parity!r}')
        if self.stopbits not in (1, 2):
            raise ValueError(f"stopbits must be 1 or 2, not {self.stopbits!r}")
        if not 0 <= self.device_id <= 247:
            raise ValueError(f"device_id must be 0..247, not {self.device_id!r}")
        if not self.timeout_s > 0:
            raise ValueError(f"timeout_s must be positive, not {self.timeout_s!r}")
        if not 0 <= self.retries <= 10:
            raise ValueError(f"retries must be 0..10, not {self.retries!r}")

    @classmethod
    def from_dict(cls, cfg: Mapping[str, Any]) -> ModbusConfig:
        """Build from a station-file section; unknown keys are ignored, bad values raise ValueError."""
        transport = str(cfg.get("transport", "tcp")).lower()
        kwargs: dict[str, Any] = {"transport": transport}
        if transport == "tcp":
            kwargs["host"] = str(cfg.get("host", "127.0.0.1"))
            kwargs["port"] = int(cfg.get("port", 502))
        else:
            kwargs["port"] = str(cfg.get("port", ""))
            kwargs["baudrate"] = int(cfg.get("baudrate", 9600))
            kwargs["parity"] = str(cfg.get("parity", "N")).upper()
            kwargs["stopbits"] = int(cfg.get("stopbits", 1))
            kwargs["bytesize"] = int(cfg.get("bytesize", 8))
        kwargs["device_id"] = int(cfg.get("device_id", 1))
        kwargs["timeout_s"] = float(cfg.get("timeout_s", 1.0))
        kwargs["retries"] = int(cfg.get("retries", 2))
        kwargs["slow_share"] = float(cfg.get("slow_share", SLOW_SHARE))
        return cls(**kwargs)

    def endpoint(self) -> str:
        """Human-readable address: ``127.0.0.1:5020, device 1`` or ``/dev/ttyUSB0 9600 8N1, device 1``."""
        if self.transport == "tcp":
            return f"{self.host}:{self.port}, device {self.device_id}"
        return f"{self.port} {self.baudrate} {self.bytesize}{self.parity}{self.stopbits}, device {self.device_id}"

    @property
    def attempt_deadline_s(self) -> float:
        """Backstop deadline of one attempt (pymodbus's own timeout is ``timeout_s``)."""
        return self.timeout_s * 1.25 + 0.1

    @property
    def call_deadline_s(self) -> float:
        """Longest a read or write can take before it raises (all attempts, plus connecting)."""
        return (self.retries + 1) * self.attempt_deadline_s + self.attempt_deadline_s


@dataclass
class TransportStats:
    """Counters for diagnostics and tests: what actually happened on the wire."""

    requests: int = 0
    attempts: int = 0
    garbled: int = 0
    silent: int = 0
    refused: int = 0
    connects: int = 0
    disconnects: int = 0


def _consume_result(task: asyncio.Future[Any]) -> None:
    """Retrieve an abandoned request's outcome so asyncio does not log it as never retrieved."""
    if not task.cancelled():
        task.exception()


class ModbusTransport:
    """One Modbus device on TCP or RTU; every method has a deadline and raises drivers.errors only.

    ``device`` is the station-file name of the instrument, used in every error; ``label`` says what
    it is (``参考电能表 Jianding SIM-REF``) so the technician knows which box to look at.
    """

    def __init__(self, device: str, config: ModbusConfig, *, label: str = "Modbus device") -> None:
        self.device = device
        self.config = config
        self.label = label
        self.stats = TransportStats()
        self.health = LinkHealth(device, config.timeout_s, config.slow_share)
        self._client: AsyncModbusTcpClient | AsyncModbusSerialClient | None = None
        self._lock = asyncio.Lock()
        self._lost: asyncio.Future[None] | None = None  # resolved when the current link drops
        self._rx_bytes = 0

    # ------------------------------------------------------------------ life cycle
    @property
    def connected(self) -> bool:
        """Whether the link is open and has not been lost."""
        return (self._client is not None and self._client.connected
                and self._lost is not None and not self._lost.done())

    @property
    def call_deadline_s(self) -> float:
        """Longest any call of this transport can take before it raises."""
        return self.config.call_deadline_s

    async def connect(self) -> None:
        """Open the link (TCP connect or serial port open); idempotent."""
        async with self._lock:
            await self._ensure_connected()

    async def close(self) -> None:
        """Close the link; never raises. The next call reconnects."""
        async with self._lock:
            self._drop_client()

    def _where(self) -> str:
        return f"{self.label} ({self.config.endpoint()})"

    def _hint(self) -> str:
        if self.config.transport == "tcp":
            return "check network cable, power and the IP/port in the station file (检查网线、电源和地址)"
        return ("check the RS-485 cable (A/B swapped?), power, baud rate/parity and device address "
                "(检查485接线、电源、波特率和地址)")

    def _make_client(self, lost: asyncio.Future[None]) -> AsyncModbusTcpClient | AsyncModbusSerialClient:
        """A pymodbus client with retries and auto-reconnect off, and hooks bound to this link only."""

        def trace_packet(sending: bool, data: bytes) -> bytes:
            if not sending:  # pymodbus hands us its receive buffer: bytes did arrive
                self._rx_bytes += len(data)
            return data

        def trace_connect(connected: bool) -> None:
            if not connected and not lost.done():
                lost.set_result(None)

        c = self.config
        client: AsyncModbusTcpClient | AsyncModbusSerialClient
        if c.transport == "tcp":
            client = AsyncModbusTcpClient(
                c.host, port=int(c.port), name=self.device, timeout=c.timeout_s, retries=0,
                reconnect_delay=0, trace_packet=trace_packet, trace_connect=trace_connect,
            )
        else:
            client = AsyncModbusSerialClient(
                str(c.port), framer=FramerType.RTU, baudrate=c.baudrate, bytesize=c.bytesize,
                parity=c.parity, stopbits=c.stopbits, name=self.device, timeout=c.timeout_s, retries=0,
                reconnect_delay=0, trace_packet=trace_packet, trace_connect=trace_connect,
            )
        # pymodbus would close the link by itself after a few unanswered requests; we decide.
        client.set_max_no_responses(1_000_000)
        return client

    def _drop_client(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()

    async def _ensure_connected(self) -> None:
        if self.connected:
            return
        self._drop_client()
        self._lost = asyncio.get_running_loop().create_future()
        client = self._make_client(self._lost)
        try:
            ok = await asyncio.wait_for(client.connect(), timeout=self.config.attempt_deadline_s)
        except TimeoutError:
            client.close()
            raise DeviceTimeout(
                self.device,
                f"{self._where()}: could not connect within {self.config.timeout_s:g} s — {self._hint()}",
            ) from None
        except Exception as exc:  # pymodbus/pyserial may raise anything here
            client.close()
            raise Disconnected(self.device, f"{self._where()}: cannot open the link ({exc}) — {self._hint()}") from exc
        if not ok:
            client.close()
            if self.config.transport == "tcp":
                raise Disconnected(self.device, f"{self._where()}: cannot connect — {self._hint()}")
            raise Disconnected(
                self.device,
                f"{self._where()}: cannot open serial port {self.config.port} — is the USB/RS-485 adapter "
                "plugged in, the port name right and no other program using it? (串口无法打开)",
            )
        self._client = client
        self.stats.connects += 1
        await asyncio.sleep(0)  # serial transports finish their setup in a call_soon

    # ------------------------------------------------------------------ requests
    async def read_registers(self, table: RegisterTable, address: int, count: int) -> list[int]:
        """Read ``count`` registers from the input (FC04) or holding (FC03) table."""
        if table not in ("input", "holding"):
            raise ValueError(f'table must be "input" or "holding", not {table!r}')
        if not 1 <= count <= 125:
            raise ValueError(f"count must be 1..125, not {count}")
        dev = self.config.device_id

        def call(c: Any) -> Awaitable[ModbusPDU]:
            if table == "input":
                return c.read_input_registers(address, count=count, device_id=dev)
            return c.read_holding_registers(address, count=count, device_id=dev)

        def valid(resp: ModbusPDU) -> bool:
            return len(getattr(resp, "registers", ())) == count

        what = f"read {table} registers 0x{address:04X}..0x{address + count - 1:04X}"
        resp = await self._transact(what, call, valid)
        return list(resp.registers)

    async def write_registers(self, address: int, values: Sequence[int], *, idempotent: bool = True) -> None:
        """Write holding registers with FC16.

        With ``idempotent=False`` the request is sent once and never repeated (a repeated write could
        act twice); writes of absolute values, which is all a meter needs, are idempotent.
        """
        regs = [int(v) for v in values]
        if not 1 <= len(regs) <= 123 or any(not 0 <= v <= 0xFFFF for v in regs):
            raise ValueError("write needs 1..123 register values, each 0..65535")
        dev = self.config.device_id

        def call(c: Any) -> Awaitable[ModbusPDU]:
            return c.write_registers(address, regs, device_id=dev)

        def valid(resp: ModbusPDU) -> bool:
            return resp.function_code == 16

        what = f"write holding registers 0x{address:04X}..0x{address + len(regs) - 1:04X}"
        await self._transact(what, call, valid, retries=None if idempotent else 0)

    async def _transact(self, what: str, call: Callable[[Any], Awaitable[ModbusPDU]],
                        valid: Callable[[ModbusPDU], bool], retries: int | None = None) -> ModbusPDU:
        """Run one request with retries; map every outcome to a result or one of our exceptions."""
        tries = (self.config.retries if retries is None else retries) + 1
        async with self._lock:
            self.stats.requests += 1
            if self.health.given_up:
                raise DeviceTimeout(self.device, f"{self._where()}: {what}: 不再重试 (not tried again: "
                                                 f"{self.health.given_up})")
            loop = asyncio.get_running_loop()
            started = loop.time()
            await self._ensure_connected()
            outcomes: list[str] = []
            for _ in range(tries):
                if outcomes and outcomes[-1] == "silent" and self.config.transport == "tcp":
                    # The reply may still be on its way: retry on a fresh connection, so that a late
                    # reply lands on a closed socket instead of answering the wrong request.
                    self._drop_client()
                    await self._ensure_connected()
                outcome = await self._attempt(what, call)
                if isinstance(outcome, str):
                    outcomes.append(outcome)
                    continue
                self.health.record(loop.time() - started, len(outcomes) + 1)
                if outcome.isError():
                    self.stats.refused += 1
                    raise self._exception_reply(what, outcome)
                if not valid(outcome):
                    self.stats.garbled += 1
                    outcomes.append("garbled")
                    continue
                return outcome
            if self.config.transport == "tcp":
                self._drop_client()  # never let a late reply answer a later request
            n_garbled = outcomes.count("garbled")
            attempts = f"{len(outcomes)} attempt{'s' if len(outcomes) != 1 else ''}"
            if outcomes[-1] == "garbled":
                raise ProtocolError(
                    self.device,
                    f"{self._where()}: {what}: no valid reply — {n_garbled} of {attempts} garbled "
                    f"(CRC error or garbage); check cable shielding/termination, baud rate and parity, "
                    f"or another master on the line (报文校验错误)",
                )
            raise DeviceTimeout(
                self.device,
                f"{self._where()}: {what}: no answer within {self.config.timeout_s:g} s ({attempts}) — "
                f"{self._hint()} (设备无应答){self.health.silence_hint()}",
            )

    async def _attempt(self, what: str, call: Callable[[Any], Awaitable[ModbusPDU]]) -> ModbusPDU | str:
        """One request on the wire: the reply PDU, or ``"silent"``/``"garbled"``; raises on link loss.

        The pymodbus call runs as a task raced against the link's "lost" future (set by pymodbus's
        ``trace_connect`` hook) under the backstop deadline, so a dropped link is reported at once
        instead of after a timeout.
        """
        client = self._client
        assert client is not None
        self.stats.attempts += 1
        self._rx_bytes = 0
        lost = self._lost
        assert lost is not None
        try:
            request = asyncio.ensure_future(call(client))
        except ConnectionException as exc:  # pymodbus raises this synchronously when not connected
            raise self._link_lost(what, exc) from None
        request.add_done_callback(_consume_result)
        try:
            done, _ = await asyncio.wait((request, lost), timeout=self.config.attempt_deadline_s,
                                         return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not request.done():
                request.cancel()
        if request in done:
            exc = request.exception()
            if exc is None:
                return request.result()
            if isinstance(exc, ConnectionException | OSError):
                raise self._link_lost(what, exc) from None
            if isinstance(exc, ModbusIOException | TimeoutError):
                if lost.done():
                    raise self._link_lost(what, None) from None
            elif isinstance(exc, ModbusException):
                self.stats.garbled += 1
                return "garbled"
            else:
                raise exc
        elif lost.done():
            raise self._link_lost(what, None) from None
        if self._rx_bytes:
            self.stats.garbled += 1
            return "garbled"
        self.stats.silent += 1
        return "silent"

    def _link_lost(self, what: str, exc: BaseException | None) -> Disconnected:
        self.stats.disconnects += 1
        self._drop_client()
        cause = f" ({exc.strerror or exc})" if isinstance(exc, OSError) else ""
        return Disconnected(
            self.device,
            f"{self._where()}: link lost during {what}{cause} — {self._hint()}; "
            "will reconnect on the next request (连接断开)",
        )

    def _exception_reply(self, what: str, resp: ModbusPDU) -> DeviceError:
        code = int(getattr(resp, "exception_code", 0))
        text = _EXCEPTION_TEXT.get(code)
        msg = f"{self._where()}: {what}: Modbus exception {code:#04x}"
        if code in (0x0A, 0x0B):
            return DeviceTimeout(self.device, f"{msg}, {text} — {self._hint()}")
        if text is None:
            return ProtocolError(self.device, f"{msg} (not a standard exception code)")
        return DeviceRefused(self.device, f"{msg}, {text}")
