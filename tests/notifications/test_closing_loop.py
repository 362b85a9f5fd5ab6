"""Closing the loop: when an item linked to a member's submission reaches done or verified, the
member is told (in-app and by outbox email) and sees the outcome on their own submission."""
from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from sqlalchemy import select

from portal.domain import shanghai_today
from portal.notifications.models import Notification, OutboxEmail
from portal.opinions.models import Opinion
from portal.triage.models import InternalNote, Submission
from portal.trials.models import Evaluation
from tests.conftest import XSS_PAYLOADS, login
from tests.factories import (
    make_consultation,
    make_department,
    make_enrollment,
    make_item,
    make_trial,
    make_user,
)
from tests.improvements.helpers import count_queries, gap_submission, item_form


def close(client, dbs, item, status="done", **changes):
    from portal.improvements.models import ImprovementItem

    dbs.expire_all()
    item = dbs.get(ImprovementItem, item.id)
    if status in ("done", "verified"):
        changes.setdefault("resolution_note", "Fixed: two more counters open.")
    response = client.post(f"/staff/improvements/{item.id}/edit",
                           data=item_form(item, status=status, **changes))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    dbs.expire_all()
    return dbs.get(ImprovementItem, item.id)


@pytest.fixture
def linked(dbs, member, other_member):
    """Two members' gap reports linked to one item in progress, with internal staff details."""
    assignee = make_user(dbs, role="office", name="Zhang Assignee")
    sub_a = gap_submission(dbs, member, title="Queue at Xujiahui")
    sub_b = gap_submission(dbs, other_member, title="Queue at Lujiazui")
    sub_a.assignee_id = assignee.id
    dbs.add(InternalNote(submission_id=sub_a.id, author_id=assignee.id, text="INTERNAL: blame vendor"))
    dbs.commit()
    dep = make_department(dbs, name="Store operations",
                          a_contact=make_user(dbs, role="office", name="Wang Acontact"))
    item = make_item(dbs, title="Internal item title", description="INTERNAL description",
                     department_id=dep.id, status="in_progress", submissions=[sub_a, sub_b])
    return item, sub_a, sub_b, assignee


def test_closing_notifies_each_linked_member_once(office_client, dbs, member, other_member, linked):
    item, sub_a, sub_b, _ = linked
    close(office_client, dbs, item, resolution_note="We opened two more counters.")
    notes = dbs.scalars(select(Notification).order_by(Notification.id)).all()
    assert [(n.user_id, n.kind, n.submission_id, n.item_id) for n in notes] == [
        (member.id, "item_closed", sub_a.id, item.id), (other_member.id, "item_closed", sub_b.id, item.id)]
    mails = dbs.scalars(select(OutboxEmail).order_by(OutboxEmail.id)).all()
    assert [m.to_address for m in mails] == [member.email, other_member.email]
    # re-opened and done again: no second notice
    close(office_client, dbs, item, status="in_progress")
    close(office_client, dbs, item, status="done")
    assert len(dbs.scalars(select(Notification)).all()) == 2
    assert len(dbs.scalars(select(OutboxEmail)).all()) == 2
    # verified: each member hears of it once more (issue 9)
    close(office_client, dbs, item, status="verified")
    notes = dbs.scalars(select(Notification).order_by(Notification.id)).all()
    assert [(n.user_id, n.kind) for n in notes[2:]] == [
        (member.id, "item_verified"), (other_member.id, "item_verified")]
    assert len(dbs.scalars(select(OutboxEmail)).all()) == 4


def test_email_names_submission_outcome_note_and_link(office_client, dbs, member, linked):
    item, sub_a, _, _ = linked
    member.locale = "en"
    dbs.commit()
    close(office_client, dbs, item, resolution_note="We opened two more counters.")
    mail = dbs.scalar(select(OutboxEmail).where(OutboxEmail.to_address == member.email))
    assert "Queue at Xujiahui" in mail.subject
    assert "Queue at Xujiahui" in mail.body and "Done" in mail.body
    assert "We opened two more counters." in mail.body and "Store operations" in mail.body
    notice = dbs.scalar(select(Notification).where(Notification.user_id == member.id))
    # The link is absolute and goes through the notice, which it marks read on the way.
    assert f"http://127.0.0.1:5000/notifications/{notice.id}/open" in mail.body
    for secret in ("INTERNAL", "Zhang Assignee", "Wang Acontact", "Internal item title"):
        assert secret not in mail.body and secret not in mail.subject


