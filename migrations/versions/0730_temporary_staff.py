"""temporary staff: the request's end date, prórrogas and the notices before the end

Revision ID: 0730
Revises: 0720
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0730'
down_revision = '0720'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('account_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('end_date', sa.Date(), nullable=True, comment='Temporary staff: the last day of their access (people.rules)'))
    op.create_table('extensions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('folio', sa.String(length=30), nullable=False, comment='PRORROGA-<año>-<n>'),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('object_guid', sa.String(length=36), nullable=False),
    sa.Column('unit_clues', sa.String(length=11), nullable=False),
    sa.Column('jurisdiction_code', sa.String(length=8), nullable=False),
    sa.Column('old_end_date', sa.Date(), nullable=False),
    sa.Column('new_end_date', sa.Date(), nullable=False),
    sa.Column('reason_detail', sa.Text(), nullable=True),
    sa.Column('signer_username', sa.String(length=40), nullable=False),
    sa.Column('signer_name', sa.String(length=120), nullable=False),
    sa.Column('signer_position', sa.String(length=120), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('signer_ip', sa.String(length=45), nullable=True),
    sa.Column('content_sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.Text(), nullable=False, comment='Canonical JSON signed'),
    sa.Column('executed_at', sa.DateTime(timezone=True), nullable=True, comment="The DC's accountExpires was moved to the new end"),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_extensions_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_extensions')),
    sa.UniqueConstraint('folio', name=op.f('uq_extensions_folio'))
    )
    with op.batch_alter_table('extensions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_extensions_jurisdiction_code'), ['jurisdiction_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_extensions_object_guid'), ['object_guid'], unique=False)
        batch_op.create_index(batch_op.f('ix_extensions_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_extensions_unit_clues'), ['unit_clues'], unique=False)
    op.create_table('end_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('stage', sa.Integer(), nullable=False, comment='Business days before the end: 15 or 3'),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_end_notices_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_end_notices'))
    )
    with op.batch_alter_table('end_notices', schema=None) as batch_op:
        batch_op.create_index('uq_end_notices_person_end_stage', ['person_id', 'end_date', 'stage'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('end_notices', schema=None) as batch_op:
        batch_op.drop_index('uq_end_notices_person_end_stage')
    op.drop_table('end_notices')
    with op.batch_alter_table('extensions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_extensions_unit_clues'))
        batch_op.drop_index(batch_op.f('ix_extensions_person_id'))
        batch_op.drop_index(batch_op.f('ix_extensions_object_guid'))
        batch_op.drop_index(batch_op.f('ix_extensions_jurisdiction_code'))
    op.drop_table('extensions')
    with op.batch_alter_table('account_requests', schema=None) as batch_op:
        batch_op.drop_column('end_date')
