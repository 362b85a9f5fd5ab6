"""Trials and consultations in the audit log: every staff action through the real routes writes
one entry (actor, before, after) in the same transaction, a refused action writes nothing, and the
staff detail pages show the object's History (escaped, newest first) that members never see."""
from __future__ import annotations

from datetime import timedelta

import pytest
from markupsafe import escape
from sqlalchemy import select

from portal import domain
from portal.audit.models import AuditEntry
from portal.db import utcnow
from portal.opinions.models import Consultation
from portal.trials.models import Enrollment, Evaluation, Question, Trial
from tests.conftest import XSS_PAYLOADS, login
from tests.factories import make_consultation, make_enrollment, make_trial, make_user
from tests.opinions.helpers import make_opinion
from tests.opinions.test_staff import form_data as consultation_data
from tests.trials.test_trials_questions import question_data
from tests.trials.test_trials_staff import count_queries, trial_data

QUESTIONS = [
    dict(kind="rating", prompt="Set-up ease"),
    dict(kind="single", prompt="Where bought", options=["Store", "Online"]),
    dict(kind="text", prompt="Comments", required=False),
]


def entries(dbs, object_type=None) -> list[AuditEntry]:
    dbs.expire_all()
    stmt = select(AuditEntry).order_by(AuditEntry.id)
    if object_type:
        stmt = stmt.where(AuditEntry.object_type == object_type)
    return list(dbs.scalars(stmt))


def question(dbs, trial, prompt) -> Question:
    dbs.expire_all()
    return dbs.scalar(select(Question).where(Question.trial_id == trial.id, Question.prompt == prompt))


def history_html(page: str) -> str:
    start = page.index('data-testid="history"')
    return page[start:]


# --- trials: create, edit, status ---------------------------------------------------------------


def test_create_trial_is_recorded(dbs, product_client, product_user):
    response = product_client.post("/staff/trials/new", data=trial_data())
    assert response.status_code == 302
    trial = dbs.scalar(select(Trial))
    (entry,) = entries(dbs)
    assert (entry.actor_id, entry.action, entry.object_type, entry.object_id) == \
        (product_user.id, "create", "trial", trial.id)
    assert entry.before is None
    assert entry.after["title"] == "5G phone for seniors"
    assert entry.after["segments"] == ["household", "mobile"]
    assert entry.after["status"] == "draft" and entry.after["capacity"] == 20
    assert entry.after["enrollment_opens_on"] == domain.shanghai_today().isoformat()


def test_edit_trial_records_only_changed_fields_incl_segments(dbs, admin_client, admin_user):
    trial = make_trial(dbs, status="draft", title="Old title", kind="terminal", capacity=20,
                       segments=("mobile", "household"),
                       description="Try the **new** phone.\n\n- big keys\n- loud speaker")
    response = admin_client.post(f"/staff/trials/{trial.id}/edit", data=trial_data(
        title="New title", segments=["sme"], capacity="25",
        enrollment_opens_on=trial.enrollment_opens_on.isoformat(),
        enrollment_closes_on=trial.enrollment_closes_on.isoformat(),
        starts_on=trial.starts_on.isoformat(), ends_on=trial.ends_on.isoformat()))
    assert response.status_code == 302
    (entry,) = entries(dbs)
    assert (entry.actor_id, entry.action, entry.object_type, entry.object_id) == \
        (admin_user.id, "update", "trial", trial.id)
    assert entry.before == {"title": "Old title", "segments": ["household", "mobile"], "capacity": 20}
    assert entry.after == {"title": "New title", "segments": ["sme"], "capacity": 25}


def test_refused_trial_edit_and_creation_write_nothing(dbs, product_client, product_user, member):
    trial = make_trial(dbs, created_by_id=product_user.id, capacity=5)
    make_enrollment(dbs, trial, member, status="accepted")
    response = product_client.post(f"/staff/trials/{trial.id}/edit", data=trial_data(capacity="0"))
    assert response.status_code == 422
    response = product_client.post("/staff/trials/new", data=trial_data(segments=[]))
    assert response.status_code == 422
    response = product_client.post("/staff/trials/new", data=trial_data(), csrf=False)
    assert response.status_code == 400
    assert entries(dbs) == []