def test_email_uses_the_members_language(office_client, dbs, member, other_member, linked,
                                         monkeypatch):
    from portal.notifications import emails as notices

    member.locale = "en"
    dbs.commit()
    used = []
    real = notices.force_locale

    def spy(locale):
        used.append(locale)
        return real(locale)

    monkeypatch.setattr(notices, "force_locale", spy)
    item, *_ = linked
    close(office_client, dbs, item)
    assert used == ["en", "zh_Hans"]  # the member's choice, else Simplified Chinese
    mail = dbs.scalar(select(OutboxEmail).where(OutboxEmail.to_address == other_member.email))
    assert "Queue at Lujiazui" in mail.subject


def test_rejected_or_approved_items_tell_nobody(office_client, dbs, linked):
    item, *_ = linked
    close(office_client, dbs, item, status="rejected", rejection_reason="No budget")
    assert dbs.scalar(select(Notification)) is None and dbs.scalar(select(OutboxEmail)) is None


def test_member_sees_notification_and_outcome_without_internal_details(
        app, office_client, dbs, member, linked):
    item, sub_a, _, _ = linked
    close(office_client, dbs, item, resolution_note="We opened two more counters.")
    client = app.test_client()
    client.language("en")
    login(client, member)
    home = client.get("/reports").get_data(as_text=True)
    assert 'class="badge badge-unread"' in home  # unread badge in the nav
    page = client.get("/notifications").get_data(as_text=True)
    assert "Queue at Xujiahui" in page and "We opened two more counters." in page
    assert "Queue at Lujiazui" not in page  # another member's
    report = client.get(f"/reports/{sub_a.gap_report_id}").get_data(as_text=True)
    assert "What became of it" in report
    assert "We opened two more counters." in report and "Store operations" in report and "Done" in report
    for html in (page, report):
        for secret in ("INTERNAL", "Zhang Assignee", "Wang Acontact", "Internal item title"):
            assert secret not in html, secret


def test_outcome_box_only_once_done(member_client, dbs, member, linked):
    item, sub_a, _, _ = linked
    item_note = "Note not yet for members"
    from portal.improvements.models import ImprovementItem

    it = dbs.get(ImprovementItem, item.id)
    it.resolution_note = item_note
    dbs.commit()
    html = member_client.get(f"/reports/{sub_a.gap_report_id}").get_data(as_text=True)
    assert "What became of it" not in html and item_note not in html


def test_outcome_on_opinion_and_evaluation_pages(member_client, dbs, member):
    consultation = make_consultation(dbs)
    opinion = Opinion(consultation_id=consultation.id, member_id=member.id, stance="support",
                      text="Good idea")
    trial = make_trial(dbs, status="running")
    make_enrollment(dbs, trial, member)
    evaluation = Evaluation(trial_id=trial.id, member_id=member.id, status="draft")
    dbs.add_all([opinion, evaluation])
    dbs.commit()
    subs = [
        Submission(kind="opinion", opinion_id=opinion.id, consultation_id=consultation.id,
                   member_id=member.id, title=consultation.title, status="linked", tags=[]),
        Submission(kind="evaluation", evaluation_id=evaluation.id, trial_id=trial.id,
                   member_id=member.id, title=trial.title, status="linked", tags=[]),
    ]
    dbs.add_all(subs)
    dbs.commit()
    dep = make_department(dbs, name="Policy dept")
    make_item(dbs, status="verified", department_id=dep.id, resolution_note="Policy changed.",
              submissions=[subs[0]])
    make_item(dbs, status="done", department_id=dep.id, resolution_note="Firmware fixed.",
              submissions=[subs[1]])
    html = member_client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    assert "What became of it" in html and "Policy changed." in html and "Verified" in html
    html = member_client.get(f"/trials/{trial.id}/evaluation").get_data(as_text=True)
    assert "What became of it" in html and "Firmware fixed." in html


