"""Fixtures for bench tests: a store with the demo standard, a demo station at high sim speed."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path

import pytest

from bench.cli import DEMO_STANDARDS
from bench.station import Station, example_station_path, load_station
from bench.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "bench.db")
    s.add_standard(**DEMO_STANDARDS["JDSIM-REF-0001"], calibrated_on=date.today() - timedelta(days=10),
                   valid_until=date.today() + timedelta(days=100))
    return s


@pytest.fixture
def meter_store(tmp_path: Path) -> Store:
    """A store with the meter bench's standard (the JJG 596 demo station's) on the ledger."""
    s = Store(tmp_path / "meter.db")
    s.add_standard(**DEMO_STANDARDS["JDSIM-EMB-0001"], calibrated_on=date.today() - timedelta(days=10),
                   valid_until=date.today() + timedelta(days=100))
    return s


@pytest.fixture
def station() -> Station:
    st = load_station(example_station_path())
    st.raw["sim"]["speed"] = 3000
    for dev in st.devices:
        dev.config["port"] = 0  # free ports chosen when the twins start
    st.raw["devices"]["reference"]["port"] = 0
    st.raw["devices"]["charger"]["port"] = 0
    return st


def attacker(path: Path) -> sqlite3.Connection:
    """A raw connection to the store's file with every trigger dropped, as an attacker with the file
    would (the append-only triggers refuse nothing after this)."""
    con = sqlite3.connect(path)
    for (name,) in con.execute("select name from sqlite_master where type='trigger'").fetchall():
        con.execute(f"drop trigger {name}")
    return con


def older_store(path: Path, revision: str, statements: Iterable[str]) -> None:
    """A store file at schema ``revision`` with ``statements`` (raw SQL) run in it: what an older
    workstation left behind, for the next ``Store(path)`` to migrate."""
    from alembic import command
    from sqlalchemy import create_engine

    from bench.store.db import alembic_config

    engine = create_engine(f"sqlite:///{path}")
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        for sql in statements:
            conn.exec_driver_sql(sql)
    engine.dispose()


def log_in(monkeypatch: pytest.MonkeyPatch, db: str | Path, name: str, roles: str | Iterable[str]) -> None:
    """Log the next ``jianding`` commands on ``db`` in as ``name`` (a demo account holding ``roles``,
    created when missing), through the environment as a script does (bench.account_cli)."""
    from bench.accounts import DEMO_PASSWORD, demo_account

    demo_account(Store(db), name, roles)
    monkeypatch.setenv("JIANDING_USER", name)
    monkeypatch.setenv("JIANDING_PASSWORD", DEMO_PASSWORD)


def logged_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nobody logged in: neither JIANDING_USER nor JIANDING_PASSWORD set (pytest's stdin is no terminal)."""
    for var in ("JIANDING_USER", "JIANDING_PASSWORD"):
        monkeypatch.delenv(var, raising=False)


def migrate(store: Store, revision: str, *, down: bool = False) -> None:
    """Move ``store``'s schema to ``revision`` (``down``: a downgrade), as alembic does on a site."""
    from alembic import command

    from bench.store.db import alembic_config

    cfg = alembic_config(store.engine)
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, revision)
