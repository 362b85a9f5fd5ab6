"""Improvement items and the departments that own them.

Rules:
- Departments are managed by admins: a unique name (any case), an A and a B contact who are
  active staff users and not the same person. Editing one names the version its form was opened
  at: a stale save is a Conflict, like an item's.
- An item's status moves only along domain.ITEM_TRANSITIONS; rejecting needs a reason.
  Reaching done sets closed_at, leaving done clears it. A status change is announced with
  `signals.item_changed`, in the same unit of work: notifications tells the members whose
  submissions are linked once the item is done or verified. Improvements never imports triage;
  linking a submission (and creating an item from one) is triage's.
- Saving an item names the version the form was opened on: if someone saved in between the save
  is refused (`portal.errors.Conflict`) and nothing is overwritten.
- Overdue: due_on before Shanghai's today and the status not closed. `escalate_overdue` tells
  the department's B contact once per due date.
- Every change runs in one unit of work and writes its audit entry in it; an item's History is
  `audit.history("item", id)` (its fields and linked submissions read as history.py describes).
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _, ngettext
from sqlalchemy import Select, and_, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.sql.functions import FunctionElement

from portal import domain, permissions, search, signals
from portal.accounts.models import User
from portal.audit import services as audit
from portal.db import db, unit_of_work, utcnow
from portal.errors import Refused
from portal.improvements import confirmations
from portal.improvements.models import Department, ImprovementItem, escalation_pending
from portal.notifications import services as notices
from portal.pagination import Page, paginate
from portal.text import clean_text
from portal.triage.models import submission_items
from portal.versioning import check_version

PER_PAGE = 25
ITEM_FIELDS = ("title", "description", "commitment", "department_id", "priority", "due_on",
               "status", "rejection_reason", "dmaic_phase", "resolution_note", "closed_at")
DEPARTMENT_FIELDS = ("name", "a_contact_id", "b_contact_id")
SEARCH_MAX = 100


class ItemRefused(Refused):
    """The item cannot be saved so; str(exc) says why, `field` names the form field at fault."""


class DepartmentRefused(Refused):
    """The department cannot be saved so; str(exc) says why, `field` names the field at fault."""


# ---------------------------------------------------------------------------------------------
# Staff and departments


def staff_users() -> list[User]:
    """Active staff users: the people a submission may be assigned to and a department's
    contacts (the one such list)."""
    return list(db.scalars(
        select(User)
        .where(User.role.in_(permissions.holders("staff.home")), User.status == "active")
        .order_by(User.name, User.id)
    ))


def departments() -> list[Department]:
    return list(db.scalars(
        select(Department)
        .options(joinedload(Department.a_contact), joinedload(Department.b_contact))
        .order_by(Department.name, Department.id)
    ))


def get_department(viewer, department_id: int) -> Department | None:
    """The department, for a viewer who may manage departments; else None."""
    if not permissions.can("departments.manage", viewer):
        return None
    return db.get(Department, department_id)


def _check_department(dep_id: int | None, name: str, a_contact_id: int | None,
                      b_contact_id: int | None) -> str:
    name = clean_text(name)
    if not name:
        raise DepartmentRefused(_("Please give a name."), "name")
    clash = db.scalar(
        select(Department.id).where(func.lower(Department.name) == name.lower(),
                                    Department.id != (dep_id or 0))
    )
    if clash:
        raise DepartmentRefused(_("A department with this name already exists."), "name")
    allowed = {u.id for u in staff_users()}
    for value, fld in ((a_contact_id, "a_contact_id"), (b_contact_id, "b_contact_id")):
        if value is None or value not in allowed:
            raise DepartmentRefused(_("Please choose an active staff member."), fld)
    if a_contact_id == b_contact_id:
        raise DepartmentRefused(_("The A contact and the B contact must be different people."),
                                "b_contact_id")
    return name


def create_department(actor: User, *, name: str, a_contact_id: int | None,
                      b_contact_id: int | None) -> Department:
    name = _check_department(None, name, a_contact_id, b_contact_id)
    try:
        with unit_of_work():
            dep = Department(name=name, a_contact_id=a_contact_id, b_contact_id=b_contact_id)
            db.add(dep)
            db.flush()
            audit.record(actor, "create", "department", dep.id, None,
                         audit.snapshot(dep, DEPARTMENT_FIELDS))
    except IntegrityError:  # the same name saved meanwhile
        raise DepartmentRefused(_("A department with this name already exists."), "name") from None
    return dep


def update_department(actor: User, dep: Department, *, name: str, a_contact_id: int | None,
                      b_contact_id: int | None, version: int | None = None) -> Department:
    """Save the department as edited on a form opened at `version` (Conflict when stale)."""
    check_version(dep, version)
    name = _check_department(dep.id, name, a_contact_id, b_contact_id)
    try:
        with unit_of_work():
            before = audit.snapshot(dep, DEPARTMENT_FIELDS)
            dep.name, dep.a_contact_id, dep.b_contact_id = name, a_contact_id, b_contact_id
            after = audit.snapshot(dep, DEPARTMENT_FIELDS)
            if before != after:
                audit.record(actor, "update", "department", dep.id, before, after)
    except IntegrityError:
        raise DepartmentRefused(_("A department with this name already exists."), "name") from None
    return dep


# ---------------------------------------------------------------------------------------------
# Item lists


def _int(value) -> int | None:
    value = (value or "").strip() if isinstance(value, str) else value
    if isinstance(value, int):
        return value
    return int(value) if value and value.isdigit() and len(value) < 10 else None


def _date(value) -> date | None:
    try:
        return date.fromisoformat((value or "").strip()) if value else None
    except ValueError:
        return None


@dataclass
class ItemFilters:
    """The item list's filters; values outside the vocabularies are ignored."""

    status: str | None = None
    department_id: int | None = None
    commitment: str | None = None
    priority: str | None = None
    overdue: bool = False
    due_from: date | None = None
    due_to: date | None = None
    q: str | None = None

    @classmethod
    def from_args(cls, args) -> ItemFilters:
        def valid(name, vocabulary):
            value = args.get(name) or ""
            return value if value in vocabulary else None

        q = clean_text(args.get("q"))[:SEARCH_MAX] or None
        return cls(
            status=valid("status", domain.ITEM_STATUSES),
            department_id=_int(args.get("department_id")),
            commitment=valid("commitment", domain.COMMITMENTS),
            priority=valid("priority", domain.PRIORITIES),
            overdue=(args.get("overdue") or "") in ("y", "1", "true", "on"),
            due_from=_date(args.get("due_from")),
            due_to=_date(args.get("due_to")),
            q=q,
        )


