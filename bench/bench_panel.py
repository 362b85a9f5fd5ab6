"""The panel health page and the lapsing members at BENCH_PANEL_MEMBERS members (default 100,000).

Seeds a database (a SQLite file in a temporary folder, or with PORTAL_BENCH_DATABASE_URL the
PostgreSQL database `<name>_panel`, created or emptied first) with that many members, registered
over the last 1,000 days (a 97th of them paused), each with their `member_activity` row (a fifth
without any activity, the others last active in the last 400 days), the months they were active in
(`member_active_months`, about four of the last fourteen each) and a ledger row per active month;
the bench staff of bench_lists.py; a dozen trials with accepted members and evaluations, a dozen
published consultations with opinions and the members asked; 20,000 invitations of the last 500
days (used, open, expired, withdrawn). All in batches of Core inserts (COPY on PostgreSQL).

Then it times `/staff/panel` and `/staff/panel/lapsing` (the first page and a later one) through
the WSGI test client signed in as office@bench: BENCH_RUNS runs (default 7) after a warm-up, and
prints the median wall time, the SQL statements per request and, for the health page, the time of
each of its statements run again on its own, all rows fetched (median, slowest first).

Goals (exit status 1 when one is missed, a `MISSED:` line): the health page's median under 50 ms,
the lapsing pages' under 30 ms; every page issues the same number of statements on every run.

BENCH_DIR keeps the SQLite database in that folder and reuses it on the next run.
"""
from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta

from sqlalchemy import event, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_lists import (  # noqa: E402  (bench/ is not a package)
    PASSWORD,
    STAFF,
    _copy,
    _fresh_postgresql,
    _seed_programmes,
    signed_in,
)

from portal import domain  # noqa: E402
from portal.accounts.models import Invitation, User  # noqa: E402
from portal.db import utcnow  # noqa: E402
from portal.migrate import upgrade  # noqa: E402
from portal.opinions.models import Opinion  # noqa: E402
from portal.panel.activity import month_of  # noqa: E402
from portal.panel.models import (  # noqa: E402
    ActiveMonth,
    ConsultationReach,
    MemberActivity,
    PointsEntry,
)
from portal.trials.models import Enrollment, Evaluation  # noqa: E402

MEMBERS = int(os.environ.get("BENCH_PANEL_MEMBERS", "100000"))
RUNS = int(os.environ.get("BENCH_RUNS", "7"))
GOALS_MS = {"health": 50.0, "lapsing": 30.0}
BATCH = 5000
ACCEPTED_PER_TRIAL = 2000
OPINIONS_PER_CONSULTATION = 5000
INVITATIONS = 20000
SEGMENTS = ["mobile"] * 4 + ["household"] * 3 + ["sme"] * 2 + ["enterprise"]


# --- The seed ---------------------------------------------------------------------------------


def _insert(s: Session, table, rows: list[dict]) -> None:
    if not rows:
        return
    if s.connection().dialect.name == "postgresql":
        _copy(s.connection(), table, rows)
        return
    for start in range(0, len(rows), BATCH):
        s.execute(insert(table), rows[start:start + BATCH])


def _months_back(today: date, n: int) -> list[date]:
    first, months = today.replace(day=1), []
    for _ in range(n):
        months.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return months


def _seed_members(s: Session, rng: random.Random, first: int, now) -> list[int]:
    """Members, their activity rows, active months and ledger, in batches; the member ids."""
    districts = list(domain.DISTRICTS)
    recent_months = _months_back(domain.shanghai_today(), 14)
    ids, source = [], 1
    for start in range(0, MEMBERS, BATCH):
        users, activity, months, ledger = [], [], [], []
        for n in range(start, min(MEMBERS, start + BATCH)):
            member_id = first + n
            ids.append(member_id)
            joined = now - timedelta(days=rng.uniform(1, 1000))
            users.append(dict(
                id=member_id, email=f"m{n}@panel.bench", name=f"会员{n}", role="member",
                status="paused" if n % 97 == 0 else "active", segment=rng.choice(SEGMENTS),
                district=None if n % 50 == 0 else rng.choice(districts), password_hash="x",
                created_at=joined, session_generation=0))
            last = None
            if rng.random() < 0.8:
                last = max(joined, now - timedelta(days=rng.uniform(0, 400)))
            activity.append(dict(member_id=member_id, last_activity_at=last, quiet_since=last or joined,
                                 last_reengaged_at=(now - timedelta(days=rng.randint(1, 60))
                                                    if rng.random() < 0.05 else None)))
            if last is None:
                continue
            active = {month_of(last)} | {m for m in recent_months
                                         if month_of(joined) <= m <= month_of(last) and rng.random() < 0.25}
            for month in sorted(active):
                months.append(dict(month=month, member_id=member_id))
                ledger.append(dict(id=source, member_id=member_id, kind="gap_report", source_id=source,
                                   points=5, earned_at=last if month == month_of(last) else
                                   domain.shanghai_midnight(month) + timedelta(days=3)))
                source += 1
        _insert(s, User.__table__, users)
        _insert(s, MemberActivity.__table__, activity)
        _insert(s, ActiveMonth.__table__, months)
        _insert(s, PointsEntry.__table__, ledger)
        s.commit()
    return ids


