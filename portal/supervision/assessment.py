"""The hotline's assessment: per department and per district branch, for a month or a quarter.

For each unit: requests received (departments) or filed (branches), the median first-response
time and resolution time in working hours (stored on the request when it happened), the share
accepted within the response time, the share of answered requests sent back at least once, and
the district's average rating. The supervision office sees every unit; anyone else their own.

Two statements whatever the volume: the period's requests read through the filed_at indexes
(only the numbers, no text), and the units' names.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select

from portal import permissions
from portal.db import db
from portal.domain import SHANGHAI, shanghai_today
from portal.improvements.models import Department
from portal.supervision.domain import median
from portal.supervision.models import SupportRequest


@dataclass
class Period:
    kind: str  # 'month' or 'quarter'
    start: date

    @classmethod
    def from_args(cls, args) -> Period:
        kind = args.get("kind") if args.get("kind") in ("month", "quarter") else "month"
        start = _month(args.get("start")) or shanghai_today().replace(day=1)
        if kind == "quarter":
            start = start.replace(month=(start.month - 1) // 3 * 3 + 1)
        return cls(kind, start)

    @property
    def end(self) -> date:
        months = 3 if self.kind == "quarter" else 1
        month = self.start.month - 1 + months
        return date(self.start.year + month // 12, month % 12 + 1, 1)

    @property
    def label(self) -> str:
        if self.kind == "quarter":
            return f"{self.start.year} Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start:%Y-%m}"

    def bounds(self) -> tuple[datetime, datetime]:
        return (datetime.combine(self.start, datetime.min.time(), tzinfo=SHANGHAI),
                datetime.combine(self.end, datetime.min.time(), tzinfo=SHANGHAI))


def _month(text: str | None) -> date | None:
    try:
        year, month = (int(p) for p in (text or "").split("-"))
        return date(year, month, 1) if 2000 <= year <= 2100 else None
    except ValueError:
        return None


@dataclass
class Figures:
    unit: Department
    count: int = 0
    response: list = field(default_factory=list)
    resolution: list = field(default_factory=list)
    in_time: int = 0
    accepted: int = 0
    answered: int = 0
    sent_back: int = 0
    ratings: list = field(default_factory=list)

    @property
    def median_response_hours(self):
        m = median(self.response)
        return None if m is None else round(m / 60, 1)

    @property
    def median_resolution_hours(self):
        m = median(self.resolution)
        return None if m is None else round(m / 60, 1)

    @property
    def in_time_share(self):
        return None if not self.accepted else round(100 * self.in_time / self.accepted)

    @property
    def sent_back_share(self):
        return None if not self.answered else round(100 * self.sent_back / self.answered)

    @property
    def average_rating(self):
        return None if not self.ratings else round(sum(self.ratings) / len(self.ratings), 1)

    def add(self, row) -> None:
        self.count += 1
        if row.response_minutes is not None:
            self.response.append(row.response_minutes)
            self.accepted += 1
            self.in_time += 1 if row.responded_in_time else 0
        if row.resolution_minutes is not None:
            self.resolution.append(row.resolution_minutes)
        if row.status in ("answered", "confirmed", "closed") or row.send_backs:
            self.answered += 1
            self.sent_back += 1 if row.send_backs else 0
        if row.rating is not None:
            self.ratings.append(row.rating)


@dataclass
class Assessment:
    departments: list[Figures]
    branches: list[Figures]


def assess(viewer, period: Period) -> Assessment:
    start, end = period.bounds()
    stmt = select(SupportRequest.department_id, SupportRequest.branch_id, SupportRequest.status,
                  SupportRequest.response_minutes, SupportRequest.resolution_minutes,
                  SupportRequest.responded_in_time, SupportRequest.send_backs, SupportRequest.rating
                  ).where(SupportRequest.filed_at >= start, SupportRequest.filed_at < end)
    scope = permissions.support_request_scope(viewer)
    if scope is not None:
        stmt = stmt.where(scope)
    rows = db.execute(stmt).all()
    by_department: dict[int, list] = defaultdict(list)
    by_branch: dict[int, list] = defaultdict(list)
    for row in rows:
        if row.department_id is not None:
            by_department[row.department_id].append(row)
        by_branch[row.branch_id].append(row)
    units = {u.id: u for u in db.scalars(select(Department))}  # a few dozen units
    # None: every unit (the supervision office); else the viewer's unit and those they serve
    mine = None if permissions.supervises_hotline(viewer) else {
        u.id for u in units.values()
        if u.id == getattr(viewer, "unit_id", None) or viewer.id in (u.a_contact_id, u.b_contact_id)}

    def figures(kind: str, grouped: dict[int, list]) -> list[Figures]:
        shown = []
        for unit in sorted(units.values(), key=lambda u: (u.district or "", u.name)):
            if unit.kind != kind or (mine is not None and unit.id not in mine):
                continue
            f = Figures(unit)
            for row in grouped.get(unit.id, []):
                f.add(row)
            shown.append(f)
        return shown

    return Assessment(figures("department", by_department), figures("district_branch", by_branch))
