"""Substring search over a list's title and description, answered through an index.

`matches(Model, q)` is the one search condition of the staff lists (inbox submissions, service-gap
reports, improvement items): rows whose title or description contains `q`, case-insensitively
(ASCII case on SQLite, the database's `lower()` on PostgreSQL, as `icontains` always did), `q`
taken literally (no wildcards, no query syntax). The exact test always stays in the condition:
the indexes only narrow down which rows it reads.

The indexes (migration 0012 builds them, and on SQLite the triggers that keep them in step with
every write):
- SQLite: per table an FTS5 table with the trigram tokenizer over (title, description), for
  queries of 3 characters or more (a phrase of the query's trigrams), and a contentless FTS5 table
  of each row's character pairs ("ab bc cd d"), for queries of 1 or 2 characters (the pair as a
  token, or a single character as a prefix). Its tokenizer keeps every character but ASCII
  whitespace, so a pair is one token whatever punctuation it holds.
- PostgreSQL: pg_trgm GIN indexes on lower(title) and lower(description) (3 or more characters:
  the exact test itself uses them), and a GIN index on the array of the characters of
  lower(title || ' ' || description), for 1 or 2 characters (`@>` the query's characters).

One word can match one row in a million or every row, a list is ordered by date, not by the
index, and the inbox counts matches up to 10,000. Materialising every match of a dense word is
as slow as reading the table; walking the date order with the exact test is slow for a rare one.
So `matches` first asks the database one question (one statement): how many of the newest SAMPLE
rows match, and unless that is many, the newest candidates the index names. Then:
- dense (DENSE_HITS of the sample): the exact test alone; a walk in date order finds a page, and a
  capped count its rows, after a few rows. (PostgreSQL, 3 or more characters with a case: the
  trigram-indexed test, see below.)
- at most CANDIDATES_MAX candidates (a rare word): `id IN (their ids)`.
- SQLite, more: the NEWEST candidates (highest ids) come from the index as a subquery, rows older
  than the oldest of them are read with the exact test. A capped count takes its rows from the
  subquery first; the page walks its date order and finds its rows among the newest.
- PostgreSQL, more: for 3 or more characters the trigram-indexed test itself, which the planner
  estimates from its statistics and reads through the index (a capped count) or in date order (a
  page); for shorter words the character index as a subquery.
The exact test is written as cheaply as the word allows: without case (Chinese, digits) a plain
search, no lower() of every text.
"""
from __future__ import annotations

import re

from sqlalchemy import (
    ColumnElement,
    Text,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    null,
    or_,
    select,
    table,
)

from portal.db import db

# The tables searched, and the names of their index tables (SQLite) and indexes (PostgreSQL):
# migrations/versions/0012_search_index.py creates them under these names.
SEARCHED_TABLES = ("submissions", "service_gap_reports", "improvement_items")
TABLE_PREFIX = "search_"
INDEX_PREFIX = "ix_search_"
# Rows looked at to tell a dense word from a rare one, and how many of them make it dense: the
# share where reading rows with the exact test until a capped count is reached costs less than
# asking the index (SQLite: half; PostgreSQL, 1 or 2 characters: a tenth).
SAMPLE = 500
DENSE_HITS = {"sqlite": 250, "postgresql": 50}
# Ids of a rare word's rows handed to the list query as a literal list, at most.
CANDIDATES_MAX = 1000
# SQLite: how many of a word's newest candidates the list query reads from the index; enough
# for the inbox's count, capped at 10,000 (portal.pagination.COUNT_CAP), to find them there.
NEWEST = 10_500
# Queries this long or longer use the trigram index; shorter ones the character index.
TRIGRAM_MIN = 3
# SQLite pairs the first PAIRED_MAX characters of a title or description (its triggers'
# substr() costs the square of the length); a longer text also carries LONG_TOKEN, which every
# short query asks for, so the exact test reads it whole.
PAIRED_MAX = 2000
LONG_TOKEN = "~long~"
_ASCII_LETTER = re.compile("[A-Za-z]")


def is_search_table(name: str) -> bool:
    """Whether a table is part of the search index (SQLite's FTS5 tables and their shadows)."""
    return name.startswith(TABLE_PREFIX)


def is_search_index(name: str) -> bool:
    """Whether an index is one of the search's (PostgreSQL: expression indexes no model has)."""
    return name.startswith(INDEX_PREFIX)


def trigram_table(table_name: str) -> str:
    return f"{TABLE_PREFIX}{table_name}_trigram"


def pairs_table(table_name: str) -> str:
    return f"{TABLE_PREFIX}{table_name}_pairs"


def chars_expression(model) -> ColumnElement:
    """PostgreSQL: the characters of a row's lowercased text, exactly as its GIN index is built
    (constants written out, so the planner recognises the indexed expression)."""
    text = model.title.op("||")(literal_column("' '")).op("||")(model.description)
    return func.string_to_array(func.lower(text), null())


