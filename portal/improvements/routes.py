"""Improvement items (office and admin edit, product staff read), supervision, departments (admin).

Views load (getters answer None, the page 404s), check (`@requires`), call one service and
render or redirect. A refusal keeps the person's input next to the field at fault; a conflict
answers 409 with the current values above their input. An item made from a submission is
created and linked by triage (`triage.services.create_item_from`), which owns the link."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user

from portal import domain
from portal.audit import history
from portal.errors import Conflict, show_refusal
from portal.improvements import bp, confirmations, services
from portal.improvements.forms import (
    ConfirmFixForm,
    DepartmentForm,
    ItemFilterForm,
    ItemForm,
    ReopenForm,
    department_choices,
)
from portal.notifications.kinds import submission_target
from portal.permissions import requires
from portal.triage import services as triage


def _number(value) -> int | None:
    value = (value or "").strip() if isinstance(value, str) else value
    if isinstance(value, int):
        return value
    return int(value) if value and value.isdigit() and len(value) < 10 else None


def _item(item_id: int):
    found = services.get_item(current_user, item_id)
    if found is None:
        abort(404)
    return found


# --- items -----------------------------------------------------------------------------------


@bp.get("/staff/improvements")
@requires("items.view")
def item_list():
    filter_form = ItemFilterForm(formdata=request.args)
    filter_form.department_id.choices = department_choices(_l("All"))
    page = services.item_list(services.ItemFilters.from_args(request.args))
    return render_template("improvements/item_list.html", filter_form=filter_form, page=page)


@bp.route("/staff/improvements/new", methods=["GET", "POST"])
@requires("items.edit")
def item_new():
    form = ItemForm().setup(None)
    source_id = request.values.get("submission") or form.submission.data
    source = triage.get_submission(current_user, _number(source_id)) if source_id else None
    if source_id and source is None:
        abort(404)
    if request.method == "GET":
        if source is not None:
            for name, value in triage.prefill_from(source).items():
                form[name].data = value
            form.submission.data = str(source.id)
        return _item_form_page(form, None, source)
    if not form.validate():
        flash(_("The item was not saved. Please correct the marked fields."), "error")
        return _item_form_page(form, None, source, status=422)
    try:
        created = triage.create_item_from(current_user, source, **form.values())
    except services.ItemRefused as exc:
        _field_error(form, exc)
        return _item_form_page(form, None, source, status=422)
    flash(_("The improvement item was created."), "success")
    return redirect(url_for("improvements.item_detail", item_id=created.id))


@bp.get("/staff/improvements/<int:item_id>")
@requires("items.view")
def item_detail(item_id: int):
    found = _item(item_id)
    reopen_form = ReopenForm(formdata=None)
    reopen_form.version.data = str(found.version)
    return render_template(
        "improvements/item_detail.html", item=found, overdue=services.is_overdue(found),
        history=history("item", found.id, limit=None), answers=confirmations.for_item(found),
        reopen_form=reopen_form,
    )


@bp.post("/staff/improvements/<int:item_id>/reopen")
@requires("items.edit")
def item_reopen(item_id: int):
    found = _item(item_id)
    form = ReopenForm()
    if not form.validate():
        abort(400)
    try:
        services.reopen_item(current_user, found, _number(form.version.data))
    except Conflict:
        flash(str(Conflict()), "error")
    except services.ItemRefused as exc:
        flash(str(exc), "error")
    else:
        flash(_("The item was reopened: it is in progress again."), "success")
    return redirect(url_for("improvements.item_detail", item_id=item_id))


# --- members: "Is it fixed for you?" ---------------------------------------------------------


@bp.route("/improvements/<int:item_id>/confirm/<int:submission_id>", methods=["GET", "POST"])
@requires("panel.take_part")
def confirm_fix(item_id: int, submission_id: int):
    question = confirmations.question_for(current_user, item_id, submission_id)
    if question is None:
        abort(404)
    if request.method == "GET":
        form = ConfirmFixForm(formdata=None)
        if question.answer is not None:
            form.fixed.data = "yes" if question.answer.fixed else "not_yet"
            form.rating.data = str(question.answer.rating)
            form.comment.data = question.answer.comment
        return _confirm_page(form, question)
    form = ConfirmFixForm()
    if not form.validate():
        flash(_("Your answer was not saved. Please correct the marked fields."), "error")
        return _confirm_page(form, question, 422)
    try:
        confirmations.answer(current_user, question, fixed=form.fixed.data, rating=form.rating.data,
                             comment=form.comment.data)
    except confirmations.ConfirmationRefused as exc:
        show_refusal(form, exc, _("Your answer was not saved. Please correct the marked fields."))
        return _confirm_page(form, question, 422)
    flash(_("Thank you: your answer was saved."), "success")
    return redirect(url_for("home.index"))


def _confirm_page(form, question, status=200):
    endpoint, values = submission_target(question.submission)
    return render_template("improvements/confirm_fix.html", form=form, question=question,
                           submission_url=url_for(endpoint, **values)), status


@bp.route("/staff/improvements/<int:item_id>/edit", methods=["GET", "POST"])
@requires("items.edit")
def item_edit(item_id: int):
    found = _item(item_id)
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
        services.update_item(current_user, found, _number(form.version.data), **form.values())
    except Conflict:
        return _conflict(item_id, form)
    except services.ItemRefused as exc:
        _field_error(form, exc)
        return _item_form_page(form, _item(item_id), None, status=422)
    flash(_("The improvement item was saved."), "success")
    return redirect(url_for("improvements.item_detail", item_id=item_id))


def _conflict(item_id: int, form):
    """Someone saved in between: the Conflict message, the person's input kept, the current
    values shown, and the next save made against the current version (409)."""
    current = _item(item_id)
    flash(str(Conflict()), "error")
    form.version.data = str(current.version)
    form.setup(current.status)
    return _item_form_page(form, current, None, conflict=current, status=409)


def _field_error(form, exc):
    show_refusal(form, exc, _("The item was not saved. Please correct the marked fields."))


def _item_form_page(form, found, source, conflict=None, status=200):
    return render_template(
        "improvements/item_form.html", form=form, item=found, source=source, conflict=conflict,
    ), status


# --- supervision -----------------------------------------------------------------------------


@bp.get("/staff/supervision")
@requires("items.edit")  # those who act on items oversee them; opening the board escalates
def supervision():
    services.escalate_overdue(domain.shanghai_today())
    # The most overdue items only (services.OVERDUE_SHOWN), with a link to all of them.
    stats, overdue_items = services.supervision()
    returns, returns_total = services.overdue_returns()  # overdue terminal / SIM returns
    fix_rates = {r.key: r for r in confirmations.rates(("department",))["department"]}
    return render_template("improvements/supervision.html", stats=stats, overdue_items=overdue_items,
                           fix_rates=fix_rates,
                           overdue_total=sum(s.overdue for s in stats),
                           overdue_returns=returns, overdue_returns_total=returns_total)


# --- departments (admin) ---------------------------------------------------------------------


@bp.route("/admin/departments", methods=["GET", "POST"])
@requires("departments.manage")
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
@requires("departments.manage")
def department_edit(department_id: int):
    dep = services.get_department(current_user, department_id)
    if dep is None:
        abort(404)
    if request.method == "GET":
        form = DepartmentForm(obj=dep).setup()
        form.a_contact_id.data = str(dep.a_contact_id or "")
        form.b_contact_id.data = str(dep.b_contact_id or "")
        form.show_version(dep)
        return render_template("improvements/department_form.html", form=form, department=dep)
    form = DepartmentForm().setup()
    try:
        result = _save_department(form, dep)
    except Conflict:
        # Someone saved it in between: their values shown, this input kept (409).
        current = services.get_department(current_user, department_id) or abort(404)
        flash(str(Conflict()), "error")
        form.show_version(current)
        return render_template("improvements/department_form.html", form=form, department=current,
                               conflict=current), 409
    if result is None:
        return redirect(url_for("improvements.departments"))
    return render_template("improvements/department_form.html", form=form, department=dep), result


def _save_department(form, dep):
    """None when saved, else the status code of the refused form (a stale edit raises
    Conflict)."""
    if not form.validate():
        flash(_("The department was not saved. Please correct the marked fields."), "error")
        return 422
    values = dict(name=form.name.data, a_contact_id=_number(form.a_contact_id.data),
                  b_contact_id=_number(form.b_contact_id.data))
    try:
        if dep is None:
            services.create_department(current_user, **values)
        else:
            services.update_department(current_user, dep, **values, version=form.version_number())
    except services.DepartmentRefused as exc:
        show_refusal(form, exc, _("The department was not saved. Please correct the marked fields."))
        return 422
    flash(_("The department was saved."), "success")
    return None


# The command `escalate-overdue` is registered with the others in portal/cli.py.
