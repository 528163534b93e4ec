"""audit head keeps the newest checkpoint's time: whether a periodic checkpoint is due was
a query of audit_checkpoints on every audited commit

Revision ID: 0890
Revises: 0880

Plain ADD and DROP COLUMN on both engines: SQLite's batch mode would rebuild audit_head and
drop its guard triggers (migration 0610).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0890'
down_revision = '0880'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('audit_head', sa.Column(
        'checkpoint_at', sa.DateTime(timezone=True), nullable=True,
        comment="created_at of the newest checkpoint: whether one is due is read here, with "
                "the head every append locks anyway, instead of a query per commit"))
    op.execute("UPDATE audit_head SET checkpoint_at = (SELECT created_at FROM audit_checkpoints "
               "ORDER BY number DESC LIMIT 1)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE audit_head DROP COLUMN checkpoint_at")  # SQLite 3.35+
    else:
        op.drop_column('audit_head', 'checkpoint_at')
