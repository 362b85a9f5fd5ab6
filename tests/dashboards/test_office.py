"""The office dashboard: figures checked against a small data set counted by hand."""
from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import pytest

from portal.dashboards import services
from tests import factories
from tests.dashboards.helpers import (  # noqa: F401
    TODAY,
    cell,
    count_queries,
    day_counts,
    department_row,
    make_submission,
    total,
    utc,
)

URL = "/staff/dashboard"


# --- new submissions per day ---------------------------------------------------------------


def _submissions(dbs, member):
    # Shanghai is UTC+8: Shanghai 15 March starts at 14 March 16:00 UTC.
    for at in (
        utc(2026, 3, 14, 15, 59),   # 14 March 23:59 Shanghai
        utc(2026, 3, 14, 16, 0),    # 15 March 00:00 Shanghai
        utc(2026, 3, 15, 3, 0),     # 15 March
        utc(2026, 3, 15, 15, 59),   # 15 March 23:59
        utc(2026, 3, 15, 16, 0),    # 16 March: tomorrow, not counted
        utc(2026, 3, 10, 1, 0),     # 10 March
        utc(2026, 2, 13, 16, 0),    # 14 February 00:00: the first day of the 30
        utc(2026, 2, 13, 15, 59),   # 13 February 23:59: before the window
    ):
        make_submission(dbs, member, at)


def test_submissions_per_day_counts_shanghai_days_with_zero_days(office_client, dbs, member,
                                                                  fixed_today):
    _submissions(dbs, member)
    html = office_client.get(URL).get_data(as_text=True)
    counts = day_counts(html)
    assert len(counts) == 30
    assert min(counts) == "2026-02-14" and max(counts) == "2026-03-15"
    expected = {"2026-03-15": 3, "2026-03-14": 1, "2026-03-10": 1, "2026-02-14": 1}
    for day, n in counts.items():
        assert n == expected.get(day, 0), day
    assert "6 in all" in html
    assert 'role="img"' in html  # the chart is drawn beside the table


def test_submissions_per_day_service(app, dbs, member):
    _submissions(dbs, member)
    with app.test_request_context():
        days = services.submissions_per_day(today=TODAY)
    assert [d.day for d in days][:2] == [date(2026, 2, 14), date(2026, 2, 15)]
    assert days[-1] == services.DayCount(TODAY, 3)
    assert sum(d.count for d in days) == 6
    assert sum(1 for d in days if d.count == 0) == 26


# --- improvement items by department -------------------------------------------------------


def test_open_and_overdue_items_by_department(office_client, dbs, fixed_today):
    a = factories.make_department(dbs, name="Network operations")
    b = factories.make_department(dbs, name="Billing centre")
    quiet = factories.make_department(dbs, name="Quiet department")
    yesterday, today = TODAY - timedelta(days=1), TODAY
    for status, due, dept in (
        ("in_progress", yesterday, a),        # open, overdue
        ("proposed", date(2026, 3, 1), a),    # open, overdue
        ("approved", today, a),               # open, due today: not overdue
        ("done", yesterday, a),               # closed
        ("verified", yesterday, a),           # closed
        ("rejected", yesterday, b),           # closed
        ("approved", None, b),                # open, no due date
        ("done", None, quiet),                # closed
        ("in_progress", yesterday, None),     # open, overdue, no department yet
    ):
        factories.make_item(dbs, status=status, due_on=due, department_id=dept.id if dept else None)
    html = office_client.get(URL).get_data(as_text=True)
    assert department_row(html, a.id) == (3, 2)
    assert department_row(html, b.id) == (1, 0)
    assert department_row(html, None) == (1, 1)
    assert "Quiet department" not in html
    assert "No department yet" in html
    # the most overdue first
    assert html.index("Network operations") < html.index("No department yet") < html.index("Billing centre")


# --- district x commitment ------------------------------------------------------------------


