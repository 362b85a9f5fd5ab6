from flask import render_template

from portal.security import member_required, roles_required
from portal.trials import bp


@bp.get("/trials")
@member_required
def member_list():
    return render_template("base.html")


@bp.get("/staff/trials")
@roles_required("product", "office", "admin")
def staff_list():
    return render_template("base.html")
