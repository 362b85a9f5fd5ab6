"""Improvement items and the departments that own them.

Rules:
- Departments are managed by admins: a unique name (any case), an A and a B contact who are
  active staff users and not the same person.
- An item's status moves only along domain.ITEM_TRANSITIONS; rejecting needs a reason.
  Reaching done sets closed_at, leaving done clears it. Reaching done or verified tells the
  members whose submissions are linked (notifications.services.notify_item_closed), in the
  same transaction.
- Saving an item names the version the form was opened on: if someone saved in between the save
  is refused (ItemConflict) and nothing is overwritten.
- Overdue: due_on before Shanghai's today and the status not closed. `escalate_overdue` tells
  the department's B contact once per due date.
- Every staff change writes an audit entry in the same transaction; an item's timeline is its
  audit entries.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from typing import Any

from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from portal import domain
from portal.accounts.models import User
from portal.audit import services as audit
from portal.audit.models import AuditEntry
from portal.db import db, utcnow
from portal.improvements.models import Department, ImprovementItem
from portal.notifications import services as notices
from portal.pagination import Page, paginate
from portal.triage.models import Submission, submission_items

PER_PAGE = 25
# Who may change items and see supervision; product staff may only read items.
EDIT_ROLES = ("office", "admin")
VIEW_ROLES = ("product", "office", "admin")
ITEM_FIELDS = ("title", "description", "commitment", "department_id", "priority", "due_on",
               "status", "rejection_reason", "dmaic_phase", "resolution_note", "closed_at")
DEPARTMENT_FIELDS = ("name", "a_contact_id", "b_contact_id")
SEARCH_MAX = 100


class ItemRefused(Exception):
    """The change cannot be saved; str(exc) says why. `field` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class ItemConflict(Exception):
    """Someone saved the item after the form was opened; `current` is the item as it is now."""

    def __init__(self, current: ImprovementItem | None):
        super().__init__(_("Someone else changed this item while you were editing it. Your "
                           "changes were not saved. The current values are shown below; check "
                           "them and save again."))
        self.current = current


class DepartmentRefused(Exception):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def clean_text(value: str | None) -> str:
    if value is None:
        return ""
    return value.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").strip()


# ---------------------------------------------------------------------------------------------
# Departments


def staff_users() -> list[User]:
    """Active staff users, the people who may be a department's contacts."""
    return list(db.scalars(
        select(User)
        .where(User.role.in_(domain.STAFF_ROLES), User.status == "active")
        .order_by(User.name, User.id)
    ))


def departments() -> list[Department]:
    return list(db.scalars(
        select(Department)
        .options(joinedload(Department.a_contact), joinedload(Department.b_contact))
        .order_by(Department.name, Department.id)
    ))


def department(department_id: int) -> Department | None:
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


def _commit():
    try:
        db.commit()
    except Exception:
        db.rollback()
        raise


def create_department(actor: User, *, name: str, a_contact_id: int | None,
                      b_contact_id: int | None) -> Department:
    name = _check_department(None, name, a_contact_id, b_contact_id)
    dep = Department(name=name, a_contact_id=a_contact_id, b_contact_id=b_contact_id)
    db.add(dep)
    db.flush()
    audit.record(actor, "create", "department", dep.id, None,
                 audit.snapshot(dep, DEPARTMENT_FIELDS))
    try:
        _commit()
    except IntegrityError:
        raise DepartmentRefused(_("A department with this name already exists."), "name")
    return dep


def update_department(actor: User, dep: Department, *, name: str, a_contact_id: int | None,
                      b_contact_id: int | None) -> Department:
    name = _check_department(dep.id, name, a_contact_id, b_contact_id)
    before = audit.snapshot(dep, DEPARTMENT_FIELDS)
    dep.name, dep.a_contact_id, dep.b_contact_id = name, a_contact_id, b_contact_id
    after = audit.snapshot(dep, DEPARTMENT_FIELDS)
    if before != after:
        audit.record(actor, "update", "department", dep.id, before, after)
    try:
        _commit()
    except IntegrityError:
        raise DepartmentRefused(_("A department with this name already exists."), "name")
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
    def from_args(cls, args) -> "ItemFilters":
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
        stmt = stmt.where(or_(
            ImprovementItem.title.icontains(filters.q, autoescape=True),
            ImprovementItem.description.icontains(filters.q, autoescape=True),
        ))
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


