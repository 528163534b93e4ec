"""the purge mark moves only with a signed purge checkpoint

Revision ID: 0610
Revises: 0605

Events at or below ``audit_head.purged_through`` may be deleted (retention), so the mark
itself must not move freely: it moves only up, and only to the seq of the newest
checkpoint when that checkpoint is a purge one (``purge_through`` signs it just before
moving the mark). The head's seq never goes back and its row is never deleted.
``alta audit verify`` checks the same with the key; these triggers stop the move for a
database role that does not own the tables (it cannot drop them).
"""

from __future__ import annotations

from alembic import op

revision = "0610"
down_revision = "0605"
branch_labels = None
depends_on = None

_PURGE_SIGNED = ("EXISTS (SELECT 1 FROM audit_checkpoints WHERE reason = 'purge' "
                 "AND seq = NEW.purged_through "
                 "AND number = (SELECT max(number) FROM audit_checkpoints))")
_MESSAGE = "audit_head: purged_through moves only with a purge checkpoint; seq never goes back"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE TRIGGER audit_head_guard_update BEFORE UPDATE ON audit_head "
                   "WHEN NEW.seq < OLD.seq OR (NEW.purged_through IS NOT OLD.purged_through "
                   f"AND (NEW.purged_through < OLD.purged_through OR NOT {_PURGE_SIGNED})) "
                   f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END")
        op.execute("CREATE TRIGGER audit_head_guard_delete BEFORE DELETE ON audit_head "
                   "BEGIN SELECT RAISE(ABORT, 'audit_head: the head row is never deleted'); END")
    else:
        op.execute(f"""
            CREATE FUNCTION audit_head_guard() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF TG_OP = 'DELETE' THEN
                RAISE EXCEPTION 'audit_head: the head row is never deleted';
              END IF;
              IF NEW.seq < OLD.seq
                 OR (NEW.purged_through IS DISTINCT FROM OLD.purged_through
                     AND (NEW.purged_through < OLD.purged_through OR NOT {_PURGE_SIGNED})) THEN
                RAISE EXCEPTION '{_MESSAGE}';
              END IF;
              RETURN NEW;
            END $$""")
        op.execute("CREATE TRIGGER audit_head_guard BEFORE UPDATE OR DELETE ON audit_head "
                   "FOR EACH ROW EXECUTE FUNCTION audit_head_guard()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER audit_head_guard_delete")
        op.execute("DROP TRIGGER audit_head_guard_update")
    else:
        op.execute("DROP TRIGGER audit_head_guard ON audit_head")
        op.execute("DROP FUNCTION audit_head_guard()")
