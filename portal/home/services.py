"""What the start page shows: a member's latest trials, evaluations, reports and opinions, or
the staff overview's counts. A fixed number of queries whatever the amount of data.

The staff counts cover what the viewer reaches (`permissions.trial_scope` and
`consultation_scope`: a product team counts its own trials and consultations), so a number on
the start page is the length of the list its button opens.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import false, func, select
from sqlalchemy.orm import joinedload, lazyload

from portal import domain, permissions
from portal.accounts.models import User
from portal.db import db
from portal.gaps.models import ServiceGapReport
from portal.home.models import MemberCount
from portal.improvements.confirmations import pending_count
from portal.opinions.models import Consultation, Opinion
from portal.panel.points import points_total
from portal.trials.models import Enrollment, Evaluation, Trial

# How many of each the member home shows; the rest is on each area's own list.
LATEST = 5


@dataclass
class Section:
    """The latest few items of one kind, and how many there are in all."""

    items: list = field(default_factory=list)
    total: int = 0

    @property
    def has_more(self) -> bool:
        return self.total > len(self.items)


@dataclass
class MemberHome:
    trials: Section
    evaluations: Section
    reports: Section
    opinions: Section
    # Trial ids the member has an evaluation for (among the trials shown).
    evaluated_trial_ids: set[int] = field(default_factory=set)
    points: int = 0  # the member's points in all (portal.panel)
    fix_questions: int = 0  # questions "Is it fixed for you?" waiting for an answer


def _count(kind: str, member_id: int):
    """How many of `kind` the member has, from the counts the triggers keep (portal.home.models)."""
    return (select(func.coalesce(func.sum(MemberCount.count), 0))
            .where(MemberCount.member_id == member_id, MemberCount.kind == kind).scalar_subquery())


def member_home(member: User, latest: int = LATEST) -> MemberHome:
    """The member's latest enrollments, evaluations, gap reports and opinions: five queries,
    each reading a few rows however many the member has."""
    counts = db.execute(select(
        _count("enrollment", member.id),
        _count("evaluation", member.id),
        _count("gap_report", member.id),
        _count("opinion", member.id),
        points_total(member.id),  # the points box (portal.panel)
        pending_count(member.id),  # "Is it fixed for you?" questions waiting (improvements)
    )).one()
    # Trials load their segments eagerly by default; the home never shows them.
    trial_only = joinedload(Enrollment.trial).options(lazyload(Trial.segments))
    enrollments = list(db.scalars(
        select(Enrollment).where(Enrollment.member_id == member.id)
        .options(trial_only)
        .order_by(Enrollment.created_at.desc(), Enrollment.id.desc()).limit(latest)
    ))
    evaluations = list(db.scalars(
        select(Evaluation).where(Evaluation.member_id == member.id)
        .options(joinedload(Evaluation.trial).options(lazyload(Trial.segments)))
        .order_by(Evaluation.updated_at.desc(), Evaluation.id.desc()).limit(latest)
    ))
    reports = list(db.scalars(
        select(ServiceGapReport).where(ServiceGapReport.member_id == member.id)
        .order_by(ServiceGapReport.created_at.desc(), ServiceGapReport.id.desc()).limit(latest)
    ))
    opinions = list(db.scalars(
        select(Opinion).where(Opinion.member_id == member.id)
        .options(joinedload(Opinion.consultation))
        .order_by(Opinion.updated_at.desc(), Opinion.id.desc()).limit(latest)
    ))
    shown_trials = {e.trial_id for e in enrollments}
    evaluated = set()
    if shown_trials:
        evaluated = set(db.scalars(
            select(Evaluation.trial_id).where(
                Evaluation.member_id == member.id, Evaluation.trial_id.in_(shown_trials)
            )
        ))
    return MemberHome(
        trials=Section(enrollments, counts[0]),
        evaluations=Section(evaluations, counts[1]),
        reports=Section(reports, counts[2]),
        opinions=Section(opinions, counts[3]),
        evaluated_trial_ids=evaluated,
        points=counts[4] or 0,
        fix_questions=counts[5] or 0,
    )


def can_evaluate(enrollment: Enrollment) -> bool:
    """An accepted member of a running or closed trial has an evaluation page to open."""
    return enrollment.status == "accepted" and enrollment.trial.status in ("running", "closed")


def consultation_open(consultation: Consultation) -> bool:
    today = domain.shanghai_today()
    return (consultation.status == "published"
            and consultation.opens_on <= today <= consultation.closes_on)


@dataclass
class StaffOverview:
    recruiting_trials: int
    running_trials: int
    open_consultations: int
    new_reports: int
    new_opinions: int
    new_evaluations: int


def staff_overview(viewer: User) -> StaffOverview:
    """A few counts for the staff landing page, of what `viewer` reaches, in one query."""
    today = domain.shanghai_today()

    def count(model, *where):
        return select(func.count()).select_from(model).where(*where).scalar_subquery()

    def scoped(condition):
        return [] if condition is None else [condition]

    trials = scoped(permissions.trial_scope(viewer))
    consultations = scoped(permissions.consultation_scope(viewer))
    own_trial_ids = select(Trial.id).where(*trials)
    own_consultation_ids = select(Consultation.id).where(*consultations)
    reports = [] if permissions.can("gaps.view_all", viewer) else [false()]
    row = db.execute(select(
        count(Trial, Trial.status == "recruiting", *trials),
        count(Trial, Trial.status == "running", *trials),
        count(Consultation, Consultation.status == "published",
              Consultation.opens_on <= today, Consultation.closes_on >= today, *consultations),
        count(ServiceGapReport, ServiceGapReport.status == "new", *reports),
        count(Opinion, Opinion.triage_status == "new",
              *([Opinion.consultation_id.in_(own_consultation_ids)] if consultations else [])),
        count(Evaluation, Evaluation.status == "submitted", Evaluation.triage_status == "new",
              *([Evaluation.trial_id.in_(own_trial_ids)] if trials else [])),
    )).one()
    return StaffOverview(*row)
