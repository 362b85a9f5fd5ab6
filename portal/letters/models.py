"""Yearly service-quality responsibility letters (年度服务质量责任书), the figures the office types
in, service stars and classic cases.

- One letter per unit (department or district branch) and year: its targets (a measure of
  portal.letters.measures and the value to reach) and its special key tasks (a due date, done or
  not). A letter is a draft until the office signs it off; from then on it is kept as signed.
- A measure the portal cannot compute (a customer-satisfaction survey, complaints) is typed in by
  the office per unit and period (a month "2026-03" or a quarter "2026-Q1"): `MeasureEntry`.
- A service star is a staff user named by the office for a year, with a citation and the records
  behind it (improvement items, support requests). A classic case is one closed item or support
  request kept, with its lesson, for training; what the library filters on is copied onto it
  when it is marked, so the library reads one table.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.db import Base, UTCDateTime, utcnow
from portal.improvements.models import Department

RECORD_KINDS = ("item", "support_request")


class ResponsibilityLetter(Base):
    """A unit's yearly service-quality responsibility letter."""

    __tablename__ = "responsibility_letters"
    __table_args__ = (
        UniqueConstraint("unit_id", "year", name="ux_responsibility_letters_unit_year"),
        CheckConstraint("status IN ('draft','signed_off')", name="status"),
        # The scoreboard and the year's list read every letter of one year.
        Index("ix_responsibility_letters_year", "year", "unit_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    year: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    # Who signs for the unit (its head), named at sign-off and printed on the signature line.
    unit_head: Mapped[str] = mapped_column(String(100), default="")
    signed_off_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_off_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Guards sign-off and edits against a stale page (a stale save is a portal.errors.Conflict).
    version: Mapped[int] = mapped_column(Integer, default=1)

    unit: Mapped[Department] = relationship()
    signed_off_by: Mapped[User | None] = relationship()
    targets: Mapped[list[LetterTarget]] = relationship(
        back_populates="letter", cascade="all, delete-orphan", order_by="LetterTarget.id")
    tasks: Mapped[list[KeyTask]] = relationship(
        back_populates="letter", cascade="all, delete-orphan",
        order_by="[KeyTask.due_on, KeyTask.id]")

    __mapper_args__ = {"version_id_col": version}

    @property
    def signed_off(self) -> bool:
        return self.status == "signed_off"


class LetterTarget(Base):
    """A target of a letter: the value a measure must reach (or stay under) over the year."""

    __tablename__ = "letter_targets"
    __table_args__ = (UniqueConstraint("letter_id", "measure", name="ux_letter_targets_measure"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("responsibility_letters.id", ondelete="CASCADE"))
    measure: Mapped[str] = mapped_column(String(40))
    target: Mapped[float] = mapped_column(Float)

    letter: Mapped[ResponsibilityLetter] = relationship(back_populates="targets")


class KeyTask(Base):
    """A special key task (专项重点工作) of a letter, due on a date, done or not."""

    __tablename__ = "letter_key_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(
        ForeignKey("responsibility_letters.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date] = mapped_column(Date)
    done_on: Mapped[date | None] = mapped_column(Date)

    letter: Mapped[ResponsibilityLetter] = relationship(back_populates="tasks")

    def overdue(self, today: date) -> bool:
        return self.done_on is None and self.due_on < today


class MeasureEntry(Base):
    """A figure the office types in: one unit, one measure, one month or quarter."""

    __tablename__ = "measure_entries"
    __table_args__ = (
        UniqueConstraint("unit_id", "measure", "period", name="ux_measure_entries_unit_period"),
        # The scoreboard and the entry list read one year's entries of a measure.
        Index("ix_measure_entries_year", "year", "measure", "unit_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    measure: Mapped[str] = mapped_column(String(40))
    period: Mapped[str] = mapped_column(String(8))   # "2026-03" or "2026-Q1"
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int | None] = mapped_column(Integer)     # 1-12 for a month, else None
    quarter: Mapped[int] = mapped_column(Integer)          # 1-4
    value: Mapped[float] = mapped_column(Float)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    unit: Mapped[Department] = relationship()
    entered_by: Mapped[User | None] = relationship()


class ServiceStar(Base):
    """A staff user named a service star (服务明星) of a year by the office."""

    __tablename__ = "service_stars"
    __table_args__ = (
        UniqueConstraint("user_id", "year", name="ux_service_stars_user_year"),
        Index("ix_service_stars_year", "year", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    year: Mapped[int] = mapped_column(Integer)
    citation: Mapped[str] = mapped_column(Text)
    nominated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    nominated_by: Mapped[User | None] = relationship(foreign_keys=[nominated_by_id])
    records: Mapped[list[ServiceStarRecord]] = relationship(
        back_populates="star", cascade="all, delete-orphan",
        order_by="[ServiceStarRecord.record_kind, ServiceStarRecord.record_id]")


class ServiceStarRecord(Base):
    """A record behind a star's citation: an improvement item or a support request."""

    __tablename__ = "service_star_records"
    __table_args__ = (
        UniqueConstraint("star_id", "record_kind", "record_id", name="ux_service_star_records"),
        CheckConstraint("record_kind IN ('item','support_request')", name="record_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    star_id: Mapped[int] = mapped_column(ForeignKey("service_stars.id", ondelete="CASCADE"))
    record_kind: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[int] = mapped_column(Integer)

    star: Mapped[ServiceStar] = relationship(back_populates="records")


class ClassicCase(Base):
    """A closed improvement item or support request kept as a classic case (经典案例)."""

    __tablename__ = "classic_cases"
    __table_args__ = (
        UniqueConstraint("record_kind", "record_id", name="ux_classic_cases_record"),
        CheckConstraint("record_kind IN ('item','support_request')", name="record_kind"),
        # The library pages newest first by id; each of its filters walks its own index.
        Index("ix_classic_cases_commitment", "commitment", "id"),
        Index("ix_classic_cases_unit", "unit_id", "id"),
        Index("ix_classic_cases_year", "year", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    record_kind: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[int] = mapped_column(Integer)
    # Copied from the record when it is marked (what the library shows and filters on).
    title: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    commitment: Mapped[str | None] = mapped_column(String(32))
    year: Mapped[int] = mapped_column(Integer)
    lesson: Mapped[str] = mapped_column(Text)
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped[Department | None] = relationship()
    marked_by: Mapped[User | None] = relationship()
