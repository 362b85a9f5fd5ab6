"""Staff read a trial's submitted evaluations: the list, one evaluation and its versions."""
from __future__ import annotations

from datetime import timedelta

import pytest

from portal.db import utcnow
from portal.trials.evaluation_services import snapshot
from portal.trials.models import Answer, Evaluation, EvaluationVersion
from tests.conftest import login
from tests.factories import make_enrollment, make_trial, make_user
from tests.queries import page_statements
from tests.trials.test_evaluations import ALL_KINDS, post_answers, q, valid_answers


def make_submitted(dbs, trial, member, versions=1, rating=4, nps=9, text="Fine", status="submitted"):
    """An evaluation as the member would have submitted it, `versions` times."""
    clean = {
        q(trial, "rating")[0].id: rating, q(trial, "nps")[0].id: nps,
        q(trial, "single")[0].id: "Store", q(trial, "multiple")[0].id: ["Price"],
        q(trial, "yesno")[0].id: "no", q(trial, "text")[0].id: text,
    }
    make_enrollment(dbs, trial, member, status="accepted")
    submitted = status == "submitted"
    now = utcnow()
    evaluation = Evaluation(trial_id=trial.id, member_id=member.id, status=status,
                            version=versions if submitted else 0,
                            submitted_at=now if submitted else None)
    evaluation.answers = [
        Answer(question_id=q(trial, "rating")[0].id, number=rating),
        Answer(question_id=q(trial, "text")[0].id, text=text),
    ]
    if submitted:
        evaluation.versions = [
            EvaluationVersion(version=n, submitted_at=now - timedelta(days=versions - n),
                              answers=snapshot(trial.questions,
                                               {**clean, q(trial, "text")[0].id: f"{text} v{n}"}))
            for n in range(1, versions + 1)
        ]
    dbs.add(evaluation)
    dbs.commit()
    return evaluation


@pytest.fixture
def trial(dbs, product_user):
    return make_trial(dbs, created_by_id=product_user.id, status="running", questions=ALL_KINDS)


@pytest.mark.parametrize("role_client", ["product_client", "office_client", "admin_client"])
def test_staff_list_shows_submitted_evaluations(request, dbs, trial, role_client):
    happy = make_user(dbs, name="Happy Member", segment="enterprise", district="minhang",
                      organization="ACME")
    grumpy = make_user(dbs, name="Grumpy Member", segment="household", district="pudong")
    detractor = make_user(dbs, name="Detractor Member", segment="sme", district="jingan",
                          organization="Shop")
    drafter = make_user(dbs, name="Drafting Member")
    make_submitted(dbs, trial, happy, versions=2, rating=3, nps=7)
    make_submitted(dbs, trial, grumpy, rating=2, nps=9)
    make_submitted(dbs, trial, detractor, rating=5, nps=6)
    make_submitted(dbs, trial, drafter, status="draft")
    client = request.getfixturevalue(role_client)
    response = client.get(f"/staff/trials/{trial.id}/evaluations")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Happy Member" in html and "Grumpy Member" in html and "Detractor Member" in html
    assert "Drafting Member" not in html
    assert "Key enterprise account" in html and "Minhang" in html
    assert "Household customer" in html and "Pudong" in html
    rows = {name: html[html.index(name):].split("</tr>")[0]
            for name in ("Happy Member", "Grumpy Member", "Detractor Member")}
    assert "<td>2</td>" in rows["Happy Member"]
    assert "Low score" not in rows["Happy Member"]
    assert "Low score" in rows["Grumpy Member"]      # rating 2
    assert "Low score" in rows["Detractor Member"]   # NPS 6


def test_staff_list_of_unknown_trial_is_404(product_client):
    assert product_client.get("/staff/trials/999999/evaluations").status_code == 404


def test_staff_list_is_empty_without_submissions(product_client, trial):
    html = product_client.get(f"/staff/trials/{trial.id}/evaluations").get_data(as_text=True)
    assert "No evaluation has been submitted yet." in html


