"""Page-numbered lists count no further than COUNT_CAP: past it the page says "More than ..."."""
from __future__ import annotations

from portal import pagination
from tests.factories import make_gap_report, make_user


def _pager(page: str) -> str:
    start = page.index('<nav class="pagination"')
    return page[start:page.index("</nav>", start)]


def test_a_list_within_the_cap_shows_its_pages_and_exact_total(office_client, dbs, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 100)
    member = make_user(dbs, role="member")
    for _ in range(30):
        make_gap_report(dbs, member)
    pager = _pager(office_client.get("/staff/reports").get_data(as_text=True))
    assert "Page 1 of 2" in pager and "30 in all" in pager


def test_past_the_cap_the_list_says_more_than_and_still_pages(office_client, dbs, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 26)
    member = make_user(dbs, role="member")
    for _ in range(30):
        make_gap_report(dbs, member)
    pager = _pager(office_client.get("/staff/reports").get_data(as_text=True))
    assert "More than 26 in all" in pager and " of " not in pager
    assert 'rel="next"' in pager
    second = office_client.get("/staff/reports?page=2").get_data(as_text=True)
    assert "Page 2" in _pager(second)


def test_capped_count_stops_at_the_cap(app, dbs):
    member = make_user(dbs, role="member")
    for _ in range(5):
        make_gap_report(dbs, member)
    from sqlalchemy import select

    from portal.gaps.models import ServiceGapReport
    with app.app_context():
        assert pagination.capped_count(select(ServiceGapReport), 3) == 4
        assert pagination.capped_count(select(ServiceGapReport), 10) == 5
