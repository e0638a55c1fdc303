"""The certificate commands end to end on a simulated AC post: a run leaves a draft; the chain is
walked on the command line (the 检定员 refused as 核验员); the issued PDF verifies with the store, and
offline with an exported keys file only; the QR text verifies; ``audit verify`` is clean."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from bench.accounts import DEMO_PASSWORD
from bench.cli import main
from bench.station import example_station_path

pytestmark = pytest.mark.timeout(120)


def _station(tmp_path: Path) -> Path:
    text = example_station_path().read_text("utf-8")
    text = text.replace("port = 15020", "port = 0").replace("port = 19000", "port = 0").replace("speed = 400", "speed = 3000")
    p = tmp_path / "site.toml"
    p.write_text(text, "utf-8")
    return p


def _as(monkeypatch: pytest.MonkeyPatch, name: str, password: str = DEMO_PASSWORD) -> None:
    """Log the next commands in as ``name`` (the environment, as a script does)."""
    monkeypatch.setenv("JIANDING_USER", name)
    monkeypatch.setenv("JIANDING_PASSWORD", password)


def test_chain_on_the_command_line_then_verify(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    db, out = str(tmp_path / "c.db"), str(tmp_path / "out")
    assert main(["--db", db, "demo", "--speed", "3000", "--out", out, "--station", str(_station(tmp_path))]) == 0
    issued = sorted(Path(out).glob("*.pdf"))
    assert [p.name for p in issued] == [p.name for p in issued if not p.name.endswith(".draft.pdf")] and issued
    number = issued[0].stem
    capsys.readouterr()

    # a second run through `verify` without --auto-approve stays a draft until the chain is walked
    assert main(["--db", db, "verify", "jjg1148", "--station", str(_station(tmp_path)), "--auto", "--out", out]) == 0
    assert "drafts await check and approval" in capsys.readouterr().out
    drafts = sorted(Path(out).glob("*.draft.pdf"))
    assert len(drafts) == 1
    second = drafts[0].name.removesuffix(".draft.pdf")
    assert main(["--db", db, "certificate", "check", second, "--out", out]) == 2  # nobody logged in
    assert "JIANDING_USER" in capsys.readouterr().out
    _as(monkeypatch, "王批准")
    assert main(["--db", db, "certificate", "issue", second, "--out", out]) == 2  # not approved yet
    _as(monkeypatch, "张检定")
    assert main(["--db", db, "certificate", "check", second, "--out", out]) == 2  # the 检定员 holds no 核验员 role
    _as(monkeypatch, "李核验", "wrong-password")
    assert main(["--db", db, "certificate", "check", second, "--out", out]) == 2
    assert "wrong name or password" in capsys.readouterr().out
    _as(monkeypatch, "李核验")
    assert main(["--db", db, "certificate", "check", second, "--out", out]) == 0
    _as(monkeypatch, "王批准")
    assert main(["--db", db, "certificate", "approve", second, "--out", out]) == 0
    assert main(["--db", db, "certificate", "issue", second, "--out", out]) == 0
    qr = next(line.split(": ", 1)[1] for line in capsys.readouterr().out.splitlines() if line.startswith("二维码"))
    assert not drafts[0].exists() and (Path(out) / f"{second}.pdf").exists()

    assert main(["--db", db, "certificate", "list"]) == 0
    listing = capsys.readouterr().out
    assert number in listing and second in listing and listing.count("issued") == 2
    assert main(["--db", db, "certificate", "verify", str(Path(out) / f"{second}.pdf")]) == 0
    assert "通过 (VALID)" in capsys.readouterr().out
    assert main(["--db", db, "certificate", "verify", "--qr", qr]) == 0

    keys = tmp_path / "keys.json"
    assert main(["--db", db, "keys", "export", str(keys)]) == 0
    capsys.readouterr()
    [exported] = json.loads(keys.read_text("utf-8"))["keys"]  # the hex form is the platform's (key id rule)
    assert hashlib.sha256(bytes.fromhex(exported["public_key_hex"])).hexdigest()[:16] == exported["key_id"]
    assert main(["certificate", "verify", str(issued[0]), "--offline", "--keys", str(keys)]) == 0
    out_text = capsys.readouterr().out
    assert "signature valid" in out_text and "matches the store" not in out_text  # offline: no store consulted
    assert main(["certificate", "verify", str(issued[0]), "--offline"]) == 2  # no keys: the key is unknown
    assert "not a known key" in capsys.readouterr().out

    assert main(["--db", db, "audit", "verify"]) == 0
    assert main(["--db", db, "keys", "init"]) == 2  # the key exists: never overwritten
