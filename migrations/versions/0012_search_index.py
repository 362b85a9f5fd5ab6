"""search index: substring search over titles and descriptions through an index

Submissions, service-gap reports and improvement items are searched by any substring of their
title or description (portal/search.py asks these indexes; the names here are its names).

- SQLite: per table two FTS5 tables, kept in step by triggers on every insert, delete (ON DELETE
  CASCADE deletes included) and change of the title or description:
  `search_<table>_trigram`: the trigram tokenizer over (title, description), an external-content
  table reading the table itself (queries of 3 or more characters);
  `search_<table>_pairs`: contentless, detail=none, the row's character pairs as tokens
  ("ab bc cd d"), with a one-character prefix index (queries of 1 or 2 characters). Its tokenizer
  keeps every character but ASCII whitespace, so a pair is one token whatever it holds. The
  pairs are made in plain SQL (substr over the numbers in `search_numbers`), so any connection
  that writes these tables keeps the index right, the sqlite3 shell included. Only the first
  2,000 characters of a title or description are paired; a longer one also carries the token
  "~long~", which every short query asks for (the exact test then reads the text itself).
- PostgreSQL: pg_trgm GIN indexes on lower(title) and lower(description) (3 or more characters;
  `lower(x) LIKE '%...%'`, as `icontains` writes it, uses them) and a GIN index on the characters
  of lower(title || ' ' || description) (1 or 2 characters). Indexes follow every write by
  themselves, TRUNCATE included.

On SQLite a write costs about 0.1 ms more per row (pairs made in SQL, two FTS5 tables). FTS5
writes out its pending rows at every statement: bulk inserts of one statement per row (an
executemany) cost about 0.13 ms a row, a multi-row INSERT about 0.04 ms.

A later migration that rebuilds one of these tables on SQLite (batch mode copies the table and
drops the old one, and its triggers with it) must create the triggers again;
tests/test_search.py checks they are there at the head.

Revision ID: 0012
Revises: 0011
"""
from alembic import op

revision = '0012'
# The chain is ... -> 0010 -> 0011 -> 0012.
down_revision = '0011'
branch_labels = None
depends_on = None

TABLES = ('submissions', 'service_gap_reports', 'improvement_items')
NUMBERS = 2000
# Every printable ASCII character but the space is part of a token: a pair like "a%" or '"*'
# stays one token (FTS5's ascii tokenizer; non-ASCII characters always are token characters).
PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~'
PAIRS_TOKENIZER = "ascii tokenchars '" + PUNCTUATION.replace("'", "''") + "'"


def _pairs(row: str) -> str:
    """SQL: the character pairs of `row`'s title and of its description, space separated, and
    the token ~long~ when either is longer than the numbers reach. substr() walks a text from
    its start, so pairing costs the square of the length: the numbers stop at 2,000 (about
    15 ms for a text that long), and a short query reads the rest of a longer text itself."""
    def column(name: str) -> str:
        return (f"(SELECT coalesce(group_concat(substr({row}.{name}, n, 2), ' '), '')"
                f" FROM search_numbers WHERE n <= length({row}.{name}))")
    return (f"{column('title')} || ' ' || {column('description')}"
            f" || CASE WHEN max(length({row}.title), length({row}.description)) > {NUMBERS}"
            " THEN ' ~long~' ELSE '' END")


def _sqlite_add(t: str, row: str) -> str:
    return (
        f"INSERT INTO search_{t}_trigram(rowid, title, description)"
        f" VALUES ({row}.id, {row}.title, {row}.description);\n"
        f"INSERT INTO search_{t}_pairs(rowid, pairs) VALUES ({row}.id, {_pairs(row)});\n"
    )


def _sqlite_remove(t: str, row: str) -> str:
    # External-content and contentless FTS5 tables forget a row when told its old values.
    return (
        f"INSERT INTO search_{t}_trigram(search_{t}_trigram, rowid, title, description)"
        f" VALUES ('delete', {row}.id, {row}.title, {row}.description);\n"
        f"INSERT INTO search_{t}_pairs(search_{t}_pairs, rowid, pairs)"
        f" VALUES ('delete', {row}.id, {_pairs(row)});\n"
    )


def _sqlite_upgrade() -> None:
    op.execute("CREATE TABLE search_numbers (n INTEGER PRIMARY KEY)")
    op.execute(f"WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < {NUMBERS})"
               " INSERT INTO search_numbers (n) SELECT n FROM c")
    for t in TABLES:
        op.execute(f"CREATE VIRTUAL TABLE search_{t}_trigram USING fts5(title, description,"
                   f" content='{t}', content_rowid='id', tokenize='trigram')")
        tokenizer = PAIRS_TOKENIZER.replace('"', '""')
        op.execute(f"CREATE VIRTUAL TABLE search_{t}_pairs USING fts5(pairs, content='',"
                   f" detail=none, prefix='1', tokenize=\"{tokenizer}\")")
        op.execute(f"CREATE TRIGGER search_{t}_insert AFTER INSERT ON {t} BEGIN\n"
                   f"{_sqlite_add(t, 'new')}END")
        op.execute(f"CREATE TRIGGER search_{t}_delete AFTER DELETE ON {t} BEGIN\n"
                   f"{_sqlite_remove(t, 'old')}END")
        op.execute(f"CREATE TRIGGER search_{t}_update AFTER UPDATE OF id, title, description ON {t}"
                   " WHEN old.id IS NOT new.id OR old.title IS NOT new.title"
                   " OR old.description IS NOT new.description BEGIN\n"
                   f"{_sqlite_remove(t, 'old')}{_sqlite_add(t, 'new')}END")
        # The rows already there.
        op.execute(f"INSERT INTO search_{t}_trigram(search_{t}_trigram) VALUES ('rebuild')")
        op.execute(f"INSERT INTO search_{t}_pairs(rowid, pairs) SELECT id, {_pairs(t)} FROM {t}")


def _sqlite_downgrade() -> None:
    for t in TABLES:
        for event in ('insert', 'delete', 'update'):
            op.execute(f"DROP TRIGGER IF EXISTS search_{t}_{event}")
        op.execute(f"DROP TABLE IF EXISTS search_{t}_pairs")
        op.execute(f"DROP TABLE IF EXISTS search_{t}_trigram")
    op.execute("DROP TABLE IF EXISTS search_numbers")


def _postgresql_upgrade() -> None:
    # A trusted extension since PostgreSQL 13: the database's owner may create it.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for t in TABLES:
        op.execute(f"CREATE INDEX ix_search_{t}_title ON {t} USING gin (lower(title) gin_trgm_ops)")
        op.execute(f"CREATE INDEX ix_search_{t}_description ON {t}"
                   " USING gin (lower(description) gin_trgm_ops)")
        # portal.search.chars_expression writes this expression the same way.
        op.execute(f"CREATE INDEX ix_search_{t}_chars ON {t}"
                   " USING gin (string_to_array(lower(title || ' ' || description), NULL))")
        # Statistics of the indexed expressions, so the planner estimates searches from day one.
        op.execute(f"ANALYZE {t}")


def _postgresql_downgrade() -> None:
    # pg_trgm stays: other objects may use it by now, and it costs nothing unused.
    for t in TABLES:
        for kind in ('title', 'description', 'chars'):
            op.execute(f"DROP INDEX IF EXISTS ix_search_{t}_{kind}")


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        _postgresql_upgrade()
    else:
        _sqlite_upgrade()


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        _postgresql_downgrade()
    else:
        _sqlite_downgrade()
