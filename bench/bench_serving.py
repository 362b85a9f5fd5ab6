"""The portal's pages served by gunicorn and loaded with wrk, next to the anchor app (issue 11).

`python bench/bench_serving.py` seeds a database of BENCH_ROWS submissions (bench_lists.build;
PORTAL_BENCH_DATABASE_URL for PostgreSQL) and measures; `make bench` calls `run` from
bench_lists.py on the database its in-process part used.

Three servers side by side, each `gunicorn -c bench/gunicorn_bench.py` (4 sync workers) on a
free local port: a bare Flask "hello" (the ceiling), the anchor (bench/anchor.py: raw driver
+ Jinja2, the 50 newest submissions as an HTML table) and the portal (wsgi.py on the bench
database, signed in through the login form: the session cookie goes to wrk). Each page gets a
1-second warm-up, then `wrk -t2 -c16 -d<BENCH_SECONDS>s --latency` (default 10 s). The anchor
is loaded before the portal and again after it; the ratios are to the mean of the two.

Goal (MISSED lines, exit status 1): /staff/inbox, /staff/reports, /staff/improvements and the
member home each serve at least 0.5x the anchor's requests per second.
"""
from __future__ import annotations

import contextlib
import http.client
import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unicodedata
import urllib.request
from pathlib import Path
from urllib.parse import quote, unquote, urlencode

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
GUNICORN = [sys.executable, "-m", "gunicorn", "-c", str(BENCH / "gunicorn_bench.py")]
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
THREADS, CONNECTIONS = 2, 16
PASSWORD = "bench-pass-2026"
# The same on the sign-in and on every loaded request (Flask-Login's session protection).
USER_AGENT = "portal-bench"
RATIO_GOAL = 0.5
# The portal's floor: what every signed-in page costs before its own content (session, user,
# CSRF token, the base layout with its navigation), measured on a page that does not exist
# (404, the layout and one sentence). No list page can serve faster than this.
FLOOR = "/staff/no-such-page"
FILTERED = "/staff/inbox?" + urlencode({"commitment": "roaming", "severity": 3, "q": "排队"})
# (label, server, user or None, path, held to the goal)
PAGES = [
    ('bare Flask "hello" (ceiling)', "hello", None, "/", False),
    ("anchor: raw driver + Jinja, 50 newest rows", "anchor", None, "/", False),
    ("portal /health (no session, SELECT 1)", "portal", None, "/health", False),
    ("portal floor: signed-in 404 (layout only)", "portal", "office@bench", FLOOR, False),
    ("/staff/inbox", "portal", "office@bench", "/staff/inbox", True),
    (unquote(FILTERED), "portal", "office@bench", FILTERED, False),
    ("/staff/reports", "portal", "office@bench", "/staff/reports", True),
    ("/staff/improvements", "portal", "office@bench", "/staff/improvements", True),
    ("member home / (member@bench)", "portal", "member@bench", "/", True),
]
AGAIN = "anchor, again after the portal's pages"
APPS = {"hello": "anchor:hello", "anchor": "anchor:app", "portal": "wsgi:app"}


def _pad(label: str, width: int) -> str:
    """`label` padded to `width` columns of a terminal (a Chinese character takes two)."""
    columns = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in label)
    return label + " " * max(0, width - columns)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One gunicorn, started on a free port and stopped (its process group) on exit."""

    def __init__(self, app: str, env: dict[str, str], folder: str):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(Path(folder) / f"gunicorn-{app.replace(':', '-')}.log", "w+")  # noqa: SIM115
        self.process = subprocess.Popen(
            [*GUNICORN, "--bind", f"127.0.0.1:{self.port}", "--pythonpath", f"{ROOT},{BENCH}", app],
            cwd=BENCH, env={**os.environ, **env}, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait(self, path: str = "/", timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                status, _ = get(self.base + path, {})
                if status < 500:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.log.seek(0)
        raise RuntimeError(f"gunicorn did not start:\n{self.log.read()[-3000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait()
        self.log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def get(url: str, headers: dict[str, str]) -> tuple[int, bytes]:
    """One GET, redirects not followed."""
    host, _, path = url.removeprefix("http://").partition("/")
    conn = http.client.HTTPConnection(host, timeout=30)
    try:
        conn.request("GET", "/" + path, headers={"User-Agent": USER_AGENT, **headers})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def session_cookie(base: str, email: str) -> str:
    """Signs in through the login form (with its CSRF token); the Cookie header to send."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", USER_AGENT)]
    page = opener.open(base + "/login").read().decode()
    token = page.split('name="csrf-token" content="')[1].split('"')[0]
    form = urlencode({"email": email, "password": PASSWORD, "csrf_token": token}).encode()
    opener.open(base + "/login", form)
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def wrk(url: str, headers: dict[str, str], seconds: int) -> tuple[float, float, str]:
    """Requests per second, median latency in ms and a problem wrk reported (or "")."""
    # A long timeout: a slow page's requests count in its latency instead of as socket errors.
    args = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "30s", "--latency"]
    for name, value in {"User-Agent": USER_AGENT, **headers}.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    problems = [line.strip() for line in out.splitlines()
                if "Non-2xx" in line or "Socket errors" in line]
    return rate, p50, "; ".join(problems)


