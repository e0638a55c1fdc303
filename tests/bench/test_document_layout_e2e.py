"""Every document kind the demos issue — AC, DC, fuel, meter, water, gas; certificate, notice and
in-service inspection result — rendered from the records real simulated runs froze, and checked page
by page: no cell's text overflows its cell or breaks a code mid-token (reports/fit.py, reportlab's
own wrap results), clauses are clause numbers of the run's edition only, checklist items print
符合/不符合 only, repeatability "≤", U with two significant digits at most, and the annex carries
what is not a legal result, once."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
from pathlib import Path

import pytest

from bench.cli import main
from procedures.records import VerificationRecord
from reports.certificate import render_document
from reports.fit import cell_problems

RUNS = [["ac"], ["ac", "--fail"], ["ac", "--type", "in_use"], ["dc"], ["fuel"], ["fuel", "--fail"],
        ["meter"], ["water"], ["gas"]]


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> list[VerificationRecord]:
    base = tmp_path_factory.mktemp("layout")
    db = base / "demo.db"
    for args in RUNS:
        assert main(["--db", str(db), "demo", *args, "--speed", "5000", "--out", str(base / "out")]) == 0, args
    con = sqlite3.connect(db)
    try:
        rows = con.execute("select record_json from certificate order by id").fetchall()
    finally:
        con.close()
    out: list[VerificationRecord] = []
    seen: dict[tuple[str, str], int] = {}
    for (text,) in rows:
        rec = VerificationRecord.from_dict(json.loads(text))
        key = (rec.regulation_code, rec.kind)
        seen[key] = seen.get(key, 0) + 1
        if seen[key] <= 2:  # two documents of each kind per regulation (a bench issues many alike)
            out.append(rec)
    return out


def _text(pdf: bytes, tmp: Path) -> str:
    path = tmp / "doc.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_every_kind_is_covered(records: list[VerificationRecord]) -> None:
    kinds = {(r.regulation_code.split("-")[0], r.kind) for r in records}
    for reg in ("JJG 1148", "JJG 1149", "JJG 443", "JJG 596", "JJG 162", "JJG 577"):
        assert (reg, "certificate") in kinds
    assert ("JJG 1148", "notice") in kinds and ("JJG 443", "notice") in kinds and ("JJG 1148", "inspection") in kinds


def test_no_cell_overflows_and_no_code_breaks(records: list[VerificationRecord]) -> None:
    problems = [f"{r.certificate_no} ({r.regulation_code} {r.kind}) {p}"
                for r in records for p in cell_problems(lambda r=r: render_document(r))]
    assert problems == []


def test_clauses_are_clause_numbers_of_the_edition_used(records: list[VerificationRecord]) -> None:
    for r in records:
        for item in r.items:
            assert re.fullmatch(r"(\d+(\.\d+)*(, \d+(\.\d+)*)*)?", item.clause), (r.regulation_code, item.clause)
    fuel = next(r for r in records if r.regulation_code == "JJG 443-2023")
    assert all(i.clause == "" for i in fuel.items)  # 2023 clause numbers OPEN; never the 2006 ones
    ac = next(r for r in records if r.regulation_code == "JJG 1148-2022")
    assert {i.key: i.clause for i in ac.items}["working_error"] == "5.1"


def test_printed_results_follow_the_layouts(records: list[VerificationRecord], tmp_path: Path) -> None:
    for r in records:
        text = _text(render_document(r), tmp_path)
        assert "[R" not in text and "[M" not in text and "regulations.md" not in text, r.regulation_code
        assert "(JJG 443-2006)" not in text
        assert "已确认 h" not in text and "1.0 / 1.0" not in text
        assert not re.search(r"-?\d+\.\d{6,}", text), r.certificate_no  # no float noise (−0.0697817)
        assert "±0.1 %" not in text or r.regulation_code != "JJG 443-2023"  # repeatability is "≤"
        if r.regulation_code == "JJG 443-2023":
            assert "≤ 0.10 %" in text
        if r.regulation_code == "JJG 577-2012":
            assert "0.3" in text and "U (k=2)" in text  # the bell prover's U, never smaller
        for m in re.finditer(r"U \(k=2\)", text):
            assert m
        if r.kind != "inspection" and r.regulation_code.startswith("JJG 1148"):
            assert text.count("附页") == 1 and text.count("签名电能数据 Signed") == 1
            assert "电能读数核对" not in text.split("附页")[0]  # never in the legal results


def test_reconciliation_never_decides_or_is_named_as_failing(records: list[VerificationRecord], tmp_path: Path) -> None:
    notice = next(r for r in records if r.regulation_code == "JJG 1148-2022" and r.kind == "notice")
    rec = next(i for i in notice.items if i.key == "reconciliation")
    assert rec.layout == "annex" and not rec.legal
    assert "reconciliation" not in {i.key for i in notice.failing_items}
    text = _text(render_document(notice), tmp_path)
    failing = text.split("不合格项目")[1].split("检定结果")[0]
    assert "电能读数核对" not in failing
