"""The station file's one strict schema (pydantic): every section's types and ranges, unknown keys
refused, booleans that are booleans (``[sim] enabled = "false"`` is an error, not simulation on), and
every error named by file, section and key (docs/station-file.md is the reference).

Every section is strict: ``[station]``, ``[people]``, ``[bench]``, ``[time_standard]``,
``[platform]`` here; each device section by the model of its driver (bench/station_devices.py);
``[sim]`` and one model per twin table (bench/station_sim.py); ``[instrument]``'s specification keys by their type in
procedures/regulations/data/specs.toml; ``[procedure]`` overrides by the regulation tables they
override (:func:`procedure_errors`: a key no table has is unknown, a value of another kind than the
table's is refused). A driver still checks, when the device is built, what only it can (a register
map's file, an address's digits).
"""

from __future__ import annotations

import math
from functools import cache
from typing import Annotated, Any

from pydantic import Field, StrictStr, ValidationError

from bench.sim_faults import fault_errors
from bench.station_devices import DRIVERS, Device
from bench.station_sim import SimSection
from bench.station_types import MAX_TEXT, Positions, Positive, Strict, Text
from procedures.regulations.specs import ledger_fields
from procedures.regulations.tables import load_table

REGULATION_TABLES = ("jjg1148", "jjg1149", "jjg162", "jjg443", "jjg577", "jjg596")
"""The regulation tables a station's ``[procedure]`` may override (procedures/regulations/data)."""

PROCEDURE_CHOICES: dict[str, tuple[str, ...]] = {
    "input": ("interface", "manual"),
    "method": ("auto", "gravimetric", "master_meter"),
    "reading_mode": ("pulse", "entry"),
}
"""``[procedure]`` keys a procedure reads at the root of its table with a default of its own, and
their values: ``input`` (JJG 443: the indication read through the dispenser's interface, or every
value entered) and ``method`` (JJG 162: how the reference volume is obtained; jjg162.toml writes its
default ``method = "auto"`` inside ``[regulation]``, where the procedure does not read it) and
``reading_mode`` (JJG 162, JJG 577: the meters' pulses, or the dial reading entered per position)."""


class StationSection(Strict):
    """``[station]``: the workstation's name, place, institution profile and code."""

    name: Text = "Jianding"
    place: Annotated[StrictStr, Field(max_length=500)] = ""
    institution: Annotated[StrictStr, Field(max_length=1000)] = "demo"
    code: Annotated[StrictStr, Field(max_length=32)] = ""


class BenchSection(Strict):
    """``[bench]``: the instruments of a multi-position bench (serials, or positions and a format)."""

    serials: list[Annotated[StrictStr, Field(max_length=MAX_TEXT)]] | None = None
    positions: Positions | None = None
    serial_format: Text | None = None


class TimeStandardSection(Strict):
    """``[time_standard]``: the reference time for clock items."""

    name: Text | None = None
    source: Text | None = None
    standard: Text | None = None


class PlatformSection(Strict):
    """``[platform]``: the management platform (docs/platform-sync.md); the token better comes from
    the environment (JIANDING_PLATFORM_TOKEN)."""

    url: Annotated[StrictStr, Field(max_length=1000)] | None = None
    token: Annotated[StrictStr, Field(max_length=5000)] | None = None
    institution_code: Text | None = None
    timeout_s: Positive | None = None


class StationSchema(Strict):
    """A whole station file; a run's snapshot adds the institution profile it named."""

    station: StationSection = StationSection()
    people: dict[StrictStr, Text] = Field(default_factory=dict)
    instrument: dict[StrictStr, Any] = Field(default_factory=dict)
    devices: dict[StrictStr, Device] = Field(default_factory=dict)
    sim: SimSection = SimSection()
    bench: BenchSection | None = None
    time_standard: TimeStandardSection | None = None
    procedure: dict[StrictStr, Any] = Field(default_factory=dict)
    platform: PlatformSection = PlatformSection()
    institution_profile: dict[StrictStr, Any] | None = None
    institution: dict[StrictStr, Any] | None = None  # a run's snapshot prepared before profiles
    numbering: dict[StrictStr, Any] | None = None  # likewise (load_station refuses both in a file)


