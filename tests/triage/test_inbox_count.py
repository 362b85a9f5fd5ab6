"""The inbox's count: exact from the facet counts when only equality filters are set (however
many rows), counted no further than COUNT_CAP otherwise (dates, search), beyond which it says
"more than"."""
from __future__ import annotations

import re
from itertools import combinations

import pytest
from sqlalchemy import text

from portal import pagination
from portal.triage import services
from tests.factories import make_submission, make_trial, make_user

URL = "/staff/inbox"


def _total(client, url: str = URL) -> str:
    page = client.get(url).get_data(as_text=True)
    return re.search(r'data-testid="inbox-total">([^<]*)<', page).group(1)


def test_searches_and_dates_count_up_to_the_cap_then_say_more_than(office_client, dbs, member,
                                                                  monkeypatch):
    monkeypatch.setattr(services, "COUNT_CAP", 3)
    office_client.language("en")
    for n in range(2):
        make_submission(dbs, member, title=f"Queue {n}")
    assert _total(office_client, URL + "?q=Queue") == "2 in all"
    for n in range(2, 5):
        make_submission(dbs, member, title=f"Queue {n}")
    assert _total(office_client, URL + "?q=Queue") == "More than 3 in all"
    assert _total(office_client, URL + "?date_from=2020-01-01") == "More than 3 in all"
    office_client.language("zh_Hans")
    assert _total(office_client, URL + "?q=Queue") == "超过 3 条"
    # Equality filters alone are counted in full from the facets, past the cap.
    office_client.language("en")
    assert _total(office_client) == "5 in all"
    assert _total(office_client, URL + "?kind=gap_report&status=new") == "5 in all"



def test_where_postgresql_expects_many_matches_the_inbox_shows_its_estimate(
        office_client, dbs, member, monkeypatch):
    """A search the planner expects in ESTIMATE_FROM rows or more: PostgreSQL's inbox says
    "About ..." (its estimate, read from the statistics, no row counted) and lists the matches
    as always; fewer expected, or SQLite: counted up to the cap."""
    monkeypatch.setattr(services, "COUNT_CAP", 3)
    monkeypatch.setattr(pagination, "ESTIMATE_FROM", 40)
    for _ in range(60):
        make_submission(dbs, member, title="排队太久", commit=False)
    for _ in range(10):
        make_submission(dbs, member, title="漫游费不准", commit=False)
    dbs.commit()
    postgresql = dbs.get_bind().dialect.name == "postgresql"
    if postgresql:
        dbs.execute(text("ANALYZE submissions"))  # as autovacuum does
        dbs.commit()
    office_client.language("en")
    assert _total(office_client, URL + "?q=排队") == (
        "About 60 in all" if postgresql else "More than 3 in all")
    page = office_client.get(URL + "?q=排队&per_page=100").get_data(as_text=True)
    assert len(re.findall(r"<tr data-submission=", page)) == 60
    assert _total(office_client, URL + "?q=漫游") == "More than 3 in all"
    office_client.language("zh_Hans")
    assert _total(office_client, URL + "?q=排队") == ("约 60 条" if postgresql else "超过 3 条")


def test_a_search_with_filters_is_estimated_where_both_ends_of_the_filters_find_it(
        office_client, dbs, member, monkeypatch):
    """A word in most rows of equality filters, at both ends of their date order: "About ..."
    (SQLite: the facets' count times the share in the two samples; PostgreSQL: the planner's).
    A word of the newest rows only is counted on SQLite, which cannot tell it from a dense one
    otherwise; PostgreSQL's statistics sample the whole table."""
    monkeypatch.setattr(services, "COUNT_CAP", 3)
    monkeypatch.setattr(services, "ESTIMATE_SAMPLE", 5)
    monkeypatch.setattr(pagination, "ESTIMATE_FROM", 40)
    for _ in range(60):
        make_submission(dbs, member, title="排队太久", commitment="roaming", commit=False)
    for _ in range(50):
        make_submission(dbs, member, title="新套餐", commitment="roaming", commit=False)
    make_submission(dbs, member, title="排队太久", commitment="network", commit=False)
    dbs.commit()
    postgresql = dbs.get_bind().dialect.name == "postgresql"
    if postgresql:
        dbs.execute(text("ANALYZE submissions"))
        dbs.commit()
    office_client.language("en")
    queued = URL + "?commitment=roaming&q=排队"
    if postgresql:
        assert re.fullmatch(r"About \d+ in all", _total(office_client, queued))
        assert re.fullmatch(r"About \d+ in all", _total(office_client, URL + "?commitment=roaming&q=套餐"))
    else:
        # The newest five roaming rows are 新套餐: 排队 is not in most of them, counted.
        assert _total(office_client, queued) == "More than 3 in all"
        assert _total(office_client, URL + "?commitment=roaming&q=套餐") == "More than 3 in all"
        # Without them, 排队 is in every roaming row at both ends: 60 by the facets.
        dbs.execute(text("DELETE FROM submissions WHERE title = '新套餐'"))
        dbs.commit()
        assert _total(office_client, queued) == "About 60 in all"
        office_client.language("zh_Hans")
        assert _total(office_client, queued) == "约 60 条"
        office_client.language("en")
    # A date filter is not in the facets: counted on SQLite.
    assert _total(office_client, queued + "&date_from=2000-01-01") == (
        "About 60 in all" if postgresql else "More than 3 in all")
    page = office_client.get(queued + "&per_page=100").get_data(as_text=True)
    assert len(re.findall(r"<tr data-submission=", page)) == 60