def overdue_clause(today: date):
    return and_(ImprovementItem.due_on.is_not(None), ImprovementItem.due_on < today,
                ImprovementItem.status.not_in(domain.ITEM_CLOSED_STATUSES))


def is_overdue(item: ImprovementItem, today: date | None = None) -> bool:
    today = today or domain.shanghai_today()
    return bool(item.due_on and item.due_on < today
                and item.status not in domain.ITEM_CLOSED_STATUSES)


def item_query(filters: ItemFilters, today: date | None = None) -> Select:
    """Items matching `filters`, newest first (created_at desc, id desc)."""
    stmt = select(ImprovementItem).order_by(ImprovementItem.created_at.desc(),
                                            ImprovementItem.id.desc())
    if filters.status:
        stmt = stmt.where(ImprovementItem.status == filters.status)
    if filters.department_id:
        stmt = stmt.where(ImprovementItem.department_id == filters.department_id)
    if filters.commitment:
        stmt = stmt.where(ImprovementItem.commitment == filters.commitment)
    if filters.priority:
        stmt = stmt.where(ImprovementItem.priority == filters.priority)
    if filters.overdue:
        stmt = stmt.where(overdue_clause(today or domain.shanghai_today()))
    if filters.due_from:
        stmt = stmt.where(ImprovementItem.due_on >= filters.due_from)
    if filters.due_to:
        stmt = stmt.where(ImprovementItem.due_on <= filters.due_to)
    if filters.q:
        stmt = stmt.where(search.matches(ImprovementItem, filters.q))
    return stmt


