"""Twin of a weighing scale under a flow bench's collecting tank, answering the MT-SICS-like protocol
of docs/scale-protocol.md on a serial device (a :class:`~hardware_sim.ref_meter.PtyLink` end).

It weighs the tank of the shared :class:`~hardware_sim.flow_physics.FlowRig`, into which the
flow-bench twin pours each test's water: the indication is the water's true mass seen through air
buoyancy (:func:`~hardware_sim.flow_physics.scale_indication`, a scale adjusted with 8000 kg/m³
weights), rounded to the scale interval, minus the tare. It is unstable while water arrives and for
``settle_s`` (wall) seconds after. ``T`` empties the tank first when it is more than half full (the
technician opens the drain before the next test).

Faults (:class:`ScaleFaults`, mutable while serving), besides the line faults of
:class:`~hardware_sim.wire.WireFaults` (``silent`` = dropped line, ``garbage_replies``,
``latency_s``): ``drift_kg_min`` (the indication drifts by that much per simulated minute since the
fault was set), ``unstable_s`` (unstable for that many wall seconds from when it was set).

Standalone: ``python -m hardware_sim scale [--port /dev/pts/N]`` (default: a virtual cable; the
end to open is printed) ``[--capacity 60] [--interval 0.001] [--drift 0.01]``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from hardware_sim.flow_physics import FlowRig, scale_indication
from hardware_sim.wire import (
    SerialLineServer,
    TwinConsole,
    WireFaults,
    WireStats,
    add_fault_option,
    run_twin_main,
)


@dataclass
class ScaleFaults(WireFaults):
    """Faults the scale twin injects; set ``drift_kg_min``/``unstable_s`` through
    :meth:`ScaleTwin.set_drift` / :meth:`ScaleTwin.set_unstable` (they note when they start)."""

    drift_kg_min: float = 0.0
    unstable_s: float = 0.0
    stuck_kg: float | None = None  # the load cell's reading frozen here (a jammed scale reads stable)
    _drift_t0: float = field(default=0.0, repr=False)
    _unstable_from: float = field(default=0.0, repr=False)


@dataclass
class ScaleStats(WireStats):
    """What the twin did on the wire."""

    bad_requests: int = 0


class ScaleTwin(SerialLineServer):
    """Simulated scale (capacity, interval d) weighing ``rig.tank``; serve with :meth:`serve`."""

    faults: ScaleFaults
    stats: ScaleStats

    def __init__(self, rig: FlowRig | None = None, *, capacity_kg: float = 60.0, interval_kg: float = 0.001,
                 settle_s: float = 0.3, tank_kg: float = 8.0, model: str = "JD-SIM-SCALE",
                 faults: ScaleFaults | None = None) -> None:
        self.rig = rig if rig is not None else FlowRig()
        self.capacity_kg = capacity_kg
        self.interval_kg = interval_kg
        self.settle_s = settle_s
        self.tank_kg = tank_kg  # the empty tank itself (what the scale carries under no water)
        self.model = model
        self.faults = faults if faults is not None else ScaleFaults()
        self.stats = ScaleStats()
        self.tare_kg = 0.0
        self.zero_kg = 0.0
        SerialLineServer.__init__(self)
        self._inbuf = bytearray()

    # -- physics ----------------------------------------------------------------------------------
    def set_drift(self, kg_per_min: float) -> None:
        """Make the indication drift by ``kg_per_min`` per simulated minute from now (0 stops it)."""
        self.faults.drift_kg_min = kg_per_min
        self.faults._drift_t0 = self.rig.clock.t()

    def set_unstable(self, seconds: float) -> None:
        """Make the indication unstable for ``seconds`` (wall) from now."""
        self.faults.unstable_s = seconds
        self.faults._unstable_from = time.monotonic()

    def gross_kg(self) -> float:
        """What the load cell sees now (tank + water through buoyancy + drift), before rounding."""
        if self.faults.stuck_kg is not None:
            return self.faults.stuck_kg
        tank = self.rig.tank
        g = self.tank_kg + scale_indication(tank.mass_kg, tank.temperature_c, self.rig.air.density_kg_m3)
        if self.faults.drift_kg_min:
            g += self.faults.drift_kg_min * (self.rig.clock.t() - self.faults._drift_t0) / 60.0
        return g

    def stable(self) -> bool:
        """Whether the indication is stable now."""
        now = time.monotonic()
        if self.faults.stuck_kg is not None:
            return True
        if self.faults.unstable_s and now - self.faults._unstable_from < self.faults.unstable_s:
            return False
        return now - self.rig.tank.last_pour_wall >= self.settle_s

    def net_kg(self) -> float:
        """The net indication, rounded to the scale interval."""
        return round((self.gross_kg() - self.zero_kg - self.tare_kg) / self.interval_kg) * self.interval_kg

    def _fmt(self, kg: float) -> str:
        decimals = max(0, -int(f"{self.interval_kg:e}".split("e")[1]))
        return f"{kg:>10.{decimals}f} kg"

    def handle(self, line: str) -> str:
        """The reply line (without CR LF) to one command line."""
        cmd = line.strip()
        gross = self.gross_kg() - self.zero_kg
        over, under = gross > self.capacity_kg, gross < -self.interval_kg * 20
        if cmd in ("S", "SI", "T", "Z"):
            if over or under:
                return f"{'S' if cmd == 'SI' else cmd} {'+' if over else '-'}"  # SI answers as S
            stable = self.stable()
            if cmd == "S":
                return f"S S {self._fmt(self.net_kg())}" if stable else "S I"
            if cmd == "SI":
                return f"S {'S' if stable else 'D'} {self._fmt(self.net_kg())}"
            if not stable:
                return f"{cmd} I"
            if cmd == "T":
                if self.rig.tank.mass_kg > self.capacity_kg / 2:
                    self.rig.tank.drain()  # the drain was opened before the next test
                    self.rig.tank.last_pour_wall = 0.0
                self.tare_kg = round((self.gross_kg() - self.zero_kg) / self.interval_kg) * self.interval_kg
                return f"T S {self._fmt(self.tare_kg)}"
            self.zero_kg, self.tare_kg = self.gross_kg(), 0.0
            return "Z A"
        if cmd == "TA":
            return f"TA A {self._fmt(self.tare_kg)}"
        if cmd == "I2":
            return f'I2 A "{self.model}" "{self._fmt(self.capacity_kg).strip()}" "{self._fmt(self.interval_kg).strip()}"'
        if cmd == "M28":
            return f"M28 A 1 {self.rig.tank.temperature_c:.2f}"
        return "ES"

    # -- the serial line --------------------------------------------------------------------------
    def _on_bytes(self, data: bytes) -> None:
        """Answer every complete (newline-terminated) request line received; a garbled one gets ``ET``."""
        self._inbuf += data
        while b"\n" in self._inbuf:
            raw, _, rest = bytes(self._inbuf).partition(b"\n")
            self._inbuf = bytearray(rest)
            self.stats.requests += 1
            if self.faults.silent:
                continue
            try:
                line = raw.rstrip(b"\r").decode("ascii")
            except UnicodeDecodeError:
                self.stats.bad_requests += 1
                self._send(b"ET\r\n")
                continue
            self._send(self.handle(line).encode("ascii") + b"\r\n")
        if len(self._inbuf) > 256:  # no terminator in sight: a broken request
            self._inbuf.clear()
            self._send(b"ES\r\n")

    def _garble(self, raw: bytes) -> bytes:
        """Line noise that still ends a line."""
        return bytes(b ^ 0xA5 for b in raw[:-2]) + b"\r\n"


# ---------------------------------------------------------------------- command line
def _parse_args(argv: Sequence[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m hardware_sim scale",
                                description="Simulated weighing scale (MT-SICS-like, docs/scale-protocol.md) on a serial line.")
    p.add_argument("--port", help="serve on this serial device (default: create a virtual cable and print its end)")
    p.add_argument("--capacity", type=float, default=60.0, help="capacity, kg")
    p.add_argument("--interval", type=float, default=0.001, help="scale interval d, kg")
    p.add_argument("--drift", type=float, default=0.0, help="indication drift, kg per minute (fault)")
    add_fault_option(p)
    return p.parse_args(list(argv))


async def _run(args: argparse.Namespace) -> None:
    twin = ScaleTwin(capacity_kg=args.capacity, interval_kg=args.interval)
    if args.drift:
        twin.set_drift(args.drift)
    async with TwinConsole(twin) as console:
        console.start_faults(twin, args.fault)  # checked before anything is served
        path = args.port or (await console.open_pty()).path_a
        await twin.serve(path)
        link = console.link
        print(f"scale twin: {twin.model}, {args.capacity:g} kg, d = {args.interval:g} kg, on {path}"
              f"{f' — open {link.path_b} in the driver' if link else ''}. Ctrl-C to stop.", flush=True)
        await console.wait()


def main(argv: list[str] | None = None) -> int:
    """Run the twin until Ctrl-C/SIGTERM; accepts argv with or without a leading ``scale``."""
    return run_twin_main("scale", argv, _parse_args, _run, errors=(OSError, ValueError))


if __name__ == "__main__":
    raise SystemExit(main())
