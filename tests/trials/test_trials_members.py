"""Members browse the trials open to their segment, apply, withdraw and see their enrollments."""
from __future__ import annotations

import os
import threading
from datetime import timedelta

import pytest
from flask import session
from markupsafe import escape
from sqlalchemy import func, select

from portal import domain
from portal.trials import services
from portal.trials.models import Enrollment
from tests.conftest import XSS_PAYLOADS, login
from tests.factories import make_enrollment, make_trial, make_user
from tests.queries import sql_statements as count_queries


def enrollment_of(dbs, trial, member) -> Enrollment | None:
    dbs.expire_all()
    return dbs.scalar(select(Enrollment).where(Enrollment.trial_id == trial.id,
                                               Enrollment.member_id == member.id))


# -- list and detail ---------------------------------------------------------------------------


def test_list_shows_only_open_trials_of_my_segment(dbs, member_client, member):
    make_trial(dbs, title="Recruiting mine", capacity=4)
    running = make_trial(dbs, title="Running mine", status="running", capacity=None)
    make_trial(dbs, title="Draft mine", status="draft")
    make_trial(dbs, title="Closed mine", status="closed")
    make_trial(dbs, title="Household only", segments=("household",))
    make_trial(dbs, title="Shared", segments=("household", "mobile"))
    make_enrollment(dbs, running, member, status="accepted")
    html = member_client.get("/trials").get_data(as_text=True)
    for title in ("Recruiting mine", "Running mine", "Shared"):
        assert title in html
    for title in ("Draft mine", "Closed mine", "Household only"):
        assert title not in html
    assert "New product" in html and "No limit" in html and "Accepted" in html
    assert "Not applied" in html


def test_places_left_count_accepted_only(dbs, member_client):
    trial = make_trial(dbs, title="Four places", capacity=4)
    make_enrollment(dbs, trial, make_user(dbs), status="accepted")
    make_enrollment(dbs, trial, make_user(dbs), status="applied")
    make_enrollment(dbs, trial, make_user(dbs), status="withdrawn")
    html = member_client.get(f"/trials/{trial.id}").get_data(as_text=True)
    assert "4 places, 3 left" in html
    listing = member_client.get("/trials").get_data(as_text=True)
    assert "<dd>3</dd>" in listing


def test_detail_renders_description_and_hides_others(dbs, member_client):
    trial = make_trial(dbs, description="A new **5G** plan.\n\n<script>alert(1)</script>")
    html = member_client.get(f"/trials/{trial.id}").get_data(as_text=True)
    assert "<strong>5G</strong>" in html and "<script>alert(1)" not in html
    assert "Apply to this trial" in html
    other = make_trial(dbs, segments=("household", "enterprise"))
    draft = make_trial(dbs, status="draft")
    for t in (other, draft):
        assert member_client.get(f"/trials/{t.id}").status_code == 404
        assert member_client.post(f"/trials/{t.id}/apply", data={"motivation": "hi"}).status_code == 404
    assert member_client.get("/trials/999999").status_code == 404
    assert dbs.scalar(select(func.count(Enrollment.id))) == 0


def test_staff_and_anonymous_cannot_use_member_pages(dbs, client, product_user):
    trial = make_trial(dbs, created_by_id=product_user.id)
    response = client.get("/trials")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login(client, product_user)
    assert client.get("/trials").status_code == 403
    assert client.get(f"/trials/{trial.id}").status_code == 403
    assert client.post(f"/trials/{trial.id}/apply").status_code == 403


def test_member_list_issues_a_fixed_number_of_queries(app, dbs, member_client, member):
    def measure(n):
        for i in range(n):
            trial = make_trial(dbs, segments=("mobile", "sme"))
            make_enrollment(dbs, trial, make_user(dbs), status="accepted")
            if i % 2:
                make_enrollment(dbs, trial, member, status="applied")
        with count_queries(app) as statements:
            assert member_client.get("/trials").status_code == 200
        with count_queries(app) as mine:
            assert member_client.get("/trials/enrollments").status_code == 200
        return len(statements), len(mine)

    assert measure(3) == measure(17)


# -- applying ----------------------------------------------------------------------------------


def test_apply_with_motivation(dbs, member_client, member):
    trial = make_trial(dbs)
    response = member_client.post(f"/trials/{trial.id}/apply", data={"motivation": "I commute a lot."})
    assert response.status_code == 302
    enrollment = enrollment_of(dbs, trial, member)
    assert enrollment.status == "applied" and enrollment.motivation == "I commute a lot."
    assert enrollment.decided_at is None
    html = member_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your application was sent." in html and "Withdraw from this trial" in html
    assert "Apply to this trial" not in html


def test_apply_without_motivation(dbs, member_client, member):
    trial = make_trial(dbs)
    assert member_client.post(f"/trials/{trial.id}/apply", data={}).status_code == 302
    assert enrollment_of(dbs, trial, member).motivation == ""


