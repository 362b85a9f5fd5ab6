"""The index page, the drill-down per commitment area, and the admin period pages."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.index.models import IndexPeriod
from tests.conftest import XSS_PAYLOADS, login
from tests.factories import make_gap_report, make_user
from tests.index.helpers import FIXED, make_period
from tests.queries import page_statements


def test_overview_without_data(office_client):
    response = office_client.get("/staff/index")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "No data yet: no period has figures." in page
    assert "How the index is computed" in page


def test_overview_shows_latest_index_formula_trend_and_table(product_client, dbs):
    make_period(dbs, "2026-09", date(2026, 9, 1), date(2026, 9, 30), figures=FIXED)
    make_period(dbs, "2026-10", date(2026, 10, 1), date(2026, 10, 31),
                figures=[("satisfaction", "roaming", 90, None)])
    make_period(dbs, "2026-11", date(2026, 11, 1), date(2026, 11, 30))
    response = product_client.get("/staff/index")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Latest period: 2026-10" in page
    assert "clamp(50 + 2.5 × (" in page
    assert '<svg' in page and 'role="img"' in page
    for label in ("2026-09", "2026-10", "2026-11"):
        assert label in page
    assert "68.0" in page and "90.0" in page
    assert "No data yet" in page  # 2026-11 has no figure
    assert "Periods and figures" not in page  # admins only


def test_area_drill_down(office_client, dbs):
    make_period(dbs, "2026-09", date(2026, 9, 1), date(2026, 9, 30), figures=FIXED)
    member = make_user(dbs)
    make_gap_report(dbs, member, commitment="roaming", severity=3,
                    occurred_at=datetime(2026, 9, 10, tzinfo=UTC))
    make_gap_report(dbs, member, commitment="network_quality", severity=1,
                    occurred_at=datetime(2026, 9, 10, tzinfo=UTC))
    response = office_client.get("/staff/index/areas/roaming")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "International roaming" in page and "90.0" in page and "3.0" in page
    assert office_client.get("/staff/index/areas/moon").status_code == 404


def test_area_without_periods(office_client):
    response = office_client.get("/staff/index/areas/roaming")
    assert response.status_code == 200
    assert "No data yet" in response.get_data(as_text=True)


def test_members_and_anonymous_cannot_see_the_index(client, dbs):
    response = client.get("/staff/index")
    assert response.status_code == 302 and "/login" in response.location
    login(client, make_user(dbs))
    assert client.get("/staff/index").status_code == 403
    assert client.get("/staff/index/areas/roaming").status_code == 403
    assert client.get("/staff/index/periods/new").status_code == 403


def test_period_page_shows_survey_and_panel_figures(admin_client, dbs):
    period = make_period(dbs, figures=FIXED)
    make_gap_report(dbs, make_user(dbs), commitment="counter_service", severity=4,
                    occurred_at=datetime(2026, 10, 3, tzinfo=UTC))
    page = admin_client.get(f"/staff/index/periods/{period.id}").get_data(as_text=True)
    assert "Survey figures" in page and "own figures" in page
    assert "68.0" in page and "4.0" in page


def test_admin_creates_and_edits_a_period(admin_client, dbs):
    response = admin_client.post("/staff/index/periods/new", data={
        "label": "2026-Q3", "kind": "quarter", "starts_on": "2026-07-01", "ends_on": "2026-09-30",
        "weight_satisfaction": "50", "weight_benchmark": "25", "weight_word_of_mouth": "25",
    })
    assert response.status_code == 302
    period = dbs.scalars(select(IndexPeriod)).one()
    assert (period.label, period.kind, period.weight_satisfaction) == ("2026-Q3", "quarter", 50)
    response = admin_client.post(f"/staff/index/periods/{period.id}/edit", data={
        "label": "2026-Q3", "kind": "quarter", "starts_on": "2026-07-01", "ends_on": "2026-09-30",
        "weight_satisfaction": "60", "weight_benchmark": "20", "weight_word_of_mouth": "20",
        "version": "1",
    })
    assert response.status_code == 302
    dbs.expire_all()
    assert dbs.get(IndexPeriod, period.id).weight_satisfaction == 60
    actions = [e.action for e in dbs.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == ["create", "update"]
    assert "2026-Q3" in admin_client.get("/staff/index/periods").get_data(as_text=True)


@pytest.mark.parametrize("changes, message", [
    ({"label": "October"}, "Use a month such as 2026-10"),
    ({"ends_on": "2026-09-01"}, "The period cannot end before it starts."),
    ({"weight_satisfaction": "-1"}, "Please give a weight from 0 to 100."),
    ({"weight_satisfaction": "0", "weight_benchmark": "0", "weight_word_of_mouth": "0"},
     "At least one weight must be above zero."),
    ({"label": "2026-10"}, "A period with this label already exists."),
    ({"starts_on": "soon"}, "Please give a date such as 2024-05-31."),
])
def test_bad_periods_are_refused_with_input_kept(admin_client, dbs, changes, message):
    make_period(dbs)  # 2026-10
    data = {"label": "2026-11", "kind": "month", "starts_on": "2026-11-01",
            "ends_on": "2026-11-30", "weight_satisfaction": "40", "weight_benchmark": "30",
            "weight_word_of_mouth": "30", **changes}
    response = admin_client.post("/staff/index/periods/new", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert f'value="{data["label"]}"' in page
    assert dbs.scalars(select(IndexPeriod)).all()[0].label == "2026-10"
    assert len(dbs.scalars(select(IndexPeriod)).all()) == 1


def test_hostile_label_is_refused_and_escaped(admin_client):
    for payload in XSS_PAYLOADS:
        response = admin_client.post("/staff/index/periods/new", data={
            "label": payload, "kind": "month", "starts_on": "2026-11-01", "ends_on": "2026-11-30",
            "weight_satisfaction": "40", "weight_benchmark": "30", "weight_word_of_mouth": "30",
        })
        assert response.status_code == 422
        assert payload not in response.get_data(as_text=True)


def test_unknown_period_is_404(admin_client):
    assert admin_client.get("/staff/index/periods/999").status_code == 404
    assert admin_client.get("/staff/index/periods/999/edit").status_code == 404


def _count(app, client, url):
    return len(page_statements(app, client, url))


def test_overview_query_count_does_not_grow_with_periods(app, office_client, dbs):
    for month in (1, 2, 3):
        make_period(dbs, f"2025-{month:02d}", date(2025, month, 1), date(2025, month, 28),
                    figures=FIXED)
    few = _count(app, office_client, "/staff/index")
    for month in range(1, 13):
        make_period(dbs, f"2024-{month:02d}", date(2024, month, 1), date(2024, month, 28),
                    figures=FIXED)
    assert _count(app, office_client, "/staff/index") == few


@pytest.mark.parametrize("url", ["/staff/index", "/staff/index/areas/roaming",
                                 "/staff/index/periods", "/staff/index/periods/new",
                                 "PERIOD", "PERIOD/edit"])
def test_pages_render_in_chinese(admin_client, dbs, url):
    period = make_period(dbs, figures=FIXED)
    url = url.replace("PERIOD", f"/staff/index/periods/{period.id}")
    admin_client.language("zh_Hans")
    response = admin_client.get(url)
    assert response.status_code == 200
    assert 'lang="zh' in response.get_data(as_text=True)
