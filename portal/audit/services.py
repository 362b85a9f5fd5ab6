"""Recording staff actions. `record` adds the entry to the caller's transaction, so the action
and its record are committed (or rolled back) together."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

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
