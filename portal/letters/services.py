"""Letters, their targets and key tasks, the typed-in figures, the scoreboard, service stars and
classic cases: the rules (routes only load, check and render).

Rules:
- Office and admin (``letters.manage``) prepare a year's letters (one draft per unit), set
  targets and key tasks, type in figures and sign a letter off. A signed-off letter is kept as
  signed: its targets and tasks no longer change, except that a key task may still be marked done
  (that is progress, not a change of the letter). Sign-off names the unit head and is audited.
- Other staff and district-branch staff (``letters.view``) read their own unit's letter and
  drill-downs (`permissions.may_see_unit`), and the scoreboard of every unit.
- The scoreboard reads a fixed number of statements: the units, the year's letters with their
  targets and tasks, and one grouped statement per measure and kind of unit (measures.figures).
- A service star is a staff user of the year with a citation and the records behind it (items,
  support requests that exist). A classic case is a closed item (done or verified) or a closed
  support request, marked once with its lesson; the library pages newest first by id (keyset).
Every change is audited (objects "letter", "measure_entry", "service_star", "classic_case").
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from portal import domain as portal_domain, permissions
from portal.accounts.models import User
from portal.audit import services as audit
from portal.db import db, unit_of_work, utcnow
from portal.errors import Refused
from portal.improvements.models import Department, ImprovementItem
from portal.letters import domain
from portal.letters.domain import Period
from portal.letters.measures import ENTERED, MEASURES, Figures, Measure, figures
from portal.letters.models import (
    ClassicCase,
    KeyTask,
    LetterTarget,
    MeasureEntry,
    ResponsibilityLetter,
    ServiceStar,
    ServiceStarRecord,
)
from portal.text import clean_text
from portal.versioning import check_version

TITLE_MAX = 200
TEXT_MAX = 5000
NAME_MAX = 100
CASES_PER_PAGE = 20
STARS_SHOWN = 100
RECORDS_PER_PAGE = 50


class LetterRefused(Refused):
    """The change cannot be made so; str(exc) says why, `field` names the form field."""


# ---------------------------------------------------------------------------------------------
# Units and letters


def units() -> list[Department]:
    """Every unit: departments first, then district branches, each by name (one statement)."""
    kind = getattr(Department, "kind", None)
    order = (kind, Department.name, Department.id) if kind is not None else (Department.name, Department.id)
    return list(db.scalars(select(Department).order_by(*order)))


def get_unit(unit_id: int | None) -> Department | None:
    return db.get(Department, unit_id) if unit_id else None


def _letters_query():
    return select(ResponsibilityLetter).options(
        joinedload(ResponsibilityLetter.unit), joinedload(ResponsibilityLetter.signed_off_by),
        selectinload(ResponsibilityLetter.targets), selectinload(ResponsibilityLetter.tasks))


def letters_of(year: int) -> dict[int, ResponsibilityLetter]:
    """The year's letters by unit id, with targets and tasks (three statements)."""
    letters = db.scalars(_letters_query().where(ResponsibilityLetter.year == year)).unique()
    return {letter.unit_id: letter for letter in letters}


def get_letter(viewer, letter_id: int) -> ResponsibilityLetter | None:
    """The letter, when `viewer` may read it (its unit's staff, office, admin); else None."""
    letter = db.scalar(_letters_query().where(ResponsibilityLetter.id == letter_id))
    if letter is None or not permissions.may_see_unit(viewer, letter.unit_id):
        return None
    return letter


def own_letter(viewer, year: int) -> ResponsibilityLetter | None:
    """The viewer's unit's letter of the year, if any."""
    unit_id = getattr(viewer, "unit_id", None)
    if unit_id is None:
        return None
    return db.scalar(_letters_query().where(ResponsibilityLetter.unit_id == unit_id,
                                            ResponsibilityLetter.year == year))


def _check_year(year: int | None) -> int:
    if year is None or not domain.FIRST_YEAR <= year <= domain.LAST_YEAR:
        raise LetterRefused(_("Please give a year between %(first)s and %(last)s.",
                              first=domain.FIRST_YEAR, last=domain.LAST_YEAR), "year")
    return year


