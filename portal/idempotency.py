"""One-time form tokens: a create form sent twice stores one thing, and the repeat shows the first.

A create form carries `once_field()` (``forms.form(..., once=True)`` in the form macro), a hidden
random token. When a signed-in person's POST brings one, the before-request hook *claims* it in
the `form_tokens` table, in a short transaction of its own, before the view runs:

- the claim is new: the view runs as usual. When it succeeds, the claim keeps its result: the
  address of its redirect (success here is POST-redirect-GET), or, for a page that shows its
  success in place (the new invitation's link), the page's own address. When it fails (an
  answer of 4xx/5xx, an exception, or any answer after an error was flashed) the claim is
  dropped, so the same form, re-rendered with the person's input and the *same* token, can be
  sent again once corrected;
- the claim has a result (a double click, Back and send again): nothing runs; the person is
  sent (303) to the first result, with a note that it was already sent;
- the claim has no result yet (the first of two simultaneous sends is still running): the
  second waits briefly for the first (polling, at most `ONCE_WAIT_SECONDS`), then goes to its
  result; if the first never finishes, a 409 page says so.

Claims are keyed by (user, path, token), hashed: a token copied to another user or posted to
another address is a fresh claim there, and never reveals anybody's result. Posts without a
token, posts of visitors and every GET cost no query. Claims older than a day are deleted now
and then by a later claim (one in `CLEANUP_EVERY`). A claim left without result by a request
that died is taken over after `STALE_AFTER`.
"""
from __future__ import annotations

import base64
import hashlib
import random
import re
import secrets
import time
from datetime import datetime, timedelta

from flask import Flask, current_app, flash, g, message_flashed, redirect, request
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import Index, Integer, String, Text, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, UTCDateTime, get_engine, utcnow

FIELD = "once"
# What `secrets.token_urlsafe(32)` gives, with some room; anything else is not our token.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{20,64}")
# How long a concurrent duplicate waits for the first request, and how often it looks.
WAIT_SECONDS = 5.0
POLL_SECONDS = 0.1
# A claim still without result after this long belongs to a request that died.
STALE_AFTER = timedelta(minutes=2)
# Claims are kept this long (Back and send again within a day shows the first result).
KEEP_FOR = timedelta(days=1)
CLEANUP_EVERY = 100

STILL_SENDING = (
    _l("Still being sent"),
    _l("This form was sent a moment ago and is still being processed. Wait a moment, then look "
       "at your list to see whether it arrived before sending it again."),
)


