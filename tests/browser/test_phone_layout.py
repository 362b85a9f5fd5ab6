"""In Chromium at a phone's size (390 x 844): pages as wide as the screen, the menu that opens
and closes without JavaScript, and the skip link. (Every page's width is checked by the
accessibility crawl, tests/browser/test_accessibility.py; these few pages stand for the layout.)"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import TIMEOUT_MS, sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
WIDE = {"width": 1366, "height": 900}


@pytest.fixture
def open_at(browser, live_server):
    """Opens a page at a viewport size, with or without JavaScript, in a browser of its own."""
    contexts = []

    def open_page(viewport, javascript=True):
        context = browser.new_context(base_url=live_server, viewport=viewport,
                                      java_script_enabled=javascript)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def _page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_member_home_and_inbox_fit_a_phone(open_at, dbs, member, office_user):
    trial = factories.make_trial(dbs, title="国际漫游一键开通服务试用（第二期）")
    factories.make_enrollment(dbs, trial, member)
    factories.make_gap_submission(dbs, member, title="徐家汇地铁站内 5G 信号频繁中断，影响视频会议")

    page = open_at(PHONE)
    sign_in(page, member.email)
    assert _page_width(page) <= PHONE["width"]
    # The trial's title is a card's heading on one or two lines, not a character a line.
    title = page.locator("td.card-title a", has_text="国际漫游")
    assert title.bounding_box()["height"] < 3 * 24
    expect(page.locator("td[data-label]").first).to_be_visible()

    staff = open_at(PHONE)
    sign_in(staff, office_user.email)
    staff.goto("/staff/inbox")
    expect(staff.locator("tr[data-submission]")).to_have_count(1)
    assert _page_width(staff) <= PHONE["width"]
    assert staff.locator("tr[data-submission] input[type=checkbox]").bounding_box()["width"] >= 24


def test_the_menu_opens_and_closes_without_javascript(open_at, member):
    page = open_at(PHONE)
    sign_in(page, member.email)
    no_script = open_at(PHONE, javascript=False)
    no_script.context.add_cookies(page.context.cookies())
    no_script.goto("/")
    menu = no_script.locator(".nav-menu > summary")
    link = no_script.locator(".main-nav a[href='/consultations']")
    expect(menu).to_be_visible()
    assert menu.bounding_box()["height"] >= 44
    expect(link).to_be_hidden()
    menu.click()
    expect(link).to_be_visible()
    assert link.bounding_box()["height"] >= 44
    menu.click()
    expect(link).to_be_hidden()

    # On a wide screen the links are in a row and there is no menu button, script or not.
    wide = open_at(WIDE, javascript=False)
    wide.context.add_cookies(page.context.cookies())
    wide.goto("/")
    expect(wide.locator(".main-nav a[href='/consultations']")).to_be_visible()
    expect(wide.locator(".nav-menu > summary")).to_be_hidden()


def test_the_skip_link_is_the_first_tab_and_moves_the_focus_to_the_content(open_at, member):
    page = open_at(PHONE)
    sign_in(page, member.email)
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_have_attribute("href", "#main")
    box = skip.bounding_box()
    assert box["y"] >= 0 and box["height"] >= 24  # shown on the screen while it has the focus
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    page.keyboard.press("Tab")  # the next Tab goes on from the content, not the header
    assert page.evaluate("document.activeElement.closest('main') !== null")
