"""In the browser: the language switch, and a member's home."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from portal.accounts.models import User
from tests import factories
from tests.browser.conftest import sign_in, sign_out, switch_language

pytestmark = pytest.mark.browser


def test_login_page_is_chinese_and_the_switch_turns_it_english(page, member):
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    expect(page.get_by_label("电子邮箱")).to_be_visible()

    switch_language(page)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_label("Email")).to_be_visible()
    assert page.url.endswith("/login")

    sign_in(page, member.email)  # the choice made before signing in carries on
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="My trials")).to_be_visible()


def test_language_choice_sticks_to_the_user(new_page, member, dbs):
    page = new_page()
    sign_in(page, member.email)
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    switch_language(page)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="My trials")).to_be_visible()
    dbs.expire_all()
    assert dbs.get(User, member.id).locale == "en"

    # Signed out, the login page is the site's default again; signed in, the member's choice.
    sign_out(page)
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    sign_in(page, member.email)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="My evaluations")).to_be_visible()

    # Another browser, nothing in its cookies: Chinese until this member signs in.
    other = new_page()
    other.goto("/login")
    expect(other.locator("html")).to_have_attribute("lang", "zh-Hans")
    sign_in(other, member.email)
    expect(other.locator("html")).to_have_attribute("lang", "en")

    # And back to Chinese, which sticks too.
    switch_language(other)
    expect(other.locator("html")).to_have_attribute("lang", "zh-Hans")
    dbs.expire_all()
    assert dbs.get(User, member.id).locale == "zh_Hans"


def test_language_chosen_before_signing_in_is_stored_on_the_user(page, member, dbs):
    page.goto("/login")
    switch_language(page)
    sign_in(page, member.email)
    sign_out(page)
    sign_in(page, member.email)
    expect(page.locator("html")).to_have_attribute("lang", "en", timeout=2000)


def test_member_sees_the_home_sections(page, dbs):
    member = factories.make_user(dbs, role="member", locale="en", name="Zhao Lei")
    trial = factories.make_trial(dbs, status="running", title="Roaming in one tap")
    factories.make_enrollment(dbs, trial, member)
    factories.make_gap_report(dbs, member, title="Queue at the Xujiahui store")

    sign_in(page, member.email)
    expect(page.get_by_role("heading", name="Welcome, Zhao Lei")).to_be_visible()
    trials = page.get_by_test_id("home-trials")
    expect(trials.get_by_role("link", name="Roaming in one tap")).to_be_visible()
    expect(trials).to_contain_text("Accepted")
    expect(trials.get_by_role("link", name="Evaluate")).to_be_visible()
    expect(page.get_by_test_id("home-evaluations")).to_contain_text("No evaluations yet.")
    reports = page.get_by_test_id("home-reports")
    expect(reports.get_by_role("link", name="Queue at the Xujiahui store")).to_be_visible()
    expect(reports).to_contain_text("Received")
    expect(page.get_by_test_id("home-opinions")).to_contain_text("You have not given an opinion yet.")

    reports.get_by_role("link", name="Queue at the Xujiahui store").click()
    expect(page).to_have_url(re.compile(r"/reports/\d+$"))
    expect(page.get_by_text("Queue at the Xujiahui store").first).to_be_visible()
