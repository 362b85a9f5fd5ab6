"""The maintained aggregates (the dashboard's days, 0013; the inbox's facets, 0016): kept in step
by their database triggers
through every kind of write, equal to a recount from scratch, filled by the migration from the
rows already there, and read (instead of the submissions) by the dashboard."""
from __future__ import annotations

import os
import threading
from datetime import timedelta

import pytest
from sqlalchemy import MetaData, create_engine, delete, insert, make_url, select, text, update

from portal.dashboards import aggregates
from portal.db import make_engine
from portal.gaps.models import ServiceGapReport
from portal.improvements.confirmations import FixConfirmation
from portal.migrate import upgrade
from portal.triage.models import Submission, submission_items
from tests import factories
from tests.dashboards.helpers import cell, day_counts, make_submission, total, utc
from tests.queries import sql_statements

URL = "/staff/dashboard"
TRIGGERS = {f"{table}_{what}" for table in ("dash_submissions", "dash_gap_reports", "inbox_facets",
                                            "inbox_assignee_facets", "inbox_totals",
                                            "member_counts_enrollments", "member_counts_evaluations",
                                            "member_counts_service_gap_reports",
                                            "member_counts_opinions")
            for what in ("inserted", "deleted", "updated")} | {
    "fix_questions_item", "fix_questions_linked", "fix_questions_unlinked",
    "fix_questions_answered", "fix_questions_answer_changed", "fix_questions_member"}
DAYS = ("dash_submission_days", "dash_gap_report_days")


def _days(counts: dict) -> dict:
    return {table: counts[table] for table in DAYS}


def _in_step(app) -> dict:
    """The maintained rows, after checking that they equal a recount from scratch."""
    with app.app_context():
        maintained, fresh = aggregates.maintained(), aggregates.recount()
    assert maintained == fresh
    return maintained


def _bulk_gap_reports(dbs, member, rows):
    """Core bulk inserts of reports and their inbox rows, as bench/bench_lists.py seeds them."""
    reports = [dict(member_id=member.id, channel="store", commitment=c, district=d, place="",
                    occurred_at=at, severity=2, title=f"Bulk {i}", description="", status="new",
                    created_at=at, updated_at=at) for i, (d, c, at) in enumerate(rows)]
    ids = dbs.scalars(insert(ServiceGapReport).returning(ServiceGapReport.id), reports).all()
    dbs.execute(insert(Submission), [dict(
        kind="gap_report", gap_report_id=rid, member_id=member.id, segment="mobile",
        district=r["district"], channel="store", commitment=r["commitment"], severity=2,
        title=r["title"], description="", low_score=False, status="new", tags=[],
        submitted_at=r["created_at"], updated_at=r["created_at"], version=1,
    ) for rid, r in zip(ids, reports, strict=True)])
    dbs.commit()
    return ids


def test_the_triggers_are_there_at_the_head_of_the_migrations(app):
    engine = app.extensions["portal.engine"]
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            names = conn.scalars(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")).all()
        else:
            names = conn.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).all()
    assert TRIGGERS <= set(names)


