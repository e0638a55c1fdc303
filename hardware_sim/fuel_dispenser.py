"""Twin of a fuel dispenser with a serial interface (JD-DSP/1), and of a standard metal can.

The dispenser twin answers the protocol of ``docs/dispenser-protocol.md`` on a serial device (a
pseudo-terminal of :class:`~hardware_sim.ref_meter.PtyLink` in tests and the demo), using the codec
the driver uses (``drivers.dispensers.protocol``) — never the driver. Its meter has a configurable
true error: over a delivery the display (and the pulser, which counts the meter) shows the preset
``V_J`` while the fuel really delivered, at the nozzle's temperature ``t_J``, is
``V_J / (1 + (error + noise)/100)``. Flow rate, unit price, pulser constant and fuel temperature are
configurable; physics can run accelerated (``speed`` simulated seconds per wall second).

The can twin receives the delivered fuel and shows what a real standard metal can would: the fuel
cools or warms to the can's temperature ``t_B`` (fuel expansion β_Y) inside a can whose neck scale
was calibrated at 20 °C (can expansion β_B), so the neck reading is
``h = h0 + (V_B − V_nominal)/d`` with ``V_B = V·(1 + β_Y(t_B − t_J)) / (1 + β_B(t_B − 20))``,
rounded to the scale's resolution. That is the physics behind JJG 443-2006 §7.6, modelled here on
its own (not by importing the procedure's formula), so a run checks the procedure against it. The
expansion coefficients are given by the caller (bench reads them from the regulation's table).
In reality the operator reads the can; in the demo an automatic operator reads :meth:`reading`.

Faults (:class:`DispenserFaults`, mutable while serving): ``silent`` (no replies: a dropped line
— :attr:`PtyLink.paused` cuts the cable itself), ``garbage_replies = k`` (the next k replies carry a
wrong checksum), ``latency_s``, ``stuck_display`` (the display and the reported transaction freeze
at what they show when the fault is first seen, while the meter and pulser go on counting),
``amount_error_yuan`` (a billing error on the display) and ``no_flow`` (the pump gets no power: an
authorised delivery never starts, or a running one stands still — display and pulser stop
advancing, the state stays authorised/fuelling until stopped). ``flow_factor`` (not a fault of the
line: a clogged filter or a weak pump) makes the pump reach that fraction of the flow asked.

The display (:meth:`FuelDispenserTwin.display`) is what a technician reads on the dispenser; the
demo's operator reads it there, not over the protocol.

Standalone: ``python -m hardware_sim fuel-dispenser [--pty | --port /dev/ttyUSB1] [--error 0.12]
[--no-flow] [--stuck-display] [--flow-factor 0.8]``.
"""

from __future__ import annotations

import argparse
import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from drivers.dispensers.protocol import (
    STATUS_ERROR,
    STATUS_OK,
    STATUS_REFUSED,
    Frame,
    FrameError,
    FrameReader,
    encode,
    number_field,
    text_field,
)
from hardware_sim.wire import (
    SerialLineServer,
    TwinConsole,
    WireFaults,
    WireStats,
    add_fault_option,
    run_twin_main,
)

__all__ = ["CanRack", "CanReading", "DispenserFaults", "DispenserStats", "FuelDispenserTwin", "StandardCanTwin"]

PROTOCOL = "JD-DSP/1"
IDLE, AUTHORIZED, FUELLING, DONE = "ID", "AU", "FU", "DN"


@dataclass
class DispenserFaults(WireFaults):
    """Faults the dispenser twin injects on demand: the line faults of every twin, plus a display
    that stops following the pulser, an amount computed with an error, and a pump without power
(``no_flow``: nothing delivered after authorisation)."""

    stuck_display: bool = False
    amount_error_yuan: float = 0.0
    no_flow: bool = False


@dataclass
class DispenserStats(WireStats):
    """What the twin did on the wire, for tests."""

    ignored: int = 0
    bad_frames: int = 0
    duplicates: int = 0
    deliveries: int = 0


@dataclass(frozen=True)
class CanReading:
    """What the operator reads on the can after a delivery: the neck scale ``h_mm`` (rounded to the
    scale's resolution, clamped to the scale, ``off_scale`` if the level is beyond it), the can
    thermometer ``t_b_c``, and — for tests only — the fuel's true volume at ``t_B``."""

    h_mm: float
    t_b_c: float
    volume_at_tb_l: float
    off_scale: bool = False


