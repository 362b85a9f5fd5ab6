"""Consultations and opinions: the queries the pages show and the changes staff and members make.

Rules:
- Windows are plain dates compared with Shanghai's today: a consultation is open from
  `opens_on` to `closes_on`, both days included.
- Who reaches which consultation is `permissions.consultation_scope`: product teams their own,
  the service office and administrators all of them; members only published ones. The getter
  `get_consultation(viewer, id)` answers None for anything else (the view answers 404).
- Every change runs in one unit of work with its audit entry; refusals are `ConsultationError`
  (staff) and `OpinionRefused` (members), both `portal.errors.Refused`. Editing names the
  version the form was opened at: a stale one is a `portal.errors.Conflict` (portal.versioning).
- A member has one opinion per consultation, changeable while it is open; every save tells
  the rest of the portal through `signals.submission_received`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from portal import domain, permissions, signals, similarity
from portal.accounts.models import User
from portal.audit import services as audit
from portal.db import db, unit_of_work
from portal.errors import Refused
from portal.improvements.models import ImprovementItem
from portal.opinions.models import Consultation, Opinion
from portal.pagination import Page, paginate
from portal.versioning import check_version

# Where a consultation's window stands today (computed, never stored).
WINDOW_STATES = {
    "upcoming": _l("Upcoming"),
    "open": _l("Open"),
    "closed": _l("Closed"),
}
CONSULTATION_STATUSES = domain.CONSULTATION_STATUSES
OPINION_TEXT_MAX = 4000


class ConsultationError(Refused):
    """A change staff asked for that the rules refuse; the message is translated."""


class OpinionRefused(Refused):
    """A member's opinion that cannot be saved now; the message is translated."""


def today() -> date:
    return domain.shanghai_today()


def window_state(consultation: Consultation, on: date | None = None) -> str:
    on = on or today()
    if on < consultation.opens_on:
        return "upcoming"
    if on > consultation.closes_on:
        return "closed"
    return "open"


def _window_condition(state: str, on: date):
    if state == "upcoming":
        return Consultation.opens_on > on
    if state == "closed":
        return Consultation.closes_on < on
    return and_(Consultation.opens_on <= on, Consultation.closes_on >= on)


# --- staff -------------------------------------------------------------------------------


@dataclass
class StanceCounts:
    support: int = 0
    support_with_changes: int = 0
    oppose: int = 0

    @property
    def total(self) -> int:
        return self.support + self.support_with_changes + self.oppose


def _stance_count_columns():
    return [
        func.count(Opinion.id).label("total"),
        *(
            func.coalesce(func.sum(case((Opinion.stance == code, 1), else_=0)), 0).label(code)
            for code in domain.STANCES
        ),
    ]


@dataclass
class ConsultationRow:
    consultation: Consultation
    counts: StanceCounts
    state: str


def staff_consultations(viewer: User, subject: str | None = None, status: str | None = None,
                        window: str | None = None, q: str | None = None) -> Page:
    """The consultations `viewer` reaches with their opinion counts, newest first: one query for
    the rows and their counts (a grouped subquery joined in), one for the total."""
    counts = (
        select(Opinion.consultation_id, *_stance_count_columns())
        .group_by(Opinion.consultation_id)
        .subquery()
    )
    stmt = (
        select(Consultation, counts.c.support, counts.c.support_with_changes, counts.c.oppose)
        .outerjoin(counts, counts.c.consultation_id == Consultation.id)
        .options(joinedload(Consultation.created_by))
        .order_by(Consultation.opens_on.desc(), Consultation.id.desc())
    )
    scope = permissions.consultation_scope(viewer)
    if scope is not None:
        stmt = stmt.where(scope)
    if subject in domain.CONSULTATION_SUBJECTS:
        stmt = stmt.where(Consultation.subject == subject)
    if status in CONSULTATION_STATUSES:
        stmt = stmt.where(Consultation.status == status)
    if window in WINDOW_STATES:
        stmt = stmt.where(_window_condition(window, today()))
    q = (q or "").strip()
    if q:
        stmt = stmt.where(or_(
            Consultation.title.icontains(q, autoescape=True),
            Consultation.body.icontains(q, autoescape=True),
        ))
    page = paginate(stmt, scalars=False)
    on = today()
    page.items = [
        ConsultationRow(
            consultation=c,
            counts=StanceCounts(support or 0, changes or 0, oppose or 0),
            state=window_state(c, on),
        )
        for c, support, changes, oppose in page.items
    ]
    return page


