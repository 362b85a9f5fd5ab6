"""In the browser: an admin defines two periods, uploads each one's figures as a CSV file, and
sees the composite service competitiveness index and its trend chart."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

FILES = {
    "2026-09": ("\ufeffcomponent,commitment,own_value,competitor_value\r\n"
                "satisfaction,network_quality,80,\r\n"
                "satisfaction,roaming,70,\r\n"
                "satisfaction_benchmark,overall,84,80\r\n"
                "word_of_mouth,overall,30,10\r\n"),
    "2026-10": ("component,commitment,own_value,competitor_value\n"
                "satisfaction,network_quality,90,\n"
                "satisfaction,roaming,80,\n"
                "satisfaction_benchmark,,82,82\n"
                "word_of_mouth,,40,10\n"),
}


def test_admin_uploads_figures_for_two_periods_and_sees_the_trend(new_page, dbs, tmp_path):
    admin = factories.make_user(dbs, role="admin", locale="en")
    page = new_page()
    sign_in(page, admin.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Service index").click()
    expect(page.get_by_text("No data yet: no period has figures.")).to_be_visible()

    for label, (first, last) in (("2026-09", ("2026-09-01", "2026-09-30")),
                                 ("2026-10", ("2026-10-01", "2026-10-31"))):
        page.goto("/staff/index")
        page.get_by_role("link", name="Periods and figures").click()
        page.get_by_role("link", name="New period").click()
        page.get_by_label("Label").fill(label)
        page.get_by_label("First day").fill(first)
        page.get_by_label("Last day").fill(last)
        page.get_by_role("button", name="Save period").click()
        expect(page.get_by_role("heading", name=f"Period {label}")).to_be_visible()

        # A bad file first: every bad line is reported and nothing is stored.
        bad = tmp_path / f"bad-{label}.csv"
        bad.write_text("component,commitment,own_value,competitor_value\n"
                       "satisfaction,roaming,80,\nsatisfaction,roaming,abc,\n", encoding="utf-8")
        page.get_by_label("CSV file").set_input_files(str(bad))
        page.get_by_role("button", name="Upload").click()
        expect(page.get_by_test_id("upload-errors")).to_contain_text("Line 3:")
        expect(page.get_by_text("No data yet: no figure entered for this period.")).to_be_visible()

        good = tmp_path / f"{label}.csv"
        good.write_text(FILES[label], encoding="utf-8")
        page.get_by_label("CSV file").set_input_files(str(good))
        page.get_by_role("button", name="Upload").click()
        expect(page.get_by_text(f"4 figures of {label} were saved from the file.")).to_be_visible()

    # 2026-09: S = 75, B = 60, W = 60 -> 0.4 x 75 + 0.3 x 60 + 0.3 x 60 = 66
    # 2026-10: S = 85, B = 50, W = 65 -> 34 + 15 + 19.5 = 68.5
    expect(page.get_by_test_id("period-index")).to_contain_text("68.5")
    page.goto("/staff/index")
    expect(page.get_by_test_id("latest-index")).to_contain_text("Latest period: 2026-10")
    expect(page.get_by_test_id("latest-index")).to_contain_text("68.5")
    chart = page.locator("svg[role=img]").first
    expect(chart).to_be_visible()
    expect(chart).to_contain_text("2026-09")
    expect(chart).to_contain_text("2026-10")
    expect(chart.locator("title").first).to_contain_text("Composite service competitiveness index")
    table = page.locator("table.index-series")
    expect(table).to_contain_text(re.compile(r"2026-09.*66\.0", re.S))
    expect(table).to_contain_text(re.compile(r"2026-10.*68\.5", re.S))

    page.get_by_role("link", name="International roaming").click()
    expect(page.get_by_role("heading", name="International roaming")).to_be_visible()
    expect(page.locator("table.index-area")).to_contain_text("80.0")
