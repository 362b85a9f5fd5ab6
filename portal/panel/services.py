"""Panel health: who the panel is, who takes part, who has gone quiet, and re-engaging them.

Rules:
- Every figure is one SQL statement over an index, bounded by date or by a short list (the
  latest trials and consultations), or reads the summaries of models.py (kept by the receivers)
  and the counts kept by the triggers of migration 0020: the page issues a fixed number of
  statements whatever the number of members, and reads no row per member (100,000 members:
  about 10 ms of SQL in all, bench/bench_panel.py).
- Members are accounts of the member role; "active" figures count accounts whose status is
  active. Months and days are Shanghai ones.
- A member is lapsing after `LAPSING_DAYS` without any activity (or since joining, with none).
  Re-engaging sends them a notice ("re_engage"), at most once in `REENGAGE_DAYS`, with an audit
  entry on the member's account.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property

from sqlalchemy import and_, case, func, or_, select, tuple_, update

from portal import domain, permissions
from portal.accounts.models import Invitation, User
from portal.audit import services as audit
from portal.db import db, unit_of_work, utcnow
from portal.notifications import services as notifications
from portal.notifications.kinds import About
from portal.opinions.models import Consultation, Opinion
from portal.panel.models import (
    ActiveMonthCount,
    ConsultationReach,
    MemberActivity,
    MemberCount,
    RegistrationMonth,
)
from portal.trials.models import Enrollment, Evaluation, Trial

ACTIVE_WINDOWS = (30, 90)
LAPSING_DAYS = 90
REENGAGE_DAYS = 30
CHART_MONTHS = 12
FUNNEL_MONTHS = 12
LATEST = 10          # trials and consultations in the response-rate tables
PER_PAGE = 25
BULK_LIMIT = 100     # members re-engaged in one go


def _left_out():
    """The condition on User of the accounts that are not active members (paused or deleted
    members, staff): a few, whatever the size of the panel. NOT (member AND active) is spelt as
    two IN lists, so that each reads a range of an index (ix_users_status, ix_users_role_created).
    """
    members = permissions.holders("panel.take_part")
    return or_(User.status.in_([s for s in domain.MEMBER_STATUSES if s != "active"]),
               User.role.in_([r for r in permissions.ROLES if r not in members]))


def _of_member(column):
    """A scalar subquery: `column` of the account's member_activity row (by its key)."""
    return select(column).where(MemberActivity.member_id == User.id).scalar_subquery()


def _left_out_ids():
    """The ids of the accounts that are not active members. A list's rows (the lapsing members)
    are member_activity rows whose member is not among them: a range of member_activity's own
    index, each row checked against this short list (built once per statement), instead of a
    join reading every member's account (which the planner may start from)."""
    return select(User.id).where(_left_out())


def _active_members():
    """A scalar subquery: how many active members there are (panel_member_counts)."""
    return (select(func.coalesce(func.sum(MemberCount.count), 0))
            .where(MemberCount.role.in_(permissions.holders("panel.take_part")),
                   MemberCount.status == "active")
            .scalar_subquery())


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


# --- who the panel is ------------------------------------------------------------------------


@dataclass
class Composition:
    """Active members by segment and district (None: not given)."""

    cells: dict[tuple[str | None, str | None], int] = field(default_factory=dict)
    paused: int = 0

    # Read once per cell of the table: the totals and the headings are worked out once (the
    # cells are filled before the page reads any).

    def count(self, segment, district) -> int:
        return self.cells.get((segment, district), 0)

    def segment_total(self, segment) -> int:
        return self._totals[0].get(segment, 0)

    def district_total(self, district) -> int:
        return self._totals[1].get(district, 0)

    @cached_property
    def _totals(self) -> tuple[Counter, Counter]:
        by_segment, by_district = Counter(), Counter()
        for (segment, district), n in self.cells.items():
            by_segment[segment] += n
            by_district[district] += n
        return by_segment, by_district

    @cached_property
    def total(self) -> int:
        return sum(self.cells.values())

    @cached_property
    def segments(self) -> list:
        return [*domain.SEGMENTS, *sorted({s for s, _ in self.cells if s not in domain.SEGMENTS},
                                           key=str)]

    @cached_property
    def districts(self) -> list:
        return [*domain.DISTRICTS, *sorted({d for _, d in self.cells if d not in domain.DISTRICTS},
                                            key=str)]


