"""In the browser, over the demo data: every distinct page each role can reach (signed out, member,
product team, service office, administrator), in Chinese and in English, at 390 and 1366 px:
axe-core finds no WCAG 2.1 A/AA violation, no page is wider than the window, and the Nu HTML
checker finds no error in the HTML the site serves.

One crawl (tests/browser/crawl.py) feeds the tests below; each failure lists every finding, grouped
by rule or message with counts, and test-artifacts/a11y/ keeps the reports and a summary.
A11Y_QUICK=1 crawls a few pages per role (while working on a page); A11Y_PER_PAGE=n visits up to n
pages of each endpoint (default 1); A11Y_SUMMARY=path also writes the summary there.
"""
from __future__ import annotations

import os
import secrets
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.accounts.models import PasswordReset
from portal.accounts.services import create_invitation, hash_token
from portal.db import db, unit_of_work, utcnow
from portal.demo import DEMO_PASSWORD, seed
from portal.trials.models import Trial
from tests.browser import crawl
from tests.browser.conftest import ARTIFACTS, TIMEOUT_MS, sign_in, switch_language

pytestmark = pytest.mark.browser

QUICK = os.environ.get("A11Y_QUICK") == "1"
SIGNED_IN = {
    "member": "mobile@example.com",
    "product": "product@example.com",
    "office": "office@example.com",
    "admin": "admin@example.com",
}
# Pages each role must have reached: a crawl that stops early must not pass for a clean one.
EXPECTED = {
    "visitor": {"accounts.login", "accounts.forgot_password", "accounts.register",
                "accounts.reset_password"},
    "member": {"home.index", "trials.member_list", "trials.member_detail", "trials.my_enrollments",
               "opinions.member_list", "opinions.member_detail", "gaps.member_list",
               "gaps.member_detail", "gaps.new", "dashboards.changes", "notifications.index",
               "accounts.profile"},
    "product": {"trials.staff_list", "trials.staff_detail", "trials.staff_edit",
                "trials.question_new", "trials.question_edit", "trials.staff_enrollments",
                "trials.staff_evaluations", "trials.staff_evaluation", "results.trial_results",
                "index.overview", "index.area", "opinions.staff_detail"},
    "office": {"triage.inbox", "triage.detail", "improvements.item_list",
               "improvements.item_detail", "improvements.supervision", "dashboards.office",
               "opinions.staff_list", "accounts.members"},
    "admin": {"admin.index", "admin.create_staff", "audit.index", "improvements.departments",
              "improvements.department_edit", "index.periods", "index.period_detail",
              "index.period_new", "notifications.outbox_list", "accounts.invitations"},
}
# Forms sent empty: the page that says what is missing is checked too.
REFUSED = {
    "visitor": ["/login"],
    "member": ["/reports/new"],
    "product": ["/staff/trials/new"],
    "office": ["/staff/improvements/new"],
    "admin": ["/admin/staff/new"],
}
REPORTS = ARTIFACTS / "a11y"


def _tokens(app) -> tuple[str, str]:
    """An open invitation and an unused password-reset link, for the signed-out pages."""
    with app.app_context():
        _, invitation = create_invitation("mobile", 14)
        reset = secrets.token_urlsafe(32)
        with unit_of_work():
            db.add(PasswordReset(token_hash=hash_token(reset), email="mobile@example.com",
                                 ip_address="127.0.0.1", expires_at=utcnow() + timedelta(hours=1)))
    return invitation, reset


def _role(crawler, browser, base, role, start, email=None, refused=()):
    context = browser.new_context(base_url=base, viewport={"width": 1366, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)

    def enter(page):
        if email:
            sign_in(page, email, DEMO_PASSWORD)
        else:
            page.goto(start[0])

    return crawler.role(context, role, start, enter, switch_language, refused)


@pytest.fixture(scope="module")
def findings(live_app, live_server, browser):
    with live_app.app_context():
        seed()
    invitation, reset = _tokens(live_app)
    with live_app.app_context():
        # The trial the staff open first is running: evaluations to read, questions to edit.
        running = db.scalar(select(Trial.id).where(Trial.status == "running").limit(1))
    found = crawl.Findings()
    crawler = crawl.Crawler(live_app, found, per_endpoint=1 if QUICK else int(os.environ.get(
        "A11Y_PER_PAGE", "1")), max_pages=4 if QUICK else 80)
    extra = {role: [f"/staff/trials/{running}"] for role in ("product", "office", "admin")}
    started = time.monotonic()
    visitor = ["/login", "/password/forgot", f"/join/{invitation}", f"/password/reset/{reset}",
               "/no-such-page"]
    crawl.run_side_by_side(
        [_role(crawler, browser, live_server, "visitor", visitor, refused=REFUSED["visitor"])]
        + [_role(crawler, browser, live_server, role, ["/", *extra.get(role, [])], email,
                 refused=REFUSED[role]) for role, email in SIGNED_IN.items()])
    crawled = time.monotonic() - started
    jar = crawl.vnu_jar()
    if jar:
        crawl.run_vnu(found, REPORTS / "html", jar)
    found.vnu_ran = bool(jar)
    seconds = time.monotonic() - started
    summary = crawl.summary(found, seconds) + f"(browser {crawled:.0f} s, vnu {seconds - crawled:.0f} s)\n"
    crawl.write_reports(found, REPORTS, summary)
    if os.environ.get("A11Y_SUMMARY"):
        with open(os.environ["A11Y_SUMMARY"], "w") as fh:
            fh.write(summary)
    return found


@pytest.mark.skipif(QUICK, reason="A11Y_QUICK=1 crawls only a few pages")
def test_the_crawl_reaches_every_role_s_pages_in_both_languages(findings):
    failed = [crawl.where(v) for v in findings.visits if v.status >= 500]
    assert not failed, "server errors (see the test's log):\n" + "\n".join(failed)
    broken = [s for s in findings.skipped if not s.endswith(("Download is starting", "not HTML"))]
    assert not broken, "pages the crawl could not open:\n" + "\n".join(broken)
    for role, expected in EXPECTED.items():
        for lang in ("zh-Hans", "en"):
            reached = {v.endpoint for v in findings.visits if v.role == role and v.lang == lang}
            assert expected <= reached, f"{role} ({lang}) never reached {sorted(expected - reached)}"
            refused = [v.url for v in findings.visits
                       if v.role == role and v.lang == lang and v.url.endswith("(sent empty)")]
            assert len(refused) == len(REFUSED[role]), f"{role} ({lang}) sent {refused} empty"


def test_axe_finds_no_wcag_2_1_a_or_aa_violation_on_any_page(findings):
    assert not findings.axe, crawl.axe_report(findings)


def test_no_page_is_wider_than_the_window(findings):
    assert not findings.overflow, crawl.overflow_report(findings)


def test_the_nu_html_checker_finds_no_error_on_any_page(findings):
    assert findings.vnu_ran, "the Nu HTML checker or Java is missing: run `make vnu` (or set VNU_JAR)"
    assert not findings.vnu, crawl.vnu_report(findings)
