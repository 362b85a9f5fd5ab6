"""'Already being handled': open improvement items like the report a member is writing, and
"This is my problem too" sending the report linked to one of them."""
from __future__ import annotations

import re

from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.gaps.models import ServiceGapReport
from portal.triage.models import Submission
from tests.conftest import login
from tests.factories import make_gap_submission, make_item
from tests.gaps.helpers import report_form

ROAMING = dict(
    title="日本漫游流量包开通后无法上网",
    description="出境到日本后流量包显示已开通，但手机无法上网，排查漫游合作运营商的数据接入。",
    commitment="roaming", status="in_progress",
)
MY_REPORT = report_form(
    commitment="roaming", channel="mobile_app",
    title="在日本开了漫游流量包还是上不了网",
    description="去东京旅游，日本漫游流量包显示开通成功，但手机一直上不了网。",
)
UNRELATED = report_form(
    commitment="counter_service", channel="store",
    title="营业厅门口的台阶太高", description="推婴儿车进不去，希望加一个坡道。",
)


def _check(client, form):
    return client.post("/reports/new", data={**form, "check": "1"})


def test_check_shows_a_similar_open_item_and_keeps_what_was_typed(member_client, dbs):
    item = make_item(dbs, **ROAMING)
    make_item(dbs, title="营业厅排队等候时间过长", description="徐家汇营业厅周末排队超过一小时。",
              commitment="counter_service")
    response = _check(member_client, MY_REPORT)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Already being handled" in page
    assert item.title in page
    assert "In progress" in page
    assert "This is my problem too" in page
    assert f'name="join_item" value="{item.id}"' in page
    assert "营业厅排队等候时间过长" not in page
    # Everything typed is still there, and nothing was sent.
    assert MY_REPORT["title"] in page and MY_REPORT["description"] in page
    assert dbs.scalar(select(ServiceGapReport.id)) is None


def test_no_suggestion_for_an_unrelated_report(member_client, dbs):
    make_item(dbs, **ROAMING)
    page = _check(member_client, UNRELATED).get_data(as_text=True)
    assert 'data-testid="suggestions"' not in page
    assert "No similar open item found." in page


def test_closed_items_are_not_suggested(member_client, dbs):
    make_item(dbs, **{**ROAMING, "status": "verified"})
    page = _check(member_client, MY_REPORT).get_data(as_text=True)
    assert ROAMING["title"] not in page


def test_another_members_report_is_never_shown(member_client, dbs, other_member):
    # A report of another member that is exactly like mine: never suggested to me.
    make_gap_submission(dbs, other_member, title=MY_REPORT["title"],
                        description=MY_REPORT["description"], commitment="roaming")
    page = _check(member_client, MY_REPORT).get_data(as_text=True)
    assert page.count(MY_REPORT["description"]) == 1  # only my own textarea
    data = member_client.get("/reports/similar", query_string={
        "title": MY_REPORT["title"], "description": MY_REPORT["description"],
        "commitment": "roaming"}).get_json()
    assert data == {"items": []}


def test_the_json_endpoint_gives_title_and_status_only(member_client, dbs):
    item = make_item(dbs, **ROAMING)
    response = member_client.get("/reports/similar", query_string={
        "title": MY_REPORT["title"], "description": MY_REPORT["description"][:50],
        "commitment": "roaming"})
    assert response.status_code == 200
    [found] = response.get_json()["items"]
    assert found["id"] == item.id and found["title"] == item.title
    assert found["status"] == "in_progress" and found["status_label"] == "In progress"
    assert set(found) == {"id", "title", "status", "status_label", "score"}
    assert "description" not in found
    # Without the commitment, nothing yet.
    empty = member_client.get("/reports/similar", query_string={"title": MY_REPORT["title"]})
    assert empty.get_json() == {"items": []}


def test_the_json_endpoint_is_for_members(office_client, client):
    assert office_client.get("/reports/similar?title=x&commitment=roaming").status_code == 403


