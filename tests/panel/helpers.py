"""Arranging panel activity for the tests: through the code the receivers use."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from portal.db import unit_of_work
from portal.panel import activity
from portal.trials.models import Evaluation
from tests import factories

NOW = datetime.now(UTC)


def days_ago(n: float) -> datetime:
    return NOW - timedelta(days=n)


def record(app, kind: str, source_id: int, member, at: datetime) -> bool:
    """Record one activity as a receiver would, committed."""
    with app.test_request_context(), unit_of_work():
        return activity.record(kind, source_id, member.id, at)


def submitted_evaluation(dbs, trial, member, at: datetime) -> Evaluation:
    evaluation = Evaluation(trial_id=trial.id, member_id=member.id, status="submitted", version=1,
                            submitted_at=at)
    dbs.add(evaluation)
    dbs.commit()
    return evaluation


def set_rules(app, admin=None, **values) -> None:
    from portal.panel import points

    with app.test_request_context():
        rules = {**{k: 0 for k in activity.ACTIVITY_KINDS}, **values}
        points.save_rules(rules, admin or factories.make_user(_session(app), role="admin"))


def _session(app):
    from sqlalchemy.orm import Session

    return Session(app.extensions["portal.engine"], expire_on_commit=False)
