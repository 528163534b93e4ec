"""database-backed job queue

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=60), nullable=False),
    sa.Column('key', sa.String(length=160), nullable=True, comment='Idempotency key: enqueuing the same key again returns the live job'),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('run_after', sa.DateTime(timezone=True), nullable=False),
    sa.Column('locked_by', sa.String(length=80), nullable=True),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True, comment='Lease: a running job whose worker died is taken again after this'),
    sa.Column('last_error', sa.String(length=1000), nullable=True, comment='Spanish, for IT'),
    sa.Column('object_type', sa.String(length=40), nullable=True),
    sa.Column('object_id', sa.String(length=80), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs')),
    sa.UniqueConstraint('key', name=op.f('uq_jobs_key'))
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index('ix_jobs_object', ['object_type', 'object_id'], unique=False)
        batch_op.create_index('ix_jobs_ready', ['status', 'run_after'], unique=False)


def downgrade() -> None:
    op.drop_table('jobs')
