"""Row versions: the mutable tables a document depends on (runs and their frozen records, bench
positions, the instrument ledger, reference standards and 计量标准装置) made tamper-evident without
making them append-only.

Those rows change in normal work (a run's status, a position's record, a ledger correction), so they
cannot refuse UPDATE as the readings do. Instead every change written through the store's session
(:class:`VersionedSession`, the only session :class:`bench.store.Store` hands out) appends a
:class:`~bench.store.models.RowVersion` — the row's canonical JSON and its SHA-256 — to a hash chain
inside the SAME transaction (``before_commit``), one small insert per changed row. ``jianding audit
verify`` (:func:`verify_versions`) then recomputes each live row's canonical JSON and compares it
with its last version: a field changed in SQLite is named with its stored and its current value, a
row without a version was inserted behind the store's back, a versioned row that is gone was
deleted. The versions themselves are chained (``rowversion`` in :data:`bench.store.chain.CHAINED`),
so editing or deleting a version is found as for any chained row.

Like every chain here, an attacker who rewrites the whole chain and its head consistently is not
found by the chain alone; the chain heads anchored in each signed certificate find that (see
docs/tamper-evidence.md).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, select

from bench.store.chain import Break, canonical_row, seal
from bench.store.models import Instrument, RowVersion, Run, RunPosition, Standard, StandardSetup

VERSIONED: dict[str, type[SQLModel]] = {
    "instrument": Instrument,
    "standardsetup": StandardSetup,
    "standard": Standard,
    "run": Run,
    "runposition": RunPosition,
}
"""Table name → model of every mutable table whose changes are versioned."""

_PENDING = "jianding_row_versions"


def row_key(row: SQLModel) -> str:
    """A row's primary key as the text a version names it by."""
    return str(row.id)  # type: ignore[attr-defined]


def content_sha256(content: str) -> str:
    """SHA-256 hex of a version's canonical JSON."""
    return hashlib.sha256(content.encode()).hexdigest()


class VersionedSession(Session):
    """The store's session: every insert, update or delete of a :data:`VERSIONED` row it commits
    appends a sealed :class:`RowVersion` in the same transaction."""


def latest_version(session: Session, table: str, key: str) -> RowVersion | None:
    """The newest version of one row (None when it has none)."""
    q = (select(RowVersion).where(RowVersion.table_name == table, RowVersion.row_key == key)
         .order_by(RowVersion.version.desc()).limit(1))  # type: ignore[attr-defined]
    return session.exec(q).first()


def version_existing_rows(session: Session) -> None:
    """Append the version of every row already in the versioned tables as it is now (nothing for
    a row whose last version it equals): what a migration calls after it changes these tables.

    Only the columns the database has at that revision are read (a later migration may add a
    column the models already declare); a column not there yet takes its model default, which is
    what that later migration gives existing rows."""
    bind = session.get_bind()
    for name, model in VERSIONED.items():
        present = {c["name"] for c in inspect(bind).get_columns(name)}
        columns = [c for c in model.__table__.columns if c.name in present]  # type: ignore[attr-defined]
        for values in session.execute(sa_select(*columns).order_by(model.__table__.c.id)).mappings():  # type: ignore[attr-defined]
            row = model(**dict(values))
            record_version(session, name, row_key(row), row)
    session.flush()


def record_version(session: Session, table: str, key: str, row: SQLModel | None) -> RowVersion | None:
    """Append the version of one row as it is now (``row`` None: deleted), sealed into the chain;
    nothing when it equals the row's last version."""
    last = latest_version(session, table, key)
    content = canonical_row(row) if row is not None else ""
    if row is None:
        if last is None or last.op == "delete":
            return None
        op = "delete"
    else:
        if last is not None and last.op != "delete" and last.content_json == content:
            return None
        op = "insert" if last is None or last.op == "delete" else "update"
    version = RowVersion(table_name=table, row_key=key, version=(last.version if last else 0) + 1, op=op,
                         content_json=content, content_sha256=content_sha256(content))
    seal(session, version)
    session.add(version)
    session.flush()
    return version


