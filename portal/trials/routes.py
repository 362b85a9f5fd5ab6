"""Trials: staff manage trials, questionnaires and enrollments; members browse, apply, withdraw.

Staff pages load the trial through `services.get_trial`, which applies the viewer's scope (for
product staff: the trials whose owning team they are in): a trial outside it answers 404 on every
page and action. Viewing needs `trials.view`, changing `trials.manage`, the owning team
`trials.manage_owners`; templates show a button only when `can(...)` allows its action.
Edit forms and status buttons carry the version they were shown at: a stale save answers 409
with the Conflict message, the person's input kept and the current values shown.
"""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user

from portal import domain
from portal.audit import services as audit
from portal.errors import Conflict, show_refusal
from portal.permissions import can, may_remove_owners, requires
from portal.trials import bp, logistics_routes, questionnaire, sampling, services, targeting
from portal.trials.forms import (
    ApplyForm,
    EnrollmentFilterForm,
    OwnerForm,
    QuestionForm,
    QuestionnaireCopyForm,
    QuestionnaireImportForm,
    QuotaForm,
    SampleForm,
    StaffTrialFilterForm,
    TrialForm,
)
from portal.trials.models import Question
from portal.versioning import as_version


def _trial_or_404(trial_id: int):
    trial = services.get_trial(current_user, trial_id)
    if trial is None:
        abort(404)
    return trial




# ---------------------------------------------------------------------------------------------
# Staff: trials


@bp.get("/staff/trials")
@requires("trials.view")
def staff_list():
    filters = StaffTrialFilterForm(request.args)
    page = services.staff_trials(
        current_user, status=filters.status.data, kind=filters.kind.data,
        segment=filters.segment.data, text=(filters.q.data or "")[:100],
    )
    return render_template("trials/staff_list.html", page=page, filters=filters)


@bp.route("/staff/trials/new", methods=["GET", "POST"])
@requires("trials.manage")
def staff_new():
    form = TrialForm()
    if request.method == "GET":
        form.kind.data = "product"
        form.segments.data = []
    if form.validate_on_submit():
        try:
            trial = services.save_trial(None, form.values(), current_user)
        except services.TrialRefused as exc:
            show_refusal(form, exc)
        else:
            flash(_("The trial was created as a draft. Add its questions, then start recruiting."),
                  "success")
            return redirect(url_for("trials.staff_detail", trial_id=trial.id))
    status = 422 if request.method == "POST" else 200
    return render_template("trials/staff_form.html", form=form, trial=None), status


@bp.route("/staff/trials/<int:trial_id>/edit", methods=["GET", "POST"])
@requires("trials.manage")
def staff_edit(trial_id: int):
    trial = _trial_or_404(trial_id)
    form = TrialForm(obj=trial if request.method == "GET" else None)
    if request.method == "GET":
        form.segments.data = trial.segment_codes
        for name, values in targeting.form_values(trial).items():
            getattr(form, name).data = values
        form.show_version(trial)
    if form.validate_on_submit():
        try:
            services.save_trial(trial, form.values(), current_user, version=form.version_number())
        except Conflict:
            return _trial_conflict(trial_id, form)
        except services.TrialRefused as exc:
            show_refusal(form, exc)
        else:
            flash(_("The trial was saved."), "success")
            return redirect(url_for("trials.staff_detail", trial_id=trial.id))
    status = 422 if request.method == "POST" else 200
    return render_template("trials/staff_form.html", form=form, trial=trial), status


def _trial_conflict(trial_id: int, form):
    """Someone saved the trial in between: the Conflict message, the person's input kept, the
    current values shown, and the next save made against the current version (409)."""
    current = _trial_or_404(trial_id)
    flash(str(Conflict()), "error")
    form.show_version(current)
    return render_template("trials/staff_form.html", form=form, trial=current, conflict=current), 409


def _staff_detail_page(trial, status=200, owner_form=None, quota_form=None):
    owners = services.owners(trial)  # first: the permission checks below then read them
    candidates = services.owner_candidates(trial) if can("trials.manage_owners", obj=trial) else []
    return render_template(
        "trials/staff_detail.html", trial=trial, counts=services.trial_counts(trial),
        funnel=sampling.funnel(trial), quotas=targeting.quota_fills(trial.id),
        quota_form=quota_form or QuotaForm(formdata=None).setup(trial),
        targeting=targeting.summary(trial),
        starts_early=services.starts_early(trial, "running"),
        locked=services.questionnaire_locked(trial),
        transitions=services.allowed_transitions(trial),
        history=audit.history("trial", trial.id), owners=owners,
        owner_form=owner_form or OwnerForm(formdata=None).setup(candidates),
        candidates=candidates, may_remove_owners=may_remove_owners(current_user, trial),
        library=questionnaire.library_entries(), show_if_text=questionnaire.describe_rule,
    ), status


