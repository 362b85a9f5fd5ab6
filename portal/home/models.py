"""What the member home counts, kept by triggers (migration 0028).

The home shows how many enrollments, evaluations, gap reports and opinions a member has. Counted
from the source tables, that walked the member's own rows in four indexes: a few hundred for most
members, but a member who has sent 80,000 gap reports (the bench's heavy member at a million
submissions) paid ~10 ms on every visit. The triggers keep one row per member and kind.
"""
from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base

# kind -> the table counted (each has a member_id column).
COUNTED = {
    "enrollment": "enrollments",
    "evaluation": "evaluations",
    "gap_report": "service_gap_reports",
    "opinion": "opinions",
}


class MemberCount(Base):
    """How many rows of one kind a member has."""

    __tablename__ = "member_counts"
    __table_args__ = ({"sqlite_with_rowid": False},)

    member_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
