"""Error pages: every error is a page of the site in the viewer's language, or JSON when asked.

The site's own routes give the errors where they can (an unknown address, a member opening a
staff page, a GET on a POST-only address, a stale form, an oversized upload, an unreachable
database); 400, 429 and 500 come from test-only routes added to the app here.
"""
from __future__ import annotations

import logging
import re

import pytest
from flask import abort
from sqlalchemy import func, select

from portal import create_app
from portal.accounts.models import User
from tests.conftest import BrowserLikeClient, login
from tests.factories import PASSWORD

# code -> (English heading, Chinese heading, a phrase of the English explanation)
PAGES = {
    400: ("Request not understood", "无法处理此请求", "Go back, reload the page and try again"),
    403: ("Not allowed", "无权访问", "Your account cannot open this page."),
    404: ("Not found", "页面不存在", "There is nothing at this address"),
    405: ("Not possible here", "此处无法进行该操作", "does not take that kind of request"),
    413: ("Upload too large", "上传文件过大", "Photos may be at most 5 MB each."),
    429: ("Too many requests", "请求过于频繁", "Wait a minute and try again."),
    500: ("Something went wrong", "出现错误", "The site could not finish this request."),
    503: ("Briefly unavailable", "服务暂时不可用",
          "The service is briefly unavailable, try again in a minute"),
}
FORM_EXPIRED_EN = "Your form expired or was sent from another page. Please sign in / send it again."
FORM_EXPIRED_ZH = "表单已失效"
SITE_EN, SITE_ZH = "Customer Panel Portal", "客户组织门户"


@pytest.fixture(autouse=True)
def test_routes(app):
    """Routes that fail on purpose; errors in views become pages, not tracebacks."""
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def abort_with(code: int):
        abort(code)

    def crash():
        raise RuntimeError("a bug in a view")

    def half_saved():
        # A change flushed but not committed when the view fails: the error page must not
        # keep it, and the layout (which reads the user's unread count) must still render.
        from portal.db import db

        db.add(User(email="half-saved@example.com", name="Half saved", role="member",
                    password_hash="x"))
        db.flush()
        raise RuntimeError("failed after a flush")

    def bad_sql():
        from sqlalchemy import text

        from portal.db import db

        db.execute(text("SELECT * FROM no_such_table"))

    app.add_url_rule("/test-only/abort/<int:code>", "test_abort", abort_with)
    app.add_url_rule("/test-only/bad-sql", "test_bad_sql", bad_sql)
    app.add_url_rule("/test-only/crash", "test_crash", crash)
    app.add_url_rule("/test-only/half-saved", "test_half_saved", half_saved)


@pytest.fixture
def broken_app(tmp_path):
    """The app with a database that cannot be opened (its directory does not exist)."""
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret-key",
                      "DATABASE_URL": f"sqlite:///{tmp_path}/missing/dir/portal.sqlite3"})
    app.test_client_class = BrowserLikeClient
    return app


def _get_error(code: int, app, client, member):
    """Make the site answer `code`, as a visitor would meet it."""
    if code == 403:
        login(client, member)
        return client.get("/staff/dashboard")
    if code == 404:
        return client.get("/no-such-page")
    if code == 405:
        return client.get("/logout")
    if code == 413:
        app.config["MAX_CONTENT_LENGTH"] = 2000
        return client.post("/login", data={"email": "x@example.com", "password": "x" * 5000})
    if code == 500:
        return client.get("/test-only/crash")
    return client.get(f"/test-only/abort/{code}")


def _assert_site_page(response, code: int, heading: str, site: str):
    html = response.get_data(as_text=True)
    assert response.status_code == code
    assert response.mimetype == "text/html"
    assert f"<title>{heading} · {site}</title>" in html
    assert re.search(rf"<h1>\s*{re.escape(heading)}\s*</h1>", html)
    assert 'class="site-header"' in html and 'class="site-footer"' in html  # the site's layout
    assert "Werkzeug" not in html and "Traceback" not in html
    return html


@pytest.mark.parametrize("code", [c for c in PAGES if c != 503])
def test_each_error_is_a_page_of_the_site_in_english(app, client, member, code):
    heading, _, explanation = PAGES[code]
    html = _assert_site_page(_get_error(code, app, client, member), code, heading, SITE_EN)
    assert 'lang="en"' in html
    assert explanation in html
    assert 'href="/">Back to the start page</a>' in html


