"""Faults on demand, one way for every twin: a fault is a name (and maybe a value) applied to one
twin, starting at once, after N requests or after N seconds (or, from a station file, at a step),
and lasting a while or until cleared — from a station file's ``[[sim.faults]]`` (bench/sim_faults.py)
or a twin's command line (``--fault latency=0.9,after_requests=20,duration_s=5``).

The names every twin understands (where its link has such a thing):

* ``silent`` — no answer (the device hangs; requests are swallowed);
* ``disconnect`` — a cut cable: Modbus TCP closes the connection of every request, a serial line
  carries nothing either way, the OCPP post drops its WebSocket and does not come back, a CAN
  node goes quiet;
* ``garbage`` — replies broken on the line: ``value`` ``"noise"`` (default), ``"truncated"`` or
  ``"length"`` (:data:`hardware_sim.wire.GARBAGE_KINDS`); on CAN, frames that belong to nobody;
* ``crc`` — replies whose checksum is wrong (RTU, DL/T 645, the dispenser line; not OCPP or CAN,
  whose transports check their own);
* ``latency`` — every reply ``value`` seconds late (on CAN: every periodic frame while charging);
* ``stuck`` — the measured value freezes where it is (reference meter: every measurement; OCPP:
  the energy register in MeterValues and the transaction's meter start/stop; GB/T 27930: CCS;
  dispenser: its display; scale: its weight; benches: ``value`` = the positions that stick).

Besides these, every field of a twin's own fault object is a fault of that twin (its device
faults: ``dead_positions``, ``no_current``, ``unstable_s``, ``send_cem`` …), set to ``value``
(``true`` when no value is given) while the fault lasts and restored after.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hardware_sim.wire import GARBAGE_KINDS

UNIFORM = ("silent", "disconnect", "garbage", "crc", "latency", "stuck")
"""The faults every twin understands where its link has such a thing (see the module docstring)."""

ALWAYS = 10**9
"""Replies garbled while a ``garbage``/``crc`` fault lasts when no ``count`` limits it."""

_CLASSES = {"RefMeterTwin": "ref_meter", "AcPostTwin": "ac_post", "DcChargerTwin": "dc_charger",
            "FuelDispenserTwin": "dispenser", "ScaleTwin": "scale", "MeterBenchTwin": "meter_bench",
            "FlowBenchTwin": "flow_bench", "Dlt645Line": "dlt645"}

_BACKGROUND: set[asyncio.Future[Any]] = set()  # tasks started by a fault, kept until done

_NO_UNIFORM = {"ac_post": {"crc"}, "dc_charger": {"crc"}, "scale": {"crc"}, "dlt645": {"stuck"}}
"""Uniform faults a twin's link has no such thing for (OCPP and CAN check their own frames, a
scale's line has no checksum; a meter's RS-485 line carries registers, not one measured value)."""


def _fault_type(kind: str) -> type:
    """The fault object class of a twin kind (imported when asked: the twins pull in their libraries)."""
    if kind == "ref_meter":
        from hardware_sim.ref_meter import RefMeterFaults as cls
    elif kind == "ac_post":
        from hardware_sim.ac_post import AcPostFaults as cls  # type: ignore[assignment]
    elif kind == "dc_charger":
        from hardware_sim.dc_charger import DcChargerFaults as cls  # type: ignore[assignment]
    elif kind == "dispenser":
        from hardware_sim.fuel_dispenser import DispenserFaults as cls  # type: ignore[assignment]
    elif kind == "scale":
        from hardware_sim.scale import ScaleFaults as cls  # type: ignore[assignment]
    elif kind == "meter_bench":
        from hardware_sim.meter_bench import BenchFaults as cls  # type: ignore[assignment]
    elif kind == "flow_bench":
        from hardware_sim.flow_bench import FlowBenchFaults as cls  # type: ignore[assignment]
    elif kind == "dlt645":
        from hardware_sim.dlt645_meters import MeterPortFaults as cls  # type: ignore[assignment]
    else:
        raise ValueError(f"no twin kind {kind!r}")
    return cls


def _fields(kind: str) -> dict[str, Any]:
    """The public fields of a twin kind's fault object and their defaults."""
    default = _fault_type(kind)()
    return {f.name: getattr(default, f.name) for f in dataclasses.fields(default) if not f.name.startswith("_")}


