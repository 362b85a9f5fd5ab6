"""In the browser: a rejected form puts the focus on its error summary, a summary link puts it in
the field, and a photo over the limit is refused before anything is sent, with the text kept."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def member(dbs):
    return factories.make_user(dbs, role="member", segment="mobile", locale="en")


def test_the_summary_takes_the_focus_and_its_links_lead_to_the_fields(page, member):
    sign_in(page, member.email)
    page.goto("/reports/new")
    page.get_by_label("What happened").fill("The bill reminder came two days late.")
    page.get_by_role("button", name="Send report").click()
    summary = page.get_by_test_id("error-summary")
    expect(summary).to_be_focused()
    expect(page).to_have_title("Error: Report a service gap · Customer Panel Portal")
    summary.get_by_role("link", name="Title: Please give a title.").click()
    expect(page.get_by_label("Title")).to_be_focused()
    expect(page.get_by_label("What happened")).to_have_value("The bill reminder came two days late.")


def test_a_photo_over_the_limit_is_refused_before_sending(page, member, tmp_path):
    big = tmp_path / "big.jpg"
    big.write_bytes(b"\xff\xd8" + b"\0" * (5 * 1024 * 1024 + 10))
    sign_in(page, member.email)
    page.goto("/reports/new")
    page.get_by_label("Title").fill("No signal at home")
    photos = page.get_by_label("Photos")
    photos.set_input_files(str(big))
    expect(page.locator("#photos-error")).to_have_text("big.jpg is larger than 5 MB.")
    expect(photos).to_have_attribute("aria-invalid", "true")
    url = page.url
    page.get_by_role("button", name="Send report").click()
    # Not sent: same page, nothing lost, the focus on the photos.
    expect(photos).to_be_focused()
    assert page.url == url
    expect(page.get_by_label("Title")).to_have_value("No signal at home")
    photos.set_input_files([])
    expect(page.locator("#photos-error")).to_have_count(0)
    expect(photos).not_to_have_attribute("aria-invalid", "true")
