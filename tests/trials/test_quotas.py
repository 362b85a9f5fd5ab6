"""Quotas: at most so many accepted members of a segment and/or district. Their fill is shown,
accepting beyond a full quota is refused, auto-acceptance leaves such members for staff."""
from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from portal.trials.models import Enrollment, TrialQuota
from tests.audit.helpers import history_text
from tests.conftest import login
from tests.factories import make_enrollment, make_quota, make_trial, make_user
from tests.queries import sql_statements


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def status_of(dbs, enrollment) -> str:
    dbs.expire_all()
    return dbs.get(Enrollment, enrollment.id).status


def decide(client, trial, enrollment, decision="accept"):
    return client.post(f"/staff/trials/{trial.id}/enrollments/{enrollment.id}/decision",
                       data={"decision": decision})


@pytest.fixture
def household_trial(dbs, product_user):
    """Open to households and mobile members; at most 2 household members in Pudong."""
    trial = make_trial(dbs, segments=("household", "mobile"), created_by_id=product_user.id, capacity=50)
    make_quota(dbs, trial, 2, segment="household", district="pudong")
    return trial


def household_in_pudong(dbs):
    return make_user(dbs, segment="household", district="pudong")


def test_enrollments_page_shows_each_quotas_fill(dbs, product_client, household_trial):
    make_quota(dbs, household_trial, 5, district="xuhui")
    make_enrollment(dbs, household_trial, household_in_pudong(dbs), status="accepted")
    # Not counted: another district, another segment, not accepted.
    make_enrollment(dbs, household_trial, make_user(dbs, segment="household", district="minhang"))
    make_enrollment(dbs, household_trial, make_user(dbs, segment="mobile", district="pudong"))
    make_enrollment(dbs, household_trial, household_in_pudong(dbs), status="applied")
    page = text(product_client.get(f"/staff/trials/{household_trial.id}/enrollments"))
    assert "Household customer · Pudong" in page and "1 of 2 accepted" in page
    assert "Every segment · Xuhui" in page and "0 of 5 accepted" in page


def test_accepting_beyond_a_full_quota_is_refused(dbs, product_client, household_trial):
    for _ in range(2):
        make_enrollment(dbs, household_trial, household_in_pudong(dbs), status="accepted")
    waiting = make_enrollment(dbs, household_trial, household_in_pudong(dbs), status="applied")
    response = decide(product_client, household_trial, waiting)
    assert response.status_code == 409
    assert ("The quota “Household customer · Pudong” is full (2 of 2 accepted): no place is left to "
            "accept this member.") in text(response)
    assert status_of(dbs, waiting) == "applied"
    # Another district is not held back by it.
    elsewhere = make_enrollment(dbs, household_trial, make_user(dbs, segment="household", district="xuhui"),
                                status="applied")
    assert decide(product_client, household_trial, elsewhere).status_code == 302
    assert status_of(dbs, elsewhere) == "accepted"


def test_refusal_in_chinese_names_the_numbers(dbs, product_client, household_trial):
    for _ in range(2):
        make_enrollment(dbs, household_trial, household_in_pudong(dbs), status="accepted")
    waiting = make_enrollment(dbs, household_trial, household_in_pudong(dbs), status="applied")
    product_client.language("zh_Hans")
    response = decide(product_client, household_trial, waiting)
    assert response.status_code == 409 and "2" in text(response) and "浦东新区" in text(response)


def test_auto_accept_respects_quotas_and_capacity(app, dbs, product_user):
    trial = make_trial(dbs, segments=("household",), created_by_id=product_user.id, capacity=2,
                       auto_accept=True)
    make_quota(dbs, trial, 1, district="pudong")
    first, second = household_in_pudong(dbs), household_in_pudong(dbs)
    other, late = (make_user(dbs, segment="household", district=d) for d in ("xuhui", "minhang"))
    for member, expected in ((first, "accepted"), (second, "applied"), (other, "accepted")):
        client = app.test_client()
        client.language("en")
        login(client, member)
        response = client.post(f"/trials/{trial.id}/apply", data={}, follow_redirects=True)
        status = dbs.scalar(select(Enrollment.status).where(Enrollment.member_id == member.id))
        assert status == expected, member.district
        if expected == "applied":  # left for a staff decision, and told so
            assert "Your application was sent. You will see here when staff decide." in text(response)
    # The capacity (2) is reached: nobody else may apply.
    client = app.test_client()
    client.language("en")
    login(client, late)
    response = client.post(f"/trials/{trial.id}/apply", data={})
    assert response.status_code == 409 and "This trial is full: no place is left." in text(response)