def linked_count():
    """A correlated count of the submissions linked to each item, for lists and exports."""
    return (
        select(func.count())
        .select_from(submission_items)
        .where(submission_items.c.item_id == ImprovementItem.id)
        .correlate(ImprovementItem)
        .scalar_subquery()
        .label("linked_count")
    )


@dataclass
class ItemRow:
    item: ImprovementItem
    linked_count: int
    overdue: bool


def item_list(filters: ItemFilters) -> Page:
    today = domain.shanghai_today()
    stmt = (
        item_query(filters, today)
        .add_columns(linked_count())
        .options(joinedload(ImprovementItem.department))
    )
    page = paginate(stmt, per_page=PER_PAGE, scalars=False)
    page.items = [ItemRow(item=r[0], linked_count=r[1] or 0, overdue=is_overdue(r[0], today))
                  for r in page.items]
    return page


# ---------------------------------------------------------------------------------------------
# One item


def get_item(viewer, item_id: int) -> ImprovementItem | None:
    """The item with what its page shows, for a viewer who may see items; else None."""
    if not permissions.can("items.view", viewer):
        return None
    return db.scalar(
        select(ImprovementItem)
        .where(ImprovementItem.id == item_id)
        .options(
            joinedload(ImprovementItem.department).joinedload(Department.a_contact),
            joinedload(ImprovementItem.department).joinedload(Department.b_contact),
            joinedload(ImprovementItem.created_by),
            selectinload(ImprovementItem.submissions),
        )
    )


def _check_choice(out: dict[str, Any], name: str, vocabulary) -> None:
    if out.get(name) not in vocabulary:
        raise ItemRefused(_("The item has a value that is not allowed."), name)


def _check_fields(fields: dict[str, Any]) -> dict[str, Any]:
    out = dict(fields)
    out["title"] = clean_text(out.get("title"))
    if not out["title"]:
        raise ItemRefused(_("Please give a title."), "title")
    for name in ("description", "resolution_note"):
        out[name] = clean_text(out.get(name))
    out["commitment"] = out.get("commitment") or None
    if out["commitment"] is not None:
        _check_choice(out, "commitment", domain.COMMITMENTS)
    _check_choice(out, "priority", domain.PRIORITIES)
    _check_choice(out, "dmaic_phase", domain.DMAIC_PHASES)
    out["department_id"] = out.get("department_id") or None
    if out["department_id"] is not None and db.get(Department, out["department_id"]) is None:
        raise ItemRefused(_("The item has a value that is not allowed."), "department_id")
    return out


def create_item(actor: User, **fields) -> ImprovementItem:
    """A new proposed item, audited, in one unit of work (or the caller's: triage links it to
    the submission it answers in the same one)."""
    values = _check_fields({
        "description": "", "commitment": None, "priority": "normal", "dmaic_phase": "define",
        "resolution_note": "", **fields,
    })
    values.pop("status", None)
    values.pop("rejection_reason", None)
    with unit_of_work():
        new = ImprovementItem(status="proposed", created_by_id=actor.id, **values)
        db.add(new)
        db.flush()
        audit.record(actor, "create", "item", new.id, None, audit.snapshot(new, ITEM_FIELDS))
        if new.department_id:
            signals.item_department_set.send(new, actor=actor, old_department_id=None,
                                             new_department_id=new.department_id)
    return new


CLOSED_STATUSES = ("done", "verified")


def allowed_statuses(current: str) -> tuple[str, ...]:
    return (current, *domain.ITEM_TRANSITIONS.get(current, ()))


