"""The administrators' view of the email outbox (/admin/outbox): each email's status, attempts
and last error, newest first by keyset (no OFFSET), and "send again" for a failed one (audited).

Administrators see the address, subject and state of an email, never its body: a body may
hold a personal link (an invitation, a password reset)."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import func, select, update

from portal.accounts.models import User
from portal.audit import services as audit
from portal.db import db, unit_of_work
from portal.errors import Refused
from portal.notifications.models import OutboxEmail

PER_PAGE = 50
STATUSES = {
    "waiting": _l("Waiting"),
    "sending": _l("Sending"),
    "sent": _l("Sent"),
    "failed": _l("Failed"),
}


@dataclass
class OutboxPage:
    emails: list[OutboxEmail] = field(default_factory=list)
    newer: int | None = None   # cursor for the newer page (emails with a greater id)
    older: int | None = None   # cursor for the older page (emails with a smaller id)


def _listing(status: str | None):
    # The columns the page shows; the bodies stay in the database.
    stmt = select(OutboxEmail.id, OutboxEmail.to_address, OutboxEmail.subject, OutboxEmail.created_at,
                  OutboxEmail.status, OutboxEmail.attempts, OutboxEmail.next_attempt_at,
                  OutboxEmail.sent_at, OutboxEmail.last_error)
    if status in STATUSES:
        stmt = stmt.where(OutboxEmail.status == status)
    return stmt


def outbox_page(status: str | None = None, before: int | None = None, after: int | None = None,
                per_page: int = PER_PAGE) -> OutboxPage:
    """One page newest first: `before` pages to older emails, `after` to newer ones. One query."""
    stmt = _listing(status)
    if after is not None:
        rows = list(db.execute(stmt.where(OutboxEmail.id > after).order_by(OutboxEmail.id.asc())
                               .limit(per_page + 1)))
        more = len(rows) > per_page
        rows = list(reversed(rows[:per_page]))
        return OutboxPage(emails=rows, newer=rows[0].id if more and rows else None,
                          older=rows[-1].id if rows else after + 1)
    if before is not None:
        stmt = stmt.where(OutboxEmail.id < before)
    rows = list(db.execute(stmt.order_by(OutboxEmail.id.desc()).limit(per_page + 1)))
    more = len(rows) > per_page
    rows = rows[:per_page]
    page = OutboxPage(emails=rows, older=rows[-1].id if more else None)
    if before is not None:
        page.newer = rows[0].id if rows else before - 1
    return page


def counts() -> dict[str, int]:
    """How many emails are in each status (one query)."""
    found = dict(db.execute(select(OutboxEmail.status, func.count(OutboxEmail.id))
                            .group_by(OutboxEmail.status)).all())
    return {code: found.get(code, 0) for code in STATUSES}


def send_again(actor: User, email_id: int) -> None:
    """Put a failed email back in the queue with a fresh count of attempts (audited). Raises
    Refused when it is not failed (sent meanwhile, or already waiting again)."""
    with unit_of_work():
        row = db.execute(select(OutboxEmail.status, OutboxEmail.attempts)
                         .where(OutboxEmail.id == email_id)).one_or_none()
        changed = db.execute(
            update(OutboxEmail).where(OutboxEmail.id == email_id, OutboxEmail.status == "failed")
            .values(status="waiting", attempts=0, next_attempt_at=None)
        ).rowcount
        if changed != 1 or row is None:
            raise Refused(_("Only a failed email can be sent again."))
        audit.record(actor, "outbox.send_again", "outbox_email", email_id,
                     {"status": row.status, "attempts": row.attempts},
                     {"status": "waiting", "attempts": 0})
