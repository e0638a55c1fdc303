"""row versions: runs, positions, the ledger, standards and 装置 made tamper-evident

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 23:30:00

Adds ``rowversion`` (bench.store.versions: one sealed version of a run, runposition, instrument,
standard or standardsetup row per change, written by the store in the change's own transaction),
with the chain columns of 0003, a unique index on ``seq`` and triggers refusing UPDATE and DELETE.
Every row already in those tables gets its first version (``insert``) here, so ``jianding audit
verify`` compares each of them from now on.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlmodel import Session

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

TABLE = "rowversion"


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString()
    op.create_table(TABLE,
    sa.Column('seq', sa.Integer(), nullable=False, server_default='0'),
    sa.Column('prev_hash', text, nullable=False, server_default=''),
    sa.Column('row_hash', text, nullable=False, server_default=''),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('table_name', text, nullable=False),
    sa.Column('row_key', text, nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('op', text, nullable=False),
    sa.Column('content_json', text, nullable=False),
    sa.Column('content_sha256', text, nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_rowversion_table_name', TABLE, ['table_name'], unique=False)
    op.create_index('ix_rowversion_row_key', TABLE, ['row_key'], unique=False)
    op.create_index('ux_rowversion_row', TABLE, ['table_name', 'row_key', 'version'], unique=True)
    op.create_index(f'ux_{TABLE}_seq', TABLE, ['seq'], unique=True)

    # The first version of every row already there, table by table in key order (only the columns
    # this revision has: later migrations add columns the models already declare)
    from bench.store.versions import version_existing_rows

    with Session(bind=op.get_bind()) as s:
        version_existing_rows(s)
    for verb in ("UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER {TABLE}_no_{verb.lower()} BEFORE {verb} ON {TABLE} "
                   f"BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only'); END")


def downgrade() -> None:
    for verb in ("update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_{verb}")
    op.drop_index(f'ux_{TABLE}_seq', TABLE)
    op.drop_index('ux_rowversion_row', TABLE)
    op.drop_index('ix_rowversion_row_key', TABLE)
    op.drop_index('ix_rowversion_table_name', TABLE)
    op.drop_table(TABLE)
    op.execute(f"DELETE FROM chainhead WHERE table_name = '{TABLE}'")
