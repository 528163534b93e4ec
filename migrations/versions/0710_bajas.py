"""bajas: the end of a person's access, with its signatures

Revision ID: 0710
Revises: 0700

At most one open baja (solicitada or programada) per person, enforced by a partial unique
index: the same baja sent twice is refused by the database too.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0710'
down_revision = '0700'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('bajas',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('folio', sa.String(length=30), nullable=False, comment='BAJA-<año>-<n>'),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('object_guid', sa.String(length=36), nullable=False, comment='The account the baja disables'),
    sa.Column('sam_account_name', sa.String(length=20), nullable=False, comment='As recorded when started; blanked by retention'),
    sa.Column('unit_clues', sa.String(length=11), nullable=False),
    sa.Column('jurisdiction_code', sa.String(length=8), nullable=False),
    sa.Column('reason_code', sa.String(length=30), nullable=False, comment='rules.REASONS'),
    sa.Column('reason_detail', sa.Text(), nullable=True),
    sa.Column('effective_date', sa.Date(), nullable=False, comment='Local date it takes effect'),
    sa.Column('urgent', sa.Boolean(), nullable=False, comment='Executed at once by IT (TOTP, reason)'),
    sa.Column('status', sa.String(length=20), nullable=False, comment='solicitada | programada | ejecutada | cancelada'),
    sa.Column('started_by', sa.String(length=40), nullable=False),
    sa.Column('started_role', sa.String(length=40), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('scheduled_at', sa.DateTime(timezone=True), nullable=True, comment='Signed: job queued'),
    sa.Column('executed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('removed_groups', sa.Text(), nullable=True, comment='JSON list of the group DNs the account left'),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_by', sa.String(length=40), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_bajas_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bajas')),
    sa.UniqueConstraint('folio', name=op.f('uq_bajas_folio'))
    )
    with op.batch_alter_table('bajas', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bajas_jurisdiction_code'), ['jurisdiction_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_bajas_object_guid'), ['object_guid'], unique=False)
        batch_op.create_index(batch_op.f('ix_bajas_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bajas_unit_clues'), ['unit_clues'], unique=False)
        batch_op.create_index('uq_bajas_open_person', ['person_id'], unique=True, sqlite_where=sa.text("status IN ('solicitada', 'programada')"), postgresql_where=sa.text("status IN ('solicitada', 'programada')"))

    op.create_table('baja_signatures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('baja_id', sa.Integer(), nullable=False),
    sa.Column('step', sa.String(length=40), nullable=False, comment='rules.Step.code'),
    sa.Column('signer_id', sa.Integer(), nullable=False),
    sa.Column('signer_username', sa.String(length=40), nullable=False),
    sa.Column('signer_name', sa.String(length=120), nullable=False),
    sa.Column('signer_position', sa.String(length=120), nullable=False),
    sa.Column('signer_role', sa.String(length=40), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ip', sa.String(length=45), nullable=True),
    sa.Column('content_sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.Text(), nullable=False, comment='Canonical JSON signed; blanked by retention (the hash stays)'),
    sa.ForeignKeyConstraint(['baja_id'], ['bajas.id'], name=op.f('fk_baja_signatures_baja_id_bajas'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['signer_id'], ['staff_users.id'], name=op.f('fk_baja_signatures_signer_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_baja_signatures'))
    )
    with op.batch_alter_table('baja_signatures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_baja_signatures_baja_id'), ['baja_id'], unique=False)
        batch_op.create_index('uq_baja_signatures_step', ['baja_id', 'step'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('baja_signatures', schema=None) as batch_op:
        batch_op.drop_index('uq_baja_signatures_step')
        batch_op.drop_index(batch_op.f('ix_baja_signatures_baja_id'))

    op.drop_table('baja_signatures')
    with op.batch_alter_table('bajas', schema=None) as batch_op:
        batch_op.drop_index('uq_bajas_open_person', sqlite_where=sa.text("status IN ('solicitada', 'programada')"), postgresql_where=sa.text("status IN ('solicitada', 'programada')"))
        batch_op.drop_index(batch_op.f('ix_bajas_unit_clues'))
        batch_op.drop_index(batch_op.f('ix_bajas_person_id'))
        batch_op.drop_index(batch_op.f('ix_bajas_object_guid'))
        batch_op.drop_index(batch_op.f('ix_bajas_jurisdiction_code'))

    op.drop_table('bajas')
