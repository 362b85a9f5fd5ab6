from flask import abort, request
from flask_babel import gettext as _
from flask_login import current_user

from portal import domain
from portal.db import utcnow
from portal.exports import bp, services
from portal.exports.writers import csv_response, xlsx_response
from portal.security import roles_required


def _check_format(fmt: str) -> None:
    if fmt not in services.FORMATS:
        abort(404)


def _filename(base: str, fmt: str) -> str:
    stamp = utcnow().astimezone(domain.SHANGHAI).strftime("%Y%m%d-%H%M")
    return f"{base}-{stamp}.{fmt}"


def _respond(fmt: str, filename: str, title: str, columns, rows):
    if fmt == "csv":
        return csv_response(filename, columns, rows)
    return xlsx_response(filename, columns, rows, title=title)


@bp.get("/staff/exports/submissions.<fmt>")
@roles_required("office", "admin")
def submissions(fmt: str):
    """The inbox with the filters of the query string: exactly the rows the list shows."""
    _check_format(fmt)
    filters = services.submission_filters(request.args)
    stmt = services.submission_statement(current_user, filters)
    services.record_export(current_user, "submissions", fmt, filters, services.count(stmt))
    return _respond(fmt, _filename("submissions", fmt), _("Submissions"),
                    services.submission_columns(), services.submission_rows(stmt))


@bp.get("/staff/exports/improvements.<fmt>")
@roles_required("office", "admin")
def items(fmt: str):
    """The improvement items with the filters of the query string."""
    _check_format(fmt)
    today = domain.shanghai_today()
    filters = services.item_filters(request.args)
    stmt = services.item_statement(filters, today)
    services.record_export(current_user, "improvements", fmt, filters, services.count(stmt))
    return _respond(fmt, _filename("improvements", fmt), _("Improvement items"),
                    services.item_columns(today), services.item_rows(stmt))