def _count_queries(app, client, url) -> int:
    return len(page_statements(app, client, url))


def test_staff_list_query_count_does_not_grow_with_evaluations(app, dbs, product_client, trial):
    url = f"/staff/trials/{trial.id}/evaluations"
    for _ in range(3):
        make_submitted(dbs, trial, make_user(dbs), versions=2)
    with_3 = _count_queries(app, product_client, url)
    for _ in range(9):
        make_submitted(dbs, trial, make_user(dbs), versions=2, rating=1)
    with_12 = _count_queries(app, product_client, url)
    assert with_3 == with_12
    assert with_12 <= 6


def test_staff_list_is_paginated(dbs, product_client, trial):
    for n in range(23):
        make_submitted(dbs, trial, make_user(dbs, name=f"Paged Member {n:02d}"))
    first = product_client.get(f"/staff/trials/{trial.id}/evaluations").get_data(as_text=True)
    second = product_client.get(f"/staff/trials/{trial.id}/evaluations?page=2").get_data(as_text=True)
    assert first.count("Paged Member") == 20 and second.count("Paged Member") == 3
    assert "Page 1 of 2" in first and "23 in all" in first


def test_staff_detail_shows_answers_and_version_history(dbs, product_client, trial, member):
    evaluation = make_submitted(dbs, trial, member, versions=2, rating=2, text="Slow")
    response = product_client.get(f"/staff/evaluations/{evaluation.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for x in ALL_KINDS:
        assert x["prompt"] in html
    assert "Slow v2" in html and "Slow v1" not in html
    assert "2 of 5" in html and "9 of 10" in html and "Store" in html and "Price" in html
    assert "Version 1 submitted on" in html and "Version 2 submitted on" in html
    assert "Mobile / 3G subscriber" in html and "Xuhui" in html
    older = product_client.get(f"/staff/evaluations/{evaluation.id}?version=1").get_data(as_text=True)
    assert "Slow v1" in older and "Slow v2" not in older and "an earlier version" in older
    assert product_client.get(f"/staff/evaluations/{evaluation.id}?version=3").status_code == 404


def test_staff_see_the_submitted_version_not_an_unsubmitted_draft(dbs, client, member, trial):
    make_enrollment(dbs, trial, member, status="accepted")
    login(client, member)
    post_answers(client, trial, valid_answers(trial, text="Submitted words"))
    post_answers(client, trial, valid_answers(trial, text="Unsubmitted words"), action="draft")
    client.post("/logout")
    client._token = None
    login(client, make_user(dbs, role="office"))
    evaluation_id = dbs.query(Evaluation.id).scalar()
    html = client.get(f"/staff/evaluations/{evaluation_id}").get_data(as_text=True)
    assert "Submitted words" in html and "Unsubmitted words" not in html


def test_staff_detail_of_a_never_submitted_evaluation_is_404(dbs, product_client, trial, member):
    evaluation = make_submitted(dbs, trial, member, status="draft")
    assert product_client.get(f"/staff/evaluations/{evaluation.id}").status_code == 404
    assert product_client.get("/staff/evaluations/999999").status_code == 404


def test_members_get_403_on_staff_pages(dbs, member_client, member, other_member, trial):
    mine = make_submitted(dbs, trial, member)
    others = make_submitted(dbs, trial, other_member, text="Other's words")
    assert member_client.get(f"/staff/trials/{trial.id}/evaluations").status_code == 403
    response = member_client.get(f"/staff/evaluations/{others.id}")
    assert response.status_code == 403
    assert "Other's words" not in response.get_data(as_text=True)
    assert member_client.get(f"/staff/evaluations/{mine.id}").status_code == 403


def test_anonymous_is_sent_to_sign_in_from_staff_pages(client, dbs, trial, member):
    evaluation = make_submitted(dbs, trial, member)
    for url in (f"/staff/trials/{trial.id}/evaluations", f"/staff/evaluations/{evaluation.id}"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
