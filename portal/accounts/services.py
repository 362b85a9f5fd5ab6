"""Account rules: invitations, registration, sign-in, profiles, the member list.

Views call these; they hold no HTTP. Every change runs in one `unit_of_work()`: it commits at
its end or leaves nothing behind. Refusals are `AccountError`s (a `portal.errors.Refused`);
`field` names the form field a message belongs to. A failed sign-in attempt is stored before
the refusal is raised, so the throttle counts it.
"""
from __future__ import annotations

import hashlib
import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _, ngettext
from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal import domain, permissions
from portal.accounts.models import Invitation, LoginAttempt, User
from portal.audit.services import record
from portal.db import db, unit_of_work, utcnow
from portal.errors import Refused


class AccountError(Refused):
    """An account rule refused the change; the message says why, in the user's language."""


class InvitationError(AccountError):
    """The invitation cannot be used; the message says why, in the user's language."""

    def __init__(self, message: str, status: int = 410):
        super().__init__(message)
        self.status = status


class EmailTaken(AccountError):
    def __init__(self, message: str, field: str | None = "email"):
        super().__init__(message, field=field)


class WrongPassword(AccountError):
    pass


class LoginThrottled(AccountError):
    def __init__(self, message: str, minutes: int):
        super().__init__(message)
        self.minutes = minutes


class AccountPaused(AccountError):
    pass


# --- e-mail and phone -------------------------------------------------------------------------

def normalize_email(email: str | None) -> str:
    return (email or "").strip().lower()


def email_taken(email: str, except_id: int | None = None) -> bool:
    stmt = select(User.id).where(func.lower(User.email) == normalize_email(email))
    if except_id is not None:
        stmt = stmt.where(User.id != except_id)
    return db.scalar(stmt.limit(1)) is not None


# A mainland mobile number (optionally +86), or a landline: optional area code with a dash,
# 7-8 digits, optional extension after a dash.
_MOBILE = re.compile(r"^(?:\+?86-?)?1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^(?:0\d{2,3}-)?\d{7,8}(?:-\d{1,6})?$")


def normalize_phone(phone: str | None) -> str:
    return re.sub(r"\s+", "", phone or "")


def phone_is_valid(phone: str | None) -> bool:
    value = normalize_phone(phone)
    return bool(_MOBILE.match(value) or _LANDLINE.match(value))


def organization_required(segment: str | None) -> bool:
    return segment in domain.ORGANIZATION_SEGMENTS


# --- invitations ------------------------------------------------------------------------------