def composition() -> Composition:
    """One statement over panel_member_counts (a few hundred rows, '' for not given)."""
    rows = db.execute(
        select(MemberCount.segment, MemberCount.district, MemberCount.status, func.sum(MemberCount.count))
        .where(MemberCount.role.in_(permissions.holders("panel.take_part")))
        .group_by(MemberCount.segment, MemberCount.district, MemberCount.status)
    ).all()
    result = Composition()
    for segment, district, status, n in rows:
        if status == "active":
            result.cells[(segment or None, district or None)] = n
        else:
            result.paused += n
    return result


# --- who takes part --------------------------------------------------------------------------


@dataclass
class ActiveShare:
    days: int
    active: int
    members: int

    @property
    def share(self) -> float | None:
        return _share(self.active, self.members)


@dataclass
class Engagement:
    shares: list[ActiveShare]   # per window of ACTIVE_WINDOWS
    lapsing: int                # lapsing members, counted no further than the cap + 1


def engagement(now: datetime | None = None, cap: int = 10_000) -> Engagement:
    """The share of active members with an activity in the last 30 and 90 days, and how many
    are lapsing (quiet for 90 days; counted no further than `cap` + 1): one statement.

    Joining every recent (or quiet) activity row to its account, to keep the active members'
    only, would read one account per member. Instead the rows are counted on member_activity's
    own indexes alone (ix_member_activity_last, ix_member_activity_quiet), less the rows of
    the accounts that are not active members (`_left_out`: a few, read from their side).

    The quiet rows are counted no further than cap + 1 + U, where U (accounts that are not
    active members, from panel_member_counts) is at least the quiet rows left out: so the
    count less those left out is exact up to cap + 1."""
    now = now or utcnow()
    since = [now - timedelta(days=d) for d in ACTIVE_WINDOWS]
    before = now - timedelta(days=LAPSING_DAYS)
    # Each left-out account's row read by its key (a join may make PostgreSQL read every row to
    # hash them); OFFSET 0 keeps PostgreSQL from copying each subquery into every count using it.
    left_out = (select(_of_member(MemberActivity.last_activity_at).label("last"),
                       _of_member(MemberActivity.quiet_since).label("quiet"))
                .where(_left_out()).offset(0).subquery())
    everyone = select(func.coalesce(func.sum(MemberCount.count), 0)).scalar_subquery()

    def recent(moment: datetime):
        return (select(func.count()).select_from(MemberActivity)
                .where(MemberActivity.last_activity_at >= moment).scalar_subquery())

    quiet = (select(MemberActivity.member_id).where(MemberActivity.quiet_since < before)
             .limit(everyone - _active_members() + cap + 1).subquery())
    row = db.execute(
        select(_active_members(), select(func.count()).select_from(quiet).scalar_subquery(),
               func.count(case((left_out.c.quiet < before, 1))),
               *(recent(m) for m in since), *(func.count(case((left_out.c.last >= m, 1))) for m in since))
        .select_from(left_out)
    ).one()
    members, windows = row[0] or 0, len(ACTIVE_WINDOWS)
    shares = [ActiveShare(days, (row[3 + i] or 0) - (row[3 + windows + i] or 0), members)
              for i, days in enumerate(ACTIVE_WINDOWS)]
    return Engagement(shares, min((row[1] or 0) - (row[2] or 0), cap + 1))


@dataclass
class Response:
    id: int
    title: str
    status: str
    asked: int | None      # accepted members / members asked (None: not known)
    answered: int

    @property
    def rate(self) -> float | None:
        return _share(self.answered, self.asked) if self.asked is not None else None


def trial_responses(limit: int = LATEST) -> list[Response]:
    """The latest trials past recruiting: accepted members -> submitted evaluations. One
    statement (ix_enrollments_trial_status, ix_evaluations_trial_status)."""
    accepted = (select(func.count()).select_from(Enrollment)
                .where(Enrollment.trial_id == Trial.id, Enrollment.status == "accepted")
                .scalar_subquery())
    evaluated = (select(func.count()).select_from(Evaluation)
                 .join(Enrollment, and_(Enrollment.trial_id == Evaluation.trial_id,
                                        Enrollment.member_id == Evaluation.member_id,
                                        Enrollment.status == "accepted"))
                 .where(Evaluation.trial_id == Trial.id, Evaluation.status == "submitted")
                 .scalar_subquery())
    rows = db.execute(
        select(Trial.id, Trial.title, Trial.status, accepted, evaluated)
        .where(Trial.status.in_(("running", "closed")))
        .order_by(Trial.starts_on.desc(), Trial.id.desc()).limit(limit)
    ).all()
    return [Response(*row) for row in rows]


