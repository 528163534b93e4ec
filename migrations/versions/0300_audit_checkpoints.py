"""signed checkpoints of the audit chain

Revision ID: 0300
Revises: 0103
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0300'
down_revision = '0103'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_checkpoints',
    sa.Column('number', sa.BigInteger(), autoincrement=False, nullable=False, comment='1, 2, 3... without gaps'),
    sa.Column('seq', sa.BigInteger(), nullable=False, comment='Last event covered (0: empty chain)'),
    sa.Column('hash', sa.String(length=64), nullable=False, comment='Hash of event seq'),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False, comment='periodic, export, purge, manual'),
    sa.Column('key_id', sa.String(length=16), nullable=False, comment='Fingerprint of the signing key'),
    sa.Column('prev_mac', sa.String(length=64), nullable=False, comment='mac of checkpoint number - 1'),
    sa.Column('mac', sa.String(length=64), nullable=False, comment='HMAC-SHA256 over the fields above'),
    sa.PrimaryKeyConstraint('number', name=op.f('pk_audit_checkpoints'))
    )
    # Checkpoints are never changed or removed.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints "
                   "BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END")
        op.execute("CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints "
                   "BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END")
    else:
        op.execute("""
            CREATE FUNCTION audit_checkpoints_guard() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              RAISE EXCEPTION 'audit_checkpoints is append-only';
            END $$""")
        op.execute("CREATE TRIGGER audit_checkpoints_guard BEFORE UPDATE OR DELETE "
                   "ON audit_checkpoints FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_guard()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP TRIGGER audit_checkpoints_guard ON audit_checkpoints")
        op.execute("DROP FUNCTION audit_checkpoints_guard()")
    op.drop_table('audit_checkpoints')
