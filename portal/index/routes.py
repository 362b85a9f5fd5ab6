"""The index page (`index.view`: every staff user), its drill-down per commitment area, and the
admin pages (`index.edit`) that define periods and weights and enter the figures (form or CSV
upload).

A period's edit form and its figures form are saved against the version they were opened on:
if someone saved in between, the answer is 409 with the Conflict message, the person's input
kept and the current values shown (as improvement items do).

A refused CSV file lists its first `ERRORS_SHOWN` errors and how many more there are, in the
error summary at the top of the page; every error is in the error report (CSV: line, column,
message), which the same upload form sends the file to (`upload_errors`) when its second button
is pressed: nothing of a refused file is kept on the server or in the session. A template file
(`upload_template`) gives the header, in Chinese or English (both are read), and a line for
every figure."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, get_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user

from portal import charts, domain
from portal.errors import Conflict, show_refusal
from portal.exports.writers import Column, csv_response
from portal.index import bp, services
from portal.index.forms import (
    PeriodEditForm,
    PeriodForm,
    UploadForm,
    commitment_label,
    field_name,
    figures_form,
    figures_rows,
)
from portal.permissions import requires


def _version(value) -> int | None:
    value = value.strip() if isinstance(value, str) else ""
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


def _period_or_404(period_id: int):
    found = services.get_period(current_user, period_id)
    if found is None:
        abort(404)
    return found


def _trend_chart(series):
    labels = [r.label for r in series]
    lines = {str(name): [r.components[code] for r in series]
             for code, name in services.COMPONENTS.items()}
    lines[_("Index")] = [r.value for r in series]
    return charts.line_chart(
        _("Composite service competitiveness index by period"), labels, lines,
        desc=_("The index and its three components (0-100) for each period; the table below "
               "gives the same numbers."),
    )


@bp.get("/staff/index")
@requires("index.view")
def overview():
    series = services.index_series()
    latest = next((r for r in reversed(series) if r.value is not None), None)
    return render_template(
        "index/overview.html", series=series, latest=latest,
        chart=_trend_chart(series) if series else None,
        components=services.COMPONENTS, factor=services.BENCHMARK_FACTOR,
    )


@bp.get("/staff/index/areas/<commitment>")
@requires("index.view")
def area(commitment: str):
    if commitment not in domain.COMMITMENTS:
        abort(404)
    rows = services.area_series(commitment)
    gaps = services.area_gap_counts(commitment)
    chart = None
    if rows:
        chart = charts.line_chart(
            _("Specialty satisfaction: %(area)s", area=domain.COMMITMENTS[commitment]),
            [r["period"].label for r in rows],
            {_("Own satisfaction"): [r["satisfaction"].own_value if r["satisfaction"] else None
                                     for r in rows]},
            desc=_("The area's specialty satisfaction (0-100) for each period; the table below "
                   "gives the same numbers."),
        )
    return render_template("index/area.html", commitment=commitment, rows=rows, gaps=gaps,
                           chart=chart)


# --- admin: periods and figures ------------------------------------------------------------------


@bp.get("/staff/index/periods")
@requires("index.edit")
def periods():
    return render_template("index/periods.html", periods=services.periods(),
                           kinds=services.PERIOD_KINDS)


def _period_form_page(form, found, status=200, conflict=None):
    return render_template("index/period_form.html", form=form, period=found, conflict=conflict,
                           kinds=services.PERIOD_KINDS), status


def _apply_refusal(form, exc):
    show_refusal(form, exc, _("The period was not saved. Please correct the marked fields."))


@bp.route("/staff/index/periods/new", methods=["GET", "POST"])
@requires("index.edit")
def period_new():
    form = PeriodForm()
    if request.method == "GET":
        return _period_form_page(form, None)
    if not form.validate():
        flash(_("The period was not saved. Please correct the marked fields."), "error")
        return _period_form_page(form, None, 422)
    try:
        created = services.create_period(current_user, **form.values())
    except services.IndexRefused as exc:
        _apply_refusal(form, exc)
        return _period_form_page(form, None, 422)
    flash(_("The period %(label)s was created.", label=created.label), "success")
    return redirect(url_for("index.period_detail", period_id=created.id))


@bp.route("/staff/index/periods/<int:period_id>/edit", methods=["GET", "POST"])
@requires("index.edit")
def period_edit(period_id: int):
    found = _period_or_404(period_id)
    if request.method == "GET":
        form = PeriodEditForm(obj=found)
        form.version.data = str(found.version)
        return _period_form_page(form, found)
    form = PeriodEditForm()
    if not form.validate():
        flash(_("The period was not saved. Please correct the marked fields."), "error")
        return _period_form_page(form, found, 422)
    try:
        services.update_period(current_user, period_id, _version(form.version.data), **form.values())
    except Conflict:
        # Someone saved in between: their values shown, this person's input kept, and the next
        # save made against the current version (a deliberate overwrite).
        current = _period_or_404(period_id)
        flash(str(Conflict()), "error")
        form.version.data = str(current.version)
        return _period_form_page(form, current, 409, conflict=current)
    except services.IndexRefused as exc:
        _apply_refusal(form, exc)
        return _period_form_page(form, found, 422)
    flash(_("The period %(label)s was saved.", label=form.label.data), "success")
    return redirect(url_for("index.period_detail", period_id=period_id))


def _upload_errors(errors) -> dict | None:
    """What the page shows of a refused file: its first errors, and how many there are."""
    if not errors:
        return None
    shown = [str(e) for e in errors[:services.ERRORS_SHOWN]]
    more = len(errors) - len(shown)
    return {"shown": shown, "total": format_decimal(len(errors)),
            "more": format_decimal(more) if more else None,
            "lines": any(e.line is not None for e in errors)}


def _period_page(found, upload_form=None, fig_form=None, upload_errors=None, status=200,
                 conflict=False):
    return render_template(
        "index/period_detail.html", period=found, result=services.compute(found),
        panel=services.panel_figures(found), components=services.COMPONENTS,
        figures=services.ordered_figures(found),
        upload_form=upload_form or UploadForm(), fig_form=fig_form or figures_form(found),
        keys=services.figure_keys(), field_name=field_name, commitment_label=commitment_label,
        benchmarked=services.BENCHMARKED, upload_errors=_upload_errors(upload_errors),
        kinds=services.PERIOD_KINDS, conflict=conflict,
    ), status


@bp.get("/staff/index/periods/<int:period_id>")
@requires("index.edit")
def period_detail(period_id: int):
    return _period_page(_period_or_404(period_id))


@bp.post("/staff/index/periods/<int:period_id>/figures")
@requires("index.edit")
def figures(period_id: int):
    found = _period_or_404(period_id)
    form = figures_form(formdata=request.form)
    valid = form.validate()
    rows, errors = figures_rows(form)
    if not valid or errors:
        flash(_("The figures were not saved. Please correct the marked fields."), "error")
        return _period_page(found, fig_form=form, status=422)
    try:
        services.save_figures(current_user, period_id, rows, _version(form.version.data))
    except Conflict:
        current = _period_or_404(period_id)
        flash(str(Conflict()), "error")
        form.version.data = str(current.version)
        return _period_page(current, fig_form=form, status=409, conflict=True)
    flash(_("The figures of %(label)s were saved.", label=found.label), "success")
    return redirect(url_for("index.period_detail", period_id=period_id))


@bp.post("/staff/index/periods/<int:period_id>/upload")
@requires("index.edit")
def upload(period_id: int):
    found = _period_or_404(period_id)
    form = UploadForm()
    if not form.validate():
        flash(_("Nothing was uploaded. Please choose a CSV file."), "error")
        return _period_page(found, upload_form=form, status=422)
    storage = form.file.data
    data = storage.read(services.CSV_MAX_BYTES + 1)
    try:
        count = services.upload_figures(current_user, period_id, data, storage.filename or "")
    except services.UploadRefused as exc:
        # On the file's field, so that the page's error summary names and links it; the lines
        # at fault are listed in the summary, at the top of the page.
        form.file.errors = [*form.file.errors, _(
            "The file was not saved: nothing of it was stored. Please correct it and upload it again.")]
        return _period_page(found, upload_form=form, upload_errors=exc.errors, status=422)
    except Conflict:  # a save of the figures form slipped in between: nothing of the file saved
        flash(str(Conflict()), "error")
        return _period_page(_period_or_404(period_id), upload_form=form, status=409)
    flash(_("%(count)s figures of %(label)s were saved from the file.", count=count,
            label=found.label), "success")
    return redirect(url_for("index.period_detail", period_id=period_id))


TEMPLATE_HEADERS = {"zh": services.CSV_COLUMNS_ZH, "en": services.CSV_COLUMNS}


@bp.get("/staff/index/figures-template.csv")
@requires("index.edit")
def upload_template():
    """The file to fill in: the header (in Chinese for a Chinese reader; either is read back)
    and a line for every figure a period may hold."""
    headers = TEMPLATE_HEADERS["zh" if str(get_locale()).startswith("zh") else "en"]
    columns = [Column(header, lambda row, n=n: row[n]) for n, header in enumerate(headers)]
    return csv_response("index-figures-template.csv", columns, services.template_rows())


ERROR_REPORT_COLUMNS = [
    Column(_l("Line"), lambda e: e.line, 8),
    Column(_l("Column"), lambda e: e.column, 18),
    Column(_l("Problem"), lambda e: e.message, 80),
]


@bp.post("/staff/index/periods/<int:period_id>/upload/errors.csv")
@requires("index.edit")
def upload_errors(period_id: int):
    """The error report of a file: every error, one per row. The upload form's second button
    sends the file here (the error page asks the person to choose it again, since a browser
    never fills a file input itself). Nothing is stored."""
    found = _period_or_404(period_id)
    form = UploadForm()
    if not form.validate():
        flash(_("Please choose the CSV file to get its error report."), "error")
        return _period_page(found, upload_form=form, status=422)
    errors = services.error_report(form.file.data.read(services.CSV_MAX_BYTES + 1))
    if not errors:
        flash(_("This file has no errors: it can be uploaded."), "success")
        return redirect(url_for("index.period_detail", period_id=period_id, _anchor="upload"))
    return csv_response(f"index-{found.label}-errors.csv", ERROR_REPORT_COLUMNS, errors)
