"""The meters of the simulated bench on their own RS-485 line, answering DL/T 645-2007 (frame codec:
:mod:`drivers.meters.dlt645_frame`, shared with the driver) on a serial device — a
:class:`~hardware_sim.ref_meter.PtyLink` end, as the scale and dispenser twins use.

Every seated meter answers at its own address (``addresses``: position → 12 digits) with the
register of its position on the :class:`~hardware_sim.meter_bench.MeterBenchTwin` (read 11H of
DI 00 01 00 00, 当前正向有功总电能, ``XXXXXX.XX`` kWh), only while the bench applies voltage (an
unpowered meter is silent). Read address (13H to the wildcard AA…AA) is answered when exactly one
meter is powered on the line. An unknown identifier gets an error reply with error byte 02H (no
requested data). A request with a wrong checksum is ignored (no reply), as a meter does.

Faults (:class:`MeterPortFaults`, mutable while serving), besides the line faults of
:class:`~hardware_sim.wire.WireFaults` (``silent`` = a pulled cable, ``garbage_replies`` = the next
k replies arrive with a wrong checksum, ``latency_s``): ``silent_meters`` (positions whose meter
never answers), ``error_replies`` (position → the error byte its meter answers every read with).
A meter's register that advances beyond its pulses is the bench's fault
(:attr:`BenchFaults.register_error_pct <hardware_sim.meter_bench.BenchFaults.register_error_pct>`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from drivers.meters.dlt645_frame import (
    READ_ADDRESS,
    READ_DATA,
    WILDCARD_ADDRESS,
    FrameError,
    address_reply,
    bcd_encode,
    data_format,
    decode,
    error_reply,
    frame_length,
    protocol,
    read_reply,
)
from hardware_sim.meter_bench import MeterBenchTwin
from hardware_sim.wire import SerialLineServer, WireFaults, WireStats

NO_REQUESTED_DATA = 0x02  # error byte bit 1 (dlt645_2007.toml [errors])


@dataclass
class MeterPortFaults(WireFaults):
    """Faults of the meters' line; change the fields at any time while it serves."""

    silent_meters: set[int] = field(default_factory=set)
    error_replies: dict[int, int] = field(default_factory=dict)


@dataclass
class MeterPortStats(WireStats):
    """What the line did: requests seen, replies, corrupted replies, and frames refused."""

    bad_frames: int = 0
    unanswered: int = 0


class Dlt645Line(SerialLineServer):
    """The meters of ``bench`` answering DL/T 645-2007 at ``addresses`` (position → address)."""

    faults: MeterPortFaults
    stats: MeterPortStats

    def __init__(self, bench: MeterBenchTwin, addresses: Mapping[int, str], *, faults: MeterPortFaults | None = None,
                 wakeup: int | None = None) -> None:
        if any(not 1 <= p <= bench.positions for p in addresses):
            raise ValueError(f"addresses name positions 1..{bench.positions} only")
        self.bench = bench
        self.addresses = {int(p): str(a).upper() for p, a in addresses.items()}
        self._by_address = {a: p for p, a in self.addresses.items()}
        self.faults = faults if faults is not None else MeterPortFaults()
        self.stats = MeterPortStats()
        self.wakeup = int(protocol()["line"]["wakeup_bytes"]) if wakeup is None else wakeup
        self._energy = data_format("energy_import_total")
        SerialLineServer.__init__(self)
        self._inbuf = b""

    def reply(self, raw: bytes) -> bytes | None:
        """The line's answer to one request frame (None: no meter answers it)."""
        try:
            req = decode(raw)
        except FrameError:
            self.stats.bad_frames += 1
            return None
        if req.is_reply:
            return None  # another meter's answer, or our own echo
        powered = self.bench.meters_powered
        if req.function == READ_ADDRESS and req.address == WILDCARD_ADDRESS:
            awake = [p for p in self.addresses if p not in self.faults.silent_meters]
            return address_reply(self.addresses[awake[0]], self.wakeup) if powered and len(awake) == 1 else None
        position = self._by_address.get(req.address)
        if position is None or not powered or position in self.faults.silent_meters:
            return None
        if req.function != READ_DATA or len(req.data) < 4:
            return error_reply(req.address, req.function, 0x01, self.wakeup)  # other error
        if position in self.faults.error_replies:
            return error_reply(req.address, READ_DATA, int(self.faults.error_replies[position]), self.wakeup)
        identifier = int.from_bytes(req.data[:4], "little")
        if identifier != self._energy.identifier:
            return error_reply(req.address, READ_DATA, NO_REQUESTED_DATA, self.wakeup)
        value = bcd_encode(self.bench.register_kwh(position), self._energy.length, self._energy.decimals)
        return read_reply(req.address, identifier, value, self.wakeup)

    # -- the serial line ----------------------------------------------------------------------------
    def _on_bytes(self, data: bytes) -> None:
        """Answer every whole request frame received; bytes that cannot start a frame are dropped
        one by one until a frame starts (a receiver resynchronising on 68H)."""
        self._inbuf += data
        while self._inbuf:
            try:
                n = frame_length(self._inbuf)
            except FrameError:
                self.stats.bad_frames += 1
                self._inbuf = self._inbuf[1:]
                continue
            if n is None or len(self._inbuf) < n:
                break
            raw, self._inbuf = self._inbuf[:n], self._inbuf[n:]
            self.stats.requests += 1
            if self.faults.silent:
                continue
            answer = self.reply(raw)
            if answer is None:
                self.stats.unanswered += 1
            else:
                self._send(answer)

    def _garble(self, raw: bytes) -> bytes:
        """Line noise on a reply: its checksum no longer matches (one data bit flipped)."""
        return raw[:-3] + bytes([raw[-3] ^ 0x04]) + raw[-2:]


__all__ = ["Dlt645Line", "MeterPortFaults", "MeterPortStats"]
