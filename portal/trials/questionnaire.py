"""Questionnaires that adapt: show-if rules, bilingual question text, the library of standard
questions, JSON export / import, copying from another trial, and the staff preview.

Rules:
- A question may carry a show-if rule: it is shown only when the answer to an EARLIER question
  of the same trial meets a condition. The earlier question is a single choice or yes/no
  (`eq`, `ne`, `in` its options or yes/no) or a rating / NPS (`eq`, `le`, `ge` a whole number on
  its scale). A rule never points forward or at its own question, and its condition can be met
  (a value outside the scale, or not among the options, is refused). A question whose earlier
  question is hidden is hidden too. Unanswered, the earlier question meets no condition.
- Hidden questions are neither required nor stored: `visible_ids` decides, from the answers
  given, which questions the member saw (`evaluation_services.validate_answers` drops the rest;
  results count only the members who saw a question).
- The builder keeps rules pointing backwards: moving a question is refused when a rule would
  point forward; deleting a question a rule depends on, or changing its kind or removing an
  option a rule uses, is refused. Once members have submitted evaluations (the questionnaire is
  locked), rules no longer change: who saw what must stay as it was when they answered.
- Text: prompt, help text and options have an optional English version; members reading English
  see it, falling back to the Chinese (`localized`). Answers always store the Chinese option.
- JSON (`SCHEMA`): exported from any trial in the viewer's scope, imported only into a draft
  trial, replacing or appending; every problem is named by question number and field.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import get_locale, gettext as _, lazy_gettext as _l
from sqlalchemy import delete, select

from portal import domain, signals
from portal.accounts.models import User
from portal.audit import Field, describe, services as audit
from portal.db import db, unit_of_work
from portal.errors import Refused
from portal.permissions import trial_scope
from portal.text import clean_text
from portal.trials import question_library, services as trial_services
from portal.trials.models import Answer, Question, Trial

SCHEMA = "portal.questionnaire/1"
SCALES = {"rating": (1, 5), "nps": (0, 10)}
YES_NO = ("yes", "no")
OPERATORS_BY_KIND = {
    "single": ("eq", "ne", "in"),
    "yesno": ("eq", "ne", "in"),
    "rating": ("eq", "le", "ge"),
    "nps": ("eq", "le", "ge"),
}
OPERATORS = {
    "eq": _l("equals"),
    "ne": _l("does not equal"),
    "in": _l("is one of"),
    "le": _l("is at most (≤)"),
    "ge": _l("is at least (≥)"),
}
# How many earlier trials the copy select offers (the most recent first).
COPY_CHOICES = 100
MAX_IMPORT_QUESTIONS = 200
MAX_IMPORT_BYTES = 200_000
TEXT_FIELDS = {"prompt": 500, "prompt_en": 500, "help_text": 500, "help_text_en": 500}

describe(
    "trial",
    actions={
        "questionnaire.import": _l("Questionnaire imported"),
        "questionnaire.copy": _l("Questionnaire copied from another trial"),
        "questionnaire.library": _l("Standard questions added"),
    },
    show_if=Field(_l("Shown if")),
    prompt_en=Field(_l("Question text in English")),
    help_text_en=Field(_l("Help text in English")),
    options_en=Field(_l("Options in English")),
    mode=Field(_l("Import")),
    questions=Field(_l("Questions")),
    source_trial_id=Field(_l("From trial")),
    standard=Field(_l("Standard question")),
)


# ---------------------------------------------------------------------------------------------
# Show-if: which questions a member sees


def meets(kind: str, operator: str | None, values: Sequence[str] | None, answer: Any) -> bool:
    """Whether `answer` (a clean answer: int for rating / NPS, "yes"/"no", an option) to a
    question of `kind` meets the condition. Unanswered meets nothing."""
    if answer is None or answer == "" or not values:
        return False
    if kind in SCALES:
        try:
            number, limit = int(answer), int(values[0])
        except (TypeError, ValueError):
            return False
        compared = {"eq": number == limit, "le": number <= limit, "ge": number >= limit}
        return compared.get(operator or "", False)
    text = str(answer)
    if operator == "eq":
        return text == values[0]
    if operator == "ne":
        return text != values[0]
    return operator == "in" and text in values


def visible_ids(questions: Iterable[Question], answers: Mapping[int, Any]) -> set[int]:
    """The ids of the questions shown, given the answers by question id (in order: a rule reads
    only earlier questions, and a question whose earlier question is hidden is hidden)."""
    shown: set[int] = set()
    kinds: dict[int, str] = {}
    for q in questions:
        source = q.show_if_question_id
        if source is None or (source in shown and meets(
                kinds[source], q.show_if_operator, q.show_if_values, answers.get(source))):
            shown.add(q.id)
        kinds[q.id] = q.kind
    return shown


def has_rules(questions: Iterable[Question]) -> bool:
    return any(q.show_if_question_id is not None for q in questions)


def sources(questions: Iterable[Question]) -> set[int]:
    """The ids of the questions some rule reads (the member form offers "Update" after them)."""
    return {q.show_if_question_id for q in questions if q.show_if_question_id is not None}


def describe_rule(question: Question, questions: Sequence[Question]) -> str | None:
    """The rule in words for the builder: 'Shown if question 1 is at most (≤) 6'."""
    if question.show_if_question_id is None:
        return None
    source = next((q for q in questions if q.id == question.show_if_question_id), None)
    if source is None:
        return None
    values = [_("Yes") if v == "yes" else _("No") if v == "no" else v
              for v in (question.show_if_values or [])] if source.kind == "yesno" \
        else list(question.show_if_values or [])
    return _("Shown if question %(number)s %(operator)s %(values)s",
             number=source.position + 1, operator=OPERATORS.get(question.show_if_operator or "", ""),
             values=" / ".join(values))


def _rule_text(source_number: int | None, operator: str | None, values) -> str | None:
    """A rule as recorded in the audit log."""
    if source_number is None:
        return None
    return f"{source_number} {operator} {', '.join(values or [])}"


# ---------------------------------------------------------------------------------------------
# Show-if: the builder's checks


def _refuse(message: str, field: str | None = None):
    raise trial_services.TrialRefused(message, field=field)


def _check_values(source: Question, operator: str, values: list[str], required: bool) -> None:
    number = source.position + 1
    if source.kind in SCALES:
        low, high = SCALES[source.kind]
        if len(values) != 1 or not values[0].lstrip("-").isdigit():
            _refuse(_("Enter a whole number from %(low)s to %(high)s to compare with.", low=low, high=high),
                    "show_if_number")
        value = int(values[0])
        reachable = {"eq": low <= value <= high, "le": value >= low, "ge": value <= high}[operator]
        if not reachable or not low <= value <= high:
            message = _("No answer to question %(number)s can meet this condition, so this question "
                        "would never be shown. Choose a value from %(low)s to %(high)s.",
                        number=number, low=low, high=high)
            if required:
                message = _("No answer to question %(number)s can meet this condition, so this required "
                            "question could never be shown. Choose a value from %(low)s to %(high)s.",
                            number=number, low=low, high=high)
            _refuse(message, "show_if_number")
        return
    allowed = YES_NO if source.kind == "yesno" else tuple(source.options or [])
    if not values:
        _refuse(_("Tick the answer of question %(number)s to compare with.", number=number),
                "show_if_choices")
    if operator in ("eq", "ne") and len(values) != 1:
        _refuse(_("“Equals” and “does not equal” compare with one answer: tick exactly one."),
                "show_if_choices")
    if any(v not in allowed for v in values):
        _refuse(_("Choose among the answers of question %(number)s.", number=number), "show_if_choices")
    if operator == "ne" and len(allowed) < 2:
        _refuse(_("No answer to question %(number)s can meet this condition, so this question "
                  "would never be shown.", number=number), "show_if_choices")


def rule_values(data: Mapping[str, Any]) -> tuple[int | None, str | None, list[str]]:
    """The rule of a question's form data (source id, operator, values as strings)."""
    source = data.get("show_if_question_id")
    if source in (None, ""):
        return None, None, []
    values = [str(v) for v in data.get("show_if_values") or []]
    return int(source), data.get("show_if_operator") or None, values


