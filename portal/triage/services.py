"""The triage inbox: one Submission per member submission, and what staff do with it.

Rules:
- The inbox is fed by `signals.submission_received` (see receivers.py): `record_evaluation` /
  `record_gap_report` / `record_opinion` create or refresh the Submission of a source row inside
  the sender's unit of work. A re-submitted evaluation or an edited opinion refreshes the copied
  content (title, description, low score) and keeps the triage state (status, assignee, tags,
  notes, links).
- Who reaches which submissions is `permissions.submission_scope`: lists add its condition and
  `get_submission` answers None for a submission out of the viewer's scope (the page is a 404).
- The inbox pages by keyset on (submitted_at, id), newest first, never with OFFSET, in a fixed
  number of queries whatever the page size.
- A triage save names the version it was rendered with: when someone saved in between, the save
  is refused (`portal.errors.Conflict`) and nothing is written. Every change runs in one unit of
  work; every staff action adds its audit entry in it.
- What a member sees of their submission is `domain.member_status` of its triage status and the
  statuses of its linked items, read here (`member_statuses`) from the submission itself: there
  is no copy to go stale. The status copy on the source row (`set_status`) is the triage status,
  for the staff lists that filter on it.
- An improvement item made from a submission is created and linked in one unit of work
  (`create_item_from`): triage builds on improvements, never the other way round.
"""
from __future__ import annotations

import base64
import binascii
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, and_, case, func, null, or_, select, tuple_
from sqlalchemy.orm import joinedload, lazyload, selectinload

from portal import domain, permissions, search, signals, similarity
from portal.accounts.models import User
from portal.audit import services as audit
from portal.db import db, unit_of_work, utcnow
from portal.errors import Conflict, Refused
from portal.gaps.models import ServiceGapReport
from portal.improvements import confirmations, services as improvements
from portal.improvements.models import ImprovementItem
from portal.notifications import services as notices
from portal.opinions.models import Consultation, Opinion
from portal.pagination import COUNT_CAP, count_rows
from portal.text import clean_text
from portal.triage.models import (
    InboxAssigneeFacet,
    InboxFacet,
    InboxTotal,
    InternalNote,
    Submission,
    submission_items,
)
from portal.trials.models import Evaluation, EvaluationVersion, Trial

PER_PAGE = 25
MAX_PER_PAGE = 200
SEARCH_MAX = 100
NOTE_MAX = 2000
REASON_MAX = 1000
TAGS_MAX = 10
TAG_LENGTH_MAX = 30
TITLE_MAX = 300
# Statuses a bulk action may set.
BULK_STATUSES = ("in_review", "no_action")
# The fields a triage save may change, as recorded in the audit log.
TRIAGE_FIELDS = ("assignee_id", "status", "no_action_reason", "duplicate_of_id", "tags")


class TriageRefused(Refused):
    """The triage change cannot be made; str(exc) says why, in the viewer's language."""


# ---------------------------------------------------------------------------------------------
# Feeding the inbox (the receivers of submission_received, in the sender's unit of work)


def _find(column, value) -> Submission | None:
    return db.scalar(select(Submission).where(column == value))


def _clip(text: str | None, limit: int) -> str:
    text = text or ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _record(kind: str, column, source_id: int, member_id: int, content: dict[str, Any],
            on_create: dict[str, Any]) -> Submission:
    """Refresh the copied content of the source's submission, or create it (status 'new') with
    `on_create` too (which source row it is, and what is fixed once it arrived)."""
    submission = _find(column, source_id)
    if submission is not None:
        for name, value in content.items():
            setattr(submission, name, value)
        return submission
    member = db.get(User, member_id)
    values = dict(kind=kind, member_id=member_id, segment=member.segment if member else None,
                  district=member.district if member else None, status="new", tags=[])
    submission = Submission(**{**values, **on_create, **content})
    db.add(submission)
    return submission


def _latest_answers(evaluation_id: int) -> Mapping[str, Any]:
    return db.scalar(
        select(EvaluationVersion.answers)
        .where(EvaluationVersion.evaluation_id == evaluation_id)
        .order_by(EvaluationVersion.version.desc()).limit(1)
    ) or {}


