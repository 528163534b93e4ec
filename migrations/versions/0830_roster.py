"""staff roster: uploads and their lines

Revision ID: 0830
Revises: 0810
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0830'
down_revision = '0810'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('roster_uploads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False, comment='Of the file as uploaded'),
    sa.Column('line_count', sa.Integer(), nullable=False),
    sa.Column('uploaded_by', sa.String(length=40), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_roster_uploads'))
    )
    op.create_table('roster_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('upload_id', sa.Integer(), nullable=False),
    sa.Column('row_number', sa.Integer(), nullable=False, comment='Row of the file (the header is row 1)'),
    sa.Column('curp', sa.String(length=18), nullable=False),
    sa.Column('nombres', sa.String(length=50), nullable=False),
    sa.Column('primer_apellido', sa.String(length=50), nullable=False),
    sa.Column('segundo_apellido', sa.String(length=50), nullable=True),
    sa.Column('unit_clues', sa.String(length=11), nullable=False),
    sa.Column('staff_type_code', sa.String(length=40), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True, comment='Fecha de término, if any'),
    sa.ForeignKeyConstraint(['upload_id'], ['roster_uploads.id'], name=op.f('fk_roster_lines_upload_id_roster_uploads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_roster_lines'))
    )
    op.create_index('uq_roster_lines_upload_curp', 'roster_lines', ['upload_id', 'curp'], unique=True)


def downgrade() -> None:
    op.drop_index('uq_roster_lines_upload_curp', table_name='roster_lines')
    op.drop_table('roster_lines')
    op.drop_table('roster_uploads')
