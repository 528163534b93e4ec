"""directory batches: the requests IT sent to the directory with one action

Revision ID: 0201
Revises: 0200
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0201'
down_revision = '0200'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('directory_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('request_ids_json', sa.Text(), nullable=False, comment='JSON list of request ids'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_directory_batches'))
    )


def downgrade() -> None:
    op.drop_table('directory_batches')