def record_evaluation(evaluation: Evaluation, answers: Mapping[str, Any] | None = None) -> Submission:
    """Create or refresh the submission of a submitted evaluation. `answers` is the frozen copy
    just submitted; without it the latest submitted version is read."""
    if evaluation.id is None:
        db.flush()
    if answers is None:
        answers = _latest_answers(evaluation.id)
    trial = db.get(Trial, evaluation.trial_id)
    content = dict(
        title=_clip(trial.title if trial else "", TITLE_MAX),
        description=domain.evaluation_text(answers),
        low_score=domain.is_low_score(answers),
        submitted_at=evaluation.submitted_at or utcnow(),
    )
    submission = _record("evaluation", Submission.evaluation_id, evaluation.id, evaluation.member_id,
                         content, dict(evaluation_id=evaluation.id, trial_id=evaluation.trial_id))
    if submission.id is None:  # just created
        evaluation.triage_status = "new"
    return submission


def record_gap_report(report: ServiceGapReport) -> Submission:
    """Create or refresh the submission of a service-gap report (the place is the report's)."""
    if report.id is None:
        db.flush()
    content = dict(
        title=_clip(report.title, TITLE_MAX), description=report.description or "",
        district=report.district, channel=report.channel, commitment=report.commitment,
        severity=report.severity,
    )
    return _record("gap_report", Submission.gap_report_id, report.id, report.member_id, content,
                   dict(gap_report_id=report.id, submitted_at=report.created_at or utcnow()))


def record_opinion(opinion: Opinion) -> Submission:
    """Create or refresh the submission of a member's opinion."""
    if opinion.id is None:
        db.flush()
    consultation = db.get(Consultation, opinion.consultation_id)
    content = dict(
        title=_clip(consultation.title if consultation else "", TITLE_MAX),
        description=opinion.text or "",
    )
    return _record("opinion", Submission.opinion_id, opinion.id, opinion.member_id, content,
                   dict(opinion_id=opinion.id, consultation_id=opinion.consultation_id,
                        submitted_at=opinion.created_at or utcnow()))


# ---------------------------------------------------------------------------------------------
# Who reaches what


def _scoped(stmt: Select, viewer) -> Select:
    condition = permissions.submission_scope(viewer)
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
    # Only submissions whose member said "not yet" about an item (improvements.confirmations).
    not_fixed: bool | None = None

    ARG_NAMES = ("kind", "status", "segment", "district", "channel", "commitment", "trial_id",
                 "assignee_id", "severity", "date_from", "date_to", "q", "not_fixed")

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> InboxFilters:
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
            not_fixed=True if (args.get("not_fixed") or "") in ("y", "1", "true", "on") else None,
        )

    def to_args(self) -> dict[str, str]:
        """The filters set, as query-string arguments."""
        out = {}
        for name in self.ARG_NAMES:
            value = getattr(self, name)
            if value is True:
                out[name] = "y"
            elif value is not None and value != "":
                out[name] = value.isoformat() if isinstance(value, date) else str(value)
        return out

    def only_search(self) -> bool:
        """A search and no other filter."""
        return bool(self.q) and not self.not_fixed and all(
            getattr(self, name) is None for name in self.ARG_NAMES if name not in ("q", "not_fixed"))

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
            stmt = stmt.where(Submission.submitted_at >= domain.shanghai_midnight(self.date_from))
        if self.date_to is not None:
            stmt = stmt.where(
                Submission.submitted_at < domain.shanghai_midnight(self.date_to + timedelta(days=1))
            )
        if self.q:
            stmt = stmt.where(search.matches(Submission, self.q))
        if self.not_fixed:
            stmt = stmt.where(confirmations.not_fixed_condition())
        return stmt


def inbox_query(viewer, filters: InboxFilters | None = None) -> Select:
    """Submissions `viewer` may see matching `filters`, newest first (submitted_at, id)."""
    stmt = select(Submission)
    stmt = _scoped(stmt, viewer)
    if filters is not None:
        stmt = filters.apply(stmt)
    return stmt.order_by(Submission.submitted_at.desc(), Submission.id.desc())


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def encode_cursor(direction: str, submission: Submission) -> str:
    """A cursor naming a row's (submitted_at, id): 'o' pages to older rows, 'n' to newer."""
    moment = submission.submitted_at.astimezone(UTC)
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
    # Exact up to COUNT_CAP; COUNT_CAP when there are more (see `total_capped`); the estimate,
    # rounded, where `estimated`.
    total: int
    per_page: int
    older_cursor: str | None = None
    newer_cursor: str | None = None
    is_first: bool = True
    exact: bool = False  # counted in full (from the facet counts), however many
    estimated: bool = False  # `total` is an estimate (PostgreSQL's planner, SQLite's samples)
    # Rows whose member said "not yet" about an item: submission id -> the item to reopen.
    not_fixed: dict[int, int] = field(default_factory=dict)

    @property
    def total_capped(self) -> bool:
        """More rows match than were counted: the page says "10,000+"."""
        return not self.exact and not self.estimated and self.total >= COUNT_CAP


