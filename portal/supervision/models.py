"""The internal supervision hotline (服务支撑内部监督热线): support requests from district branches
to departments, the routing table, and the monthly bulletin of analysed cases.

Times a department took are kept on the request when they happen, in working minutes
(portal.supervision.workdays): the assessment then sums and ranks stored numbers instead of
walking a calendar per row.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from portal.accounts.models import User
from portal.db import Base, UTCDateTime, utcnow
from portal.improvements.models import Department


class SupportRequest(Base):
    """What a district branch's front line needs from a department."""

    __tablename__ = "support_requests"
    __table_args__ = (
        CheckConstraint("status IN ('new','accepted','answered','confirmed','closed')",
                        name="status"),
        CheckConstraint("urgency IN ('urgent','normal')", name="urgency"),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating"),
        CheckConstraint("escalation_level BETWEEN 0 AND 2", name="escalation_level"),
        # the list pages: newest first, per filing branch, per department, per status
        Index("ix_support_requests_filed_id", "filed_at", "id"),
        Index("ix_support_requests_branch_filed", "branch_id", "filed_at", "id"),
        Index("ix_support_requests_department_filed", "department_id", "filed_at", "id"),
        Index("ix_support_requests_status_filed", "status", "filed_at", "id"),
        # the escalation job: untouched requests by their next deadline
        Index("ix_support_requests_status_b_due", "status", "b_due_at"),
        Index("ix_support_requests_status_office_due", "status", "office_due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(32))
    commitment: Mapped[str | None] = mapped_column(String(32))
    urgency: Mapped[str] = mapped_column(String(16), default="normal")
    case_text: Mapped[str] = mapped_column(Text, default="")
    submission_id: Mapped[int | None] = mapped_column(
        ForeignKey("submissions.id", ondelete="SET NULL"))
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("improvement_items.id", ondelete="SET NULL"))
    branch_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    # 'filer' (the branch named it), 'table' (the routing table), 'hand' (the office)
    routed_by: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default="new")
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    routed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Not accepted by b_due_at: the B contact is told; by office_due_at: the supervision office.
    b_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    office_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answer: Mapped[str] = mapped_column(Text, default="")
    send_backs: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rating: Mapped[int | None] = mapped_column(Integer)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # working minutes from routing to acceptance, and from routing to the district's confirmation
    response_minutes: Mapped[int | None] = mapped_column(Integer)
    resolution_minutes: Mapped[int | None] = mapped_column(Integer)
    responded_in_time: Mapped[bool | None] = mapped_column(Boolean)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    branch: Mapped[Department] = relationship(foreign_keys=[branch_id])
    department: Mapped[Department | None] = relationship(foreign_keys=[department_id])
    filed_by: Mapped[User | None] = relationship(foreign_keys=[filed_by_id])
    attachments: Mapped[list[SupportAttachment]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="SupportAttachment.id")

    __mapper_args__ = {"version_id_col": version}


class SupportAttachment(Base):
    """A photo or screenshot attached to a request (checked and re-encoded as gap photos are)."""

    __tablename__ = "support_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("support_requests.id", ondelete="CASCADE"), index=True)
    content_type: Mapped[str] = mapped_column(String(32))
    filename: Mapped[str] = mapped_column(String(200), default="")
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    request: Mapped[SupportRequest] = relationship(back_populates="attachments")


class RoutingRule(Base):
    """常见问题对口解决部门: a problem category and/or commitment -> the department that solves it."""

    __tablename__ = "support_routing_rules"
    __table_args__ = (
        CheckConstraint("category IS NOT NULL OR commitment IS NOT NULL", name="what"),
        UniqueConstraint("category", "commitment"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str | None] = mapped_column(String(32))
    commitment: Mapped[str | None] = mapped_column(String(32))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    department: Mapped[Department] = relationship()


class Bulletin(Base):
    """The monthly bulletin of analysed cases (分析通报), one per month: a draft the supervision
    office picks cases into and analyses, then published for every unit's staff to read."""

    __tablename__ = "support_bulletins"
    __table_args__ = (
        CheckConstraint("status IN ('draft','published')", name="status"),
        # the list of months a reader sees: published ones, newest first
        Index("ix_support_bulletins_status_month", "status", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(Date, unique=True)  # the month's first day
    status: Mapped[str] = mapped_column(String(16), default="draft", server_default="draft")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    cases: Mapped[list[BulletinCase]] = relationship(
        back_populates="bulletin", cascade="all, delete-orphan", order_by="BulletinCase.id")

    __mapper_args__ = {"version_id_col": version}


class BulletinCase(Base):
    """A request picked for a bulletin, with the office's analysis in three parts: what went
    wrong (`analysis`), its root cause, and what was changed so that it does not happen again."""

    __tablename__ = "support_bulletin_cases"
    __table_args__ = (UniqueConstraint("bulletin_id", "request_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bulletin_id: Mapped[int] = mapped_column(ForeignKey("support_bulletins.id", ondelete="CASCADE"))
    request_id: Mapped[int] = mapped_column(
        ForeignKey("support_requests.id", ondelete="CASCADE"), index=True)
    analysis: Mapped[str] = mapped_column(Text, default="")
    root_cause: Mapped[str] = mapped_column(Text, default="", server_default="")
    changes_made: Mapped[str] = mapped_column(Text, default="", server_default="")
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    bulletin: Mapped[Bulletin] = relationship(back_populates="cases")
    request: Mapped[SupportRequest] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def analysed(self) -> bool:
        return bool(self.analysis.strip() and self.root_cause.strip() and self.changes_made.strip())
