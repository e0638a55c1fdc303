"""why a run was made, and the ledger facts the bureaus' tables count

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 21:00:00

Adds ``run.purpose`` (a key of bench/purposes.toml: 首次检定, 周期检定, 监督抽查, 投诉举报, 仲裁, 委托 —
the 民用"三表" table counts verifications by why they were made) and three ledger columns:
``instrument.household`` (民用, NULL when the ledger does not say), ``instrument.filing_status``
(备案: 已备案 | 未备案 | "") and ``instrument.commissioned_on`` (投用日期). Runs made before it have
purpose "" (unknown): the tables count them under their verification type.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMN (no table rebuild: instrument is referenced by other tables' foreign keys)
    op.add_column('run', sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default=''))
    op.create_index('ix_run_purpose', 'run', ['purpose'], unique=False)
    op.add_column('instrument', sa.Column('household', sa.Boolean(create_constraint=False), nullable=True))
    op.add_column('instrument', sa.Column('filing_status', sqlmodel.sql.sqltypes.AutoString(), nullable=False,
                                          server_default=''))
    op.add_column('instrument', sa.Column('commissioned_on', sa.Date(), nullable=True))


def downgrade() -> None:
    op.drop_column('instrument', 'commissioned_on')
    op.drop_column('instrument', 'filing_status')
    op.drop_column('instrument', 'household')
    op.drop_index('ix_run_purpose', table_name='run')
    op.drop_column('run', 'purpose')
