"""The scoreboard as CSV or XLSX (portal.exports.writers): one row per unit, for each measure its
figure, target and state in words, then the key tasks. Twenty-five rows: streamed in the request,
never an export job. Each download is audited like every list's (object "export")."""
from __future__ import annotations

from flask_babel import gettext as _, lazy_gettext as _l

from portal import domain as portal_domain
from portal.db import unit_of_work, utcnow
from portal.exports.writers import Column, csv_response, xlsx_response
from portal.letters import domain, services
from portal.letters.domain import Period

FORMATS = ("csv", "xlsx")


def _label(vocabulary, code) -> str:
    return str(vocabulary.get(code, "")) if code else ""


def columns(board: services.Scoreboard) -> list[Column]:
    out = [
        Column(_l("Unit"), lambda r: r.unit.name, 20),
        Column(_l("Kind of unit"), lambda r: _label(domain.UNIT_KINDS, getattr(r.unit, "kind", None)), 14),
        Column(_l("Letter"), lambda r: _label(domain.LETTER_STATUSES, r.letter.status) if r.letter
               else _("No letter"), 12),
    ]
    for i, measure in enumerate(board.measures):
        out += [
            Column(measure.label, lambda r, i=i: r.cells[i].value, 14),
            Column(_("%(measure)s: target", measure=measure.label),
                   lambda r, i=i: r.cells[i].target, 10),
            Column(_("%(measure)s: state", measure=measure.label),
                   lambda r, i=i: _label(domain.RAG, r.cells[i].state)
                   if r.cells[i].applicable else _("Not applicable"), 14),
        ]
    out += [
        Column(_l("Key tasks"), lambda r: r.tasks.total, 10),
        Column(_l("Key tasks done"), lambda r: r.tasks.done, 10),
        Column(_l("Key tasks overdue"), lambda r: r.tasks.overdue, 10),
    ]
    return out


def scoreboard_download(viewer, year: int, period: Period, fmt: str):
    """The scoreboard of `period` as a download, its audit entry committed first."""
    from portal.audit.services import record

    board = services.scoreboard(year, period)
    with unit_of_work():
        record(viewer, "export", "export", None, None,
               {"list": "scoreboard", "format": fmt, "filters": {"period": period.code},
                "rows": len(board.rows)})
    stamp = utcnow().astimezone(portal_domain.SHANGHAI).strftime("%Y%m%d-%H%M")
    filename = f"scoreboard-{period.code}-{stamp}.{fmt}"
    if fmt == "csv":
        return csv_response(filename, columns(board), board.rows)
    return xlsx_response(filename, columns(board), board.rows, title=_("Scoreboard %(period)s",
                                                                         period=period.code))