# The equality filters the facet counts know (the assignee has its own table).
FACET_FILTERS = ("kind", "status", "segment", "district", "channel", "commitment", "severity",
                 "trial_id")
# Those the inbox totals know too (and the assignee).
TOTAL_FILTERS = {"kind", "status", "trial_id"}


def facet_count(viewer, filters: InboxFilters) -> int | None:
    """How many submissions match `filters`, summed from the facet counts; None when a filter
    is not an equality (dates, search, "not fixed for the member"), which the facets do not know."""
    stmt = _facet_total(viewer, filters)
    return None if stmt is None else int(db.scalar(stmt) or 0)


def _facet_total(viewer, filters: InboxFilters) -> Select | None:
    """The statement summing the facet counts of `filters` (see `facet_count`)."""
    if filters.date_from or filters.date_to or filters.q or filters.not_fixed:
        return None
    used = {name for name in FACET_FILTERS if getattr(filters, name) is not None}
    if used <= TOTAL_FILTERS:
        facets = InboxTotal  # a few thousand rows: the kind, status, trial or assignee
    elif filters.assignee_id is not None:
        facets = InboxAssigneeFacet
    else:
        facets = InboxFacet
    stmt = select(func.coalesce(func.sum(facets.n), 0))
    for name in FACET_FILTERS:
        value = getattr(filters, name)
        if value is not None:
            stmt = stmt.where(getattr(facets, name) == value)
    if filters.assignee_id is not None:
        stmt = stmt.where(facets.assignee_id == filters.assignee_id)  # 0: unassigned, as stored
    scope = permissions.submission_scope(viewer, on=facets)
    if scope is not None:
        stmt = stmt.where(scope)
    return stmt


# SQLite, a search with equality filters: rows of the filters sampled at each end of their date
# order, and the share of them containing the word that makes an estimate (see
# `_sampled_estimate`).
ESTIMATE_SAMPLE = 250


def _sampled_estimate(viewer, filters: InboxFilters):
    """SQLite: an estimate of how many rows match a search with equality filters, as an SQL
    expression (NULL where there is none), for `count_rows`. SQLite has no planner estimate,
    and counting a word in most rows of two filters to the cap walks one filter's index and
    reads five times as many rows (50,000 of a million submissions, 40 ms). The filters' rows
    are counted exactly by the facets; the newest and the oldest ESTIMATE_SAMPLE of them are
    tested for the word. Only where both halves find it in most rows is their share taken
    for the whole: a word of the last weeks only (a new offer's name) is never dense among the
    oldest rows, and is counted."""
    if not filters.q or db.get_bind().dialect.name != "sqlite":
        return None
    rest = replace(filters, q=None)
    total = _facet_total(viewer, rest)
    if total is None:
        return None
    rows = inbox_query(viewer, rest).with_only_columns(
        Submission.title, Submission.description, maintain_column_froms=True)
    oldest = rows.order_by(None).order_by(Submission.submitted_at.asc(), Submission.id.asc())
    hits = []
    for label, sample in (("newest", rows), ("oldest", oldest)):
        taken = sample.limit(ESTIMATE_SAMPLE).subquery()
        hits.append(select(func.count()).select_from(taken)
                    .where(search.exact(taken.c, filters.q, "sqlite")).scalar_subquery().label(label))
    # Materialised: each sample read once, though the estimate names it twice.
    samples = select(*hits, total.scalar_subquery().label("total")).cte("samples").prefix_with(
        "MATERIALIZED")
    most = ESTIMATE_SAMPLE // 2
    return (select(case((and_(samples.c.newest > most, samples.c.oldest > most),
                         samples.c.total * (samples.c.newest + samples.c.oldest)
                         / (2 * ESTIMATE_SAMPLE)),
                        else_=null()))
            .select_from(samples).scalar_subquery())


