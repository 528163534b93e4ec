"""indexes for inboxes and dashboards over a million requests

Revision ID: 0500
Revises: 0302
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0500"
down_revision = "0302"
branch_labels = None
depends_on = None

OPEN = "closed_at IS NULL"


def upgrade() -> None:
    with op.batch_alter_table("account_requests", schema=None) as batch_op:
        batch_op.create_index("ix_account_requests_open_unit", ["unit_clues", "status"],
                              sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))
        batch_op.create_index("ix_account_requests_open_jurisdiction",
                              ["jurisdiction_code", "status"],
                              sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))
        batch_op.create_index("ix_account_requests_open_updated", ["updated_at"],
                              sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))
        batch_op.create_index("ix_account_requests_unit_updated", ["unit_clues", "updated_at"])


def downgrade() -> None:
    with op.batch_alter_table("account_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_account_requests_unit_updated")
        batch_op.drop_index("ix_account_requests_open_updated")
        batch_op.drop_index("ix_account_requests_open_jurisdiction")
        batch_op.drop_index("ix_account_requests_open_unit")
