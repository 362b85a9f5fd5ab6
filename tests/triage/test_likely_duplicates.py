"""'Likely duplicates' on a submission's page: the most similar other submissions and open items
with a score, and the one-click "mark duplicate of" and "link to item"."""
from __future__ import annotations

import re

from sqlalchemy import select

from portal.audit.models import AuditEntry
from tests.conftest import login
from tests.factories import make_trial
from tests.triage.helpers import make_item, make_submission, submission as reload

SIGNAL = dict(title="长宁仙霞路家里手机一直没信号", commitment="network_quality",
              description="住在仙霞路虹古路附近，家里手机经常显示无服务，只能站到阳台打电话。")
SAME = dict(title="仙霞路家里手机没信号", commitment="network_quality",
            description="家住长宁仙霞路，在家里手机信号显示无服务，打电话要去阳台。")
QUEUE = dict(title="营业厅排队等候时间过长", commitment="counter_service",
             description="徐家汇营业厅周末排队超过一小时，取号后长时间无人叫号。")


def _scores(page: str, testid: str) -> list[tuple[str, int]]:
    table = page.split(f'data-testid="{testid}"', 1)[1].split("</table>", 1)[0]
    return [(number, int(score)) for number, score in
            re.findall(r"<td[^>]*>#(\d+)</td>.*?(\d+) of 100", table, re.S)]


def test_similar_submissions_and_items_are_shown_with_scores(dbs, office_client, member, other_member):
    original = make_submission(dbs, other_member, **SIGNAL)
    unrelated = make_submission(dbs, other_member, **QUEUE)
    item = make_item(dbs, title="长宁仙霞路一带室内手机信号弱", commitment="network_quality",
                     description="仙霞路虹古路周边居民室内无服务，安排基站扩容。", status="approved")
    make_item(dbs, **{**QUEUE, "status": "in_progress"})
    make_item(dbs, title="仙霞路手机没信号（已完成）", commitment="network_quality",
              description="仙霞路家里手机没信号", status="verified")
    new = make_submission(dbs, member, **SAME)
    page = office_client.get(f"/staff/inbox/{new.id}").get_data(as_text=True)
    assert "Likely duplicates" in page
    submissions = _scores(page, "similar-submissions")
    assert submissions[0][0] == str(original.id) and 40 <= submissions[0][1] <= 100
    assert str(unrelated.id) not in [n for n, _ in submissions]
    items = _scores(page, "similar-items")
    assert [n for n, _ in items] == [str(item.id)]  # not the unrelated one, nor the closed one
    assert f"Mark duplicate of #{original.id}" in page and f"Link to item #{item.id}" in page


def test_nothing_similar_says_so(dbs, office_client, member):
    alone = make_submission(dbs, member, **QUEUE)
    page = office_client.get(f"/staff/inbox/{alone.id}").get_data(as_text=True)
    assert "No similar submission found." in page and "No similar open improvement item found." in page


def test_mark_duplicate_in_one_click(dbs, office_client, office_user, member, other_member):
    original = make_submission(dbs, other_member, **SIGNAL)
    new = make_submission(dbs, member, **SAME, tags=["信号"])
    response = office_client.post(f"/staff/inbox/{new.id}/duplicate-of/{original.id}",
                                  data={"version": str(new.version)})
    assert response.status_code == 302
    page = office_client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"The submission was marked as a duplicate of #{original.id}." in page
    saved = reload(dbs, new.id)
    assert saved.status == "duplicate" and saved.duplicate_of_id == original.id
    assert saved.tags == ["信号"]  # the rest of the triage kept
    entry = dbs.scalar(select(AuditEntry).where(AuditEntry.action == "submission.triage",
                                                AuditEntry.object_id == new.id))
    assert entry is not None and entry.actor_id == office_user.id


def test_mark_duplicate_from_a_stale_page_is_a_conflict(dbs, office_client, member, other_member):
    original = make_submission(dbs, other_member, **SIGNAL)
    new = make_submission(dbs, member, **SAME)
    response = office_client.post(f"/staff/inbox/{new.id}/duplicate-of/{original.id}",
                                  data={"version": "99"}, follow_redirects=True)
    assert "Someone else changed this" in response.get_data(as_text=True)
    assert reload(dbs, new.id).status == "new"


def test_mark_duplicate_of_itself_or_unknown_is_refused(dbs, office_client, member):
    new = make_submission(dbs, member, **SAME)
    page = office_client.post(f"/staff/inbox/{new.id}/duplicate-of/{new.id}",
                              data={"version": "1"}, follow_redirects=True).get_data(as_text=True)
    assert "A submission cannot be a duplicate of itself." in page
    page = office_client.post(f"/staff/inbox/{new.id}/duplicate-of/999999",
                              data={"version": "1"}, follow_redirects=True).get_data(as_text=True)
    assert "There is no submission number 999999." in page
    assert reload(dbs, new.id).status == "new"


def test_link_to_item_in_one_click(dbs, office_client, member):
    item = make_item(dbs, title="长宁仙霞路一带室内手机信号弱", commitment="network_quality",
                     description="仙霞路虹古路周边居民室内无服务。")
    new = make_submission(dbs, member, **SAME)
    response = office_client.post(f"/staff/inbox/{new.id}/items", data={"item_number": str(item.id)})
    assert response.status_code == 302
    saved = reload(dbs, new.id)
    assert [i.id for i in saved.items] == [item.id] and saved.status == "linked"
    page = office_client.get(f"/staff/inbox/{new.id}").get_data(as_text=True)
    # Linked now: no longer offered.
    assert f"Link to item #{item.id}" not in page


def test_actions_need_csrf_and_the_triage_capability(dbs, client, office_client, member, other_member):
    original = make_submission(dbs, other_member, **SIGNAL)
    new = make_submission(dbs, member, **SAME)
    response = office_client.post(f"/staff/inbox/{new.id}/duplicate-of/{original.id}",
                                  data={"version": "1"}, csrf=False)
    assert response.status_code == 400
    assert reload(dbs, new.id).status == "new"


def test_product_staff_see_only_submissions_in_their_scope(dbs, client, member, product_user):
    trial = make_trial(dbs, created_by_id=product_user.id, title="5G 家庭套餐试用")
    mine = make_submission(dbs, member, kind="evaluation", trial_id=trial.id, title=trial.title,
                           description="仙霞路家里手机没信号，5G 套餐用不上。")
    hidden = make_submission(dbs, member, **SIGNAL)  # a gap report: out of a product team's reach
    login(client, product_user)
    page = client.get(f"/staff/inbox/{mine.id}").get_data(as_text=True)
    assert "Likely duplicates" in page
    assert f"#{hidden.id}" not in page and SIGNAL["title"] not in page
    assert client.post(f"/staff/inbox/{mine.id}/duplicate-of/{hidden.id}",
                       data={"version": "1"}, follow_redirects=True).status_code == 200
    assert reload(dbs, mine.id).status == "new"


def test_the_page_in_chinese(dbs, client, office_user, member, other_member):
    original = make_submission(dbs, other_member, **SIGNAL)
    new = make_submission(dbs, member, **SAME)
    login(client, office_user)
    client.language("zh_Hans")
    page = client.get(f"/staff/inbox/{new.id}").get_data(as_text=True)
    assert f"#{original.id}" in page