def inbox_page(viewer, filters: InboxFilters, cursor: str | None = None,
               per_page: int = PER_PAGE) -> InboxPage:
    """One page of the inbox by keyset: four queries (count, rows, their items, which of them
    are not fixed for their member); none but the count when nothing matches."""
    page = _inbox_rows(viewer, filters, cursor, per_page)
    page.not_fixed = confirmations.not_fixed_among(s.id for s in page.items)
    return page


def _inbox_rows(viewer, filters: InboxFilters, cursor: str | None, per_page: int) -> InboxPage:
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    base = inbox_query(viewer, filters)
    # Equality filters alone are counted exactly from the facet counts. Otherwise counted no
    # further than COUNT_CAP: an exact count of a million rows on every page view
    # costs more than the page itself, and nobody reads "1,000,000" differently from "10,000+".
    exact = facet_count(viewer, filters)
    total = exact
    if total is None and filters.only_search() and permissions.submission_scope(viewer) is None:
        total = search.count_capped(Submission, filters.q, COUNT_CAP)  # SQLite: from the index
    estimated = False
    if total is None:
        # An estimate where many rows are expected: PostgreSQL's planner, or SQLite's samples.
        counted = count_rows(base, COUNT_CAP, estimate=_sampled_estimate(viewer, filters))
        total, estimated = counted.n, counted.estimated
    stmt = base.options(
        joinedload(Submission.member), joinedload(Submission.assignee),
        selectinload(Submission.items),
    )
    position = decode_cursor(cursor)
    if exact == 0:
        # Nothing matches, and the facets know it: a search for rows that are not there would
        # walk a whole filter's index (filters that exclude each other, say a gap report of a
        # trial: 180 ms at 1M submissions).
        return InboxPage(items=[], total=0, per_page=per_page, exact=True)
    if position is None:
        rows = list(db.scalars(stmt.limit(per_page + 1)).unique())
        items, more = rows[:per_page], len(rows) > per_page
        if not more and estimated:
            # The first page holds every row: their number is known, whatever was expected
            # (an estimate may be well off where filters go together).
            total, estimated = len(items), False
        return InboxPage(
            items=items, total=total, per_page=per_page, is_first=True, exact=exact is not None,
            estimated=estimated,
            older_cursor=encode_cursor("o", items[-1]) if more else None,
        )
    direction, moment, ident = position
    if direction == "o":
        # Row values: SQLite and PostgreSQL seek in the (submitted_at, id) index with them,
        # where `a < x OR (a = x AND b < y)` scans it (9 ms against 0.5 ms a page deep in 100k rows).
        stmt = stmt.where(tuple_(Submission.submitted_at, Submission.id) < tuple_(moment, ident))
        rows = list(db.scalars(stmt.limit(per_page + 1)).unique())
        items, more_older = rows[:per_page], len(rows) > per_page
        more_newer = True
    else:
        stmt = stmt.where(tuple_(Submission.submitted_at, Submission.id) > tuple_(moment, ident)
                          ).order_by(None).order_by(Submission.submitted_at.asc(), Submission.id.asc())
        rows = list(db.scalars(stmt.limit(per_page + 1)).unique())
        more_newer = len(rows) > per_page
        items = list(reversed(rows[:per_page]))
        more_older = True
    return InboxPage(
        items=items, total=total, per_page=per_page, is_first=not more_newer,
        exact=exact is not None, estimated=estimated,
        older_cursor=encode_cursor("o", items[-1]) if more_older and items else None,
        newer_cursor=encode_cursor("n", items[0]) if more_newer and items else None,
    )


def trials_for(viewer) -> list[Trial]:
    """The trials the viewer may filter by."""
    # Without their segments (eagerly loaded by default): the filter needs the id and title.
    stmt = (select(Trial).options(lazyload(Trial.segments)).where(Trial.status != "draft")
            .order_by(Trial.created_at.desc(), Trial.id.desc()))
    scope = permissions.trial_scope(viewer)
    if scope is not None:
        stmt = stmt.where(scope)
    return list(db.scalars(stmt.limit(500)))


# ---------------------------------------------------------------------------------------------
# One submission


def get_submission(viewer, submission_id: int | None) -> Submission | None:
    """The submission with what its page shows, when `viewer` may reach it; else None."""
    if submission_id is None:
        return None
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


