"""mail outbox: bodies that carry a code are sealed until sent, then wiped

Revision ID: 0741
Revises: 0740
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0741'
down_revision = '0740'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('body_sealed', sa.Boolean(), nullable=False, server_default=sa.false(), comment='The body carries a code: sealed with [security].data_key and wiped once sent'))


def downgrade() -> None:
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.drop_column('body_sealed')
