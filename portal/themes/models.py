"""The maintained theme counts behind "What members are saying" (migration 0024).

Why maintained counts and not a cache: segmenting a text costs about a millisecond, so a
dashboard that segmented every text of its window on each view would take minutes at a million
submissions, and a cache would be emptied by every new submission (one arrives every few
seconds at peak). Each text is segmented once, when it arrives (`receivers.py`), and the view
sums a few rows per day of its window.

- `ThemeDocument`: the theme keys of one source text (an evaluation's free-text answers, a gap
  report's title and description, an opinion), so that a re-submitted evaluation or an edited
  opinion takes its old themes out of the counts before it adds the new ones.
- `ThemeDay`: how many texts of a Shanghai day, kind and commitment ('' when the kind has
  none) mention a theme. A row exists only while its count is above zero.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import JSON, Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base

TERM_LENGTH = 32  # text.TERM_MAX


class ThemeDocument(Base):
    __tablename__ = "theme_documents"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    source_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    commitment: Mapped[str] = mapped_column(String(32), default="")
    terms: Mapped[list[str]] = mapped_column(JSON, default=list)


class ThemeDay(Base):
    __tablename__ = "theme_days"
    __table_args__ = (
        # The commitment filter reads its own covering index, its days in order.
        Index("ix_theme_days_commitment", "commitment", "day", "term", "n"),
        # SQLite: the rows live in the primary key's b-tree, so a range of days is one scan.
        {"sqlite_with_rowid": False},
    )

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    commitment: Mapped[str] = mapped_column(String(32), primary_key=True)
    term: Mapped[str] = mapped_column(String(TERM_LENGTH), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)