def _open_items_query(*columns, limit: int) -> Select:
    """Items a submission may still be linked to (not closed), newest first."""
    return (select(*columns)
            .where(ImprovementItem.status.not_in(domain.ITEM_CLOSED_STATUSES))
            .order_by(ImprovementItem.created_at.desc(), ImprovementItem.id.desc())
            .limit(limit))


def open_items(limit: int = 200) -> list[ImprovementItem]:
    """Items a submission may still be linked to (not closed), newest first."""
    return list(db.scalars(_open_items_query(ImprovementItem, limit=limit)))


def open_item_choices(limit: int = 200):
    """(id, title) of the items `open_items` lists, for a choice of one (the inbox's bulk
    action): two columns, not 200 items loaded whole."""
    return db.execute(_open_items_query(ImprovementItem.id, ImprovementItem.title,
                                        limit=limit)).all()


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
                _("A tag may have at most %(max)s characters.", max=TAG_LENGTH_MAX), "tags"
            )
        if tag.casefold() not in seen:
            seen.add(tag.casefold())
            tags.append(tag)
    if len(tags) > TAGS_MAX:
        raise TriageRefused(_("Please use at most %(max)s tags.", max=TAGS_MAX), "tags")
    return tags


# ---------------------------------------------------------------------------------------------
# What members see


_SOURCE_COLUMNS = {"gap_report": Submission.gap_report_id, "opinion": Submission.opinion_id,
                   "evaluation": Submission.evaluation_id}


def member_statuses(sources: Iterable[tuple[str, int]]) -> dict[tuple[str, int], str]:
    """What members see of the submissions of `sources` ((kind, source row id) pairs: the rows of
    one page), by (kind, source row id): the rule is `domain.member_status`, over the
    submission's status and its linked items'. One query, whatever the number of rows, and it
    reads only those rows (a member may have thousands of submissions)."""
    ids: dict[str, set[int]] = defaultdict(set)
    for kind, source_id in sources:
        ids[kind].add(source_id)
    conditions = [_SOURCE_COLUMNS[kind].in_(sorted(values)) for kind, values in ids.items()
                  if kind in _SOURCE_COLUMNS]
    if not conditions:
        return {}
    rows = db.execute(
        select(Submission.kind, Submission.gap_report_id, Submission.opinion_id,
               Submission.evaluation_id, Submission.status, ImprovementItem.status)
        .outerjoin(submission_items, submission_items.c.submission_id == Submission.id)
        .outerjoin(ImprovementItem, and_(
            ImprovementItem.id == submission_items.c.item_id,
            ImprovementItem.status.in_(domain.ITEM_OUTCOME_STATUSES),
        ))
        .where(or_(*conditions))
    ).all()
    found: dict[tuple[str, int], tuple[str, set[str]]] = {}
    for kind, gap_id, opinion_id, evaluation_id, status, item_status in rows:
        key = (kind, gap_id or opinion_id or evaluation_id)
        found.setdefault(key, (status, set()))[1].add(item_status)
    return {key: domain.member_status(status, outcomes) for key, (status, outcomes) in found.items()}


# ---------------------------------------------------------------------------------------------
# Triage changes


def _source_status(submission: Submission, status: str) -> None:
    """The copy of the triage status kept on the source row, for the staff lists of reports,
    opinions and evaluations."""
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
    """Change the status on the submission and on its source row (no checks; in the caller's
    unit of work)."""
    submission.status = status
    if status != "no_action":
        submission.no_action_reason = None
    if status != "duplicate":
        submission.duplicate_of_id = None
    _source_status(submission, status)


def _check_move(submission: Submission, status: str) -> None:
    if status not in domain.SUBMISSION_STATUSES:
        raise TriageRefused(_("This status is not allowed."), "status")
    if status != submission.status and status not in domain.SUBMISSION_TRANSITIONS.get(submission.status, ()):
        raise TriageRefused(_("A submission cannot move from “%(old)s” to “%(new)s”.",
                              old=domain.SUBMISSION_STATUSES[submission.status],
                              new=domain.SUBMISSION_STATUSES[status]), "status")
    if status == "linked" and status != submission.status and not submission.items:
        raise TriageRefused(_("Link an improvement item to mark the submission as linked."), "status")


def _check_assignee(assignee_id: int | None) -> None:
    if assignee_id is None:
        return
    user = db.get(User, assignee_id)
    if user is None or not permissions.is_staff(user) or user.status != "active":
        raise TriageRefused(_("Please choose a staff member to assign."), "assignee_id")


