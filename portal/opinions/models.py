from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.db import Base, UTCDateTime, utcnow


class Consultation(Base):
    """A business policy, product policy or service standard put to the panel for opinions."""

    __tablename__ = "consultations"
    __table_args__ = (
        CheckConstraint(
            "subject IN ('business_policy','product_policy','service_standard')", name="subject"
        ),
        CheckConstraint("status IN ('draft','published')", name="status"),
        Index("ix_consultations_status_closes", "status", "closes_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Guards the edit form against lost updates (a stale save is a portal.errors.Conflict).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    created_by: Mapped[User | None] = relationship()

    __mapper_args__ = {"version_id_col": version}


class Opinion(Base):
    """A member's stance and comment on a consultation; one each, editable while it is open."""

    __tablename__ = "opinions"
    __table_args__ = (
        UniqueConstraint("consultation_id", "member_id"),
        CheckConstraint(
            "stance IN ('support','support_with_changes','oppose')", name="stance"
        ),
        CheckConstraint(
            "triage_status IN ('new','in_review','linked','duplicate','no_action')",
            name="triage_status",
        ),
        Index("ix_opinions_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    stance: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text, default="")
    triage_status: Mapped[str] = mapped_column(String(16), default="new", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    consultation: Mapped[Consultation] = relationship()
    member: Mapped[User] = relationship()
