"""The triage inbox: one Submission per member submission, and what staff do with it.

Rules:
- `record_evaluation` / `record_gap_report` / `record_opinion` create or refresh the Submission
  of a source row inside the caller's transaction (no commit). A re-submitted evaluation or an
  edited opinion refreshes the copied content (title, description, low score) and keeps the
  triage state (status, assignee, tags, notes, links).
- Office and admin see every submission; product staff see only the evaluations of trials and
  the opinions of consultations they created (never gap reports); members see nothing.
- The inbox pages by keyset on (submitted_at, id), newest first, never with OFFSET, in a fixed
  number of queries whatever the page size.
- A triage save names the version it was rendered with: when someone saved in between, the save
  is refused (`Conflict`) and nothing is written.
- Every staff action adds an audit entry in the same transaction.
"""
from __future__ import annotations

import base64
import binascii
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterable, Mapping

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, false, func, or_, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from portal import domain
from portal.accounts.models import User
from portal.audit import services as audit
from portal.audit.models import AuditEntry
from portal.db import db, utcnow
from portal.gaps.models import ServiceGapReport
from portal.improvements.models import ImprovementItem
from portal.opinions.models import Consultation, Opinion
from portal.triage.models import InternalNote, Submission
from portal.trials.models import Evaluation, EvaluationVersion, Trial

PER_PAGE = 25
MAX_PER_PAGE = 200
SEARCH_MAX = 100
NOTE_MAX = 2000
REASON_MAX = 1000
TAGS_MAX = 10
TAG_LENGTH_MAX = 30
TITLE_MAX = 300
# Roles that see every submission; product staff see a scoped part.
ALL_ROLES = ("office", "admin")
# Statuses a bulk action may set.
BULK_STATUSES = ("in_review", "no_action")
# The fields a triage save may change, as recorded in the audit log.
TRIAGE_FIELDS = ("assignee_id", "status", "no_action_reason", "duplicate_of_id", "tags")

FIELD_LABELS = {
    "assignee_id": _l("Assignee"),
    "status": _l("Status"),
    "no_action_reason": _l("Reason for no action"),
    "duplicate_of_id": _l("Duplicate of"),
    "tags": _l("Tags"),
    "items": _l("Improvement items"),
    "note": _l("Internal note"),
}


class TriageRefused(Exception):
    """The change cannot be made; str(exc) says why, in the viewer's language."""


class Conflict(TriageRefused):
    """Someone else saved the submission since it was shown: nothing was saved."""


CONFLICT_MESSAGE = _l(
    "Someone else changed this submission while you were editing. Your changes were not saved: "
    "review the current values below and save again."
)


# ---------------------------------------------------------------------------------------------
# Feeding the inbox (called by the member-side services, before their commit)


def _find(column, value) -> Submission | None:
    return db.scalar(select(Submission).where(column == value))


def _member(member_id: int) -> User | None:
    return db.get(User, member_id)


def _clip(text: str | None, limit: int) -> str:
    text = text or ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _new_submission(kind: str, member_id: int, member: User | None, **fields) -> Submission:
    submission = Submission(
        kind=kind, member_id=member_id, segment=member.segment if member else None,
        status="new", tags=[], **fields,
    )
    db.add(submission)
    return submission


def evaluation_text(answers: Mapping[str, Any]) -> str:
    """The free-text answers of a frozen evaluation, in the questionnaire's order."""
    entries = sorted(answers.items(), key=lambda item: (item[1].get("position", 0), int(item[0])))
    return "\n\n".join(
        entry["text"] for _qid, entry in entries
        if entry.get("kind") == "text" and entry.get("text")
    )


