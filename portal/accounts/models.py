from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from portal.db import Base, UTCDateTime, utcnow
from portal.permissions import MEMBER, ROLES


class User(UserMixin, Base):
    """Anyone who signs in: panel members and staff. What a role may do is decided in
    `portal.permissions` alone; code asks `can(...)`, never the role.

    The member profile (segment, district, phone, organization) lives on the same row: it is
    one-to-one and every member page needs it, so a join would buy nothing.
    """

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ({})".format(",".join(f"'{r}'" for r in ROLES)), name="role"),
        # 'deleted': the member erased their account (portal.accounts.rights); the row stays,
        # emptied of personal data, so their anonymised submissions keep their author.
        CheckConstraint("status IN ('active','paused','deleted')", name="status"),
        Index("ix_users_role_created", "role", "created_at"),
        # The staff lists (assignees, contacts): SQLite's statistics average the roles, so
        # without it the status index was chosen and walked every member (4 ms at 10,000).
        Index("ix_users_role_status_name", "role", "status", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16), default=MEMBER)
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)
    locale: Mapped[str | None] = mapped_column(String(10))
    segment: Mapped[str | None] = mapped_column(String(16), index=True)
    district: Mapped[str | None] = mapped_column(String(16), index=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    organization: Mapped[str | None] = mapped_column(String(200))
    # The unit (a department or a district branch, portal.improvements.models.Department) a
    # staff user belongs to; None for members and staff outside the units.
    unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="SET NULL", use_alter=True), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Part of every session's and remember cookie's user id (`get_id`): raising it ends them
    # all (sign-out, "sign out everywhere", a new password, pausing). See `portal._init_login`.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    def get_id(self) -> str:
        """Flask-Login's alternative id: the user and the generation of their sessions."""
        return f"{self.id}:{self.session_generation or 0}"

    def raise_session_generation(self) -> None:
        """Every session and remember cookie made before this stops working."""
        self.session_generation = (self.session_generation or 0) + 1

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # flask-login refuses inactive users at login
        return self.status == "active"

    @property
    def is_deleted(self) -> bool:
        """The member erased their account (portal.accounts.rights): no personal data is left."""
        return self.status == "deleted"

    @property
    def display_name(self):
        """The name pages show: "Deleted member" for an erased account (its stored name is only
        a placeholder)."""
        if self.is_deleted:
            return _l("Deleted member")
        return self.name

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


@event.listens_for(User.status, "set", active_history=True)
def _pausing_ends_sessions(user: User, value, old_value, _initiator) -> None:
    """Pausing an account ends its sessions and remember cookies for good: resuming it later
    does not bring them back. Here, on the attribute, so that it holds wherever an account is
    paused (the member list, the staff administration, whatever comes next)."""
    if value == "paused" and isinstance(old_value, str) and old_value != "paused":
        user.raise_session_generation()


class Invitation(Base):
    """A single-use, expiring invitation to join the panel in one segment.

    Only the SHA-256 of the token is stored: a leaked database does not leak usable links.
    """

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    segment: Mapped[str] = mapped_column(String(16))
    email: Mapped[str | None] = mapped_column(String(254))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Revoked by staff before it was used: the link stops working (who did it: the audit log).
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    used_by: Mapped[User | None] = relationship(foreign_keys=[used_by_id])


class LoginAttempt(Base):
    """Failed sign-ins, kept in the database so every app server throttles alike."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email_at", "email", "attempted_at"),
        Index("ix_login_attempts_ip_at", "ip_address", "attempted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    ip_address: Mapped[str] = mapped_column(String(64))
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)


class PasswordReset(Base):
    """A request for a password reset link: single-use, valid for an hour.

    Every request is stored, whether an account has the email or not (`user_id` NULL then), so
    both take the same work and the requests per email and per address can be limited. Only the
    SHA-256 of the link's token is stored, as for invitations."""

    __tablename__ = "password_resets"
    __table_args__ = (
        Index("ix_password_resets_email_at", "email", "requested_at"),
        Index("ix_password_resets_ip_at", "ip_address", "requested_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    ip_address: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User | None] = relationship()