@bp.get("/staff/trials/<int:trial_id>")
@requires("trials.view")
def staff_detail(trial_id: int):
    return _staff_detail_page(_trial_or_404(trial_id))


@bp.post("/staff/trials/<int:trial_id>/status")
@requires("trials.manage")
def staff_status(trial_id: int):
    trial = _trial_or_404(trial_id)
    new_status = request.form.get("status", "")
    try:
        services.change_status(trial, new_status, current_user,
                               version=as_version(request.form.get("version")),
                               early_start_confirmed=request.form.get("confirm_early_start") == "y")
    except (services.TrialRefused, Conflict) as exc:  # shown the trial as it is now
        flash(str(exc), "error")
        return _staff_detail_page(_trial_or_404(trial_id), status=409)
    flash(_("The trial is now %(status)s.", status=domain.TRIAL_STATUSES[new_status]), "success")
    return redirect(url_for("trials.staff_detail", trial_id=trial.id))


# ---------------------------------------------------------------------------------------------
# Staff: quotas and samples


@bp.post("/staff/trials/<int:trial_id>/quotas")
@requires("trials.manage")
def quota_add(trial_id: int):
    trial = _trial_or_404(trial_id)
    form = QuotaForm().setup(trial)
    if not form.validate_on_submit():
        flash(_("No quota was saved. Please correct the marked fields."), "error")
        return _staff_detail_page(trial, status=422, quota_form=form)
    try:
        targeting.add_quota(trial, form.segment.data, form.district.data, form.places.data,
                            current_user)
    except targeting.TargetingRefused as exc:
        show_refusal(form, exc, _("No quota was saved. Please correct the marked fields."))
        return _staff_detail_page(_trial_or_404(trial_id), status=422, quota_form=form)
    flash(_("The quota was saved."), "success")
    return redirect(url_for("trials.staff_detail", trial_id=trial_id) + "#quotas")


@bp.post("/staff/trials/<int:trial_id>/quotas/<int:quota_id>/remove")
@requires("trials.manage")
def quota_remove(trial_id: int, quota_id: int):
    trial = _trial_or_404(trial_id)
    try:
        targeting.remove_quota(trial, quota_id, current_user)
    except targeting.TargetingRefused as exc:
        flash(str(exc), "error")
        return _staff_detail_page(_trial_or_404(trial_id), status=409)
    flash(_("The quota was removed."), "success")
    return redirect(url_for("trials.staff_detail", trial_id=trial_id) + "#quotas")


@bp.get("/staff/trials/<int:trial_id>/sample")
@requires("trials.manage")
def sample(trial_id: int):
    """The sample form; with a size, a draw to look at before inviting (nothing is stored)."""
    trial = _trial_or_404(trial_id)
    form = SampleForm(request.args)
    drawn = None
    if "size" in request.args and form.validate():
        drawn = sampling.preview(trial, form.size.data)
    status = 422 if form.errors else 200
    return render_template("trials/staff_sample.html", trial=trial, form=form, drawn=drawn,
                           quotas=targeting.quota_fills(trial.id), targeting=targeting.summary(trial),
                           refusal=sampling.invite_refusal(trial)), status


@bp.post("/staff/trials/<int:trial_id>/sample/invite")
@requires("trials.manage")
def sample_invite(trial_id: int):
    trial = _trial_or_404(trial_id)
    ids = [int(v) for v in request.form.getlist("member_id") if v.isdigit() and len(v) < 10]
    try:
        invited, left_out = sampling.invite(trial, ids, current_user)
    except targeting.TargetingRefused as exc:
        flash(str(exc), "error")
        return redirect(url_for("trials.sample", trial_id=trial_id))
    flash(ngettext("%(num)d member was invited.", "%(num)d members were invited.", invited), "success")
    if left_out:
        flash(ngettext("%(num)d drawn member was left out: they no longer fit the sample.",
                       "%(num)d drawn members were left out: they no longer fit the sample.", left_out),
              "warning")
    return redirect(url_for("trials.staff_detail", trial_id=trial_id) + "#funnel")


# ---------------------------------------------------------------------------------------------
# Staff: the owning team