def test_status_change_is_recorded_and_a_refused_one_is_not(dbs, product_client, product_user):
    trial = make_trial(dbs, created_by_id=product_user.id, status="draft", questions=QUESTIONS)
    empty = make_trial(dbs, created_by_id=product_user.id, status="draft", questions=[])
    assert product_client.post(f"/staff/trials/{trial.id}/status",
                               data={"status": "recruiting", "version": "1"}).status_code == 302
    # refused: no question yet, a move TRIAL_TRANSITIONS forbids, an unknown status
    assert product_client.post(f"/staff/trials/{empty.id}/status",
                               data={"status": "recruiting", "version": "1"}).status_code == 409
    assert product_client.post(f"/staff/trials/{trial.id}/status",
                               data={"status": "draft", "version": "2"}).status_code == 409
    assert product_client.post(f"/staff/trials/{trial.id}/status",
                               data={"status": "nonsense", "version": "2"}).status_code == 409
    (entry,) = entries(dbs)
    assert (entry.actor_id, entry.action, entry.object_type, entry.object_id) == \
        (product_user.id, "trial.status", "trial", trial.id)
    assert entry.before == {"status": "draft"} and entry.after == {"status": "recruiting"}


def test_office_cannot_change_a_trial_and_nothing_is_written(dbs, office_client):
    trial = make_trial(dbs, status="draft", questions=QUESTIONS)
    assert office_client.post(f"/staff/trials/{trial.id}/status",
                              data={"status": "recruiting"}).status_code == 403
    assert office_client.post(f"/staff/trials/{trial.id}/questions/new",
                              data=question_data()).status_code == 403
    assert entries(dbs) == []


# --- trials: the questionnaire ---------------------------------------------------------------------


def test_question_add_edit_move_delete_are_recorded_on_the_trial(dbs, product_client, product_user):
    trial = make_trial(dbs, created_by_id=product_user.id, status="draft", questions=QUESTIONS)
    base = f"/staff/trials/{trial.id}/questions"
    trial_id = trial.id

    assert product_client.post(f"{base}/new", data=question_data(
        kind="single", prompt="Which colour?", options="Red\nBlue")).status_code == 302
    added = question(dbs, trial, "Which colour?")
    added_id = added.id
    assert product_client.post(f"{base}/{added.id}/edit", data=question_data(
        kind="single", prompt="Which colour?", options="Red\nBlue\nGreen", required="")
    ).status_code == 302
    assert product_client.post(f"{base}/{added.id}/move", data={"direction": "up"}).status_code == 302
    assert product_client.post(f"{base}/{added.id}/delete").status_code == 302

    add, edit, move, delete = entries(dbs)
    for entry in (add, edit, move, delete):
        assert (entry.actor_id, entry.object_type, entry.object_id) == (product_user.id, "trial", trial_id)
    assert add.action == "question.add" and add.before is None
    assert add.after == {"question_id": added_id, "prompt": "Which colour?", "question_kind": "single",
                         "help_text": "", "required": True, "options": ["Red", "Blue"], "position": 4,
                         "prompt_en": "", "help_text_en": "", "options_en": [], "show_if": None}
    assert edit.action == "question.update"
    assert edit.before == {"required": True, "options": ["Red", "Blue"]}
    assert edit.after == {"question_id": added_id, "prompt": "Which colour?", "required": False,
                          "options": ["Red", "Blue", "Green"]}
    assert move.action == "question.move"
    assert move.before == {"position": 4}
    assert move.after == {"question_id": added_id, "prompt": "Which colour?", "position": 3}
    assert delete.action == "question.delete" and delete.after is None
    assert delete.before["question_id"] == added_id and delete.before["prompt"] == "Which colour?"
    assert delete.before["position"] == 3


