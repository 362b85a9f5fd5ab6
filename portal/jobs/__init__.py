"""Background jobs: the portal's one huey queue.

Rules:
- `huey` is the one queue. Where it keeps its tasks follows the Flask app in use: an SQLite file
  (SqliteHuey's storage; `instance/jobs.sqlite3`, or JOBS_SQLITE_PATH) by default, Redis
  (RedisHuey's storage) when REDIS_URL (`PORTAL_REDIS_URL`) is set, and nowhere in "immediate"
  mode (JOBS_IMMEDIATE, by default when the app is TESTING): a task then runs at once, in the
  caller, as unit tests want.
- Every task runs in an app context: the caller's when there is one (immediate mode), else a
  fresh one per task of the consumer's app, created once per consumer process
  (`huey_consumer portal.jobs.consumer.huey`, see consumer.py). `huey.task` and
  `huey.periodic_task` arrange it: decorate a plain function.
- A task holds no rule: it calls one service function, which owns its unit of work and is safe
  to run twice (it tells nobody twice).
- Periodic tasks are scheduled in Shanghai time with `shanghai_crontab(...)`: the consumer hands
  them UTC (huey's `utc=True`), whatever the server's own time zone.
- Every module that defines tasks is listed in TASK_MODULES, so the consumer knows them all.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path

from flask import Flask, current_app, has_app_context
from huey import Huey, crontab
from huey.storage import BaseStorage, MemoryStorage, RedisStorage, SqliteStorage

from portal.domain import SHANGHAI

# Imported by the consumer (and by whoever enqueues their tasks): every module with tasks.
TASK_MODULES = ("portal.jobs.periodic", "portal.exports.tasks")

_EXTENSION = "portal.jobs"
_lock = threading.Lock()
_consumer_app: Flask | None = None


@dataclass
class JobsState:
    """What one app's tasks go through: immediate or not, and the storage."""

    immediate: bool
    storage: BaseStorage
    backend: str  # "memory", "sqlite" or "redis"


def _storage_for(app: Flask) -> JobsState:
    config = app.config
    name = config.get("JOBS_QUEUE") or "portal"
    immediate = config.get("JOBS_IMMEDIATE")
    if immediate is None:
        immediate = bool(config.get("TESTING"))
    if immediate:
        return JobsState(True, MemoryStorage(name), "memory")
    if config.get("REDIS_URL"):
        return JobsState(False, RedisStorage(name, url=config["REDIS_URL"]), "redis")
    path = Path(config.get("JOBS_SQLITE_PATH") or Path(app.instance_path) / "jobs.sqlite3")
    path.parent.mkdir(parents=True, exist_ok=True)
    return JobsState(False, SqliteStorage(name, filename=str(path)), "sqlite")


def state(app: Flask | None = None) -> JobsState:
    """The queue of `app` (default: the app in use), set up on first use."""
    app = app or _app()
    found = app.extensions.get(_EXTENSION)
    if found is None:
        with _lock:
            found = app.extensions.get(_EXTENSION)
            if found is None:
                found = app.extensions[_EXTENSION] = _storage_for(app)
    return found


def bind(app: Flask) -> None:
    """Make `app` the one that tasks run in when no app context is active (the consumer's)."""
    global _consumer_app
    _consumer_app = app


def _app() -> Flask:
    if has_app_context():
        return current_app._get_current_object()
    if _consumer_app is None:
        raise RuntimeError("portal.jobs: no Flask app. Enqueue inside an app context, or run the "
                           "consumer as `huey_consumer portal.jobs.consumer.huey`.")
    return _consumer_app


def _in_app_context(function):
    @wraps(function)
    def run(*args, **kwargs):
        if has_app_context():
            return function(*args, **kwargs)
        with _app().app_context():
            return function(*args, **kwargs)

    return run


class PortalHuey(Huey):
    """huey whose storage and immediate mode are those of the Flask app in use (`state`), and
    whose tasks run in an app context."""

    def create_storage(self):
        return None  # chosen per app, on first use (`state`)

    @property
    def storage(self) -> BaseStorage:
        return state().storage

    @storage.setter
    def storage(self, _value) -> None:
        """huey assigns its storage when created; the app's configuration decides it instead."""

    @property
    def _immediate(self) -> bool:
        return state().immediate

    @_immediate.setter
    def _immediate(self, _value) -> None:
        """As for storage: JOBS_IMMEDIATE (or TESTING) decides."""

    @property
    def immediate(self) -> bool:
        return state().immediate

    @immediate.setter
    def immediate(self, value) -> None:
        raise AttributeError("set JOBS_IMMEDIATE in the app's configuration instead")

    def task(self, *args, **kwargs):
        decorate = super().task(*args, **kwargs)
        return lambda function: decorate(_in_app_context(function))

    def periodic_task(self, validate_datetime, *args, **kwargs):
        decorate = super().periodic_task(validate_datetime, *args, **kwargs)
        return lambda function: decorate(_in_app_context(function))


huey = PortalHuey("portal", utc=True)


def shanghai_crontab(**fields):
    """huey's `crontab(...)` read in Shanghai time: `shanghai_crontab(minute="0", hour="9")` is
    09:00 Beijing time. The consumer passes a naive UTC datetime (utc=True)."""
    matches = crontab(strict=True, **fields)

    def validate(timestamp: datetime) -> bool:
        if timestamp.tzinfo is None:
            timestamp = timestamp.replace(tzinfo=UTC)
        return matches(timestamp.astimezone(SHANGHAI))

    return validate


def load_tasks() -> None:
    """Import every module of TASK_MODULES (registers their tasks with `huey`)."""
    from importlib import import_module

    for name in TASK_MODULES:
        import_module(name)
