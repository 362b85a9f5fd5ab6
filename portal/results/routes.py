"""Trial results pages: the statistics page and the raw responses export.

Both load the trial through `trials.services.get_trial` (the viewer's scope: 404 outside it);
the export also needs `results.export` on the trial, and the page links to it only then."""
from __future__ import annotations

from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from portal import charts, domain
from portal.db import utcnow
from portal.exports.writers import csv_response, xlsx_response
from portal.permissions import can, requires
from portal.results import bp, services
from portal.results.forms import TextFilterForm
from portal.themes import services as themes
from portal.trials.services import get_trial


def _trial_or_404(trial_id: int):
    trial = get_trial(current_user, trial_id)
    if trial is None:
        abort(404)
    return trial


@bp.get("/staff/trials/<int:trial_id>/results")
@requires("results.view")
def trial_results(trial_id: int):
    trial = _trial_or_404(trial_id)
    rows = services.responses(trial)
    filters = TextFilterForm(request.args)
    filters.set_questions(trial.questions)
    question_id = filters.question.data if filters.question.data else ""
    texts = services.text_answers(
        trial, rows,
        question_id=int(question_id) if question_id.isdigit() else None,
        segment=filters.segment.data if filters.segment.data in domain.SEGMENTS else None,
        district=filters.district.data if filters.district.data in domain.DISTRICTS else None,
        q=(filters.q.data or "")[:100],
    )
    return render_template(
        "results/trial_results.html", trial=trial, counts=services.counts(trial, len(rows)),
        results=services.question_results(trial, rows), texts=texts, filters=filters,
        has_text_questions=any(q.kind == "text" for q in trial.questions),
        themes=_themes(trial, rows),
        choice_label=services.choice_label,
        unknown=services.UNKNOWN, charts=charts,
    )


def _themes(trial, rows) -> list:
    """"What members are saying" of the trial: the themes of its free-text answers."""
    text_ids = [q.id for q in trial.questions if q.kind == "text"]
    if not text_ids:
        return []
    return themes.trial_themes(
        trial.id, {r.evaluation_id: [r.answers.get(qid) for qid in text_ids] for r in rows})


@bp.get("/staff/trials/<int:trial_id>/results.<fmt>")
@requires("results.export")
def raw_export(trial_id: int, fmt: str):
    if fmt not in services.FORMATS:
        abort(404)
    trial = _trial_or_404(trial_id)
    if not can("results.export", current_user, trial):
        abort(403)
    rows = services.responses(trial)
    services.record_export(current_user, trial, fmt, len(rows))
    stamp = utcnow().astimezone(domain.SHANGHAI).strftime("%Y%m%d-%H%M")
    filename = f"trial-{trial.id}-responses-{stamp}.{fmt}"
    columns = services.export_columns(trial)
    if fmt == "csv":
        return csv_response(filename, columns, services.export_rows(rows))
    return xlsx_response(filename, columns, services.export_rows(rows), title=_("Responses"))
