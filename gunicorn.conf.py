"""gunicorn settings read by `make run` (gunicorn loads ./gunicorn.conf.py by itself).

The `Server: gunicorn` response header names the software and its version to every scanner; the
response class below leaves it out. Everything else is set on the command line or by
GUNICORN_CMD_ARGS.
"""
from gunicorn.http import wsgi as _gunicorn_wsgi

_default_headers = _gunicorn_wsgi.Response.default_headers


def _headers_without_server(self):
    return [line for line in _default_headers(self) if not line.lower().startswith("server:")]


_gunicorn_wsgi.Response.default_headers = _headers_without_server

accesslog = "-"
