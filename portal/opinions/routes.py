from flask import render_template

from portal.opinions import bp
from portal.security import member_required, roles_required


@bp.get("/consultations")
@member_required
def member_list():
    return render_template("base.html")


@bp.get("/staff/consultations")
@roles_required("product", "office", "admin")
def staff_list():
    return render_template("base.html")
