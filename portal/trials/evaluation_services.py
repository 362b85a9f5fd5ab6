"""A member's evaluation of a trial: answer validation, drafts, submissions and their versions.

Rules:
- Only a member whose enrollment is accepted may evaluate, and only while the trial runs.
- One evaluation per member and trial. Its `answers` are the working copy the member edits;
  every Submit freezes the working copy into a new `EvaluationVersion` (1, 2, ...) and bumps
  `Evaluation.version`. "Save draft" only stores the working copy: on an evaluation that was
  already submitted it leaves the status, version and every submitted version unchanged.
- Staff read submitted versions only, never the unsubmitted working copy.
- Every answer is validated here, server-side, by type and range; on any error nothing is saved.
- A question hidden by its show-if rule (portal.trials.questionnaire) given the other answers is
  neither required nor stored: its input is dropped, and submitted versions leave it out.
- Staff reach the evaluations of the trials in their scope only (`get_evaluation`).
- Saving and submitting each run in one `unit_of_work`: all of it is stored, or nothing.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import and_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal import signals
from portal.accounts.models import User
from portal.db import db, unit_of_work, utcnow

# Answer decoding is pure and shared with the inbox: it lives in portal.domain (re-exported here).
from portal.domain import LOW_SCORE, ShownAnswer, answer_value as _value, is_low_score, shown_answers  # noqa: F401
from portal.errors import Refused
from portal.pagination import Page, paginate
from portal.permissions import trial_scope
from portal.text import clean_text
from portal.trials import questionnaire
from portal.trials.models import Answer, Enrollment, Evaluation, EvaluationVersion, Question, Trial

TEXT_MAX_LENGTH = 2000
SCALES = {"rating": (1, 5), "nps": (0, 10)}
YES_NO = ("yes", "no")
STAFF_PER_PAGE = 20

_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")

# A clean answer: int (rating, NPS), "yes"/"no", an option (single), the options picked in the
# questionnaire's order (multiple), a text; None when the question is left unanswered.
AnswerValue = int | str | list[str] | None


class EvaluationRefused(Refused):
    """The member may not change this evaluation now; str(exc) says why, in their language."""


class InvalidAnswers(Refused):
    """Some answers failed validation; `errors` maps question ids to a message each (shown next
    to each question), `str(exc)` is the message at the top of the form."""

    default_message = _l("Your answers were not saved. Please correct the marked questions.")

    def __init__(self, errors: dict[int, str]):
        super().__init__()
        self.errors = errors


# ---------------------------------------------------------------------------------------------
# Validation


def field_name(question: Question) -> str:
    """The name of a question's input in the questionnaire form."""
    return f"q-{question.id}"


def _getlist(form: Mapping[str, Any], name: str) -> list[str]:
    if hasattr(form, "getlist"):
        return [str(v) for v in form.getlist(name)]
    value = form.get(name)
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]


Checked = tuple[AnswerValue, str | None]  # (clean value, None) or (None, error message)


def _check_multiple(question: Question, raw: list[str]) -> Checked:
    picked = [v for v in raw if v.strip() != ""]
    if not picked:
        return None, None
    if len(set(picked)) != len(picked):
        return None, _("Each option can be chosen only once.")
    options = list(question.options or [])
    if any(v not in options for v in picked):
        return None, _("Please choose only among the options offered.")
    chosen = set(picked)
    return [o for o in options if o in chosen], None


def _check_scale(question: Question, value: str) -> Checked:
    low, high = SCALES[question.kind]
    text = value.strip()
    if not _WHOLE_NUMBER.fullmatch(text):
        return None, _("Please choose a whole number from %(low)s to %(high)s.", low=low, high=high)
    # A huge number of digits is out of range anyway; do not make int() work on it.
    number = int(text) if len(text) <= 6 else high + 1
    if not low <= number <= high:
        return None, _("%(value)s is out of range: please choose from %(low)s to %(high)s.",
                       value=text, low=low, high=high)
    return number, None


def _check_yesno(question: Question, value: str) -> Checked:
    if value.strip() not in YES_NO:
        return None, _("Please answer yes or no.")
    return value.strip(), None


def _check_single(question: Question, value: str) -> Checked:
    if value not in (question.options or []):
        return None, _("Please choose one of the options offered.")
    return value, None


def _check_text(question: Question, value: str) -> Checked:
    text = clean_text(value)
    if not text:
        return None, None
    if len(text) > TEXT_MAX_LENGTH:
        return None, _("Please keep your answer to at most %(max)s characters (it has %(length)s).",
                       max=TEXT_MAX_LENGTH, length=len(text))
    return text, None


