"""The questionnaire builder: add, edit, delete, reorder questions, and the lock rules once
members have submitted evaluations."""
from __future__ import annotations

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from portal.db import utcnow
from portal.trials import services
from portal.trials.models import Answer, Evaluation, Question, Trial
from tests.conftest import XSS_PAYLOADS, login
from tests.factories import make_enrollment, make_trial, make_user

QUESTIONS = [
    dict(kind="rating", prompt="Set-up ease"),
    dict(kind="single", prompt="Where bought", options=["Store", "Online"]),
    dict(kind="text", prompt="Comments", required=False),
]


def questions_of(dbs, trial) -> list[Question]:
    dbs.expire_all()
    return list(dbs.scalars(
        select(Question).where(Question.trial_id == trial.id).order_by(Question.position)))


def by_prompt(dbs, trial, prompt) -> Question:
    return next(q for q in questions_of(dbs, trial) if q.prompt == prompt)


def submit_evaluation(dbs, trial, status="submitted", version=1):
    member = make_user(dbs)
    make_enrollment(dbs, trial, member, status="accepted")
    evaluation = Evaluation(trial_id=trial.id, member_id=member.id, status=status, version=version,
                            submitted_at=utcnow() if version else None)
    dbs.add(evaluation)
    dbs.commit()
    return evaluation


def field_block(html: str, name: str) -> str:
    """The part of a form page that shows field `name` and its errors."""
    start = html.index(f'id="field-{name}"')
    end = html.find('<div class="field', start + 1)
    return html[start:end if end > 0 else len(html)]


def question_data(**override):
    data = {"kind": "rating", "prompt": "How fast was it?", "help_text": "", "required": "y", "options": "",
            "version": "1"}
    data.update(override)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def trial(dbs, product_user):
    return make_trial(dbs, created_by_id=product_user.id, status="draft", questions=QUESTIONS)


@pytest.fixture
def locked_trial(dbs, product_user):
    trial = make_trial(dbs, created_by_id=product_user.id, status="running", questions=QUESTIONS)
    submit_evaluation(dbs, trial)
    return trial


def edit(client, trial, question, **override):
    data = {"kind": question.kind, "prompt": question.prompt, "help_text": question.help_text,
            "required": "y" if question.required else "", "options": "\n".join(question.options),
            "version": str(question.version)}
    data.update(override)
    return client.post(f"/staff/trials/{trial.id}/questions/{question.id}/edit", data=data)


# -- building ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["rating", "nps", "yesno", "text"])
def test_add_question_without_options(dbs, product_client, trial, kind):
    assert product_client.get(f"/staff/trials/{trial.id}/questions/new").status_code == 200
    response = product_client.post(f"/staff/trials/{trial.id}/questions/new", data=question_data(
        kind=kind, prompt="New one", help_text="Some help", options="ignored\nignored"))
    assert response.status_code == 302
    q = by_prompt(dbs, trial, "New one")
    assert q.kind == kind and q.options == [] and q.required is True and q.help_text == "Some help"
    assert q.position == 3


@pytest.mark.parametrize("kind", ["single", "multiple"])
def test_add_choice_question(dbs, product_client, trial, kind):
    response = product_client.post(f"/staff/trials/{trial.id}/questions/new", data=question_data(
        kind=kind, prompt="Pick", required="", options="  Red \r\nGreen\r\nBlue\r\n\r\n"))
    assert response.status_code == 302
    q = by_prompt(dbs, trial, "Pick")
    assert q.options == ["Red", "Green", "Blue"] and q.required is False
    html = product_client.get(f"/staff/trials/{trial.id}").get_data(as_text=True)
    assert "<li>Green</li>" in html


@pytest.mark.parametrize("options, message", [
    ("Only one", "A choice question needs at least two options, one per line."),
    ("", "A choice question needs at least two options, one per line."),
    ("Red\nRed", "Each option may appear only once."),
    ("Red\n\nGreen", "Options cannot be blank: remove the empty lines."),
    ("Red\n   \nGreen", "Options cannot be blank: remove the empty lines."),
])
def test_bad_options_are_422_with_input_kept(dbs, product_client, trial, options, message):
    response = product_client.post(f"/staff/trials/{trial.id}/questions/new", data=question_data(
        kind="multiple", prompt="Kept prompt", help_text="Kept help", options=options))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html and 'value="Kept prompt"' in html and 'value="Kept help"' in html
    assert escape(options) in html
    assert len(questions_of(dbs, trial)) == 3