def _checked_move(item: ImprovementItem, status: str | None, reason: str | None) -> tuple[str, str | None]:
    """The status asked for (the current one when none) and the rejection reason, checked."""
    status = status or item.status
    reason = clean_text(reason) or None
    if status != item.status and status not in domain.ITEM_TRANSITIONS.get(item.status, ()):
        raise ItemRefused(
            _("An item cannot move from %(old)s to %(new)s.",
              old=domain.ITEM_STATUSES[item.status],
              new=domain.ITEM_STATUSES.get(status, status)), "status")
    if status == "rejected" and not reason:
        raise ItemRefused(_("Please give the reason for rejecting the item."), "rejection_reason")
    return status, reason


def _move(item: ImprovementItem, status: str, reason: str | None) -> None:
    """Set the status with what comes with it: the rejection reason, and closed_at set on
    reaching done and cleared on leaving it (done -> verified keeps it)."""
    old = item.status
    item.status = status
    item.rejection_reason = reason if status == "rejected" else None
    if status == "done" and old != "done":
        item.closed_at = utcnow()
    elif old == "done" and status not in ("done", "verified"):
        item.closed_at = None


def _check_verify(item: ImprovementItem, status: str, override: bool, reason: str) -> dict | None:
    """Verifying needs no open "not yet" answer of the members (confirmations), or an explicit
    override with a reason: what the override's audit entry records, None when none is needed."""
    if status != "verified" or item.status == "verified":
        return None
    still_open = confirmations.open_not_yet(item)
    if not still_open:
        return None
    if not override:
        raise ItemRefused(ngettext(
            "%(num)s member says it is not fixed yet. Reopen the item, or verify it anyway with "
            "a reason.",
            "%(num)s members say it is not fixed yet. Reopen the item, or verify it anyway with "
            "a reason.", still_open), "status")
    if not reason:
        raise ItemRefused(_("Please give the reason for verifying the item although members say it "
                            "is not fixed."), "override_reason")
    return {"open_not_yet": still_open, "reason": reason}


def update_item(actor: User, item: ImprovementItem, version: int | None, *,
                override_confirmations: bool = False, override_reason: str | None = None,
                **fields) -> ImprovementItem:
    """Save the item's fields and status as seen on a form opened at `version`. Verifying while
    members say "not yet" needs `override_confirmations` and an `override_reason`.

    Raises Conflict when the item changed since, ItemRefused for a change not allowed."""
    check_version(item, version)
    values = _check_fields(fields)
    status, reason = _checked_move(item, values.pop("status", None), values.pop("rejection_reason", None))
    if status in CLOSED_STATUSES and not values.get("resolution_note"):
        # Members see this note on their submissions once the item is done or verified.
        raise ItemRefused(_("Please write the resolution note members will see before closing the item."),
                          "resolution_note")
    override = _check_verify(item, status, override_confirmations, clean_text(override_reason))
    # The version the item was loaded at guards the UPDATE itself (version_id_col): a save that
    # slips in between the check above and the flush is a Conflict too (the unit of work's).
    with unit_of_work():
        before = audit.snapshot(item, ITEM_FIELDS)
        old_status = item.status
        for name, value in values.items():
            setattr(item, name, value)
        _move(item, status, reason)
        after = audit.snapshot(item, ITEM_FIELDS)
        if before == after:
            return item
        audit.record(actor, "update", "item", item.id, before, after)
        if override is not None:
            audit.record(actor, "verify_override", "item", item.id, None, override)
        if before.get("department_id") != after.get("department_id"):
            signals.item_department_set.send(item, actor=actor,
                                             old_department_id=before.get("department_id"),
                                             new_department_id=item.department_id)
        if status != old_status:
            signals.item_changed.send(item, actor=actor, old_status=old_status, new_status=status)
    return item


