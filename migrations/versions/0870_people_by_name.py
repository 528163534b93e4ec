"""people by name: the people list reads its page in index order instead of sorting
everyone (a million people took seconds)

Revision ID: 0870
Revises: 0860
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0870'
down_revision = '0860'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.create_index('ix_people_by_name', ['primer_apellido', 'nombres', 'id'],
                              unique=False, sqlite_where=sa.text('curp IS NOT NULL'),
                              postgresql_where=sa.text('curp IS NOT NULL'))


def downgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_index('ix_people_by_name', sqlite_where=sa.text('curp IS NOT NULL'),
                            postgresql_where=sa.text('curp IS NOT NULL'))
