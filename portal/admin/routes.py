from flask import render_template

from portal.admin import bp
from portal.security import roles_required


@bp.get("/admin")
@roles_required("admin")
def index():
    return render_template("base.html")
