"""Which trials a staff user reaches: product teams their own trials only (another team's trial
answers 404 on every page and action, and nothing changes); office sees every trial but changes
none, and is shown no button it could not press."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.trials.models import Enrollment, Question, Trial
from tests.conftest import login
from tests.factories import make_enrollment, make_trial, make_user
from tests.trials.test_evaluations import ALL_KINDS
from tests.trials.test_evaluations_staff import make_submitted


@pytest.fixture
def owned(dbs, product_user):
    """product_user's running trial: an application waiting, a submitted evaluation."""
    trial = make_trial(dbs, title="Owner 5G trial", status="running", questions=ALL_KINDS,
                       created_by_id=product_user.id)
    waiting = make_enrollment(dbs, trial, make_user(dbs, name="Waiting Applicant"), status="applied")
    evaluation = make_submitted(dbs, trial, make_user(dbs, name="Evaluating Member"), text="Secret words")
    return trial, waiting, evaluation


@pytest.fixture
def rival_client(client, dbs):
    """Signed in as a product user of another team."""
    login(client, make_user(dbs, role="product", name="Rival Product"))
    return client


def pages(trial, evaluation):
    question = trial.questions[0]
    return [
        f"/staff/trials/{trial.id}", f"/staff/trials/{trial.id}/edit",
        f"/staff/trials/{trial.id}/enrollments", f"/staff/trials/{trial.id}/evaluations",
        f"/staff/evaluations/{evaluation.id}", f"/staff/trials/{trial.id}/results",
        f"/staff/trials/{trial.id}/results.csv", f"/staff/trials/{trial.id}/results.xlsx",
        f"/staff/trials/{trial.id}/questions/new",
        f"/staff/trials/{trial.id}/questions/{question.id}/edit",
    ]


def reload(dbs, trial) -> Trial:
    dbs.expire_all()
    return dbs.get(Trial, trial.id)


def test_owner_reaches_every_page(owned, product_client):
    trial, _waiting, evaluation = owned
    for url in pages(trial, evaluation):
        assert product_client.get(url).status_code == 200, url


def test_another_product_user_gets_404_on_every_page(owned, rival_client):
    trial, _waiting, evaluation = owned
    for url in pages(trial, evaluation):
        response = rival_client.get(url)
        assert response.status_code == 404, url
        html = response.get_data(as_text=True)
        assert "Owner 5G trial" not in html and "Secret words" not in html, url


def test_another_product_user_cannot_change_anything(owned, rival_client, dbs):
    trial, waiting, _evaluation = owned
    question = trial.questions[0]
    base = f"/staff/trials/{trial.id}"
    posts = [
        (f"{base}/status", {"status": "closed"}),
        (f"{base}/edit", {"title": "Taken over"}),
        (f"{base}/questions/new", {"kind": "rating", "prompt": "Injected", "required": ""}),
        (f"{base}/questions/{question.id}/edit",
         {"kind": question.kind, "prompt": "Renamed", "help_text": "", "required": "y", "options": ""}),
        (f"{base}/questions/{question.id}/move", {"direction": "down"}),
        (f"{base}/questions/{question.id}/delete", {}),
        (f"{base}/enrollments/{waiting.id}/decision", {"decision": "accept"}),
    ]
    for url, data in posts:
        assert rival_client.post(url, data=data).status_code == 404, url
    stored = reload(dbs, trial)
    assert stored.status == "running" and stored.title == "Owner 5G trial"
    prompts = [q.prompt for q in dbs.scalars(
        select(Question).where(Question.trial_id == trial.id).order_by(Question.position))]
    assert prompts == [x["prompt"] for x in ALL_KINDS]
    assert dbs.get(Enrollment, waiting.id).status == "applied"


def test_each_product_user_sees_only_their_own_trials(owned, client, dbs):
    rival = make_user(dbs, role="product")
    make_trial(dbs, title="Rival own trial", created_by_id=rival.id)
    login(client, rival)
    html = client.get("/staff/trials").get_data(as_text=True)
    assert "Rival own trial" in html and "Owner 5G trial" not in html


def test_office_sees_every_trial_without_edit_buttons(owned, office_client):
    trial, _waiting, evaluation = owned
    for url in pages(trial, evaluation):
        if url.endswith("/edit") or url.endswith("/questions/new"):
            assert office_client.get(url).status_code == 403, url
        else:
            assert office_client.get(url).status_code == 200, url
    listing = office_client.get("/staff/trials").get_data(as_text=True)
    assert "Owner 5G trial" in listing and "New trial" not in listing
    detail = office_client.get(f"/staff/trials/{trial.id}").get_data(as_text=True)
    for label in ("Edit trial", "Close the trial", "Add a question", "Move down", "/questions/"):
        assert label not in detail, label
    # what office may use is linked
    for link in (f"/staff/trials/{trial.id}/enrollments", f"/staff/trials/{trial.id}/evaluations",
                 f"/staff/trials/{trial.id}/results"):
        assert link in detail
    enrollments = office_client.get(f"/staff/trials/{trial.id}/enrollments").get_data(as_text=True)
    assert "Waiting Applicant" in enrollments and "Accept</button>" not in enrollments
    results = office_client.get(f"/staff/trials/{trial.id}/results").get_data(as_text=True)
    assert "results.csv" in results


def test_office_cannot_change_a_trial(owned, office_client, dbs):
    trial, waiting, _evaluation = owned
    base = f"/staff/trials/{trial.id}"
    assert office_client.post(f"{base}/status", data={"status": "closed"}).status_code == 403
    assert office_client.post(f"{base}/enrollments/{waiting.id}/decision",
                              data={"decision": "accept"}).status_code == 403
    assert reload(dbs, trial).status == "running"
    assert dbs.get(Enrollment, waiting.id).status == "applied"


def test_owner_is_shown_the_edit_buttons(owned, product_client):
    trial, _waiting, _evaluation = owned
    detail = product_client.get(f"/staff/trials/{trial.id}").get_data(as_text=True)
    for label in ("Edit trial", "Close the trial", "Add a question", "Move down"):
        assert label in detail, label
    enrollments = product_client.get(f"/staff/trials/{trial.id}/enrollments").get_data(as_text=True)
    assert "Accept</button>" in enrollments
    assert "New trial" in product_client.get("/staff/trials").get_data(as_text=True)