def item(item_id: int) -> ImprovementItem | None:
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


def submission(submission_id: int | None) -> Submission | None:
    return db.get(Submission, submission_id) if submission_id else None


def prefill_from(sub: Submission) -> dict[str, Any]:
    """Form values for a new item answering `sub`."""
    return dict(title=clean_text(sub.title)[:200], commitment=sub.commitment,
                description=clean_text(sub.description))


def _check_fields(fields: dict[str, Any]) -> dict[str, Any]:
    out = dict(fields)
    out["title"] = clean_text(out.get("title"))
    if not out["title"]:
        raise ItemRefused(_("Please give a title."), "title")
    for name in ("description", "resolution_note"):
        out[name] = clean_text(out.get(name))
    if out.get("commitment") in ("", None):
        out["commitment"] = None
    elif out["commitment"] not in domain.COMMITMENTS:
        raise ItemRefused(_("The item has a value that is not allowed."), "commitment")
    if out.get("priority") not in domain.PRIORITIES:
        raise ItemRefused(_("The item has a value that is not allowed."), "priority")
    if out.get("dmaic_phase") not in domain.DMAIC_PHASES:
        raise ItemRefused(_("The item has a value that is not allowed."), "dmaic_phase")
    dep_id = out.get("department_id") or None
    if dep_id is not None and db.get(Department, dep_id) is None:
        raise ItemRefused(_("The item has a value that is not allowed."), "department_id")
    out["department_id"] = dep_id
    return out


def _link_submission(actor: User, sub: Submission, item_: ImprovementItem) -> None:
    """Link through triage (sets the submission 'linked', audited; no commit)."""
    from portal.triage.services import link_items

    link_items(actor, sub, [item_])


def create_item(actor: User, *, submission: Submission | None = None, **fields) -> ImprovementItem:
    """A new proposed item; linked to `submission` when given. One transaction, audited."""
    values = _check_fields({
        "description": "", "commitment": None, "priority": "normal", "dmaic_phase": "define",
        "resolution_note": "", **fields,
    })
    values.pop("status", None)
    values.pop("rejection_reason", None)
    new = ImprovementItem(status="proposed", created_by_id=actor.id, **values)
    db.add(new)
    db.flush()
    audit.record(actor, "create", "item", new.id, None, audit.snapshot(new, ITEM_FIELDS))
    if submission is not None:
        _link_submission(actor, submission, new)
    _commit()
    return new


def allowed_statuses(current: str) -> tuple[str, ...]:
    return (current, *domain.ITEM_TRANSITIONS.get(current, ()))


def update_item(actor: User, item_id: int, version: int | None, **fields) -> ImprovementItem:
    """Save the item's fields and status as seen on a form opened at `version`.

    Raises ItemConflict when the item changed since, ItemRefused for a disallowed change."""
    current = db.get(ImprovementItem, item_id, populate_existing=True)
    if current is None:
        raise ItemConflict(None)
    if version is None or current.version != version:
        raise ItemConflict(current)
    values = _check_fields(fields)
    status = values.pop("status", current.status) or current.status
    reason = clean_text(values.pop("rejection_reason", "")) or None
    if status != current.status and status not in domain.ITEM_TRANSITIONS.get(current.status, ()):
        raise ItemRefused(
            _("An item cannot move from %(old)s to %(new)s.",
              old=domain.ITEM_STATUSES[current.status],
              new=domain.ITEM_STATUSES.get(status, status)), "status")
    if status == "rejected" and not reason:
        raise ItemRefused(_("Please give the reason for rejecting the item."), "rejection_reason")

    before = audit.snapshot(current, ITEM_FIELDS)
    old_status = current.status
    for name, value in values.items():
        setattr(current, name, value)
    current.status = status
    current.rejection_reason = reason if status == "rejected" else None
    if status == "done" and old_status != "done":
        current.closed_at = utcnow()
    elif old_status == "done" and status not in ("done", "verified"):
        current.closed_at = None
    after = audit.snapshot(current, ITEM_FIELDS)
    if before == after:
        return current
    # The version named by the form guards the UPDATE itself (version_id_col): a save that
    # slipped in between the check above and this flush raises StaleDataError.
    audit.record(actor, "update", "item", current.id, before, after)
    if status != old_status and status in domain.ITEM_OUTCOME_STATUSES:
        notices.notify_item_closed(current)
    try:
        db.commit()
    except StaleDataError:
        db.rollback()
        raise ItemConflict(db.get(ImprovementItem, item_id, populate_existing=True))
    except Exception:
        db.rollback()
        raise
    return current


