"""Reading keys taken apart and looked up in the label table (data/readings.toml)."""

from __future__ import annotations

import pytest

from procedures.regulations.reading_labels import (
    KeyParts,
    labels_for,
    parse_key,
    position_of_reading,
    regulation_id,
)


@pytest.mark.parametrize(("key", "parts"), [
    ("q1:r2:p07:pulses", KeyParts("q1:pulses", 2, 7, 1)),
    ("q1:p07:pulses", KeyParts("q1:pulses", None, 7, 1)),
    ("@2:gate_1", KeyParts("gate_1", None, None, 2)),
    ("q2@3:ref", KeyParts("q2:ref", None, None, 3)),
    ("p05:r1", KeyParts("", 1, 5, 1)),
    ("s1:standard_end", KeyParts("standard_end", None, None, 1)),
    ("check:表位 12 (SIMWM0012): 外观检查合格", KeyParts("check", None, 12, 1)),
    ("check:外观无破损", KeyParts("check", None, None, 1)),
])
def test_parse_key(key: str, parts: KeyParts) -> None:
    assert parse_key(key) == parts


def test_position_of_reading_and_regulation_id() -> None:
    assert position_of_reading({"key": "p03:qmax:r1"}) == 3
    assert position_of_reading({"key": "std:qmax:r1"}) is None
    assert regulation_id("JJG 1148-2022") == "jjg1148" and regulation_id("jjg162") == "jjg162"


def test_lookup_by_term_index_and_quantity() -> None:
    ac = labels_for("JJG 1148-2022")
    term, parts = ac.reading("gate_2", "std_pulses")
    assert term is not None and term.symbol == "m" and parts.repetition == 2
    assert term.format(9968.0) == "9968"
    energy, _ = ac.reading("s1:standard_end", "energy_standard")
    assert energy is not None and energy.unit == "kWh" and energy.format(516.40071) == "0.516401"  # Wh → kWh
    meter = labels_for("JJG 596-2012")
    assert meter.reading("p05:register:before", "register")[0].symbol == "R_0"  # type: ignore[union-attr]
    assert meter.reading("std:before", "energy")[0].symbol == "E_0"  # type: ignore[union-attr]
    assert meter.reading("p05:r1", "error")[0].symbol == "γ"  # type: ignore[union-attr]  # by quantity
    assert meter.reading("p05:mystery", "mystery")[0] is None  # unknown: prints under its key
    assert ac.unit("degC") == "°C" and ac.unit("percent") == "%"
    check, _ = ac.reading("check:外观无破损", "checklist")
    assert check is not None and check.format(1.0) == "符合" and check.format(0.0) == "不符合"


def test_dc_inherits_ac_labels_with_its_own_wording() -> None:
    dc = labels_for("JJG 1149-2022")
    assert dc.reading("gate_1", "std_pulses")[0].zh == "标准脉冲数"  # type: ignore[union-attr]  # from JJG 1148
    assert dc.extra("voltage_v").zh == "直流电压"  # type: ignore[union-attr]
    assert labels_for("jjg1148").extra("voltage_v").zh == "电压"  # type: ignore[union-attr]
    assert dc.extra("text") is None  # bookkeeping: the text as typed does not print
    assert dc.step("working_error_3") == (dc.step("working_error")[0], 3)