def test_question_text_change_shows_before_and_after(dbs, product_client, product_user):
    trial = make_trial(dbs, created_by_id=product_user.id, status="draft", questions=QUESTIONS)
    q = question(dbs, trial, "Set-up ease")
    product_client.post(f"/staff/trials/{trial.id}/questions/{q.id}/edit",
                        data=question_data(prompt="How easy was the set-up?"))
    (entry,) = entries(dbs)
    assert entry.before == {"prompt": "Set-up ease"}
    assert entry.after == {"question_id": q.id, "prompt": "How easy was the set-up?"}


def test_refused_question_changes_write_nothing(dbs, product_client, product_user, member):
    trial = make_trial(dbs, created_by_id=product_user.id, status="recruiting", questions=QUESTIONS)
    make_enrollment(dbs, trial, member, status="accepted")
    dbs.add(Evaluation(trial_id=trial.id, member_id=member.id, status="submitted", version=1,
                       submitted_at=utcnow()))
    dbs.commit()
    base = f"/staff/trials/{trial.id}/questions"
    rating = question(dbs, trial, "Set-up ease")
    comments = question(dbs, trial, "Comments")
    # locked questionnaire: no delete, no kind change, no new required question, no optional->required
    assert product_client.post(f"{base}/{rating.id}/delete").status_code == 409
    assert product_client.post(f"{base}/{rating.id}/edit", data=question_data(
        kind="nps", prompt="Set-up ease")).status_code == 409
    assert product_client.post(f"{base}/new", data=question_data(required="y")).status_code == 409
    assert product_client.post(f"{base}/{comments.id}/edit", data=question_data(
        kind="text", prompt="Comments", required="y")).status_code == 409
    # bad options: 422
    assert product_client.post(f"{base}/new", data=question_data(kind="single", options="Only one",
                                                                 required="")).status_code in (409, 422)
    # moving the first one up changes nothing
    assert product_client.post(f"{base}/{rating.id}/move", data={"direction": "up"}).status_code == 302
    assert entries(dbs) == []


# --- trials: enrollment decisions --------------------------------------------------------------------


def test_accept_and_decline_are_recorded_on_the_trial(dbs, product_client, product_user, member,
                                                       other_member):
    trial = make_trial(dbs, created_by_id=product_user.id, segments=("mobile", "household"))
    first = make_enrollment(dbs, trial, member, status="applied")
    second = make_enrollment(dbs, trial, other_member, status="applied")
    url = f"/staff/trials/{trial.id}/enrollments"
    assert product_client.post(f"{url}/{first.id}/decision", data={"decision": "accept"}).status_code == 302
    assert product_client.post(f"{url}/{second.id}/decision", data={"decision": "decline"}).status_code == 302
    accept, decline = entries(dbs)
    assert (accept.actor_id, accept.action, accept.object_type, accept.object_id) == \
        (product_user.id, "enrollment.accept", "trial", trial.id)
    assert accept.before == {"enrollment_status": "applied"}
    assert accept.after == {"enrollment_id": first.id, "member": member.name,
                            "enrollment_status": "accepted"}
    assert decline.action == "enrollment.decline" and decline.object_id == trial.id
    assert decline.before == {"enrollment_status": "applied"}
    assert decline.after == {"enrollment_id": second.id, "member": other_member.name,
                             "enrollment_status": "declined"}


def test_refused_decisions_write_nothing(dbs, product_client, product_user, member, other_member):
    trial = make_trial(dbs, created_by_id=product_user.id, capacity=1, segments=("mobile", "household"))
    make_enrollment(dbs, trial, member, status="accepted")
    waiting = make_enrollment(dbs, trial, other_member, status="applied")
    url = f"/staff/trials/{trial.id}/enrollments/{waiting.id}/decision"
    assert product_client.post(url, data={"decision": "accept"}).status_code == 409  # full
    assert product_client.post(url, data={"decision": "maybe"}).status_code == 400
    assert product_client.post(f"/staff/trials/{trial.id}/enrollments/99999/decision",
                               data={"decision": "accept"}).status_code == 404
    assert entries(dbs) == []
    dbs.expire_all()
    assert dbs.get(Enrollment, waiting.id).status == "applied"


