"""In the browser: a member who forgot the password asks for a link, opens it from the email in
the outbox, chooses a new password and signs in with it."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.notifications.models import OutboxEmail
from tests import factories
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

NEW = "violet-kettle-harbour"


def test_forgotten_password_is_replaced_through_the_emailed_link(page, dbs):
    member = factories.make_user(dbs, role="member", segment="mobile", locale="en", name="Zhao Lei")
    page.goto("/login")
    page.locator("a[href='/password/forgot']").click()
    page.locator("main form input[name=email]").fill(member.email)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/login"))

    email = dbs.scalar(select(OutboxEmail).where(OutboxEmail.to_address == member.email))
    path = re.search(r"/password/reset/[A-Za-z0-9_\-]+", email.body).group(0)
    page.goto(path)
    form = page.locator("main form")
    form.locator("input[name=password]").fill(NEW)
    form.locator("input[name=confirm]").fill(NEW)
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/login"))

    sign_in(page, member.email, NEW)
    expect(page.locator("form[action='/logout']")).to_be_visible()
    # The link is used up.
    page.goto(path)
    expect(page.locator("a[href='/password/forgot']").last).to_be_visible()
