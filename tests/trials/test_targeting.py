"""Trials targeted beyond segments: districts and member-profile conditions (handset OS, network
generation, plan type). Members left out do not see the trial and cannot apply; invited members can."""
from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from portal.trials.models import Enrollment, Trial, TrialCondition, TrialDistrict
from tests.audit.helpers import history_text
from tests.conftest import login
from tests.factories import (
    make_profile,
    make_targeting,
    make_trial,
    make_trial_invitation,
    make_user,
)
from tests.trials.test_trials_staff import trial_data


def android_5g_pudong_minhang(dbs, **fields) -> Trial:
    """The issue's example: Android handsets on a 5G plan in Pudong or Minhang."""
    trial = make_trial(dbs, title="5G Android in Pudong or Minhang", **fields)
    return make_targeting(dbs, trial, districts=("pudong", "minhang"), handset_os=["android"],
                          network_generation=["5g"])


def member_with(dbs, district="pudong", **profile):
    member = make_user(dbs, segment="mobile", district=district)
    if profile:
        make_profile(dbs, member, **profile)
    return member


def page(client, url) -> str:
    return html.unescape(client.get(url).get_data(as_text=True))


@pytest.mark.parametrize("district", ["pudong", "minhang"])
def test_android_5g_member_in_pudong_or_minhang_sees_and_applies(dbs, client, district):
    trial = android_5g_pudong_minhang(dbs)
    member = member_with(dbs, district, handset_os="android", network_generation="5g", plan_type="postpaid")
    login(client, member)
    assert trial.title in page(client, "/trials")
    response = client.post(f"/trials/{trial.id}/apply", data={"motivation": "I fit"})
    assert response.status_code == 302
    assert dbs.scalar(select(Enrollment.status).where(Enrollment.member_id == member.id)) == "applied"


@pytest.mark.parametrize("district, profile, message", [
    ("pudong", {"handset_os": "ios", "network_generation": "5g"},
     "This trial is open only to members whose profile says Handset operating system: Android."),
    ("pudong", {"handset_os": "android", "network_generation": "4g"},
     "This trial is open only to members whose profile says Network generation: 5G."),
    ("xuhui", {"handset_os": "android", "network_generation": "5g"},
     "This trial is open only to members in Minhang or Pudong."),
    ("pudong", {},
     "This trial is open only to members whose profile says Handset operating system: Android."),
])
def test_members_left_out_neither_see_nor_apply(dbs, client, district, profile, message):
    trial = android_5g_pudong_minhang(dbs)
    member = member_with(dbs, district, **profile)
    login(client, member)
    assert trial.title not in page(client, "/trials")
    # By URL: the trial says why, and offers no application form.
    detail = page(client, f"/trials/{trial.id}")
    assert message in detail and "Apply to this trial" not in detail
    response = client.post(f"/trials/{trial.id}/apply", data={"motivation": "let me in"})
    assert response.status_code == 409 and message in html.unescape(response.get_data(as_text=True))
    assert dbs.scalar(select(func.count(Enrollment.id))) == 0


def test_other_segment_still_answers_404(dbs, client):
    trial = android_5g_pudong_minhang(dbs)
    login(client, make_user(dbs, segment="household", district="pudong"))
    assert client.get(f"/trials/{trial.id}").status_code == 404


def test_no_condition_means_any_profile_and_district(dbs, client):
    trial = make_trial(dbs, title="Open to every mobile member")
    login(client, member_with(dbs, "chongming"))  # no profile at all
    assert trial.title in page(client, "/trials")
    assert client.post(f"/trials/{trial.id}/apply", data={}).status_code == 302


def test_an_invited_member_sees_and_applies_whatever_the_targeting(dbs, client):
    trial = android_5g_pudong_minhang(dbs)
    member = member_with(dbs, "xuhui", handset_os="ios", network_generation="4g")
    make_trial_invitation(dbs, trial, member)
    login(client, member)
    assert trial.title in page(client, "/trials")
    assert client.post(f"/trials/{trial.id}/apply", data={"motivation": "invited"}).status_code == 302


def test_an_invited_member_of_another_segment_reaches_the_trial(dbs, client):
    trial = android_5g_pudong_minhang(dbs)
    member = make_user(dbs, segment="household", district="pudong")
    make_trial_invitation(dbs, trial, member)
    login(client, member)
    assert client.get(f"/trials/{trial.id}").status_code == 200
    assert client.post(f"/trials/{trial.id}/apply", data={}).status_code == 302


def test_staff_form_sets_and_shows_the_targeting(dbs, product_client, product_user):
    response = product_client.post("/staff/trials/new", data=trial_data(
        segments=["mobile"], districts=["pudong", "minhang"], handset_os=["android"],
        network_generation=["5g"]))
    assert response.status_code == 302
    trial = dbs.scalar(select(Trial))
    assert sorted(dbs.scalars(select(TrialDistrict.district))) == ["minhang", "pudong"]
    assert sorted(dbs.execute(select(TrialCondition.attribute, TrialCondition.value)).all()) == [
        ("handset_os", "android"), ("network_generation", "5g")]
    detail = page(product_client, f"/staff/trials/{trial.id}")
    assert "Minhang, Pudong" in detail and "Android" in detail and "5G" in detail
    form = product_client.get(f"/staff/trials/{trial.id}/edit").get_data(as_text=True)
    assert re.search(r'<input[^>]*checked[^>]*value="pudong"|<input[^>]*value="pudong"[^>]*checked', form)
    assert not re.search(r'<input[^>]*checked[^>]*value="xuhui"|<input[^>]*value="xuhui"[^>]*checked', form)

    # Edited: every district again, any handset; the change is in the trial's history.
    response = product_client.post(f"/staff/trials/{trial.id}/edit", data=trial_data(
        segments=["mobile"], plan_type=["prepaid"], version=str(trial.version)))
    assert response.status_code == 302
    dbs.expire_all()
    assert dbs.scalar(select(func.count()).select_from(TrialDistrict)) == 0
    conditions = dbs.execute(select(TrialCondition.attribute, TrialCondition.value)).all()
    assert conditions == [("plan_type", "prepaid")]
    history = history_text(product_client.get(f"/staff/trials/{trial.id}").get_data(as_text=True))
    assert "Districts: Minhang, Pudong → —" in history
    assert "Plan type: — → Prepaid" in history


def test_staff_form_labels_in_chinese(dbs, product_client):
    product_client.language("zh_Hans")
    form = product_client.get("/staff/trials/new").get_data(as_text=True)
    # The districts are offered by their Chinese names.
    assert "浦东新区" in form and "闵行" in form


def test_targeting_is_checked_by_the_member_list_in_sql(dbs, client):
    """Many trials, one member: only the matching ones are listed."""
    fits = [android_5g_pudong_minhang(dbs) for _ in range(2)]
    other = make_targeting(dbs, make_trial(dbs, title="iOS only"), handset_os=["ios"])
    far = make_targeting(dbs, make_trial(dbs, title="Chongming only"), districts=("chongming",))
    login(client, member_with(dbs, "pudong", handset_os="android", network_generation="5g"))
    listing = page(client, "/trials")
    assert all(t.title in listing for t in fits)
    assert other.title not in listing and far.title not in listing