def _check_reason(status: str | None, reason: str) -> None:
    if status == "no_action" and not reason:
        raise TriageRefused(_("Please give the reason why no action is taken."), "no_action_reason")
    if len(reason) > REASON_MAX:
        raise TriageRefused(_("Please keep the reason to at most %(max)s characters.", max=REASON_MAX),
                            "no_action_reason")


def _check_original(viewer, submission: Submission, original_id: int | None) -> None:
    if original_id is None:
        raise TriageRefused(_("Please give the number of the original submission."), "duplicate_of_id")
    if original_id == submission.id:
        raise TriageRefused(_("A submission cannot be a duplicate of itself."), "duplicate_of_id")
    if not visible_ids(viewer, [original_id]):
        raise TriageRefused(_("There is no submission number %(id)s.", id=original_id), "duplicate_of_id")
    # Follow the original's own chain: reaching this submission would make a cycle.
    seen = {submission.id}
    current: int | None = original_id
    while current is not None:
        if current in seen:
            raise TriageRefused(_("Submission %(id)s is already a duplicate of this one: "
                                  "choose another original.", id=original_id), "duplicate_of_id")
        seen.add(current)
        current = db.scalar(select(Submission.duplicate_of_id).where(Submission.id == current))


def update_triage(actor: User, submission: Submission, *, version: int | None,
                  assignee_id: int | None, status: str, no_action_reason: str | None,
                  duplicate_of_id: int | None, tags: list[str]) -> bool:
    """Save the triage form. Returns False when nothing changed. Raises Conflict when the
    submission changed since `version` was shown, TriageRefused when a rule refuses."""
    if version is None or version != submission.version:
        raise Conflict()
    reason = clean_text(no_action_reason)
    _check_move(submission, status)
    _check_assignee(assignee_id)
    _check_reason(status, reason)
    if status == "duplicate":
        _check_original(actor, submission, duplicate_of_id)
    with unit_of_work():
        before = audit.snapshot(submission, TRIAGE_FIELDS)
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
            return False  # every value as it was: the unit commits nothing
        audit.record(actor, "submission.triage", "submission", submission.id, before, after)
        if before["assignee_id"] != assignee_id:
            signals.submission_assigned.send(submission, actor=actor,
                                             old_assignee_id=before["assignee_id"],
                                             new_assignee_id=assignee_id)
    return True


def add_note(actor: User, submission: Submission, text: str) -> InternalNote:
    text = clean_text(text)
    if not text:
        raise TriageRefused(_("Please write the note."), "text")
    if len(text) > NOTE_MAX:
        raise TriageRefused(_("Please keep the note to at most %(max)s characters.", max=NOTE_MAX), "text")
    with unit_of_work():
        note = InternalNote(submission_id=submission.id, author_id=actor.id, text=text)
        db.add(note)
        audit.record(actor, "submission.note", "submission", submission.id, None, {"note": text})
    return note


def _item_ids(submission: Submission) -> list[int]:
    return sorted(item.id for item in submission.items)


def link_items(actor: User, submission: Submission, items: Iterable[ImprovementItem],
               action: str = "submission.link") -> bool:
    """Link `items` and set the status 'linked', audited, in the caller's unit of work.
    Returns False when every item was linked already."""
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
    for item in new:
        notices.notify_item_closed(item)
    return True


def link_item(actor: User, submission: Submission, item_id: int | None) -> ImprovementItem:
    item = db.get(ImprovementItem, item_id) if item_id else None
    if item is None:
        raise TriageRefused(_("There is no improvement item number %(id)s.", id=item_id or "-"))
    if item in submission.items:
        raise TriageRefused(_("This submission is already linked to that item."))
    with unit_of_work():
        link_items(actor, submission, [item])
    return item


def unlink_item(actor: User, submission: Submission, item_id: int) -> None:
    item = next((i for i in submission.items if i.id == item_id), None)
    if item is None:
        raise TriageRefused(_("This submission is not linked to that item."))
    with unit_of_work():
        before = {"items": _item_ids(submission), "status": submission.status}
        submission.items.remove(item)
        if not submission.items and submission.status == "linked":
            set_status(submission, "in_review")
        after = {"items": _item_ids(submission), "status": submission.status}
        audit.record(actor, "submission.unlink", "submission", submission.id, before, after)


