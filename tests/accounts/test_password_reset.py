"""Forgotten passwords: the same answer for every email, a single-use link valid one hour sent by
email (absolute link, the recipient's language), the same password rule as registration, every
other session ended and the sign-in throttle cleared."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from portal.accounts.models import LoginAttempt, PasswordReset, User
from portal.db import utcnow
from portal.notifications.models import OutboxEmail
from tests import factories
from tests.conftest import login

GOOD = "violet-kettle-harbour"
SENT = "If an account exists for this address, we sent a link"
LINK = re.compile(r"(https?://[^\s/]+)(/password/reset/[A-Za-z0-9_\-]+)")


def ask(client, email):
    return client.post("/password/forgot", data={"email": email})


def link_in(dbs, email):
    row = dbs.scalars(select(OutboxEmail).where(OutboxEmail.to_address == email)
                      .order_by(OutboxEmail.id.desc())).first()
    assert row is not None
    match = LINK.search(row.body)
    assert match, row.body
    return match.group(0), match.group(2)


def test_the_sign_in_page_links_to_the_forgotten_password_form(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'href="/password/forgot"' in page
    assert client.get("/password/forgot").status_code == 200


def test_known_and_unknown_emails_get_the_same_answer(client, member, dbs):
    known = ask(client, member.email)
    unknown = ask(client, "nobody@example.com")
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    first = client.get(known.headers["Location"]).get_data(as_text=True)
    assert SENT in first
    ask(client, "nobody@example.com")
    assert SENT in client.get("/login").get_data(as_text=True)
    # Only the real account got an email; both requests were stored alike.
    assert [r.to_address for r in dbs.scalars(select(OutboxEmail))] == [member.email]
    assert dbs.scalar(select(func.count(PasswordReset.id))) == 3


def test_the_email_holds_an_absolute_link_in_the_recipients_language(app, client, dbs):
    user = factories.make_user(dbs, role="member", segment="mobile", locale="en")
    ask(client, user.email.upper())
    absolute, _ = link_in(dbs, user.email)
    assert absolute.startswith("http://") or absolute.startswith("https://")
    row = dbs.scalar(select(OutboxEmail))
    assert row.subject == "Choose a new password"
    assert absolute in row.html_body
    # The stored row holds only the token's hash.
    token = absolute.rsplit("/", 1)[1]
    assert token not in {r.token_hash for r in dbs.scalars(select(PasswordReset))}


def test_the_link_sets_the_password_once(client, member, dbs):
    ask(client, member.email)
    _, path = link_in(dbs, member.email)
    assert client.get(path).status_code == 200
    response = client.post(path, data={"password": GOOD, "confirm": GOOD})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    dbs.expire_all()
    assert dbs.get(User, member.id).check_password(GOOD)
    again = client.post(path, data={"password": "another-quiet-lantern", "confirm": "another-quiet-lantern"})
    assert again.status_code == 410
    assert "already been used" in again.get_data(as_text=True)
    assert 'href="/password/forgot"' in again.get_data(as_text=True)
    dbs.expire_all()
    assert dbs.get(User, member.id).check_password(GOOD)
    assert login(client, member, GOOD).status_code == 302


def test_an_expired_or_unknown_link_is_refused_with_a_way_to_ask_again(client, member, dbs):
    ask(client, member.email)
    _, path = link_in(dbs, member.email)
    reset = dbs.scalar(select(PasswordReset))
    reset.expires_at = utcnow() - timedelta(seconds=1)
    dbs.commit()
    response = client.post(path, data={"password": GOOD, "confirm": GOOD})
    assert response.status_code == 410
    assert "has expired" in response.get_data(as_text=True)
    assert 'href="/password/forgot"' in response.get_data(as_text=True)
    dbs.expire_all()
    assert not dbs.get(User, member.id).check_password(GOOD)
    unknown = client.get("/password/reset/not-a-real-token")
    assert unknown.status_code == 404
    assert 'href="/password/forgot"' in unknown.get_data(as_text=True)


def test_a_weak_password_is_refused_and_the_link_still_works(client, member, dbs):
    ask(client, member.email)
    _, path = link_in(dbs, member.email)
    response = client.post(path, data={"password": "12345678", "confirm": "12345678"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Choose a longer or less common password:" in page
    assert 'name="password"' in page
    mismatch = client.post(path, data={"password": GOOD, "confirm": GOOD + "x"})
    assert mismatch.status_code == 422
    assert "The two passwords are not the same." in mismatch.get_data(as_text=True)
    assert client.post(path, data={"password": GOOD, "confirm": GOOD}).status_code == 302


def test_other_sessions_end_and_the_throttle_is_cleared(app, client, member, dbs):
    other = app.test_client()
    login(other, member)
    assert other.get("/profile").status_code == 200
    for _ in range(3):
        client.post("/login", data={"email": member.email, "password": "wrong-password-here"})
    assert dbs.scalar(select(func.count(LoginAttempt.id)).where(LoginAttempt.succeeded.is_(False))) == 3
    ask(client, member.email)
    _, path = link_in(dbs, member.email)
    client.post(path, data={"password": GOOD, "confirm": GOOD})
    assert other.get("/profile").status_code == 302
    assert dbs.scalar(select(func.count(LoginAttempt.id)).where(LoginAttempt.succeeded.is_(False))) == 0
    assert login(client, member, GOOD).status_code == 302


def test_requests_are_limited_silently(client, member, dbs):
    for _ in range(5):
        response = ask(client, member.email)
        assert response.status_code == 302
    assert SENT in client.get("/login").get_data(as_text=True)
    assert dbs.scalar(select(func.count(OutboxEmail.id))) == 3
    # Per address too: other emails from the same address stop being handled after ten.
    for n in range(12):
        ask(client, f"someone{n}@example.com")
    assert dbs.scalar(select(func.count(PasswordReset.id))) == 10
