"""preregistration_sign_in_throttles: failed pre-registration sign-ins per typed user name

Revision ID: 0630
Revises: 0611

/preregistro counts every attempt of a user name (known or not) before it binds to the
domain controller, and makes the name wait, longer after each failure, once it has failed
too often: the attempts live in this table, not in an AD lockout.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0630"
down_revision = "0611"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "preregistration_sign_in_throttles",
        sa.Column("name_key", sa.String(length=64), nullable=False,
                  comment="SHA-256 (hex) of the user name as typed, in lower case "
                          "(known or not)"),
        sa.Column("failures", sa.Integer(), nullable=False,
                  comment="Attempts since the last sign-in"),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True,
                  comment="No attempt reaches the domain controller before this moment"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name_key", name=op.f("pk_preregistration_sign_in_throttles")),
    )
    with op.batch_alter_table("preregistration_sign_in_throttles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_preregistration_sign_in_throttles_updated_at"),
                              ["updated_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("preregistration_sign_in_throttles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_preregistration_sign_in_throttles_updated_at"))
    op.drop_table("preregistration_sign_in_throttles")
