from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, and_, or_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.db import Base, UTCDateTime, shanghai_midnight, utcnow

if TYPE_CHECKING:  # named by string below: importing portal.triage here would load its services
    from portal.triage.models import Submission


class Department(Base):
    """A unit of the operator: a department that owns improvement items (the A contact leads,
    the B contact backs up and is the one told when an item runs overdue), or a district branch
    (kind 'district_branch', with its district) whose staff file support requests on the
    internal supervision hotline (portal.supervision). Staff belong to one unit (users.unit_id).
    """

    __tablename__ = "departments"
    __table_args__ = (
        CheckConstraint("kind IN ('department','district_branch')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default="department",
                                      server_default="department")
    # The district code (portal.domain.DISTRICTS) of a district branch; None for a department.
    district: Mapped[str | None] = mapped_column(String(16))
    a_contact_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    b_contact_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Guards the edit form against lost updates (a stale save is a portal.errors.Conflict).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    a_contact: Mapped[User | None] = relationship(foreign_keys=[a_contact_id])
    b_contact: Mapped[User | None] = relationship(foreign_keys=[b_contact_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_district_branch(self) -> bool:
        return self.kind == "district_branch"


# A department or a district branch: one table, one class (the name the glossary gives units).
Unit = Department


class ImprovementItem(Base):
    """Work a department owns to close a service gap, driven through DMAIC to verification."""

    __tablename__ = "improvement_items"
    __table_args__ = (
        CheckConstraint(
            "status IN ('proposed','approved','in_progress','done','verified','rejected')",
            name="status",
        ),
        CheckConstraint("priority IN ('low','normal','high','urgent')", name="priority"),
        CheckConstraint(
            "dmaic_phase IN ('define','measure','analyse','improve','control')", name="dmaic_phase"
        ),
        Index("ix_improvement_items_created_id", "created_at", "id"),
        Index("ix_improvement_items_status_due", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    commitment: Mapped[str | None] = mapped_column(String(32), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    priority: Mapped[str] = mapped_column(String(16), default="normal", index=True)
    due_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="proposed")
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    dmaic_phase: Mapped[str] = mapped_column(String(16), default="define")
    # Written for members: shown on their submissions once the item is done or verified.
    resolution_note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # When it reached done (for days-to-close) and when its lateness was last escalated.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    overdue_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    department: Mapped[Department | None] = relationship()
    created_by: Mapped[User | None] = relationship()
    submissions: Mapped[list[Submission]] = relationship(
        secondary="submission_items", back_populates="items", order_by="Submission.id",
    )

    __mapper_args__ = {"version_id_col": version}


def escalation_pending():
    """An item with a department whose B contact has not been told about its current due date
    (improvements.services.escalate_overdue): the predicate of ix_improvement_items_escalation,
    which a query must repeat as is for the database to use that index."""
    item = ImprovementItem
    return and_(item.department_id.is_not(None),
                or_(item.overdue_notified_at.is_(None),
                    item.overdue_notified_at < shanghai_midnight(item.due_on)))


# Holds only the items whose B contact is still to be told (telling takes an item out, a new due
# date brings it back): the escalation every supervision board view runs seeks the open statuses
# in it and reads nothing when nobody is to be told, however many items are overdue.
Index("ix_improvement_items_escalation", ImprovementItem.status, ImprovementItem.due_on,
      sqlite_where=escalation_pending(), postgresql_where=escalation_pending())
