from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.db import Base, UTCDateTime, utcnow

# A submission may feed several improvement items and an item gathers many submissions.
submission_items = Table(
    "submission_items",
    Base.metadata,
    Column("submission_id", ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True),
    Column("item_id", ForeignKey("improvement_items.id", ondelete="CASCADE"), primary_key=True,
           index=True),
)


# The inbox's equality filters that have an index of their own, (column, submitted_at, id).
FILTER_INDEXED = ("segment", "district", "channel", "commitment", "severity", "trial_id", "assignee_id")


class Submission(Base):
    """One row per member submission (an evaluation, a service-gap report or an opinion), so the
    service office works from one inbox: the filter columns are copied here from the source row
    and indexed, and the triage state (status, assignee, duplicate, tags) lives here only.

    The source rows keep a copy of the triage status (`triage_status` / `status`) for the staff
    lists that filter on it; `portal.triage.services.set_status` is the one place that changes
    both. What members see is derived from this row and its items (`services.member_statuses`).
    """

    __tablename__ = "submissions"
    __table_args__ = (
        CheckConstraint("kind IN ('evaluation','gap_report','opinion')", name="kind"),
        CheckConstraint(
            "status IN ('new','in_review','linked','duplicate','no_action')", name="status"
        ),
        # The inbox reads newest first and pages by (submitted_at, id).
        Index("ix_submissions_submitted_id", "submitted_at", "id"),
        Index("ix_submissions_kind_submitted", "kind", "submitted_at"),
        Index("ix_submissions_status_submitted", "status", "submitted_at"),
        # Each inbox filter walks its own index in the list's order, so a filtered page reads
        # its fifty rows and stops, instead of collecting every match and sorting them (230 ms
        # for one commitment at 1M rows); other filters are checked on the way.
        *(Index(f"ix_submissions_{column}_submitted", column, "submitted_at", "id")
          for column in FILTER_INDEXED),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    evaluation_id: Mapped[int | None] = mapped_column(
        ForeignKey("evaluations.id", ondelete="CASCADE"), unique=True
    )
    gap_report_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_gap_reports.id", ondelete="CASCADE"), unique=True
    )
    opinion_id: Mapped[int | None] = mapped_column(
        ForeignKey("opinions.id", ondelete="CASCADE"), unique=True
    )
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # Copied from the member and the source so every inbox filter is one indexed column.
    segment: Mapped[str | None] = mapped_column(String(16))
    district: Mapped[str | None] = mapped_column(String(16))
    channel: Mapped[str | None] = mapped_column(String(32))
    commitment: Mapped[str | None] = mapped_column(String(32))
    severity: Mapped[int | None] = mapped_column(SmallInteger)
    trial_id: Mapped[int | None] = mapped_column(ForeignKey("trials.id", ondelete="CASCADE"))
    consultation_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    # The text searched and shown as the summary: report description, opinion text, or the
    # evaluation's free-text answers.
    description: Mapped[str] = mapped_column(Text, default="")
    low_score: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    status: Mapped[str] = mapped_column(String(16), default="new")
    no_action_reason: Mapped[str | None] = mapped_column(Text)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Optimistic locking: a save names the version it started from (see triage.services).
    version: Mapped[int] = mapped_column(Integer, default=1)

    member: Mapped[User] = relationship(foreign_keys=[member_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    duplicate_of: Mapped[Submission | None] = relationship(remote_side=[id])
    items: Mapped[list[ImprovementItem]] = relationship(  # noqa: F821
        secondary=submission_items, back_populates="submissions",
        order_by="ImprovementItem.id",
    )
    notes: Mapped[list[InternalNote]] = relationship(
        back_populates="submission", cascade="all, delete-orphan", order_by="InternalNote.id"
    )

    __mapper_args__ = {"version_id_col": version}


class InternalNote(Base):
    """A note staff keep on a submission. Never shown to members."""

    __tablename__ = "internal_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    submission: Mapped[Submission] = relationship(back_populates="notes")
    author: Mapped[User] = relationship()


# --- The inbox's counts, by facet ---------------------------------------------------------------
#
# How many submissions match a set of equality filters, kept per combination of their values by
# database triggers (migration 0016), so the inbox's count sums a few hundred rows of one index
# instead of walking up to 10,000 submissions: a pair of filters that match sparsely made that walk
# look up 50,000 rows and more (~200 ms at 1M submissions). A missing value is stored as '' or 0
# (a key column cannot be NULL), which is also what "unassigned" (assignee_id 0) filters by.
#
# Two tables: the assignee multiplies the combinations by the number of assignees (60,000 -> 280,000
# rows at 1M submissions, bench seed), so the rows with it are read only when the assignee is
# filtered, through its own leading column.
FACET_KEYS = ("kind", "status", "segment", "district", "channel", "commitment", "severity",
              "trial_id", "consultation_id")
# Each of these leads a covering index (every key and the count), so a filter on it reads that
# index alone; `kind` leads the primary key.
FACET_INDEXED = ("status", "segment", "district", "channel", "commitment", "severity", "trial_id")


def _covering(table: str, keys: tuple[str, ...], lead: tuple[str, ...] = ()) -> tuple[Index, ...]:
    return tuple(Index(f"ix_{table}_{column}", *lead, column,
                       *(k for k in keys if k != column), "n")
                 for column in FACET_INDEXED)


class _FacetKeys:
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    segment: Mapped[str] = mapped_column(String(16), primary_key=True)
    district: Mapped[str] = mapped_column(String(16), primary_key=True)
    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    commitment: Mapped[str] = mapped_column(String(32), primary_key=True)
    severity: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    trial_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class InboxFacet(_FacetKeys, Base):
    """Submissions per combination of the inbox's equality filters (but the assignee)."""

    __tablename__ = "inbox_facets"
    __table_args__ = (*_covering("inbox_facets", FACET_KEYS), {"sqlite_with_rowid": False})


class InboxAssigneeFacet(_FacetKeys, Base):
    """Submissions per assignee (0: none) and combination of the other equality filters."""

    __tablename__ = "inbox_assignee_facets"
    # The assignee and one more filter lead each covering index (migration 0028): with the
    # primary key alone, "assignee and commitment" read every row of the assignee (37,000 of
    # 280,000 at 1M; PostgreSQL chose a parallel scan of the table, 36 ms).
    __table_args__ = (*_covering("inbox_assignee_facets", FACET_KEYS, lead=("assignee_id",)),
                      {"sqlite_with_rowid": False})

    # First in the primary key: the assignee is always filtered when this table is read.
    assignee_id: Mapped[int] = mapped_column(Integer, primary_key=True, sort_order=-1)


# Few enough rows to sum whole (kinds x statuses x trials and consultations x assignees: a few
# thousand at a million submissions): the inbox's count with no filter, or only the kind, status,
# trial or assignee, which summed 60,000 facet rows (7.6 ms at 1M) from `inbox_facets`, or the
# 80,000 of "unassigned" (9 ms) from `inbox_assignee_facets`. Migration 0028.
TOTAL_KEYS = ("kind", "status", "trial_id", "consultation_id", "assignee_id")


class InboxTotal(Base):
    """Submissions per kind, status, trial, consultation and assignee (0: none), kept by
    triggers."""

    __tablename__ = "inbox_totals"
    __table_args__ = ({"sqlite_with_rowid": False},)

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    trial_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assignee_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    n: Mapped[int] = mapped_column(Integer)
