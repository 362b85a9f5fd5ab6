"""How a recorded change is told: one registry of field descriptions, one history.

Rules:
- Each area describes the fields its audit entries record, once, in its own `history.py`
  imported by its package: ``describe("item", status=Field(_l("Status"), domain.ITEM_STATUSES))``
  (a label; a vocabulary, a formatter or a lookup of names). The audit log itself knows no area:
  it never imports one.
- `history(object_type, object_id)` gives an object's entries newest first, in words: who, when,
  the action's label, each change as "label: old -> new" with readable values, and notes apart.
  `describe_entries` does the same for any list of entries (the admin audit log).
- A creation lists what was set ("Title: Queue at Xujiahui") and leaves out what was left empty;
  a change lists old -> new. Nothing is ever shown as "— → —", and no field is labelled with its
  code name: a field no area describes falls back to the common labels below, then to its name
  in words.
- A fixed number of queries whatever the number of entries: one for the entries (actors
  joined), then one per kind of name looked up (staff, departments).
- An area may show entries of other objects in its object's history (`Related`): an item's
  history shows the submissions linked to it and unlinked from it.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import format_date, gettext as _, lazy_gettext as _l
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload

from portal.audit.models import AuditEntry
from portal.db import db
from portal.i18n import format_moment

HISTORY_LIMIT = 50
EMPTY = "—"


# ---------------------------------------------------------------------------------------------
# Describing fields


def as_date(value: Any) -> str:
    """A day stored as ISO text, in the reader's format."""
    try:
        return format_date(date.fromisoformat(value))
    except (TypeError, ValueError):
        return str(value)


def as_datetime(value: Any) -> str:
    """A moment stored as ISO text, in the reader's format and time zone."""
    try:
        return format_moment(datetime.fromisoformat(value))
    except (TypeError, ValueError):
        return str(value)


def as_number(value: Any) -> str:
    """The id of a row, as staff refer to it: "#12"."""
    return f"#{value}"


