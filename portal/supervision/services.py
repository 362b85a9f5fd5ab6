"""The hotline's writes and reads: filing, routing, the life cycle, escalation, the routing table.

Rules (the timing ones in domain.py):
- Only district-branch staff file, for their own branch. A request names a department, or not:
  then the routing table picks one; when no rule matches, the supervision office is told and
  routes it by hand. Reaching a department starts its response clock and tells its A contact.
- The department's staff (its unit) accept and answer; the filing branch's staff confirm with a
  1-5 rating, or send the answer back with a reason; the supervision office closes a confirmed
  request and may route any request still new. Every step names the version the page showed
  (a stale one is a Conflict), is audited, and tells the people of the other side.
- Escalation (`escalate_untouched`) is safe to run twice: each request climbs one level at a time
  (B contact, then the office), and the level is claimed with a guarded UPDATE.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import select, update

from portal import domain as vocab, permissions
from portal.accounts.models import User
from portal.audit import services as audit
from portal.db import db, unit_of_work, utcnow
from portal.errors import Refused
from portal.gaps.photos import PhotosRefused, check_photos
from portal.improvements.models import Department, ImprovementItem
from portal.notifications.kinds import About
from portal.notifications.services import Notice, deliver
from portal.pagination import Page, paginate
from portal.supervision import domain, workdays
from portal.supervision.models import RoutingRule, SupportAttachment, SupportRequest
from portal.text import clean_text
from portal.triage.models import Submission, submission_items
from portal.versioning import check_version

REQUEST_FIELDS = ["title", "category", "urgency", "department_id", "routed_by", "status",
                  "answer", "rating", "escalation_level"]
TITLE_MAX = 200
TEXT_MAX = 5000
PER_PAGE = 25


class SupportRefused(Refused):
    default_message = _l("This change cannot be made to the support request.")


# --- reads ---------------------------------------------------------------------------------------


def get_request(viewer: User, request_id: int | None) -> SupportRequest | None:
    """The request when `viewer` may see it, else None (the page answers 404)."""
    if request_id is None:
        return None
    found = db.get(SupportRequest, request_id)
    if found is None or not permissions.may_see_support_request(viewer, found):
        return None
    return found


def request_list(viewer: User, status: str | None = None, page: int | None = None) -> Page:
    """The requests `viewer` reaches, newest first (ix_support_requests_*_filed)."""
    stmt = select(SupportRequest).order_by(SupportRequest.filed_at.desc(), SupportRequest.id.desc())
    scope = permissions.support_request_scope(viewer)
    if scope is not None:
        stmt = stmt.where(scope)
    if status in vocab.SUPPORT_STATUSES:
        stmt = stmt.where(SupportRequest.status == status)
    return paginate(stmt, page, PER_PAGE)


def units_by_id(ids: set[int]) -> dict[int, Department]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {u.id: u for u in db.scalars(select(Department).where(Department.id.in_(ids)))}


def attachment(viewer: User, request_id: int, attachment_id: int) -> SupportAttachment | None:
    found = get_request(viewer, request_id)
    row = db.get(SupportAttachment, attachment_id) if found is not None else None
    return row if row is not None and row.request_id == request_id else None


# --- filing and routing --------------------------------------------------------------------------


@dataclass
class Filing:
    title: str
    description: str
    category: str
    urgency: str
    department_id: int | None = None
    case_text: str = ""
    submission_id: int | None = None
    item_id: int | None = None


def _check_filing(actor: User, filing: Filing) -> Department:
    branch = db.get(Department, actor.unit_id) if actor.unit_id else None
    if not permissions.can("supervision.file", actor) or branch is None or branch.kind != "district_branch":
        raise SupportRefused(_("Only the staff of a district branch can file a support request."))
    if not filing.title:
        raise SupportRefused(_("Please say in a few words what the front line needs."), "title")
    if len(filing.title) > TITLE_MAX or max(len(filing.description), len(filing.case_text)) > TEXT_MAX:
        raise SupportRefused(_("The text is too long."), "description")
    if filing.category not in vocab.SUPPORT_CATEGORIES:
        raise SupportRefused(_("Please choose a problem category."), "category")
    if filing.urgency not in vocab.SUPPORT_URGENCIES:
        raise SupportRefused(_("Please choose the urgency."), "urgency")
    if filing.department_id is not None:
        department = db.get(Department, filing.department_id)
        if department is None or department.kind != "department":
            raise SupportRefused(_("Please choose a department from the list."), "department_id")
    _check_links(branch, filing)
    return branch


def _check_links(branch: Department, filing: Filing) -> None:
    """A linked submission must come from a member of the branch's district; a linked item must
    be linked to such a submission (what the branch's own customers raised)."""
    district_members = select(User.id).where(User.district == branch.district)
    if filing.submission_id is not None and db.scalar(select(Submission.id).where(
            Submission.id == filing.submission_id,
            Submission.member_id.in_(district_members))) is None:
        raise SupportRefused(_("No submission of a member of your district has this number."),
                             "submission_id")
    if filing.item_id is not None and db.scalar(
            select(ImprovementItem.id).join(submission_items,
                                            submission_items.c.item_id == ImprovementItem.id)
            .join(Submission, Submission.id == submission_items.c.submission_id)
            .where(ImprovementItem.id == filing.item_id, Submission.member_id.in_(district_members))
            .limit(1)) is None:
        raise SupportRefused(_("No improvement item about your district has this number."), "item_id")


def file_request(actor: User, filing: Filing, uploads=None, now: datetime | None = None) -> SupportRequest:
    """File a request for the actor's branch; routed at once by the filer's choice or the table."""
    filing.title, filing.description = clean_text(filing.title), clean_text(filing.description)
    filing.case_text = clean_text(filing.case_text)
    branch = _check_filing(actor, filing)
    try:
        photos = check_photos(uploads)
    except PhotosRefused as exc:
        raise SupportRefused(" ".join(exc.errors), "attachments") from exc
    now = now or utcnow()
    with unit_of_work():
        request = SupportRequest(
            title=filing.title, description=filing.description, category=filing.category,
            commitment=vocab.SUPPORT_CATEGORY_COMMITMENTS.get(filing.category),
            urgency=filing.urgency, case_text=filing.case_text, submission_id=filing.submission_id,
            item_id=filing.item_id, branch_id=branch.id, filed_by_id=actor.id, filed_at=now,
            status="new", escalation_level=0, send_backs=0, answer="",
            attachments=[SupportAttachment(content_type=p.content_type, filename=p.filename,
                                           size=p.size, data=p.data) for p in photos])
        db.add(request)
        db.flush()
        audit.record(actor, "create", "support_request", request.id, None,
                     audit.snapshot(request, REQUEST_FIELDS))
        if filing.department_id is not None:
            _route(actor, request, filing.department_id, "filer", now)
        else:
            rule = domain.pick_rule(db.scalars(select(RoutingRule)).all(), request.category,
                                    request.commitment)
            if rule is not None:
                _route(None, request, rule.department_id, "table", now)
            else:
                _tell_office(request, "support_request_unrouted", f"unrouted:{request.id}")
    return request


def _route(actor: User | None, request: SupportRequest, department_id: int, by: str, now: datetime) -> None:
    before = audit.snapshot(request, REQUEST_FIELDS)
    request.department_id, request.routed_by, request.routed_at = department_id, by, now
    request.b_due_at, request.office_due_at = domain.deadlines(now, request.urgency)
    request.escalation_level = 0
    db.flush()
    audit.record(actor, "route", "support_request", request.id, before,
                 audit.snapshot(request, REQUEST_FIELDS))
    department = db.get(Department, department_id)
    _tell(department.a_contact, request, "support_request_new",
          f"support_new:{request.id}:{department_id}")


def route_by_hand(actor: User, request: SupportRequest, version: int | None, department_id: int | None,
                  now: datetime | None = None) -> SupportRequest:
    if not permissions.supervises_hotline(actor):
        raise SupportRefused(_("Only the supervision office routes requests by hand."))
    check_version(request, version)
    if request.status != "new":
        raise SupportRefused(_("Only a new request can be routed to another department."))
    department = db.get(Department, department_id) if department_id else None
    if department is None or department.kind != "department":
        raise SupportRefused(_("Please choose a department from the list."), "department_id")
    with unit_of_work():
        _route(actor, request, department.id, "hand", now or utcnow())
    return request


# --- the life cycle ------------------------------------------------------------------------------


def _in_department(actor: User, request: SupportRequest) -> bool:
    return (permissions.can("supervision.handle", actor)
            and permissions.is_unit_contact(actor, request.department_id))


def _in_branch(actor: User, request: SupportRequest) -> bool:
    return permissions.can("supervision.file", actor) and actor.unit_id == request.branch_id


def may(actor: User, request: SupportRequest, step: str) -> bool:
    """May `actor` take `step` on `request` now (the page shows the step's form when so)?"""
    if not domain.may_move(request.status, step):
        return False
    if step in ("accept", "answer"):
        return _in_department(actor, request)
    if step in ("send_back", "confirm"):
        return _in_branch(actor, request)
    return permissions.supervises_hotline(actor)  # close


def _step(actor: User, request: SupportRequest, version: int | None, step: str) -> dict:
    """Check and make the status move of `step`; the snapshot before it, for the audit entry."""
    check_version(request, version)
    if not may(actor, request, step):
        raise SupportRefused(_("This step is not open to you on this request now."))
    before = audit.snapshot(request, REQUEST_FIELDS)
    request.status = domain.TRANSITIONS[step][1]
    return before


def _record(actor: User, request: SupportRequest, action: str, before: dict,
            note: dict | None = None) -> None:
    db.flush()
    after = audit.snapshot(request, REQUEST_FIELDS)
    audit.record(actor, action, "support_request", request.id, before, {**after, **(note or {})})


def accept(actor: User, request: SupportRequest, version: int | None, now: datetime | None = None):
    now = now or utcnow()
    with unit_of_work():
        before = _step(actor, request, version, "accept")
        request.accepted_at, request.accepted_by_id = now, actor.id
        start = request.routed_at or request.filed_at
        request.response_minutes = workdays.working_minutes_between(start, now)
        request.responded_in_time = request.b_due_at is None or now <= request.b_due_at
        _record(actor, request, "accept", before)
        _tell_branch(request, "support_request_accepted", f"support_accepted:{request.id}")
    return request


def answer(actor: User, request: SupportRequest, version: int | None, text: str,
           now: datetime | None = None):
    text = clean_text(text)
    if not text:
        raise SupportRefused(_("Please write the answer the district branch will read."), "answer")
    if len(text) > TEXT_MAX:
        raise SupportRefused(_("The text is too long."), "answer")
    now = now or utcnow()
    with unit_of_work():
        before = _step(actor, request, version, "answer")
        request.answer, request.answered_at = text, now
        _record(actor, request, "answer", before)
        _tell_branch(request, "support_request_answered",
                     f"support_answered:{request.id}:{request.send_backs}")
    return request


def send_back(actor: User, request: SupportRequest, version: int | None, reason: str,
              now: datetime | None = None):
    reason = clean_text(reason)
    if not reason:
        raise SupportRefused(_("Please say why the answer does not solve the problem."), "reason")
    if len(reason) > TEXT_MAX:
        raise SupportRefused(_("The text is too long."), "reason")
    now = now or utcnow()
    with unit_of_work():
        before = _step(actor, request, version, "send_back")
        request.send_backs = (request.send_backs or 0) + 1
        _record(actor, request, "send_back", before, {"reason": reason})
        _tell_department(request, "support_request_sent_back",
                         f"support_sent_back:{request.id}:{request.send_backs}")
    return request


def confirm(actor: User, request: SupportRequest, version: int | None, rating: int | None,
            now: datetime | None = None):
    if rating not in (1, 2, 3, 4, 5):
        raise SupportRefused(_("Please rate the support from 1 to 5."), "rating")
    now = now or utcnow()
    with unit_of_work():
        before = _step(actor, request, version, "confirm")
        request.rating, request.confirmed_at = rating, now
        request.resolution_minutes = workdays.working_minutes_between(
            request.routed_at or request.filed_at, now)
        _record(actor, request, "confirm", before)
        _tell_department(request, "support_request_confirmed", f"support_confirmed:{request.id}")
    return request


def close(actor: User, request: SupportRequest, version: int | None, now: datetime | None = None):
    now = now or utcnow()
    with unit_of_work():
        before = _step(actor, request, version, "close")
        request.closed_at = now
        _record(actor, request, "close", before)
    return request


# --- notices ------------------------------------------------------------------------------------


def _tell(user: User | None, request: SupportRequest, kind: str, key: str) -> None:
    if user is not None and user.status == "active":
        deliver(kind, [Notice(user, About(support_request=request), key)])


def _tell_branch(request: SupportRequest, kind: str, key: str) -> None:
    """The filer, and the branch's A contact when someone else filed."""
    branch = db.get(Department, request.branch_id)
    people = {u.id: u for u in (request.filed_by, branch.a_contact if branch else None) if u is not None}
    for user in people.values():
        _tell(user, request, kind, key)


def _tell_department(request: SupportRequest, kind: str, key: str) -> None:
    """Whoever accepted it, and the department's A contact."""
    department = db.get(Department, request.department_id) if request.department_id else None
    accepted_by = db.get(User, request.accepted_by_id) if request.accepted_by_id else None
    people = {u.id: u for u in (accepted_by, department.a_contact if department else None) if u is not None}
    for user in people.values():
        _tell(user, request, kind, key)


def _office_staff() -> list[User]:
    """The supervision office: active office staff outside every unit (few rows)."""
    return list(db.scalars(select(User).where(
        User.role.in_(permissions.holders("supervision.manage")), User.status == "active",
        User.unit_id.is_(None))))


def _tell_office(request: SupportRequest, kind: str, key: str) -> None:
    for user in _office_staff():
        if permissions.supervises_hotline(user):
            _tell(user, request, kind, key)


# --- escalation (the periodic job) --------------------------------------------------------------


def escalate_untouched(now: datetime | None = None) -> int:
    """Tell the B contact of each request not accepted by its deadline, and the office one period
    later. Returns how many notices went out; safe to run twice and side by side."""
    now = now or utcnow()
    told = 0
    with unit_of_work():
        for level, due in ((1, SupportRequest.b_due_at), (2, SupportRequest.office_due_at)):
            due_ids = list(db.scalars(select(SupportRequest.id).where(
                SupportRequest.status == "new", due.is_not(None), due <= now,
                SupportRequest.escalation_level < level).order_by(SupportRequest.id).limit(500)))
            for request_id in due_ids:
                told += _escalate_one(request_id, level)
    return told


def _escalate_one(request_id: int, level: int) -> int:
    # Claimed with a guarded UPDATE (not the ORM's version bump: a department's page open on the
    # request must still accept it); a second run finds the level taken and tells nobody.
    claimed = db.execute(update(SupportRequest).where(
        SupportRequest.id == request_id, SupportRequest.escalation_level < level,
        SupportRequest.status == "new").values(escalation_level=level)).rowcount
    if not claimed:
        return 0
    request = db.get(SupportRequest, request_id)
    db.refresh(request)
    audit.record(None, "escalate", "support_request", request.id,
                 {"escalation_level": level - 1}, {"escalation_level": level})
    if level == 1:
        department = db.get(Department, request.department_id)
        _tell(department.b_contact if department else None, request, "support_request_overdue_b",
              f"support_overdue_b:{request.id}:{request.department_id}")
    else:
        _tell_office(request, "support_request_overdue_office",
                     f"support_overdue_office:{request.id}:{request.department_id}")
    return 1


# --- the routing table --------------------------------------------------------------------------


def rules() -> list[RoutingRule]:
    """The whole table (one row per category or commitment at most: a few dozen rows)."""
    return list(db.scalars(select(RoutingRule).order_by(RoutingRule.category, RoutingRule.commitment,
                                                        RoutingRule.id)))


def add_rule(actor: User, category: str | None, commitment: str | None,
             department_id: int | None) -> RoutingRule:
    if not permissions.supervises_hotline(actor):
        raise SupportRefused(_("Only the supervision office keeps the routing table."))
    category = category or None
    commitment = commitment or None
    if category is None and commitment is None:
        raise SupportRefused(_("Please choose a problem category or a service commitment."), "category")
    if (category is not None and category not in vocab.SUPPORT_CATEGORIES) or (
            commitment is not None and commitment not in vocab.COMMITMENTS):
        raise SupportRefused(_("Please choose from the list."), "category")
    department = db.get(Department, department_id) if department_id else None
    if department is None or department.kind != "department":
        raise SupportRefused(_("Please choose a department from the list."), "department_id")
    if db.scalar(select(RoutingRule.id).where(RoutingRule.category.is_(category) if category is None
                                              else RoutingRule.category == category,
                                              RoutingRule.commitment.is_(commitment) if commitment is None
                                              else RoutingRule.commitment == commitment)) is not None:
        raise SupportRefused(_("The table already has a rule for this; delete it first."), "category")
    with unit_of_work():
        rule = RoutingRule(category=category, commitment=commitment, department_id=department.id)
        db.add(rule)
        db.flush()
        audit.record(actor, "create", "routing_rule", rule.id, None,
                     {"category": category, "commitment": commitment, "department_id": department.id})
    return rule


def delete_rule(actor: User, rule_id: int) -> None:
    if not permissions.supervises_hotline(actor):
        raise SupportRefused(_("Only the supervision office keeps the routing table."))
    rule = db.get(RoutingRule, rule_id)
    if rule is None:
        return
    with unit_of_work():
        audit.record(actor, "delete", "routing_rule", rule.id,
                     {"category": rule.category, "commitment": rule.commitment,
                      "department_id": rule.department_id}, None)
        db.delete(rule)
