"""In the browser: a member applies to a trial and submits its evaluation; files a gap report
with a photo. Pages of other areas are read in English (the member's chosen language)."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from portal import domain
from portal.gaps.models import GapPhoto, ServiceGapReport
from portal.trials.models import Evaluation
from tests import factories
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

SIX_KINDS = [
    dict(kind="rating", prompt="How easy was it to switch on?"),
    dict(kind="nps", prompt="How likely are you to recommend it?"),
    dict(kind="single", prompt="Where did you roam?", options=["Asia", "Europe", "America"]),
    dict(kind="multiple", prompt="Which features did you use?",
         options=["One-tap switch-on", "Usage alerts", "Spending cap"]),
    dict(kind="yesno", prompt="Could you go online on landing?"),
    dict(kind="text", prompt="Anything else?", required=False),
]


@pytest.fixture
def member(dbs):
    return factories.make_user(dbs, role="member", segment="mobile", locale="en", name="Zhao Lei")


def test_member_applies_to_a_trial_and_submits_the_evaluation(page, member, dbs):
    trial = factories.make_trial(dbs, status="recruiting", auto_accept=True,
                                 title="Roaming in one tap", questions=SIX_KINDS)
    questions = {q.kind: q for q in trial.questions}

    sign_in(page, member.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Trials").click()
    page.get_by_role("link", name="Roaming in one tap").click()
    expect(page.get_by_role("heading", name="Roaming in one tap")).to_be_visible()
    page.get_by_label("Why would you like to take part? (optional)").fill("I travel every month.")
    page.get_by_role("button", name="Apply to this trial").click()
    expect(page.get_by_text("You are accepted in this trial.")).to_be_visible()
    expect(page.get_by_text("The questionnaire opens when the trial starts running.")).to_be_visible()

    # The product team starts the trial; the questionnaire opens.
    trial.status = "running"
    dbs.commit()
    page.reload()

    page.get_by_role("link", name="Fill in the questionnaire").click()
    expect(page).to_have_url(re.compile(rf"/trials/{trial.id}/evaluation$"))

    def pick(kind, value):
        page.locator(f"input[name='q-{questions[kind].id}'][value='{value}']").check()

    pick("rating", "4")
    pick("nps", "9")
    pick("single", "Asia")
    pick("multiple", "One-tap switch-on")
    pick("multiple", "Spending cap")
    pick("yesno", "yes")
    page.locator(f"textarea[name='q-{questions['text'].id}']").fill("Worked <b>well</b> in Tokyo.")
    page.get_by_role("button", name="Submit", exact=True).click()

    expect(page.get_by_text("Thank you: version 1 of your evaluation was submitted.")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"Version 1 submitted on"))).to_be_visible()
    evaluation = dbs.scalar(select(Evaluation).where(Evaluation.member_id == member.id))
    assert (evaluation.status, evaluation.version) == ("submitted", 1)

    # The home shows the trial accepted and the evaluation submitted.
    page.get_by_role("link", name="My home").click()
    trials = page.get_by_test_id("home-trials")
    expect(trials).to_contain_text("Roaming in one tap")
    expect(trials).to_contain_text("Accepted")
    evaluations = page.get_by_test_id("home-evaluations")
    expect(evaluations.get_by_role("link", name="Roaming in one tap")).to_be_visible()
    expect(evaluations).to_contain_text("Submitted")


def test_member_files_a_gap_report_with_a_photo(page, member, dbs, tmp_path):
    photo = tmp_path / "queue.png"
    Image.new("RGB", (64, 48), (0, 94, 170)).save(photo)
    yesterday = domain.shanghai_today() - timedelta(days=1)

    sign_in(page, member.email)
    page.get_by_test_id("home-reports").get_by_role("link", name="Report a service gap").click()
    expect(page.get_by_role("heading", name="Report a service gap")).to_be_visible()
    page.get_by_label("Channel").select_option("store")
    page.get_by_label("Service commitment").select_option("counter_service")
    page.get_by_label("District").select_option("xuhui")
    page.get_by_label("Place").fill("Xujiahui store")
    page.get_by_label("Date it happened").fill(yesterday.isoformat())
    page.get_by_label("Time it happened").fill("10:30")
    page.get_by_label("3 - Serious").check()
    page.get_by_label("Title").fill("Forty minutes in the queue")
    page.get_by_label("What happened").fill("Only two counters were open on Saturday morning.")
    page.get_by_label("Photos").set_input_files(str(photo))
    page.get_by_role("button", name="Send report").click()

    expect(page).to_have_url(re.compile(r"/reports/\d+$"))
    expect(page.get_by_text("Thank you: your report was sent to the service office.")).to_be_visible()
    image = page.locator(".photos img").first
    expect(image).to_be_visible()
    # The photo really loads (from the database, through the photo route).
    page.wait_for_function("img => img.complete && img.naturalWidth === 64", arg=image.element_handle())

    report = dbs.scalar(select(ServiceGapReport).where(ServiceGapReport.member_id == member.id))
    assert (report.title, report.severity, report.commitment) == ("Forty minutes in the queue", 3,
                                                                  "counter_service")
    assert dbs.scalar(select(GapPhoto.content_type).where(GapPhoto.report_id == report.id)) == "image/png"

    page.get_by_role("navigation", name="Main").get_by_role("link", name="My service-gap reports").click()
    row = page.get_by_role("row").filter(has_text="Forty minutes in the queue")
    expect(row).to_contain_text("Counter service")
    expect(row).to_contain_text("Received")
    expect(row.get_by_role("cell", name="1", exact=True)).to_be_visible()  # one photo
    row.get_by_role("link", name="Forty minutes in the queue").click()
    expect(page.locator(".photos img")).to_have_count(1)