@bp.post("/staff/trials/<int:trial_id>/owners")
@requires("trials.manage_owners")
def owner_add(trial_id: int):
    trial = _trial_or_404(trial_id)  # product staff: only an owner reaches it
    form = OwnerForm().setup(services.owner_candidates(trial))
    if not form.validate_on_submit():
        flash(_("Nobody was added. Please correct the marked fields."), "error")
        return _staff_detail_page(trial, status=422, owner_form=form)
    try:
        owner = services.add_owner(trial, form.chosen(), current_user)
    except services.TrialRefused as exc:
        show_refusal(form, exc, _("Nobody was added. Please correct the marked fields."))
        return _staff_detail_page(_trial_or_404(trial_id), status=422, owner_form=form)
    flash(_("%(name)s is now in the owning team.", name=owner.user.name), "success")
    return redirect(url_for("trials.staff_detail", trial_id=trial_id) + "#owners")


@bp.post("/staff/trials/<int:trial_id>/owners/<int:user_id>/remove")
@requires("trials.manage_owners")
def owner_remove(trial_id: int, user_id: int):
    trial = _trial_or_404(trial_id)
    if not may_remove_owners(current_user, trial):
        abort(403)
    try:
        removed = services.remove_owner(trial, user_id, current_user)
    except services.TrialRefused as exc:
        flash(str(exc), "error")
        return _staff_detail_page(_trial_or_404(trial_id), status=409)
    flash(_("%(name)s is no longer in the owning team.", name=removed.name), "success")
    return redirect(url_for("trials.staff_detail", trial_id=trial_id) + "#owners")


# ---------------------------------------------------------------------------------------------
# Staff: questionnaire builder


def _question_or_404(trial, question_id: int) -> Question:
    question = next((q for q in trial.questions if q.id == question_id), None)
    if question is None:
        abort(404)
    return question


def _question_page(form, trial, question, locked, status, conflict=None):
    return render_template("trials/question_form.html", form=form, trial=trial, question=question,
                           locked=locked, conflict=conflict), status


@bp.route("/staff/trials/<int:trial_id>/questions/new", methods=["GET", "POST"])
@requires("trials.manage")
def question_new(trial_id: int):
    trial = _trial_or_404(trial_id)
    locked = services.questionnaire_locked(trial)
    form = QuestionForm().setup(trial)
    if request.method == "GET":
        form.required.data = not locked
        return _question_page(form, trial, None, locked, 200)
    if not form.validate_on_submit():
        return _question_page(form, trial, None, locked, 422)
    try:
        services.add_question(trial, form.values(), current_user)
    except services.TrialRefused as exc:
        show_refusal(form, exc)
        return _question_page(form, _trial_or_404(trial_id), None, locked, 409)
    flash(_("The question was added."), "success")
    return redirect(url_for("trials.staff_detail", trial_id=trial.id) + "#questions")


@bp.route("/staff/trials/<int:trial_id>/questions/<int:question_id>/edit", methods=["GET", "POST"])
@requires("trials.manage")
def question_edit(trial_id: int, question_id: int):
    trial = _trial_or_404(trial_id)
    question = _question_or_404(trial, question_id)
    locked = services.questionnaire_locked(trial)
    form = QuestionForm(obj=question if request.method == "GET" else None).setup(trial, question)
    if request.method == "GET":
        form.options.data = "\n".join(question.options or [])
        form.show_rule(question)
        form.show_version(question)
        return _question_page(form, trial, question, locked, 200)
    if not form.validate_on_submit():
        return _question_page(form, trial, question, locked, 422)
    try:
        services.update_question(question, form.values(), current_user, version=form.version_number())
    except Conflict:
        # Someone saved the question in between: their values shown, this input kept (409).
        flash(str(Conflict()), "error")
        trial = _trial_or_404(trial_id)
        current = _question_or_404(trial, question_id)
        form.show_version(current)
        return _question_page(form, trial, current, services.questionnaire_locked(trial), 409,
                              conflict=current)
    except services.TrialRefused as exc:
        show_refusal(form, exc)
        # Nothing was saved: show the question as it is stored, beside the input kept.
        trial = _trial_or_404(trial_id)
        return _question_page(form, trial, _question_or_404(trial, question_id), locked, 409)
    flash(_("The question was saved."), "success")
    return redirect(url_for("trials.staff_detail", trial_id=trial.id) + "#questions")