class StandardCanTwin:
    """A standard metal can (标准金属量器): nominal volume at its scale mark ``h0_mm``, ``d_l_per_mm``
    of neck per millimetre, the material's cubic expansion ``beta_b``, a neck scale of
    ``scale_mm`` read to ``resolution_mm``; the fuel in it settles ``temperature_offset_c`` away from
    the nozzle's temperature (± ``temperature_noise_c``), read to ``thermometer_resolution_c``."""

    def __init__(self, *, nominal_l: float = 20.0, h0_mm: float = 66.0, d_l_per_mm: float = 0.002,
                 beta_b: float = 50e-6, scale_mm: tuple[float, float] = (0.0, 130.0), resolution_mm: float = 0.5,
                 temperature_offset_c: float = -0.5, temperature_noise_c: float = 0.0,
                 thermometer_resolution_c: float = 0.1, seed: int = 443) -> None:
        if nominal_l <= 0 or d_l_per_mm <= 0 or resolution_mm <= 0:
            raise ValueError("nominal volume, d and the scale resolution must be > 0")
        self.nominal_l = nominal_l
        self.h0_mm = h0_mm
        self.d_l_per_mm = d_l_per_mm
        self.beta_b = beta_b
        self.scale_mm = (float(scale_mm[0]), float(scale_mm[1]))
        self.resolution_mm = resolution_mm
        self.temperature_offset_c = temperature_offset_c
        self.temperature_noise_c = temperature_noise_c
        self.thermometer_resolution_c = thermometer_resolution_c
        self._rng = random.Random(seed)
        self._reading: CanReading | None = None
        self.fills = 0

    def receive(self, volume_at_nozzle_l: float, t_j_c: float, beta_y: float) -> CanReading:
        """Fill the (drained) can with fuel that measured ``volume_at_nozzle_l`` at ``t_j_c``."""
        t_b = t_j_c + self.temperature_offset_c + self._rng.gauss(0.0, self.temperature_noise_c)
        t_b = round(t_b / self.thermometer_resolution_c) * self.thermometer_resolution_c
        v_at_tb = volume_at_nozzle_l * (1.0 + beta_y * (t_b - t_j_c))      # the fuel's own expansion
        v_scale = v_at_tb / (1.0 + self.beta_b * (t_b - 20.0))             # the can's, from its 20 °C scale
        h = self.h0_mm + (v_scale - self.nominal_l) / self.d_l_per_mm
        lo, hi = self.scale_mm
        shown = round(h / self.resolution_mm) * self.resolution_mm
        self._reading = CanReading(h_mm=round(min(max(shown, lo), hi), 6), t_b_c=round(t_b, 6),
                                   volume_at_tb_l=v_at_tb, off_scale=not lo <= h <= hi)
        self.fills += 1
        return self._reading

    def reading(self) -> CanReading | None:
        """The reading of the fuel now in the can (None when drained)."""
        return self._reading

    def drain(self) -> None:
        """Empty the can (the operator drains it before the next run)."""
        self._reading = None


class CanRack:
    """Several standard cans beside one dispenser (the flow points' 20 L can and the small can of the
    minimum measured quantity): the technician puts the nozzle into the can the delivery fits, so
    the fuel goes to the can whose nominal volume is nearest to it; every can is drained before a
    delivery, and :meth:`reading` is that of the can filled last."""

    def __init__(self, cans: Sequence[StandardCanTwin]) -> None:
        if not cans:
            raise ValueError("a can rack needs at least one can")
        self.cans = list(cans)
        self._last: StandardCanTwin | None = None

    def receive(self, volume_at_nozzle_l: float, t_j_c: float, beta_y: float) -> CanReading:
        """Fill the can the delivery fits (nominal volume nearest to it)."""
        self._last = min(self.cans, key=lambda c: abs(c.nominal_l - volume_at_nozzle_l))
        return self._last.receive(volume_at_nozzle_l, t_j_c, beta_y)

    def reading(self) -> CanReading | None:
        """The reading of the can filled last (None when drained)."""
        return self._last.reading() if self._last is not None else None

    def drain(self) -> None:
        """Empty every can."""
        for c in self.cans:
            c.drain()
        self._last = None


@dataclass
class _Transaction:
    number: int
    nozzle: int
    volume_l: float
    amount_yuan: float
    price: float
    duration_s: float


@dataclass
class _Delivery:
    nozzle: int
    preset_l: float
    flow_l_min: float
    t_start: float
    t_j_c: float
    true_error_pct: float
    indicated_l: float = 0.0
    duration_s: float = 0.0
    finished: bool = False
    extra: dict[str, float] = field(default_factory=dict)


