"""A member fills in a trial's questionnaire: access, validation, drafts, submissions, versions."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from portal.trials.models import Answer, Enrollment, Evaluation, EvaluationVersion, Trial
from tests.conftest import XSS_PAYLOADS, login
from tests.factories import make_enrollment, make_trial

ALL_KINDS = [
    dict(kind="rating", prompt="How easy was the set-up?", help_text="1 is hardest."),
    dict(kind="nps", prompt="Would you recommend it?"),
    dict(kind="single", prompt="Where did you buy it?", options=["Store", "Online", "Hotline"]),
    dict(kind="multiple", prompt="What did you like?", options=["Speed", "Price", "Coverage"],
         required=False),
    dict(kind="yesno", prompt="Would you keep it?"),
    dict(kind="text", prompt="Anything else?", required=False),
]
CLOSED_MESSAGE = "This trial is closed: your evaluation can no longer be changed."


def q(trial: Trial, kind: str):
    """The first question of `kind`, and its form field name."""
    question = next(x for x in trial.questions if x.kind == kind)
    return question, f"q-{question.id}"


def valid_answers(trial: Trial, **override) -> dict:
    data = {
        q(trial, "rating")[1]: "4",
        q(trial, "nps")[1]: "9",
        q(trial, "single")[1]: "Online",
        q(trial, "multiple")[1]: ["Coverage", "Speed"],
        q(trial, "yesno")[1]: "yes",
        q(trial, "text")[1]: "Works well in the metro.",
    }
    for kind, value in override.items():
        data[q(trial, kind)[1]] = value
    return data


def post_answers(client, trial, data, action="submit", **kwargs):
    return client.post(f"/trials/{trial.id}/evaluation", data={**data, "action": action}, **kwargs)


def evaluation_of(dbs, trial, member) -> Evaluation | None:
    dbs.expire_all()
    return dbs.scalar(select(Evaluation).where(
        Evaluation.trial_id == trial.id, Evaluation.member_id == member.id))


def count(dbs, model) -> int:
    dbs.expire_all()
    return dbs.scalar(select(func.count()).select_from(model))


@pytest.fixture
def trial(dbs, member):
    trial = make_trial(dbs, status="running", questions=ALL_KINDS)
    make_enrollment(dbs, trial, member, status="accepted")
    return trial


# --- the page ---------------------------------------------------------------------------------

def test_questionnaire_renders_every_kind_in_order(member_client, trial):
    page = member_client.get(f"/trials/{trial.id}/evaluation")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    positions = [html.index(x["prompt"]) for x in ALL_KINDS]
    assert positions == sorted(positions)
    _, rating = q(trial, "rating")
    for n, label in enumerate(["Very poor", "Poor", "Fair", "Good", "Very good"], start=1):
        assert f'type="radio" name="{rating}" id="{rating}-{n}" value="{n}"' in html
        assert f"{n} - {label}" in html
    _, nps = q(trial, "nps")
    for n in range(11):
        assert f'name="{nps}" id="{nps}-{n}" value="{n}"' in html
    assert 'value="11"' not in html
    assert "Not at all likely" in html and "Extremely likely" in html
    _, multiple = q(trial, "multiple")
    assert html.count(f'type="checkbox" name="{multiple}"') == 3
    _, single = q(trial, "single")
    assert html.count(f'type="radio" name="{single}"') == 3
    _, yesno = q(trial, "yesno")
    assert f'name="{yesno}" id="{yesno}-yes" value="yes"' in html
    _, text = q(trial, "text")
    assert f'<textarea name="{text}" id="{text}" maxlength="2000"' in html
    assert "1 is hardest." in html
    # four required questions are marked, the two optional ones are not
    assert html.count('<span class="req"') == 4
    assert 'name="action" value="draft"' in html and 'name="action" value="submit"' in html


@pytest.mark.parametrize("status", ["applied", "declined", "withdrawn", None])
def test_member_not_accepted_gets_404(dbs, member_client, member, status):
    trial = make_trial(dbs, status="running", questions=ALL_KINDS)
    if status:
        make_enrollment(dbs, trial, member, status=status)
    assert member_client.get(f"/trials/{trial.id}/evaluation").status_code == 404
    assert post_answers(member_client, trial, valid_answers(trial)).status_code == 404
    assert count(dbs, Evaluation) == 0


def test_draft_trial_and_unknown_trial_are_404(dbs, member_client, member):
    trial = make_trial(dbs, status="draft", questions=ALL_KINDS)
    make_enrollment(dbs, trial, member, status="accepted")
    assert member_client.get(f"/trials/{trial.id}/evaluation").status_code == 404
    assert member_client.get("/trials/999999/evaluation").status_code == 404


def test_staff_cannot_use_the_member_questionnaire(product_client, trial):
    assert product_client.get(f"/trials/{trial.id}/evaluation").status_code == 403


def test_anonymous_is_sent_to_sign_in(client, trial):
    response = client.get(f"/trials/{trial.id}/evaluation")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_recruiting_trial_says_when_evaluation_opens(dbs, member_client, member):
    trial = make_trial(dbs, status="recruiting", questions=ALL_KINDS)
    make_enrollment(dbs, trial, member, status="accepted")
    html = member_client.get(f"/trials/{trial.id}/evaluation").get_data(as_text=True)
    assert "The evaluation opens when the trial starts running." in html
    assert "<textarea" not in html
    response = post_answers(member_client, trial, valid_answers(trial))
    assert response.status_code == 409
    assert "The evaluation opens when the trial starts running." in response.get_data(as_text=True)
    assert count(dbs, Evaluation) == 0


# --- submitting ---------------------------------------------------------------------------------

def test_submit_stores_answers_and_a_version(dbs, member_client, member, trial):
    response = post_answers(member_client, trial, valid_answers(trial))
    assert response.status_code == 302
    evaluation = evaluation_of(dbs, trial, member)
    assert evaluation.status == "submitted" and evaluation.version == 1
    assert evaluation.submitted_at is not None
    stored = {a.question_id: a for a in evaluation.answers}
    assert len(stored) == 6
    assert stored[q(trial, "rating")[0].id].number == 4
    assert stored[q(trial, "nps")[0].id].number == 9
    assert stored[q(trial, "single")[0].id].text == "Online"
    # kept in the questionnaire's order, whatever order they were sent in
    assert stored[q(trial, "multiple")[0].id].choices == ["Speed", "Coverage"]
    assert stored[q(trial, "yesno")[0].id].number == 1
    assert stored[q(trial, "text")[0].id].text == "Works well in the metro."
    (version,) = evaluation.versions
    assert version.version == 1
    rating_q = q(trial, "rating")[0]
    frozen = version.answers[str(rating_q.id)]
    assert frozen["prompt"] == rating_q.prompt and frozen["kind"] == "rating" and frozen["number"] == 4
    assert version.answers[str(q(trial, "multiple")[0].id)]["choices"] == ["Speed", "Coverage"]

    page = member_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "version 1 of your evaluation was submitted" in page
    assert "Version 1 submitted on" in page
    assert 'name="{}" id="{}-4" value="4" checked'.format(*[q(trial, "rating")[1]] * 2) in page


def test_no_answer_to_a_yes_no_question_is_stored_as_zero(dbs, member_client, member, trial):
    post_answers(member_client, trial, valid_answers(trial, yesno="no"))
    evaluation = evaluation_of(dbs, trial, member)
    assert {a.question_id: a.number for a in evaluation.answers}[q(trial, "yesno")[0].id] == 0


INVALID = [
    ("rating", "6", "out of range"),
    ("rating", "0", "out of range"),
    ("rating", "abc", "Please choose a whole number from 1 to 5."),
    ("rating", "3.5", "Please choose a whole number from 1 to 5."),
    ("rating", ["3", "4"], "Please give only one answer."),
    ("nps", "11", "out of range"),
    ("nps", "-1", "out of range"),
    ("nps", "99999999999999999999999", "out of range"),
    ("nps", "1e1", "Please choose a whole number from 0 to 10."),
    ("single", "Fax", "Please choose one of the options offered."),
    ("single", "online", "Please choose one of the options offered."),
    ("multiple", ["Speed", "Speed"], "Each option can be chosen only once."),
    ("multiple", ["Speed", "Teleport"], "Please choose only among the options offered."),
    ("yesno", "maybe", "Please answer yes or no."),
    ("yesno", "1", "Please answer yes or no."),
    ("text", "x" * 2001, "at most 2000 characters"),
]


@pytest.mark.parametrize("action", ["submit", "draft"])
@pytest.mark.parametrize("kind,value,message", INVALID)
def test_invalid_answers_are_refused_and_nothing_is_saved(dbs, member_client, trial, kind, value,
                                                          message, action):
    response = post_answers(member_client, trial, valid_answers(trial, **{kind: value}), action=action)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Your answers were not saved" in html
    assert message in html
    # the message sits inside the question it is about
    question, _name = q(trial, kind)
    block = html[html.index(f'id="question-{question.id}"'):]
    block = block[:block.index("</fieldset>")]
    assert message in block
    assert count(dbs, Evaluation) == 0 and count(dbs, Answer) == 0
    assert count(dbs, EvaluationVersion) == 0


def test_invalid_answer_leaves_a_submitted_evaluation_unchanged(dbs, member_client, member, trial):
    post_answers(member_client, trial, valid_answers(trial))
    response = post_answers(member_client, trial, valid_answers(trial, rating="2", nps="11"))
    assert response.status_code == 422
    evaluation = evaluation_of(dbs, trial, member)
    assert evaluation.version == 1
    assert {a.question_id: a.number for a in evaluation.answers}[q(trial, "rating")[0].id] == 4


def test_text_of_exactly_2000_characters_is_accepted(dbs, member_client, member, trial):
    response = post_answers(member_client, trial, valid_answers(trial, text="y" * 2000))
    assert response.status_code == 302
    assert len(evaluation_of(dbs, trial, member).versions) == 1


def test_required_answers_are_needed_to_submit_but_not_for_a_draft(dbs, member_client, member, trial):
    partial = {q(trial, "rating")[1]: "3", q(trial, "text")[1]: "Half done"}
    response = post_answers(member_client, trial, partial, action="submit")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    # nps, single and yes/no are required and missing; the optional multiple choice is not
    # each beside its question and in the error summary at the top
    assert html.count("Please answer this question before you submit.") == 3 * 2
    assert evaluation_of(dbs, trial, member) is None

    response = post_answers(member_client, trial, partial, action="draft")
    assert response.status_code == 302
    evaluation = evaluation_of(dbs, trial, member)
    assert evaluation.status == "draft" and evaluation.version == 0
    assert evaluation.submitted_at is None and evaluation.versions == []
    assert sorted(a.text or str(a.number) for a in evaluation.answers) == ["3", "Half done"]
    page = member_client.get(f"/trials/{trial.id}/evaluation").get_data(as_text=True)
    assert "Your draft was saved" in page
    assert "Half done</textarea>" in page


def test_answers_for_another_trials_questions_are_ignored(dbs, member_client, member, trial):
    other = make_trial(dbs, status="running", questions=ALL_KINDS)
    make_enrollment(dbs, other, member, status="accepted")
    foreign_rating, foreign_name = q(other, "rating")
    _, foreign_text = q(other, "text")
    data = {**valid_answers(trial), foreign_name: "99", foreign_text: "smuggled"}
    assert post_answers(member_client, trial, data).status_code == 302
    evaluation = evaluation_of(dbs, trial, member)
    assert {a.question_id for a in evaluation.answers} == {x.id for x in trial.questions}
    dbs.expire_all()
    assert dbs.scalar(select(func.count()).select_from(Answer).where(
        Answer.question_id.in_([x.id for x in other.questions]))) == 0
    assert "smuggled" not in str(evaluation.versions[0].answers)
    assert evaluation_of(dbs, other, member) is None


def test_missing_csrf_token_is_refused(dbs, member_client, trial):
    response = post_answers(member_client, trial, valid_answers(trial), csrf=False)
    assert response.status_code == 400
    assert count(dbs, Evaluation) == 0


def test_rejected_form_keeps_what_was_typed(member_client, trial):
    _, rating = q(trial, "rating")
    _, text = q(trial, "text")
    _, multiple = q(trial, "multiple")
    _, single = q(trial, "single")
    data = valid_answers(trial, nps="11", rating="2", text="My typed words\nover two lines",
                         multiple=["Price"], single="Hotline")
    response = post_answers(member_client, trial, data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(rf'<input type="radio" name="{rating}" id="{rating}-2" value="2" checked>', html)
    assert not re.search(rf'id="{rating}-4" value="4" checked', html)
    assert re.search(rf'name="{single}" id="{single}-3" value="Hotline" checked', html)
    assert re.search(rf'name="{multiple}" id="{multiple}-2" value="Price" checked', html)
    assert not re.search(rf'name="{multiple}" id="{multiple}-1" value="Speed" checked', html)
    assert "My typed words\nover two lines</textarea>" in html


# --- amending, drafts after submission, versions -------------------------------------------------------

def test_amending_creates_version_2_and_keeps_version_1(dbs, member_client, member, trial):
    post_answers(member_client, trial, valid_answers(trial, text="First thoughts", rating="2"))
    page = member_client.get(f"/trials/{trial.id}/evaluation").get_data(as_text=True)
    assert "First thoughts</textarea>" in page  # prefilled for amending
    assert "Submit creates version 2" in page

    assert post_answers(member_client, trial, valid_answers(
        trial, text="Second thoughts", rating="5", multiple=[])).status_code == 302
    evaluation = evaluation_of(dbs, trial, member)
    assert evaluation.version == 2 and evaluation.status == "submitted"
    first, second = evaluation.versions
    rating_id = str(q(trial, "rating")[0].id)
    text_id = str(q(trial, "text")[0].id)
    multiple_id = str(q(trial, "multiple")[0].id)
    assert (first.version, first.answers[rating_id]["number"], first.answers[text_id]["text"]) == (
        1, 2, "First thoughts")
    assert (second.version, second.answers[rating_id]["number"], second.answers[text_id]["text"]) == (
        2, 5, "Second thoughts")
    assert first.answers[multiple_id]["choices"] == ["Speed", "Coverage"]
    assert second.answers[multiple_id]["choices"] is None
    # the emptied optional answer is gone from the working copy
    assert int(multiple_id) not in {a.question_id for a in evaluation.answers}

    page = member_client.get(f"/trials/{trial.id}/evaluation").get_data(as_text=True)
    assert "Version 1 submitted on" in page and "Version 2 submitted on" in page
    old = member_client.get(f"/trials/{trial.id}/evaluation/versions/1")
    assert old.status_code == 200
    old_html = old.get_data(as_text=True)
    assert "First thoughts" in old_html and "Second thoughts" not in old_html
    assert "2 of 5" in old_html and "<textarea" not in old_html
    assert "Second thoughts" in member_client.get(
        f"/trials/{trial.id}/evaluation/versions/2").get_data(as_text=True)
    assert member_client.get(f"/trials/{trial.id}/evaluation/versions/3").status_code == 404


def test_draft_after_submission_keeps_status_and_version(dbs, member_client, member, trial):
    post_answers(member_client, trial, valid_answers(trial, text="Submitted text"))
    response = post_answers(member_client, trial, valid_answers(trial, text="Work in progress"),
                            action="draft")
    assert response.status_code == 302
    evaluation = evaluation_of(dbs, trial, member)
    assert evaluation.status == "submitted" and evaluation.version == 1
    assert len(evaluation.versions) == 1
    text_id = q(trial, "text")[0].id
    assert {a.question_id: a.text for a in evaluation.answers}[text_id] == "Work in progress"
    assert evaluation.versions[0].answers[str(text_id)]["text"] == "Submitted text"
    page = member_client.get(f"/trials/{trial.id}/evaluation").get_data(as_text=True)
    assert "Submitted version 1 stays as it was until you submit again." in page
    assert "You have saved changes that are not submitted yet." in page
    assert "Work in progress</textarea>" in page


def test_member_cannot_see_another_members_version(dbs, client, member, other_member, trial):
    make_enrollment(dbs, trial, other_member, status="accepted")
    login(client, other_member)
    post_answers(client, trial, valid_answers(trial, text="Other member's secret"))
    post_answers(client, trial, valid_answers(trial, text="Other member's second"))
    client.post("/logout")
    client._token = None
    login(client, member)
    post_answers(client, trial, valid_answers(trial, text="Mine"))
    # member has version 1 only; version 2 exists only on the other member's evaluation
    response = client.get(f"/trials/{trial.id}/evaluation/versions/2")
    assert response.status_code == 404
    mine = client.get(f"/trials/{trial.id}/evaluation/versions/1").get_data(as_text=True)
    assert "Mine" in mine and "secret" not in mine
    page = client.get(f"/trials/{trial.id}/evaluation").get_data(as_text=True)
    assert "secret" not in page and "Version 2 submitted" not in page


def test_versions_of_a_trial_the_member_is_not_accepted_in_are_404(dbs, client, member,
                                                                    other_member, trial):
    make_enrollment(dbs, trial, other_member, status="accepted")
    login(client, other_member)
    post_answers(client, trial, valid_answers(trial))
    dbs.expire_all()
    enrollment = dbs.scalar(select(Enrollment).where(Enrollment.member_id == other_member.id))
    enrollment.status = "withdrawn"
    dbs.commit()
    assert client.get(f"/trials/{trial.id}/evaluation/versions/1").status_code == 404


# --- a closed trial ----------------------------------------------------------------------------------

def close(dbs, trial):
    dbs.expire_all()
    dbs.get(Trial, trial.id).status = "closed"
    dbs.commit()


def test_closed_trial_shows_the_evaluation_read_only_and_refuses_changes(dbs, member_client, member,
                                                                        trial):
    post_answers(member_client, trial, valid_answers(trial, text="Final words"))
    close(dbs, trial)
    page = member_client.get(f"/trials/{trial.id}/evaluation")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert CLOSED_MESSAGE in html
    assert "Final words" in html and "<textarea" not in html and 'type="radio"' not in html

    for action in ("submit", "draft"):
        response = post_answers(member_client, trial, valid_answers(trial, text="Too late"), action=action)
        assert response.status_code == 409
        html = response.get_data(as_text=True)
        assert CLOSED_MESSAGE in html and "Nothing was saved." in html
    evaluation = evaluation_of(dbs, trial, member)
    assert evaluation.version == 1 and len(evaluation.versions) == 1
    assert "Too late" not in {a.text for a in evaluation.answers}


def test_closed_trial_without_an_evaluation_refuses_a_first_one(dbs, member_client, trial):
    close(dbs, trial)
    html = member_client.get(f"/trials/{trial.id}/evaluation").get_data(as_text=True)
    assert CLOSED_MESSAGE in html and "You did not evaluate this trial." in html
    assert post_answers(member_client, trial, valid_answers(trial)).status_code == 409
    assert count(dbs, Evaluation) == 0


# --- hostile text ------------------------------------------------------------------------------------

@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_script_in_free_text_is_stored_and_shown_escaped(dbs, member_client, member, trial,
                                                        admin_user, payload):
    assert post_answers(member_client, trial, valid_answers(trial, text=payload)).status_code == 302
    evaluation = evaluation_of(dbs, trial, member)
    assert payload in {a.text for a in evaluation.answers}
    pages = [
        member_client.get(f"/trials/{trial.id}/evaluation"),
        member_client.get(f"/trials/{trial.id}/evaluation/versions/1"),
    ]
    member_client.post("/logout")
    member_client._token = None
    login(member_client, admin_user)
    pages.append(member_client.get(f"/staff/evaluations/{evaluation.id}"))
    for page in pages:
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert payload not in html
        assert "<script>alert" not in html and "<img src=x" not in html and "<svg/onload" not in html
        assert "&lt;" in html


def test_script_in_questions_and_options_is_escaped(dbs, member_client, member):
    payload = XSS_PAYLOADS[0]
    trial = make_trial(dbs, status="running", questions=[
        dict(kind="single", prompt=payload, help_text=payload, options=[payload, "B"]),
        dict(kind="multiple", prompt="Pick", options=[XSS_PAYLOADS[1]], required=False),
    ])
    make_enrollment(dbs, trial, member, status="accepted")
    html = member_client.get(f"/trials/{trial.id}/evaluation").get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html
    # an option with markup is still a valid answer, stored as typed
    single = f"q-{trial.questions[0].id}"
    assert post_answers(member_client, trial, {single: payload}).status_code == 302
    evaluation = evaluation_of(dbs, trial, member)
    assert evaluation.answers[0].text == payload


def test_pages_render_in_chinese(dbs, client, member, trial):
    login(client, member)
    client.language("zh_Hans")
    post_answers(client, trial, valid_answers(trial))
    for url in (f"/trials/{trial.id}/evaluation", f"/trials/{trial.id}/evaluation/versions/1"):
        response = client.get(url)
        assert response.status_code == 200
        assert '<html lang="zh-Hans">' in response.get_data(as_text=True)


# --- the domain functions directly -------------------------------------------------------------------

def test_a_simultaneous_first_save_is_refused_cleanly(app, dbs, member, trial, monkeypatch):
    from flask import session
    from werkzeug.datastructures import MultiDict

    from portal.db import db
    from portal.trials import evaluation_services as services

    existing = Evaluation(trial_id=trial.id, member_id=member.id, status="draft", version=0)
    dbs.add(existing)
    dbs.commit()

    def as_if_not_there_yet(trial_, member_):
        # what a request sees when another one inserts the evaluation just after its check
        evaluation = Evaluation(trial_id=trial_.id, member_id=member_.id, status="draft", version=0)
        db.add(evaluation)
        evaluation.answers = []
        return evaluation

    monkeypatch.setattr(services, "_locked_working_copy", as_if_not_there_yet)
    with app.test_request_context():
        session["lang"] = "en"  # the message is matched in English; the default is Chinese
        t = services.get_trial_member_may_evaluate(db.get(type(member), member.id), trial.id)
        with pytest.raises(services.EvaluationRefused, match="another window"):
            services.submit_evaluation(t, db.get(type(member), member.id),
                                       MultiDict(valid_answers(trial)))
    assert count(dbs, Evaluation) == 1 and count(dbs, Answer) == 0
    assert count(dbs, EvaluationVersion) == 0


def test_storing_answers_of_another_questionnaire_is_refused(app, dbs, member, trial):
    from portal.trials import evaluation_services as services

    other = make_trial(dbs, status="running", questions=ALL_KINDS)
    evaluation = Evaluation(trial_id=trial.id, member_id=member.id, answers=[])
    with pytest.raises(ValueError):
        services._store_answers(evaluation, trial.questions, {other.questions[0].id: 3})
