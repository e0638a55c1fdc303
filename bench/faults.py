"""Fault injection for the crash tests: the run lifecycle and issuing call :func:`boundary` at every
event boundary (after each step, after the measurement, after the record is frozen, after each
document drafted, after each bench position, before and after a PDF is written, before and after a
certificate is marked issued …). Two environment variables, never set outside tests:

* ``JIANDING_BOUNDARIES=FILE`` — append ``N<TAB>name`` of each boundary passed to FILE (flushed and
  synced before going on), so a test learns the boundaries of an uninterrupted run;
* ``JIANDING_KILL_AT=N`` — the process SIGKILLs itself at the N-th boundary it passes (after
  logging it), as a power cut or ``kill -9`` would: no ``finally``, no rollback handler, no flush;
* ``JIANDING_KILL_ONCE=FILE`` — the process SIGKILLs itself at the first boundary whose name is not
  yet a line of FILE, after adding it: run and resume again and again, each process dies at the
  next boundary never killed at before (boundaries inside a transaction that the kill rolled back
  are passed again, without dying, by the resume), so a chain of processes kills once at every
  boundary of a run and resumes after each.

Unset, :func:`boundary` returns at once and does nothing.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

_passed = 0


def boundary(name: str) -> None:
    """Mark an event boundary named ``name``: logged and/or killed at when the tests ask for it."""
    global _passed
    log, kill, once = (os.environ.get(k) for k in ("JIANDING_BOUNDARIES", "JIANDING_KILL_AT", "JIANDING_KILL_ONCE"))
    if not (log or kill or once):
        return
    _passed += 1
    if log:
        _append(log, f"{_passed}\t{name}")
    if once:
        killed = Path(once).read_text("utf-8").splitlines() if Path(once).exists() else []
        if name not in killed:
            _append(once, name)
            _die()
    if kill and int(kill) == _passed:
        _die()


def _append(path: str, line: str) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write(line + "\n")
        f.flush()
        os.fsync(f.fileno())


def _die() -> None:
    os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))
