"""Account rules: invitations, registration, sign-in, profiles, the member list.

Views call these; they hold no HTTP. Every change runs in one `unit_of_work()`: it commits at
its end or leaves nothing behind. Refusals are `AccountError`s (a `portal.errors.Refused`);
`field` names the form field a message belongs to. A failed sign-in attempt is stored before
the refusal is raised, so the throttle counts it.

Security rules kept here (the form checks are only the early, friendly copy):
- A new password (registration, change, staff account, the command line) has at least
  PASSWORD_MIN characters and a zxcvbn score of at least PASSWORD_MIN_SCORE (`check_new_password`).
- Neither sign-in nor registration tells whether an email has an account: an unknown email is
  checked against a dummy hash (one hash either way, as slow), and registering with a taken email
  leads to the same page as a success (`register_member`).
- Sessions end together: every session and remember cookie carries the user's session generation
  (`User.get_id`); `end_all_sessions` raises it. Sign-out, "sign out everywhere", a password
  change and pausing the account do.
"""
from __future__ import annotations

import functools
import hashlib
import math
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _, ngettext
from sqlalchemy import Select, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from portal import domain, permissions
from portal.accounts.models import Invitation, LoginAttempt, PasswordReset, User
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
    def __init__(self, message: str, seconds: int):
        super().__init__(message)
        self.seconds = seconds


class WeakPassword(AccountError):
    def __init__(self, message: str, field: str | None = "password"):
        super().__init__(message, field=field)


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


# --- passwords ---------------------------------------------------------------------------------

PASSWORD_MIN = 10
PASSWORD_MIN_SCORE = 2  # zxcvbn: 0 too guessable ... 4 very unguessable
# zxcvbn's work grows quickly with the length; its first 100 characters tell enough.
_STRENGTH_SCAN = 100


def _personal_words(values: Iterable[str | None]) -> list[str]:
    """The person's own words (email, its parts, name) that a password must not lean on."""
    words: list[str] = []
    for value in values:
        value = (value or "").strip().lower()
        if value:
            words.append(value)
            words.extend(part for part in re.split(r"[\W_]+", value) if len(part) >= 3)
    return words


def password_weakness(password: str, user_inputs: Iterable[str | None] = ()) -> str | None:
    """Why `password` would be refused, in the user's language; None when it is good enough.

    `user_inputs`: the person's email and name, which make a password easier to guess."""
    password = password or ""
    if len(password) < PASSWORD_MIN:
        return _("Choose a longer or less common password: it needs at least %(min)s characters.",
                 min=PASSWORD_MIN)
    score = zxcvbn(password[:_STRENGTH_SCAN], user_inputs=_personal_words(user_inputs))["score"]
    if score < PASSWORD_MIN_SCORE:
        return _("Choose a longer or less common password: this one is easy to guess (a common "
                 "password or word, a name, a date, a keyboard row or a repetition). A few "
                 "unrelated words are hard to guess and easy to remember.")
    return None


def check_new_password(password: str, *user_inputs: str | None, field: str = "password") -> None:
    """WeakPassword unless `password` may be someone's new password."""
    problem = password_weakness(password, user_inputs)
    if problem:
        raise WeakPassword(problem, field=field)


@functools.cache
def _dummy_hash() -> str:
    """A hash of a random password, made once with the method and cost of real ones."""
    return generate_password_hash(secrets.token_urlsafe(24))


def password_matches(user: User | None, password: str) -> bool:
    """Whether `password` is `user`'s. Without a user the password is checked against a dummy
    hash all the same: an unknown email must take as long as a known one, or the time of the
    answer would tell which emails have accounts."""
    stored = user.password_hash if user is not None else _dummy_hash()
    return check_password_hash(stored, password or "") and user is not None


# --- sessions ------------------------------------------------------------------------------------

def end_all_sessions(user: User) -> None:
    """End every session and remember cookie of `user`, on every device, this one included
    (a view that keeps its own session calls `login_user(user)` again afterwards).

    Sign-out, a password change and the password reset call this; pausing an account does it
    by itself (see `portal.accounts.models`)."""
    with unit_of_work():
        user.raise_session_generation()


def sign_out_everywhere(user: User) -> None:
    """The person asked to end all their sessions (recorded in the audit log)."""
    with unit_of_work():
        record(user, "end_sessions", "user", user.id)
        end_all_sessions(user)


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
        if invitation.email:
            _mail_invitation(invitation, token)
    return invitation, token


