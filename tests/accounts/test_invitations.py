"""Staff creating invitations and reading their states."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from portal.accounts import services
from portal.accounts.models import Invitation, User
from portal.db import utcnow
from tests.accounts.test_members import count_queries
from tests.conftest import XSS_PAYLOADS
from tests.factories import make_user

LINK = re.compile(r'data-testid="invitation-link">([^<]+)<')


def test_page_has_form_with_default_days(office_client, app):
    page = office_client.get("/staff/invitations").get_data(as_text=True)
    assert f'value="{app.config["INVITATION_DAYS"]}"' in page
    assert "No invitation has been created yet." in page


def test_create_shows_link_once_and_it_registers(app, office_client, office_user, dbs):
    response = office_client.post("/staff/invitations", data={
        "segment": "enterprise", "email": "Boss@Corp.example.com", "days": "30"})
    assert response.status_code == 302 and response.headers["Location"] == "/staff/invitations"
    page = office_client.get("/staff/invitations").get_data(as_text=True)
    link = LINK.search(page).group(1)
    assert link.startswith("http://localhost/join/")
    invitation = dbs.scalar(select(Invitation))
    assert invitation.segment == "enterprise" and invitation.email == "boss@corp.example.com"
    assert invitation.created_by_id == office_user.id
    assert timedelta(days=29, hours=23) < invitation.expires_at - utcnow() <= timedelta(days=30)
    token = link.rsplit("/", 1)[1]
    assert invitation.token_hash == services.hash_token(token)
    # shown once: the list does not carry it
    listing = office_client.get("/staff/invitations").get_data(as_text=True)
    assert token not in listing
    assert "Pending" in listing and "boss@corp.example.com" in listing
    # the link works for a new person
    office_client.post("/logout")
    office_client.language("en")
    form = office_client.get(f"/join/{token}").get_data(as_text=True)
    assert 'value="boss@corp.example.com"' in form and "Key enterprise account" in form


@pytest.mark.parametrize("data,message", [
    ({"segment": "", "days": "14"}, "Choose the segment."),
    ({"segment": "martian", "days": "14"}, "Not a valid choice"),
    ({"segment": "sme", "days": "0"}, "Between 1 and 90 days."),
    ({"segment": "sme", "days": "91"}, "Between 1 and 90 days."),
    ({"segment": "sme", "days": "soon"}, "Not a valid integer value."),
    ({"segment": "sme", "days": "14", "email": "not-an-email"}, "Invalid email address."),
])
def test_bad_values_are_refused(admin_client, dbs, data, message):
    response = admin_client.post("/staff/invitations", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert dbs.scalar(select(Invitation)) is None


def test_states_listed_newest_first(app, admin_client, dbs):
    joined = make_user(dbs, name="Joined Person", email="joined@example.com")
    with app.test_request_context():
        used, _ = services.create_invitation("sme", 14, email="a@example.com")
        expired, _ = services.create_invitation("household", 14, email="b@example.com")
        pending, _ = services.create_invitation("mobile", 14, email="c@example.com")
    now = utcnow()
    dbs.execute(update(Invitation).where(Invitation.id == used.id)
                .values(used_at=now, used_by_id=joined.id, created_at=now - timedelta(days=3)))
    dbs.execute(update(Invitation).where(Invitation.id == expired.id)
                .values(expires_at=now - timedelta(days=1), created_at=now - timedelta(days=2)))
    dbs.commit()
    page = admin_client.get("/staff/invitations").get_data(as_text=True)
    assert "Used" in page and "by Joined Person (joined@example.com)" in page
    assert "Expired" in page and "Pending" in page
    assert page.index("c@example.com") < page.index("b@example.com") < page.index("a@example.com")


def test_invitation_list_query_count_is_fixed(app, office_client, dbs):
    def add(n):
        with app.test_request_context():
            for _i in range(n):
                inv, _ = services.create_invitation("mobile", 14)
                user = User(email=f"used{inv.id}@example.com", name=f"U{inv.id}", role="member",
                            segment="mobile", password_hash="x")
                dbs.add(user)
                dbs.flush()
                dbs.execute(update(Invitation).where(Invitation.id == inv.id)
                            .values(used_at=utcnow(), used_by_id=user.id))
                dbs.commit()

    add(3)
    few = count_queries(app, office_client, "/staff/invitations")
    add(27)
    many = count_queries(app, office_client, "/staff/invitations")
    assert few == many


def test_create_without_csrf_is_refused(office_client, dbs):
    response = office_client.post("/staff/invitations", data={"segment": "sme", "days": "14"}, csrf=False)
    assert response.status_code == 400
    assert dbs.scalar(select(Invitation)) is None


def test_member_cannot_create(member_client, dbs):
    response = member_client.post("/staff/invitations", data={"segment": "sme", "days": "14"})
    assert response.status_code == 403
    assert dbs.scalar(select(Invitation)) is None


def test_email_payload_is_escaped(app, office_client, dbs):
    with app.test_request_context():
        services.create_invitation("sme", 14, email=XSS_PAYLOADS[0])
    page = office_client.get("/staff/invitations").get_data(as_text=True)
    assert XSS_PAYLOADS[0] not in page


def test_invitations_render_in_chinese(app, office_client):
    with app.test_request_context():
        services.create_invitation("sme", 14)
    office_client.language("zh_Hans")
    assert office_client.get("/staff/invitations").status_code == 200


# --- POST-redirect-GET, email, states, copy and revoke -----------------------------------------

def _create(client, **data):
    response = client.post("/staff/invitations", data={"segment": "sme", "days": "14", **data})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    return LINK.search(page).group(1), page


def test_a_reload_after_creating_creates_nothing_more(office_client, dbs):
    _, page = _create(office_client)
    assert 'data-copy="http://localhost/join/' in page and "Copy link" in page
    again = office_client.get("/staff/invitations").get_data(as_text=True)
    assert 'data-testid="invitation-link"' not in again
    assert dbs.scalar(select(func.count(Invitation.id))) == 1


def test_an_invitation_with_an_email_is_mailed(office_client, dbs):
    from portal.notifications.models import OutboxEmail

    link, page = _create(office_client, email="newcomer@example.com")
    assert "It was also sent by email to newcomer@example.com." in page
    row = dbs.scalar(select(OutboxEmail))
    assert row.to_address == "newcomer@example.com"
    token = link.rsplit("/", 1)[1]
    assert f"/join/{token}" in row.body and "://" in row.body.split(f"/join/{token}")[0]
    _create(office_client)
    assert dbs.scalar(select(func.count(OutboxEmail.id))) == 1


def test_a_pending_invitation_is_withdrawn_and_its_link_stops_working(app, office_client, dbs):
    from portal.audit.models import AuditEntry

    link, _ = _create(office_client)
    invitation = dbs.scalar(select(Invitation))
    response = office_client.post(f"/staff/invitations/{invitation.id}/revoke")
    assert response.status_code == 302
    listing = office_client.get("/staff/invitations").get_data(as_text=True)
    assert "Withdrawn" in listing and "The invitation was withdrawn" in listing
    assert dbs.scalar(select(AuditEntry).where(AuditEntry.action == "revoke")).object_id == invitation.id
    visitor = app.test_client()
    refused = visitor.get(link.replace("http://localhost", ""))
    assert refused.status_code == 410
    again = office_client.post(f"/staff/invitations/{invitation.id}/revoke")
    assert again.status_code == 302
    assert "can no longer be withdrawn" in office_client.get("/staff/invitations").get_data(as_text=True)


def test_members_cannot_withdraw(app, member_client, dbs):
    from tests.accounts.test_registration import make_invitation
    invitation, _ = make_invitation(app)
    assert member_client.post(f"/staff/invitations/{invitation.id}/revoke").status_code in (403, 404)
    dbs.expire_all()
    assert dbs.get(Invitation, invitation.id).revoked_at is None


def test_the_list_shows_each_state(app, office_client, dbs):
    link, _ = _create(office_client)
    rows = list(dbs.scalars(select(Invitation)))
    rows[0].revoked_at = utcnow()
    dbs.add(Invitation(token_hash="e" * 64, segment="sme", expires_at=utcnow() - timedelta(days=1)))
    dbs.commit()
    _create(office_client)
    listing = office_client.get("/staff/invitations").get_data(as_text=True)
    assert "Withdrawn" in listing and "Expired" in listing and "Pending" in listing
    assert listing.count('/revoke"') == 1
