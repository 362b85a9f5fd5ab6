"""Members confirm fixes: once an item linked to a member's submission is done, the member is
asked "Is it fixed for you?" (yes / not yet, a 1-5 rating of how it was handled, a comment).

Rules:
- One answer per (item, submission), by the submission's member only (another member's or a
  staff user's request finds nothing: 404). It may be given and changed while the item is done;
  once verified it is kept as it is. Every answer and change is audited (object
  "fix_confirmation"; overriding them to verify, on the item).
- A question is *pending* when the item is done and the member has not answered since the item
  last became done (`closed_at`): a reopened item that is done again asks again.
- A "not yet" answer is *open* when it was given since the item last became done and the item is
  still done: verifying the item needs none open, or an explicit override with a reason
  (`improvements.services.update_item`).
- The inbox flags a submission "not fixed for the member" while it has a "not yet" answer on an
  item that is not verified (`not_fixed_condition`, read through ix_fix_confirmations_not_fixed).
- Rates (yes / answered) and the average rating per department, commitment and district are one
  grouped statement over the answers (one row per answered question, far fewer than the
  submissions), read from the covering index ix_fix_confirmations_item.
- Answering records the "fix confirmed" activity (points) through `signals.fix_answered`: the
  first answer of each question counts, yes or not yet, since rewarding only "yes" would bias
  the very rate the office reads.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    Text,
    UniqueConstraint,
    and_,
    case,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from portal import domain, permissions, signals
from portal.accounts.models import User
from portal.audit import services as audit
from portal.db import Base, UTCDateTime, db, unit_of_work, utcnow
from portal.errors import Refused
from portal.improvements.models import Department, ImprovementItem
from portal.text import clean_text
from portal.triage.models import Submission, submission_items

COMMENT_MAX = 2000
RATINGS = (1, 2, 3, 4, 5)
# How many pending questions the member home shows (the oldest first); more are rare.
PENDING_SHOWN = 10
# How many answers an item's page lists (the newest first).
ANSWERS_SHOWN = 50
ANSWER_FIELDS = ("fixed", "rating", "comment")


class FixConfirmation(Base):
    """A member's answer to "Is it fixed for you?" about one item and one of their submissions."""

    __tablename__ = "fix_confirmations"
    __table_args__ = (
        UniqueConstraint("item_id", "submission_id", name="ux_fix_confirmations_item_submission"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating"),
        # The item's answers (its page, the verify check) and the per-item counts of the export
        # and the rates, read from the index alone.
        Index("ix_fix_confirmations_item", "item_id", "fixed", "answered_at", "rating"),
        # The inbox's "not fixed for the member" filter and the flag on its rows.
        Index("ix_fix_confirmations_not_fixed", "fixed", "submission_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("improvement_items.id", ondelete="CASCADE"))
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    fixed: Mapped[bool] = mapped_column(Boolean)
    rating: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str] = mapped_column(Text, default="")
    # First given, and last given or changed (what "since the item last became done" compares).
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    member: Mapped[User] = relationship()
    submission: Mapped[Submission] = relationship()


class FixQuestion(Base):
    """A question waiting for a member: an item done, linked to their submission, not answered
    since it became done. Kept by triggers (migration 0028) on the items (status, closed_at),
    their links and the answers, so the member home reads the member's own few rows: found from
    the submissions, a member with 80,000 reports walked them all twice (52 ms at a million
    submissions). `questions_from_scratch` is the same set, computed; the tests and
    `rebuild-aggregates` compare them."""

    __tablename__ = "fix_questions"
    __table_args__ = (
        Index("ix_fix_questions_member", "member_id", "closed_at", "item_id", "submission_id"),
    )

    item_id: Mapped[int] = mapped_column(
        ForeignKey("improvement_items.id", ondelete="CASCADE"), primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(Integer)
    # The item's, for the order (None only for an item written as done without it).
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ConfirmationRefused(Refused):
    """The answer cannot be saved so; str(exc) says why, `field` names the form field."""


# ---------------------------------------------------------------------------------------------
# The question, for a member


@dataclass
class Question:
    """One question put to a member: the item (as members may see it) and their submission."""

    item: ImprovementItem
    submission: Submission
    answer: FixConfirmation | None = None

    @property
    def open(self) -> bool:
        """May the member answer (or change their answer) now?"""
        return self.item.status == "done"


def _answer_is_current(answer_at, item=ImprovementItem):
    """The answer was given since the item last became done."""
    return and_(item.closed_at.is_not(None), answer_at >= item.closed_at)


def questions_from_scratch():
    """(item_id, submission_id, member_id, closed_at) of every question waiting: items done,
    linked to a member's submission, not answered since they became done. What the triggers
    keep in `fix_questions`; the migration fills it with this, the tests compare the two."""
    answered = (select(FixConfirmation.id)
                .where(FixConfirmation.item_id == ImprovementItem.id,
                       FixConfirmation.submission_id == Submission.id,
                       _answer_is_current(FixConfirmation.answered_at))
                .exists())
    return (select(ImprovementItem.id.label("item_id"), Submission.id.label("submission_id"),
                   Submission.member_id, ImprovementItem.closed_at)
            .join(submission_items, submission_items.c.item_id == ImprovementItem.id)
            .join(Submission, Submission.id == submission_items.c.submission_id)
            .where(Submission.member_id.is_not(None), ImprovementItem.status == "done", ~answered))


def pending_count(member_id: int):
    """A scalar subquery: how many questions wait for the member (the home adds it to its
    counts, and reads the questions only when there are some)."""
    return (select(func.count()).select_from(FixQuestion)
            .where(FixQuestion.member_id == member_id).scalar_subquery())


def pending_for(member: User, limit: int = PENDING_SHOWN) -> list[Question]:
    """The member's unanswered questions, the oldest first: one statement, from the member's
    rows of `fix_questions` in their order."""
    rows = db.execute(
        select(ImprovementItem, Submission)
        .join(FixQuestion, FixQuestion.item_id == ImprovementItem.id)
        .join(Submission, Submission.id == FixQuestion.submission_id)
        .where(FixQuestion.member_id == member.id)
        .options(joinedload(ImprovementItem.department))
        .order_by(FixQuestion.closed_at, FixQuestion.item_id, FixQuestion.submission_id)
        .limit(limit)
    ).all()
    return [Question(item, submission) for item, submission in rows]


def question_for(member: User, item_id: int, submission_id: int) -> Question | None:
    """The question about `item_id` for the member's own `submission_id`, once the item has an
    outcome; None otherwise (someone else's submission, a staff user, an unlinked item)."""
    if not permissions.can("panel.take_part", member):
        return None
    row = db.execute(
        select(ImprovementItem, Submission)
        .join(submission_items, submission_items.c.item_id == ImprovementItem.id)
        .join(Submission, Submission.id == submission_items.c.submission_id)
        .where(ImprovementItem.id == item_id, Submission.id == submission_id,
               Submission.member_id == member.id,
               ImprovementItem.status.in_(domain.ITEM_OUTCOME_STATUSES))
        .options(joinedload(ImprovementItem.department))
    ).first()
    if row is None:
        return None
    answer = db.scalar(select(FixConfirmation).where(FixConfirmation.item_id == item_id,
                                                     FixConfirmation.submission_id == submission_id))
    return Question(row[0], row[1], answer)


def _checked(fixed, rating, comment) -> tuple[bool, int, str]:
    if fixed not in ("yes", "not_yet", True, False):
        raise ConfirmationRefused(_("Please say whether it is fixed for you."), "fixed")
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = None
    if rating not in RATINGS:
        raise ConfirmationRefused(_("Please rate how it was handled, from 1 to 5."), "rating")
    comment = clean_text(comment)
    if len(comment) > COMMENT_MAX:
        raise ConfirmationRefused(_("Please keep the comment to at most %(max)s characters.",
                                    max=COMMENT_MAX), "comment")
    return fixed in ("yes", True), rating, comment


def answer(member: User, question: Question, *, fixed, rating, comment: str | None = "") -> bool:
    """Save the member's answer (or their change to it), audited, in one unit of work. Returns
    False when it is as it was. Refused once the item is no longer done."""
    if not question.open:
        raise ConfirmationRefused(_("This improvement is no longer open for answers: your answer "
                                    "is kept as it was."))
    fixed, rating, comment = _checked(fixed, rating, comment)
    item, submission = question.item, question.submission
    with unit_of_work():
        row = db.scalar(select(FixConfirmation).where(FixConfirmation.item_id == item.id,
                                                      FixConfirmation.submission_id == submission.id)
                        .with_for_update())
        before = audit.snapshot(row, ANSWER_FIELDS) if row is not None else None
        current = row is not None and item.closed_at is not None and row.answered_at >= item.closed_at
        if row is not None and current and before == {"fixed": fixed, "rating": rating,
                                                      "comment": comment}:
            return False
        if row is None:
            row = FixConfirmation(item_id=item.id, submission_id=submission.id, member_id=member.id)
            db.add(row)
        row.fixed, row.rating, row.comment, row.answered_at = fixed, rating, comment, utcnow()
        db.flush()
        # On the answer itself, not the item: the item's History is read by staff who may not
        # see members' names (the audit log's readers may).
        audit.record(member, "fix.answer", "fix_confirmation", row.id, before,
                     {"item": item.id, "submission": submission.id,
                      **audit.snapshot(row, ANSWER_FIELDS)})
        signals.fix_answered.send(row, member_id=member.id, first=before is None)
    question.answer = row
    return True


def ask_again(item: ImprovementItem) -> int:
    """The item is done again: each member who had answered about it is asked once more (once
    per time it becomes done). In the caller's unit of work; returns how many were told."""
    from portal.notifications import services as notices
    from portal.notifications.kinds import About

    if item.status != "done" or item.closed_at is None:
        return 0
    rows = db.execute(
        select(Submission, User)
        .join(FixConfirmation, FixConfirmation.submission_id == Submission.id)
        .join(User, User.id == Submission.member_id)
        .where(FixConfirmation.item_id == item.id, FixConfirmation.answered_at < item.closed_at)
        .order_by(Submission.id)
    ).all()
    stamp = int(item.closed_at.timestamp())
    return len(notices.deliver("fix_question", [
        notices.Notice(member, About(submission=submission, item=item),
                       f"fix_question:{item.id}:{submission.id}:{stamp}")
        for submission, member in rows]))


# ---------------------------------------------------------------------------------------------
# For staff: the answers of an item, the open "not yet" ones, the inbox flag


@dataclass
class ItemAnswers:
    answers: list[FixConfirmation]
    total: int
    yes: int
    not_yet: int
    open_not_yet: int
    average: float | None


def for_item(item: ImprovementItem, limit: int = ANSWERS_SHOWN) -> ItemAnswers:
    """An item's answers (the newest first, at most `limit`) and their counts: two statements."""
    yes = case((FixConfirmation.fixed.is_(True), 1), else_=0)
    if item.status == "done" and item.closed_at is not None:
        still_open = case((and_(FixConfirmation.fixed.is_(False),
                                FixConfirmation.answered_at >= item.closed_at), 1), else_=0)
    else:
        still_open = literal(0)
    total, yes, open_count, average = db.execute(
        select(func.count(), func.coalesce(func.sum(yes), 0),
               func.coalesce(func.sum(still_open), 0), func.avg(FixConfirmation.rating))
        .where(FixConfirmation.item_id == item.id)
    ).one()
    answers = list(db.scalars(
        select(FixConfirmation).where(FixConfirmation.item_id == item.id)
        .options(joinedload(FixConfirmation.member), joinedload(FixConfirmation.submission))
        .order_by(FixConfirmation.fixed, FixConfirmation.answered_at.desc(), FixConfirmation.id.desc())
        .limit(limit)
    ))
    return ItemAnswers(answers, int(total or 0), int(yes or 0), int(total or 0) - int(yes or 0),
                       int(open_count or 0), round(float(average), 1) if average is not None else None)


def open_not_yet(item: ImprovementItem) -> int:
    """How many "not yet" answers were given since the item last became done (0 unless done)."""
    if item.status != "done" or item.closed_at is None:
        return 0
    return db.scalar(
        select(func.count()).select_from(FixConfirmation)
        .where(FixConfirmation.item_id == item.id, FixConfirmation.fixed.is_(False),
               FixConfirmation.answered_at >= item.closed_at)
    ) or 0


def not_fixed_ids():
    """The submissions with a "not yet" answer on an item not verified (a subquery of ids)."""
    return (select(FixConfirmation.submission_id)
            .join(ImprovementItem, ImprovementItem.id == FixConfirmation.item_id)
            .where(FixConfirmation.fixed.is_(False), ImprovementItem.status != "verified"))


def not_fixed_condition():
    """The inbox filter "not fixed for the member", as a condition on Submission."""
    return Submission.id.in_(not_fixed_ids())


def not_fixed_among(submission_ids) -> dict[int, int]:
    """Of `submission_ids` (a page's rows), those not fixed for their member, with the item to
    reopen (the first such): one statement, nothing when the page is empty."""
    ids = list(submission_ids)
    if not ids:
        return {}
    rows = db.execute(
        not_fixed_ids().add_columns(FixConfirmation.item_id)
        .where(FixConfirmation.submission_id.in_(ids))
        .order_by(FixConfirmation.item_id)
    ).all()
    found: dict[int, int] = {}
    for submission_id, item_id in rows:
        found.setdefault(submission_id, item_id)
    return found


# ---------------------------------------------------------------------------------------------
# Rates


@dataclass
class Rate:
    key: object          # department id, commitment code or district code (None: none given)
    answered: int
    yes: int
    average: float | None
    name: str | None = None  # the department's name

    @property
    def rate(self) -> float | None:
        """Share of answers that say it is fixed (0-100), None without answers."""
        return round(100 * self.yes / self.answered, 1) if self.answered else None


GROUPS = ("department", "commitment", "district")


def _grouped(group: str, key):
    yes = func.sum(case((FixConfirmation.fixed.is_(True), 1), else_=0))
    stmt = (select(literal(group).label("grp"), func.cast(key, Text).label("key"), func.count(),
                   yes, func.avg(FixConfirmation.rating))
            .select_from(FixConfirmation)
            .join(ImprovementItem, ImprovementItem.id == FixConfirmation.item_id))
    if group == "district":
        stmt = stmt.join(Submission, Submission.id == FixConfirmation.submission_id)
    return stmt.group_by(key)


def rates(groups=GROUPS) -> dict[str, list[Rate]]:
    """Per department, commitment and district: answers, yes and the average rating, in one
    statement (the grouped counts of each, one after the other). Departments carry their name."""
    keys = {"department": ImprovementItem.department_id, "commitment": ImprovementItem.commitment,
            "district": Submission.district}
    out: dict[str, list[Rate]] = {g: [] for g in groups}
    rows = db.execute(union_all(*(_grouped(g, keys[g]) for g in groups))).all() if groups else []
    names = {}
    if "department" in groups:
        ids = {int(r[1]) for r in rows if r[0] == "department" and r[1] is not None}
        names = dict(db.execute(select(Department.id, Department.name)
                                .where(Department.id.in_(ids))).all()) if ids else {}
    for grp, key, answered, yes, average in rows:
        if grp == "department" and key is not None:
            key = int(key)
        out[grp].append(Rate(key, int(answered or 0), int(yes or 0),
                             round(float(average), 2) if average is not None else None,
                             names.get(key) if grp == "department" else None))
    order = {"commitment": list(domain.COMMITMENTS), "district": list(domain.DISTRICTS)}
    for grp, found in out.items():
        if grp in order:
            found.sort(key=lambda r, o=order[grp]: o.index(r.key) if r.key in o else len(o))
        else:
            found.sort(key=lambda r: (r.name is None, r.name or ""))
    return out


def item_counts():
    """Correlated per-item counts for the improvement-list export: answers, yes, not yet and the
    average rating (each a seek of ix_fix_confirmations_item)."""
    def sub(*columns, where=()):
        return (select(*columns).where(FixConfirmation.item_id == ImprovementItem.id, *where)
                .correlate(ImprovementItem).scalar_subquery())

    return (sub(func.count()).label("fix_answers"),
            sub(func.count(), where=(FixConfirmation.fixed.is_(True),)).label("fix_yes"),
            sub(func.count(), where=(FixConfirmation.fixed.is_(False),)).label("fix_not_yet"),
            sub(func.avg(FixConfirmation.rating)).label("fix_rating"))


# ---------------------------------------------------------------------------------------------
# The points hook (portal.panel.activity.confirmed_fixes)


def answered_fixes():
    """(answer id, member id, first answered) of every answer: the "fix confirmed" activities."""
    return db.execute(select(FixConfirmation.id, FixConfirmation.member_id,
                             FixConfirmation.created_at).order_by(FixConfirmation.id)).all()
