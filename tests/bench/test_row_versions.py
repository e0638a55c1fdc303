"""The mutable tables a document depends on — runs (with their frozen records), bench positions, the
instrument ledger, reference standards and 计量标准装置 — are versioned: every store write appends a
chained row version in the same transaction, and ``jianding audit verify`` names a row edited,
deleted or inserted in SQLite behind the store's back (append-only triggers dropped first), naming
the table, the row and, for an edit, the field with its versioned and its current value."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest

from bench.cli import main
from bench.store import Store
from bench.store.models import Run
from bench.store.versions import VERSIONED
from tests.bench.conftest import attacker, older_store

# Table → (the row to attack, the field an attacker changes, the value, a raw INSERT of a new row).
ATTACKS: dict[str, tuple[str, str, str, str]] = {
    "run": ("'r1'", "conclusion", "'不合格'",
            "insert into run (id, regulation, edition, verification_type, instrument_id, status, started_at, "
            "params_json, station_json, station_path, procedure_hash, software_version, record_no, certificate_no, "
            "conclusion, record_json, document_path, message, purpose) values ('forged', 'jjg1148', '2022', "
            "'first', 1, 'finished', '2026-12-01 08:00:00', '{}', '{}', '', '', '', '', '', '合格', '', '', '', '')"),
    "runposition": ("1", "conclusion", "'不合格'",
                    "insert into runposition (run_id, position, instrument_id, status, conclusion, certificate_no, "
                    "record_json, document_path, message) values ('r1', 9, 1, 'finished', '合格', '', '', '', '')"),
    "instrument": ("1", "serial", "'S-FORGED'",
                   "insert into instrument (category, name, model, serial, manufacturer, accuracy_class, "
                   "measuring_range, client, client_address, location, division_code, use, delivery_mode, "
                   "params_json, created_at, filing_status) values ('交流充电桩', 'x', 'M', 'S9', 'X', '2', '', '', "
                   "'', '', '', '贸易结算', '现场检', '{}', '2026-12-01 08:00:00', '')"),
    "standard": ("1", "valid_until", "'2099-12-31'",
                 "insert into standard (name, model, serial, certificate_no, calibrated_on, valid_until, accuracy, "
                 "measuring_range, created_at) values ('标准表', 'M', 'STD9', 'C9', '2026-01-01', '2099-01-01', '', "
                 "'', '2026-12-01 08:00:00')"),
    "standardsetup": ("1", "valid_until", "'2099-12-31'",
                      "insert into standardsetup (name, certificate_kind, certificate_no, issued_by, valid_until, "
                      "created_at) values ('装置', '计量标准考核证书', 'K9', '', '2099-01-01', '2026-12-01 08:00:00')"),
}


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """A store written through every write path of the versioned tables."""
    s = Store(tmp_path / "v.db")
    inst = s.add_instrument(category="交流充电桩", name="充电桩", model="M", serial="S1", manufacturer="X",
                            accuracy_class="2", params={"imax_a": 32})
    s.update_instrument(inst.id or 0, actor="张三", client="某公司")
    s.apply_ledger_changes([{"category": "交流充电桩", "name": "充电桩", "model": "M", "serial": "S2",
                             "manufacturer": "X", "accuracy_class": "2"}], [(inst.id or 0, {"location": "A 区"})])
    s.add_setup(name="交流充电桩检定装置", certificate_no="K1", valid_until=date(2027, 6, 30))
    s.add_standard(name="标准表", model="M", serial="STD1", certificate_no="C1", calibrated_on=date(2026, 1, 1),
                   valid_until=date(2027, 1, 1))
    s.assign_setup("STD1", "K1")
    s.create_run(Run(id="r1", regulation="jjg1148", edition="2022", verification_type="first",
                     instrument_id=inst.id or 0))
    s.add_positions("r1", {1: inst.id or 0, 2: inst.id or 0})
    s.update_position("r1", 1, status="finished", conclusion="合格", record_json='{"verdict": "pass"}')
    with s.transaction() as tx:  # the finishing transaction: the run and a position together
        tx.update_run("r1", status="finished", conclusion="合格", record_json='{"verdict": "pass"}')
        tx.update_position("r1", 2, status="finished", conclusion="合格")
    return s


def _breaks(store: Store) -> list[tuple[str, object, str, str]]:
    return [(b.table, b.row_id, b.kind, b.detail) for _, (_, bs) in store.verify_chains().items() for b in bs]


def test_every_store_write_is_versioned_and_verifies(store: Store, tmp_path: Path) -> None:
    assert _breaks(store) == []
    con = sqlite3.connect(tmp_path / "v.db")
    versions = dict(con.execute("select table_name || ' ' || row_key, max(version) from rowversion "
                                "group by table_name, row_key").fetchall())
    # instrument 1: added, update_instrument, apply_ledger_changes; standard: added, assigned to its 装置;
    # the run: created, finished; positions: seated, finished.
    assert versions == {"instrument 1": 3, "instrument 2": 1, "standardsetup 1": 1, "standard 1": 2, "run r1": 2,
                        "runposition 1": 2, "runposition 2": 2}


def test_a_rolled_back_change_leaves_no_version(store: Store, tmp_path: Path) -> None:
    before = sqlite3.connect(tmp_path / "v.db").execute("select count(*) from rowversion").fetchone()
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.update_run("r1", conclusion="不合格")
        raise RuntimeError("crash before commit")
    assert sqlite3.connect(tmp_path / "v.db").execute("select count(*) from rowversion").fetchone() == before
    assert store.get_run("r1").conclusion == "合格"
    assert _breaks(store) == []


@pytest.mark.parametrize("table", list(ATTACKS))
def test_an_edited_row_is_named_with_its_field(store: Store, tmp_path: Path, table: str) -> None:
    key, field, value, _ = ATTACKS[table]
    con = attacker(tmp_path / "v.db")
    old = con.execute(f"select {field} from {table} where id = {key}").fetchone()[0]
    con.execute(f"update {table} set {field} = {value} where id = {key}")
    con.commit()
    [(t, rid, kind, detail)] = _breaks(store)
    assert (t, str(rid), kind) == (table, key.strip("'"), "edited")
    assert f"{field}: {old!r} → {value.strip(chr(39))!r}" in detail


@pytest.mark.parametrize("table", list(ATTACKS))
def test_a_deleted_row_is_named(store: Store, tmp_path: Path, table: str) -> None:
    key = ATTACKS[table][0]
    con = attacker(tmp_path / "v.db")
    con.execute("pragma foreign_keys = off")
    con.execute(f"delete from {table} where id = {key}")
    con.commit()
    assert [(t, str(rid), kind) for t, rid, kind, _ in _breaks(store)] == [(table, key.strip("'"), "deleted")]


@pytest.mark.parametrize("table", list(ATTACKS))
def test_a_row_inserted_behind_the_store_is_named(store: Store, tmp_path: Path, table: str) -> None:
    con = attacker(tmp_path / "v.db")
    con.execute(ATTACKS[table][3])
    con.commit()
    [(t, _, kind, _)] = _breaks(store)
    assert (t, kind) == (table, "inserted")


def test_the_versions_themselves_are_chained(store: Store, tmp_path: Path) -> None:
    # An attacker who edits the row AND its last version, or deletes the version, breaks the chain.
    con = attacker(tmp_path / "v.db")
    con.execute("update run set conclusion = '不合格' where id = 'r1'")
    con.execute("update rowversion set content_json = replace(content_json, '合格', '不合格') "
                "where table_name = 'run' and row_key = 'r1' and version = 2")
    con.commit()
    kinds = {(t, kind) for t, _, kind, _ in _breaks(store)}
    assert ("rowversion", "edited") in kinds
    con.execute("delete from rowversion where table_name = 'standard'")
    con.commit()
    kinds = {(t, kind) for t, _, kind, _ in _breaks(store)}
    assert {("rowversion", "deleted"), ("standard", "inserted")} <= kinds


def test_a_versioned_table_is_listed_in_every_attack() -> None:
    assert set(ATTACKS) == set(VERSIONED)


def test_cli_audit_verify_names_the_edited_verdict(store: Store, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "v.db")
    assert main(["--db", db, "audit", "verify"]) == 0
    capsys.readouterr()
    con = attacker(tmp_path / "v.db")
    con.execute("update run set conclusion = '不合格' where id = 'r1'")
    con.commit()
    assert main(["--db", db, "audit", "verify"]) == 2
    out = capsys.readouterr().out
    assert "run id r1: 被修改 (edited)" in out
    assert "conclusion: '合格' → '不合格'" in out


def test_rows_of_an_older_store_get_their_first_version_from_the_migration(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    older_store(path, "0010", [ATTACKS["instrument"][3], ATTACKS["standardsetup"][3]])
    store = Store(path)
    assert _breaks(store) == []
    con = attacker(path)
    con.execute("update instrument set serial = 'S-FORGED'")
    con.commit()
    assert [(t, kind) for t, _, kind, _ in _breaks(store)] == [("instrument", "edited")]


def test_show_warns_of_a_changed_run_and_refuses_its_original_record(store: Store, tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "v.db")
    store.create_run(Run(id="r2", regulation="jjg1148", edition="2022", verification_type="first", instrument_id=1))
    assert main(["--db", db, "show", "r2"]) == 0
    assert "⚠" not in capsys.readouterr().out
    con = attacker(tmp_path / "v.db")
    con.execute("update run set status = 'finished' where id = 'r2'")
    con.execute("update instrument set serial = 'S-FORGED' where id = 1")
    con.commit()
    assert main(["--db", db, "show", "r2", "--original-record", str(tmp_path / "o.pdf")]) == 2
    out, err = capsys.readouterr()
    assert "⚠" in out and "run id r2: 被修改 (edited)" in out and "status: 'running' → 'finished'" in out
    assert "instrument id 1: 被修改 (edited)" in out and "serial: 'S1' → 'S-FORGED'" in out
    assert "拒绝输出原始记录" in err
    assert not (tmp_path / "o.pdf").exists()
