"""Freeze real demo runs as the fixtures of the golden pages: ``python -m bench.golden_capture``.

Each kind's simulated demo (``jianding demo <kind>``, the ``make demo-*`` targets) is run once per
variant in a throw-away database — ``pass`` (the shipped demo), ``fail`` (``--fail``: the twin
faults of ``bench.cli.DEMO_FAIL``) and ``in_use`` (``--type in_use``, 使用中检查) — and the frozen
record it issued (for ``in_use`` after a passing run in the same database, so that the inspection
finds the instrument's certificate, as it would in service), with its raw readings and judged results, is written as JSON to
``tests/reports/golden/records/<kind>-<variant>.json``. The record is frozen with its dates, numbers
and institution, so :mod:`reports.golden` renders the same pages from it on every machine; nothing
the renderer reads is stripped or normalised.

On a bench (meter, water, gas) a run seats several instruments: the fixture is one position's —
``pass`` and ``in_use`` the first position, ``fail`` the first position whose conclusion is 不合格
— with that position's own readings and results and the bench-wide ones (what its original record
holds).

The capture lives in ``bench`` (not beside the renderer in ``reports``) because running a demo needs
the controller and the store, which ``reports`` may not import (import-linter layers). Re-capture only
when a demo's behaviour changes on purpose, then regenerate the goldens (``python -m reports.golden
--update``) and look at them.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import tempfile
from pathlib import Path
from typing import Any

from bench.cli import main as jianding
from bench.store import Store
from procedures.records import VerificationRecord
from procedures.regulations.reading_labels import position_of_reading
from reports.golden import FIXTURE_DIR, KINDS, VARIANTS

__all__ = ["capture", "capture_one", "main"]

_VARIANT_ARGS: dict[str, list[str]] = {"pass": [], "fail": ["--fail"], "in_use": ["--type", "in_use"]}
"""Demo command-line flags per fixture variant."""


def _pick(store: Store, variant: str) -> tuple[str, dict[str, Any], int | None]:
    """The run id, frozen record and bench position (None off a bench) the fixture is made of."""
    runs = [r for r in store.runs() if r.status == "finished"]  # newest first
    if not runs:
        raise RuntimeError(f"no finished demo run, found {[(r.id[:8], r.status) for r in store.runs()]}")
    run = runs[0]
    seats = [s for s in store.positions(run.id) if s.record_json]
    if not seats:
        return run.id, json.loads(run.record_json), None
    records = [(s.position, json.loads(s.record_json)) for s in seats]
    if variant == "fail":
        records = [(p, r) for p, r in records if not VerificationRecord.from_dict(r).passed] or records
    position, record = records[0]
    return run.id, record, position


def capture_one(kind: str, variant: str, directory: Path = FIXTURE_DIR) -> Path:
    """Run one demo in a temporary database and write its fixture; returns the file written."""
    with tempfile.TemporaryDirectory(prefix="jd-golden-capture-") as tmp:
        db = Path(tmp) / "demo.db"
        # the inspection finds the instrument as a verified one: the passing demo runs first, in the same database
        for run in (["pass"] if variant == "in_use" else []) + [variant]:
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                status = jianding(["--db", str(db), "demo", kind, "--out", str(Path(tmp) / "out"), *_VARIANT_ARGS[run]])
            if status != 0:
                raise RuntimeError(f"demo {kind} {run} ended with status {status}:\n{out.getvalue()[-2000:]}")
        store = Store(str(db))
        run_id, record, position = _pick(store, variant)
        readings = [{"step": r.step_key, "key": r.key, "quantity": r.quantity, "value": r.value, "unit": r.unit,
                     "source": r.source, "taken_at": r.taken_at.isoformat(), "extra": json.loads(r.extra_json or "{}")}
                    for r in store.readings(run_id)]
        results = [{"step": r.step_key, "name": r.name, "label": r.label, "unit": r.unit,
                    "values": json.loads(r.values_json), "mean": r.mean, "rounded": r.rounded, "position": r.position}
                   for r in store.results(run_id)]
        if position is not None:
            readings = [r for r in readings if position_of_reading(r) in (None, position)]
            results = [r for r in results if r["position"] in (None, position)]
        store.engine.dispose()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{kind}-{variant}.json"
    demo = f"jianding demo {kind} {' '.join(_VARIANT_ARGS[variant])}".strip()
    fixture = {"demo": f"jianding demo {kind}, then {demo}" if variant == "in_use" else demo, "position": position,
               "record": record, "readings": readings, "results": results}
    path.write_text(json.dumps(fixture, ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8")
    return path


def capture(kinds: list[str] | None = None, variants: list[str] | None = None,
            directory: Path = FIXTURE_DIR) -> list[Path]:
    """Capture every (kind, variant) fixture asked for (default all); returns the files written."""
    return [capture_one(k, v, directory) for k in kinds or list(KINDS) for v in variants or list(VARIANTS)]


def main(argv: list[str] | None = None) -> int:
    """CLI: run the demos and write their fixtures."""
    parser = argparse.ArgumentParser(prog="python -m bench.golden_capture", description=__doc__.splitlines()[0])
    parser.add_argument("--kind", action="append", choices=list(KINDS), help="demo kind (repeatable; default all)")
    parser.add_argument("--variant", action="append", choices=list(VARIANTS), help="variant (repeatable; default all)")
    parser.add_argument("--dir", type=Path, default=FIXTURE_DIR, help=f"fixture directory (default {FIXTURE_DIR})")
    args = parser.parse_args(argv)
    for path in capture(args.kind, args.variant, args.dir):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
