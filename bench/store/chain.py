"""Hash chains over the store's append-only tables: how a row is sealed when written and how
``jianding audit verify`` finds any row edited or deleted behind the store's back.

Each chained table is one chain. A row's ``row_hash`` is SHA-256 over the previous row's hash, a
newline, and the row's canonical JSON (every column but ``prev_hash``/``row_hash``, sorted keys,
floats in Python's shortest round-trip repr, times as UTC ISO 8601, no whitespace). The store's
single writer (``Store._add``) seals every row inside the insert's transaction and moves the
table's :class:`~bench.store.models.ChainHead`, so the head names the newest row: deleting that row
is found too. See docs/tamper-evidence.md for what the chain does and does not prove.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Float, Integer
from sqlmodel import Session, SQLModel, select

from bench.store.models import (
    AccountEvent,
    AuditEntry,
    Certificate,
    CertificateEvent,
    ChainHead,
    OversightEvent,
    RawReading,
    RectificationEvent,
    Result,
    RowVersion,
    SigningKey,
    SignOff,
    StepRecord,
)

CHAINED: dict[str, type[SQLModel]] = {
    "rawreading": RawReading,
    "result": Result,
    "steprecord": StepRecord,
    "auditentry": AuditEntry,
    "signingkey": SigningKey,
    "certificate": Certificate,
    "certificateevent": CertificateEvent,
    "oversightevent": OversightEvent,
    "rectificationevent": RectificationEvent,
    "accountevent": AccountEvent,
    "signoff": SignOff,
    "rowversion": RowVersion,
}
"""Table name → model of every hash-chained, append-only table."""

GENESIS = "0" * 64
"""The ``prev_hash`` of a chain's first row."""

_UNHASHED = ("prev_hash", "row_hash")


def _utc_iso(value: datetime) -> str:
    """A datetime as UTC ISO 8601 (a naive one is taken as UTC, as SQLite hands it back)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


def canonical_row(row: SQLModel) -> str:
    """The row's canonical JSON: every column but the hash columns, each value normalised by its
    column type so what is written and what is read back give the same text."""
    table = row.__table__  # type: ignore[attr-defined]
    out: dict[str, Any] = {}
    for col in table.columns:
        if col.name in _UNHASHED:
            continue
        value = getattr(row, col.name)
        if value is not None:
            if isinstance(value, datetime):
                value = _utc_iso(value)
            elif isinstance(value, date):
                value = value.isoformat()
            elif isinstance(col.type, Float):
                value = float(value)
            elif isinstance(col.type, Integer):
                value = int(value)
        out[col.name] = value
    return json.dumps(out, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=True)


def row_hash(prev_hash: str, row: SQLModel) -> str:
    """SHA-256 hex over the previous hash, a newline and the row's canonical JSON."""
    return hashlib.sha256(f"{prev_hash}\n{canonical_row(row)}".encode()).hexdigest()


def table_name(row: SQLModel) -> str | None:
    """The chained table a row belongs to, or None when its table is not chained."""
    name = getattr(row, "__tablename__", None)
    return name if isinstance(name, str) and name in CHAINED else None


def seal(session: Session, row: SQLModel) -> None:
    """Give a new row of a chained table its id, ``seq``, ``prev_hash`` and ``row_hash``, and move
    the table's head; call inside the writer's transaction, before commit."""
    name = table_name(row)
    if name is None:
        return
    model = CHAINED[name]
    head = session.get(ChainHead, name) or ChainHead(table_name=name, seq=0, row_hash=GENESIS)
    if getattr(row, "id", None) is None:
        last = session.exec(select(model.id).order_by(model.id.desc()).limit(1)).first()  # type: ignore[attr-defined]
        row.id = (last or 0) + 1  # type: ignore[attr-defined]
    row.seq = head.seq + 1  # type: ignore[attr-defined]
    row.prev_hash = head.row_hash  # type: ignore[attr-defined]
    row.row_hash = row_hash(head.row_hash, row)  # type: ignore[attr-defined]
    head.seq = row.seq  # type: ignore[attr-defined]
    head.row_hash = row.row_hash  # type: ignore[attr-defined]
    session.add(head)
    session.flush()


@dataclass(frozen=True)
class Break:
    """One place where a chain does not hold: which table and row, what kind (``edited``: the row's
    content no longer gives its hash; ``deleted``: rows missing before it or at the end;
    ``inserted``: a row the writer never sealed), and in words what exactly does not match."""

    table: str
    row_id: int | str | None
    kind: str
    detail: str

    def __str__(self) -> str:
        where = f"id {self.row_id}" if self.row_id is not None else "—"
        zh = {"edited": "被修改", "deleted": "被删除", "inserted": "被插入"}.get(self.kind, self.kind)
        return f"{self.table} {where}: {zh} ({self.kind}) — {self.detail}"


def verify_table(session: Session, name: str) -> list[Break]:
    """Recompute one table's chain; every break, in chain order."""
    model = CHAINED[name]
    rows = list(session.exec(select(model).order_by(model.seq, model.id)))  # type: ignore[attr-defined]
    out: list[Break] = []
    prev_seq, prev_hash = 0, GENESIS
    for row in rows:
        rid, seq = row.id, row.seq  # type: ignore[attr-defined]
        if seq <= 0:
            out.append(Break(name, rid, "inserted", "行未经存储写入器封存 (row never sealed by the store's writer)"))
            continue
        if seq == prev_seq:
            out.append(Break(name, rid, "inserted", f"序号 {seq} 重复 (seq {seq} appears twice)"))
            continue
        if seq != prev_seq + 1:
            missing = f"{prev_seq + 1}" if seq == prev_seq + 2 else f"{prev_seq + 1}–{seq - 1}"
            out.append(Break(name, rid, "deleted", f"此行之前缺少序号 {missing} 的行 (rows with seq {missing} "
                                                   f"before this one are missing)"))
        elif row.prev_hash != prev_hash:  # type: ignore[attr-defined]
            out.append(Break(name, rid, "deleted", "前一行哈希不符：前面的行被删除或替换 (prev_hash does not "
                                                   "match the previous row: a row before it was removed or replaced)"))
        if row_hash(row.prev_hash, row) != row.row_hash:  # type: ignore[attr-defined]
            out.append(Break(name, rid, "edited", "内容与哈希不符：此行被修改 (content does not match its hash: "
                                                  f"this row was edited) seq {seq}"))
        prev_seq, prev_hash = seq, row.row_hash  # type: ignore[attr-defined]
    head = session.get(ChainHead, name)
    head_seq, head_hash = (head.seq, head.row_hash) if head else (0, GENESIS)
    if head_seq > prev_seq:
        gone = f"{prev_seq + 1}" if head_seq == prev_seq + 1 else f"{prev_seq + 1}–{head_seq}"
        out.append(Break(name, None, "deleted", f"链尾缺少序号 {gone} 的行 (the newest rows, seq {gone}, are missing)"))
    elif head_seq < prev_seq or (rows and head_hash != prev_hash):
        out.append(Break(name, None, "edited", f"链头 (seq {head_seq}) 与最后一行 (seq {prev_seq}) 不符 "
                                               "(the chain head does not match the last row)"))
    return out


def verify_all(session: Session) -> dict[str, tuple[int, list[Break]]]:
    """Every chained table: (rows checked, breaks)."""
    out: dict[str, tuple[int, list[Break]]] = {}
    for name, model in CHAINED.items():
        count = len(list(session.exec(select(model.id))))  # type: ignore[attr-defined]
        out[name] = (count, verify_table(session, name))
    return out
