"""调整后重新检定 (bench.adjustment): a post fails, is adjusted, and is verified again as a run linked
to the failed one — the link refused for a passing run, another instrument or no note; the new
record's 调整/修理情况 names what was done and the failed run's record and notice; the printed
document carries it; the failed run keeps its notice."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from bench.adjustment import adjustment_link, adjustment_of
from bench.cli import demo_entries
from bench.controller import Controller, RunRequest
from bench.operators import AutoOperator
from bench.station import Station, StationError
from bench.store import Store
from tests.bench.test_run_e2e import _pdf_text

pytestmark = pytest.mark.timeout(120)
FAIL = {"ac_post": {"error_pct": 2.6}}
NOTE = "更换计量芯片并校准 (metering chip replaced and calibrated)"


async def test_adjusted_run_is_linked_to_the_failed_one(store: Store, station: Station, tmp_path: Path) -> None:
    ctl = Controller(store, tmp_path / "out")
    failed_id = ctl.prepare(RunRequest(station=copy.deepcopy(station), sim_overrides=FAIL))
    failed = await ctl.execute(failed_id, AutoOperator(demo_entries(ctl)))
    assert failed.record is not None and failed.record.conclusion == "不合格" and failed.record.adjustment_note == ""
    with pytest.raises(StationError, match="说明调整或修理情况"):
        ctl.prepare(RunRequest(station=copy.deepcopy(station), adjusts_run=failed_id, adjustment_note=" "))
    with pytest.raises(StationError, match="同一器具"):
        adjustment_of(store, failed_id, NOTE, "OTHER-1")
    with pytest.raises(StationError, match="无此检定"):
        adjustment_of(store, "feedbeef", NOTE, "SIM0001")
    run_id = ctl.prepare(RunRequest(station=copy.deepcopy(station), adjusts_run=failed_id[:8], adjustment_note=NOTE))
    link = adjustment_link(store.get_run(run_id).params_json)
    assert link is not None and link["after_run"] == failed_id and link["notice_no"] == failed.record.certificate_no
    summary = await ctl.execute(run_id, AutoOperator(demo_entries(ctl)))  # resumable params: rebuilt from the JSON
    rec = summary.record
    assert rec is not None and rec.passed
    assert rec.adjustment_note.startswith(NOTE) and failed.record.record_no in rec.adjustment_note
    assert failed.record.certificate_no in rec.adjustment_note
    text = _pdf_text(summary.document)  # type: ignore[arg-type]
    assert "更换计量芯片并校准" in text  # printed under 调整/修理情况
    assert store.get_run(failed_id).conclusion == "不合格"  # the failed run keeps its record and notice
    with pytest.raises(StationError, match="不是已完成的不合格检定"):  # a passing run is not re-verified after adjustment
        ctl.prepare(RunRequest(station=copy.deepcopy(station), adjusts_run=run_id, adjustment_note=NOTE))
    assert any("调整后重新检定" in e.detail for e in store.audit_log(run_id))
