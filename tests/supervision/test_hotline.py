"""The internal supervision hotline: filing, routing, the life cycle, escalation, who sees what."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.domain import SHANGHAI
from portal.notifications.models import Notification
from portal.supervision import services
from portal.supervision.models import RoutingRule, SupportRequest
from tests import factories
from tests.conftest import login
from tests.queries import page_statements


@pytest.fixture
def units(dbs):
    network = factories.make_unit(dbs, name="网络运维部")
    billing = factories.make_unit(dbs, name="计费中心")
    xuhui = factories.make_unit(dbs, kind="district_branch", district="xuhui", name="徐汇分公司")
    minhang = factories.make_unit(dbs, kind="district_branch", district="minhang", name="闵行分公司")
    return {"network": network, "billing": billing, "xuhui": xuhui, "minhang": minhang}


def _user(dbs, user_id):
    from portal.accounts.models import User

    return dbs.get(User, user_id)


def _login_as(client, dbs, user_id):
    login(client, _user(dbs, user_id))
    client.language("en")
    return client


def _notices(dbs, user_id) -> list[str]:
    return [n.kind for n in dbs.scalars(select(Notification).where(Notification.user_id == user_id))]


def test_branch_files_without_department_and_the_table_routes_it(client, dbs, units):
    dbs.add(RoutingRule(category="network", department_id=units["network"].id))
    dbs.commit()
    _login_as(client, dbs, units["xuhui"].a_contact_id)
    response = client.post("/hotline/new", data={
        "title": "徐家汇基站投诉客户需要网络部现场测试", "category": "network", "urgency": "urgent",
        "department_id": "", "description": "客户多次投诉", "case_text": "客户王先生"})
    assert response.status_code == 302
    request = dbs.scalar(select(SupportRequest))
    assert request.department_id == units["network"].id and request.routed_by == "table"
    assert request.branch_id == units["xuhui"].id and request.b_due_at is not None
    assert "support_request_new" in _notices(dbs, units["network"].a_contact_id)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Routed" in page and "the routing table" in page


def test_a_rejected_form_keeps_the_input(client, dbs, units):
    _login_as(client, dbs, units["xuhui"].a_contact_id)
    response = client.post("/hotline/new", data={"title": "Kept text", "category": "", "urgency": "normal"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Kept text" in html and "Please choose a problem category." in html


def test_without_a_rule_the_office_is_told(client, dbs, units, office_user):
    _login_as(client, dbs, units["xuhui"].a_contact_id)
    client.post("/hotline/new", data={"title": "No rule", "category": "other", "urgency": "normal"})
    request = dbs.scalar(select(SupportRequest))
    assert request.department_id is None
    assert "support_request_unrouted" in _notices(dbs, office_user.id)


def test_life_cycle_with_send_back_and_rating(client, dbs, units, app):
    request = factories.make_support_request(dbs, units["xuhui"], units["network"])
    a_contact = units["network"].a_contact_id
    _login_as(client, dbs, a_contact)
    url = f"/hotline/{request.id}"
    assert client.post(f"{url}/step/accept", data={"version": "1"}).status_code == 302
    assert client.post(f"{url}/step/answer", data={"version": "2", "answer": "已安排测试"}).status_code == 302
    client.post("/logout")
    _login_as(client, dbs, units["xuhui"].a_contact_id)
    sent_back = client.post(f"{url}/step/send_back", data={"version": "3", "reason": "客户仍无信号"})
    assert sent_back.status_code == 302
    dbs.expire_all()
    assert dbs.get(SupportRequest, request.id).status == "accepted"
    client.post("/logout")
    _login_as(client, dbs, a_contact)
    client.post(f"{url}/step/answer", data={"version": "4", "answer": "已更换天线"})
    client.post("/logout")
    _login_as(client, dbs, units["xuhui"].a_contact_id)
    assert client.post(f"{url}/step/confirm", data={"version": "5", "rating": "4"}).status_code == 302
    dbs.expire_all()
    done = dbs.get(SupportRequest, request.id)
    assert (done.status, done.rating, done.send_backs) == ("confirmed", 4, 1)
    assert done.response_minutes is not None and done.resolution_minutes is not None
    actions = [e.action for e in dbs.scalars(select(AuditEntry).where(
        AuditEntry.object_type == "support_request").order_by(AuditEntry.id))]
    assert actions == ["accept", "answer", "send_back", "answer", "confirm"]
    page = client.get(url).get_data(as_text=True)
    assert "Sent back" in page and "客户仍无信号" in page and "4 / 5" in page
    assert "support_request_confirmed" in _notices(dbs, a_contact)


def test_a_stale_step_is_a_conflict(client, dbs, units):
    request = factories.make_support_request(dbs, units["xuhui"], units["network"])
    _login_as(client, dbs, units["network"].a_contact_id)
    client.post(f"/hotline/{request.id}/step/accept", data={"version": "1"})
    response = client.post(f"/hotline/{request.id}/step/answer", data={"version": "1", "answer": "x"},
                           follow_redirects=True)
    assert "Someone else changed this" in response.get_data(as_text=True)
    dbs.expire_all()
    assert dbs.get(SupportRequest, request.id).status == "accepted"


def test_the_branch_cannot_accept_and_the_department_cannot_confirm(client, dbs, units):
    request = factories.make_support_request(dbs, units["xuhui"], units["network"])
    _login_as(client, dbs, units["xuhui"].a_contact_id)
    response = client.post(f"/hotline/{request.id}/step/accept", data={"version": "1"})
    assert response.status_code == 422
    dbs.expire_all()
    assert dbs.get(SupportRequest, request.id).status == "new"


def test_who_sees_what(client, dbs, units, member, office_user):
    mine = factories.make_support_request(dbs, units["xuhui"], units["network"])
    other = factories.make_support_request(dbs, units["minhang"], units["billing"])
    login(client, member)
    assert client.get("/hotline").status_code == 403
    assert client.get(f"/hotline/{mine.id}").status_code == 403
    client.post("/logout")
    _login_as(client, dbs, units["xuhui"].b_contact_id)
    listing = client.get("/hotline").get_data(as_text=True)
    assert mine.title in listing and other.title not in listing
    assert client.get(f"/hotline/{other.id}").status_code == 404
    assert client.get("/hotline/routing").status_code == 403
    client.post("/logout")
    _login_as(client, dbs, units["billing"].a_contact_id)  # office role, but of a department
    assert client.get(f"/hotline/{mine.id}").status_code == 404
    assert client.get(f"/hotline/{other.id}").status_code == 200
    assert client.get("/hotline/routing").status_code == 403
    client.post("/logout")
    login(client, office_user)
    listing = client.get("/hotline").get_data(as_text=True)
    assert mine.title in listing and other.title in listing
    assert client.get("/hotline/routing").status_code == 200


def test_escalation_to_b_then_office_once_each(app, dbs, units, office_user):
    filed = datetime(2026, 9, 30, 16, 30, tzinfo=SHANGHAI)
    request = factories.make_support_request(dbs, units["xuhui"], units["network"], urgency="urgent",
                                             filed_at=filed, routed_at=filed)
    from portal.supervision import domain

    request.b_due_at, request.office_due_at = domain.deadlines(filed, "urgent")
    dbs.commit()
    b_contact = units["network"].b_contact_id
    with app.app_context():
        assert services.escalate_untouched(datetime(2026, 10, 7, 12, 0, tzinfo=SHANGHAI)) == 0
        assert services.escalate_untouched(datetime(2026, 10, 8, 12, 0, tzinfo=SHANGHAI)) == 1
        assert services.escalate_untouched(datetime(2026, 10, 8, 12, 5, tzinfo=SHANGHAI)) == 0
        assert services.escalate_untouched(datetime(2026, 10, 8, 16, 5, tzinfo=SHANGHAI)) == 1
        assert services.escalate_untouched(datetime(2026, 10, 9, 16, 5, tzinfo=SHANGHAI)) == 0
    assert _notices(dbs, b_contact) == ["support_request_overdue_b"]
    assert _notices(dbs, office_user.id) == ["support_request_overdue_office"]
    assert _notices(dbs, units["billing"].b_contact_id) == []


def test_routing_table_page_adds_and_refuses_duplicates(client, dbs, units, office_user):
    login(client, office_user)
    data = {"category": "billing", "commitment": "", "department_id": str(units["billing"].id)}
    assert client.post("/hotline/routing", data=data).status_code == 302
    response = client.post("/hotline/routing", data=data)
    assert response.status_code == 422 and "already has a rule" in response.get_data(as_text=True)
    assert len(dbs.scalars(select(RoutingRule)).all()) == 1


def test_assessment_changes_with_a_confirmed_request(client, dbs, units, office_user, app):
    login(client, office_user)
    before = client.get("/hotline/assessment").get_data(as_text=True)
    request = factories.make_support_request(dbs, units["xuhui"], units["network"])
    with app.test_request_context():
        actor = _user(dbs, units["network"].a_contact_id)
        r = services.get_request(actor, request.id)
        services.accept(actor, r, 1)
        services.answer(actor, r, 2, "ok")
        branch = _user(dbs, units["xuhui"].a_contact_id)
        services.confirm(branch, services.get_request(branch, request.id), 3, 5)
    after = client.get("/hotline/assessment").get_data(as_text=True)
    assert before != after and ">5.0<" in after and "100%" in after


def test_department_sees_only_its_own_assessment(client, dbs, units):
    _login_as(client, dbs, units["network"].a_contact_id)
    html = client.get("/hotline/assessment").get_data(as_text=True)
    assert f'data-unit="{units["network"].id}"' in html
    assert f'data-unit="{units["billing"].id}"' not in html


def test_every_page_in_both_languages(client, dbs, units, office_user):
    request = factories.make_support_request(dbs, units["xuhui"], units["network"])
    login(client, office_user)
    for lang in ("en", "zh_Hans"):
        client.language(lang)
        for url in ("/hotline", f"/hotline/{request.id}", "/hotline/routing",
                    "/hotline/assessment?kind=quarter&start=2026-10"):
            response = client.get(url)
            assert response.status_code == 200, url
            assert f'<html lang="{"en" if lang == "en" else "zh"}' in response.get_data(as_text=True)
    client.post("/logout")
    _login_as(client, dbs, units["xuhui"].a_contact_id)
    client.language("zh_Hans")
    assert client.get("/hotline/new").status_code == 200


def test_list_statement_count_is_fixed(app, client, dbs, units, office_user):
    factories.make_support_request(dbs, units["xuhui"], units["network"])
    login(client, office_user)
    few = len(page_statements(app, client, "/hotline"))
    for n in range(8):
        factories.make_support_request(dbs, units["minhang" if n % 2 else "xuhui"],
                                       units["billing" if n % 3 else "network"],
                                       filed_at=datetime.now(SHANGHAI) - timedelta(minutes=n))
    assert len(page_statements(app, client, "/hotline")) == few
    few = len(page_statements(app, client, "/hotline/assessment"))
    factories.make_support_request(dbs, units["minhang"], units["billing"])
    assert len(page_statements(app, client, "/hotline/assessment")) == few


def test_a_contact_serving_a_second_department_handles_its_requests(client, dbs, units):
    # the network department's A contact is also the billing department's (as in the demo)
    billing = units["billing"]
    billing.a_contact_id = units["network"].a_contact_id
    dbs.commit()
    request = factories.make_support_request(dbs, units["xuhui"], billing)
    _login_as(client, dbs, units["network"].a_contact_id)
    assert client.get(f"/hotline/{request.id}").status_code == 200
    assert client.post(f"/hotline/{request.id}/step/accept", data={"version": "1"}).status_code == 302
    html = client.get("/hotline/assessment").get_data(as_text=True)
    assert f'data-unit="{billing.id}"' in html and f'data-unit="{units["network"].id}"' in html


def test_district_branch_staff_land_on_the_hotline(client, dbs, units):
    _login_as(client, dbs, units["xuhui"].a_contact_id)
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/hotline"
    assert client.get("/hotline").status_code == 200
