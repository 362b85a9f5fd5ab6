"""Export jobs: exports of more than LARGE rows, and every XLSX, are written to a file by the job
queue (portal.exports.tasks) instead of inside the web request.

Rules:
- `needs_job` decides: XLSX always; CSV when a capped count finds more than LARGE rows.
- The task reads the rows in keyset batches (by id, BATCH at a time, the session emptied after
  each batch) and writes the file incrementally, so its memory stays flat; it records progress
  (rows_done of rows_total) after each batch.
- Files live in EXPORT_DIR, named by the job's id only; they expire after KEEP_DAYS
  (`delete_expired`, a periodic task). Only the job's owner sees a job or its file.
- When done: the export's audit entry (as for a streamed export) and an in-app notice
  (kind "export_ready", told once per job).
"""
from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable, Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import force_locale, gettext as _
from sqlalchemy import Select, func, select, tuple_, update

from portal import domain
from portal.accounts.models import User
from portal.db import db, unit_of_work, utcnow
from portal.exports import services
from portal.exports.models import ExportJob
from portal.exports.writers import Column, csv_chunks, write_xlsx
from portal.improvements.models import ImprovementItem
from portal.improvements.services import ItemFilters, item_query, linked_count
from portal.notifications import services as notifications
from portal.triage.models import Submission
from portal.triage.services import InboxFilters, inbox_query

log = logging.getLogger(__name__)

LARGE = 5000
BATCH = 1000
KEEP_DAYS = 7


@dataclasses.dataclass
class Plan:
    """What one export reads: filters, query, the list's order (a time, then the id, both
    newest first) for keyset batches, the rows' fetcher and columns."""

    filters: Any
    stmt: Select
    keys: tuple[Any, Any]
    row_keys: Callable[[Any], tuple[Any, int]]
    fetch: Callable[[Select], Iterator[Any]]
    columns: list[Column]
    title: str


def plan(list_name: str, viewer: User, args: Mapping[str, str]) -> Plan:
    if list_name == "submissions":
        filters = InboxFilters.from_args(args)
        return Plan(filters, inbox_query(viewer, filters), (Submission.submitted_at, Submission.id),
                    lambda row: (row[services.SUBMITTED_AT], row[0]),
                    services.submission_rows, services.submission_columns(), _("Submissions"))
    today = domain.shanghai_today()
    filters = ItemFilters.from_args(args)
    stmt = item_query(filters, today).add_columns(linked_count())
    return Plan(filters, stmt, (ImprovementItem.created_at, ImprovementItem.id),
                lambda r: (r[0].created_at, r[0].id), services.item_rows,
                services.item_columns(today), _("Improvement items"))


def capped_count(stmt: Select, cap: int = LARGE + 1) -> int:
    """The number of rows of `stmt`, counting no further than `cap`."""
    return db.scalar(select(func.count()).select_from(stmt.order_by(None).limit(cap).subquery())) or 0


def needs_job(list_name: str, viewer: User, args: Mapping[str, str], fmt: str) -> bool:
    return fmt == "xlsx" or capped_count(plan(list_name, viewer, args).stmt) > LARGE


def export_dir() -> Path:
    path = Path(current_app.config.get("EXPORT_DIR") or Path(current_app.instance_path) / "exports")
    if not path.is_absolute():
        path = Path(current_app.instance_path).parent / path
    path.mkdir(parents=True, exist_ok=True)
    return path


def file_path(job: ExportJob) -> Path:
    return export_dir() / f"export-{job.id}.{job.format}"


def start(viewer: User, list_name: str, fmt: str, args: Mapping[str, str]) -> ExportJob:
    """A queued job for this export (the caller enqueues `tasks.run_export_job(job.id)`)."""
    with unit_of_work():
        job = ExportJob(user_id=viewer.id, list=list_name, format=fmt,
                        filters={k: v for k, v in args.items() if isinstance(v, str)},
                        status="queued", rows_done=0)
        db.add(job)
        db.flush()
    return job