@pytest.fixture
def mix(dbs, member, office_user):
    """Submissions spread over the filters' values, with some edited after they were made."""
    trial = make_trial(dbs, status="running")
    other = make_user(dbs, email="other@example.com", segment="household", district="pudong")
    rows = []
    for n in range(24):
        who = member if n % 2 else other
        kind = ("gap_report", "evaluation", "opinion")[n % 3]
        fields = dict(status=("new", "in_review", "linked")[n % 3 if n % 4 else 0])
        if kind == "gap_report":
            fields.update(commitment=("roaming", "e_channels")[n % 2], severity=1 + n % 5,
                          channel=("store", "hotline")[n % 4 // 2])
        if kind == "evaluation":
            fields.update(trial_id=trial.id)
        if n % 5 == 0:
            fields.update(assignee_id=office_user.id)
        rows.append(make_submission(dbs, who, kind=kind, **fields))
    # Moved after the fact: the facets follow status, assignee and deletes.
    rows[1].status, rows[2].assignee_id = "no_action", office_user.id
    rows[3].assignee_id = None
    dbs.delete(rows[4])
    dbs.commit()
    return trial


def test_every_pair_of_equality_filters_counts_what_the_list_holds(office_client, dbs, mix,
                                                                    office_user):
    office_client.language("en")
    values = {"kind": "gap_report", "status": "in_review", "segment": "household",
              "district": "pudong", "channel": "hotline", "commitment": "roaming",
              "severity": "3", "trial_id": str(mix.id), "assignee_id": str(office_user.id)}
    checked = 0
    for (a, x), (b, y) in [*combinations(values.items(), 2), (("assignee_id", "0"), ("kind", "opinion"))]:
        url = f"{URL}?{a}={x}&{b}={y}&per_page=200"
        page = office_client.get(url).get_data(as_text=True)
        listed = len(re.findall(r'<tr data-submission=', page))
        if listed:
            assert _total(office_client, url) == f"{listed} in all", url
        else:
            assert "No submission matches." in page, url
        checked += listed > 0
    assert checked >= 10  # the mix makes most pairs match something


def test_a_product_team_counts_only_what_it_may_see(product_client, dbs, mix, product_user, member):
    own = make_trial(dbs, status="running", created_by=product_user)
    for _ in range(3):
        make_submission(dbs, member, kind="evaluation", trial_id=own.id)
    product_client.language("en")
    # The mix's evaluations are of another team's trial, its gap reports never theirs.
    assert _total(product_client) == "3 in all"
    assert _total(product_client, URL + "?kind=evaluation&status=new") == "3 in all"
    assert "No submission matches." in product_client.get(
        f"{URL}?trial_id={mix.id}&kind=evaluation").get_data(as_text=True)
    assert _total(product_client, f"{URL}?trial_id={own.id}&kind=evaluation") == "3 in all"


def test_filters_that_exclude_each_other_read_no_submission(app, office_client, dbs, mix):
    from tests.queries import sql_statements

    office_client.language("en")
    with sql_statements(app) as statements:
        page = office_client.get(f"{URL}?kind=gap_report&trial_id={mix.id}").get_data(as_text=True)
    assert "No submission matches." in page
    assert not [s for s in statements if "FROM submissions" in s], statements
    # A page of rows that do match still reads them.
    with sql_statements(app) as statements:
        page = office_client.get(f"{URL}?kind=evaluation&trial_id={mix.id}").get_data(as_text=True)
    assert "No submission matches." not in page
    assert [s for s in statements if "FROM submissions" in s]


def test_a_first_page_holding_every_row_shows_their_number_not_the_estimate(
        office_client, dbs, member, monkeypatch):
    """An estimate of many (filters that go together fool a planner) for a search that finds
    three rows: the first page holds them all, so the inbox says 3, not "About 52,000"."""
    monkeypatch.setattr(services, "count_rows",
                        lambda stmt, limit, estimate=None: pagination.RowCount(52_000, True))
    for _ in range(3):
        make_submission(dbs, member, title="排队太久")
    office_client.language("en")
    searched = URL + "?q=排队&date_from=2000-01-01"  # counted by count_rows on both databases
    assert _total(office_client, searched) == "3 in all"
    for _ in range(30):
        make_submission(dbs, member, title="排队太久", commit=False)
    dbs.commit()
    assert _total(office_client, searched) == "About 52,000 in all"
