"""Sign-in, remember me, sign-out, paused accounts, password change, no telling which emails
have accounts. (Throttling: test_throttling.py; ending sessions: tests/test_sessions.py.)"""
import pytest
from sqlalchemy import select, update

from portal.accounts.models import LoginAttempt, User
from tests.conftest import login
from tests.factories import PASSWORD, make_user


def post_login(client, email, password, next_url=None, addr=None, **extra):
    url = "/login" + (f"?next={next_url}" if next_url else "")
    kwargs = {}
    if addr:
        kwargs["environ_base"] = {"REMOTE_ADDR": addr}
    return client.post(url, data={"email": email, "password": password, **extra}, **kwargs)


def test_login_page_renders(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert "Remember me on this device" in response.get_data(as_text=True)


def test_login_success_goes_home_and_records_the_time(client, member, dbs):
    response = post_login(client, member.email.upper(), PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    dbs.expire_all()
    assert dbs.get(User, member.id).last_login_at is not None
    assert client.get("/profile").status_code == 200


def test_wrong_password_is_refused_and_keeps_the_email(client, member, dbs):
    response = post_login(client, member.email, "wrong-password")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Wrong email or password." in page
    assert f'value="{member.email}"' in page
    assert "wrong-password" not in page
    attempts = dbs.scalars(select(LoginAttempt)).all()
    assert [(a.email, a.succeeded) for a in attempts] == [(member.email, False)]


def test_unknown_email_gets_the_same_message(client):
    response = post_login(client, "nobody@example.com", "whatever-pass")
    assert response.status_code == 422
    assert "Wrong email or password." in response.get_data(as_text=True)


def test_remember_cookie_only_when_ticked(app, member):
    plain = app.test_client()
    response = login(plain, member)
    assert "remember_token" not in " ".join(response.headers.getlist("Set-Cookie"))
    ticked = app.test_client()
    response = login(ticked, member, remember=True)
    cookies = " ".join(response.headers.getlist("Set-Cookie"))
    assert "remember_token" in cookies and "HttpOnly" in cookies


def test_remember_cookie_signs_in_a_new_session(app, member):
    client = app.test_client()
    login(client, member, remember=True)
    with client.session_transaction() as session:
        session.clear()  # the browser was closed: only the remember cookie is left
    assert client.get("/profile").status_code == 200


def test_logout_is_post_only_and_signs_out(member_client):
    assert member_client.get("/logout").status_code == 405
    response = member_client.post("/logout")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert member_client.get("/profile").status_code == 302


def test_logout_without_csrf_is_refused(member_client):
    assert member_client.post("/logout", csrf=False).status_code == 400
    assert member_client.get("/profile").status_code == 200


def test_safe_next_only(client, member):
    response = post_login(client, member.email, PASSWORD, next_url="/profile")
    assert response.headers["Location"] == "/profile"
    client.post("/logout")
    for evil in ("//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"):
        response = post_login(client, member.email, PASSWORD, next_url=evil)
        assert response.headers["Location"] == "/", evil
        client.post("/logout")


# Addresses a redirect must never follow: a tab that browsers drop (%09 decodes to it), another
# host, a backslash, a scheme, a leading space.
FOREIGN_NEXT = ["/%09/evil.example/x", "//evil.example", "/\\evil.example", "https://evil.example",
                "javascript:alert(1)", "%20/x", "/%0a/evil.example", "/%2F/evil.example"]


@pytest.mark.parametrize("target", FOREIGN_NEXT)
def test_sign_in_never_redirects_off_site(client, member, target):
    response = post_login(client, member.email, PASSWORD, next_url=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/", target


def test_sign_in_follows_a_path_with_its_query(client, member):
    response = post_login(client, member.email, PASSWORD, next_url="/trials%3Fx%3D1")
    assert response.headers["Location"] == "/trials?x=1"


def test_paused_account_is_refused_with_its_own_message(client, dbs):
    paused = make_user(dbs, status="paused")
    response = post_login(client, paused.email, PASSWORD)
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "Your account is paused" in page
    assert client.get("/profile").status_code == 302


def test_paused_account_with_wrong_password_gets_the_usual_message(client, dbs):
    paused = make_user(dbs, status="paused")
    response = post_login(client, paused.email, "wrong-password")
    assert response.status_code == 422
    assert "paused" not in response.get_data(as_text=True)


def test_pausing_ends_existing_sessions(app, member, dbs):
    client = app.test_client()
    login(client, member, remember=True)
    assert client.get("/profile").status_code == 200
    dbs.execute(update(User).where(User.id == member.id).values(status="paused"))
    dbs.commit()
    response = client.get("/profile")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_login_without_csrf_is_refused(client, member):
    response = client.post("/login", data={"email": member.email, "password": PASSWORD}, csrf=False)
    assert response.status_code == 400


# --- password change ---------------------------------------------------------------------------

def test_password_change(app, member_client, member, dbs):
    assert member_client.get("/profile/password").status_code == 200
    response = member_client.post("/profile/password", data={
        "current_password": PASSWORD, "new_password": "new-secret-99", "confirm": "new-secret-99"})
    assert response.status_code == 302
    dbs.expire_all()
    assert dbs.get(User, member.id).check_password("new-secret-99")
    fresh = app.test_client()
    assert post_login(fresh, member.email, "new-secret-99").status_code == 302


def test_password_change_wrong_current_password(member_client, member, dbs):
    response = member_client.post("/profile/password", data={
        "current_password": "not-my-password", "new_password": "new-secret-99", "confirm": "new-secret-99"})
    assert response.status_code == 422
    assert "Your current password is not correct." in response.get_data(as_text=True)
    dbs.expire_all()
    assert dbs.get(User, member.id).check_password(PASSWORD)


def test_password_change_too_short_or_not_matching(office_client, office_user, dbs):
    response = office_client.post("/profile/password", data={
        "current_password": PASSWORD, "new_password": "short", "confirm": "short"})
    assert response.status_code == 422
    assert "Choose a longer or less common password: it needs at least 10 characters." in \
        response.get_data(as_text=True)
    response = office_client.post("/profile/password", data={
        "current_password": PASSWORD, "new_password": "long-enough-1", "confirm": "long-enough-2"})
    assert response.status_code == 422
    assert "The two passwords are not the same." in response.get_data(as_text=True)
    dbs.expire_all()
    assert dbs.get(User, office_user.id).check_password(PASSWORD)


def test_password_change_needs_sign_in(client):
    response = client.get("/profile/password")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_login_and_password_pages_render_in_chinese(client, member):
    client.language("zh_Hans")
    assert client.get("/login").status_code == 200
    login(client, member)
    client.language("zh_Hans")
    assert client.get("/profile/password").status_code == 200


def test_a_language_chosen_before_signing_in_becomes_the_users_own(client, dbs):
    from portal.accounts.models import User

    newcomer = make_user(dbs, role="member", locale=None)
    client.language("en")
    assert post_login(client, newcomer.email, PASSWORD).status_code == 302
    dbs.expire_all()
    assert dbs.get(User, newcomer.id).locale == "en"


def test_a_stored_language_wins_over_the_one_on_the_sign_in_page(client, dbs):
    from portal.accounts.models import User

    settled = make_user(dbs, role="member", locale="zh_Hans")
    client.language("en")
    post_login(client, settled.email, PASSWORD)
    dbs.expire_all()
    assert dbs.get(User, settled.id).locale == "zh_Hans"
    assert 'lang="zh-Hans"' in client.get("/").get_data(as_text=True)


# --- no telling which emails have accounts -------------------------------------------------------

def _count_hash_checks(monkeypatch) -> list[str]:
    from portal.accounts import services

    checked: list[str] = []
    real = services.check_password_hash

    def counting(stored, password):
        checked.append(stored)
        return real(stored, password)

    monkeypatch.setattr(services, "check_password_hash", counting)
    return checked


def test_an_unknown_email_costs_a_password_hash_too(client, member, monkeypatch):
    """An unknown email is checked against a dummy hash: as slow as a known one, whatever the clock."""
    checked = _count_hash_checks(monkeypatch)
    assert post_login(client, "nobody@example.com", "wrong-password").status_code == 422
    assert post_login(client, member.email, "wrong-password").status_code == 422
    assert len(checked) == 2
    dummy, real = checked
    assert dummy != real and dummy.split("$")[0] == real.split("$")[0]  # same method and cost


def test_a_paused_account_costs_a_password_hash_too(client, dbs, monkeypatch):
    paused = make_user(dbs, status="paused")
    checked = _count_hash_checks(monkeypatch)
    assert post_login(client, paused.email, "wrong-password").status_code == 422
    assert len(checked) == 1