def test_quotas_are_edited_on_the_trial_and_recorded(dbs, product_client, product_user):
    trial = make_trial(dbs, segments=("household", "mobile"), created_by_id=product_user.id)
    url = f"/staff/trials/{trial.id}/quotas"
    response = product_client.post(url, data={"segment": "household", "district": "pudong", "places": "10"})
    assert response.status_code == 302
    quota = dbs.scalar(select(TrialQuota))
    assert (quota.segment, quota.district, quota.places) == ("household", "pudong", 10)
    # The same members again: the places change, no second quota.
    assert product_client.post(url, data={"segment": "household", "district": "pudong",
                                          "places": "12"}).status_code == 302
    dbs.expire_all()
    assert [q.places for q in dbs.scalars(select(TrialQuota))] == [12]
    page = text(product_client.get(f"/staff/trials/{trial.id}"))
    assert "0 of 12 accepted" in page
    history = history_text(product_client.get(f"/staff/trials/{trial.id}").get_data(as_text=True))
    assert "Quota added" in history and "Quota changed" in history
    assert product_client.post(f"{url}/{quota.id}/remove").status_code == 302
    assert dbs.scalar(select(TrialQuota)) is None
    page = product_client.get(f"/staff/trials/{trial.id}").get_data(as_text=True)
    assert "Quota removed" in history_text(page)


@pytest.mark.parametrize("data, message", [
    ({"segment": "", "district": "", "places": "3"}, "Choose a segment, a district or both."),
    ({"segment": "household", "district": "", "places": ""}, "Enter a number of places from 1 to 100,000."),
    ({"segment": "household", "district": "", "places": "0"}, "Number must be between 1 and 100000."),
])
def test_bad_quota_is_refused_with_the_input_kept(dbs, product_client, product_user, data, message):
    trial = make_trial(dbs, segments=("household",), created_by_id=product_user.id)
    response = product_client.post(f"/staff/trials/{trial.id}/quotas", data=data)
    assert response.status_code == 422
    assert message in text(response)
    assert dbs.scalar(select(TrialQuota)) is None


def test_quota_below_the_accepted_is_refused(dbs, product_client, household_trial):
    for _ in range(2):
        make_enrollment(dbs, household_trial, household_in_pudong(dbs), status="accepted")
    response = product_client.post(f"/staff/trials/{household_trial.id}/quotas",
                                   data={"segment": "household", "district": "pudong", "places": "1"})
    assert response.status_code == 422
    assert "The quota cannot be lower than the 2 members already accepted in it." in text(response)
    assert 'value="1"' in response.get_data(as_text=True)  # what was typed is kept


def test_quotas_need_trials_manage_and_the_trial_in_scope(dbs, client, household_trial, office_user):
    url = f"/staff/trials/{household_trial.id}/quotas"
    data = {"segment": "household", "district": "", "places": "3"}
    login(client, office_user)
    assert client.post(url, data=data).status_code == 403
    assert "0 of 2 accepted" in text(client.get(f"/staff/trials/{household_trial.id}/enrollments"))
    client.post("/logout")
    login(client, make_user(dbs, role="product"))  # not in the owning team
    assert client.post(url, data=data).status_code == 404
    client.post("/logout")
    login(client, make_user(dbs, segment="household"))
    assert client.post(url, data=data).status_code == 403


def test_enrollments_page_statements_do_not_grow_with_quotas(app, dbs, product_client, household_trial):
    def measure():
        with sql_statements(app) as statements:
            assert product_client.get(f"/staff/trials/{household_trial.id}/enrollments").status_code == 200
        return len(statements)

    few = measure()
    for district in ("xuhui", "minhang", "jingan", "putuo"):
        make_quota(dbs, household_trial, 3, district=district)
        make_enrollment(dbs, household_trial, make_user(dbs, segment="household", district=district))
    assert measure() == few
