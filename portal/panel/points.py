"""Recognition: the points rules an administrator sets, a member's points and their history, and
the yearly summary a member may print.

Rules:
- A rule gives the points one completed activity of a kind earns; changing it is audited (one
  entry with the old and new points of every kind changed) and applies from then on.
- A member sees only their own points. Totals and the yearly summary are aggregates over the
  member's ledger rows (ix_points_ledger_member_earned): a fixed number of statements.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select

from portal import domain
from portal.audit import services as audit
from portal.db import db, unit_of_work, utcnow
from portal.errors import Refused
from portal.panel.activity import ACTIVITY_KINDS
from portal.panel.models import PointsEntry, PointsRule
from portal.trials.models import Evaluation, Trial

RULES_OBJECT = "points_rules"
RULES_OBJECT_ID = 0   # the one table of rules, as an audited object
MAX_POINTS = 1000
HISTORY_PER_PAGE = 25


def rules() -> dict[str, int]:
    """The points of each activity kind (0 where no rule is set)."""
    saved = dict(db.execute(select(PointsRule.kind, PointsRule.points)).all())
    return {kind: saved.get(kind, 0) for kind in ACTIVITY_KINDS}


def save_rules(values: dict[str, int], actor) -> bool:
    """Set the points of each kind; returns whether anything changed (audited when it did)."""
    for kind, points in values.items():
        if kind not in ACTIVITY_KINDS:
            raise Refused(_("Unknown activity."))
        if points is None or not 0 <= points <= MAX_POINTS:
            raise Refused(_("Please give a whole number from 0 to %(max)s.", max=MAX_POINTS), field=kind)
    with unit_of_work():
        saved = {r.kind: r for r in db.scalars(select(PointsRule).with_for_update())}
        before = {kind: (saved[kind].points if kind in saved else 0) for kind in values}
        if before == values:
            return False
        now = utcnow()
        for kind, points in values.items():
            rule = saved.get(kind) or PointsRule(kind=kind)
            if rule.points != points or kind not in saved:
                rule.points, rule.updated_at, rule.updated_by_id = points, now, actor.id
                db.add(rule)
        audit.record(actor, "points.update", RULES_OBJECT, RULES_OBJECT_ID, before=before, after=values)
    return True


# --- a member's points -----------------------------------------------------------------------------


def points_total(member_id: int):
    """A scalar subquery: the member's points in all (the member home adds it to its counts)."""
    return (select(func.coalesce(func.sum(PointsEntry.points), 0))
            .where(PointsEntry.member_id == member_id).scalar_subquery())


def total(member_id: int) -> int:
    return db.scalar(select(points_total(member_id))) or 0


@dataclass
class HistoryPage:
    entries: list[PointsEntry]
    older: str | None     # cursor of the next (older) page
    first: bool


def _cursor(entry: PointsEntry) -> str:
    return f"{int(entry.earned_at.timestamp() * 1_000_000)}-{entry.id}"


def history_page(member_id: int, cursor: str | None = None,
                 per_page: int = HISTORY_PER_PAGE) -> HistoryPage:
    """The member's ledger, newest first, by keyset on (earned_at, id): one statement."""
    from portal.panel.services import parse_cursor

    stmt = select(PointsEntry).where(PointsEntry.member_id == member_id)
    position = parse_cursor(cursor)
    if position is not None:
        at, entry_id = position
        stmt = stmt.where(or_(PointsEntry.earned_at < at,
                              and_(PointsEntry.earned_at == at, PointsEntry.id < entry_id)))
    rows = list(db.scalars(stmt.order_by(PointsEntry.earned_at.desc(), PointsEntry.id.desc())
                           .limit(per_page + 1)))
    more = len(rows) > per_page
    rows = rows[:per_page]
    return HistoryPage(rows, _cursor(rows[-1]) if more else None, position is None)


# --- the yearly summary ----------------------------------------------------------------------------


@dataclass
class YearSummary:
    year: int
    counts: dict[str, int] = field(default_factory=dict)
    points: dict[str, int] = field(default_factory=dict)
    trials: list[str] = field(default_factory=list)

    @property
    def total_points(self) -> int:
        return sum(self.points.values())

    @property
    def total_activities(self) -> int:
        return sum(self.counts.values())


def year_bounds(year: int) -> tuple[datetime, datetime]:
    return domain.shanghai_midnight(date(year, 1, 1)), domain.shanghai_midnight(date(year + 1, 1, 1))


def year_summary(member_id: int, year: int) -> YearSummary:
    """Activities and points by kind in a (Shanghai) year, and the trials the member evaluated
    that year: two statements."""
    start, end = year_bounds(year)
    rows = db.execute(
        select(PointsEntry.kind, func.count(), func.coalesce(func.sum(PointsEntry.points), 0))
        .where(PointsEntry.member_id == member_id, PointsEntry.earned_at >= start,
               PointsEntry.earned_at < end)
        .group_by(PointsEntry.kind)
    ).all()
    trials = list(db.scalars(
        select(Trial.title).join(Evaluation, Evaluation.trial_id == Trial.id)
        .join(PointsEntry, and_(PointsEntry.kind == "evaluation", PointsEntry.source_id == Evaluation.id))
        .where(PointsEntry.member_id == member_id, PointsEntry.earned_at >= start,
               PointsEntry.earned_at < end)
        .order_by(PointsEntry.earned_at, Trial.id)
    ))
    summary = YearSummary(year, trials=trials)
    found = {kind: (n, points) for kind, n, points in rows}
    for kind in ACTIVITY_KINDS:
        n, points = found.get(kind, (0, 0))
        summary.counts[kind], summary.points[kind] = n, points
    return summary


def first_year(member_id: int) -> int | None:
    """The Shanghai year of the member's first activity (None without any)."""
    first = db.scalar(select(func.min(PointsEntry.earned_at)).where(PointsEntry.member_id == member_id))
    if first is None:
        return None
    if not isinstance(first, datetime):
        first = datetime.fromisoformat(str(first))
    if first.tzinfo is None:
        first = first.replace(tzinfo=domain.SHANGHAI).astimezone(domain.SHANGHAI)
    return first.astimezone(domain.SHANGHAI).year
