"""Sending the email outbox through SMTP.

With no SMTP_HOST configured nothing is sent and nothing fails: the rows wait in the outbox.
Each row records its attempts and last error; a row is retried until MAX_ATTEMPTS.
"""
from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app
from sqlalchemy import select

from portal.db import db, unit_of_work, utcnow
from portal.notifications.models import OutboxEmail

MAX_ATTEMPTS = 5


@dataclass
class SendResult:
    sent: int = 0
    failed: int = 0


def _message(row: OutboxEmail, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = row.to_address
    # Header values may not carry line breaks.
    msg["Subject"] = " ".join(row.subject.split())
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    msg.set_content(row.body)
    return msg


def _connect(config):
    host, port = config["SMTP_HOST"], int(config.get("SMTP_PORT") or 25)
    timeout = int(config.get("SMTP_TIMEOUT") or 30)
    if config.get("SMTP_SSL"):
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout)
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
        if config.get("SMTP_STARTTLS"):
            smtp.starttls()
    if config.get("SMTP_USER"):
        smtp.login(config["SMTP_USER"], config.get("SMTP_PASSWORD") or "")
    return smtp


def _failed(row: OutboxEmail, exc: Exception) -> None:
    row.attempts += 1
    row.last_error = f"{type(exc).__name__}: {exc}"[:1000]


def _send(smtp, row: OutboxEmail, sender: str) -> bool:
    """Send one row, recording the attempt; False when the server refused it."""
    try:
        smtp.send_message(_message(row, sender))
    except Exception as exc:  # this one address or message is refused: the others still go
        _failed(row, exc)
        return False
    row.attempts += 1
    row.sent_at = utcnow()
    row.last_error = None
    return True


def send_pending(limit: int = 100) -> SendResult | None:
    """Send up to `limit` unsent emails, oldest first. None when SMTP is not configured."""
    config = current_app.config
    if not config.get("SMTP_HOST"):
        return None
    rows = list(db.scalars(
        select(OutboxEmail)
        .where(OutboxEmail.sent_at.is_(None), OutboxEmail.attempts < MAX_ATTEMPTS)
        .order_by(OutboxEmail.id)
        .limit(limit)
    ))
    result = SendResult()
    if not rows:
        return result
    sender = config.get("MAIL_FROM") or "noreply@localhost"
    try:
        smtp = _connect(config)
    except Exception as exc:  # the server is down or refuses us: every row waits for next time
        with unit_of_work():
            for row in rows:
                _failed(row, exc)
        result.failed = len(rows)
        current_app.logger.warning("outbox: cannot reach SMTP server: %s", exc)
        return result
    try:
        for row in rows:
            # One unit per row: a crash later must not send the same email twice.
            with unit_of_work():
                if _send(smtp, row, sender):
                    result.sent += 1
                else:
                    result.failed += 1
    finally:
        try:
            smtp.quit()
        except Exception:
            pass
    return result
