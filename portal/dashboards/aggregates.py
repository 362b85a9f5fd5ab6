"""Recounting the maintained aggregates (the dashboard's days, the inbox's facets and totals,
the member home's counts and waiting questions) from their source rows.

The triggers of migrations 0013, 0016 and 0028 keep them in step
with every write, so this is not needed in normal running. It is the repair and the proof:
`flask --app portal rebuild-aggregates` recounts them all from scratch (after a restore of
rows copied by hand, say, or to check that nothing drifted), and the tests compare the
maintained rows with `recount()` after a mix of writes.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, insert, literal, select, text, union_all

from portal.dashboards.models import GapReportDay, SubmissionDay
from portal.db import db, shanghai_date, unit_of_work
from portal.gaps.models import ServiceGapReport
from portal.home.models import MemberCount
from portal.improvements import confirmations
from portal.improvements.confirmations import FixQuestion
from portal.opinions.models import Opinion
from portal.triage.models import (
    FACET_KEYS,
    TOTAL_KEYS,
    InboxAssigneeFacet,
    InboxFacet,
    InboxTotal,
    Submission,
)
from portal.trials.models import Enrollment, Evaluation


def _submission_counts():
    day = shanghai_date(Submission.submitted_at)
    return (select(day.label("day"), Submission.kind, func.count().label("count"))
            .group_by(day, Submission.kind))


def _gap_report_counts():
    day = shanghai_date(ServiceGapReport.created_at)
    return (select(day.label("day"), ServiceGapReport.district, ServiceGapReport.commitment,
                   func.count().label("count"))
            .group_by(day, ServiceGapReport.district, ServiceGapReport.commitment))


def _facet_value(key: str):
    """A facet key as stored: a missing value counts under '' (text) or 0 (numbers)."""
    column = getattr(Submission, key)
    missing = "" if key in ("kind", "status", "segment", "district", "channel", "commitment") else 0
    return func.coalesce(column, missing).label(key)


def _facet_counts(keys):
    def counts():
        values = [_facet_value(k) for k in keys]
        return select(*values, func.count().label("n")).group_by(*values)
    return counts


_ASSIGNEE_KEYS = ("assignee_id", *FACET_KEYS)


def _member_counts():
    """Per member and kind, their rows of the four tables the member home counts."""
    parts = [select(func.coalesce(model.member_id, 0).label("member_id"),
                    literal(kind).label("kind"), func.count().label("count"))
             .group_by(model.member_id)  # never NULL in practice: 0 stands for it as in the keys
             for kind, model in (("enrollment", Enrollment), ("evaluation", Evaluation),
                                 ("gap_report", ServiceGapReport), ("opinion", Opinion))]
    return union_all(*parts)

# Each aggregate: its model, its key columns, its count column and the query that counts it
# from scratch.
AGGREGATES = (
    (SubmissionDay, ("day", "kind"), "count", _submission_counts),
    (GapReportDay, ("day", "district", "commitment"), "count", _gap_report_counts),
    (InboxFacet, FACET_KEYS, "n", _facet_counts(FACET_KEYS)),
    (InboxAssigneeFacet, _ASSIGNEE_KEYS, "n", _facet_counts(_ASSIGNEE_KEYS)),
    (InboxTotal, TOTAL_KEYS, "n", _facet_counts(TOTAL_KEYS)),
    (MemberCount, ("member_id", "kind"), "count", _member_counts),
    # Not a count: the questions waiting, each with the item's closed_at (migration 0028).
    (FixQuestion, ("item_id", "submission_id", "member_id"), "closed_at",
     confirmations.questions_from_scratch),
)


def _rows(stmt) -> dict[tuple, int | str]:
    return {tuple(str(v) for v in row[:-1]): row[-1] if isinstance(row[-1], int) else str(row[-1])
            for row in db.execute(stmt)}


def recount() -> dict[str, dict[tuple, int]]:
    """What each aggregate table would hold, counted from the source rows: {table: {key: n}}."""
    return {model.__tablename__: _rows(counts()) for model, _keys, _n, counts in AGGREGATES}


def maintained() -> dict[str, dict[tuple, int]]:
    """What each aggregate table holds now: {table: {key: n}}."""
    return {
        model.__tablename__: _rows(select(*(getattr(model, k) for k in keys), getattr(model, n)))
        for model, keys, n, _counts in AGGREGATES
    }


@dataclass
class Rebuilt:
    rows: dict[str, int]  # rows per table after the rebuild
    differed: int  # how many rows (keys) were wrong or missing before it


def rebuild() -> Rebuilt:
    """Recount every aggregate table from scratch, in one unit of work."""
    with unit_of_work():
        if db.get_bind().dialect.name == "postgresql":
            # Writers of the source tables wait until the recount commits, so none of their
            # trigger updates lands in between the delete and the recount (SQLite has one
            # writer at a time anyway).
            db.execute(text("LOCK TABLE submissions, service_gap_reports, enrollments, evaluations, "
                            "opinions, improvement_items, submission_items, fix_confirmations "
                            "IN SHARE MODE"))
        before = maintained()
        rows, differed = {}, 0
        for model, keys, n, counts in AGGREGATES:
            db.execute(delete(model))
            db.execute(insert(model).from_select([*keys, n], counts()))
            fresh = _rows(select(*(getattr(model, k) for k in keys), getattr(model, n)))
            old = before[model.__tablename__]
            differed += sum(1 for key in fresh.keys() | old.keys() if fresh.get(key) != old.get(key))
            rows[model.__tablename__] = len(fresh)
    return Rebuilt(rows=rows, differed=differed)