def consultation_responses(limit: int = LATEST) -> list[Response]:
    """The latest published consultations: members asked -> opinions. One statement (the
    opinions by uq_opinions_consultation_id; the members asked counted at publication)."""
    opinions = (select(func.count()).select_from(Opinion)
                .where(Opinion.consultation_id == Consultation.id).scalar_subquery())
    rows = db.execute(
        select(Consultation.id, Consultation.title, Consultation.status, ConsultationReach.eligible,
               opinions)
        .outerjoin(ConsultationReach, ConsultationReach.consultation_id == Consultation.id)
        .where(Consultation.status == "published")
        .order_by(Consultation.opens_on.desc(), Consultation.id.desc()).limit(limit)
    ).all()
    return [Response(*row) for row in rows]


def count_consultation_reach(consultation: Consultation, now: datetime) -> None:
    """Count the members asked for their opinion on publication (every active member is told),
    once per consultation."""
    if db.get(ConsultationReach, consultation.id) is not None:
        return
    eligible = db.scalar(select(_active_members()))
    db.add(ConsultationReach(consultation_id=consultation.id, eligible=eligible or 0, counted_at=now))


# --- invitations to registrations --------------------------------------------------------------


@dataclass
class Funnel:
    since: date
    sent: int = 0
    registered: int = 0
    pending: int = 0
    lapsed: int = 0   # expired or withdrawn unused

    @property
    def rate(self) -> float | None:
        return _share(self.registered, self.sent)