# The check of each kind of question that takes one value.
_ONE_VALUE_CHECKS: dict[str, Callable[[Question, str], Checked]] = {
    "rating": _check_scale,
    "nps": _check_scale,
    "yesno": _check_yesno,
    "single": _check_single,
    "text": _check_text,
}


def _validate_one(question: Question, raw: list[str]) -> Checked:
    """One question's raw inputs checked by its kind; blank inputs mean "not answered"."""
    if question.kind == "multiple":
        return _check_multiple(question, raw)
    given = [v for v in raw if v.strip() != ""]
    if not given:
        return None, None
    if len(given) > 1:
        return None, _("Please give only one answer.")
    check = _ONE_VALUE_CHECKS.get(question.kind)
    if check is None:
        return None, _("This question cannot be answered.")
    return check(question, given[0])


def validate_answers(
    questions: list[Question], form: Mapping[str, Any], submitting: bool = False
) -> tuple[dict[int, AnswerValue], dict[int, str]]:
    """Check the raw form (a MultiDict, names `q-<question id>`) against `questions`.

    Returns the clean answers (every question's id, None for unanswered) and an error message
    per question id. Values are always checked by type and range; required questions must be
    answered only when `submitting`. Inputs for questions not in `questions` (another trial's
    ids, made-up names) are ignored: only this questionnaire's questions are read. A question
    its show-if rule hides, given the valid answers, comes back None and without error.
    """
    clean: dict[int, AnswerValue] = {}
    errors: dict[int, str] = {}
    for question in questions:
        value, error = _validate_one(question, _getlist(form, field_name(question)))
        if error is not None:
            errors[question.id] = error
        clean[question.id] = value
    shown = questionnaire.visible_ids(questions, clean)
    for question in questions:
        if question.id not in shown:
            clean[question.id] = None
            errors.pop(question.id, None)
        elif submitting and clean[question.id] is None and question.id not in errors and question.required:
            errors[question.id] = _("Please answer this question before you submit.")
    return clean, errors


def visible_after(questions: list[Question], form: Mapping[str, Any]) -> set[int]:
    """The ids of the questions shown given the answers in `form` (invalid answers count as
    unanswered), to show the form again with the questions that now apply."""
    clean, _errors = validate_answers(questions, form)
    return questionnaire.visible_ids(questions, clean)


def unseen_questions(questions: list[Question], form: Mapping[str, Any]) -> list[Question]:
    """The questions shown by a show-if rule after these answers that the form sent did not show
    (its `seen` inputs): without a script they appear only when the form comes back, so a submit
    stops there once for the member to look at them."""
    if not questionnaire.has_rules(questions):
        return []
    seen = set(_getlist(form, "seen"))
    shown = visible_after(questions, form)
    return [q for q in questions
            if q.show_if_question_id is not None and q.id in shown and str(q.id) not in seen]


def typed_values(questions: list[Question], form: Mapping[str, Any]) -> dict[int, str | list[str]]:
    """What the member typed or picked, to show the form again exactly as it was sent."""
    values: dict[int, str | list[str]] = {}
    for question in questions:
        raw = _getlist(form, field_name(question))
        if question.kind == "multiple":
            values[question.id] = raw
        else:
            values[question.id] = next((v for v in raw if v.strip() != ""), "")
    return values


def form_values(questions: list[Question], clean: Mapping[int, AnswerValue]) -> dict[int, str | list[str]]:
    """Clean answers in the shape of `typed_values`, to prefill the form."""
    values: dict[int, str | list[str]] = {}
    for question in questions:
        value = clean.get(question.id)
        if question.kind == "multiple":
            values[question.id] = list(value or [])
        else:
            values[question.id] = "" if value is None else str(value)
    return values


# ---------------------------------------------------------------------------------------------
# Storage shapes


def _columns(kind: str, value: AnswerValue) -> dict[str, Any]:
    """An answer in the columns of `Answer`: numbers for rating, NPS and yes(1)/no(0)."""
    cols: dict[str, Any] = {"number": None, "text": None, "choices": None}
    if value is None:
        return cols
    if kind in SCALES:
        cols["number"] = int(value)  # type: ignore[arg-type]
    elif kind == "yesno":
        cols["number"] = 1 if value == "yes" else 0
    elif kind == "multiple":
        cols["choices"] = list(value)  # type: ignore[arg-type]
    else:
        cols["text"] = str(value)
    return cols