def record_evaluation(evaluation: Evaluation, answers: Mapping[str, Any] | None = None) -> Submission:
    """Create or refresh the submission of a submitted evaluation. `answers` is the frozen copy
    just submitted; without it the latest submitted version is read."""
    from portal.trials.evaluation_services import is_low_score

    if evaluation.id is None:
        db.flush()
    if answers is None:
        answers = db.scalar(
            select(EvaluationVersion.answers)
            .where(EvaluationVersion.evaluation_id == evaluation.id)
            .order_by(EvaluationVersion.version.desc()).limit(1)
        ) or {}
    trial = db.get(Trial, evaluation.trial_id)
    member = _member(evaluation.member_id)
    content = dict(
        title=_clip(trial.title if trial else "", TITLE_MAX),
        description=evaluation_text(answers),
        low_score=is_low_score(answers),
        submitted_at=evaluation.submitted_at or utcnow(),
    )
    submission = _find(Submission.evaluation_id, evaluation.id)
    if submission is None:
        submission = _new_submission(
            "evaluation", evaluation.member_id, member, evaluation_id=evaluation.id, trial_id=evaluation.trial_id,
            district=member.district if member else None, **content,
        )
        evaluation.triage_status = "new"
    else:
        for name, value in content.items():
            setattr(submission, name, value)
    return submission


def record_gap_report(report: ServiceGapReport) -> Submission:
    """Create or refresh the submission of a service-gap report."""
    if report.id is None:
        db.flush()
    member = _member(report.member_id)
    content = dict(
        title=_clip(report.title, TITLE_MAX), description=report.description or "",
        district=report.district, channel=report.channel, commitment=report.commitment,
        severity=report.severity,
    )
    submission = _find(Submission.gap_report_id, report.id)
    if submission is None:
        submission = _new_submission(
            "gap_report", report.member_id, member, gap_report_id=report.id,
            submitted_at=report.created_at or utcnow(), **content,
        )
    else:
        for name, value in content.items():
            setattr(submission, name, value)
    return submission


def record_opinion(opinion: Opinion) -> Submission:
    """Create or refresh the submission of a member's opinion."""
    if opinion.id is None:
        db.flush()
    consultation = db.get(Consultation, opinion.consultation_id)
    member = _member(opinion.member_id)
    content = dict(
        title=_clip(consultation.title if consultation else "", TITLE_MAX),
        description=opinion.text or "",
    )
    submission = _find(Submission.opinion_id, opinion.id)
    if submission is None:
        submission = _new_submission(
            "opinion", opinion.member_id, member, opinion_id=opinion.id, consultation_id=opinion.consultation_id,
            district=member.district if member else None,
            submitted_at=opinion.created_at or utcnow(), **content,
        )
    else:
        for name, value in content.items():
            setattr(submission, name, value)
    return submission


# ---------------------------------------------------------------------------------------------
# Who sees what


def can_triage(user) -> bool:
    return getattr(user, "role", None) in domain.STAFF_ROLES


def visible_condition(viewer):
    """The WHERE condition of the submissions `viewer` may see."""
    role = getattr(viewer, "role", None)
    if role in ALL_ROLES:
        return None
    if role == "product":
        own_trials = select(Trial.id).where(Trial.created_by_id == viewer.id)
        own_consultations = select(Consultation.id).where(Consultation.created_by_id == viewer.id)
        return or_(
            and_(Submission.kind == "evaluation", Submission.trial_id.in_(own_trials)),
            and_(Submission.kind == "opinion", Submission.consultation_id.in_(own_consultations)),
        )
    return false()


def _scoped(stmt: Select, viewer) -> Select:
    condition = visible_condition(viewer)
    return stmt if condition is None else stmt.where(condition)


# ---------------------------------------------------------------------------------------------
# The inbox


def _vocab_value(value: str | None, vocabulary) -> str | None:
    value = (value or "").strip()
    return value if value in {str(code) for code in vocabulary} else None


def _int_value(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) <= 12 else None


def _date_value(value: str | None) -> date | None:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        return None