def test_maintained_counts_equal_a_recount_after_every_kind_of_write(app, dbs, member):
    # ORM inserts on both sides of a Shanghai midnight (16:00 UTC), of every kind.
    late = make_submission(dbs, member, utc(2026, 3, 14, 15, 59))
    early = make_submission(dbs, member, utc(2026, 3, 14, 16, 0), kind="evaluation")
    make_submission(dbs, member, utc(2026, 3, 14, 16, 0), kind="gap_report")
    orm_gap = factories.make_gap_submission(dbs, member, district="pudong", commitment="roaming",
                                            created_at=utc(2026, 3, 1, 2, 0))
    counts = _in_step(app)
    assert counts["dash_submission_days"] == {("2026-03-14", "opinion"): 1,
                                              ("2026-03-15", "evaluation"): 1,
                                              ("2026-03-15", "gap_report"): 1,
                                              ("2026-03-01", "gap_report"): 1}
    assert counts["dash_gap_report_days"] == {("2026-03-01", "pudong", "roaming"): 1}

    # Core bulk inserts (one statement for many rows).
    bulk = _bulk_gap_reports(dbs, member, [("xuhui", "roaming", utc(2026, 3, 1, 3, i)) for i in range(5)]
                             + [("jingan", "billing_reminders", utc(2026, 2, 27, 20, 0))] * 3)
    counts = _in_step(app)
    assert counts["dash_gap_report_days"][("2026-03-01", "xuhui", "roaming")] == 5
    assert counts["dash_gap_report_days"][("2026-02-28", "jingan", "billing_reminders")] == 3
    assert counts["dash_submission_days"][("2026-03-01", "gap_report")] == 6

    assert counts["inbox_facets"][("gap_report", "new", "mobile", "xuhui", "store", "roaming", "2", "0",
                                   "0")] == 5
    assert counts["inbox_assignee_facets"][("0", "gap_report", "new", "mobile", "xuhui", "store",
                                            "roaming", "2", "0", "0")] == 5

    # Status changes and edits that do not move a row: no day changes; the facets follow the
    # status.
    dbs.execute(update(Submission).values(status="in_review"))
    dbs.execute(update(ServiceGapReport).where(ServiceGapReport.id.in_(bulk)).values(status="in_review",
                                                                                      title="Edited"))
    dbs.commit()
    moved = _in_step(app)
    assert _days(moved) == _days(counts)
    assert not any(key[1] == "new" for key in moved["inbox_facets"])
    assert moved["inbox_facets"][("gap_report", "in_review", "mobile", "xuhui", "store", "roaming",
                                  "2", "0", "0")] == 5

    # Edits that move rows: to another day (across midnight), kind, district, commitment;
    # one by one through the ORM and many at once in one statement.
    late.submitted_at = utc(2026, 3, 14, 16, 30)
    early.kind = "opinion"
    dbs.commit()
    report = dbs.get(ServiceGapReport, orm_gap.gap_report_id)
    report.district, report.commitment = "xuhui", "e_channels"
    dbs.commit()
    dbs.execute(update(ServiceGapReport).where(ServiceGapReport.id.in_(bulk[:3]))
                .values(created_at=utc(2026, 3, 2, 5, 0), commitment="network_quality"))
    dbs.execute(update(Submission).where(Submission.gap_report_id.in_(bulk[:3]))
                .values(submitted_at=utc(2026, 3, 2, 5, 0)))
    dbs.commit()
    counts = _in_step(app)
    assert counts["dash_submission_days"][("2026-03-15", "opinion")] == 2
    assert ("2026-03-14", "opinion") not in counts["dash_submission_days"]  # gone at zero
    assert counts["dash_gap_report_days"][("2026-03-01", "xuhui", "roaming")] == 2
    assert counts["dash_gap_report_days"][("2026-03-02", "xuhui", "network_quality")] == 3
    assert ("2026-03-01", "pudong", "roaming") not in counts["dash_gap_report_days"]

    # Deletes: one through the ORM, several in one statement, and a report whose inbox row goes
    # with it by ON DELETE CASCADE.
    dbs.delete(early)
    dbs.commit()
    dbs.execute(delete(Submission).where(Submission.gap_report_id.in_(bulk[5:7])))
    dbs.execute(delete(ServiceGapReport).where(ServiceGapReport.id == bulk[7]))
    dbs.commit()
    assert dbs.scalar(select(Submission.id).where(Submission.gap_report_id == bulk[7])) is None
    counts = _in_step(app)
    assert counts["dash_gap_report_days"][("2026-02-28", "jingan", "billing_reminders")] == 2
    assert ("2026-02-28", "gap_report") not in counts["dash_submission_days"]

    # Everything deleted: nothing left over, not even zero rows.
    dbs.execute(delete(ServiceGapReport))
    dbs.execute(delete(Submission))
    dbs.commit()
    counts = _in_step(app)
    assert counts["inbox_totals"] == counts["fix_questions"] == {}
    assert counts == {table: {} for table in counts if table != "member_counts"} | {
        "member_counts": counts["member_counts"]}
    assert all(key[1] != "gap_report" for key in counts["member_counts"])


def _questions(app) -> set[tuple[str, str, str]]:
    """The questions waiting (item, submission, member), after checking them against a recount."""
    return set(_in_step(app)["fix_questions"])


