"""The measures a letter's targets are set on: one registry, each measure a function of a unit
and a period, with the query of the records behind its figure (the drill-down).

Rules:
- Every figure is a ratio of sums, counted per month: `num / den` (times 100 for a share or an
  NPS). A quarter or a year adds its months' sums, so one grouped statement per measure and kind
  of unit reads a whole year for every unit at once (`monthly`), whatever the period shown: the
  scoreboard's and a letter's statement counts do not grow with units or periods.
- A department's figure counts the records of the department (its items, the support requests it
  received); a district branch's counts its district (gap reports and evaluations of members in
  it, the answers about reports from it) or the requests it filed.
- `value(unit, period)` is the one-unit function; `records(unit, period)` the rows behind it.
- Typed-in measures (`entered`) read `MeasureEntry`: a month's entry counts in the month, its
  quarter and year; a quarter's entry in the quarter and year; the figure is their mean.
- "Support requests answered in time" reads portal.supervision's requests through
  `_support_model()` alone; without that model it has no data.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, Select, and_, case, false, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from portal import domain as portal_domain
from portal.accounts.models import User
from portal.db import db, shanghai_date
from portal.improvements.confirmations import FixConfirmation
from portal.improvements.models import ImprovementItem
from portal.letters.domain import Period
from portal.letters.models import MeasureEntry
from portal.triage.models import Submission, submission_items
from portal.trials.models import Answer, Evaluation, Question, Trial

BRANCH = "district_branch"
DEPARTMENT = "department"
OUTCOMES = portal_domain.ITEM_OUTCOME_STATUSES
# A quarter's typed-in entry is kept in its own bucket beside the months: QUARTER_BUCKET + q.
QUARTER_BUCKET = 100


class month_of(FunctionElement):
    """The month (1-12) of a date, computed by the database."""

    type = Integer()
    inherit_cache = True
    name = "month_of"


@compiles(month_of)
def _month_of_sqlite(element, compiler, **kw):
    return f"CAST(strftime('%m', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(month_of, "postgresql")
def _month_of_postgresql(element, compiler, **kw):
    return f"CAST(EXTRACT(MONTH FROM {compiler.process(element.clauses, **kw)}) AS INTEGER)"


def _moments(period: Period):
    """The UTC bounds of a period's Shanghai days, for timestamp columns."""
    return (portal_domain.shanghai_midnight(period.start),
            portal_domain.shanghai_midnight(period.end))


def _kind(unit) -> str:
    return getattr(unit, "kind", None) or DEPARTMENT


# ---------------------------------------------------------------------------------------------
# Gap reports resolved within the due date (items due in the period, closed by their due date)


def _in_time():
    item = ImprovementItem
    return case((and_(item.status.in_(OUTCOMES), item.closed_at.is_not(None),
                      shanghai_date(item.closed_at) <= item.due_on), 1), else_=0)


def _items_counted(period: Period, today: date):
    """Items due in the period that count: not rejected, and closed or past their due date (an
    item still within its time is not yet late)."""
    item = ImprovementItem
    return and_(item.due_on >= period.start, item.due_on < period.end, item.status != "rejected",
                or_(item.status.in_(OUTCOMES), item.due_on < today))


def _gap_items_of(districts):
    """Ids of the items that answer gap reports from `districts`."""
    return (select(submission_items.c.item_id)
            .join(Submission, Submission.id == submission_items.c.submission_id)
            .where(Submission.kind == "gap_report", Submission.district.in_(districts)))


def _gaps_monthly(kind: str, keys, year: int, today: date) -> Select:
    item, period = ImprovementItem, Period(year)
    if kind != BRANCH:
        month = month_of(item.due_on)
        return (select(item.department_id, month, func.sum(_in_time()), func.count())
                .where(_items_counted(period, today), item.department_id.in_(keys))
                .group_by(item.department_id, month))
    # An item answering several reports of one district counts once for it.
    pairs = (select(Submission.district.label("key"), item.id, item.due_on, _in_time().label("ok"))
             .distinct()
             .join(submission_items, submission_items.c.item_id == item.id)
             .join(Submission, Submission.id == submission_items.c.submission_id)
             .where(Submission.kind == "gap_report", Submission.district.in_(keys),
                    _items_counted(period, today))
             .subquery())
    month = month_of(pairs.c.due_on)
    return (select(pairs.c.key, month, func.sum(pairs.c.ok), func.count())
            .group_by(pairs.c.key, month))


