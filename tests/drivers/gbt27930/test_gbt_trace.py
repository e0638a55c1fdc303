"""Decoding recorded traces: the real 2015-protocol session (candump log, test data only — see
/work/shared/reference/data/gbt27930/SOURCES.md), the same frames as .asc/.blf/.csv, and synthetic
traces with transport failures and bad payloads."""

from __future__ import annotations

from pathlib import Path

import can
import pytest
from gbt_session_log import SESSION_LOG, needs_log

from drivers.gbt27930 import BMS_SA, CHARGER_SA, can_id, encode
from drivers.gbt27930.trace import (
    BMS_TO_CHARGER,
    CHARGER_TO_BMS,
    DecodedMessage,
    TraceDecoder,
    decode_trace,
)

EXPECTED_COUNTS = {
    "CHM": 66, "BHM": 67, "CRM": 2, "BRM": 1, "BCP": 1, "CTS": 3, "CML": 5, "BRO": 6, "CRO": 2,
    "BCL": 548, "BCS": 110, "CCS": 396, "BSM": 109, "CST": 26, "BST": 10, "BSD": 5, "CSD": 4,
}


@pytest.fixture(scope="module")
def session() -> tuple[list[DecodedMessage], TraceDecoder]:
    if not SESSION_LOG.is_file():
        pytest.skip("real session log not available")
    decoder = decode_trace(SESSION_LOG)
    return list(decoder), decoder


def _first(messages: list[DecodedMessage], name: str, **match: object) -> int:
    for i, m in enumerate(messages):
        if m.name == name and all(m.fields.get(k) == v for k, v in match.items()):
            return i
    raise AssertionError(f"no {name} {match}")


@needs_log
def test_session_counts_and_foreign_frames(session: tuple[list[DecodedMessage], TraceDecoder]) -> None:
    messages, decoder = session
    stats = decoder.stats
    assert stats.frames == 1857
    assert dict(stats.messages) == EXPECTED_COUNTS
    assert stats.foreign_frames == 43
    assert dict(stats.foreign_ids) == {0x0070F4B5: 42, 0x0073F4B5: 1}
    assert stats.tp_failures == [] and stats.decode_errors == []
    assert stats.tp_frames == 112 + 224 + 229  # RTS, CTS + acks, DT
    assert len(messages) == sum(EXPECTED_COUNTS.values())
    assert stats.as_dict()["foreign_ids"] == {"0070F4B5": 42, "0073F4B5": 1}


@needs_log
def test_session_sequence(session: tuple[list[DecodedMessage], TraceDecoder]) -> None:
    messages, _ = session
    order = [
        _first(messages, "CHM"),
        _first(messages, "CRM", recognition=0x00),
        _first(messages, "BRM"),
        _first(messages, "CRM", recognition=0xAA),
        _first(messages, "BCP"),
        _first(messages, "CTS"),
        _first(messages, "BRO", ready=0xAA),
        _first(messages, "CRO", ready=0xAA),
        _first(messages, "BCL"),
        _first(messages, "CST", manual_stop=1),
        _first(messages, "BST", charger_stopped=1),
        _first(messages, "BSD"),
    ]
    assert order == sorted(order)
    assert _first(messages, "BHM") < _first(messages, "CRM")
    assert _first(messages, "CML") < _first(messages, "BRO", ready=0xAA)
    for name in ("BCS", "CCS", "BSM"):
        assert _first(messages, "CRO", ready=0xAA) < _first(messages, name) < _first(messages, "CST")
    assert _first(messages, "CSD") > _first(messages, "CST")
    assert all(m.name != "BCL" for m in messages[_first(messages, "BSD"):])
    assert messages == sorted(messages, key=lambda m: m.time)


@needs_log
def test_session_values(session: tuple[list[DecodedMessage], TraceDecoder]) -> None:
    messages, _ = session
    chm = messages[_first(messages, "CHM")]
    assert (chm.direction, chm.pgn, chm.raw, chm.fields) == (CHARGER_TO_BMS, 0x2600, "010100", {"version": "1.1"})
    brm = messages[_first(messages, "BRM")]
    assert brm.direction == BMS_TO_CHARGER and len(brm.raw) == 98  # 49 bytes reassembled
    assert brm.fields["vin"] == "L1NSPGH98NA196202" and brm.fields["version"] == "1.1"
    assert brm.time == pytest.approx(1703560144.080982)  # the last DT frame
    bcl = messages[_first(messages, "BCL", current_demand_a=-20.0)]
    assert bcl.raw == "A510D80E02"
    assert bcl.fields == {"voltage_demand_v": 426.1, "current_demand_a": -20.0, "mode": 2}
    crm = messages[_first(messages, "CRM", recognition=0xAA)]
    csd = [m for m in messages if m.name == "CSD"]
    assert {m.fields["energy_kwh"] for m in csd} == {0.1}
    assert {m.fields["charger_number"] for m in csd} == {crm.fields["charger_number"]} == {0x01010101}
    assert crm.fields["region_code"] == "123"
    cst = messages[_first(messages, "CST")]
    assert cst.raw == "0400F0F0"
    bst = messages[_first(messages, "BST")]
    assert bst.raw == "40000000"
    bsd = messages[_first(messages, "BSD")]
    assert bsd.fields == {"soc_pct": 77.0, "min_cell_voltage_v": 3.33, "max_cell_voltage_v": 3.34,
                          "min_temperature_c": 3.0, "max_temperature_c": 4.0}
    assert all(m.fields["charging_allowed"] == 1 for m in messages if m.name == "CCS")


