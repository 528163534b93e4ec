"""directory accounts: the AD account of each request

Revision ID: 0200
Revises: 0500
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0200'
down_revision = '0500'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('directory_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False, comment='One account per request; a second recording is refused'),
    sa.Column('sam_account_name', sa.String(length=20), nullable=False),
    sa.Column('user_principal_name', sa.String(length=300), nullable=False),
    sa.Column('object_guid', sa.String(length=36), nullable=False, comment="The account's identity; the DN may change"),
    sa.Column('dn', sa.String(length=1000), nullable=False, comment='As returned; never compared'),
    sa.Column('origin', sa.String(length=10), nullable=False, comment='created: made by Alta; linked: the CURP already had an account'),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['account_requests.id'], name=op.f('fk_directory_accounts_request_id_account_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_directory_accounts')),
    sa.UniqueConstraint('request_id', name=op.f('uq_directory_accounts_request_id'))
    )
    with op.batch_alter_table('directory_accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_directory_accounts_object_guid'), ['object_guid'], unique=False)


def downgrade() -> None:
    op.drop_table('directory_accounts')
