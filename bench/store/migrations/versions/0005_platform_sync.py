"""platform sync: the outbox, the task list of pulled bookings, and a run's booking

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 11:00:00

Adds ``outboxitem`` (what the platform is owed: results, ledger uploads, booking decisions, each
with its stable idempotency key, status pending | done | rejected, attempts, next attempt, last
error, acknowledgement), ``task`` (bookings pulled from the platform, in booking order, with the
institution's decision and the run serving it) and ``run.booking_id`` (the booking a run was
linked to with ``--task``, carried up with its results). The outbox is not append-only (its status
moves) and not hash-chained: the facts it reports are (certificates and their events).
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('outboxitem',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('payload_json', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('acked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('platform_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_outboxitem_kind', 'outboxitem', ['kind'], unique=False)
    op.create_index('ix_outboxitem_key', 'outboxitem', ['key'], unique=True)
    op.create_index('ix_outboxitem_status', 'outboxitem', ['status'], unique=False)
    op.create_table('task',
    sa.Column('booking_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('booking_json', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('decision', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('decided_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('run_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('pulled_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('booking_id')
    )
    op.create_index('ix_task_seq', 'task', ['seq'], unique=False)
    op.add_column('run', sa.Column('booking_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    op.create_index('ix_run_booking_id', 'run', ['booking_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_run_booking_id', 'run')
    with op.batch_alter_table('run', schema=None) as batch_op:
        batch_op.drop_column('booking_id')
    op.drop_index('ix_task_seq', 'task')
    op.drop_table('task')
    op.drop_index('ix_outboxitem_status', 'outboxitem')
    op.drop_index('ix_outboxitem_key', 'outboxitem')
    op.drop_index('ix_outboxitem_kind', 'outboxitem')
    op.drop_table('outboxitem')