@pytest.mark.parametrize("code", [c for c in PAGES if c != 503])
def test_each_error_is_a_page_of_the_site_in_chinese(app, client, member, code):
    client.language("zh_Hans")
    _, heading, _ = PAGES[code]
    html = _assert_site_page(_get_error(code, app, client, member), code, heading, SITE_ZH)
    assert 'lang="zh-Hans"' in html
    assert "返回首页" in html


def test_a_signed_in_user_keeps_the_layout_on_an_error_page(client, member):
    login(client, member)
    html = client.get("/no-such-page").get_data(as_text=True)
    assert "Sign out" in html and member.name in html


def test_405_keeps_the_allowed_methods(client):
    response = client.get("/logout")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


@pytest.mark.parametrize("code", [429, 503])
def test_busy_answers_say_when_to_come_back(client, code):
    response = client.get(f"/test-only/abort/{code}")
    assert response.status_code == code
    assert response.headers["Retry-After"] == "60"
    assert f'href="/test-only/abort/{code}">Try again</a>' in response.get_data(as_text=True)


# --- a form sent without a valid CSRF token ---------------------------------------------------------

def test_an_expired_form_is_explained_not_a_bare_400(client, member):
    response = client.post("/login", data={"email": member.email, "password": PASSWORD}, csrf=False,
                           headers={"Referer": "http://localhost/login?next=%2Ftrials"})
    html = _assert_site_page(response, 400, "Form expired", SITE_EN)
    assert FORM_EXPIRED_EN in html
    assert "The CSRF token is missing" not in html and "Bad Request" not in html
    # The way on: back to the form (loading it again gives a fresh token), or sign in.
    assert 'href="/login?next=%2Ftrials">Back to the previous page</a>' in html
    assert 'href="/login">Sign in</a>' in html


def test_an_expired_form_of_a_signed_in_member(member_client, member):
    response = member_client.post("/profile", data={"name": "New name", "csrf_token": "stale"}, csrf=False,
                                  headers={"Referer": "http://localhost/profile"})
    html = _assert_site_page(response, 400, "Form expired", SITE_EN)
    assert FORM_EXPIRED_EN in html
    assert 'href="/profile">Back to the previous page</a>' in html  # the form, loaded afresh
    assert "Sign out" in html and 'href="/login">Sign in</a>' not in html


def test_an_expired_form_in_chinese(client, member):
    client.language("zh_Hans")
    response = client.post("/login", data={"email": member.email, "password": PASSWORD}, csrf=False)
    _assert_site_page(response, 400, FORM_EXPIRED_ZH, SITE_ZH)


