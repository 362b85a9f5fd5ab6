"""Hostile input and access: script payloads, missing CSRF, wrong roles, other members' data."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.opinions.models import Consultation
from tests.conftest import XSS_PAYLOADS, login
from tests.factories import make_user
from tests.opinions.helpers import (
    closed_consultation,
    days,
    make_opinion,
    open_consultation,
    opinions_of,
    upcoming_consultation,
)

STAFF_URLS = [
    ("get", "/staff/consultations"),
    ("get", "/staff/consultations/new"),
    ("get", "/staff/consultations/{id}"),
    ("get", "/staff/consultations/{id}/edit"),
    ("post", "/staff/consultations/{id}/edit"),
    ("post", "/staff/consultations/{id}/publish"),
    ("post", "/staff/consultations/{id}/unpublish"),
]
MEMBER_URLS = ["/consultations", "/consultations/mine", "/consultations/{id}"]


@pytest.mark.parametrize("method,url", STAFF_URLS)
def test_member_on_staff_urls_is_403(dbs, member_client, method, url):
    consultation = open_consultation(dbs, status="draft")
    response = getattr(member_client, method)(url.format(id=consultation.id))
    assert response.status_code == 403
    dbs.expire_all()
    assert dbs.get(Consultation, consultation.id).status == "draft"


@pytest.mark.parametrize("method,url", STAFF_URLS)
def test_another_product_team_gets_404_on_a_consultation_it_does_not_own(
        dbs, client, product_user, method, url):
    owner = make_user(dbs, role="product")
    consultation = open_consultation(dbs, status="draft", created_by_id=owner.id)
    login(client, product_user)
    response = getattr(client, method)(url.format(id=consultation.id))
    if "{id}" in url:
        assert response.status_code == 404
    else:
        assert response.status_code == 200
    dbs.expire_all()
    assert dbs.get(Consultation, consultation.id).status == "draft"


@pytest.mark.parametrize("url", MEMBER_URLS)
def test_staff_on_member_urls_is_403(dbs, office_client, url):
    consultation = open_consultation(dbs)
    assert office_client.get(url.format(id=consultation.id)).status_code == 403


@pytest.mark.parametrize("url", MEMBER_URLS + [u for m, u in STAFF_URLS if m == "get"])
def test_anonymous_is_sent_to_login(dbs, client, url):
    consultation = open_consultation(dbs)
    response = client.get(url.format(id=consultation.id))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_missing_csrf_is_400(dbs, client, member, product_user):
    consultation = open_consultation(dbs, status="draft")
    login(client, product_user)
    assert client.post("/staff/consultations/new", data={"title": "x"}, csrf=False).status_code == 400
    assert client.post(f"/staff/consultations/{consultation.id}/publish",
                       csrf=False).status_code == 400
    assert client.post(f"/staff/consultations/{consultation.id}/edit", data={"title": "x"},
                       csrf=False).status_code == 400
    client.post("/logout")
    published = open_consultation(dbs)
    login(client, member)
    response = client.post(f"/consultations/{published.id}",
                           data={"stance": "support", "text": "Hi"}, csrf=False)
    assert response.status_code == 400
    assert opinions_of(dbs, published) == []
    dbs.expire_all()
    assert dbs.get(Consultation, consultation.id).status == "draft"
    assert dbs.scalar(select(Consultation).where(Consultation.title == "x")) is None


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_script_payloads_in_consultation_are_escaped(dbs, client, member, product_user, payload):
    login(client, product_user)
    response = client.post("/staff/consultations/new", data=dict(
        subject="service_standard", title=payload, body=f"Intro {payload} **bold**",
        opens_on=days(-1).isoformat(), closes_on=days(5).isoformat()))
    assert response.status_code == 302
    consultation = dbs.scalar(select(Consultation))
    client.post(f"/staff/consultations/{consultation.id}/publish")
    pages = [
        client.get("/staff/consultations").get_data(as_text=True),
        client.get(f"/staff/consultations/{consultation.id}").get_data(as_text=True),
        client.get(f"/staff/consultations/{consultation.id}/edit").get_data(as_text=True),
    ]
    client.post("/logout")
    login(client, member)
    pages += [
        client.get("/consultations").get_data(as_text=True),
        client.get(f"/consultations/{consultation.id}").get_data(as_text=True),
    ]
    for html in pages:
        assert payload not in html
        assert "<script>alert" not in html and "<svg/onload" not in html
        assert "<img src=x" not in html
    detail = pages[-1]
    assert "<strong>bold</strong>" in detail
    assert "&lt;script&gt;" in pages[0] or "&lt;img" in pages[0] or "&lt;svg" in pages[0]


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_script_payloads_in_opinion_text_are_escaped(dbs, client, member, office_user, payload):
    consultation = open_consultation(dbs)
    login(client, member)
    assert client.post(f"/consultations/{consultation.id}",
                       data={"stance": "oppose", "text": payload}).status_code == 302
    assert opinions_of(dbs, consultation)[0].text == payload
    pages = [client.get(f"/consultations/{consultation.id}").get_data(as_text=True)]
    client.post("/logout")
    login(client, office_user)
    pages.append(client.get(f"/staff/consultations/{consultation.id}").get_data(as_text=True))
    for html in pages:
        assert payload not in html
        assert "&lt;" in html


def test_invalid_stance_is_422_with_the_text_kept(dbs, member_client, member):
    consultation = open_consultation(dbs)
    response = member_client.post(f"/consultations/{consultation.id}",
                                  data={"stance": "maybe", "text": "Keep <this> text"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Keep &lt;this&gt; text" in html
    assert "Your opinion was not saved." in html
    assert opinions_of(dbs, consultation) == []

    missing = member_client.post(f"/consultations/{consultation.id}", data={"text": "Still here"})
    assert missing.status_code == 422
    assert "Please choose your stance." in missing.get_data(as_text=True)
    assert "Still here" in missing.get_data(as_text=True)


def test_empty_or_too_long_text_is_422(dbs, member_client, member):
    consultation = open_consultation(dbs)
    empty = member_client.post(f"/consultations/{consultation.id}",
                               data={"stance": "support", "text": "   "})
    assert empty.status_code == 422
    assert "Please write your opinion." in empty.get_data(as_text=True)
    long = member_client.post(f"/consultations/{consultation.id}",
                              data={"stance": "support", "text": "x" * 4001})
    assert long.status_code == 422
    assert "under 4000 characters" in long.get_data(as_text=True)
    assert opinions_of(dbs, consultation) == []
    exact = member_client.post(f"/consultations/{consultation.id}",
                               data={"stance": "support", "text": "字" * 4000})
    assert exact.status_code == 302


def test_invalid_edit_keeps_the_stored_opinion(dbs, member_client, member):
    consultation = open_consultation(dbs)
    make_opinion(dbs, consultation, member, stance="support", text="Stored")
    response = member_client.post(f"/consultations/{consultation.id}",
                                  data={"stance": "nonsense", "text": "Typed"})
    assert response.status_code == 422
    assert "Typed" in response.get_data(as_text=True)
    [opinion] = opinions_of(dbs, consultation)
    assert opinion.stance == "support" and opinion.text == "Stored"


def test_another_members_opinion_is_never_shown(dbs, member_client, member, other_member):
    consultation = open_consultation(dbs)
    closed = closed_consultation(dbs)
    make_opinion(dbs, consultation, other_member, stance="oppose", text="Neighbour's secret")
    make_opinion(dbs, closed, other_member, stance="oppose", text="Old neighbour's secret")
    pages = [
        member_client.get(f"/consultations/{consultation.id}").get_data(as_text=True),
        member_client.get(f"/consultations/{closed.id}").get_data(as_text=True),
        member_client.get("/consultations").get_data(as_text=True),
        member_client.get("/consultations/mine").get_data(as_text=True),
    ]
    for html in pages:
        assert "secret" not in html
        assert "Answered: Oppose" not in html
    assert "Send my opinion" in pages[0]
    # posting creates the member's own opinion and leaves the other one untouched
    member_client.post(f"/consultations/{consultation.id}", data={"stance": "support", "text": "Mine"})
    texts = {o.member_id: o.text for o in opinions_of(dbs, consultation)}
    assert texts == {other_member.id: "Neighbour's secret", member.id: "Mine"}


def test_members_never_see_drafts(dbs, member_client, member):
    draft = open_consultation(dbs, status="draft", title="Unreleased draft")
    make_opinion(dbs, draft, member)  # even an opinion stored on it does not reveal it
    assert member_client.get(f"/consultations/{draft.id}").status_code == 404
    assert "Unreleased draft" not in member_client.get("/consultations").get_data(as_text=True)
    mine = member_client.get("/consultations/mine").get_data(as_text=True)
    assert f'href="/consultations/{draft.id}"' not in mine


def test_pages_render_in_chinese(dbs, client, member, product_user):
    consultation = open_consultation(dbs, title="漫游资费调整", created_by_id=product_user.id)
    upcoming_consultation(dbs)
    closed = closed_consultation(dbs)
    make_opinion(dbs, closed, member, text="很好")
    client.language("zh_Hans")
    login(client, member)
    for url in ("/consultations", "/consultations/mine", f"/consultations/{consultation.id}",
                f"/consultations/{closed.id}"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert 'lang="zh' in response.get_data(as_text=True)
    client.post("/logout")
    client.language("zh_Hans")
    login(client, product_user)
    for url in ("/staff/consultations", "/staff/consultations/new",
                f"/staff/consultations/{consultation.id}",
                f"/staff/consultations/{consultation.id}/edit"):
        assert client.get(url).status_code == 200, url
    invalid = client.post(f"/staff/consultations/{consultation.id}/edit", data={"title": ""})
    assert invalid.status_code == 422


def test_line_breaks_count_once_and_text_is_trimmed(dbs, member_client, member):
    consultation = open_consultation(dbs)
    text = "\r\n".join(["a" * 99] * 40)  # 3960 characters as the browser counts them
    response = member_client.post(f"/consultations/{consultation.id}",
                                  data={"stance": "support", "text": f"  {text}\r\n"})
    assert response.status_code == 302
    [opinion] = opinions_of(dbs, consultation)
    assert opinion.text == text.replace("\r\n", "\n")
