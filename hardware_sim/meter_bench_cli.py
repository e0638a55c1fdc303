"""``python -m hardware_sim meter-bench …`` — the energy-meter bench twin alone
(:class:`~hardware_sim.meter_bench.MeterBenchTwin` on Modbus TCP and/or RTU), optionally with its
meters answering DL/T 645 on their own line (:class:`~hardware_sim.dlt645_meters.Dlt645Line`),
and the faults of both::

    python -m hardware_sim meter-bench --tcp 127.0.0.1:5030 --positions 24 [--rtu pty] [--speed 50]
        [--constant 1600] [--errors 0.1,-0.2,…] [--stuck 7] [--dead 12] [--dropout 5:0.1]
        [--dlt645 pty|DEVICE] [--register-error 9:1.0] [--silent-meters 3] [--error-replies 4:2]
        [--no-current] [--phases 3] [--element-errors 2:2.8/-1.2/-1.0]
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from hardware_sim.dlt645_meters import Dlt645Line, MeterPortFaults
from hardware_sim.meter_bench import BenchFaults, MeterBenchTwin
from hardware_sim.ref_meter import PtyLink
from hardware_sim.wire import TwinConsole, add_fault_option, run_twin_main


def _numbers(text: str | None) -> set[int]:
    return {int(x) for x in text.split(",") if x.strip()} if text else set()


def _floats(text: str) -> list[float] | float:
    values = [float(x) for x in text.split(",") if x.strip()]
    return values[0] if len(values) == 1 else values


def _per_position(text: str | None, value: type = float) -> dict[int, object]:
    """``"5:0.1,9:0.02"`` → {5: 0.1, 9: 0.02}; with ``value=str`` the text after the colon as is."""
    out: dict[int, object] = {}
    for item in (text or "").split(","):
        if item.strip():
            pos, _, v = item.partition(":")
            out[int(pos)] = value(v)
    return out


def _parse_args(argv: Sequence[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m hardware_sim meter-bench",
        description="Simulated multi-position energy-meter bench (JJG 596) on Modbus TCP and RTU, its meters "
                    "on DL/T 645-2007.",
    )
    p.add_argument("--tcp", metavar="HOST:PORT", help="serve Modbus TCP (default 127.0.0.1:5030 "
                   "unless only --rtu is given; port 0 picks a free port)")
    p.add_argument("--rtu", metavar="DEVICE", help="serve Modbus RTU on a serial device, or 'pty' to "
                   "create a virtual null-modem cable and print the port to open")
    p.add_argument("--baudrate", type=int, default=9600)
    p.add_argument("--device-id", type=int, default=1)
    p.add_argument("--positions", type=int, default=24)
    p.add_argument("--speed", type=float, default=50.0, help="simulation seconds per wall second")
    p.add_argument("--voltage", type=float, default=220.0, help="initial voltage setpoint Un, V")
    p.add_argument("--constant", default="1600", help="meter constant(s), imp/kWh: one, or one per position")
    p.add_argument("--errors", default=None, help="true errors, percent: one, or one per position "
                   "(default: drawn from --seed within ±0.4 %%)")
    p.add_argument("--noise", type=float, default=0.01, help="gate-to-gate noise of each meter, percent")
    p.add_argument("--std-constant", type=float, default=1_000_000.0, help="standard's constant C0, imp/kWh")
    p.add_argument("--seed", type=int, default=596)
    p.add_argument("--stuck", default=None, help="positions that never count, e.g. 7,12")
    p.add_argument("--dead", default=None, help="positions whose error calculator does not answer")
    p.add_argument("--dropout", default=None, help="position:fraction of pulses lost, e.g. 5:0.1,9:0.02")
    p.add_argument("--no-current", action="store_true", help="the source settles but delivers no current")
    p.add_argument("--phases", type=int, default=1, choices=(1, 2, 3),
                   help="measuring elements of the meters (3: three-phase four-wire, 2: three-wire)")
    p.add_argument("--element-errors", default=None,
                   help="position:e_A/e_B/e_C, each element's error in percent, e.g. 2:2.8/-1.2/-1.0")
    p.add_argument("--dlt645", metavar="DEVICE", help="the meters' RS-485 line (DL/T 645-2007) on a serial "
                   "device, or 'pty' for a virtual cable whose free end is printed; addresses 000000000001 …")
    p.add_argument("--register-error", default=None,
                   help="position:percent its register advances beyond its pulses, e.g. 9:1.0")
    p.add_argument("--silent-meters", default=None, help="positions whose meter never answers on the line")
    p.add_argument("--error-replies", default=None, help="position:error byte its meter answers with, e.g. 4:2")
    add_fault_option(p)
    return p.parse_args(list(argv))


async def _run(args: argparse.Namespace) -> None:
    faults = BenchFaults(stuck=_numbers(args.stuck), dead_positions=_numbers(args.dead),
                         pulse_dropouts=_per_position(args.dropout),  # type: ignore[arg-type]
                         source_no_current=args.no_current,
                         register_error_pct=_per_position(args.register_error))  # type: ignore[arg-type]
    elements = {p: [float(x) for x in str(v).split("/")] for p, v in _per_position(args.element_errors, str).items()}
    twin = MeterBenchTwin(args.positions, seed=args.seed, speed=args.speed, voltage_v=args.voltage,
                          constants=_floats(args.constant),
                          true_errors_pct=_floats(args.errors) if args.errors else None,
                          noise_pct=args.noise, std_constant=args.std_constant, faults=faults,
                          device_id=args.device_id, phases=args.phases, element_errors_pct=elements)
    line: Dlt645Line | None = None
    cable: PtyLink | None = None
    async with TwinConsole(twin) as console:
        console.start_faults(twin, args.fault)  # checked before anything is served
        try:
            m = twin.register_map
            print(f"meter-bench twin: {m.title} (map {m.name}), device {args.device_id}, {args.positions} positions, "
                  f"{args.phases} phase(s), speed ×{args.speed:g}, standard C0 {args.std_constant:g} imp/kWh", flush=True)
            for pos in twin.bench:
                notes = [n for n, on in (("stuck", pos.number in faults.stuck),
                                         ("dead", pos.number in faults.dead_positions),
                                         (f"dropout {faults.pulse_dropouts.get(pos.number, 0):g}",
                                          pos.number in faults.pulse_dropouts),
                                         (f"register {faults.register_error_pct.get(pos.number, 0):+g} %",
                                          pos.number in faults.register_error_pct),
                                         (f"elements {elements.get(pos.number)}", pos.number in elements)) if on]
                print(f"  表位 {pos.number:2d}: true error {pos.element.error_pct:+.3f} %, "
                      f"{pos.element.constant_imp_per_kwh:g} imp/kWh, register {pos.register.shown_kwh()} kWh"
                      f"{'  [' + ', '.join(notes) + ']' if notes else ''}", flush=True)
            await twin.serve_from_args(args, console, "127.0.0.1:5030")
            if args.dlt645:
                path = args.dlt645
                if path == "pty":
                    cable = await PtyLink().open()
                    path = cable.path_a
                line = Dlt645Line(twin, {p: f"{p:012d}" for p in range(1, args.positions + 1)},
                                  faults=MeterPortFaults(silent_meters=_numbers(args.silent_meters),
                                                         error_replies=_per_position(args.error_replies, int)))  # type: ignore[arg-type]
                await line.serve(path)
                print(f"meters answering DL/T 645-2007 on {path}"
                      f"{f' — open {cable.path_b} in the driver' if cable else ''}", flush=True)
            print("Ctrl-C to stop.", flush=True)
            await console.wait()
        finally:
            if line is not None:
                await line.stop()
            if cable is not None:
                cable.close()


def main(argv: list[str] | None = None) -> int:
    """Run the twin until Ctrl-C/SIGTERM; accepts argv with or without a leading ``meter-bench``."""
    return run_twin_main("meter-bench", argv, _parse_args, _run, errors=(OSError, ValueError))


if __name__ == "__main__":
    raise SystemExit(main())
