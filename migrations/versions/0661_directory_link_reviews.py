"""directory link reviews: risky existing accounts wait for IT to confirm the link

Revision ID: 0661
Revises: 0660
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0661'
down_revision = '0660'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('directory_link_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('object_guid', sa.String(length=36), nullable=False, comment="The account's identity"),
    sa.Column('sam_account_name', sa.String(length=256), nullable=False),
    sa.Column('dn', sa.String(length=1000), nullable=False, comment='As returned; never compared'),
    sa.Column('user_account_control', sa.Integer(), nullable=False),
    sa.Column('admin_count', sa.Integer(), nullable=False),
    sa.Column('reasons', sa.String(length=100), nullable=False, comment='Sorted, comma-separated: admin, disabled, outside_ou'),
    sa.Column('found_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False, comment='pending | confirmed | rejected | superseded'),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_by_name', sa.String(length=120), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_ip', sa.String(length=45), nullable=True),
    sa.Column('decision_reason', sa.String(length=500), nullable=True, comment='Why rejected'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['staff_users.id'], name=op.f('fk_directory_link_reviews_decided_by_id_staff_users')),
    sa.ForeignKeyConstraint(['request_id'], ['account_requests.id'], name=op.f('fk_directory_link_reviews_request_id_account_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_directory_link_reviews'))
    )
    with op.batch_alter_table('directory_link_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_directory_link_reviews_request_id'), ['request_id'], unique=False)
        batch_op.create_index('uq_directory_link_reviews_pending', ['request_id'], unique=True, sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))


def downgrade() -> None:
    with op.batch_alter_table('directory_link_reviews', schema=None) as batch_op:
        batch_op.drop_index('uq_directory_link_reviews_pending', sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))
        batch_op.drop_index(batch_op.f('ix_directory_link_reviews_request_id'))

    op.drop_table('directory_link_reviews')
