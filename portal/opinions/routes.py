"""Consultation pages: members give their opinion; staff write, publish and read consultations.

Views stay thin: guard (`@requires`), load with a getter (None -> 404: a consultation outside
the viewer's scope does not exist for them), call one service, render or redirect. A refusal
is shown next to its field, or at the top, with what the person typed kept.
"""
from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import domain
from portal.audit import services as audit
from portal.errors import Conflict, show_refusal
from portal.opinions import bp, services
from portal.opinions.forms import (
    ConsultationFilterForm,
    ConsultationForm,
    OpinionFilterForm,
    OpinionForm,
)
from portal.pagination import chosen_filters
from portal.permissions import requires

# --- members -----------------------------------------------------------------------------


@bp.get("/consultations")
@requires("panel.take_part")
def member_list():
    lists = services.member_consultations(current_user)
    return render_template("opinions/member_list.html", lists=lists, services=services)


@bp.get("/consultations/mine")
@requires("panel.take_part")
def my_opinions():
    page = services.my_opinions(current_user)
    return render_template("opinions/my_opinions.html", page=page, services=services)


@bp.route("/consultations/<int:consultation_id>", methods=["GET", "POST"])
@requires("panel.take_part")
def member_detail(consultation_id: int):
    consultation = services.get_consultation(current_user, consultation_id) or abort(404)
    opinion = services.get_own_opinion(current_user, consultation)
    form = OpinionForm(obj=opinion)
    refusal = services.refusal(consultation)
    status = 200
    checked = request.method == "POST" and "check" in request.form
    if checked and not refusal:
        pass  # "Check for similar issues" without script: the form again, as typed
    elif request.method == "POST":
        if refusal:
            flash(refusal, "error")
            status = 409
        elif form.validate_on_submit():
            try:
                _saved, created = services.save_opinion(
                    consultation, current_user, stance=form.stance.data, text=form.text.data,
                    joins_item_id=_join_item_id(),
                )
            except services.OpinionRefused as exc:
                show_refusal(form, exc)
                status = 409
            else:
                if _join_item_id():
                    flash(_("Thank you: your opinion was saved and linked to the improvement "
                            "item you chose. Its progress shows below."), "success")
                elif created:
                    flash(_("Thank you: your opinion was sent."), "success")
                else:
                    flash(_("Your opinion was updated."), "success")
                return redirect(url_for("opinions.member_detail", consultation_id=consultation_id))
        else:
            flash(_("Your opinion was not saved. Please correct the marked fields."), "error")
            status = 422
    return render_template(
        "opinions/member_detail.html", consultation=consultation, opinion=opinion, form=form,
        refusal=refusal, state=services.window_state(consultation), services=services,
        outcomes=_outcomes("opinion", opinion.id if opinion else None),
        suggestions=services.suggestions(form.text.data) if request.method == "POST" else [],
        checked=checked,
    ), status


def _join_item_id() -> int | None:
    """The item of "This is my problem too", when that button sent the form."""
    value = request.form.get("join_item", "")
    return int(value) if value.isdigit() and len(value) <= 12 else None


@bp.get("/consultations/similar")
@requires("panel.take_part")
def similar():
    """The live "Already being handled" of the opinion form (similar.js): open items like the
    text typed so far; item titles and statuses only, a bounded number of statements."""
    found = services.suggestions(request.args.get("text", "")[:600])
    return jsonify(items=[
        {"id": s.id, "title": s.title, "status": s.status, "score": s.score,
         "status_label": str(domain.ITEM_STATUSES.get(s.status, s.status))} for s in found
    ])


def _outcomes(kind, source_id):
    from portal.notifications.services import outcomes_for

    return outcomes_for(kind, source_id)


# --- staff -------------------------------------------------------------------------------


@bp.get("/staff/consultations")
@requires("consultations.view")
def staff_list():
    filters = ConsultationFilterForm(request.args)
    page = services.staff_consultations(current_user, **chosen_filters(filters))
    return render_template("opinions/staff_list.html", page=page, filters=filters,
                           services=services)


