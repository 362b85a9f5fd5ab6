"""Staff list of members: filters, search, pause and resume."""
import pytest

from portal.accounts.models import User
from tests.conftest import XSS_PAYLOADS, login
from tests.factories import PASSWORD, make_user
from tests.queries import page_statements


def test_list_shows_member_rows(office_client, dbs):
    make_user(dbs, name="Zhao Min", email="zhao@example.com", segment="enterprise",
              district="jingan", organization="Big Corp")
    make_user(dbs, role="product", name="Product Person")
    page = office_client.get("/staff/members").get_data(as_text=True)
    for text in ("Zhao Min", "zhao@example.com", "Key enterprise account", "Big Corp", "Active"):
        assert text in page
    assert "Jing&#39;an" in page or "Jing'an" in page
    assert "Product Person" not in page


def test_filters_and_search(admin_client, dbs):
    make_user(dbs, name="Alpha", segment="sme", district="pudong", organization="Tea House")
    make_user(dbs, name="Bravo", segment="household", district="pudong")
    make_user(dbs, name="Charlie", segment="sme", district="xuhui", status="paused",
              email="charlie@corp.example.com")

    def names(query):
        page = admin_client.get("/staff/members" + query).get_data(as_text=True)
        return {n for n in ("Alpha", "Bravo", "Charlie") if n in page}

    assert names("") == {"Alpha", "Bravo", "Charlie"}
    assert names("?segment=sme") == {"Alpha", "Charlie"}
    assert names("?district=pudong") == {"Alpha", "Bravo"}
    assert names("?status=paused") == {"Charlie"}
    assert names("?segment=sme&district=pudong") == {"Alpha"}
    assert names("?q=tea") == {"Alpha"}
    assert names("?q=CORP.example") == {"Charlie"}
    assert names("?q=brav") == {"Bravo"}
    assert names("?q=%25") == set()  # a LIKE wildcard is searched as text
    assert names("?segment=bogus&district=<x>") == {"Alpha", "Bravo", "Charlie"}


def test_pagination(office_client, dbs, app):
    app.config["PAGE_SIZE"] = 5
    for i in range(12):
        make_user(dbs, name=f"Person {i:02d}")
    page = office_client.get("/staff/members?segment=mobile").get_data(as_text=True)
    assert "Page 1 of 3" in page and "12 in all" in page
    assert "page=2" in page and "segment=mobile" in page
    page3 = office_client.get("/staff/members?segment=mobile&page=3").get_data(as_text=True)
    assert "Person 00" in page3 and "Person 11" not in page3


def count_queries(app, client, url):
    return len(page_statements(app, client, url))


def test_query_count_does_not_grow_with_rows(app, office_client, dbs):
    for i in range(3):
        make_user(dbs, segment="enterprise", organization=f"Org {i}")
    few = count_queries(app, office_client, "/staff/members")
    for i in range(27):
        make_user(dbs, segment="sme", organization=f"Org {i}")
    many = count_queries(app, office_client, "/staff/members")
    assert few == many


def test_pause_and_resume_member(app, office_client, dbs):
    target = make_user(dbs, name="To Pause")
    target_client = app.test_client()
    login(target_client, target)
    assert target_client.get("/profile").status_code == 200

    page = office_client.get("/staff/members").get_data(as_text=True)
    assert f"/staff/members/{target.id}/pause" in page and "data-confirm" in page
    response = office_client.post(f"/staff/members/{target.id}/pause",
                                  data={"next": "/staff/members?status=paused"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/members?status=paused"
    dbs.expire_all()
    assert dbs.get(User, target.id).status == "paused"
    # the member's session stops working and a new sign-in is refused
    assert target_client.get("/profile").status_code == 302
    response = target_client.post("/login", data={"email": target.email, "password": PASSWORD})
    assert response.status_code == 403

    response = office_client.post(f"/staff/members/{target.id}/resume", data={"next": "//evil.example"})
    assert response.headers["Location"] == "/staff/members"
    dbs.expire_all()
    assert dbs.get(User, target.id).status == "active"
    login(target_client, target)


def test_pause_only_members(office_client, dbs, admin_user):
    assert office_client.post(f"/staff/members/{admin_user.id}/pause").status_code == 404
    assert office_client.post("/staff/members/999999/pause").status_code == 404
    dbs.expire_all()
    assert dbs.get(User, admin_user.id).status == "active"


def test_pause_without_csrf_is_refused(office_client, member, dbs):
    assert office_client.post(f"/staff/members/{member.id}/pause", csrf=False).status_code == 400
    dbs.expire_all()
    assert dbs.get(User, member.id).status == "active"


def test_pause_is_post_only(office_client, member):
    assert office_client.get(f"/staff/members/{member.id}/pause").status_code == 405


@pytest.mark.parametrize("url", ["/staff/members", "/staff/invitations"])
def test_member_and_product_get_403(app, dbs, url, member, product_user):
    for user in (member, product_user):
        client = app.test_client()
        login(client, user)
        assert client.get(url).status_code == 403


def test_member_cannot_pause(member_client, other_member, dbs):
    assert member_client.post(f"/staff/members/{other_member.id}/pause").status_code == 403
    dbs.expire_all()
    assert dbs.get(User, other_member.id).status == "active"


@pytest.mark.parametrize("url", ["/staff/members", "/staff/invitations"])
def test_anonymous_is_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_script_payloads_are_escaped_in_the_list(office_client, dbs):
    for i, payload in enumerate(XSS_PAYLOADS):
        make_user(dbs, name=payload, organization=payload, segment="sme", email=f"x{i}@example.com")
    page = office_client.get("/staff/members").get_data(as_text=True)
    for payload in XSS_PAYLOADS:
        assert payload not in page
    assert "&lt;script&gt;" in page
    page = office_client.get("/staff/members", query_string={"q": XSS_PAYLOADS[0]}).get_data(as_text=True)
    assert XSS_PAYLOADS[0] not in page


def test_members_page_renders_in_chinese(office_client, member):
    office_client.language("zh_Hans")
    assert office_client.get("/staff/members").status_code == 200


@pytest.mark.parametrize("target", ["/\t/evil.example/x", "/%09/evil.example/x", "/\\evil.example",
                                    "https://evil.example", " /staff/members"])
def test_pause_never_redirects_off_site(office_client, dbs, target):
    member = make_user(dbs)
    response = office_client.post(f"/staff/members/{member.id}/pause", data={"next": target})
    assert response.headers["Location"] == "/staff/members", target


def test_product_team_cannot_see_or_pause_members(product_client, dbs):
    member = make_user(dbs)
    assert product_client.get("/staff/members").status_code == 403
    assert product_client.post(f"/staff/members/{member.id}/pause").status_code == 403
    dbs.expire_all()
    assert dbs.get(User, member.id).status == "active"