def _gaps(dbs, member):
    # The 90 days end on 15 March 2026 and start on 16 December 2025 (Shanghai).
    rows = (
        [("xuhui", "counter_service", utc(2026, 3, 1, 2, 0))] * 4
        + [("pudong", "network_quality", utc(2026, 2, 1, 2, 0))] * 3
        + [("xuhui", "network_quality", utc(2026, 1, 5, 2, 0))] * 2
        + [("huangpu", "roaming", utc(2026, 3, 15, 15, 59)),           # 15 March 23:59
           ("chongming", "billing_reminders", utc(2025, 12, 15, 16, 0)),  # 16 Dec 00:00: first day
           ("jinshan", "e_channels", utc(2025, 12, 15, 15, 59)),        # 15 Dec: only in 180 days
           ("yangpu", "roaming", utc(2026, 3, 15, 16, 0))]              # tomorrow: never
    )
    for district, commitment, at in rows:
        factories.make_gap_report(dbs, member, district=district, commitment=commitment,
                                  created_at=at)


def test_gap_matrix_counts_totals_and_top_cells(office_client, dbs, member, fixed_today):
    _gaps(dbs, member)
    html = office_client.get(URL).get_data(as_text=True)
    assert cell(html, "xuhui:counter_service") == (4, True)
    assert cell(html, "pudong:network_quality") == (3, True)
    assert cell(html, "xuhui:network_quality") == (2, True)
    assert cell(html, "huangpu:roaming") == (1, False)
    assert cell(html, "chongming:billing_reminders") == (1, False)
    assert cell(html, "jinshan:e_channels") == (0, False)
    assert cell(html, "yangpu:roaming") == (0, False)
    assert html.count('data-cell="') == 16 * 6
    assert total(html, "xuhui") == 6 and total(html, "pudong") == 3 and total(html, "jinshan") == 0
    assert total(html, "network_quality") == 5 and total(html, "counter_service") == 4
    assert total(html, "roaming") == 1 and total(html, "all") == 11
    assert "Xuhui · Counter service (4)" in html


def test_gap_matrix_window_is_selectable(office_client, dbs, member, fixed_today):
    _gaps(dbs, member)
    html = office_client.get(URL + "?window=180").get_data(as_text=True)
    assert cell(html, "jinshan:e_channels") == (1, False)
    assert total(html, "all") == 12
    assert '<option selected value="180">' in html or 'value="180" selected' in html
    html = office_client.get(URL + "?window=30").get_data(as_text=True)
    # 30 days: 14 February to 15 March
    assert total(html, "all") == 5 and cell(html, "xuhui:counter_service") == (4, True)
    # an unknown window falls back to 90 days
    html = office_client.get(URL + "?window=7%3Cscript%3E").get_data(as_text=True)
    assert total(html, "all") == 11
    assert "<script>" not in html.split("<main", 1)[1]


def test_gap_matrix_ties_are_all_highlighted(app, dbs, member):
    for district in ("xuhui", "pudong", "huangpu", "jingan"):
        factories.make_gap_report(dbs, member, district=district, created_at=utc(2026, 3, 1))
    with app.test_request_context():
        matrix = services.gap_matrix(90, today=TODAY)
    assert len(matrix.top) == 4 and matrix.total == 4


# --- empty database, the index, roles, queries, Chinese ---------------------------------------


def test_empty_database_says_no_data_yet(office_client):
    response = office_client.get(URL)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "No data yet: no submissions in the last 30 days." in html
    assert "No data yet: no open improvement items." in html
    assert "No data yet: no service-gap reports in this period." in html
    assert "No data yet: no index has been computed." in html


def test_latest_index_is_shown(office_client, monkeypatch):
    monkeypatch.setattr(services, "latest_index", lambda: SimpleNamespace(
        label="2026-02", value=72.46, components={"satisfaction": 80.0, "word_of_mouth": None}))
    html = office_client.get(URL).get_data(as_text=True)
    assert 'data-testid="index-period">2026-02<' in html and "<strong>72.5</strong>" in html
    assert 'data-component="satisfaction">80.0<' in html


