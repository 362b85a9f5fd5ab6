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
import json
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime
from operator import itemgetter
from typing import Any

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import Select, Text, cast, func, select
from sqlalchemy.orm import aliased, joinedload

from portal import domain
from portal.accounts.models import User
from portal.audit.services import record
from portal.db import db, unit_of_work, utcnow
from portal.exports.writers import Column
from portal.i18n import labels
from portal.improvements import confirmations
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
    """A vocabulary's labels in the language in force (`i18n.labels`, one dict per locale), as a
    function of the code: "" for none, the code itself when the vocabulary has no such code."""
    table: dict[Any, str] = {**labels(vocabulary), None: ""}
    get = table.get
    return lambda code: get(code) or ("" if code is None else str(code))


def _yes() -> Callable[[bool], str]:
    yes = _("Yes")
    return lambda value: yes if value else ""


_SUBMISSION_FIELDS = (
    Submission.id, Submission.kind, Submission.submitted_at, Submission.status, Submission.title,
    Submission.description, Submission.segment, Submission.district, Submission.channel,
    Submission.commitment, Submission.severity, Submission.low_score,
    # The tags as their JSON text: most are "[]", and decoding every row's costs more than the
    # rest of the row (measured: 0.8 s of 100,000 rows).
    cast(Submission.tags, Text),
)
_SUBMISSION_HEADERS = (  # header, width, what the cell holds (see writers.Column.kind)
    (_l("ID"), 8, "number"), (_l("Kind"), 16, "label"), (_l("Submitted at"), 18, "moment"),
    (_l("Status"), 18, "label"), (_l("Title"), 40, "text"), (_l("Description"), 60, "text"),
    (_l("Segment"), 18, "label"), (_l("District"), 14, "label"), (_l("Channel"), 16, "label"),
    (_l("Commitment area"), 20, "label"), (_l("Severity"), 14, "label"),
    (_l("Low score"), 10, "label"), (_l("Assignee"), 18, "text"), (_l("Tags"), 24, "text"),
    (_l("Linked items"), 14, "label"),
)
# Where a submission row (see `submission_rows`) keeps its raw time, for keyset batches.
SUBMITTED_AT = len(_SUBMISSION_HEADERS)


def submission_columns() -> list[Column]:
    """The columns of a submission export: each the cell of the same position in a row of
    `submission_rows` (already labelled there, once per row rather than once per cell)."""
    return [Column(header, itemgetter(index), width, kind, positional=True)
            for index, (header, width, kind) in enumerate(_SUBMISSION_HEADERS)]


def _tags_text(raw: str | None) -> str:
    if not raw or raw in ("[]", "null"):
        return ""
    return ", ".join(str(tag) for tag in json.loads(raw) or [])


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
        # The members' answers to "Is it fixed for you?" (item_rows adds them to each row).
        Column(_l("Fix answers"), lambda r: r[2] or 0, 10),
        Column(_l("Fixed: yes"), lambda r: r[3] or 0, 10),
        Column(_l("Fixed: not yet"), lambda r: r[4] or 0, 10),
        Column(_l("Average handling rating"),
               lambda r: round(float(r[5]), 2) if r[5] is not None else None, 12),
    ]


# --- the rows -------------------------------------------------------------------------------------

def count(stmt: Select) -> int:
    return db.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


def submission_rows(stmt: Select) -> Iterator[tuple]:
    """The submissions of `stmt` (a select of Submission: the inbox's query, scope and filters
    included), BATCH at a time, each as a plain tuple of the export's cells (vocabularies
    labelled in the language in force, the time in Shanghai, tags and linked items' ids as
    text) followed by the raw submitted_at; one more statement per batch for the links."""
    kinds, statuses = _labels(domain.SUBMISSION_KINDS), _labels(domain.SUBMISSION_STATUSES)
    segments, districts = _labels(domain.SEGMENTS), _labels(domain.DISTRICTS)
    channels, commitments = _labels(domain.CHANNELS), _labels(domain.COMMITMENTS)
    severities, yes = _labels(domain.SEVERITIES), _("Yes")
    assignee = aliased(User)
    rows = (stmt.with_only_columns(*_SUBMISSION_FIELDS, assignee.name, maintain_column_froms=True)
            .outerjoin(assignee, assignee.id == Submission.assignee_id))
    result = db.execute(rows.execution_options(yield_per=BATCH))
    for part in result.partitions():
        links: dict[int, list[str]] = defaultdict(list)
        for submission_id, item_id in db.execute(
                select(submission_items.c.submission_id, submission_items.c.item_id)
                .where(submission_items.c.submission_id.in_([row[0] for row in part]))
                .order_by(submission_items.c.item_id)):
            links[submission_id].append(str(item_id))
        for (ident, kind, submitted_at, status, title, description, segment, district, channel,
             commitment, severity, low_score, tags, assignee_name) in part:
            yield (ident, kinds(kind), submitted_at.astimezone(domain.SHANGHAI).replace(tzinfo=None),
                   statuses(status), title, description or "", segments(segment),
                   districts(district), channels(channel), commitments(commitment),
                   severities(severity), yes if low_score else "", assignee_name or "",
                   _tags_text(tags), ", ".join(links.get(ident, ())), submitted_at)


