"""``bench/can_decode.py`` (``jianding can decode FILE``): JSON lines out, summary on stderr."""

from __future__ import annotations

import io
import json
from pathlib import Path

import can
import pytest
from gbt_session_log import SESSION_LOG, needs_log

from bench.can_decode import _cli, main
from drivers.gbt27930 import can_id, encode


@needs_log
def test_decode_real_session(capsys: pytest.CaptureFixture[str]) -> None:
    out = io.StringIO()
    assert main(str(SESSION_LOG), out) == 0
    lines = out.getvalue().splitlines()
    assert len(lines) == 1361
    records = [json.loads(line) for line in lines]
    assert set(records[0]) == {"time", "name", "direction", "pgn", "fields", "raw"}
    assert records[0] == {"time": 1703560127.487397, "name": "CHM", "direction": "charger→BMS", "pgn": 9728,
                          "fields": {"version": "1.1"}, "raw": "010100"}
    assert "charger→BMS" in lines[0]  # ensure_ascii=False
    cts = next(r for r in records if r["name"] == "CTS")
    assert cts["fields"] == {"datetime": None}
    summary = json.loads(capsys.readouterr().err.strip().splitlines()[-1])["summary"]
    assert summary["messages"]["BCL"] == 548
    assert summary["foreign_frames"] == 43
    assert summary["tp_failures"] == 0


@needs_log
def test_only_filter(capsys: pytest.CaptureFixture[str]) -> None:
    out = io.StringIO()
    assert main(str(SESSION_LOG), out, only={"CSD", "BRM"}) == 0
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["name"] for r in records] == ["BRM", "CSD", "CSD", "CSD", "CSD"]
    assert records[1]["fields"]["energy_kwh"] == 0.1
    assert json.loads(capsys.readouterr().err)["summary"]["messages"]["BCL"] == 548  # summary counts all


def test_datetime_fields_and_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from datetime import datetime

    path = tmp_path / "t.log"
    with can.Logger(path) as log:
        log.on_message_received(can.Message(timestamp=1.0, arbitration_id=can_id("CTS"), is_extended_id=True,
                                            data=encode("CTS", datetime=datetime(2024, 1, 2, 3, 4, 5))))
        log.on_message_received(can.Message(timestamp=2.0, arbitration_id=can_id("BCL"), is_extended_id=True,
                                            data=encode("BCL", voltage_demand_v=400.0, current_demand_a=-10.0,
                                                        mode=2)))
    assert _cli([str(path), "--only", "cts"]) == 0
    captured = capsys.readouterr()
    (line,) = captured.out.splitlines()
    assert json.loads(line)["fields"] == {"datetime": "2024-01-02T03:04:05"}


def test_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(str(tmp_path / "missing.log"), io.StringIO()) == 2
    assert "cannot read" in capsys.readouterr().err
    (tmp_path / "a.log").write_text("")
    assert main(str(tmp_path / "a.log"), io.StringIO(), only={"XYZ"}) == 2
    assert "unknown message name(s) XYZ" in capsys.readouterr().err
    (tmp_path / "b.nope").write_text("")
    assert main(str(tmp_path / "b.nope"), io.StringIO()) == 2
    assert "cannot read" in capsys.readouterr().err
    out = io.StringIO()
    assert main(str(tmp_path / "a.log"), out) == 0  # an empty trace is fine
    assert out.getvalue() == ""
    assert json.loads(capsys.readouterr().err)["summary"]["frames"] == 0


@pytest.mark.parametrize("suffix", [".log", ".asc", ".blf"])
def test_impossible_charger_values_are_refused_naming_message_and_frame(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str) -> None:
    """Issue 13 line 5: a CCS with a positive output current (current out of the battery), a CCS
    with the 'not available' voltage and a CSD beyond 1000 kWh are not printed as data; each is one
    stderr line naming the file, the frame number and the message; the possible ones decode."""
    path = tmp_path / f"t{suffix}"
    frames = [("CCS", {"output_voltage_v": 380.0, "output_current_a": -120.0, "charging_time_min": 3}),
              ("CCS", {"output_voltage_v": 380.0, "output_current_a": 12.0, "charging_time_min": 3}),
              ("CCS", {"output_voltage_v": None, "output_current_a": -120.0, "charging_time_min": 3}),
              ("CSD", {"charging_time_min": 3, "energy_kwh": 1500.0, "charger_number": 1}),
              ("CSD", {"charging_time_min": 3, "energy_kwh": 12.3, "charger_number": 1})]
    with can.Logger(path) as log:
        for i, (name, fields) in enumerate(frames):
            log.on_message_received(can.Message(timestamp=1.0 + i, arbitration_id=can_id(name), is_extended_id=True,
                                                data=encode(name, **fields)))
    out = io.StringIO()
    assert main(str(path), out) == 0
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(r["name"], r["fields"].get("output_current_a", r["fields"].get("energy_kwh"))) for r in records] == [
        ("CCS", -120.0), ("CSD", 12.3)]
    err = capsys.readouterr().err.splitlines()
    refused = [line for line in err if line.startswith(f"{path}: ")]
    assert len(refused) == 3
    assert refused[0].startswith(f"{path}: 第 2 帧 (frame 2)") and "CCS.output_current_a=12 A 超出 -400…0 A" in refused[0]
    assert "第 3 帧" in refused[1] and "CCS.output_voltage_v=6553.5 V 为不可用值" in refused[1]
    assert "第 4 帧" in refused[2] and "CSD.energy_kwh=1500 kWh" in refused[2]
    summary = json.loads(err[-1])["summary"]
    assert summary["refused"] == 3 and summary["messages"] == {"CCS": 1, "CSD": 1}
