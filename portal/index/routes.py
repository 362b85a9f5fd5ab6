"""The index page (`index.view`: every staff user), its drill-down per commitment area, and the
admin pages (`index.edit`) that define periods and weights and enter the figures (form or CSV
upload)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import charts, domain
from portal.errors import show_refusal
from portal.index import bp, services
from portal.index.forms import (
    PeriodForm,
    UploadForm,
    commitment_label,
    field_name,
    figures_form,
    figures_rows,
)
from portal.permissions import requires


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


def _period_form_page(form, found, status=200):
    return render_template("index/period_form.html", form=form, period=found), status


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
    form = PeriodForm(obj=found) if request.method == "GET" else PeriodForm()
    if request.method == "GET":
        return _period_form_page(form, found)
    if not form.validate():
        flash(_("The period was not saved. Please correct the marked fields."), "error")
        return _period_form_page(form, found, 422)
    try:
        services.update_period(current_user, period_id, **form.values())
    except services.IndexRefused as exc:
        _apply_refusal(form, exc)
        return _period_form_page(form, found, 422)
    flash(_("The period %(label)s was saved.", label=form.label.data), "success")
    return redirect(url_for("index.period_detail", period_id=period_id))


def _period_page(found, upload_form=None, fig_form=None, upload_errors=None, status=200):
    return render_template(
        "index/period_detail.html", period=found, result=services.compute(found),
        panel=services.panel_figures(found), components=services.COMPONENTS,
        figures=services.ordered_figures(found),
        upload_form=upload_form or UploadForm(), fig_form=fig_form or figures_form(found),
        keys=services.figure_keys(), field_name=field_name, commitment_label=commitment_label,
        benchmarked=services.BENCHMARKED, upload_errors=upload_errors or [],
        kinds=services.PERIOD_KINDS,
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
    services.save_figures(current_user, period_id, rows)
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
        flash(_("The file was not saved: nothing of it was stored. Please correct it and "
                "upload it again."), "error")
        return _period_page(found, upload_form=form,
                            upload_errors=[m for _n, m in exc.errors], status=422)
    flash(_("%(count)s figures of %(label)s were saved from the file.", count=count,
            label=found.label), "success")
    return redirect(url_for("index.period_detail", period_id=period_id))