@bp.route("/staff/consultations/new", methods=["GET", "POST"])
@requires("consultations.manage")
def staff_new():
    form = ConsultationForm()
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                consultation = services.create_consultation(current_user, **_fields(form))
            except services.ConsultationError as exc:
                show_refusal(form, exc)
            else:
                flash(_("The consultation was saved as a draft. Publish it when it is ready."),
                      "success")
                return redirect(url_for("opinions.staff_detail", consultation_id=consultation.id))
        else:
            flash(_("The consultation was not saved. Please correct the marked fields."), "error")
        return render_template("opinions/staff_form.html", form=form, consultation=None), 422
    return render_template("opinions/staff_form.html", form=form, consultation=None)


@bp.route("/staff/consultations/<int:consultation_id>/edit", methods=["GET", "POST"])
@requires("consultations.manage")
def staff_edit(consultation_id: int):
    consultation = services.get_consultation(current_user, consultation_id) or abort(404)
    form = ConsultationForm(obj=consultation if request.method == "GET" else None)
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                services.update_consultation(consultation, current_user, **_fields(form),
                                             version=form.version_number())
            except Conflict:
                return _consultation_conflict(consultation_id, form)
            except services.ConsultationError as exc:
                show_refusal(form, exc)
            else:
                flash(_("The consultation was saved."), "success")
                return redirect(url_for("opinions.staff_detail", consultation_id=consultation_id))
        else:
            flash(_("The consultation was not saved. Please correct the marked fields."), "error")
        return render_template("opinions/staff_form.html", form=form,
                               consultation=consultation), 422
    form.show_version(consultation)
    return render_template("opinions/staff_form.html", form=form, consultation=consultation)


def _consultation_conflict(consultation_id: int, form):
    """Someone saved the consultation in between: the Conflict message, the person's input
    kept, the current values shown, the next save made against the current version (409)."""
    current = services.get_consultation(current_user, consultation_id) or abort(404)
    flash(str(Conflict()), "error")
    form.show_version(current)
    return render_template("opinions/staff_form.html", form=form, consultation=current,
                           conflict=current), 409


@bp.post("/staff/consultations/<int:consultation_id>/publish")
@requires("consultations.manage")
def staff_publish(consultation_id: int):
    consultation = services.get_consultation(current_user, consultation_id) or abort(404)
    try:
        services.publish(consultation, current_user)
    except (services.ConsultationError, Conflict) as exc:  # Conflict: saved by someone meanwhile
        flash(str(exc), "error")
    else:
        flash(_("The consultation is published. Members see it while its window is open."),
              "success")
    return redirect(url_for("opinions.staff_detail", consultation_id=consultation_id))


@bp.post("/staff/consultations/<int:consultation_id>/unpublish")
@requires("consultations.manage")
def staff_unpublish(consultation_id: int):
    consultation = services.get_consultation(current_user, consultation_id) or abort(404)
    try:
        services.unpublish(consultation, current_user)
    except (services.ConsultationError, Conflict) as exc:
        flash(str(exc), "error")
    else:
        flash(_("The consultation is back to draft; members no longer see it."), "success")
    return redirect(url_for("opinions.staff_detail", consultation_id=consultation_id))


@bp.get("/staff/consultations/<int:consultation_id>")
@requires("consultations.view")
def staff_detail(consultation_id: int):
    consultation = services.get_consultation(current_user, consultation_id) or abort(404)
    filters = OpinionFilterForm(request.args)
    counts = services.stance_counts(consultation)
    page = services.consultation_opinions(consultation, **chosen_filters(filters))
    return render_template(
        "opinions/staff_detail.html", consultation=consultation, counts=counts, page=page,
        filters=filters, state=services.window_state(consultation), services=services,
        history=audit.history("consultation", consultation.id),
    )


def _fields(form: ConsultationForm) -> dict:
    return dict(
        subject=form.subject.data, title=form.title.data, body=form.body.data or "",
        opens_on=form.opens_on.data, closes_on=form.closes_on.data,
    )