def create_item_from(actor: User, submission: Submission | None, **fields) -> ImprovementItem:
    """A new improvement item, linked to `submission` when given: one unit of work, audited."""
    with unit_of_work():
        item = improvements.create_item(actor, **fields)
        if submission is not None:
            link_items(actor, submission, [item])
    return item


def prefill_from(submission: Submission) -> dict[str, Any]:
    """Form values for a new item answering `submission`."""
    return dict(title=clean_text(submission.title)[:200], commitment=submission.commitment,
                description=clean_text(submission.description))


# ---------------------------------------------------------------------------------------------
# Bulk actions


@dataclass
class BulkResult:
    changed: int = 0
    unchanged: int = 0
    ignored: int = 0


@dataclass
class _BulkAction:
    """One checked bulk action: what to do to each row."""

    action: str
    assignee_id: int | None = None
    status: str | None = None
    reason: str = ""
    tag: str | None = None
    item: ImprovementItem | None = None


def _bulk_action(action: str, *, assignee_id, status, reason, tag, item_id) -> _BulkAction:
    """The action with its values checked; TriageRefused when one is missing or not allowed."""
    if action == "assign":
        if assignee_id is None:
            raise TriageRefused(_("Please choose a staff member to assign."))
        _check_assignee(assignee_id)
        return _BulkAction(action, assignee_id=assignee_id)
    if action == "status":
        if status not in BULK_STATUSES:
            raise TriageRefused(_("This status is not allowed."))
        reason = clean_text(reason)
        _check_reason(status, reason)
        return _BulkAction(action, status=status, reason=reason)
    if action == "tag":
        tags = parse_tags(tag)
        if len(tags) != 1:
            raise TriageRefused(_("Please give one tag."))
        return _BulkAction(action, tag=tags[0])
    if action == "link":
        item = db.get(ImprovementItem, item_id) if item_id else None
        if item is None:
            raise TriageRefused(_("There is no improvement item number %(id)s.", id=item_id or "-"))
        return _BulkAction(action, item=item)
    raise TriageRefused(_("Please choose an action."))


def bulk(actor: User, ids: Iterable[int], action: str, *, assignee_id: int | None = None,
         status: str | None = None, reason: str | None = None, tag: str | None = None,
         item_id: int | None = None) -> BulkResult:
    """Apply one action to the selected rows the actor may see, each audited, in one unit of
    work; rows the actor cannot see are ignored. Any refused row refuses them all."""
    wanted = {int(i) for i in ids}
    if not wanted:
        raise TriageRefused(_("Please select at least one submission."))
    todo = _bulk_action(action, assignee_id=assignee_id, status=status, reason=reason, tag=tag,
                        item_id=item_id)
    try:
        with unit_of_work():
            rows = list(db.scalars(
                _scoped(select(Submission).where(Submission.id.in_(wanted)), actor)
                .options(selectinload(Submission.items)).order_by(Submission.id)
            ))
            result = BulkResult(ignored=len(wanted) - len(rows))
            for submission in rows:
                if _bulk_row(actor, submission, todo):
                    result.changed += 1
                else:
                    result.unchanged += 1
    except Conflict as exc:
        raise Conflict(_("Someone else changed one of these submissions meanwhile: nothing was "
                         "changed. Please try again.")) from exc
    return result


def _bulk_row(actor: User, submission: Submission, todo: _BulkAction) -> bool:
    """Apply `todo` to one row, audited; False when the row was so already."""
    if todo.action == "link":
        return link_items(actor, submission, [todo.item], action="submission.bulk_link")
    before = audit.snapshot(submission, TRIAGE_FIELDS)
    if todo.action == "assign":
        submission.assignee_id = todo.assignee_id
    elif todo.action == "status":
        _bulk_status(submission, todo)
    elif todo.action == "tag":
        _bulk_tag(submission, todo.tag)
    after = audit.snapshot(submission, TRIAGE_FIELDS)
    if before == after:
        return False
    audit.record(actor, f"submission.bulk_{todo.action}", "submission", submission.id, before, after)
    if todo.action == "assign":
        signals.submission_assigned.send(submission, actor=actor,
                                         old_assignee_id=before["assignee_id"],
                                         new_assignee_id=todo.assignee_id)
    return True


