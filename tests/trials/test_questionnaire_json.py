"""A questionnaire as JSON (portal.questionnaire/1): exported, imported into a draft trial only
(replacing or appending), every problem named by question and field; copied from another trial
the user can reach."""
from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from portal.trials.models import Question
from tests.factories import make_rule, make_trial, make_user

SOURCE = [
    dict(kind="nps", prompt="推荐吗？", prompt_en="Recommend?"),
    dict(kind="text", prompt="哪里失望？", prompt_en="What disappointed you?", required=False),
    dict(kind="single", prompt="渠道", options=["营业厅", "网上"], options_en=["Store", "Online"],
         help_text="选一个", help_text_en="Pick one"),
]


@pytest.fixture
def source(dbs, product_user):
    trial = make_trial(dbs, created_by_id=product_user.id, status="running", questions=SOURCE)
    make_rule(dbs, trial, 1, 0, "le", [6])
    return trial


@pytest.fixture
def draft(dbs, product_user):
    return make_trial(dbs, created_by_id=product_user.id, status="draft",
                      questions=[dict(kind="yesno", prompt="已有的问题")])


def questions_of(dbs, trial):
    dbs.expire_all()
    return list(dbs.scalars(
        select(Question).where(Question.trial_id == trial.id).order_by(Question.position)))


def shape(questions):
    by_id = {q.id: i for i, q in enumerate(questions)}
    return [(q.kind, q.prompt, q.prompt_en, q.help_text, q.help_text_en, q.required, q.options,
             q.options_en or [], by_id.get(q.show_if_question_id), q.show_if_operator, q.show_if_values)
            for q in questions]


