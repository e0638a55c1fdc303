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
