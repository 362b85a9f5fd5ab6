"""Trial results: counts, per-question statistics with segment and district breakdowns, free-text
answers, and the raw responses export.

Only SUBMITTED evaluations count, with their current answers. Each is counted under the segment
and district RECORDED on its submission (its row in the triage inbox, copied from the member's
profile when they first submitted), not under the member's profile today: a member who moves
district later does not move their past answers. Evaluations without an inbox row (older data)
fall back to the member's profile.

Staff reach the results of the trials in their scope (`trials.services.get_trial`); exporting
the raw responses is `results.export` on the trial. Everything is read in a fixed number of
queries (trial + questions, enrollment counts, evaluations with their submissions, answers), then
aggregated in Python with the functions of `stats`.
"""
from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import case, func, select

from portal import domain
from portal.accounts.models import User
from portal.audit.services import record
from portal.db import db, unit_of_work
from portal.exports.writers import Column
from portal.results import stats
from portal.triage.models import Submission
from portal.trials import questionnaire
from portal.trials.models import Answer, Enrollment, Evaluation, Question, Trial

FORMATS = ("csv", "xlsx")
UNKNOWN = ""  # segment or district not given
SCALES = {"rating": stats.RATING_SCALE, "nps": stats.NPS_SCALE}
CHOICE_KINDS = ("single", "multiple", "yesno")


# --- loading --------------------------------------------------------------------------------------

@dataclass
class Response:
    """One submitted evaluation with the segment and district recorded when it was submitted
    and its answers ({question id: value}; value a number, a text, or a list of choices)."""

    evaluation_id: int
    segment: str
    district: str
    submitted_at: datetime | None
    version: int
    answers: dict[int, Any] = field(default_factory=dict)
    submission_id: int | None = None
    visible: set[int] | None = None  # the questions its member saw (show-if), when asked


def _answer_value(kind: str, number: int | None, text: str | None, choices: list[str] | None) -> Any:
    if kind in SCALES:
        return number
    if kind == "yesno":
        return None if number is None else ("yes" if number else "no")
    if kind == "multiple":
        return list(choices) if choices else None
    return text if text else None


def _recorded(submission_column, member_column):
    """The value recorded on the submission; the member's own only when there is no submission
    row (a submission that recorded nothing stays "not given")."""
    return case((Submission.id.is_(None), member_column), else_=submission_column)


def responses(trial_: Trial) -> list[Response]:
    """The trial's submitted evaluations, oldest first, with answers: two queries."""
    rows = db.execute(
        select(Evaluation.id, _recorded(Submission.segment, User.segment).label("segment"),
               _recorded(Submission.district, User.district).label("district"),
               Evaluation.submitted_at, Evaluation.version, Submission.id.label("submission_id"))
        .join(User, User.id == Evaluation.member_id)
        .outerjoin(Submission, Submission.evaluation_id == Evaluation.id)
        .where(Evaluation.trial_id == trial_.id, Evaluation.status == "submitted")
        .order_by(Evaluation.submitted_at, Evaluation.id)
    ).all()
    by_id = {
        r.id: Response(r.id, r.segment or UNKNOWN, r.district or UNKNOWN, r.submitted_at, r.version,
                       submission_id=r.submission_id)
        for r in rows
    }
    if by_id:
        _add_answers(trial_, by_id)
    return list(by_id.values())


def _add_answers(trial_: Trial, by_id: dict[int, Response]) -> None:
    kinds = {q.id: q.kind for q in trial_.questions}
    answers = db.execute(
        select(Answer.evaluation_id, Answer.question_id, Answer.number, Answer.text, Answer.choices)
        .join(Evaluation, Evaluation.id == Answer.evaluation_id)
        .where(Evaluation.trial_id == trial_.id, Evaluation.status == "submitted")
    ).all()
    for a in answers:
        kind = kinds.get(a.question_id)
        response = by_id.get(a.evaluation_id)
        if kind is None or response is None:
            continue
        value = _answer_value(kind, a.number, a.text, a.choices)
        if value is not None:
            response.answers[a.question_id] = value


def counts(trial_: Trial, evaluated: int) -> dict[str, Any]:
    """Applications received (any status), accepted, evaluated, completion = evaluated/accepted."""
    by_status = dict(db.execute(
        select(Enrollment.status, func.count()).where(Enrollment.trial_id == trial_.id)
        .group_by(Enrollment.status)
    ).all())
    invited = sum(by_status.values())
    enrolled = by_status.get("accepted", 0)
    return dict(invited=invited, enrolled=enrolled, evaluated=evaluated,
                completion=stats.share(evaluated, enrolled))


# --- per-question results -------------------------------------------------------------------------

@dataclass
class Summary:
    """The statistics of one question over a group of answers."""

    n: int
    # How many members saw the question (its show-if rule shown it to them): the denominator.
    seen: int = 0
    mean: float | None = None
    median: float | None = None
    distribution: dict[Any, int] | None = None
    nps: stats.NpsResult | None = None
    choices: dict[str, int] | None = None
    top: tuple[str, int] | None = None


@dataclass
class Group:
    code: str
    summary: Summary


@dataclass
class QuestionResult:
    question: Question
    overall: Summary
    by_segment: list[Group]
    by_district: list[Group]


def _options(question: Question) -> list[str]:
    if question.kind == "yesno":
        return ["yes", "no"]
    return list(question.options or [])


