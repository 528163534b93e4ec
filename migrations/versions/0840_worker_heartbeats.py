"""worker heartbeats: one row per running `alta worker`, its last beat (readiness, metrics)

Revision ID: 0840
Revises: 0830
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0840'
down_revision = '0830'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('worker_heartbeats',
    sa.Column('worker_id', sa.String(length=80), nullable=False, comment='hostname:pid'),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('beat_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('worker_id', name=op.f('pk_worker_heartbeats'))
    )


def downgrade() -> None:
    op.drop_table('worker_heartbeats')
