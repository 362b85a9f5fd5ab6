"""The start page: the member's four sections, the staff landing page."""
from __future__ import annotations

from datetime import timedelta

import pytest

from portal.db import utcnow
from portal.opinions.models import Opinion
from portal.trials.models import Evaluation
from tests import factories
from tests.conftest import XSS_PAYLOADS, login
from tests.queries import page_statements


def _evaluation(dbs, trial, member, submitted=True):
    evaluation = Evaluation(
        trial_id=trial.id, member_id=member.id, status="submitted" if submitted else "draft",
        version=2 if submitted else 0, submitted_at=utcnow() if submitted else None,
    )
    dbs.add(evaluation)
    dbs.commit()
    return evaluation


def _opinion(dbs, consultation, member, stance="support", text="Agreed."):
    opinion = Opinion(consultation_id=consultation.id, member_id=member.id, stance=stance, text=text)
    dbs.add(opinion)
    dbs.commit()
    return opinion


def _fill(dbs, member, n):
    for i in range(n):
        trial = factories.make_trial(dbs, status="running", title=f"Trial number {i}")
        factories.make_enrollment(dbs, trial, member)
        _evaluation(dbs, trial, member, submitted=i % 2 == 0)
        factories.make_gap_report(dbs, member, title=f"Gap number {i}")
        _opinion(dbs, factories.make_consultation(dbs, title=f"Consultation number {i}"), member)


def test_anonymous_is_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_member_home_shows_every_section_with_its_statuses(member_client, member, dbs):
    trial = factories.make_trial(dbs, status="running", title="Roaming in one tap", kind="service")
    factories.make_enrollment(dbs, trial, member, status="accepted")
    other = factories.make_trial(dbs, status="recruiting", title="5G plan 2026")
    factories.make_enrollment(dbs, other, member, status="applied")
    _evaluation(dbs, trial, member)
    report = factories.make_gap_report(dbs, member, title="Queue at the Xujiahui store",
                                       commitment="counter_service", status="in_review")
    consultation = factories.make_consultation(dbs, title="Store waiting times")
    _opinion(dbs, consultation, member, stance="support_with_changes")

    page = member_client.get("/").get_data(as_text=True)
    assert "My trials" in page and "My evaluations" in page
    assert "My service-gap reports" in page and "My opinions" in page
    # trials: title, kind, enrollment status and trial status, with links
    assert "Roaming in one tap" in page and "New service" in page
    assert "Accepted" in page and "Applied" in page and "Running" in page and "Recruiting" in page
    assert f'href="/trials/{trial.id}"' in page
    assert f'href="/trials/{trial.id}/evaluation"' in page
    # evaluations: submitted, version 2
    assert "Submitted" in page and '<td data-label="Version">2</td>' in page
    # reports: title, commitment, status label
    assert "Queue at the Xujiahui store" in page and "Counter service" in page and "In review" in page
    assert f'href="/reports/{report.id}"' in page
    # opinions: consultation, stance, open window
    assert "Store waiting times" in page and "Support with changes" in page and "Open until" in page
    assert f'href="/consultations/{consultation.id}"' in page


def test_member_home_empty_states_invite_to_act(member_client):
    page = member_client.get("/").get_data(as_text=True)
    assert "You have not applied to any trial yet." in page
    assert "No evaluations yet." in page
    assert "You have not reported a service gap yet." in page
    assert "You have not given an opinion yet." in page
    assert "Report a service gap" in page and 'href="/reports/new"' in page
    assert 'href="/trials"' in page and 'href="/consultations"' in page


def test_member_home_shows_only_the_latest_five_and_links_to_the_full_lists(member_client, member, dbs):
    _fill(dbs, member, 7)
    page = member_client.get("/").get_data(as_text=True)
    assert "Gap number 6" in page and "Gap number 2" in page and "Gap number 1" not in page
    assert "All my trials (7)" in page and "All my reports (7)" in page
    assert "All my opinions (7)" in page and "All my evaluations (7)" in page


def test_member_home_shows_nothing_of_other_members(member_client, other_member, dbs):
    trial = factories.make_trial(dbs, segments=("household",), title="Someone else's trial")
    factories.make_enrollment(dbs, trial, other_member)
    factories.make_gap_report(dbs, other_member, title="Someone else's gap")
    _opinion(dbs, factories.make_consultation(dbs, title="Someone else's consultation"), other_member)
    page = member_client.get("/").get_data(as_text=True)
    assert "Someone else" not in page
    assert "You have not applied to any trial yet." in page


def test_member_home_escapes_what_people_typed(member_client, member, dbs):
    for payload in XSS_PAYLOADS:
        trial = factories.make_trial(dbs, title=payload)
        factories.make_enrollment(dbs, trial, member, status="applied")
        factories.make_gap_report(dbs, member, title=payload)
        _opinion(dbs, factories.make_consultation(dbs, title=payload), member)
    page = member_client.get("/").get_data(as_text=True)
    for payload in XSS_PAYLOADS:
        assert payload not in page
    assert "&lt;script&gt;" in page


def _count_queries(app, client):
    return len(page_statements(app, client, "/"))


