"""activation codes: delivered in person, argon2 hash only, one live per request

Revision ID: 0602
Revises: 0601
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0602'
down_revision = '0601'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('activation_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=200), nullable=False, comment='argon2id; never the code'),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False, comment='Wrong activation attempts with this code'),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True, comment='Activation done with it'),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True, comment='Replaced by a re-issue'),
    sa.Column('delivered_by_id', sa.Integer(), nullable=False),
    sa.Column('delivered_by_name', sa.String(length=120), nullable=False),
    sa.Column('delivered_by_role', sa.String(length=40), nullable=False),
    sa.Column('delivered_ip', sa.String(length=45), nullable=True),
    sa.Column('id_document', sa.String(length=40), nullable=False, comment='Kind of official ID shown (ine, pasaporte…); never its number'),
    sa.Column('reissue_reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['delivered_by_id'], ['staff_users.id'], name=op.f('fk_activation_codes_delivered_by_id_staff_users')),
    sa.ForeignKeyConstraint(['request_id'], ['account_requests.id'], name=op.f('fk_activation_codes_request_id_account_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activation_codes'))
    )
    with op.batch_alter_table('activation_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activation_codes_request_id'), ['request_id'], unique=False)
        batch_op.create_index('uq_activation_codes_live', ['request_id'], unique=True, sqlite_where=sa.text('used_at IS NULL AND revoked_at IS NULL'), postgresql_where=sa.text('used_at IS NULL AND revoked_at IS NULL'))


def downgrade() -> None:
    with op.batch_alter_table('activation_codes', schema=None) as batch_op:
        batch_op.drop_index('uq_activation_codes_live', sqlite_where=sa.text('used_at IS NULL AND revoked_at IS NULL'), postgresql_where=sa.text('used_at IS NULL AND revoked_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_activation_codes_request_id'))

    op.drop_table('activation_codes')