def reopen_item(actor: User, item: ImprovementItem, version: int | None) -> ImprovementItem:
    """Back from done to in progress (members said it is not fixed): the same transition,
    audit entry and signal as the edit form's."""
    if item.status != "done":
        raise ItemRefused(_("Only an item that is done can be reopened."), "status")
    fields = {name: getattr(item, name) for name in (
        "title", "description", "commitment", "department_id", "priority", "due_on",
        "dmaic_phase", "resolution_note")}
    return update_item(actor, item, version, status="in_progress", **fields)


# ---------------------------------------------------------------------------------------------
# Overdue escalation and supervision


OPEN_STATUSES = tuple(s for s in domain.ITEM_STATUSES if s not in domain.ITEM_CLOSED_STATUSES)


def _overdue_by_index(today: date):
    """overdue_clause spelt as a seek of the indexes on (status, due_on): the open statuses
    named (a NOT IN cannot seek), due before today (so not NULL)."""
    return and_(ImprovementItem.status.in_(OPEN_STATUSES), ImprovementItem.due_on < today)


def escalate_overdue(today: date | None = None) -> int:
    """Tell the B contact of each overdue item not yet told for its current due date.

    Items without a department or B contact wait until they have one. One unit of work; returns
    how many items were escalated."""
    today = today or domain.shanghai_today()
    with unit_of_work():
        # The predicate of ix_improvement_items_escalation as is, so that the database reads
        # that index: only the items still to tell, none when everyone was told.
        candidates = list(db.scalars(
            select(ImprovementItem)
            .where(_overdue_by_index(today), escalation_pending())
            .options(joinedload(ImprovementItem.department).joinedload(Department.b_contact))
            .order_by(ImprovementItem.id)
        ))
        return sum(1 for it in candidates if _escalate(it))


def _escalate(item: ImprovementItem) -> bool:
    due_start = domain.shanghai_midnight(item.due_on)
    if item.overdue_notified_at is not None and item.overdue_notified_at >= due_start:
        return False
    contact = item.department.b_contact if item.department else None
    if contact is None or contact.status != "active":
        return False
    # Claim the escalation with a plain UPDATE: it does not bump the item's version (an edit
    # form open meanwhile stays valid), and a second run at the same moment (the command and the
    # board) matches no row and tells nobody twice.
    now = utcnow()
    table = ImprovementItem.__table__
    claimed = db.execute(
        update(table)
        .where(table.c.id == item.id,
               or_(table.c.overdue_notified_at.is_(None), table.c.overdue_notified_at < due_start))
        .values(overdue_notified_at=now)
    ).rowcount
    if claimed != 1:
        return False
    notices.notify_item_overdue(item, contact)
    audit.record(None, "escalate", "item", item.id, None, {"overdue_notified_at": now})
    return True


@dataclass
class DepartmentStats:
    department: Department | None
    open: int = 0
    overdue: int = 0
    median_days: float | None = None


def median_days_to_close(pairs) -> float | None:
    days = [(closed - created).total_seconds() / 86400 for created, closed in pairs
            if created and closed]
    return round(statistics.median(days), 1) if days else None


class _time_to_close(FunctionElement):
    """closed_at - created_at as something the database orders by: days as a float on SQLite
    (julianday: millisecond precision), an interval on PostgreSQL."""

    inherit_cache = True
    name = "time_to_close"


@compiles(_time_to_close)
def _time_to_close_sqlite(element, compiler, **kw):
    created, closed = (compiler.process(c, **kw) for c in element.clauses)
    return f"(julianday({closed}) - julianday({created}))"


@compiles(_time_to_close, "postgresql")
def _time_to_close_postgresql(element, compiler, **kw):
    created, closed = (compiler.process(c, **kw) for c in element.clauses)
    return f"({closed} - {created})"


