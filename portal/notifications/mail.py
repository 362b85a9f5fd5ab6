"""Sending the email outbox through SMTP: `send_pending(limit)`, run every minute by the job
queue (and by `flask --app portal send-outbox`).

Rules:
- With no SMTP_HOST configured nothing is sent and nothing fails: the rows wait.
- With PUBLIC_BASE_URL unset the links in emails lead to this machine (emails.DEFAULT_BASE_URL):
  they are sent to an SMTP server on this machine (a development sink) but not to any other
  one (a real relay): the rows wait, and the log says why. Set PORTAL_BASE_URL.
- No database transaction is open while the SMTP server is talked to: each step (pick, claim,
  record) is its own short unit of work.
- A row is claimed before it is sent (`UPDATE ... SET status='sending' WHERE id=:id AND
  status='waiting'`): of two senders running at once only one claims it, so nobody gets an
  email twice. A claim lasts CLAIM_SECONDS; a sender that died holding it gives it back then,
  and the email is sent again (at least once beats never).
- A failed attempt (server down, refused, disconnected) is recorded on the row: attempts, the
  error, and the next attempt after a growing pause (BACKOFF). After MAX_ATTEMPTS the row is
  'failed'; an administrator sees it on /admin/outbox and may send it again.
- TLS (STARTTLS or SMTP_SSL) verifies the server's certificate against the system's
  authorities, or SMTP_CA_FILE when set (a private authority or a self-signed server).
"""
from __future__ import annotations

import ipaddress
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app
from sqlalchemy import and_, or_, select, update

from portal.db import db, unit_of_work, utcnow
from portal.notifications import emails
from portal.notifications.models import OutboxEmail

MAX_ATTEMPTS = 5
# The pause after the 1st, 2nd, 3rd and 4th failed attempt; the 5th marks the row failed.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
CLAIM_SECONDS = 10 * 60
# Errors of one message (the others still go); any other error drops the connection.
MESSAGE_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError,
                  smtplib.SMTPNotSupportedError, ValueError)


@dataclass
class SendResult:
    sent: int = 0
    failed: int = 0             # attempts that failed this time (the row waits or is failed)
    held_back: str | None = None  # why nothing was sent although SMTP is configured


@dataclass
class Claimed:
    id: int
    to_address: str
    subject: str
    body: str
    html_body: str | None
    attempts: int


# ---------------------------------------------------------------------------------------------
# The steps, each a short unit of work


def _due(now: datetime):
    table = OutboxEmail.__table__
    return and_(table.c.status == "waiting",
                or_(table.c.next_attempt_at.is_(None), table.c.next_attempt_at <= now))


def _give_back_stale_claims(now: datetime) -> None:
    """Claims older than CLAIM_SECONDS (their sender died): the attempt counts, the row waits."""
    table = OutboxEmail.__table__
    stale = and_(table.c.status == "sending", table.c.next_attempt_at < now)
    message = "The sender stopped before the server confirmed; trying again."
    with unit_of_work():
        db.execute(update(table).where(stale, table.c.attempts + 1 >= MAX_ATTEMPTS)
                   .values(status="failed", attempts=table.c.attempts + 1, last_error=message,
                           next_attempt_at=None))
        db.execute(update(table).where(stale)
                   .values(status="waiting", attempts=table.c.attempts + 1, last_error=message,
                           next_attempt_at=now))


def due_ids(limit: int, now: datetime | None = None) -> list[int]:
    """The rows to send now, oldest first."""
    now = now or utcnow()
    table = OutboxEmail.__table__
    with unit_of_work():
        return list(db.scalars(select(table.c.id).where(_due(now)).order_by(table.c.id).limit(limit)))


def claim(email_id: int, now: datetime | None = None) -> Claimed | None:
    """Take the row for this sender, or None when another one has it (or it is not due)."""
    now = now or utcnow()
    table = OutboxEmail.__table__
    with unit_of_work():
        taken = db.execute(
            update(table).where(table.c.id == email_id, _due(now))
            .values(status="sending", next_attempt_at=now + timedelta(seconds=CLAIM_SECONDS))
        ).rowcount
        if taken != 1:
            return None
        row = db.execute(select(table.c.id, table.c.to_address, table.c.subject, table.c.body,
                                table.c.html_body, table.c.attempts)
                         .where(table.c.id == email_id)).one()
    return Claimed(*row)


