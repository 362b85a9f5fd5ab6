"""Notices (in-app) and their emails: who is told what, when, once.

Rules:
- Writers (`notify_*`) add rows to the caller's transaction and never commit: the notice is
  saved with the change that causes it, or not at all. Moments of other areas arrive through
  `portal.signals` (receivers.py), so those areas need not know who is told; the periodic jobs
  call `notify_evaluation_reminder`, `notify_item_due_soon` and (through improvements'
  escalation) `notify_item_overdue`.
- Every notice goes through `deliver`: the in-app row always; the email unless the recipient
  turned that topic's emails off (preferences), is paused, or has no address.
- A moment that must be told once carries a dedupe key, unique per user in the database: a job
  run twice, or two at once, tells nobody twice. Members hear of an item's outcome once per
  (submission, item) when it is done, and once more when it is verified.
- Texts are composed in the reader's language when shown, and in the recipient's language
  when mailed (see kinds.py for the words, emails.py for the email).
- Members see only the outcome of items linked to their own submissions: the department name,
  the status and the resolution note. Never internal notes, assignees, staff names or the
  item's own title.
- The list reads newest first by time; following a notice's link (`open`) marks it read.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import delete, exists, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from portal import domain, permissions
from portal.accounts.models import User
from portal.db import db, unit_of_work, utcnow
from portal.improvements.models import Department, ImprovementItem
from portal.notifications import emails
from portal.notifications.kinds import KINDS, TOPICS, About, Kind, topics_for
from portal.notifications.models import Notification, NotificationPreference
from portal.opinions.models import Consultation
from portal.pagination import Page, paginate
from portal.triage.models import Submission, submission_items
from portal.trials.models import Enrollment, Evaluation, Trial

PER_PAGE = 20
KIND_CLOSED = "item_closed"
KIND_VERIFIED = "item_verified"
KIND_OVERDUE = "item_overdue"
# Which Submission column points at each kind of source row.
SOURCE_COLUMNS = {
    "gap_report": Submission.gap_report_id,
    "opinion": Submission.opinion_id,
    "evaluation": Submission.evaluation_id,
}
ENROLLMENT_KINDS = {"accepted": "enrollment_accepted", "declined": "enrollment_declined",
                    "waitlisted": "enrollment_waitlisted"}


# ---------------------------------------------------------------------------------------------
# Writing notices (no commit: the caller's unit of work commits)


@dataclass
class Notice:
    """One notice to write: to whom, about what, and the key that makes it once-only."""

    user: User
    about: About
    dedupe_key: str | None = None


def _fresh(notices: list[Notice]) -> list[Notice]:
    """The notices not told before (by their dedupe key), each key once."""
    keys = {n.dedupe_key for n in notices if n.dedupe_key}
    told: set = set()
    if keys:
        told = set(db.execute(
            select(Notification.user_id, Notification.dedupe_key)
            .where(Notification.dedupe_key.in_(keys),
                   Notification.user_id.in_({n.user.id for n in notices if n.dedupe_key}))
        ).all())
    fresh = []
    for n in notices:
        key = (n.user.id, n.dedupe_key)
        if n.dedupe_key and key in told:
            continue
        told.add(key)
        fresh.append(n)
    return fresh


def _values(kind: Kind, notice: Notice, now: datetime) -> dict:
    return dict(user_id=notice.user.id, kind=kind.code, dedupe_key=notice.dedupe_key, created_at=now,
                **notice.about.ids())


def _insert(kind: Kind, notices: list[Notice]) -> list[tuple[Notice, int]]:
    """Insert the rows (one statement, ids returned) in a savepoint; if another transaction
    told one of them meanwhile (its unique key), insert them one by one and leave that one out."""
    now = utcnow()
    values = [_values(kind, n, now) for n in notices]
    stmt = insert(Notification).returning(Notification.id, sort_by_parameter_order=True)
    db.flush()  # the caller's own changes first: an error of theirs is not taken for a duplicate
    try:
        with db.begin_nested():
            ids = list(db.scalars(stmt, values))
        return list(zip(notices, ids, strict=True))
    except IntegrityError:
        written = []
        for notice, row in zip(notices, values, strict=True):
            try:
                with db.begin_nested():
                    written.append((notice, db.scalar(stmt, row)))
            except IntegrityError:
                continue
        return written


def _email_off(topic: str, user_ids: set[int]) -> set[int]:
    if not user_ids:
        return set()
    return set(db.scalars(
        select(NotificationPreference.user_id).where(
            NotificationPreference.topic == topic, NotificationPreference.email.is_(False),
            NotificationPreference.user_id.in_(user_ids))
    ))


def _notice_message(kind: Kind, about: About) -> emails.Message:
    """The email of a notice, with the recipient's name and link left to fill in (a Draft)."""
    return emails.Message(
        subject=kind.subject(about),
        greeting=_("Hello %(name)s,", name=emails.NAME),
        paragraphs=[kind.text(about)],
        details=kind.details(about),
        quote=kind.quote(about),
        action=(str(kind.action), emails.LINK) if kind.target(about) else None,
        preferences_url=emails.absolute("notifications.preferences"),
    )


