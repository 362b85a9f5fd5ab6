"""The numbers behind the dashboards. Every figure is one SQL aggregate (GROUP BY), so each page
issues a fixed number of queries whatever the amount of data.

Rules:
- Days are Shanghai days: a submission made at 23:30 UTC on 1 May counts for 2 May.
- New submissions per day and the district x commitment table read the day aggregates of
  dashboards/models.py (kept by database triggers), never the submissions themselves: a view
  sums at most a few rows per day of its window, however many submissions there are.
- The office dashboard is for `dashboard.view`; "what changed" is for everyone signed in and
  shows only verified items, with no person's name or text.
- Reading only: nothing here writes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import and_, case, func, select

from portal import domain
from portal.dashboards.models import GapReportDay, SubmissionDay
from portal.db import db
from portal.improvements.models import Department, ImprovementItem
from portal.index import services as index_services
from portal.pagination import Page, paginate
from portal.triage.models import submission_items

SUBMISSION_DAYS = 30
# How many of the district x commitment cells are highlighted as the biggest.
TOP_CELLS = 3


def _as_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


# --- new submissions per day ------------------------------------------------------------------


@dataclass
class DayCount:
    day: date
    count: int


def submissions_per_day(today: date | None = None, days: int = SUBMISSION_DAYS) -> list[DayCount]:
    """New submissions on each of the last `days` Shanghai days (oldest first), zero days included."""
    today = today or domain.shanghai_today()
    first = today - timedelta(days=days - 1)
    rows = db.execute(
        select(SubmissionDay.day, func.sum(SubmissionDay.count))
        .where(SubmissionDay.day.between(first, today))
        .group_by(SubmissionDay.day)
    ).all()
    counts = {_as_date(d): n for d, n in rows}
    return [DayCount(first + timedelta(days=i), counts.get(first + timedelta(days=i), 0))
            for i in range(days)]


# --- improvement items by department ------------------------------------------------------------


@dataclass
class DepartmentLoad:
    department_id: int | None
    name: str | None  # None: items no department owns yet
    open: int
    overdue: int


def items_by_department(today: date | None = None) -> list[DepartmentLoad]:
    """Open and overdue improvement items per department, the most overdue first."""
    today = today or domain.shanghai_today()
    is_open = ImprovementItem.status.not_in(domain.ITEM_CLOSED_STATUSES)
    overdue = func.sum(case((and_(ImprovementItem.due_on.is_not(None),
                                  ImprovementItem.due_on < today), 1), else_=0))
    # Grouped by the department alone, in its index's order, and named afterwards: grouping by
    # the name too sorted every open item.
    loads = (select(ImprovementItem.department_id, func.count().label("open"), overdue.label("late"))
             .where(is_open).group_by(ImprovementItem.department_id).subquery())
    rows = db.execute(
        select(loads.c.department_id, Department.name, loads.c.open, loads.c.late)
        .outerjoin(Department, Department.id == loads.c.department_id)
    ).all()
    loads = [DepartmentLoad(dep_id, name, int(n), int(late or 0)) for dep_id, name, n, late in rows]
    loads.sort(key=lambda r: (-r.overdue, -r.open, r.name is None, (r.name or "").lower()))
    return loads


# --- gap reports: district x commitment --------------------------------------------------------


@dataclass
class GapMatrix:
    first: date
    last: date
    cells: dict[tuple[str, str], int] = field(default_factory=dict)
    top: set[tuple[str, str]] = field(default_factory=set)

    def count(self, district: str, commitment: str) -> int:
        return self.cells.get((district, commitment), 0)

    def district_total(self, district: str) -> int:
        return sum(n for (d, _c), n in self.cells.items() if d == district)

    def commitment_total(self, commitment: str) -> int:
        return sum(n for (_d, c), n in self.cells.items() if c == commitment)

    @property
    def total(self) -> int:
        return sum(self.cells.values())

    def top_cells(self) -> list[tuple[str, str, int]]:
        """The highlighted cells, biggest first, in the vocabularies' order on ties."""
        order_d = list(domain.DISTRICTS)
        order_c = list(domain.COMMITMENTS)
        return sorted(
            ((d, c, self.cells[(d, c)]) for d, c in self.top),
            key=lambda t: (-t[2], order_d.index(t[0]), order_c.index(t[1])),
        )