def _mail_invitation(invitation: Invitation, token: str) -> None:
    """The invitation's link by email (outbox), in Chinese: the invitee has no account yet."""
    from portal.i18n import format_moment
    from portal.notifications import emails

    link = emails.absolute("accounts.register", token=token)

    def compose():
        return emails.Message(
            subject=_("Your invitation to the Customer Panel"),
            greeting=_("Hello,"),
            paragraphs=[
                _("You are invited to join the Customer Panel. Open the link below to register; it works "
                  "once, until %(expires)s.", expires=format_moment(invitation.expires_at)),
            ],
            action=(_("Register"), link),
        )
    emails.queue_email(invitation.email, emails.locale_of(None), compose)


def revoke_invitation(invitation: Invitation, actor: User) -> bool:
    """Revoke a pending invitation (audited): its link stops working. False when it was not
    pending any more (used, expired or revoked meanwhile)."""
    now = utcnow()
    with unit_of_work():
        revoked = db.execute(
            update(Invitation)
            .where(Invitation.id == invitation.id, Invitation.used_at.is_(None),
                   Invitation.revoked_at.is_(None), Invitation.expires_at > now)
            .values(revoked_at=now).execution_options(synchronize_session=False)
        ).rowcount
        if revoked:
            record(actor, "revoke", "invitation", invitation.id)
    return bool(revoked)


def find_usable_invitation(token: str) -> Invitation:
    """The invitation of `token`; InvitationError (status 404 unknown, 410 used or expired)."""
    invitation = db.scalar(select(Invitation).where(Invitation.token_hash == hash_token(token)))
    if invitation is None:
        raise InvitationError(_("This invitation link is not valid."), status=404)
    if invitation.used_at is not None:
        raise InvitationError(_("This invitation has already been used."))
    if invitation.revoked_at is not None:
        raise InvitationError(_("This invitation was withdrawn. Please ask for a new one."))
    if invitation.expires_at <= utcnow():
        raise InvitationError(_("This invitation has expired. Please ask for a new one."))
    return invitation


def invitation_state(invitation: Invitation, now: datetime | None = None) -> str:
    if invitation.used_at is not None:
        return "used"
    if invitation.revoked_at is not None:
        return "revoked"
    if invitation.expires_at <= (now or utcnow()):
        return "expired"
    return "pending"


def get_invitation(invitation_id: int) -> Invitation | None:
    return db.get(Invitation, invitation_id)


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


def register_member(invitation: Invitation, data: Registration) -> User | None:
    """Create the member and mark the invitation used, in one transaction; None when the email
    already has an account.

    Why None and not a refusal: whoever holds an invitation link could otherwise type emails
    into the form to learn which have accounts. The view shows the same page after both
    outcomes (it does not sign the newcomer in either, since that would tell them apart): it
    asks the person to sign in, and whoever already had an account signs in with it. With a
    taken email nothing is written and the invitation stays usable, so a mistyped email can be
    corrected with the same link. The password is hashed in both cases, so both take as long.
    (The invitation's own state still changes only on success; binding registration to a
    confirmed email would close that too.)

    The invitation is claimed with a conditional UPDATE, so of two people using the same
    link at once only one gets an account; the other's whole save is rolled back.
    """
    email = normalize_email(data.email)
    check_new_password(data.password, email, data.name)
    password_hash = generate_password_hash(data.password)
    if email_taken(email):
        return None
    now = utcnow()
    try:
        with unit_of_work():
            user = User(
                email=email, name=data.name.strip(), role=permissions.MEMBER, status="active",
                segment=invitation.segment, district=data.district,
                phone=normalize_phone(data.phone), password_hash=password_hash,
                organization=(data.organization or "").strip() or None,
            )
            db.add(user)
            db.flush()
            claimed = db.execute(
                update(Invitation)
                .where(Invitation.id == invitation.id, Invitation.used_at.is_(None),
                       Invitation.revoked_at.is_(None), Invitation.expires_at > now)
                .values(used_at=now, used_by_id=user.id)
                .execution_options(synchronize_session=False)
            ).rowcount
            if claimed != 1:
                raise InvitationError(_("This invitation has already been used."))
    except IntegrityError:
        # The same email registered in between: the unit of work rolled everything back.
        return None
    return user


# --- sign-in and throttling ------------------------------------------------------------------

# From this many failures of one email on, each further attempt waits 1, 2, 4... seconds after
# the last failure (until LOGIN_MAX_FAILURES stops it for the window).
DELAY_AFTER_FAILURES = 3