def test_waiting_questions_follow_items_links_and_answers(app, dbs, member):
    other = factories.make_user(dbs)
    mine = make_submission(dbs, member, utc(2026, 3, 1, 8, 0))
    theirs = make_submission(dbs, other, utc(2026, 3, 1, 9, 0))
    later = make_submission(dbs, member, utc(2026, 3, 1, 10, 0))
    item = factories.make_item(dbs, status="in_progress", submissions=[mine, theirs])
    key = lambda sub: (str(item.id), str(sub.id), str(sub.member_id))  # noqa: E731
    assert _questions(app) == set()

    # Done: both members are asked; a link added while done is asked at once (Core insert too).
    item.status, item.closed_at = "done", utc(2026, 3, 2, 8, 0)
    dbs.commit()
    assert _questions(app) == {key(mine), key(theirs)}
    dbs.execute(insert(submission_items), [dict(submission_id=later.id, item_id=item.id)])
    dbs.commit()
    assert _questions(app) == {key(mine), key(theirs), key(later)}

    # An answer since it became done settles one; an older answer (before it was done) does not.
    factories.make_fix_confirmation(dbs, item, mine, fixed=False, answered_at=utc(2026, 3, 3, 8, 0))
    factories.make_fix_confirmation(dbs, item, theirs, answered_at=utc(2026, 3, 1, 12, 0))
    assert _questions(app) == {key(theirs), key(later)}
    # The older answer changed now: settled.
    dbs.execute(update(FixConfirmation).where(
        FixConfirmation.submission_id == theirs.id).values(answered_at=utc(2026, 3, 4)))
    dbs.commit()
    assert _questions(app) == {key(later)}

    # Reopened: nothing waits; done again later: every earlier answer is out of date.
    item.status, item.closed_at = "in_progress", None
    dbs.commit()
    assert _questions(app) == set()
    item.status, item.closed_at = "done", utc(2026, 3, 10, 8, 0)
    dbs.commit()
    assert _questions(app) == {key(mine), key(theirs), key(later)}

    # Unlinked, deleted submission, verified, deleted item: gone.
    dbs.execute(delete(submission_items).where(
        submission_items.c.submission_id == later.id))
    dbs.commit()
    assert _questions(app) == {key(mine), key(theirs)}
    dbs.delete(dbs.get(Submission, theirs.id))
    dbs.commit()
    assert _questions(app) == {key(mine)}
    item.status = "verified"
    dbs.commit()
    assert _questions(app) == set()
    item.status = "done"
    dbs.commit()
    assert _questions(app) == {key(mine)}
    dbs.delete(item)
    dbs.commit()
    assert _questions(app) == set()


@pytest.mark.parametrize("first", ["item done", "link"])
def test_waiting_questions_hold_when_a_link_and_done_race(app, dbs, member, first):
    """PostgreSQL, two transactions at once: one marks the item done, the other links a member's
    submission to it. Neither sees the other's uncommitted row; the link's trigger share-locks
    the item, so they take turns and the question is there once both have committed."""
    engine = app.extensions["portal.engine"]
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    sub = make_submission(dbs, member, utc(2026, 3, 1, 8, 0))
    item = factories.make_item(dbs, status="in_progress")
    done = (text("UPDATE improvement_items SET status = 'done', closed_at = :t WHERE id = :i"),
            dict(t=utc(2026, 3, 2, 8, 0), i=item.id))
    link = (text("INSERT INTO submission_items (submission_id, item_id) VALUES (:s, :i)"),
            dict(s=sub.id, i=item.id))
    early, late = (done, link) if first == "item done" else (link, done)
    errors = []

    def second():
        try:
            with engine.begin() as conn:
                conn.execute(*late)  # waits for the first transaction's lock on the item
        except Exception as error:  # reported below, in the test's thread
            errors.append(error)

    with engine.connect() as conn:
        transaction = conn.begin()
        conn.execute(*early)
        racer = threading.Thread(target=second)
        racer.start()
        racer.join(0.5)  # still waiting for the lock, or done when nothing made it wait
        transaction.commit()
    racer.join(10)
    assert not errors and not racer.is_alive()
    assert _questions(app) == {(str(item.id), str(sub.id), str(member.id))}


def test_member_counts_follow_every_kind_of_write(app, dbs, member):
    trial = factories.make_trial(dbs)
    factories.make_enrollment(dbs, trial, member)
    factories.make_opinion(dbs, member)
    reports = [factories.make_gap_report(dbs, member) for _ in range(3)]
    counts = _in_step(app)["member_counts"]
    mine = {kind: n for (member_id, kind), n in counts.items() if member_id == str(member.id)}
    assert mine == {"enrollment": 1, "opinion": 1, "gap_report": 3}

    # Core bulk insert, a delete, a report moved to another member.
    other = factories.make_user(dbs)
    _bulk_gap_reports(dbs, member, [("xuhui", "roaming", utc(2026, 3, 1, 8, 0))] * 4)
    dbs.execute(delete(ServiceGapReport).where(ServiceGapReport.id == reports[0].id))
    dbs.execute(update(ServiceGapReport).where(ServiceGapReport.id == reports[1].id)
                .values(member_id=other.id))
    dbs.commit()
    counts = _in_step(app)["member_counts"]
    assert counts[(str(member.id), "gap_report")] == 5
    assert counts[(str(other.id), "gap_report")] == 1


