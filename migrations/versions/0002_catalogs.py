"""catalogs: jurisdictions, units, org units, staff types, loads

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('catalog_loads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('version', sa.String(length=40), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('added', sa.Integer(), nullable=False),
    sa.Column('closed', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.Column('loaded_by', sa.String(length=120), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_loads'))
    )

    op.create_table('jurisdictions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=8), nullable=False, comment='Roman numeral used in oficios: I, II…'),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('dgis_code', sa.String(length=8), nullable=True, comment='Key in the DGIS CLUES file'),
    sa.Column('seat', sa.String(length=120), nullable=True, comment='City used in oficio dates'),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True, comment='First day it no longer applies'),
    sa.Column('version', sa.String(length=40), nullable=False, comment='Catalog version it came from'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jurisdictions'))
    )
    with op.batch_alter_table('jurisdictions', schema=None) as batch_op:
        batch_op.create_index('ix_jurisdictions_code', ['code', 'valid_from'], unique=True)

    op.create_table('org_units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False, comment='direccion | subdireccion'),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('parent_code', sa.String(length=20), nullable=True),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True, comment='First day it no longer applies'),
    sa.Column('version', sa.String(length=40), nullable=False, comment='Catalog version it came from'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_org_units'))
    )
    with op.batch_alter_table('org_units', schema=None) as batch_op:
        batch_op.create_index('ix_org_units_code', ['kind', 'code', 'valid_from'], unique=True)

    op.create_table('staff_types',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True, comment='First day it no longer applies'),
    sa.Column('version', sa.String(length=40), nullable=False, comment='Catalog version it came from'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_types'))
    )
    with op.batch_alter_table('staff_types', schema=None) as batch_op:
        batch_op.create_index('ix_staff_types_code', ['code', 'valid_from'], unique=True)

    op.create_table('units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clues', sa.String(length=11), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('unit_type', sa.String(length=40), nullable=False, comment='centro_de_salud | hospital | oficinas_centrales'),
    sa.Column('jurisdiction_code', sa.String(length=8), nullable=False),
    sa.Column('municipio_code', sa.String(length=5), nullable=False, comment='INEGI key, e.g. 17007'),
    sa.Column('municipio_name', sa.String(length=120), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True, comment='First day it no longer applies'),
    sa.Column('version', sa.String(length=40), nullable=False, comment='Catalog version it came from'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_units'))
    )
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.create_index('ix_units_clues', ['clues', 'valid_from'], unique=True)
        batch_op.create_index('ix_units_jurisdiction_code', ['jurisdiction_code'], unique=False)


def downgrade() -> None:
    op.drop_table('units')
    op.drop_table('staff_types')
    op.drop_table('org_units')
    op.drop_table('jurisdictions')
    op.drop_table('catalog_loads')
