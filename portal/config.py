"""Configuration: defaults here, then instance/config.py, then the environment."""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask


def _secret_key(instance_path: Path) -> str:
    """SECRET_KEY from the environment, else the one generated into instance/ on first run."""
    from_env = os.environ.get("SECRET_KEY")
    if from_env:
        return from_env
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two workers starting together must not write two different keys.
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
    return key_file.read_text().strip()


def load(app: Flask, overrides: dict | None) -> None:
    instance = Path(app.instance_path)
    app.config.from_mapping(
        DATABASE_URL=f"sqlite:///{instance / 'portal.sqlite3'}",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=False,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        # "Remember me": a month, not Flask-Login's year. Signing out, "sign out everywhere", a new
        # password and pausing end it earlier (the session generation, see portal._init_login).
        REMEMBER_COOKIE_DURATION=timedelta(days=30),
        REMEMBER_COOKIE_SECURE=False,
        # Photos are at most 5 MB each and three per report (checked per photo by the report
        # form). The request limit sits well above that sum: a phone photo of 8-20 MB must come
        # back as a message on the form with the member's text kept, not as the 413 page that
        # loses it. Files are spooled to disk while parsed; form fields stay within
        # MAX_FORM_MEMORY_SIZE.
        MAX_CONTENT_LENGTH=64 * 1024 * 1024,
        MAX_FORM_MEMORY_SIZE=2 * 1024 * 1024,
        BABEL_DEFAULT_LOCALE="zh_Hans",
        BABEL_DEFAULT_TIMEZONE="Asia/Shanghai",
        LANGUAGES=("zh_Hans", "en"),
        INVITATION_DAYS=14,
        # Login throttling (portal.accounts.services.throttle_seconds): after LOGIN_MAX_FAILURES
        # failures in the window for one email, or LOGIN_MAX_FAILURES_PER_ADDRESS from one client
        # address, further attempts are refused until the window has passed. From the third
        # failure of an email on, each next attempt also waits 1, 2, 4... seconds.
        LOGIN_MAX_FAILURES=5,
        LOGIN_MAX_FAILURES_PER_ADDRESS=100,
        LOGIN_WINDOW_SECONDS=15 * 60,
        PAGE_SIZE=25,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        # Outbox emails: sent by `flask --app portal send-outbox` only when SMTP_HOST is set.
        SMTP_HOST=None,
        SMTP_PORT=587,
        SMTP_USER=None,
        SMTP_PASSWORD=None,
        SMTP_STARTTLS=True,
        SMTP_SSL=False,
        SMTP_TIMEOUT=30,
        # A private certificate authority for the SMTP server's certificate (a file path).
        SMTP_CA_FILE=None,
        MAIL_FROM="noreply@localhost",
        # Put in front of the paths in emails, e.g. "https://panel.example.com".
        PUBLIC_BASE_URL="",
        # How many reverse proxies in front of the app set X-Forwarded-For/-Proto/-Host. 0 (the
        # default) trusts none of those headers: a client could otherwise pick its own address
        # and dodge the sign-in throttle.
        TRUSTED_PROXIES=0,
        # Background jobs (portal/jobs): huey keeps its queue in an SQLite file (None: instance/
        # jobs.sqlite3) unless REDIS_URL names a Redis server, e.g. "redis://127.0.0.1:6379/0".
        # JOBS_QUEUE names the queue (two sites sharing one Redis need two names). JOBS_IMMEDIATE
        # runs each task at once in the caller, with no consumer (None: when TESTING).
        REDIS_URL=None,
        JOBS_SQLITE_PATH=None,
        JOBS_QUEUE="portal",
        JOBS_IMMEDIATE=None,
        # Pending invitations that expired this many days ago are deleted by the daily clean-up.
        INVITATION_KEEP_EXPIRED_DAYS=30,
        # Where export jobs write their files (None: instance/exports). A multi-host deployment
        # points every host at one shared volume (PORTAL_EXPORT_DIR).
        EXPORT_DIR=None,
    )
    app.config.from_pyfile("config.py", silent=True)
    env = os.environ
    if env.get("PORTAL_DATABASE_URL"):
        app.config["DATABASE_URL"] = env["PORTAL_DATABASE_URL"]
    if env.get("PORTAL_SECURE_COOKIES", "").lower() in ("1", "true", "yes"):
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
    for key in ("SMTP_HOST", "SMTP_USER", "SMTP_PASSWORD", "MAIL_FROM", "SMTP_CA_FILE"):
        if env.get(f"PORTAL_{key}"):
            app.config[key] = env[f"PORTAL_{key}"]
    if env.get("PORTAL_SMTP_PORT", "").isdigit():
        app.config["SMTP_PORT"] = int(env["PORTAL_SMTP_PORT"])
    for key in ("SMTP_STARTTLS", "SMTP_SSL"):
        if env.get(f"PORTAL_{key}"):
            app.config[key] = env[f"PORTAL_{key}"].lower() in ("1", "true", "yes")
    if env.get("PORTAL_TRUSTED_PROXIES", "").isdigit():
        app.config["TRUSTED_PROXIES"] = int(env["PORTAL_TRUSTED_PROXIES"])
    if env.get("PORTAL_BASE_URL"):
        app.config["PUBLIC_BASE_URL"] = env["PORTAL_BASE_URL"]
    _jobs_from_env(app.config, env)
    if env.get("PORTAL_EXPORT_DIR"):
        app.config["EXPORT_DIR"] = env["PORTAL_EXPORT_DIR"]
    if overrides:
        app.config.update(overrides)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(instance)


def _jobs_from_env(config, env) -> None:
    """PORTAL_REDIS_URL, PORTAL_JOBS_SQLITE, PORTAL_JOBS_QUEUE and PORTAL_JOBS_IMMEDIATE."""
    for key, name in (("REDIS_URL", "PORTAL_REDIS_URL"), ("JOBS_SQLITE_PATH", "PORTAL_JOBS_SQLITE"),
                      ("JOBS_QUEUE", "PORTAL_JOBS_QUEUE")):
        if env.get(name):
            config[key] = env[name]
    if env.get("PORTAL_JOBS_IMMEDIATE"):
        config["JOBS_IMMEDIATE"] = env["PORTAL_JOBS_IMMEDIATE"].lower() in ("1", "true", "yes")
