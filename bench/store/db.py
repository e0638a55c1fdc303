"""Opening the store: SQLite in WAL mode at the platform's data directory (or ``--db``), brought to
the current schema by alembic on every open."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import platformdirs
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, event
from sqlmodel import create_engine

MIGRATIONS = Path(__file__).with_name("migrations")


def default_db_path() -> Path:
    """Where the workstation keeps its database unless told otherwise."""
    return Path(platformdirs.user_data_dir("jianding", "Jianding")) / "jianding.db"


def documents_dir(db_path: Path) -> Path:
    """Where the documents of a database are written unless ``--out`` says otherwise: beside it, in
    ``<db stem>-documents/`` (``jianding.db`` → ``jianding-documents/``), so two databases never
    write into one folder (each numbers its own documents from 00001)."""
    return db_path.with_name(f"{db_path.stem}-documents")


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")  # a reading acknowledged is a reading on disk
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def alembic_config(engine: Engine) -> Config:
    """An alembic configuration bound to ``engine`` (no alembic.ini needed)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


def migrate(engine: Engine) -> None:
    """Upgrade the schema to head."""
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def open_engine(path: Path | str | None = None) -> Engine:
    """Open (creating if needed) the store at ``path`` and migrate it."""
    p = Path(path) if path else default_db_path()
    p.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{p}", connect_args={"check_same_thread": False})
    event.listen(engine, "connect", _sqlite_pragmas)
    migrate(engine)
    return engine
