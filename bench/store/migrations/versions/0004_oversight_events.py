"""oversight events: the append-only, hash-chained counts the bureaus ask for that runs cannot know

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 10:00:00

Adds ``oversightevent`` (complaints, violations, cases, replacements, inspections recorded with
``jianding oversight record``) with the chain columns of 0003, a unique index on ``seq`` (a second
writer cannot fork the chain) and the triggers that refuse UPDATE and DELETE, exactly as 0003 does
for its tables, so ``jianding audit verify`` covers it (bench.store.chain.CHAINED).
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

TABLE = "oversightevent"


def upgrade() -> None:
    op.create_table(TABLE,
    sa.Column('seq', sa.Integer(), nullable=False, server_default='0'),
    sa.Column('prev_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default=''),
    sa.Column('row_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default=''),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('division_code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('client', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_oversightevent_kind', TABLE, ['kind'], unique=False)
    op.create_index(f'ux_{TABLE}_seq', TABLE, ['seq'], unique=True)
    for verb in ("UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER {TABLE}_no_{verb.lower()} BEFORE {verb} ON {TABLE} "
                   f"BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only'); END")


def downgrade() -> None:
    for verb in ("update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_{verb}")
    op.drop_index(f'ux_{TABLE}_seq', TABLE)
    op.drop_index('ix_oversightevent_kind', TABLE)
    op.drop_table(TABLE)