def job_for(viewer: User, job_id: int) -> ExportJob | None:
    """`viewer`'s own job, or None (someone else's is as good as missing)."""
    job = db.get(ExportJob, job_id)
    return job if job is not None and job.user_id == viewer.id else None


def _batches(job_id: int, p: Plan) -> Iterator[Any]:
    """The rows of `p` in the list's order, BATCH at a time (keyset: after the last row's time
    and id, never an offset); progress is saved after each batch."""
    when, key = p.keys
    stmt = p.stmt.order_by(None).order_by(when.desc(), key.desc()).limit(BATCH)
    batch, done = list(p.fetch(stmt)), 0
    while batch:
        yield from batch
        last_when, last_key = p.row_keys(batch[-1])
        done += len(batch)
        with unit_of_work():
            db.execute(update(ExportJob).where(ExportJob.id == job_id).values(rows_done=done))
        db.expunge_all()
        # A row value: SQLite and PostgreSQL both seek in the (time, id) index with it, where the
        # equivalent `a < x OR (a = x AND b < y)` scans (measured: 9 ms against 0.5 ms per batch
        # at 100k rows, and the scan grows with the table).
        after = tuple_(when, key) < tuple_(last_when, last_key)
        batch = list(p.fetch(stmt.where(after)))


def _write(job_id: int, fmt: str, p: Plan, target: Path) -> None:
    rows = _batches(job_id, p)
    with target.open("wb") as fh:
        if fmt == "csv":
            for chunk in csv_chunks(p.columns, rows):
                fh.write(chunk)
        else:
            write_xlsx(fh, p.columns, rows, title=p.title)


def run(job_id: int) -> None:
    """Write job `job_id`'s file. Safe to run twice: only a queued job runs."""
    with unit_of_work():
        claimed = db.execute(update(ExportJob).where(ExportJob.id == job_id, ExportJob.status == "queued")
                             .values(status="running")).rowcount
    if not claimed:
        return
    job = db.get(ExportJob, job_id)
    user = db.get(User, job.user_id)
    fmt, list_name, args = job.format, job.list, dict(job.filters or {})
    target = file_path(job)
    partial = target.with_suffix(target.suffix + ".part")
    try:
        with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
            p = plan(list_name, user, args)
            total = services.count(p.stmt)
            with unit_of_work():
                db.execute(update(ExportJob).where(ExportJob.id == job_id).values(rows_total=total))
            _write(job_id, fmt, p, partial)
        os.replace(partial, target)
        _finish(job_id, user.id, list_name, fmt, p.filters)
    except Exception:
        log.exception("export job %s failed", job_id)
        db.rollback()
        partial.unlink(missing_ok=True)
        with unit_of_work():
            db.execute(update(ExportJob).where(ExportJob.id == job_id)
                       .values(status="failed", finished_at=utcnow()))


def _finish(job_id: int, user_id: int, list_name: str, fmt: str, filters: Any) -> None:
    now = utcnow()
    with unit_of_work():
        job = db.get(ExportJob, job_id)
        user = db.get(User, user_id)
        stamp = now.astimezone(domain.SHANGHAI).strftime("%Y%m%d-%H%M")
        job.status, job.finished_at = "done", now
        job.expires_at = now + timedelta(days=KEEP_DAYS)
        job.file_name = f"{list_name}-{stamp}.{fmt}"
        job.rows_total = job.rows_done
        services.record_export(user, list_name, fmt, filters, job.rows_done)
        notifications.notify_export_ready(job, user)


def delete_expired(now=None) -> int:
    """Delete the files of jobs past their expiry and mark them expired; the number of jobs."""
    now = now or utcnow()
    with unit_of_work():
        jobs = db.scalars(select(ExportJob).where(ExportJob.status == "done",
                                                  ExportJob.expires_at <= now)).all()
        for job in jobs:
            file_path(job).unlink(missing_ok=True)
            job.status = "expired"
    return len(jobs)
