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
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime
from typing import Any, NamedTuple

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import Select, func, select
from sqlalchemy.orm import aliased, joinedload

from portal import domain
from portal.accounts.models import User
from portal.audit.services import record
from portal.db import db, unit_of_work, utcnow
from portal.exports.writers import Column
from portal.improvements.models import ImprovementItem
from portal.improvements.services import ItemFilters, is_overdue, item_query, linked_count
from portal.triage.models import Submission, submission_items
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


def _labels(vocabulary: Mapping[Any, Any]) -> Callable[[Any], str]:
    """A vocabulary's labels, translated once for the whole export (in the language in force)
    instead of once per cell: a lazy string costs a translation look-up each time it is read."""
    table = {code: str(label) for code, label in vocabulary.items()}
    return lambda code: "" if code is None else table.get(code, str(code))


def _yes() -> Callable[[bool], str]:
    yes = _("Yes")
    return lambda value: yes if value else ""


class ExportedSubmission(NamedTuple):
    """One inbox row as the export reads it: plain columns, no ORM object (an export reads up to
    a million of them)."""

    id: int
    kind: str
    submitted_at: datetime
    status: str
    title: str
    description: str
    segment: str | None
    district: str | None
    channel: str | None
    commitment: str | None
    severity: int | None
    low_score: bool
    tags: list[str] | None
    assignee_name: str | None
    item_ids: list[int]


_SUBMISSION_FIELDS = (
    Submission.id, Submission.kind, Submission.submitted_at, Submission.status, Submission.title,
    Submission.description, Submission.segment, Submission.district, Submission.channel,
    Submission.commitment, Submission.severity, Submission.low_score, Submission.tags,
)


def submission_columns() -> list[Column]:
    kinds, statuses = _labels(domain.SUBMISSION_KINDS), _labels(domain.SUBMISSION_STATUSES)
    segments, districts = _labels(domain.SEGMENTS), _labels(domain.DISTRICTS)
    channels, commitments = _labels(domain.CHANNELS), _labels(domain.COMMITMENTS)
    severities, yes = _labels(domain.SEVERITIES), _yes()
    return [
        Column(_l("ID"), lambda s: s.id, 8),
        Column(_l("Kind"), lambda s: kinds(s.kind), 16),
        Column(_l("Submitted at"), lambda s: s.submitted_at, 18),
        Column(_l("Status"), lambda s: statuses(s.status), 18),
        Column(_l("Title"), lambda s: s.title, 40),
        Column(_l("Description"), lambda s: s.description, 60),
        Column(_l("Segment"), lambda s: segments(s.segment), 18),
        Column(_l("District"), lambda s: districts(s.district), 14),
        Column(_l("Channel"), lambda s: channels(s.channel), 16),
        Column(_l("Commitment area"), lambda s: commitments(s.commitment), 20),
        Column(_l("Severity"), lambda s: severities(s.severity), 14),
        Column(_l("Low score"), lambda s: yes(s.low_score), 10),
        Column(_l("Assignee"), lambda s: s.assignee_name or "", 18),
        Column(_l("Tags"), lambda s: list(s.tags or []), 24),
        Column(_l("Linked items"), lambda s: s.item_ids, 14),
    ]


def item_columns(today: date) -> list[Column]:
    commitments, priorities = _labels(domain.COMMITMENTS), _labels(domain.PRIORITIES)
    statuses, phases, yes = _labels(domain.ITEM_STATUSES), _labels(domain.DMAIC_PHASES), _yes()
    return [
        Column(_l("ID"), lambda r: r[0].id, 8),
        Column(_l("Title"), lambda r: r[0].title, 40),
        Column(_l("Commitment area"), lambda r: commitments(r[0].commitment), 20),
        Column(_l("Department"), lambda r: r[0].department.name if r[0].department else "", 20),
        Column(_l("Priority"), lambda r: priorities(r[0].priority), 10),
        Column(_l("Status"), lambda r: statuses(r[0].status), 14),
        Column(_l("DMAIC phase"), lambda r: phases(r[0].dmaic_phase), 12),
        Column(_l("Due date"), lambda r: r[0].due_on, 12),
        Column(_l("Overdue"), lambda r: yes(is_overdue(r[0], today)), 10),
        Column(_l("Linked submissions"), lambda r: r[1] or 0, 12),
        Column(_l("Created"), lambda r: r[0].created_at, 18),
        Column(_l("Closed at"), lambda r: r[0].closed_at, 18),
        Column(_l("Resolution note"), lambda r: r[0].resolution_note, 60),
    ]


# --- the rows -------------------------------------------------------------------------------------

def count(stmt: Select) -> int:
    return db.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


def submission_rows(stmt: Select) -> Iterator[ExportedSubmission]:
    """The submissions of `stmt` (a select of Submission: the inbox's query, scope and filters
    included), BATCH at a time as plain rows, with the assignee's name and the linked items'
    ids (one more statement per batch)."""
    assignee = aliased(User)
    rows = (stmt.with_only_columns(*_SUBMISSION_FIELDS, assignee.name, maintain_column_froms=True)
            .outerjoin(assignee, assignee.id == Submission.assignee_id))
    result = db.execute(rows.execution_options(yield_per=BATCH))
    for part in result.partitions():
        links: dict[int, list[int]] = defaultdict(list)
        for submission_id, item_id in db.execute(
                select(submission_items.c.submission_id, submission_items.c.item_id)
                .where(submission_items.c.submission_id.in_([row[0] for row in part]))
                .order_by(submission_items.c.item_id)):
            links[submission_id].append(item_id)
        for row in part:
            yield ExportedSubmission(*row, links.get(row[0], []))


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
