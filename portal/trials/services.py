"""Trials: staff management, the questionnaire builder and its lock rules, enrollments.

Rules:
- A trial's status moves only along `domain.TRIAL_TRANSITIONS`; it starts recruiting only with
  at least one question.
- Once a trial has a submitted evaluation its questionnaire is locked against changes that would
  corrupt the answers already given (see `check_*` below); a closed trial's questionnaire cannot
  change at all.
- Members see the trials that recruit or run and target them (segment, district, profile: see
  `targeting`) or invite them; they apply within the enrollment window while places are left
  (places = capacity minus accepted enrollments); accepting also needs room in every quota the
  member counts in. Starting a trial before its start date needs an explicit confirmation. The trial row is
  locked (SELECT ... FOR UPDATE on PostgreSQL) while counting, so capacity holds under concurrency.
- One enrollment per member and trial; a withdrawn member re-applies on the same row.

Staff reach only the trials in their scope (`permissions.trial_scope`): `get_trial` and the
staff list apply it, so every staff page and action starts from a trial the viewer may see.
Product staff reach the trials whose owning team (`TrialOwner`) they are in: the creator is the
first owner; owners add co-owners from the active product staff; only the creator (or an
administrator) removes one, and the creator is never removed (`add_owner`, `remove_owner`).

Saving a trial (its form or a status move) or a question names the version its form was opened
at: a stale one is refused with `portal.errors.Conflict` (checked first, and guarded by the
version column in the UPDATE itself, see portal.versioning), so two editors never overwrite each
other. The order of the questions is not part of their version (`renumber`).

Every domain refusal raises `TrialRefused` (a `portal.errors.Refused`) with a message already
translated, and `field` naming the form field it belongs to when there is one. Every write runs
in one `unit_of_work`: every staff change writes an audit entry (object type "trial", on the
trial: questions and enrollment decisions too) in the same transaction; a refused change writes
nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from portal import domain, permissions, signals
from portal.accounts.models import User
from portal.audit import services as audit
from portal.db import db, unit_of_work, utcnow
from portal.errors import Refused
from portal.pagination import Page, paginate
from portal.permissions import trial_scope
from portal.text import clean_text
from portal.trials import questionnaire, targeting
from portal.trials.models import (
    Answer,
    Enrollment,
    Evaluation,
    Question,
    Trial,
    TrialOwner,
    TrialSegment,
)
from portal.versioning import check_version

STAFF_PER_PAGE = 20
MEMBER_PER_PAGE = 20
APPLICANTS_PER_PAGE = 25
MEMBER_STATUSES_SHOWN = ("recruiting", "running")


class TrialRefused(Refused):
    """A refused action on a trial, its questionnaire or an enrollment; str(exc) says why."""


# ---------------------------------------------------------------------------------------------
# Counting


def accepted_count(trial_id: int) -> int:
    return db.scalar(
        select(func.count(Enrollment.id))
        .where(Enrollment.trial_id == trial_id, Enrollment.status == "accepted")
    ) or 0


def _accepted_subquery():
    return (
        select(func.count(Enrollment.id))
        .where(Enrollment.trial_id == Trial.id, Enrollment.status == "accepted")
        .correlate(Trial)
        .scalar_subquery()
    )


def places_left(trial: Trial, accepted: int) -> int | None:
    """Places still open, or None when the trial has no capacity limit."""
    if trial.capacity is None:
        return None
    return max(0, trial.capacity - accepted)


def has_submitted_evaluation(trial: Trial) -> bool:
    return bool(db.scalar(
        select(func.count(Evaluation.id)).where(
            Evaluation.trial_id == trial.id,
            or_(Evaluation.version > 0, Evaluation.status == "submitted"),
        )
    ))


@dataclass
class TrialCounts:
    applied: int
    accepted: int
    declined: int
    withdrawn: int
    submitted: int


def trial_counts(trial: Trial) -> TrialCounts:
    """Enrollments by status and submitted evaluations: two queries."""
    rows = db.execute(
        select(Enrollment.status, func.count(Enrollment.id))
        .where(Enrollment.trial_id == trial.id)
        .group_by(Enrollment.status)
    ).all()
    by_status = {status: count for status, count in rows}
    submitted = db.scalar(
        select(func.count(Evaluation.id)).where(
            Evaluation.trial_id == trial.id,
            or_(Evaluation.version > 0, Evaluation.status == "submitted"),
        )
    ) or 0
    return TrialCounts(
        applied=by_status.get("applied", 0), accepted=by_status.get("accepted", 0),
        declined=by_status.get("declined", 0), withdrawn=by_status.get("withdrawn", 0),
        submitted=submitted,
    )


# ---------------------------------------------------------------------------------------------
# Staff: trials


def _in_scope(stmt, viewer: User):
    """`stmt` on Trial limited to the trials `viewer` reaches."""
    scope = trial_scope(viewer)
    return stmt if scope is None else stmt.where(scope)


def staff_trials(viewer: User, status: str | None = None, kind: str | None = None,
                 segment: str | None = None, text: str | None = None,
                 per_page: int = STAFF_PER_PAGE) -> Page:
    """A page of the trials `viewer` reaches, newest first, filtered; rows are
    (Trial, accepted count)."""
    stmt = _in_scope(select(Trial, _accepted_subquery().label("accepted")), viewer).order_by(
        Trial.created_at.desc(), Trial.id.desc()
    )
    if status in domain.TRIAL_STATUSES:
        stmt = stmt.where(Trial.status == status)
    if kind in domain.TRIAL_KINDS:
        stmt = stmt.where(Trial.kind == kind)
    if segment in domain.SEGMENTS:
        stmt = stmt.where(Trial.segments.any(TrialSegment.segment == segment))
    text = (text or "").strip()
    if text:
        stmt = stmt.where(or_(
            Trial.title.icontains(text, autoescape=True),
            Trial.description.icontains(text, autoescape=True),
        ))
    return paginate(stmt, per_page=per_page, scalars=False)


def get_trial(viewer: User, trial_id: int) -> Trial | None:
    """The trial, or None when it does not exist or is outside `viewer`'s scope (staff pages
    answer 404 either way, so ids cannot be probed). Its questions load when first read."""
    return db.scalar(_in_scope(select(Trial).where(Trial.id == trial_id), viewer))


TRIAL_FIELDS = (
    "kind", "title", "description", "capacity", "auto_accept", "enrollment_opens_on",
    "enrollment_closes_on", "starts_on", "ends_on",
)


def check_windows(opens: date, closes: date, starts: date, ends: date) -> dict[str, str]:
    """Errors by field name for inconsistent windows (empty when all is well)."""
    errors: dict[str, str] = {}
    if opens and closes and closes < opens:
        errors["enrollment_closes_on"] = _("Enrollment cannot close before it opens.")
    if starts and ends and ends < starts:
        errors["ends_on"] = _("The trial cannot end before it starts.")
    if opens and starts and starts < opens:
        errors["starts_on"] = _("The trial cannot start before enrollment opens.")
    return errors


def _trial_values(trial: Trial) -> dict[str, Any]:
    values = audit.snapshot(trial, TRIAL_FIELDS)
    values["segments"] = trial.segment_codes
    values.update(targeting.audit_values(trial))
    return values


def _checked_segments(data: dict[str, Any]) -> list[str]:
    """The target segments of clean form data, after the checks that need no database."""
    segments = sorted({s for s in data["segments"] if s in domain.SEGMENTS})
    if not segments:
        raise TrialRefused(_("Choose at least one target segment."), field="segments")
    errors = check_windows(data["enrollment_opens_on"], data["enrollment_closes_on"],
                           data["starts_on"], data["ends_on"])
    if errors:
        name, message = next(iter(errors.items()))
        raise TrialRefused(message, field=name)
    return segments


def _check_capacity(trial: Trial, capacity: int | None) -> None:
    if capacity is None:
        return
    accepted = accepted_count(trial.id)
    if capacity < accepted:
        raise TrialRefused(_(
            "The capacity cannot be lower than the %(accepted)s members already accepted.",
            accepted=accepted,
        ), field="capacity")


def save_trial(trial: Trial | None, data: dict[str, Any], user: User,
               version: int | None = None) -> Trial:
    """Create (trial None; its creator becomes its first owner) or update a trial from clean
    form data, in one unit of work. `user` is the staff member acting (recorded in the audit
    log); an update names the `version` its form was opened at (Conflict when stale)."""
    if trial is not None:
        check_version(trial, version)
    segments = _checked_segments(data)
    with unit_of_work():
        if trial is None:
            trial = Trial(status="draft", created_by_id=user.id)
            db.add(trial)
            before = None
        else:
            trial = db.scalar(select(Trial).where(Trial.id == trial.id).with_for_update()) or trial
            _check_capacity(trial, data.get("capacity"))
            before = _trial_values(trial)
        for name in TRIAL_FIELDS:
            value = data.get(name)
            setattr(trial, name, clean_text(value) if name == "description" else value)
        current = {s.segment: s for s in trial.segments}
        trial.segments = [current.get(code) or TrialSegment(segment=code) for code in segments]
        targeting.set_targeting(trial, *targeting.checked_targeting(data))
        after = _trial_values(trial)
        if before is not None and before != after:
            # A change of the segments alone touches no column of the trial: the new
            # updated_at makes every change a new version.
            trial.updated_at = utcnow()
        db.flush()
        if before is None:
            audit.record(user, "create", "trial", trial.id, None, {**after, "status": trial.status})
        else:
            audit.record(user, "update", "trial", trial.id, before, after)
    return trial


def allowed_transitions(trial: Trial) -> tuple[str, ...]:
    return domain.TRIAL_TRANSITIONS.get(trial.status, ())


def status_refusal(trial: Trial, new_status: str) -> str | None:
    """Why `trial` cannot move to `new_status`, or None when TRIAL_TRANSITIONS allows it."""
    if new_status not in domain.TRIAL_STATUSES:
        return _("Unknown status.")
    if new_status not in allowed_transitions(trial):
        return _("A trial cannot go from %(current)s to %(new)s.",
                 current=domain.TRIAL_STATUSES[trial.status], new=domain.TRIAL_STATUSES[new_status])
    if new_status == "recruiting" and not trial.questions:
        return _("Add at least one question before the trial starts recruiting.")
    return None


def starts_early(trial: Trial, new_status: str, today: date | None = None) -> bool:
    """Would this move start the trial before its start date (it then needs a confirmation)?"""
    return new_status == "running" and (today or domain.shanghai_today()) < trial.starts_on


def change_status(trial: Trial, new_status: str, actor: User, version: int | None = None,
                  early_start_confirmed: bool = False) -> Trial:
    """Move the trial to `new_status` if TRIAL_TRANSITIONS allows it, in one unit of work, from
    a page showing it at `version` (Conflict when it changed since). Starting it before its
    start date needs `early_start_confirmed`, which the audit entry records."""
    check_version(trial, version)
    with unit_of_work():
        trial = db.scalar(select(Trial).where(Trial.id == trial.id).with_for_update()) or trial
        refusal = status_refusal(trial, new_status)
        if refusal:
            raise TrialRefused(refusal)
        after: dict[str, Any] = {"status": new_status}
        if starts_early(trial, new_status):
            if not early_start_confirmed:
                raise TrialRefused(_(
                    "This trial is planned to start on %(date)s. To start it now, tick the box "
                    "confirming the early start.", date=_format_date(trial.starts_on)),
                    field="confirm_early_start")
            after["early_start_confirmed"] = trial.starts_on
        audit.record(actor, "trial.status", "trial", trial.id, {"status": trial.status}, after)
        old_status = trial.status
        trial.status = new_status
        signals.trial_status_changed.send(trial, actor=actor, old_status=old_status,
                                          new_status=new_status)
    return trial


# ---------------------------------------------------------------------------------------------
# Staff: the owning team


def owners(trial: Trial) -> list[TrialOwner]:
    """The trial's owning team with their users, in the order they joined (one query). Also
    fills `trial.owners`, so later permission checks on the trial ask no more."""
    rows = list(db.scalars(
        select(TrialOwner)
        .options(joinedload(TrialOwner.user), joinedload(TrialOwner.added_by))
        .where(TrialOwner.trial_id == trial.id)
        .order_by(TrialOwner.added_at, TrialOwner.id)
    ))
    set_committed_value(trial, "owners", rows)
    return rows


def owner_candidates(trial: Trial) -> list[User]:
    """Who may join the trial's owning team: active product staff not in it yet."""
    return list(db.scalars(
        select(User)
        .where(User.role.in_(permissions.trial_owner_roles()), User.status == "active",
               User.id.not_in(select(TrialOwner.user_id).where(TrialOwner.trial_id == trial.id)))
        .order_by(User.name, User.id)
    ))


