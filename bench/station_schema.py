"""The station file's one strict schema (pydantic): every section's types and ranges, unknown keys
refused, booleans that are booleans (``[sim] enabled = "false"`` is an error, not simulation on), and
every error named by file, section and key (docs/station-file.md is the reference).

Open-ended sections are checked as far as they are known: a device section's common keys
(``driver``, ``roles``, ``standard``, ``u95_pct``, ``host``, ``port``, timeouts) strictly and its
driver's keys by the driver's own parser when the device is built; ``[instrument]``'s specification
keys (procedures/regulations/data/specs.toml) by their type there; ``[procedure]`` overrides by the
regulation table they override; the ``[sim.*]`` twin tables by the twins.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
)

from bench.sim_faults import SimFault, fault_errors
from procedures.regulations.specs import ledger_fields

DRIVERS = ("modbus_meter", "ocpp", "gbt27930_bms", "serial_dispenser", "modbus_flow_bench", "sics_scale",
           "modbus_bench", "dlt645", "manual")
"""Every driver a device section may name (bench/factory.py, plus ``manual``)."""

MAX_TEXT = 200
"""The longest name, place or identifier a station file may give (a certificate line, not a novel)."""

Text = Annotated[StrictStr, Field(max_length=MAX_TEXT)]
Number = StrictFloat | StrictInt
Positive = Annotated[Number, Field(gt=0, allow_inf_nan=False)]
NonNegative = Annotated[Number, Field(ge=0, allow_inf_nan=False)]


class _Strict(BaseModel):
    """A section whose keys are all known: anything else is refused."""

    model_config = ConfigDict(extra="forbid", strict=True)


class _Open(BaseModel):
    """A section with known common keys checked strictly and further keys checked elsewhere."""

    model_config = ConfigDict(extra="allow", strict=True)


class StationSection(_Strict):
    """``[station]``: the workstation's name, place, institution profile and code."""

    name: Text = "Jianding"
    place: Annotated[StrictStr, Field(max_length=500)] = ""
    institution: Annotated[StrictStr, Field(max_length=1000)] = "demo"
    code: Annotated[StrictStr, Field(max_length=32)] = ""


class DeviceSection(_Open):
    """``[devices.<name>]``: the common keys every driver shares (``port`` 0 = a free port, for twins); the
    driver's own keys are open."""

    driver: Literal[DRIVERS]  # type: ignore[valid-type]
    roles: list[StrictStr] = []
    standard: Text | None = None
    u95_pct: Annotated[Number, Field(gt=0, le=100, allow_inf_nan=False)] | None = None
    std_constant_imp_per_kwh: Positive | None = None
    host: Text | None = None
    port: Annotated[StrictInt, Field(ge=0, le=65535)] | Annotated[StrictStr, Field(min_length=1, max_length=1000)] | None = None
    device_id: Annotated[StrictInt, Field(ge=0, le=255)] | None = None
    timeout_s: Positive | None = None
    call_timeout_s: Positive | None = None
    retries: Annotated[StrictInt, Field(ge=0, le=100)] | None = None
    baudrate: Annotated[StrictInt, Field(gt=0)] | None = None
    bitrate: Annotated[StrictInt, Field(gt=0)] | None = None
    positions: Annotated[StrictInt, Field(ge=1, le=1000)] | None = None
    accept_unsecured: StrictBool | None = None
    security_profile: Annotated[StrictInt, Field(ge=0, le=3)] | None = None
    ca_cert: Text | None = None
    credentials_file: Text | None = None
    credentials: dict[StrictStr, StrictStr] | None = None
    tls_cert: Text | None = None
    tls_key: Text | None = None
    tls_key_password: StrictStr | None = None


class SimSection(_Open):
    """``[sim]``: whether twins run (a boolean, never a string), their speed and seed; the twin
    tables (``[sim.ac_post]`` …) are open."""

    enabled: StrictBool = False
    kind: Literal["ac", "dc", "fuel", "water", "gas", "meter"] | None = None
    speed: Positive | None = None
    seed: StrictInt | None = None
    faults: list[SimFault] = []  # [[sim.faults]]: faults on demand (bench/sim_faults.py)


class BenchSection(_Strict):
    """``[bench]``: the instruments of a multi-position bench (serials, or positions and a format)."""

    serials: list[Annotated[StrictStr, Field(max_length=MAX_TEXT)]] | None = None
    positions: Annotated[StrictInt, Field(ge=1, le=1000)] | None = None
    serial_format: Text | None = None


class TimeStandardSection(_Strict):
    """``[time_standard]``: the reference time for clock items."""

    name: Text | None = None
    source: Text | None = None
    standard: Text | None = None


