"""Members and staff editing their own profile."""
import pytest

from portal.accounts.models import User
from tests.conftest import XSS_PAYLOADS, login
from tests.factories import make_user


def test_member_sees_profile_with_segment(member_client, member):
    response = member_client.get("/profile")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Mobile / 3G subscriber" in page
    assert member.email in page
    assert 'name="segment"' not in page and 'name="email"' not in page
    assert f'value="{member.name}"' in page


def test_member_edits_profile(member_client, member, dbs):
    response = member_client.post("/profile", data={
        "name": "Li Lei", "phone": "021-87654321", "district": "pudong", "organization": "",
        "segment": "enterprise", "email": "hacker@example.com", "role": "admin"})
    assert response.status_code == 302
    dbs.expire_all()
    user = dbs.get(User, member.id)
    assert (user.name, user.phone, user.district, user.organization) == (
        "Li Lei", "021-87654321", "pudong", None)
    # not editable, whatever is posted
    assert (user.segment, user.email, user.role) == ("mobile", member.email, "member")


def test_enterprise_member_must_keep_an_organization(client, dbs):
    boss = make_user(dbs, segment="enterprise", organization="ACME")
    login(client, boss)
    page = client.get("/profile").get_data(as_text=True)
    assert 'value="ACME"' in page
    response = client.post("/profile", data={"name": "Boss", "phone": "13800000000",
                                             "district": "xuhui", "organization": ""})
    assert response.status_code == 422
    assert "Please give the name of your organization." in response.get_data(as_text=True)
    dbs.expire_all()
    assert dbs.get(User, boss.id).organization == "ACME"


def test_bad_phone_and_district_are_refused_with_input_kept(member_client, member, dbs):
    response = member_client.post("/profile", data={"name": "New Name", "phone": "999",
                                                    "district": "nowhere", "organization": ""})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "This is not a phone number we accept." in page
    assert 'value="New Name"' in page and 'value="999"' in page
    dbs.expire_all()
    assert dbs.get(User, member.id).name == member.name


def test_staff_edits_only_their_name(office_client, office_user, dbs):
    page = office_client.get("/profile").get_data(as_text=True)
    assert "Service office" in page and 'name="phone"' not in page
    response = office_client.post("/profile", data={"name": "Office Zhang", "district": "pudong"})
    assert response.status_code == 302
    dbs.expire_all()
    user = dbs.get(User, office_user.id)
    assert user.name == "Office Zhang" and user.district is None
    response = office_client.post("/profile", data={"name": ""})
    assert response.status_code == 422


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_script_payloads_come_back_escaped(client, dbs, payload):
    boss = make_user(dbs, segment="sme", organization="Shop")
    login(client, boss)
    response = client.post("/profile", data={"name": payload, "phone": "13800000000",
                                             "district": "xuhui", "organization": payload})
    assert response.status_code == 302
    page = client.get("/profile").get_data(as_text=True)
    assert payload not in page
    assert "&lt;" in page


def test_profile_without_csrf_is_refused(member_client, member, dbs):
    response = member_client.post("/profile", data={"name": "X", "phone": "13800000000",
                                                    "district": "xuhui"}, csrf=False)
    assert response.status_code == 400
    dbs.expire_all()
    assert dbs.get(User, member.id).name == member.name


def test_anonymous_is_sent_to_login(client):
    response = client.get("/profile")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_profile_renders_in_chinese(member_client):
    member_client.language("zh_Hans")
    assert member_client.get("/profile").status_code == 200