def _portal_env(url: str, folder: str) -> dict[str, str]:
    return {"PORTAL_DATABASE_URL": url, "SECRET_KEY": "bench-serving",
            "PORTAL_JOBS_SQLITE": f"{folder}/jobs-serving.sqlite3", "PORTAL_EXPORT_DIR": folder}


def _measure(server: Server, label: str, path: str,
             headers: dict[str, str]) -> tuple[tuple[float, float], str]:
    """((req/s, p50 ms), what went wrong or "") of one page."""
    quoted = quote(path, safe="/?=&%")
    expected = 404 if path == FLOOR else 200
    status, _ = get(server.base + quoted, headers)
    if status != expected:
        return (0.0, 0.0), f"answered {status}"
    wrk(server.base + quoted, headers, 1)  # warm-up: every worker imports and compiles its templates
    rate, p50, problem = wrk(server.base + quoted, headers, SECONDS)
    return (rate, p50), "" if path == FLOOR else problem


def run(url: str, folder: str, rows: int) -> list[str]:
    """Measures every page of PAGES on the database at `url`, prints the table and returns the
    goals missed. The three servers run side by side (idle sync workers cost nothing); the anchor
    is loaded before the portal's pages and again after them, and the portal is compared with
    the mean of the two, so that a change in the machine's load weighs on both sides."""
    if shutil.which("wrk") is None:
        return ["wrk is not installed (`make wrk`, or apt-get install wrk)"]
    env = {"BENCH_ANCHOR_DATABASE_URL": url}
    results, notes, failures = {}, {}, []
    with contextlib.ExitStack() as stack:
        servers = {name: stack.enter_context(Server(APPS[name], env if name != "portal" else
                                                    _portal_env(url, folder), folder))
                   for name in APPS}
        for name, server in servers.items():
            server.wait("/health" if name == "portal" else "/")
        cookies: dict[str, str] = {}
        for label, name, email, path, _goal in [*PAGES, (AGAIN, *PAGES[1][1:])]:
            headers = {}
            if email:
                if email not in cookies:
                    cookies[email] = session_cookie(servers[name].base, email)
                headers["Cookie"] = cookies[email]
            results[label], notes[label] = _measure(servers[name], label, path, headers)
            if "Non-2xx" in notes[label] or "answered" in notes[label]:
                failures.append(f"{label}: {notes[label]}")
    anchor = (results[PAGES[1][0]][0] + results[AGAIN][0]) / 2
    dialect = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"\nServed by gunicorn (4 sync workers), loaded by wrk ({THREADS} threads, {CONNECTIONS} "
          f"connections, {SECONDS} s) - {dialect}, {rows:,} submissions. x anchor: the share of "
          f"the anchor's mean req/s ({anchor:.0f})")
    print(f"{'page':56} {'req/s':>8} {'p50':>10}  x anchor")
    for label, *_rest, goal in [*PAGES, (AGAIN, None, None, None, False)]:
        rate, p50 = results[label]
        ratio = rate / anchor if anchor else 0.0
        print(f"{_pad(label, 56)} {rate:8.0f} {p50:7.1f} ms  {ratio:6.2f}"
              f"{'  (goal >= 0.5)' if goal else ''}{'  ' + notes[label] if notes[label] else ''}")
        if goal and ratio < RATIO_GOAL:
            failures.append(f"{label}: {rate:.0f} req/s, {ratio:.2f}x the anchor's {anchor:.0f} "
                            f"(goal >= {RATIO_GOAL}x)")
    return failures


def main() -> int:
    from bench_lists import ROWS, build

    with tempfile.TemporaryDirectory() as folder:
        t0 = time.perf_counter()
        app = build(ROWS, folder)
        print(f"seeded {ROWS:,} submissions in {time.perf_counter() - t0:.0f} s", flush=True)
        app.extensions["portal.engine"].dispose()
        failures = run(app.config["DATABASE_URL"], folder, ROWS)
    for failure in failures:
        print("MISSED:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
