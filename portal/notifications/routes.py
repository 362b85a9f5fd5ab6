"""The signed-in user's own notifications and email preferences, the unread count in the
navigation, and the administrators' outbox page."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.errors import Refused
from portal.notifications import bp, mail, outbox, services
from portal.notifications.forms import OutboxFilterForm, preferences_form
from portal.notifications.kinds import topics_for
from portal.permissions import requires, requires_login
from portal.urls import safe_next


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


def _own_or_404(notification_id: int):
    notification = services.get_notification(current_user, notification_id)
    if notification is None:
        abort(404)
    return notification


@bp.get("/notifications/<int:notification_id>/open", endpoint="open")
@requires_login
def open_notification(notification_id: int):
    """Follow a notice's link (on the site or in its email): it is read now."""
    notification = _own_or_404(notification_id)
    services.mark_read(notification)
    return redirect(safe_next(services.target_path(notification), url_for("notifications.index")))


@bp.post("/notifications/<int:notification_id>/read")
@requires_login
def mark_read(notification_id: int):
    services.mark_read(_own_or_404(notification_id))
    return redirect(url_for("notifications.index"))


@bp.post("/notifications/read-all")
@requires_login
def mark_all_read():
    services.mark_all_read(current_user)
    flash(_("All notifications are marked as read."), "success")
    return redirect(url_for("notifications.index"))


@bp.route("/notifications/preferences", methods=["GET", "POST"])
@requires_login
def preferences():
    topics = topics_for(current_user)
    form = preferences_form(topics, services.email_choices(current_user))
    if form.validate_on_submit():
        services.save_email_choices(current_user, {t.code: form[t.code].data for t in topics})
        flash(_("Your email choices are saved."), "success")
        return redirect(url_for("notifications.preferences"))
    return render_template("notifications/preferences.html", form=form, topics=topics)


# ---------------------------------------------------------------------------------------------
# Administrators: the outbox


def _cursor(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and len(value) < 12 else None


@bp.get("/admin/outbox")
@requires("outbox.manage")
def outbox_list():
    form = OutboxFilterForm(request.args)
    status = form.status.data if form.validate() and form.status.data else None
    page = outbox.outbox_page(status, before=_cursor("before"), after=_cursor("after"),
                              per_page=outbox.PER_PAGE)
    args = {"status": status} if status else {}
    return render_template("notifications/outbox.html", form=form, page=page, args=args,
                           counts=outbox.counts(), statuses=outbox.STATUSES,
                           max_attempts=mail.MAX_ATTEMPTS)


@bp.post("/admin/outbox/<int:email_id>/send-again")
@requires("outbox.manage")
def outbox_send_again(email_id: int):
    try:
        outbox.send_again(current_user, email_id)
    except Refused as exc:
        flash(str(exc), "error")
    else:
        flash(_("The email waits to be sent again."), "success")
    return redirect(safe_next(request.form.get("next"), url_for("notifications.outbox_list")))
