"""In the browser: "Already being handled" while a member writes a service-gap report (live with a
script, through "Check for similar issues" without one), "This is my problem too" linking the
report to the open improvement item, and the office's "Likely duplicates" on the inbox detail.
Pages in English (the users' chosen language)."""
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
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

ITEM_TITLE = "Roaming data fails after landing in Japan"
REPORT_TITLE = "Roaming data not working in Japan"
REPORT_TEXT = "After landing in Tokyo my phone showed signal but roaming data did not work."
LINKED = "Thank you: your report was sent and linked to the improvement item you chose."


@pytest.fixture
def member(dbs):
    return factories.make_user(dbs, role="member", segment="mobile", locale="en", name="Zhao Lei")


@pytest.fixture
def item(dbs):
    """The open item the office is already working on, under a department members may see."""
    department = factories.make_department(dbs, name="Roaming desk")
    return factories.make_item(
        dbs, title=ITEM_TITLE, commitment="roaming", status="in_progress",
        department_id=department.id,
        description="Members cannot go online with international roaming after landing in Japan: "
                    "the phone shows signal but no data.",
    )


def fill_report(page, title=REPORT_TITLE, description=REPORT_TEXT):
    """Every field of the report form, the ones the suggestions read last."""
    yesterday = domain.shanghai_today() - timedelta(days=1)
    page.get_by_label("Channel").select_option("mobile_app")
    page.get_by_label("District").select_option("xuhui")
    page.get_by_label("Place").fill("Narita airport")
    page.get_by_label("Date it happened").fill(yesterday.isoformat())
    page.get_by_label("Time it happened").fill("10:30")
    page.get_by_label("3 - Serious").check()
    page.get_by_label("Service commitment").select_option("roaming")
    page.get_by_label("Title").fill(title)
    page.get_by_label("What happened").fill(description)


def own_report(dbs, member) -> ServiceGapReport:
    dbs.expire_all()
    return dbs.scalar(select(ServiceGapReport).where(ServiceGapReport.member_id == member.id))


def expect_linked_report_page(page, item):
    """The member's report page after "This is my problem too": the flash, the report linked, the
    item's progress (status and department), never the item's internal title."""
    expect(page).to_have_url(re.compile(r"/reports/\d+$"))
    expect(page.get_by_text(LINKED)).to_be_visible()
    expect(page.locator("dl.gap-facts")).to_contain_text("Linked to an improvement")
    progress = page.get_by_test_id("linked-items")
    expect(progress.get_by_role("heading", name="Being handled in")).to_be_visible()
    expect(progress).to_contain_text("In progress")
    expect(progress).to_contain_text("Roaming desk")
    expect(page.locator("main")).not_to_contain_text(item.title)


