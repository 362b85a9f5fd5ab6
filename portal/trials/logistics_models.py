"""Terminal and SIM logistics of a trial: one shipment per accepted enrollment.

The vocabularies live here with the model (only logistics uses them): the kinds of shipment, its
states and the condition of what came back. A shipment's state is never stored: it follows from
its dates (`state_of`), so no date and state can disagree.
"""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l, lazy_pgettext
from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.db import Base, UTCDateTime, utcnow
from portal.trials.models import Enrollment, Trial

SHIPMENT_KINDS = {
    "terminal": _l("Terminal"),
    "sim": _l("SIM card"),
    "both": _l("Terminal and SIM card"),
}
# "Returned" names a state of a shipment here, not of an enrollment or an item.
SHIPMENT_STATES = {
    "to_dispatch": _l("To dispatch"),
    "dispatched": _l("Dispatched"),
    "received": lazy_pgettext("shipment", "Received"),
    "returned": lazy_pgettext("shipment", "Returned"),
}
RETURN_CONDITIONS = {
    "good": _l("Good"),
    "worn": _l("Worn"),
    "damaged": _l("Damaged"),
    "missing_parts": _l("Missing parts"),
    "not_returned": _l("Not returned"),
}


def state_of(dispatched_on: date | None, received_on: date | None, returned_on: date | None) -> str:
    """A shipment's state from its dates: to_dispatch -> dispatched -> received -> returned."""
    if returned_on is not None:
        return "returned"
    if received_on is not None:
        return "received"
    if dispatched_on is not None:
        return "dispatched"
    return "to_dispatch"


def overdue(dispatched_on: date | None, returned_on: date | None, return_due_on: date | None,
            today: date) -> bool:
    """Sent out, not back, and the return date (Shanghai's) has passed."""
    return (dispatched_on is not None and returned_on is None and return_due_on is not None
            and return_due_on < today)


class Shipment(Base):
    """What was sent to one accepted member of a trial, and what came back.

    `trial_id` and `member_id` repeat the enrollment's so the logistics list filters and pages by
    index without a join. `version` guards the staff edit form against lost updates."""

    __tablename__ = "trial_shipments"
    __table_args__ = (
        CheckConstraint("kind IN ('terminal','sim','both')", name="kind"),
        CheckConstraint(
            "return_condition IS NULL OR return_condition IN "
            "('good','worn','damaged','missing_parts','not_returned')", name="return_condition"),
        # The list of a trial, filtered by terminal model; its overdue filter (and state).
        Index("ix_trial_shipments_trial_model", "trial_id", "terminal_model"),
        Index("ix_trial_shipments_trial_due", "trial_id", "returned_on", "return_due_on"),
        # The supervision board and the daily reminder: not returned, by return date.
        Index("ix_trial_shipments_returned_due", "returned_on", "return_due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("enrollments.id", ondelete="CASCADE"), unique=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trials.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="terminal")
    terminal_model: Mapped[str] = mapped_column(String(100), default="")
    serial_number: Mapped[str] = mapped_column(String(64), default="")
    imei: Mapped[str] = mapped_column(String(15), default="")
    iccid: Mapped[str] = mapped_column(String(20), default="")
    # The address the member confirmed (as typed by them), and when.
    address: Mapped[str] = mapped_column(Text, default="")
    address_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dispatched_on: Mapped[date | None] = mapped_column(Date)
    received_on: Mapped[date | None] = mapped_column(Date)
    return_due_on: Mapped[date | None] = mapped_column(Date)
    returned_on: Mapped[date | None] = mapped_column(Date)
    return_condition: Mapped[str | None] = mapped_column(String(16))
    notes: Mapped[str] = mapped_column(Text, default="")
    # The last overdue-return reminder (the daily job reminds at most every REMIND_EVERY_DAYS).
    last_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    enrollment: Mapped[Enrollment] = relationship()
    trial: Mapped[Trial] = relationship()
    member: Mapped[User] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def state(self) -> str:
        return state_of(self.dispatched_on, self.received_on, self.returned_on)

    def is_overdue(self, today: date) -> bool:
        return overdue(self.dispatched_on, self.returned_on, self.return_due_on, today)
