"""Bulk actions on the rows selected in the inbox: one transaction, each row audited, rows the
viewer cannot see left alone."""
from __future__ import annotations

from portal.gaps.models import ServiceGapReport
from tests.conftest import login
from tests.factories import make_gap_report, make_trial
from tests.triage.helpers import audits, make_item, make_submission, submission as reload


def bulk(client, ids, **data):
    return client.post("/staff/inbox/bulk", data={"ids": [str(i) for i in ids], **data,
                                                  "next": "/staff/inbox?kind=gap_report"})


def test_bulk_assign(dbs, office_client, office_user, admin_user, member):
    rows = [make_submission(dbs, member) for _ in range(3)]
    response = bulk(office_client, [r.id for r in rows[:2]], action="assign", assignee_id=str(admin_user.id))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/staff/inbox?kind=gap_report")
    assert [reload(dbs, r.id).assignee_id for r in rows] == [admin_user.id, admin_user.id, None]
    for r in rows[:2]:
        (entry,) = audits(dbs, r.id)
        assert entry.action == "submission.bulk_assign" and entry.actor_id == office_user.id
        assert entry.after == {"assignee_id": admin_user.id}
    page = office_client.get("/staff/inbox").get_data(as_text=True)
    assert "2 submissions changed." in page


def test_bulk_assign_needs_a_staff_member(dbs, office_client, member):
    r = make_submission(dbs, member)
    bulk(office_client, [r.id], action="assign", assignee_id="")
    bulk(office_client, [r.id], action="assign", assignee_id=str(member.id))
    assert reload(dbs, r.id).assignee_id is None and audits(dbs, r.id) == []


def test_bulk_status_no_action_with_one_reason(dbs, office_client, member):
    report = make_gap_report(dbs, member)
    rows = [make_submission(dbs, member, gap_report_id=report.id), make_submission(dbs, member)]
    bulk(office_client, [r.id for r in rows], action="status", status="no_action", reason="")
    assert [reload(dbs, r.id).status for r in rows] == ["new", "new"]
    bulk(office_client, [r.id for r in rows], action="status", status="no_action", reason="Known outage")
    assert [(reload(dbs, r.id).status, reload(dbs, r.id).no_action_reason) for r in rows] == \
        [("no_action", "Known outage")] * 2
    dbs.expire_all()
    assert dbs.get(ServiceGapReport, report.id).status == "no_action"
    assert all(len(audits(dbs, r.id)) == 1 for r in rows)


def test_bulk_status_is_all_or_nothing(dbs, office_client, member):
    ok = make_submission(dbs, member)
    stuck = make_submission(dbs, member, status="duplicate")
    # duplicate may only go back to in review, which is allowed; 'linked' rows too
    linked = make_submission(dbs, member, status="linked")
    bulk(office_client, [ok.id, stuck.id, linked.id], action="status", status="no_action", reason="x")
    assert [reload(dbs, r.id).status for r in (ok, stuck, linked)] == ["new", "duplicate", "linked"]
    page = office_client.get("/staff/inbox").get_data(as_text=True)
    assert "nothing was changed" in page
    assert bulk(office_client, [ok.id, stuck.id], action="status", status="in_review").status_code == 302
    assert [reload(dbs, r.id).status for r in (ok, stuck)] == ["in_review", "in_review"]
    bulk(office_client, [ok.id], action="status", status="linked")
    assert reload(dbs, ok.id).status == "in_review"


def test_bulk_tag_and_link(dbs, office_client, member):
    item = make_item(dbs)
    rows = [make_submission(dbs, member, tags=["Roaming"]), make_submission(dbs, member)]
    bulk(office_client, [r.id for r in rows], action="tag", tag=" roaming ")
    assert [reload(dbs, r.id).tags for r in rows] == [["Roaming"], ["roaming"]]
    assert [len(audits(dbs, r.id)) for r in rows] == [0, 1]
    bulk(office_client, [r.id for r in rows], action="link", item_id=str(item.id))
    for r in rows:
        s = reload(dbs, r.id)
        assert s.status == "linked" and [i.id for i in s.items] == [item.id]
        assert audits(dbs, r.id)[-1].action == "submission.bulk_link"


def test_bulk_ignores_rows_the_viewer_cannot_see(dbs, client, member, product_user):
    trial = make_trial(dbs, created_by_id=product_user.id)
    mine = make_submission(dbs, member, kind="evaluation", trial_id=trial.id)
    hidden = make_submission(dbs, member)
    login(client, product_user)
    bulk(client, [mine.id, hidden.id, 999999], action="tag", tag="seen")
    assert reload(dbs, mine.id).tags == ["seen"] and reload(dbs, hidden.id).tags == []
    assert audits(dbs, hidden.id) == []
    page = client.get("/staff/inbox").get_data(as_text=True)
    assert "1 submission changed." in page and "2 could not be found" in page


def test_bulk_needs_a_selection_and_a_known_action(dbs, office_client, member):
    r = make_submission(dbs, member)
    bulk(office_client, [], action="tag", tag="x")
    page = office_client.get("/staff/inbox").get_data(as_text=True)
    assert "Please select at least one submission." in page
    bulk(office_client, [r.id], action="delete")
    assert reload(dbs, r.id).tags == []


def test_bulk_next_cannot_leave_the_inbox(dbs, office_client, member):
    r = make_submission(dbs, member)
    response = office_client.post("/staff/inbox/bulk", data={"ids": [str(r.id)], "action": "tag",
                                                             "tag": "x", "next": "https://evil.example/"})
    assert response.headers["Location"].endswith("/staff/inbox")
