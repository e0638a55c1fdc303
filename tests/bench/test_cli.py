"""The ``jianding`` command: verify against a station file (refused until the standard is on the
ledger), standards and ledger listings, runs and show."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from bench.cli import main
from bench.station import example_station_path

pytestmark = pytest.mark.timeout(90)


def _station(tmp_path: Path) -> Path:
    text = example_station_path().read_text("utf-8")
    text = text.replace("port = 15020", "port = 0").replace("port = 19000", "port = 0").replace("speed = 400", "speed = 3000")
    p = tmp_path / "site.toml"
    p.write_text(text, "utf-8")
    return p


def test_verify_refused_then_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db, out, station = str(tmp_path / "c.db"), str(tmp_path / "out"), str(_station(tmp_path))
    assert main(["--db", db, "verify", "jjg1148", "--station", station, "--auto", "--out", out]) == 2
    err = capsys.readouterr().err
    assert "JDSIM-REF-0001" in err and "不在标准器台账中" in err

    expired = (date.today() - timedelta(days=1)).isoformat()
    assert main(["--db", db, "standards", "add", "--name", "交流充电桩检定装置", "--model", "JD-SIM-REF",
                 "--serial", "JDSIM-REF-0001", "--certificate", "CAL-1", "--calibrated", "2025-01-01",
                 "--valid-until", expired]) == 0
    assert main(["--db", db, "verify", "jjg1148", "--station", station, "--auto", "--out", out]) == 2
    assert expired in capsys.readouterr().err

    db2 = str(tmp_path / "d.db")
    valid = (date.today() + timedelta(days=30)).isoformat()
    assert main(["--db", db2, "standards", "add", "--name", "交流充电桩检定装置", "--model", "JD-SIM-REF",
                 "--serial", "JDSIM-REF-0001", "--certificate", "CAL-2", "--calibrated", "2026-01-01",
                 "--valid-until", valid]) == 0
    assert main(["--db", db2, "verify", "jjg1148", "--station", station, "--auto", "--type", "subsequent",
                 "--out", out]) == 0
    text = capsys.readouterr().out
    assert "后续检定" in text and "检定证书" in text and "±180.0 s" in text  # as the certificate prints it

    assert main(["--db", db2, "standards", "list"]) == 0
    assert "CAL-2" in capsys.readouterr().out
    assert main(["--db", db2, "instruments", "list"]) == 0
    assert "SIM0001" in capsys.readouterr().out
    assert main(["--db", db2, "runs"]) == 0
    run_line = capsys.readouterr().out.strip().splitlines()[0]
    assert "finished" in run_line and "合格" in run_line
    assert main(["--db", db2, "show", run_line.split()[0], "--readings"]) == 0
    shown = capsys.readouterr().out
    assert "工作误差" in shown and "gate_1" in shown
    original = tmp_path / "original.pdf"
    assert main(["--db", db2, "show", run_line.split()[0], "--original-record", str(original)]) == 0
    readings = int(capsys.readouterr().out.split("—")[-1].split()[0])
    assert original.read_bytes().startswith(b"%PDF") and readings > 10


def test_resume_with_nothing_pending(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", str(tmp_path / "e.db"), "resume"]) == 1
    assert "没有待继续的检定" in capsys.readouterr().out
