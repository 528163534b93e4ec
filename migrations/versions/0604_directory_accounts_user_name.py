"""directory accounts: index on the user name

Revision ID: 0604
Revises: 0603
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0604'
down_revision = '0603'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('directory_accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_directory_accounts_sam_account_name'), ['sam_account_name'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('directory_accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_directory_accounts_sam_account_name'))
