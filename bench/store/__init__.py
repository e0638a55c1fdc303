"""The workstation's store: sqlmodel on SQLite (WAL), migrated with alembic."""

from bench.store.repo import StandardNotUsable, Store

__all__ = ["StandardNotUsable", "Store"]