@pytest.mark.parametrize("override", [dict(prompt=""), dict(kind="essay"), dict(prompt="x" * 501)])
def test_bad_question_is_422(dbs, product_client, trial, override):
    response = product_client.post(f"/staff/trials/{trial.id}/questions/new",
                                   data=question_data(help_text="Kept help", **override))
    assert response.status_code == 422 and 'value="Kept help"' in response.get_data(as_text=True)
    assert len(questions_of(dbs, trial)) == 3


def test_edit_question(dbs, product_client, trial):
    q = by_prompt(dbs, trial, "Where bought")
    page = product_client.get(f"/staff/trials/{trial.id}/questions/{q.id}/edit").get_data(as_text=True)
    assert 'value="Where bought"' in page and "Store\nOnline" in page
    response = edit(product_client, trial, q, kind="multiple", prompt="Where?", options="Shop\nWeb\nPhone")
    assert response.status_code == 302
    q = by_prompt(dbs, trial, "Where?")
    assert q.kind == "multiple" and q.options == ["Shop", "Web", "Phone"]


def test_changing_a_question_drops_draft_answers_that_no_longer_fit(dbs, product_client, trial):
    q = by_prompt(dbs, trial, "Where bought")
    evaluation = submit_evaluation(dbs, trial, status="draft", version=0)
    dbs.add(Answer(evaluation_id=evaluation.id, question_id=q.id, text="Store"))
    dbs.commit()
    assert edit(product_client, trial, q, options="Shop\nWeb").status_code == 302
    assert dbs.scalar(select(func.count(Answer.id))) == 0


def test_delete_question_with_draft_answers(dbs, product_client, trial):
    q = by_prompt(dbs, trial, "Set-up ease")
    evaluation = submit_evaluation(dbs, trial, status="draft", version=0)
    dbs.add(Answer(evaluation_id=evaluation.id, question_id=q.id, number=4))
    dbs.commit()
    response = product_client.post(f"/staff/trials/{trial.id}/questions/{q.id}/delete")
    assert response.status_code == 302
    remaining = questions_of(dbs, trial)
    assert [x.prompt for x in remaining] == ["Where bought", "Comments"]
    assert [x.position for x in remaining] == [0, 1]


def test_move_questions(dbs, product_client, trial):
    q = by_prompt(dbs, trial, "Comments")
    assert product_client.post(f"/staff/trials/{trial.id}/questions/{q.id}/move",
                               data={"direction": "up"}).status_code == 302
    assert [x.prompt for x in questions_of(dbs, trial)] == ["Set-up ease", "Comments", "Where bought"]
    first = by_prompt(dbs, trial, "Set-up ease")
    product_client.post(f"/staff/trials/{trial.id}/questions/{first.id}/move", data={"direction": "down"})
    assert [x.prompt for x in questions_of(dbs, trial)] == ["Comments", "Set-up ease", "Where bought"]
    # Moving the first one up is a no-op; a made-up direction is a bad request.
    top = by_prompt(dbs, trial, "Comments")
    product_client.post(f"/staff/trials/{trial.id}/questions/{top.id}/move", data={"direction": "up"})
    assert [x.prompt for x in questions_of(dbs, trial)] == ["Comments", "Set-up ease", "Where bought"]
    assert product_client.post(f"/staff/trials/{trial.id}/questions/{top.id}/move",
                               data={"direction": "sideways"}).status_code == 400


def test_question_of_another_trial_is_404(dbs, product_client, trial, product_user):
    other = make_trial(dbs, created_by_id=product_user.id, status="draft")
    foreign = other.questions[0]
    assert product_client.get(f"/staff/trials/{trial.id}/questions/{foreign.id}/edit").status_code == 404
    assert product_client.post(f"/staff/trials/{trial.id}/questions/{foreign.id}/delete").status_code == 404
    assert len(questions_of(dbs, other)) == 3