# ---------------------------------------------------------------------------------------------
# Timeline: the item's audit entries, readable


FIELD_LABELS = {
    "title": _l("Title"),
    "description": _l("Description"),
    "commitment": _l("Service commitment"),
    "department_id": _l("Department"),
    "priority": _l("Priority"),
    "due_on": _l("Due date"),
    "status": _l("Status"),
    "rejection_reason": _l("Reason for rejection"),
    "dmaic_phase": _l("DMAIC phase"),
    "resolution_note": _l("Resolution note"),
    "closed_at": _l("Closed at"),
    "submissions": _l("Linked submissions"),
    "overdue_notified_at": _l("Overdue notice sent"),
    "notified": _l("Notified"),
}
ACTION_LABELS = {
    "create": _l("Created"),
    "update": _l("Changed"),
    "link": _l("Linked"),
    "unlink": _l("Unlinked"),
    "escalate": _l("Overdue notice sent"),
}
VOCABULARIES = {
    "commitment": domain.COMMITMENTS,
    "priority": domain.PRIORITIES,
    "status": domain.ITEM_STATUSES,
    "dmaic_phase": domain.DMAIC_PHASES,
}


@dataclass
class Change:
    label: Any
    before: Any
    after: Any


@dataclass
class TimelineEntry:
    entry: AuditEntry
    action: Any
    actor: str | None
    changes: list[Change] = field(default_factory=list)


def _shown(name: str, value: Any, names: dict[int, str]) -> Any:
    if value is None or value == "" or value == []:
        return "—"
    if name in VOCABULARIES:
        return VOCABULARIES[name].get(value, value)
    if name == "department_id":
        return names.get(value, f"#{value}")
    if name == "due_on":
        try:
            return format_date(date.fromisoformat(value))
        except (TypeError, ValueError):
            return value
    if name in ("closed_at", "overdue_notified_at"):
        try:
            return format_datetime(datetime.fromisoformat(value))
        except (TypeError, ValueError):
            return value
    if isinstance(value, list):
        return ", ".join(f"#{v}" for v in value)
    return value


def _touches(entry: AuditEntry, item_id: int) -> bool:
    """Whether a submission's link/unlink entry added or removed this item."""
    before = set((entry.before or {}).get("items") or [])
    after = set((entry.after or {}).get("items") or [])
    return item_id in before ^ after


def timeline(item_id: int) -> list[TimelineEntry]:
    """Every recorded change of the item, newest first (two queries)."""
    linked_ids = select(submission_items.c.submission_id).where(
        submission_items.c.item_id == item_id).scalar_subquery()
    entries = [
        e for e in db.scalars(
            select(AuditEntry)
            .where(or_(
                and_(AuditEntry.object_type == "item", AuditEntry.object_id == item_id),
                and_(AuditEntry.object_type == "submission", AuditEntry.object_id.in_(linked_ids),
                     AuditEntry.action.contains("link")),
            ))
            .options(joinedload(AuditEntry.actor))
            .order_by(AuditEntry.id.desc())
        )
        if e.object_type == "item" or _touches(e, item_id)
    ]
    dep_ids = set()
    for e in entries:
        for side in (e.before or {}, e.after or {}):
            if isinstance(side.get("department_id"), int):
                dep_ids.add(side["department_id"])
    names = dict(db.execute(select(Department.id, Department.name)
                            .where(Department.id.in_(dep_ids))).all()) if dep_ids else {}
    out = []
    for e in entries:
        if e.object_type == "submission":
            linked = item_id in ((e.after or {}).get("items") or [])
            out.append(TimelineEntry(
                entry=e, action=ACTION_LABELS["link" if linked else "unlink"],
                actor=e.actor.name if e.actor else None,
                changes=[Change(FIELD_LABELS["submissions"], "—" if linked else f"#{e.object_id}",
                                f"#{e.object_id}" if linked else "—")]))
            continue
        before, after = e.before or {}, e.after or {}
        keys = [k for k in FIELD_LABELS if k in before or k in after]
        changes = [Change(FIELD_LABELS[k], _shown(k, before.get(k), names),
                          _shown(k, after.get(k), names)) for k in keys]
        out.append(TimelineEntry(entry=e, action=ACTION_LABELS.get(e.action, e.action),
                                 actor=e.actor.name if e.actor else None, changes=changes))
    return out


