"""Notifications and outbox emails: closing the loop to members, escalating overdue items.

Rules:
- Writers (`notify_item_closed`, `notify_item_overdue`) add rows to the caller's transaction and
  never commit: the notice is saved with the change that causes it, or not at all. An item
  reaching done or verified arrives through `portal.signals.item_changed` (receivers.py), so
  improvements need not know who is told.
- A member is told once per (submission, item): reaching done and then verified, or re-opening
  and closing again, does not repeat the notice.
- Emails are composed in the recipient's language (their saved locale, else Simplified Chinese);
  in-app notifications are composed when shown, in the reader's language.
- Members see only the outcome of items linked to their own submissions: the department name,
  the status and the resolution note. Never internal notes, assignees or staff names.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app, has_request_context, url_for
from flask_babel import force_locale, format_date, gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import aliased

from portal import domain
from portal.accounts.models import User
from portal.db import db, unit_of_work, utcnow
from portal.improvements.models import Department, ImprovementItem
from portal.notifications.models import Notification, OutboxEmail
from portal.pagination import Page, paginate
from portal.triage.models import Submission, submission_items

PER_PAGE = 20
KIND_CLOSED = "item_closed"
KIND_OVERDUE = "item_overdue"
# Which Submission column points at each kind of source row.
SOURCE_COLUMNS = {
    "gap_report": Submission.gap_report_id,
    "opinion": Submission.opinion_id,
    "evaluation": Submission.evaluation_id,
}


# ---------------------------------------------------------------------------------------------
# Links


def _path(endpoint: str, **values) -> str:
    if has_request_context():
        return url_for(endpoint, **values)
    with current_app.test_request_context():
        return url_for(endpoint, **values)


def link(path: str) -> str:
    """An address for an email: PUBLIC_BASE_URL + path when configured, else the path."""
    base = (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    return f"{base}{path}"


def submission_path(submission: Submission) -> str:
    """The member's own page of the source row of `submission`."""
    if submission.kind == "gap_report":
        return _path("gaps.member_detail", report_id=submission.gap_report_id)
    if submission.kind == "opinion":
        return _path("opinions.member_detail", consultation_id=submission.consultation_id)
    return _path("trials.evaluation_form", trial_id=submission.trial_id)


def _one_line(text: str, limit: int = 120) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _locale(user: User) -> str:
    languages = current_app.config.get("LANGUAGES", ("zh_Hans", "en"))
    return user.locale if user.locale in languages else "zh_Hans"


# ---------------------------------------------------------------------------------------------
# Writing notices (no commit: the caller's unit of work commits)


def notify_item_closed(item: ImprovementItem) -> int:
    """Tell each member whose submission is linked to `item` that it reached done/verified.

    One notification + one outbox email per linked submission not told about this item before.
    Returns how many were written."""
    if item.status not in domain.ITEM_OUTCOME_STATUSES:
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
    told = set(db.scalars(
        select(Notification.submission_id)
        .where(Notification.item_id == item.id, Notification.kind == KIND_CLOSED)
    ))
    department = item.department.name if item.department else ""
    written = 0
    for submission, member in rows:
        if submission.id in told:
            continue
        db.add(Notification(user_id=member.id, kind=KIND_CLOSED, submission_id=submission.id,
                            item_id=item.id))
        with force_locale(_locale(member)):
            title = _one_line(submission.title, 80)
            subject = _("The outcome of your submission “%(title)s”", title=title)
            lines = [
                _("Hello %(name)s,", name=member.name),
                "",
                _("The service office has acted on your submission “%(title)s”.",
                  title=_one_line(submission.title, 200)),
                _("Outcome: %(status)s", status=domain.ITEM_STATUSES[item.status]),
            ]
            if department:
                lines.append(_("Department: %(department)s", department=department))
            if item.resolution_note:
                lines += ["", _("What was done:"), item.resolution_note]
            lines += ["", _("See it on the portal: %(link)s", link=link(submission_path(submission)))]
            body = "\n".join(str(line) for line in lines)
        db.add(OutboxEmail(to_address=member.email, subject=str(subject)[:300], body=body))
        written += 1
    return written


def notify_item_overdue(item: ImprovementItem, contact: User) -> None:
    """Tell the department's B contact that `item` is past its due date (no commit)."""
    db.add(Notification(user_id=contact.id, kind=KIND_OVERDUE, item_id=item.id))
    with force_locale(_locale(contact)):
        title = _one_line(item.title, 80)
        subject = _("Overdue improvement item: %(title)s", title=title)
        department = item.department.name if item.department else ""
        lines = [
            _("Hello %(name)s,", name=contact.name),
            "",
            _("The improvement item “%(title)s” of %(department)s was due on %(date)s and is "
              "not done yet.", title=_one_line(item.title, 200), department=department,
              date=format_date(item.due_on)),
            _("Status: %(status)s", status=domain.ITEM_STATUSES[item.status]),
            "",
            _("See it on the portal: %(link)s",
              link=link(_path("improvements.item_detail", item_id=item.id))),
        ]
        body = "\n".join(str(line) for line in lines)
    db.add(OutboxEmail(to_address=contact.email, subject=str(subject)[:300], body=body))


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
    item_title: str | None
    item_status: str | None
    item_due_on: date | None
    resolution_note: str
    department: str | None
    submission_title: str | None
    link: str | None


def unread_count(user: User) -> int:
    return db.scalar(
        select(func.count(Notification.id))
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    ) or 0


def user_notifications(user: User) -> Page:
    """The user's own notifications, newest first, with what they point to (fixed queries)."""
    item = aliased(ImprovementItem)
    stmt = (
        select(Notification, item.title, item.status, item.due_on, item.resolution_note,
               Department.name, Submission)
        .outerjoin(item, item.id == Notification.item_id)
        .outerjoin(Department, Department.id == item.department_id)
        .outerjoin(Submission, Submission.id == Notification.submission_id)
        .where(Notification.user_id == user.id)
        .order_by(Notification.id.desc())
    )
    page = paginate(stmt, per_page=PER_PAGE, scalars=False)
    rows = []
    for n, title, status, due_on, note, department, submission in page.items:
        if n.kind == KIND_CLOSED:
            target = submission_path(submission) if submission is not None else None
        else:
            target = _path("improvements.item_detail", item_id=n.item_id) if n.item_id else None
        rows.append(NotificationRow(
            notification=n, item_title=title, item_status=status, item_due_on=due_on,
            resolution_note=note or "", department=department,
            submission_title=submission.title if submission is not None else None, link=target,
        ))
    page.items = rows
    return page


def get_notification(viewer: User, notification_id: int) -> Notification | None:
    """`viewer`'s own notification, or None (someone else's is as good as missing)."""
    n = db.get(Notification, notification_id)
    if n is None or n.user_id != viewer.id:
        return None
    return n


def mark_read(notification: Notification) -> None:
    """Mark one notification read (again is harmless)."""
    if notification.read_at is None:
        with unit_of_work():
            notification.read_at = utcnow()


def mark_all_read(user: User) -> None:
    with unit_of_work():
        db.execute(
            update(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
            .values(read_at=utcnow())
        )
