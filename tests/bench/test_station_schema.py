"""The station file's strict schema (issue 13 line 5): every shipped station passes; wrong types,
ranges and unknown keys are refused naming the file, section and key."""

from __future__ import annotations

import copy
import re
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


DOCS = Path(__file__).resolve().parents[2] / "docs"
_SECTIONS = ("[station]", "[devices.", "[sim", "[procedure", "[bench]", "[instrument]", "[people]")


def _doc_examples() -> list[tuple[str, str]]:
    """Every ```toml block of docs/*.md that is (part of) a station file."""
    out = []
    for md in sorted(DOCS.glob("*.md")):
        blocks = re.findall(r"```toml\n(.*?)```", md.read_text("utf-8"), re.S)
        out += [(f"{md.name}#{i}", b) for i, b in enumerate(blocks) if any(s in b for s in _SECTIONS)]
    return out


@pytest.mark.parametrize(("where", "block"), _doc_examples(), ids=[w for w, _ in _doc_examples()])
def test_every_station_example_in_the_docs_passes(where: str, block: str) -> None:
    """The docs' station examples are valid TOML and valid under the schema (a doc cannot teach a
    key the schema refuses). A ``[[sim.faults]]`` example names devices of a shipped demo station:
    it is checked as part of the demo station that has them."""
    raw = tomllib.loads(block)
    faults = (raw.get("sim") or {}).get("faults")
    if not faults or "devices" in raw:
        assert validate_station(raw, where) == []
        return
    bases = [tomllib.loads(p.read_text("utf-8")) for p in SHIPPED]
    for n, fault in enumerate(faults, 1):  # each entry within the demo station that has its device
        base = next((b for b in bases if fault["device"] in b.get("devices", {})), None)
        assert base is not None, f"{where} #{n}: no shipped station has a device {fault['device']!r}"
        station = {**base, "sim": {**base.get("sim", {}), **{k: v for k, v in raw["sim"].items() if k != "faults"},
                                   "faults": [fault]}}
        assert validate_station(station, f"{where} #{n}") == []


def _dc() -> dict[str, Any]:
    return tomllib.loads(example_station_path("dc").read_text("utf-8"))


def _fuel() -> dict[str, Any]:
    return tomllib.loads(example_station_path("fuel").read_text("utf-8"))


def _meter() -> dict[str, Any]:
    return tomllib.loads(example_station_path("meter").read_text("utf-8"))


def _set(path: str, value: Any) -> Any:
    """An edit setting the dotted ``path`` of a station dict to ``value`` (tables made on the way)."""
    *parents, last = path.split(".")

    def edit(raw: dict[str, Any]) -> None:
        table = raw
        for p in parents:
            table = table.setdefault(p, {})
        table[last] = value
    return edit


