"""Hash chains over the append-only tables: intact after normal writes; an edited row, a deleted
row in the middle, a deleted newest row and a row inserted behind the writer's back all found by
``jianding audit verify``, with the table and row named."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench.cli import main
from bench.store import Store
from bench.store.chain import CHAINED, GENESIS, canonical_row, row_hash
from bench.store.models import AuditEntry, Run
from procedures.engine import ReadingTaken, StepFinished
from procedures.records import Verdict
from tests.bench.conftest import attacker, older_store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "c.db")
    inst = s.add_instrument(category="交流充电桩", name="充电桩", model="M", serial="S1", manufacturer="X",
                            accuracy_class="2", params={"imax_a": 32})
    s.create_run(Run(id="r1", regulation="jjg1148", edition="2022", verification_type="first", instrument_id=inst.id or 0))
    for i in range(5):
        s.record_event(ReadingTaken(run_id="r1", step_key="w1", key=f"gate_{i}", quantity="std_pulses",
                                    value=9980 + i, unit="imp", source="ref"))
    s.record_event(StepFinished(run_id="r1", step_key="w1", item="working_error", verdict=Verdict.PASS,
                                outcome={"verdict": "pass", "results": [], "data": {}, "note": ""}))
    return s


def _breaks(store: Store) -> list[tuple[str, int | None, str]]:
    return [(b.table, b.row_id, b.kind) for _, (_, bs) in store.verify_chains().items() for b in bs]


def test_row_hash_is_sha256_over_prev_hash_and_canonical_json() -> None:
    # Hand-built: the canonical JSON has sorted keys, no spaces, UTC ISO time, and leaves out the
    # hash columns; the hash is SHA-256 of "<prev>\n<json>".
    row = AuditEntry(id=1, seq=1, at=datetime(2026, 12, 4, 8, 0, tzinfo=UTC), actor="张检定", action="run.start",
                     run_id=None, detail="")
    text = ('{"action":"run.start","actor":"张检定","at":"2026-12-04T08:00:00+00:00","detail":"","id":1,'
            '"run_id":null,"seq":1}')
    assert canonical_row(row) == text
    assert row_hash(GENESIS, row) == hashlib.sha256(f"{GENESIS}\n{text}".encode()).hexdigest()


def test_normal_writes_keep_every_chain_intact(store: Store) -> None:
    chains = store.verify_chains()
    assert chains["rawreading"][0] == 5 and chains["auditentry"][0] == 2  # ledger.add, run.start
    assert _breaks(store) == []
    rows = store.readings("r1")
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5] and rows[1].prev_hash == rows[0].row_hash


def test_float_written_as_int_still_verifies(store: Store) -> None:
    # value=9980 was given as an int; SQLite hands back 9980.0: the canonical form is by column type.
    assert json.loads(canonical_row(store.readings("r1")[0]))["value"] == 9980.0
    assert _breaks(store) == []


def test_edited_reading_is_caught_naming_table_and_row(store: Store, tmp_path: Path) -> None:
    victim = store.readings("r1")[2]
    con = attacker(tmp_path / "c.db")
    con.execute("update rawreading set value = 9000 where id = ?", (victim.id,))
    con.commit()
    assert _breaks(store) == [("rawreading", victim.id, "edited")]


def test_deleted_middle_row_is_caught(store: Store, tmp_path: Path) -> None:
    rows = store.readings("r1")
    con = attacker(tmp_path / "c.db")
    con.execute("delete from rawreading where id = ?", (rows[1].id,))
    con.commit()
    assert _breaks(store) == [("rawreading", rows[2].id, "deleted")]


def test_deleted_newest_row_is_caught_by_the_head(store: Store, tmp_path: Path) -> None:
    rows = store.readings("r1")
    con = attacker(tmp_path / "c.db")
    con.execute("delete from rawreading where id = ?", (rows[-1].id,))
    con.commit()
    assert _breaks(store) == [("rawreading", None, "deleted")]


def test_row_inserted_behind_the_writer_is_caught(store: Store, tmp_path: Path) -> None:
    con = attacker(tmp_path / "c.db")
    con.execute("insert into auditentry (at, actor, action, run_id, detail) values "
                "('2026-12-04 08:00:00', 'x', 'run.finished', 'r1', 'forged')")
    con.commit()
    assert [k for _, _, k in _breaks(store)] == ["inserted"]


def test_result_and_steprecord_are_append_only_now(store: Store, tmp_path: Path) -> None:
    con = sqlite3.connect(tmp_path / "c.db")
    for sql in ("update steprecord set verdict = 'fail'", "delete from steprecord"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            con.execute(sql)
    triggers = {r[0] for r in con.execute("select name from sqlite_master where type='trigger'")}
    # every chained table, and only those, refuses UPDATE and DELETE
    assert set(CHAINED) >= {"rawreading", "result", "steprecord", "auditentry", "signingkey", "certificate",
                            "certificateevent", "oversightevent", "rectificationevent"}
    assert triggers == {f"{t}_no_{v}" for t in CHAINED for v in ("update", "delete")}


def test_cli_audit_verify_exit_codes_and_report(store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "c.db")
    assert main(["--db", db, "audit", "verify"]) == 0
    assert "审计链完好" in capsys.readouterr().out
    victim = store.audit_log()[0]
    con = attacker(tmp_path / "c.db")
    con.execute("update auditentry set actor = 'mallory' where id = ?", (victim.id,))
    con.commit()
    assert main(["--db", db, "audit", "verify"]) == 2
    out = capsys.readouterr().out
    assert f"auditentry id {victim.id}: 被修改 (edited)" in out


def test_rows_of_an_older_store_are_sealed_by_the_migration(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    older_store(path, "0002", [f"insert into auditentry (at, actor, action, run_id, detail) values "
                               f"('2026-12-0{i + 1} 08:00:00.000000', 'old', 'a{i}', null, '')" for i in range(3)])
    store = Store(path)
    assert [(a.action, a.seq) for a in store.audit_log()] == [("a0", 1), ("a1", 2), ("a2", 3)]
    store.audit("new", "after")
    assert _breaks(store) == []
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        sqlite3.connect(path).execute("delete from auditentry")


def test_a_second_writer_cannot_fork_a_chain(store: Store, tmp_path: Path) -> None:
    # Two processes racing would both compute the next seq; the unique index on seq refuses the second.
    last = store.readings("r1")[-1]
    con = sqlite3.connect(tmp_path / "c.db")
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        con.execute("insert into rawreading (run_id, step_key, key, quantity, value, unit, source, extra_json, "
                    "taken_at, seq, prev_hash, row_hash) values ('r1','w1','k','q',1,'imp','ref','{}',"
                    "'2026-12-04 08:00:00', ?, '', '')", (last.seq,))


def test_result_mean_becomes_nullable_keeping_rows_hashes_and_triggers(store: Store, tmp_path: Path) -> None:
    # 0006 rebuilds the result table (SQLite cannot drop NOT NULL in place): the rows written under
    # 0005 keep their values and hashes, the append-only triggers come back, and a NULL mean is stored.
    from alembic import command

    from bench.store.db import alembic_config
    from procedures.engine import MeasurementRecorded
    from procedures.records import MeasurementResult

    def measured(pos: int, mean: float | None) -> MeasurementRecorded:
        r = MeasurementResult(name="示值误差", label="Q3", unit="%", values=() if mean is None else (mean,), mean=mean,
                              rounded="—" if mean is None else f"{mean:+.1f}", mpe=2.0,
                              verdict=Verdict.NOT_APPLICABLE if mean is None else Verdict.PASS, position=pos)
        return MeasurementRecorded(run_id="r1", step_key="q3", item="indication_error", result=r)

    store.record_event(measured(1, 0.4))
    cfg = alembic_config(store.engine)
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0005")
    con = sqlite3.connect(tmp_path / "c.db")
    with pytest.raises(sqlite3.IntegrityError, match="NOT NULL"):
        con.execute("insert into result (run_id, step_key, item, name, label, unit, mean, rounded, verdict, "
                    "values_json, recorded_at) values ('r1','q3','i','n','l','%',null,'—','n/a','[]','2026-12-04')")
    con.close()
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    store.record_event(measured(2, None))
    assert [(r.position, r.mean) for r in store.results("r1")] == [(1, 0.4), (2, None)]
    assert _breaks(store) == []
    con = sqlite3.connect(tmp_path / "c.db")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("update result set mean = 0.0")
    con.close()  # the refused UPDATE left its transaction open: closed, or the downgrade below waits on its lock
    with store.engine.begin() as conn:  # a NULL mean cannot go back into 0005's NOT NULL column
        cfg.attributes["connection"] = conn
        with pytest.raises(RuntimeError, match="cannot downgrade"):
            command.downgrade(cfg, "0005")
