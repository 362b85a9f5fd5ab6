"""A create form sent twice (a double click, two sends at once, Back and send again) stores one
thing; the repeat is shown the first result (portal/idempotency.py)."""
from __future__ import annotations

import re
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from portal import idempotency
from portal.accounts.models import Invitation, User
from portal.db import utcnow
from portal.gaps import services as gap_services
from portal.gaps.models import ServiceGapReport
from portal.idempotency import FormToken, claim_key
from portal.trials.models import Evaluation, EvaluationVersion
from tests.conftest import login
from tests.factories import (
    make_consultation,
    make_enrollment,
    make_gap_submission,
    make_item,
    make_trial,
    make_user,
)
from tests.gaps.helpers import report_form
from tests.queries import sql_statements

ONCE = re.compile(r'<input type="hidden" name="once" value="([A-Za-z0-9_-]{43})">')
ALREADY_SENT = "This was already sent; here is the result."


def once_token(client, url: str = "/reports/new") -> str:
    response = client.get(url)
    assert response.status_code == 200
    match = ONCE.search(response.get_data(as_text=True))
    assert match, f"no once token on {url}"
    return match.group(1)


def reports(dbs) -> list[ServiceGapReport]:
    dbs.expire_all()
    return list(dbs.scalars(select(ServiceGapReport).order_by(ServiceGapReport.id)))


def claims(dbs) -> list[FormToken]:
    dbs.expire_all()
    return list(dbs.scalars(select(FormToken)))


def slowed_create_report(monkeypatch, seconds: float) -> None:
    """The report takes a while to store, so a second send arrives while the first runs."""
    real = gap_services.create_report

    def slow(*args, **kwargs):
        time.sleep(seconds)
        return real(*args, **kwargs)

    monkeypatch.setattr(gap_services, "create_report", slow)


# --- a report sent twice ---------------------------------------------------------------------


def test_the_same_report_sent_twice_is_stored_once_and_the_repeat_shows_the_first(member_client, dbs):
    data = {**report_form(), "once": once_token(member_client)}
    first = member_client.post("/reports/new", data=data)
    assert first.status_code == 302
    second = member_client.post("/reports/new", data=data)  # a double click, or Back and send
    assert second.status_code == 303
    assert second.headers["Location"] == first.headers["Location"]
    stored = reports(dbs)
    assert len(stored) == 1 and first.headers["Location"].endswith(f"/reports/{stored[0].id}")
    page = member_client.get(second.headers["Location"]).get_data(as_text=True)
    assert ALREADY_SENT in page and stored[0].title in page


def test_without_the_token_a_form_still_works_as_before(member_client, dbs):
    assert member_client.post("/reports/new", data=report_form()).status_code == 302
    assert member_client.post("/reports/new", data=report_form()).status_code == 302
    assert len(reports(dbs)) == 2 and claims(dbs) == []


