"""adopted accounts: a directory account may have no request (an existing account the
reconciliation linked to a person), so bajas, cambios, reviews and the roster reach it

Revision ID: 0860
Revises: 0850
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0860'
down_revision = '0850'
branch_labels = None
depends_on = None

OLD_REQUEST = "One account per request; a second recording is refused"
NEW_REQUEST = OLD_REQUEST + ". NULL: adopted from the directory import"
OLD_ORIGIN = "created: made by Alta; linked: the CURP already had an account"
NEW_ORIGIN = OLD_ORIGIN + "; imported: adopted from the directory import"


def upgrade() -> None:
    with op.batch_alter_table('directory_accounts', schema=None) as batch_op:
        batch_op.alter_column('request_id', existing_type=sa.Integer(), nullable=True,
                              comment=NEW_REQUEST, existing_comment=OLD_REQUEST)
        batch_op.alter_column('origin', existing_type=sa.String(length=10),
                              existing_nullable=False, comment=NEW_ORIGIN,
                              existing_comment=OLD_ORIGIN)
    # The links the reconciliation made before this revision become adopted accounts.
    op.execute(
        "INSERT INTO directory_accounts (request_id, person_id, sam_account_name, "
        "user_principal_name, object_guid, dn, origin, created_at) "
        "SELECT NULL, i.person_id, substr(i.sam_account_name, 1, 20), '', i.object_guid, "
        "i.dn, 'imported', i.linked_at FROM directory_imported_accounts i "
        "WHERE i.link_status = 'linked' AND i.link_method <> 'alta' "
        "AND i.person_id IS NOT NULL AND i.linked_at IS NOT NULL AND NOT EXISTS ("
        "SELECT 1 FROM directory_accounts d WHERE d.object_guid = i.object_guid "
        "AND d.person_id = i.person_id)")


def downgrade() -> None:
    op.execute("DELETE FROM directory_accounts WHERE request_id IS NULL")
    with op.batch_alter_table('directory_accounts', schema=None) as batch_op:
        batch_op.alter_column('origin', existing_type=sa.String(length=10),
                              existing_nullable=False, comment=OLD_ORIGIN,
                              existing_comment=NEW_ORIGIN)
        batch_op.alter_column('request_id', existing_type=sa.Integer(), nullable=False,
                              comment=OLD_REQUEST, existing_comment=NEW_REQUEST)
