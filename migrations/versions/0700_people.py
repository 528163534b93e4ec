"""people: one row per CURP owning its requests and directory accounts

Revision ID: 0700
Revises: 0661

Every existing request is linked to its person (one per distinct CURP, with the names,
unit and staff type of that CURP's newest request); a request already anonymized by
retention gets an anonymized person of its own. Directory accounts take their request's
person.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0700'
down_revision = '0661'
branch_labels = None
depends_on = None

# A placeholder CURP for the anonymized requests' people while they are linked (never
# a valid CURP: it has no date), cleared before the migration ends.
_ANON = "'ANON' || r.id"


def upgrade() -> None:
    op.create_table('people',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('curp', sa.String(length=18), nullable=True, comment='NULL once anonymized by retention (the row stays)'),
    sa.Column('nombres', sa.String(length=50), nullable=False),
    sa.Column('primer_apellido', sa.String(length=50), nullable=False),
    sa.Column('segundo_apellido', sa.String(length=50), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=False, comment='Current unit'),
    sa.Column('unit_clues', sa.String(length=11), nullable=False, comment='Current unit (scoping)'),
    sa.Column('jurisdiction_code', sa.String(length=8), nullable=False, comment='Current jurisdiction'),
    sa.Column('staff_type_code', sa.String(length=40), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True, comment='Temporary staff: the last day of their access (local date)'),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_people_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_people')),
    sa.UniqueConstraint('curp', name=op.f('uq_people_curp'))
    )
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.create_index('ix_people_jurisdiction_code', ['jurisdiction_code'], unique=False)
        batch_op.create_index('ix_people_unit_clues', ['unit_clues'], unique=False)

    with op.batch_alter_table('account_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('person_id', sa.Integer(), nullable=True, comment='Whose case this is (people.curp)'))
    with op.batch_alter_table('directory_accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('person_id', sa.Integer(), nullable=True, comment='Whose account (from the request)'))

    # One person per CURP, from its newest request.
    columns = ("nombres, primer_apellido, segundo_apellido, unit_id, unit_clues, "
               "jurisdiction_code, staff_type_code")
    op.execute(
        f"INSERT INTO people (curp, {columns}, end_date, created_at, updated_at) "
        f"SELECT r.curp, {', '.join('r.' + c.strip() for c in columns.split(','))}, NULL, "
        "(SELECT MIN(o.submitted_at) FROM account_requests o WHERE o.curp = r.curp), "
        "r.updated_at FROM account_requests r "
        "WHERE r.curp <> '' AND r.id = (SELECT MAX(n.id) FROM account_requests n "
        "WHERE n.curp = r.curp)")
    # An anonymized request (its CURP blanked) gets an anonymized person of its own.
    op.execute(
        f"INSERT INTO people (curp, {columns}, end_date, created_at, updated_at) "
        f"SELECT {_ANON}, '', '', NULL, r.unit_id, r.unit_clues, r.jurisdiction_code, "
        "r.staff_type_code, NULL, r.submitted_at, r.updated_at "
        "FROM account_requests r WHERE r.curp = ''")
    op.execute(
        "UPDATE account_requests SET person_id = (SELECT p.id FROM people p WHERE p.curp = "
        "CASE WHEN account_requests.curp = '' THEN 'ANON' || account_requests.id "
        "ELSE account_requests.curp END)")
    op.execute("UPDATE people SET curp = NULL WHERE curp LIKE 'ANON%'")
    op.execute(
        "UPDATE directory_accounts SET person_id = (SELECT r.person_id FROM "
        "account_requests r WHERE r.id = directory_accounts.request_id)")

    with op.batch_alter_table('account_requests', schema=None) as batch_op:
        batch_op.alter_column('person_id', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('curp', existing_type=sa.String(length=18), comment='As filed on the form')
        batch_op.create_index(batch_op.f('ix_account_requests_person_id'), ['person_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_account_requests_person_id_people'), 'people', ['person_id'], ['id'])
    with op.batch_alter_table('directory_accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_directory_accounts_person_id'), ['person_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_directory_accounts_person_id_people'), 'people', ['person_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('directory_accounts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_directory_accounts_person_id_people'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_directory_accounts_person_id'))
        batch_op.drop_column('person_id')
    with op.batch_alter_table('account_requests', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_account_requests_person_id_people'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_account_requests_person_id'))
        batch_op.alter_column('curp', existing_type=sa.String(length=18), comment=None)
        batch_op.drop_column('person_id')
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_index('ix_people_unit_clues')
        batch_op.drop_index('ix_people_jurisdiction_code')
    op.drop_table('people')
