"""account requests (solicitud FO-DPE-STI-DI-04)

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('account_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('folio', sa.String(length=30), nullable=False, comment='CLUES-year-sequence, e.g. MSSSA001270-2026-00042'),
    sa.Column('tracking_code_hash', sa.String(length=200), nullable=False, comment='argon2id; never clear'),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False, comment='Optimistic lock: bumps on every change'),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True, comment='Set when the request ends (rejected, cancelled, access active); starts retention'),
    sa.Column('form_date', sa.Date(), nullable=False, comment='FECHA on the form (local date)'),
    sa.Column('wants_user_account', sa.Boolean(), nullable=False, comment='CUENTA DE USUARIO'),
    sa.Column('wants_email_account', sa.Boolean(), nullable=False, comment='CUENTA DE CORREO'),
    sa.Column('wants_ece', sa.Boolean(), nullable=False, comment='EXPEDIENTE ELECTRÓNICO: SI'),
    sa.Column('curp', sa.String(length=18), nullable=False),
    sa.Column('nombres', sa.String(length=50), nullable=False),
    sa.Column('primer_apellido', sa.String(length=50), nullable=False),
    sa.Column('segundo_apellido', sa.String(length=50), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=False, comment='Catalog row valid when submitted'),
    sa.Column('unit_clues', sa.String(length=11), nullable=False),
    sa.Column('unit_type', sa.String(length=40), nullable=False),
    sa.Column('jurisdiction_code', sa.String(length=8), nullable=False),
    sa.Column('direccion_code', sa.String(length=20), nullable=False),
    sa.Column('subdireccion_code', sa.String(length=20), nullable=False),
    sa.Column('departamento', sa.String(length=120), nullable=False, comment='N/A outside central offices'),
    sa.Column('telefono', sa.String(length=10), nullable=False),
    sa.Column('extension', sa.String(length=6), nullable=True),
    sa.Column('contact_email', sa.String(length=254), nullable=False),
    sa.Column('staff_type_code', sa.String(length=40), nullable=False),
    sa.Column('privacy_notice_sha256', sa.String(length=64), nullable=False, comment='Hash of the aviso de privacidad text the person accepted'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_account_requests_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_requests')),
    sa.UniqueConstraint('folio', name=op.f('uq_account_requests_folio'))
    )
    with op.batch_alter_table('account_requests', schema=None) as batch_op:
        batch_op.create_index('ix_account_requests_curp', ['curp'], unique=False)
        batch_op.create_index('ix_account_requests_jurisdiction', ['jurisdiction_code', 'status'], unique=False)
        batch_op.create_index('ix_account_requests_unit_clues', ['unit_clues', 'status'], unique=False)
        batch_op.create_index('uq_account_requests_open_curp', ['curp'], unique=True, sqlite_where=sa.text('closed_at IS NULL'), postgresql_where=sa.text('closed_at IS NULL'))


def downgrade() -> None:
    op.drop_table('account_requests')