def test_mark_read_and_mark_all(member_client, dbs, member, other_member, linked):
    item, *_ = linked
    own = [Notification(user_id=member.id, kind="item_closed", item_id=item.id) for _ in range(2)]
    theirs = Notification(user_id=other_member.id, kind="item_closed", item_id=item.id)
    dbs.add_all([*own, theirs])
    dbs.commit()
    assert member_client.post(f"/notifications/{theirs.id}/read").status_code == 404
    assert member_client.post(f"/notifications/{own[0].id}/read", csrf=False).status_code == 400
    assert member_client.post(f"/notifications/{own[0].id}/read").status_code == 302
    dbs.expire_all()
    assert dbs.get(Notification, own[0].id).read_at is not None
    assert dbs.get(Notification, own[1].id).read_at is None
    assert member_client.post("/notifications/read-all").status_code == 302
    dbs.expire_all()
    assert dbs.get(Notification, own[1].id).read_at is not None
    assert dbs.get(Notification, theirs.id).read_at is None
    html = member_client.get("/notifications").get_data(as_text=True)
    assert 'class="badge badge-unread"' not in html


def test_staff_see_their_overdue_notifications(office_client, office_user, dbs):
    item = make_item(dbs, title="Late work", due_on=shanghai_today() - timedelta(days=2))
    dbs.add(Notification(user_id=office_user.id, kind="item_overdue", item_id=item.id))
    dbs.commit()
    html = office_client.get("/notifications").get_data(as_text=True)
    notice = dbs.scalar(select(Notification))
    assert "Late work" in html and f"/notifications/{notice.id}/open" in html
    response = office_client.get(f"/notifications/{notice.id}/open")
    assert response.status_code == 302 and response.headers["Location"] == f"/staff/improvements/{item.id}"


def test_anonymous_is_sent_to_login(client):
    response = client.get("/notifications")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_notifications_query_count_is_fixed(app, member_client, dbs, member):
    dep = make_department(dbs)

    def add(n):
        for _ in range(n):
            sub = gap_submission(dbs, member)
            item = make_item(dbs, department_id=dep.id, status="done", submissions=[sub])
            dbs.add(Notification(user_id=member.id, kind="item_closed", item_id=item.id,
                                 submission_id=sub.id))
        dbs.commit()

    add(3)
    with_3, _ = count_queries(app, member_client, "/notifications")
    add(15)
    with_18, _ = count_queries(app, member_client, "/notifications")
    assert with_3 == with_18


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_outcome_texts_are_escaped(app, office_client, dbs, member, payload):
    sub = gap_submission(dbs, member, title=payload)
    item = make_item(dbs, status="in_progress", submissions=[sub],
                     department_id=make_department(dbs, name=payload[:100]).id)
    close(office_client, dbs, item, resolution_note=payload)
    client = app.test_client()
    client.language("en")
    login(client, member)
    for url in ("/notifications", f"/reports/{sub.gap_report_id}"):
        html = client.get(url).get_data(as_text=True)
        assert payload not in html, url


def test_pages_render_in_chinese(member_client, dbs, member, linked):
    item, sub_a, *_ = linked
    from portal.improvements.models import ImprovementItem

    it = dbs.get(ImprovementItem, item.id)
    it.status = "done"
    dbs.add(Notification(user_id=member.id, kind="item_closed", item_id=item.id, submission_id=sub_a.id))
    dbs.commit()
    member_client.language("zh_Hans")
    assert member_client.get("/notifications").status_code == 200
    html = member_client.get(f"/reports/{sub_a.gap_report_id}").get_data(as_text=True)
    assert "Store operations" in html