class FuelDispenserTwin(SerialLineServer):
    """A dispenser answering JD-DSP/1, delivering into an optional :class:`StandardCanTwin`."""

    faults: DispenserFaults
    stats: DispenserStats

    def __init__(self, *, can: StandardCanTwin | CanRack | None = None, error_pct: float = 0.0, noise_pct: float = 0.0,
                 price_yuan_per_l: float = 7.89, qmax_l_min: float = 60.0, qmin_l_min: float = 6.0,
                 fuel_temperature_c: float = 24.0, fuel_temperature_noise_c: float = 0.0, beta_y: float = 12e-4,
                 pulses_per_l: float = 1000.0, display_resolution_l: float = 0.01, flow_jitter_pct: float = 1.0,
                 nozzle_delay_s: float = 1.0, speed: float = 1.0, flow_factor: float = 1.0, address: int = 1, nozzles: int = 1,
                 vendor: str = "JD-SIM", model: str = "JDF-SIM-2", serial: str = "SIMFD0001",
                 firmware: str = "1.0.3", software_id: str = "JDF-2.1.0 (CRC A1B2)", totalizer_l: float = 12345.67,
                 seed: int = 443, faults: DispenserFaults | None = None) -> None:
        self.can = can
        self.error_pct = error_pct
        self.noise_pct = noise_pct
        self.price = price_yuan_per_l
        self.qmax_l_min = qmax_l_min
        self.qmin_l_min = qmin_l_min
        self.fuel_temperature_c = fuel_temperature_c
        self.fuel_temperature_noise_c = fuel_temperature_noise_c
        self.beta_y = beta_y
        self.pulses_per_l = pulses_per_l
        self.display_resolution_l = display_resolution_l
        self.flow_jitter_pct = flow_jitter_pct
        self.nozzle_delay_s = nozzle_delay_s
        self.speed = speed
        self.flow_factor = flow_factor
        self.address = address
        self.nozzles = nozzles
        self.identity = (vendor, model, serial, firmware, software_id)
        self.faults = faults or DispenserFaults()
        self.stats = DispenserStats()
        self._rng = random.Random(seed)
        self._state = IDLE
        self._delivery: _Delivery | None = None
        self._transactions: list[_Transaction] = []
        self._pulses_base = 0
        self._totalizer_l = totalizer_l
        self._totalizer_yuan = round(totalizer_l * price_yuan_per_l, 2)
        self._frozen: tuple[float, float] | None = None
        self._last: tuple[tuple[int, str, tuple[str, ...]], Frame] | None = None
        self._reader = FrameReader()
        SerialLineServer.__init__(self)
        self.last_t_j_c = fuel_temperature_c

    # -- physics ----------------------------------------------------------------------------------
    def _now(self) -> float:
        return time.monotonic()

    def _round_display(self, volume_l: float) -> float:
        step = self.display_resolution_l
        return round(math.floor(volume_l / step + 1e-9) * step, 6)

    def _amount(self, volume_l: float) -> float:
        exact = Decimal(repr(volume_l)) * Decimal(repr(self.price))
        return float(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)) + self.faults.amount_error_yuan

    def _advance(self) -> None:
        """Bring the running delivery up to now (lazy: physics is evaluated when looked at)."""
        d = self._delivery
        if d is None or d.finished:
            return
        elapsed = (self._now() - d.t_start) * self.speed - self.nozzle_delay_s
        if self.faults.no_flow:  # the pump stands: time passes, the volume does not
            d.t_start = self._now() - (self.nozzle_delay_s + d.indicated_l / d.flow_l_min * 60.0) / self.speed
            return
        if elapsed <= 0:
            return
        self._state = FUELLING
        d.indicated_l = min(d.preset_l, d.flow_l_min / 60.0 * elapsed)
        d.duration_s = elapsed
        if d.indicated_l >= d.preset_l:
            d.duration_s = d.preset_l / d.flow_l_min * 60.0
            self._finish()

    def _finish(self) -> None:
        d = self._delivery
        assert d is not None and not d.finished
        d.finished = True
        shown_l, amount = self._display()
        self._transactions.append(_Transaction(len(self._transactions) + 1, d.nozzle, shown_l, amount, self.price,
                                               round(d.duration_s, 1)))
        self._pulses_base += round(d.indicated_l * self.pulses_per_l)
        self._totalizer_l += d.indicated_l
        self._totalizer_yuan += round(d.indicated_l * self.price, 2)
        true_l = d.indicated_l / (1.0 + d.true_error_pct / 100.0)
        d.extra["true_volume_l"] = true_l
        if self.can is not None and d.indicated_l > 0:
            self.can.receive(true_l, d.t_j_c, self.beta_y)
        self.stats.deliveries += 1
        self._state = DONE

    def _display(self) -> tuple[float, float]:
        d = self._delivery
        volume = self._round_display(d.indicated_l) if d is not None else 0.0
        current = (volume, self._amount(volume) if volume else 0.0)
        if self.faults.stuck_display:
            if self._frozen is None:
                self._frozen = current
            return self._frozen
        self._frozen = None
        return current

    def display(self) -> tuple[float, float]:
        """What the display shows now (volume L, amount 元): the running or last delivery (0, 0 right
        after an authorisation: the zero reset), frozen with ``stuck_display``."""
        self._advance()
        return self._display()

    def _pulses(self) -> int:
        d = self._delivery
        running = round(d.indicated_l * self.pulses_per_l) if d is not None and not d.finished else 0
        return self._pulses_base + running

    def authorize(self, nozzle: int, preset_l: float, flow_l_min: float) -> str | None:
        """Start a delivery; the reason it is refused, or None. (Also the demo's hand on the nozzle.)"""
        self._advance()
        if self._state in (AUTHORIZED, FUELLING):
            return "BUSY"
        if not 1 <= nozzle <= self.nozzles:
            return "NOZZLE"
        if not 0 < preset_l <= 9999.99:
            return "PRESET"
        flow = min(max(flow_l_min, self.qmin_l_min), self.qmax_l_min) * self.flow_factor
        flow *= 1.0 + self._rng.uniform(-1.0, 1.0) * self.flow_jitter_pct / 100.0
        t_j = self.fuel_temperature_c + self._rng.gauss(0.0, self.fuel_temperature_noise_c)
        t_j = round(t_j * 10.0) / 10.0
        self.last_t_j_c = t_j
        noise = self._rng.gauss(0.0, self.noise_pct) if self.noise_pct > 0 else 0.0
        if self.can is not None:
            self.can.drain()
        self._delivery = _Delivery(nozzle, preset_l, flow, self._now(), t_j, self.error_pct + noise)
        self._state = AUTHORIZED
        return None

    def deliver_now(self, nozzle: int, preset_l: float, flow_l_min: float) -> tuple[float, float]:
        """A whole delivery at once, without the serial line: the demo's technician at a dispenser
        without an interface. Returns what the display shows afterwards (volume L, amount 元)."""
        reason = self.authorize(nozzle, preset_l, flow_l_min)
        if reason:
            raise RuntimeError(f"dispenser refused the delivery: {reason}")
        d = self._delivery
        assert d is not None
        self._state = FUELLING
        d.indicated_l = d.preset_l
        d.duration_s = d.preset_l / d.flow_l_min * 60.0
        self._finish()
        t = self._transactions[-1]
        return t.volume_l, t.amount_yuan

    def last_transaction(self) -> tuple[float, float, float, float]:
        """The last delivery as displayed: volume (L), amount (元), unit price (元/L), mean flow (L/min)."""
        if not self._transactions:
            raise RuntimeError("no delivery yet")
        t = self._transactions[-1]
        return t.volume_l, t.amount_yuan, t.price, t.volume_l / t.duration_s * 60.0 if t.duration_s else 0.0

    def stop_delivery(self) -> None:
        """End a running delivery where it stands, or cancel an authorisation."""
        self._advance()
        if self._state == FUELLING:
            self._finish()
        if self._state in (AUTHORIZED, DONE):
            self._state = IDLE

    def fuel_temperature(self) -> float:
        """What the nozzle thermometer showed during the last delivery, °C."""
        return self.last_t_j_c

    # -- protocol ---------------------------------------------------------------------------------
    def handle(self, request: Frame) -> Frame:
        """The reply to one request addressed to this dispenser (a repeated request gets the stored
        reply again, without executing twice)."""
        key = (request.seq, request.command, request.fields)
        if self._last is not None and self._last[0] == key:
            self.stats.duplicates += 1
            return self._last[1]
        reply = self._execute(request)
        self._last = (key, reply)
        return reply

    def _execute(self, req: Frame) -> Frame:
        def ok(*fields: str) -> Frame:
            return Frame(self.address, req.seq, req.command, (STATUS_OK, *fields))

        def refused(reason: str, status: str = STATUS_REFUSED) -> Frame:
            return Frame(self.address, req.seq, req.command, (status, reason))

        self._advance()
        f = req.fields
        try:
            if req.command == "ID":
                return ok(*(text_field(x) for x in self.identity), str(self.nozzles), text_field(PROTOCOL))
            if req.command == "PR":
                return ok(number_field(self.price, 2))
            if req.command == "AU":
                reason = self.authorize(int(f[0]), float(f[1]), float(f[2]))
                return refused(reason) if reason else ok()
            if req.command == "ST":
                volume, amount = self._display()
                d = self._delivery
                flow = d.flow_l_min if d is not None and self._state == FUELLING else 0.0
                nozzle = d.nozzle if d is not None else 0
                return ok(self._state, str(nozzle), number_field(volume, 2), number_field(amount, 2),
                          number_field(flow, 1))
            if req.command == "TX":
                if not self._transactions:
                    return refused("NO_TRANSACTION")
                t = self._transactions[-1]
                return ok(str(t.number), str(t.nozzle), number_field(t.volume_l, 2), number_field(t.amount_yuan, 2),
                          number_field(t.price, 2), number_field(t.duration_s, 1))
            if req.command == "TT":
                if not 1 <= int(f[0]) <= self.nozzles:
                    return refused("NOZZLE")
                return ok(number_field(self._totalizer_l, 2), number_field(self._totalizer_yuan, 2))
            if req.command == "PC":
                return ok(str(self._pulses()), number_field(self.pulses_per_l, 1))
            if req.command == "SP":
                self.stop_delivery()
                return ok()
        except (IndexError, ValueError):
            return refused("BAD_ARGUMENTS", STATUS_ERROR)
        return refused("UNKNOWN_COMMAND", STATUS_ERROR)

    # -- the serial line --------------------------------------------------------------------------
    def _on_bytes(self, data: bytes) -> None:
        """Answer every frame received for this address; a garbled frame is not answered."""
        for item in self._reader.feed(data):
            if isinstance(item, FrameError):
                self.stats.bad_frames += 1  # a garbled request is not answered, as on a real line
                continue
            if item.address != self.address:
                self.stats.ignored += 1
                continue
            self.stats.requests += 1
            if self.faults.silent:
                continue
            self._send(encode(self.handle(item)))

    def _garble(self, raw: bytes) -> bytes:
        """The frame with a wrong checksum."""
        return raw[:-2] + bytes([ord("0") if raw[-2] != ord("0") else ord("1")]) + raw[-1:]