@pytest.mark.parametrize("fixture", ["office_client", "admin_client"])
def test_office_and_admin_see_the_dashboard(request, fixture):
    client = request.getfixturevalue(fixture)
    assert client.get(URL).status_code == 200
    home = client.get("/").get_data(as_text=True)
    grid = home.split('data-testid="staff-home">', 1)[1]
    # the dashboard is the first card of the staff home, and in the navigation
    assert grid.lstrip().startswith('<section class="card" data-testid="home-dashboard">')
    nav = home.split('class="main-nav"', 1)[1].split("</nav>", 1)[0]
    assert 'href="/staff/dashboard"' in nav


@pytest.mark.parametrize("fixture", ["member_client", "product_client"])
def test_members_and_product_teams_are_refused(request, fixture):
    client = request.getfixturevalue(fixture)
    assert client.get(URL).status_code == 403
    assert 'href="/staff/dashboard"' not in client.get("/").get_data(as_text=True)


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_query_count_does_not_grow_with_data(app, dbs, office_client, member, fixed_today):
    def arrange(n):
        dept = factories.make_department(dbs)
        for i in range(n):
            make_submission(dbs, member, utc(2026, 3, 1 + i % 14, 5, 0))
            factories.make_item(dbs, status="in_progress", due_on=date(2026, 3, 1),
                                department_id=dept.id)
            factories.make_gap_report(dbs, member, district=list(services.domain.DISTRICTS)[i % 16],
                                      created_at=utc(2026, 3, 1))

    arrange(3)
    few, _ = count_queries(app, office_client, URL)
    arrange(27)
    many, statements = count_queries(app, office_client, URL)
    assert few == many, statements


def test_dashboard_renders_in_chinese(office_client, dbs, member, fixed_today):
    _submissions(dbs, member)
    _gaps(dbs, member)
    factories.make_item(dbs, status="approved", due_on=date(2026, 3, 1),
                        department_id=factories.make_department(dbs).id)
    office_client.language("zh_Hans")
    assert office_client.get(URL).status_code == 200
    assert office_client.get(URL + "?window=30").status_code == 200


def test_latest_index_from_the_index_area(office_client, dbs):
    models = pytest.importorskip("portal.index.models")
    figures = [("satisfaction", "network_quality", 80, None), ("satisfaction", "roaming", 80, None),
               ("satisfaction_benchmark", "", 84, 80), ("word_of_mouth", "", 30, 10)]
    for label, month, rows in (("2026-01", 1, figures[:1]), ("2026-02", 2, figures), ("2026-03", 3, [])):
        period = models.IndexPeriod(label=label, kind="month", starts_on=date(2026, month, 1),
                                    ends_on=date(2026, month, 28), weight_satisfaction=40,
                                    weight_benchmark=30, weight_word_of_mouth=30)
        period.figures = [models.IndexFigure(component=c, commitment=a, own_value=o,
                                             competitor_value=v) for c, a, o, v in rows]
        dbs.add(period)
    dbs.commit()
    html = office_client.get(URL).get_data(as_text=True)
    # the latest period with figures; its index as the index area computes it
    from portal.index import services as index_services
    with office_client.application.test_request_context():
        expected = index_services.latest_index()
    assert expected.label == "2026-02"
    assert 'data-testid="index-period">2026-02<' in html
    assert f"<strong>{expected.value:.1f}</strong>" in html
    assert 'href="/staff/index"' in html


def test_links_follow_the_viewers_capabilities(office_client, dbs, fixed_today, monkeypatch):
    from portal import permissions

    factories.make_item(dbs, status="in_progress", department_id=factories.make_department(dbs).id)
    html = office_client.get(URL).get_data(as_text=True)
    assert 'href="/staff/supervision"' in html and 'href="/staff/improvements"' in html
    assert 'href="/staff/index"' in html
    # A viewer who may not edit items or read the index is not offered those pages.
    monkeypatch.setitem(permissions.CAPABILITIES, "items.edit", ())
    monkeypatch.setitem(permissions.CAPABILITIES, "index.view", ())
    html = office_client.get(URL).get_data(as_text=True)
    section = html.split('data-testid="dash-items"', 1)[1].split("</section>", 1)[0]
    assert 'href="/staff/supervision"' not in section and 'href="/staff/improvements"' in section
    index = html.split('data-testid="dash-index"', 1)[1].split("</section>", 1)[0]
    assert 'href="/staff/index"' not in index