def test_a_referrer_from_another_site_is_not_offered_as_the_way_back(client):
    response = client.post("/login", data={}, csrf=False, headers={"Referer": "https://evil.example/x"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "evil.example" not in html and "Back to the previous page" not in html


# --- 500 -------------------------------------------------------------------------------------------

def test_a_crashing_view_gives_the_500_page_and_logs_the_exception(client, caplog):
    with caplog.at_level(logging.ERROR):
        response = client.get("/test-only/crash")
    html = _assert_site_page(response, 500, "Something went wrong", SITE_EN)
    assert "a bug in a view" not in html  # no internals shown
    assert 'href="/test-only/crash">Try again</a>' in html
    logged = [r for r in caplog.records if r.exc_info and isinstance(r.exc_info[1], RuntimeError)]
    assert len(logged) == 1 and "a bug in a view" in str(logged[0].exc_info[1])


def test_the_500_page_rolls_back_what_the_view_left_and_still_shows_the_user(client, dbs, member):
    login(client, member)
    response = client.get("/test-only/half-saved")
    html = _assert_site_page(response, 500, "Something went wrong", SITE_EN)
    assert "Sign out" in html  # the layout read the user and their notifications after the rollback
    assert dbs.scalar(select(func.count()).select_from(User).where(
        User.email == "half-saved@example.com")) == 0


def test_abort_500_is_logged_too(client, caplog):
    with caplog.at_level(logging.ERROR):
        response = client.get("/test-only/abort/500")
    assert response.status_code == 500
    assert any("500 on GET /test-only/abort/500" in r.getMessage() for r in caplog.records)


# --- the database cannot be reached -----------------------------------------------------------------

def test_signing_in_while_the_database_is_down_gives_the_503_page(broken_app):
    client = broken_app.test_client()
    client.language("en")
    response = client.post("/login", data={"email": "member@example.com", "password": PASSWORD})
    html = _assert_site_page(response, 503, "Briefly unavailable", SITE_EN)
    assert PAGES[503][2] in html
    assert response.headers["Retry-After"] == "60"


def test_a_signed_in_user_gets_the_503_page_without_any_database_call(broken_app):
    client = broken_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1:0"  # signed in before the database went away
        session["lang"] = "en"
    response = client.get("/")
    html = _assert_site_page(response, 503, "Briefly unavailable", SITE_EN)
    assert 'href="/">Try again</a>' in html
    # Shown as to a visitor (loading the user would need the database), still signed in after.
    assert 'href="/login">Sign in</a>' in html
    with client.session_transaction() as session:
        assert session["_user_id"] == "1:0"


def test_the_503_page_in_chinese(broken_app):
    client = broken_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1:0"
    # No language chosen: the site's default (Chinese), without asking the user's own setting.
    html = _assert_site_page(client.get("/trials"), 503, "服务暂时不可用", SITE_ZH)
    assert 'lang="zh-Hans"' in html


def test_the_500_page_renders_even_when_the_database_is_down(broken_app):
    """A crash that is not itself a database error, with the database gone: the page still
    renders. For a signed-in user the privacy-notice check loads the user before the view, so
    the outage shows first (503); a visitor reaches the crash (500)."""
    broken_app.config["PROPAGATE_EXCEPTIONS"] = False

    def crash():
        raise RuntimeError("a bug in a view")

    broken_app.add_url_rule("/test-only/crash", "test_crash", crash)
    client = broken_app.test_client()
    with client.session_transaction() as session:
        session["lang"] = "en"
    html = _assert_site_page(client.get("/test-only/crash"), 500, "Something went wrong", SITE_EN)
    assert "Sign out" not in html
    with client.session_transaction() as session:
        session["_user_id"] = "1:0"
    response = client.get("/test-only/crash")
    assert response.status_code == 503 and "Sign out" not in response.get_data(as_text=True)


def test_the_health_check_still_answers_json_when_the_database_is_down(broken_app):
    response = broken_app.test_client().get("/health")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_a_mistake_in_sql_is_not_mistaken_for_an_outage(client):
    """SQLite reports "no such table" as OperationalError: that is a bug (500), not a 503."""
    assert client.get("/test-only/bad-sql").status_code == 500


# --- JSON for clients that ask for it -------------------------------------------------------------

JSON = {"Accept": "application/json"}


@pytest.mark.parametrize("path, code, message", [
    ("/no-such-page", 404, "There is nothing at this address, or it is not yours to see."),
    ("/logout", 405, "This address does not take that kind of request. Use the links and buttons on the "
                     "site's pages."),
    ("/test-only/abort/400", 400, "The site could not read what this page sent. Go back, reload the page "
                                  "and try again."),
    ("/test-only/abort/429", 429, "Too many requests came in a short time. Wait a minute and try again."),
    ("/test-only/crash", 500, "The site could not finish this request. Try again in a moment; if it keeps "
                              "happening, tell the service office."),
])
def test_json_errors(client, path, code, message):
    response = client.get(path, headers=JSON)
    assert response.status_code == code
    assert response.mimetype == "application/json"
    assert response.get_json() == {"error": {"code": code, "message": message}}


def test_json_403_and_expired_form(client, member):
    login(client, member)
    response = client.get("/staff/dashboard", headers=JSON)
    assert response.get_json() == {"error": {"code": 403, "message": "Your account cannot open this page."}}
    response = client.post("/profile", data={"name": "x"}, csrf=False, headers=JSON)
    assert response.status_code == 400
    assert response.get_json() == {"error": {"code": 400, "message": FORM_EXPIRED_EN}}


def test_json_errors_are_translated(client):
    client.language("zh_Hans")
    response = client.get("/no-such-page", headers=JSON)
    assert response.get_json() == {"error": {"code": 404, "message": "该页面不存在，或您无权查看。"}}


def test_json_503(broken_app):
    client = broken_app.test_client()
    client.language("en")
    response = client.post("/login", data={"email": "a@example.com", "password": "x"}, headers=JSON)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"
    assert response.get_json() == {"error": {
        "code": 503, "message": "The service is briefly unavailable, try again in a minute."}}


@pytest.mark.parametrize("accept", ["text/html", "*/*", "text/html,application/json;q=0.9", None])
def test_browsers_get_the_page(client, accept):
    headers = {"Accept": accept} if accept else {}
    response = client.get("/no-such-page", headers=headers)
    assert response.status_code == 404 and response.mimetype == "text/html"
