"""Error computation for a multi-position bench: 96 positions × 20 test points per update,
vectorised (procedures.metrology.bench) against a per-position Python loop over the scalar path.

    python -m benchmarks.bench_positions [--updates 20]

Both paths compute pulse-comparison errors, round them half-even to the class interval and decide
pass/fail (JJF 1094); the benchmark first checks that they agree on every position.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from procedures.metrology import decide, format_rounded, pulse_comparison_error
from procedures.metrology.bench import judge_positions, pulse_errors

POSITIONS, POINTS = 96, 20
C0, CL, N = 1_000_000.0, 1600.0, 16
INTERVAL, MPE = "0.1", "1.0"


def update_counts(rng: np.random.Generator) -> np.ndarray:
    """Standard pulses m for every position and point (true errors ±1.2 %, a few faulty positions)."""
    true = rng.uniform(-1.2, 1.2, (POSITIONS, POINTS))
    m = np.round(C0 * N / CL / (1 + true / 100.0))
    m[rng.integers(0, POSITIONS, 2), :] = 0  # two positions without pulses
    return m


def vectorised(m: np.ndarray) -> np.ndarray:
    """All positions and points at once."""
    errors = pulse_errors(m, N, C0, CL).reshape(-1, 1)
    return judge_positions(errors, INTERVAL, MPE, printed=False).verdict


def loop(m: np.ndarray) -> np.ndarray:
    """One position and point at a time through the scalar (Decimal) path."""
    out = np.empty(m.size, dtype="<U12")
    for i, count in enumerate(m.ravel()):
        if count <= 0:
            out[i] = "n/a"
            continue
        gamma = pulse_comparison_error(float(count), N, C0, CL)
        out[i] = decide(format_rounded(gamma, INTERVAL), MPE).verdict.value
    return out


def main(argv: list[str] | None = None) -> int:
    """Print per-update times of both paths and their ratio."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--updates", type=int, default=20)
    args = ap.parse_args(argv)
    rng = np.random.default_rng(162)
    batches = [update_counts(rng) for _ in range(args.updates)]
    for m in batches[:3]:
        assert (vectorised(m) == loop(m)).all(), "vectorised and scalar paths disagree"
    t0 = time.perf_counter()
    for m in batches:
        vectorised(m)
    t_vec = (time.perf_counter() - t0) / len(batches)
    t0 = time.perf_counter()
    for m in batches:
        loop(m)
    t_loop = (time.perf_counter() - t0) / len(batches)
    print(f"bench update: {POSITIONS} positions × {POINTS} points = {POSITIONS * POINTS} errors, {args.updates} updates")
    print(f"  vectorised (numpy, exact ties) : {t_vec * 1000:8.2f} ms per update")
    print(f"  per-position Python loop       : {t_loop * 1000:8.2f} ms per update")
    print(f"  loop / vectorised              : {t_loop / t_vec:8.1f} ×")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
