"""Service-gap reports: members file and follow theirs; the service office reads them all.

Who may open a report or a photo is decided by the getters (`get_report`, `get_photo`): None
means 404, so report ids cannot be probed.
"""
from __future__ import annotations

from flask import abort, flash, jsonify, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import domain
from portal.errors import show_refusal
from portal.gaps import bp, services
from portal.gaps.forms import GapReportForm, StaffFilterForm
from portal.gaps.photos import MAX_PHOTOS
from portal.pagination import chosen_filters
from portal.permissions import requires, requires_login

# A photo answer is an image and nothing else: no script may run in it, whatever it holds.
PHOTO_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


@bp.get("/reports")
@requires("panel.take_part")
def member_list():
    return render_template("gaps/member_list.html", page=services.member_reports(current_user))


@bp.route("/reports/new", methods=["GET", "POST"])
@requires("panel.take_part")
def new():
    form = GapReportForm()
    if request.method == "GET":
        form.district.data = current_user.district
        form.occurred_on.data = domain.shanghai_today()
        return _new_page(form)
    if "check" in request.form:
        # "Check for similar issues" without script: the form again, as typed, with suggestions
        # (not validated: nothing is refused, and the form keeps a fresh one-time token).
        return _new_page(form, photos_dropped=form.photos_were_chosen(), checked=True)
    joins_item_id = _join_item_id()
    if not form.validate():
        flash(_("Your report was not sent. Please correct the marked fields."), "error")
        return _new_page(form, photos_dropped=form.photos_were_chosen(), status=422)
    try:
        report = services.create_report(
            current_user,
            channel=form.channel.data, commitment=form.commitment.data,
            district=form.district.data, place=form.place.data or "",
            occurred_at=form.occurred_at, severity=form.severity.data,
            title=form.title.data, description=form.description.data,
            photos=form.checked_photos, joins_item_id=joins_item_id,
        )
    except services.ReportRefused as exc:
        show_refusal(form, exc)
        return _new_page(form, photos_dropped=form.photos_were_chosen(), status=422)
    if joins_item_id:
        flash(_("Thank you: your report was sent and linked to the improvement item you chose. "
                "Its progress shows below."), "success")
    else:
        flash(_("Thank you: your report was sent to the service office."), "success")
    return redirect(url_for("gaps.member_detail", report_id=report.id))


def _join_item_id() -> int | None:
    """The item of "This is my problem too", when that button sent the form."""
    value = request.form.get("join_item", "")
    return int(value) if value.isdigit() and len(value) <= 12 else None


def _new_page(form, photos_dropped=False, status=200, checked=False):
    suggestions = services.suggestions(form.title.data, form.description.data,
                                       form.commitment.data) if request.method == "POST" else []
    return render_template(
        "gaps/new.html", form=form, photos_dropped=photos_dropped, max_photos=MAX_PHOTOS,
        suggestions=suggestions, checked=checked,
    ), status


@bp.get("/reports/similar")
@requires("panel.take_part")
def similar():
    """The live "Already being handled" of the report form (similar.js): open items like the
    title, description and commitment typed so far. A GET that reads only item titles and
    statuses, a bounded number of statements (portal.similarity)."""
    found = services.suggestions(request.args.get("title", "")[:200],
                                 request.args.get("description", "")[:600],
                                 request.args.get("commitment"))
    return jsonify(items=[suggestion_json(s) for s in found])


def suggestion_json(suggestion) -> dict:
    return {"id": suggestion.id, "title": suggestion.title, "status": suggestion.status,
            "status_label": str(domain.ITEM_STATUSES.get(suggestion.status, suggestion.status)),
            "score": suggestion.score}


@bp.get("/reports/<int:report_id>")
@requires("panel.take_part")
def member_detail(report_id: int):
    report = services.get_report(current_user, report_id) or abort(404)
    from portal.notifications.services import outcomes_for

    return render_template("gaps/member_detail.html", report=report,
                           outcomes=outcomes_for("gap_report", report.id))


@bp.get("/reports/<int:report_id>/photos/<int:photo_id>")
@requires_login
def photo(report_id: int, photo_id: int):
    found = services.get_photo(current_user, report_id, photo_id) or abort(404)
    response = make_response(found.data)
    response.headers["Content-Type"] = found.content_type
    response.headers["Content-Length"] = str(len(found.data))
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private"
    response.headers["Content-Disposition"] = (
        f'inline; filename="gap-photo-{found.id}.{EXTENSIONS.get(found.content_type, "bin")}"'
    )
    response.headers["Content-Security-Policy"] = PHOTO_CSP
    return response


@bp.get("/staff/reports")
@requires("gaps.view_all")
def staff_list():
    filter_form = StaffFilterForm(request.args)
    page = services.staff_reports(**chosen_filters(filter_form))
    return render_template("gaps/staff_list.html", filter_form=filter_form, page=page)


@bp.get("/staff/reports/<int:report_id>")
@requires("gaps.view_all")
def staff_detail(report_id: int):
    report = services.get_report(current_user, report_id) or abort(404)
    return render_template("gaps/staff_detail.html", report=report)
