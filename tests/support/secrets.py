"""Looking for a secret everywhere it could leak: every table's text, in its spellings."""

from __future__ import annotations

from sqlalchemy import inspect, text

from provisioning import db


def all_database_text() -> str:
    session = db.session()
    chunks = []
    for table in inspect(session.connection()).get_table_names():
        for row in session.execute(text(f'SELECT * FROM "{table}"')):  # noqa: S608
            chunks.append(" ".join(str(v) for v in row))
    return "\n".join(chunks)


def variants(secret: str) -> set[str]:
    bare = secret.replace("-", "")
    return {secret, bare, bare.lower()}
