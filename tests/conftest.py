"""Fixtures: an app on a freshly migrated database per test, clients that post like a browser.

The database is TEST_DATABASE_URL (PostgreSQL in `make test-postgres`) or a temporary SQLite
file. The schema is created once per run by the alembic migrations, as in production; after
each test every table is emptied, so each test starts from a fresh database.
"""
from __future__ import annotations

import os
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.orm import Session

from portal import create_app
from portal.db import Base
from portal.migrate import upgrade
from tests import factories

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """A database of this run's own, migrated from nothing; dropped at the end on PostgreSQL."""
    server_url = os.environ.get("TEST_DATABASE_URL")
    if not server_url:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        upgrade(url)
        yield url
        return
    # One database per run (and per xdist worker), so runs side by side never share tables.
    base = make_url(server_url)
    name = f"{base.database}_{os.getpid()}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _empty_all_tables(app) -> None:
    engine = app.extensions["portal.engine"]
    tables = [t.name for t in Base.metadata.sorted_tables]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in reversed(tables):
                conn.execute(text(f"DELETE FROM {name}"))
    engine.dispose()


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app({
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key",
    })
    app.instance_path = str(tmp_path)
    app.test_client_class = BrowserLikeClient
    yield app
    _empty_all_tables(app)


class BrowserLikeClient(FlaskClient):
    """Posts carry the CSRF token, as the site's own forms do; pass csrf=False to leave it out.

    Pages render in English unless a test asks for another language (`client.language("zh_Hans")`),
    so assertions read as the English text the templates hold.
    """

    _token: str | None = None

    def csrf_token(self) -> str:
        if self._token is None:
            page = self.get("/", follow_redirects=True).get_data(as_text=True)
            match = CSRF_META.search(page)
            assert match, "no csrf-token meta tag in the base layout"
            self._token = match.group(1)
        return self._token

    def language(self, code: str) -> None:
        with self.session_transaction() as session:
            session["lang"] = code

    def open(self, *args, **kwargs):
        csrf = kwargs.pop("csrf", True)
        method = kwargs.get("method", "GET").upper()
        data = kwargs.get("data")
        if csrf and method in ("POST", "PUT", "PATCH", "DELETE") and (data is None or isinstance(data, dict)):
            data = dict(data or {})
            data.setdefault("csrf_token", self.csrf_token())
            kwargs["data"] = data
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app) -> BrowserLikeClient:
    client = app.test_client()
    client.language("en")
    return client


@pytest.fixture
def dbs(app):
    """A session of the test's own, for arranging data and checking what requests stored.

    Call `dbs.expire_all()` after a request before reading objects loaded earlier.
    """
    session = Session(app.extensions["portal.engine"], expire_on_commit=False)
    yield session
    session.close()


def login(client, user, password: str = factories.PASSWORD, remember: bool = False):
    response = client.post("/login", data={
        "email": user.email, "password": password, "remember": "y" if remember else "",
    })
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response


@pytest.fixture
def member(dbs):
    return factories.make_user(dbs, role="member", segment="mobile", district="xuhui")


@pytest.fixture
def other_member(dbs):
    return factories.make_user(dbs, role="member", segment="household", district="pudong")


@pytest.fixture
def product_user(dbs):
    return factories.make_user(dbs, role="product")


@pytest.fixture
def office_user(dbs):
    return factories.make_user(dbs, role="office")


@pytest.fixture
def admin_user(dbs):
    return factories.make_user(dbs, role="admin")


@pytest.fixture
def member_client(client, member):
    login(client, member)
    return client


@pytest.fixture
def product_client(client, product_user):
    login(client, product_user)
    return client


@pytest.fixture
def office_client(client, office_user):
    login(client, office_user)
    return client


@pytest.fixture
def admin_client(client, admin_user):
    login(client, admin_user)
    return client


# Strings that must come back escaped wherever a person's text is shown.
XSS_PAYLOADS = [
    '<script>alert("x")</script>',
    '"><img src=x onerror=alert(1)>',
    "<svg/onload=alert(1)>",
]
