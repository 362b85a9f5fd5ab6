"""Show-if rules: the member form shows a follow-up only when an earlier answer meets its
condition (with a script, and without one through "Update the questions"); hidden answers are
neither required nor stored; the builder refuses rules that point forward, at themselves, at a
kind that cannot be compared, or that can never be met, and moves that would break a rule."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from portal.trials.models import Answer, Evaluation, EvaluationVersion, Question
from tests.factories import make_enrollment, make_rule, make_trial

FOLLOW_UP = "What disappointed you?"
QUESTIONS = [
    dict(kind="nps", prompt="Would you recommend it?"),
    dict(kind="text", prompt=FOLLOW_UP, required=True),
    dict(kind="yesno", prompt="Would you keep it?"),
]


@pytest.fixture
def trial(dbs, member):
    trial = make_trial(dbs, status="running", questions=QUESTIONS)
    make_rule(dbs, trial, 1, 0, "le", [6])
    make_enrollment(dbs, trial, member, status="accepted")
    return trial


def names(trial):
    nps, follow_up, keep = trial.questions
    return f"q-{nps.id}", f"q-{follow_up.id}", f"q-{keep.id}"


def fieldset(html: str, question: Question) -> str:
    match = re.search(rf'<fieldset[^>]*id="question-{question.id}"[^>]*>', html)
    assert match, f"question {question.id} is not in the page"
    return match.group(0)


def is_shown(html: str, question: Question) -> bool:
    return " hidden" not in fieldset(html, question)


def post(client, trial, data, action):
    return client.post(f"/trials/{trial.id}/evaluation", data={**data, "action": action})


# --- without a script: "Update the questions" -------------------------------------------------

def test_follow_up_hidden_until_an_answer_shows_it(member_client, trial):
    html = member_client.get(f"/trials/{trial.id}/evaluation").get_data(as_text=True)
    assert not is_shown(html, trial.questions[1])
    assert is_shown(html, trial.questions[0]) and is_shown(html, trial.questions[2])
    assert 'value="update"' in html and "Update the questions" in html


@pytest.mark.parametrize("score, shown", [("6", True), ("7", False), ("0", True), ("10", False)])
def test_update_shows_the_follow_up_for_6_not_7_keeping_the_input(dbs, member_client, trial, score, shown):
    nps, follow_up, keep = names(trial)
    response = post(member_client, trial, {nps: score, keep: "yes", follow_up: "typed before"}, "update")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert is_shown(html, trial.questions[1]) is shown
    assert f'name="{nps}" id="{nps}-{score}" value="{score}" checked' in html
    assert 'value="yes" checked' in html and "typed before" in html  # nothing typed is lost
    assert dbs.scalar(select(Evaluation)) is None  # Update saves nothing


def test_a_submit_that_makes_a_question_appear_stops_once(dbs, member_client, trial):
    nps, follow_up, keep = names(trial)
    # The form was shown without the follow-up (no "seen" for it): a 5 makes it relevant.
    response = member_client.post(f"/trials/{trial.id}/evaluation", data={
        nps: "5", keep: "no", "seen": [str(trial.questions[0].id), str(trial.questions[2].id)],
        "action": "submit"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "More questions apply after your answers" in html
    assert is_shown(html, trial.questions[1])
    assert dbs.scalar(select(Evaluation)) is None
    # Seen now and required: it must be answered.
    seen = [str(q.id) for q in trial.questions]
    response = member_client.post(f"/trials/{trial.id}/evaluation", data={
        nps: "5", keep: "no", "seen": seen, "action": "submit"})
    assert response.status_code == 422
    assert "Please answer this question before you submit." in response.get_data(as_text=True)
    response = member_client.post(f"/trials/{trial.id}/evaluation", data={
        nps: "5", keep: "no", follow_up: "Too slow", "seen": seen, "action": "submit"})
    assert response.status_code == 302


def test_chinese_page(member_client, trial):
    member_client.language("zh_Hans")
    html = member_client.get(f"/trials/{trial.id}/evaluation").get_data(as_text=True)
    assert 'value="update"' in html


# --- hidden questions: neither required nor stored ---------------------------------------------

def test_hidden_follow_up_is_not_required_and_not_stored(dbs, member_client, trial):
    nps, follow_up, keep = names(trial)
    response = post(member_client, trial, {nps: "9", keep: "yes", follow_up: "left over from a 3"}, "submit")
    assert response.status_code == 302
    dbs.expire_all()
    answers = {a.question_id: a for a in dbs.scalars(select(Answer))}
    assert trial.questions[1].id not in answers  # dropped on save
    assert answers[trial.questions[0].id].number == 9
    frozen = dbs.scalar(select(EvaluationVersion)).answers
    assert str(trial.questions[1].id) not in frozen  # the version leaves out what was not seen


def test_draft_drops_an_answer_that_became_hidden(dbs, member_client, trial):
    nps, follow_up, keep = names(trial)
    assert post(member_client, trial, {nps: "3", follow_up: "Slow"}, "draft").status_code == 302
    dbs.expire_all()
    assert {a.question_id for a in dbs.scalars(select(Answer))} == {q.id for q in trial.questions[:2]}
    assert post(member_client, trial, {nps: "8", follow_up: "Slow"}, "draft").status_code == 302
    dbs.expire_all()
    assert {a.question_id for a in dbs.scalars(select(Answer))} == {trial.questions[0].id}


def test_invalid_answer_to_a_hidden_question_is_ignored(member_client, trial):
    nps, _follow_up, keep = names(trial)
    extra = {f"q-{trial.questions[1].id}": "x" * 5000}  # too long, but hidden (NPS 10)
    assert post(member_client, trial, {nps: "10", keep: "yes", **extra}, "submit").status_code == 302


def test_rules_on_choices(dbs, member):
    from portal.trials import questionnaire

    trial = make_trial(dbs, status="running", questions=[
        dict(kind="single", prompt="Where", options=["店", "网上", "热线"]),
        dict(kind="text", prompt="Which store?", required=False),
        dict(kind="text", prompt="Why not online?", required=False),
        dict(kind="yesno", prompt="Keep?"),
        dict(kind="text", prompt="Why not?", required=False),
    ])
    make_rule(dbs, trial, 1, 0, "eq", ["店"])
    make_rule(dbs, trial, 2, 0, "in", ["店", "热线"])
    make_rule(dbs, trial, 4, 3, "ne", ["yes"])
    a, b, c, d, e = (q.id for q in trial.questions)
    assert questionnaire.visible_ids(trial.questions, {a: "店", d: "no"}) == {a, b, c, d, e}
    assert questionnaire.visible_ids(trial.questions, {a: "热线", d: "yes"}) == {a, c, d}
    assert questionnaire.visible_ids(trial.questions, {}) == {a, d}  # unanswered meets nothing


def test_a_question_behind_a_hidden_one_is_hidden(dbs):
    from portal.trials import questionnaire

    trial = make_trial(dbs, status="running", questions=[
        dict(kind="nps", prompt="NPS"), dict(kind="rating", prompt="Rate the problem"),
        dict(kind="text", prompt="Tell us more")])
    make_rule(dbs, trial, 1, 0, "le", [6])
    make_rule(dbs, trial, 2, 1, "le", [2])
    a, b, c = (q.id for q in trial.questions)
    assert questionnaire.visible_ids(trial.questions, {a: 3, b: 1}) == {a, b, c}
    assert questionnaire.visible_ids(trial.questions, {a: 9, b: 1}) == {a}


# --- with the script ---------------------------------------------------------------------------

def test_page_carries_the_rule_for_the_script_and_no_inline_script(member_client, trial):
    response = member_client.get(f"/trials/{trial.id}/evaluation")
    html = response.get_data(as_text=True)
    tag = fieldset(html, trial.questions[1])
    assert f'data-show-if-source="{trial.questions[0].id}"' in tag
    assert 'data-show-if-kind="nps"' in tag and 'data-show-if-operator="le"' in tag
    assert "data-show-if-values='[\"6\"]'" in tag
    assert re.search(r'<script src="/static/show_if\.[0-9a-f]+\.js" defer></script>', html)
    assert "<script>" not in html  # the CSP allows no inline script
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


DOM_STUB = r"""
// A minimal DOM for show_if.js: fieldsets with attributes, radios, "seen" inputs, buttons.
function box(id, attrs) {
  return { id: id, attrs: attrs, hidden: false, checked: null,
    seen: { disabled: false },
    getAttribute: function (name) { return name === "data-question" ? id : (this.attrs[name] || null); },
    querySelector: function (sel) {
      if (sel.indexOf(":checked") !== -1) { return this.checked === null ? null : { value: this.checked }; }
      return this.seen;
    } };
}
var boxes = JSON.parse(process.argv[2]).map(function (b) { return box(b.id, b.attrs); });
var listeners = [];
var removed = 0;
var form = {
  querySelectorAll: function (sel) {
    if (sel === "[data-show-if-update]") {
      return [{ parentNode: { removeChild: function () { removed++; } } }];
    }
    return boxes;
  },
  querySelector: function (sel) {
    var id = /data-question="([^"]+)"/.exec(sel)[1];
    return boxes.filter(function (b) { return b.id === id; })[0] || null;
  },
  addEventListener: function (type, fn) { listeners.push(fn); }
};
global.document = { querySelector: function () { return form; } };
require(process.argv[3]);
var out = [];
JSON.parse(process.argv[4]).forEach(function (answer) {
  boxes[0].checked = answer;
  listeners.forEach(function (fn) { fn(); });
  out.push(boxes.map(function (b) { return !b.hidden && !b.seen.disabled; }));
});
console.log(JSON.stringify({ shown: out, removed: removed }));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run the script")
def test_script_shows_the_follow_up_for_6_not_7(member_client, trial, tmp_path):
    html = member_client.get(f"/trials/{trial.id}/evaluation").get_data(as_text=True)
    attrs = []
    for q in trial.questions:
        tag = fieldset(html, q)
        found = dict(re.findall(r"""(data-show-if-[a-z]+)=(?:"([^"]*)"|'[^']*')""", tag))
        values = re.search(r"data-show-if-values='([^']*)'", tag)
        if values:
            found["data-show-if-values"] = values.group(1).replace("&#34;", '"')
        attrs.append({"id": str(q.id), "attrs": found})
    stub = tmp_path / "stub.js"
    stub.write_text(DOM_STUB)
    script = Path(__file__).parents[2] / "portal" / "static" / "show_if.js"
    result = subprocess.run(
        ["node", str(stub), json.dumps(attrs), str(script), json.dumps(["6", "7", None, "0"])],
        capture_output=True, text=True, timeout=30, check=True)
    shown = json.loads(result.stdout)
    assert [row[1] for row in shown["shown"]] == [True, False, False, True]
    assert all(row[0] and row[2] for row in shown["shown"])
    assert shown["removed"] == 1  # the "Update" buttons go: the questions follow live


