"""Helpers shared by the triage tests: submissions made directly, items, query counting."""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.improvements.models import ImprovementItem
from portal.triage.models import Submission
from tests.queries import sql_statements as count_queries  # noqa: F401  (re-exported for the area's tests)

_seq = itertools.count(1)
BASE_TIME = datetime(2024, 5, 1, 8, 0, tzinfo=timezone.utc)


def make_submission(dbs, member, kind: str = "gap_report", commit: bool = True, **fields) -> Submission:
    """A submission as the inbox holds it, without a source row (for lists and filters)."""
    n = next(_seq)
    values = dict(
        kind=kind, member_id=member.id, segment=member.segment, district=member.district,
        title=f"Submission {n}", description=f"Text {n}", status="new", tags=[],
        submitted_at=BASE_TIME + timedelta(minutes=n),
    )
    if kind == "gap_report":
        values.update(channel="store", commitment="counter_service", severity=2)
    values.update(fields)
    submission = Submission(**values)
    dbs.add(submission)
    if commit:
        dbs.commit()
    return submission


def make_item(dbs, **fields) -> ImprovementItem:
    values = dict(title=f"Item {next(_seq)}", description="Fix it.", status="proposed")
    values.update(fields)
    item = ImprovementItem(**values)
    dbs.add(item)
    dbs.commit()
    return item


def submission(dbs, submission_id: int) -> Submission:
    dbs.expire_all()
    return dbs.get(Submission, submission_id)


def audits(dbs, submission_id: int) -> list[AuditEntry]:
    dbs.expire_all()
    return list(dbs.scalars(
        select(AuditEntry).where(AuditEntry.object_type == "submission",
                                 AuditEntry.object_id == submission_id).order_by(AuditEntry.id)
    ))


def triage_form(s: Submission, **overrides) -> dict:
    data = {
        "assignee_id": str(s.assignee_id or ""), "status": s.status,
        "no_action_reason": s.no_action_reason or "",
        "duplicate_of_id": str(s.duplicate_of_id or ""), "tags": ", ".join(s.tags or []),
        "version": str(s.version),
    }
    data.update(overrides)
    return data
