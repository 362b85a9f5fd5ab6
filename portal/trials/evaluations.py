"""Members filling in a trial's questionnaire; staff reading evaluations."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.permissions import requires
from portal.trials import bp, evaluation_forms as forms, evaluation_services as services, questionnaire
from portal.trials.services import get_trial


def questionnaire_context(questions, visible, lang=None) -> dict:
    """What the questionnaire's inputs need besides the answers (shared with the staff preview):
    the questions shown, the text in the reader's language, where "Update" goes (show-if)."""
    return dict(
        visible=visible, text_of=lambda q: questionnaire.localized(q, lang),
        update_after=questionnaire.sources(questions), kinds={q.id: q.kind for q in questions},
        field_name=services.field_name, forms=forms, text_max=services.TEXT_MAX_LENGTH,
    )


def _member_page(trial, evaluation, *, values=None, errors=None, refused=None, status=200, form=None):
    questions = trial.questions
    if values is None:
        stored = services.stored_values(evaluation)
        values = services.form_values(questions, stored)
        visible = questionnaire.visible_ids(questions, stored)
    else:
        visible = services.visible_after(questions, form or {})
    closed_view = None
    if trial.status == "closed" and evaluation is not None:
        if evaluation.version:
            closed_view = services.shown_answers(evaluation.versions[-1].answers)
        else:
            closed_view = services.shown_answers(
                services.snapshot(questions, services.stored_values(evaluation))
            )
    return render_template(
        "trials/evaluation_form.html",
        trial=trial, evaluation=evaluation, questions=questions, values=values,
        errors=errors or {}, refusal=refused or services.refusal(trial), closed_view=closed_view,
        unsubmitted=services.has_unsubmitted_changes(evaluation, questions),
        outcomes=_outcomes(evaluation), ctx=questionnaire_context(questions, visible),
    ), status


def _outcomes(evaluation):
    from portal.notifications.services import outcomes_for

    return outcomes_for("evaluation", evaluation.id if evaluation is not None else None)


def _trial_to_evaluate_or_404(trial_id: int):
    trial = services.get_trial_member_may_evaluate(current_user, trial_id)
    if trial is None:
        abort(404)
    return trial


@bp.route("/trials/<int:trial_id>/evaluation", methods=["GET", "POST"])
@requires("panel.take_part")
def evaluation_form(trial_id: int):
    trial = _trial_to_evaluate_or_404(trial_id)
    if request.method == "GET":
        return _member_page(trial, services.get_own_evaluation(current_user, trial))

    action = forms.requested_action(request.form)
    if action == forms.ACTION_UPDATE or (
            action == forms.ACTION_SUBMIT and services.unseen_questions(trial.questions, request.form)):
        # Without a script: the form again with the questions these answers make relevant,
        # what was typed kept, nothing saved (a submit stops once for the member to see them).
        if action == forms.ACTION_SUBMIT:
            flash(_("More questions apply after your answers: please look at them, then submit again. "
                    "Nothing was saved yet."), "warning")
        return _member_page(trial, services.get_own_evaluation(current_user, trial),
                            values=services.typed_values(trial.questions, request.form), form=request.form)
    submitting = action == forms.ACTION_SUBMIT
    try:
        if submitting:
            evaluation = services.submit_evaluation(trial, current_user, request.form)
        else:
            evaluation = services.save_draft(trial, current_user, request.form)
    except services.InvalidAnswers as exc:
        flash(str(exc), "error")
        return _member_page(
            trial, services.get_own_evaluation(current_user, trial),
            values=services.typed_values(trial.questions, request.form), errors=exc.errors, status=422,
            form=request.form,
        )
    except services.EvaluationRefused as exc:
        # The unit of work rolled back: read the trial again as it is now (closed meanwhile?).
        trial = _trial_to_evaluate_or_404(trial_id)
        flash(_("Nothing was saved."), "error")
        return _member_page(
            trial, services.get_own_evaluation(current_user, trial),
            values=services.typed_values(trial.questions, request.form), refused=str(exc), status=409,
            form=request.form,
        )

    if submitting:
        flash(_("Thank you: version %(version)s of your evaluation was submitted.",
                version=evaluation.version), "success")
    elif evaluation.version:
        flash(_("Your changes were saved as a draft. Submitted version %(version)s stays as it was "
                "until you submit again.", version=evaluation.version), "success")
    else:
        flash(_("Your draft was saved. Submit it when your answers are complete."), "success")
    return redirect(url_for("trials.evaluation_form", trial_id=trial.id))


@bp.get("/trials/<int:trial_id>/evaluation/versions/<int:number>")
@requires("panel.take_part")
def evaluation_version(trial_id: int, number: int):
    trial = _trial_to_evaluate_or_404(trial_id)
    version = services.get_own_version(current_user, trial, number)
    if version is None:
        abort(404)
    return render_template(
        "trials/evaluation_version.html", trial=trial, version=version,
        answers=services.shown_answers(version.answers),
    )


@bp.get("/staff/trials/<int:trial_id>/evaluations")
@requires("evaluations.view")
def staff_evaluations(trial_id: int):
    trial = get_trial(current_user, trial_id)
    if trial is None:
        abort(404)
    page = services.submitted_evaluations(trial)
    return render_template("trials/evaluation_staff_list.html", trial=trial, page=page)


@bp.get("/staff/evaluations/<int:evaluation_id>")
@requires("evaluations.view")
def staff_evaluation(evaluation_id: int):
    evaluation = services.get_evaluation(current_user, evaluation_id)
    if evaluation is None:
        abort(404)
    number = request.args.get("version", type=int) or evaluation.version
    version = next((v for v in evaluation.versions if v.version == number), None)
    if version is None:
        abort(404)
    return render_template(
        "trials/evaluation_staff_detail.html", evaluation=evaluation, trial=evaluation.trial,
        member=evaluation.member, version=version, answers=services.shown_answers(version.answers),
    )


# ---------------------------------------------------------------------------------------------
# Staff: the questionnaire as members see it (nothing is ever saved)


@bp.route("/staff/trials/<int:trial_id>/preview", methods=["GET", "POST"])
@requires("trials.view")
def questionnaire_preview(trial_id: int):
    """The member form of a trial for staff, in either language, show-if rules working (with a
    script, and without one through "Update the questions"); answers are checked as a member's
    would be, then dropped."""
    trial = get_trial(current_user, trial_id)
    if trial is None:
        abort(404)
    lang = request.args.get("lang") if request.args.get("lang") in PREVIEW_LANGUAGES else None
    questions = trial.questions
    errors: dict = {}
    if request.method == "POST":
        action = forms.requested_action(request.form)
        values = services.typed_values(questions, request.form)
        if action != forms.ACTION_UPDATE:
            _clean, errors = services.validate_answers(
                questions, request.form, submitting=action == forms.ACTION_SUBMIT)
            if errors:
                flash(_("Preview: these answers would be refused. Nothing was saved."), "error")
            else:
                flash(_("Preview: these answers would be accepted. Nothing was saved."), "success")
        visible = services.visible_after(questions, request.form)
    else:
        values = services.form_values(questions, {})
        visible = questionnaire.visible_ids(questions, {})
    return render_template(
        "trials/questionnaire_preview.html", trial=trial, questions=questions, values=values,
        errors=errors, lang=lang, languages=PREVIEW_LANGUAGES,
        ctx=questionnaire_context(questions, visible, lang),
    ), 422 if errors else 200


PREVIEW_LANGUAGES = {"zh_Hans": "中文", "en": "English"}
