"""Drawing a trial's sample over BENCH_SAMPLE_MEMBERS members (default 100,000): `make bench`.

Seeds a database (a SQLite file in a temporary folder, or with PORTAL_BENCH_DATABASE_URL the
PostgreSQL database `<name>_sampling`, created or emptied first) with that many members (segments,
districts, a profile for the mobile ones), two running trials with accepted members (left out of
samples) and invitations of the last 60 days (those of the last 30 left out). Then it times
`sampling.draw` of 500 members for three trials: open to every segment with three quotas, the
issue's "Android handsets on a 5G plan in Pudong or Minhang", and one of households in one
district: BENCH_RUNS runs (default 7) after a warm-up, the median printed with the SQL statements
of a draw.

Goal (exit status 1 when missed, a `MISSED:` line): every draw's median under 1 s.
"""
from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta

from sqlalchemy import create_engine, delete, insert, make_url, text

from portal import create_app
from portal.accounts.models import User
from portal.accounts.profiles import MemberProfile
from portal.db import db, utcnow
from portal.migrate import upgrade
from portal.trials import sampling
from portal.trials.models import (
    Enrollment,
    Trial,
    TrialCondition,
    TrialDistrict,
    TrialInvitation,
    TrialQuota,
    TrialSegment,
)

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tests.queries import sql_statements  # noqa: E402

MEMBERS = int(os.environ.get("BENCH_SAMPLE_MEMBERS", "100000"))
RUNS = int(os.environ.get("BENCH_RUNS", "7"))
SIZE = 500
GOAL_S = 1.0
BATCH = 5000
DISTRICTS = ["huangpu", "xuhui", "changning", "jingan", "putuo", "hongkou", "yangpu", "minhang",
             "baoshan", "jiading", "pudong", "jinshan", "songjiang", "qingpu", "fengxian", "chongming"]
SEGMENTS = ["mobile"] * 4 + ["household"] * 3 + ["sme"] * 2 + ["enterprise"]


def _database_url(folder: str) -> str:
    server = os.environ.get("PORTAL_BENCH_DATABASE_URL")
    if not server:
        return f"sqlite:///{folder}/sampling.sqlite3"
    base = make_url(server)
    name = f"{base.database}_sampling"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _rows(rng: random.Random):
    """Members and the profiles of the mobile ones, in batches."""
    now = utcnow()
    users, profiles = [], []
    for i in range(1, MEMBERS + 1):
        segment = rng.choice(SEGMENTS)
        users.append(dict(id=i, email=f"m{i}@bench", password_hash="x", name=f"会员{i}", role="member",
                          status="paused" if i % 97 == 0 else "active", segment=segment,
                          district=rng.choice(DISTRICTS), created_at=now, session_generation=0))
        if segment == "mobile":
            handset_os = rng.choice(["android"] * 6 + ["ios"] * 3 + ["harmonyos"])
            profiles.append(dict(member_id=i, handset_os=handset_os,
                                 network_generation=rng.choice(["4g", "5g", "5g"]),
                                 plan_type=rng.choice(["prepaid", "postpaid", "family_plan"]),
                                 services_used=[], updated_at=now))
        if len(users) >= BATCH:
            yield users, profiles
            users, profiles = [], []
    if users:
        yield users, profiles


def _trial(trial_id: int, title: str, status: str, segments, **fields) -> dict:
    today = utcnow().date()
    db.execute(insert(Trial), [dict(
        id=trial_id, kind="product", title=title, description="", status=status, auto_accept=False,
        enrollment_opens_on=today, enrollment_closes_on=today + timedelta(days=20),
        starts_on=today + timedelta(days=21), ends_on=today + timedelta(days=60), created_at=utcnow(),
        updated_at=utcnow(), version=1, **fields)])
    db.execute(insert(TrialSegment), [dict(trial_id=trial_id, segment=s) for s in segments])


def seed(rng: random.Random) -> None:
    for table in (TrialInvitation, Enrollment, TrialQuota, TrialCondition, TrialDistrict, TrialSegment,
                  Trial, MemberProfile, User):
        db.execute(delete(table))
    for users, profiles in _rows(rng):
        db.execute(insert(User), users)
        if profiles:
            db.execute(insert(MemberProfile), profiles)
    all_segments = ("mobile", "household", "sme", "enterprise")
    _trial(1, "Running A", "running", all_segments)
    _trial(2, "Running B", "running", all_segments)
    _trial(10, "Every segment with quotas", "recruiting", all_segments)
    _trial(11, "Android 5G in Pudong or Minhang", "recruiting", ("mobile",))
    _trial(12, "Households in Xuhui", "recruiting", ("household",))
    db.execute(insert(TrialDistrict), [dict(trial_id=11, district="pudong"),
                                       dict(trial_id=11, district="minhang"),
                                       dict(trial_id=12, district="xuhui")])
    db.execute(insert(TrialCondition), [dict(trial_id=11, attribute="handset_os", value="android"),
                                        dict(trial_id=11, attribute="network_generation", value="5g")])
    db.execute(insert(TrialQuota), [dict(trial_id=10, segment="household", district=None, places=100),
                                    dict(trial_id=10, segment=None, district="pudong", places=40),
                                    dict(trial_id=10, segment="enterprise", district="minhang", places=5)])
    busy = rng.sample(range(1, MEMBERS + 1), MEMBERS // 20)
    db.execute(insert(Enrollment), [dict(trial_id=1 + i % 2, member_id=m, status="accepted", motivation="",
                                         created_at=utcnow()) for i, m in enumerate(busy)])
    invited = rng.sample(range(1, MEMBERS + 1), MEMBERS // 10)
    now = utcnow()
    db.execute(insert(TrialInvitation), [
        dict(trial_id=2, member_id=m, invited_at=now - timedelta(days=i % 60))
        for i, m in enumerate(invited)])
    db.commit()


def measure(app, trial_id: int) -> tuple[float, int, int]:
    """Median seconds of a draw of SIZE for the trial, the members drawn, the statements sent."""
    trial = db.get(Trial, trial_id)
    sampling.draw(trial, SIZE)  # warm-up
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        drawn = sampling.draw(trial, SIZE)
        times.append(time.perf_counter() - started)
    with sql_statements(app) as statements:
        sampling.draw(trial, SIZE)
    return statistics.median(times), len(drawn), len(statements)


def main() -> int:
    failures = []
    with tempfile.TemporaryDirectory() as folder:
        url = _database_url(folder)
        upgrade(url)
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
        with app.app_context():
            started = time.perf_counter()
            seed(random.Random(2026))
            print(f"seeded {MEMBERS:,} members in {time.perf_counter() - started:.0f} s "
                  f"({make_url(url).get_backend_name()})", flush=True)
            for trial_id in (10, 11, 12):
                seconds, drawn, statements = measure(app, trial_id)
                title = db.get(Trial, trial_id).title
                print(f"draw of {SIZE} for “{title}”: {seconds * 1000:7.1f} ms, {drawn} drawn, "
                      f"{statements} SQL statements", flush=True)
                if seconds >= GOAL_S:
                    failures.append(
                        f"sample draw for “{title}” over {MEMBERS:,} members took {seconds:.2f} s")
        app.extensions["portal.engine"].dispose()
    for failure in failures:
        print("MISSED:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
