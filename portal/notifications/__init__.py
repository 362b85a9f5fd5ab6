"""Notifications: in-app notices, email preferences, the email outbox and its SMTP sender.

kinds.py says how each kind of notice reads and who may receive it; services.py who is told
what (receivers.py connects it to portal.signals); emails.py composes an email; mail.py sends
the outbox (`send_pending`, run every minute by the job queue or by
`flask --app portal send-outbox`); outbox.py is the administrators' outbox page."""
from flask import Blueprint

bp = Blueprint("notifications", __name__, template_folder="templates")

from portal.notifications import history, receivers, routes  # noqa: E402,F401
