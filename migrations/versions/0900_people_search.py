"""people search: the CURP and names folded into one column (accents and case aside), with a
trigram index on PostgreSQL; LIKE '%…%' on four columns read a million people per search

Revision ID: 0900
Revises: 0890

pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may create it. Where
it cannot be created the index is a plain one under the same name, and searches scan.
"""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = '0900'
down_revision = '0890'
branch_labels = None
depends_on = None

COMMENT = "CURP and names folded for search (naming.search_key); kept by the ORM"
BATCH = 5000
_APOSTROPHES = dict.fromkeys(map(ord, "'`´ʼ’‘ʹ′"), None)
_LATIN_EXTRAS = str.maketrans(
    {"æ": "ae", "ø": "o", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"})


def search_text_of(*parts: str | None) -> str:
    """naming.search_key of the CURP and names as this revision defines it (a migration
    keeps its own copy: the application's may change later)."""
    text = " ".join(p for p in parts if p).translate(_APOSTROPHES)
    stripped = "".join(ch for ch in unicodedata.normalize("NFKD", text)
                       if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().translate(_LATIN_EXTRAS).split())


def upgrade() -> None:
    bind = op.get_bind()
    op.add_column('people', sa.Column('search_text', sa.String(length=200), nullable=False,
                                      server_default='', comment=COMMENT))
    people = sa.table('people', sa.column('id'), sa.column('curp'), sa.column('nombres'),
                      sa.column('primer_apellido'), sa.column('segundo_apellido'),
                      sa.column('search_text'))
    update = (people.update().where(people.c.id == sa.bindparam('person'))
              .values(search_text=sa.bindparam('text')))
    last = 0
    while True:
        rows = bind.execute(sa.select(people.c.id, people.c.curp, people.c.nombres,
                                      people.c.primer_apellido, people.c.segundo_apellido)
                            .where(people.c.id > last).order_by(people.c.id)
                            .limit(BATCH)).all()
        if not rows:
            break
        bind.execute(update, [{"person": row.id, "text": search_text_of(*row[1:])}
                              for row in rows])
        last = rows[-1].id
    trigrams = False
    if bind.dialect.name == "postgresql":
        try:
            with bind.begin_nested():
                bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            trigrams = True
        except sa.exc.DBAPIError:
            trigrams = False  # not allowed here: a plain index, searches scan
    if trigrams:
        op.create_index('ix_people_search', 'people', ['search_text'], unique=False,
                        postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'})
    else:
        op.create_index('ix_people_search', 'people', ['search_text'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_people_search', table_name='people')
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE people DROP COLUMN search_text")  # SQLite 3.35+
    else:
        op.drop_column('people', 'search_text')