def _gaps_records(kind: str, key, period: Period, today: date) -> Select:
    item = ImprovementItem
    scope = (item.department_id == key) if kind != BRANCH else item.id.in_(_gap_items_of([key]))
    return (select(item, _in_time().label("in_time"))
            .where(scope, _items_counted(period, today))
            .order_by(item.due_on.desc(), item.id.desc()))


# ---------------------------------------------------------------------------------------------
# Fix-confirmation rate: answers "it is fixed" of all answers given in the period


def _fix_base(kind: str, period: Period):
    answer = FixConfirmation
    start, end = _moments(period)
    stmt = select().select_from(answer).join(ImprovementItem, ImprovementItem.id == answer.item_id)
    if kind == BRANCH:
        stmt = stmt.join(Submission, Submission.id == answer.submission_id)
        key = Submission.district
    else:
        key = ImprovementItem.department_id
    return stmt.where(answer.answered_at >= start, answer.answered_at < end), key


def _fix_monthly(kind: str, keys, year: int, today: date) -> Select:
    stmt, key = _fix_base(kind, Period(year))
    month = month_of(shanghai_date(FixConfirmation.answered_at))
    yes = func.sum(case((FixConfirmation.fixed.is_(True), 1), else_=0))
    return (stmt.add_columns(key, month, yes, func.count()).where(key.in_(keys))
            .group_by(key, month))


def _fix_records(kind: str, key, period: Period, today: date) -> Select:
    stmt, key_column = _fix_base(kind, period)
    return (stmt.add_columns(FixConfirmation, ImprovementItem).where(key_column == key)
            .order_by(FixConfirmation.answered_at.desc(), FixConfirmation.id.desc()))


# ---------------------------------------------------------------------------------------------
# Members' satisfaction in the district: rating answers (mean, 1-5) and NPS answers (-100..100)


def _answers(question_kind: str, period: Period):
    start, end = _moments(period)
    return (select().select_from(Answer)
            .join(Question, Question.id == Answer.question_id)
            .join(Evaluation, Evaluation.id == Answer.evaluation_id)
            .join(User, User.id == Evaluation.member_id)
            .where(Question.kind == question_kind, Evaluation.status == "submitted",
                   Answer.number.is_not(None), Evaluation.submitted_at >= start,
                   Evaluation.submitted_at < end))


def _score(question_kind: str):
    if question_kind == "nps":  # promoters count +1, detractors -1, passives 0
        return func.sum(case((Answer.number >= 9, 1), (Answer.number <= 6, -1), else_=0))
    return func.sum(Answer.number)


def _satisfaction_monthly(question_kind: str):
    def monthly(kind: str, keys, year: int, today: date) -> Select:
        month = month_of(shanghai_date(Evaluation.submitted_at))
        return (_answers(question_kind, Period(year))
                .add_columns(User.district, month, _score(question_kind), func.count())
                .where(User.district.in_(keys)).group_by(User.district, month))
    return monthly


def _satisfaction_records(question_kind: str):
    def records(kind: str, key, period: Period, today: date) -> Select:
        return (_answers(question_kind, period)
                .join(Trial, Trial.id == Evaluation.trial_id)
                .add_columns(Evaluation.id, Trial.title, Evaluation.submitted_at,
                             func.avg(Answer.number).label("score"), func.count().label("answers"))
                .where(User.district == key)
                .group_by(Evaluation.id, Trial.title, Evaluation.submitted_at)
                .order_by(Evaluation.submitted_at.desc(), Evaluation.id.desc()))
    return records


# ---------------------------------------------------------------------------------------------
# Support requests answered within the response time (portal.supervision)


def _support_model():
    """portal.supervision's SupportRequest, or None without it. The one place this area knows
    that model's columns: the department receiving a request (`department_id`), the district
    branch filing it (`branch_id`), when it was filed (`filed_at`) and whether it was answered
    within the response time (`responded_in_time`, None until it was)."""
    try:
        from portal.supervision.models import SupportRequest
    except ImportError:
        return None
    needed = ("department_id", "branch_id", "filed_at", "responded_in_time")
    return SupportRequest if all(hasattr(SupportRequest, n) for n in needed) else None


