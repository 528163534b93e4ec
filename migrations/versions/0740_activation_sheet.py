"""activation sheet: the code kept sealed a short while so its holder can reopen the sheet

Revision ID: 0740
Revises: 0730
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0740'
down_revision = '0730'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('activation_codes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sheet_sealed', sa.Text(), nullable=True, comment="The code sealed with [security].data_key, only for the holder's printable sheet; wiped when used, replaced, closed or past sheet_until"))
        batch_op.add_column(sa.Column('sheet_until', sa.DateTime(timezone=True), nullable=True, comment='The holder may reopen the sheet until then ([handoff].sheet_minutes)'))


def downgrade() -> None:
    with op.batch_alter_table('activation_codes', schema=None) as batch_op:
        batch_op.drop_column('sheet_until')
        batch_op.drop_column('sheet_sealed')
