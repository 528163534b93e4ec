"""checkpoints may be signed again with a new key; what they certify never changes

Revision ID: 0611
Revises: 0610

``alta audit resign`` (a change of ``[audit].checkpoint_key``) rewrites each checkpoint's
key_id, prev_mac and mac. The tables stay append-only for everything a checkpoint
certifies (number, seq, hash, created_at, reason) and for deletes. A mac written without
the key does not verify, so allowing these three columns gives nothing to a forger.
"""

from __future__ import annotations

from alembic import op

revision = "0611"
down_revision = "0610"
branch_labels = None
depends_on = None

_CERTIFIED = ("number", "seq", "hash", "created_at", "reason")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _CERTIFIED)
        op.execute("DROP TRIGGER audit_checkpoints_no_update")
        op.execute("CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON "
                   f"audit_checkpoints WHEN {changed} "
                   "BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END")
    else:
        changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in _CERTIFIED)
        op.execute(f"""
            CREATE OR REPLACE FUNCTION audit_checkpoints_guard() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
              IF TG_OP = 'DELETE' OR {changed} THEN
                RAISE EXCEPTION 'audit_checkpoints is append-only';
              END IF;
              RETURN NEW;
            END $$""")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER audit_checkpoints_no_update")
        op.execute("CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON "
                   "audit_checkpoints "
                   "BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END")
    else:
        op.execute("""
            CREATE OR REPLACE FUNCTION audit_checkpoints_guard() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
              RAISE EXCEPTION 'audit_checkpoints is append-only';
            END $$""")