class StationSchema(_Strict):
    """A whole station file; a run's snapshot adds the institution profile it named."""

    station: StationSection = StationSection()
    people: dict[StrictStr, Text] = {}
    instrument: dict[StrictStr, Any] = {}
    devices: dict[StrictStr, DeviceSection] = {}
    sim: SimSection = SimSection()
    bench: BenchSection | None = None
    time_standard: TimeStandardSection | None = None
    procedure: dict[StrictStr, Any] = {}
    platform: dict[StrictStr, Any] = {}
    institution_profile: dict[StrictStr, Any] | None = None
    institution: dict[StrictStr, Any] | None = None  # a run's snapshot prepared before profiles
    numbering: dict[StrictStr, Any] | None = None  # likewise (load_station refuses both in a file)


def _where(loc: tuple[int | str, ...]) -> str:
    """``('devices', 'ref', 'port')`` → ``[devices.ref] port``; a top-level key → ``[key]``."""
    parts = [str(p) for p in loc]
    if parts and parts[0] == "devices" and len(parts) >= 2:
        section, rest = parts[:2], parts[2:]
    else:
        section, rest = parts[:1], parts[1:]
    rest = [p for p in rest if not p.startswith(("int", "str", "float", "constrained", "function", "union"))
            and "[" not in p]
    return f"[{'.'.join(section)}]" + (f" {'.'.join(rest[:1])}" if rest else "")


_INSTRUMENT_TEXT = {"category", "name", "model", "serial", "manufacturer", "accuracy_class", "client",
                    "client_address", "location", "purpose"}
"""``[instrument]`` keys that are text (the ledger's own columns)."""


def _instrument_errors(inst: dict[str, Any]) -> list[str]:
    """The ``[instrument]`` keys of a wrong type: ledger text columns must be text of a sane length,
    specification keys (specs.toml) the type their field declares (a number is a finite positive
    number, never ``"thirty"``)."""
    errors = []
    for key in _INSTRUMENT_TEXT & inst.keys():
        v = inst[key]
        if not isinstance(v, str) or len(v) > MAX_TEXT:
            errors.append(f"[instrument] {key}: 应为不超过 {MAX_TEXT} 字的文本 (must be text of at most {MAX_TEXT} characters)")
    for f, _tables in ledger_fields():
        if f.key not in inst:
            continue
        v = inst[f.key]
        if f.type in ("number", "integer"):
            ok = isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) and v > 0
            if ok and f.type == "integer":
                ok = float(v).is_integer()
            if not ok:
                errors.append(f"[instrument] {f.key}: {v!r} 应为正数 ({f.en} must be a positive "
                              f"{'whole number' if f.type == 'integer' else 'number'})")
        elif f.type == "choice" and not (isinstance(v, str) and (v in f.choices or v in f.choices.values())):
            errors.append(f"[instrument] {f.key}: {v!r} 不是允许的值 (allowed: {', '.join(f.choices)})")
        elif f.type == "text" and (not isinstance(v, str) or len(v) > MAX_TEXT):
            errors.append(f"[instrument] {f.key}: 应为文本 (must be text)")
    return errors


_HINTS = {
    ("driver", "missing"): f"needs driver = {' | '.join(repr(d) for d in DRIVERS)} (缺少 driver)",
    ("serials", "list_type"): "must be a list of strings (\"\" for an empty position) (应为字符串列表)",
    ("enabled", "bool_type"): "must be true or false, not a string (应为布尔值 true/false，不是字符串)",
}
"""Messages for the errors a technician makes most, keyed by (key, pydantic error type)."""


def validate_station(raw: dict[str, Any], path: str) -> list[str]:
    """Every error of a station dict, each ``file: [section] key: message``; [] when it is valid."""
    errors: list[str] = []
    try:
        StationSchema.model_validate(raw)
    except ValidationError as e:
        for err in e.errors():
            msg = str(err["msg"])
            last = str(err["loc"][-1]) if err["loc"] else ""
            if (last, err["type"]) in _HINTS:
                msg = _HINTS[(last, err["type"])]
            elif err["type"] in ("model_type", "dict_type"):
                msg = "must be a table (应为表)"
            elif err["type"] == "extra_forbidden":
                msg = "未知的键 (unknown key; docs/station-file.md)"
            elif err["type"] == "missing":
                msg = "缺少必填键 (required key missing)"
            where = f"{path}: {_where(tuple(err['loc']))}: "
            if not any(e.startswith(where) for e in errors):  # a union's branches: its first says enough
                errors.append(where + msg)
    if isinstance(raw.get("instrument"), dict):
        errors += [f"{path}: {e}" for e in _instrument_errors(raw["instrument"])]
    errors += fault_errors(raw, path)
    return list(dict.fromkeys(errors))
