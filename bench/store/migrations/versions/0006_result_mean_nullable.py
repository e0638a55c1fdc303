"""result.mean may be empty: a faulted bench position has no mean, and the store says so

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 10:00:00

Until 0005 a bench position that faulted at a test point (no pulses, a stuck counter, a dial that
could not be read) was stored with ``mean`` 0.0 beside its printed "—" and verdict n/a, because the
column refused NULL. From here such a result's ``mean`` is NULL: a record never holds a number that
was not measured. Rows written before keep their 0.0 (the table is append-only and hash-chained;
their n/a verdict and "—" already say there is no value).

SQLite cannot drop a NOT NULL constraint in place, so alembic's batch mode rebuilds the table
(copy, drop, rename; indexes re-created from reflection). Values and ids are copied unchanged, so
every row hash still verifies. The append-only triggers go with the old table and are re-created.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

TABLE = "result"


def _triggers(create: bool) -> None:
    for verb in ("UPDATE", "DELETE"):
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_{verb.lower()}")
        if create:
            op.execute(f"CREATE TRIGGER {TABLE}_no_{verb.lower()} BEFORE {verb} ON {TABLE} "
                       f"BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only'); END")


def _mean_nullable(nullable: bool) -> None:
    _triggers(create=False)
    with op.batch_alter_table(TABLE, recreate="always") as batch:
        batch.alter_column("mean", existing_type=sa.Float(), nullable=nullable)
    _triggers(create=True)


def upgrade() -> None:
    _mean_nullable(True)


def downgrade() -> None:
    # a NULL mean cannot go back into a NOT NULL column: refuse rather than invent a number
    bind = op.get_bind()
    if bind.execute(sa.text(f"SELECT COUNT(*) FROM {TABLE} WHERE mean IS NULL")).scalar():
        raise RuntimeError("result 表中已有空平均值 (faulted positions), 不能降级到 0005 "
                           "(cannot downgrade: results without a mean exist)")
    _mean_nullable(False)
