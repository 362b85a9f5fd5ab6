"""Staff manage trials: list with filters, create, edit, detail, status moves, roles."""
from __future__ import annotations

from datetime import timedelta
from html import escape

import pytest
from markupsafe import escape as markup_escape
from sqlalchemy import select

from portal import domain
from portal.trials.models import Trial
from tests.conftest import XSS_PAYLOADS
from tests.factories import make_enrollment, make_trial, make_user
from tests.queries import sql_statements as count_queries


def trial_data(**override) -> dict:
    t = domain.shanghai_today()
    data = {
        "kind": "terminal", "title": "5G phone for seniors",
        "description": "Try the **new** phone.\n\n- big keys\n- loud speaker",
        "segments": ["mobile", "household"], "capacity": "20", "auto_accept": "",
        "enrollment_opens_on": t.isoformat(), "enrollment_closes_on": (t + timedelta(days=7)).isoformat(),
        "starts_on": (t + timedelta(days=8)).isoformat(), "ends_on": (t + timedelta(days=38)).isoformat(),
        # the version an edit form is opened at (a new trial's; ignored when creating one)
        "version": "1",
    }
    data.update(override)
    return {k: v for k, v in data.items() if v is not None}


def escaped(text: str) -> str:
    """The text as Jinja's autoescape writes it."""
    return str(markup_escape(text))


def stored(dbs, trial_id):
    dbs.expire_all()
    return dbs.get(Trial, trial_id)


# -- roles -------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client):
    response = client.get("/staff/trials")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_member_gets_403_on_every_staff_url(dbs, member_client):
    trial = make_trial(dbs)
    question = trial.questions[0]
    for url in ("/staff/trials", "/staff/trials/new", f"/staff/trials/{trial.id}",
                f"/staff/trials/{trial.id}/edit", f"/staff/trials/{trial.id}/enrollments",
                f"/staff/trials/{trial.id}/questions/new",
                f"/staff/trials/{trial.id}/questions/{question.id}/edit"):
        assert member_client.get(url).status_code == 403, url
    for url in (f"/staff/trials/{trial.id}/status",
                f"/staff/trials/{trial.id}/questions/{question.id}/delete"):
        assert member_client.post(url, data={"status": "closed"}).status_code == 403, url
    assert stored(dbs, trial.id).status == "recruiting"


