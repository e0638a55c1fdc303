"""bench positions: results carry their position; one row per instrument of a bench run

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 17:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('result', schema=None) as batch_op:
        batch_op.add_column(sa.Column('position', sa.Integer(), nullable=True))
    op.create_table('runposition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('instrument_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('conclusion', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('certificate_no', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('record_json', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('document_path', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('message', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['instrument_id'], ['instrument.id'], ),
    sa.ForeignKeyConstraint(['run_id'], ['run.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('run_id', 'position', name='uq_runposition_run_position'),
    )
    with op.batch_alter_table('runposition', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_runposition_run_id'), ['run_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('runposition', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_runposition_run_id'))
    op.drop_table('runposition')
    with op.batch_alter_table('result', schema=None) as batch_op:
        batch_op.drop_column('position')