def test_live_suggestion_joins_the_item_and_the_office_marks_a_likely_duplicate(
        new_page, dbs, member, item):
    other_member = factories.make_user(dbs, role="member", locale="en", name="Qian Yu")
    office = factories.make_user(dbs, role="office", locale="en", name="Chen Office")

    page = new_page()
    sign_in(page, member.email)
    page.goto("/reports/new")
    expect(page.get_by_role("heading", name="Already being handled")).to_be_visible()
    results = page.locator("[data-similar-results]")

    # Something unrelated first: the live check says so.
    fill_report(page, title="Rude answer at the hotline", description="The agent hung up on me.")
    expect(results).to_contain_text("No similar open item found.")

    # The roaming problem: the item appears while typing, no button pressed (the list is the
    # script's: the server's list is not in the page).
    page.get_by_label("Title").fill(REPORT_TITLE)
    page.get_by_label("What happened").fill(REPORT_TEXT)
    suggestion = results.locator("li.similar-item").filter(has_text=ITEM_TITLE)
    expect(suggestion).to_be_visible()
    expect(suggestion).to_contain_text("Status: In progress")
    expect(page.get_by_test_id("suggestions")).to_have_count(0)
    expect(page.get_by_label("Title")).to_have_value(REPORT_TITLE)

    suggestion.get_by_role("button", name="This is my problem too").click()
    expect_linked_report_page(page, item)

    report = own_report(dbs, member)
    assert (report.title, report.status) == (REPORT_TITLE, "linked")
    mine = dbs.scalar(select(Submission).where(Submission.gap_report_id == report.id))
    assert [i.id for i in mine.items] == [item.id]

    # Another member reports the same problem afterwards; the office sees it is a likely
    # duplicate of the first report (with its score) and marks it so in one click.
    later = factories.make_gap_submission(
        dbs, other_member, title="No roaming data in Japan after landing", commitment="roaming",
        description="Roaming was switched on but after landing in Osaka the phone had signal and "
                    "no data.")
    staff = new_page()
    sign_in(staff, office.email)
    staff.get_by_role("navigation", name="Main").get_by_role("link", name="Inbox").click()
    staff.get_by_role("link", name="No roaming data in Japan after landing").click()
    expect(staff).to_have_url(re.compile(rf"/staff/inbox/{later.id}$"))
    expect(staff.get_by_role("heading", name="Likely duplicates")).to_be_visible()
    row = staff.get_by_test_id("similar-submissions").get_by_role("row").filter(has_text=REPORT_TITLE)
    expect(row).to_contain_text(f"#{mine.id}")
    score = row.locator(".similarity-score")
    expect(score).to_have_text(re.compile(r"^\d{2,3} of 100$"))
    assert 40 <= int(score.inner_text().split()[0]) <= 100
    # The open item is offered too, to link.
    expect(staff.get_by_test_id("similar-items")).to_contain_text(ITEM_TITLE)

    row.get_by_role("button", name=f"Mark duplicate of #{mine.id}").click()
    expect(staff).to_have_url(re.compile(rf"/staff/inbox/{later.id}#likely-duplicates$"))
    expect(staff.get_by_text(f"The submission was marked as a duplicate of #{mine.id}.")).to_be_visible()
    facts = staff.locator("dl.facts").first
    expect(facts).to_contain_text("Duplicate")
    expect(facts.get_by_role("link", name=f"#{mine.id} {REPORT_TITLE}")).to_be_visible()
    dbs.expire_all()
    again = dbs.get(Submission, later.id)
    assert (again.status, again.duplicate_of_id) == ("duplicate", mine.id)


def test_without_script_check_for_similar_issues_keeps_the_form_and_joins_the_item(
        new_page, dbs, member, item):
    page = new_page(java_script_enabled=False)
    sign_in(page, member.email)
    page.goto("/reports/new")
    fill_report(page)
    # Nothing appears by itself without a script.
    expect(page.locator("li.similar-item")).to_have_count(0)

    page.get_by_role("button", name="Check for similar issues").click()
    expect(page).to_have_url(re.compile(r"/reports/new$"))
    # What was typed is all there, nothing sent.
    expect(page.get_by_label("Title")).to_have_value(REPORT_TITLE)
    expect(page.get_by_label("What happened")).to_have_value(REPORT_TEXT)
    expect(page.get_by_label("Channel")).to_have_value("mobile_app")
    expect(page.get_by_label("Service commitment")).to_have_value("roaming")
    expect(page.get_by_label("Place")).to_have_value("Narita airport")
    expect(page.get_by_label("Time it happened")).to_have_value("10:30")
    expect(page.get_by_label("3 - Serious")).to_be_checked()
    assert own_report(dbs, member) is None

    suggestion = page.get_by_test_id("suggestions").locator("li").filter(has_text=ITEM_TITLE)
    expect(suggestion).to_contain_text("Status: In progress")
    suggestion.get_by_role("button", name="This is my problem too").click()
    expect_linked_report_page(page, item)
    report = own_report(dbs, member)
    assert (report.title, report.description, report.status) == (REPORT_TITLE, REPORT_TEXT, "linked")