def test_auto_accept(dbs, member_client, member):
    trial = make_trial(dbs, auto_accept=True, capacity=2)
    response = member_client.post(f"/trials/{trial.id}/apply", data={"motivation": ""})
    assert response.status_code == 302
    enrollment = enrollment_of(dbs, trial, member)
    assert enrollment.status == "accepted" and enrollment.decided_at is not None
    html = member_client.get(f"/trials/{trial.id}").get_data(as_text=True)
    assert "You are accepted in this trial." in html


@pytest.mark.parametrize("auto_accept", [False, True])
def test_full_trial_refuses(dbs, member_client, member, auto_accept):
    trial = make_trial(dbs, capacity=2, auto_accept=auto_accept)
    make_enrollment(dbs, trial, make_user(dbs), status="accepted")
    make_enrollment(dbs, trial, make_user(dbs), status="accepted")
    page = member_client.get(f"/trials/{trial.id}").get_data(as_text=True)
    assert "This trial is full: no place is left." in page and "Apply to this trial" not in page
    response = member_client.post(f"/trials/{trial.id}/apply", data={"motivation": "Please"})
    assert response.status_code == 409
    assert "This trial is full: no place is left." in response.get_data(as_text=True)
    assert enrollment_of(dbs, trial, member) is None


@pytest.mark.parametrize("fields, message", [
    (dict(enrollment_opens_on=1, enrollment_closes_on=5, starts_on=6, ends_on=20), "Enrollment opens on"),
    (dict(enrollment_opens_on=-10, enrollment_closes_on=-1, starts_on=0, ends_on=20), "Enrollment closed on"),
])
def test_outside_the_window_refuses(dbs, member_client, member, fields, message):
    today = domain.shanghai_today()
    trial = make_trial(dbs, **{k: today + timedelta(days=v) for k, v in fields.items()})
    response = member_client.post(f"/trials/{trial.id}/apply", data={"motivation": "x"})
    assert response.status_code == 409 and message in response.get_data(as_text=True)
    assert enrollment_of(dbs, trial, member) is None


def test_last_day_of_the_window_is_open(dbs, member_client, member):
    today = domain.shanghai_today()
    trial = make_trial(dbs, enrollment_opens_on=today, enrollment_closes_on=today)
    assert member_client.post(f"/trials/{trial.id}/apply", data={}).status_code == 302
    assert enrollment_of(dbs, trial, member).status == "applied"


@pytest.mark.parametrize("status, message", [
    ("closed", "This trial is closed."), ("running", "This trial is not recruiting."),
])
def test_closed_or_running_trial_refuses(dbs, member_client, member, status, message):
    trial = make_trial(dbs, status=status)
    page = member_client.get(f"/trials/{trial.id}")
    assert page.status_code == 200 and message in page.get_data(as_text=True)
    response = member_client.post(f"/trials/{trial.id}/apply", data={"motivation": "x"})
    assert response.status_code == 409 and message in response.get_data(as_text=True)
    assert enrollment_of(dbs, trial, member) is None


@pytest.mark.parametrize("existing, message", [
    ("applied", "You have already applied to this trial."),
    ("accepted", "You have already applied to this trial."),
    ("declined", "Your application to this trial was declined."),
])
def test_one_enrollment_per_member(dbs, member_client, member, existing, message):
    trial = make_trial(dbs)
    make_enrollment(dbs, trial, member, status=existing)
    response = member_client.post(f"/trials/{trial.id}/apply", data={"motivation": "again"})
    assert response.status_code == 409 and message in response.get_data(as_text=True)
    assert dbs.scalar(select(func.count(Enrollment.id))) == 1
    assert enrollment_of(dbs, trial, member).status == existing


def test_wrong_segment_refused_by_the_service(app, dbs, other_member):
    trial = make_trial(dbs, segments=("mobile",))
    with app.test_request_context():
        session["lang"] = "en"
        assert services.application_refusal(trial, other_member, None, 0) == \
            "This trial is not open to your segment."


def test_withdraw_and_reapply_reuses_the_row(dbs, member_client, member):
    trial = make_trial(dbs)
    member_client.post(f"/trials/{trial.id}/apply", data={"motivation": "first"})
    first = enrollment_of(dbs, trial, member)
    response = member_client.post(f"/trials/{trial.id}/withdraw")
    assert response.status_code == 302
    assert enrollment_of(dbs, trial, member).status == "withdrawn"
    html = member_client.get(f"/trials/{trial.id}").get_data(as_text=True)
    assert "Apply to this trial" in html and "Withdrawn" in html
    assert member_client.post(f"/trials/{trial.id}/apply", data={"motivation": "second"}).status_code == 302
    again = enrollment_of(dbs, trial, member)
    assert again.id == first.id and again.status == "applied" and again.motivation == "second"
    assert dbs.scalar(select(func.count(Enrollment.id))) == 1


def test_withdraw_accepted_from_running_trial(dbs, member_client, member):
    trial = make_trial(dbs, status="running")
    make_enrollment(dbs, trial, member, status="accepted")
    assert member_client.post(f"/trials/{trial.id}/withdraw").status_code == 302
    assert enrollment_of(dbs, trial, member).status == "withdrawn"


