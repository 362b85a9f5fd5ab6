"""Staff accounts with a unit: district-branch staff (role "branch") need their district branch;
a department's contacts may belong to their department; nobody else to a district branch."""
import pytest
from sqlalchemy import select

from portal.accounts.models import User
from portal.audit.models import AuditEntry
from tests.accounts.test_members import count_queries
from tests.conftest import login
from tests.factories import make_unit, make_user


@pytest.fixture
def units(dbs):
    return {"network": make_unit(dbs, name="网络运维部"),
            "xuhui": make_unit(dbs, kind="district_branch", district="xuhui", name="徐汇分公司")}


def _new(admin_client, role, unit_id, email="new.staff@example.com"):
    return admin_client.post("/admin/staff/new", data={
        "email": email, "name": "New Staff", "role": role,
        "unit_id": str(unit_id or ""), "password": "branch-pass-12"})


def test_the_form_offers_the_branch_role_and_the_units(admin_client, units):
    page = admin_client.get("/admin/staff/new").get_data(as_text=True)
    assert '<option value="branch">District branch staff</option>' in page
    assert f'<option value="{units["xuhui"].id}">Xuhui branch</option>' in page
    assert f'<option value="{units["network"].id}">网络运维部</option>' in page
    assert "No unit" in page


def test_admin_creates_district_branch_staff_who_can_file(app, admin_client, dbs, units):
    response = _new(admin_client, "branch", units["xuhui"].id)
    assert response.status_code == 302
    user = dbs.scalar(select(User).where(User.email == "new.staff@example.com"))
    assert (user.role, user.unit_id) == ("branch", units["xuhui"].id)
    created = dbs.scalar(select(AuditEntry).where(AuditEntry.object_type == "user",
                                                  AuditEntry.object_id == user.id))
    assert created.after["unit_id"] == units["xuhui"].id
    listing = admin_client.get("/admin").get_data(as_text=True)
    assert "new.staff@example.com" in listing and "Xuhui branch" in listing
    fresh = app.test_client()
    login(fresh, user, password="branch-pass-12")
    assert fresh.get("/hotline/new").status_code == 200
    assert fresh.get("/staff/members").status_code == 403


@pytest.mark.parametrize("role, unit, message", [
    ("branch", None, "District branch staff need their district branch as their unit."),
    ("branch", "network", "District branch staff need their district branch as their unit."),
    ("office", "xuhui", "Only district branch staff belong to a district branch"),
    ("product", "xuhui", "Only district branch staff belong to a district branch"),
])
def test_a_unit_that_does_not_fit_the_role_is_refused(admin_client, dbs, units, role, unit, message):
    response = _new(admin_client, role, units[unit].id if unit else None)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page and 'value="New Staff"' in page
    assert f'<option selected value="{role}">' in page or f'value="{role}" selected' in page
    assert dbs.scalar(select(User).where(User.email == "new.staff@example.com")) is None


def test_an_unknown_unit_is_refused(admin_client, dbs, units):
    response = _new(admin_client, "office", 999999)
    assert response.status_code == 422 and "Not a valid choice" in response.get_data(as_text=True)


@pytest.mark.parametrize("unit", ["network", None])
def test_other_staff_may_have_a_department_or_no_unit(admin_client, dbs, units, unit):
    assert _new(admin_client, "office", units[unit].id if unit else None).status_code == 302
    user = dbs.scalar(select(User).where(User.email == "new.staff@example.com"))
    assert user.unit_id == (units[unit].id if unit else None)


def test_admin_edits_role_and_unit_together(admin_client, dbs, units, office_user):
    url = f"/admin/staff/{office_user.id}/edit"
    page = admin_client.get(url).get_data(as_text=True)
    assert office_user.email in page and "Edit staff account" in page
    refused = admin_client.post(url, data={"role": "branch", "unit_id": ""})
    assert refused.status_code == 422
    assert "need their district branch" in refused.get_data(as_text=True)
    dbs.expire_all()
    assert dbs.get(User, office_user.id).role == "office"
    done = admin_client.post(url, data={"role": "branch", "unit_id": str(units["xuhui"].id)})
    assert done.status_code == 302
    dbs.expire_all()
    user = dbs.get(User, office_user.id)
    assert (user.role, user.unit_id) == ("branch", units["xuhui"].id)
    actions = [e.action for e in dbs.scalars(select(AuditEntry).where(
        AuditEntry.object_type == "user", AuditEntry.object_id == user.id).order_by(AuditEntry.id))]
    assert actions[-2:] == ["change_role", "change_unit"]
    # back to the service office outside every unit
    assert admin_client.post(url, data={"role": "office", "unit_id": ""}).status_code == 302
    dbs.expire_all()
    assert (dbs.get(User, office_user.id).role, dbs.get(User, office_user.id).unit_id) == ("office", None)


def test_the_inline_role_change_keeps_the_unit_and_checks_it(admin_client, dbs, units, office_user):
    response = admin_client.post(f"/admin/staff/{office_user.id}/role", data={"role": "branch"},
                                 follow_redirects=True)
    assert "need their district branch" in response.get_data(as_text=True)
    dbs.expire_all()
    assert dbs.get(User, office_user.id).role == "office"
    branch_user = dbs.get(User, units["xuhui"].a_contact_id)
    admin_client.post(f"/admin/staff/{branch_user.id}/role", data={"role": "office"})
    dbs.expire_all()
    assert dbs.get(User, branch_user.id).role == "branch"  # a branch unit is for branch staff only


def test_branch_staff_are_listed_and_editable_but_members_are_not(admin_client, dbs, units, member):
    assert admin_client.get(f"/admin/staff/{units['xuhui'].a_contact_id}/edit").status_code == 200
    assert admin_client.get(f"/admin/staff/{member.id}/edit").status_code == 404


def test_query_count_is_fixed_with_units(app, admin_client, dbs, units):
    make_user(dbs, role="branch", unit_id=units["xuhui"].id)
    few = count_queries(app, admin_client, "/admin")
    for n in range(6):
        other = make_unit(dbs, kind="district_branch", district="minhang", name=f"分公司{n}")
        make_user(dbs, role="branch", unit_id=other.id)
    assert count_queries(app, admin_client, "/admin") == few


def test_pages_in_chinese(admin_client, units, office_user):
    admin_client.language("zh_Hans")
    for url in ("/admin", "/admin/staff/new", f"/admin/staff/{office_user.id}/edit"):
        response = admin_client.get(url)
        assert response.status_code == 200 and '<html lang="zh' in response.get_data(as_text=True)
    assert "徐汇区分公司" in admin_client.get("/admin/staff/new").get_data(as_text=True)
