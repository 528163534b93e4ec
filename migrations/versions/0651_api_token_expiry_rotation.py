"""api clients: token expiry, and the replaced token during a rotation's grace period

Revision ID: 0651
Revises: 0650

Tokens issued before expiry existed get the default validity (365 days) from the moment of
this upgrade, not from their creation: an older client must not stop working the day Alta
is upgraded. `alta api-client rotate` gives one a new token sooner.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0651"
down_revision = "0650"
branch_labels = None
depends_on = None

EXPIRES = "The token stops working at this moment"


def upgrade() -> None:
    with op.batch_alter_table("api_clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token_expires_at", sa.DateTime(timezone=True),
                                      nullable=True, comment=EXPIRES))
        batch_op.add_column(sa.Column(
            "previous_token_prefix", sa.String(length=12), nullable=True,
            comment="Public part of the token the last rotation replaced"))
        batch_op.add_column(sa.Column(
            "previous_token_sha256", sa.String(length=64), nullable=True,
            comment="SHA-256 of the token the last rotation replaced"))
        batch_op.add_column(sa.Column(
            "previous_token_until", sa.DateTime(timezone=True), nullable=True,
            comment="End of the replaced token's grace period"))
        batch_op.create_unique_constraint(batch_op.f("uq_api_clients_previous_token_prefix"),
                                          ["previous_token_prefix"])
    expires = datetime.now(UTC) + timedelta(days=365)
    if op.get_bind().dialect.name == "sqlite":
        expires = expires.replace(tzinfo=None)  # stored as naive UTC (provisioning.db)
    clients = sa.table("api_clients", sa.column("token_expires_at", sa.DateTime(timezone=True)))
    op.execute(clients.update().values(token_expires_at=expires))
    with op.batch_alter_table("api_clients", schema=None) as batch_op:
        batch_op.alter_column("token_expires_at", existing_type=sa.DateTime(timezone=True),
                              nullable=False, existing_comment=EXPIRES)


def downgrade() -> None:
    with op.batch_alter_table("api_clients", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_api_clients_previous_token_prefix"),
                                 type_="unique")
        batch_op.drop_column("previous_token_until")
        batch_op.drop_column("previous_token_sha256")
        batch_op.drop_column("previous_token_prefix")
        batch_op.drop_column("token_expires_at")
