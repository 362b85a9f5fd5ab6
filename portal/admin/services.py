"""Staff accounts: create, change role, pause and resume.

Rules:
- Only staff accounts are managed here (members are paused from the member list).
- The site keeps at least one active administrator: the last one cannot be paused nor given
  another role, and nobody pauses themselves or takes away their own role. This rule is about
  the administrator role itself, so it names it (`permissions.ADMIN`).
- Every change runs in one unit of work with its audit entry; refusals are `StaffError`s.
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import Select, func, select

from portal import permissions
from portal.accounts.models import User
from portal.accounts.services import AccountError, create_staff_user  # noqa: F401  (re-exported)
from portal.audit.services import record
from portal.db import db, unit_of_work


class StaffError(AccountError):
    """The change to a staff account is refused; the message says why."""


def _is_staff_row():
    return User.role.in_(permissions.holders("staff.home"))


def staff_query(role: str | None = None, status: str | None = None) -> Select:
    stmt = select(User).where(_is_staff_row())
    if role:
        stmt = stmt.where(User.role == role)
    if status:
        stmt = stmt.where(User.status == status)
    return stmt.order_by(User.role, User.name, User.id)


def get_staff_user(viewer: User, user_id: int) -> User | None:
    """A staff account, when `viewer` manages staff accounts; else None (the view answers 404)."""
    if not permissions.can("staff_accounts.manage", viewer):
        return None
    return db.scalar(select(User).where(User.id == user_id, _is_staff_row()))


def _other_active_admins(user: User) -> int:
    return db.scalar(
        select(func.count()).select_from(User)
        .where(User.role == permissions.ADMIN, User.status == "active", User.id != user.id)
    ) or 0


def _guard_admin_loss(actor: User, target: User, own_message: str) -> None:
    if target.id == actor.id:
        raise StaffError(own_message)
    if target.role == permissions.ADMIN and target.status == "active" and _other_active_admins(target) == 0:
        raise StaffError(_("%(name)s is the last active administrator; the site needs at least one.",
                           name=target.name))


def change_role(actor: User, target: User, role: str) -> None:
    if role not in permissions.STAFF:
        raise StaffError(_("Choose a staff role."), field="role")
    if role == target.role:
        return
    if target.role == permissions.ADMIN:
        _guard_admin_loss(actor, target, _("You cannot take away your own administrator role."))
    elif target.id == actor.id:
        raise StaffError(_("You cannot change your own role."))
    with unit_of_work():
        record(actor, "change_role", "user", target.id, {"role": target.role}, {"role": role})
        target.role = role


def set_status(actor: User, target: User, status: str) -> None:
    if status == target.status:
        return
    if status == "paused":
        _guard_admin_loss(actor, target, _("You cannot pause your own account."))
    with unit_of_work():
        record(actor, "pause" if status == "paused" else "resume", "user", target.id,
               {"status": target.status}, {"status": status})
        target.status = status
