"""Notifications: in-app messages, the email outbox and its SMTP sender."""
from flask import Blueprint

# cli_group=None: `flask --app portal send-outbox` rather than a sub-group.
bp = Blueprint("notifications", __name__, template_folder="templates", cli_group=None)

from portal.notifications import routes  # noqa: E402,F401
