"""The start page: a member's home, or the staff overview."""
from flask import abort, redirect, render_template, url_for
from flask_login import current_user

from portal import permissions
from portal.home import bp, services


@bp.get("/")
def index():
    # A visitor goes straight to the sign-in page, without a "please sign in" notice.
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login"))
    if permissions.is_member():
        return render_template(
            "home/index.html", home=services.member_home(current_user),
            can_evaluate=services.can_evaluate, consultation_open=services.consultation_open,
        )
    if permissions.is_staff():
        return render_template("home/staff.html", overview=services.staff_overview(current_user))
    abort(403)
