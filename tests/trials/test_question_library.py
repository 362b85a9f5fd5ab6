"""The library of standard questions: added in one click, in Chinese and English, the NPS with
its follow-up shown for scores up to 6; members see their language, falling back to Chinese."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.trials import question_library
from portal.trials.models import Question
from tests.conftest import login
from tests.factories import make_enrollment, make_trial


@pytest.fixture
def draft(dbs, product_user):
    return make_trial(dbs, created_by_id=product_user.id, status="draft",
                      questions=[dict(kind="yesno", prompt="已安装？")])


def questions_of(dbs, trial):
    dbs.expire_all()
    return list(dbs.scalars(
        select(Question).where(Question.trial_id == trial.id).order_by(Question.position)))


def test_builder_offers_every_standard_question(product_client, draft):
    html = product_client.get(f"/staff/trials/{draft.id}").get_data(as_text=True)
    for entry in question_library.LIBRARY:
        assert f'name="standard" value="{entry.key}"' in html
        assert entry.name_en in html
    assert "For terminals:" in html
    product_client.language("zh_Hans")
    html = product_client.get(f"/staff/trials/{draft.id}").get_data(as_text=True)
    assert "满意度 (CSAT 1-5)" in html and "Satisfaction (CSAT 1-5)" not in html


def test_nps_comes_with_its_follow_up(dbs, product_client, draft):
    response = product_client.post(f"/staff/trials/{draft.id}/questions/library", data={"standard": "nps"})
    assert response.status_code == 302
    page = product_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 standard questions were added." in page
    _first, nps, follow_up = questions_of(dbs, draft)
    assert nps.kind == "nps" and nps.prompt.startswith("您向亲友推荐")
    assert nps.prompt_en.startswith("How likely")
    assert follow_up.kind == "text" and follow_up.prompt_en == "What disappointed you?"
    assert (follow_up.show_if_question_id, follow_up.show_if_operator, follow_up.show_if_values) == \
        (nps.id, "le", ["6"])


@pytest.mark.parametrize("key, kind, count", [
    ("csat", "rating", 1), ("ces", "single", 1), ("keep", "yesno", 1), ("signal", "rating", 1),
    ("battery", "rating", 1), ("heat", "rating", 1), ("camera", "rating", 1),
])
def test_each_standard_question(dbs, product_client, draft, key, kind, count):
    assert product_client.post(f"/staff/trials/{draft.id}/questions/library",
                               data={"standard": key}).status_code == 302
    added = questions_of(dbs, draft)[1:]
    assert len(added) == count and added[0].kind == kind and added[0].prompt and added[0].prompt_en
    if key == "ces":
        assert len(added[0].options) == 7 and len(added[0].options_en) == 7


def test_unknown_standard_question_is_refused(dbs, product_client, draft):
    response = product_client.post(f"/staff/trials/{draft.id}/questions/library", data={"standard": "nope"})
    assert response.status_code == 409
    assert "Choose one of the standard questions offered." in response.get_data(as_text=True)
    assert len(questions_of(dbs, draft)) == 1


def test_closed_trial_and_members_cannot_add(dbs, client, product_user, member):
    closed = make_trial(dbs, created_by_id=product_user.id, status="closed")
    login(client, product_user)
    response = client.post(f"/staff/trials/{closed.id}/questions/library", data={"standard": "csat"})
    assert response.status_code == 409
    assert "This trial is closed: its questionnaire can no longer change." in response.get_data(as_text=True)
    client.post("/logout")
    login(client, member)
    assert client.post(f"/staff/trials/{closed.id}/questions/library",
                       data={"standard": "csat"}).status_code == 403


def test_members_see_their_language_falling_back_to_chinese(dbs, client, product_user, member):
    trial = make_trial(dbs, created_by_id=product_user.id, status="running", questions=[
        dict(kind="single", prompt="在哪里购买？", prompt_en="Where did you buy it?", help_text="选一个",
             options=["营业厅", "网上"], options_en=["Store", ""]),
        dict(kind="text", prompt="其他意见", required=False),
    ])
    make_enrollment(dbs, trial, member)
    login(client, member)
    html = client.get(f"/trials/{trial.id}/evaluation").get_data(as_text=True)
    assert "Where did you buy it?" in html and "选一个" in html  # no English help: the Chinese
    assert 'value="营业厅"' in html and "> Store</label>" in html and "> 网上</label>" in html
    assert "其他意见" in html
    client.language("zh_Hans")
    html = client.get(f"/trials/{trial.id}/evaluation").get_data(as_text=True)
    assert "在哪里购买？" in html and "Where did you buy it?" not in html and "> 营业厅</label>" in html
    # The answer stores the Chinese option whatever the language.
    question = trial.questions[0]
    client.language("en")
    assert client.post(f"/trials/{trial.id}/evaluation", data={
        f"q-{question.id}": "营业厅", "action": "submit"}).status_code == 302


def test_english_text_on_the_question_form(dbs, product_client, draft):
    response = product_client.post(f"/staff/trials/{draft.id}/questions/new", data={
        "kind": "single", "prompt": "颜色", "prompt_en": "Colour", "help_text": "",
        "help_text_en": "Pick one",
        "required": "y", "options": "红\n绿", "options_en": "Red\nGreen\nBlue"})
    assert response.status_code == 409
    assert "Give one English option per option (2), in the same order, or none." \
        in response.get_data(as_text=True)
    response = product_client.post(f"/staff/trials/{draft.id}/questions/new", data={
        "kind": "single", "prompt": "颜色", "prompt_en": "Colour", "help_text": "",
        "help_text_en": "Pick one",
        "required": "y", "options": "红\n绿", "options_en": "Red\nGreen"})
    assert response.status_code == 302
    added = questions_of(dbs, draft)[-1]
    assert (added.prompt_en, added.help_text_en, added.options_en) == ("Colour", "Pick one", ["Red", "Green"])
