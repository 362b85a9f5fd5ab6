"""Recounting the dashboard's day aggregates from their source rows.

The triggers of migration 0013 keep `dash_submission_days` and `dash_gap_report_days` in step
with every write, so this is not needed in normal running. It is the repair and the proof:
`flask --app portal rebuild-aggregates` recounts both tables from scratch (after a restore of
rows copied by hand, say, or to check that nothing drifted), and the tests compare the
maintained rows with `recount()` after a mix of writes.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select, text

from portal.dashboards.models import GapReportDay, SubmissionDay
from portal.db import db, shanghai_date, unit_of_work
from portal.gaps.models import ServiceGapReport
from portal.triage.models import Submission


def _submission_counts():
    day = shanghai_date(Submission.submitted_at)
    return (select(day.label("day"), Submission.kind, func.count().label("count"))
            .group_by(day, Submission.kind))


def _gap_report_counts():
    day = shanghai_date(ServiceGapReport.created_at)
    return (select(day.label("day"), ServiceGapReport.district, ServiceGapReport.commitment,
                   func.count().label("count"))
            .group_by(day, ServiceGapReport.district, ServiceGapReport.commitment))


# Each aggregate: its model, its key columns, and the query that counts it from scratch.
AGGREGATES = (
    (SubmissionDay, ("day", "kind"), _submission_counts),
    (GapReportDay, ("day", "district", "commitment"), _gap_report_counts),
)


def _rows(stmt) -> dict[tuple, int]:
    return {tuple(str(v) for v in row[:-1]): int(row[-1]) for row in db.execute(stmt)}


def recount() -> dict[str, dict[tuple, int]]:
    """What each aggregate table would hold, counted from the source rows: {table: {key: n}}."""
    return {model.__tablename__: _rows(counts()) for model, _keys, counts in AGGREGATES}


def maintained() -> dict[str, dict[tuple, int]]:
    """What each aggregate table holds now: {table: {key: n}}."""
    return {
        model.__tablename__: _rows(select(*(getattr(model, k) for k in keys), model.count))
        for model, keys, _counts in AGGREGATES
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
            db.execute(text("LOCK TABLE submissions, service_gap_reports IN SHARE MODE"))
        before = maintained()
        rows, differed = {}, 0
        for model, keys, counts in AGGREGATES:
            db.execute(delete(model))
            db.execute(insert(model).from_select([*keys, "count"], counts()))
            fresh = _rows(select(*(getattr(model, k) for k in keys), model.count))
            old = before[model.__tablename__]
            differed += sum(1 for key in fresh.keys() | old.keys() if fresh.get(key) != old.get(key))
            rows[model.__tablename__] = len(fresh)
    return Rebuilt(rows=rows, differed=differed)