def add_owner(trial: Trial, user_id: int | None, actor: User) -> TrialOwner:
    """Add an active product staff user to the trial's owning team, in one unit of work. The
    view has checked that `actor` may (`trials.manage_owners` on this trial)."""
    refused = TrialRefused(_("Choose an active member of the product staff."), field="user_id")
    try:
        with unit_of_work():
            user = db.get(User, user_id) if user_id else None
            if user is None or user.status != "active" or user.role not in permissions.trial_owner_roles():
                raise refused
            if db.scalar(select(TrialOwner.id).where(TrialOwner.trial_id == trial.id,
                                                     TrialOwner.user_id == user.id)):
                raise TrialRefused(_("%(name)s is already in the owning team.", name=user.name),
                                   field="user_id")
            owner = TrialOwner(trial_id=trial.id, user_id=user.id, added_by_id=actor.id)
            db.add(owner)
            db.flush()
            audit.record(actor, "owner.add", "trial", trial.id, None, {"owner_id": user.id})
    except IntegrityError:  # added by someone else at the same moment
        raise TrialRefused(_("This person is already in the owning team."), field="user_id") from None
    return owner


def remove_owner(trial: Trial, user_id: int, actor: User) -> User:
    """Take a co-owner out of the trial's owning team, in one unit of work; never its creator.
    The view has checked that `actor` may (`permissions.may_remove_owners`)."""
    if user_id == trial.created_by_id:
        raise TrialRefused(_("The trial's creator always stays in its owning team."))
    with unit_of_work():
        owner = db.scalar(select(TrialOwner).options(joinedload(TrialOwner.user))
                          .where(TrialOwner.trial_id == trial.id, TrialOwner.user_id == user_id))
        if owner is None:
            raise TrialRefused(_("This person is not in the owning team."))
        db.delete(owner)
        audit.record(actor, "owner.remove", "trial", trial.id, {"owner_id": user_id}, None)
    return owner.user


