"""Pages of the internal supervision hotline. Views load (getters answer None: 404), check
(`@requires`; the supervision office's pages also `supervises_hotline`), call one service and
render or redirect; a refusal keeps what was typed, a stale step answers with the Conflict."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user

from portal import permissions
from portal.audit import history
from portal.domain import shanghai_today
from portal.errors import Conflict, show_refusal
from portal.pagination import requested_page
from portal.permissions import requires
from portal.supervision import assessment, bp, bulletin, services, units
from portal.supervision.forms import (
    AnalysisForm,
    AnswerForm,
    ConfirmForm,
    PickForm,
    PublishForm,
    RequestForm,
    RouteForm,
    RuleForm,
    SendBackForm,
    StepForm,
    department_choices,
)
from portal.versioning import as_version


def _not_saved() -> str:
    return _("The support request was not saved. Please correct the marked fields.")


def _request(request_id: int):
    return services.get_request(current_user, request_id) or abort(404)


def _office_only() -> None:
    if not permissions.supervises_hotline(current_user):
        abort(403)


@bp.app_context_processor
def _helpers():
    return {"unit_label": units.unit_label, "supervises_hotline": permissions.supervises_hotline}


@bp.get("/hotline")
@requires("supervision.view")
def request_list():
    status = request.args.get("status") or None
    page = services.request_list(current_user, status, requested_page())
    shown = services.units_by_id({r.branch_id for r in page.items} | {r.department_id for r in page.items})
    return render_template("supervision/list.html", page=page, units=shown, status=status)


@bp.route("/hotline/new", methods=["GET", "POST"])
@requires("supervision.file")
def request_new():
    form = RequestForm().setup()
    if request.method == "GET":
        return _new_page(form)
    if not form.validate():
        flash(_not_saved(), "error")
        return _new_page(form, 422)
    department_id = int(form.department_id.data) if (form.department_id.data or "").isdigit() else None
    filing = services.Filing(
        title=form.title.data, description=form.description.data or "", category=form.category.data,
        urgency=form.urgency.data, department_id=department_id,
        case_text=form.case_text.data or "", submission_id=form.submission_id.data, item_id=form.item_id.data)
    try:
        created = services.file_request(current_user, filing, request.files.getlist("attachments"))
    except services.SupportRefused as exc:
        show_refusal(form, exc, _not_saved())
        return _new_page(form, 422)
    flash(_("Your support request was filed."), "success")
    return redirect(url_for("supervision.request_detail", request_id=created.id))


def _new_page(form, status=200):
    return render_template("supervision/new.html", form=form), status


def _step_forms(found) -> dict:
    forms = {}
    for step, form_class in (("accept", StepForm), ("answer", AnswerForm), ("send_back", SendBackForm),
                             ("confirm", ConfirmForm), ("close", StepForm)):
        if services.may(current_user, found, step):
            form = form_class(formdata=None)
            form.version.data = str(found.version)
            forms[step] = form
    if found.status == "new" and permissions.supervises_hotline(current_user):
        form = RouteForm(formdata=None)
        form.department_id.choices = department_choices(_("Choose a department"))
        form.version.data = str(found.version)
        forms["route"] = form
    return forms


@bp.get("/hotline/<int:request_id>")
@requires("supervision.view")
def request_detail(request_id: int, forms: dict | None = None, status: int = 200):
    found = _request(request_id)
    step_forms = {**_step_forms(found), **(forms or {})}
    shown = services.units_by_id({found.branch_id, found.department_id})
    return render_template("supervision/detail.html", req=found, step_forms=step_forms, units=shown,
                           history=history("support_request", found.id, limit=None)), status


STEPS = {
    "accept": (StepForm, lambda r, f: services.accept(current_user, r, as_version(f.version.data)),
               _l("The request is accepted: the district branch is told.")),
    "answer": (AnswerForm, lambda r, f: services.answer(current_user, r, as_version(f.version.data),
                                                        f.answer.data),
               _l("Your answer was sent to the district branch.")),
    "send_back": (SendBackForm, lambda r, f: services.send_back(current_user, r, as_version(f.version.data),
                                                                f.reason.data),
                  _l("The answer was sent back to the department.")),
    "confirm": (ConfirmForm, lambda r, f: services.confirm(current_user, r, as_version(f.version.data),
                                                           int(f.rating.data)),
                _l("Thank you: the answer is confirmed with your rating.")),
    "close": (StepForm, lambda r, f: services.close(current_user, r, as_version(f.version.data)),
              _l("The request is closed.")),
}


@bp.post("/hotline/<int:request_id>/step/<step>")
@requires("supervision.view")
def request_step(request_id: int, step: str):
    found = _request(request_id)
    if step not in STEPS:
        abort(404)
    form_class, act, done = STEPS[step]
    form = form_class()
    if not form.validate():
        flash(_not_saved(), "error")
        return request_detail(request_id, {step: form}, 422)
    try:
        act(found, form)
    except Conflict:
        flash(str(Conflict()), "error")
        return redirect(url_for("supervision.request_detail", request_id=request_id))
    except services.SupportRefused as exc:
        show_refusal(form, exc, _not_saved())
        return request_detail(request_id, {step: form}, 422)
    flash(str(done), "success")
    return redirect(url_for("supervision.request_detail", request_id=request_id))


@bp.post("/hotline/<int:request_id>/route")
@requires("supervision.manage")
def request_route(request_id: int):
    _office_only()
    found = _request(request_id)
    form = RouteForm()
    form.department_id.choices = department_choices(_("Choose a department"))
    if not form.validate():
        return request_detail(request_id, {"route": form}, 422)
    try:
        services.route_by_hand(current_user, found, as_version(form.version.data),
                               int(form.department_id.data))
    except Conflict:
        flash(str(Conflict()), "error")
    except services.SupportRefused as exc:
        show_refusal(form, exc)
        return request_detail(request_id, {"route": form}, 422)
    else:
        flash(_("The request was routed: the department's A contact is told."), "success")
    return redirect(url_for("supervision.request_detail", request_id=request_id))


@bp.get("/hotline/<int:request_id>/attachments/<int:attachment_id>")
@requires("supervision.view")
def attachment(request_id: int, attachment_id: int):
    found = services.attachment(current_user, request_id, attachment_id) or abort(404)
    response = Response(found.data, mimetype=found.content_type)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# --- the routing table ----------------------------------------------------------------------------


@bp.route("/hotline/routing", methods=["GET", "POST"])
@requires("supervision.manage")
def routing():
    _office_only()
    form = RuleForm()
    form.department_id.choices = department_choices(_("Choose a department"))
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                services.add_rule(current_user, form.category.data, form.commitment.data,
                                  int(form.department_id.data))
            except services.SupportRefused as exc:
                show_refusal(form, exc)
                status = 422
            else:
                flash(_("The rule was added to the routing table."), "success")
                return redirect(url_for("supervision.routing"))
        else:
            status = 422
    rules = services.rules()
    shown = services.units_by_id({r.department_id for r in rules})
    return render_template("supervision/routing.html", form=form, rules=rules, units=shown), status


@bp.post("/hotline/routing/<int:rule_id>/delete")
@requires("supervision.manage")
def routing_delete(rule_id: int):
    _office_only()
    services.delete_rule(current_user, rule_id)
    flash(_("The rule was deleted."), "success")
    return redirect(url_for("supervision.routing"))


# --- assessment -----------------------------------------------------------------------------------


@bp.get("/hotline/assessment")
@requires("supervision.view")
def assessment_page():
    period = assessment.Period.from_args(request.args)
    result = assessment.assess(current_user, period)
    return render_template("supervision/assessment.html", period=period, result=result)


# --- the monthly bulletin of analysed cases ---------------------------------------------------------


def _month(code: str):
    return bulletin.parse_month(code) or abort(404)


@bp.get("/hotline/bulletins")
@requires("supervision.view")
def bulletin_list():
    page = bulletin.bulletin_list(current_user, requested_page())
    return render_template("supervision/bulletins.html", page=page, statuses=bulletin.STATUSES,
                           this_month=bulletin.month_code(shanghai_today()))


@bp.get("/hotline/bulletins/open")
@requires("supervision.manage")
def bulletin_open():
    """The office's "open the bulletin of month ..." form (a month input) lands on that month."""
    _office_only()
    month = bulletin.parse_month(request.args.get("month"))
    if month is None:
        flash(_("Please choose a month that has begun, such as 2026-10."), "error")
        return redirect(url_for("supervision.bulletin_list"))
    return redirect(url_for("supervision.bulletin_page", month=bulletin.month_code(month)))