def _seed_programmes_rows(s: Session, rng: random.Random, staff, members: list[int], now) -> None:
    """Trials with accepted members and evaluations; consultations with opinions and reach."""
    trials, consultations = _seed_programmes(s, rng, staff, now)
    s.commit()
    enrollments, evaluations, opinions = [], [], []
    for trial in trials:
        for member in rng.sample(members, ACCEPTED_PER_TRIAL):
            enrollments.append(dict(id=len(enrollments) + 1, trial_id=trial, member_id=member,
                                    status="accepted", motivation="", created_at=now - timedelta(days=40),
                                    decided_at=now - timedelta(days=39)))
            if rng.random() < 0.6:
                evaluations.append(dict(
                    id=len(evaluations) + 1, trial_id=trial, member_id=member, status="submitted", version=1,
                    triage_status="new", created_at=now - timedelta(days=10),
                    updated_at=now - timedelta(days=10), submitted_at=now - timedelta(days=10)))
    for consultation in consultations:
        for member in rng.sample(members, OPINIONS_PER_CONSULTATION):
            opinions.append(dict(id=len(opinions) + 1, consultation_id=consultation, member_id=member,
                                 stance="support", text="同意", triage_status="new",
                                 created_at=now - timedelta(days=5), updated_at=now - timedelta(days=5)))
    _insert(s, Enrollment.__table__, enrollments)
    _insert(s, Evaluation.__table__, evaluations)
    _insert(s, Opinion.__table__, opinions)
    _insert(s, ConsultationReach.__table__, [
        dict(consultation_id=c, eligible=len(members) - len(members) // 97, counted_at=now)
        for c in consultations])
    s.commit()


def _seed_invitations(s: Session, rng: random.Random, office_id: int, members: list[int], now) -> None:
    rows = []
    for n in range(INVITATIONS):
        created = now - timedelta(days=rng.uniform(0, 500))
        fate = rng.random()
        rows.append(dict(
            id=n + 1, token_hash=f"{n:064x}", segment=rng.choice(SEGMENTS), email=None,
            created_by_id=office_id, created_at=created, expires_at=created + timedelta(days=30),
            used_at=created + timedelta(days=2) if fate < 0.5 else None,
            used_by_id=members[n % len(members)] if fate < 0.5 else None,
            revoked_at=created + timedelta(days=1) if 0.5 <= fate < 0.6 else None))
    _insert(s, Invitation.__table__, rows)
    s.commit()


def seed(engine) -> None:
    rng = random.Random(2026)
    now = utcnow()
    with Session(engine) as s:
        if engine.dialect.name == "sqlite":
            # For the seed only (this connection): a large page cache, and no fsync per batch.
            s.execute(text("PRAGMA cache_size=-524288"))
            s.execute(text("PRAGMA synchronous=OFF"))
        hashed = generate_password_hash(PASSWORD)
        staff = [User(email=e, name=n, role=r, password_hash=hashed, created_at=now - timedelta(days=1200))
                 for e, n, r in STAFF]
        s.add_all(staff)
        s.commit()
        members = _seed_members(s, rng, max(u.id for u in staff) + 1, now)
        _seed_programmes_rows(s, rng, staff, members, now)
        _seed_invitations(s, rng, staff[0].id, members, now)
        if engine.dialect.name == "postgresql":
            for table in ("users", "enrollments", "evaluations", "opinions", "invitations", "points_ledger"):
                s.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"(SELECT coalesce(max(id), 1) FROM {table}))"))
            s.commit()
    engine.dispose()
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))


