"""The inbox list: who sees what, every filter, keyset pagination and a fixed query count."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.conftest import XSS_PAYLOADS, login
from tests.factories import make_consultation, make_trial, make_user
from tests.triage.helpers import BASE_TIME, count_queries, make_item, make_submission

ROW = re.compile(r'data-submission="(\d+)"')


def rows(response) -> list[int]:
    assert response.status_code == 200, response.status_code
    return [int(x) for x in ROW.findall(response.get_data(as_text=True))]


# --- roles ------------------------------------------------------------------------------------

@pytest.mark.parametrize("method,url", [
    ("get", "/staff/inbox"), ("get", "/staff/inbox/1"), ("post", "/staff/inbox/1"),
    ("post", "/staff/inbox/1/notes"), ("post", "/staff/inbox/1/items"),
    ("post", "/staff/inbox/1/items/1/unlink"), ("post", "/staff/inbox/bulk"),
])
def test_members_get_403_everywhere(dbs, member_client, member, method, url):
    make_submission(dbs, member)
    assert getattr(member_client, method)(url).status_code == 403


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/staff/inbox")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_office_sees_every_kind(dbs, office_client, member):
    ids = [make_submission(dbs, member, kind=k).id for k in ("gap_report", "opinion", "evaluation")]
    assert sorted(rows(office_client.get("/staff/inbox"))) == sorted(ids)


def test_product_sees_evaluations_and_opinions_of_their_own_only(dbs, client, member, product_user):
    other = make_user(dbs, role="product")
    mine_trial = make_trial(dbs, created_by_id=product_user.id)
    other_trial = make_trial(dbs, created_by_id=other.id)
    mine_c = make_consultation(dbs, created_by_id=product_user.id)
    other_c = make_consultation(dbs, created_by_id=other.id)
    e1 = make_submission(dbs, member, kind="evaluation", trial_id=mine_trial.id)
    make_submission(dbs, member, kind="evaluation", trial_id=other_trial.id)
    o1 = make_submission(dbs, member, kind="opinion", consultation_id=mine_c.id)
    make_submission(dbs, member, kind="opinion", consultation_id=other_c.id)
    gap = make_submission(dbs, member)
    login(client, product_user)
    assert sorted(rows(client.get("/staff/inbox"))) == sorted([e1.id, o1.id])
    assert client.get(f"/staff/inbox/{gap.id}").status_code == 404
    assert client.get(f"/staff/inbox/{e1.id}").status_code == 200
    assert "Export CSV" not in client.get("/staff/inbox").get_data(as_text=True)


def test_export_links_for_office_carry_the_filters(app, dbs, office_client, member):
    make_submission(dbs, member)
    html = office_client.get("/staff/inbox?kind=gap_report&q=queue&cursor=zzz").get_data(as_text=True)
    assert "Export CSV" in html and "Export XLSX" in html
    assert "kind=gap_report" in html and "q=queue" in html


def test_row_shows_what_triage_needs(dbs, office_client, member, office_user):
    item = make_item(dbs)
    s = make_submission(dbs, member, kind="evaluation", title="Router test", low_score=True,
                        assignee_id=office_user.id, status="linked", tags=["5g"])
    s.items.append(item)
    dbs.commit()
    html = office_client.get("/staff/inbox").get_data(as_text=True)
    for text in ("Evaluation", "Router test", "Low score", "Mobile / 3G subscriber", "Xuhui",
                 office_user.name, "Linked to an improvement", "5g", f'href="/staff/inbox/{s.id}"'):
        assert text in html, text
    assert f'name="ids" value="{s.id}"' in html


def test_member_text_is_escaped(dbs, office_client, member):
    for payload in XSS_PAYLOADS:
        make_submission(dbs, member, title=payload, tags=[payload[:30]])
    html = office_client.get("/staff/inbox").get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html and "<svg/onload" not in html
    assert "&lt;script&gt;alert" in html


def test_inbox_renders_in_chinese(dbs, office_client, member):
    make_submission(dbs, member, title="排队太久")
    office_client.language("zh_Hans")
    response = office_client.get("/staff/inbox")
    assert response.status_code == 200 and "排队太久" in response.get_data(as_text=True)


# --- filters ----------------------------------------------------------------------------------

def test_every_filter(dbs, office_client, member, other_member, office_user):
    trial = make_trial(dbs)
    a = make_submission(dbs, member, kind="gap_report", channel="hotline", commitment="roaming",
                        severity=4, title="Roaming bill shock", status="in_review",
                        assignee_id=office_user.id, submitted_at=BASE_TIME - timedelta(days=10))
    b = make_submission(dbs, other_member, kind="opinion", title="Opening hours",
                        description="Stores should open at eight", channel=None, commitment=None,
                        severity=None)
    c = make_submission(dbs, member, kind="evaluation", trial_id=trial.id, channel=None,
                        commitment=None, severity=None, title="Router", status="no_action")
    cases = {
        "kind=opinion": [b], "kind=evaluation": [c], "kind=gap_report": [a],
        "status=in_review": [a], "status=no_action": [c], "status=new": [b],
        "segment=household": [b], "segment=mobile": [a, c],
        "district=pudong": [b], "district=xuhui": [a, c],
        "channel=hotline": [a], "commitment=roaming": [a], "severity=4": [a],
        f"trial_id={trial.id}": [c], f"assignee_id={office_user.id}": [a], "assignee_id=0": [b, c],
        "q=roaming": [a], "q=EIGHT": [b], "q=%25": [],
        # dates are Shanghai days, both ends included
        f"date_to={(BASE_TIME - timedelta(days=10)).date()}": [a],
        f"date_from={(BASE_TIME - timedelta(days=9)).date()}": [b, c],
        f"date_from={(BASE_TIME - timedelta(days=10)).date()}"
        f"&date_to={(BASE_TIME - timedelta(days=10)).date()}": [a],
        "kind=gap_report&status=new": [],
        # values not allowed are ignored
        "kind=bogus&severity=9&trial_id=x&date_from=2024-13-40": [a, b, c],
    }
    for query, expected in cases.items():
        got = rows(office_client.get(f"/staff/inbox?{query}"))
        assert sorted(got) == sorted(s.id for s in expected), query


# --- keyset pagination ------------------------------------------------------------------------

def test_keyset_pages_are_newest_first_without_gaps_or_repeats(dbs, office_client, member):
    made = []
    for n in range(23):
        # pairs share a timestamp so the id breaks the tie
        made.append(make_submission(dbs, member, commit=False,
                                    submitted_at=BASE_TIME + timedelta(seconds=n // 2)))
    dbs.commit()
    expected = [s.id for s in sorted(made, key=lambda s: (s.submitted_at, s.id), reverse=True)]
    seen, pages = [], []
    url = "/staff/inbox?per_page=5"
    html = ""
    while True:
        response = office_client.get(url)
        page = rows(response)
        pages.append(page)
        seen += page
        html = response.get_data(as_text=True)
        match = re.search(r'href="([^"]+)" rel="next"', html)
        if not match:
            break
        url = match.group(1).replace("&amp;", "&")
        assert "cursor=" in url and "&page=" not in url and "?page=" not in url
    assert seen == expected
    assert [len(p) for p in pages] == [5, 5, 5, 5, 3]
    # Newer goes back one page at a time, then "Newest" returns to the first page
    newer = re.search(r'href="([^"]+)" rel="prev"', html).group(1).replace("&amp;", "&")
    assert rows(office_client.get(newer)) == pages[-2]
    first = re.search(r'href="([^"]+)" rel="first"', html).group(1).replace("&amp;", "&")
    assert rows(office_client.get(first)) == pages[0]


def test_a_bad_cursor_shows_the_first_page(dbs, office_client, member):
    s = make_submission(dbs, member)
    for cursor in ("garbage", "eDox", "%00", "a" * 200):
        assert rows(office_client.get(f"/staff/inbox?cursor={cursor}")) == [s.id]


def test_query_count_is_the_same_for_10_and_200_rows(app, dbs, office_client, member, other_member,
                                                     office_user, admin_user):
    item = make_item(dbs)

    def fill(n):
        for i in range(n):
            s = make_submission(dbs, member if i % 2 else other_member, commit=False,
                                assignee_id=(office_user.id, admin_user.id, None)[i % 3])
            if i % 4 == 0:
                s.items.append(item)
        dbs.commit()

    fill(10)
    office_client.get("/staff/inbox?per_page=200")  # warm up
    with count_queries(app) as few:
        assert len(rows(office_client.get("/staff/inbox?per_page=200"))) == 10
    fill(190)
    with count_queries(app) as many:
        assert len(rows(office_client.get("/staff/inbox?per_page=200"))) == 200
    assert len(few) == len(many), "\n".join(many)
    if app.extensions["portal.engine"].dialect.name == "postgresql":
        # (SQLite always writes "LIMIT ? OFFSET ?", with 0 here)
        assert not any(" OFFSET " in q.upper() for q in many if "FROM submissions" in q)
