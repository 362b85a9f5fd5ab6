"""Staff preview a questionnaire as a member (before recruiting): the member form, show-if
working, answers checked, nothing saved. Results and exports count only members who saw a
question ("n who saw it")."""
from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import func, select

from portal.trials.models import Answer, Evaluation, EvaluationVersion
from tests.factories import make_enrollment, make_rule, make_trial, make_user

QUESTIONS = [
    dict(kind="nps", prompt="推荐吗？", prompt_en="Would you recommend it?"),
    dict(kind="text", prompt="哪里失望？", prompt_en="What disappointed you?", required=True),
]


@pytest.fixture
def draft(dbs, product_user):
    trial = make_trial(dbs, created_by_id=product_user.id, status="draft", questions=QUESTIONS)
    make_rule(dbs, trial, 1, 0, "le", [6])
    return trial


def saved(dbs) -> int:
    dbs.expire_all()
    models = (Evaluation, Answer, EvaluationVersion)
    return sum(dbs.scalar(select(func.count()).select_from(m)) for m in models)


def shown(html, question) -> bool:
    tag = re.search(rf'<fieldset[^>]*id="question-{question.id}"[^>]*>', html).group(0)
    return " hidden" not in tag


def test_preview_shows_the_member_form(product_client, draft):
    response = product_client.get(f"/staff/trials/{draft.id}/preview")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Nothing you enter here is saved." in html
    assert "Would you recommend it?" in html and not shown(html, draft.questions[1])
    html = product_client.get(f"/staff/trials/{draft.id}/preview?lang=zh_Hans").get_data(as_text=True)
    assert "推荐吗？" in html and "Would you recommend it?" not in html
    detail = product_client.get(f"/staff/trials/{draft.id}").get_data(as_text=True)
    assert f'href="/staff/trials/{draft.id}/preview"' in detail


@pytest.mark.parametrize("score, follow_up_shown", [("6", True), ("7", False)])
def test_preview_update_and_submit_save_nothing(dbs, product_client, draft, score, follow_up_shown):
    nps, follow_up = (f"q-{q.id}" for q in draft.questions)
    response = product_client.post(f"/staff/trials/{draft.id}/preview", data={nps: score, "action": "update"})
    assert response.status_code == 200
    assert shown(response.get_data(as_text=True), draft.questions[1]) is follow_up_shown
    response = product_client.post(f"/staff/trials/{draft.id}/preview", data={nps: score, "action": "submit"})
    html = response.get_data(as_text=True)
    if follow_up_shown:  # required once shown
        assert response.status_code == 422
        assert "Preview: these answers would be refused. Nothing was saved." in html
        assert "Please answer this question before you submit." in html
    else:
        assert response.status_code == 200
        assert "Preview: these answers would be accepted. Nothing was saved." in html
    assert saved(dbs) == 0


def test_preview_needs_the_trial_in_scope(dbs, client, member, draft):
    from tests.conftest import login

    login(client, make_user(dbs, role="product"))
    assert client.get(f"/staff/trials/{draft.id}/preview").status_code == 404
    client.post("/logout")
    login(client, member)
    assert client.get(f"/staff/trials/{draft.id}/preview").status_code == 403


# --- results: the members who saw a question ---------------------------------------------------

def test_results_and_export_count_only_who_saw_it(dbs, client, product_user):
    from tests.conftest import login

    trial = make_trial(dbs, created_by_id=product_user.id, status="running", questions=[
        dict(kind="nps", prompt="Recommend?"), dict(kind="rating", prompt="How bad was it?", required=False)])
    make_rule(dbs, trial, 1, 0, "le", [6])
    nps, follow_up = (f"q-{q.id}" for q in trial.questions)
    for score, rating in (("3", "1"), ("5", ""), ("9", ""), ("10", "")):
        member = make_user(dbs)
        make_enrollment(dbs, trial, member)
        login(client, member)
        data = {nps: score, "action": "submit", "seen": [str(q.id) for q in trial.questions]}
        if rating:
            data[follow_up] = rating
        assert client.post(f"/trials/{trial.id}/evaluation", data=data).status_code == 302
        client.post("/logout")
    login(client, product_user)
    client.language("en")
    html = client.get(f"/staff/trials/{trial.id}/results").get_data(as_text=True)
    # Two detractors saw the follow-up; one answered it.
    assert "1 answer," in html and '<span class="stat-seen">2 who saw it</span>' in html
    assert "n who saw it" in html
    body = client.get(f"/staff/trials/{trial.id}/results.csv").get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(body)))
    column = [r[-1] for r in rows[1:]]
    assert sorted(column) == sorted(["1", "", "(not shown)", "(not shown)"])