def _recent_failures(condition, since: datetime, limit: int) -> list[datetime]:
    """The times of the latest `limit` failures matching `condition` after `since`, newest first."""
    return list(db.scalars(
        select(LoginAttempt.attempted_at)
        .where(condition, LoginAttempt.succeeded.is_(False), LoginAttempt.attempted_at > since)
        .order_by(LoginAttempt.attempted_at.desc())
        .limit(limit)
    ))


def _email_may_try_at(email: str, window_start: datetime) -> datetime | None:
    """When this email may be tried again: failures count since its last successful sign-in.

    Every email is counted alike, whether an account has it or not: a made-up email's failures
    never touch a real account, and being held back tells nothing about which emails exist."""
    config = current_app.config
    limit = config["LOGIN_MAX_FAILURES"]
    last_success = db.scalar(
        select(func.max(LoginAttempt.attempted_at))
        .where(LoginAttempt.email == email, LoginAttempt.succeeded.is_(True),
               LoginAttempt.attempted_at > window_start)
    )
    since = max(window_start, last_success) if last_success else window_start
    failures = _recent_failures(LoginAttempt.email == email, since, limit)
    if len(failures) >= limit:
        return failures[limit - 1] + timedelta(seconds=config["LOGIN_WINDOW_SECONDS"])
    if len(failures) >= DELAY_AFTER_FAILURES:
        return failures[0] + timedelta(seconds=2 ** (len(failures) - DELAY_AFTER_FAILURES))
    return None


def _address_may_try_at(address: str, window_start: datetime) -> datetime | None:
    limit = current_app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    failures = _recent_failures(LoginAttempt.ip_address == address, window_start, limit)
    if len(failures) >= limit:
        return failures[limit - 1] + timedelta(seconds=current_app.config["LOGIN_WINDOW_SECONDS"])
    return None


def throttle_seconds(email: str, address: str) -> int:
    """Seconds to wait before this email may be tried, or this address may try (0: now).

    Per email: LOGIN_MAX_FAILURES in the window, with a growing delay from the third on. Per
    address: LOGIN_MAX_FAILURES_PER_ADDRESS, far more, so that failures with other emails from a
    shared address (an office, a mobile carrier's gateway) do not shut a real account out.
    """
    now = utcnow()
    window_start = now - timedelta(seconds=current_app.config["LOGIN_WINDOW_SECONDS"])
    ends = [t for t in (_email_may_try_at(email, window_start), _address_may_try_at(address, window_start))
            if t is not None and t > now]
    if not ends:
        return 0
    return max(1, math.ceil((max(ends) - now).total_seconds()))


def _wait_message(seconds: int) -> str:
    """The refusal while held back: the same for every email, whatever its account."""
    if seconds < 60:
        return ngettext(
            "Too many failed sign-in attempts. Please wait %(num)d second and try again.",
            "Too many failed sign-in attempts. Please wait %(num)d seconds and try again.",
            seconds)
    minutes = math.ceil(seconds / 60)
    return ngettext(
        "Too many failed sign-in attempts. Please wait %(num)d minute and try again.",
        "Too many failed sign-in attempts. Please wait %(num)d minutes and try again.",
        minutes)


def authenticate(email: str, password: str, address: str) -> User:
    """The user signing in; LoginThrottled, WrongPassword or AccountPaused otherwise.

    AccountPaused only comes after the right password: to anyone else a paused account looks
    like any other."""
    email = normalize_email(email)[:254]
    address = (address or "unknown")[:64]
    seconds = throttle_seconds(email, address)
    if seconds:
        raise LoginThrottled(_wait_message(seconds), seconds)
    user = db.scalar(select(User).where(func.lower(User.email) == email))
    if not password_matches(user, password):
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
    """A new password; every session of the user ends (the view signs its own in again)."""
    if not password_matches(user, current):
        raise WrongPassword(_("Your current password is not correct."), field="current_password")
    check_new_password(new, user.email, user.name, field="new_password")
    with unit_of_work():
        user.set_password(new)
        end_all_sessions(user)


# --- forgotten passwords ----------------------------------------------------------------------

RESET_VALID = timedelta(hours=1)
RESET_WINDOW = timedelta(hours=1)
RESETS_PER_EMAIL = 3      # requests per email in RESET_WINDOW; more are silently ignored
RESETS_PER_ADDRESS = 10   # requests from one address in RESET_WINDOW


