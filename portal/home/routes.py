"""The start page: a member's home, or the staff overview."""
from flask import abort, redirect, render_template, url_for
from flask_login import current_user

from portal import permissions
from portal.home import bp, services
from portal.improvements import confirmations


@bp.get("/")
def index():
    # A visitor goes straight to the sign-in page, without a "please sign in" notice.
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login"))
    if permissions.is_member():
        home = services.member_home(current_user)
        return render_template(
            "home/index.html", home=home,
            can_evaluate=services.can_evaluate, consultation_open=services.consultation_open,
            # Read only when some wait: the home's counts say how many.
            fix_questions=confirmations.pending_for(current_user) if home.fix_questions else [],
        )
    if permissions.is_staff():
        return render_template("home/staff.html", overview=services.staff_overview(current_user))
    if permissions.can("supervision.view"):
        # District-branch staff work on the internal supervision hotline alone: it is their home.
        return redirect(url_for("supervision.request_list"))
    abort(403)
