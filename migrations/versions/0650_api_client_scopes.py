"""api clients: scopes (the operations each client may call)

Revision ID: 0650
Revises: 0630

Every client registered before scopes existed could read a person's status; it keeps
exactly that (status:read), nothing more.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0650"
down_revision = "0630"
branch_labels = None
depends_on = None

COMMENT = "Operations it may call, space-separated (e.g. status:read)"


def upgrade() -> None:
    with op.batch_alter_table("api_clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scopes", sa.String(length=200), nullable=True,
                                      comment=COMMENT))
    op.execute("UPDATE api_clients SET scopes = 'status:read'")
    with op.batch_alter_table("api_clients", schema=None) as batch_op:
        batch_op.alter_column("scopes", existing_type=sa.String(length=200), nullable=False,
                              existing_comment=COMMENT)


def downgrade() -> None:
    with op.batch_alter_table("api_clients", schema=None) as batch_op:
        batch_op.drop_column("scopes")