def test_withdraw_refused_when_closed_or_nothing_to_withdraw(dbs, member_client, member):
    closed = make_trial(dbs, status="closed")
    make_enrollment(dbs, closed, member, status="accepted")
    response = member_client.post(f"/trials/{closed.id}/withdraw")
    assert response.status_code == 409
    assert "This trial is closed: you can no longer withdraw." in response.get_data(as_text=True)
    assert enrollment_of(dbs, closed, member).status == "accepted"
    fresh = make_trial(dbs)
    response = member_client.post(f"/trials/{fresh.id}/withdraw")
    assert response.status_code == 409
    assert "You have no application to withdraw in this trial." in response.get_data(as_text=True)


def test_questionnaire_link_only_when_accepted_and_running(dbs, member_client, member):
    running = make_trial(dbs, status="running")
    make_enrollment(dbs, running, member, status="accepted")
    html = member_client.get(f"/trials/{running.id}").get_data(as_text=True)
    assert f"/trials/{running.id}/evaluation" in html and "Fill in the questionnaire" in html
    recruiting = make_trial(dbs)
    make_enrollment(dbs, recruiting, member, status="accepted")
    html = member_client.get(f"/trials/{recruiting.id}").get_data(as_text=True)
    assert "Fill in the questionnaire" not in html
    applied = make_trial(dbs, status="running")
    make_enrollment(dbs, applied, member, status="applied")
    html = member_client.get(f"/trials/{applied.id}").get_data(as_text=True)
    assert "Fill in the questionnaire" not in html


def test_motivation_too_long_is_422_with_input_kept(dbs, member_client, member):
    trial = make_trial(dbs)
    text = "Long story. " * 200
    response = member_client.post(f"/trials/{trial.id}/apply", data={"motivation": text})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Field cannot be longer than 2000 characters." in html and text.strip() in html
    assert enrollment_of(dbs, trial, member) is None


def test_apply_without_csrf_is_400(dbs, member_client, member):
    trial = make_trial(dbs)
    assert member_client.post(f"/trials/{trial.id}/apply", data={"motivation": "x"},
                              csrf=False).status_code == 400
    assert member_client.post(f"/trials/{trial.id}/withdraw", csrf=False).status_code == 400
    assert enrollment_of(dbs, trial, member) is None


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_motivation_and_title_are_escaped(dbs, client, member, product_user, payload):
    trial = make_trial(dbs, created_by_id=product_user.id, title=f"Title {payload}")
    login(client, member)
    client.post(f"/trials/{trial.id}/apply", data={"motivation": f"Because {payload}"})
    for url in (f"/trials/{trial.id}", "/trials", "/trials/enrollments"):
        html = client.get(url).get_data(as_text=True)
        assert payload not in html and str(escape(f"Title {payload}")) in html, url
    assert str(escape(f"Because {payload}")) in client.get(f"/trials/{trial.id}").get_data(as_text=True)
    client.post("/logout")
    login(client, product_user)
    html = client.get(f"/staff/trials/{trial.id}/enrollments").get_data(as_text=True)
    assert payload not in html and str(escape(f"Because {payload}")) in html


def test_my_enrollments(dbs, member_client, member, other_member):
    mine = make_trial(dbs, title="Mine applied")
    closed = make_trial(dbs, title="Mine closed", status="closed")
    theirs = make_trial(dbs, title="Theirs", segments=("household",))
    make_enrollment(dbs, mine, member, status="applied")
    make_enrollment(dbs, closed, member, status="accepted")
    make_enrollment(dbs, theirs, other_member, status="accepted")
    html = member_client.get("/trials/enrollments").get_data(as_text=True)
    assert "Mine applied" in html and "Mine closed" in html and "Theirs" not in html
    assert "Applied" in html and "Accepted" in html and "Closed" in html
    # A closed trial I took part in stays readable.
    assert member_client.get(f"/trials/{closed.id}").status_code == 200


def test_member_pages_render_in_chinese(dbs, member_client, member):
    trial = make_trial(dbs)
    make_enrollment(dbs, trial, member, status="applied")
    member_client.language("zh_Hans")
    for url in ("/trials", f"/trials/{trial.id}", "/trials/enrollments"):
        assert member_client.get(url).status_code == 200, url


# -- concurrency -------------------------------------------------------------------------------


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="row locks need PostgreSQL")
def test_capacity_holds_under_concurrent_applications(app, dbs):
    trial = make_trial(dbs, capacity=2, auto_accept=True)
    members = [make_user(dbs) for _ in range(8)]
    clients = []
    for m in members:
        c = app.test_client()
        c.language("en")
        login(c, m)
        c.csrf_token()
        clients.append(c)
    barrier = threading.Barrier(len(clients))
    codes = []

    def run(c):
        barrier.wait()
        codes.append(c.post(f"/trials/{trial.id}/apply", data={"motivation": ""}).status_code)

    threads = [threading.Thread(target=run, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    dbs.expire_all()
    accepted = dbs.scalar(select(func.count(Enrollment.id)).where(
        Enrollment.trial_id == trial.id, Enrollment.status == "accepted"))
    assert accepted == 2
    assert sorted(codes) == [302, 302] + [409] * 6