def _support_base(kind: str, period: Period):
    model = _support_model()
    if model is None:
        return None, None, None
    start, end = _moments(period)
    key = model.department_id if kind != BRANCH else model.branch_id
    stmt = (select().select_from(model)
            .where(model.filed_at >= start, model.filed_at < end,
                   model.responded_in_time.is_not(None)))
    return model, stmt, key


def _support_monthly(kind: str, keys, year: int, today: date) -> Select | None:
    model, stmt, key = _support_base(kind, Period(year))
    if model is None:
        return None
    month = month_of(shanghai_date(model.filed_at))
    ok = func.sum(case((model.responded_in_time.is_(True), 1), else_=0))
    return stmt.add_columns(key, month, ok, func.count()).where(key.in_(keys)).group_by(key, month)


def _support_records(kind: str, key, period: Period, today: date) -> Select | None:
    model, stmt, key_column = _support_base(kind, period)
    if model is None:
        return None
    return (stmt.add_columns(model).where(key_column == key)
            .order_by(model.filed_at.desc(), model.id.desc()))


# ---------------------------------------------------------------------------------------------
# Typed-in figures


def _entries_monthly(code: str):
    def monthly(kind: str, keys, year: int, today: date) -> Select:
        entry = MeasureEntry
        bucket = func.coalesce(entry.month, entry.quarter + QUARTER_BUCKET)
        return (select(entry.unit_id, bucket, func.sum(entry.value), func.count())
                .where(entry.year == year, entry.measure == code, entry.unit_id.in_(keys))
                .group_by(entry.unit_id, bucket))
    return monthly


def _entries_records(code: str):
    def records(kind: str, key, period: Period, today: date) -> Select:
        entry = MeasureEntry
        quarters = [q for q in range(1, 5) if period.holds(Period(period.year, quarter=q))]
        return (select(entry).where(entry.year == period.year, entry.measure == code,
                                    entry.unit_id == key,
                                    or_(entry.month.in_(period.months),
                                        and_(entry.month.is_(None), entry.quarter.in_(quarters))
                                        if quarters else false()))
                .order_by(entry.quarter, entry.month.is_(None), entry.month))
    return records


# ---------------------------------------------------------------------------------------------
# The registry


@dataclass(frozen=True)
class Measure:
    code: str
    label: Any
    help: Any
    kinds: tuple[str, ...]          # the kinds of unit it applies to
    format: str                     # "percent", "score" (1-5), "nps" or "number"
    records_kind: str               # what the drill-down lists (see templates/letters/records.html)
    monthly_query: Callable[..., Select | None]
    records_query: Callable[..., Select | None]
    higher_is_better: bool = True
    margin: float = 5.0             # how far from the target still reads amber
    scale: float = 100.0            # value = scale * num / den
    district_keyed: tuple[str, ...] = ()   # kinds whose figures key on the district code
    entered: bool = False

    def applies_to(self, unit) -> bool:
        return _kind(unit) in self.kinds

    def key(self, unit):
        """What the figures of `unit` are grouped by: its district or its id."""
        return unit.district if _kind(unit) in self.district_keyed else unit.id

    def monthly(self, kind: str, keys, year: int, today: date) -> Select | None:
        """(key, month or quarter bucket, num, den) rows of a year for `keys` (one statement)."""
        keys = [k for k in keys if k is not None]
        if kind not in self.kinds or not keys:
            return None
        return self.monthly_query(kind, keys, year, today)

    def records(self, unit, period: Period, today: date | None = None) -> Select | None:
        """The rows behind `unit`'s figure of `period` (newest first), None when not applicable."""
        if not self.applies_to(unit) or self.key(unit) is None:
            return None
        return self.records_query(_kind(unit), self.key(unit), period,
                                  today or portal_domain.shanghai_today())

    def value(self, unit, period: Period, today: date | None = None) -> float | None:
        """`unit`'s figure of `period` (None without data): one statement."""
        stmt = self.monthly(_kind(unit), [self.key(unit)], period.year,
                            today or portal_domain.shanghai_today())
        if stmt is None:
            return None
        return Figures(self, db.execute(stmt).all()).value(self.key(unit), period)[0]

    def combine(self, num: float, den: int) -> float | None:
        if not den:
            return None
        return round(self.scale * float(num) / den, 1 if self.format != "score" else 2)