def user_names(ids: set) -> dict:
    """Names of users by id (one query)."""
    from portal.accounts.models import User  # accounts records into the audit log: no cycle at import

    return dict(db.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


@dataclass(frozen=True)
class Field:
    """How one recorded field is shown.

    `vocabulary` maps codes to labels; `format` turns a (non-empty) value into text; `lookup`
    turns a set of ids into {id: name} with one query for the whole history; `note` shows the
    value as a paragraph of its own (an internal note) rather than as a change."""

    label: Any
    vocabulary: Mapping | None = None
    format: Callable[[Any], str] | None = None
    lookup: Callable[[set], dict] | None = None
    note: bool = False

    def text(self, value: Any, names: Mapping) -> str | None:
        """The value in words; None when it is empty."""
        if value is None or value == "" or value == [] or value == {}:
            return None
        if isinstance(value, list):
            parts = [self.text(v, names) for v in value]
            return ", ".join(p for p in parts if p) or None
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        if self.lookup is not None:
            return names.get((self.lookup, value)) or as_number(value)
        if self.vocabulary is not None:
            return str(self.vocabulary.get(value, value))
        if self.format is not None:
            return self.format(value)
        if isinstance(value, dict):
            return "; ".join(f"{k}={Field(k).text(v, names) or EMPTY}" for k, v in value.items())
        return str(value)


@dataclass
class Change:
    """One line of an entry. `before` is None for a value that was only set (a creation, or the
    context of a change: which question), `after` None for one that was removed; an empty side
    of a change reads "—"."""

    label: str
    before: str | None
    after: str | None


@dataclass
class HistoryEntry:
    at: datetime
    actor: str | None          # the staff member's name; None for the system
    action: str                # the action's label
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Related:
    """Entries of other objects shown in an object's history.

    `condition(object_id)` is the SQL condition on AuditEntry selecting them; `present(entry,
    object_id)` turns one into a HistoryEntry, or None to leave it out."""

    condition: Callable[[int], Any]
    present: Callable[[AuditEntry, int], HistoryEntry | None]


@dataclass
class _Description:
    fields: dict[str, Field] = field(default_factory=dict)
    actions: dict[str, Any] = field(default_factory=dict)
    related: list[Related] = field(default_factory=list)


_registry: dict[str, _Description] = {}

# Actions every area may record; an area adds its own with `describe(..., actions=...)`.
ACTIONS: dict[str, Any] = {
    "create": _l("Added"),
    "update": _l("Changed"),
    "change_role": _l("Role changed"),
    "pause": _l("Paused"),
    "resume": _l("Resumed"),
    "export": _l("Exported"),
    "link": _l("Linked"),
    "unlink": _l("Unlinked"),
}

# Labels of fields many objects record, for the objects no area describes in full.
COMMON = {
    "status": Field(_l("Status")),
    "name": Field(_l("Name")),
    "email": Field(_l("Email")),
    "title": Field(_l("Title")),
    "description": Field(_l("Description")),
    "kind": Field(_l("Kind")),
    "format": Field(_l("Format")),
    "rows": Field(_l("Rows")),
}


def describe(object_type: str, *, actions: Mapping[str, Any] | None = None,
             related: Related | None = None, **fields: Field) -> None:
    """Register how the entries of `object_type` are told (called again, it adds to it)."""
    description = _registry.setdefault(object_type, _Description())
    description.fields.update(fields)
    description.actions.update(actions or {})
    if related is not None:
        description.related.append(related)


def _field(object_type: str, key: str) -> Field:
    described = _registry.get(object_type)
    if described is not None and key in described.fields:
        return described.fields[key]
    if key in COMMON:
        return COMMON[key]
    words = key.replace("_", " ").strip()
    return Field(words[:1].upper() + words[1:])


def action_label(code: str, object_type: str | None = None) -> str:
    described = _registry.get(object_type or "")
    if described is not None and code in described.actions:
        return str(described.actions[code])
    for description in _registry.values():
        if code in description.actions:
            return str(description.actions[code])
    return str(ACTIONS.get(code, code))


def action_labels() -> dict[str, Any]:
    """Every action code known, with its label (for the audit log's filter)."""
    labels = dict(ACTIONS)
    for description in _registry.values():
        labels.update(description.actions)
    return labels


# ---------------------------------------------------------------------------------------------
# Telling entries


def _values(entry: AuditEntry) -> Iterable[tuple[str, Any]]:
    for side in (entry.before or {}, entry.after or {}):
        yield from side.items()


def _names(entries: Iterable[AuditEntry]) -> dict:
    """{(lookup, id): name} for every looked-up value of `entries`: one query per lookup."""
    wanted: dict[Callable, set] = {}
    for entry in entries:
        for key, value in _values(entry):
            lookup = _field(entry.object_type, key).lookup
            if lookup is None or value is None:
                continue
            ids = value if isinstance(value, list) else [value]
            wanted.setdefault(lookup, set()).update(v for v in ids if isinstance(v, int))
    names: dict = {}
    for lookup, ids in wanted.items():
        if ids:
            names.update({(lookup, k): v for k, v in lookup(ids).items()})
    return names


def _keys(object_type: str, before: Mapping, after: Mapping) -> list[str]:
    """The entry's keys: those the area described in its order, then the rest as recorded."""
    described = _registry.get(object_type)
    order = {k: n for n, k in enumerate(described.fields)} if described else {}
    keys = list(before) + [k for k in after if k not in before]
    return sorted(keys, key=lambda k: (order.get(k, len(order)), keys.index(k)))


def _change(label: str, old: str | None, new: str | None, has_before: bool,
            has_after: bool) -> Change | None:
    if old is None and new is None:
        return None  # nothing to tell: empty before and after, or set to nothing
    if has_before and has_after:
        return Change(label, old or EMPTY, new or EMPTY)
    if has_after:
        return Change(label, None, new)
    return Change(label, old, None)


def tell(entry: AuditEntry, names: Mapping) -> HistoryEntry:
    """One entry in words (`names` from `_names` over the entries being told)."""
    before, after = entry.before or {}, entry.after or {}
    told = HistoryEntry(at=entry.created_at, actor=entry.actor.name if entry.actor else None,
                        action=action_label(entry.action, entry.object_type))
    for key in _keys(entry.object_type, before, after):
        described = _field(entry.object_type, key)
        old = described.text(before.get(key), names) if key in before else None
        new = described.text(after.get(key), names) if key in after else None
        if described.note:
            if new:
                told.notes.append(new)
            continue
        change = _change(str(described.label), old, new, key in before, key in after)
        if change is not None:
            told.changes.append(change)
    return told


def describe_entries(entries: list[AuditEntry]) -> list[HistoryEntry]:
    """Entries in words, in the order given (names looked up once for all of them)."""
    names = _names(entries)
    return [tell(e, names) for e in entries]


def history(object_type: str, object_id: int, limit: int | None = HISTORY_LIMIT) -> list[HistoryEntry]:
    """The object's entries (and those an area relates to it), newest first, in words."""
    described = _registry.get(object_type) or _Description()
    own = and_(AuditEntry.object_type == object_type, AuditEntry.object_id == object_id)
    condition = or_(own, *(r.condition(object_id) for r in described.related)) \
        if described.related else own
    stmt = (
        select(AuditEntry).where(condition).options(joinedload(AuditEntry.actor))
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    entries = list(db.scalars(stmt))
    names = _names(e for e in entries if e.object_type == object_type)
    told = []
    for entry in entries:
        if entry.object_type == object_type and entry.object_id == object_id:
            told.append(tell(entry, names))
            continue
        for related in described.related:
            shown = related.present(entry, object_id)
            if shown is not None:
                told.append(shown)
                break
    return told