# ---------------------------------------------------------------------- command line
def _parse_args(argv: Sequence[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m hardware_sim fuel-dispenser",
                                description="Simulated fuel dispenser (JD-DSP/1 over serial) with a standard metal can.")
    p.add_argument("--port", help="serve on this serial device (default: create a virtual cable and print its end)")
    p.add_argument("--error", type=float, default=0.12, help="the meter's true error, percent")
    p.add_argument("--noise", type=float, default=0.02, help="run-to-run noise of the error, percent (1 sigma)")
    p.add_argument("--price", type=float, default=7.89, help="unit price, yuan/L")
    p.add_argument("--speed", type=float, default=20.0, help="simulation seconds per wall second")
    p.add_argument("--flow-factor", type=float, default=1.0,
                   help="fraction of the asked flow the pump reaches (a clogged filter: 0.8)")
    p.add_argument("--no-flow", action="store_true", help="the pump has no power: authorised deliveries never start")
    p.add_argument("--stuck-display", action="store_true", help="the display freezes while the meter counts")
    p.add_argument("--address", type=int, default=1)
    p.add_argument("--seed", type=int, default=443)
    add_fault_option(p)
    return p.parse_args(list(argv))


async def _run(args: argparse.Namespace) -> None:
    twin = FuelDispenserTwin(can=StandardCanTwin(), error_pct=args.error, noise_pct=args.noise,
                             price_yuan_per_l=args.price, speed=args.speed, address=args.address, seed=args.seed,
                             flow_factor=args.flow_factor,
                             faults=DispenserFaults(no_flow=args.no_flow, stuck_display=args.stuck_display))
    async with TwinConsole(twin) as console:
        console.start_faults(twin, args.fault)  # checked before anything is served
        path = args.port or (await console.open_pty()).path_a
        await twin.serve(path)
        link = console.link
        where = f"open {link.path_b} in the driver" if link else f"serving on {path}"
        print(f"fuel-dispenser twin ({PROTOCOL}, address {args.address:02X}), true error {args.error:+g} %: {where}. "
              "Ctrl-C to stop.", flush=True)
        await console.wait()


def main(argv: list[str] | None = None) -> int:
    """Run the twin until Ctrl-C/SIGTERM; accepts argv with or without a leading ``fuel-dispenser``."""
    return run_twin_main("fuel-dispenser", argv, _parse_args, _run)


if __name__ == "__main__":
    raise SystemExit(main())
