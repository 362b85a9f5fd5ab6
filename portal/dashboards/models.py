"""The dashboard's maintained aggregates: counts per Shanghai day, so a view sums a few hundred
rows instead of scanning every submission of its window.

Rules:
- Database triggers keep them in step with every write to their source tables (ORM, Core bulk
  inserts, updates, deletes, ON DELETE CASCADE): they are created by the migration
  0013_dashboard_aggregates, on SQLite row by row, on PostgreSQL per statement over transition
  tables. No application code writes these tables, except `aggregates.rebuild()` (the
  `rebuild-aggregates` command), which recounts them from scratch.
- A row exists only while its count is above zero: the tables equal a recount, row for row.
- A migration that rebuilds `submissions` or `service_gap_reports` (SQLite batch mode copies
  and drops the table, and its triggers with it) must create the triggers again:
  tests/dashboards/test_aggregates.py checks they exist at the head of the migrations.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base


class SubmissionDay(Base):
    """New submissions per Shanghai day of `submitted_at` and kind."""

    __tablename__ = "dash_submission_days"
    # SQLite: the rows live in the primary key's b-tree, so a range of days is one scan.
    __table_args__ = {"sqlite_with_rowid": False}

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class GapReportDay(Base):
    """Service-gap reports per Shanghai day of `created_at`, district and commitment area."""

    __tablename__ = "dash_gap_report_days"
    # The matrix reads each cell's days in one range of this covering index, already in cell
    # order: summing 90 days of a million reports sorted 8,600 rows (7 ms on SQLite) otherwise.
    __table_args__ = (
        Index("ix_dash_gap_report_days_cells", "district", "commitment", "day", "count"),
        {"sqlite_with_rowid": False},
    )

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    district: Mapped[str] = mapped_column(String(16), primary_key=True)
    commitment: Mapped[str] = mapped_column(String(32), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