# ---------------------------------------------------------------------------------------------
# Overdue escalation and supervision


def _start_of(day: date) -> datetime:
    """Midnight at the start of `day` in Shanghai, as UTC."""
    return datetime.combine(day, time(), tzinfo=domain.SHANGHAI).astimezone(timezone.utc)


def escalate_overdue(today: date | None = None) -> int:
    """Tell the B contact of each overdue item not yet told for its current due date.

    Items without a department or B contact wait until they have one. Commits; returns how many
    items were escalated."""
    today = today or domain.shanghai_today()
    candidates = list(db.scalars(
        select(ImprovementItem)
        .where(overdue_clause(today), ImprovementItem.department_id.is_not(None))
        .options(joinedload(ImprovementItem.department).joinedload(Department.b_contact))
        .order_by(ImprovementItem.id)
    ))
    done = 0
    for it in candidates:
        notified = it.overdue_notified_at
        if notified is not None and notified >= _start_of(it.due_on):
            continue
        contact = it.department.b_contact if it.department else None
        if contact is None or contact.status != "active":
            continue
        # Claim the escalation with a plain UPDATE: it does not bump the item's version (an
        # edit form open meanwhile stays valid), and a second run at the same moment (the
        # command and the board) matches no row and tells nobody twice.
        now = utcnow()
        table = ImprovementItem.__table__
        claimed = db.execute(
            update(table)
            .where(table.c.id == it.id,
                   or_(table.c.overdue_notified_at.is_(None),
                       table.c.overdue_notified_at < _start_of(it.due_on)))
            .values(overdue_notified_at=now)
        ).rowcount
        if claimed != 1:
            continue
        notices.notify_item_overdue(it, contact)
        audit.record(None, "escalate", "item", it.id, None, {"overdue_notified_at": now})
        done += 1
    if done:
        _commit()
    return done


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


def supervision(today: date | None = None) -> tuple[list[DepartmentStats], list[ItemRow]]:
    """Per department: open, overdue, median days to close; and the overdue items (4 queries)."""
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
    closed: dict[int | None, list] = {}
    for dep_id, created, closed_at in db.execute(
        select(ImprovementItem.department_id, ImprovementItem.created_at, ImprovementItem.closed_at)
        .where(ImprovementItem.status.in_(domain.ITEM_OUTCOME_STATUSES),
               ImprovementItem.closed_at.is_not(None))
    ):
        closed.setdefault(dep_id, []).append((created, closed_at))
    stats = []
    for dep in departments():
        o, d = counts.get(dep.id, (0, 0))
        stats.append(DepartmentStats(dep, o, d, median_days_to_close(closed.get(dep.id, []))))
    if None in counts or None in closed:
        o, d = counts.get(None, (0, 0))
        stats.append(DepartmentStats(None, o, d, median_days_to_close(closed.get(None, []))))
    overdue_items = [
        ItemRow(item=r[0], linked_count=r[1] or 0, overdue=True)
        for r in db.execute(
            select(ImprovementItem, linked_count())
            .where(overdue_clause(today))
            .options(joinedload(ImprovementItem.department))
            .order_by(ImprovementItem.due_on, ImprovementItem.id)
        )
    ]
    return stats, overdue_items
