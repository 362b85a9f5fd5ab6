"""Counting a text's themes when it arrives (see portal.signals): an evaluation, a gap report or
an opinion submitted, re-submitted or edited. In the sender's unit of work, so the counts commit
or roll back with the submission itself.

The text is read from the source row, not from its inbox row: receivers of one signal run in no
set order, and the inbox's row may not be written yet.
"""
from __future__ import annotations

from sqlalchemy import select

from portal import domain
from portal.db import db
from portal.gaps.models import ServiceGapReport
from portal.opinions.models import Opinion
from portal.signals import submission_received
from portal.themes import services
from portal.trials.models import Evaluation, EvaluationVersion


def _evaluation_answers(evaluation: Evaluation, answers):
    if answers is not None:
        return answers
    return db.scalar(
        select(EvaluationVersion.answers)
        .where(EvaluationVersion.evaluation_id == evaluation.id)
        .order_by(EvaluationVersion.version.desc()).limit(1)
    ) or {}


@submission_received.connect
def _count_themes(source, answers=None, **_extra) -> None:
    if not isinstance(source, Evaluation | ServiceGapReport | Opinion):
        return
    if source.id is None:
        db.flush()
    if isinstance(source, Evaluation):
        content = domain.evaluation_text(_evaluation_answers(source, answers))
        services.record("evaluation", source.id, source.submitted_at, None, content)
    elif isinstance(source, ServiceGapReport):
        services.record("gap_report", source.id, source.created_at, source.commitment,
                        services.source_text("gap_report", source.title, source.description))
    else:
        services.record("opinion", source.id, source.created_at, None, source.text or "")
