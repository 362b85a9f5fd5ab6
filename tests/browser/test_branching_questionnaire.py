"""In the browser: a questionnaire with a show-if rule (a follow-up question shown when the NPS
answer is 6 or less). With a script the follow-up shows and hides as the member picks; without
one it comes with "Update the questions", what was typed kept. Only what was shown is stored.
Pages in English (the members' chosen language)."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.trials.models import Answer, Evaluation
from tests import factories
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

QUESTIONS = [
    dict(kind="nps", prompt="How likely are you to recommend it?"),
    # Required: once hidden it must not be asked for.
    dict(kind="text", prompt="What should we improve first?"),
    dict(kind="text", prompt="Anything else?", required=False),
]
SUBMITTED = "Thank you: version 1 of your evaluation was submitted."


@pytest.fixture
def trial(dbs):
    trial = factories.make_trial(dbs, status="running", title="Roaming in one tap",
                                 questions=QUESTIONS)
    factories.make_rule(dbs, trial, 1, 0, "le", ["6"])
    return trial


def enrolled_member(dbs, trial, name):
    member = factories.make_user(dbs, role="member", segment="mobile", locale="en", name=name)
    factories.make_enrollment(dbs, trial, member)
    return member


def stored_answers(dbs, member) -> dict[int, Answer]:
    dbs.expire_all()
    evaluation = dbs.scalar(select(Evaluation).where(Evaluation.member_id == member.id))
    assert (evaluation.status, evaluation.version) == ("submitted", 1)
    return {a.question_id: a for a in dbs.scalars(
        select(Answer).where(Answer.evaluation_id == evaluation.id))}


def test_with_script_the_follow_up_shows_and_hides_live(new_page, dbs, trial):
    member = enrolled_member(dbs, trial, "Zhao Lei")
    nps, follow_up, other = trial.questions

    page = new_page()
    sign_in(page, member.email)
    page.goto(f"/trials/{trial.id}/evaluation")
    question = page.locator(f"#question-{follow_up.id}")
    expect(page.get_by_role("group", name=re.compile("How likely are you to recommend it"))).to_be_visible()
    expect(question).to_be_hidden()
    # The questions follow the answers: no "Update" button with a script.
    expect(page.get_by_role("button", name="Update the questions")).to_have_count(0)

    def pick(value):
        page.locator(f"input[name='q-{nps.id}'][value='{value}']").check()

    pick(5)
    expect(question).to_be_visible()
    expect(question.locator("legend")).to_contain_text("What should we improve first?")
    page.locator(f"textarea[name='q-{follow_up.id}']").fill("Faster activation.")
    pick(9)
    expect(question).to_be_hidden()
    pick(6)  # the limit itself is included
    expect(question).to_be_visible()
    # A draft keeps the follow-up (shown again when the page comes back)...
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Your draft was saved.")).to_be_visible()
    expect(question).to_be_visible()
    expect(page.locator(f"textarea[name='q-{follow_up.id}']")).to_have_value("Faster activation.")
    # ... until the answer hides it.
    pick(9)
    expect(question).to_be_hidden()
    page.locator(f"textarea[name='q-{other.id}']").fill("Nice app.")

    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.get_by_text(SUBMITTED)).to_be_visible()
    # Hidden, the follow-up was neither required nor kept, though its draft answer had text.
    answers = stored_answers(dbs, member)
    assert answers[nps.id].number == 9
    assert answers[other.id].text == "Nice app."
    assert follow_up.id not in answers
    expect(page.locator(f"#question-{follow_up.id}")).to_be_hidden()


def test_without_script_update_the_questions_brings_the_follow_up(new_page, dbs, trial):
    member = enrolled_member(dbs, trial, "Qian Yu")
    nps, follow_up, other = trial.questions

    page = new_page(java_script_enabled=False)
    sign_in(page, member.email)
    page.goto(f"/trials/{trial.id}/evaluation")
    question = page.locator(f"#question-{follow_up.id}")
    expect(question).to_be_hidden()

    page.locator(f"input[name='q-{nps.id}'][value='3']").check()
    page.locator(f"textarea[name='q-{other.id}']").fill("The SIM arrived late.")
    expect(question).to_be_hidden()  # nothing moves without a script
    page.get_by_role("button", name="Update the questions").click()

    expect(page).to_have_url(re.compile(rf"/trials/{trial.id}/evaluation$"))
    expect(question).to_be_visible()
    expect(page.locator(f"input[name='q-{nps.id}'][value='3']")).to_be_checked()
    expect(page.locator(f"textarea[name='q-{other.id}']")).to_have_value("The SIM arrived late.")
    assert dbs.scalar(select(Evaluation).where(Evaluation.member_id == member.id)) is None

    page.locator(f"textarea[name='q-{follow_up.id}']").fill("Cheaper data in Japan.")
    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.get_by_text(SUBMITTED)).to_be_visible()
    answers = stored_answers(dbs, member)
    assert answers[nps.id].number == 3
    assert answers[follow_up.id].text == "Cheaper data in Japan."
    assert answers[other.id].text == "The SIM arrived late."