class FormToken(Base):
    """A claimed form token: who sent it, when, and where its result is (None while running)."""

    __tablename__ = "form_tokens"
    __table_args__ = (Index("ix_form_tokens_created_at", "created_at"),)

    # sha256 of (user, path, token), URL-safe base64 without padding: 43 characters.
    token: Mapped[str] = mapped_column(String(43), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    result_location: Mapped[str | None] = mapped_column(Text)


TABLE = FormToken.__table__


def init_app(app: Flask) -> None:
    """Register the hooks and the template global. Call after CSRFProtect: a forged post is
    refused before it can claim anything."""
    app.jinja_env.globals["once_field"] = once_field
    app.before_request(_claim_before_view)
    app.after_request(_settle_after_view)
    app.teardown_request(_release_if_unsettled)
    message_flashed.connect(_note_flash, app)


def once_field(form=None) -> Markup:
    """The hidden token of a create form (`form`: its WTForms form, when there is one). A form
    re-rendered after a refused send (its fields carry errors, or an error was flashed) keeps the
    token it was sent with: the corrected form still counts as the same one."""
    token = g.get("once_token")
    refused = bool(getattr(form, "errors", None)) or g.get("once_error_flashed", False)
    if token is None or not refused:
        token = secrets.token_urlsafe(32)
    return Markup(f'<input type="hidden" name="{FIELD}" value="{escape(token)}">')


def claim_key(user_id: object, path: str, token: str) -> str:
    digest = hashlib.sha256(f"{user_id}\n{path}\n{token}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


# --- the hooks -------------------------------------------------------------------------------


def _claim_before_view():
    if request.method != "POST":
        return None
    token = request.form.get(FIELD, "")
    if not TOKEN_PATTERN.fullmatch(token) or not current_user.is_authenticated:
        return None
    user_id = current_user.id
    key = claim_key(user_id, request.path, token)
    claimed, location = _claim_or_wait(key, user_id)
    if claimed:
        g.once_claim = key
        g.once_token = token
        return None
    if location is None:
        return _still_sending_page()
    flash(_("This was already sent; here is the result."), "info")
    return redirect(location, 303)


def _settle_after_view(response):
    key = g.pop("once_claim", None)
    if key is None:
        return response
    try:
        result = _result_of(response)
        if result is None:
            _release(key)
        else:
            _store_result(key, result)
    except Exception:  # the response the person gets matters more than the claim
        current_app.logger.exception("form token: the claim could not be settled")
    return response


def _release_if_unsettled(_exc):
    """The view failed before any response (after_request never ran): free the claim."""
    key = g.pop("once_claim", None)
    if key is not None:
        try:
            _release(key)
        except Exception:
            current_app.logger.exception("form token: the claim could not be released")


def _result_of(response) -> str | None:
    """Where a repeat of this send should be taken, or None when the send failed."""
    if g.get("once_error_flashed", False):
        return None
    if response.status_code in (301, 302, 303, 307, 308):
        return response.location or None
    if 200 <= response.status_code < 300:
        return request.full_path.rstrip("?")
    return None


def _note_flash(_app, message, category, **_extra) -> None:
    """An error flashed means the send was refused, whatever the answer's status."""
    if category == "error":
        g.once_error_flashed = True


def _still_sending_page():
    from portal.errors import _page

    title, message = STILL_SENDING
    return _page(409, title, message, [("Retry-After", str(int(WAIT_SECONDS)))])


# --- the table -------------------------------------------------------------------------------


def _claim_or_wait(key: str, user_id: int) -> tuple[bool, str | None]:
    """(True, None) when this request holds the claim now; (False, location) when an earlier
    one finished with that result; (False, None) when the earlier one is still running."""
    wait = float(current_app.config.get("ONCE_WAIT_SECONDS", WAIT_SECONDS))
    deadline = time.monotonic() + wait
    while True:
        if _insert(key, user_id):
            return True, None
        row = _read(key)
        if row is not None and row.result_location:
            return False, row.result_location
        if row is not None and _take_over_if_stale(key):
            return True, None
        # row None: the first request failed and let go in between; try to claim it again.
        if time.monotonic() >= deadline:
            return False, None
        time.sleep(POLL_SECONDS)


def _insert(key: str, user_id: int) -> bool:
    try:
        with get_engine().begin() as conn:
            conn.execute(insert(TABLE).values(token=key, user_id=user_id, created_at=utcnow()))
    except IntegrityError:
        return False
    if random.randrange(CLEANUP_EVERY) == 0:
        expire_old()
    return True


def _read(key: str):
    with get_engine().connect() as conn:
        return conn.execute(select(TABLE.c.result_location).where(TABLE.c.token == key)).first()


def _take_over_if_stale(key: str) -> bool:
    now = utcnow()
    with get_engine().begin() as conn:
        taken = conn.execute(
            update(TABLE)
            .where(TABLE.c.token == key, TABLE.c.result_location.is_(None),
                   TABLE.c.created_at < now - STALE_AFTER)
            .values(created_at=now)
        )
    return taken.rowcount == 1


def _store_result(key: str, location: str) -> None:
    with get_engine().begin() as conn:
        conn.execute(update(TABLE).where(TABLE.c.token == key).values(result_location=location))


def _release(key: str) -> None:
    with get_engine().begin() as conn:
        conn.execute(delete(TABLE).where(TABLE.c.token == key, TABLE.c.result_location.is_(None)))


def expire_old(now: datetime | None = None) -> int:
    """Delete the claims older than `KEEP_FOR`; the number deleted."""
    cutoff = (now or utcnow()) - KEEP_FOR
    with get_engine().begin() as conn:
        return conn.execute(delete(TABLE).where(TABLE.c.created_at < cutoff)).rowcount
