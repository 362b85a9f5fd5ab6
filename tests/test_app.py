"""The application as a whole: health check, security headers, errors, language."""
import pytest

from tests.conftest import login


def test_health_reports_database_ok(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_health_reports_unreachable_database(tmp_path):
    from portal import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x",
                      "DATABASE_URL": f"sqlite:///{tmp_path}/missing/dir/db.sqlite3"})
    response = app.test_client().get("/health")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_pages_carry_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_pages_have_no_inline_script(client, member):
    login(client, member)
    page = client.get("/").get_data(as_text=True)
    assert "<script>" not in page and "onclick=" not in page


def test_session_cookie_is_httponly_and_lax(client, member):
    response = login(client, member)
    cookie = response.headers.get("Set-Cookie")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_chinese_is_the_default_language(app, member):
    client = app.test_client()  # no language chosen
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="zh-Hans"' in page


def test_post_without_csrf_token_is_refused(client, member):
    response = client.post("/login", data={"email": member.email, "password": "x"}, csrf=False)
    assert response.status_code == 400


def test_language_choice_sticks_to_the_user(app, member, dbs):
    client = app.test_client()
    login(client, member)
    client.post("/language/en", data={"next": "/"})
    dbs.expire_all()
    assert dbs.get(type(member), member.id).locale == "en"
    client.post("/logout")
    fresh = app.test_client()  # another browser: nothing in its session
    login(fresh, member)
    assert 'lang="en"' in fresh.get("/").get_data(as_text=True)


def test_language_switch_refuses_foreign_redirects(client):
    response = client.post("/language/en", data={"next": "//evil.example/"})
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", [
    "/\t/evil.example/x", "/%09/evil.example/x", "//evil.example", "/\\evil.example",
    "https://evil.example", "javascript:alert(1)", " /x", "/x\n", "/\u202e/x",
])
def test_language_switch_never_redirects_off_site(client, member, target):
    login(client, member)
    response = client.post("/language/en", data={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/", target


def test_language_switch_returns_to_the_page_with_its_query(client):
    response = client.post("/language/zh_Hans", data={"next": "/trials?x=1"})
    assert response.headers["Location"] == "/trials?x=1"


def test_unknown_page_is_a_404_in_the_layout(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Not found" in response.get_data(as_text=True)


def test_pages_of_a_signed_in_person_are_not_stored(client, member):
    response = login(client, member)  # the answer that signs in
    assert response.headers["Cache-Control"] == "no-store"
    for path in ("/", "/profile", "/profile/password"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path


def test_the_sign_in_page_is_not_stored(client):
    assert client.get("/login").headers["Cache-Control"] == "no-store"


def test_static_files_may_be_cached_even_when_signed_in(client, member):
    login(client, member)
    response = client.get("/static/portal.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
    response.close()
