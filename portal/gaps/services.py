"""Service-gap reports: filing one with its photos, the member's and the service office's lists.

Rules:
- A report and its photos are saved in one transaction: a refused photo saves nothing.
- When it happened is typed in Shanghai time and stored in UTC; it may not lie in the future
  nor more than MAX_AGE_DAYS back.
- A member sees only their own reports and photos (others: None, the view answers 404).
  Every report, its photos and the member's contact are shown to staff holding
  `gaps.view_all` only (`get_report` and `get_photo` decide, for every page).
- Lists issue a fixed number of queries: photo counts come from a subquery, never the bytes.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import Select, false, func, select
from sqlalchemy.orm import joinedload, selectinload, undefer

from portal import domain, permissions, search, signals, similarity
from portal.accounts.models import User
from portal.db import db, unit_of_work, utcnow
from portal.errors import Refused
from portal.gaps.models import GapPhoto, ServiceGapReport
from portal.gaps.photos import CheckedPhoto
from portal.improvements.models import ImprovementItem
from portal.pagination import Page, paginate
from portal.text import clean_text

MAX_AGE_DAYS = 365
MEMBER_PER_PAGE = 20
STAFF_PER_PAGE = 25


class ReportRefused(Refused):
    """The report cannot be saved; str(exc) says why, in the member's language."""


@dataclass
class ReportRow:
    report: ServiceGapReport
    photo_count: int


# ---------------------------------------------------------------------------------------------
# When it happened


def shanghai_to_utc(day: date, at: time) -> datetime:
    """A wall-clock moment in Shanghai as an aware UTC datetime."""
    return datetime.combine(day, at.replace(second=0, microsecond=0), tzinfo=domain.SHANGHAI) \
        .astimezone(UTC)


def occurred_at_problem(moment: datetime, now: datetime | None = None) -> str | None:
    """Why `moment` cannot be when a gap happened, or None when it can."""
    now = now or utcnow()
    if moment > now:
        return _("The time it happened cannot be in the future.")
    if moment < now - timedelta(days=MAX_AGE_DAYS):
        return _("Please report gaps from the last %(days)s days only.", days=MAX_AGE_DAYS)
    return None


# ---------------------------------------------------------------------------------------------
# Filing a report


def create_report(member: User, *, channel: str, commitment: str, district: str, place: str,
                  occurred_at: datetime, severity: int, title: str, description: str,
                  photos: list[CheckedPhoto], joins_item_id: int | None = None) -> ServiceGapReport:
    """Save the report and its photos together, or nothing at all. `joins_item_id`: the open
    improvement item the member said "This is my problem too" on; the report arrives linked
    to it (triage links it, see `signals.submission_received`)."""
    if joins_item_id is not None and open_item(joins_item_id) is None:
        raise ReportRefused(_("That improvement item is no longer open: please send your report "
                              "without it."))
    if channel not in domain.CHANNELS or commitment not in domain.COMMITMENTS \
            or district not in domain.DISTRICTS or severity not in domain.SEVERITIES:
        raise ReportRefused(_("The report has a value that is not allowed."))
    problem = occurred_at_problem(occurred_at)
    if problem:
        raise ReportRefused(problem, field="occurred_time")
    with unit_of_work():
        report = ServiceGapReport(
            member_id=member.id, channel=channel, commitment=commitment, district=district,
            place=clean_text(place), occurred_at=occurred_at, severity=severity,
            title=clean_text(title), description=clean_text(description), status="new",
        )
        report.photos = [
            GapPhoto(filename=p.filename, content_type=p.content_type, size=p.size,
                     width=p.width, height=p.height, data=p.data)
            for p in photos
        ]
        db.add(report)
        signals.submission_received.send(report, joins_item_id=joins_item_id)
    return report


# ---------------------------------------------------------------------------------------------
# "Already being handled": open improvement items like the report being written


SUGGESTIONS_MAX = 3


@dataclass
class Suggestion:
    """What a member sees of an improvement item like theirs: its title and status, never
    another member's report."""

    id: int
    title: str
    status: str
    score: int


def open_item(item_id: int) -> ImprovementItem | None:
    item = db.get(ImprovementItem, item_id)
    return item if item is not None and item.status not in domain.ITEM_CLOSED_STATUSES else None


