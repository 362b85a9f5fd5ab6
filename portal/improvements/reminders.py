"""Reminding a department's A contact of an improvement item that is due soon (a daily job).

Rules:
- An item not closed whose due date is today or within DUE_SOON_DAYS days (Shanghai's today) is
  due soon: `notifications.services.notify_item_due_soon` tells its department's A contact (the
  notice, and the email unless they turned it off).
- Once per item and due date: the notice's key holds both; a run that finds it tells nobody
  again, a new due date is told anew. A day missed (the consumer was down) is caught up by the
  next run while the date is ahead.
- Items without a department or an active A contact wait: a later run tells the contact they
  have then. Overdue items are the B contact's (`services.escalate_overdue`).
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal import domain
from portal.db import db, unit_of_work
from portal.improvements.models import Department, ImprovementItem
from portal.notifications import services as notices

DUE_SOON_DAYS = 2


def remind_due_soon(today: date | None = None) -> int:
    """Tell the A contact of each item due soon and not told for its due date; returns how many
    were told. One unit of work."""
    today = today or domain.shanghai_today()
    with unit_of_work():
        items = db.scalars(
            select(ImprovementItem)
            .where(ImprovementItem.due_on >= today,
                   ImprovementItem.due_on <= today + timedelta(days=DUE_SOON_DAYS),
                   ImprovementItem.status.not_in(domain.ITEM_CLOSED_STATUSES),
                   ImprovementItem.department_id.is_not(None))
            .options(joinedload(ImprovementItem.department).joinedload(Department.a_contact))
            .order_by(ImprovementItem.id)
        ).unique().all()
        return sum(1 for item in items if notices.notify_item_due_soon(item))
