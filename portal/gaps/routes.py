from flask import render_template

from portal.gaps import bp
from portal.security import member_required, roles_required


@bp.get("/reports")
@member_required
def member_list():
    return render_template("base.html")


@bp.get("/staff/reports")
@roles_required("office", "admin")
def staff_list():
    return render_template("base.html")