@bp.post("/staff/trials/<int:trial_id>/questions/<int:question_id>/delete")
@requires("trials.manage")
def question_delete(trial_id: int, question_id: int):
    trial = _trial_or_404(trial_id)
    question = _question_or_404(trial, question_id)
    try:
        services.delete_question(question, current_user)
    except (services.TrialRefused, Conflict) as exc:  # Conflict: it was edited meanwhile
        flash(str(exc), "error")
        return _staff_detail_page(_trial_or_404(trial_id), status=409)
    flash(_("The question was deleted."), "success")
    return redirect(url_for("trials.staff_detail", trial_id=trial_id) + "#questions")


@bp.post("/staff/trials/<int:trial_id>/questions/<int:question_id>/move")
@requires("trials.manage")
def question_move(trial_id: int, question_id: int):
    trial = _trial_or_404(trial_id)
    question = _question_or_404(trial, question_id)
    direction = request.form.get("direction", "")
    if direction not in ("up", "down"):
        abort(400)
    try:
        services.move_question(question, direction, current_user)
    except services.TrialRefused as exc:
        flash(str(exc), "error")
        return _staff_detail_page(_trial_or_404(trial_id), status=409)
    return redirect(url_for("trials.staff_detail", trial_id=trial_id) + "#questions")


# ---------------------------------------------------------------------------------------------
# Staff: standard questions, JSON export / import, copy (portal.trials.questionnaire)


@bp.post("/staff/trials/<int:trial_id>/questions/library")
@requires("trials.manage")
def question_library_add(trial_id: int):
    trial = _trial_or_404(trial_id)
    try:
        added = questionnaire.add_standard(trial, request.form.get("standard", ""), current_user)
    except services.TrialRefused as exc:
        flash(str(exc), "error")
        return _staff_detail_page(_trial_or_404(trial_id), status=409)
    flash(ngettext("%(num)d standard question was added.", "%(num)d standard questions were added.",
                   len(added)), "success")
    return redirect(url_for("trials.staff_detail", trial_id=trial_id) + f"#question-{added[0].id}")


@bp.get("/staff/trials/<int:trial_id>/questionnaire.json")
@requires("trials.view")
def questionnaire_export(trial_id: int):
    trial = _trial_or_404(trial_id)
    return Response(questionnaire.export_json(trial), mimetype="application/json", headers={
        "Content-Disposition": f"attachment; filename=trial-{trial.id}-questionnaire.json"})


def _import_page(trial, import_form=None, copy_form=None, problems=(), status=200):
    return render_template(
        "trials/questionnaire_import.html", trial=trial, problems=problems,
        import_form=import_form or QuestionnaireImportForm(formdata=None),
        copy_form=copy_form or QuestionnaireCopyForm(formdata=None).setup(
            questionnaire.copy_choices(current_user, trial)),
        refusal=None if trial.status == "draft" else _(
            "A questionnaire can be imported or copied only into a draft trial: this one has "
            "started recruiting."),
    ), status


@bp.route("/staff/trials/<int:trial_id>/questionnaire/import", methods=["GET", "POST"])
@requires("trials.manage")
def questionnaire_import(trial_id: int):
    trial = _trial_or_404(trial_id)
    if request.method == "GET":
        return _import_page(trial)
    form = QuestionnaireImportForm()
    if not form.validate_on_submit():
        return _import_page(trial, import_form=form, status=422)
    upload = request.files.get("upload")
    text = upload.read(questionnaire.MAX_IMPORT_BYTES + 1).decode("utf-8", "replace") \
        if upload and upload.filename else (form.document.data or "")
    try:
        added = questionnaire.import_questionnaire(trial, text, form.mode.data == "replace", current_user)
    except questionnaire.InvalidQuestionnaire as exc:
        flash(str(exc), "error")
        return _import_page(_trial_or_404(trial_id), import_form=form, problems=exc.problems, status=422)
    except services.TrialRefused as exc:
        show_refusal(form, exc)
        return _import_page(_trial_or_404(trial_id), import_form=form, status=409)
    flash(ngettext("%(num)d question was imported.", "%(num)d questions were imported.", len(added)),
          "success")
    return redirect(url_for("trials.staff_detail", trial_id=trial_id) + "#questions")


@bp.post("/staff/trials/<int:trial_id>/questionnaire/copy")
@requires("trials.manage")
def questionnaire_copy(trial_id: int):
    trial = _trial_or_404(trial_id)
    form = QuestionnaireCopyForm().setup(questionnaire.copy_choices(current_user, trial))
    if not form.validate_on_submit():
        return _import_page(trial, copy_form=form, status=422)
    source = services.get_trial(current_user, form.chosen()) if form.chosen() else None
    try:
        added = questionnaire.copy_questionnaire(trial, source, form.mode.data == "replace", current_user)
    except services.TrialRefused as exc:
        show_refusal(form, exc)
        return _import_page(_trial_or_404(trial_id), copy_form=form, status=409)
    flash(ngettext("%(num)d question was copied.", "%(num)d questions were copied.", len(added)),
          "success")
    return redirect(url_for("trials.staff_detail", trial_id=trial_id) + "#questions")