def test_whole_loop_from_a_members_report(app, dbs, member):
    """A member files a report on the site; office staff turn it into an item, close it; the
    member sees the outcome and is notified; the item's timeline shows the link."""
    from datetime import datetime

    from portal.domain import SHANGHAI
    from portal.improvements.models import ImprovementItem

    member_c = app.test_client()
    member_c.language("en")
    login(member_c, member)
    now = datetime.now(UTC).astimezone(SHANGHAI)
    response = member_c.post("/reports/new", data={
        "channel": "store", "commitment": "counter_service", "district": "xuhui", "place": "",
        "occurred_on": (now - timedelta(hours=2)).date().isoformat(),
        "occurred_time": (now - timedelta(hours=2)).strftime("%H:%M"),
        "severity": "2", "title": "Counter closed at lunch", "description": "Nobody served.",
    })
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    sub = dbs.scalar(select(Submission))
    assert sub is not None and sub.title == "Counter closed at lunch"

    office_c = app.test_client()
    office_c.language("en")
    login(office_c, make_user(dbs, role="office"))
    dep = make_department(dbs, name="Retail stores")
    assert office_c.post(f"/staff/improvements/new?submission={sub.id}", data={
        "submission": str(sub.id), "title": "Lunch cover", "description": "", "commitment": "",
        "department_id": str(dep.id), "priority": "normal", "due_on": "", "dmaic_phase": "define",
        "resolution_note": "",
    }).status_code == 302
    item = dbs.scalar(select(ImprovementItem))
    for status in ("approved", "in_progress", "done"):
        close(office_c, dbs, item, status=status, resolution_note="Counters now stay open at lunch.")
    timeline = office_c.get(f"/staff/improvements/{item.id}").get_data(as_text=True)
    assert "Linked" in timeline and f"#{sub.id}" in timeline

    report_page = member_c.get(f"/reports/{sub.gap_report_id}").get_data(as_text=True)
    assert "Counters now stay open at lunch." in report_page and "Retail stores" in report_page
    assert "Lunch cover" not in report_page
    assert "Counter closed at lunch" in member_c.get("/notifications").get_data(as_text=True)
    # The member is told by email once; the department's A contact heard of the new item.
    outbox = dbs.scalars(select(OutboxEmail)).all()
    assert [m.to_address for m in outbox if m.to_address == member.email] == [member.email]
    contacts = {u.email for u in (dep.a_contact, dep.b_contact) if u is not None}
    assert {m.to_address for m in outbox} <= {member.email, *contacts}


def test_linking_to_an_item_already_done_tells_the_member_at_once(office_client, dbs, member):
    submission = gap_submission(dbs, member, title="Roaming bill shock")
    done = make_item(dbs, title="Roaming alerts", status="done",
                     resolution_note="Roaming charges now trigger an SMS at 50 yuan.")
    response = office_client.post(f"/staff/inbox/{submission.id}/items",
                                  data={"item_number": done.id})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    notes = dbs.scalars(select(Notification)).all()
    assert [(n.user_id, n.submission_id, n.item_id) for n in notes] == [(member.id, submission.id, done.id)]
    assert len(dbs.scalars(select(OutboxEmail)).all()) == 1


def test_item_changed_signal_tells_members_once(app, dbs, member, other_member, linked):
    """Notifications hear of an item's outcome through portal.signals.item_changed, in the
    sender's unit of work; a moment that is not an outcome tells nobody."""
    from portal.db import db, unit_of_work
    from portal.improvements.models import ImprovementItem
    from portal.notifications.services import notify_item_closed
    from portal.signals import item_changed

    item, *_ = linked
    with app.test_request_context("/"):
        found = db.get(ImprovementItem, item.id)
        with unit_of_work():
            item_changed.send(found, actor=None, old_status="approved", new_status="in_progress")
        assert db.scalars(select(Notification)).all() == []
        with unit_of_work():
            found.status = "done"
            item_changed.send(found, actor=None, old_status="in_progress", new_status="done")
            # the same moment again in the same unit, or a direct call as well, adds nothing
            item_changed.send(found, actor=None, old_status="in_progress", new_status="done")
            notify_item_closed(found)
        notes = db.scalars(select(Notification)).all()
        assert sorted(n.user_id for n in notes) == sorted([member.id, other_member.id])
        with unit_of_work():
            found.status = "verified"
            item_changed.send(found, actor=None, old_status="done", new_status="verified")
            item_changed.send(found, actor=None, old_status="done", new_status="verified")
    notes = dbs.scalars(select(Notification).order_by(Notification.id)).all()
    assert [n.kind for n in notes] == ["item_closed"] * 2 + ["item_verified"] * 2
    assert len(dbs.scalars(select(OutboxEmail)).all()) == 4


def test_a_refused_unit_leaves_no_notice(app, dbs, linked):
    from portal.db import db, unit_of_work
    from portal.errors import Refused
    from portal.improvements.models import ImprovementItem
    from portal.signals import item_changed

    item, *_ = linked
    with app.test_request_context("/"), pytest.raises(Refused):
        found = db.get(ImprovementItem, item.id)
        with unit_of_work():
            found.status = "done"
            item_changed.send(found, actor=None, old_status="in_progress", new_status="done")
            raise Refused("stop")
    assert dbs.scalars(select(Notification)).all() == []
    assert dbs.scalars(select(OutboxEmail)).all() == []
