from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.admin import bp, services
from portal.admin.forms import RoleForm, StaffCreateForm
from portal.accounts.services import EmailTaken
from portal.pagination import paginate
from portal.security import roles_required


def _staff_or_404(user_id: int):
    user = services.staff_or_none(user_id)
    if user is None:
        abort(404)
    return user


@bp.get("/admin")
@roles_required("admin")
def index():
    page = paginate(services.staff_query(), per_page=current_app.config["PAGE_SIZE"])
    return render_template("admin/index.html", page=page)


@bp.route("/admin/staff/new", methods=["GET", "POST"])
@roles_required("admin")
def create_staff():
    form = StaffCreateForm()
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate():
            try:
                user = services.create_staff_user(form.email.data, form.name.data, form.role.data,
                                                  form.password.data, actor=current_user)
            except EmailTaken as exc:
                form.email.errors.append(str(exc))
            else:
                flash(_("The account of %(name)s was created.", name=user.name), "success")
                return redirect(url_for("admin.index"))
        flash(_("No account was created. Please correct the marked fields."), "error")
    return render_template("admin/staff_form.html", form=form), status


@bp.post("/admin/staff/<int:user_id>/role")
@roles_required("admin")
def change_role(user_id: int):
    target = _staff_or_404(user_id)
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
                role=services.domain.ROLES[target.role]), "success")
    return redirect(url_for("admin.index"))


def _set_status(user_id: int, status: str, done_message):
    target = _staff_or_404(user_id)
    try:
        services.set_status(current_user, target, status)
    except services.StaffError as exc:
        flash(str(exc), "error")
    else:
        flash(done_message(target.name), "success")
    return redirect(url_for("admin.index"))


@bp.post("/admin/staff/<int:user_id>/pause")
@roles_required("admin")
def pause_staff(user_id: int):
    return _set_status(user_id, "paused",
                       lambda name: _("%(name)s is paused and can no longer sign in.", name=name))


@bp.post("/admin/staff/<int:user_id>/resume")
@roles_required("admin")
def resume_staff(user_id: int):
    return _set_status(user_id, "active", lambda name: _("%(name)s is active again.", name=name))