# ---------------------------------------------------------------------------------------------
# Staff: enrollment decisions


def _enrollments_page(trial, status=200):
    filters = EnrollmentFilterForm(request.args)
    page = services.applicants(trial, status=filters.status.data)
    counts = services.trial_counts(trial)
    return render_template(
        "trials/staff_enrollments.html", trial=trial, page=page, filters=filters, counts=counts,
        places_left=services.places_left(trial, counts.accepted),
        quotas=targeting.quota_fills(trial.id),
    ), status


@bp.get("/staff/trials/<int:trial_id>/enrollments")
@requires("trials.view")
def staff_enrollments(trial_id: int):
    return _enrollments_page(_trial_or_404(trial_id))


@bp.post("/staff/trials/<int:trial_id>/enrollments/<int:enrollment_id>/decision")
@requires("trials.manage")
def enrollment_decision(trial_id: int, enrollment_id: int):
    trial = _trial_or_404(trial_id)
    enrollment = services.get_enrollment(current_user, trial, enrollment_id)
    if enrollment is None:
        abort(404)
    decision = request.form.get("decision", "")
    if decision not in ("accept", "decline"):
        abort(400)
    try:
        services.decide(trial, enrollment, decision == "accept", current_user)
    except services.TrialRefused as exc:
        flash(str(exc), "error")
        return _enrollments_page(_trial_or_404(trial_id), status=409)
    if decision == "accept":
        flash(_("The member was accepted."), "success")
    else:
        flash(_("The application was declined."), "success")
    return redirect(url_for("trials.staff_enrollments", trial_id=trial_id, **request.args))


# ---------------------------------------------------------------------------------------------
# Members


@bp.get("/trials")
@requires("panel.take_part")
def member_list():
    page = services.member_trials(current_user)
    return render_template("trials/member_list.html", page=page, places_left=services.places_left)


def _member_trial_or_404(trial_id: int):
    trial = services.get_trial_open_to_member(current_user, trial_id)
    if trial is None:
        abort(404)
    return trial


def _member_detail_page(trial, form=None, status=200):
    enrollment = services.my_enrollment(trial, current_user)
    accepted = services.accepted_count(trial.id)
    return render_template(
        "trials/member_detail.html", trial=trial, enrollment=enrollment,
        form=form or ApplyForm(),
        places_left=services.places_left(trial, accepted),
        refusal=services.application_refusal(trial, current_user, enrollment, accepted),
        **logistics_routes.member_context(trial, enrollment),  # the terminal / SIM shipment
    ), status


@bp.get("/trials/<int:trial_id>")
@requires("panel.take_part")
def member_detail(trial_id: int):
    return _member_detail_page(_member_trial_or_404(trial_id))


@bp.post("/trials/<int:trial_id>/apply")
@requires("panel.take_part")
def apply(trial_id: int):
    trial = _member_trial_or_404(trial_id)
    form = ApplyForm()
    if not form.validate_on_submit():
        return _member_detail_page(trial, form=form, status=422)
    try:
        enrollment = services.apply(trial, current_user, form.motivation.data or "")
    except services.TrialRefused as exc:
        flash(str(exc), "error")
        return _member_detail_page(_member_trial_or_404(trial_id), form=form, status=409)
    if enrollment.status == "accepted":
        flash(_("You are accepted in this trial."), "success")
    else:
        flash(_("Your application was sent. You will see here when staff decide."), "success")
    return redirect(url_for("trials.member_detail", trial_id=trial_id))


@bp.post("/trials/<int:trial_id>/withdraw")
@requires("panel.take_part")
def withdraw(trial_id: int):
    trial = _member_trial_or_404(trial_id)
    try:
        services.withdraw(trial, current_user)
    except services.TrialRefused as exc:
        flash(str(exc), "error")
        return _member_detail_page(_member_trial_or_404(trial_id), status=409)
    flash(_("You have withdrawn from this trial."), "success")
    return redirect(url_for("trials.member_detail", trial_id=trial_id))


@bp.get("/trials/enrollments")
@requires("panel.take_part")
def my_enrollments():
    page = services.my_enrollments(current_user)
    return render_template("trials/my_enrollments.html", page=page)
