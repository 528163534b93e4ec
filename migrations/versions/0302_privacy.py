"""privacy: ARCO requests (rectification, cancellation)

Revision ID: 0302
Revises: 0301
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0302'
down_revision = '0301'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('arco_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('folio', sa.String(length=30), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('description', sa.Text(), nullable=False, comment='What the person asks (personal data: cleared at disposal)'),
    sa.Column('applies_from', sa.Date(), nullable=True, comment='Cancellation: first day it can apply (end of retention)'),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sa.String(length=40), nullable=True),
    sa.Column('response', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_arco_requests'))
    )
    with op.batch_alter_table('arco_requests', schema=None) as batch_op:
        batch_op.create_index('ix_arco_requests_folio', ['folio'], unique=False)
        batch_op.create_index('ix_arco_requests_status', ['status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('arco_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_arco_requests_status')
        batch_op.drop_index('ix_arco_requests_folio')

    op.drop_table('arco_requests')
