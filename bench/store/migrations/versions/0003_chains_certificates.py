"""hash chains over the append-only tables; signing keys; certificates and their approval events

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 16:45:00

Adds ``seq``/``prev_hash``/``row_hash`` to rawreading, result, steprecord and auditentry, the
``chainhead`` table, and the new append-only tables ``signingkey``, ``certificate`` and
``certificateevent``. Rows already in the store are sealed once, in id order, by the same code the
store's writer uses (``bench.store.chain``): the chain then vouches for them from this migration on,
not for what happened to them before. result and steprecord become append-only as well.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlmodel import Session, select

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

OLD = ("rawreading", "result", "steprecord", "auditentry")
NEW = ("signingkey", "certificate", "certificateevent")


def _chain_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [sa.Column('seq', sa.Integer(), nullable=False, server_default='0'),
            sa.Column('prev_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default=''),
            sa.Column('row_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default='')]


def _triggers(tables: tuple[str, ...], create: bool) -> None:
    for table in tables:
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb.lower()}")
            if create:
                op.execute(f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                           f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END")


def upgrade() -> None:
    _triggers(OLD, create=False)
    for table in OLD:
        for col in _chain_columns():
            op.add_column(table, col)  # plain ALTER TABLE ADD COLUMN: the table is not rebuilt
    op.create_table('chainhead',
    sa.Column('table_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('row_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('table_name')
    )
    op.create_table('signingkey',
    *_chain_columns(),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('algorithm', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('public_key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('institution', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_signingkey_key_id', 'signingkey', ['key_id'], unique=True)
    op.create_table('certificate',
    *_chain_columns(),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('supersedes_id', sa.Integer(), nullable=True),
    sa.Column('run_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=True),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('record_json', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('verifier', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['run.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number', 'version', name='uq_certificate_number_version'),
    )
    op.create_index('ix_certificate_number', 'certificate', ['number'], unique=False)
    op.create_index('ix_certificate_run_id', 'certificate', ['run_id'], unique=False)
    op.create_table('certificateevent',
    *_chain_columns(),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('certificate_id', sa.Integer(), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('content_json', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('content_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('key_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('signature', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('qr_text', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('pdf_sha256', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('document_path', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificate.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_certificateevent_certificate_id', 'certificateevent', ['certificate_id'], unique=False)

    # Seal the rows already there, table by table in id order, as the writer would have.
    from bench.store.chain import CHAINED, seal

    with Session(bind=op.get_bind()) as s:
        for name in OLD:
            model = CHAINED[name]
            rows = list(s.exec(select(model).order_by(model.id)))  # type: ignore[attr-defined]
            for row in rows:
                seal(s, row)  # sets seq and hashes on the loaded row; its flush writes them
            s.flush()
    for table in OLD + NEW:  # two writers racing for one seq: the second insert fails, the chain holds
        op.create_index(f'ux_{table}_seq', table, ['seq'], unique=True)
    _triggers(OLD + NEW, create=True)


def downgrade() -> None:
    _triggers(OLD + NEW, create=False)
    for table in OLD + NEW:
        op.drop_index(f'ux_{table}_seq', table)
    op.drop_index('ix_certificateevent_certificate_id', 'certificateevent')
    op.drop_table('certificateevent')
    op.drop_index('ix_certificate_run_id', 'certificate')
    op.drop_index('ix_certificate_number', 'certificate')
    op.drop_table('certificate')
    op.drop_index('ix_signingkey_key_id', 'signingkey')
    op.drop_table('signingkey')
    op.drop_table('chainhead')
    for table in OLD:
        with op.batch_alter_table(table, schema=None) as batch_op:
            for col in ("row_hash", "prev_hash", "seq"):
                batch_op.drop_column(col)
    _triggers(("rawreading", "auditentry"), create=True)
