"""cambios: the cambio de adscripción of a person, signed by the receiving unit head

Revision ID: 0720
Revises: 0710

At most one open cambio (solicitada or programada) per person (partial unique index).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0720'
down_revision = '0710'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('cambios',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('folio', sa.String(length=30), nullable=False, comment='CAMBIO-<año>-<n>'),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('object_guid', sa.String(length=36), nullable=False),
    sa.Column('from_unit_clues', sa.String(length=11), nullable=False),
    sa.Column('from_jurisdiction_code', sa.String(length=8), nullable=False),
    sa.Column('to_unit_id', sa.Integer(), nullable=False),
    sa.Column('to_unit_clues', sa.String(length=11), nullable=False),
    sa.Column('to_jurisdiction_code', sa.String(length=8), nullable=False),
    sa.Column('reason_detail', sa.Text(), nullable=True),
    sa.Column('effective_date', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False, comment='solicitada | programada | ejecutada | cancelada'),
    sa.Column('started_by', sa.String(length=40), nullable=False),
    sa.Column('started_role', sa.String(length=40), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('signer_username', sa.String(length=40), nullable=True),
    sa.Column('signer_name', sa.String(length=120), nullable=True),
    sa.Column('signer_position', sa.String(length=120), nullable=True),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('signer_ip', sa.String(length=45), nullable=True),
    sa.Column('content_sha256', sa.String(length=64), nullable=True),
    sa.Column('content', sa.Text(), nullable=True, comment='Canonical JSON signed'),
    sa.Column('executed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('groups_added', sa.Text(), nullable=True, comment='JSON list of DNs'),
    sa.Column('groups_removed', sa.Text(), nullable=True, comment='JSON list of DNs'),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_by', sa.String(length=40), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_cambios_person_id_people')),
    sa.ForeignKeyConstraint(['to_unit_id'], ['units.id'], name=op.f('fk_cambios_to_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cambios')),
    sa.UniqueConstraint('folio', name=op.f('uq_cambios_folio'))
    )
    with op.batch_alter_table('cambios', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cambios_from_jurisdiction_code'), ['from_jurisdiction_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_cambios_from_unit_clues'), ['from_unit_clues'], unique=False)
        batch_op.create_index(batch_op.f('ix_cambios_object_guid'), ['object_guid'], unique=False)
        batch_op.create_index(batch_op.f('ix_cambios_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cambios_to_jurisdiction_code'), ['to_jurisdiction_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_cambios_to_unit_clues'), ['to_unit_clues'], unique=False)
        batch_op.create_index('uq_cambios_open_person', ['person_id'], unique=True, sqlite_where=sa.text("status IN ('solicitada', 'programada')"), postgresql_where=sa.text("status IN ('solicitada', 'programada')"))


def downgrade() -> None:
    with op.batch_alter_table('cambios', schema=None) as batch_op:
        batch_op.drop_index('uq_cambios_open_person', sqlite_where=sa.text("status IN ('solicitada', 'programada')"), postgresql_where=sa.text("status IN ('solicitada', 'programada')"))
        batch_op.drop_index(batch_op.f('ix_cambios_to_unit_clues'))
        batch_op.drop_index(batch_op.f('ix_cambios_to_jurisdiction_code'))
        batch_op.drop_index(batch_op.f('ix_cambios_person_id'))
        batch_op.drop_index(batch_op.f('ix_cambios_object_guid'))
        batch_op.drop_index(batch_op.f('ix_cambios_from_unit_clues'))
        batch_op.drop_index(batch_op.f('ix_cambios_from_jurisdiction_code'))

    op.drop_table('cambios')
