"""Administration: staff accounts, roles, pausing; guards for oneself and the last admin."""
import pytest
from sqlalchemy import select

from portal.accounts.models import User
from tests.accounts.test_members import count_queries
from tests.conftest import XSS_PAYLOADS, login
from tests.factories import PASSWORD, make_user


def test_lists_staff_only(admin_client, dbs, member, product_user, office_user):
    page = admin_client.get("/admin").get_data(as_text=True)
    assert product_user.email in page and office_user.email in page
    assert member.email not in page
    assert "Product team" in page and "Service office" in page and "Administrator" in page


def test_query_count_is_fixed(app, admin_client, dbs):
    for _ in range(3):
        make_user(dbs, role="office")
    few = count_queries(app, admin_client, "/admin")
    for _ in range(27):
        make_user(dbs, role="product")
    many = count_queries(app, admin_client, "/admin")
    assert few == many


def test_create_staff_account(app, admin_client, dbs):
    assert admin_client.get("/admin/staff/new").status_code == 200
    response = admin_client.post("/admin/staff/new", data={
        "email": "New.Office@Example.com", "name": "New Office", "role": "office",
        "password": "office-pass-1"})
    assert response.status_code == 302
    user = dbs.scalar(select(User).where(User.email == "new.office@example.com"))
    assert user.role == "office" and user.check_password("office-pass-1")
    fresh = app.test_client()
    login(fresh, user, password="office-pass-1")
    assert fresh.get("/staff/members").status_code == 200


