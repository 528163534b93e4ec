"""legal holds and disposal tombstones

Revision ID: 0301
Revises: 0300
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0301'
down_revision = '0300'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('legal_holds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_class', sa.String(length=30), nullable=False, comment='e.g. solicitud'),
    sa.Column('record_key', sa.String(length=80), nullable=False, comment='e.g. the folio'),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('set_by', sa.String(length=40), nullable=False),
    sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lifted_by', sa.String(length=40), nullable=True),
    sa.Column('lifted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lift_reason', sa.String(length=500), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_legal_holds'))
    )
    with op.batch_alter_table('legal_holds', schema=None) as batch_op:
        batch_op.create_index('uq_legal_holds_active', ['record_class', 'record_key'], unique=True, sqlite_where=sa.text('lifted_at IS NULL'), postgresql_where=sa.text('lifted_at IS NULL'))

    op.create_table('record_disposals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_class', sa.String(length=30), nullable=False),
    sa.Column('record_key', sa.String(length=80), nullable=False, comment='Folio, or a range of events'),
    sa.Column('disposition', sa.String(length=20), nullable=False, comment='anonimizado or eliminado'),
    sa.Column('retention_started_at', sa.DateTime(timezone=True), nullable=False, comment='Closure of the request, date of the event...'),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False, comment='End of the retention period'),
    sa.Column('disposed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('details', sa.Text(), nullable=False, comment='JSON: what was kept (dates, status)'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record_disposals'))
    )
    with op.batch_alter_table('record_disposals', schema=None) as batch_op:
        batch_op.create_index('uq_record_disposals_record', ['record_class', 'record_key'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('record_disposals', schema=None) as batch_op:
        batch_op.drop_index('uq_record_disposals_record')

    op.drop_table('record_disposals')
    with op.batch_alter_table('legal_holds', schema=None) as batch_op:
        batch_op.drop_index('uq_legal_holds_active', sqlite_where=sa.text('lifted_at IS NULL'), postgresql_where=sa.text('lifted_at IS NULL'))

    op.drop_table('legal_holds')