def checked_rule(ordered: Sequence[Question], question: Question | None, position: int,
                 data: Mapping[str, Any], required: bool, locked: bool = False) -> dict[str, Any]:
    """The show-if columns of a question at `position` among `ordered` (the trial's questions),
    from its form `data`; refused (TrialRefused naming the form field) when the rule points
    forward or at itself, reads a kind that cannot be compared, or can never be met."""
    source_id, operator, values = rule_values(data)
    if locked and question is not None and (
            source_id, operator, values) != (question.show_if_question_id, question.show_if_operator,
                                             list(question.show_if_values or [])) and (
            source_id is not None or question.show_if_question_id is not None):
        _refuse(_("Members have already submitted evaluations of this trial, so the show-if rule of a "
                  "question cannot change: who saw it must stay as it was when they answered."),
                "show_if_question")
    if source_id is None:
        return dict(show_if_question_id=None, show_if_operator=None, show_if_values=None)
    if question is not None and source_id == question.id:
        _refuse(_("A question cannot be shown depending on its own answer."), "show_if_question")
    source = next((q for q in ordered if q.id == source_id), None)
    if source is None:
        _refuse(_("Choose a question of this questionnaire."), "show_if_question")
    if source.position >= position:
        _refuse(_("A question can only depend on an earlier question: question %(number)s comes after "
                  "this one.", number=source.position + 1), "show_if_question")
    if source.kind not in OPERATORS_BY_KIND:
        _refuse(_("Only a single choice, yes / no, rating or NPS question can be compared: question "
                  "%(number)s is of type %(kind)s.", number=source.position + 1,
                  kind=domain.QUESTION_KINDS[source.kind]), "show_if_question")
    if operator not in OPERATORS_BY_KIND[source.kind]:
        _refuse(_("This comparison does not fit a question of type %(kind)s.",
                  kind=domain.QUESTION_KINDS[source.kind]), "show_if_operator")
    _check_values(source, operator, values, required)
    return dict(show_if_question_id=source.id, show_if_operator=operator, show_if_values=values)


