"""Terminal and SIM logistics pages: the staff list and shipment form of a trial, the member's
address confirmation and receipt.

Staff load the trial through `services.get_trial` (their scope: 404 outside it) and need
`logistics.manage`; a member reaches only their own shipment, from a trial open to them (404
otherwise). Contact details are shown only where `permissions.may_see_contact` allows. The
shipment form carries its version: a stale save answers 409 with the input kept.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import domain
from portal.errors import Conflict, show_refusal
from portal.permissions import may_see_contact, requires
from portal.trials import bp, logistics, services
from portal.trials.logistics_forms import AddressForm, LogisticsFilterForm, ShipmentForm


def _trial_or_404(trial_id: int):
    trial = services.get_trial(current_user, trial_id)
    if trial is None:
        abort(404)
    return trial


def _cursor(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and len(value) < 10 else None


def contact_rules(trial, today):
    """`shown(row, field)` for the templates: may the viewer see this row's phone / address?
    The owning team is read once (`services.owners`), so rows ask no more."""
    services.owners(trial)

    def shown(row, field: str) -> bool:
        accepted = row.enrollment.status == "accepted" or row.shipment is not None
        return may_see_contact(current_user, row.member, trial, field=field, accepted=accepted,
                               today=today)

    return shown


# ---------------------------------------------------------------------------------------------
# Staff


@bp.get("/staff/trials/<int:trial_id>/logistics")
@requires("logistics.manage")
def logistics_list(trial_id: int):
    trial = _trial_or_404(trial_id)
    today = domain.shanghai_today()
    filters = logistics.Filters.from_args(request.args)
    form = LogisticsFilterForm(request.args).setup(logistics.model_choices(trial))
    page = logistics.logistics_page(trial, filters, before=_cursor("before"),
                                    after=_cursor("after"), today=today)
    return render_template(
        "trials/logistics_list.html", trial=trial, page=page, filters=form,
        args=filters.to_args(), shown=contact_rules(trial, today), states=logistics.SHIPMENT_STATES,
        kinds=logistics.SHIPMENT_KINDS, conditions=logistics.RETURN_CONDITIONS,
    )


def _row_or_404(trial, enrollment_id: int):
    row = logistics.get_row(trial, enrollment_id)
    if row is None:
        abort(404)
    return row


def _edit_page(trial, row, form, status=200, conflict=None):
    today = domain.shanghai_today()
    return render_template(
        "trials/logistics_form.html", trial=trial, row=row, form=form, conflict=conflict,
        shown=contact_rules(trial, today), history=logistics.history(row.shipment),
        states=logistics.SHIPMENT_STATES, kinds=logistics.SHIPMENT_KINDS,
        conditions=logistics.RETURN_CONDITIONS,
    ), status


@bp.route("/staff/trials/<int:trial_id>/logistics/<int:enrollment_id>", methods=["GET", "POST"])
@requires("logistics.manage")
def logistics_edit(trial_id: int, enrollment_id: int):
    trial = _trial_or_404(trial_id)
    row = _row_or_404(trial, enrollment_id)
    form = ShipmentForm(obj=row.shipment if request.method == "GET" else None)
    if request.method == "GET":
        if row.shipment is None:
            form.kind.data = logistics._default_kind(trial)
            form.return_due_on.data = trial.ends_on
        form.version.data = str(row.shipment.version if row.shipment else 0)
        return _edit_page(trial, row, form)
    if not form.validate_on_submit():
        return _edit_page(trial, row, form, 422)
    try:
        logistics.save_shipment(trial, row, form.values(), current_user, form.version_number())
    except Conflict:
        # Saved (or made) by someone else in between: their values shown, this input kept.
        flash(str(Conflict()), "error")
        current = _row_or_404(_trial_or_404(trial_id), enrollment_id)
        form.version.data = str(current.shipment.version if current.shipment else 0)
        return _edit_page(trial, current, form, 409, conflict=current.shipment)
    except logistics.LogisticsRefused as exc:
        show_refusal(form, exc, _("Nothing was saved. Please correct the marked fields."))
        return _edit_page(trial, row, form, 422)
    flash(_("The shipment was saved."), "success")
    return redirect(url_for("trials.logistics_list", trial_id=trial_id))


# ---------------------------------------------------------------------------------------------
# Members


def _member_trial_or_404(trial_id: int):
    trial = services.get_trial_open_to_member(current_user, trial_id)
    if trial is None:
        abort(404)
    return trial


@bp.route("/trials/<int:trial_id>/shipment/address", methods=["GET", "POST"])
@requires("panel.take_part")
def shipment_address(trial_id: int):
    trial = _member_trial_or_404(trial_id)
    row = logistics.member_row(trial, current_user)
    if row is None or row.enrollment.status != "accepted":
        abort(404)
    form = AddressForm()
    if request.method == "GET" and row.shipment is not None:
        form.address.data = row.shipment.address
    status = 200
    if form.validate_on_submit():
        try:
            logistics.confirm_address(trial, current_user, form.address.data)
        except logistics.LogisticsRefused as exc:
            show_refusal(form, exc)
            status = 409
        else:
            flash(_("Thank you: your shipping address is confirmed."), "success")
            return redirect(url_for("trials.member_detail", trial_id=trial_id) + "#logistics")
    elif request.method == "POST":
        status = 422
    return render_template("trials/logistics_address.html", trial=trial, row=row, form=form), status


@bp.post("/trials/<int:trial_id>/shipment/received")
@requires("panel.take_part")
def shipment_received(trial_id: int):
    trial = _member_trial_or_404(trial_id)
    if logistics.member_row(trial, current_user) is None:
        abort(404)
    try:
        logistics.confirm_receipt(trial, current_user)
    except logistics.LogisticsRefused as exc:
        flash(str(exc), "error")
    else:
        flash(_("Thank you: we have noted that it arrived."), "success")
    return redirect(url_for("trials.member_detail", trial_id=trial_id) + "#logistics")


def member_context(trial, enrollment) -> dict:
    """What `trials.member_detail` adds to its page (the hook in routes.py)."""
    return {**logistics.member_panel(trial, current_user, enrollment),
            "logistics_states": logistics.SHIPMENT_STATES, "logistics_kinds": logistics.SHIPMENT_KINDS}

