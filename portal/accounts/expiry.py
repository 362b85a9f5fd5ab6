"""Clearing away stale invitations (a daily job).

Rules:
- An invitation stops working at its expiry by itself (`services.find_usable_invitation`); the
  list shows it as expired. INVITATION_KEEP_EXPIRED_DAYS (30) days after that, a pending one
  (never used) is deleted, with an audit entry of what it was. Used invitations stay: they say
  who joined through which link.
- Running it twice deletes nothing more.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from portal.accounts.models import Invitation
from portal.audit.services import record, snapshot
from portal.db import db, unit_of_work, utcnow


def delete_stale_invitations(now: datetime | None = None) -> int:
    """Delete the pending invitations expired INVITATION_KEEP_EXPIRED_DAYS ago; returns how many."""
    keep = int(current_app.config.get("INVITATION_KEEP_EXPIRED_DAYS", 30))
    cutoff = (now or utcnow()) - timedelta(days=keep)
    with unit_of_work():
        stale = list(db.scalars(
            select(Invitation)
            .where(Invitation.used_at.is_(None), Invitation.expires_at < cutoff)
            .order_by(Invitation.id)
        ))
        for invitation in stale:
            record(None, "delete", "invitation", invitation.id,
                   snapshot(invitation, ("segment", "email", "expires_at")), None)
            db.delete(invitation)
        return len(stale)
