"""What the submission and improvement-item exports hold, and the audit entry each export leaves.

Rules:
- The rows are exactly those of the list with the same query-string filters (the list's own
  query is reused, with the viewer's scope), read from the database in batches while the file
  is sent.
- Every export leaves one audit entry (list, format, filters set, number of rows), committed
  before the file is sent: a download that fails halfway is still on record.
- The lists' names are `domain.EXPORT_LISTS` (the audit log labels an entry from there and never
  imports this module).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload, selectinload

from portal import domain
from portal.audit.services import record
from portal.db import db, unit_of_work, utcnow
from portal.exports.writers import Column
from portal.improvements.models import ImprovementItem
from portal.improvements.services import ItemFilters, is_overdue, item_query, linked_count
from portal.triage.models import Submission
from portal.triage.services import InboxFilters, inbox_query

BATCH = 500
FORMATS = ("csv", "xlsx")


@dataclasses.dataclass
class Export:
    """One file to send: its name, sheet title, columns and (lazily fetched) rows."""

    filename: str
    title: str
    columns: list[Column]
    rows: Iterator[Any]


def _label(vocabulary: Mapping[Any, Any], code: Any) -> str:
    return "" if code is None else str(vocabulary.get(code, code))


def _yes(value: bool) -> str:
    return _("Yes") if value else ""


def submission_columns() -> list[Column]:
    return [
        Column(_l("ID"), lambda s: s.id, 8),
        Column(_l("Kind"), lambda s: _label(domain.SUBMISSION_KINDS, s.kind), 16),
        Column(_l("Submitted at"), lambda s: s.submitted_at, 18),
        Column(_l("Status"), lambda s: _label(domain.SUBMISSION_STATUSES, s.status), 18),
        Column(_l("Title"), lambda s: s.title, 40),
        Column(_l("Description"), lambda s: s.description, 60),
        Column(_l("Segment"), lambda s: _label(domain.SEGMENTS, s.segment), 18),
        Column(_l("District"), lambda s: _label(domain.DISTRICTS, s.district), 14),
        Column(_l("Channel"), lambda s: _label(domain.CHANNELS, s.channel), 16),
        Column(_l("Commitment area"), lambda s: _label(domain.COMMITMENTS, s.commitment), 20),
        Column(_l("Severity"), lambda s: _label(domain.SEVERITIES, s.severity), 14),
        Column(_l("Low score"), lambda s: _yes(s.low_score), 10),
        Column(_l("Assignee"), lambda s: s.assignee.name if s.assignee else "", 18),
        Column(_l("Tags"), lambda s: list(s.tags or []), 24),
        Column(_l("Linked items"), lambda s: [item.id for item in s.items], 14),
    ]


def item_columns(today: date) -> list[Column]:
    return [
        Column(_l("ID"), lambda r: r[0].id, 8),
        Column(_l("Title"), lambda r: r[0].title, 40),
        Column(_l("Commitment area"), lambda r: _label(domain.COMMITMENTS, r[0].commitment), 20),
        Column(_l("Department"), lambda r: r[0].department.name if r[0].department else "", 20),
        Column(_l("Priority"), lambda r: _label(domain.PRIORITIES, r[0].priority), 10),
        Column(_l("Status"), lambda r: _label(domain.ITEM_STATUSES, r[0].status), 14),
        Column(_l("DMAIC phase"), lambda r: _label(domain.DMAIC_PHASES, r[0].dmaic_phase), 12),
        Column(_l("Due date"), lambda r: r[0].due_on, 12),
        Column(_l("Overdue"), lambda r: _yes(is_overdue(r[0], today)), 10),
        Column(_l("Linked submissions"), lambda r: r[1] or 0, 12),
        Column(_l("Created"), lambda r: r[0].created_at, 18),
        Column(_l("Closed at"), lambda r: r[0].closed_at, 18),
        Column(_l("Resolution note"), lambda r: r[0].resolution_note, 60),
    ]


# --- the rows -------------------------------------------------------------------------------------

def count(stmt: Select) -> int:
    return db.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


def submission_rows(stmt: Select) -> Iterator[Submission]:
    """The submissions of `stmt`, fetched 500 at a time with their assignee and item ids."""
    stmt = stmt.options(
        joinedload(Submission.assignee),
        selectinload(Submission.items).load_only(ImprovementItem.id),
    ).execution_options(yield_per=BATCH)
    yield from db.scalars(stmt)


def item_rows(stmt: Select) -> Iterator[Any]:
    """(item, linked submission count) rows of `stmt`, fetched 500 at a time with the department."""
    stmt = stmt.options(joinedload(ImprovementItem.department)).execution_options(yield_per=BATCH)
    yield from db.execute(stmt)


# --- the audit entry ------------------------------------------------------------------------------

def _plain_filters(filters) -> dict[str, Any]:
    """The filters set, as JSON-ready values (unset ones left out)."""
    if hasattr(filters, "to_args"):
        return dict(filters.to_args())
    out = {}
    for field in dataclasses.fields(filters):
        value = getattr(filters, field.name)
        if value is None or value == "" or value is False:
            continue
        out[field.name] = value.isoformat() if isinstance(value, (date, datetime)) else value
    return out


def record_export(actor, list_name: str, fmt: str, filters, rows: int) -> None:
    """Write the audit entry of an export and commit it (before the file is sent)."""
    with unit_of_work():
        record(actor, "export", "export", None, None,
               {"list": list_name, "format": fmt, "filters": _plain_filters(filters), "rows": rows})


# --- the files ------------------------------------------------------------------------------------

def _filename(base: str, fmt: str) -> str:
    stamp = utcnow().astimezone(domain.SHANGHAI).strftime("%Y%m%d-%H%M")
    return f"{base}-{stamp}.{fmt}"


def submission_export(viewer, args: Mapping[str, str], fmt: str) -> Export:
    """The inbox rows `viewer` sees with the filters of `args`; the export is recorded."""
    filters = InboxFilters.from_args(args)
    stmt = inbox_query(viewer, filters)
    record_export(viewer, "submissions", fmt, filters, count(stmt))
    return Export(_filename("submissions", fmt), _("Submissions"), submission_columns(),
                  submission_rows(stmt))


def item_export(viewer, args: Mapping[str, str], fmt: str) -> Export:
    """The improvement items with the filters of `args`; the export is recorded."""
    today = domain.shanghai_today()
    filters = ItemFilters.from_args(args)
    stmt = item_query(filters, today).add_columns(linked_count())
    record_export(viewer, "improvements", fmt, filters, count(stmt))
    return Export(_filename("improvements", fmt), _("Improvement items"), item_columns(today),
                  item_rows(stmt))