def prepare_letters(actor, year: int | None) -> int:
    """A draft letter for every unit without one for `year`; returns how many were made."""
    year = _check_year(year)
    with unit_of_work():
        have = set(db.scalars(select(ResponsibilityLetter.unit_id)
                              .where(ResponsibilityLetter.year == year)))
        made = 0
        for unit in units():
            if unit.id in have:
                continue
            letter = ResponsibilityLetter(unit_id=unit.id, year=year, status="draft")
            db.add(letter)
            db.flush()
            audit.record(actor, "letter.create", "letter", letter.id, None,
                         {"unit_id": unit.id, "year": year, "status": "draft"})
            made += 1
    return made


def _editable(letter: ResponsibilityLetter, version: int | None) -> None:
    check_version(letter, version)
    if letter.signed_off:
        raise LetterRefused(_("This letter is signed off: its targets and key tasks are kept as "
                              "signed."))


def _number(value, field_name: str) -> float:
    try:
        number = float(str(value).strip().replace(",", "."))
    except (TypeError, ValueError):
        number = None
    if number is None or number != number or abs(number) > 1_000_000:
        raise LetterRefused(_("Please give a number such as 95 or 4.5."), field_name)
    return number


def set_target(actor, letter: ResponsibilityLetter, version: int | None, measure_code: str,
               value) -> LetterTarget:
    """Add a target or change its value (a draft letter only)."""
    measure = MEASURES.get(measure_code or "")
    if measure is None:
        raise LetterRefused(_("Please choose a measure."), "measure")
    if not measure.applies_to(letter.unit):
        raise LetterRefused(_("This measure does not apply to this kind of unit."), "measure")
    number = _number(value, "target")
    with unit_of_work():
        _editable(letter, version)
        target = next((t for t in letter.targets if t.measure == measure.code), None)
        before = {"measure": measure.code, "target": target.target} if target else None
        if target is None:
            target = LetterTarget(measure=measure.code, target=number)
            letter.targets.append(target)
        target.target = number
        letter.updated_at = utcnow()  # moves the version on: a stale form elsewhere is refused
        db.flush()
        audit.record(actor, "letter.target", "letter", letter.id, before,
                     {"measure": measure.code, "target": number})
    return target


def remove_target(actor, letter: ResponsibilityLetter, version: int | None, target_id: int) -> None:
    with unit_of_work():
        _editable(letter, version)
        target = next((t for t in letter.targets if t.id == target_id), None)
        if target is None:
            raise LetterRefused(_("This target is no longer on the letter."))
        audit.record(actor, "letter.target_remove", "letter", letter.id,
                     {"measure": target.measure, "target": target.target}, None)
        letter.targets.remove(target)
        letter.updated_at = utcnow()


def add_task(actor, letter: ResponsibilityLetter, version: int | None, title: str,
             due_on: date | None) -> KeyTask:
    title = clean_text(title or "").strip()
    if not title:
        raise LetterRefused(_("Please describe the key task."), "title")
    if len(title) > TITLE_MAX:
        raise LetterRefused(_("Please use at most %(max)s characters.", max=TITLE_MAX), "title")
    if due_on is None:
        raise LetterRefused(_("Please give a due date such as 2026-06-30."), "due_on")
    if due_on.year != letter.year:
        raise LetterRefused(_("The due date must fall in %(year)s, the letter's year.",
                              year=letter.year), "due_on")
    with unit_of_work():
        _editable(letter, version)
        task = KeyTask(title=title, due_on=due_on)
        letter.tasks.append(task)
        letter.updated_at = utcnow()
        db.flush()
        audit.record(actor, "letter.task", "letter", letter.id, None,
                     {"task": title, "due_on": due_on})
    return task


def set_task_done(actor, letter: ResponsibilityLetter, task_id: int, done: bool,
                  today: date | None = None) -> None:
    """Mark a key task done (today) or not done; allowed on a signed-off letter too."""
    task = next((t for t in letter.tasks if t.id == task_id), None)
    if task is None:
        raise LetterRefused(_("This key task is no longer on the letter."))
    done_on = (today or portal_domain.shanghai_today()) if done else None
    if (task.done_on is not None) == done:
        return
    with unit_of_work():
        before = {"task": task.title, "done_on": task.done_on}
        task.done_on = done_on
        audit.record(actor, "letter.task_done", "letter", letter.id, before,
                     {"task": task.title, "done_on": done_on})