def test_office_and_members_cannot_build(dbs, client, trial, office_user, member):
    q = trial.questions[0]
    for user in (office_user, member):
        login(client, user)
        assert client.post(f"/staff/trials/{trial.id}/questions/new", data=question_data()).status_code == 403
        assert client.post(f"/staff/trials/{trial.id}/questions/{q.id}/delete").status_code == 403
        assert client.post(f"/staff/trials/{trial.id}/questions/{q.id}/move",
                           data={"direction": "down"}).status_code == 403
        client.post("/logout")
    assert len(questions_of(dbs, trial)) == 3


def test_missing_csrf_is_400(dbs, product_client, trial):
    q = trial.questions[0]
    assert product_client.post(f"/staff/trials/{trial.id}/questions/new", data=question_data(),
                               csrf=False).status_code == 400
    assert product_client.post(f"/staff/trials/{trial.id}/questions/{q.id}/delete",
                               csrf=False).status_code == 400
    assert len(questions_of(dbs, trial)) == 3


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_script_in_prompt_help_and_options_is_escaped(dbs, client, trial, product_user, member, payload):
    login(client, product_user)
    response = client.post(f"/staff/trials/{trial.id}/questions/new", data=question_data(
        kind="single", prompt=f"P {payload}", help_text=f"H {payload}", options=f"O {payload}\nPlain"))
    assert response.status_code == 302
    html = client.get(f"/staff/trials/{trial.id}").get_data(as_text=True)
    assert payload not in html and str(escape(f"P {payload}")) in html
    assert str(escape(f"O {payload}")) in html
    edit_page = client.get(
        f"/staff/trials/{trial.id}/questions/{by_prompt(dbs, trial, f'P {payload}').id}/edit")
    assert payload not in edit_page.get_data(as_text=True)
    # The member's questionnaire shows them escaped too.
    client.post("/logout")
    dbs.get(Trial, trial.id).status = "running"
    dbs.commit()
    make_enrollment(dbs, trial, member, status="accepted")
    login(client, member)
    html = client.get(f"/trials/{trial.id}/evaluation").get_data(as_text=True)
    assert payload not in html and str(escape(f"H {payload}")) in html


# -- lock rules --------------------------------------------------------------------------------


LOCKED = "Members have already submitted evaluations of this trial"


def test_lock_refuses_delete(dbs, product_client, locked_trial):
    q = by_prompt(dbs, locked_trial, "Comments")
    response = product_client.post(f"/staff/trials/{locked_trial.id}/questions/{q.id}/delete")
    assert response.status_code == 409
    assert "so its questions cannot be deleted" in response.get_data(as_text=True)
    assert len(questions_of(dbs, locked_trial)) == 3


def test_lock_counts_a_submitted_status_without_version(dbs, product_client, product_user):
    trial = make_trial(dbs, created_by_id=product_user.id, status="running", questions=QUESTIONS)
    submit_evaluation(dbs, trial, status="submitted", version=0)
    q = by_prompt(dbs, trial, "Comments")
    assert product_client.post(f"/staff/trials/{trial.id}/questions/{q.id}/delete").status_code == 409


def test_a_draft_evaluation_does_not_lock(dbs, product_client, product_user):
    trial = make_trial(dbs, created_by_id=product_user.id, status="running", questions=QUESTIONS)
    submit_evaluation(dbs, trial, status="draft", version=0)
    q = by_prompt(dbs, trial, "Comments")
    assert product_client.post(f"/staff/trials/{trial.id}/questions/{q.id}/delete").status_code == 302


def test_lock_refuses_kind_change(dbs, product_client, locked_trial):
    q = by_prompt(dbs, locked_trial, "Set-up ease")
    response = edit(product_client, locked_trial, q, kind="nps")
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "so the kind of a question cannot change" in field_block(html, "kind")  # beside its field
    assert '<a href="#kind">Question type: ' in html  # and in the error summary, linked to it
    assert 'value="Set-up ease"' in html and '<option selected value="nps">' in html  # input kept
    assert by_prompt(dbs, locked_trial, "Set-up ease").kind == "rating"


@pytest.mark.parametrize("options", ["Store", "Store\nWeb", "Shop\nOnline"])
def test_lock_refuses_removing_or_renaming_options(dbs, product_client, locked_trial, options):
    q = by_prompt(dbs, locked_trial, "Where bought")
    response = edit(product_client, locked_trial, q, options=options)
    if options == "Store":
        assert response.status_code == 422  # fewer than two options anyway
    else:
        assert response.status_code == 409
        assert "existing options cannot be removed or renamed" in response.get_data(as_text=True)
    assert by_prompt(dbs, locked_trial, "Where bought").options == ["Store", "Online"]


