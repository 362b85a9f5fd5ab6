"""Backing up and restoring the database (`flask --app portal backup FILE` / `restore FILE`).

Rules:
- SQLite: a backup is a consistent copy taken with SQLite's online backup API while the site
  runs (WAL included). A restore copies the backup into the live database with the same API,
  under SQLite's own locks: the file is never swapped under running processes, which see the
  restored rows on their next query.
- PostgreSQL: `pg_dump -Fc` (the custom format) and `pg_restore --clean --if-exists` in a single
  transaction (all or nothing). The connection settings go to them through the environment
  (PGHOST, PGPASSWORD, ...): no password on a command line, where `ps` would show it. The
  client must be of the server's version or newer (Debian's postgresql-client of the server).
- A backup never overwrites an existing file unless asked (`force`); it is written to a
  temporary file beside it first, so a failed backup leaves no half file under its name.
- Photos live in the database (gap_photos): a backup holds them too. Files in instance/ are not
  in it (secret_key: keep a copy of it, or of SECRET_KEY, with the backups).
- Messages are English: these are operators' commands.
"""
from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import make_url
from sqlalchemy.engine import URL

from portal.errors import Refused


def backup(database_url: str, target: str | Path, force: bool = False) -> Path:
    """Write a backup of the database to `target`; its path. Refused: the file exists (without
    `force`), or the database cannot be read."""
    target = Path(target).resolve()
    if target.exists() and not force:
        raise Refused(f"{target} exists; give another file name, or --force to overwrite it.")
    if not target.parent.is_dir():
        raise Refused(f"The folder {target.parent} does not exist.")
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    url = make_url(database_url)
    try:
        if url.get_backend_name() == "sqlite":
            _sqlite_backup(_sqlite_path(url), partial)
        elif url.get_backend_name() == "postgresql":
            _run(["pg_dump", "--format=custom", "--file", str(partial)], url)
        else:
            raise Refused(f"Cannot back up a {url.get_backend_name()} database.")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def restore(database_url: str, source: str | Path) -> None:
    """Replace every row of the database with those of the backup `source`."""
    source = Path(source).resolve()
    if not source.is_file():
        raise Refused(f"{source} is not a file.")
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        _sqlite_restore(source, _sqlite_path(url))
    elif url.get_backend_name() == "postgresql":
        _run(["pg_restore", "--clean", "--if-exists", "--single-transaction", "--exit-on-error",
              "--no-owner", "--no-privileges", "--dbname", url.database or "", str(source)], url)
    else:
        raise Refused(f"Cannot restore a {url.get_backend_name()} database.")


# --- SQLite -------------------------------------------------------------------------------------


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise Refused("An in-memory SQLite database has nothing to back up or restore.")
    return Path(url.database).resolve()


def _sqlite_backup(database: Path, target: Path) -> None:
    if not database.is_file():
        raise Refused(f"The database {database} does not exist.")
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
            # One self-contained file: no -wal / -shm beside it.
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()
    finally:
        source.close()


def _sqlite_restore(source: Path, database: Path) -> None:
    backup_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        _check_sqlite_backup(backup_db, source)
        live = sqlite3.connect(database, timeout=30)
        try:
            backup_db.backup(live)
        finally:
            live.close()
    finally:
        backup_db.close()


def _check_sqlite_backup(connection: sqlite3.Connection, source: Path) -> None:
    """A readable SQLite database of this portal (it has the migrations' version table)."""
    try:
        ok = connection.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        portal = connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).fetchone() is not None
    except sqlite3.DatabaseError as exc:
        raise Refused(f"{source} is not an SQLite backup: {exc}") from None
    if not ok:
        raise Refused(f"{source} is damaged (PRAGMA quick_check failed).")
    if not portal:
        raise Refused(f"{source} is not a backup of this portal (it has no alembic_version table).")


# --- PostgreSQL ---------------------------------------------------------------------------------


def pg_environment(url: URL) -> dict[str, str]:
    """The environment for pg_dump / pg_restore: the URL's connection settings as PG* variables."""
    env = dict(os.environ)
    settings = {
        "PGHOST": url.host, "PGPORT": url.port, "PGUSER": url.username,
        "PGPASSWORD": url.password, "PGDATABASE": url.database,
        "PGSSLMODE": url.query.get("sslmode"),
    }
    for name, value in settings.items():
        if value:
            env[name] = str(value)
    return env


def _run(command: list[str], url: URL) -> None:
    try:
        done = subprocess.run(command, env=pg_environment(url), capture_output=True, text=True,
                              check=False)
    except FileNotFoundError:
        raise Refused(f"{command[0]} is not installed (Debian: postgresql-client).") from None
    if done.returncode != 0:
        raise Refused(f"{command[0]} failed: {done.stderr.strip()[-2000:]}")