# --- consultations --------------------------------------------------------------------------------


def test_consultation_create_edit_publish_unpublish_are_recorded(dbs, office_client, office_user):
    assert office_client.post("/staff/consultations/new", data=consultation_data()).status_code == 302
    consultation = dbs.scalar(select(Consultation))
    cid = consultation.id
    assert office_client.post(f"/staff/consultations/{cid}/edit", data=consultation_data(
        title="Cheaper roaming")).status_code == 302
    assert office_client.post(f"/staff/consultations/{cid}/publish").status_code == 302
    assert office_client.post(f"/staff/consultations/{cid}/unpublish").status_code == 302

    create, update, publish, unpublish = entries(dbs)
    for entry in (create, update, publish, unpublish):
        assert (entry.actor_id, entry.object_type, entry.object_id) == (office_user.id, "consultation", cid)
    assert create.action == "create" and create.before is None
    assert create.after["title"] == "New roaming packages" and create.after["status"] == "draft"
    assert create.after["subject"] == "product_policy"
    assert create.after["opens_on"] == domain.shanghai_today().isoformat()
    assert update.action == "update"
    assert update.before == {"title": "New roaming packages"} and update.after == {"title": "Cheaper roaming"}
    assert (publish.action, publish.before, publish.after) == \
        ("consultation.publish", {"status": "draft"}, {"status": "published"})
    assert (unpublish.action, unpublish.before, unpublish.after) == \
        ("consultation.unpublish", {"status": "published"}, {"status": "draft"})


def test_refused_consultation_actions_write_nothing(dbs, product_client, product_user, member):
    published = make_consultation(dbs, created_by_id=product_user.id, status="published")
    make_opinion(dbs, published, member)
    draft = make_consultation(dbs, created_by_id=product_user.id, status="draft")
    assert product_client.post(f"/staff/consultations/{published.id}/publish").status_code == 302
    assert product_client.post(f"/staff/consultations/{published.id}/unpublish").status_code == 302
    assert product_client.post(f"/staff/consultations/{draft.id}/unpublish").status_code == 302
    today = domain.shanghai_today()
    assert product_client.post(f"/staff/consultations/{draft.id}/edit", data=consultation_data(
        opens_on=today.isoformat(), closes_on=(today - timedelta(days=1)).isoformat())).status_code == 422
    new = product_client.post("/staff/consultations/new", data=consultation_data(title=""))
    assert new.status_code == 422
    assert product_client.post(f"/staff/consultations/{draft.id}/publish", csrf=False).status_code == 400
    assert entries(dbs) == []


def test_member_cannot_act_and_nothing_is_written(dbs, member_client):
    consultation = make_consultation(dbs, status="draft")
    trial = make_trial(dbs, status="draft", questions=QUESTIONS)
    assert member_client.post(f"/staff/consultations/{consultation.id}/publish").status_code == 403
    assert member_client.post(f"/staff/trials/{trial.id}/status",
                              data={"status": "recruiting"}).status_code == 403
    assert entries(dbs) == []