@dataclass
class InboxFilters:
    """The inbox filters, from the query string. Values not allowed are dropped.

    `assignee_id` 0 means "unassigned"; dates are days in Shanghai, both included."""

    kind: str | None = None
    status: str | None = None
    segment: str | None = None
    district: str | None = None
    channel: str | None = None
    commitment: str | None = None
    trial_id: int | None = None
    assignee_id: int | None = None
    severity: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    q: str | None = None

    ARG_NAMES = ("kind", "status", "segment", "district", "channel", "commitment", "trial_id",
                 "assignee_id", "severity", "date_from", "date_to", "q")

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> "InboxFilters":
        severity = _vocab_value(args.get("severity"), domain.SEVERITIES)
        q = (args.get("q") or "").replace("\x00", "").strip()[:SEARCH_MAX]
        return cls(
            kind=_vocab_value(args.get("kind"), domain.SUBMISSION_KINDS),
            status=_vocab_value(args.get("status"), domain.SUBMISSION_STATUSES),
            segment=_vocab_value(args.get("segment"), domain.SEGMENTS),
            district=_vocab_value(args.get("district"), domain.DISTRICTS),
            channel=_vocab_value(args.get("channel"), domain.CHANNELS),
            commitment=_vocab_value(args.get("commitment"), domain.COMMITMENTS),
            trial_id=_int_value(args.get("trial_id")),
            assignee_id=_int_value(args.get("assignee_id")),
            severity=int(severity) if severity else None,
            date_from=_date_value(args.get("date_from")),
            date_to=_date_value(args.get("date_to")),
            q=q or None,
        )

    def to_args(self) -> dict[str, str]:
        """The filters set, as query-string arguments."""
        out = {}
        for name in self.ARG_NAMES:
            value = getattr(self, name)
            if value is not None and value != "":
                out[name] = value.isoformat() if isinstance(value, date) else str(value)
        return out

    def apply(self, stmt: Select) -> Select:
        for name in ("kind", "status", "segment", "district", "channel", "commitment",
                     "trial_id", "severity"):
            value = getattr(self, name)
            if value is not None:
                stmt = stmt.where(getattr(Submission, name) == value)
        if self.assignee_id == 0:
            stmt = stmt.where(Submission.assignee_id.is_(None))
        elif self.assignee_id is not None:
            stmt = stmt.where(Submission.assignee_id == self.assignee_id)
        if self.date_from is not None:
            stmt = stmt.where(Submission.submitted_at >= _shanghai_midnight(self.date_from))
        if self.date_to is not None:
            stmt = stmt.where(
                Submission.submitted_at < _shanghai_midnight(self.date_to + timedelta(days=1))
            )
        if self.q:
            stmt = stmt.where(or_(
                Submission.title.icontains(self.q, autoescape=True),
                Submission.description.icontains(self.q, autoescape=True),
            ))
        return stmt


def _shanghai_midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=domain.SHANGHAI).astimezone(timezone.utc)


def inbox_query(viewer, filters: InboxFilters | None = None) -> Select:
    """Submissions `viewer` may see matching `filters`, newest first (submitted_at, id)."""
    stmt = select(Submission)
    stmt = _scoped(stmt, viewer)
    if filters is not None:
        stmt = filters.apply(stmt)
    return stmt.order_by(Submission.submitted_at.desc(), Submission.id.desc())


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def encode_cursor(direction: str, submission: Submission) -> str:
    """A cursor naming a row's (submitted_at, id): 'o' pages to older rows, 'n' to newer."""
    moment = submission.submitted_at.astimezone(timezone.utc)
    micros = (moment - _EPOCH) // timedelta(microseconds=1)
    raw = f"{direction}:{micros}:{submission.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str | None) -> tuple[str, datetime, int] | None:
    """(direction, submitted_at, id) of a cursor, or None when it is missing or malformed."""
    if not token or len(token) > 80:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        direction, micros, ident = raw.split(":")
        if direction not in ("o", "n"):
            return None
        moment = _EPOCH + timedelta(microseconds=int(micros))
        return direction, moment, int(ident)
    except (ValueError, binascii.Error, UnicodeDecodeError, OverflowError):
        return None