@pytest.mark.parametrize(("station", "edit", "line"), [
    # device sections: each driver's own keys, strictly
    (_dc, _set("devices.bms.voltage_v", 500.0), "[devices.bms] voltage_v: 未知的键"),  # the old demo's silent typo
    (_dc, _set("devices.bms.soc_pct", 150.0), "[devices.bms] soc_pct"),
    (_dc, _set("devices.bms.battery", {"soc_pct": "50"}), "[devices.bms.battery] soc_pct"),
    (_dc, _set("devices.bms.timeouts", {"ccs_typo": 1.0}), "[devices.bms.timeouts] ccs_typo"),
    (_dc, _set("devices.bms.timeouts", {"ccs": 0}), "[devices.bms.timeouts] ccs"),
    (_dc, _set("devices.bms.bitrate", "250k"), "[devices.bms] bitrate"),
    (_dc, _set("devices.reference.mapp", "x"), "[devices.reference] mapp: 未知的键"),
    (_dc, lambda r: r["devices"]["reference"].pop("map"), "[devices.reference] map: 缺少必填键"),
    (_dc, _set("devices.reference.parity", "X"), "[devices.reference] parity"),
    (_dc, _set("devices.charger.meter_value_interval_s", -1), "[devices.charger] meter_value_interval_s"),
    (_dc, _set("devices.charger.hold_until_used", "no"), "[devices.charger] hold_until_used"),
    (_fuel, _set("devices.dispenser.address", 300), "[devices.dispenser] address"),
    (_fuel, _set("devices.dispenser.stopbits", 3), "[devices.dispenser] stopbits"),
    (_fuel, _set("devices.can.h0_mm", "66"), "[devices.can] h0_mm"),
    (_fuel, _set("devices.can.scale_mm", [0.0]), "[devices.can] scale_mm"),
    (_meter, _set("devices.meters.wakeup_bytes", 9), "[devices.meters] wakeup_bytes"),
    (_meter, _set("devices.bench.positions", 0), "[devices.bench] positions"),
    (_ac, _set("devices.reference.slow_share", 1.5), "[devices.reference] slow_share"),
    (_fuel, _set("devices.dispenser.slow_share", "half"), "[devices.dispenser] slow_share"),
    # [sim] and one table per twin
    (_ac, _set("sim.ac_post.sign", 1), "[sim.ac_post] sign"),
    (_ac, _set("sim.ac_post.error_pct", "0.3"), "[sim.ac_post] error_pct"),
    (_ac, _set("sim.ac_post.error_pct", float("nan")), "[sim.ac_post] error_pct"),
    (_ac, _set("sim.ac_post.eror_pct", 0.3), "[sim.ac_post] eror_pct: 未知的键"),
    (_ac, _set("sim.ac_post.ocpp_version", "1.5"), "[sim.ac_post] ocpp_version"),
    (_ac, _set("sim.kettle", {"on": True}), "[sim] kettle: 未知的键"),
    (_dc, _set("sim.dc_charger.max_current_a", -1.0), "[sim.dc_charger] max_current_a"),
    (_fuel, _set("sim.dispenser.no_flow", "true"), "[sim.dispenser] no_flow"),
    (_meter, _set("sim.meter_bench.silent_meters", ["2"]), "[sim.meter_bench] silent_meters"),
    # [procedure]: what the regulation tables hold, of the kind they hold it
    (_ac, _set("procedure.items.clock.mark_lead_s", "two"), "[procedure.items.clock] mark_lead_s: 'two' 类型不符"),
    (_ac, _set("procedure.items.clock.mark_lead", 2), "[procedure.items.clock] mark_lead: 未知的键"),
    (_ac, _set("procedure.session.still_s", -0.2), "[procedure.session] still_s: -0.2 不能为负"),
    (_ac, _set("procedure.session.still_s", float("inf")), "[procedure.session] still_s"),
    (_ac, _set("procedure.items", 3), "[procedure] items: 3 类型不符"),
    (_fuel, _set("procedure.input", "keyboard"), "[procedure] input: 'keyboard' 应为 interface / manual"),
    (_ac, _set("procedure.max_condition_attempts", 0), "[procedure] max_condition_attempts"),
    (_ac, _set("procedure.method", "by_eye"), "[procedure] method: 'by_eye'"),
    (_ac, _set("platform.urll", "https://x"), "[platform] urll: 未知的键"),
    (_ac, _set("platform.timeout_s", "10"), "[platform] timeout_s"),
])
def test_driver_twin_and_procedure_keys_are_strict(station: Any, edit: Any, line: str) -> None:
    """Issue 13 line 5, the whole file: a device's driver keys, every twin table and [procedure]
    are checked as strictly as the top-level sections, each error naming file, section and key."""
    raw = copy.deepcopy(station())
    edit(raw)
    with pytest.raises(StationError) as e:
        parse_station(raw, "site.toml")
    assert any(x.startswith(f"site.toml: {line}") for x in str(e.value).splitlines()), str(e.value)


@pytest.mark.parametrize(("station", "edit"), [
    (_ac, _set("procedure.items.working_error.settle_s", 0.5)),
    (_ac, _set("procedure.plan", {})),
    (_fuel, _set("procedure.input", "manual")),
    (_ac, _set("procedure.max_condition_attempts", 1)),
    (_ac, _set("procedure.method", "master_meter")),
    (_ac, _set("platform", {"url": "https://platform.example.gov.cn", "institution_code": "JD-1", "timeout_s": 10})),
    (_dc, _set("devices.bms.battery", {"soc_pct": 35, "vin": "LJDSIM00000000002"})),
    (_dc, _set("devices.bms.timeouts", {"ccs": 1.5, "crm_00": 8.0})),
    (_ac, _set("sim.ac_post.tariff", [{"name": "谷", "start": "00:00", "price": 0.4}])),
    (_ac, _set("devices.reference.slow_share", 0.8)),
])
def test_valid_overrides_pass(station: Any, edit: Any) -> None:
    raw = copy.deepcopy(station())
    edit(raw)
    assert validate_station(raw, "site.toml") == []


def test_the_schema_keeps_up_with_the_drivers() -> None:
    """The GB/T 27930 timeouts and battery keys the schema knows are the driver's own (no drift)."""
    from dataclasses import fields

    from bench.station_devices import GBT_TIMEOUTS, BatteryTable
    from drivers.gbt27930.bms import TIMEOUTS, BatteryParams

    assert set(GBT_TIMEOUTS) == set(TIMEOUTS)
    assert set(BatteryTable.model_fields) == {f.name for f in fields(BatteryParams)}