def _analysis_form(case, formdata=None):
    form = AnalysisForm(formdata=formdata, prefix=f"case{case.id}")
    if formdata is None:
        form.analysis.data, form.root_cause.data = case.analysis, case.root_cause
        form.changes_made.data = case.changes_made
        form.show_version(case)
    return form


def _editing_context(when, found, view, forms: dict) -> dict:
    """What the office's draft page adds: the month's requests to pick from, the analysis form
    of each case (a rejected one as it was typed), the publish form."""
    page = bulletin.candidates(when, requested_page())
    publish_form = forms.get("publish") or PublishForm(formdata=None)
    if found is not None and "publish" not in forms:
        publish_form.show_version(found)
    return {"candidates": page, "picked": {c.request_id for c in view.cases},
            "publish_form": publish_form,
            "candidate_units": services.units_by_id(
                {r.branch_id for r in page.items} | {r.department_id for r in page.items}),
            "analysis_forms": {c.id: forms.get(c.id) or _analysis_form(c) for c in view.cases}}


@bp.get("/hotline/bulletins/<month>")
@requires("supervision.view")
def bulletin_page(month: str, forms: dict | None = None, status: int = 200):
    when = _month(month)
    found = bulletin.get_bulletin(current_user, when)
    office = permissions.supervises_hotline(current_user)
    if found is None and not office:
        abort(404)
    view = bulletin.shown(found)
    editing = office and (found is None or found.status == "draft")
    context = {"bulletin": found, "month": when, "code": bulletin.month_code(when), "view": view,
               "statuses": bulletin.STATUSES, "editing": editing}
    if editing:
        context.update(_editing_context(when, found, view, forms or {}))
    return render_template("supervision/bulletin.html", **context), status


