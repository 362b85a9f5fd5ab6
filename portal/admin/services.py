"""Staff accounts: create, change role, pause and resume.

Rules:
- Only staff accounts are managed here (members are paused from the member list).
- The site keeps at least one active administrator: the last one cannot be paused nor given
  another role, and nobody pauses themselves or takes away their own role. This rule is about
  the administrator role itself, so it names it (`permissions.ADMIN`).
- Staff accounts are the staff roles and district-branch staff (`ACCOUNT_ROLES`). A user's unit
  (users.unit_id) follows the role: district-branch staff belong to a district branch (required);
  other staff may belong to a department (its contacts) or to no unit (the service office
  outside every unit is the hotline's supervision office, see permissions.supervises_hotline).
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
from portal.improvements.models import Unit

# The roles of the accounts managed here: staff, and district-branch staff (who are not in
# permissions.STAFF: they see nothing of the staff side but the hotline).
ACCOUNT_ROLES = (*permissions.STAFF, permissions.BRANCH)
DISTRICT_BRANCH = "district_branch"


class StaffError(AccountError):
    """The change to a staff account is refused; the message says why."""


def _is_staff_row():
    return User.role.in_(ACCOUNT_ROLES)


def check_unit(role: str, unit_id: int | None) -> int | None:
    """The unit a user of `role` may belong to, or StaffError (field "unit_id")."""
    if role not in ACCOUNT_ROLES:
        raise StaffError(_("Choose a staff role."), field="role")
    unit = db.get(Unit, unit_id) if unit_id else None
    if unit_id and unit is None:
        raise StaffError(_("Please choose a unit from the list."), field="unit_id")
    if role == permissions.BRANCH:
        if unit is None or unit.kind != DISTRICT_BRANCH:
            raise StaffError(_("District branch staff need their district branch as their unit."),
                             field="unit_id")
    elif unit is not None and unit.kind == DISTRICT_BRANCH:
        raise StaffError(_("Only district branch staff belong to a district branch; choose a "
                           "department or no unit."), field="unit_id")
    return unit.id if unit is not None else None


def create_staff_account(email: str, name: str, role: str, password: str, unit_id: int | None,
                         actor: User | None = None) -> User:
    """A new staff account of `role` in `unit_id` (checked by `check_unit`)."""
    unit_id = check_unit(role, unit_id)
    return create_staff_user(email, name, role, password, actor=actor, unit_id=unit_id)


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
    """The role alone (the staff list's inline form): the user keeps their unit."""
    update_staff(actor, target, role, target.unit_id)


def update_staff(actor: User, target: User, role: str, unit_id: int | None) -> None:
    """A staff account's role and unit, checked together (a branch role needs a branch unit)."""
    unit_id = check_unit(role, unit_id)
    if role == target.role and unit_id == target.unit_id:
        return
    if role != target.role:
        if target.role == permissions.ADMIN:
            _guard_admin_loss(actor, target, _("You cannot take away your own administrator role."))
        elif target.id == actor.id:
            raise StaffError(_("You cannot change your own role."))
    with unit_of_work():
        if role != target.role:
            record(actor, "change_role", "user", target.id, {"role": target.role}, {"role": role})
            target.role = role
        if unit_id != target.unit_id:
            record(actor, "change_unit", "user", target.id, {"unit_id": target.unit_id},
                   {"unit_id": unit_id})
            target.unit_id = unit_id


def unit_choices(blank: str) -> list[tuple[str, str]]:
    """Every unit for the account forms: departments first, then district branches (a few dozen
    rows, one statement)."""
    from portal.supervision.units import unit_label

    rows = db.scalars(select(Unit).order_by(Unit.kind, Unit.district, Unit.name))
    return [("", blank)] + [(str(u.id), unit_label(u)) for u in rows]


def units_by_id(ids: set[int]) -> dict[int, Unit]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {u.id: u for u in db.scalars(select(Unit).where(Unit.id.in_(ids)))}


def set_status(actor: User, target: User, status: str) -> None:
    if status == target.status:
        return
    if status == "paused":
        _guard_admin_loss(actor, target, _("You cannot pause your own account."))
    with unit_of_work():
        record(actor, "pause" if status == "paused" else "resume", "user", target.id,
               {"status": target.status}, {"status": status})
        target.status = status