def _where(loc: tuple[int | str, ...]) -> str:
    """``('devices', 'ref', 'port')`` → ``[devices.ref] port``; a top-level key → ``[key]``."""
    parts = [str(p) for p in loc]
    if len(parts) > 2 and parts[0] == "devices" and parts[2] in DRIVERS:  # the model the driver chose
        del parts[2]
    if parts and parts[0] == "devices" and len(parts) >= 2:
        section, rest = parts[:2], parts[2:]
    else:
        section, rest = parts[:1], parts[1:]
    rest = [p for p in rest if not p.startswith(("int", "str", "float", "constrained", "function", "union"))
            and "[" not in p]
    if section and section[0] == "sim" and len(rest) > 1:  # [sim.ac_post] error_pct
        section, rest = [*section, rest[0]], rest[1:]
    if len(section) == 2 and section[0] == "devices" and len(rest) > 1 and rest[0] in ("battery", "timeouts"):
        section, rest = [*section, rest[0]], rest[1:]
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
    ("", "union_tag_not_found"): f"needs driver = {' | '.join(repr(d) for d in DRIVERS)} (缺少 driver)",
    ("", "union_tag_invalid"): f"未知的 driver (unknown driver; known: {', '.join(DRIVERS)})",
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
            if err["type"].startswith("union_tag"):
                last = ""
            if (last, err["type"]) in _HINTS:
                msg = _HINTS[(last, err["type"])]
            elif err["type"] in ("model_type", "dict_type", "model_attributes_type"):
                msg = "must be a table (应为表)"
            elif err["type"] == "extra_forbidden":
                msg = "未知的键 (unknown key; docs/station-file.md)"
            elif err["type"] == "missing":
                msg = "缺少必填键 (required key missing)"
            loc = (*err["loc"], "driver") if err["type"].startswith("union_tag") else tuple(err["loc"])
            where = f"{path}: {_where(loc)}: "
            if not any(e.startswith(where) for e in errors):  # a union's branches: its first says enough
                errors.append(where + msg)
    if isinstance(raw.get("instrument"), dict):
        errors += [f"{path}: {e}" for e in _instrument_errors(raw["instrument"])]
    if isinstance(raw.get("procedure"), dict):
        errors += [f"{path}: {e}" for e in procedure_errors(raw["procedure"])]
    errors += fault_errors(raw, path)
    return list(dict.fromkeys(errors))


def _kind(value: Any) -> str:
    """A TOML value's kind as a station file's reader names it."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "table"
    return type(value).__name__


@cache
def _procedure_shapes() -> dict[tuple[str, ...], tuple[frozenset[str], bool]]:
    """Every key path of every regulation table (and ``plan`` → plan.toml): the kinds its value
    has there, and whether every number there is non-negative."""
    shapes: dict[tuple[str, ...], tuple[set[str], bool]] = {}

    def walk(prefix: tuple[str, ...], table: dict[str, Any]) -> None:
        for key, value in table.items():
            path = (*prefix, str(key))
            kinds, non_negative = shapes.get(path, (set(), True))
            kinds.add(_kind(value))
            if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
                non_negative = False
            shapes[path] = (kinds, non_negative)
            if isinstance(value, dict):
                walk(path, value)

    for name in REGULATION_TABLES:
        walk((), load_table(name))
    shapes[("plan",)] = ({"table"}, True)
    walk(("plan",), load_table("plan"))
    return {p: (frozenset(k), nn) for p, (k, nn) in shapes.items()}


def procedure_errors(procedure: dict[str, Any]) -> list[str]:
    """The ``[procedure]`` overrides that cannot be what a regulation table holds: a key path no
    table has (unknown key), a value of another kind than the tables' (a text where they hold a
    number, a number for a boolean), a number that is not finite, or negative where every table's
    value is non-negative; the keys of the procedures' own (:data:`PROCEDURE_CHOICES`) and the
    engine's ``max_condition_attempts`` (1..100) are checked as such. One line each,
    ``[procedure.items.clock] mark_lead_s: …``."""
    shapes = _procedure_shapes()
    errors: list[str] = []

    def where(path: tuple[str, ...]) -> str:
        return f"[{'.'.join(('procedure', *path[:-1]))}] {path[-1]}"

    def walk(prefix: tuple[str, ...], table: dict[str, Any]) -> None:
        for key, value in table.items():
            path = (*prefix, str(key))
            if len(path) == 1 and path[0] in PROCEDURE_CHOICES:
                allowed = PROCEDURE_CHOICES[path[0]]
                if value not in allowed:
                    errors.append(f"{where(path)}: {value!r} 应为 {' / '.join(allowed)} (must be one of: "
                                  f"{', '.join(allowed)})")
                continue
            if path == ("max_condition_attempts",):  # the engine's, not a table's (bench.controller.engine_settings)
                if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100:
                    errors.append(f"{where(path)}: {value!r} 应为 1…100 的整数 (must be a whole number 1..100)")
                continue
            shape = shapes.get(path)
            if shape is None:
                errors.append(f"{where(path)}: 未知的键，规程数据表中没有 (unknown key: no regulation table has it; "
                              "docs/station-file.md)")
                continue
            kinds, non_negative = shape
            kind = _kind(value)
            if kind not in kinds:
                errors.append(f"{where(path)}: {value!r} 类型不符，应为 {' / '.join(sorted(kinds))} "
                              f"(must be a {' or '.join(sorted(kinds))}, as in the regulation table)")
            elif kind == "table":
                walk(path, value)
            elif kind == "number" and not math.isfinite(value):
                errors.append(f"{where(path)}: {value!r} 应为有限数 (must be a finite number)")
            elif kind == "number" and non_negative and value < 0:
                errors.append(f"{where(path)}: {value!r} 不能为负 (must not be negative)")
            elif kind == "list" and any(isinstance(v, float) and not math.isfinite(v) for v in value):
                errors.append(f"{where(path)}: 列表含非有限数 (the list holds a value that is not finite)")

    walk((), procedure)
    return errors
