"""rectification (整改): findings, owners, deadlines and closures as append-only, hash-chained events

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 10:00:00

Adds ``rectificationevent`` (bench.rectification): an item's opening — the finding, its owner (使用单位)
and deadline — and each later step (rectified with evidence, rejected, closed, withdrawn) as one row.
The chain columns of 0003, a unique index on ``seq`` (a second writer cannot fork the chain), the
triggers that refuse UPDATE and DELETE as 0004 does for ``oversightevent`` (``jianding audit verify``
covers it: bench.store.chain.CHAINED), and a unique index on ``item_no`` over the ``opened`` rows: one
finding opens one item, whichever process opens it.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

TABLE = "rectificationevent"


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString()
    op.create_table(TABLE,
    sa.Column('seq', sa.Integer(), nullable=False, server_default='0'),
    sa.Column('prev_hash', text, nullable=False, server_default=''),
    sa.Column('row_hash', text, nullable=False, server_default=''),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_no', text, nullable=False),
    sa.Column('action', text, nullable=False),
    sa.Column('finding_kind', text, nullable=False),
    sa.Column('finding_key', text, nullable=False),
    sa.Column('finding', text, nullable=False),
    sa.Column('instrument_id', sa.Integer(), nullable=True),
    sa.Column('serial', text, nullable=False),
    sa.Column('category', text, nullable=False),
    sa.Column('owner', text, nullable=False),
    sa.Column('division_code', text, nullable=False),
    sa.Column('location', text, nullable=False),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('deadline_rule', text, nullable=False),
    sa.Column('acted_on', sa.Date(), nullable=False),
    sa.Column('actor', text, nullable=False),
    sa.Column('party', text, nullable=False),
    sa.Column('evidence', text, nullable=False),
    sa.Column('evidence_file', text, nullable=False),
    sa.Column('evidence_sha256', text, nullable=False),
    sa.Column('note', text, nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_rectificationevent_item_no', TABLE, ['item_no'], unique=False)
    op.create_index(f'ux_{TABLE}_seq', TABLE, ['seq'], unique=True)
    op.create_index(f'ux_{TABLE}_opened', TABLE, ['item_no'], unique=True, sqlite_where=sa.text("action = 'opened'"))
    for verb in ("UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER {TABLE}_no_{verb.lower()} BEFORE {verb} ON {TABLE} "
                   f"BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only'); END")


def downgrade() -> None:
    for verb in ("update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_{verb}")
    op.drop_index(f'ux_{TABLE}_opened', TABLE)
    op.drop_index(f'ux_{TABLE}_seq', TABLE)
    op.drop_index('ix_rectificationevent_item_no', TABLE)
    op.drop_table(TABLE)
    op.execute(f"DELETE FROM chainhead WHERE table_name = '{TABLE}'")  # an upgrade again starts a fresh chain
