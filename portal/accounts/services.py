"""Account rules: invitations, registration, sign-in. Views call these; they hold no HTTP."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select

from portal.accounts.models import Invitation, User
from portal.db import db, utcnow


class InvitationError(Exception):
    """The invitation cannot be used; the message says why, in the user's language."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_invitation(segment: str, days: int, created_by: User | None = None,
                      email: str | None = None) -> tuple[Invitation, str]:
    """A new invitation and its token (shown once: only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        token_hash=hash_token(token), segment=segment, email=(email or None),
        created_by_id=created_by.id if created_by else None,
        expires_at=utcnow() + timedelta(days=days),
    )
    db.add(invitation)
    db.commit()
    return invitation, token


def find_usable_invitation(token: str) -> Invitation:
    from flask_babel import gettext as _

    invitation = db.scalar(select(Invitation).where(Invitation.token_hash == hash_token(token)))
    if invitation is None:
        raise InvitationError(_("This invitation link is not valid."))
    if invitation.used_at is not None:
        raise InvitationError(_("This invitation has already been used."))
    if invitation.expires_at <= utcnow():
        raise InvitationError(_("This invitation has expired. Please ask for a new one."))
    return invitation


def create_staff_user(email: str, name: str, role: str, password: str) -> User:
    user = User(email=email.strip().lower(), name=name, role=role)
    user.set_password(password)
    db.add(user)
    db.commit()
    return user
