"""Sign-in, remember me, sign-out, throttling, paused accounts, password change."""
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from portal.accounts.models import LoginAttempt, User
from portal.db import utcnow
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


def test_throttled_by_email_even_with_the_right_password(client, member, app):
    limit = app.config["LOGIN_MAX_FAILURES"]
    for i in range(limit):
        # each failure from another address: only the email ties them together
        assert post_login(client, member.email, "wrong-password", addr=f"10.0.0.{i + 1}").status_code == 422
    response = post_login(client, member.email, PASSWORD, addr="10.0.1.1")
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "Too many failed sign-in attempts. Please wait 15 minutes" in page
    assert f'value="{member.email}"' in page
    assert client.get("/profile").status_code == 302
    # another account from the same fresh address is not affected
    other = post_login(client, "someone@example.com", "x-password", addr="10.0.1.1")
    assert other.status_code == 422


def test_throttled_by_address_across_emails(client, member):
    for i in range(5):
        post_login(client, f"guess{i}@example.com", "wrong-password", addr="192.0.2.7")
    response = post_login(client, member.email, PASSWORD, addr="192.0.2.7")
    assert response.status_code == 429
    assert "Please wait" in response.get_data(as_text=True)
    # the same account from another address may sign in
    assert post_login(client, member.email, PASSWORD, addr="192.0.2.8").status_code == 302


def test_refused_attempts_during_the_block_are_not_counted(client, member, dbs):
    for _ in range(5):
        post_login(client, member.email, "wrong-password")
    for _ in range(3):
        assert post_login(client, member.email, "wrong-password").status_code == 429
    assert len(dbs.scalars(select(LoginAttempt)).all()) == 5


def test_block_ends_when_the_window_has_passed(client, member, dbs, app):
    for _ in range(5):
        post_login(client, member.email, "wrong-password")
    assert post_login(client, member.email, PASSWORD).status_code == 429
    past = utcnow() - timedelta(seconds=app.config["LOGIN_WINDOW_SECONDS"] + 1)
    dbs.execute(update(LoginAttempt).values(attempted_at=past))
    dbs.commit()
    assert post_login(client, member.email, PASSWORD).status_code == 302


def test_wait_time_counts_down_in_minutes(client, member, dbs):
    for _ in range(5):
        post_login(client, member.email, "wrong-password")
    dbs.execute(update(LoginAttempt).values(attempted_at=utcnow() - timedelta(minutes=11)))
    dbs.commit()
    response = post_login(client, member.email, PASSWORD)
    assert response.status_code == 429
    assert "Please wait 4 minutes" in response.get_data(as_text=True)


def test_a_successful_sign_in_resets_the_email_count(client, member):
    for _ in range(4):
        post_login(client, member.email, "wrong-password", addr="10.1.0.1")
    assert post_login(client, member.email, PASSWORD, addr="10.1.0.2").status_code == 302
    client.post("/logout")
    assert post_login(client, member.email, "wrong-password", addr="10.1.0.3").status_code == 422
    assert post_login(client, member.email, PASSWORD, addr="10.1.0.4").status_code == 302


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
    assert "at least 8 characters" in response.get_data(as_text=True)
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


def test_the_last_minute_of_waiting_reads_in_the_singular(client, member, dbs):
    for _ in range(5):
        post_login(client, member.email, "wrong-password")
    dbs.execute(update(LoginAttempt).values(attempted_at=utcnow() - timedelta(seconds=14 * 60 + 30)))
    dbs.commit()
    page = post_login(client, member.email, PASSWORD).get_data(as_text=True)
    assert "Please wait 1 minute and try again" in page


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
