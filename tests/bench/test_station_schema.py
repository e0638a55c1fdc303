"""The station file's strict schema (issue 13 line 5): every shipped station passes; wrong types,
ranges and unknown keys are refused naming the file, section and key."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import pytest

from bench.station import StationError, example_station_path, load_station, parse_station
from bench.station_schema import validate_station

SHIPPED = sorted(Path(str(example_station_path("ac"))).parent.glob("*_demo.toml"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_station_passes(path: Path) -> None:
    """Every station file the project ships is valid under the schema."""
    assert validate_station(tomllib.loads(path.read_text("utf-8")), str(path)) == []
    load_station(path)


def _ac() -> dict[str, Any]:
    return tomllib.loads(example_station_path("ac").read_text("utf-8"))


@pytest.mark.parametrize(("edit", "where"), [
    (lambda r: r["sim"].__setitem__("enabled", "false"), "[sim] enabled"),
    (lambda r: r["devices"]["reference"].__setitem__("port", -5), "[devices.reference] port"),
    (lambda r: r["devices"]["reference"].__setitem__("port", 70000), "[devices.reference] port"),
    (lambda r: r["devices"]["reference"].__setitem__("timeout_s", -1.0), "[devices.reference] timeout_s"),
    (lambda r: r["devices"]["charger"].__setitem__("accept_unsecured", "yes"), "[devices.charger] accept_unsecured"),
    (lambda r: r["devices"]["charger"].__setitem__("security_profile", 7), "[devices.charger] security_profile"),
    (lambda r: r["devices"]["charger"].__setitem__("driver", "bogus"), "[devices.charger] driver"),
    (lambda r: r["instrument"].__setitem__("imax_a", "thirty"), "[instrument] imax_a"),
    (lambda r: r["instrument"].__setitem__("imax_a", float("nan")), "[instrument] imax_a"),
    (lambda r: r["instrument"].__setitem__("name", "x" * 100_000), "[instrument] name"),
    (lambda r: r["station"].__setitem__("name", "x" * 100_000), "[station] name"),
    (lambda r: r["station"].__setitem__("colour", "red"), "[station] colour"),
    (lambda r: r.__setitem__("stations", {}), "[stations]"),
    (lambda r: r["people"].__setitem__("verifier", 5), "[people] verifier"),
])
def test_wrong_values_are_refused_naming_file_section_and_key(edit: Any, where: str) -> None:
    """A wrong type, a value out of range or an unknown key: StationError naming file, section, key."""
    raw = copy.deepcopy(_ac())
    edit(raw)
    with pytest.raises(StationError) as e:
        parse_station(raw, "site.toml")
    assert str(e.value).startswith(f"site.toml: {where}")


def test_a_string_false_never_turns_simulation_on() -> None:
    """``[sim] enabled = "false"`` used to be truthy: now it is an error, said as one."""
    raw = _ac()
    raw["sim"]["enabled"] = "false"
    with pytest.raises(StationError, match="true or false"):
        parse_station(raw, "site.toml")


def test_every_error_is_reported_at_once() -> None:
    """Two wrong keys: both named, one line each."""
    raw = _ac()
    raw["devices"]["reference"]["port"] = -5
    raw["sim"]["enabled"] = "no"
    with pytest.raises(StationError) as e:
        parse_station(raw, "site.toml")
    lines = str(e.value).splitlines()
    assert len(lines) == 2 and all(line.startswith("site.toml: [") for line in lines)