def fault_names(kind: str) -> list[str]:
    """Every fault a twin of ``kind`` can make: the uniform ones its link has, then its own."""
    uniform = [n for n in UNIFORM if n not in _NO_UNIFORM.get(kind, set())]
    return uniform + [n for n in _fields(kind) if n not in uniform]


def twin_kind(twin: object) -> str:
    """The kind of a twin instance (``ref_meter``, ``ac_post`` …), from its class."""
    for cls in type(twin).__mro__:
        if cls.__name__ in _CLASSES:
            return _CLASSES[cls.__name__]
    raise ValueError(f"{type(twin).__name__} makes no faults on demand")


def _coerce(default: Any, value: Any, name: str) -> Any:
    """``value`` as the type of the field whose default is ``default`` (``None``: ``true``)."""
    if isinstance(default, bool):
        if value is None:
            return True
        if not isinstance(value, bool):
            raise ValueError(f"{name}: value must be true or false")
        return value
    if value is None:
        raise ValueError(f"{name}: needs a value")
    if isinstance(value, bool):
        raise ValueError(f"{name}: value must not be true/false")
    if isinstance(default, int):
        return int(value)
    if isinstance(default, float):
        return float(value)
    if isinstance(default, set):
        return {int(x) for x in (value if isinstance(value, list | tuple | set) else [value])}
    if isinstance(default, dict):
        return {int(k): float(v) for k, v in dict(value).items()}
    return value


def check_fault(kind: str, fault: str, value: Any = None) -> None:
    """Raise ``ValueError`` saying why, unless a twin of ``kind`` can make ``fault`` with ``value``."""
    names = fault_names(kind)
    if fault not in names:
        raise ValueError(f"fault {fault!r} unknown for this device (one of {', '.join(names)})")
    if fault in ("latency",):
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise ValueError("latency: value must be the delay in seconds (a positive number)")
    elif fault == "garbage":
        if value is not None and value not in GARBAGE_KINDS[1:]:
            raise ValueError(f"garbage: value must be one of {', '.join(GARBAGE_KINDS[1:])}")
    elif fault == "stuck" and kind in ("meter_bench", "flow_bench"):
        _coerce(set(), value, "stuck")  # the positions that stick
    elif fault in UNIFORM:
        if value not in (None, True):
            raise ValueError(f"{fault}: takes no value")
    else:
        _coerce(_fields(kind)[fault], value, fault)


def apply_fault(twin: Any, fault: str, value: Any = None, count: int | None = None) -> Callable[[], None]:
    """Make ``twin`` show ``fault`` now (on the twin's loop); returns what clears it again.
    ``count`` limits ``garbage``/``crc`` to that many replies."""
    kind = twin_kind(twin)
    check_fault(kind, fault, value)
    f, fields = twin.faults, _fields(kind)
    if fault in fields:  # silent, a bench's stuck positions, and every twin's own faults
        return _set_field(twin, fault, _coerce(fields[fault], value, fault))
    if fault == "latency":
        name = {"ac_post": "response_delay_s", "dc_charger": "frame_delay_s"}.get(kind, "latency_s")
        return _set_field(twin, name, float(value))
    if fault in ("garbage", "crc"):
        if kind == "dc_charger":
            return _set_field(twin, "garbage_frames", True)
        counter = "garbled_replies" if kind == "ac_post" else "garbage_replies"
        clear_kind = _set_field(twin, "garbage_kind", "crc" if fault == "crc" else str(value or "noise"))
        setattr(f, counter, ALWAYS if count is None else int(count))

        def clear() -> None:
            setattr(f, counter, 0)
            clear_kind()

        return clear
    if fault == "disconnect":
        return _disconnect(twin, kind)
    return _stick(twin, kind)


