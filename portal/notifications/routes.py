"""The signed-in user's own notifications, and the unread count in the navigation."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.notifications import bp, services
from portal.permissions import requires_login


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
@requires_login
def index():
    return render_template("notifications/index.html",
                           page=services.user_notifications(current_user))


@bp.post("/notifications/<int:notification_id>/read")
@requires_login
def mark_read(notification_id: int):
    notification = services.get_notification(current_user, notification_id)
    if notification is None:
        abort(404)
    services.mark_read(notification)
    return redirect(url_for("notifications.index"))


@bp.post("/notifications/read-all")
@requires_login
def mark_all_read():
    services.mark_all_read(current_user)
    flash(_("All notifications are marked as read."), "success")
    return redirect(url_for("notifications.index"))
