"""A complete JJG 596 run of a 24-meter bench on instant twins: wall time per step (per load point),
the procedure's total, and the whole run with one record and document per position.

    python -m benchmarks.meter_bench_run [--speed 20000] [--positions 24]

"Instant" means the simulated physics runs very fast (at ×20000 the ~1.5 simulated hours of a run
take a fraction of a second), so what is left is the workstation's own overhead: Modbus round trips
(8 positions per request), the vectorised judging, store commits of every reading, and freezing and
rendering 24 records. Much higher speeds make the twin's no-pulse watch (5 pulse periods at 0.05 Ib)
shorter than one of its update ticks, which would show up as position faults (counted below).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from bench.cli import DEMO_STANDARDS, demo_entries
from bench.controller import Controller, RunRequest
from bench.operators import AutoOperator
from bench.station import example_station_path, load_station
from bench.store import Store
from procedures.engine import Event, RunFinished, StepFinished, StepStarted

STANDARD = "JDSIM-EMB-0001"


def run_once(speed: float, positions: int, workdir: Path) -> tuple[dict[str, float], float, float, str, int]:
    """One run; returns seconds per step, the procedure's seconds, the whole run's seconds, the
    run's conclusion and how many position faults were reported."""
    store = Store(workdir / "bench.db")
    store.add_standard(**DEMO_STANDARDS[STANDARD], calibrated_on=date.today() - timedelta(days=1),
                       valid_until=date.today() + timedelta(days=300))
    ctl = Controller(store, workdir / "out")
    starts: dict[str, float] = {}
    per_step: dict[str, float] = {}
    marks: dict[str, float] = {}

    def sink(ev: Event) -> None:
        if isinstance(ev, StepStarted):
            starts[ev.step_key] = time.perf_counter()
            marks.setdefault("first", starts[ev.step_key])
        elif isinstance(ev, StepFinished):
            per_step[ev.step_key] = time.perf_counter() - starts[ev.step_key]
        elif isinstance(ev, RunFinished):
            marks["last"] = time.perf_counter()

    ctl.bus.add_sink(sink)
    station = load_station(example_station_path("meter"))
    station.raw["bench"]["positions"] = positions
    station.raw["devices"]["bench"]["positions"] = positions
    for dev in station.devices:
        dev.config["positions"] = positions
    run_id = ctl.prepare(RunRequest(station=station, regulation="jjg596", sim_overrides={"speed": speed}))
    t0 = time.perf_counter()
    summary = asyncio.run(ctl.execute(run_id, AutoOperator(demo_entries(ctl))))
    total = time.perf_counter() - t0
    faults = sum(len(o.data.get("position_faults", {})) for o in summary.outcome.outcomes.values()) \
        if summary.outcome else -1
    return per_step, marks.get("last", t0) - marks.get("first", t0), total, summary.message or summary.status, faults


def main(argv: list[str] | None = None) -> int:
    """Print per-step wall times, the time per basic-error load point and the totals."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--speed", type=float, default=20_000.0)
    ap.add_argument("--positions", type=int, default=24)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as d:
        per_step, procedure_s, total, conclusion, faults = run_once(args.speed, args.positions, Path(d))
    print(f"JJG 596 bench run, {args.positions} meters on instant twins (speed ×{args.speed:g}): {conclusion}; "
          f"position faults reported: {faults}")
    print(f"{'step':<22}{'wall s':>10}")
    for k, v in per_step.items():
        print(f"{k:<22}{v:>10.3f}")
    points = [v for k, v in per_step.items() if k.startswith("basic_error_")]
    if points:
        print(f"{'per load point (mean)':<22}{sum(points) / len(points):>10.3f}")
    print(f"{'procedure':<22}{procedure_s:>10.3f}")
    print(f"{'whole run':<22}{total:>10.3f}  (twins, procedure, freezing and {args.positions} documents)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
