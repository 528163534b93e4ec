"""request history: one row per move of a request

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('request_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('from_status', sa.String(length=30), nullable=True),
    sa.Column('to_status', sa.String(length=30), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('actor_role', sa.String(length=40), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True, comment='Shown to the applicant'),
    sa.Column('public', sa.Boolean(), nullable=False, comment='Shown on the tracking page'),
    sa.ForeignKeyConstraint(['request_id'], ['account_requests.id'], name=op.f('fk_request_events_request_id_account_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_events'))
    )
    with op.batch_alter_table('request_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_events_request_id'), ['request_id'], unique=False)


def downgrade() -> None:
    op.drop_table('request_events')
