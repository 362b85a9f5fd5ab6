"""In the browser: the office closes an improvement item linked to a member's gap report; the
member answers "Is it fixed for you?" with "Not yet"; the office sees the answer on the item and
the flag in the inbox (and its filter), reopens the item, and may verify it while a "not yet" is
open only with the override and a reason. Pages in English (the users' chosen language)."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from portal.improvements.confirmations import FixConfirmation
from tests import factories
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

REPORT_TITLE = "Forty minutes in the Xujiahui queue"
ITEM_TITLE = "Open a second counter at Xujiahui at peak hours"
NOTE = "A second counter now opens from 17:00 to 20:00."
NOT_YET_OPEN = "1 member says it is not fixed yet since the item was last done."


def edit_item(staff, status: str, *, note: str | None = None):
    """The item page's Edit, a new status (and resolution note), Save: the page it lands on."""
    staff.get_by_role("link", name="Edit", exact=True).click()
    staff.get_by_label("Status").select_option(label=status)
    if note is not None:
        staff.get_by_label("Resolution note").fill(note)
    staff.get_by_role("button", name="Save").click()


def answer_not_yet(mine, rating: str, comment: str):
    """From the member's home: the question, answered "Not yet" with a rating and a comment."""
    mine.get_by_role("navigation", name="Main").get_by_role("link", name="My home").click()
    question = mine.get_by_test_id("fix-question")
    expect(question.get_by_role("heading", name="Is it fixed for you?")).to_be_visible()
    expect(question).to_contain_text(f"Your submission “{REPORT_TITLE}” has an outcome: Done.")
    expect(question).to_contain_text(NOTE)
    expect(question).not_to_contain_text(ITEM_TITLE)
    question.get_by_role("link", name="Tell us").click()
    expect(mine.get_by_role("heading", name="Is it fixed for you?", level=1)).to_be_visible()
    expect(mine.get_by_test_id("fix-outcome")).to_contain_text(NOTE)
    mine.get_by_label("Not yet").check()
    mine.get_by_label(rating).check()
    mine.get_by_label("Comment (optional)").fill(comment)
    mine.locator("main form button[type=submit]").click()
    expect(mine.get_by_text("Thank you: your answer was saved.")).to_be_visible()
    # Answered: the home no longer asks.
    expect(mine.get_by_test_id("fix-question")).to_have_count(0)