def get_consultation(viewer: User, consultation_id: int) -> Consultation | None:
    """The consultation when `viewer` reaches it, else None.

    Staff reach the consultations in their scope (drafts included); members the published
    ones only: drafts do not exist for them."""
    stmt = (
        select(Consultation).options(joinedload(Consultation.created_by))
        .where(Consultation.id == consultation_id)
    )
    if permissions.can("consultations.view", viewer):
        scope = permissions.consultation_scope(viewer)
        if scope is not None:
            stmt = stmt.where(scope)
    elif permissions.is_member(viewer):
        stmt = stmt.where(Consultation.status == "published")
    else:
        return None
    return db.scalar(stmt)


def stance_counts(consultation: Consultation) -> StanceCounts:
    row = db.execute(
        select(*_stance_count_columns()).where(Opinion.consultation_id == consultation.id)
    ).one()
    return StanceCounts(row.support or 0, row.support_with_changes or 0, row.oppose or 0)


def consultation_opinions(consultation: Consultation, stance: str | None = None) -> Page:
    stmt = (
        select(Opinion).options(joinedload(Opinion.member))
        .where(Opinion.consultation_id == consultation.id)
        .order_by(Opinion.created_at.desc(), Opinion.id.desc())
    )
    if stance in domain.STANCES:
        stmt = stmt.where(Opinion.stance == stance)
    return paginate(stmt)


def _check_window(opens_on: date, closes_on: date) -> None:
    if closes_on < opens_on:
        raise ConsultationError(_("The closing date cannot be before the opening date."),
                                field="closes_on")


# What the audit log keeps of a consultation (object type "consultation").
CONSULTATION_FIELDS = ("subject", "title", "body", "opens_on", "closes_on")


def create_consultation(author: User, *, subject: str, title: str, body: str,
                        opens_on: date, closes_on: date) -> Consultation:
    _check_window(opens_on, closes_on)
    with unit_of_work():
        consultation = Consultation(
            subject=subject, title=title.strip(), body=body or "", opens_on=opens_on,
            closes_on=closes_on, status="draft", created_by_id=author.id,
        )
        db.add(consultation)
        db.flush()
        audit.record(author, "create", "consultation", consultation.id, None,
                     audit.snapshot(consultation, (*CONSULTATION_FIELDS, "status")))
    return consultation


def update_consultation(consultation: Consultation, actor: User, *, subject: str, title: str,
                        body: str, opens_on: date, closes_on: date,
                        version: int | None = None) -> Consultation:
    """Text and window may change at any time, also once published, from a form opened at
    `version` (portal.errors.Conflict when someone saved in between)."""
    check_version(consultation, version)
    _check_window(opens_on, closes_on)
    with unit_of_work():
        before = audit.snapshot(consultation, CONSULTATION_FIELDS)
        consultation.subject = subject
        consultation.title = title.strip()
        consultation.body = body or ""
        consultation.opens_on = opens_on
        consultation.closes_on = closes_on
        audit.record(actor, "update", "consultation", consultation.id, before,
                     audit.snapshot(consultation, CONSULTATION_FIELDS))
    return consultation


def publish(consultation: Consultation, actor: User) -> None:
    if consultation.status != "draft":
        raise ConsultationError(_("This consultation is already published."))
    with unit_of_work():
        audit.record(actor, "consultation.publish", "consultation", consultation.id,
                     {"status": consultation.status}, {"status": "published"})
        consultation.status = "published"
        signals.consultation_published.send(consultation, actor=actor)


def has_opinions(consultation: Consultation) -> bool:
    return db.scalar(
        select(func.count(Opinion.id)).where(Opinion.consultation_id == consultation.id)
    ) > 0


def unpublish(consultation: Consultation, actor: User) -> None:
    if consultation.status != "published":
        raise ConsultationError(_("This consultation is not published."))
    if has_opinions(consultation):
        raise ConsultationError(
            _("This consultation already has opinions, so it cannot be taken back to draft.")
        )
    with unit_of_work():
        audit.record(actor, "consultation.unpublish", "consultation", consultation.id,
                     {"status": consultation.status}, {"status": "draft"})
        consultation.status = "draft"


# --- members -----------------------------------------------------------------------------


def get_own_opinion(viewer: User, consultation: Consultation) -> Opinion | None:
    """The viewer's own opinion on the consultation, if they gave one."""
    return db.scalar(
        select(Opinion)
        .where(Opinion.consultation_id == consultation.id, Opinion.member_id == viewer.id)
    )


@dataclass
class MemberConsultations:
    open: list[tuple[Consultation, Opinion | None]]
    upcoming: list[tuple[Consultation, Opinion | None]]
    answered_closed: list[tuple[Consultation, Opinion]]


