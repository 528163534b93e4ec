"""e-signatures of requests (unit head, responsable jurisdiccional)

Revision ID: 0100
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0100'
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('signatures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('step', sa.String(length=40), nullable=False, comment='jefe_unidad | responsable_jurisdiccional'),
    sa.Column('signer_id', sa.Integer(), nullable=False),
    sa.Column('signer_username', sa.String(length=40), nullable=False),
    sa.Column('signer_name', sa.String(length=120), nullable=False),
    sa.Column('signer_position', sa.String(length=120), nullable=False),
    sa.Column('signer_role', sa.String(length=40), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ip', sa.String(length=45), nullable=True),
    sa.Column('content_sha256', sa.String(length=64), nullable=False, comment='SHA-256 of the canonical JSON of the request as signed'),
    sa.Column('content', sa.Text(), nullable=False, comment='That canonical JSON (re-verifiable)'),
    sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True, comment='Set when the request was returned for correction after this signature'),
    sa.ForeignKeyConstraint(['request_id'], ['account_requests.id'], name=op.f('fk_signatures_request_id_account_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['signer_id'], ['staff_users.id'], name=op.f('fk_signatures_signer_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signatures'))
    )
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signatures_request_id'), ['request_id'], unique=False)
        batch_op.create_index('uq_signatures_live_step', ['request_id', 'step'], unique=True, sqlite_where=sa.text('voided_at IS NULL'), postgresql_where=sa.text('voided_at IS NULL'))


def downgrade() -> None:
    op.drop_table('signatures')
