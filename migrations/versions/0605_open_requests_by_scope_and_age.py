"""open requests of a unit or a jurisdiction by age (scoped dashboards at a million rows)

Revision ID: 0605
Revises: 0604

A unit head's or a liaison's dashboard lists the open requests of their scope, oldest
first. With only (unit_clues, updated_at) the database walks every closed request of the
unit (years of them, and the oldest) before it finds an open one.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0605"
down_revision = "0604"
branch_labels = None
depends_on = None

OPEN = "closed_at IS NULL"


def upgrade() -> None:
    with op.batch_alter_table("account_requests", schema=None) as batch_op:
        batch_op.create_index("ix_account_requests_open_unit_updated",
                              ["unit_clues", "updated_at"],
                              sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))
        batch_op.create_index("ix_account_requests_open_jurisdiction_updated",
                              ["jurisdiction_code", "updated_at"],
                              sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))


def downgrade() -> None:
    with op.batch_alter_table("account_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_account_requests_open_jurisdiction_updated")
        batch_op.drop_index("ix_account_requests_open_unit_updated")
