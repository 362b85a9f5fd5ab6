"""Page-numbered lists count no further than COUNT_CAP: past it the page says "More than ..."."""
from __future__ import annotations

from sqlalchemy import text

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


def test_where_postgresql_expects_many_rows_the_list_shows_its_estimate(office_client, dbs,
                                                                       monkeypatch):
    """Past ESTIMATE_FROM rows by the planner's estimate PostgreSQL's lists show the estimate
    ("About ...") and count nothing; fewer are counted. SQLite always counts."""
    monkeypatch.setattr(pagination, "COUNT_CAP", 26)
    monkeypatch.setattr(pagination, "ESTIMATE_FROM", 40)
    member = make_user(dbs, role="member")
    for _ in range(45):
        make_gap_report(dbs, member, district="pudong")
    for _ in range(30):
        make_gap_report(dbs, member, district="jingan")
    postgresql = dbs.get_bind().dialect.name == "postgresql"
    if postgresql:
        dbs.execute(text("ANALYZE service_gap_reports"))  # as autovacuum does
        dbs.commit()
    office_client.language("en")
    for url, estimate in (("/staff/reports", 75), ("/staff/reports?district=pudong", 45)):
        pager = _pager(office_client.get(url).get_data(as_text=True))
        assert (f"Page 1 · About {estimate} in all" if postgresql
                else "Page 1 · More than 26 in all") in pager, url
        assert 'rel="next"' in pager and " of " not in pager
    # Thirty rows by the estimate: counted, on both databases.
    pager = _pager(office_client.get("/staff/reports?district=jingan").get_data(as_text=True))
    assert "Page 1 · More than 26 in all" in pager
    office_client.language("zh_Hans")
    pager = _pager(office_client.get("/staff/reports").get_data(as_text=True))
    assert ("约 75 条" if postgresql else "超过 26 条") in pager


def test_two_figures_are_shown_of_an_estimate():
    assert [pagination._two_figures(n) for n in (7, 65, 154_478, 26_914, 999_915)] == [
        7, 65, 150_000, 27_000, 1_000_000]


def test_a_count_plans_a_search_of_any_text_as_one_literal_select(app, dbs):
    """The estimate's SQL is the statement with its values written in by SQLAlchemy: quotes,
    backslashes, percent signs and semicolons in a search stay text inside it."""
    from sqlalchemy import select

    from portal.gaps.models import ServiceGapReport
    member = make_user(dbs, role="member")
    make_gap_report(dbs, member, title="50% off; it's \\ fine")
    with app.app_context():
        for word, found in (("x'); DROP TABLE users; --", 0), ("50% off; it's \\", 1), ("%", 1)):
            stmt = select(ServiceGapReport).where(ServiceGapReport.title.contains(word, autoescape=True))
            assert pagination.count_rows(stmt, 10) == pagination.RowCount(found), word
            sql = pagination._planned_sql(pagination._rows_only(stmt))
            if dbs.get_bind().dialect.name == "postgresql":
                assert sql.startswith("SELECT 1") and "%%" not in sql
            else:
                assert sql is None


def _erring_count(dbs):
    """A statement whose rows raise an error when read (per row, so no planner folds it)."""
    from sqlalchemy import select

    from portal.gaps.models import ServiceGapReport
    bad = ("CAST(service_gap_reports.title || '{' AS json) IS NOT NULL"
           if dbs.get_bind().dialect.name == "postgresql"
           else "json(service_gap_reports.title || '{') IS NOT NULL")
    return select(ServiceGapReport).where(text(bad))


def test_past_the_mark_the_estimate_is_the_answer_and_no_row_is_read(app, dbs):
    """The capped count runs only below the mark: the same statement that would fail on its
    rows answers with the estimate, on both databases."""
    import pytest
    from sqlalchemy import literal
    from sqlalchemy.exc import DBAPIError

    make_gap_report(dbs, make_user(dbs, role="member"))
    with app.app_context():
        stmt = _erring_count(dbs)
        assert pagination.count_rows(stmt, 10, estimate=literal(123_456)) == pagination.RowCount(
            120_000, estimated=True)
        with pytest.raises(DBAPIError):  # below the mark: counted, and the rows are read
            pagination.count_rows(stmt, 10, estimate=literal(5))


def test_an_estimated_list_pages_by_its_rows_not_by_the_estimate(app, dbs, monkeypatch):
    """An estimate of many rows for a list of few (filters that go together fool a planner):
    'Next' only where a next page has rows, a page that is not full gives the exact total,
    and a page past the end falls back to the last page, counted."""
    from sqlalchemy import select

    from portal.gaps.models import ServiceGapReport
    member = make_user(dbs, role="member")
    for _ in range(5):
        make_gap_report(dbs, member)
    monkeypatch.setattr(pagination, "count_rows",
                        lambda stmt, limit, estimate=None: pagination.RowCount(52_000, True))
    stmt = select(ServiceGapReport).order_by(ServiceGapReport.id)
    with app.test_request_context("/"):
        first = pagination.paginate(stmt, number=1, per_page=2)
        assert (len(first.items), first.estimate, first.capped, first.has_next) == (2, 52_000, True, True)
        last = pagination.paginate(stmt, number=3, per_page=2)
        assert (len(last.items), last.total, last.estimate, last.has_next, last.pages) == (
            1, 5, None, False, 3)
        assert last.has_prev
        beyond = pagination.paginate(stmt, number=40, per_page=2)
        assert (beyond.number, len(beyond.items), beyond.total, beyond.estimate) == (3, 1, 5, None)
        full = pagination.paginate(stmt.where(ServiceGapReport.id < 0), number=1, per_page=2)
        assert (full.items, full.total, full.estimate, full.has_next) == ([], 0, None, False)