def _bulk_status(submission: Submission, todo: _BulkAction) -> None:
    if submission.status != todo.status:
        try:
            _check_move(submission, todo.status)
        except TriageRefused:
            raise TriageRefused(_(
                "Submission %(id)s cannot move from “%(old)s” to “%(new)s”: nothing was "
                "changed.", id=submission.id,
                old=domain.SUBMISSION_STATUSES[submission.status],
                new=domain.SUBMISSION_STATUSES[todo.status])) from None
        set_status(submission, todo.status)
    if todo.status == "no_action":
        submission.no_action_reason = todo.reason


def _bulk_tag(submission: Submission, tag: str) -> None:
    tags = list(submission.tags or [])
    if tag.casefold() in {t.casefold() for t in tags}:
        return
    if len(tags) >= TAGS_MAX:
        raise TriageRefused(_("Submission %(id)s already has %(max)s tags: nothing was changed.",
                              id=submission.id, max=TAGS_MAX))
    submission.tags = [*tags, tag]


# ---------------------------------------------------------------------------------------------
# The source content shown on the detail page


@dataclass
class Source:
    report: ServiceGapReport | None = None
    opinion: Opinion | None = None
    evaluation: Evaluation | None = None
    answers: list | None = None


def source_of(viewer, submission: Submission) -> Source:
    source = Source()
    if submission.gap_report_id and permissions.can("gaps.view_all", viewer):
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
        frozen = _latest_answers(submission.evaluation_id)
        source.answers = domain.shown_answers(frozen) if frozen else []
    return source


# ---------------------------------------------------------------------------------------------
# Similar submissions and items (portal.similarity): "Likely duplicates" on the detail page, and
# a member's "This is my problem too"

LIKELY_MAX = 5


@dataclass
class LikelyDuplicates:
    """The submissions and open items most like one submission, each with its score (0-100)."""

    submissions: list[tuple[Submission, int]]
    items: list[tuple[ImprovementItem, int]]


def likely_duplicates(viewer, submission: Submission) -> LikelyDuplicates:
    """Other submissions `viewer` reaches (not themselves duplicates: the original is the one to
    name) and open items not linked yet, most like `submission` first."""
    query = similarity.Query.of(submission.title, submission.description, submission.commitment)
    where = [Submission.status != "duplicate"]
    scope = permissions.submission_scope(viewer)
    if scope is not None:
        where.append(scope)
    others = similarity.similar_rows(
        Submission, query, where=where, limit=LIKELY_MAX,
        exclude=[submission.id, *([submission.duplicate_of_id] if submission.duplicate_of_id else [])],
    )
    items = similarity.similar_rows(
        ImprovementItem, query, where=[ImprovementItem.status.not_in(domain.ITEM_CLOSED_STATUSES)],
        exclude=[item.id for item in submission.items], limit=LIKELY_MAX,
    )
    return LikelyDuplicates(submissions=others, items=items)


def mark_duplicate(actor: User, submission: Submission, original_id: int, *,
                   version: int | None) -> bool:
    """"Mark duplicate of" from the likely duplicates: the triage save with status duplicate
    and this original, everything else kept (the same checks, audit and conflict rule)."""
    return update_triage(actor, submission, version=version, assignee_id=submission.assignee_id,
                         status="duplicate", no_action_reason=None, duplicate_of_id=original_id,
                         tags=list(submission.tags or []))


def join_item(member: User, submission: Submission, item_id: int) -> bool:
    """The member said "This is my problem too" on a suggested item as they sent their report or
    opinion: it is linked as triage links (status linked, audited with the member as the one who
    did it), in the sender's unit of work. An item closed or gone meanwhile links nothing."""
    item = db.get(ImprovementItem, item_id)
    if item is None or item.status in domain.ITEM_CLOSED_STATUSES:
        return False
    return link_items(member, submission, [item])


def items_of_source(kind: str, source_id: int) -> list[ImprovementItem]:
    """The improvement items linked to the submission of a member's report or opinion (their
    department and status are what the member sees of them), oldest link first. One query."""
    column = _SOURCE_COLUMNS.get(kind)
    if column is None:
        return []
    return list(db.scalars(
        select(ImprovementItem).options(joinedload(ImprovementItem.department))
        .join(submission_items, submission_items.c.item_id == ImprovementItem.id)
        .join(Submission, Submission.id == submission_items.c.submission_id)
        .where(column == source_id).order_by(ImprovementItem.id)
    ))
