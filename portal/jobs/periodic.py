"""The portal's periodic tasks, run by the consumer on its own (times are Beijing time):

- escalate_overdue: daily 09:00, and once when a consumer starts (catch-up). Overdue items to
  their departments' B contacts (`improvements.services.escalate_overdue`).
- remind_due_soon: daily 09:00. Items due within 2 days to the A contacts
  (`improvements.reminders`).
- send_outbox: every minute (`notifications.mail.send_pending`, which also spaces out the attempts
  of each email); after a run in which every email failed (the SMTP server is down) or the mail
  settings held them back, it waits 1, 2, 4 ... up to 60 minutes before the next try.
- remind_evaluations: daily 10:00. Trials ending within 3 days to the accepted members who have
  not evaluated them (`trials.reminders`).
- remind_overdue_returns: daily 10:30. Members whose trial terminal or SIM card is overdue for
  return, at most once a week each (`trials.logistics`).
- delete_stale_invitations: daily 03:00. Pending invitations expired 30 days ago
  (`accounts.expiry`).

Each service is safe to run twice: it tells nobody twice. A task runs once at a time across every
consumer (a huey lock in the shared storage): a copy that finds the lock taken does nothing.
"""
from __future__ import annotations

import logging
import threading
import time
from functools import wraps

from huey import crontab
from huey.exceptions import TaskLockedException

from portal.jobs import huey, shanghai_crontab

# A child of huey's logger: the consumer prints it with its own lines.
log = logging.getLogger("huey.portal")

OUTBOX_BACKOFF_KEY = "outbox.backoff"
OUTBOX_BACKOFF_MAX_MINUTES = 60
OUTBOX_BATCH = 100


def one_at_a_time(name: str):
    """Run the task under huey's lock `name`; when another copy holds it, skip this run."""
    lock = huey.lock_task(name)

    def decorator(function):
        @wraps(function)
        def run(*args, **kwargs):
            try:
                with lock:
                    return function(*args, **kwargs)
            except TaskLockedException:
                log.info("%s: another run is in progress; this one is skipped", name)
                return None

        return run

    return decorator


@huey.periodic_task(shanghai_crontab(minute="0", hour="9"), name="escalate_overdue")
@one_at_a_time("escalate_overdue")
def escalate_overdue() -> None:
    from portal.improvements.services import escalate_overdue as escalate

    log.info("escalate_overdue: %d item(s) escalated", escalate())


# Every quarter of an hour: an urgent support request's response time is 4 working hours.
@huey.periodic_task(shanghai_crontab(minute="*/15"), name="escalate_support_requests")
@one_at_a_time("escalate_support_requests")
def escalate_support_requests() -> None:
    from portal.supervision.services import escalate_untouched

    log.info("escalate_support_requests: %d notice(s) sent", escalate_untouched())


@huey.periodic_task(shanghai_crontab(minute="0", hour="9"), name="remind_due_soon")
@one_at_a_time("remind_due_soon")
def remind_due_soon() -> None:
    from portal.improvements.reminders import remind_due_soon as remind

    log.info("remind_due_soon: %d A contact(s) reminded", remind())


@huey.periodic_task(shanghai_crontab(minute="0", hour="10"), name="remind_evaluations")
@one_at_a_time("remind_evaluations")
def remind_evaluations() -> None:
    from portal.trials.reminders import remind_evaluations as remind

    log.info("remind_evaluations: %d member(s) reminded", remind())


@huey.periodic_task(shanghai_crontab(minute="30", hour="10"), name="remind_overdue_returns")
@one_at_a_time("remind_overdue_returns")
def remind_overdue_returns() -> None:
    from portal.trials.logistics import remind_overdue_returns as remind

    log.info("remind_overdue_returns: %d member(s) reminded", remind())


@huey.periodic_task(shanghai_crontab(minute="0", hour="3"), name="delete_stale_invitations")
@one_at_a_time("delete_stale_invitations")
def delete_stale_invitations() -> None:
    from portal.accounts.expiry import delete_stale_invitations as delete

    log.info("delete_stale_invitations: %d deleted", delete())


@huey.periodic_task(crontab(), name="send_outbox")
@one_at_a_time("send_outbox")
def send_outbox() -> None:
    """Send the outbox unless a run where every email failed asked to wait (`outbox_backoff`)."""
    from portal.notifications.mail import send_pending

    now = time.time()
    waiting = huey.get(OUTBOX_BACKOFF_KEY, peek=True)
    if waiting and now < waiting["until"]:
        return
    result = send_pending(OUTBOX_BATCH)
    if result is not None:  # None: SMTP is not configured, the outbox waits and nothing failed
        _after_sending(result, waiting, now)


def _after_sending(result, waiting: dict | None, now: float) -> None:
    """Back off when nothing went although emails were due: the server is down, or the mail
    settings hold them back (e.g. no PORTAL_BASE_URL); trying every minute would only repeat the
    same error. Anything sent, or nothing due: back to every minute."""
    if getattr(result, "held_back", None) or (result.failed and not result.sent):
        failures = (waiting or {}).get("failures", 0) + 1
        minutes = outbox_backoff(failures)
        huey.put(OUTBOX_BACKOFF_KEY, {"failures": failures, "until": now + minutes * 60})
        log.warning("send_outbox: %d email(s) failed, none sent; next try in %d minute(s)",
                    result.failed, minutes)
        return
    if waiting:
        huey.delete(OUTBOX_BACKOFF_KEY)
    if result.sent or result.failed:
        log.info("send_outbox: sent %d, failed %d", result.sent, result.failed)


def outbox_backoff(failures: int) -> int:
    """Minutes to wait after `failures` runs in a row where every email failed: 1, 2, 4 ... 60."""
    return min(2 ** (failures - 1), OUTBOX_BACKOFF_MAX_MINUTES)


_catch_up_once = threading.Lock()  # taken by the first worker, never released


@huey.on_startup("catch_up")
def catch_up() -> None:
    """When a consumer starts: enqueue the overdue escalation once (the 09:00 run may have been
    missed while it was down). huey calls this in every worker; the first one enqueues."""
    if _catch_up_once.acquire(blocking=False):
        escalate_overdue()
