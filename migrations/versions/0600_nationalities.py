"""nationalities: NACORIGEN catalog (NOM-024 Tabla 1)

Revision ID: 0600
Revises: 0400
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0600'
down_revision = '0400'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('nationalities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=3), nullable=False, comment='RENAPO key, e.g. MEX'),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True, comment='First day it no longer applies'),
    sa.Column('version', sa.String(length=40), nullable=False, comment='Catalog version it came from'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_nationalities'))
    )
    with op.batch_alter_table('nationalities', schema=None) as batch_op:
        batch_op.create_index('ix_nationalities_code', ['code', 'valid_from'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('nationalities', schema=None) as batch_op:
        batch_op.drop_index('ix_nationalities_code')

    op.drop_table('nationalities')
