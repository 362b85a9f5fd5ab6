"""`flask --app portal backup FILE` and `restore FILE`: a backup taken, the database wiped (rows
deleted, a table dropped), the backup restored, and every row and photo byte is back. On SQLite,
and on PostgreSQL when TEST_DATABASE_URL is one (pg_dump / pg_restore)."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, make_url, select, text

from portal import backup, create_app
from portal.db import Base
from portal.gaps.models import GapPhoto
from portal.migrate import upgrade
from tests.conftest import BrowserLikeClient


@pytest.fixture(scope="module")
def own_database(database_url, tmp_path_factory):
    """A freshly migrated database of these tests' own (a restore replaces all of it). Each test
    leaves it as it found it: the demo data."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        own = f"sqlite:///{tmp_path_factory.mktemp('backup') / 'live.sqlite3'}"
        upgrade(own)
        yield own
        return
    name = f"{url.database}_backup"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    own = url.set(database=name).render_as_string(hide_password=False)
    upgrade(own)
    yield own
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module")
def site(own_database, tmp_path_factory):
    app = create_app({"TESTING": True, "DATABASE_URL": own_database, "SECRET_KEY": "backup-test"})
    app.instance_path = str(tmp_path_factory.mktemp("instance"))
    with app.app_context():
        from portal.demo import seed

        seed()
    yield app
    app.extensions["portal.engine"].dispose()


def everything(app) -> dict[str, list[tuple]]:
    """Every row of every table (and the schema version), in primary-key order."""
    engine = app.extensions["portal.engine"]
    rows = {}
    with engine.connect() as conn:
        for table in [*Base.metadata.sorted_tables]:
            order = list(table.primary_key.columns) or list(table.columns)
            rows[table.name] = [tuple(r) for r in conn.execute(select(table).order_by(*order))]
        rows["alembic_version"] = [tuple(r) for r in conn.execute(text("SELECT * FROM alembic_version"))]
    engine.dispose()
    return rows


def photos(app) -> list[bytes]:
    engine = app.extensions["portal.engine"]
    with engine.connect() as conn:
        data = [bytes(r[0]) for r in conn.execute(select(GapPhoto.data).order_by(GapPhoto.id))]
    engine.dispose()
    return data


def wipe(app) -> None:
    """Delete every row, and drop the photos' table altogether."""
    engine = app.extensions["portal.engine"]
    tables = [t.name for t in Base.metadata.sorted_tables]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            conn.execute(text("DROP TABLE gap_photos CASCADE"))
        else:
            for name in reversed(tables):
                conn.execute(text(f"DELETE FROM {name}"))
            conn.execute(text("DROP TABLE gap_photos"))
    assert "gap_photos" not in inspect(engine).get_table_names()
    engine.dispose()


def run(app, *args, **kwargs):
    return app.test_cli_runner().invoke(args=list(args), **kwargs)


def test_a_backup_brings_back_every_row_and_photo(site, tmp_path):
    before = everything(site)
    assert before["users"] and before["service_gap_reports"] and before["improvement_items"]
    pictures = photos(site)
    assert pictures and all(len(p) > 100 for p in pictures)

    file = tmp_path / "portal.backup"
    result = run(site, "backup", str(file))
    assert result.exit_code == 0, result.output
    assert f"Backed up the database to {file}." in result.output
    assert file.stat().st_size > 0
    assert not list(tmp_path.glob(".*.partial"))

    wipe(site)
    assert everything_but_photos_empty(site)

    result = run(site, "restore", str(file), "--yes")
    assert result.exit_code == 0, result.output
    assert "Restored the database" in result.output
    assert everything(site) == before
    assert photos(site) == pictures
    # The site reads it again at once: a member signs in with the demo password.
    site.test_client_class = BrowserLikeClient
    client = site.test_client()
    response = client.post("/login", data={"email": "household@example.com", "password": "demo-pass-2026"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def everything_but_photos_empty(app) -> bool:
    engine = app.extensions["portal.engine"]
    with engine.connect() as conn:
        empty = all(conn.execute(select(t).limit(1)).first() is None
                    for t in Base.metadata.sorted_tables if t.name != "gap_photos")
    engine.dispose()
    return empty


def test_a_backup_never_overwrites_a_file_unless_forced(site, tmp_path):
    file = tmp_path / "kept.backup"
    file.write_bytes(b"yesterday's backup")
    result = run(site, "backup", str(file))
    assert result.exit_code != 0
    assert "exists" in result.output and "--force" in result.output
    assert file.read_bytes() == b"yesterday's backup"

    result = run(site, "backup", str(file), "--force")
    assert result.exit_code == 0, result.output
    assert file.read_bytes() != b"yesterday's backup"


def test_restore_asks_first_and_refuses_what_is_not_a_backup(site, tmp_path):
    before = everything(site)
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"not a backup at all" * 100)
    result = run(site, "restore", str(junk), input="n\n")
    assert result.exit_code != 0 and "Aborted" in result.output
    result = run(site, "restore", str(junk), "--yes")
    assert result.exit_code != 0
    assert "not an SQLite backup" in result.output or "pg_restore failed" in result.output
    assert everything(site) == before


def test_restore_of_a_missing_file_is_refused(site, tmp_path):
    result = run(site, "restore", str(tmp_path / "nowhere.backup"), "--yes")
    assert result.exit_code != 0 and "does not exist" in result.output


def test_pg_dump_gets_the_password_from_the_environment_not_the_command_line(monkeypatch, tmp_path):
    seen = {}

    def fake_run(command, env, **_kwargs):
        seen.update(command=command, env=env)
        Path(command[command.index("--file") + 1]).write_bytes(b"PGDMP")
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(backup.subprocess, "run", fake_run)
    url = "postgresql+psycopg://portal:s3cret%21pw@db.internal:5433/panel?sslmode=require"
    target = backup.backup(url, tmp_path / "panel.dump")
    assert target.read_bytes() == b"PGDMP"
    assert seen["command"][:2] == ["pg_dump", "--format=custom"]
    assert not any("s3cret" in part for part in seen["command"])
    env = seen["env"]
    assert (env["PGHOST"], env["PGPORT"], env["PGUSER"], env["PGPASSWORD"], env["PGDATABASE"],
            env["PGSSLMODE"]) == ("db.internal", "5433", "portal", "s3cret!pw", "panel", "require")
    assert os.environ.get("PGPASSWORD") != "s3cret!pw"  # only the child's environment has it
