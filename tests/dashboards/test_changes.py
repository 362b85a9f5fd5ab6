"""'What changed thanks to the panel': verified improvement items only, without personal data."""
from __future__ import annotations

import re

import pytest

from portal.triage.models import InternalNote, Submission
from tests import factories
from tests.conftest import login
from tests.dashboards.helpers import count_queries, utc

URL = "/changes"


def _arrange(dbs, submitter, staff):
    dept = factories.make_department(dbs, name="Store operations",
                                     a_contact=staff, b_contact=staff)
    submissions = []
    for n in range(2):
        s = Submission(kind="opinion", member_id=submitter.id, segment=submitter.segment,
                       district=submitter.district, title=f"SUBMISSION-TITLE-{n}",
                       description=f"SUBMISSION-TEXT-{n}", status="linked", tags=[])
        s.notes = [InternalNote(author_id=staff.id, text=f"INTERNAL-NOTE-{n}")]
        dbs.add(s)
        submissions.append(s)
    dbs.commit()
    older = factories.make_item(
        dbs, title="Shorter store queues", status="verified", commitment="counter_service",
        department_id=dept.id, resolution_note="A second counter opens at peak hours.",
        description="ITEM-DESCRIPTION internal", created_by_id=staff.id,
        closed_at=utc(2026, 3, 1, 2, 0), submissions=submissions,
    )
    newer = factories.make_item(
        dbs, title="Roaming bill alert", status="verified", commitment="roaming",
        resolution_note="An SMS now warns before roaming charges exceed 100 yuan.",
        closed_at=utc(2026, 3, 10, 2, 0),
    )
    for status in ("proposed", "approved", "in_progress", "done", "rejected"):
        factories.make_item(dbs, title=f"NOT-SHOWN-{status}", status=status,
                            resolution_note=f"NOTE-{status}")
    return older, newer


def test_only_verified_items_newest_first_without_personal_data(client, dbs, member, office_user):
    submitter = factories.make_user(dbs, role="member", name="Zhang SecretMember")
    staff = factories.make_user(dbs, role="office", name="Li SecretStaff")
    older, newer = _arrange(dbs, submitter, staff)
    login(client, member)
    response = client.get(URL)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.index("Roaming bill alert") < html.index("Shorter store queues")
    assert "A second counter opens at peak hours." in html
    assert "An SMS now warns before roaming charges exceed 100 yuan." in html
    assert "Counter service" in html and "International roaming" in html
    assert "Store operations" in html
    assert "2 member submissions led to it" in html
    assert "NOT-SHOWN" not in html and "NOTE-" not in html
    for private in ("SecretMember", "SecretStaff", "SUBMISSION-TEXT", "SUBMISSION-TITLE",
                    "INTERNAL-NOTE", "ITEM-DESCRIPTION", submitter.email, staff.email):
        assert private not in html
    assert html.count('class="card change"') == 2


def test_texts_are_escaped(member_client, dbs):
    for payload in ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>'):
        factories.make_item(dbs, title=payload, resolution_note=payload, status="verified")
    html = member_client.get(URL).get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_empty_says_no_data_yet(member_client):
    response = member_client.get(URL)
    assert response.status_code == 200
    assert "No data yet: no improvement has been verified." in response.get_data(as_text=True)


def test_paginated(member_client, dbs):
    for n in range(23):
        factories.make_item(dbs, title=f"Change {n:02d}", status="verified",
                            closed_at=utc(2026, 1, 1 + n))
    first = member_client.get(URL).get_data(as_text=True)
    assert first.count('class="card change"') == 20 and "Change 22" in first
    assert "Page 1 of 2" in first
    second = member_client.get(URL + "?page=2").get_data(as_text=True)
    assert second.count('class="card change"') == 3 and "Change 00" in second


def test_linked_from_member_nav_and_home(member_client):
    html = member_client.get("/").get_data(as_text=True)
    nav = html.split('class="main-nav"', 1)[1].split("</nav>", 1)[0]
    assert 'href="/changes"' in nav
    assert re.search(r'data-testid="home-changes"><a href="/changes">', html)


@pytest.mark.parametrize("fixture", ["product_client", "office_client", "admin_client"])
def test_staff_may_view(request, fixture, dbs):
    factories.make_item(dbs, title="Visible change", status="verified")
    client = request.getfixturevalue(fixture)
    response = client.get(URL)
    assert response.status_code == 200 and "Visible change" in response.get_data(as_text=True)


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_query_count_does_not_grow_with_items(app, dbs, member_client, member):
    def arrange(n):
        dept = factories.make_department(dbs)
        for _i in range(n):
            s = Submission(kind="opinion", member_id=member.id, title="t", description="d",
                           status="linked", tags=[])
            factories.make_item(dbs, status="verified", department_id=dept.id, submissions=[s])

    arrange(3)
    few, _ = count_queries(app, member_client, URL)
    arrange(27)
    many, statements = count_queries(app, member_client, URL)
    assert few == many, statements


def test_renders_in_chinese(member_client, dbs):
    factories.make_item(dbs, title="Change", status="verified", resolution_note="Done.",
                        commitment="roaming", closed_at=utc(2026, 3, 1))
    member_client.language("zh_Hans")
    assert member_client.get(URL).status_code == 200