def record(claimed: Claimed, error: BaseException | None, now: datetime | None = None) -> str:
    """Record the attempt on the claimed row; returns its new status."""
    now = now or utcnow()
    attempts = claimed.attempts + 1
    if error is None:
        values = dict(status="sent", sent_at=now, last_error=None, next_attempt_at=None)
    elif attempts >= MAX_ATTEMPTS:
        values = dict(status="failed", last_error=_error_text(error), next_attempt_at=None)
    else:
        values = dict(status="waiting", last_error=_error_text(error),
                      next_attempt_at=now + BACKOFF[min(attempts, len(BACKOFF)) - 1])
    table = OutboxEmail.__table__
    with unit_of_work():
        db.execute(update(table).where(table.c.id == claimed.id, table.c.status == "sending")
                   .values(attempts=attempts, **values))
    return values["status"]


def _error_text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:1000]


# ---------------------------------------------------------------------------------------------
# SMTP


def message_of(claimed: Claimed, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = claimed.to_address
    # Header values may not carry line breaks.
    msg["Subject"] = " ".join(claimed.subject.split())
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies, please
    msg.set_content(claimed.body)
    if claimed.html_body:
        msg.add_alternative(claimed.html_body, subtype="html")
    return msg


def _tls_context(config) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=config.get("SMTP_CA_FILE") or None)


def connect(config) -> smtplib.SMTP:
    host, port = config["SMTP_HOST"], int(config.get("SMTP_PORT") or 25)
    timeout = int(config.get("SMTP_TIMEOUT") or 30)
    if config.get("SMTP_SSL"):
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=_tls_context(config))
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    try:
        if not config.get("SMTP_SSL") and config.get("SMTP_STARTTLS"):
            smtp.starttls(context=_tls_context(config))
        if config.get("SMTP_USER"):
            smtp.login(config["SMTP_USER"], config.get("SMTP_PASSWORD") or "")
    except BaseException:
        _quit(smtp)
        raise
    return smtp


def _quit(smtp) -> None:
    try:
        smtp.quit()
    except Exception:  # the connection is gone already
        try:
            smtp.close()
        except Exception:
            pass


def is_local(host: str | None) -> bool:
    """Is the SMTP server on this machine (a development sink)?"""
    host = (host or "").strip().strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def held_back_reason(config) -> str | None:
    if not emails.base_url_configured() and not is_local(config.get("SMTP_HOST")):
        return ("PUBLIC_BASE_URL (PORTAL_BASE_URL) is not set: the emails' links would lead to "
                f"{emails.DEFAULT_BASE_URL}; they wait until it is set.")
    return None


def _fail_all(ids: list[int], error: BaseException, result: SendResult) -> None:
    """The server cannot be reached: each due row records the attempt (and backs off)."""
    for email_id in ids:
        claimed = claim(email_id)
        if claimed is not None:
            record(claimed, error)
            result.failed += 1


def _send_each(smtp, ids: list[int], sender: str, result: SendResult) -> None:
    for email_id in ids:
        claimed = claim(email_id)
        if claimed is None:
            continue  # another sender has it
        try:
            smtp.send_message(message_of(claimed, sender))
        except MESSAGE_ERRORS as exc:
            record(claimed, exc)
            result.failed += 1
            continue
        except Exception as exc:  # disconnected, timed out: the rest waits for the next run
            record(claimed, exc)
            result.failed += 1
            return
        record(claimed, None)
        result.sent += 1


def send_pending(limit: int = 100) -> SendResult | None:
    """Send up to `limit` due emails, oldest first. None when SMTP is not configured.

    Call it outside any unit of work (it commits each step itself)."""
    config = current_app.config
    if not config.get("SMTP_HOST"):
        return None
    reason = held_back_reason(config)
    if reason:
        current_app.logger.error("outbox: %s", reason)
        return SendResult(held_back=reason)
    _give_back_stale_claims(utcnow())
    result = SendResult()
    ids = due_ids(limit)
    if not ids:
        return result
    try:
        smtp = connect(config)
    except Exception as exc:  # down, refused, TLS or login failed: every due row tries later
        current_app.logger.warning("outbox: cannot reach SMTP server: %s", exc)
        _fail_all(ids, exc, result)
        return result
    try:
        _send_each(smtp, ids, config.get("MAIL_FROM") or "noreply@localhost", result)
    finally:
        _quit(smtp)
    return result
