"""In the browser: an office user exports the inbox as XLSX, sees the export job's page, which
follows the job's progress by itself, and downloads the file when it is ready."""
from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from portal.exports import jobs
from tests import factories
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_office_exports_xlsx_through_a_job_and_downloads_it(new_page, dbs, live_app):
    member = factories.make_user(dbs, role="member", locale="en")
    office = factories.make_user(dbs, role="office", locale="en")
    submission = factories.make_submission(dbs, member, title="Forty minutes in the queue")

    page = new_page()
    sign_in(page, office.email)
    page.goto("/staff/inbox")
    page.get_by_role("link", name="Export XLSX").click()
    expect(page).to_have_url(re.compile(r"/staff/exports/\d+$"))
    job_id = int(page.url.rsplit("/", 1)[1])
    expect(page.get_by_role("link", name="Refresh")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Your export is waiting to start.")

    # The consumer picks the job up; the page notices by itself (it polls every 2 s).
    with live_app.test_request_context("/"):
        jobs.run(job_id)
    expect(page.get_by_role("status")).to_contain_text("Your export is ready: 1 row.")
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile(r"^Download submissions-.*\.xlsx$")).click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    ws = load_workbook(io.BytesIO(open(download.path(), "rb").read())).active
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[1][0] == submission.id and rows[1][4] == "Forty minutes in the queue"
