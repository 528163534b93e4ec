"""oficios and their annexed requests

Revision ID: 0102
Revises: 0101
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0102'
down_revision = '0101'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('oficios',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False, comment='envio | respuesta'),
    sa.Column('number', sa.String(length=60), nullable=False, comment='e.g. SSM/JS-I/0042/2026'),
    sa.Column('area', sa.String(length=20), nullable=False, comment='Issuing area of the numbering: JS-I, DI'),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('jurisdiction_code', sa.String(length=8), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False, comment='Optimistic lock: bumps on every change'),
    sa.Column('issued_on', sa.Date(), nullable=False, comment='Local date printed on the oficio'),
    sa.Column('place', sa.String(length=120), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('issuing_area_name', sa.String(length=200), nullable=False),
    sa.Column('addressee_name', sa.String(length=200), nullable=False),
    sa.Column('addressee_position', sa.String(length=200), nullable=False),
    sa.Column('addressee_area', sa.String(length=200), nullable=False),
    sa.Column('ccp', sa.Text(), nullable=False, comment='C.c.p. lines, one per line'),
    sa.Column('in_reply_to_id', sa.Integer(), nullable=True),
    sa.Column('signer_id', sa.Integer(), nullable=False),
    sa.Column('signer_username', sa.String(length=40), nullable=False),
    sa.Column('signer_name', sa.String(length=120), nullable=False),
    sa.Column('signer_position', sa.String(length=120), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('signer_ip', sa.String(length=45), nullable=True),
    sa.Column('content_sha256', sa.String(length=64), nullable=False, comment='SHA-256 of the canonical JSON of the oficio as signed'),
    sa.Column('content', sa.Text(), nullable=False, comment='That canonical JSON'),
    sa.Column('received_by_id', sa.Integer(), nullable=True),
    sa.Column('received_by_name', sa.String(length=120), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('received_ip', sa.String(length=45), nullable=True),
    sa.Column('receipt_sha256', sa.String(length=64), nullable=True, comment='Acuse: the content SHA-256 the receiver acknowledged'),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancel_reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['in_reply_to_id'], ['oficios.id'], name=op.f('fk_oficios_in_reply_to_id_oficios')),
    sa.ForeignKeyConstraint(['received_by_id'], ['staff_users.id'], name=op.f('fk_oficios_received_by_id_staff_users')),
    sa.ForeignKeyConstraint(['signer_id'], ['staff_users.id'], name=op.f('fk_oficios_signer_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oficios')),
    sa.UniqueConstraint('area', 'year', 'seq', name='uq_oficios_area_year_seq'),
    sa.UniqueConstraint('number', name=op.f('uq_oficios_number'))
    )
    with op.batch_alter_table('oficios', schema=None) as batch_op:
        batch_op.create_index('ix_oficios_jurisdiction', ['jurisdiction_code'], unique=False)
        batch_op.create_index('ix_oficios_status', ['kind', 'status'], unique=False)

    op.create_table('oficio_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('oficio_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False, comment="Copy of the oficio's kind (index)"),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('folio', sa.String(length=30), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('live', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['oficio_id'], ['oficios.id'], name=op.f('fk_oficio_items_oficio_id_oficios'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['request_id'], ['account_requests.id'], name=op.f('fk_oficio_items_request_id_account_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oficio_items'))
    )
    with op.batch_alter_table('oficio_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oficio_items_oficio_id'), ['oficio_id'], unique=False)
        batch_op.create_index('ix_oficio_items_request', ['request_id'], unique=False)
        batch_op.create_index('uq_oficio_items_live_request', ['kind', 'request_id'], unique=True, sqlite_where=sa.text('live'), postgresql_where=sa.text('live'))


def downgrade() -> None:
    op.drop_table('oficio_items')
    op.drop_table('oficios')
