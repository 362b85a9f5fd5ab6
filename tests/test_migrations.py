"""The migrations build exactly the schema the models describe.

The test database is made by running every migration from nothing (tests/conftest.py), as in
production; alembic's autogenerate comparison against the models' metadata must find nothing.
A difference means a model changed without a migration (or a migration without the model).
"""
from __future__ import annotations

from pprint import pformat

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from portal.db import make_engine
from portal.models import Base
from portal.search import is_search_index, is_search_table


def _not_search_index(name, type_, parent_names) -> bool:
    # The search's FTS5 tables (SQLite) and expression indexes (PostgreSQL) come from migration
    # 0012, not from a model.
    return not ((type_ == "table" and is_search_table(name))
                or (type_ == "index" and is_search_index(name)))


def _differences(database_url: str) -> list:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "include_name": _not_search_index})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def test_migrated_schema_matches_the_models(database_url):
    diff = _differences(database_url)
    assert diff == [], "schema and models differ:\n" + pformat(diff)


def test_every_model_table_is_created_by_the_migrations(database_url):
    engine = create_engine(database_url)
    try:
        names = inspect(engine).get_table_names()
        tables = {t for t in names if not is_search_table(t)} - {"alembic_version"}
    finally:
        engine.dispose()
    assert tables == set(Base.metadata.tables)
