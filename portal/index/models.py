"""The composite service competitiveness index (综合服务竞争力指数).

A period (a month or a quarter) holds the weight of each component and the survey figures
the operator measured in it. The index itself is never stored: portal.index.services
computes it from the figures, with the formula written out on the index page.

Figures (IndexFigure), one row per period, component and commitment area:
- `satisfaction`: the specialty satisfaction score of one commitment area, 0-100
  (own_value only; `commitment` is one of the six areas).
- `satisfaction_benchmark`: own satisfaction and the best competitor's, both 0-100;
  for one area, or overall (`commitment` = "").
- `word_of_mouth`: own NPS and the competitor's NPS, both -100..100; for one area or overall.

`commitment` is "" for "overall (all areas)" rather than NULL, so that the database itself
keeps (period, component, commitment) unique on SQLite and PostgreSQL alike.

A period has a `version` (optimistic locking, as improvement items): its definition and its
figures are saved against the version the form was opened on, and every save of either bumps
it, so two admins with the same stale form cannot silently overwrite each other.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, UTCDateTime, utcnow

OVERALL = ""


class IndexPeriod(Base):
    """A month ("2026-10") or quarter ("2026-Q3") and the weights of the index's components.

    Weights are non-negative and normally sum to 100; the index re-normalizes them over the
    components that have figures, so any positive total works."""

    __tablename__ = "index_periods"
    __table_args__ = (
        CheckConstraint("kind IN ('month','quarter')", name="kind"),
        CheckConstraint("ends_on >= starts_on", name="dates"),
        CheckConstraint(
            "weight_satisfaction >= 0 AND weight_benchmark >= 0 AND weight_word_of_mouth >= 0",
            name="weights",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default="month")
    starts_on: Mapped[date] = mapped_column(Date, index=True)
    ends_on: Mapped[date] = mapped_column(Date)
    weight_satisfaction: Mapped[float] = mapped_column(Float, default=40.0)
    weight_benchmark: Mapped[float] = mapped_column(Float, default=30.0)
    weight_word_of_mouth: Mapped[float] = mapped_column(Float, default=30.0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Bumped by every UPDATE of the row (SQLAlchemy's version_id_col), which also checks that it
    # is still the version read; saving figures touches the row so that they bump it too.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    figures: Mapped[list[IndexFigure]] = relationship(
        back_populates="period", cascade="all, delete-orphan",
        order_by="(IndexFigure.component, IndexFigure.commitment)",
    )


class IndexFigure(Base):
    """One survey figure of a period (see the module docstring for what each component holds)."""

    __tablename__ = "index_figures"
    __table_args__ = (
        UniqueConstraint("period_id", "component", "commitment"),
        CheckConstraint(
            "component IN ('satisfaction','satisfaction_benchmark','word_of_mouth')",
            name="component",
        ),
        CheckConstraint(
            "commitment IN ('','network_quality','billing_reminders','roaming','e_channels',"
            "'value_added_services','counter_service')",
            name="commitment",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("index_periods.id", ondelete="CASCADE"))
    component: Mapped[str] = mapped_column(String(32))
    # "" = overall (all areas); otherwise a code of domain.COMMITMENTS.
    commitment: Mapped[str] = mapped_column(String(32), default=OVERALL)
    own_value: Mapped[float] = mapped_column(Float)
    competitor_value: Mapped[float | None] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    period: Mapped[IndexPeriod] = relationship(back_populates="figures")
