"""Recording staff actions. `record` adds the entry to the caller's transaction, so the action
and its record are committed (or rolled back) together."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from flask_babel import format_date, gettext as _, lazy_gettext as _l
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from portal import domain
from portal.accounts.models import User
from portal.audit.models import AuditEntry
from portal.db import db


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def snapshot(obj: Any, fields: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """The named attributes of `obj` as JSON-ready values, for `before` / `after`."""
    return {name: _plain(getattr(obj, name)) for name in fields}


def record(actor, action: str, object_type: str, object_id: int | None,
           before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> AuditEntry:
    """Add an audit entry for `actor` (a User or None for the system) to the current transaction.

    Only the fields that changed are kept when both `before` and `after` are given."""
    if before is not None and after is not None:
        changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
        before = {k: v for k, v in before.items() if k in changed}
        after = {k: v for k, v in after.items() if k in changed}
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None), action=action, object_type=object_type,
        object_id=object_id, before=_plain(before) if before is not None else None,
        after=_plain(after) if after is not None else None,
    )
    db.add(entry)
    return entry


# --- the admin audit-log page ---------------------------------------------------------------------
# Reading only: the site offers no way to change or delete an entry.

OBJECT_TYPES = {
    "submission": _l("Submission"),
    "item": _l("Improvement item"),
    "department": _l("Department"),
    "user": _l("User account"),
    "invitation": _l("Invitation"),
    "export": _l("Export"),
    "trial": _l("Trial"),
    "consultation": _l("Consultation"),
}

# Labels of the actions written so far; an action not listed shows its code.
ACTIONS = {
    "create": _l("Added"),
    "update": _l("Changed"),
    "change_role": _l("Role changed"),
    "pause": _l("Paused"),
    "resume": _l("Resumed"),
    "export": _l("Exported"),
    "link": _l("Linked"),
    "escalate": _l("Overdue notice sent"),
    "submission.triage": _l("Triage saved"),
    "submission.note": _l("Internal note added"),
    "submission.link": _l("Linked to improvement items"),
    "submission.unlink": _l("Unlinked from an improvement item"),
    "submission.bulk_assign": _l("Assigned (bulk)"),
    "submission.bulk_status": _l("Status set (bulk)"),
    "submission.bulk_tag": _l("Tag added (bulk)"),
    "submission.bulk_link": _l("Linked to an improvement item (bulk)"),
    "trial.status": _l("Trial status changed"),
    "question.add": _l("Question added"),
    "question.update": _l("Question changed"),
    "question.delete": _l("Question deleted"),
    "question.move": _l("Question moved"),
    "enrollment.accept": _l("Application accepted"),
    "enrollment.decline": _l("Application declined"),
    "consultation.publish": _l("Consultation published"),
    "consultation.unpublish": _l("Consultation taken back to draft"),
}

FIELD_LABELS = {
    "status": _l("Status"), "role": _l("Role"), "name": _l("Name"), "email": _l("Email"),
    "segment": _l("Segment"), "days": _l("Valid for (days)"), "expires_at": _l("Expires"),
    "list": _l("List"), "format": _l("Format"), "filters": _l("Filters"), "rows": _l("Rows"),
    "title": _l("Title"), "description": _l("Description"), "priority": _l("Priority"),
    "commitment": _l("Commitment area"), "dmaic_phase": _l("DMAIC phase"), "due_on": _l("Due date"),
    "resolution_note": _l("Resolution note"), "tags": _l("Tags"), "note": _l("Internal note"),
    "assignee_id": _l("Assignee"), "department_id": _l("Department"),
    # trials, their questions and enrollment decisions
    "kind": _l("Kind"), "capacity": _l("Capacity"), "auto_accept": _l("Automatic acceptance"),
    "enrollment_opens_on": _l("Enrollment opens on"), "enrollment_closes_on": _l("Enrollment closes on"),
    "starts_on": _l("Trial starts on"), "ends_on": _l("Trial ends on"), "segments": _l("Target segments"),
    "question_id": _l("Question"), "prompt": _l("Question text"), "question_kind": _l("Question type"),
    "help_text": _l("Help text"), "required": _l("Required"), "options": _l("Options"),
    "position": _l("Position"), "enrollment_id": _l("Enrollment"), "member": _l("Member"),
    "enrollment_status": _l("Enrollment status"),
    # consultations
    "subject": _l("Subject"), "body": _l("Text"), "opens_on": _l("Opens on"),
    "closes_on": _l("Closes on"),
}

_VALUE_LABELS = {
    "role": domain.ROLES, "segment": domain.SEGMENTS, "priority": domain.PRIORITIES,
    "commitment": domain.COMMITMENTS, "dmaic_phase": domain.DMAIC_PHASES,
    "kind": domain.SUBMISSION_KINDS, "district": domain.DISTRICTS, "channel": domain.CHANNELS,
    "segments": domain.SEGMENTS, "question_kind": domain.QUESTION_KINDS,
    "enrollment_status": domain.ENROLLMENT_STATUSES, "subject": domain.CONSULTATION_SUBJECTS,
}
# Keys whose vocabulary depends on the object type.
_TYPE_VALUE_LABELS = {
    "trial": {"kind": domain.TRIAL_KINDS},
}
_STATUS_LABELS = {
    "user": domain.MEMBER_STATUSES, "submission": domain.SUBMISSION_STATUSES,
    "item": domain.ITEM_STATUSES, "trial": domain.TRIAL_STATUSES,
}
# Plain dates stored as ISO text, shown in the reader's format.
_DATE_KEYS = {"enrollment_opens_on", "enrollment_closes_on", "starts_on", "ends_on", "opens_on",
              "closes_on"}
# Ids of rows inside the object (a question, an enrollment), shown as "#12".
_ID_KEYS = {"question_id", "enrollment_id"}
PER_PAGE = 50
SYSTEM = "system"


def _value_text(object_type: str, key: str, value: Any) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(_value_text(object_type, key, v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}={_value_text(object_type, k, v)}" for k, v in value.items())
    if key in _DATE_KEYS and isinstance(value, str):
        try:
            return format_date(date.fromisoformat(value))
        except ValueError:
            return value
    if key in _ID_KEYS:
        return f"#{value}"
    if key == "status" and object_type == "consultation":
        from portal.opinions.services import CONSULTATION_STATUSES as vocabulary
    elif key == "status":
        vocabulary = _STATUS_LABELS.get(object_type, {})
    elif key in _TYPE_VALUE_LABELS.get(object_type, {}):
        vocabulary = _TYPE_VALUE_LABELS[object_type][key]
    elif key == "list":
        from portal.exports.services import LISTS as vocabulary
    else:
        vocabulary = _VALUE_LABELS.get(key, {})
    return str(vocabulary.get(value, value))


@dataclass
class Change:
    field: str
    before: str | None
    after: str | None


def changes(entry: AuditEntry) -> list[Change]:
    """The entry's values as readable (field, before, after) lines; before is None for a value
    that only has an after (a creation) and after None for one only before."""
    before, after = entry.before or {}, entry.after or {}
    keys = list(before) + [k for k in after if k not in before]
    return [
        Change(
            field=str(FIELD_LABELS.get(key, key)),
            before=_value_text(entry.object_type, key, before[key]) if key in before else None,
            after=_value_text(entry.object_type, key, after[key]) if key in after else None,
        )
        for key in keys
    ]


def action_label(code: str) -> str:
    return str(ACTIONS.get(code, code))


# --- an object's history (the "History" section of staff detail pages) -----------------------------

HISTORY_LIMIT = 50


@dataclass
class HistoryRow:
    at: datetime
    actor: str | None          # the staff member's name; None for the system
    action: str                # the action's label
    changes: list[Change] = field(default_factory=list)


def history(object_type: str, object_id: int, limit: int = HISTORY_LIMIT) -> list[HistoryRow]:
    """The object's audit entries, newest first, in words: one query (actors joined in)."""
    entries = db.scalars(
        select(AuditEntry)
        .where(AuditEntry.object_type == object_type, AuditEntry.object_id == object_id)
        .options(joinedload(AuditEntry.actor))
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    ).all()
    return [
        HistoryRow(at=e.created_at, actor=e.actor.name if e.actor else None,
                   action=action_label(e.action), changes=changes(e))
        for e in entries
    ]


