"""Database engine, the declarative base and the one-session-per-request contract.

Views and domain functions use `db` (the request's session). Nothing commits
implicitly: a domain function that changes data runs inside `unit_of_work()`, which
commits once at its end and rolls back whole on any exception, so a failed save never
leaves half of it behind. A stale version (someone saved in between) becomes one
`portal.errors.Conflict`. Units of work nest: only the outermost one commits. Routes
never commit or roll back.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime

from flask import Flask, current_app, g
from sqlalchemy import Date, DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator
from werkzeug.local import LocalProxy

# Stable constraint names, so migrations can refer to them on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator):
    """Stores aware datetimes as UTC; SQLite drops the zone, so it is put back on load."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# Shanghai time in SQL, for what the database must compute itself (index predicates, triggers'
# bucketing, grouped counts); Python's side is portal.domain (shanghai_today, shanghai_midnight).

class shanghai_date(FunctionElement):
    """The Shanghai calendar date of a UTC timestamp column, computed by the database (the
    bucketing of the aggregates' triggers, migration 0013, and of their recount)."""

    type = Date()
    inherit_cache = True
    name = "shanghai_date"


@compiles(shanghai_date)
def _shanghai_date_sqlite(element, compiler, **kw):
    # SQLite stores UTC text; Shanghai has no daylight saving, so it is always UTC+8.
    return f"date({compiler.process(element.clauses, **kw)}, '+8 hours')"


@compiles(shanghai_date, "postgresql")
def _shanghai_date_postgresql(element, compiler, **kw):
    return f"CAST(({compiler.process(element.clauses, **kw)} AT TIME ZONE 'Asia/Shanghai') AS DATE)"


class shanghai_midnight(FunctionElement):
    """In SQL, the UTC instant a Shanghai day (a DATE column) starts: domain.shanghai_midnight.

    Deterministic on both databases, so an index predicate may use it."""

    inherit_cache = True
    name = "shanghai_midnight"


@compiles(shanghai_midnight)
def _shanghai_midnight_sqlite(element, compiler, **kw):
    # UTC datetimes are stored as 'YYYY-MM-DD HH:MM:SS.ffffff' text; datetime() answers the same
    # form without the fraction, so the two compare as the moments do. Shanghai has kept UTC+8
    # all year since 1991.
    return f"datetime({compiler.process(element.clauses, **kw)}, '-8 hours')"


@compiles(shanghai_midnight, "postgresql")
def _shanghai_midnight_postgresql(element, compiler, **kw):
    return f"(CAST({compiler.process(element.clauses, **kw)} AS TIMESTAMP) AT TIME ZONE 'Asia/Shanghai')"


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 15})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            # WAL lets readers and the one writer work side by side; the busy timeout makes
            # a second writer wait instead of failing at once with "database is locked".
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=15000")
            cur.execute("PRAGMA foreign_keys=ON")
            # Reads through a memory map of the file (shared with the OS cache, no copy per
            # read) and a 32 MB page cache per connection (2 MB by default): at a million
            # submissions the search pages read indexes that evicted each other's pages
            # (a filtered search 80 -> 44 ms, plain searches 25-35 -> 22-29 ms).
            cur.execute("PRAGMA mmap_size=268435456")
            cur.execute("PRAGMA cache_size=-32768")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["portal.engine"] = engine
    app.extensions["portal.sessionmaker"] = sessionmaker(bind=engine, expire_on_commit=False)

    @app.teardown_appcontext
    def _close_session(exc):
        session = g.pop("db_session", None)
        if session is not None:
            if exc is not None:
                session.rollback()
            session.close()


def get_session() -> Session:
    if "db_session" not in g:
        g.db_session = current_app.extensions["portal.sessionmaker"]()
    return g.db_session


def get_engine() -> Engine:
    return current_app.extensions["portal.engine"]


db: Session = LocalProxy(get_session)  # type: ignore[assignment]


@contextmanager
def unit_of_work():
    """Commit what the block did, or roll all of it back.

    Use as ``with unit_of_work():`` or as a decorator (``@unit_of_work()``). A
    `StaleDataError` (an optimistic-lock miss) is raised as `portal.errors.Conflict`; every
    other exception is re-raised after the rollback. Nested units join the outer one.
    """
    from portal.errors import Conflict

    depth = g.get("_uow_depth", 0)
    g._uow_depth = depth + 1
    try:
        yield db
        if depth == 0:
            db.commit()
    except StaleDataError as exc:
        if depth == 0:
            db.rollback()
        raise Conflict() from exc
    except BaseException:
        if depth == 0:
            db.rollback()
        raise
    finally:
        g._uow_depth = depth