def _computed(code, label, help, kinds, fmt, records_kind, monthly, records, **options) -> Measure:
    return Measure(code, label, help, kinds, fmt, records_kind, monthly, records, **options)


BOTH = (DEPARTMENT, BRANCH)
MEASURES: dict[str, Measure] = {m.code: m for m in (
    _computed("gaps_in_time", _l("Gap reports resolved within the due date"),
              _l("Share of the improvement items due in the period (departments: their own; "
                 "district branches: those answering gap reports from the district) closed by "
                 "their due date."),
              BOTH, "percent", "items", _gaps_monthly, _gaps_records, district_keyed=(BRANCH,)),
    _computed("fix_confirmed", _l("Fix-confirmation rate"),
              _l("Share of members' answers “Is it fixed for you?” given in the period that say "
                 "yes (departments: about their items; district branches: about reports from "
                 "the district)."),
              BOTH, "percent", "fix_answers", _fix_monthly, _fix_records, district_keyed=(BRANCH,)),
    _computed("support_in_time", _l("Support requests answered in time"),
              _l("Share of the support requests filed in the period and answered that were "
                 "answered within the response time (departments: received; district branches: "
                 "filed)."),
              BOTH, "percent", "support_requests", _support_monthly, _support_records),
    _computed("member_rating", _l("Members' satisfaction rating"),
              _l("Mean of the rating answers (1-5) in evaluations submitted in the period by "
                 "members in the district."),
              (BRANCH,), "score", "evaluations", _satisfaction_monthly("rating"),
              _satisfaction_records("rating"), margin=0.3, scale=1.0, district_keyed=(BRANCH,)),
    _computed("member_nps", _l("Members' Net Promoter Score"),
              _l("NPS (promoters minus detractors, in points) of the evaluations submitted in the "
                 "period by members in the district."),
              (BRANCH,), "nps", "evaluations", _satisfaction_monthly("nps"),
              _satisfaction_records("nps"), margin=10.0, district_keyed=(BRANCH,)),
    _computed("survey_satisfaction", _l("Customer-satisfaction survey score"),
              _l("Typed in by the service office from the survey, per month or quarter (0-100)."),
              BOTH, "number", "entries", _entries_monthly("survey_satisfaction"),
              _entries_records("survey_satisfaction"), margin=2.0, scale=1.0, entered=True),
    _computed("complaints_per_10k", _l("Complaints per 10,000 customers"),
              _l("Typed in by the service office, per month or quarter; lower is better."),
              BOTH, "number", "entries", _entries_monthly("complaints_per_10k"),
              _entries_records("complaints_per_10k"), higher_is_better=False, margin=0.5,
              scale=1.0, entered=True),
)}
ENTERED = {code: m for code, m in MEASURES.items() if m.entered}


def measure_choices(entered_only: bool = False) -> list[tuple[str, Any]]:
    return [(code, m.label) for code, m in MEASURES.items() if m.entered or not entered_only]


def _buckets(period: Period) -> set[int]:
    quarters = {QUARTER_BUCKET + q for q in range(1, 5) if period.holds(Period(period.year, quarter=q))}
    return set(period.months) | quarters


class Figures:
    """A measure's per-month sums of a year, by key; any period's figure read from them."""

    def __init__(self, measure: Measure, rows):
        self.measure = measure
        self.sums: dict[Any, dict[int, list]] = defaultdict(dict)
        for key, bucket, num, den in rows:
            self.sums[key][int(bucket)] = [float(num or 0), int(den or 0)]

    def value(self, key, period: Period) -> tuple[float | None, int]:
        """(figure, how many records behind it) of `key` over `period`."""
        num, den = 0.0, 0
        for bucket, (n, d) in self.sums.get(key, {}).items():
            if bucket in _buckets(period):
                num, den = num + n, den + d
        return self.measure.combine(num, den), den


def figures(measure: Measure, units, year: int, today: date) -> Figures:
    """The measure's figures of a year for `units`: one statement per kind of unit present."""
    rows: list = []
    by_kind: dict[str, list] = defaultdict(list)
    for unit in units:
        by_kind[_kind(unit)].append(measure.key(unit))
    for kind, keys in sorted(by_kind.items()):
        stmt = measure.monthly(kind, keys, year, today)
        if stmt is not None:
            rows.extend(db.execute(stmt).all())
    return Figures(measure, rows)