def _send_at_once(app, member, data: dict, barrier: threading.Barrier) -> list:
    """Two browsers of the same member send `data` at the same moment; their answers."""
    clients = [app.test_client() for _ in range(2)]
    for c in clients:
        c.language("en")
        login(c, member)
        c.csrf_token()
    answers: list = [None, None]

    def send(n: int) -> None:
        barrier.wait()
        answers[n] = clients[n].post("/reports/new", data=dict(data))

    threads = [threading.Thread(target=send, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return answers


def test_two_sends_at_the_same_moment_store_one_report(app, member_client, member, dbs, monkeypatch):
    slowed_create_report(monkeypatch, 0.3)
    for pair in range(3):
        data = {**report_form(title=f"Pair {pair}"), "once": once_token(member_client)}
        answers = _send_at_once(app, member, data, threading.Barrier(2))
        stored = [r for r in reports(dbs) if r.title == f"Pair {pair}"]
        assert len(stored) == 1, f"pair {pair}: {len(stored)} reports stored"
        # One stored it (302); the other waited for it and was shown its result (303).
        assert sorted(a.status_code for a in answers) == [302, 303]
        assert {a.headers["Location"] for a in answers} == {f"/reports/{stored[0].id}"}


def test_a_first_send_that_never_finishes_answers_409_and_stores_nothing(app, member_client, member, dbs):
    app.config["ONCE_WAIT_SECONDS"] = 0.3
    token = once_token(member_client)
    dbs.execute(insert(FormToken).values(
        token=claim_key(member.id, "/reports/new", token), user_id=member.id, created_at=utcnow()))
    dbs.commit()
    started = time.monotonic()
    response = member_client.post("/reports/new", data={**report_form(), "once": token})
    assert response.status_code == 409
    assert 0.3 <= time.monotonic() - started < 3
    assert "Still being sent" in response.get_data(as_text=True)
    assert reports(dbs) == []


def test_a_claim_left_by_a_request_that_died_is_taken_over(member_client, member, dbs):
    token = once_token(member_client)
    dbs.execute(insert(FormToken).values(
        token=claim_key(member.id, "/reports/new", token), user_id=member.id,
        created_at=utcnow() - timedelta(minutes=3)))
    dbs.commit()
    response = member_client.post("/reports/new", data={**report_form(), "once": token})
    assert response.status_code == 302
    assert len(reports(dbs)) == 1


# --- refused, failed, another user -----------------------------------------------------------


def test_a_refused_report_keeps_its_token_and_is_stored_once_corrected(member_client, dbs):
    token = once_token(member_client)
    refused = member_client.post("/reports/new", data={**report_form(title=""), "once": token})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert ONCE.search(page).group(1) == token  # the same form, with the person's input
    assert "The usage reminder arrived two days after" in page
    assert reports(dbs) == [] and claims(dbs) == []
    corrected = member_client.post("/reports/new", data={**report_form(title="Late"), "once": token})
    assert corrected.status_code == 302
    again = member_client.post("/reports/new", data={**report_form(title="Late"), "once": token})
    assert again.status_code == 303 and again.headers["Location"] == corrected.headers["Location"]
    assert [r.title for r in reports(dbs)] == ["Late"]


def test_a_view_that_crashes_lets_the_same_form_be_sent_again(member_client, dbs, monkeypatch):
    token = once_token(member_client)
    real = gap_services.create_report

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(gap_services, "create_report", broken)
    with pytest.raises(RuntimeError):
        member_client.post("/reports/new", data={**report_form(), "once": token})
    assert claims(dbs) == []
    monkeypatch.setattr(gap_services, "create_report", real)
    assert member_client.post("/reports/new", data={**report_form(), "once": token}).status_code == 302
    assert len(reports(dbs)) == 1


def test_a_redirect_after_an_error_is_not_a_result(admin_client, product_user, dbs):
    """A refusal shown by redirecting with an error (the role change) frees the token."""
    token = once_token(admin_client, "/staff/invitations")
    url = f"/admin/staff/{product_user.id}/role"
    refused = admin_client.post(url, data={"role": "emperor", "once": token})
    assert refused.status_code == 302
    done = admin_client.post(url, data={"role": "office", "once": token})
    assert done.status_code == 302
    dbs.expire_all()
    assert dbs.get(User, product_user.id).role == "office"


def test_another_users_token_never_shows_them_the_first_result(app, member_client, dbs):
    token = once_token(member_client)
    first = member_client.post("/reports/new", data={**report_form(title="Mine"), "once": token})
    assert first.status_code == 302
    other = make_user(dbs, role="member", segment="household", district="pudong")
    other_client = app.test_client()
    other_client.language("en")
    login(other_client, other)
    response = other_client.post("/reports/new", data={**report_form(title="Theirs"), "once": token})
    # Their own new report, not a way to the first one.
    assert response.status_code == 302 and response.headers["Location"] != first.headers["Location"]
    page = other_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Theirs" in page and "Mine" not in page and ALREADY_SENT not in page
    assert other_client.get(first.headers["Location"]).status_code == 404
    assert sorted(r.title for r in reports(dbs)) == ["Mine", "Theirs"]


def test_a_visitor_post_with_a_token_claims_nothing(client, dbs):
    response = client.post("/reports/new", data={**report_form(), "once": "x" * 43})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert claims(dbs) == []


# --- other create forms sent twice -----------------------------------------------------------


def test_an_invitation_sent_twice_is_created_once(office_client, dbs):
    """Created with POST-redirect-GET (the link shown once after the redirect): a repeat of the
    same form goes to the page too, and creates nothing."""
    token = once_token(office_client, "/staff/invitations")
    data = {"segment": "sme", "days": "14", "once": token}
    first = office_client.post("/staff/invitations", data=data)
    assert first.status_code == 302 and first.headers["Location"] == "/staff/invitations"
    page = office_client.get("/staff/invitations").get_data(as_text=True)
    assert 'data-testid="invitation-link"' in page
    # The page's new, empty form is a new form: a token of its own.
    assert ONCE.search(page).group(1) != token
    second = office_client.post("/staff/invitations", data=data)
    assert second.status_code == 303 and second.headers["Location"] == "/staff/invitations"
    assert dbs.scalar(select(func.count(Invitation.id))) == 1


def test_an_evaluation_submitted_twice_makes_one_version(member_client, member, dbs):
    trial = make_trial(dbs, status="running", questions=[dict(kind="rating", prompt="Easy?")])
    make_enrollment(dbs, trial, member)
    url = f"/trials/{trial.id}/evaluation"
    page = member_client.get(url).get_data(as_text=True)
    data = {f"q-{trial.questions[0].id}": "4", "action": "submit", "once": ONCE.search(page).group(1)}
    assert member_client.post(url, data=data).status_code == 302
    assert member_client.post(url, data=data).status_code == 303
    dbs.expire_all()
    evaluation = dbs.scalar(select(Evaluation).where(Evaluation.trial_id == trial.id))
    assert evaluation.version == 1
    assert dbs.scalar(select(func.count(EvaluationVersion.id))) == 1


# --- every create form carries a token -------------------------------------------------------


def _post_forms(html: str) -> list[tuple[str, str]]:
    """(action, inner html) of each POST form of a page; "" when it posts to its own page (no action)."""
    return re.findall(r'<form method="post"(?: action="([^"]*)")?[^>]*>(.*?)</form>', html, re.S)


def _create_forms(dbs, member):
    trial = make_trial(dbs, status="draft")
    running = make_trial(dbs, status="running")
    make_enrollment(dbs, running, member)
    recruiting = make_trial(dbs, status="recruiting")
    consultation = make_consultation(dbs)
    submission = make_gap_submission(dbs, member)
    inbox = f"/staff/inbox/{submission.id}"
    return [
        ("member_client", "/reports/new", ""),
        ("member_client", f"/consultations/{consultation.id}", ""),
        ("member_client", f"/trials/{running.id}/evaluation", f"/trials/{running.id}/evaluation"),
        ("member_client", f"/trials/{recruiting.id}", f"/trials/{recruiting.id}/apply"),
        ("admin_client", "/staff/trials/new", ""),
        ("admin_client", f"/staff/trials/{trial.id}/questions/new", ""),
        ("admin_client", "/staff/consultations/new", ""),
        ("admin_client", "/staff/improvements/new", ""),
        ("admin_client", f"/staff/improvements/new?submission={submission.id}", ""),
        ("admin_client", "/admin/departments", "/admin/departments"),
        ("admin_client", "/staff/index/periods/new", ""),
        ("admin_client", "/staff/invitations", ""),
        ("admin_client", "/admin/staff/new", ""),
        ("admin_client", inbox, f"{inbox}/notes"),
    ]


def test_every_create_form_carries_a_one_time_token(app, dbs, member, admin_user):
    clients = {}
    for name, user in (("member_client", member), ("admin_client", admin_user)):
        clients[name] = app.test_client()
        clients[name].language("en")
        login(clients[name], user)
    missing = []
    for name, url, action in _create_forms(dbs, member):
        response = clients[name].get(url)
        assert response.status_code == 200, url
        forms = [inner for act, inner in _post_forms(response.get_data(as_text=True)) if act == action]
        if len(forms) != 1 or not ONCE.search(forms[0]):
            missing.append(url)
    assert missing == []


def test_edit_forms_carry_no_token(app, dbs, admin_client):
    """An edit sent again after Back is a change of its own (its version decides a conflict)."""
    item = make_item(dbs)
    trial = make_trial(dbs, status="draft")
    for url in (f"/staff/improvements/{item.id}/edit", f"/staff/trials/{trial.id}/edit",
                f"/staff/trials/{trial.id}/questions/{trial.questions[0].id}/edit"):
        response = admin_client.get(url)
        assert response.status_code == 200 and 'name="once"' not in response.get_data(as_text=True), url


def test_each_page_gives_a_new_token(member_client):
    assert once_token(member_client) != once_token(member_client)


# --- cost and housekeeping -------------------------------------------------------------------


def test_gets_and_posts_without_a_token_never_query_the_token_table(app, member_client):
    with sql_statements(app) as statements:
        member_client.get("/reports/new")
        member_client.post("/reports/new", data=report_form(title=""))
        member_client.post("/reports/new", data=report_form())
    assert statements and not [s for s in statements if "form_tokens" in s]


def test_claims_older_than_a_day_are_deleted(app, member, dbs):
    now = utcnow()
    for n, age in enumerate((timedelta(days=2), timedelta(hours=25), timedelta(hours=23))):
        dbs.execute(insert(FormToken).values(token=f"t{n}", user_id=member.id, created_at=now - age,
                                             result_location="/"))
    dbs.commit()
    with app.app_context():
        assert idempotency.expire_old(now) == 2
    assert [c.token for c in claims(dbs)] == ["t2"]


def test_a_claim_now_and_then_deletes_the_old_ones(member_client, member, dbs, monkeypatch):
    dbs.execute(insert(FormToken).values(token="old", user_id=member.id,
                                         created_at=utcnow() - timedelta(days=3), result_location="/"))
    dbs.commit()
    monkeypatch.setattr(idempotency.random, "randrange", lambda n: 0)  # this claim's turn
    member_client.post("/reports/new", data={**report_form(), "once": once_token(member_client)})
    assert [c.token for c in claims(dbs)] != [] and "old" not in [c.token for c in claims(dbs)]
