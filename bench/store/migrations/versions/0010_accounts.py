"""accounts (账户) and signed sign-offs: people who prove who they are

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 23:00:00

Adds ``accountevent`` (bench.accounts: local accounts, their roles and scrypt password hashes as
append-only events; a unique index on ``name_key`` over the ``created`` rows: one person, one
account) and ``signoff`` (bench.certificates: each check, approval and issue signed with the account,
its role, the time and the version's content hash). Both carry the chain columns of 0003, a unique
index on ``seq`` and triggers refusing UPDATE and DELETE (``jianding audit verify`` covers them).
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

TABLES = ("accountevent", "signoff")


def _chain_columns() -> list[sa.Column]:
    text = sqlmodel.sql.sqltypes.AutoString()
    return [sa.Column('seq', sa.Integer(), nullable=False, server_default='0'),
            sa.Column('prev_hash', text, nullable=False, server_default=''),
            sa.Column('row_hash', text, nullable=False, server_default='')]


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString()
    when = sqlmodel.sql.sqltypes.UTCDateTime()
    op.create_table("accountevent", *_chain_columns(),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('action', text, nullable=False),
    sa.Column('name', text, nullable=False),
    sa.Column('name_key', text, nullable=False),
    sa.Column('roles', text, nullable=False),
    sa.Column('password_hash', text, nullable=False),
    sa.Column('demo', sa.Boolean(), nullable=False),
    sa.Column('actor', text, nullable=False),
    sa.Column('at', when, nullable=False),
    sa.Column('detail', text, nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_accountevent_account_id', 'accountevent', ['account_id'], unique=False)
    op.create_index('ux_accountevent_created', 'accountevent', ['name_key'], unique=True,
                    sqlite_where=sa.text("action = 'created'"))
    op.create_table("signoff", *_chain_columns(),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('certificate_id', sa.Integer(), nullable=False),
    sa.Column('number', text, nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('action', text, nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('account', text, nullable=False),
    sa.Column('role', text, nullable=False),
    sa.Column('at', when, nullable=False),
    sa.Column('content_hash', text, nullable=False),
    sa.Column('statement_json', text, nullable=False),
    sa.Column('key_id', text, nullable=False),
    sa.Column('signature', text, nullable=False),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificate.id']),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_signoff_certificate_id', 'signoff', ['certificate_id'], unique=False)
    for table in TABLES:
        op.create_index(f'ux_{table}_seq', table, ['seq'], unique=True)
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END")


def downgrade() -> None:
    for table in TABLES:
        for verb in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb}")
        op.drop_index(f'ux_{table}_seq', table)
    op.drop_index('ix_signoff_certificate_id', 'signoff')
    op.drop_index('ux_accountevent_created', 'accountevent')
    op.drop_index('ix_accountevent_account_id', 'accountevent')
    for table in TABLES:
        op.drop_table(table)
        op.execute(f"DELETE FROM chainhead WHERE table_name = '{table}'")
