"""Staff decide on applications: the applicants list, accept, decline, capacity."""
from __future__ import annotations

import pytest

from portal.trials.models import Enrollment
from tests.factories import make_enrollment, make_trial, make_user
from tests.queries import sql_statements as count_queries


def reload(dbs, enrollment) -> Enrollment:
    dbs.expire_all()
    return dbs.get(Enrollment, enrollment.id)


def decide(client, trial, enrollment, decision, **kwargs):
    return client.post(f"/staff/trials/{trial.id}/enrollments/{enrollment.id}/decision",
                       data={"decision": decision}, **kwargs)


@pytest.mark.parametrize("role_client", ["product_client", "office_client", "admin_client"])
def test_applicants_list(request, dbs, role_client, product_user):
    trial = make_trial(dbs, created_by_id=product_user.id)
    ann = make_user(dbs, name="Ann Applicant", segment="enterprise", district="minhang",
                    organization="ACME Logistics")
    bob = make_user(dbs, name="Bob Accepted", segment="mobile", district="pudong")
    make_enrollment(dbs, trial, ann, status="applied").motivation = "We run 200 phones."
    dbs.commit()
    make_enrollment(dbs, trial, bob, status="accepted")
    client = request.getfixturevalue(role_client)
    html = client.get(f"/staff/trials/{trial.id}/enrollments").get_data(as_text=True)
    for text in ("Ann Applicant", "Key enterprise account", "Minhang", "ACME Logistics",
                 "We run 200 phones.", "Bob Accepted", "Pudong", "Places left: 9"):
        assert text in html
    if role_client == "office_client":
        assert "Accept</button>" not in html
    else:
        assert "Accept</button>" in html
    filtered = client.get(f"/staff/trials/{trial.id}/enrollments?status=accepted").get_data(as_text=True)
    assert "Bob Accepted" in filtered and "Ann Applicant" not in filtered


def test_accept_and_decline_record_who_and_when(dbs, product_client, product_user):
    trial = make_trial(dbs, created_by_id=product_user.id)
    a = make_enrollment(dbs, trial, make_user(dbs), status="applied")
    b = make_enrollment(dbs, trial, make_user(dbs), status="applied")
    assert decide(product_client, trial, a, "accept").status_code == 302
    assert decide(product_client, trial, b, "decline").status_code == 302
    a, b = reload(dbs, a), reload(dbs, b)
    assert a.status == "accepted" and a.decided_by_id == product_user.id and a.decided_at is not None
    assert b.status == "declined" and b.decided_by_id == product_user.id and b.decided_at is not None
    # A declined application can still be accepted later, and an accepted one declined.
    assert decide(product_client, trial, b, "accept").status_code == 302
    assert reload(dbs, b).status == "accepted"


def test_accept_refused_when_full(dbs, admin_client):
    trial = make_trial(dbs, capacity=1)
    make_enrollment(dbs, trial, make_user(dbs), status="accepted")
    waiting = make_enrollment(dbs, trial, make_user(dbs), status="applied")
    response = decide(admin_client, trial, waiting, "accept")
    assert response.status_code == 409
    assert "The trial is full: no place is left to accept this member." in response.get_data(as_text=True)
    assert reload(dbs, waiting).status == "applied"
    # Declining is still possible.
    assert decide(admin_client, trial, waiting, "decline").status_code == 302


@pytest.mark.parametrize("trial_status, enrollment_status, decision, message", [
    ("closed", "applied", "accept", "This trial is closed: enrollments can no longer change."),
    ("recruiting", "withdrawn", "accept", "This member has withdrawn from the trial."),
    ("recruiting", "accepted", "accept", "This member is already accepted."),
    ("recruiting", "declined", "decline", "This application is already declined."),
])
def test_refused_decisions(dbs, product_client, product_user, trial_status, enrollment_status, decision,
                           message):
    trial = make_trial(dbs, created_by_id=product_user.id, status=trial_status)
    enrollment = make_enrollment(dbs, trial, make_user(dbs), status=enrollment_status)
    response = decide(product_client, trial, enrollment, decision)
    assert response.status_code == 409 and message in response.get_data(as_text=True)
    assert reload(dbs, enrollment).status == enrollment_status
    assert reload(dbs, enrollment).decided_at is None


def test_enrollment_of_another_trial_is_404(dbs, product_client, product_user):
    trial = make_trial(dbs, created_by_id=product_user.id)
    other = make_trial(dbs, created_by_id=product_user.id)
    enrollment = make_enrollment(dbs, other, make_user(dbs), status="applied")
    assert decide(product_client, trial, enrollment, "accept").status_code == 404
    assert reload(dbs, enrollment).status == "applied"
    assert product_client.get("/staff/trials/99999/enrollments").status_code == 404


def test_bad_decision_is_400(dbs, product_client, product_user):
    trial = make_trial(dbs, created_by_id=product_user.id)
    enrollment = make_enrollment(dbs, trial, make_user(dbs), status="applied")
    assert decide(product_client, trial, enrollment, "maybe").status_code == 400


def test_office_and_members_cannot_decide(dbs, client, office_user, member):
    from tests.conftest import login

    trial = make_trial(dbs)
    enrollment = make_enrollment(dbs, trial, make_user(dbs), status="applied")
    for user in (office_user, member):
        login(client, user)
        assert decide(client, trial, enrollment, "accept").status_code == 403
        client.post("/logout")
    assert reload(dbs, enrollment).status == "applied"


def test_decision_without_csrf_is_400(dbs, product_client, product_user):
    trial = make_trial(dbs, created_by_id=product_user.id)
    enrollment = make_enrollment(dbs, trial, make_user(dbs), status="applied")
    assert decide(product_client, trial, enrollment, "accept", csrf=False).status_code == 400
    assert reload(dbs, enrollment).status == "applied"


def test_applicants_list_issues_a_fixed_number_of_queries(app, dbs, product_client, product_user):
    trial = make_trial(dbs, created_by_id=product_user.id, capacity=None)

    def measure(n):
        for _ in range(n):
            make_enrollment(dbs, trial, make_user(dbs, segment="sme", organization="Shop"), status="applied")
        with count_queries(app) as statements:
            assert product_client.get(f"/staff/trials/{trial.id}/enrollments").status_code == 200
        return len(statements)

    assert measure(3) == measure(27)


def test_applicants_list_is_paginated(dbs, product_client, product_user):
    trial = make_trial(dbs, created_by_id=product_user.id, capacity=None)
    for i in range(30):
        make_enrollment(dbs, trial, make_user(dbs, name=f"Applicant {i:02d}"), status="applied")
    html = product_client.get(f"/staff/trials/{trial.id}/enrollments").get_data(as_text=True)
    assert "Page 1 of 2" in html and html.count("Applicant ") == 25
    html = product_client.get(f"/staff/trials/{trial.id}/enrollments?page=2").get_data(as_text=True)
    assert html.count("Applicant ") == 5
