"""Sessions end when they should: signing out, "sign out on every other device", a new password
and pausing end every copy of the session cookie and every remember cookie (the session
generation in the user id, `User.get_id`)."""
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from sqlalchemy import select

from portal.accounts.models import User
from portal.audit.models import AuditEntry
from tests.conftest import login
from tests.factories import PASSWORD

NEW_PASSWORD = "violet-kettle-harbour"


def browser(app):
    client = app.test_client()
    client.language("en")
    return client


def signed_in(client) -> bool:
    return client.get("/profile").status_code == 200


def cookie(client, name: str) -> str:
    found = client.get_cookie(name)
    assert found is not None, f"no {name} cookie"
    return found.value


def with_cookie(app, name: str, value: str):
    """Another browser holding only a copied cookie (e.g. a stolen one)."""
    thief = app.test_client()
    thief.set_cookie(name, value)
    return thief


def test_a_copied_session_cookie_is_worthless_after_signing_out(app, member):
    client = browser(app)
    login(client, member)
    copied = cookie(client, "session")
    assert signed_in(with_cookie(app, "session", copied))  # the copy works while signed in
    client.post("/logout")
    assert not signed_in(client)
    replay = with_cookie(app, "session", copied)
    response = replay.get("/profile")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_remember_cookie_is_worthless_after_signing_out(app, member):
    client = browser(app)
    login(client, member, remember=True)
    copied = cookie(client, "remember_token")
    assert signed_in(with_cookie(app, "remember_token", copied))
    client.post("/logout")
    assert not signed_in(with_cookie(app, "remember_token", copied))


def test_signing_in_again_after_signing_out_works(app, member):
    client = browser(app)
    login(client, member, remember=True)
    client.post("/logout")
    login(client, member, remember=True)
    assert signed_in(client)
    with client.session_transaction() as session:
        session.clear()  # browser closed: only the new remember cookie is left
    assert signed_in(client)


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(app, member, dbs):
    here, elsewhere = browser(app), browser(app)
    login(here, member, remember=True)
    login(elsewhere, member, remember=True)
    old_remember = cookie(here, "remember_token")
    response = here.post("/profile/password", data={
        "current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert signed_in(here)
    assert not signed_in(elsewhere)
    assert not signed_in(with_cookie(app, "remember_token", old_remember))
    # this browser's remember cookie was renewed with the new id and still works
    new_remember = cookie(here, "remember_token")
    assert new_remember != old_remember
    assert signed_in(with_cookie(app, "remember_token", new_remember))


def test_a_password_change_without_remember_me_sets_no_remember_cookie(app, member):
    here = browser(app)
    login(here, member)
    here.post("/profile/password", data={
        "current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert signed_in(here)
    assert here.get_cookie("remember_token") is None


def test_signing_out_on_every_other_device(app, member, dbs):
    here, elsewhere = browser(app), browser(app)
    login(here, member)
    login(elsewhere, member, remember=True)
    elsewhere_remember = cookie(elsewhere, "remember_token")
    page = here.get("/profile").get_data(as_text=True)
    assert "Sign out on every other device" in page
    response = here.post("/profile/sign-out-everywhere")
    assert response.status_code == 302 and response.headers["Location"] == "/profile"
    assert "You were signed out on every other device." in here.get("/profile").get_data(as_text=True)
    assert signed_in(here)
    assert not signed_in(elsewhere)
    assert not signed_in(with_cookie(app, "remember_token", elsewhere_remember))
    (entry,) = dbs.scalars(select(AuditEntry)).all()
    assert (entry.actor_id, entry.action, entry.object_type, entry.object_id) == \
        (member.id, "end_sessions", "user", member.id)


def test_signing_out_everywhere_needs_a_post_with_csrf(app, member, dbs):
    here, elsewhere = browser(app), browser(app)
    login(here, member)
    login(elsewhere, member)
    assert here.get("/profile/sign-out-everywhere").status_code == 405
    assert here.post("/profile/sign-out-everywhere", csrf=False).status_code == 400
    assert signed_in(elsewhere)
    assert dbs.scalars(select(AuditEntry)).all() == []


def test_signing_out_everywhere_needs_sign_in(client):
    response = client.post("/profile/sign-out-everywhere")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_paused_members_remember_cookie_stays_dead_after_resuming(app, member, office_user):
    client = browser(app)
    login(client, member, remember=True)
    copied = cookie(client, "remember_token")
    office = browser(app)
    login(office, office_user)
    office.post(f"/staff/members/{member.id}/pause")
    assert not signed_in(client)
    office.post(f"/staff/members/{member.id}/resume")
    assert not signed_in(client)
    assert not signed_in(with_cookie(app, "remember_token", copied))
    login(client, member)  # signing in again works
    assert signed_in(client)


def test_a_paused_staff_accounts_sessions_stay_dead_after_resuming(app, office_user, admin_user):
    client = browser(app)
    login(client, office_user, remember=True)
    copied = cookie(client, "remember_token")
    admin = browser(app)
    login(admin, admin_user)
    admin.post(f"/admin/staff/{office_user.id}/pause")
    admin.post(f"/admin/staff/{office_user.id}/resume")
    assert not signed_in(client)
    assert not signed_in(with_cookie(app, "remember_token", copied))


def test_end_all_sessions_for_the_password_reset(app, member, dbs):
    from portal.accounts import services

    client = browser(app)
    login(client, member, remember=True)
    copied = cookie(client, "remember_token")
    with app.test_request_context():
        from portal.db import db

        services.end_all_sessions(db.get(User, member.id))
    assert not signed_in(client)
    assert not signed_in(with_cookie(app, "remember_token", copied))
    dbs.expire_all()
    assert dbs.get(User, member.id).session_generation == 1


def test_a_user_id_without_generation_is_refused(app, member):
    client = browser(app)
    with client.session_transaction() as session:
        session["_user_id"] = str(member.id)  # as sessions were stored before generations
        session["_fresh"] = True
    assert not signed_in(client)


def test_remember_me_lasts_thirty_days(app, member):
    client = browser(app)
    response = login(client, member, remember=True)
    (header,) = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token=")]
    expires = parsedate_to_datetime(header.split("Expires=")[1].split(";")[0])
    assert abs(expires - (datetime.now(UTC) + timedelta(days=30))) < timedelta(minutes=5)
