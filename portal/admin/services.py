"""Staff accounts: create, change role, pause and resume. Guards keep one active admin."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import Select, func, select

from portal import domain
from portal.accounts.models import User
from portal.accounts.services import AccountError, create_staff_user  # noqa: F401  (re-exported)
from portal.audit.services import record
from portal.db import db


class StaffError(AccountError):
    """The change to a staff account is refused; the message says why."""


def staff_query(role: str | None = None, status: str | None = None) -> Select:
    stmt = select(User).where(User.role.in_(domain.STAFF_ROLES))
    if role:
        stmt = stmt.where(User.role == role)
    if status:
        stmt = stmt.where(User.status == status)
    return stmt.order_by(User.role, User.name, User.id)


def staff_or_none(user_id: int) -> User | None:
    user = db.get(User, user_id)
    if user is None or user.role not in domain.STAFF_ROLES:
        return None
    return user


def _other_active_admins(user: User) -> int:
    return db.scalar(
        select(func.count()).select_from(User)
        .where(User.role == "admin", User.status == "active", User.id != user.id)
    ) or 0


def _guard_admin_loss(actor: User, target: User, own_message: str) -> None:
    if target.id == actor.id:
        raise StaffError(own_message)
    if target.role == "admin" and target.status == "active" and _other_active_admins(target) == 0:
        raise StaffError(_("%(name)s is the last active administrator; the site needs at least one.",
                           name=target.name))


def change_role(actor: User, target: User, role: str) -> None:
    if role not in domain.STAFF_ROLES:
        raise StaffError(_("Choose a staff role."))
    if role == target.role:
        return
    if target.role == "admin":
        _guard_admin_loss(actor, target, _("You cannot take away your own administrator role."))
    elif target.id == actor.id:
        raise StaffError(_("You cannot change your own role."))
    record(actor, "change_role", "user", target.id, {"role": target.role}, {"role": role})
    target.role = role
    db.commit()


def set_status(actor: User, target: User, status: str) -> None:
    if status == target.status:
        return
    if status == "paused":
        _guard_admin_loss(actor, target, _("You cannot pause your own account."))
    record(actor, "pause" if status == "paused" else "resume", "user", target.id,
           {"status": target.status}, {"status": status})
    target.status = status
    db.commit()