def item_rows(stmt: Select) -> Iterator[Any]:
    """(item, linked submission count, fix answers, yes, not yet, average rating) rows of `stmt`,
    fetched 500 at a time with the department; the answers' counts are correlated seeks of
    ix_fix_confirmations_item (improvements.confirmations.item_counts)."""
    stmt = (stmt.add_columns(*confirmations.item_counts())
            .options(joinedload(ImprovementItem.department)).execution_options(yield_per=BATCH))
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


# --- a trial's terminal and SIM logistics --------------------------------------------------------
# A trial's own list (its accepted members, at most its capacity): streamed in the request as CSV
# or XLSX, like a trial's responses, rather than made an export job.

def logistics_columns(viewer, trial, today: date) -> list[Column]:
    """The logistics list's columns; a member's phone and address only where
    `permissions.may_see_contact` allows (empty otherwise), as on the page."""
    from portal.permissions import may_see_contact
    from portal.trials.logistics_models import RETURN_CONDITIONS, SHIPMENT_KINDS, SHIPMENT_STATES, state_of

    districts, kinds = _labels(domain.DISTRICTS), _labels(SHIPMENT_KINDS)
    states, conditions, yes = _labels(SHIPMENT_STATES), _labels(RETURN_CONDITIONS), _yes()

    def contact(field: str):
        def value(r) -> str:
            enrollment, member, shipment = r
            accepted = enrollment.status == "accepted" or shipment is not None
            if not may_see_contact(viewer, member, trial, field=field, accepted=accepted, today=today):
                return ""
            return (member.phone or "") if field == "phone" else (shipment.address if shipment else "")
        return value

    def attr(name: str):
        return lambda r: getattr(r[2], name) if r[2] is not None else None

    return [
        Column(_l("Enrollment"), lambda r: r[0].id, 10),
        Column(_l("Member"), lambda r: r[1].name, 16),
        Column(_l("District"), lambda r: districts(r[1].district), 12),
        Column(_l("Phone"), contact("phone"), 16),
        Column(_l("Shipping address"), contact("address"), 40),
        Column(_l("What is sent"), lambda r: kinds(r[2].kind) if r[2] is not None else "", 16),
        Column(_l("Terminal model"), lambda r: attr("terminal_model")(r) or "", 18),
        Column(_l("Serial number"), lambda r: attr("serial_number")(r) or "", 18),
        Column(_l("IMEI"), lambda r: attr("imei")(r) or "", 18),
        Column(_l("SIM card ICCID"), lambda r: attr("iccid")(r) or "", 22),
        Column(_l("State"), lambda r: states(state_of(attr("dispatched_on")(r), attr("received_on")(r),
                                                      attr("returned_on")(r))), 12),
        Column(_l("Dispatched on"), attr("dispatched_on"), 12),
        Column(_l("Received on"), attr("received_on"), 12),
        Column(_l("Return due on"), attr("return_due_on"), 12),
        Column(_l("Overdue"), lambda r: yes(r[2] is not None and r[2].is_overdue(today)), 8),
        Column(_l("Returned on"), attr("returned_on"), 12),
        Column(_l("Condition on return"), lambda r: conditions(attr("return_condition")(r)), 16),
        Column(_l("Notes"), lambda r: attr("notes")(r) or "", 40),
    ]


def logistics_export(viewer, trial, args: Mapping[str, str], fmt: str) -> Export:
    """The trial's logistics list with the filters of `args` (the page's own query); recorded
    (the trial, format, filters, rows) before the file is sent."""
    from portal.trials.logistics import Filters, list_query

    today = domain.shanghai_today()
    filters = Filters.from_args(args)
    stmt = list_query(trial, filters, today)
    with unit_of_work():
        record(viewer, "export", "export", None, None,
               {"list": "logistics", "trial_id": trial.id, "format": fmt,
                "filters": _plain_filters(filters), "rows": count(stmt)})
    return Export(_filename(f"trial-{trial.id}-logistics", fmt), _("Logistics"),
                  logistics_columns(viewer, trial, today),
                  _logistics_rows(stmt))


def _logistics_rows(stmt: Select) -> Iterator[Any]:
    """(Enrollment, User, Shipment or None) rows, BATCH at a time, read while the file is sent."""
    yield from db.execute(stmt.execution_options(yield_per=BATCH))