# --- the History section ------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_trial_history_shows_changes_escaped_newest_first(dbs, product_client, product_user, payload):
    trial = make_trial(dbs, created_by_id=product_user.id, status="draft", questions=QUESTIONS,
                       title="Plain title")
    product_client.post(f"/staff/trials/{trial.id}/edit", data=trial_data(
        title=payload, enrollment_opens_on=trial.enrollment_opens_on.isoformat(),
        enrollment_closes_on=trial.enrollment_closes_on.isoformat(),
        starts_on=trial.starts_on.isoformat(), ends_on=trial.ends_on.isoformat()))
    product_client.post(f"/staff/trials/{trial.id}/status", data={"status": "recruiting", "version": "2"})
    page = product_client.get(f"/staff/trials/{trial.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert payload not in html
    history = history_html(html)
    assert "History" in history
    assert str(escape(payload)) in history and "Plain title" in history
    assert product_user.name in history
    # newest first: the status change before the edit
    assert history.index("Trial status changed") < history.index("Changed")
    assert "Draft" in history and "Recruiting" in history
    assert history.index("Draft") < history.index("Recruiting")  # before -> after


def test_trial_history_shows_readable_labels(dbs, admin_client, member):
    trial = make_trial(dbs, status="draft", questions=QUESTIONS)
    waiting = make_enrollment(dbs, trial, member, status="applied")
    admin_client.post(f"/staff/trials/{trial.id}/questions/new", data=question_data(
        kind="yesno", prompt="<b>Would you</b> buy it?"))
    admin_client.post(f"/staff/trials/{trial.id}/enrollments/{waiting.id}/decision",
                      data={"decision": "accept"})
    history = history_html(admin_client.get(f"/staff/trials/{trial.id}").get_data(as_text=True))
    for text in ("Question added", "Yes / no", "Question text", "Application accepted", "Accepted",
                 "Applied", member.name, f"#{waiting.id}"):
        assert text in history, text
    assert "<b>Would you</b>" not in history and "&lt;b&gt;Would you&lt;/b&gt;" in history


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_consultation_history_shows_changes_escaped(dbs, office_client, office_user, payload):
    consultation = make_consultation(dbs, status="draft", title="Plain title")
    office_client.post(f"/staff/consultations/{consultation.id}/edit", data=consultation_data(
        title=payload, opens_on=consultation.opens_on.isoformat(),
        closes_on=consultation.closes_on.isoformat(), subject=consultation.subject,
        body=consultation.body))
    office_client.post(f"/staff/consultations/{consultation.id}/publish")
    page = office_client.get(f"/staff/consultations/{consultation.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert payload not in html
    history = history_html(html)
    assert str(escape(payload)) in history and "Plain title" in history
    assert office_user.name in history
    assert history.index("Consultation published") < history.index("Changed")
    assert "Published" in history


def test_empty_history_says_so(dbs, product_client, product_user):
    trial = make_trial(dbs, created_by_id=product_user.id, status="draft")
    consultation = make_consultation(dbs, created_by_id=product_user.id, status="draft")
    for url in (f"/staff/trials/{trial.id}", f"/staff/consultations/{consultation.id}"):
        history = history_html(product_client.get(url).get_data(as_text=True))
        assert "No change recorded yet." in history


def test_history_of_one_object_does_not_show_anothers(dbs, product_client, product_user):
    trial = make_trial(dbs, created_by_id=product_user.id, status="draft", questions=QUESTIONS)
    other = make_trial(dbs, created_by_id=product_user.id, status="draft", questions=QUESTIONS)
    product_client.post(f"/staff/trials/{other.id}/status", data={"status": "recruiting", "version": "1"})
    history = history_html(product_client.get(f"/staff/trials/{trial.id}").get_data(as_text=True))
    assert "Trial status changed" not in history


def test_members_never_see_history(dbs, client, member):
    trial = make_trial(dbs, status="recruiting", questions=QUESTIONS)
    consultation = make_consultation(dbs, status="published")
    staff = make_user(dbs, role="admin")
    login(client, staff)
    client.post(f"/staff/consultations/{consultation.id}/edit", data=consultation_data(
        title="Staff-only change", opens_on=consultation.opens_on.isoformat(),
        closes_on=consultation.closes_on.isoformat()))
    client.post(f"/staff/trials/{trial.id}/status", data={"status": "running", "version": "1"})
    client.get("/logout")
    member_client = client.application.test_client()
    member_client.language("en")
    login(member_client, member)
    assert member_client.get(f"/staff/trials/{trial.id}").status_code == 403
    assert member_client.get(f"/staff/consultations/{consultation.id}").status_code == 403
    for url in (f"/trials/{trial.id}", f"/consultations/{consultation.id}"):
        response = member_client.get(url)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert 'data-testid="history"' not in html and "History" not in html
        assert staff.name not in html


def test_history_issues_a_fixed_number_of_queries(app, dbs, product_client, product_user):
    trial = make_trial(dbs, created_by_id=product_user.id, status="draft", questions=QUESTIONS)
    consultation = make_consultation(dbs, created_by_id=product_user.id, status="draft")
    actors = [make_user(dbs, role="product") for _ in range(3)]

    def add(n):
        for i in range(n):
            for object_type, object_id in (("trial", trial.id), ("consultation", consultation.id)):
                dbs.add(AuditEntry(actor_id=actors[i % 3].id, action="update", object_type=object_type,
                                   object_id=object_id, before={"title": f"a{i}"}, after={"title": f"b{i}"}))
        dbs.commit()

    def queries(url):
        with count_queries(app) as statements:
            assert product_client.get(url).status_code == 200
        return len(statements)

    add(3)
    few = [queries(f"/staff/trials/{trial.id}"), queries(f"/staff/consultations/{consultation.id}")]
    add(27)
    many = [queries(f"/staff/trials/{trial.id}"), queries(f"/staff/consultations/{consultation.id}")]
    assert few == many


def test_history_is_limited_to_the_newest_entries(dbs, product_client, product_user):
    trial = make_trial(dbs, created_by_id=product_user.id, status="draft")
    for i in range(55):
        dbs.add(AuditEntry(action="update", object_type="trial", object_id=trial.id,
                           before={"title": f"old-{i}-x"}, after={"title": f"new-{i}-x"}))
    dbs.commit()
    history = history_html(product_client.get(f"/staff/trials/{trial.id}").get_data(as_text=True))
    assert "new-54-x" in history and "new-5-x" in history and "new-4-x" not in history
    assert history.index("new-54-x") < history.index("new-5-x")
    assert "System" in history


# --- the admin audit page reads the new entries ----------------------------------------------------


def test_admin_audit_page_labels_trial_and_consultation_entries(dbs, client, member):
    product = make_user(dbs, role="product")
    login(client, product)
    trial = make_trial(dbs, created_by_id=product.id, status="draft", questions=QUESTIONS)
    client.post(f"/staff/trials/{trial.id}/status", data={"status": "recruiting", "version": "1"})
    client.post(f"/staff/trials/{trial.id}/questions/{question(dbs, trial, 'Comments').id}/move",
                data={"direction": "up"})
    client.post("/staff/consultations/new", data=consultation_data())
    client.get("/logout")
    admin = client.application.test_client()
    admin.language("en")
    login(admin, make_user(dbs, role="admin"))
    html = admin.get("/admin/audit").get_data(as_text=True)
    for text in ("Trial status changed", "Question moved", "Position", "Trial", "Consultation",
                 "Added", "Subject", "Product policy", "Recruiting"):
        assert text in html, text
    page = admin.get("/admin/audit?object_type=trial").get_data(as_text=True)
    assert "Trial status changed" in page and "Subject" not in page


def test_history_renders_in_chinese(dbs, product_client, product_user):
    trial = make_trial(dbs, created_by_id=product_user.id, status="draft", questions=QUESTIONS)
    consultation = make_consultation(dbs, created_by_id=product_user.id, status="draft")
    product_client.post(f"/staff/trials/{trial.id}/status", data={"status": "recruiting", "version": "1"})
    product_client.post(f"/staff/consultations/{consultation.id}/publish")
    product_client.language("zh_Hans")
    assert product_client.get(f"/staff/trials/{trial.id}").status_code == 200
    assert product_client.get(f"/staff/consultations/{consultation.id}").status_code == 200
