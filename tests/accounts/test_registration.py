"""Joining the panel by invitation: /join/<token>."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from portal.accounts import services
from portal.accounts.models import Invitation, User
from portal.db import utcnow
from tests.conftest import XSS_PAYLOADS
from tests.factories import make_user

AFTER_REGISTERING = "/login?next=/profile/details?welcome%3D1"


def make_invitation(app, segment="mobile", days=14, email=None):
    with app.test_request_context():
        invitation, token = services.create_invitation(segment, days, email=email)
    return invitation, token


def valid(**overrides):
    data = {
        "name": "Wang Fang", "email": "wang.fang@example.com", "password": "panel-pass-1",
        "confirm": "panel-pass-1", "district": "minhang", "phone": "13912345678", "organization": "",
    }
    data.update(overrides)
    return data


def test_form_shows_the_segment_and_prefills_the_email(app, client):
    _, token = make_invitation(app, segment="sme", email="boss@shop.example.com")
    response = client.get(f"/join/{token}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "SME customer" in page
    assert 'value="boss@shop.example.com"' in page
    assert "Jing&#39;an" in page or "Jing'an" in page
    assert "021-12345678" in page  # the phone hint says what is accepted


THANKS = "Thank you. Please sign in with your email and password."


def without_tokens(page: str) -> str:
    """The page without its CSRF tokens (each session has its own)."""
    return re.sub(r'(content|value)="[\w.-]{60,}"', "", page)


def test_registration_creates_member_marks_invitation_and_asks_to_sign_in(app, client, dbs):
    invitation, token = make_invitation(app, segment="household")
    response = client.post(f"/join/{token}", data=valid(email="Wang.Fang@Example.com"))
    # Sign in, then the profile questions (accounts.member_profile, skippable).
    assert response.status_code == 302 and response.headers["Location"] == AFTER_REGISTERING
    user = dbs.scalar(select(User).where(User.email == "wang.fang@example.com"))
    assert user is not None
    assert (user.role, user.segment, user.district, user.phone, user.status) == (
        "member", "household", "minhang", "13912345678", "active")
    assert user.check_password("panel-pass-1")
    inv = dbs.get(Invitation, invitation.id)
    assert inv.used_at is not None and inv.used_by_id == user.id
    assert THANKS in client.get("/login").get_data(as_text=True)
    # not signed in by the registration (an email already taken could not be), but by signing in
    assert client.get("/profile").status_code == 302
    assert client.post("/login", data={"email": "wang.fang@example.com", "password": "panel-pass-1"}
                       ).status_code == 302
    assert client.get("/profile").status_code == 200


@pytest.mark.parametrize("segment", ["enterprise", "sme"])
def test_organization_is_required_for_enterprise_and_sme(app, client, dbs, segment):
    invitation, token = make_invitation(app, segment=segment)
    response = client.post(f"/join/{token}", data=valid(organization="  "))
    assert response.status_code == 422
    assert "Please give the name of your organization." in response.get_data(as_text=True)
    assert dbs.scalar(select(User).where(User.email == "wang.fang@example.com")) is None
    response = client.post(f"/join/{token}", data=valid(organization="Shanghai Widgets Ltd"))
    assert response.status_code == 302
    organization = dbs.scalar(select(User.organization).where(User.email == "wang.fang@example.com"))
    assert organization == "Shanghai Widgets Ltd"


@pytest.mark.parametrize("field,value,message", [
    ("phone", "12345", "This is not a phone number we accept."),
    ("phone", "12012345678", "This is not a phone number we accept."),
    ("phone", "abc-defg", "This is not a phone number we accept."),
    ("district", "atlantis", "Choose your district."),
    ("email", "not-an-email", "Invalid email address."),
    ("password", "short", "at least 10 characters"),
    ("confirm", "different-pass", "The two passwords are not the same."),
    ("name", "", "This field is required."),
])
def test_bad_values_are_refused_and_input_kept(app, client, dbs, field, value, message):
    invitation, token = make_invitation(app)
    data = valid(**{field: value})
    if field == "password":
        data["confirm"] = value
    response = client.post(f"/join/{token}", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    if field not in ("password", "confirm", "district"):
        assert f'value="{value}"' in page or value == ""
    assert 'value="Wang Fang"' in page or field == "name"
    assert dbs.scalar(select(User).where(User.role == "member")) is None
    assert dbs.get(Invitation, invitation.id).used_at is None


@pytest.mark.parametrize("phone", ["13912345678", "+8613912345678", "021-12345678", "12345678",
                                   "0512-1234567", "021-12345678-123", "139 1234 5678"])
def test_accepted_phone_numbers(app, client, phone):
    _, token = make_invitation(app)
    assert client.post(f"/join/{token}", data=valid(phone=phone)).status_code == 302


def test_a_taken_email_looks_like_a_success_and_keeps_the_invitation(app, client, dbs):
    """Someone with an invitation link types an email that has an account: the answer is the
    same as for a new email, nothing is created, and the link still works for a new email."""
    make_user(dbs, email="taken@example.com", name="Existing Person")
    invitation, token = make_invitation(app)
    fresh_client = app.test_client()
    fresh_client.language("en")
    _, other_token = make_invitation(app)

    taken = client.post(f"/join/{token}", data=valid(email="TAKEN@example.com"))
    new = fresh_client.post(f"/join/{other_token}", data=valid(email="new.person@example.com"))
    assert taken.status_code == new.status_code == 302
    assert taken.headers["Location"] == new.headers["Location"] == AFTER_REGISTERING
    taken_page = client.get("/login").get_data(as_text=True)
    new_page = fresh_client.get("/login").get_data(as_text=True)
    assert THANKS in taken_page and THANKS in new_page
    assert "already exists" not in taken_page
    assert without_tokens(taken_page) == without_tokens(new_page)

    existing = dbs.scalar(select(User).where(User.email == "taken@example.com"))
    assert existing.name == "Existing Person"
    assert dbs.scalar(select(func.count()).select_from(User).where(User.email.ilike("taken@%"))) == 1
    assert dbs.get(Invitation, invitation.id).used_at is None
    # the same link still registers a new email
    assert client.get(f"/join/{token}").status_code == 200
    response = client.post(f"/join/{token}", data=valid(email="third@example.com"))
    assert response.status_code == 302
    dbs.expire_all()
    third = dbs.scalar(select(User).where(User.email == "third@example.com"))
    assert dbs.get(Invitation, invitation.id).used_by_id == third.id


def test_a_taken_email_is_hashed_like_a_new_one(app, client, dbs, monkeypatch):
    """Both outcomes cost one password hash, so their timing does not tell them apart."""
    from portal.accounts import services as account_services

    make_user(dbs, email="taken@example.com")
    calls = []
    real = account_services.generate_password_hash
    monkeypatch.setattr(account_services, "generate_password_hash",
                        lambda password: calls.append(password) or real(password))
    _, token = make_invitation(app)
    client.post(f"/join/{token}", data=valid(email="taken@example.com"))
    assert calls == ["panel-pass-1"]


def test_unknown_token_is_404_without_form(client):
    response = client.get("/join/not-a-real-token")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "This invitation link is not valid." in page
    assert 'name="password"' not in page
    assert client.post("/join/not-a-real-token", data=valid()).status_code == 404


def test_used_token_is_410_without_form(app, client, dbs):
    _, token = make_invitation(app)
    assert client.post(f"/join/{token}", data=valid()).status_code == 302
    client.post("/logout")
    client.language("en")
    response = client.get(f"/join/{token}")
    assert response.status_code == 410
    page = response.get_data(as_text=True)
    assert "This invitation has already been used." in page and 'name="password"' not in page
    response = client.post(f"/join/{token}", data=valid(email="second@example.com"))
    assert response.status_code == 410
    assert dbs.scalar(select(User).where(User.email == "second@example.com")) is None


def test_expired_token_is_410_without_form(app, client, dbs):
    invitation, token = make_invitation(app)
    dbs.execute(update(Invitation).values(expires_at=utcnow() - timedelta(minutes=1)))
    dbs.commit()
    response = client.get(f"/join/{token}")
    assert response.status_code == 410
    page = response.get_data(as_text=True)
    assert "This invitation has expired." in page and 'name="password"' not in page
    assert client.post(f"/join/{token}", data=valid()).status_code == 410
    assert dbs.scalar(select(User).where(User.role == "member")) is None


def test_concurrent_second_use_fails_and_rolls_back(app, dbs):
    """Both requests found the invitation unused; the second claim must fail whole."""
    invitation, token = make_invitation(app)
    with app.test_request_context():
        first = services.find_usable_invitation(token)
        second_view = services.find_usable_invitation(token)  # loaded before the first commits
        services.register_member(first, services.Registration(
            name="First", email="first@example.com", password="panel-pass-1",
            district="xuhui", phone="13900000001"))
    with app.test_request_context():
        from portal.db import db
        stale = db.get(Invitation, second_view.id)
        stale.used_at = None  # as the second request saw it
        db.expunge(stale)
        with pytest.raises(services.InvitationError):
            services.register_member(stale, services.Registration(
                name="Second", email="second@example.com", password="panel-pass-1",
                district="xuhui", phone="13900000002"))
    assert dbs.scalar(select(User).where(User.email == "second@example.com")) is None
    inv = dbs.get(Invitation, invitation.id)
    assert dbs.get(User, inv.used_by_id).email == "first@example.com"


def test_registration_without_csrf_is_refused(app, client, dbs):
    _, token = make_invitation(app)
    assert client.post(f"/join/{token}", data=valid(), csrf=False).status_code == 400
    assert dbs.scalar(select(User).where(User.role == "member")) is None


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_script_payloads_are_escaped_on_the_rejected_form(app, client, payload):
    _, token = make_invitation(app, segment="enterprise")
    response = client.post(f"/join/{token}", data=valid(name=payload, organization=payload, phone=payload))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert payload not in page


def test_registration_page_renders_in_chinese(app, client):
    _, token = make_invitation(app, segment="enterprise")
    client.language("zh_Hans")
    assert client.get(f"/join/{token}").status_code == 200
    assert client.get("/join/unknown").status_code == 404