def sign_off(actor, letter: ResponsibilityLetter, version: int | None, unit_head: str) -> None:
    """Sign the letter off, naming the unit head who signed it; needs at least one target."""
    unit_head = clean_text(unit_head or "").strip()
    if not unit_head:
        raise LetterRefused(_("Please name the unit head who signed the letter."), "unit_head")
    if len(unit_head) > NAME_MAX:
        raise LetterRefused(_("Please use at most %(max)s characters.", max=NAME_MAX), "unit_head")
    if not letter.targets:
        raise LetterRefused(_("A letter needs at least one target before it is signed off."))
    with unit_of_work():
        _editable(letter, version)
        before = audit.snapshot(letter, ("status", "unit_head", "signed_off_at"))
        letter.status, letter.unit_head = "signed_off", unit_head
        letter.signed_off_at, letter.signed_off_by_id = utcnow(), actor.id
        db.flush()
        audit.record(actor, "letter.sign_off", "letter", letter.id, before,
                     audit.snapshot(letter, ("status", "unit_head", "signed_off_at")))


# ---------------------------------------------------------------------------------------------
# Typed-in figures


def set_entry(actor, unit_id: int | None, measure_code: str, period_code: str, value) -> MeasureEntry:
    """Type in (or correct) a unit's figure of a month or quarter."""
    unit = get_unit(unit_id)
    if unit is None:
        raise LetterRefused(_("Please choose a unit."), "unit_id")
    measure = ENTERED.get(measure_code or "")
    if measure is None:
        raise LetterRefused(_("Please choose a measure."), "measure")
    period = Period.parse(period_code)
    if period is None or (period.month is None and period.quarter is None):
        raise LetterRefused(_("Please choose a month or a quarter."), "period")
    number = _number(value, "value")
    with unit_of_work():
        entry = db.scalar(select(MeasureEntry).where(
            MeasureEntry.unit_id == unit.id, MeasureEntry.measure == measure.code,
            MeasureEntry.period == period.code))
        before = {"value": entry.value} if entry is not None else None
        if entry is None:
            entry = MeasureEntry(unit_id=unit.id, measure=measure.code, period=period.code,
                                 year=period.year, month=period.month,
                                 quarter=period.quarter or (period.months[0] + 2) // 3)
            db.add(entry)
        entry.value, entry.entered_by_id, entry.entered_at = number, actor.id, utcnow()
        db.flush()
        audit.record(actor, "entry.set", "measure_entry", entry.id, before,
                     {"unit_id": unit.id, "measure": measure.code, "period": period.code,
                      "value": number})
    return entry


def entries_of(year: int) -> list[MeasureEntry]:
    """The year's typed-in figures (at most units x measures x 16 periods), one statement."""
    return list(db.scalars(
        select(MeasureEntry).options(joinedload(MeasureEntry.unit))
        .where(MeasureEntry.year == year)
        .order_by(MeasureEntry.measure, MeasureEntry.unit_id, MeasureEntry.quarter,
                  MeasureEntry.month.is_(None), MeasureEntry.month)))


# ---------------------------------------------------------------------------------------------
# Figures against targets: the scoreboard and a letter's progress


@dataclass
class Cell:
    measure: Measure
    period: Period
    applicable: bool
    value: float | None = None
    count: int = 0
    target: float | None = None
    state: str | None = None       # domain.RAG code, None without a target


@dataclass
class TaskSummary:
    total: int = 0
    done: int = 0
    overdue: int = 0

    @property
    def state(self) -> str | None:
        if not self.total:
            return None
        if self.overdue:
            return "red"
        return "green" if self.done == self.total else "amber"


@dataclass
class ScoreRow:
    unit: Department
    letter: ResponsibilityLetter | None
    cells: list[Cell]
    tasks: TaskSummary


@dataclass
class Scoreboard:
    year: int
    period: Period
    measures: list[Measure]
    rows: list[ScoreRow]
    counts: dict[str, int] = field(default_factory=dict)   # cells per RAG state


def _cell(measure: Measure, unit, period: Period, found: Figures, target: float | None) -> Cell:
    if not measure.applies_to(unit):
        return Cell(measure, period, applicable=False)
    value, count = found.value(measure.key(unit), period)
    state = domain.rag(value, target, measure.higher_is_better, measure.margin)
    return Cell(measure, period, True, value, count, target, state)


def _tasks(letter: ResponsibilityLetter | None, today: date) -> TaskSummary:
    if letter is None:
        return TaskSummary()
    return TaskSummary(len(letter.tasks), sum(1 for t in letter.tasks if t.done_on is not None),
                       sum(1 for t in letter.tasks if t.overdue(today)))


def scoreboard(year: int, period: Period | None = None, today: date | None = None) -> Scoreboard:
    """Every unit's figures of `period` (the year by default) against its letter's targets."""
    today = today or portal_domain.shanghai_today()
    period = period if period is not None and period.year == year else Period(year)
    all_units = units()
    letters = letters_of(year)
    measures = list(MEASURES.values())
    found = {m.code: figures(m, all_units, year, today) for m in measures}
    rows, counts = [], dict.fromkeys(domain.RAG, 0)
    for unit in all_units:
        letter = letters.get(unit.id)
        targets = {t.measure: t.target for t in letter.targets} if letter else {}
        cells = [_cell(m, unit, period, found[m.code], targets.get(m.code)) for m in measures]
        for cell in cells:
            if cell.state:
                counts[cell.state] += 1
        rows.append(ScoreRow(unit, letter, cells, _tasks(letter, today)))
    return Scoreboard(year, period, measures, rows, counts)


@dataclass
class TargetProgress:
    target: LetterTarget
    measure: Measure
    quarters: list[Cell]
    months: list[Cell]
    year: Cell


def progress(letter: ResponsibilityLetter, today: date | None = None) -> list[TargetProgress]:
    """Each target's figures per month, quarter and the year: one statement per target."""
    today = today or portal_domain.shanghai_today()
    out = []
    for target in letter.targets:
        measure = MEASURES.get(target.measure)
        if measure is None:
            continue
        found = figures(measure, [letter.unit], letter.year, today)

        def cell(p: Period, m=measure, f=found, t=target.target) -> Cell:
            return _cell(m, letter.unit, p, f, t)

        out.append(TargetProgress(target, measure, [cell(p) for p in domain.quarters(letter.year)],
                                  [cell(p) for p in domain.months(letter.year)],
                                  cell(Period(letter.year))))
    return out


def task_rows(letter: ResponsibilityLetter, today: date | None = None) -> list[tuple[KeyTask, str]]:
    today = today or portal_domain.shanghai_today()
    return [(t, domain.task_state(t.done_on, t.due_on, today)) for t in letter.tasks]


# ---------------------------------------------------------------------------------------------
# Drill-down: the records behind a figure


@dataclass
class Records:
    measure: Measure
    unit: Department
    period: Period
    rows: list[Any]
    value: float | None
    count: int
    more: bool


def records(viewer, measure_code: str, unit_id: int, period_code: str | None,
            today: date | None = None) -> Records | None:
    """The rows behind a unit's figure (at most RECORDS_PER_PAGE, newest first, and whether
    there are more); None when the viewer may not see the unit or nothing matches the address."""
    today = today or portal_domain.shanghai_today()
    measure, unit = MEASURES.get(measure_code), get_unit(unit_id)
    period = Period.parse(period_code) or Period(today.year)
    if measure is None or unit is None or not permissions.may_see_unit(viewer, unit.id):
        return None
    stmt = measure.records(unit, period, today)
    rows = list(db.execute(stmt.limit(RECORDS_PER_PAGE + 1)).all()) if stmt is not None else []
    found = figures(measure, [unit], period.year, today)
    value, count = found.value(measure.key(unit), period)
    return Records(measure, unit, period, rows[:RECORDS_PER_PAGE], value, count,
                   len(rows) > RECORDS_PER_PAGE)


# ---------------------------------------------------------------------------------------------
# Service stars


def star_candidates() -> list[User]:
    """Active staff and district-branch users (who may be named a star), one statement."""
    roles = set(permissions.holders("letters.view"))
    return list(db.scalars(select(User).where(User.role.in_(roles), User.status == "active")
                           .order_by(User.name, User.id)))


def _ids(text: str | None, field_name: str) -> list[int]:
    parts = [p for p in (text or "").replace("，", ",").replace("#", "").replace(" ", ",").split(",") if p]
    if any(not p.isdigit() or len(p) > 9 for p in parts):
        raise LetterRefused(_("Please give record numbers separated by commas, such as 12, 15."),
                            field_name)
    return sorted({int(p) for p in parts})


def _existing(kind: str, ids: list[int]) -> set[int]:
    if not ids:
        return set()
    if kind == "item":
        return set(db.scalars(select(ImprovementItem.id).where(ImprovementItem.id.in_(ids))))
    model = _support_request_model()
    if model is None:
        return set()
    return set(db.scalars(select(model.id).where(model.id.in_(ids))))


def _support_request_model():
    from portal.letters.measures import _support_model

    return _support_model()


def nominate_star(actor, user_id: int | None, year: int | None, citation: str,
                  item_ids: str = "", request_ids: str = "") -> ServiceStar:
    """Name a staff user a service star of the year, with the records behind the citation."""
    user = db.get(User, user_id) if user_id else None
    if (user is None or user.status != "active"
            or user.role not in permissions.holders("letters.view")):
        raise LetterRefused(_("Please choose a staff member."), "user_id")
    year = _check_year(year)
    citation = clean_text(citation or "").strip()
    if not citation:
        raise LetterRefused(_("Please write the citation: what they did for customers."), "citation")
    if len(citation) > TEXT_MAX:
        raise LetterRefused(_("Please use at most %(max)s characters.", max=TEXT_MAX), "citation")
    records_given = {"item": _ids(item_ids, "items"), "support_request": _ids(request_ids, "requests")}
    for kind, field_name in (("item", "items"), ("support_request", "requests")):
        missing = set(records_given[kind]) - _existing(kind, records_given[kind])
        if missing:
            raise LetterRefused(_("No such record: %(numbers)s.",
                                  numbers=", ".join(f"#{n}" for n in sorted(missing))), field_name)
    if db.scalar(select(ServiceStar.id).where(ServiceStar.user_id == user.id, ServiceStar.year == year)):
        raise LetterRefused(_("%(name)s is already a service star of %(year)s.",
                              name=user.name, year=year), "user_id")
    with unit_of_work():
        star = ServiceStar(user_id=user.id, year=year, citation=citation, nominated_by_id=actor.id)
        star.records = [ServiceStarRecord(record_kind=k, record_id=i)
                        for k, ids in records_given.items() for i in ids]
        db.add(star)
        db.flush()
        audit.record(actor, "star.nominate", "service_star", star.id, None,
                     {"user_id": user.id, "year": year, "citation": citation,
                      "items": records_given["item"], "requests": records_given["support_request"]})
    return star


def stars_of(year: int) -> list[ServiceStar]:
    """The year's stars, the newest first (at most STARS_SHOWN; two statements)."""
    return list(db.scalars(
        select(ServiceStar).where(ServiceStar.year == year)
        .options(joinedload(ServiceStar.user), selectinload(ServiceStar.records))
        .order_by(ServiceStar.id.desc()).limit(STARS_SHOWN)).unique())


# ---------------------------------------------------------------------------------------------
# Classic cases


def _closed_record(kind: str, record_id: int | None):
    """(title, unit id, commitment, year closed) of a closed record; refused otherwise."""
    if record_id is None:
        raise LetterRefused(_("Please give the record's number."), "record_id")
    if kind == "item":
        item = db.get(ImprovementItem, record_id)
        if item is None:
            raise LetterRefused(_("No such record: %(numbers)s.", numbers=f"#{record_id}"), "record_id")
        if item.status not in portal_domain.ITEM_OUTCOME_STATUSES or item.closed_at is None:
            raise LetterRefused(_("Only a closed record (an item done or verified, a support "
                                  "request closed) can be a classic case."), "record_id")
        closed = item.closed_at.astimezone(portal_domain.SHANGHAI)
        return item.title, item.department_id, item.commitment, closed.year
    model = _support_request_model()
    request = db.get(model, record_id) if model is not None else None
    if request is None:
        raise LetterRefused(_("No such record: %(numbers)s.", numbers=f"#{record_id}"), "record_id")
    closed_at = getattr(request, "closed_at", None)
    if getattr(request, "status", None) != "closed" or closed_at is None:
        raise LetterRefused(_("Only a closed record (an item done or verified, a support "
                              "request closed) can be a classic case."), "record_id")
    title = getattr(request, "title", None) or _("Support request #%(number)s", number=record_id)
    return (title[:TITLE_MAX], getattr(request, "department_id", None),
            getattr(request, "commitment", None), closed_at.astimezone(portal_domain.SHANGHAI).year)


def mark_case(actor, kind: str, record_id: int | None, lesson: str) -> ClassicCase:
    """Keep a closed item or support request as a classic case with its lesson."""
    if kind not in domain.RECORD_KINDS:
        raise LetterRefused(_("Please choose what kind of record it is."), "record_kind")
    lesson = clean_text(lesson or "").strip()
    if not lesson:
        raise LetterRefused(_("Please write the lesson: what others can learn from it."), "lesson")
    if len(lesson) > TEXT_MAX:
        raise LetterRefused(_("Please use at most %(max)s characters.", max=TEXT_MAX), "lesson")
    title, unit_id, commitment, year = _closed_record(kind, record_id)
    if db.scalar(select(ClassicCase.id).where(ClassicCase.record_kind == kind,
                                              ClassicCase.record_id == record_id)):
        raise LetterRefused(_("This record is already a classic case."), "record_id")
    with unit_of_work():
        case = ClassicCase(record_kind=kind, record_id=record_id, title=title, unit_id=unit_id,
                           commitment=commitment, year=year, lesson=lesson, marked_by_id=actor.id)
        db.add(case)
        db.flush()
        audit.record(actor, "case.mark", "classic_case", case.id, None,
                     {"record_kind": kind, "record_id": record_id, "lesson": lesson})
    return case


def remove_case(actor, case_id: int) -> None:
    case = db.get(ClassicCase, case_id)
    if case is None:
        raise LetterRefused(_("This classic case no longer exists."))
    with unit_of_work():
        audit.record(actor, "case.remove", "classic_case", case.id,
                     {"record_kind": case.record_kind, "record_id": case.record_id,
                      "lesson": case.lesson}, None)
        db.delete(case)


@dataclass
class CaseFilters:
    commitment: str | None = None
    unit_id: int | None = None
    year: int | None = None

    def to_args(self) -> dict[str, Any]:
        return {k: v for k, v in (("commitment", self.commitment), ("unit_id", self.unit_id),
                                  ("year", self.year)) if v not in (None, "")}


@dataclass
class CasePage:
    cases: list[ClassicCase]
    newer: int | None = None
    older: int | None = None


def case_page(filters: CaseFilters, before: int | None = None, after: int | None = None,
              per_page: int = CASES_PER_PAGE) -> CasePage:
    """One page of the library, newest first by keyset on the id (no OFFSET): one statement."""
    stmt = select(ClassicCase).options(joinedload(ClassicCase.unit))
    if filters.commitment:
        stmt = stmt.where(ClassicCase.commitment == filters.commitment)
    if filters.unit_id:
        stmt = stmt.where(ClassicCase.unit_id == filters.unit_id)
    if filters.year:
        stmt = stmt.where(ClassicCase.year == filters.year)
    if after is not None:
        rows = list(db.scalars(stmt.where(ClassicCase.id > after)
                               .order_by(ClassicCase.id.asc()).limit(per_page + 1)))
        more = len(rows) > per_page
        rows = list(reversed(rows[:per_page]))
        return CasePage(rows, newer=rows[0].id if more and rows else None,
                        older=rows[-1].id if rows else after + 1)
    if before is not None:
        stmt = stmt.where(ClassicCase.id < before)
    rows = list(db.scalars(stmt.order_by(ClassicCase.id.desc()).limit(per_page + 1)))
    more = len(rows) > per_page
    rows = rows[:per_page]
    page = CasePage(rows, older=rows[-1].id if more else None)
    if before is not None:
        page.newer = rows[0].id if rows else before - 1
    return page


def case_years() -> list[int]:
    """The years that have classic cases (the library's filter), one statement."""
    return list(db.scalars(select(ClassicCase.year).distinct().order_by(ClassicCase.year.desc())))


def count_cases() -> int:
    return db.scalar(select(func.count()).select_from(ClassicCase)) or 0
