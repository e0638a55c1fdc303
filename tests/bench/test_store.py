"""The store: migrations, WAL, append-only readings and audit, standards refused with due date,
numbering, and the persisted state a resume reads."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest

from bench.store import StandardNotUsable, Store
from bench.store.models import Run
from procedures.engine import ReadingTaken, StepFinished
from procedures.records import Verdict


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "s.db")


def _run(store: Store) -> str:
    inst = store.add_instrument(category="交流充电桩", name="充电桩", model="M", serial="S1", manufacturer="X",
                                accuracy_class="2", params={"imax_a": 32})
    store.create_run(Run(id="r1", regulation="jjg1148", edition="2022", verification_type="first",
                         instrument_id=inst.id or 0))
    return "r1"


def _head() -> str:
    """The newest migration (other migrations may follow 0004, oversight events)."""
    from alembic.script import ScriptDirectory

    from bench.store.db import MIGRATIONS

    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None and head >= "0004"
    return head


def test_schema_is_migrated_and_wal(store: Store, tmp_path: Path) -> None:
    con = sqlite3.connect(tmp_path / "s.db")
    tables = {r[0] for r in con.execute("select name from sqlite_master where type='table'")}
    assert {"instrument", "standard", "run", "steprecord", "rawreading", "result", "auditentry",
            "runposition", "alembic_version"} <= tables
    assert con.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert con.execute("select version_num from alembic_version").fetchone()[0] == _head()


def test_a_store_of_the_first_schema_upgrades_keeping_its_rows(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import create_engine

    from bench.store.db import alembic_config

    path = tmp_path / "old.db"
    engine = create_engine(f"sqlite:///{path}")
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.exec_driver_sql("insert into counter (name, year, value) values ('record', 2026, 41)")
    engine.dispose()
    store = Store(path)  # opening migrates to head
    assert store.next_number("record", 2026) == 42
    con = sqlite3.connect(path)
    assert "position" in {r[1] for r in con.execute("pragma table_info(result)")}
    assert con.execute("select version_num from alembic_version").fetchone()[0] == _head()


def test_reopen_is_idempotent(tmp_path: Path) -> None:
    Store(tmp_path / "a.db").audit("t", "one")
    s = Store(tmp_path / "a.db")
    assert [a.action for a in s.audit_log()] == ["one"]


def test_raw_readings_and_audit_are_append_only(store: Store, tmp_path: Path) -> None:
    rid = _run(store)
    store.record_event(ReadingTaken(run_id=rid, step_key="s", key="k", quantity="q", value=1.5, unit="Wh", source="d"))
    con = sqlite3.connect(tmp_path / "s.db")
    for sql in ("update rawreading set value = 2", "delete from rawreading", "update auditentry set actor='x'",
                "delete from auditentry"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            con.execute(sql)
    assert [r.value for r in store.readings(rid)] == [1.5]


def test_expired_standard_refused_with_name_and_due_date(store: Store) -> None:
    store.add_standard(name="标准电能表", model="M", serial="STD-1", certificate_no="CAL-9",
                       calibrated_on=date(2025, 1, 1), valid_until=date(2026, 1, 31))
    with pytest.raises(StandardNotUsable) as e:
        store.usable_standards(["STD-1"], date(2026, 2, 1))
    assert "STD-1" in str(e.value) and "2026-01-31" in str(e.value) and "CAL-9" in str(e.value)
    assert [s.serial for s in store.usable_standards(["STD-1"], date(2026, 1, 31))] == ["STD-1"]  # last valid day


def test_standard_not_on_ledger_refused(store: Store) -> None:
    with pytest.raises(StandardNotUsable, match="NOPE-7"):
        store.usable_standards(["NOPE-7"], date.today())


def test_yearly_numbering(store: Store) -> None:
    assert [store.next_number("certificate", 2026) for _ in range(3)] == [1, 2, 3]
    assert store.next_number("certificate", 2027) == 1
    assert store.next_number("notice", 2026) == 1


def test_persisted_state_round_trip(store: Store) -> None:
    rid = _run(store)
    store.record_event(ReadingTaken(run_id=rid, step_key="w1", key="gate_1", quantity="std_pulses", value=9980,
                                    unit="imp", source="ref", extra={"dut_pulses": 10}))
    store.record_event(StepFinished(run_id=rid, step_key="env", item="environment", verdict=Verdict.NOT_APPLICABLE,
                                    outcome={"verdict": "n/a", "results": [], "data": {"t": 23.5}, "note": ""}))
    st = store.persisted_state(rid)
    assert st.completed["env"]["data"]["t"] == 23.5
    assert st.readings_for("w1")["gate_1"].extra == {"dut_pulses": 10}
