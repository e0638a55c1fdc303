"""Instrument specifications as data (procedures/regulations/data/specs.toml): the values typed on
the ledger, what a document prints of them, and that every demo station gives what its kind needs."""

from __future__ import annotations

import pytest

from bench.station import example_station_path, load_station
from procedures.records import SpecLine
from procedures.regulations import REGISTRY
from procedures.regulations.specs import (
    describe,
    field_of,
    instrument_name,
    kind_spec,
    kinds,
    ledger_fields,
    missing,
    parse_value,
)
from procedures.regulations.tables import load_table

METER = {"un_v": 220.0, "ib_a": 5.0, "imax_a": 60.0, "constant_imp_per_kwh": 1600.0, "connection": "single_phase"}


def test_every_regulation_has_a_specification_and_names_its_instrument_as_its_title() -> None:
    assert set(kinds()) == set(REGISTRY)
    for table, spec in kinds().items():
        assert spec.fields and spec.noun
        assert load_table(table)["regulation"]["title"].startswith(spec.instrument), table
    # JJG 1149-2022 is 《电动汽车非车载充电机》: a DC charger is a 充电机, not a 充电桩
    assert (kind_spec("jjg1149").instrument, kind_spec("jjg1149").noun) == ("电动汽车非车载充电机", "充电机")  # type: ignore[union-attr]


def test_a_meter_prints_un_ib_imax_and_its_constant() -> None:
    cover, lines = describe("jjg596", METER)
    assert cover == "220 V　5(60) A　1600 imp/kWh"
    assert lines == (SpecLine("参比电压", "Un", "220 V"), SpecLine("电流规格", "Ib(Imax)", "5(60) A"),
                     SpecLine("电能表常数", "Constant", "1600 imp/kWh"), SpecLine("接线方式", "Connection", "单相二线"))


def test_water_gas_and_dispenser_specifications() -> None:
    cover, lines = describe("jjg162", {"q3_m3_h": 2.5, "ratio_r": 100.0, "dn_mm": 15, "temperature_class": "T30"})
    assert cover == "DN15　Q3 = 2.5 m³/h　R100"
    assert [x.text for x in lines] == ["Q3 = 2.5 m³/h", "R100", "DN15", "T30"]
    cover, lines = describe("jjg577", {"qmax_m3_h": 4.0, "qmin_m3_h": 0.025})
    assert cover == "qmax = 4 m³/h　qmin = 0.025 m³/h"
    assert [f"{x.zh} {x.text}" for x in lines] == ["最大流量 qmax 4 m³/h", "最小流量 qmin 0.025 m³/h"]  # no cyclic volume given
    cover, lines = describe("jjg443", {"qmax_l_min": 60.0, "qmin_l_min": 6.0, "fuel": "light_diesel", "nozzle": 3,
                                       "mmq_l": 2.0})
    assert cover == "(6~60) L/min　轻柴油　3 号枪"
    assert [x.text for x in lines] == ["60 L/min", "6 L/min", "轻柴油", "3", "2 L"]


def test_a_missing_value_leaves_the_cover_text_out_and_is_named() -> None:
    params = {k: v for k, v in METER.items() if k != "ib_a"}
    cover, lines = describe("jjg596", params)
    assert cover == "" and [x.zh for x in lines] == ["参比电压", "电能表常数", "接线方式"]
    assert [f.key for f in missing("jjg596", params)] == ["ib_a"]
    assert describe("nope", METER) == ("", ())


def test_typed_values_accept_units_and_chinese_names_and_refuse_the_rest() -> None:
    q3 = field_of("jjg162", "q3_m3_h")
    dn = field_of("jjg162", "dn_mm")
    fuel = field_of("jjg443", "fuel")
    assert q3 is not None and dn is not None and fuel is not None
    assert parse_value(q3, "2.5 m³/h") == 2.5 and parse_value(q3, 4) == 4.0
    assert parse_value(dn, "15") == 15 and isinstance(parse_value(dn, 15.0), int)
    assert parse_value(fuel, "汽油") == "gasoline" and parse_value(fuel, "kerosene") == "kerosene"
    with pytest.raises(ValueError, match="不是数值"):
        parse_value(q3, "两立方")
    with pytest.raises(ValueError, match="应为正数"):
        parse_value(q3, -1)
    with pytest.raises(ValueError, match="应为整数"):
        parse_value(dn, "15.5")
    with pytest.raises(ValueError, match="不是允许的油品"):
        parse_value(fuel, "柴油机油")


def test_the_ledger_has_one_column_per_key_and_shared_keys_one_header() -> None:
    fields = {f.key: (f, tables) for f, tables in ledger_fields()}
    assert len(fields) == len({f.key for spec in kinds().values() for f in spec.fields})
    imax, tables = fields["imax_a"]
    assert set(tables) == {"jjg1148", "jjg1149", "jjg596"} and "Imax" in imax.zh


def test_a_dc_charger_entered_as_a_post_is_printed_with_the_regulations_name() -> None:
    assert instrument_name("jjg1149", "直流充电桩") == "电动汽车非车载充电机"
    assert instrument_name("jjg1149", "某型一体式直流充电机") == "某型一体式直流充电机"  # a name of its own stays
    assert instrument_name("jjg1148", "充电桩") == "充电桩"


@pytest.mark.parametrize("kind", ["ac", "dc", "fuel", "meter", "water", "gas"])
def test_every_demo_station_gives_the_specification_its_kind_needs(kind: str) -> None:
    station = load_station(example_station_path(kind))
    table = {"ac": "jjg1148", "dc": "jjg1149", "fuel": "jjg443", "meter": "jjg596", "water": "jjg162",
             "gas": "jjg577"}[kind]
    assert missing(table, station.section("instrument")) == ()
    cover, lines = describe(table, station.section("instrument"))
    assert cover and lines
