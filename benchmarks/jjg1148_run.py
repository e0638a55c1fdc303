"""A complete JJG 1148 run on instant twins: wall time per step and in total.

    python -m benchmarks.jjg1148_run [--speed 100000] [--runs 1]

"Instant" means the simulated physics runs at a very high speed, so gate times vanish and what is
left is the workstation's own overhead: Modbus and OCPP round trips, store commits, events.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

from bench.cli import DEMO_STANDARDS, demo_entries
from bench.controller import Controller, RunRequest
from bench.operators import AutoOperator
from bench.station import example_station_path, load_station
from bench.store import Store
from procedures.engine import Event, StepFinished, StepStarted


def run_once(speed: float, workdir: Path) -> tuple[dict[str, float], float, str]:
    """One run; returns seconds per step, total seconds and the conclusion."""
    store = Store(workdir / "bench.db")
    if store.standard("JDSIM-REF-0001") is None:
        store.add_standard(**DEMO_STANDARDS["JDSIM-REF-0001"], calibrated_on=date.today() - timedelta(days=1),
                           valid_until=date.today() + timedelta(days=300))
    ctl = Controller(store, workdir / "out")
    starts: dict[str, float] = {}
    per_step: dict[str, float] = {}

    def sink(ev: Event) -> None:
        if isinstance(ev, StepStarted):
            starts[ev.step_key] = time.perf_counter()
        elif isinstance(ev, StepFinished):
            per_step[ev.step_key] = time.perf_counter() - starts[ev.step_key]

    ctl.bus.add_sink(sink)
    station = load_station(example_station_path())
    station.raw.setdefault("procedure", {}).setdefault("items", {}).setdefault("working_error", {})["settle_s"] = 0.0
    run_id = ctl.prepare(RunRequest(station=station, sim_overrides={"speed": speed}))
    t0 = time.perf_counter()
    summary = asyncio.run(ctl.execute(run_id, AutoOperator(demo_entries(ctl))))
    total = time.perf_counter() - t0
    return per_step, total, summary.record.conclusion if summary.record else summary.status


def main(argv: list[str] | None = None) -> int:
    """Print per-step wall times (mean over runs) and the total."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--speed", type=float, default=100_000.0)
    ap.add_argument("--runs", type=int, default=2)
    args = ap.parse_args(argv)
    sums: dict[str, list[float]] = defaultdict(list)
    totals = []
    with tempfile.TemporaryDirectory() as d:
        for _ in range(args.runs):
            per_step, total, conclusion = run_once(args.speed, Path(d))
            for k, v in per_step.items():
                sums[k].append(v)
            totals.append(total)
    print(f"JJG 1148 run on instant twins (speed ×{args.speed:g}), {args.runs} run(s), conclusion {conclusion}")
    print(f"{'step':<22}{'wall s (mean)':>14}")
    for k, vs in sums.items():
        print(f"{k:<22}{sum(vs) / len(vs):>14.3f}")
    print(f"{'total (incl. set-up)':<22}{sum(totals) / len(totals):>14.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
