"""staff accounts, scoped roles and recovery codes

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('staff_users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=40), nullable=False),
    sa.Column('full_name', sa.String(length=120), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('position', sa.String(length=120), nullable=False, comment='Cargo, for oficios'),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('must_change_password', sa.Boolean(), nullable=False, comment='Set when an administrator chose the password'),
    sa.Column('totp_secret_sealed', sa.Text(), nullable=True, comment='TOTP seed, encrypted (crypto.Sealer); NULL until enrolled'),
    sa.Column('totp_pending_sealed', sa.Text(), nullable=True, comment='Seed offered during enrolment, encrypted; cleared when confirmed'),
    sa.Column('totp_enrolled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('totp_last_step', sa.BigInteger(), nullable=True, comment='Last accepted 30-second step: an older or equal code is a replay'),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('session_version', sa.Integer(), nullable=False, comment='Bumped to end every open session (password reset, deactivation)'),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_users')),
    sa.UniqueConstraint('username', name=op.f('uq_staff_users_username'))
    )

    op.create_table('staff_recovery_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=200), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_users.id'], name=op.f('fk_staff_recovery_codes_staff_id_staff_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_recovery_codes'))
    )

    op.create_table('staff_roles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('jefe_unidad', 'responsable_jurisdiccional', 'enlace', 'informatica', 'jefe_informatica', 'auditor', 'admin', name='role', native_enum=False, length=40), nullable=False),
    sa.Column('unit_clues', sa.String(length=11), nullable=True),
    sa.Column('jurisdiction_code', sa.String(length=8), nullable=True),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_users.id'], name=op.f('fk_staff_roles_staff_id_staff_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_roles'))
    )
    with op.batch_alter_table('staff_roles', schema=None) as batch_op:
        batch_op.create_index('ix_staff_roles_unique', ['staff_id', 'role', 'unit_clues', 'jurisdiction_code'], unique=True)


def downgrade() -> None:
    op.drop_table('staff_roles')
    op.drop_table('staff_recovery_codes')
    op.drop_table('staff_users')
