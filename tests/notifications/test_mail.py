"""The outbox sender against real SMTP servers (aiosmtpd, see smtp.py): plain, STARTTLS with a
login, a server that says "try again later", one that hangs up, one that is not there. Failed
attempts back off and end as 'failed'; two senders at once never send an email twice; no
database transaction stays open while the server is talked to."""
from __future__ import annotations

import smtplib
import threading
from datetime import timedelta

import pytest

from portal.db import db, utcnow
from portal.notifications import mail
from portal.notifications.models import OutboxEmail
from tests.notifications.smtp import PASSWORD, USER, free_port


def add_mail(dbs, to="someone@example.com", subject="主题 Subject", body="你好\nBody",
             html="<p>你好</p>", **fields):
    row = OutboxEmail(to_address=to, subject=subject, body=body, html_body=html, **fields)
    dbs.add(row)
    dbs.commit()
    return row


def reload(dbs, row) -> OutboxEmail:
    dbs.expire_all()
    return dbs.get(OutboxEmail, row.id)


def send(app, limit=10):
    with app.app_context():
        return mail.send_pending(limit)


class Clock:
    """Moves the sender's clock (mail.utcnow) forward, to reach the next attempt's time."""

    def __init__(self, monkeypatch):
        self.now = utcnow()
        monkeypatch.setattr(mail, "utcnow", lambda: self.now)

    def advance(self, delta: timedelta) -> None:
        self.now += delta


# --- configuration ------------------------------------------------------------------------------


def test_without_smtp_nothing_is_sent_and_nothing_fails(app, dbs, monkeypatch):
    monkeypatch.setattr(smtplib, "SMTP", None)  # any connection attempt would fail loudly
    row = add_mail(dbs)
    assert send(app) is None
    row = reload(dbs, row)
    assert row.status == "waiting" and row.attempts == 0 and row.sent_at is None
    result = app.test_cli_runner().invoke(args=["send-outbox"])
    assert result.exit_code == 0 and "not configured" in result.output


def test_a_real_relay_waits_until_the_base_url_is_set(app, dbs, smtp_server, monkeypatch):
    """Links would lead to 127.0.0.1: a relay elsewhere gets nothing until PORTAL_BASE_URL is
    set; the rows wait untouched (no attempt counted)."""
    app.config.update(smtp_server.config(SMTP_HOST="smtp.example.com", PUBLIC_BASE_URL=""))
    connections = []
    monkeypatch.setattr(smtplib, "SMTP", lambda *a, **k: connections.append(a))
    row = add_mail(dbs)
    result = send(app)
    assert result.held_back and "PUBLIC_BASE_URL" in result.held_back and result.sent == 0
    assert connections == []
    row = reload(dbs, row)
    assert row.status == "waiting" and row.attempts == 0 and row.last_error is None


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "[::1]", "mail.localhost"])
def test_a_sink_on_this_machine_is_fine_without_a_base_url(host):
    assert mail.is_local(host)


@pytest.mark.parametrize("host", ["smtp.example.com", "10.0.0.5", "", None, "localhost.example.com"])
def test_other_hosts_are_not_local(host):
    assert not mail.is_local(host)


def test_a_local_sink_receives_without_a_base_url(app, dbs, smtp_server):
    app.config.update(smtp_server.config(PUBLIC_BASE_URL=""))
    add_mail(dbs)
    assert send(app).sent == 1
    assert len(smtp_server.handler.received) == 1


# --- plain SMTP ---------------------------------------------------------------------------------


def test_sends_text_and_html_and_records_it(app, dbs, smtp_server):
    app.config.update(smtp_server.config())
    first = add_mail(dbs, subject="Line\nbreak 结果")
    second = add_mail(dbs, to="b@example.com", html=None)
    result = send(app)
    assert (result.sent, result.failed) == (2, 0)
    got = smtp_server.handler.received
    assert [r.rcpt_tos for r in got] == [["someone@example.com"], ["b@example.com"]]
    msg = got[0].message
    assert got[0].mail_from == "panel@example.com"
    assert msg["From"] == "panel@example.com" and msg["To"] == "someone@example.com"
    assert msg["Subject"] == "Line break 结果" and msg["Auto-Submitted"] == "auto-generated"
    assert msg.get_content_type() == "multipart/alternative"
    assert msg.get_body(("plain",)).get_content().splitlines() == ["你好", "Body"]
    assert msg.get_body(("html",)).get_content().strip() == "<p>你好</p>"
    assert got[1].message.get_content_type() == "text/plain"  # a row without HTML
    for row in (first, second):
        row = reload(dbs, row)
        assert (row.status, row.attempts, row.last_error) == ("sent", 1, None)
        assert row.sent_at is not None and row.next_attempt_at is None
    assert send(app).sent == 0  # never twice
    assert len(smtp_server.handler.received) == 2