def test_member_home_issues_a_fixed_number_of_queries(app, client, dbs):
    few = factories.make_user(dbs, role="member")
    many = factories.make_user(dbs, role="member")
    _fill(dbs, few, 2)
    _fill(dbs, many, 20)
    login(client, few)
    with_few = _count_queries(app, client)
    client.post("/logout")
    login(client, many)
    with_many = _count_queries(app, client)
    assert with_few == with_many
    assert with_many <= 9  # one of them: what became of every submission shown (member_status)


@pytest.mark.parametrize("role, shown, hidden", [
    ("product", ["/staff/trials", "/staff/consultations"], ["/staff/reports", "/admin"]),
    ("office", ["/staff/trials", "/staff/consultations", "/staff/reports", "/staff/members"], ["/admin\""]),
    ("admin", ["/staff/trials", "/staff/consultations", "/staff/reports", "/staff/members", "/admin"], []),
])
def test_staff_home_links_to_their_areas(client, dbs, role, shown, hidden):
    user = factories.make_user(dbs, role=role)
    factories.make_trial(dbs, status="running", created_by_id=user.id)
    factories.make_gap_report(dbs, factories.make_user(dbs, role="member"))
    login(client, user)
    response = client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'data-testid="staff-home"' in page
    assert '<dd data-testid="count-running">1</dd>' in page
    section = page[page.index('data-testid="staff-home"'):]
    for href in shown:
        assert f'href="{href}' in section
    for href in hidden:
        assert f'href="{href}' not in section
    assert "My trials" not in page


def test_staff_home_counts_new_reports_for_the_office(office_client, dbs):
    member = factories.make_user(dbs, role="member")
    factories.make_gap_report(dbs, member)
    factories.make_gap_report(dbs, member, status="linked")
    page = office_client.get("/").get_data(as_text=True)
    assert "Reports to triage" in page and '<dd data-testid="count-reports">1</dd>' in page


def test_home_renders_in_chinese(app, dbs, member):
    _fill(dbs, member, 2)
    client = app.test_client()
    login(client, member)
    response = client.get("/")
    assert response.status_code == 200
    assert 'lang="zh-Hans"' in response.get_data(as_text=True)
    staff = app.test_client()
    login(staff, factories.make_user(dbs, role="admin"))
    assert staff.get("/").status_code == 200


def test_closed_consultation_is_shown_closed(member_client, member, dbs):
    today = factories.today()
    consultation = factories.make_consultation(
        dbs, title="Old policy", opens_on=today - timedelta(days=30), closes_on=today - timedelta(days=3))
    _opinion(dbs, consultation, member, stance="oppose")
    page = member_client.get("/").get_data(as_text=True)
    assert "Old policy" in page and "Oppose" in page and "Open until" not in page


def _header(page: str) -> str:
    return page[page.index('<header class="site-header">'):page.index("</header>")]


def test_product_team_sees_no_office_or_admin_links(client, dbs):
    """Links and buttons appear exactly when the viewer may open them."""
    login(client, factories.make_user(dbs, role="product"))
    page = client.get("/").get_data(as_text=True)
    for href in ("/staff/dashboard", "/staff/exports", "/admin", "/staff/members", "/staff/reports",
                 "/staff/supervision", "/staff/invitations"):
        assert f'href="{href}' not in page, href
    assert 'data-testid="home-dashboard"' not in page
    nav = _header(page)
    for href in ("/staff/inbox", "/staff/trials", "/staff/consultations", "/staff/improvements"):
        assert f'href="{href}' in nav, href
    assert 'href="/reports"' not in nav and 'href="/consultations"' not in nav


def test_office_sees_the_dashboard_but_not_administration(office_client):
    page = office_client.get("/").get_data(as_text=True)
    assert 'data-testid="home-dashboard"' in page
    nav = _header(page)
    for href in ("/staff/dashboard", "/staff/members", "/staff/reports", "/staff/supervision"):
        assert f'href="{href}' in nav, href
    assert 'href="/admin"' not in nav and 'href="/admin/departments"' not in nav


def test_admin_sees_administration_in_the_nav(admin_client):
    nav = _header(admin_client.get("/").get_data(as_text=True))
    assert 'href="/admin"' in nav and 'href="/admin/departments"' in nav


def test_member_nav_has_only_member_pages(member_client):
    nav = _header(member_client.get("/").get_data(as_text=True))
    for href in ("/trials", "/consultations", "/reports", "/changes"):
        assert f'href="{href}"' in nav, href
    assert 'href="/staff/' not in nav and 'href="/admin' not in nav


def test_product_counts_cover_their_own_trials_and_consultations(client, dbs):
    product = factories.make_user(dbs, role="product")
    other = factories.make_user(dbs, role="product")
    factories.make_trial(dbs, status="running", created_by_id=product.id)
    factories.make_trial(dbs, status="running", created_by_id=other.id)
    factories.make_consultation(dbs, created_by_id=other.id)
    login(client, product)
    page = client.get("/").get_data(as_text=True)
    assert '<dd data-testid="count-running">1</dd>' in page
    assert '<dd data-testid="count-consultations">0</dd>' in page
    assert 'data-testid="count-reports"' not in page
