"""Reminding accepted members to evaluate a trial before it ends (a daily job).

Rules:
- A running trial that ends today or within REMINDER_DAYS days (Shanghai's today): each accepted,
  active member is reminded by `notifications.services.notify_evaluation_reminder` (the notice,
  and the email unless they turned it off), which leaves out those who have evaluated it already.
- Once per member and trial (and its end date): the notice's key; a second run tells nobody
  again. A day missed is caught up by the next run while the trial has not ended.
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from portal import domain
from portal.accounts.models import User
from portal.db import db, unit_of_work
from portal.notifications import services as notices
from portal.trials.models import Enrollment, Trial

REMINDER_DAYS = 3


def remind_evaluations(today: date | None = None) -> int:
    """Remind the members who still owe an evaluation of a trial ending soon; returns how many
    were reminded. One unit of work."""
    today = today or domain.shanghai_today()
    with unit_of_work():
        enrollments = db.scalars(
            select(Enrollment)
            .join(Trial, Trial.id == Enrollment.trial_id)
            .join(User, User.id == Enrollment.member_id)
            .where(Trial.status == "running", Trial.ends_on >= today,
                   Trial.ends_on <= today + timedelta(days=REMINDER_DAYS),
                   Enrollment.status == "accepted", User.status == "active")
            .order_by(Enrollment.trial_id, Enrollment.id)
        ).all()
        return sum(1 for enrollment in enrollments if notices.notify_evaluation_reminder(enrollment))