def stored_values(evaluation: Evaluation | None) -> dict[int, AnswerValue]:
    """The working copy's answers by question id."""
    if evaluation is None:
        return {}
    return {
        a.question_id: _value(a.question.kind, a.number, a.text, a.choices) for a in evaluation.answers
    }


def snapshot(questions: list[Question], clean: Mapping[int, AnswerValue]) -> dict[str, Any]:
    """A frozen copy of the answers, with each question as it was asked (prompt, kind, options),
    so later edits of the questionnaire never change what a version shows. Questions hidden by
    their show-if rule are left out: the member never saw them."""
    shown = questionnaire.visible_ids(questions, clean)
    return {
        str(q.id): {
            "position": q.position, "prompt": q.prompt, "kind": q.kind, "required": q.required,
            "options": list(q.options or []), **_columns(q.kind, clean.get(q.id)),
        }
        for q in questions if q.id in shown
    }


# ---------------------------------------------------------------------------------------------
# Member side


def get_trial_member_may_evaluate(member: User, trial_id: int) -> Trial | None:
    """The trial with its questions, if `member` may evaluate it (or read their evaluation of
    it): enrolled and accepted, and the trial published. None otherwise."""
    return db.scalar(
        select(Trial)
        .join(Enrollment, and_(Enrollment.trial_id == Trial.id, Enrollment.member_id == member.id))
        .where(Trial.id == trial_id, Enrollment.status == "accepted", Trial.status != "draft")
        .options(selectinload(Trial.questions))
    )


def get_own_evaluation(member: User, trial: Trial) -> Evaluation | None:
    """The member's own evaluation of `trial` (working copy and versions), or None."""
    return db.scalar(
        select(Evaluation)
        .where(Evaluation.trial_id == trial.id, Evaluation.member_id == member.id)
        .options(
            selectinload(Evaluation.answers).selectinload(Answer.question),
            selectinload(Evaluation.versions),
        )
    )


def refusal(trial: Trial) -> str | None:
    """Why the evaluation of `trial` cannot be changed now, or None while the trial runs."""
    return _refusal(trial.status)


def _refusal(status: str) -> str | None:
    if status == "running":
        return None
    if status == "closed":
        return _("This trial is closed: your evaluation can no longer be changed.")
    return _("The evaluation opens when the trial starts running.")


def has_unsubmitted_changes(evaluation: Evaluation | None, questions: list[Question]) -> bool:
    """True when the working copy differs from the last submitted version."""
    if evaluation is None or not evaluation.version:
        return False
    latest = evaluation.versions[-1].answers
    current = snapshot(questions, stored_values(evaluation))
    fields = ("number", "text", "choices")

    def entry(answers, qid):
        return {f: (answers.get(qid) or {}).get(f) for f in fields}

    # Both sides: a question shown in one may be hidden in the other.
    return any(entry(current, qid) != entry(latest, qid) for qid in {*current, *latest})


def _locked_working_copy(trial: Trial, member: User) -> Evaluation:
    """The member's evaluation of `trial`, created if needed, with the rows it needs re-checked:
    enrollment still accepted and trial still running (another request may have closed it)."""
    current = db.scalar(
        select(Trial.status)
        .join(Enrollment, and_(Enrollment.trial_id == Trial.id, Enrollment.member_id == member.id))
        .where(Trial.id == trial.id, Enrollment.status == "accepted")
    )
    if current is None:
        raise EvaluationRefused(_("You are not taking part in this trial."))
    if current != "running":
        raise EvaluationRefused(_refusal(current))
    evaluation = db.scalar(
        select(Evaluation)
        .where(Evaluation.trial_id == trial.id, Evaluation.member_id == member.id)
        .with_for_update()
        .options(selectinload(Evaluation.answers))
    )
    if evaluation is None:
        evaluation = Evaluation(trial_id=trial.id, member_id=member.id, status="draft", version=0)
        db.add(evaluation)
        evaluation.answers = []
    return evaluation


def _store_answers(evaluation: Evaluation, questions: list[Question],
                   clean: Mapping[int, AnswerValue]) -> None:
    known = {q.id for q in questions}
    if not set(clean) <= known:
        raise ValueError("answers given for questions outside this questionnaire")
    existing = {a.question_id: a for a in evaluation.answers}
    for question in questions:
        value = clean.get(question.id)
        answer = existing.get(question.id)
        if value is None:
            if answer is not None:
                evaluation.answers.remove(answer)
            continue
        if answer is None:
            answer = Answer(question_id=question.id)
            evaluation.answers.append(answer)
        for column, stored in _columns(question.kind, value).items():
            setattr(answer, column, stored)