def dependents(question: Question) -> list[Question]:
    return [q for q in question.trial.questions if q.show_if_question_id == question.id]


def check_source_change(question: Question, kind: str, options: list[str]) -> None:
    """Refuse a change of `question` that would break a rule reading its answers."""
    for dependent in dependents(question):
        number = dependent.position + 1
        if kind != question.kind:
            _refuse(_("Question %(number)s is shown depending on this question's answer, so its type "
                      "cannot change: change that rule first.", number=number), "kind")
        if kind == "single" and any(v not in options for v in dependent.show_if_values or []):
            _refuse(_("Question %(number)s is shown depending on an option removed here: change that "
                      "rule first.", number=number), "options")


def check_delete(question: Question) -> None:
    found = dependents(question)
    if found:
        _refuse(_("Question %(number)s is shown depending on this question's answer: change that rule "
                  "before deleting this question.", number=found[0].position + 1))


def check_order(ordered: Sequence[Question]) -> None:
    """Refuse an order in which a rule would point forward (or at a later question)."""
    seen: set[int] = set()
    for q in ordered:
        if q.show_if_question_id is not None and q.show_if_question_id not in seen:
            _refuse(_("This move is refused: question “%(prompt)s” is shown depending on an earlier "
                      "question, which must stay before it.", prompt=q.prompt))
        seen.add(q.id)


# ---------------------------------------------------------------------------------------------
# Text in Chinese and English


def _reading_english(lang: str | None = None) -> bool:
    return (lang or str(get_locale() or "")).startswith("en")


@dataclass
class Text:
    """A question's text in the reader's language: prompt, help, and (value, label) options."""

    prompt: str
    help_text: str
    options: list[tuple[str, str]]


def localized(question: Question, lang: str | None = None) -> Text:
    """The question's text in `lang` (default: the locale in force); English falls back to the
    Chinese, field by field and option by option."""
    options = list(question.options or [])
    if not _reading_english(lang):
        return Text(question.prompt, question.help_text, [(o, o) for o in options])
    english = list(question.options_en or [])
    return Text(
        question.prompt_en or question.prompt, question.help_text_en or question.help_text,
        [(o, english[i] if i < len(english) and english[i] else o) for i, o in enumerate(options)],
    )