def test_office_can_view_but_not_change(dbs, office_client):
    trial = make_trial(dbs, status="draft")
    assert office_client.get("/staff/trials").status_code == 200
    page = office_client.get(f"/staff/trials/{trial.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Start recruiting" not in html and "Edit trial" not in html
    assert office_client.get("/staff/trials/new").status_code == 403
    assert office_client.post("/staff/trials/new", data=trial_data()).status_code == 403
    assert office_client.post(f"/staff/trials/{trial.id}/edit", data=trial_data()).status_code == 403
    assert office_client.post(f"/staff/trials/{trial.id}/status",
                              data={"status": "recruiting"}).status_code == 403
    assert dbs.scalar(select(Trial).where(Trial.title == "5G phone for seniors")) is None
    assert stored(dbs, trial.id).status == "draft"


# -- create / edit -----------------------------------------------------------------------------


@pytest.mark.parametrize("role_client", ["product_client", "admin_client"])
def test_create_trial(request, dbs, role_client):
    client = request.getfixturevalue(role_client)
    assert client.get("/staff/trials/new").status_code == 200
    response = client.post("/staff/trials/new", data=trial_data(auto_accept="y"))
    assert response.status_code == 302
    trial = dbs.scalar(select(Trial).where(Trial.title == "5G phone for seniors"))
    assert trial.status == "draft" and trial.kind == "terminal" and trial.capacity == 20
    assert trial.auto_accept is True
    assert trial.segment_codes == ["household", "mobile"]
    assert response.headers["Location"].endswith(f"/staff/trials/{trial.id}")
    html = client.get(f"/staff/trials/{trial.id}").get_data(as_text=True)
    assert "<strong>new</strong>" in html and "<li>big keys</li>" in html
    assert "Household customer" in html and "Mobile / 3G subscriber" in html


def test_create_without_capacity_means_no_limit(dbs, product_client):
    assert product_client.post("/staff/trials/new", data=trial_data(capacity="")).status_code == 302
    trial = dbs.scalar(select(Trial))
    assert trial.capacity is None
    assert "No limit" in product_client.get(f"/staff/trials/{trial.id}").get_data(as_text=True)


@pytest.mark.parametrize("override, message", [
    (dict(title=""), "This field is required."),
    (dict(segments=[]), "Choose at least one target segment."),
    (dict(segments=["martians"]), "is not a valid choice"),
    (dict(kind="spaceship"), "Not a valid choice"),
    (dict(capacity="0"), "Number must be between 1 and 100000."),
    (dict(capacity="-3"), "Number must be between 1 and 100000."),
    (dict(capacity="many"), "Not a valid integer value."),
    (dict(enrollment_opens_on="2030-02-30"), "Not a valid date value."),
    (dict(enrollment_opens_on="2030-01-10", enrollment_closes_on="2030-01-09",
          starts_on="2030-01-10", ends_on="2030-02-01"), "Enrollment cannot close before it opens."),
    (dict(enrollment_opens_on="2030-01-01", enrollment_closes_on="2030-01-09",
          starts_on="2030-01-10", ends_on="2030-01-09"), "The trial cannot end before it starts."),
    (dict(enrollment_opens_on="2030-01-05", enrollment_closes_on="2030-01-09",
          starts_on="2030-01-04", ends_on="2030-02-01"), "The trial cannot start before enrollment opens."),
    (dict(title="x" * 201), "Field cannot be longer than 200 characters."),
])
def test_invalid_trial_is_422_with_input_kept(dbs, product_client, override, message):
    data = trial_data(**{"title": "Kept title", "description": "Kept *description*", **override})
    response = product_client.post("/staff/trials/new", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert escape(message, quote=False) in html or message in html
    if "title" not in override:
        assert 'value="Kept title"' in html
    assert "Kept *description*" in html
    for name in ("enrollment_opens_on", "capacity"):
        if name in override and override[name]:
            assert f'value="{override[name]}"' in html
    assert dbs.scalar(select(Trial)) is None


def test_create_without_csrf_is_400(dbs, product_client):
    assert product_client.post("/staff/trials/new", data=trial_data(), csrf=False).status_code == 400
    assert dbs.scalar(select(Trial)) is None


def test_edit_trial(dbs, product_client, product_user):
    trial = make_trial(dbs, created_by_id=product_user.id, segments=("sme",), status="draft")
    page = product_client.get(f"/staff/trials/{trial.id}/edit")
    assert page.status_code == 200 and f'value="{trial.title}"' in page.get_data(as_text=True)
    response = product_client.post(f"/staff/trials/{trial.id}/edit",
                                   data=trial_data(title="Renamed", segments=["enterprise", "sme"]))
    assert response.status_code == 302
    trial = stored(dbs, trial.id)
    assert trial.title == "Renamed" and trial.segment_codes == ["enterprise", "sme"]


def test_edit_refuses_capacity_below_accepted(dbs, product_client, product_user):
    trial = make_trial(dbs, created_by_id=product_user.id, capacity=5)
    for _ in range(3):
        make_enrollment(dbs, trial, make_user(dbs), status="accepted")
    response = product_client.post(f"/staff/trials/{trial.id}/edit", data=trial_data(capacity="2"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    capacity = html[html.index('id="field-capacity"'):html.index('id="field-auto_accept"')]
    assert "The capacity cannot be lower than the 3 members already accepted." in capacity
    assert 'value="2"' in capacity  # the input is kept
    assert stored(dbs, trial.id).capacity == 5


def test_edit_unknown_trial_is_404(product_client):
    assert product_client.get("/staff/trials/99999/edit").status_code == 404
    assert product_client.get("/staff/trials/99999").status_code == 404


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_script_in_title_and_description_is_escaped_or_stripped(dbs, product_client, payload):
    response = product_client.post("/staff/trials/new", data=trial_data(
        title=f"T {payload}", description=f"Intro {payload}\n\n<script>alert(2)</script>"))
    assert response.status_code == 302
    trial = dbs.scalar(select(Trial))
    for url in (f"/staff/trials/{trial.id}", "/staff/trials", f"/staff/trials/{trial.id}/edit"):
        html = product_client.get(url).get_data(as_text=True)
        assert payload not in html, url
        assert "<script>alert" not in html and "<img" not in html and "<svg" not in html
    html = product_client.get(f"/staff/trials/{trial.id}").get_data(as_text=True)
    assert escaped(f"T {payload}") in html


# -- list --------------------------------------------------------------------------------------


def test_list_filters(dbs, office_client):
    make_trial(dbs, title="Fiber for SMEs", kind="service", segments=("sme",), status="draft")
    make_trial(dbs, title="Family plan 100%", kind="product", segments=("household",), status="running")
    make_trial(dbs, title="Roaming bundle", kind="business", segments=("mobile", "enterprise"),
               status="closed", description="Cheaper calls abroad")

    def titles(**params):
        html = office_client.get("/staff/trials", query_string=params).get_data(as_text=True)
        return {t for t in ("Fiber for SMEs", "Family plan 100%", "Roaming bundle") if t in html}

    assert titles() == {"Fiber for SMEs", "Family plan 100%", "Roaming bundle"}
    assert titles(status="draft") == {"Fiber for SMEs"}
    assert titles(kind="business") == {"Roaming bundle"}
    assert titles(segment="enterprise") == {"Roaming bundle"}
    assert titles(q="family") == {"Family plan 100%"}
    assert titles(q="abroad") == {"Roaming bundle"}
    assert titles(q="100%") == {"Family plan 100%"}
    assert titles(q="%") == {"Family plan 100%"}
    assert titles(status="bogus") == {"Fiber for SMEs", "Family plan 100%", "Roaming bundle"}
    html = office_client.get("/staff/trials?q=nothing-like-this").get_data(as_text=True)
    assert "No trial matches." in html


def test_list_is_paginated(dbs, product_client, product_user):
    for i in range(23):
        make_trial(dbs, created_by_id=product_user.id, title=f"Paged trial {i:02d}")
    html = product_client.get("/staff/trials").get_data(as_text=True)
    assert "Page 1 of 2" in html
    html2 = product_client.get("/staff/trials?page=2").get_data(as_text=True)
    assert "Page 2 of 2" in html2 and html2.count("Paged trial") == 3


def test_list_and_detail_issue_a_fixed_number_of_queries(app, dbs, product_client, product_user):
    def measure(n):
        for _i in range(n):
            trial = make_trial(dbs, created_by_id=product_user.id, segments=("mobile", "sme"))
            make_enrollment(dbs, trial, make_user(dbs), status="accepted")
        with count_queries(app) as statements:
            assert product_client.get("/staff/trials").status_code == 200
        return len(statements)

    few = measure(3)
    many = measure(27)
    assert few == many


# -- detail and status -------------------------------------------------------------------------


def test_detail_shows_counts_and_links(dbs, product_client, product_user):
    trial = make_trial(dbs, created_by_id=product_user.id, status="running")
    make_enrollment(dbs, trial, make_user(dbs), status="applied")
    make_enrollment(dbs, trial, make_user(dbs), status="accepted")
    make_enrollment(dbs, trial, make_user(dbs), status="accepted")
    html = product_client.get(f"/staff/trials/{trial.id}").get_data(as_text=True)
    assert "1 waiting, 2 accepted, 0 declined, 0 withdrawn" in html
    assert f"/staff/trials/{trial.id}/evaluations" in html
    assert f"/staff/trials/{trial.id}/enrollments" in html
    assert "<strong>5G</strong>" in html


@pytest.mark.parametrize("current, buttons, absent", [
    ("draft", ["Start recruiting"], ["Start the trial", "Close the trial"]),
    ("recruiting", ["Start the trial", "Close the trial"], ["Start recruiting"]),
    ("running", ["Close the trial"], ["Start recruiting", "Start the trial"]),
    ("closed", [], ["Start recruiting", "Start the trial", "Close the trial"]),
])
def test_detail_offers_only_allowed_transitions(dbs, product_client, current, buttons, absent, product_user):
    trial = make_trial(dbs, created_by_id=product_user.id, status=current)
    html = product_client.get(f"/staff/trials/{trial.id}").get_data(as_text=True)
    for label in buttons:
        assert label in html
    for label in absent:
        assert label not in html


@pytest.mark.parametrize("current, target", [
    ("draft", "recruiting"), ("recruiting", "running"), ("recruiting", "closed"), ("running", "closed"),
])
def test_allowed_transitions(dbs, admin_client, current, target):
    trial = make_trial(dbs, status=current)
    response = admin_client.post(f"/staff/trials/{trial.id}/status", data={"status": target, "version": "1"})
    assert response.status_code == 302
    assert stored(dbs, trial.id).status == target


@pytest.mark.parametrize("current, target", [
    ("draft", "running"), ("draft", "closed"), ("running", "recruiting"), ("closed", "running"),
    ("closed", "draft"), ("recruiting", "draft"), ("running", "draft"), ("draft", "draft"),
])
def test_refused_transitions(dbs, product_client, current, target, product_user):
    trial = make_trial(dbs, created_by_id=product_user.id, status=current)
    response = product_client.post(f"/staff/trials/{trial.id}/status",
                                   data={"status": target, "version": "1"})
    assert response.status_code == 409
    assert "A trial cannot go from" in response.get_data(as_text=True)
    assert stored(dbs, trial.id).status == current


def test_unknown_status_refused(dbs, product_client, product_user):
    trial = make_trial(dbs, created_by_id=product_user.id, status="draft")
    response = product_client.post(f"/staff/trials/{trial.id}/status",
                                   data={"status": "<b>x</b>", "version": "1"})
    assert response.status_code == 409 and "Unknown status." in response.get_data(as_text=True)


def test_recruiting_needs_a_question(dbs, product_client, product_user):
    trial = make_trial(dbs, created_by_id=product_user.id, status="draft", questions=[])
    response = product_client.post(f"/staff/trials/{trial.id}/status",
                                   data={"status": "recruiting", "version": "1"})
    assert response.status_code == 409
    assert "Add at least one question before the trial starts recruiting." in response.get_data(as_text=True)
    assert stored(dbs, trial.id).status == "draft"


def test_status_without_csrf_is_400(dbs, product_client, product_user):
    trial = make_trial(dbs, created_by_id=product_user.id, status="draft")
    response = product_client.post(f"/staff/trials/{trial.id}/status", data={"status": "recruiting"},
                                   csrf=False)
    assert response.status_code == 400
    assert stored(dbs, trial.id).status == "draft"


def test_staff_pages_render_in_chinese(dbs, product_client, product_user):
    trial = make_trial(dbs, created_by_id=product_user.id, status="running")
    make_enrollment(dbs, trial, make_user(dbs), status="applied")
    product_client.language("zh_Hans")
    for url in ("/staff/trials", "/staff/trials/new", f"/staff/trials/{trial.id}",
                f"/staff/trials/{trial.id}/edit", f"/staff/trials/{trial.id}/enrollments",
                f"/staff/trials/{trial.id}/questions/new",
                f"/staff/trials/{trial.id}/questions/{trial.questions[0].id}/edit"):
        assert product_client.get(url).status_code == 200, url
