"""Administration pages: the staff list, new staff accounts, roles, pausing and resuming."""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import domain
from portal.admin import bp, services
from portal.admin.forms import RoleForm, StaffCreateForm, StaffEditForm
from portal.errors import show_refusal
from portal.pagination import paginate
from portal.permissions import requires


@bp.get("/admin")
@requires("staff_accounts.manage")
def index():
    page = paginate(services.staff_query(), per_page=current_app.config["PAGE_SIZE"])
    units = services.units_by_id({u.unit_id for u in page.items})
    return render_template("admin/index.html", page=page, staff_roles=services.ACCOUNT_ROLES,
                           units=units)


@bp.route("/admin/staff/new", methods=["GET", "POST"])
@requires("staff_accounts.manage")
def create_staff():
    form = StaffCreateForm().setup()
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate():
            try:
                user = services.create_staff_account(form.email.data, form.name.data, form.role.data,
                                                     form.password.data, form.unit, actor=current_user)
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


@bp.route("/admin/staff/<int:user_id>/edit", methods=["GET", "POST"])
@requires("staff_accounts.manage")
def edit_staff(user_id: int):
    """A staff account's role and unit (district branch staff need their district branch)."""
    target = services.get_staff_user(current_user, user_id) or abort(404)
    form = StaffEditForm(data={"role": target.role, "unit_id": str(target.unit_id or "")}
                         if request.method == "GET" else None).setup()
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate():
            try:
                services.update_staff(current_user, target, form.role.data, form.unit)
            except services.StaffError as exc:
                show_refusal(form, exc)
            else:
                flash(_("The account of %(name)s was saved.", name=target.name), "success")
                return redirect(url_for("admin.index"))
        flash(_("The account was not saved. Please correct the marked fields."), "error")
    return render_template("admin/staff_edit.html", form=form, target=target), status


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
