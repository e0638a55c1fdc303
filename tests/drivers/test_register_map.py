"""Register maps as data: shipped maps load, the codec round-trips, bad maps fail with clear errors."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from drivers.meters.register_map import (
    GATE_QUANTITIES,
    INSTANTANEOUS_QUANTITIES,
    LOAD_QUANTITIES,
    TYPES,
    RegisterMapError,
    decode_registers,
    encode_value,
    load_map,
    parse_map,
    shipped_maps,
)

GOOD_HEADER = """
[meter]
model = "T1"
maker = "Test"
word_order = "big"
byte_order = "big"
"""


def test_shipped_maps_are_listed_and_load() -> None:
    names = shipped_maps()
    assert {"jianding_sim_ref", "eastron_sdm630"} <= set(names)
    for name in names:
        m = load_map(name)
        assert m.name == name
        if m.has("run_state", "std_volume"):  # a flow bench's map (water/gas meters), not an energy meter's
            assert m.has_position("fault_code", "test_pulses", "pulse_constant")
            continue
        ac_only = () if m.current_kind == "DC" else ("power_factor", "frequency")
        assert m.has(*(q for q in INSTANTANEOUS_QUANTITIES if q not in ("power_factor", "frequency")), *ac_only,
                     "energy_import")


def test_sim_map_has_gate_load_and_high_resolution_energy() -> None:
    m = load_map("jianding_sim_ref")
    assert m.has(*GATE_QUANTITIES, *LOAD_QUANTITIES)
    energy = m.register("energy_import")
    assert (energy.type, energy.unit) == ("float64", "Wh")
    assert m.register("gate_std_pulses").type == "uint64"
    assert all(m.register(q).writable for q in ("gate_control", "gate_target", *LOAD_QUANTITIES))


def test_sdm630_map_matches_eastron_documentation() -> None:
    m = load_map("eastron_sdm630")
    assert (m.maker, m.model, m.word_order) == ("Eastron", "SDM630", "big")
    expected = {"voltage": 0x0000, "current": 0x0006, "active_power": 0x000C, "active_power_total": 0x0034,
                "power_factor": 0x001E, "frequency": 0x0046, "energy_import": 0x0048, "energy_total": 0x0156}
    for quantity, address in expected.items():
        reg = m.register(quantity)
        assert (reg.table, reg.address, reg.type) == ("input", address, "float32"), quantity
    assert m.register("energy_import").scale == 1000.0  # kWh on the wire, Wh in Jianding
    assert m.missing(GATE_QUANTITIES) == list(GATE_QUANTITIES)
    assert not m.has(*LOAD_QUANTITIES)


def test_decode_test_vectors_float32_abcd() -> None:
    # IEEE-754: 230.0 = 0x43660000, 50.0 = 0x42480000, 1.0 = 0x3F800000 (Eastron sends ABCD)
    assert decode_registers([0x4366, 0x0000], "float32") == 230.0
    assert decode_registers([0x4248, 0x0000], "float32") == 50.0
    assert decode_registers([0x0000, 0x4366], "float32", word_order="little") == 230.0
    assert decode_registers([0x6643, 0x0000], "float32", byte_order="little") == 230.0
    m = load_map("eastron_sdm630")
    assert m.decode("voltage", [0x4366, 0x0000]) == 230.0
    assert m.decode("energy_import", [0x3F80, 0x0000]) == 1000.0  # 1 kWh -> 1000 Wh
    assert m.encode("frequency", 50.0) == [0x4248, 0x0000]


@pytest.mark.parametrize("word_order", ["big", "little"])
@pytest.mark.parametrize("byte_order", ["big", "little"])
@pytest.mark.parametrize(("type_name", "value"), [
    ("float32", 230.5), ("float64", 12345.678901234), ("int16", -1234), ("uint16", 65535),
    ("int32", -123456789), ("uint32", 4_000_000_000), ("uint64", 2**63 + 12345),
])
def test_encode_decode_round_trip(type_name: str, value: float, word_order: str, byte_order: str) -> None:
    regs = encode_value(value, type_name, word_order=word_order, byte_order=byte_order)  # type: ignore[arg-type]
    assert len(regs) == TYPES[type_name].value[1]
    assert all(0 <= r <= 0xFFFF for r in regs)
    back = decode_registers(regs, type_name, word_order=word_order, byte_order=byte_order)  # type: ignore[arg-type]
    assert back == value
    if type_name.startswith("uint") or type_name.startswith("int"):
        assert isinstance(back, int)


def test_word_order_really_swaps_words() -> None:
    assert encode_value(230.0, "float32", word_order="big") == [0x4366, 0x0000]
    assert encode_value(230.0, "float32", word_order="little") == [0x0000, 0x4366]
    assert encode_value(0x0102030405060708, "uint64", word_order="little") == [0x0708, 0x0506, 0x0304, 0x0102]


def test_scaled_integer_energy_in_mwh() -> None:
    regs = encode_value(123456.789, "uint64", scale=0.001)
    assert decode_registers(regs, "uint64") == 123456789
    assert math.isclose(decode_registers(regs, "uint64", scale=0.001), 123456.789, rel_tol=0, abs_tol=1e-9)


def test_out_of_range_integer_is_rejected_not_wrapped() -> None:
    with pytest.raises(ValueError, match="outside the range"):
        encode_value(70000, "uint16")
    with pytest.raises(ValueError, match="outside the range"):
        encode_value(-1, "uint32")
    with pytest.raises(ValueError, match="gate_target"):
        load_map("jianding_sim_ref").encode("gate_target", -5)


def test_reads_are_grouped_into_few_requests() -> None:
    sim = load_map("jianding_sim_ref")
    spans = sim.plan_reads(INSTANTANEOUS_QUANTITIES)
    assert [(s.table, s.address, s.count) for s in spans] == [("input", 0, 10)]
    status = sim.plan_reads(["gate_state", "gate_dut_pulses", "gate_target"])
    assert [(s.table, s.address, s.count) for s in status] == [("input", 0x20, 4), ("holding", 0x100, 2)]
    sdm = load_map("eastron_sdm630")
    assert [(s.address, s.count) for s in sdm.plan_reads(INSTANTANEOUS_QUANTITIES)] == [(0, 72)]
    # energy_total at 0x0156 is far away: a second request, never one spanning 0x0000..0x0157
    assert len(sdm.plan_reads([*INSTANTANEOUS_QUANTITIES, "energy_total"])) == 2


def test_decode_span_uses_each_registers_offset() -> None:
    m = load_map("eastron_sdm630")
    (span,) = m.plan_reads(["voltage", "power_factor"])
    assert (span.address, span.count) == (0, 0x20)
    regs = [0] * span.count
    regs[0:2] = [0x4366, 0x0000]
    regs[0x1E:0x20] = [0x3F80, 0x0000]
    assert m.decode_span(span, regs) == {"voltage": 230.0, "power_factor": 1.0}
    # voltage and frequency are 68 registers apart, more than max_read_gap = 64: two requests
    assert len(m.plan_reads(["voltage", "frequency"])) == 2


def test_adjacent_writes_are_one_request_in_caller_order() -> None:
    m = load_map("jianding_sim_ref")
    assert m.plan_writes({"gate_target": 5, "gate_control": 1}) == [(0x100, [0, 5, 1])]
    # reversed order: not back to back on the wire in that order, so two requests, control last
    assert m.plan_writes({"gate_control": 0, "gate_target": 5}) == [(0x102, [0]), (0x100, [0, 5])]
    with pytest.raises(RegisterMapError, match="not writable"):
        m.plan_writes({"voltage": 230.0})


def _write(tmp_path: Path, body: str, header: str = GOOD_HEADER) -> Path:
    path = tmp_path / "bad_meter.toml"
    path.write_text(header + body, encoding="utf-8")
    return path


GOOD_REG = """
[registers.voltage]
table = "input"
address = 0
type = "float32"
scale = 1.0
unit = "V"
"""


@pytest.mark.parametrize(("header", "body", "where", "why"), [
    ("", GOOD_REG, "[meter]", "missing"),
    (GOOD_HEADER.replace('word_order = "big"', 'word_order = "middle"'), GOOD_REG,
     "[meter] word_order", "'middle'"),
    (GOOD_HEADER, GOOD_REG.replace('"float32"', '"float16"'), "[registers.voltage] type", "float16"),
    (GOOD_HEADER, GOOD_REG.replace("address", "adress"), "[registers.voltage] adress", "unknown key"),
    (GOOD_HEADER, GOOD_REG.replace('table = "input"', 'table = "coil"'), "[registers.voltage] table", "coil"),
    (GOOD_HEADER, GOOD_REG.replace("address = 0", "address = 70000"), "[registers.voltage] address", "70000"),
    (GOOD_HEADER, GOOD_REG.replace("scale = 1.0", "scale = 0"), "[registers.voltage] scale", "non-zero"),
    (GOOD_HEADER, GOOD_REG.replace('unit = "V"', 'unit = "kV"'), "[registers.voltage] unit", "'V'"),
    (GOOD_HEADER, GOOD_REG + GOOD_REG.replace("voltage", "current").replace("address = 0", "address = 1")
     .replace('"V"', '"A"'), "[registers.current] address", "overlaps voltage"),
    (GOOD_HEADER, GOOD_REG + '\n[registers.gate_control]\ntable = "holding"\naddress = 0\ntype = "uint16"\n'
     'unit = "1"\n', "[registers.gate_control] writable", "must be a writable holding register"),
    (GOOD_HEADER, GOOD_REG.replace('unit = "V"', 'unit = "V"\nwritable = true'),
     "[registers.voltage] writable", "only holding"),
    (GOOD_HEADER, "", "[registers]", "no registers"),
    (GOOD_HEADER, GOOD_REG.replace("[registers.voltage]", "[registers.Voltage-L1]"),
     "[registers.Voltage-L1]", "lower_case"),
])
def test_bad_map_names_file_and_key(tmp_path: Path, header: str, body: str, where: str, why: str) -> None:
    path = _write(tmp_path, body, header)
    with pytest.raises(RegisterMapError) as info:
        load_map(path)
    msg = str(info.value)
    assert str(path) in msg
    assert where in msg
    assert why in msg


def test_invalid_toml_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(RegisterMapError, match="not valid TOML"):
        load_map(_write(tmp_path, "[registers.voltage\n"))
    with pytest.raises(RegisterMapError, match="cannot read"):
        load_map(tmp_path / "nope.toml")
    with pytest.raises(RegisterMapError, match=r"shipped maps: .*eastron_sdm630"):
        load_map("acme_9000")


def test_parse_map_accepts_a_minimal_custom_map() -> None:
    m = parse_map(GOOD_HEADER + GOOD_REG, "inline.toml")
    assert m.name == "inline"
    assert m.title == "Test T1"
    assert m.register("voltage").count == 2