def export(client, trial):
    response = client.get(f"/staff/trials/{trial.id}/questionnaire.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    return response.get_data(as_text=True)


def do_import(client, trial, text, mode="append", upload=False):
    data = {"mode": mode}
    if upload:
        data["upload"] = (io.BytesIO(text.encode()), "questionnaire.json")
        data["document"] = ""
    else:
        data["document"] = text
    return client.post(f"/staff/trials/{trial.id}/questionnaire/import", data=data,
                       content_type="multipart/form-data")


def test_export_document(product_client, source):
    document = json.loads(export(product_client, source))
    assert document["schema"] == "portal.questionnaire/1"
    first, second, third = document["questions"]
    assert first == {"key": "q1", "kind": "nps", "prompt": "推荐吗？", "prompt_en": "Recommend?",
                     "help_text": "", "help_text_en": "", "required": True, "options": [],
                     "options_en": [], "show_if": None}
    assert second["show_if"] == {"question": "q1", "operator": "le", "values": [6]}
    assert third["options_en"] == ["Store", "Online"]


def test_round_trip_replacing(dbs, product_client, source, draft):
    text = export(product_client, source)
    response = do_import(product_client, draft, text, mode="replace", upload=True)
    assert response.status_code == 302
    page = product_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "3 questions were imported." in page
    assert shape(questions_of(dbs, draft)) == shape(questions_of(dbs, source))
    assert json.loads(export(product_client, draft)) == json.loads(text)


def test_import_appending(dbs, product_client, source, draft):
    response = do_import(product_client, draft, export(product_client, source), mode="append")
    assert response.status_code == 302
    questions = questions_of(dbs, draft)
    assert [q.prompt for q in questions] == ["已有的问题", "推荐吗？", "哪里失望？", "渠道"]
    assert questions[2].show_if_question_id == questions[1].id  # the rule follows the copy


@pytest.mark.parametrize("text, messages", [
    ('{"schema": "portal.questionnaire/1", "questions": [', ["This is not valid JSON (line 1, column"]),
    ('{"schema": "something/2", "questions": []}',
     ["The file must be an object whose “schema” is “portal.questionnaire/1”."]),
    (json.dumps({"schema": "portal.questionnaire/1", "questions": [
        {"key": "a", "kind": "stars", "prompt": "Rate"},
        {"key": "b", "kind": "single", "prompt": "", "options": ["only one"]},
        {"key": "c", "kind": "text", "prompt": "Why?",
         "show_if": {"question": "d", "operator": "le", "values": [6]}},
        {"key": "d", "kind": "nps", "prompt": "NPS"},
        {"key": "e", "kind": "text", "prompt": "Why not?",
         "show_if": {"question": "d", "operator": "ge", "values": [11]}},
    ]}), [
        "Question 1, field “kind”: must be one of rating, nps, single, multiple, yesno, text.",
        "Question 2, field “prompt”: the question text is missing.",
        "Question 2, field “options”: A choice question needs at least two options, one per line.",
        "Question 3, field “show_if”: “d” is not an earlier question of this file",
    ]),
])
def test_invalid_documents_are_refused_with_their_messages(dbs, product_client, draft, text, messages):
    response = do_import(product_client, draft, text, mode="replace")
    assert response.status_code == 422
    html = response.get_data(as_text=True).replace("&#34;", '"')
    assert "Nothing was imported. Please correct the questionnaire file." in html
    for message in messages:
        assert message in html
    assert text.replace('"', "&#34;")[:30] in response.get_data(as_text=True)  # the input is kept
    assert [q.prompt for q in questions_of(dbs, draft)] == ["已有的问题"]  # nothing changed


def test_an_unreachable_rule_in_a_document_is_named(dbs, product_client, draft):
    text = json.dumps({"schema": "portal.questionnaire/1", "questions": [
        {"key": "d", "kind": "nps", "prompt": "NPS"},
        {"key": "e", "kind": "text", "prompt": "Why not?",
         "show_if": {"question": "d", "operator": "ge", "values": [11]}},
    ]})
    response = do_import(product_client, draft, text)
    assert response.status_code == 422
    assert "Question 2, field “show_if”: No answer to question 1 can meet this condition" in \
        response.get_data(as_text=True)
    assert len(questions_of(dbs, draft)) == 1


def test_import_only_into_a_draft_trial(dbs, product_client, source):
    page = product_client.get(f"/staff/trials/{source.id}/questionnaire/import").get_data(as_text=True)
    assert "only into a draft trial" in page
    response = do_import(product_client, source, export(product_client, source))
    assert response.status_code == 409
    assert len(questions_of(dbs, source)) == 3


def test_copy_from_an_earlier_trial(dbs, product_client, product_user, source, draft):
    other_team = make_trial(dbs, created_by_id=make_user(dbs, role="product").id, title="Not mine")
    page = product_client.get(f"/staff/trials/{draft.id}/questionnaire/import").get_data(as_text=True)
    assert f'<option value="{source.id}">{source.title}</option>' in page
    assert "Not mine" not in page  # only the trials the user can reach
    response = product_client.post(f"/staff/trials/{draft.id}/questionnaire/copy",
                                   data={"source": str(other_team.id), "mode": "append"})
    assert response.status_code == 409
    assert "Choose an earlier trial with a questionnaire." in response.get_data(as_text=True)
    response = product_client.post(f"/staff/trials/{draft.id}/questionnaire/copy",
                                   data={"source": str(source.id), "mode": "replace"})
    assert response.status_code == 302
    assert shape(questions_of(dbs, draft)) == shape(questions_of(dbs, source))
    assert dbs.scalar(select(func.count()).select_from(Question).where(Question.trial_id == source.id)) == 3


def test_export_outside_scope_is_404_and_members_cannot(dbs, client, member, source):
    from tests.conftest import login

    outsider = make_user(dbs, role="product")
    login(client, outsider)
    assert client.get(f"/staff/trials/{source.id}/questionnaire.json").status_code == 404
    client.post("/logout")
    login(client, member)
    assert client.get(f"/staff/trials/{source.id}/questionnaire.json").status_code == 403