def _fts_phrase(q: str) -> str:
    """An FTS5 query that is `q` as one phrase: inside double quotes nothing is syntax but the
    double quote itself, written twice."""
    return '"' + q.replace('"', '""') + '"'


def _fts_word(table_name: str, q: str) -> tuple[str, str]:
    """(FTS5 table, MATCH expression of `q` alone) on SQLite: the trigram table's phrase for 3 or
    more characters; in the pairs table, two characters are that pair and one is any pair it
    starts (a prefix)."""
    if len(q) >= TRIGRAM_MIN:
        return trigram_table(table_name), _fts_phrase(q)
    return pairs_table(table_name), _fts_phrase(q) + (" *" if len(q) == 1 else "")


def _fts_match(table_name: str, q: str) -> tuple[str, str]:
    """(FTS5 table, MATCH expression) naming every candidate for `q` on SQLite: for 1 or 2
    characters the texts past the pairs' length (LONG_TOKEN) too."""
    name, word = _fts_word(table_name, q)
    if len(q) >= TRIGRAM_MIN:
        return name, word
    return name, f"{word} OR {_fts_phrase(LONG_TOKEN)}"


def _fts_ids(table_name: str, q: str):
    """SQLite: a SELECT of the rowids of the FTS5 table's rows matching `q`."""
    return _fts_rowids(*_fts_match(table_name, q))


def _fts_rowids(name: str, expression: str):
    """SQLite: a SELECT of the rowids of FTS5 table `name`'s rows matching `expression`."""
    return select(literal_column("rowid")).select_from(table(name)).where(
        literal_column(name).op("MATCH")(expression)
    )


def _indexed(model, q: str) -> ColumnElement[bool]:
    """PostgreSQL: a condition its indexes answer, true for every row containing `q` (for 3 or
    more characters, exactly those: `icontains` as pg_trgm's indexes on lower() serve it)."""
    if len(q) >= TRIGRAM_MIN:
        return _lower_like(model, q)
    return chars_expression(model).op("@>")(func.string_to_array(func.lower(_inline(q)), null()))


def exact(model, q: str, dialect: str) -> ColumnElement[bool]:
    """The row's title or description contains `q`, in any case: the test every search ends
    with, written as cheaply as the word allows (it is read for every row a list walks)."""
    if dialect == "sqlite":
        if not _ASCII_LETTER.search(q):
            # SQLite's LIKE ignores ASCII case only: without an ASCII letter, a plain search.
            return or_(func.instr(model.title, q) > 0, func.instr(model.description, q) > 0)
        # Its lower() knows no other case either: `icontains` without copying every text.
        pattern = _like_pattern(q)
        return or_(model.title.like(pattern, escape="/"), model.description.like(pattern, escape="/"))
    # PostgreSQL: a word without case needs no lower() of every text (a third of the time).
    if _caseless(q):
        pattern = _inline(_like_pattern(q))
        return or_(model.title.like(pattern, escape="/"), model.description.like(pattern, escape="/"))
    return _lower_like(model, q)



def _caseless(q: str) -> bool:
    """No character of `q` has a case (Chinese, digits, punctuation): containing it needs no
    lower()."""
    return all(c.lower() == c == c.upper() for c in q)


def _like_pattern(q: str) -> str:
    """`q` as a LIKE pattern of itself anywhere, escaped with "/" (as `autoescape` does)."""
    return "%" + q.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"


def _lower_like(model, q: str) -> ColumnElement[bool]:
    pattern = func.lower(_inline(_like_pattern(q)))
    return or_(func.lower(model.title).like(pattern, escape="/"),
               func.lower(model.description).like(pattern, escape="/"))


def _inline(value: str):
    """A value written into the statement: PostgreSQL then plans each search knowing its word
    (psycopg prepares a statement run five times, and a generic plan guesses a parameter's
    selectivity: a rare word then scans the table)."""
    return bindparam(None, value, type_=Text, literal_execute=True)


def _sample_hits(model, q: str, dialect: str):
    """The number of matches among the table's newest SAMPLE rows, as a one-row subquery."""
    newest = select(model.title, model.description).order_by(model.id.desc()).limit(SAMPLE).subquery()
    return (select(func.count().label("hits")).select_from(newest)
            .where(exact(newest.c, q, dialect)).subquery())


