"""Member profiles: what a member tells about their use of the operator's services (plan,
handset, broadband, company), kept per segment, so trials can be offered to those they fit.

Which attributes belong to which segment is `domain.PROFILE_FIELDS_BY_SEGMENT`; the form shows
only those. A member is asked to fill it in after registering and to look at it again every
`domain.PROFILE_REVIEW_DAYS` days (`needs_review`).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from portal import domain
from portal.accounts.models import User
from portal.audit.services import record
from portal.db import Base, UTCDateTime, db, unit_of_work, utcnow
from portal.errors import Refused


class MemberProfile(Base):
    """One member's profile, one-to-one with the user (erased with the account's personal data).

    A separate table rather than more columns on `users`: most of it is segment-specific and
    nullable, and trial eligibility filters on it (the indexes below)."""

    __tablename__ = "member_profiles"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    # Mobile / 3G subscribers
    plan_type: Mapped[str | None] = mapped_column(String(16), index=True)
    handset_brand: Mapped[str | None] = mapped_column(String(40))
    handset_model: Mapped[str | None] = mapped_column(String(80))
    handset_os: Mapped[str | None] = mapped_column(String(16), index=True)
    network_generation: Mapped[str | None] = mapped_column(String(8), index=True)
    # Every segment
    years_with_operator: Mapped[int | None] = mapped_column(Integer)
    # Household customers
    broadband_package: Mapped[str | None] = mapped_column(String(16))
    broadband_speed_mbps: Mapped[int | None] = mapped_column(Integer)
    iptv: Mapped[bool | None] = mapped_column(Boolean)
    household_size: Mapped[int | None] = mapped_column(Integer)
    # Key enterprise accounts and SMEs
    industry: Mapped[str | None] = mapped_column(String(16))
    company_size: Mapped[str | None] = mapped_column(String(16))
    services_used: Mapped[list[str]] = mapped_column(JSON, default=list)
    # When the member last saved it (None: never); the yearly prompt reads it.
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    member: Mapped[User] = relationship(
        backref=backref("profile", uselist=False, lazy="select", passive_deletes=True))


# Every profile attribute, the vocabulary of those with one, and the bounds of the numbers.
PROFILE_FIELDS = (
    "plan_type", "handset_brand", "handset_model", "handset_os", "network_generation",
    "years_with_operator", "broadband_package", "broadband_speed_mbps", "iptv", "household_size",
    "industry", "company_size", "services_used",
)
VOCABULARIES = {
    "plan_type": domain.PLAN_TYPES,
    "handset_os": domain.HANDSET_OS,
    "network_generation": domain.NETWORK_GENERATIONS,
    "broadband_package": domain.BROADBAND_PACKAGES,
    "industry": domain.INDUSTRIES,
    "company_size": domain.COMPANY_SIZES,
}
NUMBER_BOUNDS = {
    "years_with_operator": (0, 60),
    "broadband_speed_mbps": (1, 10000),
    "household_size": (1, 20),
}
FIELD_LABELS = {
    "plan_type": _l("Plan type"),
    "handset_brand": _l("Handset brand"),
    "handset_model": _l("Handset model"),
    "handset_os": _l("Handset operating system"),
    "network_generation": _l("Network generation"),
    "years_with_operator": _l("Years with us"),
    "broadband_package": _l("Broadband package"),
    "broadband_speed_mbps": _l("Broadband speed (Mbps)"),
    "iptv": _l("IPTV"),
    "household_size": _l("People in the household"),
    "industry": _l("Industry"),
    "company_size": _l("Company size"),
    "services_used": _l("Services used"),
}


def fields_for(segment: str | None) -> tuple[str, ...]:
    """The profile attributes a member of `segment` keeps (none for staff)."""
    return domain.PROFILE_FIELDS_BY_SEGMENT.get(segment or "", ())


def profile_of(user: User) -> MemberProfile | None:
    return db.get(MemberProfile, user.id)


def needs_review(profile: MemberProfile | None, now: datetime | None = None) -> bool:
    """Never completed, or completed more than a year ago: the member home asks again."""
    return needs_review_since(profile.completed_at if profile is not None else None, now)


def needs_review_since(completed_at: datetime | None, now: datetime | None = None) -> bool:
    if completed_at is None:
        return True
    return (now or utcnow()) - completed_at > timedelta(days=domain.PROFILE_REVIEW_DAYS)


def shown_values(profile: MemberProfile | None, segment: str | None) -> list[tuple[str, object]]:
    """(label, readable value) of the segment's attributes, for the read-only views; None when
    not given."""
    shown = []
    for name in fields_for(segment):
        value = getattr(profile, name) if profile is not None else None
        shown.append((FIELD_LABELS[name], _readable(name, value)))
    return shown


def _readable(name: str, value):
    if value is None or value == []:
        return None
    if name in VOCABULARIES:
        return VOCABULARIES[name].get(value, value)
    if name == "services_used":
        return ", ".join(str(domain.ENTERPRISE_SERVICES.get(code, code)) for code in value)
    if name == "iptv":
        return _l("Yes") if value else _l("No")
    return value


def _check(name: str, value):
    """Refuse a value outside its vocabulary or bounds (the form checks first; this holds for
    every caller)."""
    if value is None or value == "":
        return None
    if name in VOCABULARIES and value not in VOCABULARIES[name]:
        raise Refused(_l("Choose one of the options offered."), field=name)
    if name in NUMBER_BOUNDS:
        low, high = NUMBER_BOUNDS[name]
        if not low <= int(value) <= high:
            raise Refused(_l("Enter a number from %(low)s to %(high)s.", low=low, high=high),
                          field=name)
    if name == "services_used":
        unknown = [code for code in value if code not in domain.ENTERPRISE_SERVICES]
        if unknown:
            raise Refused(_l("Choose one of the options offered."), field=name)
        return list(value)
    return value


def save_profile(member: User, values: dict) -> MemberProfile:
    """Save the member's profile: only their segment's attributes, each checked; stamps
    `completed_at` (the yearly prompt starts again)."""
    allowed = fields_for(member.segment)
    with unit_of_work():
        profile = profile_of(member)
        created = profile is None
        if created:
            profile = MemberProfile(member_id=member.id, services_used=[])
            db.add(profile)
        for name in allowed:
            value = _check(name, values.get(name))
            if name == "services_used" and value is None:
                value = []
            setattr(profile, name, value)
        now = utcnow()
        profile.completed_at = now
        profile.updated_at = now
        # The entry says that the profile was saved, not what it holds: the log outlives an
        # erased account, and personal details must not stay behind in it.
        record(member, "save_profile", "user", member.id)
    return profile


def erase_profile(member: User) -> None:
    """Delete the member's profile (account deletion); inside the caller's unit of work."""
    profile = profile_of(member)
    if profile is not None:
        db.delete(profile)
