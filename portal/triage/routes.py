"""The triage inbox: staff read every member submission they reach in one list and work it.

Views load (scoped getters: a submission out of reach is a 404), check (`@requires`), call one
service and render or redirect. A refusal keeps the person's input; a conflict answers 409 with
the current values next to their input."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user

from portal.audit import history
from portal.errors import Conflict, show_refusal
from portal.gaps.models import ServiceGapReport
from portal.improvements import services as improvements
from portal.opinions.models import Opinion
from portal.permissions import can, requires
from portal.triage import bp, services
from portal.triage.forms import InboxFilterForm, LinkForm, NoteForm, TriageForm
from portal.trials.models import Evaluation
from portal.urls import safe_next


def _per_page() -> int:
    value = request.args.get("per_page", "")
    if value.isdigit() and 0 < int(value) <= services.MAX_PER_PAGE:
        return int(value)
    return services.PER_PAGE


@bp.get("/staff/inbox")
@requires("inbox.view")
def inbox():
    filters = services.InboxFilters.from_args(request.args)
    staff = improvements.staff_users()
    filter_form = InboxFilterForm(request.args, trials=services.trials_for(current_user), staff=staff)
    page = services.inbox_page(current_user, filters, request.args.get("cursor"), _per_page())
    keep = {k: v for k, v in request.args.items() if k != "cursor"}
    # The bulk actions' item choice: only under rows the viewer may triage.
    items = services.open_item_choices() if page.items and can("inbox.triage") else []
    return render_template(
        "triage/inbox.html", page=page, filter_form=filter_form, filters=filters, keep=keep,
        staff=staff, bulk_statuses=services.BULK_STATUSES, open_items=items,
    )


def _submission(submission_id: int):
    submission = services.get_submission(current_user, submission_id)
    if submission is None:
        abort(404)
    return submission


def _detail_page(submission, form=None, note_form=None, link_form=None, status=200,
                 current=None):
    staff = improvements.staff_users()
    if form is None:
        form = TriageForm(formdata=None)
        form.fill(submission)
    form.set_choices(submission, staff)
    link_form = link_form or LinkForm(formdata=None)
    link_form.set_choices([i for i in services.open_items() if i not in submission.items])
    return render_template(
        "triage/detail.html", submission=submission, form=form,
        note_form=note_form or NoteForm(formdata=None), link_form=link_form,
        source=services.source_of(current_user, submission),
        history=history("submission", submission.id, limit=None), current=current,
        likely=services.likely_duplicates(current_user, submission),
    ), status




@bp.get("/staff/inbox/<int:submission_id>")
@requires("inbox.view")
def detail(submission_id: int):
    return _detail_page(_submission(submission_id))


@bp.post("/staff/inbox/<int:submission_id>")
@requires("inbox.triage")
def save(submission_id: int):
    submission = _submission(submission_id)
    form = TriageForm()
    form.set_choices(submission, improvements.staff_users())
    if form.version_number() != submission.version:
        return _conflict(submission_id, form)
    if not form.validate():
        flash(_("The triage was not saved. Please correct the marked fields."), "error")
        return _detail_page(submission, form=form, status=422)
    try:
        changed = services.update_triage(
            current_user, submission, version=form.version_number(),
            assignee_id=form.assignee(), status=form.status.data,
            no_action_reason=form.no_action_reason.data, duplicate_of_id=form.duplicate_of_id.data,
            tags=services.parse_tags(form.tags.data),
        )
    except Conflict:
        return _conflict(submission_id, form)
    except services.TriageRefused as exc:
        show_refusal(form, exc, _("The triage was not saved. Please correct the marked fields."))
        return _detail_page(_submission(submission_id), form=form, status=422)
    flash(_("The triage was saved.") if changed else _("Nothing was changed."), "success")
    return redirect(url_for("triage.detail", submission_id=submission_id))


def _conflict(submission_id: int, form):
    """Someone saved in between: the Conflict message, the person's input kept, the current
    values shown, and the next save starting from the current version (409)."""
    current = _submission(submission_id)
    flash(str(Conflict()), "error")
    form.version.data = str(current.version)
    return _detail_page(current, form=form, status=409, current=current)


@bp.post("/staff/inbox/<int:submission_id>/notes")
@requires("inbox.triage")
def add_note(submission_id: int):
    submission = _submission(submission_id)
    note_form = NoteForm()
    if not note_form.validate():
        flash(_("The note was not added. Please correct the marked fields."), "error")
        return _detail_page(submission, note_form=note_form, status=422)
    try:
        services.add_note(current_user, submission, note_form.text.data)
    except services.TriageRefused as exc:
        show_refusal(note_form, exc, _("The note was not added. Please correct the marked fields."))
        return _detail_page(_submission(submission_id), note_form=note_form, status=422)
    flash(_("The note was added."), "success")
    return redirect(url_for("triage.detail", submission_id=submission_id) + "#notes")


@bp.post("/staff/inbox/<int:submission_id>/items")
@requires("inbox.triage")
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
        flash(str(exc), "error")
        return _detail_page(_submission(submission_id), link_form=link_form, status=422)
    flash(_("The submission was linked to item #%(id)s.", id=item.id), "success")
    return redirect(url_for("triage.detail", submission_id=submission_id) + "#items")


@bp.post("/staff/inbox/<int:submission_id>/items/<int:item_id>/unlink")
@requires("inbox.triage")
def unlink(submission_id: int, item_id: int):
    submission = _submission(submission_id)
    try:
        services.unlink_item(current_user, submission, item_id)
    except services.TriageRefused as exc:
        flash(str(exc), "error")
    else:
        flash(_("The link to item #%(id)s was removed.", id=item_id), "success")
    return redirect(url_for("triage.detail", submission_id=submission_id) + "#items")


@bp.post("/staff/inbox/<int:submission_id>/duplicate-of/<int:original_id>")
@requires("inbox.triage")
def mark_duplicate(submission_id: int, original_id: int):
    """One click from "Likely duplicates": this submission is a duplicate of that one."""
    submission = _submission(submission_id)
    try:
        services.mark_duplicate(current_user, submission, original_id,
                                version=_number("version"))
    except (services.TriageRefused, Conflict) as exc:
        flash(str(exc), "error")
    else:
        flash(_("The submission was marked as a duplicate of #%(id)s.", id=original_id), "success")
    return redirect(url_for("triage.detail", submission_id=submission_id) + "#likely-duplicates")


def _back_to_inbox():
    inbox = url_for("triage.inbox")
    target = safe_next(request.form.get("next", ""), inbox)
    # Only back to the inbox (with its filters), never elsewhere on the site.
    return redirect(target if target.startswith(inbox) else inbox)


def _number(name: str) -> int | None:
    value = request.form.get(name, "").strip()
    return int(value) if value.isdigit() and len(value) <= 12 else None


@bp.post("/staff/inbox/bulk")
@requires("inbox.triage")
def bulk():
    ids = [int(v) for v in request.form.getlist("ids") if v.isdigit() and len(v) <= 12]
    try:
        result = services.bulk(
            current_user, ids, request.form.get("action", ""), assignee_id=_number("assignee_id"),
            status=request.form.get("status") or None, reason=request.form.get("reason"),
            tag=request.form.get("tag"), item_id=_number("item_id"),
        )
    except services.TriageRefused as exc:  # a Conflict too: nothing was changed
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


# --- what members see ------------------------------------------------------------------------

_SOURCE_KINDS = ((ServiceGapReport, "gap_report"), (Opinion, "opinion"), (Evaluation, "evaluation"))


def _source_key(source) -> tuple[str | None, int]:
    return next((k for cls, k in _SOURCE_KINDS if isinstance(source, cls)), None), source.id


class MemberStatuses:
    """What the member sees of each row of a list (`member_statuses(rows)` in a template, then
    `status_of[row]`): read in one query for the rows given."""

    def __init__(self, sources):
        self.sources = [s for s in sources if s is not None]
        self.found = services.member_statuses(_source_key(s) for s in self.sources)

    def __getitem__(self, source) -> str:
        copy = getattr(source, "triage_status", None) or getattr(source, "status", None)
        return self.found.get(_source_key(source), copy)


@bp.app_template_global()
def member_statuses(sources) -> MemberStatuses:
    """The member-facing statuses of a page's rows (gap reports, opinions or evaluations; None
    entries skipped), one query for all of them."""
    return MemberStatuses(sources)


@bp.app_template_global()
def linked_items(source) -> list:
    """The improvement items the submission of `source` (the member's gap report or opinion) is
    linked to: the member sees their department and status on their page."""
    kind, source_id = _source_key(source)
    return services.items_of_source(kind, source_id) if kind else []


@bp.app_template_global()
def member_status(source) -> str:
    """What the member sees of the submission of `source` (their gap report, opinion or
    evaluation): a code of `domain.MEMBER_SUBMISSION_STATUSES`. For one row (a detail page); a
    list asks `member_statuses(rows)` once."""
    return MemberStatuses([source])[source]