def invitation_funnel(now: datetime | None = None) -> Funnel:
    """Invitations of the last 12 months: sent, used to register, still open, lapsed. One
    statement on ix_invitations_created alone (it holds every column read). An unused
    invitation is open or lapsed (expired or withdrawn): lapsed is what the others leave."""
    now = now or utcnow()
    since = now - timedelta(days=FUNNEL_MONTHS * 366 // 12)
    open_ = and_(Invitation.used_at.is_(None), Invitation.revoked_at.is_(None), Invitation.expires_at > now)
    sent, used, still_open = db.execute(
        select(func.count(), func.count(Invitation.used_at), func.count(case((open_, 1))))
        .where(Invitation.created_at >= since)
    ).one()
    return Funnel(since.astimezone(domain.SHANGHAI).date(), sent, used, still_open,
                  sent - used - still_open)


# --- over time -----------------------------------------------------------------------------------


def _month_starts(today: date, months: int = CHART_MONTHS) -> list[date]:
    first = today.replace(day=1)
    starts = []
    for _ in range(months):
        starts.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return list(reversed(starts))


@dataclass
class MonthFigure:
    month: date
    active: int
    registered: int


def monthly(today: date | None = None) -> list[MonthFigure]:
    """Active members and new registrations in each of the last 12 months: two statements, each
    a range of 12 months of a count table (panel_active_month_counts, panel_registration_months)."""
    months = _month_starts(today or domain.shanghai_today())
    active = {_as_date(m): n for m, n in db.execute(
        select(ActiveMonthCount.month, ActiveMonthCount.count)
        .where(ActiveMonthCount.month.between(months[0], months[-1]))).all()}
    registered = {_as_date(m): n for m, n in db.execute(
        select(RegistrationMonth.month, func.sum(RegistrationMonth.count))
        .where(RegistrationMonth.role.in_(permissions.holders("panel.take_part")),
               RegistrationMonth.month.between(months[0], months[-1]))
        .group_by(RegistrationMonth.month)).all()}
    return [MonthFigure(m, active.get(m, 0), registered.get(m, 0)) for m in months]


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


# --- lapsing members -------------------------------------------------------------------------------


@dataclass
class LapsingRow:
    member: User
    last_activity_at: datetime | None
    quiet_since: datetime
    last_reengaged_at: datetime | None
    reengaged_recently: bool


@dataclass
class LapsingPage:
    rows: list[LapsingRow]
    next_cursor: str | None     # the position after the last row, for the next page
    first: bool                 # the first page (no cursor given)


def _cursor_of(row: MemberActivity) -> str:
    return f"{int(row.quiet_since.timestamp() * 1_000_000)}-{row.member_id}"


def parse_cursor(value: str | None) -> tuple[datetime, int] | None:
    """'<microseconds since 1970>-<member id>', or None when missing or malformed."""
    stamp, _, member_id = (value or "").partition("-")
    if not (stamp.isdigit() and member_id.isdigit()) or len(stamp) > 20 or len(member_id) > 12:
        return None
    try:
        return datetime.fromtimestamp(int(stamp) / 1_000_000, tz=UTC), int(member_id)
    except (OverflowError, OSError, ValueError):
        return None


def _lapsing(now: datetime):
    """The condition on MemberActivity of lapsing active members: a range of
    ix_member_activity_quiet, in the list's order (see `_left_out`)."""
    return and_(MemberActivity.quiet_since < now - timedelta(days=LAPSING_DAYS),
                MemberActivity.member_id.not_in(_left_out_ids()))


def lapsing_page(cursor: str | None = None, now: datetime | None = None,
                 per_page: int = PER_PAGE) -> LapsingPage:
    """Members quiet for 90 days, the longest quiet first, by keyset on (quiet_since, member):
    one statement, a range of ix_member_activity_quiet, whatever the page."""
    now = now or utcnow()
    stmt = select(MemberActivity, User).join(User, User.id == MemberActivity.member_id).where(_lapsing(now))
    position = parse_cursor(cursor)
    if position is not None:
        # A row-value comparison: a range of the index on both databases (an OR of the two
        # cases is not, on SQLite: it sorted every lapsing member for a later page).
        stmt = stmt.where(tuple_(MemberActivity.quiet_since, MemberActivity.member_id) > tuple_(*position))
    rows = db.execute(stmt.order_by(MemberActivity.quiet_since, MemberActivity.member_id)
                      .limit(per_page + 1)).all()
    more = len(rows) > per_page
    rows = rows[:per_page]
    recent = now - timedelta(days=REENGAGE_DAYS)
    return LapsingPage(
        rows=[LapsingRow(user, act.last_activity_at, act.quiet_since, act.last_reengaged_at,
                         act.last_reengaged_at is not None and act.last_reengaged_at >= recent)
              for act, user in rows],
        next_cursor=_cursor_of(rows[-1][0]) if more else None,
        first=position is None,
    )


@dataclass
class ReEngaged:
    sent: list[int] = field(default_factory=list)      # member ids told now
    skipped: int = 0                                    # told within 30 days, not lapsing, unknown


def re_engage(member_ids: list[int], actor: User, now: datetime | None = None) -> ReEngaged:
    """Send each lapsing member among `member_ids` the re-engagement notice, unless they had one
    in the last 30 days; one audit entry per member told. The 30-day rule is one conditional
    UPDATE, so two staff members clicking at once tell nobody twice."""
    now = now or utcnow()
    wanted = sorted(set(member_ids))[:BULK_LIMIT]
    result = ReEngaged()
    with unit_of_work():
        lapsing = select(MemberActivity.member_id).where(MemberActivity.member_id.in_(wanted), _lapsing(now))
        claimed = list(db.scalars(
            update(MemberActivity)
            .where(MemberActivity.member_id.in_(lapsing),
                   or_(MemberActivity.last_reengaged_at.is_(None),
                       MemberActivity.last_reengaged_at < now - timedelta(days=REENGAGE_DAYS)))
            .values(last_reengaged_at=now)
            .returning(MemberActivity.member_id)
        ))
        members = list(db.scalars(select(User).where(User.id.in_(claimed)).order_by(User.id)))
        day = now.astimezone(domain.SHANGHAI).date().isoformat()
        notifications.deliver("re_engage", [
            notifications.Notice(m, About(), f"re_engage:{day}") for m in members])
        for m in members:
            audit.record(actor, "re_engage", "user", m.id, after={"re_engaged_at": now})
        result.sent = [m.id for m in members]
    result.skipped = len(wanted) - len(result.sent)
    return result