@event.listens_for(VersionedSession, "after_flush")
def _collect(session: Session, _ctx: Any) -> None:
    """Note every versioned row this flush wrote (ids are assigned by now)."""
    pending: dict[tuple[str, str], None] = session.info.setdefault(_PENDING, {})
    for obj in (*session.new, *session.dirty, *session.deleted):
        name = getattr(obj, "__tablename__", None)
        if isinstance(name, str) and name in VERSIONED and getattr(obj, "id", None) is not None:
            pending[(name, row_key(obj))] = None


@event.listens_for(VersionedSession, "before_commit")
def _write(session: Session) -> None:
    """Before the transaction commits, append one version per changed row (the commit then writes
    the change and its version together, or neither)."""
    session.flush()
    pending: dict[tuple[str, str], None] = session.info.pop(_PENDING, {})
    for name, key in pending:
        model = VERSIONED[name]
        pk: Any = key if name == "run" else int(key)
        row = session.get(model, pk)
        if row is not None:
            session.refresh(row)  # hashed as the database hands it back, as audit verify will read it
        record_version(session, name, key, row)


@event.listens_for(VersionedSession, "after_rollback")
def _forget(session: Session) -> None:
    """A rolled-back transaction leaves no version behind."""
    session.info.pop(_PENDING, None)


def _differences(stored: str, current: str) -> str:
    """The fields whose value differs between a version's JSON and the row now, in words."""
    try:
        before, after = json.loads(stored), json.loads(current)
    except ValueError:
        return "版本内容不可读 (the version's content is not readable)"
    fields = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    return "; ".join(f"{k}: {before.get(k)!r} → {after.get(k)!r}" for k in fields)


def row_break(name: str, row: SQLModel, last: RowVersion | None) -> Break | None:
    """How a live row departs from its last version ``last``: ``inserted`` (no version), ``edited``
    (naming each changed field), or None when it is the version."""
    rid: Any = row.id  # type: ignore[attr-defined]
    if last is None or last.op == "delete":
        return Break(name, rid, "inserted", "此行没有版本记录：未经存储写入 (no version of this row: written behind "
                                            "the store's back)")
    current = canonical_row(row)
    if current != last.content_json:
        return Break(name, rid, "edited", f"与第 {last.version} 版不符，此行被修改 (differs from its version "
                                          f"{last.version}: edited) {_differences(last.content_json, current)}")
    return None


def rows_breaks(session: Session, rows: list[SQLModel]) -> list[Break]:
    """The breaks of a few live rows (a run, its positions, its instrument), each against its last
    version: what ``jianding show`` warns of before printing them."""
    out: list[Break] = []
    for row in rows:
        name = str(row.__tablename__)
        found = row_break(name, row, latest_version(session, name, row_key(row)))
        if found is not None:
            out.append(found)
    return out


def verify_versions(session: Session) -> dict[str, tuple[int, list[Break]]]:
    """Each versioned table: (live rows checked, breaks) — a row whose content is not its last
    version's (``edited``, naming each field with its versioned and its current value), a row with
    no version (``inserted``), a versioned row that is gone (``deleted``), a version whose SHA-256
    does not match its own content (``edited``)."""
    latest: dict[tuple[str, str], RowVersion] = {}
    out: dict[str, tuple[int, list[Break]]] = {}
    broken: list[Break] = []
    versions = 0
    for v in session.exec(select(RowVersion).order_by(RowVersion.table_name, RowVersion.row_key,  # type: ignore[arg-type]
                                                      RowVersion.version, RowVersion.seq)):
        if content_sha256(v.content_json) != v.content_sha256:
            broken.append(Break("rowversion", v.id, "edited", f"{v.table_name} {v.row_key} 版本 {v.version} 的内容与其 "
                                                               "SHA-256 不符 (the version's content does not match its SHA-256)"))
        latest[(v.table_name, v.row_key)] = v
        versions += 1
    for name, model in VERSIONED.items():
        breaks: list[Break] = []
        rows = list(session.exec(select(model)))
        for row in rows:
            key = row_key(row)
            v = latest.pop((name, key), None)
            found = row_break(name, row, v)
            if found is not None:
                breaks.append(found)
        for (table, key), v in latest.items():
            if table == name and v.op != "delete":
                breaks.append(Break(name, key if name == "run" else int(key), "deleted",
                                    f"第 {v.version} 版记录的行已不存在：此行被删除 (the row of version {v.version} "
                                    "is gone: deleted)"))
        out[name] = (len(rows), breaks)
    if broken:
        out["rowversion (content)"] = (versions, broken)
    return out
