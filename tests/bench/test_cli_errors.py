"""Errors a technician can act on (issue 13, line 7): each input that used to end in a traceback now
ends in one line on stderr naming the file, key or value, with the CLI's exit status; ``| head``
ends quietly; an unknown ``--status`` is refused with the valid values; an error nobody foresaw is
one line with the ``--debug`` hint, and ``--debug`` shows the traceback.

Every test calls :func:`bench.cli.main` (or the installed command, for the pipe) and asserts the one
line — no handler is bypassed or mocked."""

from __future__ import annotations

import subprocess
import sys
import time
import zipfile
from pathlib import Path

import can
import pytest

from bench.cli import main
from bench.cli_errors import DEBUG_HINT, EXIT_BROKEN_PIPE
from tests.bench.conftest import log_in


def _one_line(capsys: pytest.CaptureFixture[str]) -> str:
    """The single line the command wrote to stderr (and nothing on stdout)."""
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err, captured.err
    assert captured.out == ""
    return lines[0]


def _blf(path: Path, frames: int) -> Path:
    """A real BLF recording of ``frames`` GB/T 27930 CHM frames (charger → BMS), written by python-can."""
    start = time.time()
    with can.BLFWriter(str(path)) as writer:
        for i in range(frames):
            writer.on_message_received(can.Message(timestamp=start + i * 0.25, arbitration_id=0x1826F456,
                                                   data=bytes([1, 1, 0, i % 256]), is_extended_id=True))
    return path


def test_station_file_that_is_a_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "site.toml").mkdir()
    assert main(["--db", str(tmp_path / "c.db"), "plan", "jjg1148", "--station", str(tmp_path / "site.toml")]) == 2
    assert _one_line(capsys) == f"错误 (error): {tmp_path / 'site.toml'}: 是目录而非文件 (is a directory, not a file)"


def test_station_file_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere.toml"
    assert main(["--db", str(tmp_path / "c.db"), "verify", "jjg1148", "--station", str(missing), "--auto"]) == 2
    assert _one_line(capsys) == f"错误 (error): 站点文件不存在 (station file not found): {missing}"


def test_station_file_not_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    binary = tmp_path / "site.toml"
    binary.write_bytes(b"[station]\nname = \"\xff\xfe\"\n")
    assert main(["--db", str(tmp_path / "c.db"), "plan", "jjg1148", "--station", str(binary)]) == 2
    assert _one_line(capsys) == f"错误 (error): {binary}: 不是 UTF-8 文本 (not UTF-8 text: byte 18)"


def test_certificate_verify_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "JD2026-00042.pdf"
    assert main(["--db", str(tmp_path / "c.db"), "certificate", "verify", str(missing)]) == 2
    assert _one_line(capsys) == f"错误 (error): 文件不存在 (no such file): {missing}"


def test_certificate_verify_keys_file_not_a_keys_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "keys.json"
    junk.write_text("{not json", "utf-8")
    assert main(["--db", str(tmp_path / "c.db"), "certificate", "verify", "--keys", str(junk), "x.pdf"]) == 2
    assert _one_line(capsys) == f"错误 (error): {junk} 不是公钥文件 (not a Jianding keys file)"