def test_limit_is_respected_oldest_first(app, dbs, smtp_server):
    app.config.update(smtp_server.config())
    rows = [add_mail(dbs, to=f"m{i}@example.com") for i in range(3)]
    assert send(app, limit=2).sent == 2
    assert send(app, limit=2).sent == 1
    assert [r.rcpt_tos[0] for r in smtp_server.handler.received] == [r.to_address for r in rows]


def test_a_refused_recipient_is_recorded_and_others_still_go(app, dbs, smtp_server):
    app.config.update(smtp_server.config())
    bad, good = add_mail(dbs, to="refuse@example.com"), add_mail(dbs, to="ok@example.com")
    result = send(app)
    assert (result.sent, result.failed) == (1, 1)
    bad, good = reload(dbs, bad), reload(dbs, good)
    assert bad.status == "waiting" and bad.attempts == 1 and "SMTPRecipientsRefused" in bad.last_error
    assert good.status == "sent"


def test_no_transaction_is_open_while_the_server_is_talked_to(app, dbs, smtp_server, monkeypatch):
    app.config.update(smtp_server.config())
    add_mail(dbs)
    add_mail(dbs)
    seen = []
    real = smtplib.SMTP.send_message

    def spy(self, msg, *args, **kwargs):
        seen.append(db.in_transaction())
        return real(self, msg, *args, **kwargs)

    monkeypatch.setattr(smtplib.SMTP, "send_message", spy)
    assert send(app).sent == 2
    assert seen == [False, False]


# --- STARTTLS and login ---------------------------------------------------------------------------


def test_starttls_with_login(app, dbs, tls_server):
    app.config.update(tls_server.config(SMTP_STARTTLS=True, SMTP_USER=USER, SMTP_PASSWORD=PASSWORD,
                                        SMTP_CA_FILE=str(tls_server.cert)))
    row = add_mail(dbs)
    assert send(app).sent == 1
    got = tls_server.handler.received
    assert len(got) == 1 and got[0].tls and got[0].authenticated
    assert reload(dbs, row).status == "sent"


def test_a_wrong_password_is_a_failed_attempt(app, dbs, tls_server):
    app.config.update(tls_server.config(SMTP_STARTTLS=True, SMTP_USER=USER, SMTP_PASSWORD="wrong",
                                        SMTP_CA_FILE=str(tls_server.cert)))
    row = add_mail(dbs)
    result = send(app)
    assert (result.sent, result.failed) == (0, 1)
    row = reload(dbs, row)
    assert row.status == "waiting" and row.attempts == 1 and "SMTPAuthenticationError" in row.last_error
    assert tls_server.handler.received == []


def test_the_servers_certificate_is_verified(app, dbs, tls_server):
    """Without the CA file the self-signed certificate is not trusted: the password is never
    sent to a server that could be anyone."""
    app.config.update(tls_server.config(SMTP_STARTTLS=True, SMTP_USER=USER, SMTP_PASSWORD=PASSWORD))
    row = add_mail(dbs)
    assert send(app).failed == 1
    row = reload(dbs, row)
    assert "SSLCertVerificationError" in row.last_error and row.status == "waiting"


def test_without_starttls_the_server_refuses(app, dbs, tls_server):
    app.config.update(tls_server.config(SMTP_STARTTLS=False))
    row = add_mail(dbs)
    assert send(app).failed == 1
    assert reload(dbs, row).attempts == 1 and tls_server.handler.received == []


# --- failing servers: retries with backoff, then failed ---------------------------------------------


def test_nobody_listening_retries_with_backoff_then_fails(app, dbs, monkeypatch):
    clock = Clock(monkeypatch)
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), SMTP_STARTTLS=False, SMTP_TIMEOUT=5,
                      PUBLIC_BASE_URL="https://panel.example.com")
    row = add_mail(dbs)
    for attempt, pause in enumerate(mail.BACKOFF, start=1):
        assert send(app).failed == 1
        row = reload(dbs, row)
        assert row.status == "waiting" and row.attempts == attempt
        assert "ConnectionRefusedError" in row.last_error
        assert row.next_attempt_at == clock.now + pause
        # Not before its time: nothing is tried, nothing counted.
        clock.advance(pause - timedelta(seconds=1))
        assert send(app).failed == 0 and reload(dbs, row).attempts == attempt
        clock.advance(timedelta(seconds=1))
    assert send(app).failed == 1
    row = reload(dbs, row)
    assert row.status == "failed" and row.attempts == mail.MAX_ATTEMPTS and row.next_attempt_at is None
    clock.advance(timedelta(days=1))
    assert send(app).failed == 0 and reload(dbs, row).attempts == mail.MAX_ATTEMPTS