# --- the builder ---------------------------------------------------------------------------------

BUILDER = [
    dict(kind="nps", prompt="Recommend?"),
    dict(kind="text", prompt="Comments", required=False),
    dict(kind="yesno", prompt="Keep it?"),
    dict(kind="rating", prompt="Signal"),
]


@pytest.fixture
def draft(dbs, product_user):
    return make_trial(dbs, created_by_id=product_user.id, status="draft", questions=BUILDER)


def rule_form(question, **override):
    data = {"kind": question.kind, "prompt": question.prompt, "help_text": "", "required": "y",
            "options": "", "version": str(question.version), "show_if_question": "",
            "show_if_operator": "", "show_if_number": "", "prompt_en": "", "help_text_en": "",
            "options_en": ""}
    data.update(override)
    return data


def edit(client, trial, question, **override):
    return client.post(f"/staff/trials/{trial.id}/questions/{question.id}/edit",
                       data=rule_form(question, **override))


def reload(dbs, question):
    dbs.expire_all()
    return dbs.get(Question, question.id)


def test_builder_saves_a_rule_and_describes_it(dbs, product_client, draft):
    nps, comments, keep, signal = draft.questions
    page = product_client.get(f"/staff/trials/{draft.id}/questions/{signal.id}/edit").get_data(as_text=True)
    assert "Show this question only if the answer to" in page
    assert f'<option value="{nps.id}">1. Recommend?</option>' in page
    assert f'value="{comments.id}"' not in page  # free text cannot be compared: not offered
    response = edit(product_client, draft, comments, required="", show_if_question=str(nps.id),
                    show_if_operator="le", show_if_number="6")
    assert response.status_code == 302
    saved = reload(dbs, comments)
    assert (saved.show_if_question_id, saved.show_if_operator, saved.show_if_values) == (nps.id, "le", ["6"])
    html = product_client.get(f"/staff/trials/{draft.id}").get_data(as_text=True)
    assert "Shown if question 1 is at most (≤) 6" in html
    # The edit form shows the rule as stored.
    page = product_client.get(f"/staff/trials/{draft.id}/questions/{comments.id}/edit").get_data(as_text=True)
    assert f'<option selected value="{nps.id}">' in page and 'value="6"' in page
    # A yes / no condition.
    response = edit(product_client, draft, signal, show_if_question=str(keep.id), show_if_operator="eq",
                    show_if_choices=[f"{keep.id}:no"])
    assert response.status_code == 302
    assert reload(dbs, signal).show_if_values == ["no"]


