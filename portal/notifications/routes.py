"""The signed-in user's own notifications, and the unread count in the navigation."""
from __future__ import annotations

import click
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.notifications import bp, mail, services


@bp.app_context_processor
def _unread_notifications():
    """One query per page, only for signed-in users (computed when the layout asks)."""
    cache = {}

    def unread_notifications() -> int:
        if not current_user or not current_user.is_authenticated:
            return 0
        if "n" not in cache:
            cache["n"] = services.unread_count(current_user)
        return cache["n"]

    return {"unread_notifications": unread_notifications}


@bp.get("/notifications")
@login_required
def index():
    return render_template("notifications/index.html",
                           page=services.user_notifications(current_user))


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def mark_read(notification_id: int):
    if not services.mark_read(current_user, notification_id):
        abort(404)
    return redirect(url_for("notifications.index"))


@bp.post("/notifications/read-all")
@login_required
def mark_all_read():
    services.mark_all_read(current_user)
    flash(_("All notifications are marked as read."), "success")
    return redirect(url_for("notifications.index"))


@bp.cli.command("send-outbox")
@click.option("--limit", type=click.IntRange(1, 10000), default=100, show_default=True)
def send_outbox_command(limit):
    """Send waiting outbox emails through SMTP (does nothing when SMTP_HOST is not set)."""
    result = mail.send_pending(limit)
    if result is None:
        click.echo("SMTP is not configured (SMTP_HOST); the outbox waits.")
    else:
        click.echo(f"Sent {result.sent}, failed {result.failed}.")
