"""Departments: admins manage them; each has an A and a B contact among active staff."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.improvements.models import Department
from tests.conftest import XSS_PAYLOADS
from tests.factories import make_department, make_user


@pytest.mark.parametrize("role_client", ["member_client", "product_client", "office_client"])
def test_only_admins_manage_departments(request, dbs, role_client):
    dep = make_department(dbs)
    client = request.getfixturevalue(role_client)
    assert client.get("/admin/departments").status_code == 403
    assert client.post("/admin/departments", data={"name": "X"}).status_code == 403
    assert client.get(f"/admin/departments/{dep.id}").status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get("/admin/departments")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_admin_creates_a_department_audited(admin_client, admin_user, dbs):
    a, b = make_user(dbs, role="office", name="Alice A"), make_user(dbs, role="product", name="Bob B")
    response = admin_client.post("/admin/departments", data={
        "name": "Network operations", "a_contact_id": str(a.id), "b_contact_id": str(b.id),
    })
    assert response.status_code == 302
    dep = dbs.scalar(select(Department))
    assert (dep.name, dep.a_contact_id, dep.b_contact_id) == ("Network operations", a.id, b.id)
    entry = dbs.scalar(select(AuditEntry).where(AuditEntry.object_type == "department"))
    assert entry.actor_id == admin_user.id and entry.action == "create"
    assert entry.after["name"] == "Network operations"
    html = admin_client.get("/admin/departments").get_data(as_text=True)
    assert "Network operations" in html and "Alice A" in html and "Bob B" in html


def test_contacts_must_differ_and_be_active_staff(admin_client, dbs, member):
    a = make_user(dbs, role="office")
    paused = make_user(dbs, role="office", status="paused")
    same = admin_client.post("/admin/departments", data={
        "name": "Billing", "a_contact_id": str(a.id), "b_contact_id": str(a.id)})
    assert same.status_code == 422
    html = same.get_data(as_text=True)
    assert "must be different people" in html and 'value="Billing"' in html
    for bad in (member.id, paused.id, 99999):
        response = admin_client.post("/admin/departments", data={
            "name": "Billing", "a_contact_id": str(a.id), "b_contact_id": str(bad)})
        assert response.status_code == 422
    assert dbs.scalar(select(Department)) is None


def test_name_is_unique_in_any_case(admin_client, dbs):
    make_department(dbs, name="Stores")
    a, b = make_user(dbs, role="office"), make_user(dbs, role="office")
    response = admin_client.post("/admin/departments", data={
        "name": "  STORES ", "a_contact_id": str(a.id), "b_contact_id": str(b.id)})
    assert response.status_code == 422
    assert "already exists" in response.get_data(as_text=True)


def test_admin_edits_a_department_audited(admin_client, dbs):
    dep = make_department(dbs, name="Old name")
    c = make_user(dbs, role="admin")
    old_b = dep.b_contact_id
    page = admin_client.get(f"/admin/departments/{dep.id}").get_data(as_text=True)
    assert 'value="Old name"' in page
    response = admin_client.post(f"/admin/departments/{dep.id}", data={
        "name": "New name", "a_contact_id": str(dep.a_contact_id), "b_contact_id": str(c.id),
        "version": "1"})
    assert response.status_code == 302
    dbs.expire_all()
    assert dbs.get(Department, dep.id).name == "New name"
    entry = dbs.scalar(select(AuditEntry).where(AuditEntry.action == "update"))
    assert entry.before == {"name": "Old name", "b_contact_id": old_b}
    assert entry.after == {"name": "New name", "b_contact_id": c.id}
    assert admin_client.get("/admin/departments/9999").status_code == 404


def test_missing_csrf_is_refused(admin_client, dbs):
    a, b = make_user(dbs, role="office"), make_user(dbs, role="office")
    response = admin_client.post("/admin/departments", data={
        "name": "X", "a_contact_id": str(a.id), "b_contact_id": str(b.id)}, csrf=False)
    assert response.status_code == 400
    assert dbs.scalar(select(Department)) is None


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_names_are_escaped(admin_client, dbs, payload):
    make_department(dbs, name=payload[:100], a_contact=make_user(dbs, role="office", name=payload[:100]))
    html = admin_client.get("/admin/departments").get_data(as_text=True)
    assert payload not in html


def test_departments_page_renders_in_chinese(admin_client, dbs):
    make_department(dbs, name="网络部")
    admin_client.language("zh_Hans")
    response = admin_client.get("/admin/departments")
    assert response.status_code == 200 and "网络部" in response.get_data(as_text=True)


def test_second_save_from_a_stale_form_is_a_conflict(app, dbs, admin_user):
    from tests.conftest import login
    from tests.trials.test_trial_conflicts import CONFLICT, conflict_box, version_on

    dep = make_department(dbs, name="Billing centre")
    first_b = make_user(dbs, role="office", name="First Pick")
    second_b = make_user(dbs, role="office", name="Second Pick")
    clients = []
    for user in (admin_user, make_user(dbs, role="admin")):
        client = app.test_client()
        client.language("en")
        login(client, user)
        clients.append(client)
    first, second = clients
    url = f"/admin/departments/{dep.id}"
    first_version = version_on(first.get(url).get_data(as_text=True))
    second_version = version_on(second.get(url).get_data(as_text=True))
    assert first.post(url, data={"name": "Billing by First", "a_contact_id": str(dep.a_contact_id),
                                 "b_contact_id": str(first_b.id), "version": first_version}
                      ).status_code == 302
    response = second.post(url, data={"name": "Billing by Second", "a_contact_id": str(dep.a_contact_id),
                                      "b_contact_id": str(second_b.id), "version": second_version})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert CONFLICT in page
    assert 'value="Billing by Second"' in page
    assert f'<option selected value="{second_b.id}">' in page  # their choice kept
    box = conflict_box(page)
    assert "Billing by First" in box and "First Pick" in box and "Billing by Second" not in box
    dbs.expire_all()
    saved = dbs.get(Department, dep.id)
    assert (saved.name, saved.b_contact_id) == ("Billing by First", first_b.id)
    assert version_on(page) == str(saved.version) == "2"
