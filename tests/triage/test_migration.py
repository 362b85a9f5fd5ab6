"""Migration 0002 puts the submissions made before the inbox existed into it."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from portal.migrate import upgrade
from portal.triage.models import Submission
from portal.trials.models import Evaluation
from tests.factories import make_consultation, make_gap_report, make_trial, make_user
from tests.opinions.helpers import make_opinion


@pytest.fixture
def old_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    upgrade(url, "0001")
    engine = create_engine(url)
    yield url, engine
    engine.dispose()


def test_backfill_creates_submissions_for_existing_rows(old_database):
    url, engine = old_database
    with Session(engine, expire_on_commit=False) as s:
        member = make_user(s, role="member", segment="sme", district="putuo")
        report = make_gap_report(s, member, district="pudong", channel="hotline", severity=3,
                                 status="in_review", title="Dropped calls")
        consultation = make_consultation(s, title="Hotline hours")
        opinion = make_opinion(s, consultation, member, text="Longer hours", triage_status="new")
        trial = make_trial(s, title="eSIM watch")
        draft_trial = make_trial(s)
        done = Evaluation(trial_id=trial.id, member_id=member.id, status="submitted", version=1,
                          submitted_at=datetime(2024, 3, 1, tzinfo=UTC))
        draft = Evaluation(trial_id=draft_trial.id, member_id=member.id, status="draft", version=0)
        s.add_all([done, draft])
        s.commit()
    upgrade(url, "head")
    with Session(engine) as s:
        rows = {r.kind: r for r in s.scalars(select(Submission))}
    assert set(rows) == {"gap_report", "opinion", "evaluation"}
    gap = rows["gap_report"]
    assert (gap.gap_report_id, gap.segment, gap.district, gap.channel, gap.severity, gap.status,
            gap.title, gap.tags, gap.version) == (report.id, "sme", "pudong", "hotline", 3,
                                                  "in_review", "Dropped calls", [], 1)
    op = rows["opinion"]
    assert (op.opinion_id, op.consultation_id, op.title, op.description, op.district) == (
        opinion.id, consultation.id, "Hotline hours", "Longer hours", "putuo")
    ev = rows["evaluation"]
    assert (ev.evaluation_id, ev.trial_id, ev.title) == (done.id, trial.id, "eSIM watch")
