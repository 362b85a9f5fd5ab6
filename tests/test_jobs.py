"""The job queue (portal/jobs): where tasks go, their Shanghai-time schedule, each periodic task's
effect and that running it twice tells nobody twice; and a real consumer process running a task
enqueued by the app, against SQLite (SqliteHuey) and Redis (PORTAL_TEST_REDIS_URL).

Unit tests run tasks in huey's immediate mode (the app is TESTING): calling a task runs it."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import create_app, domain, jobs
from portal.accounts.models import Invitation
from portal.audit.models import AuditEntry
from portal.jobs import periodic
from portal.notifications.mail import SendResult
from portal.notifications.models import Notification, OutboxEmail
from tests.factories import Evaluation, make_department, make_enrollment, make_item, make_trial, make_user

ROOT = Path(__file__).resolve().parent.parent
TODAY = domain.shanghai_today()


def count(dbs, model, *where) -> int:
    dbs.expire_all()
    return dbs.scalar(select(func.count()).select_from(model).where(*where))


def notices(dbs, kind: str) -> list[Notification]:
    dbs.expire_all()
    return list(dbs.scalars(select(Notification).where(Notification.kind == kind)
                            .order_by(Notification.id)))


# --- where tasks go ------------------------------------------------------------------------------


def test_a_testing_app_runs_tasks_at_once_in_memory(app):
    with app.app_context():
        assert jobs.huey.immediate is True
        assert jobs.state().backend == "memory"


def test_the_queue_is_an_sqlite_file_in_instance_by_default(tmp_path):
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "SECRET_KEY": "k"})
    app.instance_path = str(tmp_path / "instance")
    with app.app_context():
        assert jobs.huey.immediate is False
        assert jobs.state().backend == "sqlite"
    assert (tmp_path / "instance" / "jobs.sqlite3").is_file()


def test_portal_redis_url_puts_the_queue_in_redis(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_REDIS_URL", "redis://127.0.0.1:6390/3")
    monkeypatch.setenv("PORTAL_JOBS_QUEUE", "staging")
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "SECRET_KEY": "k"})
    with app.app_context():
        found = jobs.state()
    assert found.backend == "redis" and found.immediate is False
    assert found.storage.name == "staging"
    assert found.storage.pool.connection_kwargs["port"] == 6390


def test_enqueuing_outside_an_app_names_the_way_out():
    with pytest.raises(RuntimeError, match="huey_consumer portal.jobs.consumer.huey"):
        periodic.send_outbox()


# --- the schedule (Beijing time, whatever the server's zone) -------------------------------------


def due_at(shanghai: str) -> set[str]:
    """The periodic tasks the consumer starts at that Shanghai time (it hands huey naive UTC)."""
    moment = datetime.fromisoformat(shanghai).replace(tzinfo=domain.SHANGHAI)
    utc = moment.astimezone(UTC).replace(tzinfo=None)
    return {task.name for task in jobs.huey.read_periodic(utc)}


def test_periodic_tasks_run_at_their_beijing_times():
    assert jobs.huey.utc is True
    hotline = "escalate_support_requests"  # every quarter of an hour (working time is its own)
    assert due_at("2026-05-04 09:00") == {"escalate_overdue", "remind_due_soon", "send_outbox", hotline}
    assert due_at("2026-05-04 10:00") == {"remind_evaluations", "send_outbox", hotline}
    assert due_at("2026-05-04 10:30") == {"remind_overdue_returns", "send_outbox", hotline}
    assert due_at("2026-05-04 03:00") == {"delete_stale_invitations", "send_outbox", hotline}
    # 09:00 UTC is 17:00 in Shanghai: only the outbox and the hotline's quarter-hour check.
    assert due_at("2026-05-04 17:00") == {"send_outbox", hotline}
    assert due_at("2026-05-04 09:01") == {"send_outbox"}
    assert due_at("2026-05-04 09:15") == {"send_outbox", hotline}
    assert due_at("2026-05-04 01:00") == {"send_outbox", hotline}


def test_the_consumer_knows_every_task():
    jobs.load_tasks()
    names = {name.rsplit(".", 1)[-1] for name in jobs.huey._registry._registry}
    assert {"escalate_overdue", "remind_due_soon", "send_outbox", "remind_evaluations",
            "delete_stale_invitations", "escalate_support_requests", "remind_overdue_returns"} <= names


# --- overdue escalation --------------------------------------------------------------------------


def test_escalation_tells_the_b_contact_once(app, dbs):
    department = make_department(dbs)
    make_item(dbs, department_id=department.id, due_on=TODAY - timedelta(days=1), status="in_progress")
    with app.app_context():
        periodic.escalate_overdue()
        periodic.escalate_overdue()
    told = notices(dbs, "item_overdue")
    assert [n.user_id for n in told] == [department.b_contact_id]
    assert count(dbs, OutboxEmail) == 1


def test_a_starting_consumer_catches_up_on_the_escalation(app, dbs, monkeypatch):
    department = make_department(dbs)
    make_item(dbs, department_id=department.id, due_on=TODAY - timedelta(days=3), status="approved")
    monkeypatch.setattr(periodic, "_catch_up_once", threading.Lock())
    from portal.improvements import services

    runs = []
    escalate = services.escalate_overdue
    monkeypatch.setattr(services, "escalate_overdue", lambda: runs.append(1) or escalate())
    assert jobs.huey._startup["catch_up"] is periodic.catch_up
    with app.app_context():
        periodic.catch_up()  # huey calls it in each worker thread: the first one enqueues
        periodic.catch_up()
    assert len(runs) == 1
    assert [n.user_id for n in notices(dbs, "item_overdue")] == [department.b_contact_id]


# --- due soon -> A contact -----------------------------------------------------------------------


def test_an_item_due_in_two_days_reminds_the_a_contact_once(app, dbs):
    department = make_department(dbs)
    item = make_item(dbs, department_id=department.id, due_on=TODAY + timedelta(days=2),
                     status="in_progress", title="Shorter queues at Xujiahui")
    make_item(dbs, department_id=department.id, due_on=TODAY + timedelta(days=3))  # not yet
    make_item(dbs, department_id=department.id, due_on=TODAY + timedelta(days=1), status="done")
    make_item(dbs, due_on=TODAY + timedelta(days=1))  # no department: nobody to tell
    with app.app_context():
        periodic.remind_due_soon()
        periodic.remind_due_soon()
    told = notices(dbs, "item_due_soon")
    assert [(n.user_id, n.item_id) for n in told] == [(department.a_contact_id, item.id)]
    email = dbs.scalar(select(OutboxEmail))
    assert email.to_address == department.a_contact.email
    assert "Shorter queues at Xujiahui" in email.subject


def test_a_new_due_date_is_a_new_reminder(app, dbs):
    department = make_department(dbs)
    item = make_item(dbs, department_id=department.id, due_on=TODAY + timedelta(days=1))
    with app.app_context():
        periodic.remind_due_soon()
    item.due_on = TODAY + timedelta(days=2)
    dbs.commit()
    with app.app_context():
        periodic.remind_due_soon()
        periodic.remind_due_soon()
    assert len(notices(dbs, "item_due_soon")) == 2


def test_an_inactive_a_contact_is_not_reminded(app, dbs):
    department = make_department(dbs, a_contact=make_user(dbs, role="office", status="paused"))
    make_item(dbs, department_id=department.id, due_on=TODAY)
    with app.app_context():
        periodic.remind_due_soon()
    assert notices(dbs, "item_due_soon") == []


def test_the_reminder_email_is_in_the_contacts_language(app, dbs):
    department = make_department(dbs, a_contact=make_user(dbs, role="office", locale="zh_Hans"))
    make_item(dbs, department_id=department.id, due_on=TODAY + timedelta(days=2), title="漫游")
    with app.app_context():
        periodic.remind_due_soon()
    email = dbs.scalar(select(OutboxEmail))
    assert "漫游" in email.subject and "您好" in email.body and "Hello" not in email.body


# --- evaluation reminders ------------------------------------------------------------------------


def test_members_who_owe_an_evaluation_are_reminded_once(app, dbs):
    trial = make_trial(dbs, status="running", ends_on=TODAY + timedelta(days=3), title="5G home router")
    owes = make_user(dbs, role="member")
    drafted = make_user(dbs, role="member")
    done = make_user(dbs, role="member")
    declined = make_user(dbs, role="member")
    for person in (owes, drafted, done):
        make_enrollment(dbs, trial, person)
    make_enrollment(dbs, trial, declined, status="declined")
    dbs.add_all([Evaluation(trial_id=trial.id, member_id=drafted.id, status="draft"),
                 Evaluation(trial_id=trial.id, member_id=done.id, status="submitted",
                            submitted_at=datetime.now(UTC))])
    dbs.commit()
    later = make_trial(dbs, status="running", ends_on=TODAY + timedelta(days=4))
    make_enrollment(dbs, later, owes)
    with app.app_context():
        periodic.remind_evaluations()
        periodic.remind_evaluations()
    told = notices(dbs, "evaluation_reminder")
    assert sorted((n.user_id, n.trial_id) for n in told) == sorted([(owes.id, trial.id),
                                                                    (drafted.id, trial.id)])
    emails = list(dbs.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))
    assert sorted(e.to_address for e in emails) == sorted([owes.email, drafted.email])
    assert all("5G home router" in e.subject for e in emails)


def test_no_reminder_for_a_trial_that_is_not_running_or_has_ended(app, dbs):
    member = make_user(dbs, role="member")
    make_enrollment(dbs, make_trial(dbs, status="closed", ends_on=TODAY + timedelta(days=1)), member)
    make_enrollment(dbs, make_trial(dbs, status="running", ends_on=TODAY - timedelta(days=1)), member)
    with app.app_context():
        periodic.remind_evaluations()
    assert notices(dbs, "evaluation_reminder") == []


# --- stale invitations ---------------------------------------------------------------------------


def test_stale_pending_invitations_are_deleted_once(app, dbs):
    now = datetime.now(UTC)

    def invitation(expired_days_ago: int, used: bool = False) -> Invitation:
        row = Invitation(token_hash=uuid.uuid4().hex, segment="sme", email="x@example.com",
                         expires_at=now - timedelta(days=expired_days_ago),
                         used_at=now - timedelta(days=40) if used else None)
        dbs.add(row)
        dbs.commit()
        return row

    stale, recent, used = invitation(31).id, invitation(29).id, invitation(90, used=True).id
    pending = invitation(-5).id
    with app.app_context():
        periodic.delete_stale_invitations()
        periodic.delete_stale_invitations()
    dbs.expire_all()
    left = set(dbs.scalars(select(Invitation.id)))
    assert left == {recent, used, pending}
    entries = list(dbs.scalars(select(AuditEntry).where(AuditEntry.object_type == "invitation")))
    assert [(e.action, e.object_id, e.actor_id) for e in entries] == [("delete", stale, None)]
    assert entries[0].before["segment"] == "sme"


# --- the outbox, every minute, backing off while it fails -----------------------------------------


class FakeSender:
    def __init__(self, monkeypatch):
        self.results: list[SendResult | None] = []
        self.calls = 0
        monkeypatch.setattr("portal.notifications.mail.send_pending", self)

    def __call__(self, limit=100):
        self.calls += 1
        return self.results.pop(0)


def test_the_outbox_backs_off_while_every_email_fails(app, monkeypatch):
    sender = FakeSender(monkeypatch)
    clock = [1_000_000.0]
    monkeypatch.setattr(periodic.time, "time", lambda: clock[0])
    with app.app_context():
        sender.results = [SendResult(sent=0, failed=3)]
        periodic.send_outbox()
        assert sender.calls == 1
        periodic.send_outbox()  # the next minute: still waiting
        assert sender.calls == 1
        clock[0] += 61
        sender.results = [SendResult(sent=0, failed=3)]
        periodic.send_outbox()
        assert sender.calls == 2
        clock[0] += 61  # now it waits 2 minutes
        periodic.send_outbox()
        assert sender.calls == 2
        clock[0] += 60
        sender.results = [SendResult(sent=3, failed=0)]
        periodic.send_outbox()
        assert sender.calls == 3
        sender.results = [SendResult(sent=0, failed=0)]
        periodic.send_outbox()  # back to every minute
        assert sender.calls == 4
        # Held back by the mail settings (no PORTAL_BASE_URL for a real relay): it waits too.
        sender.results = [SendResult(held_back="PUBLIC_BASE_URL (PORTAL_BASE_URL) is not set")]
        periodic.send_outbox()
        periodic.send_outbox()
        assert sender.calls == 5
    assert [periodic.outbox_backoff(n) for n in (1, 2, 3, 4, 7, 8, 20)] == [1, 2, 4, 8, 60, 60, 60]


def test_the_outbox_task_sends_through_smtp_and_leaves_it_waiting_when_unconfigured(app, dbs):
    dbs.add(OutboxEmail(to_address="m@example.com", subject="s", body="b"))
    dbs.commit()
    with app.app_context():
        periodic.send_outbox()  # SMTP_HOST is not set: nothing is sent, nothing fails
        assert jobs.huey.get(periodic.OUTBOX_BACKOFF_KEY, peek=True) is None
    dbs.expire_all()
    row = dbs.scalar(select(OutboxEmail))
    assert row.sent_at is None and row.attempts == 0


def test_a_task_already_running_elsewhere_is_skipped(app, monkeypatch):
    sender = FakeSender(monkeypatch)
    with app.app_context():
        with jobs.huey.lock_task("send_outbox"):
            periodic.send_outbox()
        assert sender.calls == 0
        sender.results = [SendResult()]
        periodic.send_outbox()
        assert sender.calls == 1


# --- a real consumer process ---------------------------------------------------------------------


def wait_for(check, seconds: float = 30.0):
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_a_consumer_process_runs_what_the_app_enqueues(backend, app, dbs, database_url, tmp_path):
    """huey_consumer with the portal's huey, as the Procfile starts it: at start-up it catches up
    on the overdue escalation; then it runs a task the app enqueues. Both are seen in the database."""
    env = {**os.environ, "PORTAL_DATABASE_URL": database_url, "SECRET_KEY": "consumer-test",
           "PORTAL_JOBS_QUEUE": f"test-{uuid.uuid4().hex}"}
    env.pop("PORTAL_REDIS_URL", None)
    if backend == "redis":
        if not os.environ.get("PORTAL_TEST_REDIS_URL"):
            pytest.skip("PORTAL_TEST_REDIS_URL is not set (make test-postgres sets it)")
        app.config["REDIS_URL"] = env["PORTAL_REDIS_URL"] = os.environ["PORTAL_TEST_REDIS_URL"]
    else:
        env["PORTAL_JOBS_SQLITE"] = app.config["JOBS_SQLITE_PATH"] = str(tmp_path / "jobs.sqlite3")
    app.config.update(JOBS_IMMEDIATE=False, JOBS_QUEUE=env["PORTAL_JOBS_QUEUE"])
    department = make_department(dbs)
    overdue = make_item(dbs, department_id=department.id, due_on=TODAY - timedelta(days=2))
    due_soon = make_item(dbs, department_id=department.id, due_on=TODAY + timedelta(days=1))

    consumer = subprocess.Popen(
        [str(Path(sys.executable).with_name("huey_consumer")), "portal.jobs.consumer.huey",
         "--workers", "2", "--no-periodic"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    watcher = Session(app.extensions["portal.engine"])

    def told(kind, item):
        watcher.expire_all()
        return watcher.scalar(select(Notification.user_id).where(
            Notification.kind == kind, Notification.item_id == item.id))

    try:
        with app.app_context():
            assert jobs.state().backend == backend
            periodic.remind_due_soon()  # enqueued, not run here
        ran = wait_for(lambda: told("item_due_soon", due_soon) == department.a_contact_id)
        caught_up = wait_for(lambda: told("item_overdue", overdue) == department.b_contact_id)
    finally:
        watcher.close()
        consumer.send_signal(signal.SIGINT)
        try:
            output, _ = consumer.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            consumer.kill()
            output, _ = consumer.communicate()
    assert ran and caught_up, output
    assert "remind_due_soon" in output, output
    with app.app_context():
        assert jobs.huey.pending_count() == 0


# --- make run: the web server and the consumer, started and stopped together ---------------------


def test_the_procfile_runs_the_site_and_the_consumer_and_ctrl_c_stops_both(database_url, tmp_path):
    """What `make run` starts after migrating: honcho with the Procfile, on PORT."""
    import socket
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PORTAL_DATABASE_URL": database_url, "SECRET_KEY": "procfile-test",
           "PORTAL_JOBS_SQLITE": str(tmp_path / "jobs.sqlite3"),
           "PORTAL_JOBS_QUEUE": f"test-{uuid.uuid4().hex}"}
    env.pop("PORTAL_REDIS_URL", None)
    log = tmp_path / "honcho.log"
    with log.open("w") as out:
        honcho = subprocess.Popen(
            [str(Path(sys.executable).with_name("honcho")), "--procfile", "Procfile", "start",
             "--port", str(port)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    group = os.getpgid(honcho.pid)

    def healthy() -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    try:
        assert wait_for(healthy, 60), log.read_text()
        assert wait_for(lambda: "Huey consumer started" in log.read_text(), 60), log.read_text()
        assert wait_for(lambda: "escalate_overdue: 0 item(s) escalated" in log.read_text(), 30), \
            log.read_text()
    finally:
        os.killpg(group, signal.SIGINT)  # what Ctrl-C in the terminal does
        try:
            honcho.wait(timeout=30)
        finally:
            gone = wait_for(lambda: not _alive(group), 15)
            if not gone:
                os.killpg(group, signal.SIGKILL)
    assert gone, "a process of `make run` outlived Ctrl-C"
    assert not healthy()


def _alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True
