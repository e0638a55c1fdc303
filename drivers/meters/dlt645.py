"""The meters' own port on a bench, DL/T 645-2007 over RS-485 (or an infrared head): each meter's
energy register (计度器) read from the meter itself — the :class:`~drivers.roles.RegisterReader`
a JJG 596 constant test uses.

Every meter on the line answers at its own address; the station file says which address sits at
which bench position (``addresses`` or ``address_format``, :func:`position_addresses`). The frame
codec is :mod:`drivers.meters.dlt645_frame` (shared with the twin); the line settings, timeouts and
data identifiers are data (``dlt645_2007.toml``), overridable per station.

What a caller sees is only ``drivers.errors``, each naming this device, the position and the
meter's address:

* :class:`~drivers.errors.DeviceTimeout` — the meter did not answer on any attempt (unpowered,
  wrong address or baud rate); a line on which the first meters all stay silent is reported as the
  line being down;
* :class:`~drivers.errors.ProtocolError` — replies came, but with a wrong checksum or malformed on
  every attempt, or not answering what was asked;
* :class:`~drivers.errors.DeviceRefused` — the meter answered with an error reply (D1H) and its
  error byte (e.g. 02H 无请求数据, no requested data);
* :class:`~drivers.errors.Disconnected` — the serial port cannot be opened or vanished.

:meth:`Dlt645Meters.read_registers` turns one meter's fault into that position's
:attr:`~drivers.roles.RegisterReading.fault`, so one silent meter never takes the others' readings
with it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from drivers.errors import DeviceError, DeviceRefused, DeviceTimeout, Disconnected, ProtocolError
from drivers.meters.dlt645_frame import (
    READ_ADDRESS,
    DataFormat,
    ErrorReply,
    Frame,
    FrameError,
    data_format,
    decode,
    decode_value,
    encode_address,
    frame_length,
    protocol,
    read_address_request,
    read_request,
    read_value,
)
from drivers.roles import RegisterReading
from drivers.transports.serial_line import Garbled, LineStats, SerialLine, SerialLineConfig

DEFAULT_ADDRESS_FORMAT = "{position:012d}"


def position_addresses(cfg: Mapping[str, Any]) -> dict[int, str]:
    """Bench position → the meter's communication address, from a station section: ``addresses``
    as a list in position order (``""`` for an empty position) or a table ``{"7" = "…"}``; or
    ``positions = N`` with ``address_format`` (default ``"{position:012d}"``, formatted with
    ``position``). ``ValueError`` for a missing, malformed or repeated address."""
    raw = cfg.get("addresses")
    if isinstance(raw, list):
        out = {i: str(a).strip() for i, a in enumerate(raw, start=1) if str(a).strip()}
    elif isinstance(raw, Mapping):
        out = {int(k): str(a).strip() for k, a in raw.items() if str(a).strip()}
    elif "positions" in cfg:
        fmt = str(cfg.get("address_format", DEFAULT_ADDRESS_FORMAT))
        try:
            out = {p: fmt.format(position=p) for p in range(1, int(cfg["positions"]) + 1)}
        except (KeyError, ValueError, IndexError) as e:
            raise ValueError(f"address_format {fmt!r}: {e} (use {{position}}, e.g. \"{DEFAULT_ADDRESS_FORMAT}\")") from None
    else:
        raise ValueError("needs addresses = [\"…\", …] (one per position) or positions = N with address_format")
    for p, a in out.items():
        try:
            encode_address(a)
        except ValueError as e:
            raise ValueError(f"position {p}: {e}") from None
        if "A" in a.upper():
            raise ValueError(f"position {p}: a meter's own address has no wildcard digit A, not {a!r}")
    repeated = sorted({a for a in out.values() if list(out.values()).count(a) > 1})
    if repeated:
        raise ValueError(f"addresses repeat: {', '.join(repeated)} (every meter on a line needs its own)")
    if not out:
        raise ValueError("no meter address given")
    return out


@dataclass(frozen=True)
class Dlt645Config:
    """The line (port, framing, reply deadline per attempt, retries), each position's address,
    the register read (data identifier and format), the wake-up preamble length, and after how
    many silent meters in a row (none having answered) the line itself is taken to be down."""

    line: SerialLineConfig
    addresses: dict[int, str]
    data: DataFormat
    wakeup: int = 4
    line_down_after: int = 3

    @classmethod
    def from_dict(cls, cfg: Mapping[str, Any]) -> Dlt645Config:
        """From a station file's ``[devices.<name>]`` keys over the data file's defaults (port,
        baudrate, parity, stopbits, timeout_s, retries, wakeup_bytes, line_down_after,
        data_identifier = a name of its ``[identifiers]`` or 8 hex digits); ``ValueError``."""
        p = protocol()
        merged = {**p["line"], **p["timing"], **dict(cfg)}
        try:
            line = SerialLineConfig.from_dict(merged)
        except ValueError as e:
            raise ValueError(f"dlt645 {e}") from None
        data = data_format(str(merged.get("data_identifier", "energy_import_total")))
        wakeup, down = int(merged.get("wakeup_bytes", 4)), int(merged.get("line_down_after", 3))
        if not 0 <= wakeup <= 4 or down < 1:
            raise ValueError("wakeup_bytes must be 0..4 and line_down_after at least 1")
        return cls(line=line, addresses=position_addresses(merged), data=data, wakeup=wakeup, line_down_after=down)


class Dlt645Meters:
    """:class:`~drivers.roles.RegisterReader` over DL/T 645-2007: the meters of a bench on one line."""

    def __init__(self, name: str, config: Dlt645Config) -> None:
        self.name = name
        self.config = config
        self.positions = max(config.addresses)
        self.line = SerialLine(name, config.line, framer=self._framer,
                               hint="check the RS-485/infrared line, the meters' addresses and baud rate, and that "
                                    "the meters are powered (the bench applies voltage)")

    @classmethod
    def from_config(cls, name: str, cfg: Mapping[str, Any]) -> Dlt645Meters:
        """Build from a station file section."""
        return cls(name, Dlt645Config.from_dict(cfg))

    @property
    def stats(self) -> LineStats:
        """Counters of the line (calls, attempts, garbled, silent, stale), for tests and diagnostics."""
        return self.line.stats

    def address(self, position: int) -> str:
        """The address of the meter at ``position`` (``DeviceRefused`` if none is configured)."""
        try:
            return self.config.addresses[position]
        except KeyError:
            raise DeviceRefused(self.name, f"表位 {position}: 未配置电能表通信地址 (no DL/T 645 address configured "
                                           f"for position {position})") from None

    async def connect(self) -> None:
        """Open the serial port (``Disconnected`` if it cannot be opened)."""
        await self.line.open()

    async def close(self) -> None:
        """Close the port; never raises."""
        await self.line.close()

    # -- the exchange -------------------------------------------------------------------------------
    @staticmethod
    def _framer(buf: bytes) -> int | None:
        try:
            return frame_length(buf)
        except FrameError as e:
            raise Garbled(str(e)) from None

    async def _exchange(self, request: bytes, address: str, what: str) -> Frame:
        """One request; the reply frame from ``address`` (another meter's frame, or the request's
        own echo on a two-wire line, is skipped)."""

        def parse(raw: bytes) -> Frame | None:
            try:
                frame = decode(raw)
            except FrameError as e:
                raise Garbled(str(e)) from None
            if not frame.is_reply or (address != "AAAAAAAAAAAA" and frame.address != address):
                return None
            return frame

        return await self.line.transact(request, parse, what)

    async def read_value(self, position: int, fmt: DataFormat | None = None) -> Decimal:
        """The value of ``fmt`` (default: the configured register) from the meter at ``position``."""
        fmt = fmt or self.config.data
        address = self.address(position)
        where = f"表位 {position} 电能表 {address}"
        frame = await self._exchange(read_request(address, fmt.identifier, self.config.wakeup), address,
                                     f"{where} 读 {fmt.di} (read {fmt.name})")
        try:
            return decode_value(read_value(frame, address, fmt.identifier), fmt)
        except ErrorReply as e:
            raise DeviceRefused(self.name, f"{where}: 异常应答 错误信息字 {e.code:02X}H: {e.text} (the meter answered "
                                           f"reading {fmt.di} with an error)") from None
        except FrameError as e:
            raise ProtocolError(self.name, f"{where}: {e}") from None

    # -- RegisterReader -----------------------------------------------------------------------------
    async def read_energy_kwh(self, position: int) -> float:
        """The register of the meter at ``position``, kWh (the configured identifier, by default
        00 01 00 00 当前正向有功总电能)."""
        return float(await self.read_value(position))

    async def read_registers(self, positions: Sequence[int]) -> list[RegisterReading]:
        """Every position's register; a meter's fault becomes its reading's ``fault``. When the
        first ``line_down_after`` meters asked all stay silent and none answered, the line is taken
        to be down and ``DeviceTimeout`` raised (a pulled cable pauses the run; a dead meter does not)."""
        out: list[RegisterReading] = []
        silent: list[int] = []
        answered = False
        for position in positions:
            address = self.config.addresses.get(position, "")
            try:
                out.append(RegisterReading(position, await self.read_energy_kwh(position), address))
                answered = True
            except Disconnected:
                raise
            except DeviceTimeout as e:
                out.append(RegisterReading(position, None, address, f"表位 {position}: 电能表 {address} 无应答 "
                                                                    f"(meter does not answer): {e.detail}"))
                silent.append(position)
                if not answered and len(silent) >= min(self.config.line_down_after, len(positions)):
                    raise DeviceTimeout(self.name, f"{self.config.line.where()}: 表位 {', '.join(map(str, silent))} 的电能表"
                                                   "均无应答, RS-485 线路中断? (no meter answers on the line: check the "
                                                   "RS-485 cable and that the bench applies voltage)") from None
            except DeviceError as e:  # an error reply, garbled replies: this meter's fault
                fault = e.detail if e.detail.startswith("表位") else f"表位 {position}: {e.detail}"
                out.append(RegisterReading(position, None, address, fault))
                answered = True
        return out

    async def read_address(self) -> str:
        """The address of the one meter on the line (13H to the wildcard address): for a position
        with a line of its own, or an infrared head on one meter."""
        frame = await self._exchange(read_address_request(self.config.wakeup), "AAAAAAAAAAAA",
                                     "读通信地址 (read address, 13H)")
        if frame.function != READ_ADDRESS or frame.is_error or len(frame.data) != 6:
            raise ProtocolError(self.name, f"读通信地址: 应答不符 (reply {frame.control:02X}H, {len(frame.data)} bytes, "
                                           "does not answer read address)")
        return frame.address


__all__ = ["Dlt645Config", "Dlt645Meters", "position_addresses"]