@pytest.mark.parametrize("target, override, message", [
    (0, dict(show_if_question="{3}", show_if_operator="le", show_if_number="3"),
     "A question can only depend on an earlier question: question 4 comes after this one."),
    (0, dict(show_if_question="{0}", show_if_operator="le", show_if_number="3"),
     "A question cannot be shown depending on its own answer."),
    (2, dict(show_if_question="{1}", show_if_operator="eq", show_if_number="3"),
     "Only a single choice, yes / no, rating or NPS question can be compared: question 2 is of type "
     "Free text."),
    (3, dict(show_if_question="{0}", show_if_operator="ge", show_if_number="11"),
     "No answer to question 1 can meet this condition, so this required question could never be shown. "
     "Choose a value from 0 to 10."),
    (3, dict(show_if_question="{0}", show_if_operator="in", show_if_number="3"),
     "This comparison does not fit a question of type NPS 0-10."),
    (3, dict(show_if_question="{2}", show_if_operator="eq"),
     "Tick the answer of question 3 to compare with."),
])
def test_builder_refuses_bad_rules(dbs, product_client, draft, target, override, message):
    question = draft.questions[target]
    ids = [str(q.id) for q in draft.questions]
    override = {k: v.format(*ids) for k, v in override.items()}
    response = edit(product_client, draft, question, **override)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert message in html.replace("&#39;", "'")
    if "show_if_number" in override:  # the input is kept
        assert 'value="{}"'.format(override["show_if_number"]) in html
    assert reload(dbs, question).show_if_question_id is None


