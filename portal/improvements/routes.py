"""Improvement items (office and admin edit, product reads), supervision, departments (admin)."""
from __future__ import annotations

import click
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import domain
from portal.db import db
from portal.improvements import bp, services
from portal.improvements.forms import DepartmentForm, ItemFilterForm, ItemForm, department_choices
from portal.security import roles_required


def _has(endpoint: str) -> bool:
    return endpoint in current_app.view_functions


# --- items -----------------------------------------------------------------------------------


@bp.get("/staff/improvements")
@roles_required(*services.VIEW_ROLES)
def item_list():
    filter_form = ItemFilterForm(formdata=request.args)
    from flask_babel import lazy_gettext as _l

    filter_form.department_id.choices = department_choices(_l("All"))
    page = services.item_list(services.ItemFilters.from_args(request.args))
    can_export = current_user.role in services.EDIT_ROLES and _has("exports.items")
    return render_template(
        "improvements/item_list.html", filter_form=filter_form, page=page,
        can_edit=current_user.role in services.EDIT_ROLES, can_export=can_export,
    )


@bp.route("/staff/improvements/new", methods=["GET", "POST"])
@roles_required(*services.EDIT_ROLES)
def item_new():
    form = ItemForm().setup(None)
    source_id = request.values.get("submission") or form.submission.data
    source = services.submission(services._int(source_id)) if source_id else None
    if source_id and source is None:
        abort(404)
    if request.method == "GET":
        if source is not None:
            for name, value in services.prefill_from(source).items():
                form[name].data = value
            form.submission.data = str(source.id)
        return _item_form_page(form, None, source)
    if not form.validate():
        flash(_("The item was not saved. Please correct the marked fields."), "error")
        return _item_form_page(form, None, source, status=422)
    try:
        created = services.create_item(current_user, submission=source, **form.values())
    except services.ItemRefused as exc:
        db.rollback()
        _field_error(form, exc)
        return _item_form_page(form, None, source, status=422)
    flash(_("The improvement item was created."), "success")
    return redirect(url_for("improvements.item_detail", item_id=created.id))


@bp.get("/staff/improvements/<int:item_id>")
@roles_required(*services.VIEW_ROLES)
def item_detail(item_id: int):
    found = services.item(item_id)
    if found is None:
        abort(404)
    return render_template(
        "improvements/item_detail.html", item=found, overdue=services.is_overdue(found),
        timeline=services.timeline(found.id), can_edit=current_user.role in services.EDIT_ROLES,
        show_submissions=current_user.role in services.EDIT_ROLES,
        triage_detail=_has("triage.detail"),
    )


@bp.route("/staff/improvements/<int:item_id>/edit", methods=["GET", "POST"])
@roles_required(*services.EDIT_ROLES)
def item_edit(item_id: int):
    found = services.item(item_id)
    if found is None:
        abort(404)
    if request.method == "GET":
        form = ItemForm(obj=found).setup(found.status)
        form.version.data = str(found.version)
        form.department_id.data = str(found.department_id) if found.department_id else ""
        form.commitment.data = found.commitment or ""
        return _item_form_page(form, found, None)
    form = ItemForm().setup(found.status)
    if not form.validate():
        flash(_("The item was not saved. Please correct the marked fields."), "error")
        return _item_form_page(form, found, None, status=422)
    try:
        services.update_item(current_user, item_id, services._int(form.version.data),
                             **form.values())
    except services.ItemConflict as exc:
        db.rollback()
        if exc.current is None:
            abort(404)
        flash(str(exc), "error")
        current = services.item(item_id)
        # Keep what the person typed; the next save is made against the current version.
        form.version.data = str(current.version)
        form.setup(current.status)
        return _item_form_page(form, current, None, conflict=current, status=409)
    except services.ItemRefused as exc:
        db.rollback()
        _field_error(form, exc)
        return _item_form_page(form, services.item(item_id), None, status=422)
    flash(_("The improvement item was saved."), "success")
    return redirect(url_for("improvements.item_detail", item_id=item_id))


def _field_error(form, exc):
    target = getattr(form, exc.field, None) if exc.field else None
    if target is not None:
        target.errors = list(target.errors) + [str(exc)]
        flash(_("The item was not saved. Please correct the marked fields."), "error")
    else:
        flash(str(exc), "error")


def _item_form_page(form, found, source, conflict=None, status=200):
    return render_template(
        "improvements/item_form.html", form=form, item=found, source=source, conflict=conflict,
    ), status


# --- supervision -----------------------------------------------------------------------------


@bp.get("/staff/supervision")
@roles_required(*services.EDIT_ROLES)
def supervision():
    services.escalate_overdue(domain.shanghai_today())
    stats, overdue_items = services.supervision()
    return render_template("improvements/supervision.html", stats=stats, overdue_items=overdue_items)


# --- departments (admin) ---------------------------------------------------------------------


@bp.route("/admin/departments", methods=["GET", "POST"])
@roles_required("admin")
def departments():
    form = DepartmentForm().setup()
    status = 200
    if request.method == "POST":
        result = _save_department(form, None)
        if result is None:
            return redirect(url_for("improvements.departments"))
        status = result
    return render_template("improvements/departments.html", form=form,
                           departments=services.departments()), status


@bp.route("/admin/departments/<int:department_id>", methods=["GET", "POST"])
@roles_required("admin")
def department_edit(department_id: int):
    dep = services.department(department_id)
    if dep is None:
        abort(404)
    if request.method == "GET":
        form = DepartmentForm(obj=dep).setup()
        form.a_contact_id.data = str(dep.a_contact_id or "")
        form.b_contact_id.data = str(dep.b_contact_id or "")
        return render_template("improvements/department_form.html", form=form, department=dep)
    form = DepartmentForm().setup()
    result = _save_department(form, dep)
    if result is None:
        return redirect(url_for("improvements.departments"))
    return render_template("improvements/department_form.html", form=form, department=dep), result


def _save_department(form, dep):
    """None when saved, else the status code of the refused form."""
    if not form.validate():
        flash(_("The department was not saved. Please correct the marked fields."), "error")
        return 422
    values = dict(name=form.name.data, a_contact_id=services._int(form.a_contact_id.data),
                  b_contact_id=services._int(form.b_contact_id.data))
    try:
        if dep is None:
            services.create_department(current_user, **values)
        else:
            services.update_department(current_user, dep, **values)
    except services.DepartmentRefused as exc:
        db.rollback()
        target = getattr(form, exc.field, None) if exc.field else None
        if target is not None:
            target.errors = list(target.errors) + [str(exc)]
        flash(_("The department was not saved. Please correct the marked fields."), "error")
        return 422
    flash(_("The department was saved."), "success")
    return None


# --- command line ----------------------------------------------------------------------------


@bp.cli.command("escalate-overdue")
def escalate_overdue_command():
    """Tell departments' B contacts about overdue improvement items (once per due date)."""
    count = services.escalate_overdue(domain.shanghai_today())
    click.echo(f"Escalated {count} overdue item(s).")