def _one_transaction(work: Callable[[], Evaluation]) -> Evaluation:
    """Run `work` in one unit of work: all of it is stored, or (on any failure) nothing."""
    try:
        with unit_of_work():
            return work()
    except IntegrityError:
        # Another request created the evaluation or the same version at the same moment.
        raise EvaluationRefused(
            _("Your evaluation was being saved from another window at the same time. Please try again.")
        ) from None


def _validated(trial: Trial, form: Mapping[str, Any], submitting: bool) -> dict[int, AnswerValue]:
    clean, errors = validate_answers(trial.questions, form, submitting=submitting)
    if errors:
        raise InvalidAnswers(errors)
    return clean


def save_draft(trial: Trial, member: User, form: Mapping[str, Any]) -> Evaluation:
    """Store the working copy, complete or not (still checked by type and range).

    A draft of an evaluation already submitted keeps its status and version: the changes
    become a new version only when submitted. Raises InvalidAnswers or EvaluationRefused,
    having saved nothing.
    """

    def work() -> Evaluation:
        clean = _validated(trial, form, submitting=False)
        evaluation = _locked_working_copy(trial, member)
        _store_answers(evaluation, trial.questions, clean)
        return evaluation

    return _one_transaction(work)


def submit_evaluation(trial: Trial, member: User, form: Mapping[str, Any]) -> Evaluation:
    """Store the working copy and freeze it as the next version; every required question must
    be answered. Raises InvalidAnswers or EvaluationRefused, having saved nothing."""

    def work() -> Evaluation:
        clean = _validated(trial, form, submitting=True)
        evaluation = _locked_working_copy(trial, member)
        _store_answers(evaluation, trial.questions, clean)
        now = utcnow()
        evaluation.status = "submitted"
        evaluation.version = (evaluation.version or 0) + 1
        evaluation.submitted_at = now
        frozen = snapshot(trial.questions, clean)
        db.add(EvaluationVersion(
            evaluation=evaluation, version=evaluation.version, submitted_at=now,
            answers=frozen,
        ))
        signals.submission_received.send(evaluation, answers=frozen)
        return evaluation

    return _one_transaction(work)


def get_own_version(member: User, trial: Trial, number: int) -> EvaluationVersion | None:
    """Version `number` of the member's own evaluation of `trial` (None for anyone else's)."""
    return db.scalar(
        select(EvaluationVersion)
        .join(Evaluation, Evaluation.id == EvaluationVersion.evaluation_id)
        .where(
            Evaluation.trial_id == trial.id, Evaluation.member_id == member.id,
            EvaluationVersion.version == number,
        )
    )


# ---------------------------------------------------------------------------------------------
# Staff side


@dataclass
class SubmittedEvaluation:
    """A row of the staff list: the evaluation, its member and its latest submitted version."""

    evaluation: Evaluation
    member: User
    latest: EvaluationVersion

    @property
    def low_score(self) -> bool:
        return is_low_score(self.latest.answers)


def submitted_evaluations(trial: Trial, per_page: int = STAFF_PER_PAGE) -> Page:
    """A page of a trial's submitted evaluations, newest first; two queries whatever the size.
    `trial` comes from `trials.services.get_trial`, so it is in the viewer's scope."""
    stmt = (
        select(Evaluation, User, EvaluationVersion)
        .join(User, User.id == Evaluation.member_id)
        .join(EvaluationVersion, and_(
            EvaluationVersion.evaluation_id == Evaluation.id,
            EvaluationVersion.version == Evaluation.version,
        ))
        .where(Evaluation.trial_id == trial.id, Evaluation.status == "submitted")
        .order_by(Evaluation.submitted_at.desc(), Evaluation.id.desc())
    )
    page = paginate(stmt, per_page=per_page, scalars=False)
    page.items = [SubmittedEvaluation(*row) for row in page.items]
    return page


def get_evaluation(viewer: User, evaluation_id: int) -> Evaluation | None:
    """A submitted evaluation with its trial, member and versions; None if it was never
    submitted, does not exist, or its trial is outside `viewer`'s scope."""
    stmt = select(Evaluation).where(Evaluation.id == evaluation_id, Evaluation.version > 0)
    scope = trial_scope(viewer)
    if scope is not None:
        stmt = stmt.where(Evaluation.trial_id.in_(select(Trial.id).where(scope)))
    return db.scalar(
        stmt
        .options(
            selectinload(Evaluation.versions), selectinload(Evaluation.trial),
            selectinload(Evaluation.member),
        )
    )