def _set_field(twin: Any, name: str, value: Any) -> Callable[[], None]:
    """Set one field of the twin's fault object (the scale's drift and instability through its
    setters, which note when they start); the returned function restores it."""
    f = twin.faults
    before = getattr(f, name)
    setters = {"drift_kg_min": "set_drift", "unstable_s": "set_unstable"} if twin_kind(twin) == "scale" else {}
    if name in setters:
        getattr(twin, setters[name])(value)
        return lambda: getattr(twin, setters[name])(before)
    setattr(f, name, value)
    return lambda: setattr(f, name, before)


def _disconnect(twin: Any, kind: str) -> Callable[[], None]:
    """Cut the twin's cable (see the module docstring); the returned function mends it."""
    if kind == "ac_post":
        before = twin.faults.reconnect
        twin.faults.reconnect = False
        twin.drop_connection()

        def mend() -> None:
            twin.faults.reconnect = before
            twin.reconnect_now()

        return mend
    if kind == "dc_charger":
        return _set_field(twin, "silent", True)
    clear = _set_field(twin, "disconnected", True)
    if hasattr(twin, "drop_connections"):  # Modbus TCP: the open connections go at once
        task = asyncio.ensure_future(twin.drop_connections())
        _BACKGROUND.add(task)
        task.add_done_callback(_BACKGROUND.discard)
    return clear


def _stick(twin: Any, kind: str) -> Callable[[], None]:
    """Freeze the twin's measured value where it stands; the returned function frees it."""
    if kind == "ref_meter":
        twin.freeze(True)
        return lambda: twin.freeze(False)
    if kind == "ac_post":
        return _set_field(twin, "stuck_meter_wh", twin.meter_register_wh())
    if kind == "dc_charger":
        return _set_field(twin, "stuck_ccs", twin.ccs_fields())
    if kind == "dispenser":
        return _set_field(twin, "stuck_display", True)
    if kind == "scale":
        return _set_field(twin, "stuck_kg", twin.gross_kg())
    raise ValueError(f"stuck: no stuck value on a {kind} twin")


def requests_seen(twin: Any) -> int:
    """How many requests the twin has had (CALLs for the OCPP post, frames from the BMS on CAN):
    what ``after_requests`` counts."""
    stats = getattr(twin, "stats", None)
    if stats is not None:
        return int(stats.requests)
    return int(getattr(twin, "calls_received", getattr(twin, "frames_received", 0)))


@dataclass
class FaultPlan:
    """One fault of one twin and when: ``after_requests`` requests and/or ``after_s`` seconds after
    it is armed (at once, or at a step when ``at_step`` — the bench arms it), for ``duration_s``
    (``None``: until :meth:`FaultScheduler.end` or the end of the run); ``count`` limits
    ``garbage``/``crc`` to that many replies."""

    fault: str
    value: Any = None
    after_requests: int | None = None
    after_s: float | None = None
    duration_s: float | None = None
    count: int | None = None
    at_step: str | None = None
    until_step: str | None = None
    label: str = ""


@dataclass
class _Scheduled:
    twin: Any
    plan: FaultPlan
    state: str = "waiting"  # waiting (for its step) → armed → active → over
    t0: float = 0.0
    r0: int = 0
    t_on: float = 0.0
    clear: Callable[[], None] | None = None


