"""issued documents (PDF) with their verification code and hashes

Revision ID: 0103
Revises: 0102
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0103'
down_revision = '0102'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False, comment='Short verification code (QR and /verificar)'),
    sa.Column('kind', sa.String(length=20), nullable=False, comment='solicitud | oficio'),
    sa.Column('object_pk', sa.Integer(), nullable=False, comment='account_requests.id or oficios.id'),
    sa.Column('reference', sa.String(length=80), nullable=False, comment='Non-personal label shown publicly: folio or oficio number'),
    sa.Column('content_sha256', sa.String(length=64), nullable=False, comment='SHA-256 of ``content``: what the document certifies'),
    sa.Column('content', sa.Text(), nullable=False, comment='Canonical JSON certified'),
    sa.Column('pdf_sha256', sa.String(length=64), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False, comment='The PDF exactly as issued'),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('issued_by', sa.String(length=120), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents')),
    sa.UniqueConstraint('code', name=op.f('uq_documents_code'))
    )
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.create_index('uq_documents_version', ['kind', 'object_pk', 'content_sha256'], unique=True)


def downgrade() -> None:
    op.drop_table('documents')
