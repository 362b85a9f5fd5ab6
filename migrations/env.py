from __future__ import annotations

from logging.config import fileConfig

from alembic import context

from portal.db import make_engine
from portal.models import Base

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def database_url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    # Run by hand: use the same database the app would.
    from portal import create_app

    return create_app().config["DATABASE_URL"]


def run_migrations_offline() -> None:
    context.configure(
        url=database_url(), target_metadata=target_metadata, literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _not_search_index(name, type_, parent_names) -> bool:
    """Autogenerate leaves the search index alone: its FTS5 tables (SQLite) and expression
    indexes (PostgreSQL) are made by migration 0012 and have no model."""
    from portal.search import is_search_index, is_search_table

    return not ((type_ == "table" and is_search_table(name))
                or (type_ == "index" and is_search_index(name)))


def run_migrations_online() -> None:
    engine = make_engine(database_url())
    with engine.connect() as connection:
        # Batch mode: SQLite can only change a table by copying it; alembic does that for us.
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True,
            compare_type=True, include_name=_not_search_index,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