def _queue_emails(kind: Kind, written: list[tuple[Notice, int]], no_email: set[int]) -> None:
    """The emails of the written notices: composed once per language and object (a whole
    segment hears of a trial at the cost of one email per language), each with its own link."""
    drafts: dict[tuple[str, int], emails.Draft] = {}
    rows = []
    for notice, notification_id in written:
        user = notice.user
        if user.id in no_email or user.status != "active" or not user.email:
            continue
        locale = emails.locale_of(user)
        key = (locale, id(notice.about))
        if key not in drafts:
            drafts[key] = emails.draft(locale, lambda about=notice.about: _notice_message(kind, about))
        link = emails.absolute("notifications.open", notification_id=notification_id)
        rows.append(drafts[key].values(user.email, name=user.name, link=link))
    emails.queue_many(rows)


def deliver(kind_code: str, notices: Iterable[Notice]) -> list[int]:
    """Write each notice not told before, and its email where the recipient wants one.
    Returns the ids of the notices written."""
    kind = KINDS[kind_code]
    todo = _fresh(list(notices))
    if not todo:
        return []
    no_email = _email_off(kind.topic, {n.user.id for n in todo})
    written = _insert(kind, todo)
    _queue_emails(kind, written, no_email)
    return [notification_id for _, notification_id in written]


# --- items: outcome, department, due soon, overdue ---------------------------------------------


def _outcome_key(kind: str, item_id: int, submission_id: int) -> str:
    return f"{kind}:{item_id}:{submission_id}"


def notify_item_outcome(item: ImprovementItem, status: str | None = None) -> int:
    """Tell each member whose submission is linked to `item` of its outcome: 'item_closed' the
    first time (done, or verified when they had not heard before), 'item_verified' when it is
    verified after they heard it was done. Returns how many notices were written."""
    status = status or item.status
    if status not in domain.ITEM_OUTCOME_STATUSES:
        return 0
    rows = db.execute(
        select(Submission, User)
        .join(submission_items, submission_items.c.submission_id == Submission.id)
        .join(User, User.id == Submission.member_id)
        .where(submission_items.c.item_id == item.id)
        .order_by(Submission.id)
    ).all()
    if not rows:
        return 0
    told = set(db.scalars(select(Notification.dedupe_key).where(
        Notification.item_id == item.id, Notification.kind.in_((KIND_CLOSED, KIND_VERIFIED)))))
    closed, verified = [], []
    for submission, member in rows:
        about = About(submission=submission, item=item)
        if _outcome_key(KIND_CLOSED, item.id, submission.id) not in told:
            closed.append(Notice(member, about, _outcome_key(KIND_CLOSED, item.id, submission.id)))
        elif status == "verified":
            verified.append(Notice(member, about, _outcome_key(KIND_VERIFIED, item.id, submission.id)))
    return len(deliver(KIND_CLOSED, closed)) + len(deliver(KIND_VERIFIED, verified))


