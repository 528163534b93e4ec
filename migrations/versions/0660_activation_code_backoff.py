"""activation codes: back off after wrong codes instead of locking for good

A try with a CURP that is not the holder's no longer counts; wrong codes with the holder's
CURP make the code wait (``blocked_until``) instead of stopping it at ``max_attempts``.

Revision ID: 0660
Revises: 0651
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0660'
down_revision = '0651'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('activation_codes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('blocked_until', sa.DateTime(timezone=True), nullable=True, comment='Backoff: no try is taken before this'))
        batch_op.alter_column('attempts', existing_type=sa.Integer(), existing_nullable=False, comment="Wrong codes typed with the holder's user name and CURP", existing_comment='Wrong activation attempts with this code')
        batch_op.drop_column('max_attempts')


def downgrade() -> None:
    with op.batch_alter_table('activation_codes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('max_attempts', sa.Integer(), nullable=False, server_default='5'))
        batch_op.alter_column('attempts', existing_type=sa.Integer(), existing_nullable=False, comment='Wrong activation attempts with this code', existing_comment="Wrong codes typed with the holder's user name and CURP")
        batch_op.drop_column('blocked_until')
