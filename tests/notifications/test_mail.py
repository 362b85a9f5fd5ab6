"""The outbox sender: sends through SMTP when configured, waits otherwise, records failures."""
from __future__ import annotations

import smtplib

import pytest

from portal.notifications import mail
from portal.notifications.models import OutboxEmail


class FakeSMTP:
    sent: list = []
    calls: list = []

    def __init__(self, host, port, timeout=None):
        FakeSMTP.calls.append(("connect", host, port))

    def starttls(self):
        FakeSMTP.calls.append(("starttls",))

    def login(self, user, password):
        FakeSMTP.calls.append(("login", user, password))

    def send_message(self, msg):
        if "fail" in msg["To"]:
            raise smtplib.SMTPRecipientsRefused({msg["To"]: (550, b"no such user")})
        FakeSMTP.sent.append(msg)

    def quit(self):
        FakeSMTP.calls.append(("quit",))


class DownSMTP:
    def __init__(self, *args, **kwargs):
        raise ConnectionRefusedError("connection refused")


@pytest.fixture
def fake_smtp(monkeypatch):
    FakeSMTP.sent, FakeSMTP.calls = [], []
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    return FakeSMTP


def add_mail(dbs, to="someone@example.com", subject="主题 Subject", body="你好\nBody"):
    row = OutboxEmail(to_address=to, subject=subject, body=body)
    dbs.add(row)
    dbs.commit()
    return row


def configure(app, **values):
    app.config.update(SMTP_HOST="smtp.example.com", SMTP_PORT=2525, SMTP_USER="portal",
                      SMTP_PASSWORD="secret", SMTP_STARTTLS=True, MAIL_FROM="panel@example.com",
                      **values)


def test_without_smtp_nothing_is_sent_and_nothing_fails(app, dbs, fake_smtp):
    row = add_mail(dbs)
    with app.app_context():
        assert mail.send_pending(10) is None
    dbs.expire_all()
    row = dbs.get(OutboxEmail, row.id)
    assert row.sent_at is None and row.attempts == 0
    assert fake_smtp.calls == []
    result = app.test_cli_runner().invoke(args=["send-outbox"])
    assert result.exit_code == 0 and "not configured" in result.output


def test_sends_pending_mail_and_records_it(app, dbs, fake_smtp):
    configure(app)
    first, second = add_mail(dbs, subject="Line\nbreak"), add_mail(dbs, to="b@example.com")
    with app.app_context():
        result = mail.send_pending(10)
    assert (result.sent, result.failed) == (2, 0)
    assert ("starttls",) in fake_smtp.calls and ("login", "portal", "secret") in fake_smtp.calls
    assert fake_smtp.calls[0] == ("connect", "smtp.example.com", 2525)
    msg = fake_smtp.sent[0]
    assert msg["From"] == "panel@example.com" and msg["To"] == "someone@example.com"
    assert msg["Subject"] == "Line break"
    assert "你好" in msg.get_content()
    dbs.expire_all()
    for row in (first, second):
        row = dbs.get(OutboxEmail, row.id)
        assert row.sent_at is not None and row.attempts == 1 and row.last_error is None
    with app.app_context():
        assert mail.send_pending(10).sent == 0  # never twice


def test_limit_is_respected(app, dbs, fake_smtp):
    configure(app)
    for _ in range(3):
        add_mail(dbs)
    with app.app_context():
        assert mail.send_pending(2).sent == 2
        assert mail.send_pending(2).sent == 1


def test_a_refused_recipient_is_recorded_and_others_still_go(app, dbs, fake_smtp):
    configure(app)
    bad, good = add_mail(dbs, to="fail@example.com"), add_mail(dbs, to="ok@example.com")
    with app.app_context():
        result = mail.send_pending(10)
    assert (result.sent, result.failed) == (1, 1)
    dbs.expire_all()
    bad, good = dbs.get(OutboxEmail, bad.id), dbs.get(OutboxEmail, good.id)
    assert bad.sent_at is None and bad.attempts == 1 and "SMTPRecipientsRefused" in bad.last_error
    assert good.sent_at is not None


def test_server_down_keeps_mail_waiting_until_max_attempts(app, dbs, monkeypatch):
    configure(app)
    monkeypatch.setattr(smtplib, "SMTP", DownSMTP)
    row = add_mail(dbs)
    with app.app_context():
        for _ in range(mail.MAX_ATTEMPTS + 2):
            mail.send_pending(10)
    dbs.expire_all()
    row = dbs.get(OutboxEmail, row.id)
    assert row.sent_at is None and row.attempts == mail.MAX_ATTEMPTS
    assert "connection refused" in row.last_error


def test_cli_sends(app, dbs, fake_smtp):
    configure(app)
    add_mail(dbs)
    result = app.test_cli_runner().invoke(args=["send-outbox", "--limit", "5"])
    assert result.exit_code == 0, result.output
    assert "Sent 1, failed 0." in result.output


def test_smtp_settings_come_from_the_environment(monkeypatch, tmp_path):
    from portal import create_app

    monkeypatch.setenv("PORTAL_SMTP_HOST", "mail.internal")
    monkeypatch.setenv("PORTAL_SMTP_PORT", "465")
    monkeypatch.setenv("PORTAL_SMTP_STARTTLS", "false")
    monkeypatch.setenv("PORTAL_MAIL_FROM", "x@example.com")
    app = create_app({"TESTING": True, "SECRET_KEY": "k", "DATABASE_URL": "sqlite://"})
    assert (app.config["SMTP_HOST"], app.config["SMTP_PORT"], app.config["SMTP_STARTTLS"],
            app.config["MAIL_FROM"]) == ("mail.internal", 465, False, "x@example.com")
