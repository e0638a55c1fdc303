"""Faults on demand from the station file: ``[[sim.faults]]`` entries, each one fault of one
simulated device and when it happens, applied to the twins by the sim host while the run goes on —
so a trainer, a tester or a technician rehearsing a site visit provokes a dead reference meter, a
garbled dispenser line or a slow scale without writing Python::

    [[sim.faults]]
    device = "reference"              # a [devices.*] name the twins play
    fault = "latency"                 # hardware_sim/faults.py: silent, disconnect, garbage, crc,
    value = 0.9                       #   latency, stuck, or a field of the twin's own faults
    start = { step = "working_error_2" }   # or { after_requests = 20 } or { after_s = 5 }; absent: at once
    duration_s = 3                    # or until = { step = "clock" }; absent: to the end of the session
    # count = 2                       # garbage/crc: only that many replies
    # on_resume = true                # apply again when the run is resumed (default: the first session only)

A fault belongs to the session it was rehearsed in: after the operator has "mended the cable" and
resumes, the twins come up healthy unless ``on_resume = true`` (a device that stays broken).
The entry's shape is checked by :class:`SimFault` (in the station schema); which faults a device's
twin makes and their values by :func:`fault_errors` against the station's devices, every error
naming file, entry and key (docs/station-file.md).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    model_validator,
)

TWIN_KINDS = {"modbus_meter": "ref_meter", "ocpp": "ac_post", "gbt27930_bms": "dc_charger",
              "serial_dispenser": "dispenser", "sics_scale": "scale", "modbus_bench": "meter_bench",
              "modbus_flow_bench": "flow_bench", "dlt645": "dlt645"}
"""Which twin plays a device of each driver (bench/simhost.py), by its kind in hardware_sim/faults.py."""

_Seconds = Annotated[StrictFloat | StrictInt, Field(ge=0, allow_inf_nan=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class FaultStart(_Strict):
    """``start``: when the fault begins — at a step, after N requests, or after N seconds (one of them)."""

    step: Annotated[StrictStr, Field(min_length=1, max_length=100)] | None = None
    after_requests: Annotated[StrictInt, Field(ge=0)] | None = None
    after_s: _Seconds | None = None

    @model_validator(mode="after")
    def _one(self) -> FaultStart:
        if sum(v is not None for v in (self.step, self.after_requests, self.after_s)) != 1:
            raise ValueError("start: give exactly one of step, after_requests, after_s (start 需且仅需一项)")
        return self


class FaultUntil(_Strict):
    """``until``: the step at whose start the fault ends."""

    step: Annotated[StrictStr, Field(min_length=1, max_length=100)]


class SimFault(_Strict):
    """One ``[[sim.faults]]`` entry (see the module docstring)."""

    device: Annotated[StrictStr, Field(min_length=1, max_length=100)]
    fault: Annotated[StrictStr, Field(min_length=1, max_length=100)]
    value: StrictBool | StrictInt | StrictFloat | StrictStr | list[StrictInt] | dict[StrictStr, Any] | None = None
    start: FaultStart | None = None
    duration_s: Annotated[StrictFloat | StrictInt, Field(gt=0, allow_inf_nan=False)] | None = None
    until: FaultUntil | None = None
    count: Annotated[StrictInt, Field(ge=1)] | None = None
    on_resume: StrictBool = False

    @model_validator(mode="after")
    def _one_end(self) -> SimFault:
        if self.duration_s is not None and self.until is not None:
            raise ValueError("give duration_s or until, not both (duration_s 与 until 只能二选一)")
        return self


def fault_errors(raw: dict[str, Any], path: str) -> list[str]:
    """The ``[[sim.faults]]`` entries of a station dict that name no simulated device, a fault its
    twin cannot make or a value that fault cannot take, each ``file: [[sim.faults]] #n key: why``
    (entries of the wrong shape are the schema's)."""
    from hardware_sim.faults import check_fault

    sim = raw.get("sim")
    entries = sim.get("faults") if isinstance(sim, dict) else None
    if not isinstance(entries, list):
        return []
    devices = raw.get("devices") if isinstance(raw.get("devices"), dict) else {}
    errors = []
    for n, entry in enumerate(entries, 1):
        if not isinstance(entry, dict) or not isinstance(entry.get("device"), str):
            continue
        where = f"{path}: [[sim.faults]] #{n}"
        dev = devices.get(entry["device"])
        kind = TWIN_KINDS.get(str(dev.get("driver"))) if isinstance(dev, dict) else None
        if kind is None:
            simulated = [k for k, d in devices.items() if isinstance(d, dict) and d.get("driver") in TWIN_KINDS]
            errors.append(f"{where} device: {entry['device']!r} 不是模拟的设备 (is no simulated device; one of "
                          f"{', '.join(simulated) or 'none'})")
            continue
        if not isinstance(entry.get("fault"), str):
            continue
        try:
            check_fault(kind, entry["fault"], entry.get("value"))
        except ValueError as e:
            key = "fault" if "unknown" in str(e) else "value"
            errors.append(f"{where} {key}: {e} (故障设置有误)")
    return errors


def twin_of(sim: Any, device: str) -> Any:
    """The twin playing ``device`` in a started sim host (bench/simhost.py)."""
    spec = next(d for d in sim.station.devices if d.name == device)
    attr = {"modbus_meter": "ref_twin", "ocpp": "post_twin", "gbt27930_bms": "dc_twin",
            "serial_dispenser": "dispenser_twin", "sics_scale": "scale_twin", "modbus_bench": "meter_twin",
            "modbus_flow_bench": "flow_twin", "dlt645": "meter_port"}[spec.driver]
    return getattr(sim, attr)


def schedule(sim: Any, resumed: bool) -> Any:
    """The fault scheduler of a sim host (on the twins' loop, started): every ``[[sim.faults]]``
    entry of its station on the twin playing its device — on a resumed run only those marked
    ``on_resume``. Faults are logged (``jianding.sim``) as they start and end."""
    import logging

    from hardware_sim.faults import FaultPlan, FaultScheduler

    log = logging.getLogger("jianding.sim")
    scheduler = FaultScheduler(log=log.info)
    for raw in sim.station.sim.get("faults", []):
        entry = SimFault.model_validate(raw)
        if resumed and not entry.on_resume:
            continue
        start = entry.start or FaultStart(after_s=0)
        plan = FaultPlan(entry.fault, entry.value, after_requests=start.after_requests, after_s=start.after_s,
                         duration_s=None if entry.duration_s is None else float(entry.duration_s), count=entry.count,
                         at_step=start.step, until_step=entry.until.step if entry.until else None,
                         label=f"{entry.device} {entry.fault}")
        scheduler.add(twin_of(sim, entry.device), plan)
    return scheduler.start()
