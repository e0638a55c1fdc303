"""The 计量标准装置 the institution holds (bench.store StandardSetup): entered with its 计量标准考核证书
or 社会公用计量标准证书, its main instruments named; a run whose 装置 certificate has expired is refused
before it starts exactly as one whose standard's calibration has; a finished run's record carries the
装置, and its document prints it (使用的计量标准装置, then 主要计量器具) with the instrument's specification
and the regulation's conditions."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from bench.cli import main
from bench.controller import Controller, RunRequest
from bench.demo_seed import DEMO_STANDARDS, seed_demo_standards
from bench.station import Station
from bench.store import StandardNotUsable, Store
from procedures.records import VerificationRecord

TODAY = date.today()


def _setup(store: Store, valid_until: date, *, kind: str = "计量标准考核证书") -> None:
    store.add_setup(name="电动汽车交流充电桩检定装置", certificate_kind=kind, certificate_no="[2023]示量标证字第009号",
                    issued_by="示例市市场监督管理局", valid_until=valid_until)


def test_a_setup_whose_certificate_expired_refuses_its_standards(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    _setup(store, date(2026, 1, 31))
    store.add_standard(**DEMO_STANDARDS["JDSIM-REF-0001"], calibrated_on=date(2025, 6, 1),
                       valid_until=date(2026, 12, 31), setup="[2023]示量标证字第009号")
    store.add_standard(name="卫星授时时钟测试仪", model="GT-200", serial="GT-1", certificate_no="SJ-1",
                       calibrated_on=date(2025, 6, 1), valid_until=date(2026, 12, 31))  # of no 装置
    assert [s.serial for s in store.usable_standards(["JDSIM-REF-0001"], date(2026, 1, 31))] == ["JDSIM-REF-0001"]
    with pytest.raises(StandardNotUsable) as e:
        store.usable_standards(["GT-1", "JDSIM-REF-0001"], date(2026, 2, 1))
    message = str(e.value)
    assert message.startswith("计量标准装置 电动汽车交流充电桩检定装置 的计量标准考核证书已过期")
    assert "[2023]示量标证字第009号" in message and "2026-01-31" in message and "拒绝检定" in message
    assert "expired on 2026-01-31" in message  # English after the Chinese
    assert [s.serial for s in store.usable_standards(["GT-1"], date(2026, 2, 1))] == ["GT-1"]  # a loose one is as before
    # the same check, the same wording, as an expired calibration
    store.add_standard(name="标准电能表", model="M", serial="STD-9", certificate_no="CAL-9",
                       calibrated_on=date(2025, 1, 1), valid_until=date(2026, 1, 31))
    with pytest.raises(StandardNotUsable, match=r"^标准器 标准电能表 STD-9 校准已过期：证书 CAL-9 有效期至 2026-01-31，拒绝检定"):
        store.usable_standards(["STD-9"], date(2026, 2, 1))


def test_a_standard_names_a_setup_that_must_be_entered_first(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    with pytest.raises(StandardNotUsable, match="未登记"):
        store.add_standard(**DEMO_STANDARDS["JDSIM-REF-0001"], calibrated_on=TODAY, valid_until=TODAY,
                           setup="[2099]无此证书")
    store.add_standard(**DEMO_STANDARDS["JDSIM-REF-0001"], calibrated_on=TODAY, valid_until=TODAY)
    _setup(store, TODAY, kind="社会公用计量标准证书")
    store.assign_setup("JDSIM-REF-0001", "[2023]示量标证字第009号")
    (setup,) = store.setups_of(store.standards())
    assert (setup.name, setup.certificate_kind) == ("电动汽车交流充电桩检定装置", "社会公用计量标准证书")
    assert any(a.action == "standard.setup" for a in store.audit_log())


def test_a_run_whose_setup_expired_is_refused_before_it_starts(tmp_path: Path, station: Station) -> None:
    store = Store(tmp_path / "x.db")
    _setup(store, TODAY - timedelta(days=1))
    store.add_standard(**DEMO_STANDARDS["JDSIM-REF-0001"], calibrated_on=TODAY - timedelta(days=10),
                       valid_until=TODAY + timedelta(days=100), setup="[2023]示量标证字第009号")
    with pytest.raises(StandardNotUsable, match=str(TODAY - timedelta(days=1))):
        Controller(store, tmp_path).prepare(RunRequest(station=station))
    assert store.runs() == []  # nothing was started


def test_the_cli_enters_a_setup_its_instruments_and_refuses_the_expired_one(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "c.db")
    expired = (TODAY - timedelta(days=1)).isoformat()
    assert main(["--db", db, "standards", "setup-add", "--name", "电动汽车交流充电桩检定装置", "--certificate",
                 "[2023]示社量标证字第001号", "--valid-until", expired, "--kind", "public"]) == 0
    assert main(["--db", db, "standards", "add", "--name", "交流充电桩检定仪", "--model", "JD-SIM-REF", "--serial",
                 "JDSIM-REF-0001", "--certificate", "CAL-1", "--calibrated", TODAY.isoformat(), "--valid-until",
                 (TODAY + timedelta(days=30)).isoformat(), "--setup", "[2023]示社量标证字第001号"]) == 0
    assert main(["--db", db, "standards", "list"]) == 0
    listed = capsys.readouterr().out
    assert "社会公用计量标准证书 [2023]示社量标证字第001号" in listed and "过期 EXPIRED" in listed
    assert "装置 [2023]示社量标证字第001号" in listed
    assert main(["--db", db, "demo", "--out", str(tmp_path / "out")]) == 2  # the demo seeds nothing already entered
    err = capsys.readouterr().err
    assert "计量标准装置 电动汽车交流充电桩检定装置 的社会公用计量标准证书已过期" in err and expired in err


def test_the_demo_seeds_each_standard_with_its_setup(tmp_path: Path) -> None:
    store = Store(tmp_path / "d.db")
    assert seed_demo_standards(store, ["JDSIM-CAN-0001", "JDSIM-CAN-0005", "NOT-DEMO"]) == ["JDSIM-CAN-0001",
                                                                                           "JDSIM-CAN-0005"]
    (setup,) = store.setups()
    assert setup.name == "燃油加油机检定装置 (模拟)" and setup.valid_until > TODAY
    assert {s.setup_id for s in store.standards()} == {setup.id}


def _record(store: Store) -> VerificationRecord:
    (run,) = store.runs()
    return VerificationRecord.from_dict(json.loads(run.record_json))


def test_a_finished_run_freezes_the_setup_the_specification_and_the_conditions(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "f.db"
    assert main(["--db", str(db), "demo", "fuel", "--out", str(tmp_path / "out")]) == 0
    capsys.readouterr()
    record = _record(Store(db))
    assert [(s.name, s.certificate_kind) for s in record.setups] == [("燃油加油机检定装置 (模拟)", "计量标准考核证书")]
    assert record.standards[0].setup == record.setups[0].certificate_no
    ins = record.instrument
    assert ins.parameters["qmax_l_min"] == 60.0 and ins.parameters["fuel"] == "gasoline"
    assert ins.specification == "(6~60) L/min　汽油　1 号枪"
    assert [x.zh for x in ins.specs] == ["最大流量 Qmax", "最小流量 Qmin", "油品", "枪号", "最小被测量 MMQ"]
    (t_j, t_b) = record.environment.conditions
    assert (t_j.zh, t_b.zh) == ("油温（油枪出口）", "油温（量器内）")
    assert len(t_j.values) == len(t_b.values) >= 6 and all(15.0 < t < 30.0 for t in t_j.values)
    # frozen: the record reads back the same from its JSON
    assert VerificationRecord.from_dict(record.to_dict()) == record


def test_migration_0009_adds_the_setups_and_keeps_the_standards(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import inspect

    from bench.store.db import alembic_config

    store = Store(tmp_path / "m.db")
    _setup(store, TODAY)
    store.add_standard(**DEMO_STANDARDS["JDSIM-REF-0001"], calibrated_on=TODAY, valid_until=TODAY,
                       setup="[2023]示量标证字第009号")
    cfg = alembic_config(store.engine)
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0008")
    assert "standardsetup" not in inspect(store.engine).get_table_names()
    assert "setup_id" not in {c["name"] for c in inspect(store.engine).get_columns("standard")}
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    row = store.standard("JDSIM-REF-0001")
    assert row is not None and row.certificate_no == DEMO_STANDARDS["JDSIM-REF-0001"]["certificate_no"]
    assert row.setup_id is None and store.setups() == []  # a standard entered before: of no 装置 on record