def _middle_closed_items():
    """Per department, the one or two closed items in the middle of its times to close (the
    median's operands): the database ranks them, so only those rows come back, however many
    items were closed."""
    item = ImprovementItem
    by_department = dict(partition_by=item.department_id)
    ranked = (
        select(item.department_id, item.created_at, item.closed_at,
               func.row_number().over(
                   **by_department, order_by=(_time_to_close(item.created_at, item.closed_at),
                                              item.id)).label("rank"),
               func.count().over(**by_department).label("closed"))
        .where(item.status.in_(domain.ITEM_OUTCOME_STATUSES), item.closed_at.is_not(None),
               item.created_at.is_not(None))
        .subquery()
    )
    return (select(ranked.c.department_id, ranked.c.created_at, ranked.c.closed_at)
            .where(or_(ranked.c.rank == (ranked.c.closed + 1) // 2,
                       ranked.c.rank == (ranked.c.closed + 2) // 2)))


# The board shows this many of the overdue items, the longest overdue; the item list filtered to
# overdue has them all. Few enough that a board with hundreds of late items renders in about the
# time of one with a handful.
OVERDUE_SHOWN = 10


def supervision(today: date | None = None,
                shown: int = OVERDUE_SHOWN) -> tuple[list[DepartmentStats], list[ItemRow]]:
    """Per department: open, overdue, median days to close; and the `shown` most overdue items,
    oldest due date first, with their linked counts (5 queries; 4 when none is overdue). How many
    are overdue in all is the sum of the departments' `overdue`."""
    today = today or domain.shanghai_today()
    open_case = case((ImprovementItem.status.not_in(domain.ITEM_CLOSED_STATUSES), 1), else_=0)
    overdue_case = case((overdue_clause(today), 1), else_=0)
    counts = {
        row[0]: (int(row[1] or 0), int(row[2] or 0))
        for row in db.execute(
            select(ImprovementItem.department_id, func.sum(open_case), func.sum(overdue_case))
            .group_by(ImprovementItem.department_id)
        )
    }
    # The median of the middle one or two is the median of all (median_days_to_close).
    closed: dict[int | None, list] = {}
    for dep_id, created, closed_at in db.execute(_middle_closed_items()):
        closed.setdefault(dep_id, []).append((created, closed_at))
    stats = []
    for dep in departments():
        o, d = counts.get(dep.id, (0, 0))
        stats.append(DepartmentStats(dep, o, d, median_days_to_close(closed.get(dep.id, []))))
    if None in counts or None in closed:
        o, d = counts.get(None, (0, 0))
        stats.append(DepartmentStats(None, o, d, median_days_to_close(closed.get(None, []))))
    return stats, _most_overdue(today, shown)


def overdue_returns(today: date | None = None, shown: int = OVERDUE_SHOWN):
    """The board's overdue terminal and SIM returns: the `shown` most overdue and how many in all
    (capped); two statements (`trials.logistics.most_overdue`)."""
    from portal.trials.logistics import most_overdue

    return most_overdue(today or domain.shanghai_today(), shown)


def _most_overdue(today: date, shown: int) -> list[ItemRow]:
    """The `shown` overdue items due the longest ago, with their linked counts. The ids come
    from the (status, due_on) index alone and the counts from one grouped query of those items,
    so only the rows shown are read, however many are overdue."""
    by_due_date = (ImprovementItem.due_on, ImprovementItem.id)
    items = list(db.scalars(
        select(ImprovementItem)
        .where(ImprovementItem.id.in_(
            select(ImprovementItem.id).where(_overdue_by_index(today)).order_by(*by_due_date)
            .limit(shown).scalar_subquery()))
        .options(joinedload(ImprovementItem.department))
        .order_by(*by_due_date)
    ))
    if not items:
        return []
    link = submission_items.c
    linked = dict(db.execute(
        select(link.item_id, func.count())
        .where(link.item_id.in_([it.id for it in items]))
        .group_by(link.item_id)
    ).all())
    return [ItemRow(item=it, linked_count=linked.get(it.id, 0), overdue=True) for it in items]
