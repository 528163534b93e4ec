"""preregistrations: the person's NOM-024 Tabla 1 data, cédula and institutional phone

Revision ID: 0603
Revises: 0602
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0603'
down_revision = '0602'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('preregistrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('curp', sa.String(length=18), nullable=False, comment='CURP (Tabla 1), as on the request'),
    sa.Column('nombres', sa.String(length=50), nullable=False, comment='NOMBRE'),
    sa.Column('primer_apellido', sa.String(length=50), nullable=False, comment='PRIMER_APELLIDO'),
    sa.Column('segundo_apellido', sa.String(length=50), nullable=True, comment='SEGUNDO_APELLIDO'),
    sa.Column('fecha_nacimiento', sa.Date(), nullable=False, comment='FECNAC'),
    sa.Column('sexo', sa.String(length=1), nullable=False, comment='SEXO: H | M (as on the CURP)'),
    sa.Column('entidad_nacimiento', sa.String(length=2), nullable=False, comment='EDONAC; NE = abroad'),
    sa.Column('nacionalidad', sa.String(length=3), nullable=False, comment='NACORIGEN (RENAPO key)'),
    sa.Column('staff_type_code', sa.String(length=40), nullable=False, comment='Tipo de personal'),
    sa.Column('cedula_profesional', sa.String(length=10), nullable=True),
    sa.Column('telefono_institucional', sa.String(length=10), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['account_requests.id'], name=op.f('fk_preregistrations_request_id_account_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_preregistrations')),
    sa.UniqueConstraint('request_id', name=op.f('uq_preregistrations_request_id'))
    )


def downgrade() -> None:
    op.drop_table('preregistrations')
