"""Recording staff actions and reading the audit log.

`record` adds the entry to the caller's transaction, so the action and its record are committed
(or rolled back) together. How entries are told in words (labels, values, an object's history)
is `portal.audit.history`."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from portal import domain, permissions
from portal.audit.history import (  # noqa: F401  (the history API, for callers of this module)
    HISTORY_LIMIT,
    Change,
    HistoryEntry,
    action_label,
    action_labels,
    describe_entries,
    history,
)
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
# Reading only: the site offers no way to change or delete an entry. Entries are told in words by
# portal.audit.history, the same way as every object's History.

OBJECT_TYPES = {
    "submission": _l("Submission"),
    "item": _l("Improvement item"),
    "department": _l("Department"),
    "user": _l("User account"),
    "invitation": _l("Invitation"),
    "export": _l("Export"),
    "trial": _l("Trial"),
    "consultation": _l("Consultation"),
    "outbox_email": _l("Outbox email"),
}
PER_PAGE = 50
SYSTEM = "system"


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
            stmt = stmt.where(AuditEntry.created_at >= domain.shanghai_midnight(self.date_from))
        if self.date_to:
            end = domain.shanghai_midnight(self.date_to + timedelta(days=1))
            stmt = stmt.where(AuditEntry.created_at < end)
        return stmt


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
    from portal.accounts.models import User  # accounts records into the audit log: no cycle at import

    users = db.execute(
        select(User.id, User.name).where(User.role.in_(permissions.holders("staff.home")))
        .order_by(User.name, User.id)
    ).all()
    return [(str(uid), name) for uid, name in users]


def action_choices() -> list[tuple[str, str]]:
    """Every action recorded so far (one query), with its label."""
    codes = db.scalars(select(AuditEntry.action).distinct()).all()
    labels = action_labels()
    return sorted(((code, str(labels.get(code, code))) for code in codes), key=lambda pair: pair[1])