def test_the_dashboard_reads_the_aggregates_not_the_submissions(app, office_client, dbs, member,
                                                               fixed_today):
    for at in (utc(2026, 3, 15, 3, 0), utc(2026, 3, 10, 1, 0)):
        make_submission(dbs, member, at)
    factories.make_gap_report(dbs, member, district="xuhui", commitment="roaming",
                              created_at=utc(2026, 3, 1, 2, 0))
    for window in ("", "?window=30", "?window=180", "?window=365"):
        with sql_statements(app) as statements:
            assert office_client.get(URL + window).status_code == 200
        sql = "\n".join(statements)
        assert "FROM submissions" not in sql and "FROM service_gap_reports" not in sql, sql
        assert "dash_submission_days" in sql and "dash_gap_report_days" in sql

    # Put the aggregates out of step by hand: the page shows what they say ...
    with app.extensions["portal.engine"].begin() as conn:
        conn.execute(text("UPDATE dash_submission_days SET count = 7"))
        conn.execute(text("DELETE FROM dash_gap_report_days"))
    html = office_client.get(URL).get_data(as_text=True)
    assert day_counts(html)["2026-03-15"] == 7
    assert "No data yet: no service-gap reports in this period." in html

    # ... until they are recounted.
    result = app.test_cli_runner().invoke(args=["rebuild-aggregates"])
    assert result.exit_code == 0, result.output
    assert ("Recounted the maintained aggregates (dash_submission_days: 2 rows, "
            "dash_gap_report_days: 1 rows, inbox_facets: 1 rows, inbox_assignee_facets: 1 rows, "
            "inbox_totals: 1 rows, member_counts: 1 rows, fix_questions: 0 rows); "
            "3 row(s) differed.") in result.output
    html = office_client.get(URL).get_data(as_text=True)
    assert day_counts(html)["2026-03-15"] == 1 and day_counts(html)["2026-03-10"] == 1
    assert cell(html, "xuhui:roaming") == (1, True) and total(html, "all") == 1
    # Run again: nothing to correct.
    result = app.test_cli_runner().invoke(args=["rebuild-aggregates"])
    assert "; 0 row(s) differed." in result.output


def test_rebuild_of_an_empty_database(app):
    result = app.test_cli_runner().invoke(args=["rebuild-aggregates", "--help"])
    assert result.exit_code == 0 and "Recount the office dashboard's day aggregates" in result.output
    result = app.test_cli_runner().invoke(args=["rebuild-aggregates"])
    assert result.exit_code == 0, result.output
    assert ("dash_submission_days: 0 rows, dash_gap_report_days: 0 rows, inbox_facets: 0 rows, "
            "inbox_assignee_facets: 0 rows, inbox_totals: 0 rows, member_counts: 0 rows, "
            "fix_questions: 0 rows); 0 row(s)") in result.output


# --- the migration fills the tables from the rows already there ---------------------------------


@pytest.fixture
def fresh_database_url(database_url, tmp_path):
    """An empty database of the test run's kind (SQLite file or PostgreSQL database)."""
    if not os.environ.get("TEST_DATABASE_URL"):
        yield f"sqlite:///{tmp_path / 'fill.sqlite3'}"
        return
    server = make_url(os.environ["TEST_DATABASE_URL"])
    name = f"{make_url(database_url).database}_fill"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield server.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_the_migration_counts_the_rows_already_there(fresh_database_url):
    upgrade(fresh_database_url, "0011")
    engine = make_engine(fresh_database_url)
    try:
        tables = MetaData()
        tables.reflect(engine, only=["users", "service_gap_reports", "submissions"])
        users, reports, submissions = (tables.tables[n] for n in
                                       ("users", "service_gap_reports", "submissions"))
        at = utc(2026, 3, 14, 15, 0)
        with engine.begin() as conn:
            member_id = conn.execute(insert(users).values(
                email="m@example.com", password_hash="x", name="M", role="member", status="active",
                session_generation=0, created_at=at)).inserted_primary_key[0]
            for i in range(6):
                when = at + timedelta(hours=i)  # 15:00 ... 20:00 UTC: Shanghai midnight at 16:00
                report_id = conn.execute(insert(reports).values(
                    member_id=member_id, channel="store", commitment=("roaming", "billing_reminders")[i % 2],
                    district="xuhui", place="", occurred_at=when, severity=2, title="t",
                    description="", status="new", created_at=when, updated_at=when,
                )).inserted_primary_key[0]
                conn.execute(insert(submissions).values(
                    kind="gap_report", gap_report_id=report_id, member_id=member_id, title="t",
                    description="", low_score=False, status="new", tags=[], submitted_at=when,
                    updated_at=when, version=1))
    finally:
        engine.dispose()

    upgrade(fresh_database_url)
    from portal import create_app

    app = create_app({"TESTING": True, "DATABASE_URL": fresh_database_url, "SECRET_KEY": "k"})
    try:
        counts = _in_step(app)
    finally:
        app.extensions["portal.engine"].dispose()
    assert counts["dash_submission_days"] == {("2026-03-14", "gap_report"): 1,
                                              ("2026-03-15", "gap_report"): 5}
    assert counts["dash_gap_report_days"] == {("2026-03-14", "xuhui", "roaming"): 1,
                                              ("2026-03-15", "xuhui", "roaming"): 2,
                                              ("2026-03-15", "xuhui", "billing_reminders"): 3}
