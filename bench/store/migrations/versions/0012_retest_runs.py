"""follow-up runs: a bench run re-testing some positions of an earlier one (复检)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08 01:30:00

Adds ``run.retest_of`` (the id of the earlier run whose positions this run re-tests; NULL for a
run of its own, bench/retest.py). The earlier run keeps its readings, records and status; the
follow-up has its own readings, records and documents, and a re-tested position's certificate
rests on it. Every run row gets a version with the new column (NULL), so ``jianding audit verify``
keeps comparing it (bench.store.versions).
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlmodel import Session

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMN (no table rebuild: run is referenced by other tables' foreign keys); the
    # link is checked by the controller when the follow-up is prepared (bench/retest.py)
    op.add_column('run', sa.Column('retest_of', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    op.create_index('ix_run_retest_of', 'run', ['retest_of'], unique=False)
    from bench.store.versions import version_existing_rows

    with Session(bind=op.get_bind()) as s:
        version_existing_rows(s)


def downgrade() -> None:
    op.drop_index('ix_run_retest_of', table_name='run')
    op.drop_column('run', 'retest_of')