def summarize(question: Question, values: list[Any], seen: int | None = None) -> Summary:
    summary = Summary(n=len(values), seen=len(values) if seen is None else seen)
    kind = question.kind
    if kind in SCALES:
        summary.mean = stats.mean(values)
        summary.median = stats.median(values)
        summary.distribution = stats.distribution(values, SCALES[kind])
        if kind == "nps":
            summary.nps = stats.nps(values)
    elif kind in CHOICE_KINDS:
        summary.choices = stats.choice_counts(values, _options(question))
        summary.top = stats.top_choice(summary.choices)
    return summary


def _ordered(codes, vocabulary: Mapping[str, Any]) -> list[str]:
    order = {code: i for i, code in enumerate(vocabulary)}
    return sorted(codes, key=lambda c: (order.get(c, len(order)), c))


def question_results(trial_: Trial, rows: list[Response]) -> list[QuestionResult]:
    """Each question's statistics over the members who saw it (show-if rules: a question hidden
    by the answers of a response counts in neither its answers nor its denominator)."""
    shown = [questionnaire.visible_ids(trial_.questions, r.answers) for r in rows]
    results = []
    for question in trial_.questions:
        values: list[Any] = []
        by_segment: dict[str, list[Any]] = defaultdict(list)
        by_district: dict[str, list[Any]] = defaultdict(list)
        seen = {"": 0}
        seen_by: dict[str, int] = defaultdict(int)
        for r, visible in zip(rows, shown, strict=True):
            if question.id not in visible:
                continue
            seen[""] += 1
            seen_by["s" + r.segment] += 1
            seen_by["d" + r.district] += 1
            if question.id not in r.answers:
                continue
            value = r.answers[question.id]
            values.append(value)
            by_segment[r.segment].append(value)
            by_district[r.district].append(value)
        results.append(QuestionResult(
            question=question,
            overall=summarize(question, values, seen[""]),
            by_segment=[Group(c, summarize(question, by_segment[c], seen_by["s" + c]))
                        for c in _ordered(by_segment, domain.SEGMENTS)],
            by_district=[Group(c, summarize(question, by_district[c], seen_by["d" + c]))
                         for c in _ordered(by_district, domain.DISTRICTS)],
        ))
    return results


def choice_label(question: Question, code: str) -> str:
    if question.kind == "yesno":
        return _("Yes") if code == "yes" else _("No")
    return code


# --- free-text answers ----------------------------------------------------------------------------

@dataclass
class TextAnswer:
    question: Question
    response: Response
    text: str


def text_answers(trial_: Trial, rows: list[Response], question_id: int | None = None,
                 segment: str | None = None, district: str | None = None,
                 q: str | None = None) -> list[TextAnswer]:
    """The free-text answers matching the filters, newest first."""
    questions = [qn for qn in trial_.questions if qn.kind == "text"
                 and (not question_id or qn.id == question_id)]
    # NFKC: a full-width "５Ｇ" is found by "5G", as the themes count it (portal.themes.text).
    needle = unicodedata.normalize("NFKC", (q or "").strip()).casefold()
    found = []
    for r in reversed(rows):
        if segment and r.segment != segment:
            continue
        if district and r.district != district:
            continue
        for question in questions:
            text = r.answers.get(question.id)
            if not text or (needle and needle not in unicodedata.normalize("NFKC", text).casefold()):
                continue
            found.append(TextAnswer(question, r, text))
    return found


# --- export ---------------------------------------------------------------------------------------

def _label(vocabulary: Mapping[str, Any], code: str) -> str:
    return str(vocabulary.get(code, code)) if code else ""


def _cell(question: Question, value: Any) -> Any:
    if value is NOT_SHOWN:
        return str(NOT_SHOWN_LABEL)
    if value is None:
        return None
    if question.kind == "multiple":
        return "; ".join(value)
    if question.kind == "yesno":
        return choice_label(question, value)
    return value


def export_columns(trial_: Trial) -> list[Column]:
    columns = [
        Column(_l("Evaluation"), lambda r: r.evaluation_id, 10),
        Column(_l("Segment"), lambda r: _label(domain.SEGMENTS, r.segment), 20),
        Column(_l("District"), lambda r: _label(domain.DISTRICTS, r.district), 14),
        Column(_l("Submitted at"), lambda r: r.submitted_at, 18),
        Column(_l("Version"), lambda r: r.version, 8),
    ]
    ruled = questionnaire.has_rules(trial_.questions)
    for question in trial_.questions:
        width = 40 if question.kind in ("text", "multiple") else 16
        columns.append(Column(
            f"{question.position + 1}. {question.prompt}",
            lambda r, q=question: _cell(q, _shown_value(trial_, r, q, ruled)), width,
        ))
    return columns


# A question a response's member never saw (show-if) is marked so in the export, apart from one
# they saw and left blank (an empty cell): the column's denominator is who saw it.
NOT_SHOWN = object()
NOT_SHOWN_LABEL = _l("(not shown)")


def _shown_value(trial_: Trial, r: Response, question: Question, ruled: bool) -> Any:
    if ruled and question.show_if_question_id is not None:
        if r.visible is None:
            r.visible = questionnaire.visible_ids(trial_.questions, r.answers)
        if question.id not in r.visible:
            return NOT_SHOWN
    return r.answers.get(question.id)


def export_rows(rows: list[Response]) -> Iterator[Response]:
    yield from rows


def record_export(actor, trial_: Trial, fmt: str, rows: int) -> None:
    """The audit entry of a raw responses export, committed before the file is sent."""
    with unit_of_work():
        record(actor, "export", "export", None, None,
               {"list": "trial_responses", "trial_id": trial_.id, "format": fmt, "rows": rows})