@needs_log
@pytest.mark.parametrize("suffix", [".asc", ".blf", ".csv"])
def test_other_formats_decode_identically(session: tuple[list[DecodedMessage], TraceDecoder], tmp_path: Path,
                                          suffix: str) -> None:
    messages, decoder = session
    path = tmp_path / f"session{suffix}"
    with can.Logger(path) as writer:
        for frame in can.LogReader(SESSION_LOG):
            writer.on_message_received(frame)
    other = decode_trace(path)
    again = list(other)
    assert [(m.name, m.direction, m.pgn, m.fields, m.raw) for m in again] == [
        (m.name, m.direction, m.pgn, m.fields, m.raw) for m in messages]
    assert max(abs(a.time - b.time) for a, b in zip(again, messages, strict=True)) < 1e-3
    assert other.stats.as_dict() == decoder.stats.as_dict()


def _frame(t: float, ident: int, hexdata: str, **kw: object) -> can.Message:
    options: dict[str, object] = {"is_extended_id": True} | kw
    return can.Message(timestamp=t, arbitration_id=ident, data=bytes.fromhex(hexdata), **options)  # type: ignore[arg-type]


def test_synthetic_trace_failures_and_errors() -> None:
    frames = [
        _frame(0.0, can_id("BHM"), "A510"),
        _frame(0.1, can_id("BHM"), "A5"),  # too short: a decode error, not a crash
        _frame(0.2, 0x1CEC56F4, "10310007FF000200"),  # BRM RTS, then only two DT
        _frame(0.3, 0x1CECF456, "110701FFFF000200"),
        _frame(0.3, 0x1CEB56F4, "0101010003F00540"),
        _frame(0.4, 0x1CEB56F4, "020E010000000100"),
        _frame(0.5, 0x1CEC56F4, "10090002FF001100"),  # a new RTS supersedes it: BCS
        _frame(0.6, 0x1CECF456, "110201FFFF001100"),
        _frame(0.6, 0x1CEB56F4, "02" + "0000FFFFFFFFFF"),  # out of order
        _frame(0.7, 0x1CEB56F4, "01C50EA00F4C614D"),
        _frame(0.8, 0x1CEC56F4, "100D0002FF000600"),  # BCP never finished
        _frame(0.9, 0x123, "00", is_extended_id=False),  # 11-bit frame
        _frame(1.0, 0x18FEF100, "FF"),  # J1939 broadcast from another node
        _frame(1.1, 0x1CEC56F5, "10310007FF000200"),  # TP of another node
        _frame(1.2, 0, "", is_error_frame=True),
    ]
    decoder = TraceDecoder(frames)
    out = list(decoder)
    assert [m.name for m in out] == ["BHM", "BCS"]
    assert out[1].fields["measured_voltage_v"] == 378.1 and out[1].time == 0.7
    s = decoder.stats
    assert s.messages == {"BHM": 1, "BCS": 1}
    assert len(s.decode_errors) == 1 and "BHM" in s.decode_errors[0]
    assert len(s.tp_failures) == 2
    assert "superseded" in s.tp_failures[0] and "trace ended" in s.tp_failures[1]
    assert s.foreign_frames == 4 and s.tp_frames == 9


def test_single_frame_bmv_and_wrong_way_tp() -> None:
    frames = [
        _frame(0.0, can_id("BMV"), encode("BMV", cell_voltages_v=[3.3, 3.31]).hex()),
        _frame(0.1, 0x1CECF456, "10090002FF000600"),  # a "BCP" sent by the charger
        _frame(0.2, 0x1CEBF456, "0101020304050607"),
        _frame(0.3, 0x1CEBF456, "020809FFFFFFFFFF"),
    ]
    decoder = TraceDecoder(frames)
    out = list(decoder)
    assert len(out) == 1
    assert out[0].name == "BMV" and out[0].direction == BMS_TO_CHARGER
    assert out[0].fields == {"cell_voltages_v": [3.3, 3.31], "cell_groups": [0, 0]}
    assert decoder.stats.tp_frames == 3
    assert len(decoder.stats.decode_errors) == 1
    assert f"BCP via TP from 0x{CHARGER_SA:02X}" in decoder.stats.decode_errors[0]
    assert BMS_SA == 0xF4


def test_missing_file_and_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        decode_trace(tmp_path / "nope.log")
    weird = tmp_path / "x.weird"
    weird.write_text("")
    with pytest.raises(ValueError):
        decode_trace(weird)
