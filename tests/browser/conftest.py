"""Browser tests: the real site, served on a free local port, driven in Debian's Chromium.

- Every test here is marked `browser` (`pytest -m browser` runs them, `-m "not browser"` skips).
- The site runs in a thread (werkzeug's server) on a fresh SQLite file migrated by alembic, as in
  production. After each test every table is emptied, so each test starts from nothing.
- `dbs` is a session on the live site's database: the usual factories (tests/factories.py) and
  the `member`, `admin_user`... fixtures of tests/conftest.py arrange data the browser then sees.
- A failing test leaves a screenshot of its page in test-artifacts/.
"""
from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from portal import create_app
from portal.migrate import upgrade
from tests import factories
from tests.conftest import _empty_all_tables

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
TIMEOUT_MS = 15_000
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    """Mark every test of this directory `browser`, whichever module it is in."""
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _compile_translations(target: Path) -> Path:
    """Compile the catalogs as they are now into `target` (not into the source tree, where
    compiled catalogs change what other tests see): the pages must be complete in Chinese."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in (ROOT / "portal" / "translations").glob("*/LC_MESSAGES/messages.po"):
        locale = po.parent.parent.name
        mo = target / locale / "LC_MESSAGES" / "messages.mo"
        mo.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        with mo.open("wb") as fh:
            write_mo(fh, catalog)
    return target


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("live")
    translations = _compile_translations(folder / "translations")
    url = f"sqlite:///{folder / 'browser.sqlite3'}"
    upgrade(url)
    app = create_app({
        "DATABASE_URL": url, "SECRET_KEY": "browser-test-secret",
        "BABEL_TRANSLATION_DIRECTORIES": str(translations),
    })
    app.instance_path = str(folder)
    return app


@pytest.fixture(scope="session")
def live_server(live_app):
    """The site's base URL, e.g. http://127.0.0.1:54321."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(autouse=True)
def _fresh_database(request):
    yield
    if "live_app" in request.fixturenames:
        _empty_all_tables(request.getfixturevalue("live_app"))


@pytest.fixture
def dbs(live_app):
    """A session on the live site's database (overrides the request tests' `dbs`)."""
    session = Session(live_app.extensions["portal.engine"], expire_on_commit=False)
    yield session
    session.close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium` (apt install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
        )
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, live_server, request):
    """Opens pages in browser contexts of their own (each like a separate browser with its own
    cookies); screenshots them into test-artifacts/ if the test fails. `options` go to the
    context, e.g. new_page(java_script_enabled=False) for a browser without script."""
    contexts = []

    def open_page(**options):
        context = browser.new_context(base_url=live_server, **options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    failed = getattr(request.node, "report_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
        for n, context in enumerate(contexts):
            for m, page in enumerate(context.pages):
                try:
                    page.screenshot(path=str(ARTIFACTS / f"{name}-{n}-{m}.png"), full_page=True)
                except Exception:  # a crashed page must not hide the test's own failure
                    pass
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    """A page in a fresh browser: no cookies, so the site starts in Chinese."""
    return new_page()


def sign_in(page, email: str, password: str = factories.PASSWORD) -> None:
    """Sign in through the login form, in whichever language the page is in."""
    page.goto("/login")
    form = page.locator("main form")
    form.locator("input[name=email]").fill(email)
    form.locator("input[name=password]").fill(password)
    form.locator("button[type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)


def switch_language(page) -> None:
    """Press the header's language switch (English <-> Chinese) and wait for the page."""
    before = page.locator("html").get_attribute("lang")
    page.get_by_test_id("language-switch").click()
    page.wait_for_function("lang => document.documentElement.lang !== lang", arg=before)


def sign_out(page) -> None:
    page.locator("form[action='/logout'] button").click()
    page.wait_for_url(re.compile(r"/login"))