def _reset_requests(condition, since: datetime) -> int:
    return db.scalar(select(func.count(PasswordReset.id))
                     .where(condition, PasswordReset.requested_at > since)) or 0


def _reset_message(user: User, link: str):
    from portal.notifications.emails import Message

    def compose():
        return Message(
            subject=_("Choose a new password"),
            greeting=_("Hello %(name)s,", name=user.name),
            paragraphs=[
                _("Someone (we hope you) asked to choose a new password for your account of the "
                  "Customer Panel Portal. The link below works once, within one hour."),
                _("If you did not ask for it, ignore this email: your password stays as it is."),
            ],
            action=(_("Choose a new password"), link),
        )
    return compose


def request_password_reset(email: str, address: str) -> None:
    """Send a reset link to `email` if an active account has it; say nothing either way.

    Every request is stored and takes the same work (a token, a row), whether or not an account
    has the email, so neither the answer nor its time tells which emails exist. Beyond
    RESETS_PER_EMAIL requests for one email, or RESETS_PER_ADDRESS from one address, in an hour,
    nothing more is done (the answer is the same)."""
    from portal.notifications import emails

    email = normalize_email(email)[:254]
    address = (address or "unknown")[:64]
    since = utcnow() - RESET_WINDOW
    if (_reset_requests(PasswordReset.email == email, since) >= RESETS_PER_EMAIL
            or _reset_requests(PasswordReset.ip_address == address, since) >= RESETS_PER_ADDRESS):
        return
    token = secrets.token_urlsafe(32)
    user = db.scalar(select(User).where(func.lower(User.email) == email))
    if user is not None and user.status != "active":
        user = None
    with unit_of_work():
        db.add(PasswordReset(token_hash=hash_token(token), user_id=user.id if user else None, email=email,
                             ip_address=address, expires_at=utcnow() + RESET_VALID))
        if user is not None:
            link = emails.absolute("accounts.reset_password", token=token)
            emails.queue_email(user.email, emails.locale_of(user), _reset_message(user, link))


class ResetLinkError(AccountError):
    """The reset link cannot be used; status 404 (unknown) or 410 (used or expired)."""

    def __init__(self, message: str, status: int = 410):
        super().__init__(message)
        self.status = status


def find_usable_reset(token: str) -> PasswordReset:
    reset = db.scalar(select(PasswordReset).where(PasswordReset.token_hash == hash_token(token or "")))
    if reset is None or reset.user_id is None:
        raise ResetLinkError(_("This password reset link is not valid."), status=404)
    if reset.used_at is not None:
        raise ResetLinkError(_("This password reset link has already been used."))
    if reset.expires_at <= utcnow() or reset.user.status != "active":
        raise ResetLinkError(_("This password reset link has expired."))
    return reset


def reset_password(reset: PasswordReset, password: str) -> User:
    """Set the new password through `reset`, which is then used up (with every other pending link
    of the account); every session of the account ends and its sign-in throttle is cleared."""
    user = reset.user
    check_new_password(password, user.email, user.name)
    now = utcnow()
    with unit_of_work():
        claimed = db.execute(
            update(PasswordReset)
            .where(PasswordReset.id == reset.id, PasswordReset.used_at.is_(None),
                   PasswordReset.expires_at > now)
            .values(used_at=now).execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            raise ResetLinkError(_("This password reset link has already been used."))
        db.execute(update(PasswordReset)
                   .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
                   .values(used_at=now).execution_options(synchronize_session=False))
        user.set_password(password)
        end_all_sessions(user)
        db.execute(delete(LoginAttempt).where(LoginAttempt.email == normalize_email(user.email),
                                              LoginAttempt.succeeded.is_(False)))
        record(user, "reset_password", "user", user.id)
    return user


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
                      actor: User | None = None, unit_id: int | None = None) -> User:
    """A new staff account; recorded in the audit log as done by `actor` (None: the command line).
    `unit_id`: the unit they belong to, already checked against the role (portal.admin.services)."""
    taken = _("An account with this email already exists.")
    check_new_password(password, email, name)
    if email_taken(email):
        raise EmailTaken(taken)
    try:
        with unit_of_work():
            user = User(email=normalize_email(email), name=name.strip(), role=role, unit_id=unit_id)
            user.set_password(password)
            db.add(user)
            db.flush()
            record(actor, "create", "user", user.id, None,
                   {"name": user.name, "email": user.email, "role": role, "status": user.status,
                    **({"unit_id": unit_id} if unit_id else {})})
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
