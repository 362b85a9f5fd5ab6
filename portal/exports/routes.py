"""Downloads of the submission inbox and the improvement-item list (``exports.download``).

Small CSV exports stream at once; larger ones and every XLSX become an export job (see
portal.exports.jobs): the link redirects to the job's page, which shows progress and, when ready,
the download link. Only the job's owner sees it (404 for anyone else).
"""
from __future__ import annotations

from flask import abort, jsonify, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from portal.exports import bp, jobs, services
from portal.exports.writers import (
    CSV_MIMETYPE,
    XLSX_MIMETYPE,
    content_disposition,
    csv_response,
    xlsx_response,
)
from portal.permissions import requires


def _check_format(fmt: str) -> None:
    # Checked before anything is recorded: an unknown format is a page that does not exist.
    if fmt not in services.FORMATS:
        abort(404)


def _export(list_name: str, fmt: str):
    _check_format(fmt)
    if jobs.needs_job(list_name, current_user, request.args, fmt):
        from portal.exports.tasks import run_export_job

        job = jobs.start(current_user, list_name, fmt, request.args)
        run_export_job(job.id)
        return redirect(url_for("exports.job_page", job_id=job.id), code=303)
    maker = services.submission_export if list_name == "submissions" else services.item_export
    export = maker(current_user, request.args, fmt)
    return csv_response(export.filename, export.columns, export.rows)


@bp.get("/staff/exports/submissions.<fmt>")
@requires("exports.download")
def submissions(fmt: str):
    """The inbox with the filters of the query string: exactly the rows the list shows."""
    return _export("submissions", fmt)


@bp.get("/staff/exports/improvements.<fmt>")
@requires("exports.download")
def items(fmt: str):
    """The improvement items with the filters of the query string."""
    return _export("improvements", fmt)


@bp.get("/staff/exports/trials/<int:trial_id>/logistics.<fmt>")
@requires("logistics.manage")
def logistics(trial_id: int, fmt: str):
    """A trial's terminal and SIM logistics with the filters of the query string (the trial in
    the viewer's scope, else 404); streamed, since a trial's list is as long as its capacity."""
    from portal.trials.services import get_trial

    _check_format(fmt)
    trial = get_trial(current_user, trial_id)
    if trial is None:
        abort(404)
    export = services.logistics_export(current_user, trial, request.args, fmt)
    if fmt == "csv":
        return csv_response(export.filename, export.columns, export.rows)
    return xlsx_response(export.filename, export.columns, export.rows, title=export.title)


def _own_job(job_id: int):
    job = jobs.job_for(current_user, job_id)
    if job is None:
        abort(404)
    return job


def _state(job) -> dict:
    return {"status": job.status, "rows_done": job.rows_done, "rows_total": job.rows_total,
            "download": url_for("exports.download", job_id=job.id) if job.status == "done" else None}


@bp.get("/staff/exports/<int:job_id>")
@requires("exports.download")
def job_page(job_id: int):
    job = _own_job(job_id)
    return render_template("exports/job.html", job=job, state=_state(job))


@bp.get("/staff/exports/<int:job_id>.json")
@requires("exports.download")
def job_status(job_id: int):
    response = jsonify(_state(_own_job(job_id)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/staff/exports/<int:job_id>/download")
@requires("exports.download")
def download(job_id: int):
    job = _own_job(job_id)
    path = jobs.file_path(job)
    if job.status != "done" or not path.is_file():
        abort(404)
    response = send_file(path, mimetype=CSV_MIMETYPE if job.format == "csv" else XLSX_MIMETYPE,
                         conditional=False, max_age=0)
    response.headers["Content-Disposition"] = content_disposition(job.file_name or path.name)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