def notify_item_closed(item: ImprovementItem) -> int:
    """The members of `item` hear of its current outcome (see notify_item_outcome)."""
    return notify_item_outcome(item, item.status)


def notify_item_overdue(item: ImprovementItem, contact: User) -> None:
    """Tell the department's B contact that `item` is past its due date. Once per due date is
    the escalation's own rule (improvements.services.escalate_overdue)."""
    deliver(KIND_OVERDUE, [Notice(contact, About(item=item))])


def notify_item_due_soon(item: ImprovementItem) -> bool:
    """Tell the department's A contact that `item` falls due soon (for the daily job, which
    picks the items: due in two days). Once per item and due date, however often it runs; an
    item closed, without a due date or an active A contact tells nobody."""
    department = item.department
    contact = department.a_contact if department is not None else None
    if (item.due_on is None or item.status in domain.ITEM_CLOSED_STATUSES or contact is None
            or contact.status != "active"):
        return False
    key = f"item_due_soon:{item.id}:{item.due_on.isoformat()}"
    return bool(deliver("item_due_soon", [Notice(contact, About(item=item), key)]))


def notify_item_for_department(item: ImprovementItem, actor: User | None = None) -> bool:
    """Tell the A contact of the item's department that the item is now theirs (not when they
    did it themselves). Once per item and department."""
    department = db.get(Department, item.department_id) if item.department_id else None
    contact = department.a_contact if department is not None else None
    if contact is None or contact.status != "active" or (actor is not None and actor.id == contact.id):
        return False
    key = f"item_for_department:{item.id}:{department.id}"
    return bool(deliver("item_for_department", [Notice(contact, About(item=item), key)]))


# --- submissions -------------------------------------------------------------------------------


def notify_submission_assigned(submission: Submission, assignee_id: int | None,
                               actor: User | None = None) -> bool:
    """Tell the staff member a submission is now assigned to (not when they took it themselves)."""
    if assignee_id is None or (actor is not None and actor.id == assignee_id):
        return False
    assignee = db.get(User, assignee_id)
    if assignee is None or not permissions.can("inbox.view", assignee):
        return False
    return bool(deliver("submission_assigned", [Notice(assignee, About(submission=submission))]))


# --- trials and consultations ------------------------------------------------------------------


def notify_enrollment_decided(enrollment: Enrollment, new_status: str) -> bool:
    """Tell the member what became of their application (accepted, declined, waitlisted)."""
    kind = ENROLLMENT_KINDS.get(new_status)
    member = db.get(User, enrollment.member_id)
    if kind is None or member is None:
        return False
    trial = db.get(Trial, enrollment.trial_id)
    return bool(deliver(kind, [Notice(member, About(trial=trial))]))


def _active_members():
    return select(User).where(User.role.in_(permissions.holders("panel.take_part")),
                              User.status == "active")


def notify_trial_open(trial: Trial) -> int:
    """Tell the active members the trial's targeting is open to (its segments, districts and
    profile conditions) that it recruits (once per trial)."""
    from portal.trials import targeting  # the trials area imports this module: import when used

    stmt = select(User).where(*targeting.eligible_members(trial))
    if targeting.needs_profile(trial):
        stmt = stmt.join(targeting.MemberProfile, targeting.MemberProfile.member_id == User.id)
    members = db.scalars(stmt.order_by(User.id))
    key, about = f"trial_open:{trial.id}", About(trial=trial)
    return len(deliver("trial_open", [Notice(m, about, key) for m in members]))


