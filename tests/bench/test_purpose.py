"""Why a run was made (检定目的) and the ledger facts the bureaus' tables count (民用, 备案, 投用日期):
stored with the run and the instrument, defaulting by verification type, refused when unknown, kept
through the schema migration."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bench.catalog import default_purpose, purpose_choices, purpose_zh
from bench.cli import main
from bench.controller import Controller, RunRequest
from bench.station import Station, StationError
from bench.store import Store
from tests.bench.conftest import migrate


def test_purposes_as_data() -> None:
    assert [c.zh for c in purpose_choices()] == ["首次检定", "周期检定", "监督抽查", "投诉举报", "仲裁检定", "委托检定"]
    assert (default_purpose("first"), default_purpose("subsequent"), default_purpose("in_use")) == (
        "first", "periodic", "sampling")
    assert purpose_zh("complaint") == "投诉举报" and purpose_zh("") == ""


def test_a_run_carries_its_purpose(store: Store, station: Station, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    ctl = Controller(store, tmp_path)
    complaint = ctl.prepare(RunRequest(station=station, purpose="complaint"))
    inspection = ctl.prepare(RunRequest(station=station, verification_type="in_use"))
    assert store.get_run(complaint).purpose == "complaint" and store.get_run(inspection).purpose == "sampling"
    with pytest.raises(StationError, match=r"unknown purpose.*complaint"):
        ctl.prepare(RunRequest(station=station, purpose="curiosity"))
    assert main(["--db", str(store.path), "runs"]) == 0
    out = capsys.readouterr().out
    assert "投诉举报" in out and "监督抽查" in out


def test_station_instrument_ledger_facts_are_typed(store: Store, station: Station, tmp_path: Path) -> None:
    station.raw["instrument"].update(household="否", filing_status="已备案", commissioned_on=date(2023, 3, 1))
    Controller(store, tmp_path).prepare(RunRequest(station=station))
    row = store.find_instrument("SIM0001")
    assert row is not None and (row.household, row.filing_status, row.commissioned_on) == (False, "已备案",
                                                                                          date(2023, 3, 1))
    station.raw["instrument"].update(serial="SIM0002", household="maybe")
    with pytest.raises(StationError, match="household"):
        Controller(store, tmp_path).prepare(RunRequest(station=station, instrument_serial="SIM0002"))


def test_migration_0007_adds_the_columns_and_keeps_the_rows(store: Store, station: Station, tmp_path: Path) -> None:
    from sqlalchemy import inspect

    run_id = Controller(store, tmp_path).prepare(RunRequest(station=station, purpose="arbitration"))
    migrate(store, "0006", down=True)
    assert "purpose" not in {c["name"] for c in inspect(store.engine).get_columns("run")}
    migrate(store, "head")
    run = store.get_run(run_id)
    assert run.purpose == "" and run.regulation == "jjg1148"  # a run made before: purpose unknown
    row = store.find_instrument("SIM0001")
    assert row is not None and row.household is None and row.filing_status == "" and row.commissioned_on is None
