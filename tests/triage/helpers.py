"""Helpers shared by the triage tests: reloading, audit entries, the triage form, query counting."""
from __future__ import annotations

from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.triage.models import Submission
from tests.factories import (  # noqa: F401  (re-exported for the area's tests: the builders live there)
    SUBMISSION_BASE_TIME as BASE_TIME,
    make_item,
    make_submission,
)
from tests.queries import sql_statements as count_queries  # noqa: F401  (re-exported for the area's tests)


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