def test_my_problem_too_links_the_report_and_shows_its_progress(member_client, dbs, member):
    item = make_item(dbs, **ROAMING)
    response = member_client.post("/reports/new", data={**MY_REPORT, "join_item": str(item.id)})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    dbs.expire_all()
    report = dbs.scalar(select(ServiceGapReport))
    submission = dbs.scalar(select(Submission).where(Submission.gap_report_id == report.id))
    assert [i.id for i in submission.items] == [item.id]
    assert submission.status == "linked" and report.status == "linked"
    entry = dbs.scalar(select(AuditEntry).where(AuditEntry.action == "submission.link"))
    assert entry is not None and entry.actor_id == member.id
    page = member_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "linked to the improvement item you chose" in page
    # Its progress: the status and the owner department; never the item's internal title.
    section = page.split('data-testid="linked-items"')[1].split("</section>")[0]
    assert re.search(r'<span class="badge badge-in_progress">In progress</span>', section)
    assert item.title not in section


def test_my_problem_too_in_chinese(client, member, dbs):
    make_item(dbs, **ROAMING)
    login(client, member)
    client.language("zh_Hans")
    page = _check(client, MY_REPORT).get_data(as_text=True)
    assert ROAMING["title"] in page


def test_my_problem_too_on_an_item_closed_meanwhile_is_refused_keeping_the_input(member_client, dbs):
    item = make_item(dbs, **{**ROAMING, "status": "done"})
    response = member_client.post("/reports/new", data={**MY_REPORT, "join_item": str(item.id)})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "no longer open" in page and MY_REPORT["description"] in page
    assert dbs.scalar(select(ServiceGapReport.id)) is None


def test_a_plain_send_still_works_and_links_nothing(member_client, dbs):
    make_item(dbs, **ROAMING)
    response = member_client.post("/reports/new", data=MY_REPORT)
    assert response.status_code == 302
    dbs.expire_all()
    submission = dbs.scalar(select(Submission))
    assert submission.items == [] and submission.status == "new"
    assert "Being handled in" not in member_client.get(response.headers["Location"]).get_data(as_text=True)


# --- the same on an opinion ------------------------------------------------------------------

OPINION_TEXT = "国际漫游必须去营业厅开通太麻烦，希望在手机营业厅APP上就能在线开通国际漫游。"


def test_opinion_check_and_my_problem_too(member_client, dbs, member):
    from portal.opinions.models import Opinion
    from tests.factories import make_consultation

    consultation = make_consultation(dbs, title="国际漫游服务标准（征求意见稿）")
    item = make_item(dbs, title="国际漫游必须到营业厅开通，流程繁琐", commitment="roaming",
                     description="用户出境前必须到营业厅开通国际漫游，希望支持APP在线开通。",
                     status="approved")
    url = f"/consultations/{consultation.id}"
    page = member_client.post(url, data={"stance": "support_with_changes", "text": OPINION_TEXT,
                                         "check": "1"}).get_data(as_text=True)
    assert item.title in page and OPINION_TEXT in page
    assert dbs.scalar(select(Opinion.id)) is None
    data = member_client.get("/consultations/similar", query_string={"text": OPINION_TEXT}).get_json()
    assert [i["id"] for i in data["items"]] == [item.id]
    response = member_client.post(url, data={"stance": "support_with_changes", "text": OPINION_TEXT,
                                             "join_item": str(item.id)})
    assert response.status_code == 302
    dbs.expire_all()
    submission = dbs.scalar(select(Submission).where(Submission.kind == "opinion"))
    assert [i.id for i in submission.items] == [item.id]
    page = member_client.get(url).get_data(as_text=True)
    section = page.split('data-testid="linked-items"')[1].split("</section>")[0]
    assert "Approved" in section and item.title not in section


def test_a_member_cannot_use_the_staff_actions(member_client, dbs, member, other_member):
    first = make_gap_submission(dbs, other_member, title="a", description="b")
    mine = make_gap_submission(dbs, member, title="a", description="b")
    assert member_client.post(f"/staff/inbox/{mine.id}/duplicate-of/{first.id}",
                              data={"version": "1"}).status_code == 403


def test_a_check_does_not_use_up_the_forms_one_time_token(member_client, dbs):
    item = make_item(dbs, **ROAMING)
    once = re.compile(r'name="once" value="([^"]+)"')
    token = once.search(member_client.get("/reports/new").get_data(as_text=True)).group(1)
    page = member_client.post("/reports/new", data={**MY_REPORT, "check": "1", "once": token})
    new_token = once.search(page.get_data(as_text=True)).group(1)
    response = member_client.post("/reports/new", data={**MY_REPORT, "join_item": str(item.id),
                                                         "once": new_token})
    assert response.status_code == 302 and "/reports/" in response.headers["Location"]
    assert dbs.scalar(select(ServiceGapReport.id)) is not None
