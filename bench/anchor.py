"""The anchors `make bench` serves next to the portal, under the same gunicorn settings.

`app`: about the least a Python list page can cost, a plain WSGI callable (no Flask) that reads
the 50 newest submissions of the bench database with the raw driver (sqlite3, or psycopg for a
PostgreSQL URL) and renders them as an HTML table with Jinja2. The portal's list pages are held
to a share of its requests per second (bench_serving.py).

`hello`: a bare Flask "hello", the ceiling of the server and the load tool on this machine.

The database is BENCH_ANCHOR_DATABASE_URL, a SQLAlchemy URL as the portal takes it.
"""
from __future__ import annotations

import os

from flask import Flask
from jinja2 import Environment

URL = os.environ.get("BENCH_ANCHOR_DATABASE_URL", "")
QUERY = ("SELECT id, submitted_at, title, status, district, commitment FROM submissions "
         "ORDER BY submitted_at DESC, id DESC LIMIT 50")
PAGE = Environment(autoescape=True).from_string("""<!doctype html>
<html lang="zh-Hans"><head><meta charset="utf-8"><title>Submissions</title></head>
<body><main><h1>Submissions</h1>
<table><thead><tr><th>#</th><th>Sent</th><th>Title</th><th>Status</th><th>District</th>
<th>Commitment</th></tr></thead><tbody>
{% for id, sent, title, status, district, commitment in rows %}
<tr><td><a href="/staff/inbox/{{ id }}">{{ id }}</a></td><td>{{ sent }}</td><td>{{ title }}</td>
<td>{{ status }}</td><td>{{ district or "" }}</td><td>{{ commitment or "" }}</td></tr>
{% endfor %}
</tbody></table></main></body></html>
""")

_connection = None


def _connect():
    """One connection per worker process, opened on its first request (after gunicorn's fork)."""
    global _connection
    if _connection is None:
        if URL.startswith("sqlite"):
            import sqlite3

            _connection = sqlite3.connect(URL.removeprefix("sqlite:///"))
        else:
            import psycopg

            _connection = psycopg.connect(URL.replace("postgresql+psycopg://", "postgresql://"),
                                          autocommit=True)
    return _connection


def app(environ, start_response):
    rows = _connect().execute(QUERY).fetchall()
    body = PAGE.render(rows=rows).encode()
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                              ("Content-Length", str(len(body)))])
    return [body]


hello = Flask(__name__)


@hello.get("/")
def _hello():
    return "Hello, World!"
