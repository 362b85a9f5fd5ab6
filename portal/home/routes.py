from flask import redirect, render_template, url_for
from flask_login import current_user

from portal.home import bp
from portal.home import services


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login"))
    if current_user.is_member:
        return render_template(
            "home/index.html", home=services.member_home(current_user),
            can_evaluate=services.can_evaluate, consultation_open=services.consultation_open,
        )
    return render_template("home/staff.html", overview=services.staff_overview())