@dataclass
class AuditFilters:
    actor: str | None = None          # a user id, or "system"
    action: str | None = None
    object_type: str | None = None
    object_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None

    def apply(self, stmt: Select) -> Select:
        if self.actor == SYSTEM:
            stmt = stmt.where(AuditEntry.actor_id.is_(None))
        elif self.actor:
            stmt = stmt.where(AuditEntry.actor_id == int(self.actor))
        if self.action:
            stmt = stmt.where(AuditEntry.action == self.action)
        if self.object_type:
            stmt = stmt.where(AuditEntry.object_type == self.object_type)
        if self.object_id is not None:
            stmt = stmt.where(AuditEntry.object_id == self.object_id)
        if self.date_from:
            stmt = stmt.where(AuditEntry.created_at >= _shanghai_midnight(self.date_from))
        if self.date_to:
            stmt = stmt.where(AuditEntry.created_at < _shanghai_midnight(self.date_to + timedelta(days=1)))
        return stmt


def _shanghai_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=domain.SHANGHAI).astimezone(timezone.utc)


@dataclass
class AuditPage:
    entries: list[AuditEntry] = field(default_factory=list)
    newer: int | None = None   # cursor for the newer page (entries with a greater id)
    older: int | None = None   # cursor for the older page (entries with a smaller id)


def audit_page(filters: AuditFilters, before: int | None = None, after: int | None = None,
               per_page: int = PER_PAGE) -> AuditPage:
    """One page of entries newest first, by keyset on the id (no OFFSET): `before` pages to
    older entries, `after` to newer ones. One query whatever the page size."""
    stmt = filters.apply(select(AuditEntry).options(joinedload(AuditEntry.actor)))
    if after is not None:
        rows = list(db.scalars(stmt.where(AuditEntry.id > after)
                               .order_by(AuditEntry.id.asc()).limit(per_page + 1)))
        more = len(rows) > per_page
        rows = list(reversed(rows[:per_page]))
        page = AuditPage(entries=rows)
        page.newer = rows[0].id if more and rows else None
        page.older = rows[-1].id if rows else after + 1
        return page
    if before is not None:
        stmt = stmt.where(AuditEntry.id < before)
    rows = list(db.scalars(stmt.order_by(AuditEntry.id.desc()).limit(per_page + 1)))
    more = len(rows) > per_page
    rows = rows[:per_page]
    page = AuditPage(entries=rows)
    page.older = rows[-1].id if more else None
    if before is not None:
        page.newer = rows[0].id if rows else before - 1
    return page


def actor_choices() -> list[tuple[str, str]]:
    """Staff who may appear as actors, for the filter (one query)."""
    users = db.execute(
        select(User.id, User.name).where(User.role.in_(domain.STAFF_ROLES)).order_by(User.name, User.id)
    ).all()
    return [(str(uid), name) for uid, name in users]


def action_choices() -> list[tuple[str, str]]:
    """Every action recorded so far (one query), with its label."""
    codes = db.scalars(select(AuditEntry.action).distinct()).all()
    return sorted(((code, action_label(code)) for code in codes), key=lambda pair: pair[1])
