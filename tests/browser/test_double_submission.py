"""In the browser: a form being sent cannot be sent again by a second click, the clicked button's
value still goes with it, and Back then sending again shows the first result (one report)."""
from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from portal import domain
from portal.gaps import services as gap_services
from portal.gaps.models import ServiceGapReport
from portal.trials.models import Evaluation
from tests import factories
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


# Clicks a button, then again a moment later; says whether it was disabled by then.
CLICK_TWICE = """selector => new Promise(resolve => {
  const button = document.querySelector(selector);
  button.click();
  setTimeout(() => { const disabled = button.disabled; button.click(); resolve(disabled); }, 100);
})"""


@pytest.fixture
def member(dbs):
    return factories.make_user(dbs, role="member", segment="mobile", locale="en", name="Zhao Lei")


@pytest.fixture
def slow_reports(monkeypatch):
    """Storing a report takes a second, as on a busy day: long enough to click again."""
    real = gap_services.create_report

    def slow(*args, **kwargs):
        time.sleep(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(gap_services, "create_report", slow)


def _fill_report(page, title: str) -> None:
    yesterday = domain.shanghai_today() - timedelta(days=1)
    page.get_by_label("Channel").select_option("store")
    page.get_by_label("Service commitment").select_option("counter_service")
    page.get_by_label("District").select_option("xuhui")
    page.get_by_label("Date it happened").fill(yesterday.isoformat())
    page.get_by_label("Time it happened").fill("10:30")
    page.get_by_label("3 - Serious").check()
    page.get_by_label("Title").fill(title)
    page.get_by_label("What happened").fill("Only two counters were open on Saturday morning.")


def _reports(dbs, title: str) -> int:
    dbs.expire_all()
    return dbs.scalar(select(func.count(ServiceGapReport.id)).where(ServiceGapReport.title == title))


def test_a_report_clicked_twice_and_sent_again_after_back_is_stored_once(page, member, dbs, slow_reports):
    sign_in(page, member.email)
    page.goto("/reports/new")
    _fill_report(page, "Forty minutes in the queue")
    # Click, and click again while the first send runs (the server takes a second).
    disabled = page.evaluate(CLICK_TWICE, "main form button[type=submit]")
    assert disabled is True
    expect(page).to_have_url(re.compile(r"/reports/\d+$"))
    first = page.url
    expect(page.get_by_text("Thank you: your report was sent to the service office.")).to_be_visible()
    assert _reports(dbs, "Forty minutes in the queue") == 1

    page.go_back()
    expect(page.get_by_role("heading", name="Report a service gap")).to_be_visible()
    send = page.get_by_role("button", name="Send report")
    expect(send).to_be_enabled()  # Back restores a usable page...
    if page.get_by_label("Title").input_value() != "Forty minutes in the queue":
        _fill_report(page, "Forty minutes in the queue")
    send.click()
    # ... and the server knows the form: the first report, not a second copy.
    expect(page.get_by_text("This was already sent; here is the result.")).to_be_visible()
    assert page.url == first
    assert _reports(dbs, "Forty minutes in the queue") == 1


def test_the_clicked_button_still_decides_what_a_form_does(page, member, dbs):
    """The evaluation form has two buttons: disabling them must not lose which was clicked."""
    trial = factories.make_trial(dbs, status="running", title="Roaming in one tap",
                                 questions=[dict(kind="yesno", prompt="Could you go online on landing?")])
    factories.make_enrollment(dbs, trial, member)
    sign_in(page, member.email)
    page.goto(f"/trials/{trial.id}/evaluation")
    page.locator(f"input[name='q-{trial.questions[0].id}'][value='yes']").check()
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_text("Thank you: version 1 of your evaluation was submitted.")).to_be_visible()
    dbs.expire_all()
    evaluation = dbs.scalar(select(Evaluation).where(Evaluation.trial_id == trial.id))
    assert (evaluation.status, evaluation.version) == ("submitted", 1)
