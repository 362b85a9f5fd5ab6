"""Administration pages: the staff list, new staff accounts, roles, pausing and resuming."""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import domain, permissions
from portal.admin import bp, services
from portal.admin.forms import RoleForm, StaffCreateForm
from portal.errors import show_refusal
from portal.pagination import paginate
from portal.permissions import requires


@bp.get("/admin")
@requires("staff_accounts.manage")
def index():
    page = paginate(services.staff_query(), per_page=current_app.config["PAGE_SIZE"])
    return render_template("admin/index.html", page=page, staff_roles=permissions.STAFF)


@bp.route("/admin/staff/new", methods=["GET", "POST"])
@requires("staff_accounts.manage")
def create_staff():
    form = StaffCreateForm()
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate():
            try:
                user = services.create_staff_user(form.email.data, form.name.data, form.role.data,
                                                  form.password.data, actor=current_user)
            except services.AccountError as exc:
                show_refusal(form, exc)
            else:
                flash(_("The account of %(name)s was created.", name=user.name), "success")
                return redirect(url_for("admin.index"))
        flash(_("No account was created. Please correct the marked fields."), "error")
    return render_template("admin/staff_form.html", form=form), status


@bp.post("/admin/staff/<int:user_id>/role")
@requires("staff_accounts.manage")
def change_role(user_id: int):
    target = services.get_staff_user(current_user, user_id) or abort(404)
    form = RoleForm()
    if not form.validate():
        flash(_("Choose a staff role."), "error")
        return redirect(url_for("admin.index"))
    try:
        services.change_role(current_user, target, form.role.data)
    except services.StaffError as exc:
        flash(str(exc), "error")
    else:
        flash(_("%(name)s now has the role: %(role)s.", name=target.name,
                role=domain.ROLES[target.role]), "success")
    return redirect(url_for("admin.index"))


def _set_status(user_id: int, status: str, done_message):
    target = services.get_staff_user(current_user, user_id) or abort(404)
    try:
        services.set_status(current_user, target, status)
    except services.StaffError as exc:
        flash(str(exc), "error")
    else:
        flash(done_message(target.name), "success")
    return redirect(url_for("admin.index"))


@bp.post("/admin/staff/<int:user_id>/pause")
@requires("staff_accounts.manage")
def pause_staff(user_id: int):
    return _set_status(user_id, "paused",
                       lambda name: _("%(name)s is paused and can no longer sign in.", name=name))


@bp.post("/admin/staff/<int:user_id>/resume")
@requires("staff_accounts.manage")
def resume_staff(user_id: int):
    return _set_status(user_id, "active", lambda name: _("%(name)s is active again.", name=name))
