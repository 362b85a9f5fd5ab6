"""Lifecycle notices (issue 9, part 4): each signal's receiver, and each function the periodic
jobs call, writes the right notice to the right people, once, in-app always and by email per
their choice; the email is in the recipient's language, plain text plus HTML, with absolute
links that lead through the notice (marking it read)."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from markupsafe import escape
from sqlalchemy import select

from portal.db import db, unit_of_work
from portal.notifications import services
from portal.notifications.models import Notification, NotificationPreference, OutboxEmail
from portal.opinions.models import Consultation
from portal.triage.models import Submission
from portal.trials.models import Enrollment, Evaluation, Trial
from tests.conftest import XSS_PAYLOADS, login
from tests.factories import (
    make_consultation,
    make_department,
    make_enrollment,
    make_gap_submission,
    make_item,
    make_trial,
    make_user,
    today,
)

BASE = "https://panel.example.com"


@pytest.fixture(autouse=True)
def base_url(app):
    app.config["PUBLIC_BASE_URL"] = BASE + "/"  # a trailing slash is fine


def notices(dbs, **where):
    dbs.expire_all()
    stmt = select(Notification).order_by(Notification.id)
    for name, value in where.items():
        stmt = stmt.where(getattr(Notification, name) == value)
    return dbs.scalars(stmt).all()


def mails(dbs, to=None):
    dbs.expire_all()
    stmt = select(OutboxEmail).order_by(OutboxEmail.id)
    if to is not None:
        stmt = stmt.where(OutboxEmail.to_address == to)
    return dbs.scalars(stmt).all()


def send(app, signal, model, obj_id, **kwargs):
    """Send `signal` for the object as the sending area will: inside its unit of work."""
    with app.app_context():
        with unit_of_work():
            signal.send(db.get(model, obj_id), **kwargs)


def call(app, function, model, obj_id, *args):
    """Call a notify_* function as a periodic job does: an app context, no request."""
    with app.app_context():
        with unit_of_work():
            return function(db.get(model, obj_id), *args)


# --- members: enrollments ---------------------------------------------------------------------------


@pytest.mark.parametrize("status, kind, words", [
    ("accepted", "enrollment_accepted", "You are accepted in the trial"),
    ("declined", "enrollment_declined", "was not accepted this time"),
    ("waitlisted", "enrollment_waitlisted", "waiting list"),
])
def test_an_enrollment_decision_tells_the_member(app, dbs, member, status, kind, words):
    from portal.signals import enrollment_decided

    member.locale = "en"
    dbs.commit()
    trial = make_trial(dbs, title="5G home router")
    enrollment = make_enrollment(dbs, trial, member, status="applied")
    send(app, enrollment_decided, Enrollment, enrollment.id, actor=None, old_status="applied",
         new_status=status)
    [notice] = notices(dbs)
    assert (notice.user_id, notice.kind, notice.trial_id) == (member.id, kind, trial.id)
    [mail] = mails(dbs)
    assert mail.to_address == member.email and "5G home router" in mail.subject
    assert words in mail.body and f"{BASE}/notifications/{notice.id}/open" in mail.body


def test_an_unchanged_enrollment_tells_nobody(app, dbs, member):
    from portal.signals import enrollment_decided

    enrollment = make_enrollment(dbs, make_trial(dbs), member, status="accepted")
    send(app, enrollment_decided, Enrollment, enrollment.id, actor=None, old_status="accepted",
         new_status="accepted")
    assert notices(dbs) == [] and mails(dbs) == []


# --- members: trials and consultations --------------------------------------------------------------


def test_a_trial_recruiting_tells_the_active_members_of_its_segments_once(app, dbs):
    from portal.signals import trial_status_changed

    mobile = make_user(dbs, segment="mobile")
    household = make_user(dbs, segment="household")
    paused = make_user(dbs, segment="mobile", status="paused")
    make_user(dbs, segment="sme")
    staff = make_user(dbs, role="office")
    trial = make_trial(dbs, segments=("mobile", "household"), status="recruiting", title="Family plan")
    for _ in range(2):  # published twice (or the signal repeated): told once
        send(app, trial_status_changed, Trial, trial.id, actor=staff, old_status="draft",
             new_status="recruiting")
    told = notices(dbs, kind="trial_open")
    assert sorted(n.user_id for n in told) == sorted([mobile.id, household.id])
    assert all(n.trial_id == trial.id for n in told)
    assert paused.id not in {n.user_id for n in notices(dbs)}
    assert sorted(m.to_address for m in mails(dbs)) == sorted([mobile.email, household.email])


def test_a_targeted_trial_recruiting_tells_only_the_members_it_is_open_to(app, dbs):
    from portal.signals import trial_status_changed
    from tests.factories import make_profile, make_targeting

    fit = make_user(dbs, segment="mobile", district="pudong")
    make_profile(dbs, fit, handset_os="android")
    wrong_os = make_user(dbs, segment="mobile", district="minhang")
    make_profile(dbs, wrong_os, handset_os="ios")
    make_user(dbs, segment="mobile", district="pudong")  # no profile: the condition is unmet
    elsewhere = make_user(dbs, segment="mobile", district="xuhui")
    make_profile(dbs, elsewhere, handset_os="android")
    staff = make_user(dbs, role="office")
    trial = make_trial(dbs, segments=("mobile",), status="recruiting", title="5G Android")
    make_targeting(dbs, trial, districts=("pudong", "minhang"), handset_os=["android"])
    send(app, trial_status_changed, Trial, trial.id, actor=staff, old_status="draft",
         new_status="recruiting")
    assert [n.user_id for n in notices(dbs, kind="trial_open")] == [fit.id]


def test_a_trial_running_tells_its_accepted_members_with_the_link_to_evaluate(app, dbs, member,
                                                                              other_member):
    from portal.signals import trial_status_changed

    trial = make_trial(dbs, segments=("mobile", "household"), status="running", title="Router")
    make_enrollment(dbs, trial, member, status="accepted")
    make_enrollment(dbs, trial, other_member, status="declined")
    send(app, trial_status_changed, Trial, trial.id, actor=None, old_status="recruiting",
         new_status="running")
    [notice] = notices(dbs)
    assert (notice.user_id, notice.kind) == (member.id, "trial_started")
    client = app.test_client()
    login(client, member)
    response = client.get(f"/notifications/{notice.id}/open")
    assert response.headers["Location"] == f"/trials/{trial.id}/evaluation"


def test_other_trial_moves_tell_nobody(app, dbs, member):
    from portal.signals import trial_status_changed

    trial = make_trial(dbs, status="closed")
    make_enrollment(dbs, trial, member)
    send(app, trial_status_changed, Trial, trial.id, actor=None, old_status="running", new_status="closed")
    assert notices(dbs) == []


def test_a_published_consultation_tells_every_active_member_once(app, dbs, member, other_member):
    from portal.signals import consultation_published

    make_user(dbs, role="office")
    make_user(dbs, status="paused")
    consultation = make_consultation(dbs, title="Store waiting times")
    for _ in range(2):
        send(app, consultation_published, Consultation, consultation.id, actor=None)
    told = notices(dbs)
    assert sorted(n.user_id for n in told) == sorted([member.id, other_member.id])
    assert {n.kind for n in told} == {"consultation_open"}
    assert len(mails(dbs)) == 2


# --- members: reminders (called by the job) -----------------------------------------------------------


def test_evaluation_reminder_once_and_only_to_who_has_not_evaluated(app, dbs, member, other_member):
    trial = make_trial(dbs, segments=("mobile", "household"), status="running",
                       ends_on=today() + timedelta(days=3))
    waiting = make_enrollment(dbs, trial, member)
    done = make_enrollment(dbs, trial, other_member)
    dbs.add(Evaluation(trial_id=trial.id, member_id=other_member.id, status="submitted", version=1))
    dbs.commit()
    assert call(app, services.notify_evaluation_reminder, Enrollment, waiting.id) is True
    assert call(app, services.notify_evaluation_reminder, Enrollment, waiting.id) is False  # run twice
    assert call(app, services.notify_evaluation_reminder, Enrollment, done.id) is False
    [notice] = notices(dbs)
    assert (notice.user_id, notice.kind, notice.trial_id) == (member.id, "evaluation_reminder", trial.id)
    assert len(mails(dbs)) == 1
    declined = make_enrollment(dbs, make_trial(dbs), make_user(dbs), status="declined")
    assert call(app, services.notify_evaluation_reminder, Enrollment, declined.id) is False


def test_an_evaluation_reminder_in_another_transaction_at_once_is_not_written_twice(app, dbs, member):
    """Two job runs at once: the unique key keeps the second out, without failing its unit."""
    trial = make_trial(dbs, status="running")
    enrollment = make_enrollment(dbs, trial, member)
    dbs.add(Notification(user_id=member.id, kind="evaluation_reminder", trial_id=trial.id,
                         dedupe_key=f"evaluation_reminder:{trial.id}:{trial.ends_on.isoformat()}"))
    dbs.commit()
    with app.app_context():
        with unit_of_work():
            found = db.get(Enrollment, enrollment.id)
            # As if the other run committed between this one's check and its insert.
            original = services._fresh
            services._fresh = lambda todo: todo
            try:
                assert services.notify_evaluation_reminder(found) is False
            finally:
                services._fresh = original
            db.add(Notification(user_id=member.id, kind="item_closed"))  # the unit goes on
    assert len(notices(dbs)) == 2 and mails(dbs) == []


# --- members: what became of my report ----------------------------------------------------------------


def test_outcome_then_verified(app, dbs, member):
    from portal.improvements.models import ImprovementItem
    from portal.signals import item_changed

    sub = make_gap_submission(dbs, member, title="Slow refund")
    item = make_item(dbs, status="in_progress", submissions=[sub], resolution_note="Refunds in 3 days.")
    send(app, item_changed, ImprovementItem, item.id, actor=None, old_status="in_progress",
         new_status="done")
    send(app, item_changed, ImprovementItem, item.id, actor=None, old_status="done", new_status="verified")
    assert [(n.kind, n.submission_id) for n in notices(dbs)] == [
        ("item_closed", sub.id), ("item_verified", sub.id)]
    verified = mails(dbs)[1]
    assert "Slow refund" in verified.subject and "Refunds in 3 days." in verified.body


# --- staff --------------------------------------------------------------------------------------------


def test_the_assignee_hears_of_a_submission_but_not_who_took_it_themselves(app, dbs, member):
    from portal.signals import submission_assigned

    office, other = make_user(dbs, role="office"), make_user(dbs, role="office")
    sub = make_gap_submission(dbs, member, title="Dropped calls")
    send(app, submission_assigned, Submission, sub.id, actor=office, old_assignee_id=None,
         new_assignee_id=other.id)
    send(app, submission_assigned, Submission, sub.id, actor=office, old_assignee_id=other.id,
         new_assignee_id=office.id)
    send(app, submission_assigned, Submission, sub.id, actor=office, old_assignee_id=office.id,
         new_assignee_id=None)
    [notice] = notices(dbs)
    assert (notice.user_id, notice.kind, notice.submission_id) == (other.id, "submission_assigned", sub.id)
    [mail] = mails(dbs)
    assert mail.to_address == other.email and "Dropped calls" in mail.subject


def test_a_new_item_for_a_department_tells_its_a_contact(app, dbs):
    from portal.improvements.models import ImprovementItem
    from portal.signals import item_department_set

    department = make_department(dbs, name="Billing centre")
    office = make_user(dbs, role="office")
    item = make_item(dbs, title="Bill shock alerts", department_id=department.id)
    for _ in range(2):
        send(app, item_department_set, ImprovementItem, item.id, actor=office, old_department_id=None,
             new_department_id=department.id)
    [notice] = notices(dbs)
    assert (notice.user_id, notice.kind, notice.item_id) == (department.a_contact_id, "item_for_department",
                                                             item.id)
    [mail] = mails(dbs)
    assert "Bill shock alerts" in mail.subject and "Billing centre" in mail.body


def test_the_a_contact_who_set_the_department_is_not_told(app, dbs):
    from portal.accounts.models import User
    from portal.improvements.models import ImprovementItem
    from portal.signals import item_department_set

    department = make_department(dbs)
    item = make_item(dbs, department_id=department.id)
    contact = dbs.get(User, department.a_contact_id)
    send(app, item_department_set, ImprovementItem, item.id, actor=contact, old_department_id=None,
         new_department_id=department.id)
    assert notices(dbs) == []


def test_due_soon_tells_the_a_contact_once_per_due_date(app, dbs):
    from portal.improvements.models import ImprovementItem

    department = make_department(dbs)
    item = make_item(dbs, department_id=department.id, status="in_progress",
                     due_on=today() + timedelta(days=2))
    assert call(app, services.notify_item_due_soon, ImprovementItem, item.id) is True
    assert call(app, services.notify_item_due_soon, ImprovementItem, item.id) is False
    dbs.expire_all()
    moved = dbs.get(ImprovementItem, item.id)
    moved.due_on = today() + timedelta(days=9)
    dbs.commit()
    assert call(app, services.notify_item_due_soon, ImprovementItem, item.id) is True  # a new date
    assert [n.user_id for n in notices(dbs, kind="item_due_soon")] == [department.a_contact_id] * 2
    done = make_item(dbs, department_id=department.id, status="done", due_on=today())
    no_date = make_item(dbs, department_id=department.id, status="approved")
    for other in (done, no_date, make_item(dbs, due_on=today())):
        assert call(app, services.notify_item_due_soon, ImprovementItem, other.id) is False


def test_overdue_tells_the_b_contact(app, dbs):
    from portal.accounts.models import User
    from portal.improvements.models import ImprovementItem

    department = make_department(dbs)
    item = make_item(dbs, title="Roaming SMS", department_id=department.id, status="in_progress",
                     due_on=today() - timedelta(days=1))
    with app.app_context():
        with unit_of_work():
            contact = db.get(User, department.b_contact_id)
            services.notify_item_overdue(db.get(ImprovementItem, item.id), contact)
    [notice] = notices(dbs)
    assert (notice.user_id, notice.kind) == (department.b_contact_id, "item_overdue")
    assert "Roaming SMS" in mails(dbs)[0].subject


def ticked(html: str, name: str) -> bool:
    tag = re.search(rf'<input[^>]*\bid="{name}"[^>]*>', html)
    assert tag, name
    return " checked" in tag.group(0)


# --- preferences ------------------------------------------------------------------------------------


def test_email_off_still_writes_the_in_app_notice(app, dbs, member):
    from portal.signals import enrollment_decided

    dbs.add(NotificationPreference(user_id=member.id, topic="enrollment", email=False))
    dbs.commit()
    enrollment = make_enrollment(dbs, make_trial(dbs), member, status="applied")
    send(app, enrollment_decided, Enrollment, enrollment.id, actor=None, old_status="applied",
         new_status="accepted")
    assert [n.kind for n in notices(dbs)] == ["enrollment_accepted"]
    assert mails(dbs) == []


def test_a_paused_member_gets_no_email(app, dbs):
    from portal.signals import enrollment_decided

    paused = make_user(dbs, status="paused")
    enrollment = make_enrollment(dbs, make_trial(dbs), paused, status="applied")
    send(app, enrollment_decided, Enrollment, enrollment.id, actor=None, old_status="applied",
         new_status="declined")
    assert len(notices(dbs)) == 1 and mails(dbs) == []


def test_the_preferences_page_offers_the_topics_of_the_role_and_saves(app, client, dbs, member):
    login(client, member)
    html = client.get("/notifications/preferences").get_data(as_text=True)
    assert "Decisions on my applications to trials" in html and "What became of my submissions" in html
    assert "A submission is assigned to me" not in html  # a staff topic
    assert ticked(html, "enrollment") and ticked(html, "item_outcome")
    unsafe = client.post("/notifications/preferences", data={"item_outcome": "y"}, csrf=False)
    assert unsafe.status_code == 400
    response = client.post("/notifications/preferences", data={"item_outcome": "y", "assigned": "y"})
    assert response.status_code == 302
    dbs.expire_all()
    saved = dict(dbs.execute(select(NotificationPreference.topic, NotificationPreference.email)
                             .where(NotificationPreference.user_id == member.id)).all())
    assert saved["item_outcome"] is True and saved["enrollment"] is False
    assert "submission_assigned" not in saved and "assigned" not in saved
    html = client.get("/notifications/preferences").get_data(as_text=True)
    assert not ticked(html, "enrollment") and ticked(html, "item_outcome")


def test_staff_see_staff_topics(client, dbs, office_user):
    login(client, office_user)
    html = client.get("/notifications/preferences").get_data(as_text=True)
    assert "A submission is assigned to me" in html and "(B contact)" in html
    assert "Decisions on my applications to trials" not in html


# --- the email: language, parts, links ------------------------------------------------------------


def _accepted_mail(app, dbs, member, title="5G home router"):
    from portal.signals import enrollment_decided

    enrollment = make_enrollment(dbs, make_trial(dbs, title=title), member, status="applied")
    send(app, enrollment_decided, Enrollment, enrollment.id, actor=None, old_status="applied",
         new_status="accepted")
    return mails(dbs, to=member.email)[-1]


def test_the_email_is_in_the_recipients_language(app, dbs, member, other_member):
    member.locale = "en"
    other_member.locale = None  # never chose: Simplified Chinese
    dbs.commit()
    english = _accepted_mail(app, dbs, member)
    chinese = _accepted_mail(app, dbs, other_member)
    assert english.body.startswith(f"Hello {member.name},") and "You are accepted" in english.body
    assert 'lang="en"' in english.html_body
    # (The new sentences' Chinese arrives with `make messages`; the greeting and dates show it.)
    assert chinese.body.startswith(f"{other_member.name}，您好：") and "Hello" not in chinese.body
    assert "年" in chinese.body and "年" not in english.body
    assert 'lang="zh-Hans"' in chinese.html_body and "您好" in chinese.html_body


def test_every_link_is_absolute_and_the_html_loads_nothing(app, dbs, member):
    mail = _accepted_mail(app, dbs, member)
    [notice] = notices(dbs)
    assert f"{BASE}/notifications/{notice.id}/open" in mail.body
    assert f"{BASE}/notifications/preferences" in mail.body
    hrefs = re.findall(r'href="([^"]+)"', mail.html_body)
    assert hrefs and all(h.startswith(BASE + "/") for h in hrefs), hrefs
    for external in ("<img", "<script", "<link", "src=", "url(", "@import"):
        assert external not in mail.html_body


def test_without_a_base_url_links_lead_to_the_local_site(app, dbs, member):
    app.config["PUBLIC_BASE_URL"] = ""
    mail = _accepted_mail(app, dbs, member)
    [notice] = notices(dbs)
    assert f"http://127.0.0.1:5000/notifications/{notice.id}/open" in mail.body


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_the_html_part_escapes_what_people_typed(app, dbs, member, payload):
    mail = _accepted_mail(app, dbs, member, title=payload)
    assert payload not in mail.html_body
    assert payload.replace("<", "&lt;").replace(">", "&gt;").split("&gt;")[0] in mail.html_body.replace(
        "&#34;", '"').replace("&#39;", "'")
    assert payload in mail.body  # plain text is text


# --- reading: open marks read, newest first ---------------------------------------------------------


def test_following_a_notice_marks_it_read_and_goes_to_its_page(app, client, dbs, member, other_member):
    trial = make_trial(dbs)
    mine = Notification(user_id=member.id, kind="enrollment_accepted", trial_id=trial.id)
    theirs = Notification(user_id=other_member.id, kind="enrollment_accepted", trial_id=trial.id)
    dbs.add_all([mine, theirs])
    dbs.commit()
    # Signed out (from an email): sign in first, then on to it.
    response = client.get(f"/notifications/{mine.id}/open")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login(client, member)
    assert client.get(f"/notifications/{theirs.id}/open").status_code == 404
    response = client.get(f"/notifications/{mine.id}/open")
    assert response.status_code == 302 and response.headers["Location"] == f"/trials/{trial.id}"
    dbs.expire_all()
    assert dbs.get(Notification, mine.id).read_at is not None
    assert dbs.get(Notification, theirs.id).read_at is None
    html = client.get("/notifications").get_data(as_text=True)
    assert f'href="/notifications/{mine.id}/open"' in html and 'class="badge badge-unread"' not in html


def test_notices_read_newest_first_by_time(client, dbs, member):
    from portal.db import utcnow

    trial = make_trial(dbs, title="Older trial")
    newer_trial = make_trial(dbs, title="Newer trial")
    now = utcnow()
    # Written in the other order (e.g. a backfill): the time decides.
    dbs.add(Notification(user_id=member.id, kind="trial_open", trial_id=newer_trial.id, created_at=now))
    dbs.add(Notification(user_id=member.id, kind="trial_open", trial_id=trial.id,
                         created_at=now - timedelta(days=1)))
    dbs.commit()
    login(client, member)
    html = client.get("/notifications").get_data(as_text=True)
    assert html.index("Newer trial") < html.index("Older trial")


def test_each_kind_reads_on_the_list(app, client, dbs, member, office_user):
    """Every kind renders in both languages (no missing words, no error)."""
    from portal.notifications.kinds import KINDS

    trial = make_trial(dbs)
    consultation = make_consultation(dbs)
    sub = make_gap_submission(dbs, member)
    item = make_item(dbs, department_id=make_department(dbs).id, status="done", submissions=[sub],
                     due_on=today())
    for user in (member, office_user):
        for kind in KINDS:
            dbs.add(Notification(user_id=user.id, kind=kind, trial_id=trial.id,
                                 consultation_id=consultation.id, submission_id=sub.id, item_id=item.id))
    dbs.commit()
    login(client, member)
    for language in ("en", "zh_Hans"):
        client.language(language)
        shown = 0
        for page in (1, 2):  # more kinds than one page of the list holds
            response = client.get(f"/notifications?page={page}")
            assert response.status_code == 200
            shown += response.get_data(as_text=True).count('class="card notification unread"')
        assert shown == len(KINDS)


def test_a_segment_wide_notice_is_composed_once_per_language(app, dbs, monkeypatch):
    """Hundreds of members hear of a trial in one click: the email is composed once per language,
    each copy with its reader's own name (escaped in HTML) and own link."""
    from portal.notifications import emails
    from portal.signals import trial_status_changed

    members = [make_user(dbs, segment="mobile", locale="en" if i % 2 else None,
                         name=f"<b>Member {i}</b>") for i in range(6)]
    trial = make_trial(dbs, status="recruiting", title="Family plan")
    composed = []
    real = emails.draft
    monkeypatch.setattr(emails, "draft",
                        lambda locale, compose: composed.append(locale) or real(locale, compose))
    send(app, trial_status_changed, Trial, trial.id, actor=None, old_status="draft", new_status="recruiting")
    assert sorted(composed) == ["en", "zh_Hans"]
    told = {n.user_id: n.id for n in notices(dbs)}
    for person in members:
        [mail] = mails(dbs, to=person.email)
        link = f"{BASE}/notifications/{told[person.id]}/open"
        assert person.name in mail.body and link in mail.body
        assert str(escape(person.name)) in mail.html_body and "<b>Member" not in mail.html_body
        assert f'href="{link}"' in mail.html_body
        assert "\x00" not in mail.body + mail.html_body
