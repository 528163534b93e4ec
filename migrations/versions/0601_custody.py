"""custody: the hops of the chain of custody of created accounts

Revision ID: 0601
Revises: 0600
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0601'
down_revision = '0600'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('custody_transfers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=30), nullable=False, comment='informatica_enlace | enlace_entrega'),
    sa.Column('oficio_id', sa.Integer(), nullable=True, comment="IT's reply oficio (first hop only)"),
    sa.Column('from_role', sa.String(length=40), nullable=False),
    sa.Column('released_by_id', sa.Integer(), nullable=False),
    sa.Column('released_by_name', sa.String(length=120), nullable=False),
    sa.Column('released_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('released_ip', sa.String(length=45), nullable=True),
    sa.Column('to_role', sa.String(length=40), nullable=False, comment='Role that receives the accounts'),
    sa.Column('to_unit_clues', sa.String(length=11), nullable=True, comment="Receiver's unit"),
    sa.Column('to_jurisdiction_code', sa.String(length=8), nullable=True, comment="Receiver's jurisdiction"),
    sa.Column('received_by_id', sa.Integer(), nullable=True),
    sa.Column('received_by_name', sa.String(length=120), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('received_ip', sa.String(length=45), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False, comment='Optimistic lock: one receipt only'),
    sa.ForeignKeyConstraint(['oficio_id'], ['oficios.id'], name=op.f('fk_custody_transfers_oficio_id_oficios')),
    sa.ForeignKeyConstraint(['received_by_id'], ['staff_users.id'], name=op.f('fk_custody_transfers_received_by_id_staff_users')),
    sa.ForeignKeyConstraint(['released_by_id'], ['staff_users.id'], name=op.f('fk_custody_transfers_released_by_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_custody_transfers'))
    )
    with op.batch_alter_table('custody_transfers', schema=None) as batch_op:
        batch_op.create_index('ix_custody_transfers_receiver', ['to_role', 'to_jurisdiction_code', 'to_unit_clues'], unique=False)

    op.create_table('custody_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transfer_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('folio', sa.String(length=30), nullable=False),
    sa.Column('hop', sa.Integer(), nullable=False, comment='1: IT → liaison; 2: liaison → final holder'),
    sa.ForeignKeyConstraint(['request_id'], ['account_requests.id'], name=op.f('fk_custody_items_request_id_account_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['transfer_id'], ['custody_transfers.id'], name=op.f('fk_custody_items_transfer_id_custody_transfers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_custody_items')),
    sa.UniqueConstraint('request_id', 'hop', name='uq_custody_items_request_hop')
    )
    with op.batch_alter_table('custody_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_custody_items_transfer_id'), ['transfer_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('custody_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_custody_items_transfer_id'))

    op.drop_table('custody_items')
    with op.batch_alter_table('custody_transfers', schema=None) as batch_op:
        batch_op.drop_index('ix_custody_transfers_receiver')

    op.drop_table('custody_transfers')
