"""Resume after a real crash: ``jianding demo`` is killed with SIGKILL in the middle of a
measurement; ``jianding resume`` finishes it from the last persisted step, the readings taken
before the kill are kept unchanged, nothing is measured twice, and the verdicts are those of an
uninterrupted run."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(120)
ROOT = Path(__file__).resolve().parents[2]


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "bench.cli", *args]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}


def _readings(db: Path) -> list[tuple]:
    con = sqlite3.connect(db)
    try:
        return con.execute("select id, step_key, key, value from rawreading order by id").fetchall()
    finally:
        con.close()


def _verdicts(db: Path) -> dict[str, str]:
    con = sqlite3.connect(db)
    try:
        return dict(con.execute("select step_key, verdict from steprecord").fetchall())
    finally:
        con.close()


def _wait_for_reading(db: Path, step: str, key: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        if db.exists():
            try:
                if any(s == step and k == key for _, s, k, _ in _readings(db)):
                    return
            except sqlite3.OperationalError:
                pass  # schema not there yet
        time.sleep(0.02)
    raise AssertionError(f"no reading {step}/{key} within {timeout} s")


def _station(tmp_path: Path) -> str:
    """The demo station with a short reconciliation session (the slow physics is for the kill)."""
    from bench.station import example_station_path

    text = example_station_path().read_text("utf-8") + "\n[procedure.reconciliation]\nenergy_kwh = 0.05\nstill_s = 0.1\n"
    path = tmp_path / "station.toml"
    path.write_text(text, "utf-8")
    return str(path)


def test_sigkill_mid_measurement_then_resume(tmp_path: Path) -> None:
    db, out, station = tmp_path / "k.db", tmp_path / "out", _station(tmp_path)
    proc = subprocess.Popen(_cli("--db", str(db), "demo", "--station", station, "--speed", "15", "--out", str(out)), cwd=tmp_path,
                            env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_for_reading(db, "working_error_2", "gate_1", proc)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    con = sqlite3.connect(db)
    status = con.execute("select status from run").fetchone()[0]
    con.close()
    assert status == "running"  # killed: nobody marked it
    before = _readings(db)
    assert {(s, k) for _, s, k, _ in before} >= {("working_error_1", "gate_1"), ("working_error_1", "gate_2"),
                                                  ("working_error_2", "gate_1")}

    res = subprocess.run(_cli("--db", str(db), "resume", "--auto-approve", "--out", str(out)), cwd=tmp_path, env=_env(),
                         capture_output=True, text=True, timeout=90)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "沿用已完成" in res.stdout and "检定证书" in res.stdout
    after = _readings(db)
    assert after[: len(before)] == before
    keys = [(s, k) for _, s, k, _ in after]
    assert len(keys) == len(set(keys))

    # The same verdicts as an uninterrupted run of the same station.
    db2 = tmp_path / "full.db"
    full = subprocess.run(_cli("--db", str(db2), "demo", "--station", station, "--speed", "400", "--out", str(tmp_path / "out2")), cwd=tmp_path,
                          env=_env(), capture_output=True, text=True, timeout=90)
    assert full.returncode == 0, full.stdout + full.stderr
    assert _verdicts(db) == _verdicts(db2)
    assert [p.name for p in out.glob("*.pdf")] == [f"JD-AC01-{time.strftime('%Y')}-00001.pdf"]