@dataclass
class InboxPage:
    items: list[Submission]
    total: int
    per_page: int
    older_cursor: str | None = None
    newer_cursor: str | None = None
    is_first: bool = True


def inbox_page(viewer, filters: InboxFilters, cursor: str | None = None,
               per_page: int = PER_PAGE) -> InboxPage:
    """One page of the inbox by keyset: three queries (count, rows, their items)."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    base = inbox_query(viewer, filters)
    total = db.scalar(select(func.count()).select_from(base.order_by(None).subquery())) or 0
    stmt = base.options(
        joinedload(Submission.member), joinedload(Submission.assignee),
        selectinload(Submission.items),
    )
    position = decode_cursor(cursor)
    if position is None:
        rows = list(db.scalars(stmt.limit(per_page + 1)).unique())
        items, more = rows[:per_page], len(rows) > per_page
        return InboxPage(
            items=items, total=total, per_page=per_page, is_first=True,
            older_cursor=encode_cursor("o", items[-1]) if more else None,
        )
    direction, moment, ident = position
    if direction == "o":
        stmt = stmt.where(or_(
            Submission.submitted_at < moment,
            and_(Submission.submitted_at == moment, Submission.id < ident),
        ))
        rows = list(db.scalars(stmt.limit(per_page + 1)).unique())
        items, more_older = rows[:per_page], len(rows) > per_page
        more_newer = True
    else:
        stmt = stmt.where(or_(
            Submission.submitted_at > moment,
            and_(Submission.submitted_at == moment, Submission.id > ident),
        )).order_by(None).order_by(Submission.submitted_at.asc(), Submission.id.asc())
        rows = list(db.scalars(stmt.limit(per_page + 1)).unique())
        more_newer = len(rows) > per_page
        items = list(reversed(rows[:per_page]))
        more_older = True
    return InboxPage(
        items=items, total=total, per_page=per_page, is_first=not more_newer,
        older_cursor=encode_cursor("o", items[-1]) if more_older and items else None,
        newer_cursor=encode_cursor("n", items[0]) if more_newer and items else None,
    )


def staff_users() -> list[User]:
    """Active staff, the people a submission may be assigned to."""
    return list(db.scalars(
        select(User).where(User.role.in_(domain.STAFF_ROLES), User.status == "active")
        .order_by(User.name, User.id)
    ))


def trials_for(viewer) -> list[Trial]:
    """The trials the viewer may filter by."""
    stmt = select(Trial).where(Trial.status != "draft").order_by(Trial.created_at.desc(), Trial.id.desc())
    if getattr(viewer, "role", None) not in ALL_ROLES:
        stmt = stmt.where(Trial.created_by_id == viewer.id)
    return list(db.scalars(stmt.limit(500)))


# ---------------------------------------------------------------------------------------------
# One submission


def get_submission(viewer, submission_id: int) -> Submission | None:
    """The submission with what its page shows, when `viewer` may see it; else None."""
    stmt = select(Submission).where(Submission.id == submission_id).options(
        joinedload(Submission.member), joinedload(Submission.assignee),
        joinedload(Submission.duplicate_of),
        selectinload(Submission.items).joinedload(ImprovementItem.department),
        selectinload(Submission.notes).joinedload(InternalNote.author),
    )
    return db.scalar(_scoped(stmt, viewer))


def visible_ids(viewer, ids: Iterable[int]) -> set[int]:
    ids = {int(i) for i in ids}
    if not ids:
        return set()
    stmt = _scoped(select(Submission.id).where(Submission.id.in_(ids)), viewer)
    return set(db.scalars(stmt))


def open_items(limit: int = 200) -> list[ImprovementItem]:
    """Items a submission may still be linked to (not closed), newest first."""
    return list(db.scalars(
        select(ImprovementItem)
        .where(ImprovementItem.status.not_in(domain.ITEM_CLOSED_STATUSES))
        .order_by(ImprovementItem.created_at.desc(), ImprovementItem.id.desc())
        .limit(limit)
    ))


def allowed_statuses(submission: Submission) -> list[str]:
    """The statuses the triage form offers: the current one and the moves allowed from it
    ('linked' only when an item is linked)."""
    moves = [s for s in domain.SUBMISSION_TRANSITIONS.get(submission.status, ())
             if s != "linked" or submission.items]
    return [submission.status, *[s for s in moves if s != submission.status]]


def parse_tags(raw: str | None) -> list[str]:
    """Comma-separated tags, trimmed, without blanks or repeats (case-insensitive), in order.
    Raises TriageRefused when there are too many or one is too long."""
    tags: list[str] = []
    seen: set[str] = set()
    for part in (raw or "").replace("，", ",").split(","):
        tag = " ".join(part.replace("\x00", "").split())
        if not tag:
            continue
        if len(tag) > TAG_LENGTH_MAX:
            raise TriageRefused(
                _("A tag may have at most %(max)s characters.", max=TAG_LENGTH_MAX)
            )
        if tag.casefold() not in seen:
            seen.add(tag.casefold())
            tags.append(tag)
    if len(tags) > TAGS_MAX:
        raise TriageRefused(_("Please use at most %(max)s tags.", max=TAGS_MAX))
    return tags


def _source_status(submission: Submission, status: str) -> None:
    """The copy of the status member pages read, kept on the source row."""
    if submission.gap_report_id:
        report = db.get(ServiceGapReport, submission.gap_report_id)
        if report is not None:
            report.status = status
    elif submission.opinion_id:
        opinion = db.get(Opinion, submission.opinion_id)
        if opinion is not None:
            opinion.triage_status = status
    elif submission.evaluation_id:
        evaluation = db.get(Evaluation, submission.evaluation_id)
        if evaluation is not None:
            evaluation.triage_status = status


def set_status(submission: Submission, status: str) -> None:
    """Change the status on the submission and on its source row (no checks, no commit)."""
    submission.status = status
    if status != "no_action":
        submission.no_action_reason = None
    if status != "duplicate":
        submission.duplicate_of_id = None
    _source_status(submission, status)


def _check_move(submission: Submission, status: str) -> None:
    if status not in domain.SUBMISSION_STATUSES:
        raise TriageRefused(_("This status is not allowed."))
    if status != submission.status and status not in domain.SUBMISSION_TRANSITIONS.get(submission.status, ()):
        raise TriageRefused(_("A submission cannot move from “%(old)s” to “%(new)s”.",
                              old=domain.SUBMISSION_STATUSES[submission.status],
                              new=domain.SUBMISSION_STATUSES[status]))
    if status == "linked" and status != submission.status and not submission.items:
        raise TriageRefused(_("Link an improvement item to mark the submission as linked."))


def _check_assignee(assignee_id: int | None) -> None:
    if assignee_id is None:
        return
    user = db.get(User, assignee_id)
    if user is None or user.role not in domain.STAFF_ROLES or user.status != "active":
        raise TriageRefused(_("Please choose a staff member to assign."))


def _check_original(viewer, submission: Submission, original_id: int | None) -> None:
    if original_id is None:
        raise TriageRefused(_("Please give the number of the original submission."))
    if original_id == submission.id:
        raise TriageRefused(_("A submission cannot be a duplicate of itself."))
    if not visible_ids(viewer, [original_id]):
        raise TriageRefused(_("There is no submission number %(id)s.", id=original_id))
    # Follow the original's own chain: reaching this submission would make a cycle.
    seen = {submission.id}
    current: int | None = original_id
    while current is not None:
        if current in seen:
            raise TriageRefused(_("Submission %(id)s is already a duplicate of this one: "
                                  "choose another original.", id=original_id))
        seen.add(current)
        current = db.scalar(select(Submission.duplicate_of_id).where(Submission.id == current))


def _commit() -> None:
    with conflicts():
        db.commit()


@contextmanager
def conflicts():
    """Turn a save that lost the race (the version column did not match) into Conflict,
    whether the flush happens on commit or on an earlier autoflush."""
    try:
        yield
    except StaleDataError:
        db.rollback()
        raise Conflict(str(CONFLICT_MESSAGE)) from None
    except Exception:
        db.rollback()
        raise


def update_triage(actor: User, submission: Submission, *, version: int | None,
                  assignee_id: int | None, status: str, no_action_reason: str | None,
                  duplicate_of_id: int | None, tags: list[str]) -> bool:
    """Save the triage form. Returns False when nothing changed. Raises Conflict when the
    submission changed since `version` was shown, TriageRefused when a rule refuses."""
    if version is None or version != submission.version:
        raise Conflict(str(CONFLICT_MESSAGE))
    reason = (no_action_reason or "").replace("\x00", "").strip()
    _check_move(submission, status)
    _check_assignee(assignee_id)
    if status == "no_action" and not reason:
        raise TriageRefused(_("Please give the reason why no action is taken."))
    if len(reason) > REASON_MAX:
        raise TriageRefused(_("Please keep the reason to at most %(max)s characters.", max=REASON_MAX))
    if status == "duplicate":
        _check_original(actor, submission, duplicate_of_id)
    before = audit.snapshot(submission, TRIAGE_FIELDS)
    with conflicts():
        submission.assignee_id = assignee_id
        submission.tags = list(tags)
        if status != submission.status:
            set_status(submission, status)
        if status == "no_action":
            submission.no_action_reason = reason
        if status == "duplicate":
            submission.duplicate_of_id = duplicate_of_id
        after = audit.snapshot(submission, TRIAGE_FIELDS)
        if before == after:
            db.rollback()
            return False
        audit.record(actor, "submission.triage", "submission", submission.id, before, after)
        db.commit()
    return True


def add_note(actor: User, submission: Submission, text: str) -> InternalNote:
    text = (text or "").replace("\r\n", "\n").replace("\x00", "").strip()
    if not text:
        raise TriageRefused(_("Please write the note."))
    if len(text) > NOTE_MAX:
        raise TriageRefused(_("Please keep the note to at most %(max)s characters.", max=NOTE_MAX))
    note = InternalNote(submission_id=submission.id, author_id=actor.id, text=text)
    db.add(note)
    audit.record(actor, "submission.note", "submission", submission.id, None, {"note": text})
    _commit()
    return note


def _item_ids(submission: Submission) -> list[int]:
    return sorted(item.id for item in submission.items)


def link_items(actor: User, submission: Submission, items: Iterable[ImprovementItem],
               action: str = "submission.link") -> bool:
    """Link `items` and set the status 'linked', audited, in the caller's transaction (no
    commit). Returns False when every item was linked already."""
    new = [item for item in items if item not in submission.items]
    if not new:
        return False
    before = {"items": _item_ids(submission), "status": submission.status}
    submission.items.extend(new)
    if submission.status != "linked":
        set_status(submission, "linked")
    after = {"items": _item_ids(submission), "status": submission.status}
    audit.record(actor, action, "submission", submission.id, before, after)
    # Linked to an item that is already done: the member hears of the outcome now.
    from portal.notifications.services import notify_item_closed

    for item in new:
        notify_item_closed(item)
    return True


def link_item(actor: User, submission: Submission, item_id: int | None) -> ImprovementItem:
    item = db.get(ImprovementItem, item_id) if item_id else None
    if item is None:
        raise TriageRefused(_("There is no improvement item number %(id)s.", id=item_id or "-"))
    if item in submission.items:
        raise TriageRefused(_("This submission is already linked to that item."))
    with conflicts():
        link_items(actor, submission, [item])
        db.commit()
    return item


def unlink_item(actor: User, submission: Submission, item_id: int) -> None:
    item = next((i for i in submission.items if i.id == item_id), None)
    if item is None:
        raise TriageRefused(_("This submission is not linked to that item."))
    before = {"items": _item_ids(submission), "status": submission.status}
    with conflicts():
        submission.items.remove(item)
        if not submission.items and submission.status == "linked":
            set_status(submission, "in_review")
        after = {"items": _item_ids(submission), "status": submission.status}
        audit.record(actor, "submission.unlink", "submission", submission.id, before, after)
        db.commit()


# ---------------------------------------------------------------------------------------------
# Bulk actions


@dataclass
class BulkResult:
    changed: int = 0
    unchanged: int = 0
    ignored: int = 0


def bulk(actor: User, ids: Iterable[int], action: str, *, assignee_id: int | None = None,
         status: str | None = None, reason: str | None = None, tag: str | None = None,
         item_id: int | None = None) -> BulkResult:
    """Apply one action to the selected rows the actor may see, each audited, in one
    transaction; rows the actor cannot see are ignored. Any refused row refuses them all."""
    wanted = {int(i) for i in ids}
    if not wanted:
        raise TriageRefused(_("Please select at least one submission."))
    rows = list(db.scalars(
        _scoped(select(Submission).where(Submission.id.in_(wanted)), actor)
        .options(selectinload(Submission.items)).order_by(Submission.id)
    ))
    result = BulkResult(ignored=len(wanted) - len(rows))
    item = None
    if action == "assign":
        if assignee_id is None:
            raise TriageRefused(_("Please choose a staff member to assign."))
        _check_assignee(assignee_id)
    elif action == "status":
        if status not in BULK_STATUSES:
            raise TriageRefused(_("This status is not allowed."))
        reason = (reason or "").replace("\x00", "").strip()
        if status == "no_action" and not reason:
            raise TriageRefused(_("Please give the reason why no action is taken."))
        if len(reason) > REASON_MAX:
            raise TriageRefused(_("Please keep the reason to at most %(max)s characters.", max=REASON_MAX))
    elif action == "tag":
        tags = parse_tags(tag)
        if len(tags) != 1:
            raise TriageRefused(_("Please give one tag."))
        tag = tags[0]
    elif action == "link":
        item = db.get(ImprovementItem, item_id) if item_id else None
        if item is None:
            raise TriageRefused(_("There is no improvement item number %(id)s.", id=item_id or "-"))
    else:
        raise TriageRefused(_("Please choose an action."))

    try:
        _bulk_rows(actor, rows, action, result, assignee_id=assignee_id, status=status,
                   reason=reason, tag=tag, item=item)
        db.commit()
    except StaleDataError:
        db.rollback()
        raise Conflict(_("Someone else changed one of these submissions meanwhile: nothing was "
                         "changed. Please try again.")) from None
    except Exception:
        db.rollback()
        raise
    return result


def _bulk_rows(actor, rows, action, result, *, assignee_id, status, reason, tag, item) -> None:
    for submission in rows:
        if action == "link":
            if link_items(actor, submission, [item], action="submission.bulk_link"):
                result.changed += 1
            else:
                result.unchanged += 1
            continue
        before = audit.snapshot(submission, TRIAGE_FIELDS)
        if action == "assign":
            submission.assignee_id = assignee_id
        elif action == "status":
            if submission.status != status:
                try:
                    _check_move(submission, status)
                except TriageRefused:
                    db.rollback()
                    raise TriageRefused(_(
                        "Submission %(id)s cannot move from “%(old)s” to “%(new)s”: nothing was "
                        "changed.", id=submission.id,
                        old=domain.SUBMISSION_STATUSES[submission.status],
                        new=domain.SUBMISSION_STATUSES[status])) from None
                set_status(submission, status)
            if status == "no_action":
                submission.no_action_reason = reason
        elif action == "tag":
            tags = list(submission.tags or [])
            if tag.casefold() not in {t.casefold() for t in tags}:
                if len(tags) >= TAGS_MAX:
                    db.rollback()
                    raise TriageRefused(_(
                        "Submission %(id)s already has %(max)s tags: nothing was changed.",
                        id=submission.id, max=TAGS_MAX))
                submission.tags = [*tags, tag]
        after = audit.snapshot(submission, TRIAGE_FIELDS)
        if before == after:
            result.unchanged += 1
            continue
        audit.record(actor, f"submission.bulk_{action}", "submission", submission.id, before, after)
        result.changed += 1


# ---------------------------------------------------------------------------------------------
# The timeline


@dataclass
class Change:
    label: str
    before: str
    after: str


@dataclass
class TimelineEntry:
    at: datetime
    actor: str
    action: str
    changes: list[Change] = field(default_factory=list)


def timeline(submission: Submission) -> list[TimelineEntry]:
    """The submission's audit entries, newest first, in words."""
    entries = list(db.scalars(
        select(AuditEntry)
        .where(AuditEntry.object_type == "submission", AuditEntry.object_id == submission.id)
        .options(joinedload(AuditEntry.actor))
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    ))
    user_ids = {
        value for e in entries for values in (e.before or {}, e.after or {})
        for key, value in values.items() if key == "assignee_id" and isinstance(value, int)
    }
    names = dict(db.execute(select(User.id, User.name).where(User.id.in_(user_ids))).all()) \
        if user_ids else {}

    def shown(key: str, value: Any) -> str:
        if value is None or value == "" or value == []:
            return "-"
        if key == "status":
            return str(domain.SUBMISSION_STATUSES.get(value, value))
        if key == "assignee_id":
            return names.get(value, f"#{value}")
        if key == "duplicate_of_id":
            return f"#{value}"
        if key == "items":
            return ", ".join(f"#{v}" for v in value)
        if key == "tags":
            return ", ".join(str(v) for v in value)
        return str(value)

    result = []
    for e in entries:
        before, after = e.before or {}, e.after or {}
        keys = [k for k in (*TRIAGE_FIELDS, "items", "note") if k in before or k in after]
        result.append(TimelineEntry(
            at=e.created_at,
            actor=e.actor.name if e.actor else _("System"),
            action=audit.action_label(e.action),
            changes=[Change(str(FIELD_LABELS.get(k, k)), shown(k, before.get(k)),
                            shown(k, after.get(k))) for k in keys],
        ))
    return result


# ---------------------------------------------------------------------------------------------
# The source content shown on the detail page


@dataclass
class Source:
    report: ServiceGapReport | None = None
    opinion: Opinion | None = None
    evaluation: Evaluation | None = None
    answers: list | None = None


def source_of(viewer, submission: Submission) -> Source:
    from portal.trials.evaluation_services import shown_answers

    source = Source()
    if submission.gap_report_id and getattr(viewer, "role", None) in ALL_ROLES:
        source.report = db.scalar(
            select(ServiceGapReport).where(ServiceGapReport.id == submission.gap_report_id)
            .options(selectinload(ServiceGapReport.photos))
        )
    elif submission.opinion_id:
        source.opinion = db.scalar(
            select(Opinion).where(Opinion.id == submission.opinion_id)
            .options(joinedload(Opinion.consultation))
        )
    elif submission.evaluation_id:
        source.evaluation = db.get(Evaluation, submission.evaluation_id)
        frozen = db.scalar(
            select(EvaluationVersion.answers)
            .where(EvaluationVersion.evaluation_id == submission.evaluation_id)
            .order_by(EvaluationVersion.version.desc()).limit(1)
        )
        source.answers = shown_answers(frozen) if frozen else []
    return source
