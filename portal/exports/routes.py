"""Downloads of the submission inbox and the improvement-item list (``exports.download``)."""
from __future__ import annotations

from flask import abort, request
from flask_login import current_user

from portal.exports import bp, services
from portal.exports.writers import csv_response, xlsx_response
from portal.permissions import requires


def _send(fmt: str, export: services.Export):
    if fmt == "csv":
        return csv_response(export.filename, export.columns, export.rows)
    return xlsx_response(export.filename, export.columns, export.rows, title=export.title)


def _check_format(fmt: str) -> None:
    # Checked before anything is recorded: an unknown format is a page that does not exist.
    if fmt not in services.FORMATS:
        abort(404)


@bp.get("/staff/exports/submissions.<fmt>")
@requires("exports.download")
def submissions(fmt: str):
    """The inbox with the filters of the query string: exactly the rows the list shows."""
    _check_format(fmt)
    return _send(fmt, services.submission_export(current_user, request.args, fmt))


@bp.get("/staff/exports/improvements.<fmt>")
@requires("exports.download")
def items(fmt: str):
    """The improvement items with the filters of the query string."""
    _check_format(fmt)
    return _send(fmt, services.item_export(current_user, request.args, fmt))
