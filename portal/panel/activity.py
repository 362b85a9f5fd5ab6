"""Completed activities: recording them (ledger, points, summaries), a member's participation,
and the backfill of what happened before the ledger existed.

Rules:
- An activity is recorded once per source row (`points_ledger` is unique on kind and source):
  the signal receivers (receivers.py) call `record` when a member submits an evaluation, gives an
  opinion or files a gap report; re-submitting or editing records nothing new.
- The points are the rule's at the moment of the activity (`PointsRule`); no rule means 0.
- `record` also keeps `member_activity` (last activity) and `member_active_months` up to date,
  in the sender's unit of work: they commit or roll back with the submission.
- Participation looks back `PARTICIPATION_MONTHS` months: activities done against invitations
  received (trial invitations and consultations the member was told of).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from portal import domain
from portal.db import db, unit_of_work, utcnow
from portal.panel.models import ActiveMonth, MemberActivity, PointsEntry, PointsRule
from portal.trials.models import TrialInvitation

# The activities that count, in the order they are shown. "fix_confirmed": a member answered
# whether an improvement fixed their problem (`confirmed_fixes`).
ACTIVITY_KINDS = {
    "evaluation": _l("Evaluations submitted"),
    "opinion": _l("Opinions given"),
    "gap_report": _l("Service-gap reports filed"),
    "fix_confirmed": _l("Fixes confirmed"),
}
# One ledger row, as a member's points history names it.
ACTIVITY_ONE = {
    "evaluation": _l("Evaluation submitted"),
    "opinion": _l("Opinion given"),
    "gap_report": _l("Service-gap report filed"),
    "fix_confirmed": _l("Fix confirmed"),
}
PARTICIPATION_MONTHS = 6
PARTICIPATION_DAYS = 183  # about six months


def month_of(moment: datetime) -> date:
    """The first day of the Shanghai month of `moment`."""
    return moment.astimezone(domain.SHANGHAI).date().replace(day=1)


# ---------------------------------------------------------------------------------------------
# Recording


def _points_for(kind: str) -> int:
    return db.scalar(select(PointsRule.points).where(PointsRule.kind == kind)) or 0


def record(kind: str, source_id: int, member_id: int, at: datetime | None = None) -> bool:
    """Record a completed activity (no commit: the caller's unit of work commits). Returns False
    when this source was recorded before (nothing changes then)."""
    if kind not in ACTIVITY_KINDS:
        raise ValueError(f"unknown activity kind {kind!r}")
    at = at or utcnow()
    db.flush()  # the caller's own changes first: an error of theirs is not taken for a duplicate
    seen = select(PointsEntry.id).where(PointsEntry.kind == kind, PointsEntry.source_id == source_id)
    if db.scalar(seen) is not None:
        return False
    try:
        with db.begin_nested():  # another request recorded it meanwhile: the unique key says so
            db.execute(insert(PointsEntry).values(member_id=member_id, kind=kind, source_id=source_id,
                                                  points=_points_for(kind), earned_at=at))
    except IntegrityError:
        return False
    _touch(member_id, at)
    return True


def _touch(member_id: int, at: datetime) -> None:
    """The member's last activity and active month (a later activity already there wins)."""
    moved = db.execute(
        update(MemberActivity)
        .where(MemberActivity.member_id == member_id,
               or_(MemberActivity.last_activity_at.is_(None), MemberActivity.last_activity_at < at))
        .values(last_activity_at=at, quiet_since=at)
    ).rowcount
    if not moved and db.get(MemberActivity, member_id) is None:  # an account from before 0020
        db.add(MemberActivity(member_id=member_id, last_activity_at=at, quiet_since=at))
    month = month_of(at)
    if db.get(ActiveMonth, (month, member_id)) is None:
        db.add(ActiveMonth(month=month, member_id=member_id))
    db.flush()


# ---------------------------------------------------------------------------------------------
# Participation


@dataclass
class Participation:
    since: date
    counts: dict[str, int] = field(default_factory=dict)   # activity kind -> how many
    invitations: int = 0
    last_activity_at: datetime | None = None

    @property
    def done(self) -> int:
        return sum(self.counts.values())

    @property
    def rate(self) -> float | None:
        """Activities per invitation received (None without invitations)."""
        return self.done / self.invitations if self.invitations else None


def trial_invitations_since(member_id: int, since: datetime):
    """A scalar subquery: the trial invitations `member_id` received since `since` (the trials
    area's samples; ix_trial_invitations_member_invited). Consultations count apart, by their
    notices."""
    return (select(func.count()).select_from(TrialInvitation)
            .where(TrialInvitation.member_id == member_id, TrialInvitation.invited_at >= since)
            .scalar_subquery())


def _consultations_told_since(member_id: int, since: datetime):
    """The consultations `member_id` was told of (every active member is, once, on publication)
    since `since`: their notices, read by ix_notifications_user_created."""
    from portal.notifications.models import Notification

    return (select(func.count()).select_from(Notification)
            .where(Notification.user_id == member_id, Notification.created_at >= since,
                   Notification.kind == "consultation_open")
            .scalar_subquery())


def participation(member_id: int, now: datetime | None = None) -> Participation:
    """What the member did in the last six months against what they were invited to, and their
    last activity. Two statements, both by member and date on indexes."""
    now = now or utcnow()
    since = now - timedelta(days=PARTICIPATION_DAYS)
    counts = dict(db.execute(
        select(PointsEntry.kind, func.count())
        .where(PointsEntry.member_id == member_id, PointsEntry.earned_at >= since)
        .group_by(PointsEntry.kind)
    ).all())
    last, trials, consultations = db.execute(select(
        select(MemberActivity.last_activity_at).where(MemberActivity.member_id == member_id)
        .scalar_subquery(),
        trial_invitations_since(member_id, since),
        _consultations_told_since(member_id, since),
    )).one()
    return Participation(
        since=since.astimezone(domain.SHANGHAI).date(),
        counts={kind: counts.get(kind, 0) for kind in ACTIVITY_KINDS},
        invitations=(trials or 0) + (consultations or 0), last_activity_at=last,
    )


# ---------------------------------------------------------------------------------------------
# Backfill: what happened before the ledger (or while its receivers were not connected)


def confirmed_fixes() -> Iterable[tuple[int, int, datetime]]:
    """The "fix confirmed" activities: (answer id, member id, when first answered) of every
    member's answer to "Is it fixed for you?" (portal.improvements.confirmations, whose answers
    record it as they come through `signals.fix_answered`)."""
    from portal.improvements.confirmations import answered_fixes

    return answered_fixes()


def _sources():
    """(kind, statement of (source id, member id, when)) for every kind with a source table."""
    from portal.gaps.models import ServiceGapReport
    from portal.opinions.models import Opinion
    from portal.trials.models import Evaluation

    return (
        ("evaluation", select(Evaluation.id, Evaluation.member_id, Evaluation.submitted_at)
         .where(Evaluation.status == "submitted", Evaluation.submitted_at.is_not(None))),
        ("opinion", select(Opinion.id, Opinion.member_id, Opinion.created_at)),
        ("gap_report", select(ServiceGapReport.id, ServiceGapReport.member_id,
                              ServiceGapReport.created_at)),
    )


@dataclass
class BackfillResult:
    added: dict[str, int] = field(default_factory=dict)


BATCH = 1000


def backfill() -> BackfillResult:
    """Record every past activity not in the ledger yet (safe to run again: it adds only what is
    missing), with the points of today's rules. One unit of work per batch of sources."""
    result = BackfillResult()
    kinds = [*_sources(), ("fix_confirmed", None)]
    for kind, stmt in kinds:
        recorded = select(PointsEntry.source_id).where(PointsEntry.kind == kind)
        rows = confirmed_fixes() if stmt is None else db.execute(
            stmt.where(stmt.selected_columns[0].not_in(recorded)).order_by(stmt.selected_columns[0])
        ).all()
        added = 0
        for start in range(0, len(rows := list(rows)), BATCH):
            with unit_of_work():
                added += sum(record(kind, source_id, member_id, at)
                             for source_id, member_id, at in rows[start:start + BATCH])
        result.added[kind] = added
    return result