def test_a_server_that_hangs_up_is_a_failed_attempt(app, dbs, hang_up_server):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=hang_up_server.port, SMTP_STARTTLS=False,
                      SMTP_TIMEOUT=5, PUBLIC_BASE_URL="https://panel.example.com")
    rows = [add_mail(dbs), add_mail(dbs)]
    result = send(app)
    assert (result.sent, result.failed) == (0, 2)
    assert hang_up_server.connections == 1
    for row in rows:
        row = reload(dbs, row)
        assert row.status == "waiting" and row.attempts == 1
        assert "SMTPServerDisconnected" in row.last_error


def test_try_again_later_then_sent(app, dbs, smtp_server, monkeypatch):
    clock = Clock(monkeypatch)
    app.config.update(smtp_server.config())
    smtp_server.handler.fail_next = 2
    row = add_mail(dbs)
    assert send(app).failed == 1
    clock.advance(mail.BACKOFF[0])
    assert send(app).failed == 1
    row = reload(dbs, row)
    assert row.attempts == 2 and "451" in row.last_error and row.status == "waiting"
    clock.advance(mail.BACKOFF[1])
    assert send(app).sent == 1
    row = reload(dbs, row)
    assert (row.status, row.attempts, row.last_error) == ("sent", 3, None)
    assert len(smtp_server.handler.received) == 1


def test_a_permanent_refusal_ends_failed_after_the_attempts(app, dbs, smtp_server, monkeypatch):
    clock = Clock(monkeypatch)
    app.config.update(smtp_server.config())
    smtp_server.handler.fail_next = 100
    smtp_server.handler.fail_with = "554 5.7.1 Message rejected"
    row = add_mail(dbs)
    for _ in range(mail.MAX_ATTEMPTS):
        send(app)
        clock.advance(timedelta(hours=3))
    row = reload(dbs, row)
    assert row.status == "failed" and row.attempts == mail.MAX_ATTEMPTS and "554" in row.last_error


def test_a_claim_left_by_a_dead_sender_is_given_back(app, dbs, smtp_server):
    app.config.update(smtp_server.config())
    row = add_mail(dbs, status="sending", attempts=0, next_attempt_at=utcnow() - timedelta(seconds=1))
    fresh = add_mail(dbs, status="sending", attempts=0, next_attempt_at=utcnow() + timedelta(minutes=5))
    assert send(app).sent == 1
    row, fresh = reload(dbs, row), reload(dbs, fresh)
    assert row.status == "sent" and row.attempts == 2
    assert fresh.status == "sending"  # its sender may still be at work


# --- two senders at once ------------------------------------------------------------------------------


def test_a_claimed_row_cannot_be_claimed_again(app, dbs):
    row = add_mail(dbs)
    with app.app_context():
        first = mail.claim(row.id)
    with app.app_context():
        second = mail.claim(row.id)
    assert first is not None and first.to_address == row.to_address
    assert second is None


def test_two_senders_at_once_send_each_email_once(app, dbs, smtp_server):
    app.config.update(smtp_server.config())
    rows = [add_mail(dbs, to=f"m{i}@example.com") for i in range(30)]
    results, errors = [], []
    start = threading.Barrier(2)

    def consumer():
        try:
            with app.app_context():
                start.wait()
                results.append(mail.send_pending(100))
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=consumer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sum(r.sent for r in results) == 30
    addresses = sorted(r.rcpt_tos[0] for r in smtp_server.handler.received)
    assert addresses == sorted(r.to_address for r in rows)  # each exactly once
    dbs.expire_all()
    assert {dbs.get(OutboxEmail, r.id).status for r in rows} == {"sent"}


# --- the command ----------------------------------------------------------------------------------


def test_cli_sends(app, dbs, smtp_server):
    app.config.update(smtp_server.config())
    add_mail(dbs)
    result = app.test_cli_runner().invoke(args=["send-outbox", "--limit", "5"])
    assert result.exit_code == 0, result.output
    assert "Sent 1, failed 0." in result.output
    assert len(smtp_server.handler.received) == 1


def test_smtp_settings_come_from_the_environment(monkeypatch, tmp_path):
    from portal import create_app

    monkeypatch.setenv("PORTAL_SMTP_HOST", "mail.internal")
    monkeypatch.setenv("PORTAL_SMTP_PORT", "465")
    monkeypatch.setenv("PORTAL_SMTP_STARTTLS", "false")
    monkeypatch.setenv("PORTAL_MAIL_FROM", "x@example.com")
    monkeypatch.setenv("PORTAL_BASE_URL", "https://panel.example.com")
    app = create_app({"TESTING": True, "SECRET_KEY": "k", "DATABASE_URL": "sqlite://"})
    assert (app.config["SMTP_HOST"], app.config["SMTP_PORT"], app.config["SMTP_STARTTLS"],
            app.config["MAIL_FROM"], app.config["PUBLIC_BASE_URL"]) == (
        "mail.internal", 465, False, "x@example.com", "https://panel.example.com")
