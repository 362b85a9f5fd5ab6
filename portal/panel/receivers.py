"""What the panel's records do when other areas report a moment (see portal.signals).

Receivers run inside the sender's unit of work: the ledger row (and its points) commits or rolls
back with the submission itself.
"""
from __future__ import annotations

from portal.db import utcnow
from portal.gaps.models import ServiceGapReport
from portal.opinions.models import Opinion
from portal.panel import activity, services
from portal.signals import consultation_published, fix_answered, submission_received
from portal.trials.models import Evaluation


@submission_received.connect
def _record_the_activity(source, **_extra) -> None:
    """A submitted evaluation, an opinion or a gap report is a completed activity, once per
    source row (a re-submission or an edit finds it recorded)."""
    if isinstance(source, Evaluation):
        if source.status == "submitted":
            activity.record("evaluation", _id(source), source.member_id, source.submitted_at)
    elif isinstance(source, Opinion):
        activity.record("opinion", _id(source), source.member_id, source.created_at)
    elif isinstance(source, ServiceGapReport):
        activity.record("gap_report", _id(source), source.member_id, source.created_at)


def _id(source) -> int:
    if source.id is None:
        from portal.db import db

        db.flush()
    return source.id


@consultation_published.connect
def _count_who_was_asked(consultation, **_extra) -> None:
    services.count_consultation_reach(consultation, utcnow())


@fix_answered.connect
def _record_the_confirmation(answer, member_id=None, **_extra) -> None:
    """A member answered whether an improvement fixed their problem: once per question (a
    changed answer finds it recorded)."""
    activity.record("fix_confirmed", answer.id, member_id or answer.member_id, answer.created_at)
