"""the institution's 计量标准装置 (standard setups) and their certificates

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 22:30:00

Adds the table ``standardsetup`` (a 计量标准装置: name, 计量标准考核证书 or 社会公用计量标准证书 with its
number, issuer and validity) and ``standard.setup_id`` (the 装置 a standard is a main instrument of;
NULL for a standard entered before, which is printed and checked as before).
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'standardsetup',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('certificate_kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('certificate_no', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('issued_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('valid_until', sa.Date(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_standardsetup_certificate_no', 'standardsetup', ['certificate_no'], unique=True)
    # plain ADD COLUMN (SQLite cannot add a foreign-key constraint without rebuilding the table; the
    # model declares it, the store writes only ids it read)
    op.add_column('standard', sa.Column('setup_id', sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column('standard', 'setup_id')
    op.drop_index('ix_standardsetup_certificate_no', table_name='standardsetup')
    op.drop_table('standardsetup')