def suggestions(title: str | None, description: str | None, commitment: str | None) -> list[Suggestion]:
    """Open improvement items most like the report being written, once its title and
    commitment are given (else none)."""
    if not (title or "").strip() or commitment not in domain.COMMITMENTS:
        return []
    query = similarity.Query.of(clean_text(title), clean_text(description or ""), commitment)
    found = similarity.similar_rows(
        ImprovementItem, query, limit=SUGGESTIONS_MAX,
        where=[ImprovementItem.status.not_in(domain.ITEM_CLOSED_STATUSES)],
    )
    return [Suggestion(item.id, item.title, item.status, score) for item, score in found]


# ---------------------------------------------------------------------------------------------
# Reading


def _photo_count():
    return (
        select(func.count(GapPhoto.id))
        .where(GapPhoto.report_id == ServiceGapReport.id)
        .correlate(ServiceGapReport)
        .scalar_subquery()
        .label("photo_count")
    )


def _rows(stmt: Select, per_page: int) -> Page:
    page = paginate(stmt, per_page=per_page, scalars=False)
    page.items = [ReportRow(report=row[0], photo_count=row[1] or 0) for row in page.items]
    return page


def member_reports(member: User) -> Page:
    """The member's own reports, newest first, with their photo counts."""
    stmt = (
        select(ServiceGapReport, _photo_count())
        .where(ServiceGapReport.member_id == member.id)
        .order_by(ServiceGapReport.created_at.desc(), ServiceGapReport.id.desc())
    )
    return _rows(stmt, MEMBER_PER_PAGE)


def _reachable(viewer: User):
    """SQL condition on ServiceGapReport of the reports `viewer` may open; None: all of them."""
    if permissions.can("gaps.view_all", viewer):
        return None
    if permissions.is_member(viewer):
        return ServiceGapReport.member_id == viewer.id
    return false()


def get_report(viewer: User, report_id: int) -> ServiceGapReport | None:
    """The report with the member who filed it and its photos (without their bytes), when
    `viewer` may open it (their own, or any with `gaps.view_all`); else None."""
    stmt = (
        select(ServiceGapReport)
        .where(ServiceGapReport.id == report_id)
        .options(joinedload(ServiceGapReport.member), selectinload(ServiceGapReport.photos))
    )
    reachable = _reachable(viewer)
    if reachable is not None:
        stmt = stmt.where(reachable)
    return db.scalar(stmt)


def get_photo(viewer: User, report_id: int, photo_id: int) -> GapPhoto | None:
    """The photo with its bytes when it belongs to that report and `viewer` may open the
    report, else None."""
    stmt = (
        select(GapPhoto)
        .join(ServiceGapReport, GapPhoto.report_id == ServiceGapReport.id)
        .where(GapPhoto.id == photo_id, GapPhoto.report_id == report_id)
        .options(undefer(GapPhoto.data))
    )
    reachable = _reachable(viewer)
    if reachable is not None:
        stmt = stmt.where(reachable)
    return db.scalar(stmt)


def staff_reports(channel: str | None = None, commitment: str | None = None,
                  district: str | None = None, severity: str | int | None = None,
                  status: str | None = None, q: str | None = None) -> Page:
    """Every member's reports for the service office, filtered, newest first. The values are
    the filter form's, already checked against their vocabularies."""
    stmt = (
        select(ServiceGapReport, _photo_count())
        .options(joinedload(ServiceGapReport.member))
        .order_by(ServiceGapReport.created_at.desc(), ServiceGapReport.id.desc())
    )
    if channel:
        stmt = stmt.where(ServiceGapReport.channel == channel)
    if commitment:
        stmt = stmt.where(ServiceGapReport.commitment == commitment)
    if district:
        stmt = stmt.where(ServiceGapReport.district == district)
    if severity:
        stmt = stmt.where(ServiceGapReport.severity == int(severity))
    if status:
        stmt = stmt.where(ServiceGapReport.status == status)
    if q:
        stmt = stmt.where(search.matches(ServiceGapReport, q))
    return _rows(stmt, STAFF_PER_PAGE)