def english_values(kind: str, data: Mapping[str, Any], options: list[str]) -> dict[str, Any]:
    """The English text of a question's form data; English options, when given, one per option."""
    options_en: list[str] = []
    if kind in domain.CHOICE_QUESTION_KINDS:
        text = clean_text(data.get("options_en"))
        options_en = [line.strip() for line in text.split("\n")] if text else []
        if options_en and len(options_en) != len(options):
            _refuse(_("Give one English option per option (%(count)s), in the same order, or none.",
                      count=len(options)), "options_en")
    return dict(prompt_en=clean_text(data.get("prompt_en")),
                help_text_en=clean_text(data.get("help_text_en")), options_en=options_en)


# ---------------------------------------------------------------------------------------------
# The library of standard questions


def _next_position(trial: Trial) -> int:
    return max((q.position for q in trial.questions), default=-1) + 1


def add_standard(trial: Trial, key: str, actor: User) -> list[Question]:
    """Add the standard question `key` (with its follow-ups) at the end of the questionnaire.
    Once members have submitted evaluations, new questions come in optional (the lock rules)."""
    entry = question_library.BY_KEY.get(key)
    if entry is None:
        _refuse(_("Choose one of the standard questions offered."))
    with unit_of_work():
        trial_services.check_open(trial)
        locked = trial_services.questionnaire_locked(trial)
        added = _add_standard_rows(trial, entry.key, optional=locked)
        audit.record(actor, "questionnaire.library", "trial", trial.id, None,
                     {"standard": entry.name_en, "questions": len(added)})
    return added


def library_entries() -> list[tuple[str, str, bool]]:
    """(key, name in the reader's language, for terminals) of each standard question."""
    english = _reading_english()
    return [(e.key, e.name_en if english else e.name, e.terminal) for e in question_library.LIBRARY]


# ---------------------------------------------------------------------------------------------
# JSON export and import


def export_document(trial: Trial) -> dict[str, Any]:
    """The trial's questionnaire as a `SCHEMA` document; rules name questions by `key`."""
    keys = {q.id: f"q{i + 1}" for i, q in enumerate(trial.questions)}
    questions = []
    for q in trial.questions:
        item: dict[str, Any] = {
            "key": keys[q.id], "kind": q.kind, "prompt": q.prompt, "prompt_en": q.prompt_en or "",
            "help_text": q.help_text or "", "help_text_en": q.help_text_en or "",
            "required": bool(q.required), "options": list(q.options or []),
            "options_en": list(q.options_en or []), "show_if": None,
        }
        if q.show_if_question_id in keys:
            source_kind = next(s.kind for s in trial.questions if s.id == q.show_if_question_id)
            values: list[Any] = list(q.show_if_values or [])
            if source_kind in SCALES:
                values = [int(v) for v in values]
            item["show_if"] = {"question": keys[q.show_if_question_id], "operator": q.show_if_operator,
                               "values": values}
        questions.append(item)
    return {"schema": SCHEMA, "questions": questions}


def export_json(trial: Trial) -> str:
    return json.dumps(export_document(trial), ensure_ascii=False, indent=2)


class InvalidQuestionnaire(Refused):
    """A questionnaire document that cannot be imported; `problems` lists each, naming the
    question (number and key) and the field."""

    default_message = _l("Nothing was imported. Please correct the questionnaire file.")

    def __init__(self, problems: list[str], field: str | None = "document"):
        super().__init__(field=field)
        self.problems = problems


@dataclass
class Draft:
    """A question read from a document, before it is stored."""

    key: str
    values: dict[str, Any]
    rule: tuple[str, str | None, list[str]] | None


def _problem(number: int, field: str, problem: str) -> str:
    return _("Question %(number)s, field “%(field)s”: %(problem)s", number=number, field=field,
             problem=problem)


def _forward(number: int, key: str) -> str:
    return _problem(number, "show_if", _("“%(key)s” is not an earlier question of this file: a question "
                                         "can only depend on an earlier one.", key=key))