# ---------------------------------------------------------------------------------------------
# Staff: the questionnaire builder and its lock rules


def parse_options(text: str | None) -> list[str]:
    """Options typed one per line; surrounding blank lines and spaces are dropped."""
    text = clean_text(text)
    if not text:
        return []
    return [line.strip() for line in text.split("\n")]


def options_errors(kind: str, options: list[str]) -> str | None:
    """Why these options do not fit a question of `kind`, or None."""
    if kind not in domain.CHOICE_QUESTION_KINDS:
        return None
    if any(o == "" for o in options):
        return _("Options cannot be blank: remove the empty lines.")
    if len(options) < 2:
        return _("A choice question needs at least two options, one per line.")
    if len(set(options)) != len(options):
        return _("Each option may appear only once.")
    if any(len(o) > 200 for o in options):
        return _("Each option may have at most %(max)s characters.", max=200)
    return None


def questionnaire_locked(trial: Trial) -> bool:
    """True once the trial has a submitted evaluation."""
    return has_submitted_evaluation(trial)


def check_open(trial: Trial) -> None:
    if trial.status == "closed":
        raise TrialRefused(_("This trial is closed: its questionnaire can no longer change."))


def check_new_question(trial: Trial, required: bool, locked: bool) -> None:
    check_open(trial)
    if locked and required:
        raise TrialRefused(_(
            "Members have already submitted evaluations of this trial, so a new question must be "
            "optional: their submitted answers could not include it."
        ), field="required")


