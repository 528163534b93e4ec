"""api clients

Revision ID: 0400
Revises: 0201
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0400'
down_revision = '0201'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_clients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('token_prefix', sa.String(length=12), nullable=False, comment='Public part of the token, to find the row'),
    sa.Column('token_sha256', sa.String(length=64), nullable=False, comment='SHA-256 of the whole token'),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_clients')),
    sa.UniqueConstraint('name', name=op.f('uq_api_clients_name')),
    sa.UniqueConstraint('token_prefix', name=op.f('uq_api_clients_token_prefix'))
    )


def downgrade() -> None:
    op.drop_table('api_clients')