def test_builder_refusal_in_chinese_keeps_the_input(dbs, product_client, draft):
    product_client.language("zh_Hans")
    nps = draft.questions[0]
    response = edit(product_client, draft, nps, prompt="推荐吗？", show_if_question=str(nps.id),
                    show_if_operator="le", show_if_number="3")
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert 'value="推荐吗？"' in html and 'value="3"' in html
    assert reload(dbs, nps).prompt == "Recommend?"


def test_new_question_with_a_rule(dbs, product_client, draft):
    nps = draft.questions[0]
    response = product_client.post(f"/staff/trials/{draft.id}/questions/new", data={
        "kind": "text", "prompt": "What disappointed you?", "required": "", "options": "",
        "show_if_question": str(nps.id), "show_if_operator": "le", "show_if_number": "6"})
    assert response.status_code == 302
    dbs.expire_all()
    added = dbs.scalar(select(Question).where(Question.prompt == "What disappointed you?"))
    assert added.show_if_question_id == nps.id and added.position == 4


def test_moves_and_deletes_that_would_break_a_rule_are_refused(dbs, product_client, draft):
    nps, comments, keep, signal = draft.questions
    make_rule(dbs, draft, 1, 0, "le", [6])
    response = product_client.post(f"/staff/trials/{draft.id}/questions/{comments.id}/move",
                                   data={"direction": "up"})
    assert response.status_code == 409
    assert "This move is refused: question “Comments” is shown depending on an earlier question" \
        in response.get_data(as_text=True)
    response = product_client.post(f"/staff/trials/{draft.id}/questions/{nps.id}/move",
                                   data={"direction": "down"})
    assert response.status_code == 409
    dbs.expire_all()
    assert [q.prompt for q in dbs.scalars(select(Question).where(Question.trial_id == draft.id)
                                          .order_by(Question.position))][:2] == ["Recommend?", "Comments"]
    # Moving other questions is fine.
    assert product_client.post(f"/staff/trials/{draft.id}/questions/{signal.id}/move",
                               data={"direction": "up"}).status_code == 302
    response = product_client.post(f"/staff/trials/{draft.id}/questions/{nps.id}/delete")
    assert response.status_code == 409
    assert "Question 2 is shown depending on this question&#39;s answer" in response.get_data(as_text=True)
    response = edit(product_client, draft, reload(dbs, nps), kind="rating")
    assert response.status_code == 409
    assert "so its type cannot change" in response.get_data(as_text=True)


def test_rules_do_not_change_once_locked(dbs, product_client, product_user, member):
    trial = make_trial(dbs, created_by_id=product_user.id, status="running", questions=BUILDER)
    make_enrollment(dbs, trial, member)
    dbs.add(Evaluation(trial_id=trial.id, member_id=member.id, status="submitted", version=1))
    dbs.commit()
    comments = trial.questions[1]
    response = edit(product_client, trial, comments, required="", show_if_question=str(trial.questions[0].id),
                    show_if_operator="le", show_if_number="6")
    assert response.status_code == 409
    assert "so the show-if rule of a question cannot change" in response.get_data(as_text=True)
