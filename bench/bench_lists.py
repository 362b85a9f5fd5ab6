"""Benchmarks for the pages and exports that grow with the data: `make bench`.

Seeds a fresh SQLite database (or PORTAL_BENCH_DATABASE_URL) with ROWS service-gap reports and
their inbox submissions, then times the staff inbox, the staff report list and the member home
through the WSGI app, several runs each, and prints min / median / max wall time and SQL
statements per request. (Exports are export jobs: bench_exports.py measures them.)

Goals it checks (exit status 1 when one is missed):
- a list page issues the same number of SQL statements at 100 and at ROWS rows;
- the inbox's first page answers in under 300 ms (median) at ROWS rows.
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta

from sqlalchemy import event, insert
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from portal import create_app
from portal.accounts.models import User
from portal.db import utcnow
from portal.gaps.models import ServiceGapReport
from portal.migrate import upgrade
from portal.triage.models import Submission

ROWS = int(os.environ.get("BENCH_ROWS", "20000"))
RUNS = int(os.environ.get("BENCH_RUNS", "7"))
PASSWORD = "bench-pass-2026"
COMMITMENTS = ["network_quality", "billing_reminders", "roaming", "e_channels",
               "value_added_services", "counter_service"]
DISTRICTS = ["huangpu", "xuhui", "pudong", "minhang", "jingan", "yangpu"]


def seed(engine, rows: int) -> None:
    with Session(engine) as s:
        hashed = generate_password_hash(PASSWORD)
        office = User(email="office@bench", name="Office", role="office", password_hash=hashed)
        member = User(email="member@bench", name="成员", role="member", segment="mobile",
                      district="xuhui", password_hash=hashed)
        s.add_all([office, member])
        s.commit()
        now = utcnow()
        for start in range(0, rows, 2000):
            batch = range(start, min(rows, start + 2000))
            reports = [dict(
                member_id=member.id, channel="store", commitment=COMMITMENTS[i % 6],
                district=DISTRICTS[i % 6], place="营业厅", occurred_at=now - timedelta(minutes=i),
                severity=1 + i % 4, title=f"排队时间过长 {i}", description="=SUM(A1) 等了四十分钟",
                status="new", created_at=now - timedelta(minutes=i), updated_at=now,
            ) for i in batch]
            ids = s.scalars(insert(ServiceGapReport).returning(ServiceGapReport.id), reports).all()
            s.execute(insert(Submission), [dict(
                kind="gap_report", gap_report_id=rid, member_id=member.id, segment="mobile",
                district=r["district"], channel="store", commitment=r["commitment"],
                severity=r["severity"], title=r["title"], description=r["description"],
                low_score=False, status="new", tags=[], submitted_at=r["created_at"],
                updated_at=now, version=1,
            ) for rid, r in zip(ids, reports, strict=False)])
            s.commit()


class Counter:
    def __init__(self, engine):
        self.n = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *args):
        self.n += 1


def signed_in(app, email):
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["lang"] = "zh_Hans"
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf-token" content="')[1].split('"')[0]
    r = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 302, r.status_code
    return client


def timed(client, url, counter, runs=RUNS):
    times, statements = [], []
    client.get(url)  # warm-up
    for _ in range(runs):
        before = counter.n
        t0 = time.perf_counter()
        response = client.get(url)
        body = response.get_data()
        times.append(time.perf_counter() - t0)
        statements.append(counter.n - before)
        assert response.status_code == 200, (url, response.status_code)
    return times, statements[-1], len(body)


def build(rows: int, folder: str):
    url = os.environ.get("PORTAL_BENCH_DATABASE_URL") or f"sqlite:///{folder}/bench-{rows}.sqlite3"
    upgrade(url)
    # The job queue and export files in the bench's folder, never the developer's instance/.
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": True,
                      "JOBS_SQLITE_PATH": f"{folder}/jobs.sqlite3", "EXPORT_DIR": folder})
    app.instance_path = folder
    seed(app.extensions["portal.engine"], rows)
    return app


def fmt(times):
    ms = [t * 1000 for t in times]
    return f"min {min(ms):7.1f} ms  median {statistics.median(ms):7.1f} ms  max {max(ms):7.1f} ms"


def main() -> int:
    failures = []
    pages = {
        "inbox": ("office@bench", "/staff/inbox"),
        "inbox, filtered": ("office@bench", "/staff/inbox?commitment=roaming&severity=3&q=排队"),
        "gap reports (staff)": ("office@bench", "/staff/reports"),
        "member home": ("member@bench", "/"),
    }
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for rows in (ROWS // 10, ROWS):
            app = build(rows, folder)
            counter = Counter(app.extensions["portal.engine"])
            clients = {}
            for name, (email, url) in pages.items():
                client = clients.setdefault(email, signed_in(app, email))
                results[(name, rows)] = timed(client, url, counter)
            app.extensions["portal.engine"].dispose()

    print(f"rows: {ROWS // 10} and {ROWS}; {RUNS} runs per page after a warm-up")
    for name in pages:
        small, large = results[(name, ROWS // 10)], results[(name, ROWS)]
        print(f"{name:22} {ROWS:6} rows: {fmt(large[0])}  {large[1]} SQL statements "
              f"({small[1]} at {ROWS // 10} rows)")
        if small[1] != large[1]:
            failures.append(f"{name}: {small[1]} SQL statements at {ROWS // 10} rows, {large[1]} at {ROWS}")
    inbox_median = statistics.median(results[("inbox", ROWS)][0])
    if inbox_median > 0.3:
        failures.append(f"inbox first page median {inbox_median * 1000:.0f} ms > 300 ms")
    for failure in failures:
        print("MISSED:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
