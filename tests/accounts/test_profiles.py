"""Member profiles: the segment's questions, their checks, the yearly prompt, staff's view."""
import re
from datetime import UTC, datetime, timedelta

import pytest

from portal.accounts.profiles import MemberProfile
from tests.conftest import login
from tests.factories import make_profile, make_user


def _page(response) -> str:
    return response.get_data(as_text=True)


def test_mobile_member_sees_only_mobile_questions(member_client):
    page = _page(member_client.get("/profile/details"))
    assert 'name="plan_type"' in page and 'name="handset_os"' in page
    assert 'name="network_generation"' in page and 'name="years_with_operator"' in page
    assert 'name="broadband_package"' not in page and 'name="industry"' not in page


def test_mobile_member_saves_profile(member_client, member, dbs):
    response = member_client.post("/profile/details", data={
        "plan_type": "postpaid", "handset_brand": " Huawei ", "handset_model": "Mate 60",
        "handset_os": "harmonyos", "network_generation": "5g", "years_with_operator": "7",
        # another segment's answer is not taken
        "broadband_package": "fibre_500"})
    assert response.status_code == 302
    profile = dbs.get(MemberProfile, member.id)
    assert (profile.plan_type, profile.handset_brand, profile.handset_os, profile.network_generation,
            profile.years_with_operator) == ("postpaid", "Huawei", "harmonyos", "5g", 7)
    assert profile.broadband_package is None and profile.completed_at is not None


@pytest.mark.parametrize("years, message", [
    ("-1", "Enter a number from 0 to 60."), ("99", "Enter a number from 0 to 60."),
    ("seven", "Not a valid integer value."),
])
def test_bad_number_is_refused_and_input_kept(member_client, member, dbs, years, message):
    response = member_client.post("/profile/details", data={
        "handset_brand": "Xiaomi", "years_with_operator": years})
    assert response.status_code == 422
    page = _page(response)
    assert message in page and 'value="Xiaomi"' in page
    assert dbs.get(MemberProfile, member.id) is None


def test_unknown_choice_is_refused(member_client):
    response = member_client.post("/profile/details", data={"handset_os": "symbian"})
    assert response.status_code == 422
    assert "Not a valid choice" in _page(response)


def test_household_member_profile(client, dbs):
    household = make_user(dbs, segment="household")
    login(client, household)
    page = _page(client.get("/profile/details"))
    assert 'name="broadband_speed_mbps"' in page and 'name="plan_type"' not in page
    bad = client.post("/profile/details", data={"broadband_speed_mbps": "0", "household_size": "3"})
    assert bad.status_code == 422 and "Enter a number from 1 to 10000." in _page(bad)
    ok = client.post("/profile/details", data={
        "broadband_package": "fibre_1000", "broadband_speed_mbps": "1000", "iptv": "yes",
        "household_size": "3"})
    assert ok.status_code == 302
    profile = dbs.get(MemberProfile, household.id)
    assert (profile.broadband_package, profile.iptv, profile.household_size) == ("fibre_1000", True, 3)


def test_enterprise_member_profile(client, dbs):
    boss = make_user(dbs, segment="enterprise", organization="ACME")
    login(client, boss)
    page = _page(client.get("/profile/details"))
    assert 'name="services_used"' in page and 'name="handset_os"' not in page
    bad = client.post("/profile/details", data={"services_used": ["cloud", "telegraph"]})
    assert bad.status_code == 422 and "not a valid choice" in _page(bad).lower()
    ok = client.post("/profile/details", data={
        "industry": "logistics", "company_size": "large", "services_used": ["cloud", "iot"]})
    assert ok.status_code == 302
    profile = dbs.get(MemberProfile, boss.id)
    assert (profile.industry, profile.company_size, profile.services_used) == (
        "logistics", "large", ["cloud", "iot"])
    # saved answers come back on the form
    again = _page(client.get("/profile/details"))
    assert re.search(r'<input[^>]*checked[^>]*value="iot"|<input[^>]*value="iot"[^>]*checked', again)
    assert not re.search(r'<input[^>]*checked[^>]*value="idc"|<input[^>]*value="idc"[^>]*checked', again)


def test_welcome_offers_to_skip(member_client):
    page = _page(member_client.get("/profile/details?welcome=1"))
    assert 'data-testid="skip-profile"' in page and "Skip for now" in page


def test_home_prompts_for_a_missing_or_year_old_profile(member_client, member, dbs):
    assert 'data-testid="profile-prompt"' in _page(member_client.get("/"))
    assert member_client.post("/profile/details", data={"plan_type": "prepaid"}).status_code == 302
    assert 'data-testid="profile-prompt"' not in _page(member_client.get("/"))
    # a year and a month later (the next sign-in reads the profile again)
    profile = dbs.get(MemberProfile, member.id)
    profile.completed_at = datetime.now(UTC) - timedelta(days=400)
    dbs.commit()
    member_client.post("/logout")
    login(member_client, member)
    assert 'data-testid="profile-prompt"' in _page(member_client.get("/"))
    assert "Please check that your answers are still right" in _page(member_client.get("/profile/details"))


def test_no_prompt_for_a_recent_profile(client, member, dbs):
    make_profile(dbs, member, plan_type="prepaid", completed_at=datetime.now(UTC) - timedelta(days=300))
    login(client, member)
    assert 'data-testid="profile-prompt"' not in _page(client.get("/"))


def test_office_sees_the_profile_on_the_member_record(office_client, member, dbs):
    make_profile(dbs, member, plan_type="family_plan", handset_os="ios", network_generation="5g")
    members = _page(office_client.get("/staff/members"))
    assert f'/staff/members/{member.id}"' in members
    page = _page(office_client.get(f"/staff/members/{member.id}"))
    assert member.name in page and "Family plan" in page and "iOS" in page and "5G" in page


def test_member_record_without_profile(office_client, member):
    page = _page(office_client.get(f"/staff/members/{member.id}"))
    assert "The member has not filled in their profile yet." in page


def test_who_may_see_profiles(client, dbs, member):
    product = make_user(dbs, role="product")
    login(client, product)
    assert client.get(f"/staff/members/{member.id}").status_code == 403
    # staff keep no member profile
    assert client.get("/profile/details").status_code == 403


def test_member_cannot_see_another_record(member_client, other_member):
    assert member_client.get(f"/staff/members/{other_member.id}").status_code == 403


def test_unknown_member_record_is_404(office_client, office_user):
    assert office_client.get("/staff/members/999999").status_code == 404
    # a staff user is not a member's record
    assert office_client.get(f"/staff/members/{office_user.id}").status_code == 404
