"""Consent to the privacy notice (PIPL): the notice's versions and who accepted which, when.

A member accepts the current version when registering; when a newer one is published, a signed-in
member is sent to accept it before going on (`gate`, a before_request hook). Staff are not gated.
With no notice published there is nothing to accept and no gate.

The gate asks the database as little as it can: the current version's id is kept for a short
while per process (`_CURRENT_TTL`, cleared at once by a publish in this process), and the id a
member has accepted is kept in their (signed) session cookie.
"""
from __future__ import annotations

import time
from datetime import datetime

from flask import current_app, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import ForeignKey, Index, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import permissions
from portal.accounts.models import User
from portal.audit import Field, describe
from portal.audit.history import as_datetime
from portal.audit.services import record
from portal.db import Base, UTCDateTime, db, unit_of_work, utcnow
from portal.errors import Refused


class PrivacyNotice(Base):
    """One published version of the privacy notice, in both languages. Never edited: a change is
    a new version."""

    __tablename__ = "privacy_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(20), unique=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    text_zh: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    def text_for(self, locale: str | None) -> str:
        return self.text_en if (locale or "").startswith("en") else self.text_zh


class ConsentRecord(Base):
    """A member accepted a version of the notice, at a time. Kept after the account is erased:
    the record of consent is what the operator must be able to show."""

    __tablename__ = "consent_records"
    __table_args__ = (
        Index("ix_consent_records_user_notice", "user_id", "notice_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    notice_id: Mapped[int] = mapped_column(ForeignKey("privacy_notices.id", ondelete="CASCADE"))
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    notice: Mapped[PrivacyNotice] = relationship()


describe(
    "privacy_notice",
    actions={"publish": _l("Published a privacy notice version")},
    version=Field(_l("Version")),
    published_at=Field(_l("Published"), format=as_datetime),
)
describe(
    "user",
    actions={"accept_privacy": _l("Accepted the privacy notice")},
    version=Field(_l("Privacy notice version")),
)

# How long a process trusts the current version it read (seconds). A publish elsewhere reaches
# members within this time; a publish in this process at once. Sign-in reads it (`signed_in`),
# so the pages after it ask the database nothing.
_CURRENT_TTL = 60.0
_SESSION_KEY = "privacy_accepted"


def _remembered(user, notice_id: int) -> str:
    # With the user's id: another member signing in in the same browser is asked for theirs.
    return f"{user.id}:{notice_id}"


def _remember(user, notice_id: int) -> None:
    session[_SESSION_KEY] = _remembered(user, notice_id)


def current_notice() -> PrivacyNotice | None:
    """The newest published version, or None when none was ever published."""
    return db.scalar(select(PrivacyNotice).order_by(
        PrivacyNotice.published_at.desc(), PrivacyNotice.id.desc()).limit(1))


def _current_notice_id() -> int | None:
    cached = current_app.extensions.get("portal.privacy_current")
    now = time.monotonic()
    if cached is not None and cached[0] > now:
        return cached[1]
    notice_id = db.scalar(select(PrivacyNotice.id).order_by(
        PrivacyNotice.published_at.desc(), PrivacyNotice.id.desc()).limit(1))
    current_app.extensions["portal.privacy_current"] = (now + _CURRENT_TTL, notice_id)
    return notice_id


def _forget_current() -> None:
    current_app.extensions.pop("portal.privacy_current", None)


def has_accepted(user: User, notice_id: int) -> bool:
    return db.scalar(select(ConsentRecord.id).where(
        ConsentRecord.user_id == user.id, ConsentRecord.notice_id == notice_id)) is not None


def consents_of(user: User) -> list[ConsentRecord]:
    return list(db.scalars(select(ConsentRecord).where(ConsentRecord.user_id == user.id)
                           .order_by(ConsentRecord.accepted_at)))


def record_consent(user: User, notice: PrivacyNotice, signed_in: bool = True) -> None:
    """`user` accepts `notice` (inside the caller's unit of work, or its own). Twice is once.
    `signed_in`: the user is this session's, which then need not ask the database again."""
    with unit_of_work():
        if not has_accepted(user, notice.id):
            db.add(ConsentRecord(user_id=user.id, notice_id=notice.id, accepted_at=utcnow()))
            record(user, "accept_privacy", "user", user.id, None, {"version": notice.version})
    if signed_in:
        _remember(user, notice.id)


def accept_current(user: User, notice_id: int) -> PrivacyNotice:
    """The member accepts the version they were shown; refused when a newer one came out since
    (they must read that one)."""
    notice = current_notice()
    if notice is None or notice.id != notice_id:
        _forget_current()
        raise Refused(_l("A newer version of the privacy notice was published: please read it."))
    record_consent(user, notice)
    return notice


def publish(actor: User, version: str, text_zh: str, text_en: str) -> PrivacyNotice:
    """A new version becomes the current one; every member accepts it on their next page."""
    version = (version or "").strip()
    if not version:
        raise Refused(_l("Give the version a name."), field="version")
    with unit_of_work():
        if db.scalar(select(PrivacyNotice.id).where(PrivacyNotice.version == version)):
            raise Refused(_l("This version was already published: give the new one another name."),
                          field="version")
        notice = PrivacyNotice(version=version, text_zh=text_zh, text_en=text_en,
                               published_at=utcnow(), published_by_id=actor.id)
        db.add(notice)
        db.flush()
        record(actor, "publish", "privacy_notice", notice.id, None,
               {"version": version, "published_at": notice.published_at})
    _forget_current()
    return notice


def notices(limit: int = 50) -> list[PrivacyNotice]:
    """The published versions, newest first (a handful a year: bounded, not paged)."""
    return list(db.scalars(select(PrivacyNotice).order_by(
        PrivacyNotice.published_at.desc(), PrivacyNotice.id.desc()).limit(limit)))


def signed_in(user: User) -> None:
    """At sign-in, the gate's questions are asked once, so the pages that follow ask none."""
    if not permissions.is_member(user):
        return
    notice_id = _current_notice_id()
    if notice_id is not None and has_accepted(user, notice_id):
        _remember(user, notice_id)


# Endpoints a member who owes an acceptance may still reach.
_UNGATED = {"accounts.privacy_accept", "accounts.privacy_notice", "accounts.logout",
            "static", "i18n.set_language", "health"}


def _exempt(endpoint: str | None) -> bool:
    # No endpoint: a 404 or 405, answered as such.
    return endpoint is None or endpoint in _UNGATED or endpoint.endswith(".static")


def gate():
    """before_request: a signed-in member who has not accepted the current version is sent to
    accept it (what they asked for is kept as `next`)."""
    if _exempt(request.endpoint) or not current_user.is_authenticated:
        return None
    if not permissions.is_member(current_user):
        return None
    notice_id = _current_notice_id()
    if notice_id is None or session.get(_SESSION_KEY) == _remembered(current_user, notice_id):
        return None
    if has_accepted(current_user, notice_id):
        _remember(current_user, notice_id)
        return None
    target = request.full_path if request.method == "GET" else None
    return redirect(url_for("accounts.privacy_accept", next=target))