def notify_trial_started(trial: Trial) -> int:
    """Tell the accepted members that the trial runs, with the link to evaluate (once)."""
    members = db.scalars(
        select(User).join(Enrollment, Enrollment.member_id == User.id)
        .where(Enrollment.trial_id == trial.id, Enrollment.status == "accepted").order_by(User.id))
    key, about = f"trial_started:{trial.id}", About(trial=trial)
    return len(deliver("trial_started", [Notice(m, about, key) for m in members]))


def notify_consultation_open(consultation: Consultation) -> int:
    """Tell every active member that a consultation asks for opinions (once per consultation)."""
    members = db.scalars(_active_members().order_by(User.id))
    key, about = f"consultation_open:{consultation.id}", About(consultation=consultation)
    return len(deliver("consultation_open", [Notice(m, about, key) for m in members]))


def _export_job_model():
    # Imported when used: the exports package (its routes, its jobs) imports this module, so a
    # module-level import would be circular whichever package loads first.
    from portal.exports.models import ExportJob

    return ExportJob


def notify_export_ready(job: Any, user: User) -> bool:
    """The owner of a finished export job hears of it once."""
    return bool(deliver("export_ready", [Notice(user, About(export_job=job), f"export_ready:{job.id}")]))


def notify_evaluation_reminder(enrollment: Enrollment) -> bool:
    """Remind an accepted member to evaluate before the trial ends (for the daily job, which
    picks the enrollments: trial ending in three days). Once per trial and end date; nothing
    when the member is no longer accepted or has submitted an evaluation already."""
    if enrollment.status != "accepted":
        return False
    submitted = db.scalar(select(exists().where(
        Evaluation.trial_id == enrollment.trial_id, Evaluation.member_id == enrollment.member_id,
        or_(Evaluation.version > 0, Evaluation.status == "submitted"))))
    trial = db.get(Trial, enrollment.trial_id)
    member = db.get(User, enrollment.member_id)
    if submitted or trial is None or member is None or trial.status == "closed":
        return False
    key = f"evaluation_reminder:{trial.id}:{trial.ends_on.isoformat()}"
    return bool(deliver("evaluation_reminder", [Notice(member, About(trial=trial), key)]))


# ---------------------------------------------------------------------------------------------
# Email preferences


def email_choices(user: User) -> dict[str, bool]:
    """Email on/off per topic that applies to `user` (on unless they turned it off)."""
    saved = dict(db.execute(
        select(NotificationPreference.topic, NotificationPreference.email)
        .where(NotificationPreference.user_id == user.id)).all())
    return {t.code: saved.get(t.code, True) for t in topics_for(user)}


def save_email_choices(user: User, choices: dict[str, bool]) -> None:
    """Save the choices for the topics that apply to `user` (others are ignored)."""
    allowed = {t.code for t in topics_for(user)}
    with unit_of_work():
        db.execute(delete(NotificationPreference).where(NotificationPreference.user_id == user.id))
        db.add_all(NotificationPreference(user_id=user.id, topic=code, email=bool(choices.get(code)))
                   for code in TOPICS if code in allowed)


# ---------------------------------------------------------------------------------------------
# What members see on their own submissions


@dataclass
class Outcome:
    """The member-facing face of an item: nothing internal."""

    department: str | None
    status: str
    resolution_note: str
    closed_at: datetime | None


def outcomes_for(source_kind: str, source_id: int | None) -> list[Outcome]:
    """The done/verified items linked to the submission of that source row (one query)."""
    column = SOURCE_COLUMNS.get(source_kind)
    if column is None or source_id is None:
        return []
    rows = db.execute(
        select(Department.name, ImprovementItem.status, ImprovementItem.resolution_note,
               ImprovementItem.closed_at)
        .select_from(ImprovementItem)
        .join(submission_items, submission_items.c.item_id == ImprovementItem.id)
        .join(Submission, Submission.id == submission_items.c.submission_id)
        .outerjoin(Department, Department.id == ImprovementItem.department_id)
        .where(column == source_id,
               ImprovementItem.status.in_(domain.ITEM_OUTCOME_STATUSES))
        .order_by(ImprovementItem.id)
    ).all()
    return [Outcome(department=r[0], status=r[1], resolution_note=r[2] or "", closed_at=r[3])
            for r in rows]


