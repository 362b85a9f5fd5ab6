from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.db import Base, UTCDateTime, utcnow

OUTBOX_STATUSES = ("waiting", "sending", "sent", "failed")


class Notification(Base):
    """An in-app message to one user. The text is composed when shown, in the reader's language,
    from `kind` (portal.notifications.kinds) and the objects it points to."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_read", "user_id", "read_at", "id"),
        # The list reads newest first by time.
        Index("ix_notifications_user_created", "user_id", "created_at", "id"),
        # A moment told at most once per person (reminders run by a job may run twice).
        Index("ux_notifications_user_dedupe", "user_id", "dedupe_key", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # A code of portal.notifications.kinds.KINDS, e.g. 'item_closed' or 'enrollment_accepted'.
    kind: Mapped[str] = mapped_column(String(32))
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("improvement_items.id", ondelete="CASCADE"))
    trial_id: Mapped[int | None] = mapped_column(ForeignKey("trials.id", ondelete="CASCADE"))
    consultation_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"))
    export_job_id: Mapped[int | None] = mapped_column(ForeignKey("export_jobs.id", ondelete="CASCADE"))
    # A support request of the internal supervision hotline (portal.supervision).
    support_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("support_requests.id", ondelete="CASCADE"))
    # Set for moments that must be told once (e.g. "item_due_soon:12:2026-05-01"); NULL otherwise.
    dedupe_key: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class NotificationPreference(Base):
    """A user's choice of email for one topic of notices (kinds.TOPICS). No row: email is on.
    In-app notices are always written."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    topic: Mapped[str] = mapped_column(String(32), primary_key=True)
    email: Mapped[bool] = mapped_column(Boolean)


class OutboxEmail(Base):
    """An email waiting to be sent (or sent, or given up). Written with the change that causes
    it; sent later by `mail.send_pending`, which claims a row (waiting -> sending) before talking
    to the SMTP server, so two senders never send it twice.

    status: waiting (to be sent at `next_attempt_at`, or at once when NULL), sending (claimed by
    a sender until `next_attempt_at`), sent, failed (after mail.MAX_ATTEMPTS attempts; an
    administrator may send it again)."""

    __tablename__ = "outbox_emails"
    __table_args__ = (
        CheckConstraint("status IN ('waiting','sending','sent','failed')", name="status"),
        Index("ix_outbox_emails_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    # The same message as HTML (the multipart/alternative part); NULL for plain-text-only rows.
    html_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="waiting", server_default="waiting")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