def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_invitation(segment: str, days: int, created_by: User | None = None,
                      email: str | None = None) -> tuple[Invitation, str]:
    """A new invitation and its token (shown once: only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    with unit_of_work():
        invitation = Invitation(
            token_hash=hash_token(token), segment=segment, email=(normalize_email(email) or None),
            created_by_id=created_by.id if created_by else None,
            expires_at=utcnow() + timedelta(days=days),
        )
        db.add(invitation)
        db.flush()
        record(created_by, "create", "invitation", invitation.id, None,
               {"segment": segment, "email": invitation.email, "days": days,
                "expires_at": invitation.expires_at})
    return invitation, token


def find_usable_invitation(token: str) -> Invitation:
    """The invitation of `token`; InvitationError (status 404 unknown, 410 used or expired)."""
    invitation = db.scalar(select(Invitation).where(Invitation.token_hash == hash_token(token)))
    if invitation is None:
        raise InvitationError(_("This invitation link is not valid."), status=404)
    if invitation.used_at is not None:
        raise InvitationError(_("This invitation has already been used."))
    if invitation.expires_at <= utcnow():
        raise InvitationError(_("This invitation has expired. Please ask for a new one."))
    return invitation


def invitation_state(invitation: Invitation, now: datetime | None = None) -> str:
    if invitation.used_at is not None:
        return "used"
    if invitation.expires_at <= (now or utcnow()):
        return "expired"
    return "pending"


def invitations_query() -> Select:
    return (select(Invitation).options(selectinload(Invitation.used_by))
            .order_by(Invitation.created_at.desc(), Invitation.id.desc()))


@dataclass
class Registration:
    name: str
    email: str
    password: str
    district: str
    phone: str
    organization: str | None = None


def register_member(invitation: Invitation, data: Registration) -> User:
    """Create the member and mark the invitation used, in one transaction.

    The invitation is claimed with a conditional UPDATE, so of two people using the same
    link at once only one gets an account; the other's whole save is rolled back.
    """
    email = normalize_email(data.email)
    taken = _("An account with this email already exists. Sign in instead.")
    if email_taken(email):
        raise EmailTaken(taken)
    now = utcnow()
    try:
        with unit_of_work():
            user = User(
                email=email, name=data.name.strip(), role=permissions.MEMBER, status="active",
                segment=invitation.segment, district=data.district,
                phone=normalize_phone(data.phone),
                organization=(data.organization or "").strip() or None, last_login_at=now,
            )
            user.set_password(data.password)
            db.add(user)
            db.flush()
            claimed = db.execute(
                update(Invitation)
                .where(Invitation.id == invitation.id, Invitation.used_at.is_(None),
                       Invitation.expires_at > now)
                .values(used_at=now, used_by_id=user.id)
                .execution_options(synchronize_session=False)
            ).rowcount
            if claimed != 1:
                raise InvitationError(_("This invitation has already been used."))
    except IntegrityError:
        # The same email registered in between: the unit of work rolled everything back.
        raise EmailTaken(taken) from None
    return user


# --- sign-in and throttling ------------------------------------------------------------------

def _blocked_until(condition, since: datetime) -> datetime | None:
    """When the failures matching `condition` in the window drop below the limit, if they
    are at the limit now."""
    limit = current_app.config["LOGIN_MAX_FAILURES"]
    window = timedelta(seconds=current_app.config["LOGIN_WINDOW_SECONDS"])
    nth_latest = db.scalar(
        select(LoginAttempt.attempted_at)
        .where(condition, LoginAttempt.succeeded.is_(False), LoginAttempt.attempted_at > since)
        .order_by(LoginAttempt.attempted_at.desc())
        .limit(1).offset(limit - 1)
    )
    return nth_latest + window if nth_latest is not None else None


def throttle_minutes(email: str, address: str) -> int:
    """Minutes to wait before this email or this address may try again (0: may try now).

    Failures count per email (since its last successful sign-in) and per address.
    """
    now = utcnow()
    window_start = now - timedelta(seconds=current_app.config["LOGIN_WINDOW_SECONDS"])
    last_success = db.scalar(
        select(func.max(LoginAttempt.attempted_at))
        .where(LoginAttempt.email == email, LoginAttempt.succeeded.is_(True),
               LoginAttempt.attempted_at > window_start)
    )
    email_since = max(window_start, last_success) if last_success else window_start
    ends = [t for t in (_blocked_until(LoginAttempt.email == email, email_since),
                        _blocked_until(LoginAttempt.ip_address == address, window_start))
            if t is not None and t > now]
    if not ends:
        return 0
    return max(1, math.ceil((max(ends) - now).total_seconds() / 60))


def authenticate(email: str, password: str, address: str) -> User:
    """The user signing in; LoginThrottled, WrongPassword or AccountPaused otherwise."""
    email = normalize_email(email)[:254]
    address = (address or "unknown")[:64]
    minutes = throttle_minutes(email, address)
    if minutes:
        raise LoginThrottled(ngettext(
            "Too many failed sign-in attempts. Please wait %(num)d minute and try again.",
            "Too many failed sign-in attempts. Please wait %(num)d minutes and try again.",
            minutes), minutes)
    user = db.scalar(select(User).where(func.lower(User.email) == email))
    if user is None or not user.check_password(password):
        # Stored first: raising inside the unit of work would roll the attempt back.
        with unit_of_work():
            db.add(LoginAttempt(email=email, ip_address=address, succeeded=False))
        raise WrongPassword(_("Wrong email or password."))
    if user.status != "active":
        raise AccountPaused(_("Your account is paused. Please contact the service office."))
    with unit_of_work():
        db.add(LoginAttempt(email=email, ip_address=address, succeeded=True))
        user.last_login_at = utcnow()
    return user


def change_password(user: User, current: str, new: str) -> None:
    if not user.check_password(current):
        raise WrongPassword(_("Your current password is not correct."), field="current_password")
    with unit_of_work():
        user.set_password(new)


# --- profiles and members --------------------------------------------------------------------

def has_member_profile(user: User) -> bool:
    """Panel members keep segment, district, phone and organization; staff only a name."""
    return permissions.is_member(user)


def update_profile(user: User, name: str, phone: str | None = None, district: str | None = None,
                   organization: str | None = None) -> None:
    with unit_of_work():
        user.name = name.strip()
        if has_member_profile(user):
            user.phone = normalize_phone(phone)
            user.district = district
            user.organization = (organization or "").strip() or None


def _is_member_row():
    """SQL condition: the user is a panel member."""
    return User.role.in_(permissions.holders("panel.take_part"))


def members_query(segment: str | None = None, district: str | None = None,
                  status: str | None = None, q: str | None = None) -> Select:
    """The member list, filtered; values are the filter form's, already checked."""
    stmt = select(User).where(_is_member_row())
    if segment:
        stmt = stmt.where(User.segment == segment)
    if district:
        stmt = stmt.where(User.district == district)
    if status:
        stmt = stmt.where(User.status == status)
    q = (q or "").strip()
    if q:
        stmt = stmt.where(or_(
            User.name.icontains(q, autoescape=True),
            User.email.icontains(q, autoescape=True),
            User.organization.icontains(q, autoescape=True),
        ))
    return stmt.order_by(User.created_at.desc(), User.id.desc())


def get_member(viewer: User, member_id: int) -> User | None:
    """A panel member, when `viewer` may see the member list; else None (the view answers 404)."""
    if not permissions.can("members.view", viewer):
        return None
    return db.scalar(select(User).where(User.id == member_id, _is_member_row()))


def set_member_status(member: User, status: str, actor: User | None = None) -> None:
    """Pause or resume a member; `actor` (the staff user doing it) is recorded in the audit log."""
    if status == member.status:
        return
    with unit_of_work():
        record(actor, "pause" if status == "paused" else "resume", "user", member.id,
               {"status": member.status}, {"status": status})
        member.status = status


def create_staff_user(email: str, name: str, role: str, password: str,
                      actor: User | None = None) -> User:
    """A new staff account; recorded in the audit log as done by `actor` (None: the command line)."""
    taken = _("An account with this email already exists.")
    if email_taken(email):
        raise EmailTaken(taken)
    try:
        with unit_of_work():
            user = User(email=normalize_email(email), name=name.strip(), role=role)
            user.set_password(password)
            db.add(user)
            db.flush()
            record(actor, "create", "user", user.id, None,
                   {"name": user.name, "email": user.email, "role": role, "status": user.status})
    except IntegrityError:
        raise EmailTaken(taken) from None
    return user


def settle_language(user: User, chosen: str | None) -> None:
    """A language picked before signing in becomes the user's own if they had none yet,
    so it sticks on their next visit too; a language already stored wins."""
    if user.locale is None and chosen in current_app.config["LANGUAGES"]:
        remember_language(user, chosen)


def remember_language(user: User, code: str) -> None:
    """The language the user picked becomes their own (it follows them to other browsers)."""
    with unit_of_work():
        user.locale = code
