"""Export jobs at scale: time and peak memory of the job that writes the inbox export.

`python bench/bench_exports.py` (run by `make bench`). For each size in BENCH_EXPORT_ROWS (default
"100000,1000000") it seeds a SQLite database (or PORTAL_BENCH_DATABASE_URL, emptied first) with
that many inbox submissions, then, for CSV and for XLSX, runs one export job in a fresh process
as the job consumer does (an application context, no request) and prints its wall time and the
process's peak RSS. It also times the web request that starts the job (it must stay far below
gunicorn's 30 s timeout: it only counts up to LARGE + 1 rows and queues the job).

Goals (exit status 1 when one is missed), from issue 9:
- 100,000 rows: CSV in under 3 s, XLSX in under 10 s;
- 1,000,000 rows: CSV and XLSX complete, each with a peak RSS under 200 MB;
- the request that starts an export answers in under 1 s at every size.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

from bench_lists import build, signed_in
from rss import peak_rss_mb

SIZES = [int(n) for n in os.environ.get("BENCH_EXPORT_ROWS", "100000,1000000").split(",") if n]
GOALS_SECONDS = {(100_000, "csv"): 3.0, (100_000, "xlsx"): 10.0}
RSS_LIMIT_MB = 200
REQUEST_LIMIT_S = 1.0


def child(url: str, fmt: str, folder: str) -> None:
    """One export job, run as the consumer runs it; prints "seconds rows rss_mb"."""
    from sqlalchemy import select

    from portal import create_app
    from portal.accounts.models import User
    from portal.db import db
    from portal.exports import jobs

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "EXPORT_DIR": folder,
                      "PUBLIC_BASE_URL": "https://portal.example"})
    with app.app_context():
        office = db.scalar(select(User).where(User.email == "office@bench"))
        job = jobs.start(office, "submissions", fmt, {})
        job_id = job.id
        started = time.perf_counter()
        jobs.run(job_id)
        seconds = time.perf_counter() - started
        job = db.get(jobs.ExportJob, job_id)
        assert job.status == "done", job.status
        size = jobs.file_path(job).stat().st_size
    rss_mb = peak_rss_mb()
    print(f"{seconds:.3f} {job.rows_done} {rss_mb:.1f} {size}")


def start_request_seconds(app) -> float:
    """The web request that starts a CSV export of every row: it counts up to LARGE + 1 rows,
    queues the job and redirects."""
    client = signed_in(app, "office@bench")
    started = time.perf_counter()
    response = client.get("/staff/exports/submissions.csv")
    seconds = time.perf_counter() - started
    assert response.status_code in (303, 200), response.status_code
    return seconds


def main() -> int:
    failures = []
    with tempfile.TemporaryDirectory() as folder:
        for rows in SIZES:
            t0 = time.perf_counter()
            app = build(rows, folder)
            url = app.config["DATABASE_URL"]
            print(f"seeded {rows:,} submissions in {time.perf_counter() - t0:.0f} s", flush=True)
            request_s = start_request_seconds(app)
            print(f"the request that starts the export: {request_s * 1000:.0f} ms", flush=True)
            if request_s > REQUEST_LIMIT_S:
                failures.append(f"starting an export at {rows:,} rows took {request_s:.2f} s")
            app.extensions["portal.engine"].dispose()
            for fmt in ("csv", "xlsx"):
                out = subprocess.run([sys.executable, __file__, "--child", url, fmt, folder],
                                     check=True, capture_output=True, text=True).stdout.split()
                seconds, done, rss_mb, size = float(out[0]), int(out[1]), float(out[2]), int(out[3])
                print(f"{fmt.upper():4} {rows:>9,} rows: {seconds:7.2f} s  peak RSS {rss_mb:6.1f} MB  "
                      f"file {size / 1e6:6.1f} MB", flush=True)
                if done != rows:
                    failures.append(f"{fmt} at {rows}: {done} rows written")
                goal = GOALS_SECONDS.get((rows, fmt))
                if goal and seconds > goal:
                    failures.append(f"{fmt} at {rows:,} rows: {seconds:.2f} s > {goal} s")
                if rss_mb > RSS_LIMIT_MB:
                    failures.append(f"{fmt} at {rows:,} rows: peak RSS {rss_mb:.0f} MB > {RSS_LIMIT_MB} MB")
            app.extensions["portal.engine"].dispose()
            os.remove(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
    for failure in failures:
        print("MISSED:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(main())
