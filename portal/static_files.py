"""Stylesheets, scripts and icons: served by WhiteNoise in front of Flask, each under a name that
carries a hash of its content (`/static/portal.3f2a9c1d07be.css`), cached for a year as immutable,
and gzip-compressed when the browser accepts it.

- Templates link them with `static_url("portal.css")`, never `url_for("static", ...)`: a changed
  file gets a new name, so a year-long cache can never serve a stale stylesheet.
- The hashed copies and their `.gz` live in `<instance>/static-build/` (the package's own folder
  may be read-only). A file is copied when `static_url` first sees its content: an edit shows on
  the next page without a restart, and several workers writing the same copy write the same bytes
  (each through a temporary file and a rename).
- The plain names (`/static/portal.css`) still answer, cached for a minute, for pages a browser
  kept from before a change; `/favicon.ico` answers with the SVG icon (browsers ask for it
  unprompted).
"""
from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import NamedTuple

from flask import Flask
from whitenoise import WhiteNoise

YEAR = 365 * 24 * 60 * 60
PLAIN_MAX_AGE = 60
PREFIX = "/static/"
FAVICON = "favicon.svg"
# Formats gzip makes no smaller.
NOT_COMPRESSED = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".woff", ".woff2", ".gz")
# Copies of former versions are deleted once this old: a page a browser (or a web host not yet
# restarted in a rolling upgrade) kept from before a change still finds its stylesheet for a while.
KEEP_FORMER_DAYS = 30


class _Built(NamedTuple):
    stamp: tuple[int, int]  # the source's mtime (ns) and size when it was copied
    url: str


class _Server(WhiteNoise):
    FOREVER = YEAR

    def __init__(self, application, build_dir: Path, **options):
        self.build_dir = str(build_dir) + os.sep
        super().__init__(application, **options)

    def immutable_file_test(self, path, url):
        # Only the hashed copies: a plain name's content changes when the file does.
        return path.startswith(self.build_dir)


def _hashed_name(name: str, digest: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return f"{stem}.{digest}.{ext}" if dot else f"{name}.{digest}"


def _write_atomically(target: Path, data: bytes) -> None:
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(temporary, target)


def _no_sniff(headers, path, url) -> None:
    headers["X-Content-Type-Options"] = "nosniff"


class StaticFiles:
    """The hashed names of one app's static folder, and the WhiteNoise server answering them."""

    def __init__(self, app: Flask, build_dir: Path):
        self.source = Path(app.static_folder or "")
        self.build_dir = build_dir
        self.build_dir.mkdir(parents=True, exist_ok=True)
        self._built: dict[str, _Built] = {}
        self._lock = threading.Lock()
        self.server = _Server(app.wsgi_app, build_dir, max_age=PLAIN_MAX_AGE,
                              add_headers_function=_no_sniff)
        self.server.add_files(str(self.source), prefix=PREFIX)
        favicon = self.source / FAVICON
        if favicon.exists():
            self.server.add_file_to_dictionary("/favicon.ico", str(favicon))
        for path in sorted(self.source.rglob("*")):
            if path.is_file():
                self.url(path.relative_to(self.source).as_posix())
        self.prune()

    def prune(self, now: float | None = None) -> int:
        """Delete the copies of former versions older than KEEP_FORMER_DAYS; how many."""
        current = {built.url.removeprefix(PREFIX) for built in self._built.values()}
        current |= {name + ".gz" for name in current}
        cutoff = (now or time.time()) - KEEP_FORMER_DAYS * 24 * 60 * 60
        removed = 0
        for path in self.build_dir.rglob("*"):
            name = path.relative_to(self.build_dir).as_posix()
            if path.is_file() and name not in current and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                removed += 1
        return removed

    def url(self, filename: str) -> str:
        """The hashed URL of `filename` (relative to the static folder), copying it first if its
        content is new."""
        source = self.source / filename
        stat = source.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
        built = self._built.get(filename)
        if built is not None and built.stamp == stamp:
            return built.url
        with self._lock:
            return self._build(filename, source, stamp)

    def _build(self, filename: str, source: Path, stamp: tuple[int, int]) -> str:
        data = source.read_bytes()
        name = _hashed_name(filename, hashlib.sha256(data).hexdigest()[:12])
        target = self.build_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            if not name.endswith(NOT_COMPRESSED):
                packed = gzip.compress(data, compresslevel=9, mtime=0)
                if len(packed) < len(data):
                    _write_atomically(target.with_name(target.name + ".gz"), packed)
            _write_atomically(target, data)
        url = PREFIX + name
        self.server.add_file_to_dictionary(url, str(target))
        self._built[filename] = _Built(stamp, url)
        return url


def init_app(app: Flask) -> None:
    build_dir = Path(app.config.get("STATIC_BUILD_DIR") or Path(app.instance_path) / "static-build")
    files = StaticFiles(app, build_dir)
    app.extensions["portal.static_files"] = files
    app.wsgi_app = files.server  # type: ignore[method-assign]
    app.jinja_env.globals["static_url"] = files.url