@pytest.mark.parametrize("data,message", [
    ({"email": "taken@example.com", "name": "X", "role": "office", "password": "long-enough"},
     "An account with this email already exists."),
    ({"email": "TAKEN@example.com", "name": "X", "role": "office", "password": "long-enough"},
     "An account with this email already exists."),
    ({"email": "fresh@example.com", "name": "X", "role": "member", "password": "long-enough"},
     "Not a valid choice"),
    ({"email": "fresh@example.com", "name": "X", "role": "office", "password": "short"},
     "at least 10 characters"),
    ({"email": "bad", "name": "X", "role": "office", "password": "long-enough"}, "Invalid email address."),
])
def test_create_staff_refuses_bad_values(admin_client, dbs, data, message):
    make_user(dbs, role="product", email="taken@example.com")
    response = admin_client.post("/admin/staff/new", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert 'value="X"' in page
    assert dbs.scalar(select(User).where(User.email == "fresh@example.com")) is None


def test_change_role(admin_client, dbs, office_user):
    response = admin_client.post(f"/admin/staff/{office_user.id}/role", data={"role": "product"})
    assert response.status_code == 302
    dbs.expire_all()
    assert dbs.get(User, office_user.id).role == "product"
    assert "now has the role: Product team" in admin_client.get("/admin").get_data(as_text=True)


def test_change_role_refuses_member_role_and_members(admin_client, dbs, office_user, member):
    admin_client.post(f"/admin/staff/{office_user.id}/role", data={"role": "member"})
    dbs.expire_all()
    assert dbs.get(User, office_user.id).role == "office"
    assert admin_client.post(f"/admin/staff/{member.id}/role", data={"role": "admin"}).status_code == 404
    dbs.expire_all()
    assert dbs.get(User, member.id).role == "member"


def test_cannot_demote_or_pause_yourself(admin_client, admin_user, dbs):
    make_user(dbs, role="admin")  # another admin exists: still refused for oneself
    response = admin_client.post(f"/admin/staff/{admin_user.id}/role", data={"role": "office"},
                                 follow_redirects=True)
    assert "You cannot take away your own administrator role." in response.get_data(as_text=True)
    response = admin_client.post(f"/admin/staff/{admin_user.id}/pause", follow_redirects=True)
    assert "You cannot pause your own account." in response.get_data(as_text=True)
    dbs.expire_all()
    user = dbs.get(User, admin_user.id)
    assert (user.role, user.status) == ("admin", "active")


def test_last_active_admin_is_kept(app, dbs, admin_user):
    """A second admin (now paused) cannot leave the only active admin demotable by someone else."""
    other = make_user(dbs, role="admin", name="Other Admin")
    client = app.test_client()
    login(client, other)
    # other pauses admin_user -> allowed, other remains active
    client.post(f"/admin/staff/{admin_user.id}/pause")
    dbs.expire_all()
    assert dbs.get(User, admin_user.id).status == "paused"
    # resume, then make admin_user the only active admin by demoting other via admin_user
    client.post(f"/admin/staff/{admin_user.id}/resume")
    dbs.expire_all()
    assert dbs.get(User, admin_user.id).status == "active"
    second = app.test_client()
    second.language("en")
    login(second, admin_user)
    response = second.post(f"/admin/staff/{other.id}/role", data={"role": "office"}, follow_redirects=True)
    assert response.status_code == 200
    dbs.expire_all()
    assert dbs.get(User, other.id).role == "office"
    # admin_user is now the last admin; nobody else can demote them, and they cannot themselves
    response = second.post(f"/admin/staff/{admin_user.id}/role", data={"role": "office"},
                           follow_redirects=True)
    assert "You cannot take away your own administrator role." in response.get_data(as_text=True)


def test_last_active_admin_message(app, dbs, admin_user):
    from portal.admin import services

    with app.test_request_context():
        from flask import session

        from portal.db import db
        session["lang"] = "en"
        actor = db.get(User, make_user(dbs, role="admin", status="paused").id)
        target = db.get(User, admin_user.id)
        with pytest.raises(services.StaffError, match="last active administrator"):
            services.set_status(actor, target, "paused")
        with pytest.raises(services.StaffError, match="last active administrator"):
            services.change_role(actor, target, "product")


def test_pause_and_resume_staff(app, admin_client, dbs, office_user):
    office = app.test_client()
    login(office, office_user)
    assert office.get("/staff/members").status_code == 200
    assert admin_client.post(f"/admin/staff/{office_user.id}/pause").status_code == 302
    dbs.expire_all()
    assert dbs.get(User, office_user.id).status == "paused"
    assert office.get("/staff/members").status_code == 302  # session ended
    assert office.post("/login", data={"email": office_user.email, "password": PASSWORD}).status_code == 403
    admin_client.post(f"/admin/staff/{office_user.id}/resume")
    dbs.expire_all()
    assert dbs.get(User, office_user.id).status == "active"


def test_staff_actions_need_csrf(admin_client, dbs, office_user):
    assert admin_client.post(f"/admin/staff/{office_user.id}/pause", csrf=False).status_code == 400
    assert admin_client.post(f"/admin/staff/{office_user.id}/role", data={"role": "admin"},
                             csrf=False).status_code == 400
    assert admin_client.post("/admin/staff/new", data={
        "email": "a@example.com", "name": "A", "role": "admin", "password": "long-enough"},
        csrf=False).status_code == 400
    dbs.expire_all()
    user = dbs.get(User, office_user.id)
    assert (user.role, user.status) == ("office", "active")


@pytest.mark.parametrize("fixture", ["member", "product_user", "office_user"])
def test_only_admins(app, request, dbs, fixture):
    user = request.getfixturevalue(fixture)
    target = make_user(dbs, role="product")
    client = app.test_client()
    login(client, user)
    assert client.get("/admin").status_code == 403
    assert client.get("/admin/staff/new").status_code == 403
    assert client.post(f"/admin/staff/{target.id}/pause").status_code == 403
    assert client.post(f"/admin/staff/{target.id}/role", data={"role": "admin"}).status_code == 403
    dbs.expire_all()
    assert dbs.get(User, target.id).role == "product"


def test_anonymous_is_sent_to_login(client):
    for url in ("/admin", "/admin/staff/new"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_unknown_staff_is_404(admin_client):
    assert admin_client.post("/admin/staff/99999/pause").status_code == 404


def test_payloads_are_escaped(admin_client, dbs):
    for payload in XSS_PAYLOADS:
        make_user(dbs, role="product", name=payload)
    page = admin_client.get("/admin").get_data(as_text=True)
    for payload in XSS_PAYLOADS:
        assert payload not in page


def test_admin_pages_render_in_chinese(admin_client):
    admin_client.language("zh_Hans")
    assert admin_client.get("/admin").status_code == 200
    assert admin_client.get("/admin/staff/new").status_code == 200