def _sqlite_matches(model, q: str) -> ColumnElement[bool]:
    """SQLite: one statement counts the matches among the newest SAMPLE rows and, unless they
    are many, asks the FTS5 table for its newest candidates (highest ids): up to
    CANDIDATES_MAX + 1 of them as a list, and the id of the NEWEST-th (the pivot)."""
    rowid = literal_column("rowid")
    found = _fts_ids(model.__tablename__, q).order_by(rowid.desc())
    few = found.limit(CANDIDATES_MAX + 1).subquery()
    listed = select(func.coalesce(func.group_concat(few.c.rowid), "")).scalar_subquery()
    pivot = found.offset(NEWEST - 1).limit(1).scalar_subquery()
    hits = _sample_hits(model, q, "sqlite")
    sparse = hits.c.hits < DENSE_HITS["sqlite"]
    _, ids, pivot = db.execute(select(
        hits.c.hits, case((sparse, listed), else_=null()), case((sparse, pivot), else_=null()),
    )).one()
    if ids is None:
        # Most rows match: the exact test finds a page, and a capped count, in a few rows.
        return exact(model, q, "sqlite")
    ids = [int(i) for i in ids.split(",") if i]
    if len(ids) <= CANDIDATES_MAX:
        return and_(model.id.in_(ids), exact(model, q, "sqlite"))
    # Many: rows from the pivot on are matched against the index (a list of NEWEST ids, read
    # once), older rows by the exact test. A capped count takes its rows from the list first,
    # the page walks its date order; neither reads every match.
    pivot = pivot or 0
    newest = found.order_by(None).where(rowid >= pivot)
    return and_(exact(model, q, "sqlite"), or_(model.id.in_(newest), model.id < pivot))


def _postgresql_matches(model, q: str) -> ColumnElement[bool]:
    """PostgreSQL: one statement counts the matches among the newest SAMPLE rows and, unless
    they are many, lists up to CANDIDATES_MAX + 1 candidates from the index (a GIN index cannot
    stop early: asked for a dense word, it reads all of it)."""
    found = select(model.id).where(_indexed(model, q)).limit(CANDIDATES_MAX + 1).subquery()
    listed = (select(func.coalesce(func.string_agg(cast(found.c.id, Text), literal_column("','")), ""))
              .scalar_subquery())
    hits = _sample_hits(model, q, "postgresql")
    _, ids = db.execute(select(
        hits.c.hits, case((hits.c.hits < DENSE_HITS["postgresql"], listed), else_=null()),
    )).one()
    ids = None if ids is None else [int(i) for i in ids.split(",") if i]
    if ids is not None and len(ids) <= CANDIDATES_MAX:
        return and_(model.id.in_(ids), exact(model, q, "postgresql"))
    if len(q) >= TRIGRAM_MIN and (ids is not None or not _caseless(q)):
        # pg_trgm's indexes serve `icontains` itself, and the planner estimates it from its
        # statistics: per statement it reads the index (a capped count) or walks the date order
        # (a page).
        return _indexed(model, q)
    if ids is None:
        # A dense word: walking the date order finds a page at once, a capped count soon.
        return exact(model, q, "postgresql")
    return and_(model.id.in_(select(model.id).where(_indexed(model, q))), exact(model, q, "postgresql"))


def count_capped(model, q: str, cap: int) -> int | None:
    """SQLite: how many rows of `model` contain `q`, up to `cap`, counted in the FTS5 index
    alone where its answer is the exact test's; None where it is not (PostgreSQL, whose
    trigram index is lossy, or a word with a non-ASCII letter that has a case, which the trigram
    tokenizer folds and the exact test does not), and the caller counts with `matches`.

    The exact test read every counted row: a word in one row of eight reached the cap of 10,000
    after some 12,000 rows of a million (17 ms); the index counts them in 1-2 ms. Exact because
    a pair or trigram token is exactly a substring of the title or of the description (each
    indexed apart, so none spans the two), both tokenizers fold ASCII case as the exact test
    does, and a one-character query is a prefix of the pairs it starts. The pairs stop after
    PAIRED_MAX characters: the few longer texts (LONG_TOKEN) are tested in full."""
    if db.get_bind().dialect.name != "sqlite":
        return None
    if len(q) >= TRIGRAM_MIN and not all(c.isascii() or c.lower() == c.upper() for c in q):
        return None
    if len(q) < TRIGRAM_MIN and any(c.isspace() or not c.isprintable() for c in q):
        return None  # the pairs' tokenizer splits there: not one token
    name, word = _fts_word(model.__tablename__, q)
    if len(q) >= TRIGRAM_MIN:
        indexed = (select(func.count()).select_from(_fts_rowids(name, word).limit(cap).subquery())
                   .scalar_subquery())
        return min(cap, int(db.scalar(select(indexed)) or 0))
    # The pairs: the texts that are not long, by the index (a "~" would also match the long
    # texts' own marker, hence NOT), and the long ones by the exact test.
    long = _fts_phrase(LONG_TOKEN)
    indexed = (select(func.count())
               .select_from(_fts_rowids(name, f"({word}) NOT {long}").limit(cap).subquery())
               .scalar_subquery())
    beyond = (select(func.count()).select_from(model)
              .where(model.id.in_(_fts_rowids(name, long)), exact(model, q, "sqlite"))
              .scalar_subquery())
    return min(cap, int(db.scalar(select(indexed + beyond)) or 0))


def matches(model, q: str) -> ColumnElement[bool]:
    """Rows of `model` (a mapped class with id, title and description, one of SEARCHED_TABLES)
    whose title or description contains `q`, as a WHERE condition. Asks the database one
    question first (see the module's docstring)."""
    if db.get_bind().dialect.name == "sqlite":
        return _sqlite_matches(model, q)
    return _postgresql_matches(model, q)
