"""people by end date: the dashboard's «temporary access ending soon» read every person
(a seq scan of a million people, over 100 ms on each /tablero)

Revision ID: 0880
Revises: 0870
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0880'
down_revision = '0870'
branch_labels = None
depends_on = None

WHERE = "end_date IS NOT NULL"


def upgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.create_index('ix_people_end_date', ['end_date'], unique=False,
                              sqlite_where=sa.text(WHERE), postgresql_where=sa.text(WHERE))


def downgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_index('ix_people_end_date', sqlite_where=sa.text(WHERE),
                            postgresql_where=sa.text(WHERE))