def check_question_change(question: Question, kind: str, required: bool, options: list[str],
                          locked: bool) -> None:
    """Refuse changes of `question` that would corrupt submitted answers."""
    check_open(question.trial)
    if not locked:
        return
    if kind != question.kind:
        raise TrialRefused(_(
            "Members have already submitted evaluations of this trial, so the kind of a question "
            "cannot change: their answers were given to the present kind."
        ), field="kind")
    if required and not question.required:
        raise TrialRefused(_(
            "Members have already submitted evaluations of this trial, so an optional question "
            "cannot become required."
        ), field="required")
    if kind in domain.CHOICE_QUESTION_KINDS:
        missing = [o for o in (question.options or []) if o not in options]
        if missing:
            raise TrialRefused(_(
                "Members have already submitted evaluations of this trial, so existing options "
                "cannot be removed or renamed (missing: %(options)s). You may add new options.",
                options=", ".join(missing),
            ), field="options")


def check_delete(question: Question, locked: bool) -> None:
    check_open(question.trial)
    if locked:
        raise TrialRefused(_(
            "Members have already submitted evaluations of this trial, so its questions cannot be "
            "deleted. You may make a question optional instead."
        ))


def _question_audit(question: Question) -> dict[str, Any]:
    """A question as recorded in the audit log (its kind under "question_kind")."""
    return dict(
        prompt=question.prompt, question_kind=question.kind, help_text=question.help_text,
        required=question.required, options=list(question.options or []),
        **questionnaire.question_audit(question),  # English text and show-if rule
    )