def member_consultations(member: User) -> MemberConsultations:
    """Published consultations with the member's own opinion (or None), in one query."""
    on = today()
    rows = db.execute(
        select(Consultation, Opinion)
        .outerjoin(Opinion, and_(Opinion.consultation_id == Consultation.id,
                                 Opinion.member_id == member.id))
        .where(Consultation.status == "published")
        .where(or_(Consultation.closes_on >= on, Opinion.id.is_not(None)))
        .order_by(Consultation.closes_on, Consultation.id)
    ).all()
    result = MemberConsultations(open=[], upcoming=[], answered_closed=[])
    for consultation, opinion in rows:
        state = window_state(consultation, on)
        if state == "open":
            result.open.append((consultation, opinion))
        elif state == "upcoming":
            result.upcoming.append((consultation, opinion))
        else:
            result.answered_closed.append((consultation, opinion))
    result.upcoming.sort(key=lambda pair: (pair[0].opens_on, pair[0].id))
    result.answered_closed.sort(key=lambda pair: (pair[0].closes_on, pair[0].id), reverse=True)
    return result


def my_opinions(member: User) -> Page:
    return paginate(
        select(Opinion).options(joinedload(Opinion.consultation))
        .where(Opinion.member_id == member.id)
        .order_by(Opinion.updated_at.desc(), Opinion.id.desc())
    )


def refusal(consultation: Consultation) -> str | None:
    """Why an opinion cannot be given or changed today, or None while the consultation is open."""
    state = window_state(consultation)
    if state == "upcoming":
        return _("This consultation opens on %(date)s. You can give your opinion from then on.",
                 date=_format_date(consultation.opens_on))
    if state == "closed":
        return _("This consultation closed on %(date)s. Opinions can no longer be given or "
                 "changed.", date=_format_date(consultation.closes_on))
    return None


def _format_date(value: date) -> str:
    from flask_babel import format_date

    return format_date(value)


def _find_opinion(consultation_id: int, member_id: int) -> Opinion | None:
    return db.scalar(
        select(Opinion)
        .where(Opinion.consultation_id == consultation_id, Opinion.member_id == member_id)
    )


# "Already being handled": open improvement items like the opinion being written (title and
# status only, as in portal.gaps.services.suggestions).
SUGGESTIONS_MAX = 3
SUGGEST_FROM = 6  # characters typed before anything is suggested


@dataclass
class Suggestion:
    id: int
    title: str
    status: str
    score: int


def open_item(item_id: int) -> ImprovementItem | None:
    item = db.get(ImprovementItem, item_id)
    return item if item is not None and item.status not in domain.ITEM_CLOSED_STATUSES else None


def suggestions(text: str | None) -> list[Suggestion]:
    """Open improvement items most like the opinion being written (none for a short text)."""
    text = (text or "").strip()
    if len(text) < SUGGEST_FROM:
        return []
    found = similarity.similar_rows(
        ImprovementItem, similarity.Query.of("", text), limit=SUGGESTIONS_MAX,
        where=[ImprovementItem.status.not_in(domain.ITEM_CLOSED_STATUSES)],
    )
    return [Suggestion(item.id, item.title, item.status, score) for item, score in found]


def save_opinion(consultation: Consultation, member: User, *, stance: str, text: str,
                 joins_item_id: int | None = None) -> tuple[Opinion, bool]:
    """Create the member's one opinion or change it, while the consultation is open.
    `joins_item_id`: the open improvement item the member said "This is my problem too" on;
    the opinion is linked to it (triage links it, see `signals.submission_received`).

    Returns (opinion, created). Two requests racing to create it both succeed: the loser's
    insert hits the unique constraint, its unit of work is rolled back whole and it is made
    again as an update of the winner's row. (Call it outside any other unit of work: the
    retry needs the rollback.)
    """
    if consultation.status != "published":
        raise OpinionRefused(_("This consultation is not open for opinions."))
    reason = refusal(consultation)
    if reason:
        raise OpinionRefused(reason)
    if stance not in domain.STANCES:
        raise OpinionRefused(_("Please choose your stance."), field="stance")
    if joins_item_id is not None and open_item(joins_item_id) is None:
        raise OpinionRefused(_("That improvement item is no longer open: please send your "
                               "opinion without it."))
    consultation_id, member_id = consultation.id, member.id
    created = False
    try:
        with unit_of_work():
            opinion = _find_opinion(consultation_id, member_id)
            created = opinion is None
            if created:
                opinion = Opinion(consultation_id=consultation_id, member_id=member_id,
                                  stance=stance, text=text)
                db.add(opinion)
            else:
                opinion.stance = stance
                opinion.text = text
            signals.submission_received.send(opinion, joins_item_id=joins_item_id)
        return opinion, created
    except IntegrityError as exc:
        if not created:
            raise
        duplicate = exc
    with unit_of_work():
        opinion = _find_opinion(consultation_id, member_id)
        if opinion is None:  # not a duplicate after all: let the error show
            raise duplicate
        opinion.stance = stance
        opinion.text = text
        signals.submission_received.send(opinion, joins_item_id=joins_item_id)
    return opinion, False
