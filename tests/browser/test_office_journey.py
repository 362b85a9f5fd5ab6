"""In the browser: the service office triages a member's gap report into a new improvement item,
drives it to done, exports the item list as XLSX; the member then sees what became of it."""
from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from portal.exports import jobs
from tests import factories
from tests.browser.conftest import sign_in
from tests.improvements.helpers import gap_submission

pytestmark = pytest.mark.browser


def test_office_turns_a_gap_report_into_an_item_closes_it_and_the_member_sees_the_outcome(
        new_page, dbs, live_app):
    member = factories.make_user(dbs, role="member", segment="household", locale="en",
                                 name="Sun Li")
    office = factories.make_user(dbs, role="office", locale="en", name="Chen Office")
    factories.make_department(dbs, name="Store operations")
    submission = gap_submission(dbs, member, title="Forty minutes in the Xujiahui queue",
                                commitment="counter_service")

    staff = new_page()
    sign_in(staff, office.email)
    staff.get_by_role("navigation", name="Main").get_by_role("link", name="Inbox").click()
    staff.get_by_role("link", name="Forty minutes in the Xujiahui queue").click()
    expect(staff).to_have_url(re.compile(rf"/staff/inbox/{submission.id}$"))

    # A new improvement item, prefilled from the report and linked to it.
    staff.get_by_role("link", name="Create an improvement item from this submission").click()
    expect(staff.get_by_label("Title")).to_have_value("Forty minutes in the Xujiahui queue")
    staff.get_by_label("Title").fill("Open a second counter at Xujiahui at peak hours")
    staff.get_by_label("Department").select_option(label="Store operations")
    staff.get_by_role("button", name="Create item").click()
    heading = staff.get_by_role("heading", name="Open a second counter at Xujiahui at peak hours")
    expect(heading).to_be_visible()
    item_url = staff.url

    # proposed -> approved -> in progress -> done, the last with a note for the member.
    for status, note in (("Approved", None), ("In progress", None),
                         ("Done", "A second counter now opens from 17:00 to 20:00.")):
        staff.get_by_role("link", name="Edit", exact=True).click()
        staff.get_by_label("Status").select_option(label=status)
        if note:
            staff.get_by_label("Resolution note").fill(note)
        staff.get_by_role("button", name="Save").click()
        expect(staff).to_have_url(item_url)
        expect(staff.locator("main")).to_contain_text(status)

    # The item list, exported as the office sees it.
    # Every XLSX is an export job: its page follows the job, then offers the file.
    staff.goto("/staff/improvements")
    staff.get_by_role("link", name="Export XLSX").click()
    expect(staff).to_have_url(re.compile(r"/staff/exports/\d+$"))
    with live_app.test_request_context("/"):
        jobs.run(int(staff.url.rsplit("/", 1)[1]))
    with staff.expect_download() as download_info:
        staff.get_by_role("link", name=re.compile(r"^Download improvements-.*\.xlsx$")).click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(open(download.path(), "rb").read()), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert any("Open a second counter at Xujiahui at peak hours" in row for row in rows[1:])

    # The member is told, and sees the outcome (not the staff's names) on their own report.
    mine = new_page()
    sign_in(mine, member.email)
    expect(mine.locator(".notifications-link .badge-unread")).to_have_text("1")
    mine.goto(f"/reports/{submission.gap_report_id}")
    outcome = mine.get_by_test_id("outcomes")
    expect(outcome).to_contain_text("A second counter now opens from 17:00 to 20:00.")
    expect(outcome).to_contain_text("Store operations")
    expect(mine.locator("main")).not_to_contain_text("Chen Office")