def _question_values(data: dict[str, Any]) -> dict[str, Any]:
    kind = data["kind"]
    options = parse_options(data.get("options")) if kind in domain.CHOICE_QUESTION_KINDS else []
    error = options_errors(kind, options)
    if error:
        raise TrialRefused(error, field="options")
    return dict(
        kind=kind, prompt=clean_text(data.get("prompt")), help_text=clean_text(data.get("help_text")),
        required=bool(data.get("required")), options=options,
        **questionnaire.english_values(kind, data, options),
    )


def add_question(trial: Trial, data: dict[str, Any], actor: User) -> Question:
    values = _question_values(data)
    with unit_of_work():
        check_new_question(trial, values["required"], questionnaire_locked(trial))
        position = (max((q.position for q in trial.questions), default=-1)) + 1
        values.update(questionnaire.checked_rule(trial.questions, None, position, data, values["required"]))
        question = Question(trial_id=trial.id, position=position, **values)
        db.add(question)
        db.flush()
        audit.record(actor, "question.add", "trial", trial.id, None,
                     {"question_id": question.id, **_question_audit(question), "position": position + 1})
    return question


def update_question(question: Question, data: dict[str, Any], actor: User,
                    version: int | None = None) -> Question:
    """Save the question as edited on a form opened at `version` (Conflict when stale)."""
    check_version(question, version)
    values = _question_values(data)
    with unit_of_work():
        locked = questionnaire_locked(question.trial)
        check_question_change(question, values["kind"], values["required"], values["options"], locked)
        values.update(questionnaire.checked_rule(question.trial.questions, question, question.position,
                                                 data, values["required"], locked=locked))
        questionnaire.check_source_change(question, values["kind"], values["options"])
        before = _question_audit(question)
        old_options = list(question.options or [])
        if values["kind"] != question.kind or any(o not in values["options"] for o in old_options):
            # Only drafts can hold answers here (the questionnaire is not locked): they no longer fit.
            db.execute(delete(Answer).where(Answer.question_id == question.id))
        for name, value in values.items():
            setattr(question, name, value)
        after = _question_audit(question)
        changed = [k for k in after if before[k] != after[k]]
        # Which question: its id, and its text when the text itself did not change.
        audit.record(actor, "question.update", "trial", question.trial_id,
                     {k: before[k] for k in changed},
                     {"question_id": question.id, "prompt": question.prompt,
                      **{k: after[k] for k in changed}})
    return question


def delete_question(question: Question, actor: User) -> None:
    with unit_of_work():
        check_delete(question, questionnaire_locked(question.trial))
        questionnaire.check_delete(question)  # no show-if rule may read it
        trial = question.trial
        audit.record(actor, "question.delete", "trial", trial.id,
                     {"question_id": question.id, **_question_audit(question),
                      "position": question.position + 1}, None)
        # Drafts may hold answers to it (nothing submitted, or the delete was refused above).
        db.execute(delete(Answer).where(Answer.question_id == question.id))
        trial.questions.remove(question)
        db.delete(question)
        renumber(trial.questions)


def renumber(ordered: list[Question]) -> None:
    """Give the questions the positions 0, 1, 2... in this order. The order is the trial's, not
    part of a question: it is written without a new version, so a question's edit form open
    meanwhile stays valid."""
    table = Question.__table__
    for i, q in enumerate(ordered):
        if q.position != i:
            db.execute(update(table).where(table.c.id == q.id).values(position=i))
            set_committed_value(q, "position", i)


def move_question(question: Question, direction: str, actor: User) -> None:
    """Swap the question with its neighbour above ("up") or below ("down")."""
    with unit_of_work():
        trial = question.trial
        check_open(trial)
        ordered = list(trial.questions)
        index = ordered.index(question)
        other = index - 1 if direction == "up" else index + 1
        if direction not in ("up", "down") or not 0 <= other < len(ordered):
            return
        ordered[index], ordered[other] = ordered[other], ordered[index]
        questionnaire.check_order(ordered)  # show-if rules keep pointing backwards
        renumber(ordered)
        # Positions are recorded as people count them (from 1).
        audit.record(actor, "question.move", "trial", trial.id, {"position": index + 1},
                     {"question_id": question.id, "prompt": question.prompt, "position": other + 1})


