"""Migration 0002 puts the submissions made before the inbox existed into it.

The old rows are written with plain inserts into the tables as migration 0001 left them (read
back from the database): today's models describe today's schema, which later migrations extend."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import MetaData, create_engine, select
from sqlalchemy.orm import Session

from portal.migrate import upgrade
from portal.triage.models import Submission

# SQLite keeps no zone: the old rows are written as the app wrote them, in UTC.
MOMENT = datetime(2024, 2, 1, 8, 0)
DAY = date(2024, 2, 1)


@pytest.fixture
def old_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    upgrade(url, "0001")
    engine = create_engine(url)
    yield url, engine
    engine.dispose()


def _insert_old_rows(engine) -> None:
    old = MetaData()
    old.reflect(engine)
    t = old.tables
    stamps = dict(created_at=MOMENT, updated_at=MOMENT)
    trial = dict(kind="product", description="", auto_accept=False, enrollment_opens_on=DAY,
                 enrollment_closes_on=DAY, starts_on=DAY, ends_on=DAY, status="running", **stamps)
    with engine.begin() as conn:
        conn.execute(t["users"].insert(), [dict(
            id=1, email="m@example.com", password_hash="x", name="Member", role="member",
            status="active", segment="sme", district="putuo", created_at=MOMENT)])
        conn.execute(t["service_gap_reports"].insert(), [dict(
            id=2, member_id=1, channel="hotline", commitment="counter_service", district="pudong",
            place="Hotline", occurred_at=MOMENT, severity=3, title="Dropped calls",
            description="Cut off twice.", status="in_review", **stamps)])
        conn.execute(t["consultations"].insert(), [dict(
            id=3, subject="service_standard", title="Hotline hours", body="", opens_on=DAY,
            closes_on=DAY, status="published", **stamps)])
        conn.execute(t["opinions"].insert(), [dict(
            id=4, consultation_id=3, member_id=1, stance="support", text="Longer hours",
            triage_status="new", **stamps)])
        conn.execute(t["trials"].insert(), [dict(trial, id=5, title="eSIM watch"),
                                            dict(trial, id=6, title="Draft only")])
        conn.execute(t["evaluations"].insert(), [
            dict(id=7, trial_id=5, member_id=1, status="submitted", version=1, triage_status="new",
                 submitted_at=datetime(2024, 3, 1), **stamps),
            dict(id=8, trial_id=6, member_id=1, status="draft", version=0, triage_status="new",
                 submitted_at=None, **stamps),
        ])


def test_backfill_creates_submissions_for_existing_rows(old_database):
    url, engine = old_database
    _insert_old_rows(engine)
    upgrade(url, "head")
    with Session(engine) as s:
        rows = {r.kind: r for r in s.scalars(select(Submission))}
    assert set(rows) == {"gap_report", "opinion", "evaluation"}
    gap = rows["gap_report"]
    assert (gap.gap_report_id, gap.segment, gap.district, gap.channel, gap.severity, gap.status,
            gap.title, gap.tags, gap.version) == (2, "sme", "pudong", "hotline", 3,
                                                  "in_review", "Dropped calls", [], 1)
    op = rows["opinion"]
    assert (op.opinion_id, op.consultation_id, op.title, op.description, op.district) == (
        4, 3, "Hotline hours", "Longer hours", "putuo")
    ev = rows["evaluation"]
    assert (ev.evaluation_id, ev.trial_id, ev.title) == (7, 5, "eSIM watch")
    assert ev.submitted_at == datetime(2024, 3, 1, tzinfo=UTC)
