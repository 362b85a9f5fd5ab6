"""Staff (product, office, admin) create, edit, publish and read consultations."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.opinions.models import Consultation
from tests.conftest import login
from tests.factories import make_consultation, make_user
from tests.opinions.helpers import (
    closed_consultation,
    count_queries,
    days,
    make_opinion,
    open_consultation,
    upcoming_consultation,
)

STAFF_CLIENTS = ["product_client", "office_client", "admin_client"]


def form_data(**override):
    data = dict(subject="product_policy", title="New roaming packages",
                body="We plan **cheaper** roaming.\n\n- Asia\n- Europe",
                opens_on=days(0).isoformat(), closes_on=days(14).isoformat(), version="1")
    data.update(override)
    return data


def stored(dbs, consultation_id) -> Consultation:
    dbs.expire_all()
    return dbs.get(Consultation, consultation_id)


@pytest.mark.parametrize("role_client", STAFF_CLIENTS)
def test_every_staff_role_creates_a_draft(request, dbs, role_client):
    client = request.getfixturevalue(role_client)
    response = client.post("/staff/consultations/new", data=form_data())
    assert response.status_code == 302
    consultation = dbs.scalar(select(Consultation))
    assert consultation.status == "draft"
    assert consultation.title == "New roaming packages"
    assert consultation.subject == "product_policy"
    assert consultation.opens_on == days(0) and consultation.closes_on == days(14)
    assert consultation.created_by_id is not None
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "saved as a draft" in page
    assert "<strong>cheaper</strong>" in page and "<li>Asia</li>" in page
    assert "Publish" in page


def test_new_form_renders(product_client):
    response = product_client.get("/staff/consultations/new")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'name="title"' in html and 'type="date"' in html and "Service standard" in html


def test_closing_before_opening_is_refused_with_input_kept(dbs, office_client):
    response = office_client.post("/staff/consultations/new", data=form_data(
        title="Kept title", opens_on=days(5).isoformat(), closes_on=days(1).isoformat()))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "The closing date cannot be before the opening date." in html
    assert 'value="Kept title"' in html
    assert dbs.scalar(select(Consultation)) is None


@pytest.mark.parametrize("override", [
    dict(title=""), dict(subject="weather"), dict(opens_on="not-a-date"), dict(closes_on=""),
    dict(title="x" * 201),
])
def test_invalid_consultation_is_422(dbs, product_client, override):
    response = product_client.post("/staff/consultations/new", data=form_data(**override))
    assert response.status_code == 422
    assert "Please correct the marked fields." in response.get_data(as_text=True)
    assert dbs.scalar(select(Consultation)) is None


def test_same_day_window_is_allowed(dbs, product_client):
    response = product_client.post("/staff/consultations/new", data=form_data(
        opens_on=days(2).isoformat(), closes_on=days(2).isoformat()))
    assert response.status_code == 302


def test_edit_changes_text_and_window_also_when_published(dbs, product_client, product_user, member):
    consultation = open_consultation(dbs, status="published", created_by_id=product_user.id)
    make_opinion(dbs, consultation, member)
    response = product_client.get(f"/staff/consultations/{consultation.id}/edit")
    assert response.status_code == 200
    assert consultation.title in response.get_data(as_text=True)
    assert "members see your changes at once" in response.get_data(as_text=True)
    response = product_client.post(f"/staff/consultations/{consultation.id}/edit", data=form_data(
        title="Changed title", closes_on=days(30).isoformat()))
    assert response.status_code == 302
    changed = stored(dbs, consultation.id)
    assert changed.title == "Changed title" and changed.closes_on == days(30)
    assert changed.status == "published"


def test_edit_with_bad_window_keeps_the_stored_row(dbs, product_client, product_user):
    consultation = open_consultation(dbs, created_by_id=product_user.id)
    response = product_client.post(f"/staff/consultations/{consultation.id}/edit", data=form_data(
        title="Not saved", opens_on=days(9).isoformat(), closes_on=days(1).isoformat()))
    assert response.status_code == 422
    assert 'value="Not saved"' in response.get_data(as_text=True)
    assert stored(dbs, consultation.id).title == consultation.title


def test_publish_then_back_to_draft_only_without_opinions(dbs, office_client, member):
    consultation = open_consultation(dbs, status="draft")
    response = office_client.post(f"/staff/consultations/{consultation.id}/publish",
                                  follow_redirects=True)
    assert "The consultation is published." in response.get_data(as_text=True)
    assert stored(dbs, consultation.id).status == "published"

    again = office_client.post(f"/staff/consultations/{consultation.id}/publish",
                               follow_redirects=True)
    assert "already published" in again.get_data(as_text=True)

    office_client.post(f"/staff/consultations/{consultation.id}/unpublish")
    assert stored(dbs, consultation.id).status == "draft"
    office_client.post(f"/staff/consultations/{consultation.id}/publish")
    make_opinion(dbs, consultation, member)
    page = office_client.get(f"/staff/consultations/{consultation.id}").get_data(as_text=True)
    assert "Back to draft" not in page
    response = office_client.post(f"/staff/consultations/{consultation.id}/unpublish",
                                  follow_redirects=True)
    assert "already has opinions" in response.get_data(as_text=True)
    assert stored(dbs, consultation.id).status == "published"


def test_unknown_consultation_is_404_for_staff(product_client):
    assert product_client.get("/staff/consultations/99999").status_code == 404
    assert product_client.get("/staff/consultations/99999/edit").status_code == 404
    assert product_client.post("/staff/consultations/99999/publish").status_code == 404


# --- the list -----------------------------------------------------------------------------


def test_list_shows_counts_states_and_filters(dbs, product_client, product_user, member, other_member):
    mine = dict(created_by_id=product_user.id)
    roaming = open_consultation(dbs, title="Roaming policy", subject="product_policy", **mine)
    counter = closed_consultation(dbs, title="Counter waiting time", subject="service_standard",
                                  body="Counter staff greet within 90 seconds.", **mine)
    upcoming_consultation(dbs, title="Broadband prices", status="draft",
                                  subject="business_policy", **mine)
    make_opinion(dbs, roaming, member, stance="support")
    make_opinion(dbs, roaming, other_member, stance="oppose")
    make_opinion(dbs, counter, member, stance="support_with_changes")

    html = product_client.get("/staff/consultations").get_data(as_text=True)
    for title in ("Roaming policy", "Counter waiting time", "Broadband prices"):
        assert title in html
    row = html[html.index("Roaming policy"):].split("</tr>")[0]
    assert '<td class="count">2</td>' in row and row.count('<td class="count">1</td>') == 2
    assert "Open" in row and "Published" in row
    row = html[html.index("Broadband prices"):].split("</tr>")[0]
    assert "Upcoming" in row and "Draft" in row and row.count('<td class="count">0</td>') == 4
    assert "Closed" in html[html.index("Counter waiting time"):].split("</tr>")[0]

    def titles(**args):
        page = product_client.get("/staff/consultations", query_string=args)
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        return {t for t in ("Roaming policy", "Counter waiting time", "Broadband prices") if t in text}

    assert titles(subject="product_policy") == {"Roaming policy"}
    assert titles(status="draft") == {"Broadband prices"}
    assert titles(window="closed") == {"Counter waiting time"}
    assert titles(window="upcoming") == {"Broadband prices"}
    assert titles(window="open") == {"Roaming policy"}
    assert titles(q="90 SECONDS") == {"Counter waiting time"}
    assert titles(q="ROAMING") == {"Roaming policy"}
    assert titles(q="100%") == set()
    assert titles(subject="bogus", window="bogus", status="bogus") == {
        "Roaming policy", "Counter waiting time", "Broadband prices"}


def test_list_paginates(dbs, product_client, product_user):
    for n in range(30):
        make_consultation(dbs, title=f"Numbered consultation {n:02d}", created_by_id=product_user.id)
    first = product_client.get("/staff/consultations").get_data(as_text=True)
    assert "Page 1 of 2" in first and "30 in all" in first
    second = product_client.get("/staff/consultations?page=2").get_data(as_text=True)
    assert "Page 2 of 2" in second
    assert sum(f"Numbered consultation {n:02d}" in first + second for n in range(30)) == 30


def _fill(dbs, n, members, **fields):
    for i in range(n):
        consultation = open_consultation(dbs, title=f"Consultation {i}", **fields)
        for member in members:
            make_opinion(dbs, consultation, member, stance="oppose")


def _queries(app, client, url):
    client.get(url)  # warm up: the login session and the connection
    with count_queries(app) as statements:
        assert client.get(url).status_code == 200
    return len(statements)


def test_list_query_count_is_fixed(app, dbs, client, product_user, member, other_member):
    login(client, product_user)
    _fill(dbs, 3, [member], created_by_id=product_user.id)
    few = _queries(app, client, "/staff/consultations")
    _fill(dbs, 27, [member, other_member], created_by_id=product_user.id)
    many = _queries(app, client, "/staff/consultations")
    assert few == many
    assert few <= 4


def test_detail_query_count_is_fixed(app, dbs, client, office_user):
    login(client, office_user)
    consultation = open_consultation(dbs)
    members = [make_user(dbs, name=f"Member {i}") for i in range(30)]
    for m in members[:3]:
        make_opinion(dbs, consultation, m)
    few = _queries(app, client, f"/staff/consultations/{consultation.id}")
    for m in members[3:]:
        make_opinion(dbs, consultation, m, stance="support_with_changes")
    many = _queries(app, client, f"/staff/consultations/{consultation.id}")
    assert few == many
    assert few <= 7  # 5 + the unread-notifications badge in the nav + the History section (issue 3)


# --- the detail page ----------------------------------------------------------------------


def test_detail_shows_body_counts_and_opinions(dbs, admin_client):
    consultation = open_consultation(dbs, body="# Heading\n\nWe propose *shorter* queues.")
    ent = make_user(dbs, name="Enterprise Member", segment="enterprise", district="minhang",
                    organization="ACME Ltd")
    home = make_user(dbs, name="Household Member", segment="household", district="pudong")
    sme = make_user(dbs, name="SME Member", segment="sme", district="jingan", organization="Shop")
    make_opinion(dbs, consultation, ent, stance="support", text="Good idea.")
    make_opinion(dbs, consultation, home, stance="oppose", text="Too slow.",
                 triage_status="in_review")
    make_opinion(dbs, consultation, sme, stance="oppose", text="No.")
    other = open_consultation(dbs)
    make_opinion(dbs, other, make_user(dbs, name="Elsewhere Member"), text="Other one.")

    response = admin_client.get(f"/staff/consultations/{consultation.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<em>shorter</em>" in html
    assert '<dd data-stance="support">1</dd>' in html
    assert '<dd data-stance="support_with_changes">0</dd>' in html
    assert '<dd data-stance="oppose">2</dd>' in html
    assert '<dd data-stance="total">3</dd>' in html
    row = html[html.index("Household Member"):].split("</tr>")[0]
    assert "Household customer" in row and "Pudong" in row and "Oppose" in row
    assert "Too slow." in row and "In review" in row
    assert "ACME Ltd" in html and "Key enterprise account" in html and "Minhang" in html
    assert "Elsewhere Member" not in html and "Other one." not in html
    assert "Open" in html

    only_support = admin_client.get(
        f"/staff/consultations/{consultation.id}?stance=support").get_data(as_text=True)
    assert "Enterprise Member" in only_support and "Household Member" not in only_support


def test_detail_paginates_opinions(dbs, office_client):
    consultation = open_consultation(dbs)
    for i in range(30):
        make_opinion(dbs, consultation, make_user(dbs, name=f"Paged member {i:02d}"))
    first = office_client.get(f"/staff/consultations/{consultation.id}").get_data(as_text=True)
    assert "Page 1 of 2" in first and '<dd data-stance="total">30</dd>' in first
    second = office_client.get(
        f"/staff/consultations/{consultation.id}?page=2").get_data(as_text=True)
    assert sum(f"Paged member {i:02d}" in first + second for i in range(30)) == 30


# --- who reaches which consultation -------------------------------------------------------


def test_product_team_reaches_only_its_own_consultations(dbs, client, product_user):
    """Product teams work on their own consultations; another team's do not exist for them."""
    own = open_consultation(dbs, title="Our roaming policy", created_by_id=product_user.id)
    other_team = make_user(dbs, role="product")
    theirs = open_consultation(dbs, title="Their broadband policy", status="draft",
                               created_by_id=other_team.id)
    login(client, product_user)
    listed = client.get("/staff/consultations").get_data(as_text=True)
    assert "Our roaming policy" in listed and "Their broadband policy" not in listed
    assert client.get(f"/staff/consultations/{own.id}").status_code == 200
    for url in (f"/staff/consultations/{theirs.id}", f"/staff/consultations/{theirs.id}/edit"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/staff/consultations/{theirs.id}/publish").status_code == 404
    assert client.post(f"/staff/consultations/{theirs.id}/edit", data=form_data()).status_code == 404
    assert stored(dbs, theirs.id).status == "draft"
    assert stored(dbs, theirs.id).title == "Their broadband policy"


def test_office_reaches_every_consultation(dbs, office_client, product_user):
    theirs = open_consultation(dbs, title="Product team policy", created_by_id=product_user.id)
    assert "Product team policy" in office_client.get("/staff/consultations").get_data(as_text=True)
    page = office_client.get(f"/staff/consultations/{theirs.id}")
    assert page.status_code == 200 and "Edit" in page.get_data(as_text=True)


def test_the_creating_product_team_reaches_its_new_consultation(dbs, product_client):
    response = product_client.post("/staff/consultations/new", data=form_data(title="Fresh draft"))
    assert response.status_code == 302
    assert product_client.get(response.headers["Location"]).status_code == 200
    assert "Fresh draft" in product_client.get("/staff/consultations").get_data(as_text=True)
