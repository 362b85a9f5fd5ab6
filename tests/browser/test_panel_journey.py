"""In the browser: issue 12's panel journey. A product user targets their trial (Pudong, Android)
and gives it a quota, draws a sample and invites it; an invited member applies and is accepted;
the terminal is dispatched, received, evaluated and returned; the service office then sees the
member's activity on the panel health page. Everyone reads the site in English."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from portal import domain
from tests import factories
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

VALID_IMEI = "490154203237518"  # a well-known valid IMEI (Luhn check digit right)
TITLE = "Foldable phone field test"


def _members(dbs):
    """Five mobile members with (or without) a profile: only the first two fit the targeting."""
    def member(name, district, handset_os):
        user = factories.make_user(dbs, role="member", segment="mobile", district=district,
                                   locale="en", name=name)
        if handset_os:
            factories.make_profile(dbs, user, handset_os=handset_os, plan_type="postpaid")
        return user

    return dict(
        fits_1=member("Wang Fang", "pudong", "android"),
        fits_2=member("Li Na", "pudong", "android"),
        elsewhere=member("Zhou Jie", "xuhui", "android"),  # another district
        ios=member("Qian Yu", "pudong", "ios"),              # another handset OS
        no_profile=member("Sun Hao", "pudong", None),        # no profile: condition unknown
    )


def test_targeted_sample_to_returned_terminal_shows_on_panel_health(new_page, dbs, live_app):
    live_app.extensions.pop("portal.privacy_current", None)  # no privacy notice: no gate
    product = factories.make_user(dbs, role="product", locale="en", name="Zhang Product")
    office = factories.make_user(dbs, role="office", locale="en", name="Chen Office")
    members = _members(dbs)
    trial = factories.make_trial(dbs, status="recruiting", kind="terminal", title=TITLE,
                                 created_by_id=product.id, capacity=10)

    # --- The product user targets the trial: Pudong, Android handsets. -----------------------
    staff = new_page()
    sign_in(staff, product.email)
    staff.goto(f"/staff/trials/{trial.id}")
    staff.get_by_role("link", name="Edit trial").click()
    staff.get_by_role("group", name="Districts").get_by_label("Pudong").check()
    staff.get_by_role("group", name="Handset operating system").get_by_label("Android").check()
    staff.get_by_role("button", name="Save trial").click()
    expect(staff.get_by_text("The trial was saved.")).to_be_visible()
    facts = staff.locator("dl.facts").first
    expect(facts).to_contain_text("Pudong")
    expect(facts).to_contain_text("Android")

    # ... and a quota: at most 2 mobile members in Pudong.
    quotas = staff.get_by_test_id("quotas")
    quotas.get_by_label("Segment").select_option(label="Mobile / 3G subscriber")
    quotas.get_by_label("District").select_option(label="Pudong")
    quotas.get_by_label("At most (accepted members)").fill("2")
    quotas.get_by_role("button", name="Save the quota").click()
    expect(staff.get_by_text("The quota was saved.")).to_be_visible()
    expect(staff.get_by_test_id("quotas")).to_contain_text("Mobile / 3G subscriber · Pudong")
    expect(staff.get_by_test_id("quotas")).to_contain_text("0 of 2 accepted")

    # --- A sample: five asked for, only the two members who fit are drawn; invited. ----------
    staff.get_by_role("link", name="Draw a sample of members").click()
    expect(staff.get_by_role("heading", name=f"Draw a sample: {TITLE}")).to_be_visible()
    staff.get_by_label("How many members").fill("5")
    staff.get_by_role("button", name="Draw at random").click()
    expect(staff.get_by_role("heading", name="Drawn members (2)")).to_be_visible()
    expect(staff.get_by_text("Fewer members fit than asked for (2)")).to_be_visible()
    drawn = staff.locator("table.sample-table tbody")
    expect(drawn.get_by_role("row")).to_have_count(2)
    for name in ("Wang Fang", "Li Na"):
        expect(drawn.get_by_role("cell", name=name, exact=True)).to_be_visible()
    for name in ("Zhou Jie", "Qian Yu", "Sun Hao"):
        expect(drawn).not_to_contain_text(name)
    staff.get_by_role("button", name="Invite the drawn members (2)").click()
    expect(staff.get_by_text("2 members were invited.")).to_be_visible()
    funnel = staff.get_by_test_id("funnel")
    expect(funnel.locator("[data-step=invited]")).to_have_text("2")
    expect(funnel.locator("[data-step=applied]")).to_have_text("0")

    # --- An invited member sees the notice, opens the trial and applies. -----------------------
    mine = new_page()
    sign_in(mine, members["fits_1"].email)
    mine.locator(".notifications-link").click()
    notice = mine.locator("li.notification[data-kind=trial_invited]")
    expect(notice).to_contain_text(f"You are invited to take part in the trial “{TITLE}”.")
    notice.get_by_role("link", name="See the trial").click()
    expect(mine.get_by_role("heading", name=TITLE)).to_be_visible()
    mine.get_by_label("Why would you like to take part? (optional)").fill("I use a foldable daily.")
    mine.get_by_role("button", name="Apply to this trial").click()
    expect(mine.get_by_text("Your application was sent.")).to_be_visible()

    # --- The product user accepts them; the quota fills. ---------------------------------------
    staff.goto(f"/staff/trials/{trial.id}/enrollments")
    row = staff.get_by_role("row").filter(has_text="Wang Fang")
    row.get_by_role("button", name="Accept").click()
    expect(staff.get_by_text("The member was accepted.")).to_be_visible()
    expect(staff.get_by_test_id("quotas")).to_contain_text("1 of 2 accepted")
    expect(staff.get_by_role("row").filter(has_text="Wang Fang")).to_contain_text("Accepted")

    # --- Staff record the terminal dispatched. ------------------------------------------------
    today = domain.shanghai_today()
    staff.goto(f"/staff/trials/{trial.id}")
    staff.get_by_role("link", name="Terminal and SIM logistics").click()
    staff.get_by_test_id("shipment-row").filter(has_text="Wang Fang").get_by_role("link", name="Edit").click()
    expect(staff.get_by_role("heading", name="Shipment of Wang Fang")).to_be_visible()
    staff.get_by_label("Terminal model").fill("Fold 5")
    staff.get_by_label("IMEI").fill("4901 5420 3237 518")  # grouped as printed: spaces dropped
    staff.get_by_label("Dispatched on").fill(today.isoformat())
    staff.get_by_label("Return due on").fill((today + timedelta(days=30)).isoformat())
    staff.get_by_role("button", name="Save shipment").click()
    expect(staff.get_by_text("The shipment was saved.")).to_be_visible()
    shipped = staff.get_by_test_id("shipment-row").filter(has_text="Wang Fang")
    expect(shipped).to_contain_text("Dispatched")
    expect(shipped).to_contain_text("Fold 5")

    # --- The member confirms receipt on their trial page. ---------------------------------------
    mine.reload()
    logistics = mine.get_by_test_id("logistics")
    expect(logistics).to_contain_text("Dispatched")
    logistics.get_by_role("button", name="I have received it").click()
    expect(mine.get_by_text("Thank you: we have noted that it arrived.")).to_be_visible()
    expect(mine.get_by_test_id("logistics")).to_contain_text("Received on")

    # --- The trial runs; the member evaluates. --------------------------------------------------
    staff.goto(f"/staff/trials/{trial.id}")
    staff.get_by_role("button", name="Start the trial").click()
    expect(staff.get_by_text("The trial is now Running.")).to_be_visible()

    mine.reload()
    mine.get_by_role("link", name="Fill in the questionnaire").click()
    questions = {q.kind: q.id for q in trial.questions}
    mine.locator(f"input[name='q-{questions['rating']}'][value='5']").check()
    mine.locator(f"input[name='q-{questions['nps']}'][value='9']").check()
    mine.get_by_role("button", name="Submit", exact=True).click()
    expect(mine.get_by_text("Thank you: version 1 of your evaluation was submitted.")).to_be_visible()

    # --- Staff record the return. ----------------------------------------------------------------
    staff.goto(f"/staff/trials/{trial.id}/logistics")
    staff.get_by_test_id("shipment-row").filter(has_text="Wang Fang").get_by_role("link", name="Edit").click()
    expect(staff.get_by_label("IMEI")).to_have_value(VALID_IMEI)
    staff.get_by_label("Returned on").fill(today.isoformat())
    staff.get_by_label("Condition on return").select_option(label="Good")
    staff.get_by_role("button", name="Save shipment").click()
    expect(staff.get_by_text("The shipment was saved.")).to_be_visible()
    expect(staff.get_by_test_id("shipment-row").filter(has_text="Wang Fang")).to_contain_text("Returned")

    # --- The office sees the member's activity on the panel health page. -----------------------
    desk = new_page()
    sign_in(desk, office.email)
    desk.goto("/staff/panel")
    expect(desk.get_by_role("heading", name="Panel health", level=1)).to_be_visible()
    response = desk.get_by_test_id("health-trials").locator(f"tr[data-trial='{trial.id}']")
    expect(response).to_contain_text(TITLE)
    expect(response.locator("td.num")).to_have_text(["1", "1", "100%"])
    active = desk.get_by_test_id("health-active").locator("dd[data-active='30']")
    expect(active).to_contain_text(re.compile(r"\b1 of \d+ active members"))
