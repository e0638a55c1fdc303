"""Station files: the shipped example parses; mistakes are reported with the file and key."""

from pathlib import Path

import pytest

from bench.station import StationError, example_station_path, load_station, parse_station


def test_example_station_parses_with_roles() -> None:
    st = load_station(example_station_path())
    assert st.device_for("energy_standard").name == "reference"
    assert st.device_for("pulse_counter").name == "reference"
    assert st.device_for("charger").config["protocol"] == "auto"
    assert st.standards() == ["JDSIM-REF-0001"]
    assert st.sim_enabled


@pytest.mark.parametrize(
    ("raw", "message"),
    [({"devices": {"x": {"roles": ["charger"]}}}, "needs driver"),
     ({"devices": {"x": {"driver": "ocpp", "roles": ["kettle"]}}}, "unknown roles"),
     ({"devices": {"x": 3}}, "must be a table")],
)
def test_bad_station_named(raw: dict, message: str) -> None:
    with pytest.raises(StationError, match=message):
        parse_station(raw, "site.toml")


def test_missing_role_and_file(tmp_path: Path) -> None:
    with pytest.raises(StationError, match="no device plays role 'load'"):
        parse_station({}, "empty.toml").device_for("load")
    with pytest.raises(StationError, match="not found"):
        load_station(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[devices\n", encoding="utf-8")
    with pytest.raises(StationError, match="invalid TOML"):
        load_station(bad)


def test_time_standard_joins_the_checked_standards() -> None:
    st = parse_station({"time_standard": {"name": "GNSS 授时测试仪", "standard": "GT-9"},
                        "devices": {"ref": {"driver": "modbus_meter", "map": "jianding_sim_ref", "roles": ["energy_standard"],
                                                "standard": "R-1"}}})
    assert st.standards() == ["R-1", "GT-9"]
    assert parse_station({}).time_standard["source"] == "system"


def test_bench_serials_by_list_skip_empty_positions() -> None:
    st = parse_station({"bench": {"serials": ["A1", "", " A3 "]}})
    assert st.is_bench and st.bench_serials() == {1: "A1", 3: "A3"}


def test_bench_serials_by_format() -> None:
    st = parse_station({"bench": {"positions": 3, "serial_format": "WM{position:03d}"}})
    assert st.bench_serials() == {1: "WM001", 2: "WM002", 3: "WM003"}


@pytest.mark.parametrize("bench, message", [
    ({"serials": ["A1", "A1"]}, "repeat: A1"),
    ({"serials": ["", ""]}, "names no instrument"),
    ({"serials": "A1"}, "must be a list"),
    ({"positions": 2}, "needs serials"),
    ({"positions": 2, "serial_format": "X{pos}"}, "serial_format"),
])
def test_bad_bench_sections_are_refused_with_the_reason(bench: dict, message: str) -> None:
    with pytest.raises(StationError, match=message):
        parse_station({"bench": bench}).bench_serials()


def test_a_station_without_bench_has_no_positions() -> None:
    st = parse_station({})
    assert not st.is_bench and st.bench_serials() == {}
