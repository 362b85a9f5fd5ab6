from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from portal.accounts.models import User
from portal.db import Base, UTCDateTime, utcnow


class ServiceGapReport(Base):
    """A service gap a member met, tied to a channel, a service commitment and a district."""

    __tablename__ = "service_gap_reports"
    __table_args__ = (
        CheckConstraint(
            "channel IN ('store','hotline','website','mobile_app','sms_bill',"
            "'field_technician','other')",
            name="channel",
        ),
        CheckConstraint(
            "commitment IN ('network_quality','billing_reminders','roaming','e_channels',"
            "'value_added_services','counter_service')",
            name="commitment",
        ),
        CheckConstraint("severity BETWEEN 1 AND 4", name="severity"),
        CheckConstraint(
            "status IN ('new','in_review','linked','duplicate','no_action')", name="status"
        ),
        Index("ix_gap_reports_member_created", "member_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    channel: Mapped[str] = mapped_column(String(32), index=True)
    commitment: Mapped[str] = mapped_column(String(32), index=True)
    district: Mapped[str] = mapped_column(String(16), index=True)
    place: Mapped[str] = mapped_column(String(200), default="")
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    severity: Mapped[int] = mapped_column(SmallInteger, index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    member: Mapped[User] = relationship()
    photos: Mapped[list[GapPhoto]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="GapPhoto.id"
    )


class GapPhoto(Base):
    """A photo attached to a gap report. Kept in the database so every app server can serve it."""

    __tablename__ = "gap_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("service_gap_reports.id", ondelete="CASCADE"), index=True
    )
    content_type: Mapped[str] = mapped_column(String(32))
    filename: Mapped[str] = mapped_column(String(200), default="")
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    # Deferred: lists and report pages never pull the bytes, only the photo route does.
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    report: Mapped[ServiceGapReport] = relationship(back_populates="photos")