def test_runs_unknown_status_is_refused_with_the_valid_values(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--db", str(tmp_path / "c.db"), "runs", "--status", "bogus"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert ("argument --status: invalid choice: 'bogus' (choose from 'running', 'paused', 'aborted', 'finished', "
            "'void')") in err


def test_runs_known_status_lists(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", str(tmp_path / "c.db"), "runs", "--status", "void"]) == 0
    assert capsys.readouterr().err == ""


def test_ledger_import_corrupt_sheet_xml(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    db = str(tmp_path / "c.db")
    template = tmp_path / "template.xlsx"
    assert main(["--db", db, "ledger", "template", str(template)]) == 0
    capsys.readouterr()
    corrupt = tmp_path / "ledger.xlsx"
    with zipfile.ZipFile(template) as src, zipfile.ZipFile(corrupt, "w") as out:
        for item in src.infolist():
            data = src.read(item.filename)
            out.writestr(item, data[:len(data) // 2] if item.filename.startswith("xl/worksheets/sheet") else data)
    log_in(monkeypatch, db, "张检定", "verifier")
    assert main(["--db", db, "ledger", "import", str(corrupt)]) == 2
    line = _one_line(capsys)
    assert line.startswith(f"错误 (error): 无法读取 Excel 文件 ledger.xlsx，文件已损坏或不是 .xlsx (cannot read the .xlsx "
                           f"file {corrupt}: ParseError: ")
    assert line.endswith("；未导入任何数据 (nothing imported)")


@pytest.mark.parametrize(("name", "content"), [("empty.blf", b""), ("short.blf", b"LOGG\x90\x00\x00\x00")])
def test_can_decode_empty_or_short_blf(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str,
                                       content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert main(["can", "decode", str(path)]) == 2
    assert _one_line(capsys) == (f"错误 (error): CAN 记录损坏 (damaged trace): {path}: 文件头损坏或截断，未能读到第 1 帧 "
                                 "(corrupt or truncated before frame 1: unpack requires a buffer of 72 bytes)")


def test_can_decode_truncated_blf_names_the_frame(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # half a recording: python-can's reader yields the frames it can and drops the cut container
    # silently (rc 0 before); the header's file size says the file was longer
    whole = _blf(tmp_path / "whole.blf", 3000).read_bytes()
    half = tmp_path / "half.blf"
    half.write_bytes(whole[:len(whole) // 2])
    readable = sum(1 for _ in can.BLFReader(str(half)))
    assert 0 < readable < 3000
    assert main(["can", "decode", str(half)]) == 2
    captured = capsys.readouterr()
    assert captured.out.count("\n") == readable  # the frames before the cut were printed
    [line] = captured.err.splitlines()
    assert line == (f"错误 (error): CAN 记录损坏 (damaged trace): {half}: BLF 文件被截断，第 {readable} 帧后中断：文件头"
                    f"声明 {len(whole)} 字节，实有 {len(whole) // 2} 字节 (truncated after frame {readable}: the header "
                    f"states {len(whole)} bytes, the file has {len(whole) // 2})")


def test_can_decode_whole_blf_decodes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["can", "decode", str(_blf(tmp_path / "whole.blf", 50))]) == 0
    assert capsys.readouterr().out.count('"name": "CHM"') == 50


def test_output_into_head_ends_quietly(tmp_path: Path) -> None:
    # the installed command's stdout into a real pipe whose reader stops after one line (| head -1)
    trace = _blf(tmp_path / "long.blf", 5000)
    proc = subprocess.Popen([sys.executable, "-m", "bench.cli", "can", "decode", str(trace)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait() == EXIT_BROKEN_PIPE
    assert b'"name": "CHM"' in first
    assert err == b""


def test_main_ends_quietly_when_the_reader_goes(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # any command's output (here `ledger template`'s confirmation) into a reader that has gone
    class GoneReader:
        def write(self, _text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self) -> None:
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", GoneReader())
    assert main(["--db", str(tmp_path / "c.db"), "ledger", "template", str(tmp_path / "t.xlsx")]) == EXIT_BROKEN_PIPE
    assert capsys.readouterr().err == ""


def test_unexpected_error_is_one_line_with_the_debug_hint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # a database file that is not SQLite: nothing in the commands foresees it
    junk = tmp_path / "c.db"
    junk.write_bytes(b"this is not a database" * 100)
    assert main(["--db", str(junk), "runs"]) == 1
    line = _one_line(capsys)
    assert line.startswith("错误 (error): DatabaseError: ") and "file is not a database" in line
    assert line.endswith(f" — {DEBUG_HINT}")


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    junk = tmp_path / "c.db"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(Exception, match="file is not a database"):
        main(["--debug", "--db", str(junk), "runs"])
