"""Notifications: in-app messages, the email outbox and its SMTP sender.

The outbox is sent by `flask --app portal send-outbox` (registered in portal/cli.py)."""
from flask import Blueprint

bp = Blueprint("notifications", __name__, template_folder="templates")

from portal.notifications import receivers, routes  # noqa: E402,F401
