"""In the browser: a district branch files a support request without naming a department; the
routing table sends it to one; nobody accepts it in time, so the escalation job tells the B
contact, who accepts and answers it; the branch confirms with a rating; the department's
assessment counts it, and the scoreboard shows its "answered in time" figure."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.accounts.models import User
from portal.domain import shanghai_today
from portal.supervision import services
from portal.supervision.models import RoutingRule, SupportRequest
from tests import factories
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

TITLE = "Xujiahui customers lose 5G signal indoors: please test on site"


def _english(dbs, unit, a_name: str, b_name: str) -> tuple[User, User]:
    a, b = dbs.get(User, unit.a_contact_id), dbs.get(User, unit.b_contact_id)
    a.locale, a.name, b.locale, b.name = "en", a_name, "en", b_name
    dbs.commit()
    return a, b


def test_a_branch_request_is_routed_escalated_answered_rated_and_counted(new_page, dbs, live_app):
    network = factories.make_unit(dbs, name="Network operations")
    factories.make_unit(dbs, name="Billing centre")
    xuhui = factories.make_unit(dbs, kind="district_branch", district="xuhui", name="徐汇分公司")
    _, b_contact = _english(dbs, network, "Wang A-contact", "Li B-contact")
    filer, _b = _english(dbs, xuhui, "Zhou Branch", "Wu Branch")
    dbs.add(RoutingRule(category="network", department_id=network.id))
    dbs.commit()

    # The district branch files it without a department.
    branch = new_page()
    sign_in(branch, filer.email)
    branch.goto("/hotline")
    branch.get_by_role("link", name="New support request").click()
    branch.get_by_label("What does the front line need?").fill(TITLE)
    branch.get_by_label("Problem category").select_option(label="Network")
    expect(branch.get_by_label("From which department")).to_have_value("")
    branch.get_by_role("button", name="File the request").click()
    expect(branch.get_by_role("heading", name=TITLE)).to_be_visible()
    request_url = branch.url
    main = branch.locator("main")
    expect(main).to_contain_text("Network operations")
    expect(main).to_contain_text("the routing table")  # the history says who routed it

    # Nobody accepts it: the job runs once its response time has passed.
    request = dbs.scalar(select(SupportRequest).where(SupportRequest.title == TITLE))
    assert request.routed_by == "table" and request.department_id == network.id
    with live_app.app_context():
        assert services.escalate_untouched(request.b_due_at + timedelta(minutes=1)) == 1

    # The B contact is told, accepts it and answers.
    department = new_page()
    sign_in(department, b_contact.email)
    department.goto("/notifications")
    expect(department.locator("main")).to_contain_text(
        f"The support request “{TITLE}” was not accepted in time: as the B contact, please see to it.")
    department.goto(request_url)
    department.get_by_role("button", name="Accept the request").click()
    expect(department.locator("main")).to_contain_text("The request is accepted")
    answer = department.get_by_role("textbox", name=re.compile(r"^Answer"))
    answer.fill("An indoor small cell was installed on 3F.")
    department.get_by_role("button", name="Answer the request").click()
    expect(department.locator("main")).to_contain_text("Your answer was sent to the district branch.")

    # The branch confirms with a rating.
    branch.goto(request_url)
    expect(branch.locator("main")).to_contain_text("An indoor small cell was installed on 3F.")
    branch.get_by_label(re.compile(r"^How well did the department support you")).select_option("4")
    branch.get_by_role("button", name="Confirm the answer").click()
    expect(branch.locator("main")).to_contain_text("4 / 5")

    # The department's assessment for the month counts it with its rating.
    month = f"{shanghai_today():%Y-%m}"
    department.goto(f"/hotline/assessment?kind=month&start={month}")
    row = department.locator(f"tr[data-unit='{network.id}']")
    expect(row.locator("td").nth(0)).to_have_text("1")           # requests received
    expect(row.locator("td").nth(3)).to_have_text("100%")        # accepted in time
    expect(row.locator("td").nth(5)).to_have_text("4.0")         # average rating

    # The scoreboard shows the department's "support requests answered in time".
    department.goto("/staff/scoreboard")
    board = department.get_by_test_id("scoreboard")
    headers = board.locator("thead th").all_inner_texts()
    column = next(i for i, text in enumerate(headers) if "Support requests answered in time" in text)
    cell = board.locator(f"tr[data-unit='{network.id}'] > *").nth(column)
    expect(cell).to_have_text(re.compile(r"^\s*100(\.0)?%\s*$"))
    # its records: the request behind the figure
    cell.get_by_test_id("figure-link").click()
    expect(department.locator("main")).to_contain_text(TITLE)