def _bulletin_write(month: str, write, done: str, forms_on_refusal=None):
    """Run one office write on the month's bulletin: a refusal shows the page again (422) with
    what was typed, a stale form the Conflict."""
    _office_only()
    when = _month(month)
    try:
        write(when)
    except Conflict:
        flash(str(Conflict()), "error")
    except services.SupportRefused as exc:
        flash(str(exc), "error")
        return bulletin_page(month, forms_on_refusal, 422)
    else:
        flash(done, "success")
    return redirect(url_for("supervision.bulletin_page", month=month))


@bp.post("/hotline/bulletins/<month>/pick")
@requires("supervision.manage")
def bulletin_pick(month: str):
    form = PickForm()
    request_id = form.request_id.data if form.validate() else None
    return _bulletin_write(month, lambda when: bulletin.pick(current_user, when, request_id),
                           _("The request was picked for the bulletin."))


@bp.post("/hotline/bulletins/<month>/cases/<int:case_id>/remove")
@requires("supervision.manage")
def bulletin_unpick(month: str, case_id: int):
    return _bulletin_write(month, lambda when: bulletin.unpick(current_user, when, case_id),
                           _("The case was taken out of the bulletin."))


@bp.post("/hotline/bulletins/<month>/cases/<int:case_id>/analysis")
@requires("supervision.manage")
def bulletin_analyse(month: str, case_id: int):
    form = AnalysisForm(prefix=f"case{case_id}")
    if not form.validate():
        _office_only()
        flash(_("The analysis was not saved. Please correct the marked fields."), "error")
        return bulletin_page(month, {case_id: form}, 422)
    return _bulletin_write(
        month, lambda when: bulletin.analyse(current_user, when, case_id,
                                             as_version(form.version.data), form.texts()),
        _("The analysis was saved."), {case_id: form})


@bp.post("/hotline/bulletins/<month>/publish")
@requires("supervision.manage")
def bulletin_publish(month: str):
    form = PublishForm()
    form.validate()
    return _bulletin_write(month, lambda when: bulletin.publish(current_user, when,
                                                                as_version(form.version.data)),
                           _("The bulletin is published: every unit's staff can read it now."),
                           {"publish": form})


@bp.get("/hotline/bulletins/<month>.xlsx")
@requires("supervision.view")
def bulletin_download(month: str):
    found = bulletin.get_bulletin(current_user, _month(month)) or abort(404)
    return bulletin.download(current_user, found)
