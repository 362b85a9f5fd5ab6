"""Panel health and recognition: the activity ledger (points), the points rules, and the small
summaries the health page reads instead of the activity tables themselves.

Why summaries kept up to date by signal receivers rather than aggregates over the activity
tables on each page view: "who was active in the last 30 days", "who has been quiet for 90 days"
and "active members per month" need every member's *latest* activity across evaluations,
opinions and gap reports. Computed per view that is a union and a GROUP BY over all three
tables (growing without bound); kept here it is one indexed range over `member_activity`
(one row per member) and a GROUP BY over at most 12 months of `member_active_months`. A
member's own participation (6 months) is read from the ledger, by member and date (indexed).

The ledger (`points_ledger`) is at once the record of completed activities and of the points
they earned: one row per source row (an evaluation, an opinion, a gap report), unique on
(kind, source_id), so a re-submitted evaluation or an edited opinion never counts twice, and the
backfill command may run any number of times.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    event,
    insert,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import Invitation, User
from portal.db import Base, UTCDateTime, utcnow
from portal.permissions import MEMBER
from portal.trials.models import Enrollment, Evaluation


class PointsRule(Base):
    """How many points one completed activity of a kind earns (set by an administrator).

    A changed rule applies to activities from then on: the ledger keeps the points earned."""

    __tablename__ = "points_rules"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    points: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class PointsEntry(Base):
    """One completed activity of a member and the points it earned."""

    __tablename__ = "points_ledger"
    __table_args__ = (
        # Nothing counted twice: one row per source row of each kind.
        UniqueConstraint("kind", "source_id"),
        # A member's history (newest first), total, yearly summary and 6-month participation.
        Index("ix_points_ledger_member_earned", "member_id", "earned_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer, default=0)
    earned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    member: Mapped[User] = relationship()


class MemberActivity(Base):
    """One row per member: when they last did something, and when they were last re-engaged.

    `quiet_since` is the last activity or, with none yet, when they joined: the lapsing list
    (quiet for 90 days) is a range of its index, in the order it shows."""

    __tablename__ = "member_activity"
    __table_args__ = (
        Index("ix_member_activity_quiet", "quiet_since", "member_id"),
        # "Active in the last 30 days": a range counted on the index alone.
        Index("ix_member_activity_last", "last_activity_at"),
    )

    member_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    last_activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    quiet_since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Re-engaged at most once in 30 days (panel.services.re_engage checks it in one UPDATE).
    last_reengaged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    member: Mapped[User] = relationship()


class ActiveMonth(Base):
    """A member was active in this (Shanghai) month: "active members per month" counts rows."""

    __tablename__ = "member_active_months"

    month: Mapped[date] = mapped_column(Date, primary_key=True)  # the month's first day
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)


class MemberCount(Base):
    """Accounts per role, segment, district and status ('' for a segment or district not given):
    "members by segment and district" and "active members" read these few hundred rows.

    Kept by the database triggers of migration 0020 (every write to `users`: ORM, Core bulk
    inserts, updates, deletes); no application code writes it (`counts.rebuild` recounts it)."""

    __tablename__ = "panel_member_counts"
    # SQLite: the rows live in the primary key's b-tree, so one role is one range.
    __table_args__ = {"sqlite_with_rowid": False}

    role: Mapped[str] = mapped_column(String(16), primary_key=True)
    segment: Mapped[str] = mapped_column(String(16), primary_key=True)
    district: Mapped[str] = mapped_column(String(16), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class RegistrationMonth(Base):
    """Accounts per role and Shanghai month of registration (`users.created_at`): "new
    registrations per month". Kept by the triggers of migration 0020, like MemberCount."""

    __tablename__ = "panel_registration_months"
    __table_args__ = {"sqlite_with_rowid": False}

    role: Mapped[str] = mapped_column(String(16), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)  # the month's first day
    count: Mapped[int] = mapped_column(Integer)


class ActiveMonthCount(Base):
    """Rows of `member_active_months` per month: "active members per month" reads 12 rows
    instead of counting every member's months. Kept by the triggers of migration 0020."""

    __tablename__ = "panel_active_month_counts"
    __table_args__ = {"sqlite_with_rowid": False}

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class ConsultationReach(Base):
    """How many members were asked for their opinion when a consultation was published (every
    active member is told): the denominator of its response rate, counted once at publication
    rather than by counting its notices on every view."""

    __tablename__ = "consultation_reach"

    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), primary_key=True)
    eligible: Mapped[int] = mapped_column(Integer)
    counted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# Indexes the health page needs on tables of other areas, declared here with the queries that
# read them (migration 0020 creates them), each holding every column its query looks at, so the
# index alone answers: the invitation funnel reads the invitations of the last 12 months; a
# trial's response rate counts its submitted evaluations (trial, status, member) whose member
# is accepted (trial, status, member): thousands of rows per trial, none read from the tables.
Index("ix_invitations_created", Invitation.created_at, Invitation.used_at, Invitation.revoked_at,
      Invitation.expires_at)
Index("ix_evaluations_trial_status_member", Evaluation.trial_id, Evaluation.status, Evaluation.member_id)
Index("ix_enrollments_trial_status_member", Enrollment.trial_id, Enrollment.status, Enrollment.member_id)


@event.listens_for(User, "after_insert")
def _member_gets_activity_row(_mapper, connection, user: User) -> None:
    """Every member has their activity row from the start (quiet since joining), however the
    account is made (registration, the demo data, a test), in the same transaction."""
    if user.role != MEMBER:
        return
    connection.execute(insert(MemberActivity.__table__).values(
        member_id=user.id, quiet_since=user.created_at or utcnow()))