def test_lock_refuses_optional_becoming_required(dbs, product_client, locked_trial):
    q = by_prompt(dbs, locked_trial, "Comments")
    response = edit(product_client, locked_trial, q, required="y")
    assert response.status_code == 409
    assert "so an optional question cannot become required" in response.get_data(as_text=True)
    assert by_prompt(dbs, locked_trial, "Comments").required is False


def test_lock_refuses_new_required_question(dbs, product_client, locked_trial):
    response = product_client.post(f"/staff/trials/{locked_trial.id}/questions/new",
                                   data=question_data(prompt="Late addition", required="y"))
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "so a new question must be optional" in html and 'value="Late addition"' in html
    assert len(questions_of(dbs, locked_trial)) == 3


def test_lock_allows_safe_changes(dbs, product_client, locked_trial):
    # Wording, help text, and a required question becoming optional.
    q = by_prompt(dbs, locked_trial, "Set-up ease")
    assert edit(product_client, locked_trial, q, prompt="Ease of set-up", help_text="1 is hardest",
                required="").status_code == 302
    q = by_prompt(dbs, locked_trial, "Ease of set-up")
    assert q.help_text == "1 is hardest" and q.required is False
    # Adding options to a choice question (existing ones kept, even if reordered).
    choice = by_prompt(dbs, locked_trial, "Where bought")
    assert edit(product_client, locked_trial, choice, options="Online\nStore\nHotline").status_code == 302
    assert by_prompt(dbs, locked_trial, "Where bought").options == ["Online", "Store", "Hotline"]
    # An optional new question.
    assert product_client.post(f"/staff/trials/{locked_trial.id}/questions/new",
                               data=question_data(prompt="Optional extra", required="")).status_code == 302
    # Reordering.
    extra = by_prompt(dbs, locked_trial, "Optional extra")
    assert product_client.post(f"/staff/trials/{locked_trial.id}/questions/{extra.id}/move",
                               data={"direction": "up"}).status_code == 302
    assert [x.prompt for x in questions_of(dbs, locked_trial)][-2:] == ["Optional extra", "Comments"]
    html = product_client.get(f"/staff/trials/{locked_trial.id}").get_data(as_text=True)
    assert "questions cannot be deleted, change type or become required" in html


def test_closed_trial_questionnaire_cannot_change(dbs, product_client, product_user):
    trial = make_trial(dbs, created_by_id=product_user.id, status="closed", questions=QUESTIONS)
    q = by_prompt(dbs, trial, "Where bought")
    closed = "This trial is closed: its questionnaire can no longer change."
    responses = [
        product_client.post(f"/staff/trials/{trial.id}/questions/new", data=question_data(required="")),
        edit(product_client, trial, q, prompt="Renamed"),
        product_client.post(f"/staff/trials/{trial.id}/questions/{q.id}/delete"),
        product_client.post(f"/staff/trials/{trial.id}/questions/{q.id}/move", data={"direction": "up"}),
    ]
    for response in responses:
        assert response.status_code == 409 and closed in response.get_data(as_text=True)
    assert [x.prompt for x in questions_of(dbs, trial)] == ["Set-up ease", "Where bought", "Comments"]


def test_lock_rules_as_plain_functions(app, dbs):
    trial = make_trial(dbs, status="running", questions=QUESTIONS)
    q = trial.questions[1]
    with app.test_request_context():
        services.check_question_change(q, "single", True, ["Store", "Online", "New"], locked=True)
        services.check_new_question(trial, required=False, locked=True)
        with pytest.raises(services.TrialRefused):
            services.check_new_question(trial, required=True, locked=True)
        with pytest.raises(services.TrialRefused):
            services.check_question_change(q, "multiple", True, ["Store", "Online"], locked=True)
        with pytest.raises(services.TrialRefused):
            services.check_delete(q, locked=True)
        services.check_delete(q, locked=False)
        assert services.options_errors("text", []) is None
        assert services.parse_options(" a \n b \n") == ["a", "b"]