# ---------------------------------------------------------------------------------------------
# Staff: enrollment decisions


def applicants(trial: Trial, status: str | None = None, per_page: int = APPLICANTS_PER_PAGE) -> Page:
    """A page of the trial's enrollments with their members, applications first; two queries."""
    stmt = (
        select(Enrollment, User)
        .join(User, User.id == Enrollment.member_id)
        .where(Enrollment.trial_id == trial.id)
        .order_by(Enrollment.created_at, Enrollment.id)
    )
    if status in domain.ENROLLMENT_STATUSES:
        stmt = stmt.where(Enrollment.status == status)
    return paginate(stmt, per_page=per_page, scalars=False)


def get_enrollment(viewer: User, trial: Trial, enrollment_id: int) -> Enrollment | None:
    """An enrollment of `trial`, or None when it does not exist, belongs to another trial, or
    the trial is outside `viewer`'s scope."""
    if get_trial(viewer, trial.id) is None:
        return None
    return db.scalar(
        select(Enrollment).where(Enrollment.id == enrollment_id, Enrollment.trial_id == trial.id)
    )


def decision_refusal(trial_status: str, enrollment_status: str, accept: bool,
                     places: int | None) -> str | None:
    """Why staff cannot accept (or decline) an enrollment now, or None. `places` is the number
    of places left (None: no limit)."""
    if trial_status == "closed":
        return _("This trial is closed: enrollments can no longer change.")
    if enrollment_status == "withdrawn":
        return _("This member has withdrawn from the trial.")
    if accept and enrollment_status == "accepted":
        return _("This member is already accepted.")
    if accept and places is not None and places <= 0:
        return _("The trial is full: no place is left to accept this member.")
    if not accept and enrollment_status == "declined":
        return _("This application is already declined.")
    return None


def decide(trial: Trial, enrollment: Enrollment, accept: bool, staff: User) -> Enrollment:
    """Accept or decline an application, in one unit of work; accepting is refused when the
    trial is full. The trial row is locked while the accepted enrollments are counted."""
    with unit_of_work():
        locked = db.scalar(select(Trial).where(Trial.id == trial.id).with_for_update()) or trial
        db.refresh(enrollment)
        previous = enrollment.status
        places = places_left(locked, accepted_count(locked.id)) if accept else None
        refusal = decision_refusal(locked.status, previous, accept, places)
        if accept and not refusal:
            refusal = targeting.quota_refusal(locked.id, enrollment.member_id)
        if refusal:
            raise TrialRefused(refusal)
        enrollment.status = "accepted" if accept else "declined"
        enrollment.decided_at = utcnow()
        enrollment.decided_by_id = staff.id
        member_name = db.scalar(select(User.name).where(User.id == enrollment.member_id))
        audit.record(staff, "enrollment.accept" if accept else "enrollment.decline", "trial",
                     locked.id, {"enrollment_status": previous},
                     {"enrollment_id": enrollment.id, "member": member_name,
                      "enrollment_status": enrollment.status})
        signals.enrollment_decided.send(enrollment, actor=staff, old_status=previous,
                                        new_status=enrollment.status)
    return enrollment


# ---------------------------------------------------------------------------------------------
# Members


def _visible_to(member: User):
    return and_(Trial.status.in_(MEMBER_STATUSES_SHOWN), targeting.visible_to(member))


def member_trials(member: User, per_page: int = MEMBER_PER_PAGE) -> Page:
    """Trials that recruit or run, open to the member by their targeting (segment, district,
    profile) or to which they are invited; rows are (Trial, the member's Enrollment or None,
    accepted count). A fixed number of queries whatever the size."""
    stmt = (
        select(Trial, Enrollment, _accepted_subquery().label("accepted"))
        .outerjoin(Enrollment, and_(Enrollment.trial_id == Trial.id, Enrollment.member_id == member.id))
        .where(_visible_to(member))
        .order_by(Trial.enrollment_closes_on, Trial.id)
    )
    return paginate(stmt, per_page=per_page, scalars=False)