class FaultScheduler:
    """Applies fault plans to twins on the twins' own loop, polling every few milliseconds: a
    plan is armed at once (or by :meth:`step_started` at its step), starts when its request count
    and seconds are reached, ends after its duration or at its ``until_step``. Every change is
    printed to ``log`` (a twin's console) when given."""

    def __init__(self, log: Callable[[str], None] | None = None) -> None:
        self.scheduled: list[_Scheduled] = []
        self.log = log
        self._task: asyncio.Task[None] | None = None

    def add(self, twin: Any, plan: FaultPlan) -> None:
        """Schedule ``plan`` on ``twin`` (checked now: a wrong fault is refused before anything runs)."""
        check_fault(twin_kind(twin), plan.fault, plan.value)
        entry = _Scheduled(twin, plan)
        self.scheduled.append(entry)
        if plan.at_step is None:
            self._arm(entry)

    def _arm(self, entry: _Scheduled) -> None:
        entry.state, entry.t0, entry.r0 = "armed", time.monotonic(), requests_seen(entry.twin)

    def _end(self, entry: _Scheduled) -> None:
        if entry.state == "active" and entry.clear is not None:
            entry.clear()
            self._say(f"fault over: {entry.plan.label or entry.plan.fault}")
        entry.state = "over"

    def step_started(self, step_key: str) -> None:
        """A step began (call on the twins' loop): arm the plans starting at it, end those lasting
        until it."""
        for entry in self.scheduled:
            if entry.plan.until_step == step_key and entry.state in ("armed", "active"):
                self._end(entry)
            if entry.plan.at_step == step_key and entry.state == "waiting":
                self._arm(entry)
        self.poll()

    def poll(self) -> None:
        """Start and end what is due now."""
        now = time.monotonic()
        for entry in self.scheduled:
            p = entry.plan
            if entry.state == "armed" and requests_seen(entry.twin) - entry.r0 >= (p.after_requests or 0) \
                    and now - entry.t0 >= (p.after_s or 0.0):
                entry.clear = apply_fault(entry.twin, p.fault, p.value, p.count)
                entry.state, entry.t_on = "active", now
                self._say(f"fault on: {p.label or p.fault}" + (f" = {p.value}" if p.value is not None else ""))
            if entry.state == "active" and p.duration_s is not None and now - entry.t_on >= p.duration_s:
                self._end(entry)

    def _say(self, text: str) -> None:
        if self.log is not None:
            self.log(text)

    def start(self) -> FaultScheduler:
        """Start polling on the running loop (nothing to do without plans)."""
        if self.scheduled and self._task is None:
            self.poll()
            self._task = asyncio.ensure_future(self._run())
        return self

    async def _run(self) -> None:
        while any(e.state != "over" for e in self.scheduled):
            self.poll()
            await asyncio.sleep(0.005)

    async def stop(self) -> None:
        """Stop polling (faults stay as they are: the twins stop next)."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None


_PLAN_KEYS = {"after_requests": int, "after_s": float, "duration_s": float, "count": int}


def parse_fault_option(text: str) -> FaultPlan:
    """A twin's ``--fault`` option: ``NAME[=VALUE][,after_requests=N][,after_s=S][,duration_s=S][,count=K]``
    (VALUE a number, ``true``/``false``, a word, or positions ``3+5``) → a :class:`FaultPlan`."""
    head, *rest = [part.strip() for part in text.split(",") if part.strip()] or [""]
    name, _, raw = head.partition("=")
    if not name:
        raise ValueError(f"--fault {text!r}: needs a fault name")
    plan = FaultPlan(name, _option_value(raw) if raw else None, label=name)
    for part in rest:
        key, eq, v = part.partition("=")
        if key not in _PLAN_KEYS or not eq:
            raise ValueError(f"--fault {text!r}: {part!r} is not one of {', '.join(k + '=…' for k in _PLAN_KEYS)}")
        setattr(plan, key, _PLAN_KEYS[key](v))
    return plan


def _option_value(raw: str) -> Any:
    if raw in ("true", "false"):
        return raw == "true"
    if "+" in raw and all(p.isdigit() for p in raw.split("+")):
        return [int(p) for p in raw.split("+")]
    for cast in (int, float):
        try:
            return cast(raw)
        except ValueError:
            pass
    return raw


FAULT_HELP = ("a fault on demand, repeatable: NAME[=VALUE][,after_requests=N][,after_s=S][,duration_s=S]"
              "[,count=K] — silent, disconnect, garbage[=noise|truncated|length], crc, latency=S, stuck, or a "
              "field of the twin's fault object (docs/station-file.md, [[sim.faults]])")
"""The ``--fault`` option's help, the same on every twin's command line."""