def test_member_says_not_yet_office_reopens_and_verifies_only_with_a_reason(new_page, dbs):
    member = factories.make_user(dbs, role="member", locale="en", name="Sun Li")
    office = factories.make_user(dbs, role="office", locale="en", name="Chen Office")
    department = factories.make_department(dbs, name="Store operations")
    submission = factories.make_gap_submission(dbs, member, title=REPORT_TITLE)
    submission.status = "linked"
    # Another member's submission, not linked: the inbox filter leaves it out.
    factories.make_gap_submission(dbs, factories.make_user(dbs, role="member", locale="en"),
                                  title="Printer out of paper at the Jing'an store")
    item = factories.make_item(dbs, [submission], title=ITEM_TITLE, status="in_progress",
                               department_id=department.id)

    # The office closes the item from its page.
    staff = new_page()
    sign_in(staff, office.email)
    staff.goto(f"/staff/improvements/{item.id}")
    answers = staff.get_by_test_id("fix-answers")
    expect(answers).to_contain_text("No member has answered yet.")
    edit_item(staff, "Done", note=NOTE)
    expect(staff).to_have_url(re.compile(rf"/staff/improvements/{item.id}$"))
    expect(staff.locator("dl.facts")).to_contain_text("Done")

    # The member is asked on their home, and says it is not fixed yet.
    mine = new_page()
    sign_in(mine, member.email)
    answer_not_yet(mine, "2 - Poorly", "Still only one counter on Saturday.")
    dbs.expire_all()
    found = dbs.query(FixConfirmation).one()
    assert (found.fixed, found.rating, found.comment) == (False, 2, "Still only one counter on Saturday.")

    # The office sees the answer on the item...
    staff.reload()
    expect(answers).to_contain_text("1 answer: 0 yes, 1 not yet")
    expect(answers.get_by_test_id("open-not-yet")).to_have_text(NOT_YET_OPEN)
    row = answers.locator("tr[data-answer]")
    expect(row).to_contain_text("Not yet")
    expect(row).to_contain_text("2 of 5")
    expect(row).to_contain_text("Still only one counter on Saturday.")

    # ... and the flag in the inbox, which its filter finds alone.
    staff.get_by_role("navigation", name="Main").get_by_role("link", name="Inbox").click()
    flagged = staff.locator(f"tr[data-submission='{submission.id}']")
    expect(flagged.get_by_test_id("not-fixed")).to_have_text("Not fixed for the member")
    expect(staff.get_by_test_id("not-fixed")).to_have_count(1)
    expect(staff.locator("tr[data-submission]")).to_have_count(2)
    staff.get_by_label("Not fixed for the member").check()
    staff.locator("form.filters").get_by_role("button", name="Filter").click()
    expect(staff).to_have_url(re.compile(r"not_fixed=y"))
    expect(staff.locator("tr[data-submission]")).to_have_count(1)
    expect(flagged).to_contain_text(REPORT_TITLE)

    # The flag leads to the item; verifying it now is refused.
    flagged.get_by_test_id("not-fixed").click()
    expect(staff).to_have_url(re.compile(rf"/staff/improvements/{item.id}$"))
    edit_item(staff, "Verified")
    expect(staff.locator("main")).to_contain_text(
        "1 member says it is not fixed yet. Reopen the item, or verify it anyway with a reason.")
    staff.get_by_role("link", name=ITEM_TITLE).click()
    expect(staff.locator("dl.facts")).to_contain_text("Done")

    # Reopened from the item page: in progress again; then done again.
    staff.get_by_test_id("reopen").get_by_role("button", name="Reopen the item (back to in progress)").click()
    expect(staff.get_by_text("The item was reopened: it is in progress again.")).to_be_visible()
    expect(staff.locator("dl.facts")).to_contain_text("In progress")
    expect(staff.get_by_test_id("reopen")).to_have_count(0)
    expect(answers.get_by_test_id("open-not-yet")).to_have_count(0)
    edit_item(staff, "Done")
    expect(staff.locator("dl.facts")).to_contain_text("Done")
    # The earlier answer was given before the item was last done: nothing open.
    expect(answers.get_by_test_id("open-not-yet")).to_have_count(0)

    # The member is asked again and still says not yet: verifying is refused again...
    answer_not_yet(mine, "1 - Very poorly", "Saturday morning: still one counter.")
    staff.reload()
    expect(answers.get_by_test_id("open-not-yet")).to_have_text(NOT_YET_OPEN)
    edit_item(staff, "Verified")
    expect(staff.locator("main")).to_contain_text("1 member says it is not fixed yet.")
    # ... the override alone is not enough ...
    staff.get_by_label("Verify although members say it is not fixed").check()
    staff.get_by_role("button", name="Save").click()
    expect(staff.locator("main")).to_contain_text(
        "Please give the reason for verifying the item although members say it is not fixed.")
    # ... with a reason it is verified.
    staff.get_by_label("Verify although members say it is not fixed").check()
    staff.get_by_label("Reason for verifying anyway").fill(
        "Checked on site: the second counter opens at 17:00, Saturday mornings are out of scope.")
    staff.get_by_role("button", name="Save").click()
    expect(staff).to_have_url(re.compile(rf"/staff/improvements/{item.id}$"))
    expect(staff.get_by_text("The improvement item was saved.")).to_be_visible()
    expect(staff.locator("dl.facts")).to_contain_text("Verified")

    # Verified: the inbox no longer flags the submission.
    staff.goto("/staff/inbox")
    expect(staff.locator("tr[data-submission]")).to_have_count(2)
    expect(staff.get_by_test_id("not-fixed")).to_have_count(0)


def test_the_flagged_inbox_fits_a_phone(new_page, dbs):
    """The flag and the filter at 390 px, with an open item whose long title is one of the bulk
    actions' choices (a select as wide as its longest option once widened the page)."""
    member = factories.make_user(dbs, role="member", locale="en")
    office = factories.make_user(dbs, role="office", locale="en")
    submission = factories.make_gap_submission(dbs, member, title=REPORT_TITLE)
    item = factories.make_item(dbs, [submission], title=ITEM_TITLE, status="done")
    factories.make_fix_confirmation(dbs, item, submission, fixed=False, rating=2)
    factories.make_item(dbs, title="Open a second counter at Xujiahui and Jing'an at peak hours",
                        status="in_progress")

    staff = new_page(viewport={"width": 390, "height": 844})
    sign_in(staff, office.email)
    staff.goto("/staff/inbox?not_fixed=y")
    expect(staff.get_by_test_id("not-fixed")).to_be_visible()
    assert staff.evaluate("document.documentElement.scrollWidth") <= 390