def _text_fields(item: Mapping[str, Any], number: int, problems: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for name, limit in TEXT_FIELDS.items():
        raw = item.get(name, "")
        if raw is None:
            raw = ""
        if not isinstance(raw, str):
            problems.append(_problem(number, name, _("must be text.")))
            continue
        text = clean_text(raw)
        if len(text) > limit:
            problems.append(_problem(number, name, _("at most %(max)s characters.", max=limit)))
        values[name] = text
    if "prompt" in values and not values["prompt"]:
        problems.append(_problem(number, "prompt", _("the question text is missing.")))
    return values


def _text_list(item: Mapping[str, Any], name: str, number: int, problems: list[str]) -> list[str]:
    raw = item.get(name) or []
    if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
        problems.append(_problem(number, name, _("must be a list of texts.")))
        return []
    return [clean_text(v).strip() for v in raw]


def _read_question(item: Any, number: int, problems: list[str]) -> Draft | None:
    if not isinstance(item, dict):
        problems.append(_("Question %(number)s: must be an object with “kind” and “prompt”.", number=number))
        return None
    kind = item.get("kind")
    if kind not in domain.QUESTION_KINDS:
        problems.append(_problem(number, "kind", _("must be one of %(kinds)s.",
                                                   kinds=", ".join(domain.QUESTION_KINDS))))
    values: dict[str, Any] = _text_fields(item, number, problems)
    required = item.get("required", True)
    if not isinstance(required, bool):
        problems.append(_problem(number, "required", _("must be true or false.")))
    options = _text_list(item, "options", number, problems)
    options_en = _text_list(item, "options_en", number, problems)
    if kind in domain.CHOICE_QUESTION_KINDS:
        error = trial_services.options_errors(kind, options)
        if error:
            problems.append(_problem(number, "options", error))
        if options_en and len(options_en) != len(options):
            problems.append(_problem(number, "options_en", _("one English option per option, or none.")))
    else:
        options, options_en = [], []
    values.update(kind=kind, required=required is not False, options=options, options_en=options_en)
    key = item.get("key", f"q{number}")
    if not isinstance(key, str) or not key:
        problems.append(_problem(number, "key", _("must be a text naming the question.")))
        key = f"q{number}"
    rule = item.get("show_if")
    if rule is not None and (not isinstance(rule, dict) or not isinstance(rule.get("question"), str)
                             or not isinstance(rule.get("values"), list)):
        problems.append(_problem(number, "show_if", _(
            "must be null or an object with “question” (an earlier question's key), “operator” and "
            "“values”.")))
        rule = None
    parsed = None if rule is None else (
        rule["question"], rule.get("operator"), [str(v) for v in rule["values"]])
    return Draft(key, values, parsed)


def _check_rules(drafts: list[Draft | None], problems: list[str]) -> None:
    """Keys unique, rules pointing at earlier questions of the file and able to be met: checked
    as the builder checks them, on questions numbered as in the file (ids: their numbers)."""
    earlier: dict[str, Question] = {}
    for n, d in enumerate(drafts, start=1):
        if d is None:
            continue
        if d.key in earlier:
            problems.append(_problem(n, "key", _("“%(key)s” names an earlier question already.", key=d.key)))
        if d.rule is not None and d.rule[0] not in earlier:
            problems.append(_forward(n, d.rule[0]))
        elif d.rule is not None:
            source = earlier[d.rule[0]]
            try:
                checked_rule(list(earlier.values()), None, n - 1, {
                    "show_if_question_id": source.id, "show_if_operator": d.rule[1],
                    "show_if_values": d.rule[2]}, d.values["required"])
            except trial_services.TrialRefused as exc:
                problems.append(_problem(n, "show_if", str(exc)))
        earlier.setdefault(d.key, Question(id=n, position=n - 1, kind=d.values["kind"],
                                           options=d.values["options"]))


def _parse(text: str) -> list[Draft]:
    """The document's questions, or InvalidQuestionnaire naming each problem."""
    if len(text.encode("utf-8", "replace")) > MAX_IMPORT_BYTES:
        raise InvalidQuestionnaire([_("The file is too large: at most %(max)s KB.",
                                      max=MAX_IMPORT_BYTES // 1000)])
    try:
        document = json.loads(text)
    except ValueError as exc:
        line, column = getattr(exc, "lineno", "?"), getattr(exc, "colno", "?")
        raise InvalidQuestionnaire([_("This is not valid JSON (line %(line)s, column %(column)s).",
                                      line=line, column=column)]) from None
    if not isinstance(document, dict) or document.get("schema") != SCHEMA:
        raise InvalidQuestionnaire([_("The file must be an object whose “schema” is “%(schema)s”.",
                                      schema=SCHEMA)])
    items = document.get("questions")
    if not isinstance(items, list) or not items:
        raise InvalidQuestionnaire([_("“questions” must be a list of at least one question.")])
    if len(items) > MAX_IMPORT_QUESTIONS:
        raise InvalidQuestionnaire([_("At most %(max)s questions can be imported at once.",
                                      max=MAX_IMPORT_QUESTIONS)])
    problems: list[str] = []
    drafts = [_read_question(item, n, problems) for n, item in enumerate(items, start=1)]
    _check_rules(drafts, problems)
    if problems:
        raise InvalidQuestionnaire(problems)
    return [d for d in drafts if d is not None]


def _store_drafts(trial: Trial, drafts: list[Draft], locked: bool) -> list[Question]:
    """Add the drafts (parsed and checked) after the trial's questions."""
    position = _next_position(trial)
    by_key: dict[str, Question] = {}
    added: list[Question] = []
    for n, d in enumerate(drafts, start=1):
        question = Question(trial_id=trial.id, position=position + n - 1, **d.values)
        if locked:
            question.required = False
        if d.rule is not None:  # checked by _check_rules
            question.show_if_question_id = by_key[d.rule[0]].id
            question.show_if_operator, question.show_if_values = d.rule[1], d.rule[2]
        trial.questions.append(question)
        db.flush()
        by_key[d.key] = question
        added.append(question)
    return added


def _replace_or_append(trial: Trial, drafts: list[Draft], replace: bool) -> list[Question]:
    if replace:
        ids = [q.id for q in trial.questions]
        if ids:
            # A draft trial has no evaluations; the delete is a guard, not a loss.
            db.execute(delete(Answer).where(Answer.question_id.in_(ids)))
        for q in list(trial.questions):
            trial.questions.remove(q)
            db.delete(q)
        db.flush()
    return _store_drafts(trial, drafts, locked=False)


def check_importable(trial: Trial) -> None:
    if trial.status != "draft":
        _refuse(_("A questionnaire can be imported or copied only into a draft trial: this one has "
                  "started recruiting."))


def import_questionnaire(trial: Trial, text: str, replace: bool, actor: User) -> list[Question]:
    """Import a `SCHEMA` document into the draft `trial`, replacing its questions or appending
    to them. All or nothing: InvalidQuestionnaire names every problem and nothing is stored."""
    check_importable(trial)
    drafts = _parse(text)
    with unit_of_work():
        added = _replace_or_append(trial, drafts, replace)
        audit.record(actor, "questionnaire.import", "trial", trial.id, None,
                     {"mode": "replace" if replace else "append", "questions": len(added)})
    return added


def copy_choices(viewer: User, trial: Trial) -> list[tuple[int, str]]:
    """The other trials in `viewer`'s scope with questions, most recent first (bounded)."""
    stmt = (
        select(Trial.id, Trial.title)
        .where(Trial.id != trial.id, Trial.id.in_(select(Question.trial_id)))
        .order_by(Trial.created_at.desc(), Trial.id.desc())
        .limit(COPY_CHOICES)
    )
    scope = trial_scope(viewer)
    if scope is not None:
        stmt = stmt.where(scope)
    return [(row.id, row.title) for row in db.execute(stmt)]


def copy_questionnaire(trial: Trial, source: Trial | None, replace: bool, actor: User) -> list[Question]:
    """Copy `source`'s questionnaire (from `trials.services.get_trial`: in the viewer's scope)
    into the draft `trial`, rules included."""
    check_importable(trial)
    if source is None or source.id == trial.id or not source.questions:
        _refuse(_("Choose an earlier trial with a questionnaire."), "source")
    drafts = _parse(export_json(source))
    with unit_of_work():
        added = _replace_or_append(trial, drafts, replace)
        audit.record(actor, "questionnaire.copy", "trial", trial.id, None,
                     {"mode": "replace" if replace else "append", "questions": len(added),
                      "source_trial_id": source.id})
    return added


def question_audit(question: Question) -> dict[str, Any]:
    """The fields of this module in a question's audit entry."""
    number = None
    if question.show_if_question_id is not None:
        source = next((q for q in question.trial.questions if q.id == question.show_if_question_id), None)
        number = source.position + 1 if source is not None else None
    return dict(prompt_en=question.prompt_en or "", help_text_en=question.help_text_en or "",
                options_en=list(question.options_en or []),
                show_if=_rule_text(number, question.show_if_operator, question.show_if_values))


# ---------------------------------------------------------------------------------------------
# Demo data


def seed_demo(today) -> None:
    """A draft terminal trial built from the library (NPS with its follow-up, CSAT, keep using,
    the terminal ratings; Chinese and English) to preview, export or copy; a running trial with
    the NPS follow-up whose two evaluations show the denominator: a detractor saw and answered
    it, a promoter never saw it."""
    from datetime import timedelta

    from portal.trials.evaluation_services import snapshot
    from portal.trials.models import Enrollment, Evaluation, EvaluationVersion, TrialSegment

    def user(email: str) -> User | None:
        return db.scalar(select(User).where(User.email == email))

    product = user("product@example.com")
    watch = Trial(
        title="智能手表试用（问卷草稿）", kind="terminal", status="draft", capacity=30,
        description="问卷由标准问题库生成，含净推荐值追问；可预览、导出或复制。", created_by=product,
        enrollment_opens_on=today + timedelta(days=7), enrollment_closes_on=today + timedelta(days=21),
        starts_on=today + timedelta(days=28), ends_on=today + timedelta(days=88),
    )
    watch.segments = [TrialSegment(segment="mobile")]
    db.add(watch)
    db.flush()
    running = Trial(
        title="家庭宽带提速体验（自适应问卷）", kind="service", status="running", capacity=10,
        description="低分会追问失望之处。", created_by=product,
        enrollment_opens_on=today - timedelta(days=20), enrollment_closes_on=today - timedelta(days=10),
        starts_on=today - timedelta(days=7), ends_on=today + timedelta(days=30),
    )
    running.segments = [TrialSegment(segment="mobile"), TrialSegment(segment="household")]
    db.add(running)
    db.flush()
    if product is not None:
        for key in ("nps", "csat", "keep", "signal", "battery", "heat", "camera"):
            _add_standard_rows(watch, key)
        _add_standard_rows(running, "nps")
    for email, score, text in (("household@example.com", 4, "高峰时段仍然很慢。"),
                               ("mobile@example.com", 9, None)):
        member = user(email)
        if member is None:
            continue
        db.add(Enrollment(trial_id=running.id, member_id=member.id, status="accepted"))
        nps, follow_up = running.questions
        clean = {nps.id: score, follow_up.id: text}
        evaluation = Evaluation(trial_id=running.id, member_id=member.id, status="submitted", version=1,
                                submitted_at=today_at(today))
        evaluation.answers = [Answer(question_id=nps.id, number=score)] + (
            [Answer(question_id=follow_up.id, text=text)] if text else [])
        frozen = snapshot(running.questions, clean)
        evaluation.versions = [EvaluationVersion(version=1, submitted_at=today_at(today), answers=frozen)]
        db.add(evaluation)
        db.flush()
        signals.submission_received.send(evaluation, answers=frozen)  # in the inbox, as submitted


def today_at(today):
    from datetime import datetime, time

    from portal.domain import SHANGHAI

    return datetime.combine(today, time(10), tzinfo=SHANGHAI)


def _add_standard_rows(trial: Trial, key: str, optional: bool = False) -> list[Question]:
    """The library entry's questions at the end of the questionnaire, follow-ups ruled by the
    first (inside the caller's unit of work); `optional` once the questionnaire is locked."""
    entry = question_library.BY_KEY[key]
    first: Question | None = None
    added: list[Question] = []
    for standard in entry.questions:
        question = Question(
            trial_id=trial.id, position=_next_position(trial), kind=standard.kind, prompt=standard.prompt,
            prompt_en=standard.prompt_en, help_text=standard.help_text, help_text_en=standard.help_text_en,
            options=list(standard.options), options_en=list(standard.options_en),
            required=standard.required and not optional,
        )
        if standard.show_if and first is not None:
            question.show_if_question_id = first.id
            question.show_if_operator, values = standard.show_if
            question.show_if_values = list(values)
        trial.questions.append(question)
        db.flush()
        first = first or question
        added.append(question)
    return added
