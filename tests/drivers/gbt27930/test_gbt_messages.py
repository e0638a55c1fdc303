"""GB/T 27930-2015 message codec: the DBC-backed table, encode/decode of every message, the payloads
observed in a real session (protocols.md B3/B5), scaling edges and bad input."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import cantools
import pytest

from drivers.gbt27930 import (
    BMS_SA,
    CHARGER_SA,
    DBC_PATH,
    SPECS,
    build_id,
    can_id,
    charging_current_a,
    decode,
    encode,
    encoded_current_a,
    fields,
    name_for,
    name_for_pgn,
    parse_id,
)
from drivers.gbt27930 import messages as m

# protocols.md B2: name, PGN, priority, DLC (max for BMV/BMT/BSP), period ms, sender, multipacket, ID
TABLE_B2 = [
    ("CHM", 0x2600, 6, 3, 250, "charger", False, 0x1826F456),
    ("BHM", 0x2700, 6, 2, 250, "bms", False, 0x182756F4),
    ("CRM", 0x0100, 6, 8, 250, "charger", False, 0x1801F456),
    ("BRM", 0x0200, 7, 49, 250, "bms", True, 0x1C0256F4),
    ("BCP", 0x0600, 7, 13, 500, "bms", True, 0x1C0656F4),
    ("CTS", 0x0700, 6, 7, 500, "charger", False, 0x1807F456),
    ("CML", 0x0800, 6, 8, 250, "charger", False, 0x1808F456),
    ("BRO", 0x0900, 4, 1, 250, "bms", False, 0x100956F4),
    ("CRO", 0x0A00, 4, 1, 250, "charger", False, 0x100AF456),
    ("BCL", 0x1000, 6, 5, 50, "bms", False, 0x181056F4),
    ("BCS", 0x1100, 7, 9, 250, "bms", True, 0x1C1156F4),
    ("CCS", 0x1200, 6, 7, 50, "charger", False, 0x1812F456),
    ("BSM", 0x1300, 6, 7, 250, "bms", False, 0x181356F4),
    ("BMV", 0x1500, 7, 512, 10000, "bms", True, 0x1C1556F4),
    ("BMT", 0x1600, 7, 128, 10000, "bms", True, 0x1C1656F4),
    ("BSP", 0x1700, 7, 16, 10000, "bms", True, 0x1C1756F4),
    ("BST", 0x1900, 4, 4, 10, "bms", False, 0x101956F4),
    ("CST", 0x1A00, 4, 4, 10, "charger", False, 0x101AF456),
    ("BSD", 0x1C00, 6, 7, 250, "bms", False, 0x181C56F4),
    ("CSD", 0x1D00, 6, 8, 250, "charger", False, 0x181DF456),
    ("BEM", 0x1E00, 2, 4, 250, "bms", False, 0x081E56F4),
    ("CEM", 0x1F00, 2, 4, 250, "charger", False, 0x081FF456),
]

# One value per field, none of them the default, all on the field's resolution.
SAMPLES: dict[str, dict[str, Any]] = {
    "CHM": {"version": "1.2"},
    "BHM": {"max_allowed_voltage_v": 426.1},
    "CRM": {"recognition": 0xAA, "charger_number": 0x12345678, "region_code": "310"},
    "BRM": {
        "version": "1.1", "battery_type": 6, "capacity_ah": 152.0, "rated_voltage_v": 364.8,
        "manufacturer": "CATL", "battery_pack_number": 4242, "production_year": 2023,
        "production_month": 11, "production_day": 8, "charge_count": 149, "property_right": 1,
        "vin": "LSVAB2BL9HN012345", "bms_sw_serial": 7, "bms_sw_day": 1, "bms_sw_month": 4,
        "bms_sw_year": 2023,
    },
    "BCP": {
        "max_cell_voltage_v": 3.65, "max_current_a": -250.2, "nominal_energy_kwh": 55.4,
        "max_total_voltage_v": 426.1, "max_temperature_c": 65.0, "soc_pct": 77.6, "pack_voltage_v": 378.2,
    },
    "CTS": {"datetime": datetime(2023, 12, 25, 22, 8, 41)},
    "CML": {"max_output_voltage_v": 950.0, "min_output_voltage_v": 38.0, "max_output_current_a": -250.0,
            "min_output_current_a": -1.5},
    "BRO": {"ready": 0xAA},
    "CRO": {"ready": 0xAA},
    "BCL": {"voltage_demand_v": 426.1, "current_demand_a": -20.0, "mode": 1},
    "BCS": {"measured_voltage_v": 378.1, "measured_current_a": -19.8, "highest_cell_voltage_v": 3.32,
            "highest_cell_group": 6, "soc_pct": 77.0, "remaining_time_min": 95.0},
    "CCS": {"output_voltage_v": 378.1, "output_current_a": -19.9, "charging_time_min": 12.0, "charging_allowed": 1},
    "BSM": {
        "highest_cell_number": 28, "max_temperature_c": 4.0, "max_temperature_probe": 7,
        "min_temperature_c": -3.0, "min_temperature_probe": 16, "cell_voltage_status": 1, "soc_status": 2,
        "overcurrent_status": 1, "temperature_status": 2, "insulation_status": 1, "connector_status": 2,
        "charging_allowed": 1,
    },
    "BMV": {"cell_voltages_v": [3.31, 3.32, 3.33], "cell_groups": [0, 1, 15]},
    "BMT": {"temperatures_c": [-50.0, 3.0, 4.0, 205.0]},
    "BSP": {"reserved": [0, 1, 254]},
    "BST": {
        "soc_target_reached": 1, "total_voltage_reached": 2, "cell_voltage_reached": 1, "charger_stopped": 1,
        "insulation_fault": 2, "output_connector_over_temperature": 1, "bms_component_over_temperature": 2,
        "charging_connector_fault": 1, "battery_over_temperature": 1, "hv_relay_fault": 2,
        "detection_point_2_fault": 1, "other_fault": 2, "overcurrent": 1, "voltage_abnormal": 2,
    },
    "CST": {
        "condition_reached": 2, "manual_stop": 1, "fault_stop": 1, "bms_stopped": 2,
        "charger_over_temperature": 1, "connector_fault": 2, "internal_over_temperature": 1,
        "energy_transfer_fault": 2, "emergency_stop": 1, "other_fault": 2, "current_mismatch": 1,
        "voltage_abnormal": 2,
    },
    "BSD": {"soc_pct": 77.0, "min_cell_voltage_v": 3.33, "max_cell_voltage_v": 3.34, "min_temperature_c": 3.0,
            "max_temperature_c": 4.0},
    "CSD": {"charging_time_min": 28.0, "energy_kwh": 12.3, "charger_number": 0x01010101},
    "BEM": {"crm_00_timeout": 1, "crm_aa_timeout": 2, "cts_cml_timeout": 1, "cro_timeout": 2, "ccs_timeout": 1,
            "cst_timeout": 2, "csd_timeout": 1},
    "CEM": {"brm_timeout": 1, "bcp_timeout": 2, "bro_timeout": 1, "bcs_timeout": 2, "bcl_timeout": 1,
            "bst_timeout": 2, "bsd_timeout": 1},
}

# The real session's BRM, reassembled from its 7 DT frames (protocols.md B4 / the candump log).
OBSERVED_BRM = bytes.fromhex(
    "01010003F00540" "0E010000000100" "0000630B089500" "0001FF4C314E53" "50474839384E41" "31393632303200" "0104E707FFFF00"
)


# --- the message table ------------------------------------------------------------------------


def test_specs_cover_all_22_messages_in_order() -> None:
    assert list(SPECS) == [row[0] for row in TABLE_B2]


@pytest.mark.parametrize(("name", "pgn", "prio", "length", "period", "sender", "mp", "ident"), TABLE_B2)
def test_spec_matches_protocols_b2(name: str, pgn: int, prio: int, length: int, period: int, sender: str,
                                   mp: bool, ident: int) -> None:
    spec = SPECS[name]
    assert (spec.name, spec.pgn, spec.priority, spec.length, spec.period_ms, spec.sender, spec.multipacket) == (
        name, pgn, prio, length, period, sender, mp)
    assert can_id(name) == ident
    assert name_for(ident) == name
    assert name_for_pgn(pgn) == name
    assert parse_id(ident) == (prio, pgn, CHARGER_SA if sender == "bms" else BMS_SA,
                               BMS_SA if sender == "bms" else CHARGER_SA)


def test_can_id_examples_from_the_brief() -> None:
    assert can_id("CHM") == 0x1826F456
    assert can_id("BCL") == 0x181056F4


def test_parse_and_build_id() -> None:
    assert parse_id(0x1CEC56F4) == (7, 0xEC00, 0x56, 0xF4)
    assert parse_id(0x1CECF456) == (7, 0xEC00, 0xF4, 0x56)
    assert parse_id(0x18FEF100) == (6, 0xFEF1, 0xFF, 0x00)  # PDU2: PS belongs to the PGN
    assert parse_id(0x0070F4B5) == (0, 0x7000, 0xF4, 0xB5)
    assert parse_id(0x03000000)[1] == 0x30000  # EDP/DP bits are part of the PGN
    for ident in (0x1826F456, 0x1CEB56F4, 0x18FEF100, 0x081FF456):
        assert build_id(*parse_id(ident)) == ident
    with pytest.raises(ValueError, match="29-bit"):
        parse_id(1 << 29)
    with pytest.raises(ValueError):
        parse_id(-1)
    with pytest.raises(ValueError, match="priority"):
        build_id(8, 0x2600, 0xF4, 0x56)
    with pytest.raises(ValueError, match="low byte"):
        build_id(6, 0x2601, 0xF4, 0x56)
    with pytest.raises(ValueError, match="addresses"):
        build_id(6, 0x2600, 0x100, 0x56)


def test_name_for_rejects_tp_foreign_and_wrong_direction() -> None:
    assert name_for(0x1CEC56F4) is None  # TP.CM
    assert name_for(0x1CEB56F4) is None  # TP.DT
    assert name_for(0x0070F4B5) is None  # the unrelated node of the observed log
    assert name_for(0x0073F4B5) is None
    assert name_for(0x182656F4) is None  # CHM's PGN, but from the BMS
    assert name_for(0x1826F457) is None  # unknown source address
    assert name_for(0x0826F456) == "CHM"  # priority is not part of the identity
    assert name_for(0x1C1556F4) == "BMV"  # a short BMV travels in one frame
    assert name_for(1 << 30) is None
    assert name_for_pgn(0xEC00) is None


# --- the DBC itself ---------------------------------------------------------------------------


def test_dbc_loads_strictly_and_is_well_formed() -> None:
    db = cantools.database.load_file(DBC_PATH, encoding="cp1252", strict=True)  # no overlaps, all in frame
    assert len(db.messages) == 22
    units = set()
    for msg in db.messages:
        assert msg.is_extended_frame
        assert msg.comment
        assert msg.senders in (["Charger"], ["BMS"])
        for sig in msg.signals:
            assert sig.byte_order == "little_endian", (msg.name, sig.name)
            assert not sig.is_signed
            assert sig.comment, (msg.name, sig.name)
            units.add(sig.unit or "")
    assert units == {"", "V", "A", "kWh", "Ah", "°C", "%", "min"}
    text = DBC_PATH.read_bytes().decode("cp1252")
    assert "BO_ 2552689750 CHM: 3 Charger" in text  # 0x1826F456 | bit 31, protocols.md B7


def test_module_docstring_documents_every_field() -> None:
    assert m.__doc__ is not None
    for name in SPECS:
        for field in fields(name):
            assert field in m.__doc__, (name, field)


# --- round trip, every message, every field ---------------------------------------------------


def test_samples_cover_every_field() -> None:
    assert set(SAMPLES) == set(SPECS)
    for name, sample in SAMPLES.items():
        assert tuple(sample) == fields(name), name


@pytest.mark.parametrize("name", list(SPECS))
def test_round_trip_every_message(name: str) -> None:
    sample = SAMPLES[name]
    data = encode(name, **sample)
    spec = SPECS[name]
    if name == "BMV":
        assert len(data) == 2 * len(sample["cell_voltages_v"])
    elif name in ("BMT", "BSP"):
        assert len(data) == len(next(iter(sample.values())))
    else:
        assert len(data) == spec.length
    assert decode(name, data) == sample
    assert encode(name, **decode(name, data)) == data


@pytest.mark.parametrize("name", list(SPECS))
def test_decode_types(name: str) -> None:
    for key, value in decode(name, encode(name, **SAMPLES[name])).items():
        items = value if isinstance(value, list) else [value]
        if key.endswith(("_v", "_a", "_kwh", "_ah", "_c", "_pct", "_min")):
            assert all(isinstance(v, float) for v in items), (name, key)
        elif key in ("vin", "manufacturer", "region_code", "version"):
            assert isinstance(value, str)
        elif key == "datetime":
            assert isinstance(value, datetime)
        elif isinstance(value, list):
            assert all(type(v) is int for v in items), (name, key)
        else:
            assert type(value) is int, (name, key)


# --- observed payloads (protocols.md B3/B5) ----------------------------------------------------

OBSERVED = [
    ("CML", "1C257C01DC05A00F", {"max_output_voltage_v": 950.0, "min_output_voltage_v": 38.0,
                                 "max_output_current_a": -250.0, "min_output_current_a": 0.0}),
    ("CCS", "C50EA00F0000FD", {"output_voltage_v": 378.1, "output_current_a": 0.0, "charging_time_min": 0.0,
                               "charging_allowed": 1}),
    ("BSD", "4D4D014E013536", {"soc_pct": 77.0, "min_cell_voltage_v": 3.33, "max_cell_voltage_v": 3.34,
                               "min_temperature_c": 3.0, "max_temperature_c": 4.0}),
    ("CSD", "0000010001010101", {"charging_time_min": 0.0, "energy_kwh": 0.1, "charger_number": 0x01010101}),
    ("BHM", "A510", {"max_allowed_voltage_v": 426.1}),
    ("CHM", "010100", {"version": "1.1"}),
    ("BCL", "A510D80E02", {"voltage_demand_v": 426.1, "current_demand_a": -20.0, "mode": 2}),
    ("CRM", "0001010101313233", {"recognition": 0x00, "charger_number": 0x01010101, "region_code": "123"}),
    ("CRM", "AA01010101313233", {"recognition": 0xAA, "charger_number": 0x01010101, "region_code": "123"}),
    ("CTS", "FFFFFFFFFFFFFF", {"datetime": None}),
    ("BRO", "AA", {"ready": 0xAA}),
    ("CRO", "00", {"ready": 0x00}),
    ("BCP", "7201DA052A02A510730803C60E", {"max_cell_voltage_v": 3.70, "max_current_a": -250.2,
                                           "nominal_energy_kwh": 55.4, "max_total_voltage_v": 426.1,
                                           "max_temperature_c": 65.0, "soc_pct": 77.6, "pack_voltage_v": 378.2}),
    ("BCS", "C50EA00F4C614D0000", {"measured_voltage_v": 378.1, "measured_current_a": 0.0,
                                   "highest_cell_voltage_v": 3.32, "highest_cell_group": 6, "soc_pct": 77.0,
                                   "remaining_time_min": 0.0}),
    ("CST", "0400F0F0", {"manual_stop": 1} | {k: 0 for k in fields("CST") if k != "manual_stop"}),
]


@pytest.mark.parametrize(("name", "hexdata", "expected"), OBSERVED, ids=[f"{n}-{h}" for n, h, _ in OBSERVED])
def test_observed_payloads_decode_and_reencode_exactly(name: str, hexdata: str, expected: dict[str, Any]) -> None:
    data = bytes.fromhex(hexdata)
    assert decode(name, data) == expected
    assert encode(name, **expected) == data


def test_observed_cst_then_bst_decode_lsb_first() -> None:
    cst = decode("CST", bytes.fromhex("0400F0F0"))
    assert cst["manual_stop"] == 1 and cst["bms_stopped"] == 0  # MSB-first would read 'BMS stopped'
    bst = decode("BST", bytes.fromhex("40000000"))
    assert bst["charger_stopped"] == 1
    assert [k for k, v in bst.items() if v] == ["charger_stopped"]
    # the observed BMS pads the undefined bits 5-8 of byte 4 with 0; we send 1s (GB/T 27930-2015 7.9)
    assert encode("BST", charger_stopped=1) == bytes.fromhex("400000F0")
    assert encode("CST", manual_stop=1) == bytes.fromhex("0400F0F0")


def test_observed_bsm() -> None:
    bsm = decode("BSM", bytes.fromhex("1B3606350F0010"))
    assert bsm["highest_cell_number"] == 28  # 1 offset
    assert (bsm["max_temperature_c"], bsm["max_temperature_probe"]) == (4.0, 7)
    assert (bsm["min_temperature_c"], bsm["min_temperature_probe"]) == (3.0, 16)
    assert bsm["charging_allowed"] == 1
    assert all(v == 0 for k, v in bsm.items() if k.endswith("_status"))


def test_observed_brm_49_bytes() -> None:
    brm = decode("BRM", OBSERVED_BRM)
    assert brm["version"] == "1.1"
    assert brm["battery_type"] == 3  # LFP
    assert brm["capacity_ah"] == 152.0
    assert brm["rated_voltage_v"] == 364.8
    assert brm["vin"] == "L1NSPGH98NA196202"
    assert (brm["production_month"], brm["production_day"]) == (11, 8)
    assert brm["production_year"] == 1985 + 0x63  # as encoded; the standard's offset is 1985
    assert brm["charge_count"] == 149
    assert brm["property_right"] == 1
    assert (brm["bms_sw_year"], brm["bms_sw_month"], brm["bms_sw_day"]) == (2023, 4, 1)


def test_brm_of_41_bytes_decodes_what_it_has() -> None:
    brm = decode("BRM", OBSERVED_BRM[:41])
    assert brm["vin"] == "L1NSPGH98NA196202"
    assert "bms_sw_year" not in brm
    with pytest.raises(ValueError, match="at least 41"):
        decode("BRM", OBSERVED_BRM[:40])


# --- current sign convention ------------------------------------------------------------------


def test_current_sign_helpers() -> None:
    bcl = decode("BCL", bytes.fromhex("A510D80E02"))
    assert charging_current_a(bcl["current_demand_a"]) == 20.0
    assert encoded_current_a(20.0) == -20.0
    assert charging_current_a(0.0) == 0.0 and str(charging_current_a(0.0)) == "0.0"
    assert encode("BCL", voltage_demand_v=426.1, current_demand_a=encoded_current_a(20), mode=2) == bytes.fromhex(
        "A510D80E02")
    cml = decode("CML", bytes.fromhex("1C257C01DC05A00F"))
    assert charging_current_a(cml["max_output_current_a"]) == 250.0


# --- scaling edges, defaults and 'not available' ----------------------------------------------


@pytest.mark.parametrize(
    ("name", "field", "value", "hexdata"),
    [
        ("BCL", "current_demand_a", -400.0, "0000"),
        ("BCL", "current_demand_a", 6153.5, "FFFF"),
        ("BCL", "current_demand_a", 0.0, "A00F"),
        ("BCL", "voltage_demand_v", 0.0, "0000"),
        ("BCL", "voltage_demand_v", 6553.5, "FFFF"),
        ("BCP", "max_temperature_c", -50.0, "00"),
        ("BCP", "max_temperature_c", 205.0, "FF"),
        ("BCP", "max_cell_voltage_v", 655.35, "FFFF"),
        ("BSM", "highest_cell_number", 1, "00"),
        ("BSM", "highest_cell_number", 256, "FF"),
        ("CSD", "energy_kwh", 1000.0, "1027"),
        ("CSD", "charger_number", 0xFFFFFFFF, "FFFFFFFF"),
    ],
)
def test_scaling_edges(name: str, field: str, value: float, hexdata: str) -> None:
    data = encode(name, **{field: value})
    assert hexdata in data.hex().upper()
    assert decode(name, data)[field] == value


def test_bcs_packed_cell_voltage_and_group_edges() -> None:
    data = encode("BCS", highest_cell_voltage_v=40.95, highest_cell_group=15)
    assert data[4:6] == b"\xff\xff"
    data = encode("BCS", highest_cell_voltage_v=0.0, highest_cell_group=0)
    assert data[4:6] == b"\x00\x00"
    data = encode("BCS", highest_cell_voltage_v=3.32, highest_cell_group=6)
    assert data[4:6] == bytes.fromhex("4C61")
    with pytest.raises(ValueError, match="highest_cell_group"):
        encode("BCS", highest_cell_group=16)
    with pytest.raises(ValueError, match="highest_cell_voltage_v"):
        encode("BCS", highest_cell_voltage_v=40.96)


@pytest.mark.parametrize(
    ("name", "hexdata"),
    [
        ("CHM", "010100"),  # version defaults to V1.1
        ("BHM", "FFFF"),  # not available
        ("BCL", "FFFFFFFFFF"),
        ("CRM", "00FFFFFFFFFFFFFF"),  # not recognised; number and region not available
        ("BRO", "00"),
        ("CRO", "00"),
        ("CTS", "FFFFFFFFFFFFFF"),
        ("CCS", "FFFFFFFFFFFFFC"),  # paused; undefined bits 3-8 of byte 7 are 1s
        ("BST", "000000F0"),
        ("CST", "0000F0F0"),
        ("BEM", "F0F0F0FC"),
        ("CEM", "FCF0C0FC"),
        ("BSM", "FFFFFFFFFF00C0"),
    ],
)
def test_defaults(name: str, hexdata: str) -> None:
    assert encode(name) == bytes.fromhex(hexdata)


def test_none_means_not_available() -> None:
    assert encode("BHM", max_allowed_voltage_v=None) == b"\xff\xff"
    assert encode("CCS", charging_allowed=None)[6] == 0xFF
    assert encode("CHM", version=None) == b"\xff\xff\xff"
    assert decode("CHM", b"\xff\xff\xff") == {"version": "65535.255"}
    assert encode("CRM", region_code=None)[5:] == b"\xff\xff\xff"
    assert decode("CRM", encode("CRM"))["region_code"] == ""
    assert encode("CTS", datetime=None) == b"\xff" * 7


def test_enum_labels_accepted() -> None:
    assert encode("BCL", mode="constant_current")[4] == 2
    assert encode("CRM", recognition="recognised")[0] == 0xAA
    assert encode("CST", manual_stop="triggered") == bytes.fromhex("0400F0F0")
    assert encode("BRM", battery_type="lfp")[3] == 3
    assert encode("BCL", mode=True)[4] == 1  # bool is an int


def test_values_the_standard_calls_invalid_are_encodable() -> None:
    # fault injection in the twin: 11 in a two-bit field, 0x55 as 'ready'
    assert decode("BST", encode("BST", charger_stopped=3))["charger_stopped"] == 3
    assert decode("BRO", encode("BRO", ready=0x55))["ready"] == 0x55


def test_cts_bcd_layout() -> None:
    data = encode("CTS", datetime=datetime(2024, 1, 2, 3, 4, 5))
    assert data == bytes.fromhex("05040302012420")  # sec min hour day month, year low byte first
    assert decode("CTS", data)["datetime"] == datetime(2024, 1, 2, 3, 4, 5)


def test_resolution_rounding() -> None:
    assert decode("BHM", encode("BHM", max_allowed_voltage_v=426.14)) == {"max_allowed_voltage_v": 426.1}
    assert decode("BHM", encode("BHM", max_allowed_voltage_v=426.16)) == {"max_allowed_voltage_v": 426.2}
    assert decode("BCS", encode("BCS", measured_current_a=-0.04))["measured_current_a"] == 0.0


def test_excess_bytes_are_ignored() -> None:
    assert decode("BHM", bytes.fromhex("A510FFFFFFFFFFFF")) == {"max_allowed_voltage_v": 426.1}
    assert decode("BRO", bytearray(b"\xaa\xff\xff")) == {"ready": 0xAA}


# --- variable-length messages -----------------------------------------------------------------


def test_bmv_lengths() -> None:
    one = encode("BMV", cell_voltages_v=[3.33])
    assert one == bytes.fromhex("4D01")  # group defaults to 0
    full = encode("BMV", cell_voltages_v=[3.3] * 256, cell_groups=[n % 16 for n in range(256)])
    assert len(full) == 512
    decoded = decode("BMV", full)
    assert decoded["cell_voltages_v"] == [3.3] * 256
    assert decoded["cell_groups"][:3] == [0, 1, 2]
    assert decode("BMV", one + b"\x4e")["cell_voltages_v"] == [3.33]  # a dangling half cell is dropped
    assert encode("BMV", cell_groups=[1])[1] >> 4 == 1


def test_bmt_and_bsp_lengths() -> None:
    assert encode("BMT", temperatures_c=[25.0]) == bytes([75])
    assert len(encode("BMT", temperatures_c=[0.0] * 128)) == 128
    assert decode("BMT", bytes([50, 51]))["temperatures_c"] == [0.0, 1.0]
    assert encode("BSP", reserved=[1, 2, 3]) == b"\x01\x02\x03"
    assert decode("BSP", b"\x07" * 16) == {"reserved": [7] * 16}


@pytest.mark.parametrize(
    ("name", "kwargs", "match"),
    [
        ("BMV", {"cell_voltages_v": [3.3] * 257}, "1..256"),
        ("BMV", {"cell_voltages_v": []}, "1..256"),
        ("BMV", {"cell_voltages_v": [3.3, 3.3], "cell_groups": [1]}, "common length"),
        ("BMV", {}, "non-empty list"),
        ("BMV", {"cell_voltages_v": 3.3}, "expected a list"),
        ("BMT", {"temperatures_c": [300.0]}, "does not fit"),
        ("BSP", {"reserved": [0] * 17}, "1..16"),
        ("BSP", {"reserved": "abc"}, "expected a list"),
    ],
)
def test_variable_length_errors(name: str, kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        encode(name, **kwargs)


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kwargs", "match"),
    [
        ("XYZ", {}, "unknown GB/T 27930 message 'XYZ'"),
        ("BCL", {"voltage": 1.0}, "BCL has no field 'voltage'"),
        ("BCL", {"voltage_demand_v": -0.1}, r"BCL.voltage_demand_v=-0.1 does not fit: range 0.0..6553.5 V"),
        ("BCL", {"current_demand_a": -400.1}, "current_demand_a"),
        ("BCL", {"voltage_demand_v": "high"}, "unknown label 'high'"),
        ("BCL", {"voltage_demand_v": [1.0]}, "expected a number"),
        ("BCL", {"voltage_demand_v": float("nan")}, "expected a number"),
        ("BCL", {"mode": "turbo"}, "labels: 'constant_voltage', 'constant_current'"),
        ("BRM", {"vin": "L1NSPGH98NA1962021"}, "longer than 17"),
        ("BRM", {"vin": 12345}, "expected text"),
        ("BRM", {"manufacturer": "电池"}, "not ASCII"),
        ("CHM", {"version": "one"}, "major.minor"),
        ("CHM", {"version": "1.256"}, "out of range"),
        ("CTS", {"datetime": "2024-01-01"}, "datetime.datetime"),
        ("BSM", {"highest_cell_number": 0}, "range 1..256"),
    ],
)
def test_encode_errors(name: str, kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        encode(name, **kwargs)


def test_decode_errors() -> None:
    with pytest.raises(ValueError, match="unknown GB/T 27930 message"):
        decode("BMX", b"\x00")
    with pytest.raises(ValueError, match="BCL: payload of 4 bytes, expected at least 5"):
        decode("BCL", bytes.fromhex("A510D80E"))
    with pytest.raises(ValueError, match="expected at least 2"):
        decode("BMV", b"\x01")
    with pytest.raises(ValueError, match="not packed BCD"):
        decode("CTS", bytes.fromhex("0A0403020124FF"))
    with pytest.raises(ValueError, match="invalid date"):
        decode("CTS", bytes.fromhex("05040332012420"))  # day 32
    with pytest.raises(ValueError, match="unknown GB/T 27930 message"):
        can_id("ABC")
    with pytest.raises(ValueError):
        fields("ABC")
