"""The triage inbox: staff read every member submission in one list and work it."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from portal.db import db
from portal.security import staff_required
from portal.triage import bp, services
from portal.triage.forms import InboxFilterForm, LinkForm, NoteForm, TriageForm

EXPORT_ROLES = ("office", "admin")


def _per_page() -> int:
    value = request.args.get("per_page", "")
    if value.isdigit() and 0 < int(value) <= services.MAX_PER_PAGE:
        return int(value)
    return services.PER_PAGE


@bp.get("/staff/inbox")
@staff_required
def inbox():
    filters = services.InboxFilters.from_args(request.args)
    staff = services.staff_users()
    filter_form = InboxFilterForm(request.args, trials=services.trials_for(current_user), staff=staff)
    page = services.inbox_page(current_user, filters, request.args.get("cursor"), _per_page())
    exports = current_user.role in EXPORT_ROLES and "exports.submissions" in current_app.view_functions
    keep = {k: v for k, v in request.args.items() if k != "cursor"}
    return render_template(
        "triage/inbox.html", page=page, filter_form=filter_form, filters=filters, keep=keep,
        exports=exports, staff=staff, bulk_statuses=services.BULK_STATUSES,
        open_items=services.open_items(),
    )


def _submission(submission_id: int):
    submission = services.get_submission(current_user, submission_id)
    if submission is None:
        abort(404)
    return submission


def _detail_page(submission, form=None, note_form=None, link_form=None, status=200,
                 current=None):
    staff = services.staff_users()
    if form is None:
        form = TriageForm(formdata=None)
        form.fill(submission)
    form.set_choices(submission, staff)
    link_form = link_form or LinkForm(formdata=None)
    link_form.set_choices([i for i in services.open_items() if i not in submission.items])
    item_new = "improvements.item_new" in current_app.view_functions
    item_detail = "improvements.item_detail" in current_app.view_functions
    return render_template(
        "triage/detail.html", submission=submission, form=form,
        note_form=note_form or NoteForm(formdata=None), link_form=link_form,
        source=services.source_of(current_user, submission),
        timeline=services.timeline(submission), current=current, item_new=item_new,
        item_detail=item_detail,
        can_see_photos=current_user.role in services.ALL_ROLES,
    ), status


@bp.get("/staff/inbox/<int:submission_id>")
@staff_required
def detail(submission_id: int):
    return _detail_page(_submission(submission_id))


@bp.post("/staff/inbox/<int:submission_id>")
@staff_required
def save(submission_id: int):
    submission = _submission(submission_id)
    form = TriageForm()
    form.set_choices(submission, services.staff_users())
    if form.version_number() != submission.version:
        return _conflict(submission, form)
    if not form.validate():
        flash(_("The triage was not saved. Please correct the marked fields."), "error")
        return _detail_page(submission, form=form, status=422)
    try:
        tags = services.parse_tags(form.tags.data)
        changed = services.update_triage(
            current_user, submission, version=form.version_number(),
            assignee_id=form.assignee(), status=form.status.data,
            no_action_reason=form.no_action_reason.data, duplicate_of_id=form.duplicate_of_id.data,
            tags=tags,
        )
    except services.Conflict:
        return _conflict(services.get_submission(current_user, submission_id) or abort(404), form)
    except services.TriageRefused as exc:
        db.rollback()
        flash(str(exc), "error")
        return _detail_page(_submission(submission_id), form=form, status=422)
    flash(_("The triage was saved.") if changed else _("Nothing was changed."), "success")
    return redirect(url_for("triage.detail", submission_id=submission_id))


def _conflict(submission, form):
    """Someone saved in between: keep the person's input, show the current values, and let
    the next save start from the current version."""
    db.rollback()
    submission = services.get_submission(current_user, submission.id) or abort(404)
    flash(str(services.CONFLICT_MESSAGE), "error")
    form.version.data = str(submission.version)
    return _detail_page(submission, form=form, status=409, current=submission)


@bp.post("/staff/inbox/<int:submission_id>/notes")
@staff_required
def add_note(submission_id: int):
    submission = _submission(submission_id)
    note_form = NoteForm()
    if not note_form.validate():
        flash(_("The note was not added. Please correct the marked fields."), "error")
        return _detail_page(submission, note_form=note_form, status=422)
    try:
        services.add_note(current_user, submission, note_form.text.data)
    except services.TriageRefused as exc:
        flash(str(exc), "error")
        return _detail_page(_submission(submission_id), note_form=note_form, status=422)
    flash(_("The note was added."), "success")
    return redirect(url_for("triage.detail", submission_id=submission_id) + "#notes")


@bp.post("/staff/inbox/<int:submission_id>/items")
@staff_required
def link(submission_id: int):
    submission = _submission(submission_id)
    link_form = LinkForm()
    link_form.set_choices(services.open_items())
    if not link_form.validate() or link_form.item_id() is None:
        flash(_("Please choose an improvement item or give its number."), "error")
        return _detail_page(submission, link_form=link_form, status=422)
    try:
        item = services.link_item(current_user, submission, link_form.item_id())
    except services.TriageRefused as exc:
        db.rollback()
        flash(str(exc), "error")
        return _detail_page(_submission(submission_id), link_form=link_form, status=422)
    flash(_("The submission was linked to item #%(id)s.", id=item.id), "success")
    return redirect(url_for("triage.detail", submission_id=submission_id) + "#items")


@bp.post("/staff/inbox/<int:submission_id>/items/<int:item_id>/unlink")
@staff_required
def unlink(submission_id: int, item_id: int):
    submission = _submission(submission_id)
    try:
        services.unlink_item(current_user, submission, item_id)
    except services.TriageRefused as exc:
        db.rollback()
        flash(str(exc), "error")
    else:
        flash(_("The link to item #%(id)s was removed.", id=item_id), "success")
    return redirect(url_for("triage.detail", submission_id=submission_id) + "#items")


def _back_to_inbox():
    target = request.form.get("next", "")
    if not target.startswith("/staff/inbox") or "//" in target or "\\" in target:
        target = url_for("triage.inbox")
    return redirect(target)


@bp.post("/staff/inbox/bulk")
@staff_required
def bulk():
    ids = [int(v) for v in request.form.getlist("ids") if v.isdigit() and len(v) <= 12]
    action = request.form.get("action", "")

    def number(name):
        value = request.form.get(name, "").strip()
        return int(value) if value.isdigit() and len(value) <= 12 else None

    try:
        result = services.bulk(
            current_user, ids, action, assignee_id=number("assignee_id"),
            status=request.form.get("status") or None, reason=request.form.get("reason"),
            tag=request.form.get("tag"), item_id=number("item_id"),
        )
    except services.TriageRefused as exc:
        db.rollback()
        flash(str(exc), "error")
        return _back_to_inbox()
    message = ngettext("%(num)s submission changed.", "%(num)s submissions changed.", result.changed)
    if result.unchanged:
        message += " " + ngettext("%(num)s was already so.", "%(num)s were already so.",
                                  result.unchanged)
    if result.ignored:
        message += " " + ngettext("%(num)s could not be found and was left alone.",
                                  "%(num)s could not be found and were left alone.", result.ignored)
    flash(message, "success")
    return _back_to_inbox()