# ---------------------------------------------------------------------------------------------
# Reading notifications


@dataclass
class NotificationRow:
    notification: Notification
    text: str
    details: list[tuple[str, str]]
    quote: tuple[str, str] | None
    action: Any
    link: str | None  # through `open`, which marks it read


def _by_id(model, ids: set[int], *options) -> dict[int, Any]:
    if not ids:
        return {}
    return {obj.id: obj for obj in db.scalars(select(model).where(model.id.in_(ids)).options(*options))}


def _abouts(notifications: list[Notification]) -> dict[int, About]:
    """What each notification points to: one query per kind of object, whatever the count."""
    def ids(attr):
        return {getattr(n, attr) for n in notifications if getattr(n, attr) is not None}

    trials = _by_id(Trial, ids("trial_id"))
    consultations = _by_id(Consultation, ids("consultation_id"))
    submissions = _by_id(Submission, ids("submission_id"))
    items = _by_id(ImprovementItem, ids("item_id"), joinedload(ImprovementItem.department))
    jobs = _by_id(_export_job_model(), ids("export_job_id"))
    from portal.supervision.models import SupportRequest  # the hotline's notices

    support_requests = _by_id(SupportRequest, ids("support_request_id"))
    return {n.id: About(trial=trials.get(n.trial_id), consultation=consultations.get(n.consultation_id),
                        submission=submissions.get(n.submission_id), item=items.get(n.item_id),
                        export_job=jobs.get(n.export_job_id),
                        support_request=support_requests.get(n.support_request_id))
            for n in notifications}


def _shown(n: Notification, about: About) -> NotificationRow:
    kind = KINDS.get(n.kind)
    if kind is None:  # a kind this version no longer knows: shown plainly, not an error
        return NotificationRow(n, n.kind, [], None, None, None)
    has_target = kind.target(about) is not None
    return NotificationRow(
        notification=n, text=kind.text(about), details=kind.details(about), quote=kind.quote(about),
        action=kind.action, link=url_for("notifications.open", notification_id=n.id) if has_target else None,
    )


def unread_count(user: User) -> int:
    return db.scalar(
        select(func.count(Notification.id))
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    ) or 0


def user_notifications(user: User) -> Page:
    """The user's own notifications, newest first by time, in words (fixed queries)."""
    stmt = (select(Notification).where(Notification.user_id == user.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc()))
    page = paginate(stmt, per_page=PER_PAGE)
    abouts = _abouts(page.items)
    page.items = [_shown(n, abouts[n.id]) for n in page.items]
    return page


def get_notification(viewer: User, notification_id: int) -> Notification | None:
    """`viewer`'s own notification, or None (someone else's is as good as missing)."""
    n = db.get(Notification, notification_id)
    if n is None or n.user_id != viewer.id:
        return None
    return n


def target_path(notification: Notification) -> str | None:
    """Where the notification leads on this site (a path with the site's prefix), or None."""
    kind = KINDS.get(notification.kind)
    if kind is None:
        return None
    target = kind.target(_abouts([notification])[notification.id])
    return url_for(target[0], **target[1]) if target else None


def mark_read(notification: Notification) -> None:
    """Mark one notification read (again is harmless)."""
    if notification.read_at is None:
        with unit_of_work():
            db.execute(update(Notification)
                       .where(Notification.id == notification.id, Notification.read_at.is_(None))
                       .values(read_at=utcnow()))
        db.refresh(notification)


def mark_all_read(user: User) -> None:
    with unit_of_work():
        db.execute(
            update(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
            .values(read_at=utcnow())
        )

