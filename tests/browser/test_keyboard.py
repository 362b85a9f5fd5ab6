"""In the browser, with the keyboard alone (Tab, Shift+Tab, typing, Enter, Space, arrows; no
clicks): a member signs in and files a service-gap report, first without its title, follows the
error summary to the field and sends it; the service office takes a report into review.

Only the first page of each journey is opened by its address, as a person types it."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal import domain
from portal.gaps.models import ServiceGapReport
from portal.triage.models import Submission
from tests import factories
from tests.factories import make_gap_submission

pytestmark = pytest.mark.browser

FOCUSED = """() => {
  const el = document.activeElement;
  const label = el.labels && el.labels.length ? el.labels[0].textContent : '';
  return {tag: el.tagName.toLowerCase(), name: el.getAttribute('name') || '', type: el.type || '',
          id: el.id || '', text: (el.innerText || el.value || '').trim(), label: label.trim(),
          summary: el.hasAttribute('data-error-summary')};
}"""


def focused(page) -> dict:
    return page.evaluate(FOCUSED)


def tab_to(page, limit: int = 80, key: str = "Tab", **wanted) -> dict:
    """Press Tab until the focused element has every attribute of `wanted` (a value ending in
    "*" matches as a prefix, e.g. label="Title*"); fails after `limit` presses."""
    def matches(element):
        for attribute, value in wanted.items():
            have = element[attribute]
            if value.endswith("*") and have.startswith(value[:-1]):
                continue
            if have != value:
                return False
        return True

    seen = []
    for _ in range(limit):
        page.keyboard.press(key)
        element = focused(page)
        if matches(element):
            return element
        seen.append(f"{element['tag']} {element['name'] or element['text'][:30]!r}")
    raise AssertionError(f"Tab never reached {wanted}; it went through: {', '.join(seen)}")


def keyboard_sign_in(page, email: str) -> None:
    page.goto("/login")
    tab_to(page, name="email")
    page.keyboard.type(email)
    tab_to(page, name="password")
    page.keyboard.type(factories.PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)


def test_a_member_files_a_gap_report_with_the_keyboard_and_fixes_the_missing_title(page, dbs):
    member = factories.make_user(dbs, role="member", segment="mobile", locale="en", name="Zhao Lei")
    keyboard_sign_in(page, member.email)

    tab_to(page, tag="a", text="Report a service gap")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Report a service gap")).to_be_visible()

    # A closed select takes the first letters of an option; radios move with the arrow keys.
    tab_to(page, name="channel")
    page.keyboard.type("Sto")
    tab_to(page, name="commitment")
    page.keyboard.type("Counter")
    tab_to(page, name="district")
    page.keyboard.type("Xuh")
    tab_to(page, name="place")
    page.keyboard.type("Xujiahui store")
    yesterday = domain.shanghai_today() - timedelta(days=1)
    tab_to(page, name="occurred_on")
    page.keyboard.type(yesterday.strftime("%m%d%Y"))  # the en-US date field: month, day, year
    tab_to(page, name="occurred_time")
    page.keyboard.type("1030AM")
    tab_to(page, name="severity")
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    tab_to(page, name="description")
    page.keyboard.type("Only two counters were open on Saturday morning.")
    tab_to(page, tag="button", text="Send report")
    page.keyboard.press("Enter")

    # Refused: the focus is on the one summary, which names the field and leads to it.
    summary = page.get_by_test_id("error-summary")
    expect(summary).to_be_focused()
    expect(page).to_have_title(re.compile(r"^Error"))
    tab_to(page, tag="a", text="Title*")
    page.keyboard.press("Enter")
    assert focused(page)["name"] == "title"
    page.keyboard.type("Forty minutes in the queue")
    page.keyboard.press("Enter")  # a text field's Enter sends its form

    expect(page).to_have_url(re.compile(r"/reports/\d+$"))
    expect(page.get_by_text("Thank you: your report was sent to the service office.")).to_be_visible()
    report = dbs.scalar(select(ServiceGapReport).where(ServiceGapReport.member_id == member.id))
    assert (report.title, report.channel, report.commitment, report.district, report.severity) == (
        "Forty minutes in the queue", "store", "counter_service", "xuhui", 3)
    assert (report.place, report.description) == (
        "Xujiahui store", "Only two counters were open on Saturday morning.")
    assert report.occurred_at.astimezone(domain.SHANGHAI).strftime("%Y-%m-%d %H:%M") == (
        f"{yesterday.isoformat()} 10:30")


def test_the_office_takes_a_report_into_review_with_the_keyboard(page, dbs):
    member = factories.make_user(dbs, role="member", segment="household", name="Sun Li")
    office = factories.make_user(dbs, role="office", locale="en", name="Chen Office")
    submission = make_gap_submission(dbs, member, title="Forty minutes in the Xujiahui queue",
                                     commitment="counter_service")
    keyboard_sign_in(page, office.email)

    tab_to(page, tag="a", text="Inbox")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
    tab_to(page, tag="a", text="Forty minutes in the Xujiahui queue")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/staff/inbox/{submission.id}$"))

    tab_to(page, name="assignee_id")
    page.keyboard.type("Chen")
    tab_to(page, name="status")
    page.keyboard.type("In r")
    tab_to(page, name="tags")
    page.keyboard.type("queue, Xujiahui")
    tab_to(page, tag="button", text="Save triage")
    page.keyboard.press("Space")

    expect(page.get_by_role("status")).to_contain_text("The triage was saved.")
    facts = page.locator("dl.facts").first
    expect(facts).to_contain_text("In review")
    expect(facts).to_contain_text("Chen Office")
    dbs.expire_all()
    saved = dbs.get(Submission, submission.id)
    assert (saved.status, saved.assignee_id, saved.tags) == ("in_review", office.id, ["queue", "Xujiahui"])
