"""Configuration: defaults here, then instance/config.py, then the environment."""
from __future__ import annotations

import os
import secrets
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
        REMEMBER_COOKIE_SECURE=False,
        # Photos are at most 5 MB each and three per report; leave room for the form fields.
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,
        MAX_FORM_MEMORY_SIZE=2 * 1024 * 1024,
        BABEL_DEFAULT_LOCALE="zh_Hans",
        BABEL_DEFAULT_TIMEZONE="Asia/Shanghai",
        LANGUAGES=("zh_Hans", "en"),
        INVITATION_DAYS=14,
        # Login throttling: after this many failures in the window, for one account or one
        # address, further attempts are refused until the window has passed.
        LOGIN_MAX_FAILURES=5,
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
        MAIL_FROM="noreply@localhost",
        # Put in front of the paths in emails, e.g. "https://panel.example.com".
        PUBLIC_BASE_URL="",
        # How many reverse proxies in front of the app set X-Forwarded-For/-Proto/-Host. 0 (the
        # default) trusts none of those headers: a client could otherwise pick its own address
        # and dodge the sign-in throttle.
        TRUSTED_PROXIES=0,
    )
    app.config.from_pyfile("config.py", silent=True)
    env = os.environ
    if env.get("PORTAL_DATABASE_URL"):
        app.config["DATABASE_URL"] = env["PORTAL_DATABASE_URL"]
    if env.get("PORTAL_SECURE_COOKIES", "").lower() in ("1", "true", "yes"):
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
    for key in ("SMTP_HOST", "SMTP_USER", "SMTP_PASSWORD", "MAIL_FROM"):
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
    if overrides:
        app.config.update(overrides)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(instance)