def _database_url(folder: str) -> str:
    server = os.environ.get("PORTAL_BENCH_DATABASE_URL")
    if not server:
        return f"sqlite:///{folder}/panel-{MEMBERS}.sqlite3"
    url = make_url(server)
    url = url.set(database=f"{url.database}_panel").render_as_string(hide_password=False)
    _fresh_postgresql(url)
    return url


def build(folder: str):
    """The app on a new database seeded for the bench; with BENCH_DIR, the SQLite file of the
    same size left there by an earlier run is migrated and reused."""
    from portal import create_app

    url = _database_url(folder)
    path = url.removeprefix("sqlite:///")
    kept = url.startswith("sqlite:///") and os.path.exists(path)
    upgrade(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": True,
                      "JOBS_SQLITE_PATH": f"{folder}/jobs.sqlite3", "EXPORT_DIR": folder})
    app.instance_path = folder
    if kept:
        print(f"reusing {path}", flush=True)
        return app
    started = time.perf_counter()
    seed(app.extensions["portal.engine"])
    print(f"seeded {MEMBERS:,} members in {time.perf_counter() - started:.0f} s "
          f"({make_url(url).get_backend_name()})", flush=True)
    return app


# --- Timing -----------------------------------------------------------------------------------


class Statements:
    """The SQL and parameters of each statement of the request being timed."""

    def __init__(self, engine):
        self.sent: list[tuple[str, object]] = []
        event.listen(engine, "before_cursor_execute", self._before)

    def _before(self, conn, cursor, statement, parameters, *args):
        self.sent.append((statement, parameters))


def measure(client, url: str, statements: Statements) -> tuple[list[float], list[int], list]:
    """Wall times and statement counts of RUNS GETs after a warm-up, and the statements of the
    last."""
    client.get(url).get_data()
    walls, counts = [], []
    for _ in range(RUNS):
        statements.sent = []
        started = time.perf_counter()
        response = client.get(url)
        response.get_data()
        walls.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
        counts.append(len(statements.sent))
    return walls, counts, statements.sent


def per_statement(engine, sent: list) -> list[tuple[float, str]]:
    """Each statement run again on its own, every row fetched (the request's statements are
    timed apart from its Python): the median of RUNS, slowest first."""
    timed = []
    connection = engine.raw_connection()
    try:
        for sql, parameters in sent:
            cursor = connection.cursor()
            times = []
            for _ in range(RUNS):
                started = time.perf_counter()
                cursor.execute(sql, parameters)
                cursor.fetchall()
                times.append(time.perf_counter() - started)
            cursor.close()
            timed.append((statistics.median(times) * 1000, sql))
        connection.rollback()
    finally:
        connection.close()
    return sorted(timed, reverse=True)


def _first_line(sql: str) -> str:
    return " ".join(sql.split())[:110]


def main() -> int:
    failures = []
    with tempfile.TemporaryDirectory() as scratch:
        app = build(os.environ.get("BENCH_DIR") or scratch)
        engine = app.extensions["portal.engine"]
        client = signed_in(app, STAFF[0][0])
        statements = Statements(engine)
        # A later page of the lapsing list: the cursor of the first page's "Next" link.
        first_page = client.get("/staff/panel/lapsing").get_data(as_text=True)
        later = "/staff/panel/lapsing?from=" + first_page.split("lapsing?from=")[1].split('"')[0]
        pages = [("health", "/staff/panel"), ("lapsing", "/staff/panel/lapsing"), ("lapsing", later)]
        print(f"{'page':<60} {'median ms':>10} {'statements':>11}")
        for goal, url in pages:
            walls, counts, sent = measure(client, url, statements)
            median = statistics.median(walls) * 1000
            print(f"{url[:60]:<60} {median:>10.1f} {counts[0]:>11}")
            if goal == "health":
                for ms, sql in per_statement(engine, sent):
                    print(f"    {ms:8.2f} ms  {_first_line(sql)}")
            if median > GOALS_MS[goal]:
                failures.append(f"{url}: {median:.1f} ms > {GOALS_MS[goal]:.0f} ms")
            if len(set(counts)) != 1:
                failures.append(f"{url}: statements vary between runs ({sorted(set(counts))})")
        engine.dispose()
    for failure in failures:
        print(f"MISSED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