def gap_matrix(days: int, today: date | None = None) -> GapMatrix:
    """Service-gap reports made in the last `days` Shanghai days, by district and commitment area.
    The highlighted cells are the TOP_CELLS biggest (and any cell tied with the last of them)."""
    today = today or domain.shanghai_today()
    first = today - timedelta(days=days - 1)
    rows = db.execute(
        select(GapReportDay.district, GapReportDay.commitment, func.sum(GapReportDay.count))
        # The cells by name: a range of days per cell in the covering index, no sort.
        .where(GapReportDay.district.in_(list(domain.DISTRICTS)),
               GapReportDay.commitment.in_(list(domain.COMMITMENTS)),
               GapReportDay.day.between(first, today))
        .group_by(GapReportDay.district, GapReportDay.commitment)
    ).all()
    matrix = GapMatrix(first=first, last=today)
    for district, commitment, n in rows:
        if district in domain.DISTRICTS and commitment in domain.COMMITMENTS:
            matrix.cells[(district, commitment)] = int(n)
    counts = sorted((n for n in matrix.cells.values() if n > 0), reverse=True)
    if counts:
        threshold = counts[min(TOP_CELLS, len(counts)) - 1]
        matrix.top = {key for key, n in matrix.cells.items() if n >= threshold}
    return matrix


# --- the latest index ---------------------------------------------------------------------------


def latest_index():
    """The latest service competitiveness index (portal.index.services.IndexResult: label, value,
    components), or None when no index has been computed yet."""
    return index_services.latest_index()


def index_components() -> dict:
    """The index components' labels by code."""
    return index_services.COMPONENTS


# --- the office dashboard as a whole -----------------------------------------------------------


@dataclass
class OfficeOverview:
    per_day: list[DayCount]
    departments: list[DepartmentLoad]
    matrix: GapMatrix
    index: object | None
    index_components: dict

    @property
    def per_day_total(self) -> int:
        return sum(d.count for d in self.per_day)


def office_overview(window: int) -> OfficeOverview:
    """Everything the office dashboard shows, gap reports over the last `window` days."""
    return OfficeOverview(
        per_day=submissions_per_day(), departments=items_by_department(), matrix=gap_matrix(window),
        index=latest_index(), index_components=index_components(),
    )


# --- what changed thanks to the panel -----------------------------------------------------------


@dataclass
class Change:
    """What members may see of a verified improvement item: no person's name or text."""

    id: int
    title: str
    commitment: str | None
    department: str | None
    resolution_note: str
    closed_on: datetime | None
    submissions: int


def changes_page(per_page: int = 20) -> Page:
    """Verified improvement items, newest first, with the number of member submissions behind
    each. Two queries per page."""
    linked = (
        select(func.count()).select_from(submission_items)
        .where(submission_items.c.item_id == ImprovementItem.id)
        .scalar_subquery()
    )
    closed = func.coalesce(ImprovementItem.closed_at, ImprovementItem.updated_at)
    stmt = (
        select(ImprovementItem.id, ImprovementItem.title, ImprovementItem.commitment,
               Department.name, ImprovementItem.resolution_note, closed, linked)
        .outerjoin(Department, Department.id == ImprovementItem.department_id)
        .where(ImprovementItem.status == "verified")
        .order_by(closed.desc(), ImprovementItem.id.desc())
    )
    page = paginate(stmt, per_page=per_page, scalars=False)
    page.items = [
        Change(id=r[0], title=r[1], commitment=r[2], department=r[3], resolution_note=r[4] or "",
               closed_on=_aware(r[5]), submissions=int(r[6] or 0))
        for r in page.items
    ]
    return page


def _aware(value) -> datetime | None:
    """coalesce() loses the column type on SQLite: bring the value back to an aware UTC datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value