def get_trial_open_to_member(member: User, trial_id: int) -> Trial | None:
    """The trial if the member may see it (and apply or withdraw there): never a draft; open to
    their segment, one they are invited to, or one they have an enrollment in (their segment may
    have changed since). Within their segment, a trial whose districts or profile conditions
    leave them out is shown with the reason (`application_refusal`)."""
    mine = select(Enrollment.id).where(
        Enrollment.trial_id == Trial.id, Enrollment.member_id == member.id
    ).exists()
    return db.scalar(
        select(Trial).where(
            Trial.id == trial_id,
            Trial.status != "draft",
            or_(Trial.segments.any(TrialSegment.segment == member.segment), mine,
                targeting.invited_to(member)),
        )
    )


def my_enrollment(trial: Trial, member: User) -> Enrollment | None:
    return db.scalar(
        select(Enrollment).where(Enrollment.trial_id == trial.id, Enrollment.member_id == member.id)
    )


def application_refusal(trial: Trial, member: User, enrollment: Enrollment | None,
                        accepted: int, today: date | None = None) -> str | None:
    """Why the member cannot apply now, or None if they can."""
    today = today or domain.shanghai_today()
    targeted = targeting.refusal(trial, member)
    if targeted:
        return targeted
    if enrollment is not None and enrollment.status in ("applied", "accepted"):
        return _("You have already applied to this trial.")
    if enrollment is not None and enrollment.status == "declined":
        return _("Your application to this trial was declined.")
    if trial.status == "closed":
        return _("This trial is closed.")
    if trial.status != "recruiting":
        return _("This trial is not recruiting.")
    if today < trial.enrollment_opens_on:
        return _("Enrollment opens on %(date)s.", date=_format_date(trial.enrollment_opens_on))
    if today > trial.enrollment_closes_on:
        return _("Enrollment closed on %(date)s.", date=_format_date(trial.enrollment_closes_on))
    left = places_left(trial, accepted)
    if left is not None and left <= 0:
        return _("This trial is full: no place is left.")
    return None


def _format_date(value: date) -> str:
    from flask_babel import format_date

    return format_date(value)


def apply(trial: Trial, member: User, motivation: str) -> Enrollment:
    """Apply (or re-apply after withdrawing), in one unit of work; auto-accepted when the trial
    says so."""
    try:
        with unit_of_work():
            locked = db.scalar(select(Trial).where(Trial.id == trial.id).with_for_update())
            if locked is None:
                raise LookupError(trial.id)
            enrollment = my_enrollment(locked, member)
            refusal = application_refusal(locked, member, enrollment, accepted_count(locked.id))
            if refusal:
                raise TrialRefused(refusal)
            if enrollment is None:
                enrollment = Enrollment(trial_id=locked.id, member_id=member.id)
                db.add(enrollment)
            # A member whose quota is full waits for a staff decision (the quota may grow).
            auto = locked.auto_accept and targeting.full_quota(
                locked.id, member.segment, member.district) is None
            _fill_application(enrollment, clean_text(motivation), auto)
    except IntegrityError:
        # Another request of the same member inserted the enrollment in between.
        raise TrialRefused(_("You have already applied to this trial.")) from None
    return enrollment


def _fill_application(enrollment: Enrollment, motivation: str, auto_accept: bool) -> None:
    now = utcnow()
    enrollment.motivation = motivation
    enrollment.created_at = now
    enrollment.status = "accepted" if auto_accept else "applied"
    enrollment.decided_at = now if auto_accept else None
    enrollment.decided_by_id = None


def withdraw(trial: Trial, member: User) -> Enrollment:
    """Withdraw the member's application or participation, in one unit of work."""
    with unit_of_work():
        enrollment = db.scalar(
            select(Enrollment)
            .where(Enrollment.trial_id == trial.id, Enrollment.member_id == member.id)
            .with_for_update()
        )
        if enrollment is None or enrollment.status not in ("applied", "accepted"):
            raise TrialRefused(_("You have no application to withdraw in this trial."))
        if trial.status == "closed":
            raise TrialRefused(_("This trial is closed: you can no longer withdraw."))
        enrollment.status = "withdrawn"
    return enrollment


def my_enrollments(member: User, per_page: int = MEMBER_PER_PAGE) -> Page:
    """The member's enrollments with their trials, newest first; rows are Enrollment with trial."""
    stmt = (
        select(Enrollment)
        .join(Trial, Trial.id == Enrollment.trial_id)
        .where(Enrollment.member_id == member.id, Trial.status != "draft")
        .options(selectinload(Enrollment.trial))
        .order_by(Enrollment.created_at.desc(), Enrollment.id.desc())
    )
    return paginate(stmt, per_page=per_page)
