"""The administrators' outbox page (/admin/outbox): statuses, attempts and last errors, a filter
by status, keyset pages, and "send again" for a failed email (audited), end to end with a real
SMTP server."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.db import utcnow
from portal.notifications import mail, outbox
from portal.notifications.models import OutboxEmail
from tests.conftest import XSS_PAYLOADS, login
from tests.factories import make_user
from tests.queries import count_queries


def add(dbs, status="waiting", **fields):
    values = dict(to_address="someone@example.com", subject="Subject", body="SECRET-RESET-LINK body",
                  status=status, attempts=0)
    values.update(fields)
    row = OutboxEmail(**values)
    dbs.add(row)
    dbs.commit()
    return row


def rows_on(html: str) -> int:
    return html.count('<tr data-email="')


def test_only_administrators_open_it(client, dbs):
    for role in ("member", "office", "product"):
        fresh = client.application.test_client()
        login(fresh, make_user(dbs, role=role))
        assert fresh.get("/admin/outbox").status_code == 403, role
        assert fresh.post("/admin/outbox/1/send-again").status_code == 403, role


def test_lists_status_attempts_and_last_error_without_the_body(admin_client, dbs):
    add(dbs, status="sent", sent_at=utcnow(), attempts=1, to_address="sent@example.com")
    add(dbs, status="waiting", attempts=2, last_error="SMTPServerDisconnected: gone",
        next_attempt_at=utcnow() + timedelta(minutes=5), to_address="retry@example.com")
    failed = add(dbs, status="failed", attempts=5, last_error="SMTPDataError: (554, b'rejected')",
                 to_address="failed@example.com")
    html = admin_client.get("/admin/outbox").get_data(as_text=True)
    assert rows_on(html) == 3
    for text in ("sent@example.com", "retry@example.com", "failed@example.com",
                 "SMTPServerDisconnected: gone", "Waiting", "Sent", "Failed", "554"):
        assert text in html, text
    assert "SECRET-RESET-LINK" not in html
    assert html.count("Send again") == 1 and f"/admin/outbox/{failed.id}/send-again" in html


def test_filters_by_status(admin_client, dbs):
    add(dbs, status="sent", to_address="sent@example.com")
    add(dbs, status="failed", to_address="failed@example.com")
    html = admin_client.get("/admin/outbox?status=failed").get_data(as_text=True)
    assert "failed@example.com" in html and "sent@example.com" not in html
    html = admin_client.get("/admin/outbox?status=nonsense").get_data(as_text=True)
    assert "failed@example.com" in html and "sent@example.com" in html  # a bad value: no filter


def test_pages_by_keyset(admin_client, dbs, monkeypatch):
    monkeypatch.setattr(outbox, "PER_PAGE", 2)
    rows = [add(dbs, to_address=f"m{i}@example.com") for i in range(5)]
    first = admin_client.get("/admin/outbox").get_data(as_text=True)
    assert "m4@example.com" in first and "m3@example.com" in first and "m2@example.com" not in first
    assert f"before={rows[3].id}" in first
    second = admin_client.get(f"/admin/outbox?before={rows[3].id}").get_data(as_text=True)
    assert "m2@example.com" in second and "m1@example.com" in second and "m3@example.com" not in second
    assert f"after={rows[2].id}" in second
    back = admin_client.get(f"/admin/outbox?after={rows[2].id}").get_data(as_text=True)
    assert "m4@example.com" in back and "m3@example.com" in back


def test_query_count_is_fixed(app, admin_client, dbs):
    for _ in range(3):
        add(dbs, status="failed", attempts=5)
    few, _ = count_queries(app, admin_client, "/admin/outbox")
    for _ in range(30):
        add(dbs, status="failed", attempts=5)
    many, _ = count_queries(app, admin_client, "/admin/outbox")
    assert few == many


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_subjects_and_errors_are_escaped(admin_client, dbs, payload):
    add(dbs, subject=payload, last_error=payload, status="failed")
    assert payload not in admin_client.get("/admin/outbox").get_data(as_text=True)


def test_send_again_puts_a_failed_email_back_and_is_audited(admin_client, admin_user, dbs):
    failed = add(dbs, status="failed", attempts=5, last_error="SMTPDataError: rejected")
    assert admin_client.post(f"/admin/outbox/{failed.id}/send-again", csrf=False).status_code == 400
    response = admin_client.post(f"/admin/outbox/{failed.id}/send-again",
                                 data={"next": "/admin/outbox?status=failed"})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/outbox?status=failed"
    dbs.expire_all()
    row = dbs.get(OutboxEmail, failed.id)
    assert (row.status, row.attempts, row.next_attempt_at) == ("waiting", 0, None)
    entry = dbs.scalar(select(AuditEntry).where(AuditEntry.action == "outbox.send_again"))
    assert (entry.actor_id, entry.object_type, entry.object_id) == (admin_user.id, "outbox_email", failed.id)
    assert entry.before == {"status": "failed", "attempts": 5}
    assert entry.after == {"status": "waiting", "attempts": 0}
    audit_page = admin_client.get("/admin/audit").get_data(as_text=True)
    assert "Email sent again" in audit_page


def test_send_again_refuses_what_is_not_failed(admin_client, dbs):
    sent = add(dbs, status="sent", attempts=1)
    response = admin_client.post(f"/admin/outbox/{sent.id}/send-again", follow_redirects=True)
    assert "Only a failed email can be sent again." in response.get_data(as_text=True)
    dbs.expire_all()
    assert dbs.get(OutboxEmail, sent.id).status == "sent"
    assert dbs.scalar(select(AuditEntry)) is None
    response = admin_client.post("/admin/outbox/99999/send-again", follow_redirects=True)
    assert "Only a failed email can be sent again." in response.get_data(as_text=True)


def test_send_again_keeps_the_redirect_on_the_site(admin_client, dbs):
    failed = add(dbs, status="failed", attempts=5)
    response = admin_client.post(f"/admin/outbox/{failed.id}/send-again",
                                 data={"next": "//evil.example/phish"})
    assert response.headers["Location"] == "/admin/outbox"


def test_failed_then_sent_again_then_delivered(app, admin_client, dbs, smtp_server, monkeypatch):
    """The whole story: a server rejecting every attempt, the email failed; the admin sees it
    and sends it again; the server works now; the email arrives once."""
    app.config.update(smtp_server.config())
    now = [utcnow()]
    monkeypatch.setattr(mail, "utcnow", lambda: now[0])
    smtp_server.handler.fail_next = mail.MAX_ATTEMPTS
    row = add(dbs, to_address="member@example.com", body="Hello")
    for _ in range(mail.MAX_ATTEMPTS):
        with app.app_context():
            mail.send_pending(10)
        now[0] += timedelta(hours=3)
    html = admin_client.get("/admin/outbox?status=failed").get_data(as_text=True)
    assert "member@example.com" in html and "451" in html and "Send again" in html
    assert admin_client.post(f"/admin/outbox/{row.id}/send-again").status_code == 302
    with app.app_context():
        assert mail.send_pending(10).sent == 1
    assert [r.rcpt_tos for r in smtp_server.handler.received] == [["member@example.com"]]
    dbs.expire_all()
    row = dbs.get(OutboxEmail, row.id)
    assert (row.status, row.attempts) == ("sent", 1)
    assert "member@example.com" in admin_client.get("/admin/outbox?status=sent").get_data(as_text=True)
