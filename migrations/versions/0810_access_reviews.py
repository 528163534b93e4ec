"""access review campaigns: campaigns, their units, the accounts to answer, notices sent

Revision ID: 0810
Revises: 0741
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0810'
down_revision = '0741'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('review_campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('folio', sa.String(length=30), nullable=False, comment='REVISION-<año>-<n>'),
    sa.Column('status', sa.String(length=20), nullable=False, comment='programada | abierta | cerrada'),
    sa.Column('all_units', sa.Boolean(), nullable=False, comment='Every unit of the catalog'),
    sa.Column('unit_list', sa.Text(), nullable=True, comment='JSON list of the CLUES chosen (when not all units)'),
    sa.Column('starts_on', sa.Date(), nullable=False, comment='Local date it opens'),
    sa.Column('deadline', sa.Date(), nullable=False, comment='Last local day to answer'),
    sa.Column('recurrence_months', sa.Integer(), nullable=True, comment='Months between campaigns; NULL: no next one'),
    sa.Column('reminder_days', sa.String(length=40), nullable=False, comment='Comma-separated days before the deadline to remind, e.g. 7,2'),
    sa.Column('created_by', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True, comment='Snapshot taken'),
    sa.Column('previous_id', sa.Integer(), nullable=True, comment='The campaign this one recurs from'),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.String(length=40), nullable=True),
    sa.Column('signer_name', sa.String(length=120), nullable=True),
    sa.Column('signer_position', sa.String(length=120), nullable=True),
    sa.Column('signer_ip', sa.String(length=45), nullable=True),
    sa.Column('content_sha256', sa.String(length=64), nullable=True),
    sa.Column('content', sa.Text(), nullable=True, comment='Canonical JSON of the results signed at closing'),
    sa.ForeignKeyConstraint(['previous_id'], ['review_campaigns.id'], name=op.f('fk_review_campaigns_previous_id_review_campaigns')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_campaigns')),
    sa.UniqueConstraint('folio', name=op.f('uq_review_campaigns_folio'))
    )
    op.create_table('review_units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('unit_clues', sa.String(length=11), nullable=False),
    sa.Column('jurisdiction_code', sa.String(length=8), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True, comment='Last account answered'),
    sa.ForeignKeyConstraint(['campaign_id'], ['review_campaigns.id'], name=op.f('fk_review_units_campaign_id_review_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_review_units_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_units'))
    )
    with op.batch_alter_table('review_units', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_units_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_units_jurisdiction_code'), ['jurisdiction_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_units_unit_clues'), ['unit_clues'], unique=False)
        batch_op.create_index('uq_review_units_campaign_unit', ['campaign_id', 'unit_clues'], unique=True)
    op.create_table('review_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_unit_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.Integer(), nullable=False, comment='Days before the deadline; -1: escalation'),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['review_unit_id'], ['review_units.id'], name=op.f('fk_review_notices_review_unit_id_review_units'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_notices'))
    )
    with op.batch_alter_table('review_notices', schema=None) as batch_op:
        batch_op.create_index('uq_review_notices_unit_stage', ['review_unit_id', 'stage'], unique=True)
    op.create_table('review_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_unit_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('object_guid', sa.String(length=36), nullable=False),
    sa.Column('sam_account_name', sa.String(length=20), nullable=False),
    sa.Column('origin', sa.String(length=20), nullable=False, comment='How Alta knows the account (people.accounts origin)'),
    sa.Column('decision', sa.String(length=20), nullable=False, comment='pendiente | confirmada | revocada'),
    sa.Column('decided_by', sa.String(length=40), nullable=True),
    sa.Column('decided_name', sa.String(length=120), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_ip', sa.String(length=45), nullable=True),
    sa.Column('content_sha256', sa.String(length=64), nullable=True, comment='SHA-256 of the canonical answer (TOTP step-up)'),
    sa.Column('baja_id', sa.Integer(), nullable=True, comment='The baja a revocation started'),
    sa.ForeignKeyConstraint(['baja_id'], ['bajas.id'], name=op.f('fk_review_items_baja_id_bajas')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_review_items_person_id_people')),
    sa.ForeignKeyConstraint(['review_unit_id'], ['review_units.id'], name=op.f('fk_review_items_review_unit_id_review_units'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_items'))
    )
    with op.batch_alter_table('review_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_items_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_items_review_unit_id'), ['review_unit_id'], unique=False)
        batch_op.create_index('uq_review_items_unit_guid', ['review_unit_id', 'object_guid'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('review_items', schema=None) as batch_op:
        batch_op.drop_index('uq_review_items_unit_guid')
        batch_op.drop_index(batch_op.f('ix_review_items_review_unit_id'))
        batch_op.drop_index(batch_op.f('ix_review_items_person_id'))
    op.drop_table('review_items')
    with op.batch_alter_table('review_notices', schema=None) as batch_op:
        batch_op.drop_index('uq_review_notices_unit_stage')
    op.drop_table('review_notices')
    with op.batch_alter_table('review_units', schema=None) as batch_op:
        batch_op.drop_index('uq_review_units_campaign_unit')
        batch_op.drop_index(batch_op.f('ix_review_units_unit_clues'))
        batch_op.drop_index(batch_op.f('ix_review_units_jurisdiction_code'))
        batch_op.drop_index(batch_op.f('ix_review_units_campaign_id'))
    op.drop_table('review_units')
    op.drop_table('review_campaigns')
